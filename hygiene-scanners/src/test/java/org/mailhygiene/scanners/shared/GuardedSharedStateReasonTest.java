package org.mailhygiene.scanners.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.shared.CounterStore;
import org.mailhygiene.api.shared.RateLimiter;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.api.shared.TokenStore;
import org.mailhygiene.api.shared.VerdictStore;
import org.mailhygiene.testkit.FakeClock;

/**
 * A Redis killed and started again with a {@code requirepass} the nodes do not have: the outage was logged with the
 * first failure ({@code Unexpected end of stream}) and the probes' {@code NOAUTH Authentication required} never
 * appeared in the log, so an administrator looked for a Redis that was down when it was up and refusing the node.
 * Now a probe that fails for another reason is logged once for that reason.
 */
class GuardedSharedStateReasonTest {
    private final FakeClock clock = FakeClock.start();

    private static SharedState failingWith(InProcessSharedState inner, String name, AtomicReference<String> failure) {
        return new SharedState() {
            @Override
            public String description() {
                return name;
            }

            @Override
            public VerdictStore verdicts() {
                return inner.verdicts();
            }

            @Override
            public RateLimiter limiter() {
                return inner.limiter();
            }

            @Override
            public CounterStore counters() {
                return inner.counters();
            }

            @Override
            public TokenStore tokens() {
                return inner.tokens();
            }

            @Override
            public void ping() throws SharedStateException {
                String f = failure.get();
                if (f != null) {
                    throw new SharedStateException(name + ": PING failed: " + f);
                }
            }

            @Override
            public void close() {}
        };
    }

    @Test
    void aProbeFailingForAnotherReasonIsLoggedOnceForIt() throws Exception {
        String name = "store-" + UUID.randomUUID();
        AtomicReference<String> failure = new AtomicReference<>("Unexpected end of stream.");
        GuardedSharedState guarded =
                new GuardedSharedState(failingWith(new InProcessSharedState(clock), name, failure), clock);
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        // slf4j-simple writes each line to the System.err of the moment
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertThatThrownBy(guarded::ping).isInstanceOf(SharedStateException.class);
            clock.advance(GuardedSharedState.FIRST_BACKOFF);
            assertThatThrownBy(guarded::ping).isInstanceOf(SharedStateException.class); // the same reason again
            failure.set("NOAUTH Authentication required.");
            for (int i = 0; i < 5; i++) {
                clock.advance(GuardedSharedState.FIRST_BACKOFF);
                assertThatThrownBy(guarded::ping).isInstanceOf(SharedStateException.class);
            }
            failure.set(null);
            clock.advance(GuardedSharedState.FIRST_BACKOFF);
            guarded.ping();
        } finally {
            System.setErr(err);
        }
        assertThat(guarded.outages()).isEqualTo(1);
        List<String> lines = captured.toString(StandardCharsets.UTF_8)
                .lines()
                .filter(l -> l.contains(name) && (l.contains(" WARN ") || l.contains(" INFO ")))
                .toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0))
                .contains("WARN")
                .contains("failed (" + name + ": PING failed: Unexpected end of stream.)");
        assertThat(lines.get(1))
                .contains("WARN")
                .contains("is still down, now: " + name + ": PING failed: NOAUTH Authentication required.");
        assertThat(lines.get(2)).contains("INFO").contains("reachable again");
    }

    @Test
    void theReasonLeavesOutTheCallAndTheScriptPosition() {
        assertThat(GuardedSharedState.reason("redis://h:6379/0: rate limit failed: READONLY You can't write against a"
                        + " read only replica. script: ec5e03b8, on @user_script:15."))
                .isEqualTo("READONLY You can't write against a read only replica.");
        assertThat(GuardedSharedState.reason(
                        "redis://h:6379/0: SET NX failed: READONLY You can't write against a" + " read only replica."))
                .isEqualTo("READONLY You can't write against a read only replica.");
        assertThat(GuardedSharedState.reason("no colon here")).isEqualTo("no colon here");
    }
}
