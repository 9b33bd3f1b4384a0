package org.mailhygiene.smtp.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.mailhygiene.testkit.Await;

/** The pool's bookkeeping against its idle timer; no network (the connection's socket is never connected). */
class SmtpConnectionPoolTest {
    private static final SmtpConnection.Settings SETTINGS = new SmtpConnection.Settings(
            "relay.example", Optional.empty(), SmtpTimeouts.uniform(Duration.ofMillis(300)));

    /**
     * With an idle limit of a millisecond, the idle timer armed by {@code release} can retire the connection before
     * {@code release} has put it in the idle queue: the timer's removal found nothing, and the retired (closed)
     * connection was then queued and counted as idle ({@link SmtpClient#idleConnections()}) until a later take for the
     * same next hop threw it away. The seam holds {@code release} between arming the timer and queueing until the
     * timer has retired the connection. Failed before session 45: one idle connection counted, its socket closed.
     */
    @Test
    void aConnectionRetiredBeforeItIsQueuedIsNotCountedAsIdle() throws Exception {
        SmtpConnectionPool pool = new SmtpConnectionPool(Duration.ofMillis(1), 10);
        SmtpConnection c = new SmtpConnection(SETTINGS, null, 0);
        c.socket = new Socket(); // never connected: retiring it only closes it
        c.inStep = true;
        c.transactions = 1;
        pool.beforeQueueing = () -> {
            try {
                Await.until("the idle timer retired the connection", () -> c.socket.isClosed());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        };
        SmtpConnectionPool.Key key = new SmtpConnectionPool.Key(null, null, false);
        pool.release(key, c, true);
        assertThat(c.socket.isClosed()).isTrue();
        assertThat(pool.idleCount()).isZero();
        assertThat(pool.take(key)).isNull();
    }

    /** The ordinary case still keeps the connection: a long idle limit, claimed by the next take. */
    @Test
    void aConnectionReleasedCleanlyIsKeptAndTaken() {
        SmtpConnectionPool pool = new SmtpConnectionPool(Duration.ofMinutes(1), 10);
        SmtpConnection c = new SmtpConnection(SETTINGS, null, 0);
        c.socket = new Socket();
        c.inStep = true;
        c.transactions = 1;
        SmtpConnectionPool.Key key = new SmtpConnectionPool.Key(null, null, false);
        pool.release(key, c, true);
        assertThat(pool.idleCount()).isEqualTo(1);
        assertThat(pool.take(key)).isSameAs(c);
        assertThat(pool.idleCount()).isZero();
        assertThat(c.socket.isClosed()).isFalse();
    }

    /**
     * The idle timer runs on the watchdog thread that every connection of every client shares. It wrote QUIT itself,
     * unguarded: a next hop that answers without reading (its window full) blocked that write, and with it the one
     * watchdog thread, so no write guard or idle timer of any connection ran any more. The connection's stream here
     * blocks as such a socket does, until the socket is closed. Failed before session 51: the watchdog ran nothing
     * more, and the connection was never closed.
     */
    @Test
    void aQuitThatBlocksDoesNotHoldTheWatchdog() throws Exception {
        SmtpConnectionPool pool = new SmtpConnectionPool(Duration.ofMillis(1), 10);
        SmtpConnection c = new SmtpConnection(SETTINGS, null, 0);
        c.socket = new Socket();
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch end = new CountDownLatch(1);
        c.out = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                writing.countDown();
                try {
                    while (!c.socket.isClosed() && !end.await(5, TimeUnit.MILLISECONDS)) {
                        // a full window: blocked until the socket is closed
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (c.socket.isClosed()) {
                    throw new SocketException("Socket closed");
                }
            }
        };
        c.inStep = true;
        c.transactions = 1;
        try {
            pool.release(new SmtpConnectionPool.Key(null, null, false), c, true);
            assertThat(writing.await(30, TimeUnit.SECONDS))
                    .as("the idle limit's QUIT is written")
                    .isTrue();
            ScheduledFuture<Boolean> probe = SmtpConnection.WATCHDOG.schedule(() -> true, 0, TimeUnit.MILLISECONDS);
            assertThat(probe.get(30, TimeUnit.SECONDS))
                    .as("the watchdog runs while the QUIT is blocked")
                    .isTrue();
            Await.until("the QUIT timeout closed the connection", () -> c.socket.isClosed());
        } finally {
            end.countDown();
        }
    }
}
