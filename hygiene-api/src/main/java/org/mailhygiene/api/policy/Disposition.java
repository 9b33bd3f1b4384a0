package org.mailhygiene.api.policy;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.api.ScanResult;

/**
 * The one decision a {@link Policy} makes for a message, with everything needed to carry it out and explain it.
 *
 * <p>Immutable and thread-safe.
 *
 * @param action what happens to the message
 * @param reply the SMTP reply it implies (2xx for accepting actions, 5xx for REJECT, 4xx for TEMPFAIL)
 * @param reason a one-line explanation naming the scanner and what it found, e.g. {@code clamd: Eicar-Signature}
 * @param subjectTag a Subject prefix to add (TAG only), e.g. {@code [SPAM]}
 * @param headers header fields to add to the delivered or quarantined message
 * @param basis the scan results the decision was made from
 */
public record Disposition(
        Action action,
        SmtpReply reply,
        String reason,
        Optional<String> subjectTag,
        List<Header> headers,
        List<ScanResult> basis) {

    /**
     * Validates and copies the components.
     *
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException if the reply class does not fit the action, or a subject tag is set on an
     *     action other than TAG
     */
    public Disposition {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(reply, "reply");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(subjectTag, "subjectTag");
        headers = List.copyOf(Objects.requireNonNull(headers, "headers"));
        basis = List.copyOf(Objects.requireNonNull(basis, "basis"));
        boolean fits = switch (action) {
            case ACCEPT, TAG, QUARANTINE, DISCARD -> reply.isPositive();
            case REJECT -> reply.isPermanent();
            case TEMPFAIL -> reply.isTransient();
        };
        if (!fits) {
            throw new IllegalArgumentException("reply " + reply + " does not fit action " + action);
        }
        if (subjectTag.isPresent() && action != Action.TAG) {
            throw new IllegalArgumentException("a subject tag only goes with TAG, not " + action);
        }
    }
}
