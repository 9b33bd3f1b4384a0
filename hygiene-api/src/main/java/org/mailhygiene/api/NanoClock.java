package org.mailhygiene.api;

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
}
