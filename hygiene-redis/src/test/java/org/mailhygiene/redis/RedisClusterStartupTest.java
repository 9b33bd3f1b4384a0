package org.mailhygiene.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.scanners.shared.GuardedSharedState;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.redis.RealRedis;

/**
 * A redis-cluster:// client reads the slot map at its first call, not when opened: a node starts while the cluster is
 * unreachable, and a seed that is no cluster node is a call failure that says so. Before, {@code open} threw
 * {@code JedisClusterOperationException: Could not initialize cluster slots cache.}, with the reason only in a
 * suppressed exception, and {@code hygiene relay} (and {@code --check}) stopped with a stack trace.
 */
class RedisClusterStartupTest {
    @TempDir
    Path dir;

    /** Loopback ports where nothing listens, held until each test ends. */
    @org.junit.jupiter.api.extension.RegisterExtension
    final org.mailhygiene.testkit.junit.ClosedPortsExtension closedPorts =
            new org.mailhygiene.testkit.junit.ClosedPortsExtension();

    /** A loopback port where nothing listens, held until the test ends. */
    private int closedPort() {
        return closedPorts.reserve();
    }

    @Test
    void opensWhileNoSeedAnswers() throws Exception {
        int port = closedPort();
        try (RedisSharedState state =
                RedisSharedState.open("redis-cluster://127.0.0.1:" + port, Duration.ofSeconds(2))) {
            GuardedSharedState guarded = new GuardedSharedState(state, java.time.Clock.systemUTC());
            assertThatThrownBy(() -> guarded.verdicts().get("id", "ab12"))
                    .isInstanceOf(SharedStateException.class)
                    .hasMessageContaining("Could not initialize cluster slots cache")
                    .hasMessageContaining("127.0.0.1:" + port);
            assertThat(guarded.available()).isFalse();
        }
    }

    /**
     * A PING goes to every master; with one unreachable Jedis throws "A failure occurred while broadcasting the
     * command." and keeps which master failed, and why, in the exception's replies: the message now names them.
     */
    @Test
    void aFailedBroadcastNamesTheMasterThatFailed() {
        redis.clients.jedis.exceptions.JedisBroadcastException e =
                new redis.clients.jedis.exceptions.JedisBroadcastException();
        e.addReply(new redis.clients.jedis.HostAndPort("127.0.0.1", 7000), "PONG");
        e.addReply(
                new redis.clients.jedis.HostAndPort("127.0.0.1", 7001),
                new redis.clients.jedis.exceptions.JedisConnectionException("Failed to connect to 127.0.0.1:7001."));
        assertThat(Failures.describe(e))
                .isEqualTo("A failure occurred while broadcasting the command."
                        + " (127.0.0.1:7001: Failed to connect to 127.0.0.1:7001.)");
    }

    @Test
    void aSeedWithoutClusterSupportIsNamedAsSuch() throws Exception {
        Path server = RealBinaries.require("redis-server", "redis-server");
        try (RealRedis plain = RealRedis.start(server, dir.resolve("plain"), List.of());
                RedisSharedState state =
                        RedisSharedState.open("redis-cluster://127.0.0.1:" + plain.port(), Duration.ofSeconds(5))) {
            assertThatThrownBy(state::ping)
                    .isInstanceOf(SharedStateException.class)
                    .hasMessageContaining("cluster support disabled");
        }
    }
}
