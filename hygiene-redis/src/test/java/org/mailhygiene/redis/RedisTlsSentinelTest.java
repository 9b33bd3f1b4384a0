package org.mailhygiene.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.redis.RealRedis;
import org.mailhygiene.testkit.tls.PrivateCa;

/**
 * {@code rediss-sentinel://} against real redis-server instances that speak TLS only ({@code tls-port}, {@code port 0}):
 * the Sentinels are asked over TLS and the master they name is reached over TLS, both checked against {@code ?cacert=}
 * and the host name; a wrong CA or a Sentinel without TLS is a one-line error naming the server; a failover is followed
 * to the promoted replica, over TLS. Skips without redis-server or openssl, except under CI.
 */
class RedisTlsSentinelTest {
    @TempDir
    Path dir;

    /** The Sentinels name servers by address: the certificate holds 127.0.0.1 besides localhost. */
    private PrivateCa ca() throws Exception {
        return PrivateCa.create(Files.createDirectories(dir.resolve("pki")), List.of("DNS:localhost", "IP:127.0.0.1"));
    }

    @Test
    void theMasterIsFoundThroughATlsSentinelAndUsedOverTls() throws Exception {
        Path server = RealBinaries.require("redis-server", "redis-server");
        PrivateCa ca = ca();
        try (RealRedis master = RealRedis.startTls(server, dir.resolve("master"), ca, List.of("requirepass masterpw"));
                RealRedis sentinel = RealRedis.startTlsSentinel(
                        server,
                        dir.resolve("sentinel"),
                        ca,
                        List.of(
                                "sentinel monitor site-a 127.0.0.1 " + master.port() + " 1",
                                "sentinel auth-pass site-a masterpw"));
                RedisSharedState state = RedisSharedState.open(
                        "rediss-sentinel://:masterpw@localhost:" + sentinel.port() + "/site-a/3?cacert="
                                + ca.caCertificate(),
                        Duration.ofSeconds(10))) {
            assertThat(state.url().tls()).isTrue();
            Verdict v = Verdict.clean("clamd", Duration.ofMillis(2));
            state.verdicts().put("id", "ab12", v, Duration.ofMinutes(1));
            assertThat(state.verdicts().get("id", "ab12")).isEqualTo(Optional.of(v));
            assertThat(state.description()).doesNotContain("masterpw").startsWith("rediss-sentinel://");
            try (RedisSharedState direct = RedisSharedState.open(
                    "rediss://:masterpw@127.0.0.1:" + master.port() + "/3?cacert=" + ca.caCertificate(),
                    Duration.ofSeconds(10))) {
                assertThat(direct.verdicts().get("id", "ab12"))
                        .as("written to the master, database 3, over TLS")
                        .contains(v);
            }
            // the plain scheme reaches nothing: the servers have no plain port
            try (RedisSharedState plain = RedisSharedState.open(
                    "redis-sentinel://localhost:" + sentinel.port() + "/site-a", Duration.ofSeconds(5))) {
                assertThatThrownBy(plain::ping).isInstanceOf(SharedStateException.class);
            }
        }
    }

    @Test
    void aCaThatDidNotSignTheSentinelsCertificateIsAOneLineErrorNamingIt() throws Exception {
        Path server = RealBinaries.require("redis-server", "redis-server");
        PrivateCa ca = ca();
        PrivateCa other = PrivateCa.create(Files.createDirectories(dir.resolve("other")));
        try (RealRedis master = RealRedis.startTls(server, dir.resolve("master"), ca, List.of());
                RealRedis sentinel = RealRedis.startTlsSentinel(
                        server,
                        dir.resolve("sentinel"),
                        ca,
                        List.of("sentinel monitor site-a 127.0.0.1 " + master.port() + " 1"));
                RedisSharedState state = RedisSharedState.open(
                        "rediss-sentinel://:secretpw@localhost:" + sentinel.port() + "/site-a?cacert="
                                + other.caCertificate(),
                        Duration.ofSeconds(10))) {
            assertThatThrownBy(state::ping)
                    .isInstanceOf(SharedStateException.class)
                    .hasMessageContaining("no Sentinel reachable")
                    .hasMessageContaining(
                            "the TLS certificate of localhost:" + sentinel.port() + " is not signed by a trusted CA")
                    .message()
                    .doesNotContain("\n")
                    .doesNotContain("secretpw");
        }
    }

    /**
     * A Sentinel (or master) with TLS whose certificate does not hold the address the URL or the Sentinel gives: the
     * error says so, not the JDK's "No subject alternative names matching IP address".
     */
    @Test
    void aCertificateWithoutTheAddressIsNamedAsSuch() throws Exception {
        Path server = RealBinaries.require("redis-server", "redis-server");
        PrivateCa localhostOnly = PrivateCa.create(Files.createDirectories(dir.resolve("pki")));
        try (RealRedis master = RealRedis.startTls(server, dir.resolve("master"), localhostOnly, List.of());
                RealRedis sentinel = RealRedis.startTlsSentinel(
                        server,
                        dir.resolve("sentinel"),
                        localhostOnly,
                        List.of("sentinel monitor site-a 127.0.0.1 " + master.port() + " 1"));
                RedisSharedState state = RedisSharedState.open(
                        "rediss-sentinel://localhost:" + sentinel.port() + "/site-a?cacert="
                                + localhostOnly.caCertificate(),
                        Duration.ofSeconds(10))) {
            // the Sentinel (reached as localhost) answers; the master it names by address does not pass the check
            assertThatThrownBy(state::ping)
                    .isInstanceOf(SharedStateException.class)
                    .hasMessageContaining(
                            "the TLS certificate of 127.0.0.1:" + master.port() + " does not name 127.0.0.1");
        }
    }

    /**
     * A Sentinel without TLS behind {@code rediss-sentinel://}: Redis reads the TLS handshake as the start of a command
     * and waits, so before, the call failed only with "Read timed out". Now the error says what it means.
     */
    @Test
    void aSentinelWithoutTlsIsAClearError() throws Exception {
        Path server = RealBinaries.require("redis-server", "redis-server");
        PrivateCa ca = ca();
        try (RealRedis master = RealRedis.start(server, dir.resolve("master"), List.of());
                RealRedis sentinel = RealRedis.startSentinel(
                        server,
                        dir.resolve("sentinel"),
                        List.of("sentinel monitor site-a 127.0.0.1 " + master.port() + " 1"));
                RedisSharedState state = RedisSharedState.open(
                        "rediss-sentinel://127.0.0.1:" + sentinel.port() + "/site-a?cacert=" + ca.caCertificate(),
                        Duration.ofSeconds(2))) {
            assertThatThrownBy(state::ping)
                    .isInstanceOf(SharedStateException.class)
                    .hasMessageContaining("127.0.0.1:" + sentinel.port() + " did not complete the TLS handshake")
                    .hasMessageContaining("tls-port")
                    .message()
                    .doesNotContain("\n");
        }
    }

    /** The TLS master killed: the TLS Sentinel promotes the TLS replica and the same client writes to it over TLS. */
    @Test
    void followsAFailoverToThePromotedReplicaOverTls() throws Exception {
        failover(ca(), false);
    }

    /**
     * Certificates that name the servers by DNS name only work when the Sentinels and replicas announce names
     * ({@code sentinel resolve-hostnames}, {@code sentinel announce-hostnames}, {@code replica-announce-ip}), as
     * docs/cluster.md says: the master is reached as {@code localhost}, before and after a failover.
     */
    @Test
    void serversAnnouncedByNameNeedNoAddressInTheirCertificates() throws Exception {
        failover(PrivateCa.create(Files.createDirectories(dir.resolve("pki")), List.of("DNS:localhost")), true);
    }

    private void failover(PrivateCa ca, boolean names) throws Exception {
        Path server = RealBinaries.require("redis-server", "redis-server");
        String cacert = "?cacert=" + ca.caCertificate();
        String host = names ? "localhost" : "127.0.0.1";
        List<String> announce = names ? List.of("replica-announce-ip localhost") : List.of();
        try (RealRedis master = RealRedis.startTls(server, dir.resolve("master"), ca, announce);
                RealRedis replica = RealRedis.startTls(
                        server,
                        dir.resolve("replica"),
                        ca,
                        concat(announce, List.of("replicaof " + host + " " + master.port())))) {
            RedisSentinelFailoverTest.await(
                    Duration.ofSeconds(60),
                    "replication link up",
                    () -> info(replica, ca).contains("master_link_status:up"));
            try (RealRedis sentinel = RealRedis.startTlsSentinel(
                            server,
                            dir.resolve("sentinel"),
                            ca,
                            concat(
                                    names
                                            ? List.of(
                                                    "sentinel resolve-hostnames yes", "sentinel announce-hostnames yes")
                                            : List.of(),
                                    List.of(
                                            "sentinel monitor site-a " + host + " " + master.port() + " 1",
                                            "sentinel down-after-milliseconds site-a 1000",
                                            "sentinel failover-timeout site-a 10000")));
                    RedisSharedState state = RedisSharedState.open(
                            "rediss-sentinel://localhost:" + sentinel.port() + "/site-a" + cacert,
                            Duration.ofSeconds(2))) {
                RedisSentinelFailoverTest.await(Duration.ofSeconds(60), "the Sentinel knows the replica", () -> {
                    String r = cli(sentinel, ca, "SENTINEL", "REPLICAS", "site-a");
                    return r.contains(host + ":" + replica.port()) && !r.contains("s_down");
                });
                Verdict v = Verdict.clean("clamd", Duration.ofMillis(2));
                state.verdicts().put("id", "before", v, Duration.ofMinutes(5));
                master.kill();
                RedisSentinelFailoverTest.await(Duration.ofSeconds(90), "a call succeeds after the failover", () -> {
                    try {
                        state.verdicts().put("id", "after", v, Duration.ofMinutes(5));
                        return true;
                    } catch (SharedStateException e) {
                        return false;
                    }
                });
                assertThat(info(replica, ca)).contains("role:master");
                try (RedisSharedState promoted = RedisSharedState.open(
                        "rediss://localhost:" + replica.port() + "/0" + cacert, Duration.ofSeconds(10))) {
                    assertThat(promoted.verdicts().get("id", "after")).contains(v);
                }
                assertThat(state.verdicts().get("id", "after")).contains(v);
            }
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static String info(RealRedis r, PrivateCa ca) throws Exception {
        return cli(r, ca, "INFO", "replication");
    }

    /** redis-cli over TLS (built with TLS wherever redis-server is, in the same Debian package set). */
    private static String cli(RealRedis r, PrivateCa ca, String... args) throws Exception {
        Path cli = RealBinaries.require("redis-cli", "redis-tools");
        List<String> cmd = new java.util.ArrayList<>(List.of(
                cli.toString(),
                "--tls",
                "--cacert",
                ca.caCertificate().toString(),
                "-h",
                "127.0.0.1",
                "-p",
                Integer.toString(r.port())));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
        return out;
    }
}
