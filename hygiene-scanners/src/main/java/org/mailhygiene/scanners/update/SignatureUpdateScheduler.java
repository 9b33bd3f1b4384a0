package org.mailhygiene.scanners.update;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.random.RandomGenerator;
import org.mailhygiene.api.events.HygieneListener;
import org.mailhygiene.internal.Checks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs signature updates on a schedule: every {@link Builder#interval} plus a random delay of up to
 * {@link Builder#jitter} (so a fleet of relays does not hit the mirrors at once), it runs its {@link UpdateStep}s in
 * order, for example {@code freshclam} then {@code RELOAD} of every clamd ({@code ClamdScanner.reloadStep()}), or
 * Vexira's updater. The first failing step ends the run; later steps are not run. Each run is reported once through
 * {@link HygieneListener#signatureUpdate} with this scheduler's name, whether every step succeeded, a detail naming
 * each step's outcome, and the run's duration.
 *
 * <p>Runs never overlap: the next run is scheduled only when one ends, and {@link #runNow()} returns empty instead of
 * running while another run is in progress. A step that throws does not stop the schedule.
 *
 * <p>Defaults: interval 1 h, jitter 5 min (or the interval if shorter), first run after one interval (plus jitter), the system UTC clock (used for
 * reported times and durations), a private single daemon thread (shut down by {@link #close()}), no listener. The
 * executor may be injected; only {@link ScheduledExecutorService#schedule(Runnable, long, TimeUnit)} is used, and an
 * injected executor is not shut down by {@link #close()}.
 *
 * <p>Thread-safe.
 */
public final class SignatureUpdateScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SignatureUpdateScheduler.class);

    /** Default interval: hourly, as the gateway this project is modelled on updated its signatures. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofHours(1);
    /** Default jitter. */
    public static final Duration DEFAULT_JITTER = Duration.ofMinutes(5);

    /**
     * The outcome of one step of a run.
     *
     * @param step the step's name
     * @param success whether it succeeded
     * @param detail its detail, or the failure message
     * @param elapsed how long it took
     */
    public record StepResult(String step, boolean success, String detail, Duration elapsed) {
        /**
         * Validates.
         *
         * @throws NullPointerException if a component is {@code null}
         */
        public StepResult {
            Objects.requireNonNull(step, "step");
            Objects.requireNonNull(detail, "detail");
            Objects.requireNonNull(elapsed, "elapsed");
        }
    }

    /**
     * One run.
     *
     * @param started when it started
     * @param elapsed how long it took
     * @param steps the steps that ran, in order (the failing one last)
     * @param success whether every step ran and succeeded
     */
    public record Run(Instant started, Duration elapsed, List<StepResult> steps, boolean success) {
        /**
         * Validates and copies.
         *
         * @throws NullPointerException if a component is {@code null}
         */
        public Run {
            Objects.requireNonNull(started, "started");
            Objects.requireNonNull(elapsed, "elapsed");
            steps = List.copyOf(steps);
        }

        /**
         * The text reported to the listener, e.g. {@code freshclam ok (exit 0); clamd-reload ok (RELOADING on 2
         * instance(s))}.
         *
         * @return the detail
         */
        public String detail() {
            StringBuilder sb = new StringBuilder();
            for (StepResult s : steps) {
                if (sb.length() > 0) {
                    sb.append("; ");
                }
                sb.append(s.step())
                        .append(s.success() ? " ok (" : " FAILED (")
                        .append(s.detail())
                        .append(')');
            }
            return sb.toString();
        }
    }

    private final String name;
    private final List<UpdateStep> steps;
    private final Duration interval;
    private final Duration jitter;
    private final Duration initialDelay;
    private final Clock clock;
    private final ScheduledExecutorService executor;
    private final boolean ownExecutor;
    private final HygieneListener listener;
    private final RandomGenerator random;
    private final AtomicBoolean running = new AtomicBoolean();
    private final Object lock = new Object();
    private boolean started;
    private boolean closed;
    private ScheduledFuture<?> next;
    private Instant nextAt;
    private volatile Run lastRun;

    private SignatureUpdateScheduler(Builder b) {
        this.name = b.name;
        this.steps = List.copyOf(b.steps);
        this.interval = b.interval;
        // The default jitter yields to a shorter interval; build() refuses an explicit jitter above the interval.
        this.jitter = b.jitter == null ? min(DEFAULT_JITTER, b.interval) : b.jitter;
        this.initialDelay = b.initialDelay == null ? b.interval : b.initialDelay;
        this.clock = b.clock;
        this.ownExecutor = b.executor == null;
        this.executor = ownExecutor
                ? Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, b.name + "-updates");
                    t.setDaemon(true);
                    return t;
                })
                : b.executor;
        this.listener = b.listener;
        this.random = b.random;
    }

    /**
     * Starts a builder.
     *
     * @param name the name reported to the listener, e.g. {@code clamav} or {@code vexira}
     * @return a new builder with the defaults in the class description
     * @throws IllegalArgumentException if the name is blank
     */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /**
     * The name reported to the listener.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * The steps, in order.
     *
     * @return an unmodifiable list
     */
    public List<UpdateStep> steps() {
        return steps;
    }

    /**
     * The interval between runs (before jitter).
     *
     * @return the interval
     */
    public Duration interval() {
        return interval;
    }

    /**
     * The largest random delay added to each interval.
     *
     * @return the jitter
     */
    public Duration jitter() {
        return jitter;
    }

    /**
     * Schedules the first run after the initial delay plus jitter.
     *
     * @throws IllegalStateException if already started or closed
     */
    public void start() {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException(name + ": update scheduler is closed");
            }
            if (started) {
                throw new IllegalStateException(name + ": update scheduler already started");
            }
            started = true;
            scheduleNext(initialDelay);
        }
    }

    private void scheduleNext(Duration base) {
        long extra = jitter.isZero() ? 0 : random.nextLong(jitter.toMillis() + 1);
        Duration delay = base.plusMillis(extra);
        nextAt = clock.instant().plus(delay);
        next = executor.schedule(this::scheduledRun, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void scheduledRun() {
        try {
            runNow();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (RuntimeException e) {
            LOG.error("{}: signature update run failed unexpectedly", name, e);
        }
        synchronized (lock) {
            if (!closed) {
                scheduleNext(interval);
            }
        }
    }

    /**
     * When the next scheduled run is due.
     *
     * @return the time, or empty before {@link #start()} and after {@link #close()}
     */
    public Optional<Instant> nextRunAt() {
        synchronized (lock) {
            return started && !closed ? Optional.ofNullable(nextAt) : Optional.empty();
        }
    }

    /**
     * The last completed run.
     *
     * @return the run, or empty if none completed yet
     */
    public Optional<Run> lastRun() {
        return Optional.ofNullable(lastRun);
    }

    /**
     * Runs the steps now on the calling thread, unless a run is already in progress. Reports the run to the listener.
     * Does not change the schedule.
     *
     * @return the run, or empty when another run was in progress (nothing was run or reported)
     * @throws InterruptedException if interrupted during a step; the run is reported as failed first
     */
    public Optional<Run> runNow() throws InterruptedException {
        if (!running.compareAndSet(false, true)) {
            LOG.info("{}: signature update already in progress; not starting another", name);
            return Optional.empty();
        }
        try {
            Instant start = clock.instant();
            List<StepResult> results = new ArrayList<>();
            boolean ok = true;
            InterruptedException interrupted = null;
            for (UpdateStep step : steps) {
                Instant s0 = clock.instant();
                try {
                    String detail = step.run();
                    results.add(new StepResult(step.name(), true, String.valueOf(detail), since(s0)));
                } catch (InterruptedException e) {
                    results.add(new StepResult(step.name(), false, "interrupted", since(s0)));
                    ok = false;
                    interrupted = e;
                    break;
                } catch (Exception e) {
                    String msg = e.getMessage() == null ? e.toString() : e.getMessage();
                    results.add(new StepResult(step.name(), false, msg, since(s0)));
                    ok = false;
                    break;
                }
            }
            Run run = new Run(start, since(start), results, ok);
            lastRun = run;
            if (ok) {
                LOG.info("{}: signature update succeeded: {}", name, run.detail());
            } else {
                LOG.warn("{}: signature update failed: {}", name, run.detail());
            }
            try {
                listener.signatureUpdate(name, ok, run.detail(), run.elapsed());
            } catch (RuntimeException e) {
                LOG.warn("{}: listener threw on signatureUpdate", name, e);
            }
            if (interrupted != null) {
                throw interrupted;
            }
            return Optional.of(run);
        } finally {
            running.set(false);
        }
    }

    private Duration since(Instant t) {
        Duration d = Duration.between(t, clock.instant());
        return d.isNegative() ? Duration.ZERO : d;
    }

    /**
     * Cancels the schedule (a run in progress finishes) and shuts down the private executor, if any. Idempotent.
     */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            if (next != null) {
                next.cancel(false);
            }
        }
        if (ownExecutor) {
            executor.shutdownNow();
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /**
     * Builds a {@link SignatureUpdateScheduler}. Each setter checks its own value at once; settings that depend on
     * each other are checked in {@link #build()}, so the order of the calls never matters. Not thread-safe.
     */
    public static final class Builder {
        private final String name;
        private final List<UpdateStep> steps = new ArrayList<>();
        private Duration interval = DEFAULT_INTERVAL;
        private Duration jitter;
        private Duration initialDelay;
        private Clock clock = Clock.systemUTC();
        private ScheduledExecutorService executor;
        private HygieneListener listener = HygieneListener.NOOP;
        private RandomGenerator random = new Random();

        private Builder(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("update scheduler name must not be blank");
            }
            this.name = name;
        }

        /**
         * Adds a step; steps run in the order added.
         *
         * @param step the step
         * @return this builder
         * @throws IllegalArgumentException if a step of that name was already added
         */
        public Builder step(UpdateStep step) {
            Objects.requireNonNull(step, "step");
            for (UpdateStep s : steps) {
                if (s.name().equals(step.name())) {
                    throw new IllegalArgumentException("update step name " + step.name() + " used twice");
                }
            }
            steps.add(step);
            return this;
        }

        /**
         * Adds steps in order.
         *
         * @param list the steps
         * @return this builder
         * @throws IllegalArgumentException if a name repeats
         */
        public Builder steps(List<UpdateStep> list) {
            list.forEach(this::step);
            return this;
        }

        /**
         * The time between the end of one run and the start of the next, before jitter. Default 1 h.
         *
         * @param value at least 1 s
         * @return this builder
         * @throws IllegalArgumentException if shorter than 1 s
         */
        public Builder interval(Duration value) {
            Objects.requireNonNull(value, "interval");
            if (value.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("update interval must be at least 1 s, was " + value);
            }
            interval = value;
            return this;
        }

        /**
         * The largest random delay added to every interval. Default 5 min, or the interval if that is shorter. It must
         * not be longer than the interval (set or default), which {@link #build()} checks whatever the order of the
         * calls.
         *
         * @param value zero or positive
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder jitter(Duration value) {
            Checks.requireNonNegative(value, "jitter");
            jitter = value;
            return this;
        }

        /**
         * The delay before the first run (jitter is added). Default: one interval.
         *
         * @param value zero or positive
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder initialDelay(Duration value) {
            Checks.requireNonNegative(value, "initialDelay");
            initialDelay = value;
            return this;
        }

        /**
         * The clock for reported times. Default the system UTC clock.
         *
         * @param value the clock
         * @return this builder
         */
        public Builder clock(Clock value) {
            clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * The executor that runs the schedule; the caller owns it. Default: a private daemon thread.
         *
         * @param value the executor
         * @return this builder
         */
        public Builder executor(ScheduledExecutorService value) {
            executor = Objects.requireNonNull(value, "executor");
            return this;
        }

        /**
         * Receives {@link HygieneListener#signatureUpdate} once per run. Default none.
         *
         * @param value the listener
         * @return this builder
         */
        public Builder listener(HygieneListener value) {
            listener = Objects.requireNonNull(value, "listener");
            return this;
        }

        /**
         * The source of jitter. Default a new {@link Random}.
         *
         * @param value the generator
         * @return this builder
         */
        public Builder random(RandomGenerator value) {
            random = Objects.requireNonNull(value, "random");
            return this;
        }

        /**
         * Builds the scheduler (not started).
         *
         * @return a new scheduler
         * @throws IllegalStateException if no step was added, or the jitter is longer than the interval
         */
        public SignatureUpdateScheduler build() {
            if (steps.isEmpty()) {
                throw new IllegalStateException("update scheduler " + name + " needs at least one step");
            }
            if (jitter != null && jitter.compareTo(interval) > 0) {
                throw new IllegalStateException("jitter " + jitter + " is longer than the interval " + interval
                        + (interval == DEFAULT_INTERVAL ? " (the default)" : ""));
            }
            return new SignatureUpdateScheduler(this);
        }
    }
}
