package org.mailhygiene.scanners;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.ScanResult;
import org.mailhygiene.api.Verdict;

class VerdictCacheTest {

    @Test
    void aVerdictStoredBetweenTheLookAndTheLeaseIsUsedNotScannedAgain() throws Exception {
        // Another node stores its verdict and releases its lease after our first look but before our lease: the
        // lease is then free, and without a second look we would scan the same content again (two nodes, two scans).
        org.mailhygiene.api.shared.VerdictStore real =
                org.mailhygiene.scanners.shared.InProcessSharedState.create().verdicts();
        Verdict theirs = Verdict.builder("virus", org.mailhygiene.api.Outcome.INFECTED)
                .threat("Storm")
                .build();
        org.mailhygiene.api.shared.VerdictStore racing = new Delegating(real) {
            private boolean raced;

            @Override
            public boolean tryLease(String identity, String sha256, String owner, Duration lease)
                    throws org.mailhygiene.api.shared.SharedStateException {
                if (!raced) {
                    raced = true;
                    real.put(identity, sha256, theirs, Duration.ofMinutes(1));
                }
                return super.tryLease(identity, sha256, owner, lease);
            }
        };
        VerdictCache cache = VerdictCache.builder().shared(racing).build();
        VerdictCache.Key key = new VerdictCache.Key("virus|db-1", "ab".repeat(32));
        VerdictCache.SharedAttempt attempt = cache.sharedBegin(key);
        assertThat(attempt.verdict()).isEqualTo(theirs);
        assertThat(attempt.lease()).isNull();
        assertThat(cache.sharedHits()).isEqualTo(1);
        assertThat(cache.sharedScans()).isZero();
        assertThat(real.leaseHeld("virus|db-1", "ab".repeat(32))).isFalse();
    }

    @Test
    void documentedDefaultsEqualTheCode() {
        VerdictCache c = VerdictCache.create();
        assertThat(c.maximumSize()).isEqualTo(VerdictCache.DEFAULT_MAXIMUM_SIZE).isEqualTo(10_000);
        assertThat(c.expireAfterWrite())
                .isEqualTo(VerdictCache.DEFAULT_EXPIRE_AFTER_WRITE)
                .isEqualTo(Duration.ofHours(1));
        assertThat(c.estimatedSize()).isZero();
        assertThat(c.stats()).isEqualTo(new VerdictCache.Stats(0, 0));
    }

    @Test
    void builderRejectsBadSettings() {
        assertThatThrownBy(() -> VerdictCache.builder().maximumSize(0)).hasMessageContaining("maximumSize");
        assertThatThrownBy(() -> VerdictCache.builder().expireAfterWrite(Duration.ZERO))
                .hasMessageContaining("expireAfterWrite");
        assertThatThrownBy(() -> VerdictCache.builder().nanoClock(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void digestIsTheSha256OfTheStreamedContent() throws Exception {
        byte[] bytes = "some message\r\n".repeat(5000).getBytes(StandardCharsets.US_ASCII);
        String expected =
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        assertThat(VerdictCache.sha256(MessageContent.ofBytes(bytes))).isEqualTo(expected);
    }

    @Test
    void verdictsAreKeptFailuresAreDropped() {
        VerdictCache c = VerdictCache.create();
        VerdictCache.Key key = new VerdictCache.Key("s/1", "ab");
        VerdictCache.Lookup first = c.lookup(key);
        assertThat(first.loader()).isTrue();
        VerdictCache.Lookup waiter = c.lookup(key);
        assertThat(waiter.loader()).isFalse();
        assertThat(waiter.future()).isSameAs(first.future()).isNotDone();
        first.complete(new ScanFailure("s", ScanFailure.Kind.UNAVAILABLE, "down", Duration.ZERO));
        assertThat(waiter.future().join()).isInstanceOf(ScanFailure.class);
        VerdictCache.Lookup again = c.lookup(key);
        assertThat(again.loader()).isTrue();
        again.complete(Verdict.clean("s", Duration.ZERO));
        assertThat(c.lookup(key).future().join()).isInstanceOf(Verdict.class);
        assertThat(c.stats()).isEqualTo(new VerdictCache.Stats(2, 2));
    }

    @Test
    void maximumSizeIsABound() {
        AtomicLong nanos = new AtomicLong();
        VerdictCache c =
                VerdictCache.builder().maximumSize(5).nanoClock(nanos::get).build();
        for (int i = 0; i < 50; i++) {
            c.lookup(new VerdictCache.Key("s", Integer.toString(i))).complete(Verdict.clean("s", Duration.ZERO));
        }
        assertThat(c.estimatedSize()).isLessThanOrEqualTo(5);
        c.invalidateAll();
        assertThat(c.estimatedSize()).isZero();
    }

    @Test
    void aScanInFlightDuringInvalidateAllDeliversToItsWaitersButIsNotCached() {
        VerdictCache c = VerdictCache.create();
        VerdictCache.Key key = new VerdictCache.Key("s/1", "cd");
        VerdictCache.Lookup loader = c.lookup(key);
        VerdictCache.Lookup waiter = c.lookup(key);
        c.invalidateAll();
        loader.complete(Verdict.clean("s", Duration.ZERO));
        assertThat(waiter.future().join()).isInstanceOf(Verdict.class);
        assertThat(c.lookup(key).loader())
                .as("made before the invalidation: scanned again")
                .isTrue();
    }

    @Test
    void onlyTheFirstCompletionCounts() {
        VerdictCache c = VerdictCache.create();
        VerdictCache.Key key = new VerdictCache.Key("s/1", "ef");
        VerdictCache.Lookup loader = c.lookup(key);
        ScanFailure timedOut = new ScanFailure("s", ScanFailure.Kind.TIMED_OUT, "deadline", Duration.ZERO);
        loader.complete(timedOut);
        loader.complete(Verdict.clean("s", Duration.ZERO)); // the scanner finished after its deadline
        assertThat(loader.future().join()).isSameAs(timedOut);
        assertThat(c.lookup(key).loader()).isTrue();
    }

    @Test
    void verdictsExpireAfterWrite() {
        AtomicLong nanos = new AtomicLong();
        VerdictCache c = VerdictCache.builder()
                .expireAfterWrite(Duration.ofMinutes(10))
                .nanoClock(nanos::get)
                .build();
        VerdictCache.Key key = new VerdictCache.Key("s/1", "01");
        nanos.set(Duration.ofMinutes(5).toNanos()); // the scan took five minutes: expiry counts from its verdict
        c.lookup(key).complete(Verdict.clean("s", Duration.ZERO));
        nanos.addAndGet(Duration.ofMinutes(10).minusSeconds(1).toNanos());
        assertThat(c.lookup(key).loader()).isFalse();
        nanos.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(c.lookup(key).loader()).isTrue();
    }

    @Test
    void concurrentLookupsOfOneKeyShareOneScan() throws Exception {
        VerdictCache c = VerdictCache.create();
        int threads = 8;
        for (int round = 0; round < 200; round++) {
            VerdictCache.Key key = new VerdictCache.Key("s/1", "k" + round);
            CyclicBarrier start = new CyclicBarrier(threads);
            AtomicInteger loaders = new AtomicInteger();
            List<Thread> ts = new ArrayList<>();
            List<ScanResultHolder> got = Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < threads; t++) {
                Thread th = new Thread(() -> {
                    try {
                        start.await();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    VerdictCache.Lookup l = c.lookup(key);
                    if (l.loader()) {
                        loaders.incrementAndGet();
                        l.complete(Verdict.clean("s", Duration.ZERO));
                    }
                    got.add(new ScanResultHolder(l.future().join()));
                });
                th.start();
                ts.add(th);
            }
            for (Thread th : ts) {
                th.join();
            }
            assertThat(loaders.get()).as("round %d", round).isEqualTo(1);
            assertThat(got).hasSize(threads).allMatch(h -> h.result() instanceof Verdict);
        }
    }

    private record ScanResultHolder(ScanResult result) {}

    /**
     * The holder takes a short lease and keeps it alive while it scans: before, it took the whole lease time (60 s by
     * default), so a node that froze or died mid-scan kept every other node waiting for that content that long.
     */
    @Test
    void theHolderTakesAShortLeaseAndRenewsItWhileItScans() throws Exception {
        org.mailhygiene.api.shared.VerdictStore real =
                org.mailhygiene.scanners.shared.InProcessSharedState.create().verdicts();
        java.util.List<Duration> taken = new java.util.concurrent.CopyOnWriteArrayList<>();
        org.mailhygiene.api.shared.VerdictStore recording = new Delegating(real) {
            @Override
            public boolean tryLease(String identity, String sha256, String owner, Duration lease)
                    throws org.mailhygiene.api.shared.SharedStateException {
                taken.add(lease);
                return super.tryLease(identity, sha256, owner, lease);
            }
        };
        String sha = "cd".repeat(32);
        VerdictCache.Key key = new VerdictCache.Key("virus|db-1", sha);

        VerdictCache defaults = VerdictCache.builder().shared(recording).build();
        VerdictCache.SharedAttempt held = defaults.sharedBegin(key);
        assertThat(held.lease()).isNotNull();
        assertThat(taken).containsExactly(VerdictCache.LEASE_HEARTBEAT);
        defaults.sharedFinish(key, held, Verdict.clean("virus", Duration.ZERO));
        real.put("virus|db-1", sha, Verdict.clean("virus", Duration.ZERO), Duration.ofMillis(1)); // gone again
        Thread.sleep(20);

        // A lease time of 600 ms: renewed every 200 ms while the scan runs, so it outlives 600 ms several times over.
        VerdictCache quick = VerdictCache.builder()
                .shared(recording)
                .leaseTime(Duration.ofMillis(600))
                .build();
        VerdictCache.SharedAttempt scanning = quick.sharedBegin(key);
        assertThat(scanning.lease()).isNotNull();
        Thread.sleep(2_000);
        assertThat(real.leaseHeld("virus|db-1", sha))
                .as("renewed while the scan runs")
                .isTrue();
        quick.sharedFinish(key, scanning, Verdict.clean("virus", Duration.ZERO));
        assertThat(real.leaseHeld("virus|db-1", sha)).as("released at the end").isFalse();
        assertThat(scanning.renewal().isCancelled()).as("and no longer renewed").isTrue();
    }

    /** A scan's lease renewal cancelled at its end leaves the shared renewal thread's queue at once. */
    @Test
    void aFinishedScansRenewalLeavesTheQueue() throws Exception {
        org.mailhygiene.api.shared.VerdictStore store =
                org.mailhygiene.scanners.shared.InProcessSharedState.create().verdicts();
        VerdictCache cache = VerdictCache.builder().shared(store).build();
        int before = VerdictCache.Renewals.EXECUTOR.getQueue().size();
        for (int i = 0; i < 100; i++) {
            VerdictCache.Key key = new VerdictCache.Key("virus|db-1", String.format("%064x", i));
            VerdictCache.SharedAttempt held = cache.sharedBegin(key);
            assertThat(held.lease()).isNotNull();
            cache.sharedFinish(key, held, Verdict.clean("virus", Duration.ZERO));
            assertThat(held.renewal().isCancelled()).isTrue();
        }
        // before session 44 the 100 cancelled renewals waited in the queue for their next turn (3.3 s)
        assertThat(VerdictCache.Renewals.EXECUTOR.getQueue().size()).isLessThanOrEqualTo(before);
    }

    /**
     * A holder that freezes mid-scan (a long pause, a stopped process: its renewals stop with it) holds the others up
     * for one heartbeat, not the lease time: the next node takes the lease and scans after about 10 s, where it waited
     * the whole 60 s before.
     */
    @Test
    void aFrozenHolderHoldsTheOthersUpForOneHeartbeatNotTheLeaseTime() throws Exception {
        org.mailhygiene.api.shared.VerdictStore store =
                org.mailhygiene.scanners.shared.InProcessSharedState.create().verdicts();
        VerdictCache.Key key = new VerdictCache.Key("virus|db-1", "ef".repeat(32));
        VerdictCache frozen = VerdictCache.builder().shared(store).build();
        VerdictCache next = VerdictCache.builder().shared(store).build();
        VerdictCache.SharedAttempt held = frozen.sharedBegin(key);
        assertThat(held.lease()).isNotNull();
        held.renewal().cancel(false); // frozen: no renewal, no verdict, no release
        long start = System.nanoTime();
        VerdictCache.SharedAttempt mine = next.sharedBegin(key);
        Duration waited = Duration.ofNanos(System.nanoTime() - start);
        assertThat(mine.lease()).as("the next node holds the lease and scans").isNotNull();
        assertThat(waited).isLessThan(VerdictCache.DEFAULT_LEASE_TIME.dividedBy(2));
        next.sharedFinish(key, mine, Verdict.clean("virus", Duration.ZERO));
    }

    /**
     * Lease renewals run on the executor the builder is given (an application's scheduler, a test's): every renewal is
     * made on its threads. Once that executor is shut down a new lease is still taken, but not renewed: it lasts one
     * heartbeat, and the scan goes on (nothing thrown).
     */
    @Test
    void leasesAreRenewedOnTheInjectedExecutor() throws Exception {
        org.mailhygiene.api.shared.VerdictStore real =
                org.mailhygiene.scanners.shared.InProcessSharedState.create().verdicts();
        List<String> renewedOn = new java.util.concurrent.CopyOnWriteArrayList<>();
        org.mailhygiene.api.shared.VerdictStore recording = new Delegating(real) {
            @Override
            public boolean renewLease(String identity, String sha256, String owner, Duration lease)
                    throws org.mailhygiene.api.shared.SharedStateException {
                renewedOn.add(Thread.currentThread().getName());
                return super.renewLease(identity, sha256, owner, lease);
            }
        };
        java.util.concurrent.ScheduledExecutorService mine =
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "app-scheduler"));
        try {
            VerdictCache cache = VerdictCache.builder()
                    .shared(recording)
                    .leaseTime(Duration.ofMillis(300))
                    .renewals(mine)
                    .build();
            VerdictCache.Key key = new VerdictCache.Key("virus|db-1", "ab".repeat(32));
            VerdictCache.SharedAttempt scanning = cache.sharedBegin(key);
            assertThat(scanning.renewal()).isNotNull();
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (renewedOn.size() < 2 && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            cache.sharedFinish(key, scanning, Verdict.clean("virus", Duration.ZERO));
            assertThat(renewedOn).hasSizeGreaterThanOrEqualTo(2).containsOnly("app-scheduler");

            mine.shutdown();
            VerdictCache.Key other = new VerdictCache.Key("virus|db-1", "ac".repeat(32));
            VerdictCache.SharedAttempt unrenewed = cache.sharedBegin(other);
            assertThat(unrenewed.lease()).as("the lease is still taken").isNotNull();
            assertThat(unrenewed.renewal()).as("but nothing renews it").isNull();
            cache.sharedFinish(other, unrenewed, Verdict.clean("virus", Duration.ZERO));
            assertThat(real.leaseHeld("virus|db-1", "ac".repeat(32))).isFalse();
        } finally {
            mine.shutdownNow();
        }
        assertThatThrownBy(() -> VerdictCache.builder().renewals(null)).isInstanceOf(NullPointerException.class);
    }

    /** A store that passes every call on to another; tests override what they watch or change. */
    private static class Delegating implements org.mailhygiene.api.shared.VerdictStore {
        private final org.mailhygiene.api.shared.VerdictStore real;

        Delegating(org.mailhygiene.api.shared.VerdictStore real) {
            this.real = real;
        }

        @Override
        public java.util.Optional<Verdict> get(String identity, String sha256)
                throws org.mailhygiene.api.shared.SharedStateException {
            return real.get(identity, sha256);
        }

        @Override
        public void put(String identity, String sha256, Verdict verdict, Duration ttl)
                throws org.mailhygiene.api.shared.SharedStateException {
            real.put(identity, sha256, verdict, ttl);
        }

        @Override
        public boolean tryLease(String identity, String sha256, String owner, Duration lease)
                throws org.mailhygiene.api.shared.SharedStateException {
            return real.tryLease(identity, sha256, owner, lease);
        }

        @Override
        public boolean leaseHeld(String identity, String sha256)
                throws org.mailhygiene.api.shared.SharedStateException {
            return real.leaseHeld(identity, sha256);
        }

        @Override
        public void release(String identity, String sha256, String owner)
                throws org.mailhygiene.api.shared.SharedStateException {
            real.release(identity, sha256, owner);
        }

        @Override
        public boolean renewLease(String identity, String sha256, String owner, Duration lease)
                throws org.mailhygiene.api.shared.SharedStateException {
            return real.renewLease(identity, sha256, owner, lease);
        }
    }
}
