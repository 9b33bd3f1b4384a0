package org.mailhygiene.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mailhygiene.testkit.junit.RealRedisExtension;
import redis.clients.jedis.Jedis;

/**
 * A Redis killed and restarted while a node was busy: the pool then holds many connections to the dead server, and
 * the calls after the restart must not keep finding them one by one (seen from outside: two relay nodes under load
 * never shared again after a {@code kill -9} and restart, since each probe drew stale connections and failed).
 */
class RedisRestartUnderLoadTest {
    @RegisterExtension
    final RealRedisExtension redis = RealRedisExtension.create();

    private RedisSharedState state;

    @BeforeEach
    void start() throws Exception {
        state = RedisSharedState.open(redis.url(), Duration.ofSeconds(10));
    }

    @AfterEach
    void stop() {
        if (state != null) {
            state.close();
        }
    }

    /** Makes the pool hold {@code n} idle connections: n calls at once, held together by a CLIENT PAUSE. */
    private void fillPool(int n) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try (Jedis admin = new Jedis("127.0.0.1", redis.get().port())) {
            admin.clientPause(1_000);
            List<Future<?>> calls = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String sha = String.format("%064x", i);
                calls.add(pool.submit(() -> state.verdicts().get("clamd", sha)));
            }
            for (Future<?> f : calls) {
                f.get(60, TimeUnit.SECONDS);
            }
            // CLIENT LIST counts this connection too
            assertThat(admin.clientList().lines().count()).isGreaterThan(n / 2);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRestartedRedisIsUsedAtOnceThoughThePoolHeldManyConnectionsToTheOldOne() throws Exception {
        fillPool(24);
        redis.get().kill();
        redis.get().restart();
        // An idempotent call finds a broken connection, and the rest of the pool is known to be as stale: it is
        // answered on a new connection.
        assertThat(state.verdicts().get("clamd", String.format("%064x", 99))).isEmpty();
        // A call that must not be repeated, next: no stale connection is left to fail it.
        assertThat(state.limiter().tryAcquire("rl:msg:192.0.2.1", 10, Duration.ofMinutes(1)))
                .isTrue();
    }

    @Test
    void aCallThatMustNotBeRepeatedFailsOnceAndTheNextOneIsAnswered() throws Exception {
        fillPool(24);
        redis.get().kill();
        redis.get().restart();
        try {
            state.limiter().tryAcquire("rl:msg:192.0.2.1", 10, Duration.ofMinutes(1));
        } catch (org.mailhygiene.api.shared.SharedStateException expected) {
            // the first call may find a stale connection; it is not sent again (it may have taken effect)
        }
        assertThat(state.limiter().tryAcquire("rl:msg:192.0.2.1", 10, Duration.ofMinutes(1)))
                .isTrue();
    }

    /**
     * A server that answered before and then closed the connections (killed) is not a port that wants TLS: the
     * outage line says what happened without sending the administrator to the TLS settings.
     */
    @Test
    void aKilledServerIsNotSaidToWantTls() throws Exception {
        fillPool(4);
        redis.get().kill();
        assertThatThrownBy(() -> state.limiter().tryAcquire("rl:msg:192.0.2.1", 10, Duration.ofMinutes(1)))
                .isInstanceOf(org.mailhygiene.api.shared.SharedStateException.class)
                .hasMessageContaining("rate limit failed")
                .hasMessageNotContaining("TLS");
    }
}
