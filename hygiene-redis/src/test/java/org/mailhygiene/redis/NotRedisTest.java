package org.mailhygiene.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.shared.SharedDataException;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.testkit.server.FakeServer;

/**
 * A {@code redis} URL naming a server that is not Redis (a wrong port: a TCP echo, an SMTP or HTTP server). A TCP
 * echo answers each command with the command itself, which reads as a well-formed array: until session 47 the rate
 * limit script's array read as "no token", so every client of a node whose store had just been probed reachable got
 * {@code 421 Connection rate limit exceeded}, the statistics script's array as success (the store "reachable again"
 * every few seconds), and {@code hygiene relay --check} called such a server, like an SMTP server ({@code Unknown
 * reply: 2}), a store that "does not answer now" (a warning, exit 0) with a {@code ClassCastException}'s text.
 */
class NotRedisTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private static FakeServer echo() throws Exception {
        return FakeServer.builder("fake-echo", c -> c.input().transferTo(c.output()))
                .start();
    }

    @Test
    void anEchoFailsEveryCallInsteadOfAnsweringNo() throws Exception {
        try (FakeServer echo = echo();
                RedisSharedState state = RedisSharedState.open("redis://127.0.0.1:" + echo.port(), TIMEOUT)) {
            assertThatThrownBy(() -> state.limiter().tryAcquire("conn:192.0.2.7", 10, Duration.ofMinutes(1)))
                    .as("no token is no answer: the node must use its own bucket")
                    .isInstanceOf(SharedStateException.class)
                    .isNotInstanceOf(SharedDataException.class)
                    .hasMessageContaining("rate limit failed")
                    .hasMessageContaining("is the URL's address a Redis server?");
            assertThatThrownBy(() -> state.counters().publish("edge-1", LocalDate.of(2026, 12, 7), Map.of("m", 1L)))
                    .isInstanceOf(SharedStateException.class)
                    .hasMessageContaining("is the URL's address a Redis server?");
            assertThatThrownBy(() -> state.verdicts().renewLease("id", "00", "owner", Duration.ofSeconds(10)))
                    .isInstanceOf(SharedStateException.class)
                    .hasMessageContaining("is the URL's address a Redis server?");
            assertThatThrownBy(() -> state.verdicts().release("id", "00", "owner"))
                    .isInstanceOf(SharedStateException.class)
                    .hasMessageContaining("is the URL's address a Redis server?");
            assertThatThrownBy(() -> state.tokens().learn("bayes", "k1", List.of("a", "b"), true))
                    .isInstanceOf(SharedStateException.class)
                    .isNotInstanceOf(SharedDataException.class)
                    .hasMessageContaining("is the URL's address a Redis server?");
            assertThatThrownBy(() -> state.tokens().learned("bayes", "k1"))
                    .isInstanceOf(SharedStateException.class)
                    .isNotInstanceOf(SharedDataException.class)
                    .hasMessageContaining("is the URL's address a Redis server?");
            assertThatThrownBy(() -> state.verdicts().get("id", "00"))
                    .as("a reply of a type the client does not expect")
                    .isInstanceOf(SharedStateException.class)
                    .hasMessageContaining("is the URL's address a Redis server?")
                    .hasMessageNotContaining("cannot be cast");
        }
    }

    @Test
    void theCheckNamesAnEchoAsNoRedisServer() throws Exception {
        try (FakeServer echo = echo();
                RedisSharedState state = RedisSharedState.open("redis://127.0.0.1:" + echo.port(), TIMEOUT)) {
            assertThat(state.writeRefusal())
                    .hasValueSatisfying(r -> assertThat(r)
                            .contains("SET (check key mh:check:")
                            .contains("does not speak Redis's protocol")
                            .doesNotContain("cannot be cast"));
        }
    }

    private static FakeServer smtp() throws Exception {
        return FakeServer.builder("fake-smtp", c -> {
                    c.output().write("220 mx.example ESMTP\r\n".getBytes(StandardCharsets.US_ASCII));
                    c.output().flush();
                    c.holdUntilClosed();
                })
                .start();
    }

    @Test
    void theCheckNamesAnSmtpServerAsNoRedisServer() throws Exception {
        try (FakeServer smtp = smtp();
                RedisSharedState state = RedisSharedState.open("redis://127.0.0.1:" + smtp.port(), TIMEOUT)) {
            assertThat(state.writeRefusal())
                    .hasValueSatisfying(r ->
                            assertThat(r).contains("Unknown reply: 2").contains("does not speak Redis's protocol"));
        }
    }

    /** A cluster seed that is another service: the cluster client wraps the reason in its own failure. */
    @Test
    void theCheckNamesAClusterSeedThatIsNoRedisServer() throws Exception {
        try (FakeServer echo = echo();
                FakeServer smtp = smtp()) {
            for (FakeServer seed : List.of(echo, smtp)) {
                try (RedisSharedState state =
                        RedisSharedState.open("redis-cluster://127.0.0.1:" + seed.port(), TIMEOUT)) {
                    assertThat(state.writeRefusal())
                            .as(seed.toString())
                            .hasValueSatisfying(r -> assertThat(r)
                                    .contains("CLUSTER SLOTS failed")
                                    .contains("does not speak Redis's protocol"));
                }
            }
        }
    }

    /**
     * A Sentinel address that is another service: an echo's three words read as "monitors no master named", an SMTP
     * server's greeting as a Sentinel that is not reachable.
     */
    @Test
    void aSentinelThatIsNoRedisServerIsNamedSo() throws Exception {
        try (FakeServer echo = echo();
                FakeServer smtp = smtp()) {
            for (FakeServer sentinel : List.of(echo, smtp)) {
                try (RedisSharedState state =
                        RedisSharedState.open("redis-sentinel://127.0.0.1:" + sentinel.port() + "/site", TIMEOUT)) {
                    assertThatThrownBy(state::ping)
                            .as(sentinel.toString())
                            .isInstanceOf(SharedStateException.class)
                            .hasMessageContaining("no Sentinel names master 'site': 127.0.0.1:" + sentinel.port()
                                    + " is not a Sentinel?")
                            .hasMessageNotContaining("monitors no master");
                }
            }
        }
    }
}
