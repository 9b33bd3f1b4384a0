package org.mailhygiene.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.redis.RealRedis;
import org.mailhygiene.testkit.tls.PrivateCa;

/**
 * {@code rediss-cluster://} against a real three-master Redis Cluster that speaks TLS only ({@code tls-port},
 * {@code port 0}, {@code tls-cluster yes}): the slot map is read from a seed over TLS and every master is reached over
 * TLS at the address the cluster reports, checked against {@code ?cacert=}; a wrong CA or a node without TLS is a
 * one-line error naming the node. Skips without redis-server, redis-cli or openssl, except under CI.
 */
class RedisTlsClusterTest {
    @TempDir
    static Path dir;

    private static final List<RealRedis> shards = new ArrayList<>();
    private static PrivateCa ca;

    @BeforeAll
    static void start() throws Exception {
        Path server = RealBinaries.require("redis-server", "redis-server");
        Path cli = RealBinaries.require("redis-cli", "redis-tools");
        // the nodes report themselves by address: the certificate holds 127.0.0.1
        ca = PrivateCa.create(Files.createDirectories(dir.resolve("pki")), List.of("DNS:localhost", "IP:127.0.0.1"));
        for (int i = 0; i < 3; i++) {
            shards.add(RealRedis.startTls(
                    server,
                    dir.resolve("shard-" + i),
                    ca,
                    // asked again at each attempt: a bus port taken before the node bound it is replaced
                    () -> List.of(
                            "cluster-enabled yes",
                            "cluster-config-file nodes.conf",
                            "cluster-node-timeout 5000",
                            "tls-cluster yes",
                            // the bus port is the TLS port + 10000 by default: past 65535 for a port above 55535
                            "cluster-port " + freePort())));
        }
        List<String> cmd = tlsCli(cli);
        cmd.addAll(List.of("--cluster", "create"));
        for (RealRedis r : shards) {
            cmd.add("127.0.0.1:" + r.port());
        }
        cmd.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
        String out = run(cmd);
        if (!out.contains("[OK] All 16384 slots covered")) {
            throw new IOException("redis-cli --cluster create failed: " + out);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            boolean all = true;
            for (RealRedis r : shards) {
                List<String> info = tlsCli(cli);
                info.addAll(List.of("-p", Integer.toString(r.port()), "cluster", "info"));
                all &= run(info).contains("cluster_state:ok");
            }
            if (all) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("the TLS cluster did not reach cluster_state:ok within 120 s");
            }
            Thread.sleep(100);
        }
    }

    private static List<String> tlsCli(Path cli) {
        return new ArrayList<>(
                List.of(cli.toString(), "--tls", "--cacert", ca.caCertificate().toString()));
    }

    private static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " did not finish in 120 s");
        }
        return out;
    }

    /**
     * A port found free for a node's cluster bus: it is closed again before the node binds it, so it is only ever used
     * in the config lines {@link RealRedis} asks for at each attempt (a port taken meanwhile fails that attempt, and
     * the next one has a new port).
     */
    private static int freePort() {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("no free loopback port", e);
        }
    }

    /** Stops the shards and forgets them (the list is static: a second run in the same JVM must start afresh). */
    @AfterAll
    static void stop() {
        shards.forEach(RealRedis::close);
        shards.clear();
    }

    private static String seeds() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < shards.size(); i++) {
            b.append(i == 0 ? "" : ",")
                    .append("localhost:")
                    .append(shards.get(i).port());
        }
        return b.toString();
    }

    @Test
    void everyShardIsReachedOverTls() throws Exception {
        try (RedisSharedState state = RedisSharedState.open(
                "rediss-cluster://" + seeds() + "?cacert=" + ca.caCertificate(), Duration.ofSeconds(10))) {
            assertThat(state.url().tls()).isTrue();
            assertThat(state.url().cluster()).isTrue();
            assertThat(state.description()).isEqualTo("rediss-cluster://" + seeds());
            state.ping(); // sent to every master
            // 60 verdicts land on all three shards (16384 slots spread over three masters)
            Verdict v = Verdict.clean("clamd", Duration.ofMillis(2));
            for (int i = 0; i < 60; i++) {
                state.verdicts().put("id", "sha" + i, v, Duration.ofMinutes(1));
            }
            for (int i = 0; i < 60; i++) {
                assertThat(state.verdicts().get("id", "sha" + i)).contains(v);
            }
            // the scripts on hash-tagged keys: a rate bucket, a day's statistics, a learned message
            assertThat(state.limiter().tryAcquire("conn:192.0.2.7", 1, Duration.ofMinutes(1)))
                    .isTrue();
            assertThat(state.limiter().tryAcquire("conn:192.0.2.7", 1, Duration.ofMinutes(1)))
                    .isFalse();
            LocalDate day = LocalDate.of(2026, 12, 5);
            state.counters().publish("edge-1", day, Map.of("received", 3L));
            assertThat(state.counters().read(day)).containsEntry("edge-1", Map.of("received", 3L));
            assertThat(state.tokens().learn("bayes", "k1", List.of("viagra", "pills"), true))
                    .isTrue();
            assertThat(state.tokens().snapshot("bayes").spamMessages()).isEqualTo(1);
        }
    }

    @Test
    void aCaThatDidNotSignTheNodesCertificatesIsAOneLineErrorNamingTheSeed() throws Exception {
        PrivateCa other = PrivateCa.create(Files.createDirectories(dir.resolve("other")));
        int port = shards.get(0).port();
        try (RedisSharedState state = RedisSharedState.open(
                "rediss-cluster://:clusterpw@localhost:" + port + "?cacert=" + other.caCertificate(),
                Duration.ofSeconds(10))) {
            assertThatThrownBy(state::ping)
                    .isInstanceOf(SharedStateException.class)
                    .hasMessageContaining("the TLS certificate of localhost:" + port + " is not signed by a trusted CA")
                    .message()
                    .doesNotContain("\n")
                    .doesNotContain("clusterpw");
        }
    }

    @Test
    void aNodeWithoutTlsIsAClearError() throws Exception {
        Path server = RealBinaries.require("redis-server", "redis-server");
        try (RealRedis plain = RealRedis.start(
                        server,
                        dir.resolve("plain"),
                        () -> List.of(
                                "cluster-enabled yes",
                                "cluster-config-file nodes.conf",
                                "cluster-port " + freePort()));
                RedisSharedState state = RedisSharedState.open(
                        "rediss-cluster://127.0.0.1:" + plain.port() + "?cacert=" + ca.caCertificate(),
                        Duration.ofSeconds(2))) {
            assertThatThrownBy(state::ping)
                    .isInstanceOf(SharedStateException.class)
                    .hasMessageContaining("127.0.0.1:" + plain.port() + " did not complete the TLS handshake")
                    .message()
                    .doesNotContain("\n");
        }
    }
}
