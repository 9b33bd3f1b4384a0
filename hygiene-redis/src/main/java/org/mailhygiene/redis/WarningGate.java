package org.mailhygiene.redis;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets a repeated warning through at most once an interval, and says how many occurrences came since the last one let
 * through: a store read at every message must not log at every message. Thread-safe (lock-free).
 */
final class WarningGate {
    private final long intervalNanos;
    private final AtomicLong passedAt;
    /** The caller's running total when a warning was last let through. */
    private final AtomicLong told = new AtomicLong();

    /**
     * A gate whose first warning passes at once.
     *
     * @param interval the least time between two warnings, positive
     */
    WarningGate(Duration interval) {
        this.intervalNanos = interval.toNanos();
        this.passedAt = new AtomicLong(System.nanoTime() - intervalNanos);
    }

    /**
     * Whether a warning is due now; one caller of several at the same moment gets it.
     *
     * @param total the caller's running count of occurrences, this one included
     * @return how many occurrences came since the last warning let through (this one included), or {@code -1} if the
     *     last warning was less than the interval ago
     */
    long pass(long total) {
        long now = System.nanoTime();
        long last = passedAt.get();
        if (now - last >= intervalNanos && passedAt.compareAndSet(last, now)) {
            return total - told.getAndSet(total);
        }
        return -1;
    }
}
