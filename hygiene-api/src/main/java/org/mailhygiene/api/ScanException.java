package org.mailhygiene.api;

import java.time.Duration;
import java.util.Objects;

/**
 * Thrown by {@link Scanner#scan(Message)} when no verdict could be reached. Carries the {@link ScanFailure} that a
 * policy acts on.
 */
public class ScanException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The failure; not serialized (a deserialized exception keeps only its message). */
    private final transient ScanFailure failure;

    /**
     * Creates an exception for a failure.
     *
     * @param failure what went wrong
     * @param cause the underlying exception, or {@code null}
     */
    public ScanException(ScanFailure failure, Throwable cause) {
        super(
                Objects.requireNonNull(failure, "failure").scanner() + ": " + failure.kind() + ": " + failure.detail(),
                cause);
        this.failure = failure;
    }

    /**
     * Creates an exception for a failure with no underlying cause.
     *
     * @param failure what went wrong
     */
    public ScanException(ScanFailure failure) {
        this(failure, null);
    }

    /**
     * Shorthand for a new failure of the given kind with zero elapsed time; pipelines fill in the time they measured.
     *
     * @param scanner the scanner's name
     * @param kind the failure class
     * @param detail explanation
     * @param cause the underlying exception, or {@code null}
     * @return a new exception
     */
    public static ScanException of(String scanner, ScanFailure.Kind kind, String detail, Throwable cause) {
        return new ScanException(new ScanFailure(scanner, kind, detail, Duration.ZERO), cause);
    }

    /**
     * The failure this exception carries.
     *
     * @return the failure, never {@code null}
     */
    public ScanFailure failure() {
        return failure;
    }
}
