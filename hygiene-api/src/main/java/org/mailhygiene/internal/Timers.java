package org.mailhygiene.internal;

import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * The project's timer threads: watchdogs, renewals, wake-ups. Each arms timers of seconds or minutes and cancels most
 * of them a moment later, so a cancelled timer must leave the queue at once: with the JDK's default it stays queued
 * until its time would have come, a number of dead entries proportional to the rate times the delay (until sessions 43
 * and 44: the delivery client's step timers, the delivery agent's passes, the lease renewals).
 *
 * <p>Stateless and thread-safe.
 */
public final class Timers {
    private Timers() {}

    /**
     * A scheduler of one daemon thread named {@code threadName}, whose cancelled tasks leave its queue at once
     * ({@link ScheduledThreadPoolExecutor#setRemoveOnCancelPolicy}).
     *
     * @param threadName the thread's name
     * @return a new scheduler; the caller shuts it down (or keeps it for the life of the process)
     */
    public static ScheduledThreadPoolExecutor daemonScheduler(String threadName) {
        ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        e.setRemoveOnCancelPolicy(true);
        return e;
    }
}
