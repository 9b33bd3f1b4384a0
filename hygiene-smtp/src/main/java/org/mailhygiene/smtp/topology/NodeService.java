package org.mailhygiene.smtp.topology;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.mailhygiene.internal.Checks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Something a {@link Node} runs beside SMTP and delivery: scanner health probes, signature updates, a model file
 * watch. {@link Node#start()} starts every service after the relay; {@link Node#close()} closes them first.
 * Implementations must be safe to close without having been started, and {@link #close()} must be idempotent.
 */
public interface NodeService extends AutoCloseable {

    /**
     * A short name for logs, e.g. {@code clamd-probe}.
     *
     * @return the name
     */
    String name();

    /** Starts the service; called once. */
    void start();

    /** Stops the service; never throws. */
    @Override
    void close();

    /**
     * A task run every {@code interval} (fixed delay, first run one interval after start) on its own daemon thread.
     * A task that throws is logged at WARN and runs again at the next interval.
     *
     * @param name the service's name, also the thread's
     * @param interval the delay between the end of one run and the start of the next; positive
     * @param task the work
     * @return the service
     * @throws IllegalArgumentException if the interval is not positive
     */
    static NodeService every(String name, Duration interval, Runnable task) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(task, "task");
        Checks.requirePositive(interval, name + ": interval");
        return new NodeService() {
            private static final Logger LOG = LoggerFactory.getLogger(NodeService.class);
            private ScheduledExecutorService executor;

            @Override
            public String name() {
                return name;
            }

            @Override
            public synchronized void start() {
                if (executor != null) {
                    throw new IllegalStateException(name + " already started");
                }
                executor = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, name);
                    t.setDaemon(true);
                    return t;
                });
                long ms = Math.max(1, interval.toMillis());
                executor.scheduleWithFixedDelay(
                        () -> {
                            try {
                                task.run();
                            } catch (RuntimeException e) {
                                LOG.warn("{} failed (runs again in {})", name, interval, e);
                            }
                        },
                        ms,
                        ms,
                        TimeUnit.MILLISECONDS);
            }

            @Override
            public synchronized void close() {
                if (executor != null) {
                    executor.shutdownNow();
                }
            }

            @Override
            public String toString() {
                return name + " every " + interval;
            }
        };
    }

    /**
     * Wraps something with a start and a close, such as a
     * {@link org.mailhygiene.scanners.update.SignatureUpdateScheduler}.
     *
     * @param name the service's name
     * @param start what {@link #start()} does
     * @param close what {@link #close()} does
     * @return the service
     */
    static NodeService of(String name, Runnable start, Runnable close) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(close, "close");
        return new NodeService() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void start() {
                start.run();
            }

            @Override
            public void close() {
                close.run();
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
