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
     * negative duration or one not a whole number of milliseconds.
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
        long ms = d.toMillis();
        if (ms % 86_400_000L == 0) {
            return ms / 86_400_000L + "d";
        }
        if (ms % 3_600_000L == 0) {
            return ms / 3_600_000L + "h";
        }
        if (ms % 60_000L == 0) {
            return ms / 60_000L + "m";
        }
        if (ms % 1000L == 0) {
            return ms / 1000L + "s";
        }
        return ms + "ms";
    }
}
