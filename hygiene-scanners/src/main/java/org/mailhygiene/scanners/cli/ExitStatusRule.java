package org.mailhygiene.scanners.cli;

import java.util.Objects;

/**
 * One line of a profile's exit-status table: the statuses {@code from..to} (inclusive) mean {@code exitClass}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param from the lowest status covered, {@code 0..255}
 * @param to the highest status covered, {@code from..255}
 * @param exitClass what these statuses mean
 * @param meaning a short human-readable explanation used in failure details and rules, e.g. {@code password-protected
 *     file}; may be empty
 */
public record ExitStatusRule(int from, int to, ExitClass exitClass, String meaning) {

    /**
     * Validates the components.
     *
     * @throws NullPointerException if {@code exitClass} or {@code meaning} is {@code null}
     * @throws IllegalArgumentException if the range is outside {@code 0..255} or {@code from > to}
     */
    public ExitStatusRule {
        Objects.requireNonNull(exitClass, "exitClass");
        Objects.requireNonNull(meaning, "meaning");
        if (from < 0 || to > 255 || from > to) {
            throw new IllegalArgumentException("exit status range " + from + ".." + to + " is not within 0..255");
        }
    }

    /**
     * A rule for one status.
     *
     * @param status the status, {@code 0..255}
     * @param exitClass its class
     * @param meaning its explanation
     * @return a new rule
     * @throws IllegalArgumentException if {@code status} is outside {@code 0..255}
     */
    public static ExitStatusRule of(int status, ExitClass exitClass, String meaning) {
        return new ExitStatusRule(status, status, exitClass, meaning);
    }

    /**
     * Whether this rule covers a status.
     *
     * @param status an exit status
     * @return {@code true} if {@code from <= status <= to}
     */
    public boolean covers(int status) {
        return status >= from && status <= to;
    }
}
