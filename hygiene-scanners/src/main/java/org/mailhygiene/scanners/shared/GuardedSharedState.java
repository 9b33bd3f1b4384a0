package org.mailhygiene.scanners.shared;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.mailhygiene.api.NanoClock;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.shared.CounterStore;
import org.mailhygiene.api.shared.RateLimiter;
import org.mailhygiene.api.shared.SharedDataException;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.api.shared.TokenStore;
import org.mailhygiene.api.shared.VerdictStore;
import org.mailhygiene.internal.Durations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wraps a {@link SharedState} so that an unreachable store costs one timeout, not one per call: after a failure the
 * store is marked down (logged once, with the reason) and calls fail at once, without touching the network, until a
 * back-off has passed (every second for the first {@link #FAILOVER_WINDOW} of an outage, the seconds a Sentinel or
 * Cluster failover takes, then doubling to at most {@link #MAX_BACKOFF}); then exactly one call probes it while the others
 * keep failing fast; the first success marks it up again (logged once). Callers catch {@link SharedStateException} and
 * use their local state, so a down store never blocks mail. A {@link SharedDataException} (the store answered with
 * data that cannot be used: a key of the wrong type, a count that is not a number) is thrown as it is and counted as
 * a fallback, but does not mark the store down: it is no outage, and one bad key must not take sharing away from
 * every other call. A caller's error in a token store call (a {@code null}
 * model, token collection or token: {@link NullPointerException}; an invalid learn journal key: {@link
 * IllegalArgumentException}) is thrown as it is, before the store is called, and does not mark the store down.
 *
 * <p>A store that fails again within {@link #FLAP_WINDOW} of coming back (a Redis Cluster with one shard down answers
 * a probe that reaches another shard) is flapping: that is logged once, its further ups and downs at DEBUG, and its
 * having stayed reachable for {@link #FLAP_WINDOW} once more; each up and down still counts for the metrics.
 *
 * <p>Counters for {@code /metrics}: calls that failed or were skipped ({@link #fallbacks()}), transitions to down
 * ({@link #outages()}). Thread-safe.
 */
public final class GuardedSharedState implements SharedState {
    /** The longest wait between probes of a down store. */
    public static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    /** The first wait after a failure. */
    public static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);

    /**
     * For this long after a store went down it is probed every {@link #FIRST_BACKOFF}, not at a doubling interval: a
     * Sentinel or Cluster failover promotes a replica within seconds, and probes at 1, 3, 7 and 15 s found the new
     * master up to 3 s after it was there (measured: promoted after 4 s, calls failed 7-9 s). An outage that lasts
     * longer backs off as before: 15 seconds.
     */
    public static final Duration FAILOVER_WINDOW = Duration.ofSeconds(15);
    /** How often the same unusable data ({@link SharedDataException}) is logged again while it stays: 5 minutes. */
    public static final Duration DATA_ERROR_LOG_INTERVAL = Duration.ofMinutes(5);

    /**
     * A store that fails again within this time after a probe found it reachable is flapping (a Redis Cluster with one
     * shard down: a probe that reaches a live shard succeeds, the next call to the dead one fails): that is logged
     * once, and its further ups and downs only at DEBUG until it has stayed reachable this long, which is logged
     * again: 30 seconds.
     */
    public static final Duration FLAP_WINDOW = Duration.ofSeconds(30);

    private static final Logger LOG = LoggerFactory.getLogger(GuardedSharedState.class);

    private final SharedState delegate;
    /** Measures back-off and windows: monotonic for a system clock ({@link NanoClock#of}). */
    private final NanoClock ticker;

    private final LongAdder fallbacks = new LongAdder();
    private final LongAdder outages = new LongAdder();
    private final AtomicBoolean probing = new AtomicBoolean();
    private final Object lock = new Object();
    private boolean down;
    private long retryAt;
    private Duration backoff = FIRST_BACKOFF;
    /** When the store last went down (ticker milliseconds), meaningful while down. */
    private long downSince;

    private String lastError = "";
    /**
     * The reasons ({@link #reason}) this outage was logged with: a probe that fails for another reason (a Redis
     * restarted with a password the node does not have answers {@code NOAUTH} where the outage began with {@code
     * Unexpected end of stream}) is logged once more, so the log names what keeps the store down now (only a probe's:
     * calls under way when the store went down fail with the same event's other words). At most
     * {@link #MAX_REASONS} for an outage; cleared when the store is reachable again.
     */
    private final java.util.Set<String> reasonsLogged = new java.util.HashSet<>();

    /** The most reasons logged for one outage. */
    private static final int MAX_REASONS = 5;
    /** When a probe last found the store reachable, or {@code Long.MIN_VALUE} if never. */
    private long upAt = Long.MIN_VALUE;
    /** Whether the store failed again soon after it came back, its ups and downs logged at DEBUG meanwhile. */
    private volatile boolean flapping;

    private String lastDataError = "";
    private long lastDataErrorLogged;

    private final VerdictStore verdicts;
    private final RateLimiter limiter;
    private final CounterStore counters;
    private final TokenStore tokens;

    /**
     * Guards {@code delegate}.
     *
     * @param delegate the store
     * @param clock the time source for back-off and the flap and log windows: a system clock (any zone) stands for
     *     the system's monotonic time, so a step of the wall clock neither keeps the store down nor probes it early;
     *     any other clock (a test's) measures them itself
     * @throws NullPointerException if an argument is null
     */
    public GuardedSharedState(SharedState delegate, Clock clock) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.ticker = NanoClock.of(clock);
        VerdictStore v = delegate.verdicts();
        RateLimiter l = delegate.limiter();
        CounterStore c = delegate.counters();
        TokenStore t = delegate.tokens();
        this.verdicts = new VerdictStore() {
            @Override
            public Optional<Verdict> get(String identity, String sha256) throws SharedStateException {
                return guard(() -> v.get(identity, sha256));
            }

            @Override
            public Optional<Found> find(String identity, String sha256) throws SharedStateException {
                return guard(() -> v.find(identity, sha256));
            }

            @Override
            public void put(String identity, String sha256, Verdict verdict, Duration ttl) throws SharedStateException {
                guard(() -> {
                    v.put(identity, sha256, verdict, ttl);
                    return null;
                });
            }

            @Override
            public boolean tryLease(String identity, String sha256, String owner, Duration lease)
                    throws SharedStateException {
                return guard(() -> v.tryLease(identity, sha256, owner, lease));
            }

            @Override
            public boolean leaseHeld(String identity, String sha256) throws SharedStateException {
                return guard(() -> v.leaseHeld(identity, sha256));
            }

            @Override
            public boolean renewLease(String identity, String sha256, String owner, Duration lease)
                    throws SharedStateException {
                return guard(() -> v.renewLease(identity, sha256, owner, lease));
            }

            @Override
            public void release(String identity, String sha256, String owner) throws SharedStateException {
                guard(() -> {
                    v.release(identity, sha256, owner);
                    return null;
                });
            }
        };
        this.limiter = (key, capacity, window) -> guard(() -> l.tryAcquire(key, capacity, window));
        this.counters = new CounterStore() {
            @Override
            public void publish(String node, LocalDate day, Map<String, Long> totals) throws SharedStateException {
                guard(() -> {
                    c.publish(node, day, totals);
                    return null;
                });
            }

            @Override
            public Map<String, Map<String, Long>> read(LocalDate day) throws SharedStateException {
                return guard(() -> c.read(day));
            }
        };
        this.tokens = new TokenStore() {
            @Override
            public void learn(String model, Collection<String> toks, boolean spam) throws SharedStateException {
                callerArguments(model, toks);
                guard(() -> {
                    t.learn(model, toks, spam);
                    return null;
                });
            }

            @Override
            public boolean learn(String model, String key, Collection<String> toks, boolean spam)
                    throws SharedStateException {
                TokenStore.checkKey(key); // a bad key is the caller's error, not the store's
                callerArguments(model, toks);
                return guard(() -> t.learn(model, key, toks, spam));
            }

            @Override
            public Optional<Learned> learned(String model, String key) throws SharedStateException {
                TokenStore.checkKey(key);
                Objects.requireNonNull(model, "model");
                return guard(() -> t.learned(model, key));
            }

            @Override
            public Optional<Learned> unlearn(String model, String key, Collection<String> toks)
                    throws SharedStateException {
                TokenStore.checkKey(key);
                callerArguments(model, toks);
                return guard(() -> t.unlearn(model, key, toks));
            }

            @Override
            public long version(String model) throws SharedStateException {
                Objects.requireNonNull(model, "model");
                return guard(() -> t.version(model));
            }

            @Override
            public Snapshot snapshot(String model) throws SharedStateException {
                Objects.requireNonNull(model, "model");
                return guard(() -> t.snapshot(model));
            }

            @Override
            public Changes changesSince(String model, long version) throws SharedStateException {
                Objects.requireNonNull(model, "model");
                return guard(() -> t.changesSince(model, version));
            }
        };
    }

    /**
     * Checks a token store call's arguments before it reaches the store: a {@code null} model, token collection or
     * token is the caller's error (a {@link NullPointerException}), not a failure of the store, so it must not mark the
     * store down for every other caller.
     */
    private static void callerArguments(String model, Collection<String> tokens) {
        Objects.requireNonNull(model, "model");
        for (String token : Objects.requireNonNull(tokens, "tokens")) {
            Objects.requireNonNull(token, "token");
        }
    }

    @FunctionalInterface
    private interface Op<T> {
        T run() throws SharedStateException;
    }

    private <T> T guard(Op<T> op) throws SharedStateException {
        boolean probe = false;
        synchronized (lock) {
            if (down) {
                long now = millis();
                // retryAt further away than the back-off: the clock went back (only a test's can); probe now.
                boolean waiting = now < retryAt && retryAt - now <= backoff.toMillis();
                if (waiting || !probing.compareAndSet(false, true)) {
                    fallbacks.increment();
                    throw new SharedStateException(
                            delegate.description() + " is down (" + lastError + "); using local state");
                }
                probe = true;
            }
        }
        try {
            T r = op.run();
            if (probe) {
                markUp();
            } else if (flapping) {
                checkSteady();
            }
            return r;
        } catch (SharedDataException e) {
            // The store answered: unusable data at one key (named in the message) is that operation's failure, not
            // an outage. Marking the store down for it made every node flap at each model refresh or statistics
            // flush while the bad key stayed, with rate limits and verdicts local-only meanwhile.
            fallbacks.increment();
            if (probe) {
                markUp();
            }
            logDataError(e);
            throw e;
        } catch (SharedStateException | RuntimeException e) {
            fallbacks.increment();
            boolean first;
            boolean startsFlapping = false;
            boolean quiet;
            boolean newReason = false;
            long now = millis();
            synchronized (lock) {
                first = !down;
                if (first) {
                    downSince = now;
                    reasonsLogged.clear();
                    reasonsLogged.add(reason(e.getMessage()));
                } else if (probe && reasonsLogged.size() < MAX_REASONS) {
                    // a probe's failure, not a call that was under way when the store went down (its reset
                    // connection is the same event)
                    newReason = reasonsLogged.add(reason(e.getMessage()));
                }
                if (!first && now - downSince >= FAILOVER_WINDOW.toMillis()) {
                    backoff =
                            backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
                } else if (!first) {
                    backoff = FIRST_BACKOFF;
                } else if (upAt != Long.MIN_VALUE && now - upAt < FLAP_WINDOW.toMillis()) {
                    startsFlapping = !flapping;
                    flapping = true;
                } else {
                    flapping = false;
                }
                quiet = flapping && !startsFlapping;
                down = true;
                lastError = String.valueOf(e.getMessage());
                retryAt = now + backoff.toMillis();
            }
            if (first) {
                outages.increment();
                if (startsFlapping) {
                    LOG.warn(
                            "shared state {} failed again {} s after it came back ({}); using local state, retrying"
                                    + " in {}; its further ups and downs are logged at DEBUG until it stays reachable"
                                    + " for {}",
                            delegate.description(),
                            (now - upAt) / 1000,
                            e.getMessage(),
                            Durations.format(backoff),
                            Durations.format(FLAP_WINDOW));
                } else if (quiet) {
                    LOG.debug(
                            "shared state {} failed ({}); using local state, retrying in {}",
                            delegate.description(),
                            e.getMessage(),
                            Durations.format(backoff));
                } else {
                    LOG.warn(
                            "shared state {} failed ({}); using local state, retrying in {}",
                            delegate.description(),
                            e.getMessage(),
                            Durations.format(backoff));
                }
            }
            if (newReason) {
                if (quiet) {
                    LOG.debug(
                            "shared state {} is still down, now: {}; retrying in {}",
                            delegate.description(),
                            e.getMessage(),
                            Durations.format(backoff));
                } else {
                    LOG.warn(
                            "shared state {} is still down, now: {}; using local state, retrying in {}",
                            delegate.description(),
                            e.getMessage(),
                            Durations.format(backoff));
                }
            }
            if (e instanceof SharedStateException s) {
                throw s;
            }
            throw new SharedStateException(delegate.description() + ": " + e, e);
        } finally {
            if (probe) {
                probing.set(false);
            }
        }
    }

    /**
     * What a failure says beyond the call that failed: the text after {@code " failed: "} (the store's form, {@code
     * URL: COMMAND failed: REASON}), without a Lua script's position ({@code script: SHA, on @user_script:N}), so the
     * same reason from two different calls is one reason.
     */
    static String reason(String message) {
        String m = String.valueOf(message);
        int at = m.indexOf(" failed: ");
        if (at >= 0) {
            m = m.substring(at + " failed: ".length());
        }
        int script = m.indexOf(" script: ");
        return script >= 0 ? m.substring(0, script) : m;
    }

    /** The ticker's reading in milliseconds. */
    private long millis() {
        return ticker.nanoTime() / 1_000_000L;
    }

    /** Whether intervals are measured with the system's monotonic clock (for tests). */
    boolean monotonic() {
        return ticker == NanoClock.system();
    }

    /** A probe reached the store (it answered, with data or without): calls go to it again. */
    private void markUp() {
        boolean quiet;
        synchronized (lock) {
            down = false;
            backoff = FIRST_BACKOFF;
            upAt = millis();
            quiet = flapping;
        }
        if (quiet) {
            LOG.debug("shared state {} is reachable again", delegate.description());
        } else {
            LOG.info("shared state {} is reachable again; sharing resumed", delegate.description());
        }
    }

    /** A flapping store that has stayed reachable for {@link #FLAP_WINDOW} is steady again: logged once. */
    private void checkSteady() {
        synchronized (lock) {
            if (!flapping || down || millis() - upAt < FLAP_WINDOW.toMillis()) {
                return;
            }
            flapping = false;
        }
        LOG.info(
                "shared state {} has stayed reachable for {}; sharing resumed",
                delegate.description(),
                Durations.format(FLAP_WINDOW));
    }

    /**
     * Logs unusable data once for each new message, and the same message again at most every {@link
     * #DATA_ERROR_LOG_INTERVAL}: a bad key stays until someone repairs it, and the calls that read it (a model refresh
     * every 10 s, a statistics flush every 5 s) must neither go unheard nor fill the log.
     */
    private void logDataError(SharedDataException e) {
        String m = String.valueOf(e.getMessage());
        long now = millis();
        synchronized (lock) {
            if (m.equals(lastDataError) && now - lastDataErrorLogged < DATA_ERROR_LOG_INTERVAL.toMillis()) {
                return;
            }
            lastDataError = m;
            lastDataErrorLogged = now;
        }
        LOG.warn("shared state {}: {}; that call used local state (the store is up)", delegate.description(), m);
    }

    /**
     * Whether the store is taken to be reachable (no failure since the last success).
     *
     * @return {@code true} while up
     */
    public boolean available() {
        synchronized (lock) {
            return !down;
        }
    }

    /**
     * Why the store is taken to be down: the last failure's message (a refused connection, a timeout, or a store that
     * answers but refuses, such as {@code READONLY}, {@code OOM}, {@code NOPERM} or {@code NOAUTH}).
     *
     * @return the message while down, empty while up
     */
    public Optional<String> downReason() {
        synchronized (lock) {
            return down ? Optional.of(lastError) : Optional.empty();
        }
    }

    /**
     * Calls that failed or were skipped because the store was down, since creation.
     *
     * @return the count
     */
    public long fallbacks() {
        return fallbacks.sum();
    }

    /**
     * Times the store went from up to down, since creation.
     *
     * @return the count
     */
    public long outages() {
        return outages.sum();
    }

    /**
     * The delegate's {@link SharedState#refusedVerdicts()}: verdicts it refused for failing its integrity check.
     *
     * @return the count (0 for a store that checks nothing)
     */
    @Override
    public long refusedVerdicts() {
        return delegate.refusedVerdicts();
    }

    /**
     * The store this guards.
     *
     * @return the delegate
     */
    public SharedState delegate() {
        return delegate;
    }

    @Override
    public String description() {
        return delegate.description();
    }

    @Override
    public VerdictStore verdicts() {
        return verdicts;
    }

    @Override
    public RateLimiter limiter() {
        return limiter;
    }

    @Override
    public CounterStore counters() {
        return counters;
    }

    @Override
    public TokenStore tokens() {
        return tokens;
    }

    @Override
    public void ping() throws SharedStateException {
        guard(() -> {
            delegate.ping();
            return null;
        });
    }

    @Override
    public void close() {
        delegate.close();
    }
}
