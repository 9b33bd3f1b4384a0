package org.mailhygiene.smtp.delivery;

import java.util.Objects;

/**
 * What one delivery attempt achieved for one recipient.
 *
 * <p>Immutable and thread-safe.
 *
 * @param recipient the forward path
 * @param outcome delivered, temporary or permanent failure
 * @param status the RFC 3463 status, e.g. {@code 2.0.0}, {@code 4.2.0}, {@code 5.1.1}
 * @param diagnostic the reply or error on one line, e.g. {@code 550 5.1.1 no such user} (DSN Diagnostic-Code)
 * @param remote the endpoint that gave the reply, empty text when {@code diagnostic} is the relay's own text: no next
 *     hop was reached, or the relay did not send to the one it reached (it lacks SMTPUTF8, the message exceeds its
 *     SIZE)
 */
public record RecipientResult(String recipient, Outcome outcome, String status, String diagnostic, String remote) {

    /** The closed set of outcomes. */
    public enum Outcome {
        /** A 2xx after the data: the next hop took responsibility. */
        DELIVERED,
        /** A 4xx or a failure of every next hop: try again later. */
        TEMPORARY,
        /** A 5xx: bounce. */
        PERMANENT
    }

    /**
     * Validates.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public RecipientResult {
        Objects.requireNonNull(recipient, "recipient");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(diagnostic, "diagnostic");
        Objects.requireNonNull(remote, "remote");
    }
}
