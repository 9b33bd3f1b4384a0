package org.mailhygiene.testkit.server;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The requests a fake received, in arrival order: a snapshot for assertions ({@link #all()}) and a blocking
 * {@link #take(Duration)} that hands out each request once, as OkHttp's MockWebServer's {@code takeRequest} does, so
 * a test waits for the request it expects instead of sleeping.
 *
 * <p>Thread-safe.
 *
 * @param <R> the fake's request record
 */
public final class RequestLog<R extends Recorded> {
    private final String what;
    private final Object lock = new Object();
    private final List<R> all = new ArrayList<>();
    private final Deque<R> untaken = new ArrayDeque<>();

    /**
     * Creates an empty log.
     *
     * @param what what the requests are, for failure messages (e.g. {@code clamd})
     */
    public RequestLog(String what) {
        this.what = Objects.requireNonNull(what, "what");
    }

    /**
     * Records a request (fakes call this once the request was read).
     *
     * @param request the request
     */
    public void record(R request) {
        Objects.requireNonNull(request, "request");
        synchronized (lock) {
            all.add(request);
            untaken.add(request);
            lock.notifyAll();
        }
    }

    /**
     * Waits for the next request not yet taken, in arrival order.
     *
     * @param timeout how long to wait at most
     * @return the request
     * @throws InterruptedException if interrupted while waiting
     * @throws AssertionError if none arrived in time (the message lists what did arrive)
     */
    public R take(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (untaken.isEmpty()) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError(
                            "no " + what + " request within " + timeout + "; received so far: " + summary(all));
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return untaken.poll();
        }
    }

    /**
     * Waits for the next request of {@code command} not yet taken; requests of other commands before it are taken
     * (skipped) too.
     *
     * @param command the command name, as {@link Recorded#command()} gives it
     * @param timeout how long to wait at most
     * @return the request
     * @throws InterruptedException if interrupted while waiting
     * @throws AssertionError if none arrived in time
     */
    public R take(String command, Duration timeout) throws InterruptedException {
        Objects.requireNonNull(command, "command");
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (true) {
                while (!untaken.isEmpty()) {
                    R r = untaken.poll();
                    if (r.command().equals(command)) {
                        return r;
                    }
                }
                long left = end - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no " + what + " " + command + " request within " + timeout
                            + "; received so far: " + summary(all));
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
        }
    }

    /**
     * Every request recorded so far, taken or not.
     *
     * @return a snapshot in arrival order
     */
    public List<R> all() {
        synchronized (lock) {
            return List.copyOf(all);
        }
    }

    /**
     * How many requests were recorded.
     *
     * @return the count
     */
    public int count() {
        synchronized (lock) {
            return all.size();
        }
    }

    /** Forgets every request. */
    public void clear() {
        synchronized (lock) {
            all.clear();
            untaken.clear();
        }
    }

    private static String summary(List<? extends Recorded> rs) {
        List<String> s = new ArrayList<>();
        for (Recorded r : rs) {
            s.add("#" + r.connection() + " " + r.command());
        }
        return s.toString();
    }
}
