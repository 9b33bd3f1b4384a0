package org.mailhygiene.smtp.delivery;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.mailhygiene.internal.Checks;
import org.mailhygiene.internal.Durations;

/**
 * When to try a temporarily failed recipient again.
 *
 * <p>Implementations are pure functions of their arguments, immutable and thread-safe. The delivery agent never
 * schedules past the end of the queue lifetime: a retry that would fall later is moved to the moment the lifetime
 * ends, for one last attempt (as qmail does).
 */
@FunctionalInterface
public interface RetrySchedule {

    /**
     * The time of the next attempt.
     *
     * @param queuedAt when the message entered the queue (qmail's "birth")
     * @param now the time of the attempt that just failed temporarily
     * @return a time strictly after {@code now}
     */
    Instant next(Instant queuedAt, Instant now);

    /**
     * qmail-send's schedule for remote deliveries: {@code birth + (floor(sqrt(now - birth)) + 20)^2} seconds, giving
     * attempts at about 0, 6m40s, 26m40s, 1h, 1h47m, 2h47m and on, each gap 800 s longer than the one before. This is
     * the default.
     *
     * @return the schedule
     */
    static RetrySchedule qmail() {
        return qmail(20);
    }

    /**
     * qmail-send's schedule with another skip (qmail uses 10 for local and 20 for remote deliveries).
     *
     * @param skip the constant added to the square root, 1 to 1000
     * @return the schedule
     * @throws IllegalArgumentException if {@code skip} is out of range
     */
    static RetrySchedule qmail(int skip) {
        if (skip < 1 || skip > 1000) {
            throw new IllegalArgumentException("skip must be 1..1000, was " + skip);
        }
        return (queuedAt, now) -> {
            long age = Math.max(0, Duration.between(queuedAt, now).getSeconds());
            long root = (long) Math.floor(Math.sqrt((double) age));
            while (root * root > age) {
                root--;
            }
            while ((root + 1) * (root + 1) <= age) {
                root++;
            }
            long s = root + skip;
            Instant next = queuedAt.plusSeconds(s * s);
            return next.isAfter(now) ? next : now.plusSeconds(1);
        };
    }

    /**
     * Exponential back-off: {@code min} after the first failure, doubling up to {@code max} (Postfix-like with
     * {@code minimal_backoff_time 300s}, {@code maximal_backoff_time 4000s}). The attempt number is derived from the
     * time since queueing, so the schedule needs no stored counter.
     *
     * @param min the first delay, positive
     * @param max the longest delay, not below {@code min}
     * @return the schedule
     * @throws IllegalArgumentException if {@code min} is not positive or {@code max < min}
     */
    static RetrySchedule exponential(Duration min, Duration max) {
        Checks.requirePositive(min, "min");
        Objects.requireNonNull(max, "max");
        if (max.compareTo(min) < 0) {
            // in the node file's notation ("max 5m is below min 1h"), not ISO-8601's PT5M
            throw new IllegalArgumentException(
                    "max " + Durations.format(max) + " is below min " + Durations.format(min));
        }
        return (queuedAt, now) -> {
            Duration age = Duration.between(queuedAt, now);
            Duration delay = min;
            while (delay.compareTo(max) < 0 && delay.compareTo(age) <= 0) {
                delay = delay.multipliedBy(2);
            }
            if (delay.compareTo(max) > 0) {
                delay = max;
            }
            return now.plus(delay);
        };
    }
}
