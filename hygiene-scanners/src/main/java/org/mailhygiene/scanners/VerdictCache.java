package org.mailhygiene.scanners;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.NanoClock;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.ScanResult;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.api.shared.VerdictStore;
import org.mailhygiene.internal.Checks;
import org.mailhygiene.internal.Timers;

/**
 * A bounded cache of scanner verdicts, keyed by the SHA-256 digest of the message content together with the scanner's
 * {@link org.mailhygiene.api.Scanner#cacheIdentity() cache identity}. This is what makes a virus storm (thousands of
 * identical copies) cheap: each distinct payload is scanned once per scanner configuration.
 *
 * <p>Rules: only {@link Verdict}s are cached, never failures; scanners whose identity is empty are never cached; the
 * content is digested as a stream, never held in heap. Concurrent lookups of the same key share one in-flight scan:
 * the first caller scans, the others wait for its verdict; if that scan fails, every waiter receives the same failure
 * and nothing is cached, so the next lookup scans again.
 *
 * <p>Defaults: at most {@value #DEFAULT_MAXIMUM_SIZE} verdicts, each kept for {@link #DEFAULT_EXPIRE_AFTER_WRITE} (one
 * hour) after it was written, time read from {@link NanoClock#system()}. Backed by Caffeine; maintenance runs on the
 * calling threads. Thread-safe; one cache may be shared by several {@link ScanPipeline}s.
 *
 * <p><b>Shared tier.</b> With {@link Builder#shared(VerdictStore)} (for example Redis, so that a cluster of relay nodes
 * scans each distinct payload once), a local miss asks the shared store before scanning: a shared verdict is used as a
 * cache hit, and kept locally for at most the time it has left in the store ({@link VerdictStore#find}), so that it is
 * never believed past the expiry its writer gave it; otherwise the node takes the content's scan lease (and looks for a verdict once more, since the previous
 * holder may have stored one and let go in between), scans, stores the verdict in the shared store for the
 * same {@link #expireAfterWrite()} and releases the lease. A node that finds the lease taken waits (polling, at most
 * {@link Builder#leaseTime(Duration) the lease time}, and never past its message's deadline) for the holder's verdict;
 * if the holder fails (no verdict, lease gone) it scans itself. The holder takes its lease for
 * {@link #LEASE_HEARTBEAT} (or the lease time, if shorter) and renews it every third of that while its scan runs
 * ({@link VerdictStore#renewLease}, by default on one daemon thread shared by all caches, see {@link
 * Builder#renewals}), so that a holder that dies or freezes
 * (a long pause, a stopped process) lets the others scan after those seconds instead of the whole lease time; with a
 * store that cannot renew, a scan longer than the heartbeat is made again by a waiting node, never skipped. Failures are never stored. If the shared store fails or
 * is slow, the node scans locally: the shared tier can save scans but never decides a verdict by itself.
 */
public final class VerdictCache {
    /** Default maximum number of cached verdicts. */
    public static final long DEFAULT_MAXIMUM_SIZE = 10_000;
    /** Default time a verdict stays cached after it was written: one hour. */
    public static final Duration DEFAULT_EXPIRE_AFTER_WRITE = Duration.ofHours(1);
    /** Default lease time in the shared tier: 60 seconds. */
    public static final Duration DEFAULT_LEASE_TIME = Duration.ofSeconds(60);

    /**
     * How long a scan lease lasts between renewals: 10 seconds, renewed every third of that while the holder scans. A
     * holder that stops renewing (it died or froze) is taken to have failed once this has passed.
     */
    public static final Duration LEASE_HEARTBEAT = Duration.ofSeconds(10);

    /**
     * Renews the leases of scans in flight, for every cache: one daemon thread, which only sends the renewals. A renewal
     * cancelled when its scan ends leaves the queue at once (until session 44 it stayed until its next turn: a few
     * seconds' worth of scans, thousands of entries at a busy node's rate). Package-private for tests.
     */
    static final class Renewals {
        static final ScheduledThreadPoolExecutor EXECUTOR = Timers.daemonScheduler("mail-hygiene-lease-renewal");
    }

    /** Finished verdicts. */
    private final Cache<Key, Verdict> cache;
    /**
     * Scans in flight, one per key: later lookups of the key wait for its future. An entry leaves when its loader
     * completes; {@link #invalidateAll()} drops them all, so that what they deliver afterwards is not cached.
     */
    private final ConcurrentHashMap<Key, CompletableFuture<ScanResult>> inFlight = new ConcurrentHashMap<>();

    private final long maximumSize;
    private final Duration expireAfterWrite;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder sharedHits = new LongAdder();
    private final LongAdder sharedScans = new LongAdder();
    private final VerdictStore shared;
    private final Duration leaseTime;
    private final String owner = UUID.randomUUID().toString();
    private final AtomicLong leases = new AtomicLong();
    /** The injected renewal executor, or {@code null} for {@link Renewals#EXECUTOR}. */
    private final ScheduledExecutorService renewals;

    private VerdictCache(Builder b) {
        this.maximumSize = b.maximumSize;
        this.expireAfterWrite = b.expireAfterWrite;
        this.shared = b.shared;
        this.leaseTime = b.leaseTime;
        this.renewals = b.renewals; // null: the shared one, made at its first use
        Duration ttl = b.expireAfterWrite;
        this.cache = Caffeine.newBuilder()
                .maximumSize(b.maximumSize)
                .expireAfter(Expiry.<Key, Verdict>writing((k, v) -> ttl))
                .ticker(b.nanoClock::nanoTime)
                .executor(Runnable::run)
                .build();
    }

    /**
     * A cache with the defaults.
     *
     * @return a new, empty cache
     */
    public static VerdictCache create() {
        return builder().build();
    }

    /**
     * Starts a builder holding the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The configured maximum number of verdicts.
     *
     * @return the bound
     */
    public long maximumSize() {
        return maximumSize;
    }

    /**
     * The configured time a verdict stays cached after it was written.
     *
     * @return the duration
     */
    public Duration expireAfterWrite() {
        return expireAfterWrite;
    }

    /**
     * The approximate number of entries, in-flight scans included.
     *
     * @return the estimate
     */
    public long estimatedSize() {
        return cache.estimatedSize() + inFlight.size();
    }

    /**
     * Drops every cached verdict. In-flight scans still deliver to their waiters, but their verdicts are not cached
     * (they may have been made before whatever made the caller invalidate).
     */
    public void invalidateAll() {
        inFlight.clear(); // first: a loader completing in between caches its verdict, which the next line drops
        cache.invalidateAll();
    }

    /**
     * Counters since the cache was created.
     *
     * @return a snapshot
     */
    public Stats stats() {
        return new Stats(hits.sum(), misses.sum());
    }

    /**
     * The shared tier, if configured.
     *
     * @return the shared store, or empty
     */
    public Optional<VerdictStore> shared() {
        return Optional.ofNullable(shared);
    }

    /**
     * The longest time one node's scan lease lasts, and so the longest another node waits for its verdict.
     *
     * @return the lease time
     */
    public Duration leaseTime() {
        return leaseTime;
    }

    /**
     * Local misses that the shared tier answered, since the cache was created.
     *
     * @return the count
     */
    public long sharedHits() {
        return sharedHits.sum();
    }

    /**
     * Local misses that were scanned here under a shared lease or after the shared tier failed, since the cache was
     * created.
     *
     * @return the count
     */
    public long sharedScans() {
        return sharedScans.sum();
    }

    /**
     * What the shared tier said for a local miss: a verdict to use, or the lease this node holds (null when it scans
     * without one).
     */
    record SharedAttempt(Verdict verdict, Duration timeLeft, String lease, Future<?> renewal) {
        static final SharedAttempt SCAN_WITHOUT_LEASE = new SharedAttempt(null, null, null, null);

        /** A verdict found in the shared store, kept locally for at most the time it has left there (if known). */
        SharedAttempt(VerdictStore.Found found) {
            this(found.verdict(), found.timeLeft().orElse(null), null, null);
        }
    }

    /** The lease a holder takes and renews: the heartbeat, or the lease time if that is shorter. */
    private Duration heldLease() {
        return leaseTime.compareTo(LEASE_HEARTBEAT) < 0 ? leaseTime : LEASE_HEARTBEAT;
    }

    /**
     * Renews {@code lease} every third of {@link #heldLease()} until cancelled or the store says it is not held any
     * more (expired after a pause, or lost with the store's data); a store that does not answer is asked again at the
     * next turn.
     */
    private Future<?> keepAlive(Key key, String lease) {
        Duration held = heldLease();
        long every = Math.max(1, held.toMillis() / 3);
        AtomicReference<Future<?>> self = new AtomicReference<>();
        try {
            Future<?> f = (renewals != null ? renewals : Renewals.EXECUTOR)
                    .scheduleAtFixedRate(
                            () -> {
                                try {
                                    if (!shared.renewLease(key.identity(), key.sha256(), lease, held)) {
                                        Future<?> me = self.get();
                                        if (me != null) {
                                            me.cancel(false);
                                        }
                                    }
                                } catch (SharedStateException | RuntimeException e) {
                                    // asked again at the next turn; the lease lasts a heartbeat meanwhile
                                }
                            },
                            every,
                            every,
                            TimeUnit.MILLISECONDS);
            self.set(f);
            return f;
        } catch (RejectedExecutionException e) {
            // an injected executor that was shut down (never the shared one): the lease lasts one heartbeat, and a
            // scan longer than that may be made again by a waiting node, never skipped
            return null;
        }
    }

    /**
     * Consults the shared tier for a local miss; may wait for another node's scan (interruptible).
     *
     * @throws InterruptedException if the message's deadline interrupts the wait
     */
    SharedAttempt sharedBegin(Key key) throws InterruptedException {
        if (shared == null) {
            return SharedAttempt.SCAN_WITHOUT_LEASE;
        }
        long deadline = System.nanoTime() + leaseTime.toNanos();
        String lease = owner + ":" + leases.incrementAndGet();
        try {
            while (true) {
                Optional<VerdictStore.Found> v = shared.find(key.identity(), key.sha256());
                if (v.isPresent()) {
                    sharedHits.increment();
                    return new SharedAttempt(v.get());
                }
                if (shared.tryLease(key.identity(), key.sha256(), lease, heldLease())) {
                    // The previous holder may have stored its verdict and released its lease between our look and
                    // our lease: look once more before scanning again.
                    Optional<VerdictStore.Found> late = shared.find(key.identity(), key.sha256());
                    if (late.isPresent()) {
                        try {
                            shared.release(key.identity(), key.sha256(), lease);
                        } catch (SharedStateException | RuntimeException e) {
                            // Expires by itself after the lease time.
                        }
                        sharedHits.increment();
                        return new SharedAttempt(late.get());
                    }
                    sharedScans.increment();
                    return new SharedAttempt(null, null, lease, keepAlive(key, lease));
                }
                long pause = 2;
                while (true) {
                    if (System.nanoTime() - deadline > 0) {
                        sharedScans.increment();
                        return SharedAttempt.SCAN_WITHOUT_LEASE;
                    }
                    TimeUnit.MILLISECONDS.sleep(pause);
                    pause = Math.min(50, pause * 2);
                    v = shared.find(key.identity(), key.sha256());
                    if (v.isPresent()) {
                        sharedHits.increment();
                        return new SharedAttempt(v.get());
                    }
                    if (!shared.leaseHeld(key.identity(), key.sha256())) {
                        break; // the holder gave up without a verdict: try to take the lease
                    }
                }
            }
        } catch (SharedStateException e) {
            sharedScans.increment();
            return SharedAttempt.SCAN_WITHOUT_LEASE;
        }
    }

    /** Stores the loader's verdict in the shared tier (never a failure) and releases its lease. Never throws. */
    void sharedFinish(Key key, SharedAttempt attempt, ScanResult result) {
        if (shared == null || attempt.lease() == null) {
            return;
        }
        if (attempt.renewal() != null) {
            attempt.renewal().cancel(false);
        }
        try {
            if (result instanceof Verdict v) {
                shared.put(key.identity(), key.sha256(), v, expireAfterWrite);
            }
        } catch (SharedStateException | RuntimeException e) {
            // The store is down or slow: the verdict stays local; the lease expires by itself.
        } finally {
            try {
                shared.release(key.identity(), key.sha256(), attempt.lease());
            } catch (SharedStateException | RuntimeException e) {
                // Expires by itself after the lease time.
            }
        }
    }

    /**
     * Lookup counters.
     *
     * @param hits lookups answered by a cached verdict or by joining an in-flight scan of the same key
     * @param misses lookups that had to scan
     */
    public record Stats(long hits, long misses) {}

    /**
     * The lookup key.
     *
     * @param identity the scanner's cache identity
     * @param sha256 the content's SHA-256 digest in lower-case hex
     */
    record Key(String identity, String sha256) {}

    /**
     * The result of a lookup: the shared future of the key's scan, and whether the caller must run that scan.
     *
     * <p>The future holds a {@link Verdict}, or a {@link ScanFailure} for a shared scan that failed; a failure is
     * never cached, so it is never served to a later lookup.
     */
    final class Lookup {
        private final Key key;
        private final CompletableFuture<ScanResult> future;
        private final boolean loader;

        private Lookup(Key key, CompletableFuture<ScanResult> future, boolean loader) {
            this.key = key;
            this.future = future;
            this.loader = loader;
        }

        /** The shared result, maybe still being computed. */
        CompletableFuture<ScanResult> future() {
            return future;
        }

        /** Whether the caller must scan and then {@link #complete} (exactly once, also on failure). */
        boolean loader() {
            return loader;
        }

        /**
         * Delivers the loader's result to every waiter: a verdict stays cached, a failure is removed first. Later
         * calls do nothing.
         */
        void complete(ScanResult result) {
            complete(result, null);
        }

        /**
         * As {@link #complete(ScanResult)}, a verdict cached for at most {@code timeLeft} (when not null): the time a
         * verdict from the shared store has left there, so that it is not believed here past the expiry its writer
         * gave it (until session 53 it stayed a whole {@link #expireAfterWrite()} more).
         */
        void complete(ScanResult result, Duration timeLeft) {
            if (future.isDone()) {
                return;
            }
            // Atomic with invalidateAll's clearing of the same bin: a verdict is cached only while its scan is
            // still the key's current one.
            inFlight.computeIfPresent(key, (k, current) -> {
                if (current != future) {
                    return current;
                }
                if (result instanceof Verdict v) {
                    if (timeLeft != null && timeLeft.compareTo(expireAfterWrite) < 0) {
                        cache.policy().expireVariably().orElseThrow().put(k, v, timeLeft);
                    } else {
                        cache.put(k, v);
                    }
                }
                return null;
            });
            future.complete(result);
        }
    }

    Lookup lookup(Key key) {
        Verdict cached = cache.getIfPresent(key);
        if (cached != null) {
            hits.increment();
            return new Lookup(key, CompletableFuture.completedFuture(cached), false);
        }
        CompletableFuture<ScanResult> mine = new CompletableFuture<>();
        CompletableFuture<ScanResult> theirs = inFlight.putIfAbsent(key, mine);
        if (theirs != null) {
            hits.increment();
            return new Lookup(key, theirs, false);
        }
        // A loader of the same key may have finished between the miss above and the put: it cached its verdict first.
        cached = cache.getIfPresent(key);
        if (cached != null) {
            inFlight.remove(key, mine);
            mine.complete(cached);
            hits.increment();
            return new Lookup(key, mine, false);
        }
        misses.increment();
        return new Lookup(key, mine, true);
    }

    /**
     * The SHA-256 of the content, read as a stream.
     *
     * @param content the content
     * @return lower-case hex
     * @throws IOException if the content cannot be read
     */
    static String sha256(MessageContent content) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required on every Java platform", e);
        }
        byte[] buf = new byte[16 * 1024];
        try (InputStream in = content.openStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Builds a {@link VerdictCache}. Each setter validates at once. Not thread-safe. */
    public static final class Builder {
        private long maximumSize = DEFAULT_MAXIMUM_SIZE;
        private Duration expireAfterWrite = DEFAULT_EXPIRE_AFTER_WRITE;
        private NanoClock nanoClock = NanoClock.system();
        private VerdictStore shared;
        private Duration leaseTime = DEFAULT_LEASE_TIME;
        private ScheduledExecutorService renewals;

        private Builder() {}

        /**
         * The executor that renews the leases of this cache's scans in flight (only with a {@linkplain
         * #shared(VerdictStore) shared tier}): each renewal is one short call to the store, every third of the lease.
         * Default: one daemon thread shared by every cache of the process. The cache never shuts it down; once it is
         * shut down (or refuses a task) a lease taken afterwards is not renewed and lasts {@link
         * VerdictCache#LEASE_HEARTBEAT}, so a longer scan may be made again by another node (never skipped).
         *
         * @param value the executor, e.g. a test's or the application's scheduler
         * @return this builder
         */
        public Builder renewals(ScheduledExecutorService value) {
            renewals = Objects.requireNonNull(value, "renewals");
            return this;
        }

        /**
         * Adds a shared tier behind the local cache (see the class description). Default: none.
         *
         * @param value the shared store, e.g. Redis through hygiene-redis, wrapped in a guard that fails fast while it
         *     is down
         * @return this builder
         */
        public Builder shared(VerdictStore value) {
            shared = Objects.requireNonNull(value, "shared");
            return this;
        }

        /**
         * The longest another node waits for a lease holder's verdict before scanning itself. Default
         * {@link VerdictCache#DEFAULT_LEASE_TIME}. Set it to about the longest scan you expect (the per-message
         * deadline). The lease itself lasts {@link VerdictCache#LEASE_HEARTBEAT} (or this, if shorter) and is renewed
         * while the holder scans, so a holder that stops is noticed after that, not after this.
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder leaseTime(Duration value) {
            Checks.requirePositive(value, "leaseTime");
            leaseTime = value;
            return this;
        }

        /**
         * The maximum number of verdicts kept. Default {@value VerdictCache#DEFAULT_MAXIMUM_SIZE}.
         *
         * @param value {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if below 1
         */
        public Builder maximumSize(long value) {
            Checks.requireAtLeast(value, 1, "maximumSize");
            maximumSize = value;
            return this;
        }

        /**
         * How long a verdict stays cached after it was written. Default one hour. Keep it shorter than the interval
         * between signature updates of scanners whose identity does not change with their signatures.
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder expireAfterWrite(Duration value) {
            Checks.requirePositive(value, "expireAfterWrite");
            expireAfterWrite = value;
            return this;
        }

        /**
         * The time source for expiry. Default {@link NanoClock#system()}; tests pass a fake such as
         * {@code atomicLong::get}.
         *
         * @param value the time source
         * @return this builder
         */
        public Builder nanoClock(NanoClock value) {
            nanoClock = Objects.requireNonNull(value, "nanoClock");
            return this;
        }

        /**
         * Builds the cache.
         *
         * @return a new, empty cache
         */
        public VerdictCache build() {
            return new VerdictCache(this);
        }
    }
}
