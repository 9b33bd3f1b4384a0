package org.mailhygiene.scanners;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.NanoClock;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.ScanResult;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.events.HygieneListener;
import org.mailhygiene.api.policy.DefaultPolicy;
import org.mailhygiene.api.policy.Disposition;
import org.mailhygiene.api.policy.Policy;
import org.mailhygiene.internal.Checks;
import org.mailhygiene.internal.Durations;
import org.mailhygiene.internal.VirtualThreads;

/**
 * Runs a message through the configured scanners, applies the policy and reports through the listener.
 *
 * <p><b>Running.</b> By default every scanner runs at once, each as its own task on the executor. With
 * {@link Builder#stopOnFirstInfection(boolean) stopOnFirstInfection} the scanners run one after another in the
 * configured order, and after the first {@link Outcome#INFECTED} verdict the remaining scanners are not called (and
 * have no result in the report).
 *
 * <p><b>Failures are results.</b> A {@link ScanException} becomes its {@link ScanFailure}; a {@link RuntimeException}
 * (or {@link Error}) escaping a scanner, or a {@code null} verdict, becomes a {@link ScanFailure.Kind#SCANNER_ERROR}
 * failure. {@link #scan(Message)} never throws for a scanner's failure, and no failure is ever turned into a verdict.
 *
 * <p><b>Deadline.</b> The whole scan of one message is bounded by {@link Builder#deadline(Duration)} (default
 * {@link #DEFAULT_DEADLINE}, two minutes; real time, since it bounds real waiting). A scanner still running when it
 * passes, or not started by then, gets a {@link ScanFailure.Kind#TIMED_OUT} failure and its task is cancelled with an
 * interrupt. A late answer is discarded.
 *
 * <p><b>Cache.</b> Scanners with a non-empty {@link Scanner#cacheIdentity(org.mailhygiene.api.Envelope)} (for the
 * message's envelope) are looked up in the {@link VerdictCache}
 * (by default a new {@link VerdictCache#create()} per pipeline; {@link Builder#noCache()} turns caching off). The
 * content digest is computed once per message, as a stream, and only when a cacheable scanner is configured; if the
 * content cannot be read for it, the scanner is called without the cache. Concurrent scans of identical content share
 * one scanner call: the others wait for it (within their own deadlines). A failure of that shared call is every
 * waiter's failure and is not cached; if the calling message's deadline interrupts the shared call, its waiters get a
 * {@link ScanFailure.Kind#TIMED_OUT} failure.
 *
 * <p><b>Events</b> ({@link HygieneListener}), per message and scanner: {@code scanStarted} then exactly one of
 * {@code scanFinished} or {@code scanFailed}; or {@code cacheHit} alone when a cached (or shared in-flight) verdict
 * answered. A waiter whose shared call failed, and a scanner timed out before it started, get {@code scanStarted}
 * followed at once by {@code scanFailed}. After every scanner, {@code disposition} once, on the thread that called
 * {@link #scan(Message)}. {@code scanStarted} and the end of a real scan are fired on the scanning thread; a timed-out
 * scanner's {@code scanFailed} on the calling thread. A listener that throws is ignored.
 *
 * <p><b>Time.</b> Every result's {@link ScanResult#elapsed() elapsed} and the report's are measured by the pipeline with
 * its {@link Builder#nanoClock(NanoClock) nano clock} (default {@link NanoClock#system()}), from the moment the scanner's
 * task
 * was submitted.
 *
 * <p><b>Threads.</b> The default executor runs each scan on a virtual thread where the runtime has them (Java 21+),
 * else on a pool of {@value #DEFAULT_PLATFORM_THREADS} daemon platform threads; {@link #close()} shuts it down. An
 * executor passed to {@link Builder#executor(ExecutorService)} belongs to the caller and is never shut down here.
 *
 * <p>Thread-safe: one pipeline serves concurrent {@link #scan(Message)} calls.
 */
public final class ScanPipeline implements AutoCloseable {
    /** The default per-message deadline: two minutes. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofMinutes(2);
    /** The size of the default executor's platform-thread pool on runtimes without virtual threads. */
    public static final int DEFAULT_PLATFORM_THREADS = 64;

    private final List<Scanner> scanners;
    private final Policy policy;
    private final HygieneListener listener;
    private final VerdictCache cache;
    private final ExecutorService executor;
    private final boolean ownsExecutor;
    private final boolean stopOnFirstInfection;
    private final Duration deadline;
    private final NanoClock nanoClock;
    private volatile boolean closed;

    private ScanPipeline(Builder b) {
        this.scanners = List.copyOf(b.scanners);
        this.policy = b.policy;
        this.listener = HygieneListener.composite(b.listeners);
        this.cache = b.cacheEnabled ? (b.cache != null ? b.cache : VerdictCache.create()) : null;
        this.ownsExecutor = b.executor == null;
        this.executor =
                ownsExecutor ? VirtualThreads.newPerTaskExecutor("hygiene-scan", DEFAULT_PLATFORM_THREADS) : b.executor;
        this.stopOnFirstInfection = b.stopOnFirstInfection;
        this.deadline = b.deadline;
        this.nanoClock = b.nanoClock;
    }

    /**
     * Starts a builder.
     *
     * @return a new builder with the defaults in the class description
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The configured scanners, in order.
     *
     * @return an unmodifiable list
     */
    public List<Scanner> scanners() {
        return scanners;
    }

    /**
     * The policy that turns this pipeline's results into a disposition, e.g. to ask what a scanner's failure would
     * lead to (a health check asks whether mail is still accepted while a scanner is down).
     *
     * @return the policy
     */
    public Policy policy() {
        return policy;
    }

    /**
     * The verdict cache, if caching is on.
     *
     * @return the cache, empty after {@link Builder#noCache()}
     */
    public Optional<VerdictCache> cache() {
        return Optional.ofNullable(cache);
    }

    /**
     * Scans one message with every configured scanner (see the class description) and applies the policy.
     *
     * @param message the message; its content is read by each scanner and not closed
     * @return one result per scanner asked, the disposition and the elapsed time
     * @throws InterruptedException if the calling thread is interrupted while waiting; the scanners' tasks are then
     *     cancelled and no disposition is made
     * @throws IllegalStateException if the pipeline was closed
     */
    public ScanReport scan(Message message) throws InterruptedException {
        Objects.requireNonNull(message, "message");
        return scan(message, message.content());
    }

    /**
     * As {@link #scan(Message)}, but the verdict cache is keyed by the digest of {@code cacheKeyContent} instead of the
     * whole content. A relay passes the message as received, without the trace header it prepended itself (which is
     * different for every copy), so that identical copies of a message, as in a virus storm, share one scan. The caller
     * vouches that no cacheable scanner's verdict depends on the difference; scanners still scan {@code message}.
     *
     * @param message the message to scan; its content is read by each scanner and not closed
     * @param cacheKeyContent the content whose digest keys the verdict cache
     * @return one result per scanner asked, the disposition and the elapsed time
     * @throws InterruptedException if the calling thread is interrupted while waiting; the scanners' tasks are then
     *     cancelled and no disposition is made
     * @throws IllegalStateException if the pipeline was closed
     */
    public ScanReport scan(Message message, MessageContent cacheKeyContent) throws InterruptedException {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(cacheKeyContent, "cacheKeyContent");
        if (closed) {
            throw new IllegalStateException("the scan pipeline is closed");
        }
        long start = nanoClock.nanoTime();
        long deadlineAt = System.nanoTime() + deadline.toNanos();
        Digest digest = new Digest(cacheKeyContent);
        List<Slot> slots = new ArrayList<>();
        for (Scanner s : scanners) {
            slots.add(new Slot(s, message));
        }
        List<ScanResult> results =
                stopOnFirstInfection ? sequential(slots, digest, deadlineAt) : concurrent(slots, digest, deadlineAt);
        Disposition disposition = policy.decide(results);
        listener.disposition(disposition, message);
        return new ScanReport(results, disposition, since(start));
    }

    private List<ScanResult> concurrent(List<Slot> slots, Digest digest, long deadlineAt) throws InterruptedException {
        List<Future<?>> futures = new ArrayList<>();
        try {
            for (Slot slot : slots) {
                futures.add(submit(slot, digest));
            }
            for (int i = 0; i < slots.size(); i++) {
                await(slots.get(i), futures.get(i), deadlineAt);
            }
        } catch (InterruptedException e) {
            abandon(slots, futures);
            throw e;
        }
        List<ScanResult> results = new ArrayList<>();
        slots.forEach(s -> results.add(s.result()));
        return results;
    }

    private List<ScanResult> sequential(List<Slot> slots, Digest digest, long deadlineAt) throws InterruptedException {
        List<ScanResult> results = new ArrayList<>();
        for (Slot slot : slots) {
            if (System.nanoTime() - deadlineAt >= 0) {
                slot.timeOut();
            } else {
                Future<?> f = submit(slot, digest);
                try {
                    await(slot, f, deadlineAt);
                } catch (InterruptedException e) {
                    abandon(List.of(slot), f == null ? List.of() : List.of(f));
                    throw e;
                }
            }
            ScanResult r = slot.result();
            results.add(r);
            if (r instanceof Verdict v && v.outcome() == Outcome.INFECTED) {
                break;
            }
        }
        return results;
    }

    /** Submits a slot's task; a rejecting executor is an UNAVAILABLE failure. Returns null when rejected. */
    private Future<?> submit(Slot slot, Digest digest) {
        try {
            return executor.submit(() -> run(slot, digest));
        } catch (RejectedExecutionException e) {
            slot.failUnstarted(ScanFailure.Kind.UNAVAILABLE, "the scan executor rejected the task: " + e.getMessage());
            return null;
        }
    }

    private void await(Slot slot, Future<?> f, long deadlineAt) throws InterruptedException {
        if (f == null) {
            return;
        }
        try {
            f.get(Math.max(0, deadlineAt - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            slot.timeOut();
            f.cancel(true);
        } catch (ExecutionException e) {
            slot.failUnstarted(ScanFailure.Kind.SCANNER_ERROR, "scan task failed: " + e.getCause());
        } catch (CancellationException e) {
            slot.failUnstarted(ScanFailure.Kind.SCANNER_ERROR, "scan task was cancelled");
        }
    }

    private static void abandon(List<Slot> slots, List<Future<?>> futures) {
        for (Future<?> f : futures) {
            if (f != null) {
                f.cancel(true);
            }
        }
        for (Slot s : slots) {
            s.failUnstarted(ScanFailure.Kind.SCANNER_ERROR, "scan abandoned: the calling thread was interrupted");
        }
    }

    /** The task for one scanner: through the cache where it applies, else a plain call. */
    private void run(Slot slot, Digest digest) {
        Optional<String> identity =
                cache == null ? Optional.empty() : slot.scanner.cacheIdentity(slot.message.envelope());
        if (identity.isPresent() && !identity.get().isEmpty()) {
            String sha = digest.get();
            if (sha != null) {
                runCached(slot, new VerdictCache.Key(identity.get(), sha));
                return;
            }
        }
        call(slot);
    }

    private void runCached(Slot slot, VerdictCache.Key key) {
        VerdictCache.Lookup lookup = cache.lookup(key);
        if (!lookup.loader()) {
            ScanResult shared;
            try {
                shared = lookup.future().get();
            } catch (InterruptedException e) {
                // Cancelled at this message's deadline; the slot was already timed out.
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException e) {
                shared = new ScanFailure(
                        slot.scanner.name(),
                        ScanFailure.Kind.SCANNER_ERROR,
                        "shared scan failed: " + e.getCause(),
                        Duration.ZERO);
            }
            if (shared instanceof Verdict v) {
                slot.cacheHit(v.withElapsed(since(slot.submitted)));
            } else {
                slot.sharedFailure(((ScanFailure) shared).withElapsed(since(slot.submitted)));
            }
            return;
        }
        slot.loading(lookup);
        ScanResult r = null;
        VerdictCache.SharedAttempt attempt = VerdictCache.SharedAttempt.SCAN_WITHOUT_LEASE;
        try {
            try {
                if (slot.scanner.sharesCachedVerdicts()) {
                    attempt = cache.sharedBegin(key);
                }
            } catch (InterruptedException e) {
                // Cancelled at this message's deadline while waiting for another node; the slot was timed out.
                Thread.currentThread().interrupt();
                return;
            }
            if (attempt.verdict() != null) {
                Verdict v = attempt.verdict().withElapsed(since(slot.submitted));
                slot.cacheHit(v);
                r = v;
                return;
            }
            r = call(slot);
        } finally {
            cache.sharedFinish(key, attempt, r);
            lookup.complete(
                    r != null
                            ? r
                            : new ScanFailure(
                                    slot.scanner.name(),
                                    ScanFailure.Kind.SCANNER_ERROR,
                                    "shared scan ended",
                                    Duration.ZERO),
                    attempt.timeLeft());
        }
    }

    /** Calls the scanner (if the slot was not timed out before it started) and records the result. */
    private ScanResult call(Slot slot) {
        if (!slot.begin()) {
            return new ScanFailure(
                    slot.scanner.name(), ScanFailure.Kind.TIMED_OUT, "not started before the deadline", Duration.ZERO);
        }
        ScanResult r;
        try {
            Verdict v = slot.scanner.scan(slot.message);
            r = v == null
                    ? new ScanFailure(
                            slot.scanner.name(),
                            ScanFailure.Kind.SCANNER_ERROR,
                            "scanner returned no verdict",
                            since(slot.submitted))
                    : v.withElapsed(since(slot.submitted));
        } catch (ScanException e) {
            r = e.failure().withElapsed(since(slot.submitted));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            r = new ScanFailure(
                    slot.scanner.name(),
                    ScanFailure.Kind.TIMED_OUT,
                    closed ? "interrupted: the scan pipeline was closed" : "interrupted at the deadline",
                    since(slot.submitted));
        } catch (RuntimeException | Error e) {
            r = new ScanFailure(
                    slot.scanner.name(), ScanFailure.Kind.SCANNER_ERROR, "scanner threw " + e, since(slot.submitted));
        }
        slot.finish(r);
        return r;
    }

    private Duration since(long start) {
        return Duration.ofNanos(Math.max(0, nanoClock.nanoTime() - start));
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @return {@code true} once closed
     */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Shuts down the default executor (interrupting scans still running: a scanner that stops on the interrupt
     * becomes a {@link ScanFailure.Kind#TIMED_OUT} failure saying the pipeline was closed); an executor passed in is
     * left alone. Later {@link #scan(Message)} calls throw {@link IllegalStateException}. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        if (ownsExecutor) {
            executor.shutdownNow();
        }
    }

    /** The content digest, computed at most once per message and only if a cacheable scanner asks for it. */
    private static final class Digest {
        private final MessageContent content;
        private boolean done;
        private String sha256;

        Digest(MessageContent content) {
            this.content = content;
        }

        /** The digest, or null when the content could not be read (the scanner then runs without the cache). */
        synchronized String get() {
            if (!done) {
                done = true;
                try {
                    sha256 = VerdictCache.sha256(content);
                } catch (IOException | RuntimeException e) {
                    sha256 = null;
                }
            }
            return sha256;
        }
    }

    private enum State {
        PENDING,
        RUNNING,
        DONE
    }

    /**
     * One scanner's part in one message's scan. Its lock orders the listener events and decides the single result
     * when a scan and the deadline race.
     */
    private final class Slot {
        final Scanner scanner;
        final Message message;
        final long submitted = nanoClock.nanoTime();
        private State state = State.PENDING;
        private ScanResult result;
        private VerdictCache.Lookup loading;

        Slot(Scanner scanner, Message message) {
            this.scanner = scanner;
            this.message = message;
        }

        synchronized boolean begin() {
            if (state != State.PENDING) {
                return false;
            }
            state = State.RUNNING;
            listener.scanStarted(scanner.name(), message);
            return true;
        }

        synchronized void loading(VerdictCache.Lookup lookup) {
            loading = lookup;
        }

        synchronized void finish(ScanResult r) {
            if (state == State.DONE) {
                return;
            }
            state = State.DONE;
            result = r;
            if (r instanceof Verdict v) {
                listener.scanFinished(v, message);
            } else {
                listener.scanFailed((ScanFailure) r, message);
            }
        }

        synchronized void cacheHit(Verdict v) {
            if (state != State.PENDING) {
                return;
            }
            state = State.DONE;
            result = v;
            listener.cacheHit(v, message);
        }

        synchronized void sharedFailure(ScanFailure f) {
            if (state == State.DONE) {
                return;
            }
            if (state == State.PENDING) {
                listener.scanStarted(scanner.name(), message);
            }
            state = State.DONE;
            result = f;
            listener.scanFailed(f, message);
        }

        synchronized void timeOut() {
            if (state == State.DONE) {
                return;
            }
            ScanFailure f = new ScanFailure(
                    scanner.name(),
                    ScanFailure.Kind.TIMED_OUT,
                    (state == State.PENDING ? "not started within" : "still running after") + " the deadline of "
                            + Durations.format(deadline),
                    since(submitted));
            fail(f);
            if (loading != null) {
                // Release the waiters and drop the in-flight entry even if the scanner ignores the interrupt.
                loading.complete(f);
            }
        }

        synchronized void failUnstarted(ScanFailure.Kind kind, String detail) {
            if (state == State.DONE) {
                return;
            }
            fail(new ScanFailure(scanner.name(), kind, detail, since(submitted)));
        }

        private void fail(ScanFailure f) {
            if (state == State.PENDING) {
                listener.scanStarted(scanner.name(), message);
            }
            state = State.DONE;
            result = f;
            listener.scanFailed(f, message);
        }

        synchronized ScanResult result() {
            if (result == null) {
                fail(new ScanFailure(
                        scanner.name(),
                        ScanFailure.Kind.SCANNER_ERROR,
                        "scan task ended without a result",
                        since(submitted)));
            }
            return result;
        }
    }

    /**
     * Builds a {@link ScanPipeline}. Each setter validates at once and names the problem. Not thread-safe.
     */
    public static final class Builder {
        private final List<Scanner> scanners = new ArrayList<>();
        private final Set<String> names = new HashSet<>();
        private Policy policy = DefaultPolicy.defaults();
        private final List<HygieneListener> listeners = new ArrayList<>();
        private boolean cacheEnabled = true;
        private VerdictCache cache;
        private ExecutorService executor;
        private boolean stopOnFirstInfection;
        private Duration deadline = DEFAULT_DEADLINE;
        private NanoClock nanoClock = NanoClock.system();

        private Builder() {}

        /**
         * Adds a scanner. Results come in the order scanners were added.
         *
         * @param scanner the scanner
         * @return this builder
         * @throws IllegalArgumentException if its name is blank or another scanner already has it
         */
        public Builder scanner(Scanner scanner) {
            Objects.requireNonNull(scanner, "scanner");
            String name = Objects.requireNonNull(scanner.name(), "scanner name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("scanner name must not be blank: " + scanner);
            }
            if (!names.add(name)) {
                throw new IllegalArgumentException(
                        "duplicate scanner name '" + name + "': policy and statistics tell scanners apart by name");
            }
            scanners.add(scanner);
            return this;
        }

        /**
         * Adds scanners in order.
         *
         * @param list the scanners
         * @return this builder
         * @throws IllegalArgumentException as {@link #scanner(Scanner)}
         */
        public Builder scanners(List<Scanner> list) {
            Objects.requireNonNull(list, "scanners").forEach(this::scanner);
            return this;
        }

        /**
         * The policy. Default {@link DefaultPolicy#defaults()}.
         *
         * @param value the policy
         * @return this builder
         */
        public Builder policy(Policy value) {
            policy = Objects.requireNonNull(value, "policy");
            return this;
        }

        /**
         * Adds a listener; several may be added. Default none.
         *
         * @param value the listener
         * @return this builder
         */
        public Builder listener(HygieneListener value) {
            listeners.add(Objects.requireNonNull(value, "listener"));
            return this;
        }

        /**
         * Uses this verdict cache (which may be shared with other pipelines). Default: a new
         * {@link VerdictCache#create()} for this pipeline. The last of {@code cache} and {@link #noCache()} wins.
         *
         * @param value the cache
         * @return this builder
         */
        public Builder cache(VerdictCache value) {
            cache = Objects.requireNonNull(value, "cache");
            cacheEnabled = true;
            return this;
        }

        /**
         * Turns caching off: every scanner is called for every message.
         *
         * @return this builder
         */
        public Builder noCache() {
            cache = null;
            cacheEnabled = false;
            return this;
        }

        /**
         * The executor scans run on; it belongs to the caller and is not shut down by {@link ScanPipeline#close()}.
         * Default: virtual threads where available, else {@value ScanPipeline#DEFAULT_PLATFORM_THREADS} platform
         * threads, owned by the pipeline.
         *
         * @param value the executor
         * @return this builder
         */
        public Builder executor(ExecutorService value) {
            executor = Objects.requireNonNull(value, "executor");
            return this;
        }

        /**
         * Whether to run the scanners one after another and stop after the first infected verdict. Default
         * {@code false} (all scanners at once).
         *
         * @param value the setting
         * @return this builder
         */
        public Builder stopOnFirstInfection(boolean value) {
            stopOnFirstInfection = value;
            return this;
        }

        /**
         * The per-message deadline over every scanner. Default two minutes.
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder deadline(Duration value) {
            Checks.requirePositive(value, "deadline");
            deadline = value;
            return this;
        }

        /**
         * The time source for measuring elapsed times. Default {@link NanoClock#system()}; tests pass a fake such as
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
         * Builds the pipeline.
         *
         * @return a new pipeline; close it when done
         * @throws IllegalStateException if no scanner was added
         */
        public ScanPipeline build() {
            if (scanners.isEmpty()) {
                throw new IllegalStateException("a scan pipeline needs at least one scanner");
            }
            return new ScanPipeline(this);
        }
    }
}
