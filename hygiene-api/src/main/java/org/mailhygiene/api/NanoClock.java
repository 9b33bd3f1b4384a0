package org.mailhygiene.api;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A monotonic nanosecond time source, for measuring elapsed time and expiry: the project's own counterpart of
 * {@link System#nanoTime()}, injected wherever a builder takes time, so tests drive it instead of sleeping. For
 * wall-clock time (timestamps, a retry's due time kept on disk) the API uses {@link java.time.Clock} instead.
 *
 * <p>Only differences between two readings of the same source have a meaning; the origin is arbitrary and may be
 * negative. Implementations must be thread-safe and never go backwards. A test source can be a lambda or a method
 * reference such as {@code atomicLong::get}.
 */
@FunctionalInterface
public interface NanoClock {

    /**
     * The current reading, in nanoseconds from an arbitrary origin.
     *
     * @return the reading
     */
    long nanoTime();

    /**
     * The system's monotonic clock, {@link System#nanoTime()}.
     *
     * @return the system source (thread-safe, shared)
     */
    static NanoClock system() {
        return SystemNanoClock.INSTANCE;
    }

    /**
     * The source that measures intervals for code configured with a {@link Clock}: for a system clock
     * ({@link Clock#systemUTC()} or {@link Clock#system(java.time.ZoneId)} of any zone) the system's monotonic clock
     * ({@link #system()}), so a step of the wall clock (NTP, a virtual machine resumed) neither stretches nor cuts an
     * interval; for any other clock (a test's fixed or adjustable one) that clock's own readings, as nanoseconds since
     * this call, so the test drives intervals through its clock as before. Such a clock may go backwards, so the
     * result may too: code measuring with it treats a negative interval as none.
     *
     * @param clock the configured clock
     * @return {@link #system()} for a system clock, else a thread-safe source reading {@code clock}
     * @throws NullPointerException if {@code clock} is null
     */
    static NanoClock of(Clock clock) {
        Objects.requireNonNull(clock, "clock");
        if (clock.equals(Clock.system(clock.getZone()))) {
            return system();
        }
        Instant origin = clock.instant();
        return () -> Duration.between(origin, clock.instant()).toNanos();
    }
}
