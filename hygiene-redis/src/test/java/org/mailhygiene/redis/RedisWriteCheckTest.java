package org.mailhygiene.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.redis.RealRedis;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * {@link RedisSharedState#writeRefusal()} against real servers: a store that answers {@code PING} but refuses every
 * write (a read-only replica, {@code maxmemory} reached under {@code noeviction}, an ACL user without write or script
 * permission, a wrong or missing password) is named with the server's words and what to change; an unreachable one is
 * an exception, as for {@code PING}; through Sentinels the master is probed, in a cluster every master.
 */
class RedisWriteCheckTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private static Path server() {
        return RealBinaries.require("redis-server", "redis-server");
    }

    private static Jedis admin(RealRedis r, String password) {
        DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder();
        if (password != null) {
            b.password(password);
        }
        return new Jedis(new HostAndPort("127.0.0.1", r.port()), b.build());
    }

    private static Optional<String> refusal(String url) throws SharedStateException {
        try (RedisSharedState state = RedisSharedState.open(url, TIMEOUT)) {
            return state.writeRefusal();
        }
    }

    @Test
    void aWritableStoreTakesTheProbeAndKeepsNothing() throws Exception {
        try (RealRedis redis = RealRedis.start(server(), dir.resolve("r"), List.of());
                Jedis admin = admin(redis, null)) {
            assertThat(refusal(redis.url() + "/3?prefix=site:")).isEmpty();
            admin.select(3);
            assertThat(admin.dbSize()).as("the check key is deleted").isZero();
        }
    }

    @Test
    void aReadOnlyReplicaIsRefused() throws Exception {
        try (RealRedis master = RealRedis.start(server(), dir.resolve("m"), List.of());
                RealRedis replica = RealRedis.start(
                        server(), dir.resolve("replica"), List.of("replicaof 127.0.0.1 " + master.port()))) {
            assertThat(refusal(replica.url()))
                    .hasValueSatisfying(r -> assertThat(r)
                            .contains("READONLY You can't write against a read only replica")
                            .contains("the server is a read-only replica: name its master"));
            assertThat(refusal(master.url())).isEmpty();
        }
    }

    @Test
    void aFullStoreUnderNoevictionIsRefused() throws Exception {
        try (RealRedis redis = RealRedis.start(server(), dir.resolve("r"), List.of("maxmemory-policy noeviction"));
                Jedis admin = admin(redis, null)) {
            admin.configSet("maxmemory", "1");
            assertThat(admin.ping()).as("it still answers PING").isEqualTo("PONG");
            assertThat(refusal(redis.url()))
                    .hasValueSatisfying(r -> assertThat(r)
                            .contains("OOM command not allowed")
                            .contains("maxmemory-policy (noeviction) refuses writes"));
        }
    }

    /**
     * Found reading session 53's code: a plain verdict (written by a node without a secret) costs a {@code PTTL} after
     * its {@code GET}; an ACL user allowed the GET but not the PTTL made the guard take each such hit for an outage
     * (the store marked down, every node's sharing gone for a back-off). Now the refused PTTL is unusable data: a miss,
     * a fallback counted and logged, and the store stays up.
     */
    @Test
    void aRefusedPttlAfterAGoodGetIsNoOutage() throws Exception {
        try (RealRedis redis = RealRedis.start(
                        server(), dir.resolve("r"), List.of("user nopttl on >pttlpw ~* &* +@all -pttl"));
                RedisSharedState plain = RedisSharedState.open(redis.url() + "/0?prefix=p:", TIMEOUT);
                RedisSharedState limited = RedisSharedState.open(
                        "redis://nopttl:pttlpw@127.0.0.1:" + redis.port() + "/0?prefix=p:", TIMEOUT)) {
            String sha = "cd".repeat(32);
            plain.verdicts()
                    .put(
                            "id",
                            sha,
                            org.mailhygiene.api.Verdict.clean("model", Duration.ofMillis(1)),
                            Duration.ofHours(1));
            org.mailhygiene.scanners.shared.GuardedSharedState guarded =
                    new org.mailhygiene.scanners.shared.GuardedSharedState(limited, java.time.Clock.systemUTC());
            assertThatThrownBy(() -> guarded.verdicts().find("id", sha))
                    .isInstanceOf(org.mailhygiene.api.shared.SharedDataException.class)
                    .hasMessageContaining("NOPERM")
                    .hasMessageContaining("taken as a miss");
            assertThat(guarded.outages()).isZero();
            assertThat(guarded.fallbacks()).isOne();
            // the store is still used: the next call goes to Redis, not to a store marked down
            assertThat(guarded.verdicts().get("other id", sha)).isEmpty();
            assertThat(guarded.outages()).isZero();
        }
    }

    @Test
    void anAclUserWithoutWriteOrScriptPermissionIsRefused() throws Exception {
        try (RealRedis redis = RealRedis.start(
                server(),
                dir.resolve("r"),
                List.of(
                        "user reader on >readpw ~* &* +@all -@write",
                        "user noscript on >scriptpw ~* &* +@all -@scripting",
                        "user elsewhere on >otherpw ~other:* &* +@all"))) {
            String at = "@127.0.0.1:" + redis.port();
            for (String user : List.of("reader:readpw", "noscript:scriptpw", "elsewhere:otherpw")) {
                assertThat(refusal("redis://" + user + at))
                        .as(user)
                        .hasValueSatisfying(r -> assertThat(r)
                                .contains("NOPERM")
                                .contains("the URL's ACL user lacks a permission the node needs")
                                .contains("~mh:*")
                                .doesNotContain(user.substring(user.indexOf(':') + 1)));
            }
            assertThat(refusal("redis://reader:readpw" + at))
                    .hasValueSatisfying(r -> assertThat(r).contains("SET (check key mh:check:"));
            assertThat(refusal("redis://noscript:scriptpw" + at))
                    .hasValueSatisfying(r -> assertThat(r).contains("EVAL (check key mh:check:"));
        }
    }

    @Test
    void aWrongOrMissingPasswordIsRefused() throws Exception {
        try (RealRedis redis = RealRedis.start(server(), dir.resolve("r"), List.of("requirepass right"))) {
            assertThat(refusal("redis://:wrong@127.0.0.1:" + redis.port()))
                    .hasValueSatisfying(r -> assertThat(r)
                            .contains("WRONGPASS")
                            .contains("user name or password is wrong or missing")
                            .doesNotContain(":wrong@"));
            assertThat(refusal(redis.url()))
                    .hasValueSatisfying(r ->
                            assertThat(r).contains("NOAUTH").contains("user name or password is wrong or missing"));
            assertThat(refusal("redis://:right@127.0.0.1:" + redis.port())).isEmpty();
        }
    }

    /**
     * A database the server does not have answers every command with an error no wait ends: until session 47 the
     * check called it a store that "does not answer now" (a warning, exit 0), and the node never shared anything.
     */
    @Test
    void aDatabaseTheServerDoesNotHaveIsRefused() throws Exception {
        try (RealRedis redis = RealRedis.start(server(), dir.resolve("r"), List.of("databases 4"))) {
            assertThat(refusal(redis.url() + "/4"))
                    .hasValueSatisfying(r -> assertThat(r)
                            .contains("ERR DB index is out of range")
                            .contains("the server has no database of the URL's number (/4)"));
            assertThat(refusal(redis.url() + "/3")).isEmpty();
        }
    }

    @Test
    void anUnreachableStoreIsAnOutageNotARefusal() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            port = s.getLocalPort();
        }
        String url = "redis://127.0.0.1:" + port;
        assertThatThrownBy(() -> refusal(url))
                .isInstanceOf(SharedStateException.class)
                .hasMessageContaining("Connection refused");
    }

    /** Through Sentinels the probe goes to the master they name, not to the Sentinel or a replica. */
    @Test
    void throughSentinelsTheMasterIsProbed() throws Exception {
        try (RealRedis master = RealRedis.start(server(), dir.resolve("m"), List.of("maxmemory-policy noeviction"));
                RealRedis replica = RealRedis.start(
                        server(), dir.resolve("replica"), List.of("replicaof 127.0.0.1 " + master.port()));
                RealRedis sentinel = RealRedis.startSentinel(
                        server(),
                        dir.resolve("s"),
                        List.of(
                                "sentinel monitor site 127.0.0.1 " + master.port() + " 1",
                                "sentinel down-after-milliseconds site 60000"));
                Jedis admin = admin(master, null)) {
            String url = "redis-sentinel://127.0.0.1:" + sentinel.port() + "/site";
            assertThat(refusal(url)).isEmpty();
            admin.configSet("maxmemory", "1");
            assertThat(refusal(url)).hasValueSatisfying(r -> assertThat(r).contains("OOM command not allowed"));
            assertThat(replica.isAlive()).isTrue();
        }
    }

    /** In a cluster each master is probed: one full master of three is named. */
    @Test
    void inAClusterEveryMasterIsProbed() throws Exception {
        Path cli = RealBinaries.require("redis-cli", "redis-tools");
        List<RealRedis> shards = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                shards.add(RealRedis.start(
                        server(),
                        dir.resolve("shard-" + i),
                        List.of(
                                "cluster-enabled yes",
                                "cluster-config-file nodes.conf",
                                "cluster-node-timeout 5000",
                                "maxmemory-policy noeviction")));
            }
            List<String> cmd = new ArrayList<>(List.of(cli.toString(), "--cluster", "create"));
            shards.forEach(r -> cmd.add("127.0.0.1:" + r.port()));
            cmd.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
            run(cmd);
            awaitClusterOk(cli, shards);
            String url = "redis-cluster://127.0.0.1:" + shards.get(0).port();
            assertThat(refusal(url)).isEmpty();
            RealRedis last = shards.get(2);
            try (Jedis admin = admin(last, null)) {
                admin.configSet("maxmemory", "1");
            }
            assertThat(refusal(url))
                    .hasValueSatisfying(r -> assertThat(r)
                            .contains("on the master 127.0.0.1:" + last.port())
                            .contains("OOM command not allowed"));
        } finally {
            shards.forEach(RealRedis::close);
        }
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(cmd + " failed: " + out);
        }
        return out;
    }

    private static void awaitClusterOk(Path cli, List<RealRedis> shards) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            boolean all = true;
            for (RealRedis r : shards) {
                all &= run(List.of(cli.toString(), "-p", Integer.toString(r.port()), "cluster", "info"))
                        .contains("cluster_state:ok");
            }
            if (all) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IOException("the cluster did not reach cluster_state:ok within 120 s");
    }
}
