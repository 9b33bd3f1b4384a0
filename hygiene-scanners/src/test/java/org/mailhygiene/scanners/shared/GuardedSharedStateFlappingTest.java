package org.mailhygiene.scanners.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.shared.CounterStore;
import org.mailhygiene.api.shared.RateLimiter;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.api.shared.TokenStore;
import org.mailhygiene.api.shared.VerdictStore;
import org.mailhygiene.testkit.FakeClock;

/**
 * A store that is partly down (a Redis Cluster with one shard lost: a probe that reaches a live shard succeeds, the
 * next call for a key on the dead one fails) goes up and down about once a second for as long as the shard stays
 * lost. Measured on a real cluster: 28 WARN and INFO lines in 30 s per node at 5 messages a second, without end. Now
 * the flapping is logged once, then at DEBUG, and its end once.
 */
class GuardedSharedStateFlappingTest {
    private final FakeClock clock = FakeClock.start();

    /** A store whose verdict keys starting with "dead" are on a lost shard. */
    private static SharedState partlyDown(InProcessSharedState inner, String name) {
        return new SharedState() {
            @Override
            public String description() {
                return name;
            }

            @Override
            public VerdictStore verdicts() {
                VerdictStore v = inner.verdicts();
                return new VerdictStore() {
                    @Override
                    public Optional<Verdict> get(String identity, String sha256) throws SharedStateException {
                        if (identity.startsWith("dead")) {
                            throw new SharedStateException(name + ": GET failed: Connection refused");
                        }
                        return v.get(identity, sha256);
                    }

                    @Override
                    public void put(String identity, String sha256, Verdict verdict, Duration ttl)
                            throws SharedStateException {
                        v.put(identity, sha256, verdict, ttl);
                    }

                    @Override
                    public boolean tryLease(String identity, String sha256, String owner, Duration lease)
                            throws SharedStateException {
                        return v.tryLease(identity, sha256, owner, lease);
                    }

                    @Override
                    public boolean leaseHeld(String identity, String sha256) throws SharedStateException {
                        return v.leaseHeld(identity, sha256);
                    }

                    @Override
                    public void release(String identity, String sha256, String owner) throws SharedStateException {
                        v.release(identity, sha256, owner);
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
            public void ping() {}

            @Override
            public void close() {}
        };
    }

    @Test
    void aStoreGoingUpAndDownIsLoggedOnceNotAtEveryTurn() throws Exception {
        String name = "cluster-" + UUID.randomUUID();
        GuardedSharedState guarded = new GuardedSharedState(partlyDown(new InProcessSharedState(clock), name), clock);
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        // slf4j-simple writes each line to the System.err of the moment
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertThat(guarded.verdicts().get("live", "ab")).isEmpty();
            int turns = 20;
            for (int i = 0; i < turns; i++) {
                assertThatThrownBy(() -> guarded.verdicts().get("dead", "ab")).isInstanceOf(SharedStateException.class);
                assertThat(guarded.available()).isFalse();
                clock.advance(GuardedSharedState.FIRST_BACKOFF);
                assertThat(guarded.verdicts().get("live", "ab"))
                        .as("the probe reaches a live shard")
                        .isEmpty();
                assertThat(guarded.available()).isTrue();
            }
            assertThat(guarded.outages()).as("every turn still counts").isEqualTo(turns);
            clock.advance(Duration.ofSeconds(30)); // GuardedSharedState.FLAP_WINDOW
            assertThat(guarded.verdicts().get("live", "ab")).isEmpty();
            // steady again: a new failure is a new outage, logged as such
            assertThatThrownBy(() -> guarded.verdicts().get("dead", "ab")).isInstanceOf(SharedStateException.class);
        } finally {
            System.setErr(err);
        }
        List<String> lines = captured.toString(StandardCharsets.UTF_8)
                .lines()
                .filter(l -> l.contains(name) && (l.contains(" WARN ") || l.contains(" INFO ")))
                .toList();
        assertThat(lines).hasSize(5);
        assertThat(lines.get(0)).contains("WARN").contains("failed (" + name + ": GET failed: Connection refused)");
        assertThat(lines.get(1)).contains("INFO").contains("reachable again");
        assertThat(lines.get(2))
                .contains("WARN")
                .contains("failed again 0 s after it came back")
                .contains("logged at DEBUG until it stays reachable for 30s");
        assertThat(lines.get(3)).contains("INFO").contains("has stayed reachable for 30s; sharing resumed");
        assertThat(lines.get(4)).contains("WARN").contains("failed (");
    }

    /**
     * The guard's back-off is an interval: a system clock is read through the monotonic one, so a step of the wall
     * clock cannot keep the store down; a test clock that steps back (the only kind that can reach the guard now)
     * makes the next call probe rather than wait until the clock catches up. Before, a wall clock set back an hour
     * kept sharing off for that hour: every node scanned alone and limited rates alone.
     */
    @Test
    void aClockSetBackDoesNotKeepTheStoreDown() throws Exception {
        assertThat(new GuardedSharedState(new InProcessSharedState(clock), java.time.Clock.systemUTC()).monotonic())
                .isTrue();
        assertThat(new GuardedSharedState(new InProcessSharedState(clock), java.time.Clock.systemDefaultZone())
                        .monotonic())
                .isTrue();
        assertThat(new GuardedSharedState(new InProcessSharedState(clock), clock).monotonic())
                .isFalse();

        String name = "store-" + UUID.randomUUID();
        GuardedSharedState guarded = new GuardedSharedState(partlyDown(new InProcessSharedState(clock), name), clock);
        assertThatThrownBy(() -> guarded.verdicts().get("dead", "ab")).isInstanceOf(SharedStateException.class);
        assertThatThrownBy(() -> guarded.verdicts().get("live", "ab"))
                .as("within the back-off the store is not asked")
                .hasMessageContaining("is down");
        clock.set(clock.instant().minus(Duration.ofHours(1)));
        assertThat(guarded.verdicts().get("live", "ab"))
                .as("the clock went back an hour: the next call probes")
                .isEmpty();
        assertThat(guarded.available()).isTrue();
    }

    /**
     * The probe schedule: every second through the failover window (a Sentinel promotion after 4 s is found at 4-5 s,
     * not at the 7 s probe of a doubling back-off), then doubling up to the maximum.
     */
    @Test
    void aDownStoreIsProbedEverySecondThroughTheFailoverWindowThenLessOften() throws Exception {
        String name = "store-" + UUID.randomUUID();
        GuardedSharedState guarded = new GuardedSharedState(partlyDown(new InProcessSharedState(clock), name), clock);
        java.time.Instant start = clock.instant();
        assertThatThrownBy(() -> guarded.verdicts().get("dead", "ab")).isInstanceOf(SharedStateException.class);
        List<Long> probes = new java.util.ArrayList<>();
        long before = guarded.fallbacks();
        for (int ms = 0; ms <= 90_000; ms += 100) {
            clock.set(start.plusMillis(ms));
            try {
                guarded.verdicts().get("dead", "ab");
            } catch (SharedStateException e) {
                if (!e.getMessage().contains("is down")) {
                    probes.add((long) ms); // it went to the store (a probe) and failed there
                }
            }
        }
        assertThat(guarded.fallbacks()).isGreaterThan(before);
        assertThat(probes.subList(0, 15))
                .as("every second through the window")
                .containsExactly(
                        1000L, 2000L, 3000L, 4000L, 5000L, 6000L, 7000L, 8000L, 9000L, 10_000L, 11_000L, 12_000L,
                        13_000L, 14_000L, 15_000L);
        assertThat(probes.subList(15, probes.size()))
                .as("then doubling to at most 30 s")
                .containsExactly(17_000L, 21_000L, 29_000L, 45_000L, 75_000L);
    }
}
