package org.mailhygiene.scanners.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.shared.CounterStore;
import org.mailhygiene.api.shared.RateLimiter;
import org.mailhygiene.api.shared.SharedDataException;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.api.shared.TokenStore;
import org.mailhygiene.api.shared.VerdictStore;
import org.mailhygiene.testkit.FakeClock;
import org.mailhygiene.testkit.junit.SharedStateContract;

/** The shared-state contract through the guard: it must pass every operation on, the learn journal's included. */
class GuardedSharedStateContractTest implements SharedStateContract {
    private final FakeClock clock = FakeClock.start();
    private final GuardedSharedState state = new GuardedSharedState(new InProcessSharedState(clock), clock);

    @Override
    public SharedState state() {
        return state;
    }

    @Override
    public void advance(Duration d) {
        clock.advance(d);
    }

    @Override
    public SharedState disposableState() {
        return new GuardedSharedState(new InProcessSharedState(clock), clock);
    }

    @Override
    public SharedState journalLimited(int limit) {
        return new GuardedSharedState(new InProcessSharedState(clock, limit), clock);
    }

    @Test
    void aCallersErrorInATokenStoreCallDoesNotMarkTheStoreDown() throws Exception {
        TokenStore t = state.tokens();
        List<String> withNull = Arrays.asList("a", null);
        assertThatThrownBy(() -> t.learn(null, "key", List.of("a"), true)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> t.learn("m", "key", withNull, true)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> t.learn("m", "key", null, true)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> t.unlearn("m", "key", withNull)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> t.learned(null, "key")).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> t.learn("m", withNull, true)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> t.version(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> t.snapshot(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> t.learn("m", "two words", List.of("a"), true))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(state.available()).as("the store is still up").isTrue();
        assertThat(state.outages()).isZero();
        assertThat(t.learn("m", "key", List.of("a"), true)).isTrue();
    }

    /**
     * Unusable data (the store answered) is that call's failure, not an outage: the store stays up for every other
     * call, and a probe of a down store that meets unusable data finds the store reachable.
     */
    @Test
    void unusableDataIsNoOutage() throws Exception {
        InProcessSharedState inner = new InProcessSharedState(clock);
        boolean[] unreachable = {false};
        SharedState flaky = new SharedState() {
            @Override
            public String description() {
                return "flaky";
            }

            @Override
            public VerdictStore verdicts() {
                return new VerdictStore() {
                    @Override
                    public Optional<Verdict> get(String identity, String sha256) throws SharedStateException {
                        if (unreachable[0]) {
                            throw new SharedStateException("connection refused");
                        }
                        if (identity.equals("bad")) {
                            throw new SharedDataException("mh:v:bad holds a list");
                        }
                        return inner.verdicts().get(identity, sha256);
                    }

                    @Override
                    public void put(String identity, String sha256, Verdict verdict, Duration ttl)
                            throws SharedStateException {
                        inner.verdicts().put(identity, sha256, verdict, ttl);
                    }

                    @Override
                    public boolean tryLease(String identity, String sha256, String owner, Duration lease)
                            throws SharedStateException {
                        return inner.verdicts().tryLease(identity, sha256, owner, lease);
                    }

                    @Override
                    public boolean leaseHeld(String identity, String sha256) throws SharedStateException {
                        return inner.verdicts().leaseHeld(identity, sha256);
                    }

                    @Override
                    public void release(String identity, String sha256, String owner) throws SharedStateException {
                        inner.verdicts().release(identity, sha256, owner);
                    }

                    @Override
                    public boolean renewLease(String identity, String sha256, String owner, Duration lease)
                            throws SharedStateException {
                        return inner.verdicts().renewLease(identity, sha256, owner, lease);
                    }
                };
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
                if (unreachable[0]) {
                    throw new SharedStateException("connection refused");
                }
            }

            @Override
            public void close() {}
        };
        GuardedSharedState guarded = new GuardedSharedState(flaky, clock);
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> guarded.verdicts().get("bad", "ab")).isInstanceOf(SharedDataException.class);
        }
        assertThat(guarded.available()).isTrue();
        assertThat(guarded.outages()).isZero();
        assertThat(guarded.fallbacks()).isEqualTo(3);
        assertThat(guarded.verdicts().get("good", "ab")).isEmpty();

        unreachable[0] = true;
        assertThatThrownBy(() -> guarded.verdicts().get("good", "ab")).isInstanceOf(SharedStateException.class);
        assertThat(guarded.available()).isFalse();
        // why, for /health (which said only "unreachable" of a store that answered READONLY or OOM: session 41)
        assertThat(guarded.downReason()).hasValueSatisfying(r -> assertThat(r).contains("connection refused"));
        assertThat(guarded.outages()).isEqualTo(1);
        unreachable[0] = false;
        clock.advance(GuardedSharedState.FIRST_BACKOFF);
        // the probe meets unusable data: the store answered, so it is up again
        assertThatThrownBy(() -> guarded.verdicts().get("bad", "ab")).isInstanceOf(SharedDataException.class);
        assertThat(guarded.available()).isTrue();
        assertThat(guarded.downReason()).isEmpty();
        assertThat(guarded.verdicts().get("good", "ab")).isEmpty();
        assertThat(guarded.outages()).isEqualTo(1);
    }
}
