package org.mailhygiene.redis;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.junit.SharedStateContract;
import org.mailhygiene.testkit.redis.RealRedis;

/**
 * The shared-state contract against a real three-shard Redis Cluster on loopback (redis-cluster:// URL): proves the
 * multi-key scripts stay within one hash slot and that the client follows the cluster's topology.
 */
class RedisClusterContractTest implements SharedStateContract {
    @TempDir
    static Path dir;

    private static final List<RealRedis> shards = new ArrayList<>();
    private static RedisSharedState state;

    @BeforeAll
    static void start() throws Exception {
        Path server = RealBinaries.require("redis-server", "redis-server");
        Path cli = RealBinaries.require("redis-cli", "redis-tools");
        for (int i = 0; i < 3; i++) {
            shards.add(RealRedis.start(
                    server,
                    dir.resolve("shard-" + i),
                    List.of("cluster-enabled yes", "cluster-config-file nodes.conf", "cluster-node-timeout 5000")));
        }
        List<String> cmd = new ArrayList<>(List.of(cli.toString(), "--cluster", "create"));
        for (RealRedis r : shards) {
            cmd.add("127.0.0.1:" + r.port());
        }
        cmd.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("redis-cli --cluster create failed: " + out);
        }
        awaitClusterOk(cli);
        StringBuilder url = new StringBuilder("redis-cluster://");
        for (int i = 0; i < shards.size(); i++) {
            url.append(i == 0 ? "" : ",")
                    .append("127.0.0.1:")
                    .append(shards.get(i).port());
        }
        state = RedisSharedState.open(url.toString(), Duration.ofSeconds(10));
    }

    private static void awaitClusterOk(Path cli) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            boolean all = true;
            for (RealRedis r : shards) {
                Process p = new ProcessBuilder(cli.toString(), "-p", Integer.toString(r.port()), "cluster", "info")
                        .redirectErrorStream(true)
                        .start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                p.waitFor(30, TimeUnit.SECONDS);
                all &= out.contains("cluster_state:ok");
            }
            if (all) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IOException("the cluster did not reach cluster_state:ok within 120 s");
    }

    /**
     * Stops the shards and forgets them: the list is static, and a second run of this class in the same JVM (surefire's
     * rerun of a failed test, an IDE's "run again") used to find the first run's stopped shards in it, and its start
     * failed: {@code redis-cli --cluster create failed: Could not connect to Redis at 127.0.0.1:PORT}.
     */
    @AfterAll
    static void stop() {
        if (state != null) {
            state.close();
            state = null;
        }
        shards.forEach(RealRedis::close);
        shards.clear();
    }

    @Override
    public SharedState state() {
        return state;
    }

    @Override
    public void advance(Duration d) throws InterruptedException {
        Thread.sleep(d.toMillis());
    }

    @Override
    public SharedState disposableState() {
        return RedisSharedState.open(
                "redis-cluster://127.0.0.1:" + shards.get(0).port(), Duration.ofSeconds(10));
    }

    @Override
    public SharedState journalLimited(int limit) {
        return RedisSharedState.open(
                        "redis-cluster://127.0.0.1:" + shards.get(0).port(), Duration.ofSeconds(10))
                .journalLimit(limit);
    }
}
