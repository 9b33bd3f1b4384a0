package org.mailhygiene.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
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
 * {@code rediss://} against a real redis-server with TLS and a private CA made with openssl (skips without either,
 * except under CI): the certificate must be trusted and must name the host of the URL, or nothing is sent.
 */
class RedisTlsTest {
    @TempDir
    Path dir;

    @Test
    void theServerCertificateMustNameTheHost() throws Exception {
        Path server = RealBinaries.require("redis-server", "redis-server");
        PrivateCa ca = PrivateCa.create(Files.createDirectories(dir.resolve("pki")));
        // the TLS port is a line of the config, asked for again if the server could not bind the one it named
        java.util.concurrent.atomic.AtomicInteger lastTlsPort = new java.util.concurrent.atomic.AtomicInteger();
        try (RealRedis redis = RealRedis.start(
                server,
                dir.resolve("redis"),
                () -> List.of(
                        "tls-port " + lastTlsPort.updateAndGet(old -> freePort()),
                        "tls-cert-file " + ca.serverCertificate(),
                        "tls-key-file " + ca.serverKey(),
                        "tls-ca-cert-file " + ca.caCertificate(),
                        "tls-auth-clients no"))) {
            int tlsPort = lastTlsPort.get();
            String cacert = "?cacert=" + ca.caCertificate();
            Verdict v = Verdict.clean("clamd", Duration.ofMillis(1));
            try (RedisSharedState named =
                    RedisSharedState.open("rediss://localhost:" + tlsPort + "/0" + cacert, Duration.ofSeconds(10))) {
                named.verdicts().put("id", "ab12", v, Duration.ofMinutes(1));
                assertThat(named.verdicts().get("id", "ab12")).isEqualTo(Optional.of(v));
            }
            // The same trusted certificate reached under a name it does not carry (127.0.0.1 is no entry of it): a
            // man in the middle with any certificate of the trusted CAs (the JVM's store has hundreds) would be
            // accepted the same way, and could serve a clean verdict for a virus and read the password.
            try (RedisSharedState other =
                    RedisSharedState.open("rediss://127.0.0.1:" + tlsPort + "/0" + cacert, Duration.ofSeconds(10))) {
                assertThatThrownBy(() -> other.verdicts().get("id", "ab12"))
                        .isInstanceOf(SharedStateException.class)
                        .hasMessageContaining("127.0.0.1");
            }
            // A plain redis:// URL at the TLS port: the server resets the connection at the first command, which
            // said only "Connection reset".
            try (RedisSharedState plain =
                    RedisSharedState.open("redis://127.0.0.1:" + tlsPort + "/0", Duration.ofSeconds(10))) {
                assertThatThrownBy(() -> plain.verdicts().get("id", "ab12"))
                        .isInstanceOf(SharedStateException.class)
                        .hasMessageContaining("a port that wants TLS does that; if so, use rediss://");
            }
        }
    }

    /**
     * A TLS server with Redis's default {@code tls-auth-clients yes} refuses a client without a certificate after the
     * TLS 1.3 handshake, at the first reply: before, the error was the bare alert.
     */
    /** A Sentinel's failure wraps the server's: the hint came twice. It comes once, and never for a TLS URL. */
    @Test
    void theTlsHintIsGivenOnceAndOnlyWithoutTls() {
        var reset = new redis.clients.jedis.exceptions.JedisConnectionException(
                new java.net.SocketException("Connection reset"));
        String inner = Failures.describe(reset, false);
        assertThat(inner)
                .endsWith("(the server closed the connection: a port that wants TLS does that; if so, use"
                        + " rediss://, rediss-sentinel:// or rediss-cluster://)");
        String outer = Failures.describe(
                new redis.clients.jedis.exceptions.JedisException("no Sentinel reachable: 127.0.0.1:1: " + inner),
                false);
        assertThat(outer.split("a port that wants TLS", -1)).hasSize(2);
        assertThat(Failures.describe(reset, true)).doesNotContain("TLS");
    }

    @Test
    void aServerThatWantsAClientCertificateSaysWhatToChange() {
        assertThat(Failures.describe(new redis.clients.jedis.exceptions.JedisConnectionException(
                        new javax.net.ssl.SSLHandshakeException("Received fatal alert: certificate_required"))))
                .contains("certificate_required")
                .contains("set the server's tls-auth-clients to no or optional");
    }

    /** Before, the reason read as the path again: "cannot read CA certificates /x/ca.pem: /x/ca.pem". */
    @Test
    void aMissingCaFileIsSaidSoWhenOpened() {
        Path missing = dir.resolve("nope.pem");
        for (String scheme :
                List.of("rediss://localhost", "rediss-sentinel://localhost/m", "rediss-cluster://localhost")) {
            assertThatThrownBy(() -> RedisSharedState.open(scheme + "?cacert=" + missing, Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("cannot read CA certificates " + missing + ": no such file");
        }
    }

    /**
     * A {@code cacert=} that is no PEM file of certificates is refused when opened, in words. Before, a device such as
     * {@code /dev/zero} was read without end (open(), and so {@code --check} and the node's start, never returned), a
     * huge file was read whole into memory, and a directory said "java.io.IOException: Is a directory".
     */
    @Test
    void aCaFileThatIsNoPemFileIsRefusedInWords() throws Exception {
        Path zero = Path.of("/dev/zero");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(zero), "needs /dev/zero");
        java.util.concurrent.Future<Throwable> f = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "open-dev-zero");
                    t.setDaemon(true); // a hang before the fix leaves it behind, not the test JVM
                    return t;
                })
                .submit(() -> {
                    try {
                        RedisSharedState.open("rediss://localhost?cacert=" + zero, Duration.ofSeconds(1));
                        return null;
                    } catch (RuntimeException e) {
                        return e;
                    }
                });
        assertThat(f.get(60, java.util.concurrent.TimeUnit.SECONDS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot read CA certificates " + zero + ": not a regular file");
        Path big = dir.resolve("big.pem");
        try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(
                big, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
            c.write(java.nio.ByteBuffer.wrap(new byte[] {'x'}), RedisSharedState.MAX_CA_FILE_SIZE); // sparse
        }
        assertThatThrownBy(() -> RedisSharedState.open("rediss://localhost?cacert=" + big, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot read CA certificates " + big + ": larger than " + RedisSharedState.MAX_CA_FILE_SIZE
                        + " bytes");
        assertThatThrownBy(() -> RedisSharedState.open("rediss://localhost?cacert=" + dir, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot read CA certificates " + dir + ": a directory");
        Path key = dir.resolve("key.pem");
        java.nio.file.Files.writeString(
                key,
                "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n");
        assertThatThrownBy(() -> RedisSharedState.open("rediss://localhost?cacert=" + key, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cannot read CA certificates " + key + ": not a PEM file of certificates");
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("no free loopback port", e);
        }
    }
}
