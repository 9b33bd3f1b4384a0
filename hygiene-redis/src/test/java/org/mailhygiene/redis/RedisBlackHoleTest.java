package org.mailhygiene.redis;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.shared.SharedStateException;

/**
 * An address that accepts connections and never answers (a black hole: a stopped process's port, a firewall that lets
 * the handshake through): the failure said only "Read timed out", not after how long (audit, session 41, where
 * {@code hygiene learn --redis} into such an address took 12.6 s and said just that).
 */
class RedisBlackHoleTest {
    @Test
    void aStoreThatNeverAnswersFailsNamingTheCallTimeout() throws Exception {
        // the kernel completes the TCP handshake for the backlog; nothing ever reads or answers
        try (ServerSocket hole = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                RedisSharedState state =
                        RedisSharedState.open("redis://127.0.0.1:" + hole.getLocalPort(), Duration.ofMillis(300))) {
            assertThatThrownBy(state::ping)
                    .isInstanceOf(SharedStateException.class)
                    .hasMessageContaining("timed out")
                    .hasMessageContaining("(the call timeout is 300 ms)");
        }
    }
}
