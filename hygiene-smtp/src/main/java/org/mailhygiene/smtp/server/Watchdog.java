package org.mailhygiene.smtp.server;

import static org.mailhygiene.internal.Closeables.closeQuietly;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Bounds blocking socket operations that socket timeouts cannot bound (writes, and a TLS handshake as a whole): a
 * task scheduled on the server's watchdog executor closes the connection's TCP socket when the operation has not
 * finished in time, which makes the blocked call fail. Package-private; one per session, used by the session thread.
 *
 * <p>It always closes the plain TCP socket, never a TLS socket layered on it: closing an {@code SSLSocket} tries to
 * send close_notify, which would block behind the very write being aborted.
 */
final class Watchdog {
    private final ScheduledExecutorService scheduler;
    private final Socket tcp;
    private final AtomicBoolean fired = new AtomicBoolean();
    /** {@link System#nanoTime()} when the running guarded write or flush began (never 0 then); 0 when none runs. */
    private volatile long writingSince;

    Watchdog(ScheduledExecutorService scheduler, Socket tcp) {
        this.scheduler = scheduler;
        this.tcp = tcp;
    }

    /**
     * Whether a write or flush of a {@linkplain #guard guarded stream} has been running for longer than {@code
     * limitNanos} at {@code now}: the client does not read (its receive window is zero). Any thread.
     *
     * @param limitNanos the limit
     * @param now {@link System#nanoTime()}
     * @return {@code true} if such a call has been blocked that long
     */
    boolean writingLongerThan(long limitNanos, long now) {
        long since = writingSince;
        return since != 0 && now - since > limitNanos;
    }

    private void writing() {
        long now = System.nanoTime();
        writingSince = now == 0 ? 1 : now;
    }

    /** Whether a guard fired and closed the connection. */
    boolean fired() {
        return fired.get();
    }

    /**
     * Arms a guard: unless {@link Guard#disarm()} is called within {@code timeout}, the connection is closed.
     *
     * @param timeout how long the guarded operation may take
     * @return the guard to close when the operation finished
     */
    Guard arm(Duration timeout) {
        ScheduledFuture<?> f;
        try {
            f = scheduler.schedule(this::fire, Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            fire(); // the server is stopping: nothing may block any more
            return () -> {};
        }
        return () -> f.cancel(false);
    }

    private void fire() {
        fired.set(true);
        closeQuietly(tcp);
    }

    /** An armed guard. */
    interface Guard {
        /** Cancels the guard: the operation finished in time. Idempotent. */
        void disarm();
    }

    /**
     * An output stream whose every write and flush is guarded: a client that does not read what the server sends
     * cannot hold the session thread longer than {@code timeout} per call.
     *
     * @param out the socket's output stream
     * @param timeout the longest one call may block
     * @return the guarded stream
     */
    OutputStream guard(OutputStream out, Duration timeout) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                Guard g = arm(timeout);
                writing();
                try {
                    out.write(b, off, len);
                } catch (IOException e) {
                    throw timedOut(e);
                } finally {
                    writingSince = 0;
                    g.disarm();
                }
            }

            @Override
            public void flush() throws IOException {
                Guard g = arm(timeout);
                writing();
                try {
                    out.flush();
                } catch (IOException e) {
                    throw timedOut(e);
                } finally {
                    writingSince = 0;
                    g.disarm();
                }
            }

            @Override
            public void close() throws IOException {
                out.close();
            }
        };
    }

    /** Names the watchdog as the cause when it closed the socket under a call. */
    IOException timedOut(IOException e) {
        if (fired()) {
            return new IOException("watchdog closed the connection (timeout): " + e.getMessage(), e);
        }
        return e;
    }
}
