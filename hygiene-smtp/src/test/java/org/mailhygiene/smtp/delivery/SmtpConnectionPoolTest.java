package org.mailhygiene.smtp.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.mailhygiene.testkit.Await;

/** The pool's bookkeeping against its idle timer; no network (the connection's socket is never connected). */
class SmtpConnectionPoolTest {
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
        SmtpConnection c = new SmtpConnection(null, null, 0);
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
        SmtpConnection c = new SmtpConnection(null, null, 0);
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
}
