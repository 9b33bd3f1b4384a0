package org.mailhygiene.testkit.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.testkit.junit.RealBinaries;

/**
 * A start whose free port was taken before {@code redis-server} bound it (another program, or one of the test JVM's
 * own outgoing connections using it as its source port) starts on another port. It failed the test that started the
 * server: {@code redis-server exited with 1: ... bind: Address already in use}.
 */
class RealRedisPortTest {
    @TempDir
    Path dir;

    @Test
    void aPortTakenBeforeTheServerBindsItIsReplacedByAnother() throws Exception {
        Path server = RealBinaries.require("redis-server", "redis-server");
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            AtomicInteger offered = new AtomicInteger();
            try (RealRedis r = RealRedis.start(server, dir.resolve("redis"), List.of(), () -> {
                if (offered.getAndIncrement() == 0) {
                    return taken.getLocalPort();
                }
                try (ServerSocket free = new ServerSocket()) {
                    free.bind(new InetSocketAddress("127.0.0.1", 0));
                    return free.getLocalPort();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            })) {
                assertThat(offered.get()).as("ports tried").isEqualTo(2);
                assertThat(r.port()).isNotEqualTo(taken.getLocalPort());
                assertThat(r.ping(Duration.ofSeconds(30))).isTrue();
                assertThat(r.logTail()).doesNotContain("Address already in use");
            }
        }
    }

    /**
     * A cluster node's bus port ({@code cluster-port}, found free by the test) taken before the server bound it: the
     * config lines are asked for again at the next attempt, so the node starts on fresh ports. With the lines given as
     * a list, every attempt repeated the taken bus port and the start failed after five: {@code Failed listening on
     * port ... (cluster), aborting}.
     */
    @Test
    void aClusterBusPortTakenBeforeTheServerBindsItIsReplacedByAnother() throws Exception {
        Path server = RealBinaries.require("redis-server", "redis-server");
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            AtomicInteger asked = new AtomicInteger();
            try (RealRedis r = RealRedis.start(
                    server,
                    dir.resolve("node"),
                    () -> List.of(
                            "cluster-enabled yes",
                            "cluster-config-file nodes.conf",
                            "cluster-port " + (asked.getAndIncrement() == 0 ? taken.getLocalPort() : freePort())))) {
                assertThat(asked.get()).as("config lines asked for").isEqualTo(2);
                assertThat(r.ping(Duration.ofSeconds(30))).isTrue();
                assertThat(r.logTail()).doesNotContain("Address already in use");
            }
        }
    }

    private static int freePort() {
        try (ServerSocket free = new ServerSocket()) {
            free.bind(new InetSocketAddress("127.0.0.1", 0));
            return free.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
