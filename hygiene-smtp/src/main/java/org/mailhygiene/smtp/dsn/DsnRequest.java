package org.mailhygiene.smtp.dsn;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;

/**
 * What a transaction asked of delivery status notifications through the DSN extension (RFC 3461): {@code RET} and
 * {@code ENVID} for the message, {@code NOTIFY} and {@code ORCPT} per recipient. Values are kept decoded (no xtext).
 *
 * <p>{@link #recipients()} is either empty (no recipient gave a parameter) or holds one entry per envelope recipient,
 * in envelope order. {@link #NONE} is a transaction that gave no DSN parameter at all: every failure is reported, the
 * message returned whole (up to the relay's limit). Immutable and thread-safe.
 *
 * @param ret the {@code RET} parameter, empty when not given (the relay then returns the whole message)
 * @param envelopeId the decoded {@code ENVID}, empty when not given; printable ASCII, at most 100 characters
 * @param recipients per recipient, in envelope order; empty when none gave a parameter; copied
 */
public record DsnRequest(Optional<Ret> ret, Optional<String> envelopeId, List<Recipient> recipients) {

    /** A transaction without DSN parameters. */
    public static final DsnRequest NONE = new DsnRequest(Optional.empty(), Optional.empty(), List.of());

    /** The longest ENVID in xtext form RFC 3461 §4.4 allows, and (decoded, so never longer) the longest kept. */
    public static final int MAX_ENVID = 100;

    /** What a DSN returns of the message ({@code RET}, RFC 3461 §4.3). */
    public enum Ret {
        /** The whole message (up to the relay's return limit). */
        FULL,
        /** Only the header section. */
        HDRS
    }

    /** The conditions a recipient asked to be notified of ({@code NOTIFY}, RFC 3461 §4.1). */
    public enum Notify {
        /** No notice at all; never combined with another. */
        NEVER,
        /** A notice once delivered, or relayed to a next hop that cannot pass the request on. */
        SUCCESS,
        /** A notice when delivery failed. */
        FAILURE,
        /** A notice when delivery is delayed. */
        DELAY
    }

    /**
     * An {@code ORCPT} value (RFC 3461 §4.2), decoded.
     *
     * @param type the address type, {@code rfc822} and {@code utf-8} in lower case, others as given
     * @param address the decoded address; no control characters
     */
    public record Orcpt(String type, String address) {
        /**
         * Validates the components.
         *
         * @throws NullPointerException if a component is {@code null}
         * @throws IllegalArgumentException if the type is empty or holds {@code ;} or a non-printable character, or the
         *     address is empty or holds a control character
         */
        public Orcpt {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(address, "address");
            if (type.isEmpty() || !type.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != ';')) {
                throw new IllegalArgumentException("bad ORCPT address type: " + type);
            }
            if (address.isEmpty() || address.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new IllegalArgumentException("bad ORCPT address");
            }
        }

        /**
         * The value for an {@code Original-Recipient} field (RFC 3464 §2.3.1): {@code TYPE;ADDRESS}, the address of
         * a {@code utf-8} type in its ASCII form unless {@code global} (an RFC 6533 report may carry it as UTF-8).
         *
         * @param global whether the report is an internationalized one
         * @return the field value
         */
        public String field(boolean global) {
            if (type.equals("utf-8") && !global) {
                return type + ";" + Xtext.encodeUtf8Address(address);
            }
            return type + ";" + address;
        }

        /**
         * The value of an {@code ORCPT=} parameter passing this on: the type, {@code ;} and the address as xtext (for
         * {@code utf-8}, its {@code utf-8-addr-xtext} form, which is valid xtext).
         *
         * @return the parameter value, all ASCII
         */
        public String parameter() {
            if (type.equals("utf-8")) {
                return type + ";" + Xtext.encodeUtf8Address(address);
            }
            return type + ";" + Xtext.encode(address);
        }
    }

    /**
     * One recipient's DSN parameters.
     *
     * @param conditions the {@code NOTIFY} conditions, empty when not given (then failures are reported, RFC 3461 §4.1);
     *     {@link Notify#NEVER} only alone; copied
     * @param orcpt the {@code ORCPT}, empty when not given
     */
    public record Recipient(Set<Notify> conditions, Optional<Orcpt> orcpt) {
        /** A recipient that gave no parameter. */
        public static final Recipient NONE = new Recipient(Set.of(), Optional.empty());

        /**
         * Validates and copies.
         *
         * @throws NullPointerException if a component is {@code null}
         * @throws IllegalArgumentException if {@code NEVER} is combined with another condition
         */
        public Recipient {
            Objects.requireNonNull(orcpt, "orcpt");
            Set<Notify> copy = EnumSet.noneOf(Notify.class);
            copy.addAll(Objects.requireNonNull(conditions, "conditions"));
            if (copy.contains(Notify.NEVER) && copy.size() > 1) {
                throw new IllegalArgumentException("NOTIFY=NEVER combined with another condition");
            }
            conditions = Collections.unmodifiableSet(copy);
        }

        /**
         * Whether a failure is to be reported: {@code NOTIFY} not given, or given with {@code FAILURE}.
         *
         * @return {@code true} when a bounce is due on failure
         */
        public boolean wantsFailure() {
            return conditions.isEmpty() || conditions.contains(Notify.FAILURE);
        }

        /**
         * Whether a delay notice may be sent: {@code NOTIFY} not given (RFC 3461 §4.1 leaves it to the MTA, which
         * then sends delay notices as Postfix and sendmail do), or given with {@code DELAY}.
         *
         * @return {@code true} unless {@code NOTIFY} is {@code NEVER} or a list without {@code DELAY}
         */
        public boolean wantsDelay() {
            return conditions.isEmpty() || conditions.contains(Notify.DELAY);
        }

        /**
         * Whether a success (or {@code relayed}) notice was asked for.
         *
         * @return {@code true} for {@code NOTIFY=...SUCCESS...}
         */
        public boolean wantsSuccess() {
            return conditions.contains(Notify.SUCCESS);
        }

        /**
         * The {@code NOTIFY=} value passing this on ({@code NEVER}, or the conditions in the order SUCCESS, FAILURE,
         * DELAY, comma-separated), empty when not given.
         *
         * @return the parameter value
         */
        public Optional<String> notifyParameter() {
            if (conditions.isEmpty()) {
                return Optional.empty();
            }
            StringJoiner j = new StringJoiner(",");
            for (Notify n : conditions) {
                j.add(n.name());
            }
            return Optional.of(j.toString());
        }

        /**
         * Whether no parameter was given.
         *
         * @return {@code true} when both components are empty
         */
        public boolean isEmpty() {
            return conditions.isEmpty() && orcpt.isEmpty();
        }
    }

    /**
     * Validates and copies the components.
     *
     * @throws NullPointerException if a component or a recipient is {@code null}
     * @throws IllegalArgumentException if the envelope id is empty, longer than {@value #MAX_ENVID} characters or holds
     *     a character outside printable ASCII
     */
    public DsnRequest {
        Objects.requireNonNull(ret, "ret");
        Objects.requireNonNull(envelopeId, "envelopeId");
        recipients = List.copyOf(Objects.requireNonNull(recipients, "recipients"));
        envelopeId.ifPresent(id -> {
            if (id.isEmpty() || id.length() > MAX_ENVID || !id.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
                throw new IllegalArgumentException("ENVID must be 1 to 100 printable ASCII characters");
            }
        });
    }

    /**
     * The parameters of the recipient at {@code index} in envelope order.
     *
     * @param index the recipient's position
     * @return its parameters, {@link Recipient#NONE} when the request holds none per recipient
     * @throws IndexOutOfBoundsException if the request holds recipients and {@code index} is not one of them
     */
    public Recipient recipient(int index) {
        return recipients.isEmpty() ? Recipient.NONE : recipients.get(index);
    }

    /**
     * Whether nothing was asked: no {@code RET}, no {@code ENVID}, no recipient parameter.
     *
     * @return {@code true} for a request equivalent to {@link #NONE}
     */
    public boolean isEmpty() {
        return ret.isEmpty() && envelopeId.isEmpty() && recipients.stream().allMatch(Recipient::isEmpty);
    }

    /**
     * The same request for a subset of the recipients (a transaction to one next hop).
     *
     * @param indexes positions in envelope order
     * @return a request with one recipient entry per index (none if this request holds none)
     * @throws IndexOutOfBoundsException if an index is not a recipient's
     */
    public DsnRequest select(List<Integer> indexes) {
        if (recipients.isEmpty()) {
            return this;
        }
        return new DsnRequest(
                ret, envelopeId, indexes.stream().map(recipients::get).toList());
    }
}
