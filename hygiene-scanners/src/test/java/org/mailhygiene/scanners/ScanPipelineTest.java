package org.mailhygiene.scanners;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.ScanResult;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.events.StatisticsRecorder;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.DefaultPolicy;
import org.mailhygiene.internal.Durations;
import org.mailhygiene.scanners.builtin.SignatureScanner;
import org.mailhygiene.testkit.Await;

class ScanPipelineTest {
    private final List<ScanPipeline> pipelines = new ArrayList<>();
    private final ExecutorService callers = Executors.newCachedThreadPool();

    @AfterEach
    void closeAll() {
        pipelines.forEach(ScanPipeline::close);
        callers.shutdownNow();
    }

    private ScanPipeline track(ScanPipeline p) {
        pipelines.add(p);
        return p;
    }

    private static Message message(String body) {
        return Message.of(TestMessages.text(body));
    }

    private static Verdict clean(String scanner) {
        return Verdict.clean(scanner, Duration.ZERO);
    }

    private static Verdict infected(String scanner) {
        return Verdict.infected(scanner, List.of("Test.Virus"), Duration.ZERO);
    }

    @Test
    void builderValidatesAndDefaultsAreTheDocumentedOnes() {
        assertThatThrownBy(() -> ScanPipeline.builder().build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("at least one scanner");
        TestScanner a = TestScanner.uncached("a", m -> clean("a"));
        assertThatThrownBy(() -> ScanPipeline.builder().scanner(a).scanner(TestScanner.uncached("a", m -> null)))
                .hasMessageContaining("duplicate scanner name 'a'");
        assertThatThrownBy(() -> ScanPipeline.builder().deadline(Duration.ZERO)).hasMessageContaining("deadline");
        assertThatThrownBy(() -> ScanPipeline.builder().deadline(Duration.ofSeconds(-1)))
                .hasMessageContaining("deadline");
        assertThat(ScanPipeline.DEFAULT_DEADLINE).isEqualTo(Duration.ofMinutes(2));
        ScanPipeline p = track(ScanPipeline.builder().scanner(a).build());
        assertThat(p.cache()).isPresent();
        assertThat(p.cache().get().maximumSize()).isEqualTo(10_000);
        assertThat(p.cache().get().expireAfterWrite()).isEqualTo(Duration.ofHours(1));
        assertThat(p.scanners()).containsExactly(a);
        assertThat(track(ScanPipeline.builder().scanner(a).noCache().build()).cache())
                .isEmpty();
    }

    @Test
    void scannersRunConcurrentlyByDefault() throws Exception {
        CountDownLatch bothStarted = new CountDownLatch(2);
        TestScanner.Behaviour waitForOther = m -> {
            bothStarted.countDown();
            if (!bothStarted.await(10, TimeUnit.SECONDS)) {
                throw ScanException.of("x", ScanFailure.Kind.TIMED_OUT, "the other scanner never started", null);
            }
            return clean("x");
        };
        ScanPipeline p = track(ScanPipeline.builder()
                .scanner(TestScanner.uncached("a", waitForOther))
                .scanner(TestScanner.uncached("b", waitForOther))
                .build());
        ScanReport r = p.scan(message("hi"));
        assertThat(r.verdicts()).hasSize(2);
        assertThat(r.disposition().action()).isEqualTo(Action.ACCEPT);
    }

    @Test
    void stopOnFirstInfectionRunsInOrderAndSkipsTheRest() throws Exception {
        TestScanner a = TestScanner.uncached("a", m -> clean("a"));
        TestScanner b = TestScanner.uncached("b", m -> infected("b"));
        TestScanner c = TestScanner.uncached("c", m -> clean("c"));
        RecordingListener events = new RecordingListener();
        ScanPipeline p = track(ScanPipeline.builder()
                .scanners(List.of(a, b, c))
                .stopOnFirstInfection(true)
                .listener(events)
                .build());
        ScanReport r = p.scan(message("x"));
        assertThat(r.results()).extracting(ScanResult::scanner).containsExactly("a", "b");
        assertThat(c.calls).hasValue(0);
        assertThat(r.disposition().action()).isEqualTo(Action.REJECT);
        assertThat(events.events())
                .containsExactly(
                        "started:a", "finished:a:CLEAN", "started:b", "finished:b:INFECTED", "disposition:REJECT");
    }

    @Test
    void runtimeExceptionsAndNullVerdictsAreScannerErrors() throws Exception {
        ScanPipeline p = track(ScanPipeline.builder()
                .scanner(TestScanner.uncached("boom", m -> {
                    throw new IllegalStateException("bug");
                }))
                .scanner(TestScanner.uncached("null", m -> null))
                .scanner(TestScanner.uncached("ok", m -> clean("ok")))
                .build());
        ScanReport r = p.scan(message("x"));
        assertThat(r.failures())
                .extracting(ScanFailure::scanner, ScanFailure::kind)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("boom", ScanFailure.Kind.SCANNER_ERROR),
                        org.assertj.core.groups.Tuple.tuple("null", ScanFailure.Kind.SCANNER_ERROR));
        assertThat(r.failures().get(0).detail()).contains("bug");
        assertThat(r.disposition().action()).isEqualTo(Action.TEMPFAIL);
    }

    @Test
    void aScannerStillRunningAtTheDeadlineTimesOutAndIsInterrupted() throws Exception {
        // The fast scanner must finish within the deadline, which a busy machine may not allow in 200 ms: a run in
        // which it did not proves nothing and is repeated with twice the deadline (the slow one never finishes).
        for (Duration deadline = Duration.ofMillis(200); ; deadline = deadline.multipliedBy(2)) {
            CountDownLatch interrupted = new CountDownLatch(1);
            TestScanner slow = TestScanner.uncached("slow", m -> {
                try {
                    new CountDownLatch(1).await();
                } catch (InterruptedException e) {
                    interrupted.countDown();
                    throw e;
                }
                return clean("slow");
            });
            RecordingListener events = new RecordingListener();
            ScanPipeline p = track(ScanPipeline.builder()
                    .scanner(slow)
                    .scanner(TestScanner.uncached("fast", m -> clean("fast")))
                    .deadline(deadline)
                    .listener(events)
                    .build());
            ScanReport r = p.scan(message("x"));
            String limit = Durations.format(deadline);
            if (r.results().get(1).isFailure() && deadline.compareTo(Duration.ofSeconds(30)) < 0) {
                continue;
            }
            assertThat(r.results().get(0)).isInstanceOfSatisfying(ScanFailure.class, f -> {
                assertThat(f.kind()).isEqualTo(ScanFailure.Kind.TIMED_OUT);
                // the deadline as a config file writes it (200ms), not ISO-8601 (PT0.2S)
                assertThat(f.detail()).contains("still running after the deadline of " + limit);
            });
            assertThat(r.results().get(1)).isInstanceOf(Verdict.class);
            assertThat(r.disposition().action()).isEqualTo(Action.TEMPFAIL);
            assertThat(interrupted.await(60, TimeUnit.SECONDS)).isTrue();
            // Exactly one end event per scanner, disposition last; the late interrupt result is dropped.
            List<String> e = events.events();
            assertThat(e)
                    .containsOnlyOnce("started:slow", "failed:slow:TIMED_OUT", "started:fast", "finished:fast:CLEAN");
            assertThat(e.get(e.size() - 1)).isEqualTo("disposition:TEMPFAIL");
            assertThat(e.indexOf("started:slow")).isLessThan(e.indexOf("failed:slow:TIMED_OUT"));
            return;
        }
    }

    @Test
    void sequentialScannersAfterTheDeadlineAreTimedOutWithoutBeingCalled() throws Exception {
        TestScanner slow = TestScanner.uncached("slow", m -> {
            Thread.sleep(60_000);
            return clean("slow");
        });
        TestScanner never = TestScanner.uncached("never", m -> clean("never"));
        RecordingListener events = new RecordingListener();
        ScanPipeline p = track(ScanPipeline.builder()
                .scanners(List.of(slow, never))
                .stopOnFirstInfection(true)
                .deadline(Duration.ofMillis(100))
                .listener(events)
                .build());
        ScanReport r = p.scan(message("x"));
        assertThat(r.failures()).extracting(ScanFailure::kind).containsOnly(ScanFailure.Kind.TIMED_OUT);
        assertThat(r.failures()).hasSize(2);
        assertThat(never.calls).hasValue(0);
        assertThat(events.events()).containsSubsequence("started:never", "failed:never:TIMED_OUT");
    }

    @Test
    void cachedVerdictsAreReusedAndReportedAsCacheHits() throws Exception {
        TestScanner s = TestScanner.cached("s", m -> infected("s"));
        TestScanner plain = TestScanner.uncached("plain", m -> clean("plain"));
        RecordingListener events = new RecordingListener();
        StatisticsRecorder stats = new StatisticsRecorder();
        ScanPipeline p = track(ScanPipeline.builder()
                .scanners(List.of(s, plain))
                .listener(events)
                .listener(stats)
                .build());
        p.scan(message("same"));
        ScanReport second = p.scan(message("same"));
        assertThat(s.calls).hasValue(1);
        assertThat(plain.calls).hasValue(2);
        assertThat(second.verdicts().get(0).threats()).containsExactly("Test.Virus");
        assertThat(events.events()
                        .subList(
                                events.events().indexOf("disposition:REJECT") + 1,
                                events.events().size()))
                .containsOnlyOnce("cacheHit:s:INFECTED")
                .doesNotContain("started:s");
        assertThat(stats.snapshot().cacheHits()).isEqualTo(1);
        assertThat(stats.snapshot().verdicts(Outcome.INFECTED)).isEqualTo(2);
        p.scan(message("different"));
        assertThat(s.calls).hasValue(2);
    }

    @Test
    void noCacheCallsEveryScannerEveryTime() throws Exception {
        TestScanner s = TestScanner.cached("s", m -> clean("s"));
        ScanPipeline p = track(ScanPipeline.builder().scanner(s).noCache().build());
        p.scan(message("same"));
        p.scan(message("same"));
        assertThat(s.calls).hasValue(2);
    }

    @Test
    void failuresAreNeverCached() throws Exception {
        TestScanner s = TestScanner.cached("s", m -> {
            throw ScanException.of("s", ScanFailure.Kind.UNAVAILABLE, "down", null);
        });
        ScanPipeline p = track(ScanPipeline.builder().scanner(s).build());
        assertThat(p.scan(message("same")).failures()).hasSize(1);
        assertThat(p.scan(message("same")).failures()).hasSize(1);
        assertThat(s.calls).hasValue(2);
        assertThat(p.cache().get().estimatedSize()).isZero();
    }

    @Test
    void cachedVerdictsExpireByTheInjectedNanoClock() throws Exception {
        AtomicLong nanos = new AtomicLong();
        VerdictCache cache = VerdictCache.builder()
                .expireAfterWrite(Duration.ofMinutes(10))
                .nanoClock(nanos::get)
                .build();
        TestScanner s = TestScanner.cached("s", m -> clean("s"));
        ScanPipeline p = track(ScanPipeline.builder().scanner(s).cache(cache).build());
        p.scan(message("same"));
        nanos.addAndGet(Duration.ofMinutes(9).toNanos());
        p.scan(message("same"));
        assertThat(s.calls).hasValue(1);
        nanos.addAndGet(Duration.ofMinutes(2).toNanos());
        p.scan(message("same"));
        assertThat(s.calls).hasValue(2);
    }

    @Test
    void elapsedIsMeasuredWithTheNanoClock() throws Exception {
        AtomicLong nanos = new AtomicLong();
        TestScanner s = TestScanner.uncached("s", m -> {
            nanos.addAndGet(Duration.ofMillis(250).toNanos());
            return Verdict.clean("s", Duration.ofDays(1));
        });
        ScanPipeline p =
                track(ScanPipeline.builder().scanner(s).nanoClock(nanos::get).build());
        ScanReport r = p.scan(message("x"));
        assertThat(r.results().get(0).elapsed()).isEqualTo(Duration.ofMillis(250));
        assertThat(r.elapsed()).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void aScanInterruptedByCloseSaysSoNotThatTheDeadlinePassed() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        org.mailhygiene.api.Scanner slow = new org.mailhygiene.api.Scanner() {
            @Override
            public String name() {
                return "slow";
            }

            @Override
            public Verdict scan(Message m) throws InterruptedException {
                started.countDown();
                Thread.sleep(60_000);
                return Verdict.clean("slow", Duration.ZERO);
            }
        };
        ScanPipeline p = ScanPipeline.builder().scanner(slow).build();
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try {
            Future<ScanReport> report = caller.submit(() -> p.scan(Message.of(new byte[] {'x'})));
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            p.close();
            ScanFailure f =
                    (ScanFailure) report.get(10, TimeUnit.SECONDS).results().get(0);
            assertThat(f.detail()).contains("closed").doesNotContain("deadline");
        } finally {
            caller.shutdownNow();
        }
    }

    @Test
    void closedPipelineRefusesScansAndLeavesACallersExecutorRunning() throws Exception {
        ExecutorService mine = Executors.newFixedThreadPool(2);
        try {
            ScanPipeline p = ScanPipeline.builder()
                    .scanner(TestScanner.uncached("a", m -> clean("a")))
                    .executor(mine)
                    .build();
            assertThat(p.scan(message("x")).disposition().action()).isEqualTo(Action.ACCEPT);
            p.close();
            p.close();
            assertThatThrownBy(() -> p.scan(message("x"))).isInstanceOf(IllegalStateException.class);
            assertThat(mine.isShutdown()).isFalse();
        } finally {
            mine.shutdownNow();
        }
    }

    @Test
    void builtinScannerEndToEnd() throws Exception {
        ScanPipeline p =
                track(ScanPipeline.builder().scanner(SignatureScanner.create()).build());
        assertThat(p.scan(Message.of(
                                TestMessages.withAttachment("x", "e.com", TestMessages.ascii(TestMessages.eicar()))))
                        .disposition()
                        .action())
                .isEqualTo(Action.REJECT);
        ScanReport spam = p.scan(message(TestMessages.gtube()));
        assertThat(spam.disposition().action()).isEqualTo(Action.TAG);
        assertThat(spam.disposition().subjectTag()).contains("[SPAM]");
        assertThat(p.scan(message("hello")).disposition().action()).isEqualTo(Action.ACCEPT);
    }

    /** A scanner's behaviour in the property below: 0 clean, 1 spam, 2..7 a failure kind, 8 a runtime exception. */
    private static TestScanner behaving(String name, int kind) {
        return TestScanner.cached(name, m -> {
            if (kind == 0) {
                return clean(name);
            }
            if (kind == 1) {
                return Verdict.builder(name, Outcome.SPAM).score(9).threshold(5).build();
            }
            if (kind == 8) {
                throw new IllegalArgumentException("bug in " + name);
            }
            throw ScanException.of(name, ScanFailure.Kind.values()[kind - 2], "failed", null);
        });
    }

    @Test
    void aFailingScannerNeverYieldsCleanOrAccept() {
        qt().withExamples(150)
                .forAll(
                        lists().of(integers().between(0, 8)).ofSizeBetween(1, 5),
                        integers().between(0, 4),
                        integers().between(2, 8))
                .checkAssert((kinds, failingAt, failingKind) -> {
                    List<TestScanner> scanners = new ArrayList<>();
                    for (int i = 0; i < kinds.size(); i++) {
                        scanners.add(behaving("s" + i, kinds.get(i)));
                    }
                    int at = failingAt % (scanners.size() + 1);
                    scanners.add(at, behaving("failing", failingKind));
                    try (ScanPipeline p = ScanPipeline.builder()
                            .scanners(new ArrayList<>(scanners))
                            .stopOnFirstInfection(failingAt % 2 == 0)
                            .build()) {
                        ScanReport r = p.scan(message("property"));
                        assertThat(r.disposition().action()).isNotEqualTo(Action.ACCEPT);
                        assertThat(r.results())
                                .filteredOn(res -> res.scanner().equals("failing"))
                                .singleElement()
                                .satisfies(res -> assertThat(res.isFailure()).isTrue());
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                });
    }

    @Test
    void concurrentIdenticalScansCallTheScannerExactlyOnce() {
        qt().withExamples(15).forAll(integers().between(2, 12)).checkAssert(n -> {
            try {
                identicalConcurrentScans(n, false);
                identicalConcurrentScans(n, true);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    /**
     * Starts n identical scans, holds the scanner until every scan has looked the content up in the cache, then
     * lets it answer (or fail). One call; every scan gets the same answer; a failure is not cached.
     */
    private void identicalConcurrentScans(int n, boolean fail) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        TestScanner s = TestScanner.cached("s", m -> {
            release.await();
            if (fail) {
                throw ScanException.of("s", ScanFailure.Kind.UNAVAILABLE, "daemon down", null);
            }
            return infected("s");
        });
        VerdictCache cache = VerdictCache.create();
        RecordingListener events = new RecordingListener();
        try (ScanPipeline p = ScanPipeline.builder()
                .scanner(s)
                .cache(cache)
                .listener(events)
                .deadline(Duration.ofSeconds(30))
                .build()) {
            List<Future<ScanReport>> reports = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                reports.add(callers.submit(() -> p.scan(message("storm payload"))));
            }
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (cache.stats().hits() + cache.stats().misses() < n && System.nanoTime() < until) {
                Thread.onSpinWait();
                Thread.yield();
            }
            assertThat(cache.stats().misses()).isEqualTo(1);
            assertThat(cache.stats().hits()).isEqualTo(n - 1);
            release.countDown();
            for (Future<ScanReport> f : reports) {
                ScanReport r = f.get(20, TimeUnit.SECONDS);
                if (fail) {
                    assertThat(r.failures())
                            .singleElement()
                            .satisfies(x -> assertThat(x.kind()).isEqualTo(ScanFailure.Kind.UNAVAILABLE));
                    assertThat(r.disposition().action()).isEqualTo(Action.TEMPFAIL);
                } else {
                    assertThat(r.verdicts())
                            .singleElement()
                            .satisfies(v -> assertThat(v.outcome()).isEqualTo(Outcome.INFECTED));
                }
            }
            assertThat(s.calls).hasValue(1);
            List<String> e = events.events();
            if (fail) {
                assertThat(e.stream().filter(x -> x.equals("failed:s:UNAVAILABLE")))
                        .hasSize(n);
                assertThat(e.stream().filter(x -> x.equals("started:s"))).hasSize(n);
                assertThat(cache.estimatedSize()).isZero();
                p.scan(message("storm payload"));
                assertThat(s.calls).hasValue(2);
            } else {
                assertThat(e.stream().filter(x -> x.equals("finished:s:INFECTED")))
                        .hasSize(1);
                assertThat(e.stream().filter(x -> x.equals("cacheHit:s:INFECTED")))
                        .hasSize(n - 1);
            }
        }
    }

    @Test
    void aSharedScanThatIgnoresTheDeadlineReleasesItsWaiters() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        TestScanner stubborn = TestScanner.cached("stubborn", m -> {
            while (!stop.get()) {
                Thread.onSpinWait();
            }
            return clean("stubborn");
        });
        VerdictCache cache = VerdictCache.create();
        try (ScanPipeline p = ScanPipeline.builder()
                .scanner(stubborn)
                .cache(cache)
                .deadline(Duration.ofMillis(300))
                .build()) {
            ScanReport r = p.scan(message("x"));
            assertThat(r.failures())
                    .singleElement()
                    .satisfies(f -> assertThat(f.kind()).isEqualTo(ScanFailure.Kind.TIMED_OUT));
            // The in-flight entry was dropped, so the next scan calls the scanner again instead of waiting forever.
            assertThat(cache.estimatedSize()).isZero();
            stop.set(true);
            // The next scan calls the scanner again; it answers at once now, though a busy machine may need more
            // than the 300 ms deadline to run it: scans are repeated until one gets the verdict.
            Await.value(
                    "a scan gets the stubborn scanner's verdict",
                    () -> p.scan(message("x")),
                    x -> x.verdicts().size() == 1);
            assertThat(stubborn.calls.get()).isGreaterThanOrEqualTo(2);
        } finally {
            stop.set(true);
        }
    }

    @Test
    void defaultPolicyIsUsedWhenNoneIsGiven() throws Exception {
        ScanPipeline p = track(ScanPipeline.builder()
                .scanner(TestScanner.uncached("a", m -> clean("a")))
                .policy(DefaultPolicy.builder().build())
                .build());
        assertThat(p.scan(message("x")).disposition().reply().code()).isEqualTo(250);
    }
}
