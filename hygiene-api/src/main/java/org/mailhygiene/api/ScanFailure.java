package org.mailhygiene.api;

import java.time.Duration;
import java.util.Objects;

/**
 * Why a scanner could not produce a verdict. Failures are a closed set of {@linkplain Kind kinds}; what each becomes
 * (tempfail, reject, accept with a warning header) is decided by policy, never by the scanner, and never "clean".
 *
 * <p>Immutable and thread-safe.
 *
 * @param scanner the scanner's name
 * @param kind the class of failure
 * @param detail a human-readable explanation, e.g. {@code connect to 127.0.0.1:3310 refused}
 * @param elapsed time spent before giving up
 */
public record ScanFailure(String scanner, Kind kind, String detail, Duration elapsed) implements ScanResult {

    /** The closed set of failure classes. */
    public enum Kind {
        /** The scanner could not be reached or started (connection refused, binary missing, all members down). */
        UNAVAILABLE,
        /** A connect, read or whole-scan deadline passed. */
        TIMED_OUT,
        /** The message exceeds a size limit of the scanner or of its configuration, so it was not scanned. */
        TOO_LARGE,
        /** The scanner answered something that does not follow its protocol, or an error reply. */
        PROTOCOL_ERROR,
        /**
         * The scanner looked but could not scan the content: an encrypted or corrupt archive, an unsupported format
         * (for example Vexira's exit statuses 3 and 5).
         */
        UNSCANNABLE,
        /** The scanner reported an internal error, or the adapter failed unexpectedly. */
        SCANNER_ERROR
    }

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException if {@code elapsed} is negative
     */
    public ScanFailure {
        Objects.requireNonNull(scanner, "scanner");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(detail, "detail");
        Objects.requireNonNull(elapsed, "elapsed");
        if (elapsed.isNegative()) {
            throw new IllegalArgumentException("elapsed must not be negative");
        }
    }

    /**
     * A copy with another elapsed time.
     *
     * @param newElapsed the time to report
     * @return a new failure
     */
    public ScanFailure withElapsed(Duration newElapsed) {
        return new ScanFailure(scanner, kind, detail, newElapsed);
    }
}
