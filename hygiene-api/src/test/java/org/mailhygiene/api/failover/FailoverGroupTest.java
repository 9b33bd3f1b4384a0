package org.mailhygiene.api.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.events.HygieneListener;

class FailoverGroupTest {
    private final MutableClock clock = new MutableClock();

    private FailoverGroup.Builder<String> group(List<Integer> priorities) {
        FailoverGroup.Builder<String> b = FailoverGroup.<String>builder("g").clock(clock);
        for (int i = 0; i < priorities.size(); i++) {
            b.member("m" + i, "m" + i, priorities.get(i));
        }
        return b;
    }

    /** A member's error that names the member already is not prefixed with it a second time. */
    @Test
    void theMessageNamesEachMemberOnce() {
        FailoverException e = new FailoverException(
                "clamd",
                FailoverException.Reason.EXHAUSTED,
                List.of(
                        new FailoverException.Attempt(
                                "127.0.0.1:3310",
                                new IOException("127.0.0.1:3310: connect failed: Connection refused")),
                        new FailoverException.Attempt(
                                "10.0.0.2:783", new IOException("cannot connect to spamd 10.0.0.2:783: timed out")),
                        new FailoverException.Attempt("b", new IOException("Connection reset"))));
        assertThat(e.getMessage())
                .isEqualTo("clamd: every member failed; 127.0.0.1:3310: connect failed: Connection refused; cannot"
                        + " connect to spamd 10.0.0.2:783: timed out; b: Connection reset");
    }

    /**
     * With every member in back-off no member is tried, and the message says which members are down, for how much
     * longer and why: the tempfail built from it named no member before.
     */
    @Test
    void allDownNamesEachMemberItsBackOffLeftAndItsLastError() throws Exception {
        FailoverGroup<String> g = group(List.of(0, 1, 2)).build();
        assertThatThrownBy(() -> g.call((m, remaining) -> {
                    throw new IOException(m.equals("m0") ? "m0: connect failed: Connection refused" : "reset");
                }))
                .isInstanceOf(FailoverException.class);
        g.markDown("m2", "told so"); // its second failure: 60 s
        clock.advance(Duration.ofMillis(10_500));
        assertThatThrownBy(() -> g.call((m, remaining) -> "never"))
                .isInstanceOfSatisfying(FailoverException.class, e -> {
                    assertThat(e.reason()).isEqualTo(FailoverException.Reason.ALL_DOWN);
                    assertThat(e.attempts()).isEmpty();
                    assertThat(e.getMessage())
                            .isEqualTo("g: all members are down; m0: connect failed: Connection refused (in back-off"
                                    + " for 20s more); m1: reset (in back-off for 20s more); m2: told so (in back-off"
                                    + " for 50s more)");
                });
    }

    /** A call that tried only the members not in back-off says so of the others, not "every member failed" alone. */
    @Test
    void exhaustedNamesTheMembersInBackOffThatWereNotTried() {
        FailoverGroup<String> g = group(List.of(0, 1)).build();
        g.markDown("m0", "m0: connect failed: Connection refused");
        clock.advance(Duration.ofSeconds(5));
        assertThatThrownBy(() -> g.call((m, remaining) -> {
                    throw new IOException("reset");
                }))
                .isInstanceOfSatisfying(FailoverException.class, e -> {
                    assertThat(e.reason()).isEqualTo(FailoverException.Reason.EXHAUSTED);
                    assertThat(e.attempts())
                            .extracting(FailoverException.Attempt::member)
                            .containsExactly("m1");
                    assertThat(e.getMessage())
                            .isEqualTo("g: every member failed; m1: reset; m0: connect failed: Connection refused (in"
                                    + " back-off for 25s more)");
                });
    }

    @Test
    void neverPicksAMemberInBackOffWhileAnAvailableOneExists() {
        qt().withExamples(300)
                .forAll(
                        lists().of(integers().between(0, 2)).ofSizeBetween(1, 6),
                        lists().of(integers().between(0, 1)).ofSizeBetween(6, 6))
                .checkAssert((priorities, downFlags) -> {
                    FailoverGroup<String> g = group(priorities).build();
                    List<String> available = new ArrayList<>();
                    for (int i = 0; i < priorities.size(); i++) {
                        if (downFlags.get(i) == 1) {
                            g.markDown("m" + i, "test");
                        } else {
                            available.add("m" + i);
                        }
                    }
                    AtomicInteger calls = new AtomicInteger();
                    try {
                        String chosen = g.call((m, remaining) -> {
                            calls.incrementAndGet();
                            return m;
                        });
                        assertThat(available).contains(chosen);
                        int best = available.stream()
                                .mapToInt(n -> priorities.get(Integer.parseInt(n.substring(1))))
                                .min()
                                .orElseThrow();
                        assertThat(priorities.get(Integer.parseInt(chosen.substring(1))))
                                .isEqualTo(best);
                    } catch (FailoverException e) {
                        assertThat(available).isEmpty();
                        assertThat(e.reason()).isEqualTo(FailoverException.Reason.ALL_DOWN);
                        assertThat(e.attempts()).isEmpty();
                        assertThat(calls).hasValue(0);
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                });
    }

    @Test
    void failingMembersAreSkippedAndTheNextOneIsTried() throws Exception {
        List<String> events = new ArrayList<>();
        FailoverGroup<String> g = group(List.of(0, 1, 2))
                .listener(new HygieneListener() {
                    @Override
                    public void failover(String group, String from, String to, String reason) {
                        events.add("failover " + from + "->" + to + " " + reason);
                    }

                    @Override
                    public void memberDown(String group, String member, String reason, Duration backoff) {
                        events.add("down " + member + " " + backoff);
                    }

                    @Override
                    public void memberUp(String group, String member) {
                        events.add("up " + member);
                    }
                })
                .build();
        List<String> tried = new ArrayList<>();
        String r = g.call((m, remaining) -> {
            tried.add(m);
            if (!m.equals("m2")) {
                throw new IOException(m + " refused");
            }
            return m;
        });
        assertThat(r).isEqualTo("m2");
        assertThat(tried).containsExactly("m0", "m1", "m2");
        assertThat(events)
                .containsExactly(
                        "down m0 PT30S", "failover m0->m1 m0 refused", "down m1 PT30S", "failover m1->m2 m1 refused");
        // Next call: the failed members are in back-off, so m2 is used at once.
        tried.clear();
        assertThat(g.<String>call((m, remaining) -> m)).isEqualTo("m2");
        List<FailoverGroup.MemberState> states = g.members();
        assertThat(states.get(0).available()).isFalse();
        assertThat(states.get(0).consecutiveFailures()).isEqualTo(1);
        assertThat(states.get(0).lastError()).contains("m0 refused");
        assertThat(states.get(0).downUntil()).contains(clock.instant().plus(Duration.ofSeconds(30)));
    }

    @Test
    void everyMemberFailingIsExhausted() {
        FailoverGroup<String> g = group(List.of(0, 0)).build();
        assertThatThrownBy(() -> g.call((m, remaining) -> {
                    throw new IOException("no");
                }))
                .isInstanceOfSatisfying(FailoverException.class, e -> {
                    assertThat(e.reason()).isEqualTo(FailoverException.Reason.EXHAUSTED);
                    assertThat(e.attempts()).hasSize(2);
                    assertThat(e.getCause()).hasMessage("no");
                });
        assertThatThrownBy(() -> g.<String>call((m, remaining) -> m))
                .isInstanceOfSatisfying(
                        FailoverException.class,
                        e -> assertThat(e.reason()).isEqualTo(FailoverException.Reason.ALL_DOWN));
    }

    @Test
    void recoveryAfterBackOffDrivenByTheClock() {
        qt().withExamples(100)
                .forAll(integers().between(1, 6), integers().between(1, 120))
                .checkAssert((failures, initialSeconds) -> {
                    Duration initial = Duration.ofSeconds(initialSeconds);
                    Duration max = Duration.ofMinutes(10);
                    FailoverGroup<String> g = group(List.of(0, 1))
                            .initialBackoff(initial)
                            .maxBackoff(max)
                            .build();
                    for (int i = 0; i < failures; i++) {
                        g.markDown("m0", "fail " + i);
                    }
                    Duration expected = initial.multipliedBy(1L << (failures - 1));
                    if (expected.compareTo(max) > 0) {
                        expected = max;
                    }
                    try {
                        clock.advance(expected.minusNanos(1));
                        assertThat(g.<String>call((m, remaining) -> m)).isEqualTo("m1");
                        clock.advance(Duration.ofNanos(1));
                        assertThat(g.members().get(0).available()).isTrue();
                        assertThat(g.<String>call((m, remaining) -> m)).isEqualTo("m0");
                        assertThat(g.members().get(0).consecutiveFailures()).isZero();
                        assertThat(g.members().get(0).downUntil()).isEmpty();
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
    }

    @Test
    void probeBringsRecoveredMembersBack() {
        List<String> ups = new ArrayList<>();
        FailoverGroup<String> g = group(List.of(0, 1))
                .listener(new HygieneListener() {
                    @Override
                    public void memberUp(String group, String member) {
                        ups.add(member);
                    }
                })
                .build();
        g.markDown("m0", "down");
        assertThat(g.probe(m -> true)).isEmpty(); // still inside its back-off: not probed
        clock.advance(Duration.ofSeconds(30));
        assertThat(g.probe(m -> false)).isEmpty();
        assertThat(g.members().get(0).consecutiveFailures()).isEqualTo(2);
        clock.advance(Duration.ofSeconds(60));
        assertThat(g.probe(m -> {
                    throw new IllegalStateException("probe broke");
                }))
                .isEmpty();
        assertThat(g.members().get(0).lastError())
                .hasValueSatisfying(s -> assertThat(s).contains("probe broke"));
        clock.advance(Duration.ofSeconds(120));
        assertThat(g.probe(m -> true)).containsExactly("m0");
        assertThat(ups).containsExactly("m0");
        g.markDown("m1", "x");
        g.markUp("m1");
        assertThat(g.members().get(1).available()).isTrue();
        assertThatThrownBy(() -> g.markDown("nobody", "x")).hasMessageContaining("no member named nobody");
    }

    @Test
    void roundRobinAmongEqualPriorities() throws Exception {
        qt().withExamples(50)
                .forAll(integers().between(1, 5), integers().between(1, 10))
                .checkAssert((k, rounds) -> {
                    List<Integer> priorities = new ArrayList<>();
                    for (int i = 0; i < k; i++) {
                        priorities.add(3);
                    }
                    priorities.add(7); // a backup that must never be used while the others are up
                    FailoverGroup<String> g = group(priorities).build();
                    Map<String, Integer> counts = new HashMap<>();
                    try {
                        for (int i = 0; i < k * rounds; i++) {
                            counts.merge(g.<String>call((m, remaining) -> m), 1, Integer::sum);
                        }
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                    assertThat(counts).hasSize(k).doesNotContainKey("m" + k);
                    assertThat(counts.values()).containsOnly(rounds);
                });
    }

    @Test
    void theDeadlineBoundsTheWholeCall() {
        FailoverGroup<String> g =
                group(List.of(0, 1)).deadline(Duration.ofSeconds(10)).build();
        List<Duration> remainings = new ArrayList<>();
        List<String> tried = new ArrayList<>();
        assertThatThrownBy(() -> g.call((m, remaining) -> {
                    tried.add(m);
                    remainings.add(remaining);
                    clock.advance(Duration.ofSeconds(10));
                    throw new IOException("slow and failed");
                }))
                .isInstanceOfSatisfying(
                        FailoverException.class,
                        e -> assertThat(e.reason()).isEqualTo(FailoverException.Reason.DEADLINE_EXCEEDED));
        assertThat(tried).containsExactly("m0");
        assertThat(remainings).containsExactly(Duration.ofSeconds(10));
    }

    @Test
    void eachMemberGetsTheRemainingTime() throws Exception {
        FailoverGroup<String> g = group(List.of(0, 1)).build();
        List<Duration> remainings = new ArrayList<>();
        g.call((m, remaining) -> {
            remainings.add(remaining);
            if (m.equals("m0")) {
                clock.advance(Duration.ofSeconds(45));
                throw new IOException("timeout");
            }
            return m;
        });
        // Documented default deadline: 2 minutes.
        assertThat(remainings).containsExactly(Duration.ofMinutes(2), Duration.ofSeconds(75));
    }

    @Test
    void notRetryableFailuresEndTheCallAndLeaveTheMemberUp() {
        FailoverGroup<String> g = group(List.of(0, 1))
                .failoverWhen(e -> !(e instanceof IllegalArgumentException))
                .build();
        List<String> tried = new ArrayList<>();
        assertThatThrownBy(() -> g.call((m, remaining) -> {
                    tried.add(m);
                    throw new IllegalArgumentException("message too large");
                }))
                .isInstanceOfSatisfying(FailoverException.class, e -> {
                    assertThat(e.reason()).isEqualTo(FailoverException.Reason.NOT_RETRYABLE);
                    assertThat(e.attempts())
                            .extracting(FailoverException.Attempt::member)
                            .containsExactly("m0");
                });
        assertThat(tried).containsExactly("m0");
        assertThat(g.members()).allSatisfy(s -> {
            assertThat(s.available()).isTrue();
            assertThat(s.consecutiveFailures()).isZero();
        });
    }

    @Test
    void interruptionStopsTheCallWithoutMarkingTheMemberDown() {
        FailoverGroup<String> g = group(List.of(0, 1)).build();
        assertThatThrownBy(() -> g.call((m, remaining) -> {
                    throw new InterruptedException("stop");
                }))
                .isInstanceOf(InterruptedException.class);
        assertThat(Thread.interrupted()).isTrue();
        assertThat(g.members()).allSatisfy(s -> assertThat(s.available()).isTrue());
    }

    @Test
    void builderValidatesAndDefaultsAreTheDocumentedOnes() {
        assertThatThrownBy(() -> FailoverGroup.builder(" ")).hasMessageContaining("blank");
        assertThatThrownBy(() -> FailoverGroup.<String>builder("g").build()).hasMessageContaining("at least one");
        assertThatThrownBy(() ->
                        FailoverGroup.<String>builder("g").member("a", "a", 0).member("a", "b", 0))
                .hasMessageContaining("duplicate member name a");
        assertThatThrownBy(() -> FailoverGroup.<String>builder("g").initialBackoff(Duration.ZERO))
                .hasMessageContaining("initialBackoff must be positive");
        // A conflict between two explicit settings is refused by build(), in either order...
        assertThatThrownBy(() -> FailoverGroup.<String>builder("g")
                        .member("a", "a", 0)
                        .maxBackoff(Duration.ofMinutes(1))
                        .initialBackoff(Duration.ofMinutes(2))
                        .build())
                .hasMessageContaining("exceeds maxBackoff");
        assertThatThrownBy(() -> FailoverGroup.<String>builder("g")
                        .member("a", "a", 0)
                        .initialBackoff(Duration.ofMinutes(2))
                        .maxBackoff(Duration.ofMinutes(1))
                        .build())
                .hasMessageContaining("exceeds maxBackoff");
        // ...while a default yields to an explicit setting, whatever the order of the calls.
        FailoverGroup<String> shortMax = FailoverGroup.<String>builder("g")
                .clock(clock)
                .member("a", "a", 0)
                .maxBackoff(Duration.ofSeconds(5))
                .build();
        shortMax.markDown("a", "x");
        assertThat(shortMax.members().get(0).downUntil())
                .contains(clock.instant().plus(Duration.ofSeconds(5)));
        FailoverGroup<String> longInitial = FailoverGroup.<String>builder("g")
                .clock(clock)
                .member("a", "a", 0)
                .initialBackoff(Duration.ofMinutes(11))
                .build();
        longInitial.markDown("a", "x");
        longInitial.markDown("a", "x");
        assertThat(longInitial.members().get(0).downUntil())
                .contains(clock.instant().plus(Duration.ofMinutes(11)));
        assertThatThrownBy(() -> FailoverGroup.<String>builder("g").deadline(Duration.ofSeconds(-1)))
                .hasMessageContaining("deadline must be positive");
        FailoverGroup<String> g = group(List.of(5, 1, 3)).build();
        assertThat(g.values()).containsExactly("m1", "m2", "m0");
        assertThat(g.name()).isEqualTo("g");
        // Default back-off: 30 s, doubling, capped at 10 min.
        for (int i = 0; i < 8; i++) {
            g.markDown("m0", "x");
        }
        assertThat(g.members().get(0).downUntil()).contains(clock.instant().plus(Duration.ofMinutes(10)));
        g.markDown("m1", "x");
        assertThat(g.members().get(1).downUntil()).contains(clock.instant().plus(Duration.ofSeconds(30)));
    }

    @Test
    void aFailureSeenByManyCallsInFlightCountsOnce() throws Exception {
        List<String> downs = new ArrayList<>();
        FailoverGroup<String> g = group(List.of(0))
                .initialBackoff(Duration.ofSeconds(30))
                .listener(new HygieneListener() {
                    @Override
                    public void memberDown(String group, String member, String reason, Duration backoff) {
                        downs.add(member + " " + backoff);
                    }
                })
                .build();
        int inFlight = 8;
        java.util.concurrent.CountDownLatch allIn = new java.util.concurrent.CountDownLatch(inFlight);
        java.util.concurrent.CountDownLatch outage = new java.util.concurrent.CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < inFlight; i++) {
            Thread t = new Thread(() -> {
                try {
                    g.call((m, remaining) -> {
                        allIn.countDown();
                        outage.await();
                        throw new IOException("connection reset");
                    });
                } catch (FailoverException | InterruptedException expected) {
                    // every call fails
                }
            });
            t.start();
            threads.add(t);
        }
        allIn.await();
        outage.countDown();
        for (Thread t : threads) {
            t.join();
        }

        FailoverGroup.MemberState s = g.members().get(0);
        assertThat(s.consecutiveFailures()).isEqualTo(1);
        assertThat(s.downUntil()).contains(clock.instant().plus(Duration.ofSeconds(30)));
        assertThat(downs).containsExactly("m0 PT30S");
    }

    @Test
    void probeDownBringsAMemberBackInsideItsBackOffAndAFailedProbeChangesNothing() throws Exception {
        List<String> events = new ArrayList<>();
        FailoverGroup<String> g = group(List.of(0))
                .listener(new HygieneListener() {
                    @Override
                    public void memberDown(String group, String member, String reason, Duration backoff) {
                        events.add("down " + member);
                    }

                    @Override
                    public void memberUp(String group, String member) {
                        events.add("up " + member);
                    }
                })
                .build();
        g.markDown("m0", "refused");
        FailoverGroup.MemberState before = g.members().get(0);

        assertThat(g.probeDown(m -> false)).isEmpty();
        assertThat(g.probeDown(m -> {
                    throw new IllegalStateException("boom");
                }))
                .isEmpty();
        assertThat(g.members().get(0)).isEqualTo(before);

        assertThat(g.probeDown(m -> true)).containsExactly("m0");
        assertThat(g.members().get(0).available()).isTrue();
        assertThat(g.members().get(0).consecutiveFailures()).isZero();
        assertThat(g.probeDown(m -> true)).isEmpty(); // up members are not probed
        assertThat(events).containsExactly("down m0", "up m0");
    }

    @Test
    void aFailureAfterTheMemberCameBackCountsAgain() throws Exception {
        FailoverGroup<String> g = group(List.of(0)).build();
        g.markDown("m0", "first");
        g.markUp("m0");
        assertThatThrownBy(() -> g.call((m, r) -> {
                    throw new IOException("again");
                }))
                .isInstanceOf(FailoverException.class);
        assertThat(g.members().get(0).consecutiveFailures()).isEqualTo(1);
        assertThat(g.members().get(0).available()).isFalse();
    }

    @Test
    void aStepOfTheWallClockNeitherKeepsAMemberDownNorStretchesTheDeadline() throws Exception {
        AtomicLong nanos = new AtomicLong(-5_000_000_000L); // any origin, negative too
        FailoverGroup<String> g = group(List.of(0, 1))
                .ticker(nanos::get)
                .deadline(Duration.ofSeconds(10))
                .build();
        g.markDown("m0", "refused");
        assertThat(g.members().get(0).downUntil()).contains(clock.instant().plusSeconds(30));

        clock.advance(Duration.ofHours(-1)); // NTP steps the wall clock back an hour
        nanos.addAndGet(Duration.ofSeconds(30).toNanos());
        assertThat(g.members().get(0).available()).isTrue();
        assertThat(g.members().get(0).downUntil()).contains(clock.instant()); // reported on the wall clock read now
        String chosen = g.call((m, r) -> m);
        assertThat(chosen).isEqualTo("m0");

        // in a call: the wall clock going back does not give the next member more time, the monotonic time counts
        List<Duration> given = new ArrayList<>();
        assertThatThrownBy(() -> g.call((m, remaining) -> {
                    given.add(remaining);
                    clock.advance(Duration.ofHours(-1));
                    nanos.addAndGet(Duration.ofSeconds(4).toNanos());
                    throw new IOException(m + " failed");
                }))
                .isInstanceOf(FailoverException.class);
        assertThat(given).containsExactly(Duration.ofSeconds(10), Duration.ofSeconds(6));
        // and going forward a day does not end a back-off early
        clock.advance(Duration.ofDays(1));
        assertThat(g.members()).noneMatch(FailoverGroup.MemberState::available);
    }

    @Test
    void aSystemClockOfAnyZoneMeansMonotonicTimeAnyOtherClockItsOwn() throws Exception {
        assertThat(FailoverGroup.<String>builder("g")
                        .member("a", "a", 0)
                        .build()
                        .monotonic())
                .isTrue();
        assertThat(FailoverGroup.<String>builder("g")
                        .member("a", "a", 0)
                        .clock(java.time.Clock.system(java.time.ZoneId.of("Asia/Tokyo")))
                        .build()
                        .monotonic())
                .isTrue();
        FailoverGroup<String> own = group(List.of(0)).build();
        assertThat(own.monotonic()).isFalse();
        own.markDown("m0", "refused");
        clock.advance(Duration.ofSeconds(30));
        assertThat(own.members().get(0).available()).isTrue();
        // a back-off and a deadline longer than any long of nanoseconds are capped, not overflowed
        FailoverGroup<String> huge = group(List.of(0))
                .initialBackoff(Duration.ofDays(365L * 1000))
                .maxBackoff(Duration.ofDays(365L * 1000))
                .deadline(Duration.ofDays(365L * 1000))
                .build();
        Duration given = huge.call((m, r) -> r);
        assertThat(given).isGreaterThan(Duration.ofDays(365L * 70));
        huge.markDown("m0", "refused");
        clock.advance(Duration.ofDays(365L * 50));
        assertThat(huge.members().get(0).available()).isFalse();
    }
}
