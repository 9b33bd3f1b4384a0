package org.mailhygiene.scanners.clamd;

import java.io.IOException;
import java.util.Objects;
import org.mailhygiene.api.ScanFailure;

/**
 * A clamd command that did not produce a usable reply, classified by the {@link ScanFailure.Kind} a scanner reports
 * for it: {@code UNAVAILABLE} (refused, reset, closed without reply), {@code TIMED_OUT} (connect, read or deadline),
 * {@code TOO_LARGE} (StreamMaxLength, on either side), {@code PROTOCOL_ERROR} (error reply or garbage) or
 * {@code UNSCANNABLE} (a {@code Heuristics.Limits.Exceeded.*} result).
 */
public final class ClamdException extends IOException {
    private static final long serialVersionUID = 1L;

    private final ScanFailure.Kind kind;

    /**
     * Creates the exception.
     *
     * @param kind the failure class
     * @param message what happened, naming the clamd address
     * @param cause the underlying exception, or {@code null}
     */
    public ClamdException(ScanFailure.Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    /**
     * The failure class.
     *
     * @return the kind
     */
    public ScanFailure.Kind kind() {
        return kind;
    }
}
