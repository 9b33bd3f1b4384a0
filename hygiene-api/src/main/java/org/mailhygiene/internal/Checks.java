package org.mailhygiene.internal;

import java.time.Duration;
import java.util.Objects;

/**
 * Argument checks for builders and factories, with one wording for their messages: {@code "<what> must be positive,
 * was <value>"}, {@code "<what> must not be negative, was <value>"}, {@code "<what> must be >= <min>, was <value>"}.
 *
 * <p>Stateless and thread-safe.
 */
public final class Checks {
    private Checks() {}

    /**
     * Checks that a duration is longer than zero.
     *
     * @param value the duration
     * @param what what it is, for the messages (a setting's name)
     * @return {@code value}
     * @throws NullPointerException if {@code value} is {@code null} (the message is {@code what})
     * @throws IllegalArgumentException if it is zero or negative
     */
    public static Duration requirePositive(Duration value, String what) {
        Objects.requireNonNull(value, what);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, was " + value);
        }
        return value;
    }

    /**
     * Checks that a duration is zero or longer.
     *
     * @param value the duration
     * @param what what it is, for the messages (a setting's name)
     * @return {@code value}
     * @throws NullPointerException if {@code value} is {@code null} (the message is {@code what})
     * @throws IllegalArgumentException if it is negative
     */
    public static Duration requireNonNegative(Duration value, String what) {
        Objects.requireNonNull(value, what);
        if (value.isNegative()) {
            throw new IllegalArgumentException(what + " must not be negative, was " + value);
        }
        return value;
    }

    /**
     * Checks a lower bound.
     *
     * @param value the value
     * @param min the smallest value allowed
     * @param what what it is, for the message (a setting's name)
     * @return {@code value}
     * @throws IllegalArgumentException if {@code value < min}
     */
    public static int requireAtLeast(int value, int min, String what) {
        if (value < min) {
            throw new IllegalArgumentException(what + " must be >= " + min + ", was " + value);
        }
        return value;
    }

    /**
     * Checks a lower bound.
     *
     * @param value the value
     * @param min the smallest value allowed
     * @param what what it is, for the message (a setting's name)
     * @return {@code value}
     * @throws IllegalArgumentException if {@code value < min}
     */
    public static long requireAtLeast(long value, long min, String what) {
        if (value < min) {
            throw new IllegalArgumentException(what + " must be >= " + min + ", was " + value);
        }
        return value;
    }
}
