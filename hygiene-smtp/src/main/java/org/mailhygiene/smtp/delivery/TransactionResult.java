package org.mailhygiene.smtp.delivery;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of one SMTP transaction with one next hop that ended in replies (not in a failed next hop, which is a
 * {@link HopFailedException}).
 *
 * <p>Immutable and thread-safe.
 *
 * @param endpoint where the transaction ran
 * @param tls whether it ran over TLS
 * @param recipients one result per recipient, in the order given
 * @param dsn whether the next hop offered the DSN extension (RFC 3461), so that the DSN parameters went with the
 *     message and notices are its business from here on
 */
public record TransactionResult(Endpoint endpoint, boolean tls, List<RecipientResult> recipients, boolean dsn) {
    /**
     * Validates and copies.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public TransactionResult {
        Objects.requireNonNull(endpoint, "endpoint");
        recipients = List.copyOf(Objects.requireNonNull(recipients, "recipients"));
    }

    /**
     * A result of a next hop that did not offer DSN; the form before that was recorded.
     *
     * @param endpoint where the transaction ran
     * @param tls whether it ran over TLS
     * @param recipients one result per recipient, in the order given
     * @throws NullPointerException if a component is {@code null}
     */
    public TransactionResult(Endpoint endpoint, boolean tls, List<RecipientResult> recipients) {
        this(endpoint, tls, recipients, false);
    }
}
