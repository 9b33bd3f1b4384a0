package org.mailhygiene.internal;

import java.time.Duration;

/**
 * Durations written for people: in the units a configuration file uses, so a message names a timeout as the operator
 * wrote it ({@code 30s}, not {@code PT30S}).
 *
 * <p>Stateless and thread-safe.
 */
public final class Durations {
    private Durations() {}

    /**
     * A duration in the largest of {@code d}, {@code h}, {@code m}, {@code s} and {@code ms} that it is a whole number
     * of ({@code 100d}, {@code 90m}, {@code 250ms}); {@code 0} for zero; ISO-8601 ({@link Duration#toString()}) for a
     * negative duration, one not a whole number of milliseconds, or one of more milliseconds than a {@code long} holds
     * and not a whole number of seconds.
     *
     * @param d a duration
     * @return the text
     * @throws NullPointerException if {@code d} is {@code null}
     */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0";
        }
        if (d.isNegative() || d.getNano() % 1_000_000 != 0) {
            return d.toString();
        }
        long seconds = d.getSeconds(); // not toMillis(): past a long of milliseconds it throws
        int millis = d.getNano() / 1_000_000;
        if (millis != 0) {
            return seconds > (Long.MAX_VALUE - 999) / 1000 ? d.toString() : seconds * 1000 + millis + "ms";
        }
        if (seconds % 86_400L == 0) {
            return seconds / 86_400L + "d";
        }
        if (seconds % 3_600L == 0) {
            return seconds / 3_600L + "h";
        }
        if (seconds % 60L == 0) {
            return seconds / 60L + "m";
        }
        return seconds + "s";
    }
}
