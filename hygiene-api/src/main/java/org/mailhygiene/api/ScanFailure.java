package org.mailhygiene.api;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.mailhygiene.api.failover.FailoverException;
import org.mailhygiene.api.failover.FailoverGroup;
import org.mailhygiene.internal.Checks;

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
        SCANNER_ERROR;

        /**
         * The one rule by which a scanner that calls its instances through a {@link FailoverGroup} turns a failed
         * group call into a failure kind, so that every such scanner (clamd, spamd, your own) fails alike and one
         * policy rule covers them all:
         * <ul>
         *   <li>{@link FailoverException.Reason#ALL_DOWN ALL_DOWN} (every instance in back-off, none tried):
         *       {@link #UNAVAILABLE};
         *   <li>{@link FailoverException.Reason#DEADLINE_EXCEEDED DEADLINE_EXCEEDED}: {@link #TIMED_OUT};
         *   <li>{@link FailoverException.Reason#EXHAUSTED EXHAUSTED} (every available instance tried and failed): the
         *       kind all the attempts failed with when they agree (two instances that both timed out are
         *       {@link #TIMED_OUT}), else {@link #UNAVAILABLE} (the service as a whole is not there);
         *   <li>{@link FailoverException.Reason#NOT_RETRYABLE NOT_RETRYABLE} (a failure that is not the instance's
         *       fault, such as a message too large): the kind of that attempt's error.
         * </ul>
         * An attempt's kind is what {@code kindOfError} says about its exception; an error it cannot classify should
         * be given {@link #SCANNER_ERROR} there.
         *
         * @param failure the group's exception
         * @param kindOfError the scanner's classification of one attempt's exception (never returns {@code null})
         * @return the kind of the scanner's failure
         * @throws NullPointerException if an argument is {@code null} or {@code kindOfError} returns {@code null}
         */
        public static Kind ofFailover(FailoverException failure, Function<? super Throwable, Kind> kindOfError) {
            Objects.requireNonNull(failure, "failure");
            Objects.requireNonNull(kindOfError, "kindOfError");
            List<FailoverException.Attempt> attempts = failure.attempts();
            switch (failure.reason()) {
                case DEADLINE_EXCEEDED:
                    return TIMED_OUT;
                case NOT_RETRYABLE:
                case EXHAUSTED:
                    Kind common = null;
                    for (FailoverException.Attempt a : attempts) {
                        Kind k = Objects.requireNonNull(kindOfError.apply(a.error()), "kindOfError returned null");
                        if (failure.reason() == FailoverException.Reason.NOT_RETRYABLE) {
                            common = k; // the last attempt is the one that was not retryable
                        } else {
                            common = common == null || common == k ? k : UNAVAILABLE;
                        }
                    }
                    return common == null ? UNAVAILABLE : common;
                case ALL_DOWN:
                default:
                    return UNAVAILABLE;
            }
        }
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
        Checks.requireNonNegative(elapsed, "elapsed");
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
