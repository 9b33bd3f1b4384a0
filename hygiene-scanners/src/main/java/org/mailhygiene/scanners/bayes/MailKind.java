package org.mailhygiene.scanners.bayes;

import java.util.List;
import java.util.Objects;

/**
 * What sort of message {@link BounceDetector} found: ordinary mail, a bounce (a delivery status notification in the
 * standard or a vendor format), a bounce for mail our users never sent (backscatter), or an automatic reply.
 *
 * <p>Immutable and thread-safe.
 *
 * @param kind the kind
 * @param evidence the signals that decided it, e.g. {@code dsn:multipart/report} or {@code from:mailer-daemon};
 *     empty for {@link Kind#ORDINARY}
 */
public record MailKind(Kind kind, List<String> evidence) {

    /** The kinds. */
    public enum Kind {
        /** Mail written by a person or a program for a person: classified by the model. */
        ORDINARY,
        /** A delivery status notification for mail our side sent (or when we cannot tell): never spam. */
        BOUNCE,
        /**
         * A delivery status notification that quotes an original our side did not send (no sender, Message-ID or
         * Return-Path domain of ours): backscatter, reported under its own name rather than as spam.
         */
        BACKSCATTER,
        /** An automatic reply (vacation, out of office, read receipt, challenge-response, feedback report). */
        AUTO_REPLY
    }

    /** An ordinary message, no evidence. */
    public static final MailKind ORDINARY = new MailKind(Kind.ORDINARY, List.of());

    /**
     * Validates and copies.
     *
     * @throws NullPointerException if an argument is {@code null}
     */
    public MailKind {
        Objects.requireNonNull(kind, "kind");
        evidence = List.copyOf(Objects.requireNonNull(evidence, "evidence"));
    }
}
