package org.mailhygiene.testkit.milter;

import java.util.Objects;

/**
 * One change a milter asked for at end of message.
 *
 * @param kind what kind of change
 * @param index the header index for {@link Kind#CHANGE_HEADER} (1-based occurrence of the name) and
 *     {@link Kind#INSERT_HEADER} (0 = top); 0 otherwise
 * @param name the header name, the recipient or sender address, or the quarantine reason
 * @param value the header value (as sent: with a leading space when {@code SMFIP_HDR_LEADSPC} was negotiated; empty
 *     for a deletion), ESMTP arguments, or empty
 */
public record MilterEdit(Kind kind, int index, String name, String value) {
    /** The kinds of change. */
    public enum Kind {
        /** {@code SMFIR_ADDHEADER}: append a header field. */
        ADD_HEADER,
        /** {@code SMFIR_INSHEADER}: insert a header field at an index. */
        INSERT_HEADER,
        /** {@code SMFIR_CHGHEADER}: change the n-th field of a name; an empty value deletes it. */
        CHANGE_HEADER,
        /** {@code SMFIR_QUARANTINE}: hold the message, with a reason. */
        QUARANTINE,
        /** {@code SMFIR_ADDRCPT} or {@code SMFIR_ADDRCPT_PAR}: add a recipient. */
        ADD_RECIPIENT,
        /** {@code SMFIR_DELRCPT}: delete a recipient. */
        DELETE_RECIPIENT,
        /** {@code SMFIR_CHGFROM}: change the sender. */
        CHANGE_SENDER,
        /** {@code SMFIR_REPLBODY}: a chunk of a replacement body (the chunk in {@code value}). */
        REPLACE_BODY
    }

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public MilterEdit {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
    }
}
