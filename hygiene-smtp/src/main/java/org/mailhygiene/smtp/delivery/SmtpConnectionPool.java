package org.mailhygiene.smtp.delivery;

import java.time.Duration;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * The connections an {@link SmtpClient} keeps for reuse (see "Connection reuse" there): idle connections per endpoint
 * and TLS intent, most recently used first, each retired (QUIT, close) when it has been idle for the idle limit
 * unless a transaction claims it first; a connection carries at most a given number of transactions.
 *
 * <p>Thread-safe: concurrent deliveries take and release connections; a connection is claimed by one transaction at a
 * time ({@link SmtpConnection#claim} against {@link SmtpConnection#expire}).
 */
final class SmtpConnectionPool {
    /**
     * Which kept connections may serve a transaction: the same endpoint, the same TLS policy (a connection opened
     * under a weaker policy never carries a route that requires more) and the same TLS intent.
     */
    record Key(Endpoint endpoint, TlsPolicy tls, boolean tryTls) {}

    private final Duration idleLimit;
    private final int maxTransactions;
    /** Idle connections per key, most recently used first. */
    private final Map<Key, Deque<SmtpConnection>> idle = new ConcurrentHashMap<>();

    /** A test seam: runs in {@link #release} after the idle timer is armed, before the connection is queued. */
    volatile Runnable beforeQueueing;

    SmtpConnectionPool(Duration idleLimit, int maxTransactions) {
        this.idleLimit = idleLimit;
        this.maxTransactions = maxTransactions;
    }

    /**
     * Takes a kept connection for a transaction.
     *
     * @return the most recently used idle connection for the key, or {@code null} if there is none
     */
    SmtpConnection take(Key key) {
        Deque<SmtpConnection> q = idle.get(key);
        if (q == null) {
            return null;
        }
        SmtpConnection c;
        while ((c = q.pollFirst()) != null) {
            if (c.claim()) {
                return c;
            }
        }
        return null;
    }

    /**
     * After a transaction: keeps the connection if the transaction ended cleanly, in step, and the connection may carry
     * more; otherwise says QUIT (when in step) and closes it. A kept connection is retired after the idle limit unless
     * a transaction claims it first.
     */
    void release(Key key, SmtpConnection c, boolean clean) {
        if (!clean
                || !c.inStep
                || maxTransactions <= 1
                || c.transactions >= maxTransactions
                || c.socket == null
                || c.socket.isClosed()) {
            if (c.inStep) {
                c.quietQuit();
            }
            c.close();
            return;
        }
        c.inStep = false;
        long parked = c.park(
                spell -> {
                    if (c.expire(spell)) { // still parked: ours to close (a transaction that claimed it first keeps it)
                        Deque<SmtpConnection> q = idle.get(key);
                        if (q != null) {
                            q.remove(c);
                        }
                        c.retireInBackground(); // this runs on the watchdog thread: a QUIT must not hold it
                    }
                },
                idleLimit.toMillis());
        Runnable seam = beforeQueueing;
        if (seam != null) {
            seam.run();
        }
        Deque<SmtpConnection> q = idle.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>());
        q.offerFirst(c);
        // An idle limit of milliseconds can retire the connection before it is queued (the timer's removal found
        // nothing): then it is taken out again, not counted as idle (until session 45 it stayed, closed, in the queue).
        if (c.expiredIn(parked)) {
            q.remove(c);
        }
    }

    /** Says QUIT to and closes every idle connection (connections in use are not touched). */
    void closeIdle() {
        for (Deque<SmtpConnection> q : idle.values()) {
            SmtpConnection c;
            while ((c = q.pollFirst()) != null) {
                if (c.claim()) { // cancels its idle timer; false: the timer has just retired it
                    c.retire();
                }
            }
        }
    }

    /** How many connections are idle right now. */
    int idleCount() {
        int n = 0;
        for (Deque<SmtpConnection> q : idle.values()) {
            n += q.size();
        }
        return n;
    }
}
