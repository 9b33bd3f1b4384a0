package org.mailhygiene.scanners.auth.dns;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of one DNS question: the records of the asked type (possibly none), a name that does not exist, or a
 * temporary failure (timeout, SERVFAIL, refused, garbled answer) with a reason. Never an exception.
 *
 * <p>Immutable and thread-safe.
 *
 * @param status what happened
 * @param records the records of the asked type when {@link Status#OK}; empty otherwise (and for "no data")
 * @param detail why, for failures; empty for answers
 */
public record DnsResult(Status status, List<DnsRecord> records, String detail) {

    /** What a question came to. */
    public enum Status {
        /** The server answered; {@link #records()} may still be empty (no records of that type). */
        OK,
        /** The name does not exist (RCODE 3). */
        NXDOMAIN,
        /** No usable answer: timeout, SERVFAIL, REFUSED, a garbled or mismatched reply. */
        TEMPERROR
    }

    /**
     * Validates and copies the components.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public DnsResult {
        Objects.requireNonNull(status, "status");
        records = List.copyOf(Objects.requireNonNull(records, "records"));
        Objects.requireNonNull(detail, "detail");
    }

    /**
     * An answer.
     *
     * @param records the records of the asked type
     * @return a new result
     */
    public static DnsResult ok(List<DnsRecord> records) {
        return new DnsResult(Status.OK, records, "");
    }

    /**
     * A temporary failure.
     *
     * @param detail why
     * @return a new result
     */
    public static DnsResult tempError(String detail) {
        return new DnsResult(Status.TEMPERROR, List.of(), detail);
    }

    /**
     * Whether this is an answer (possibly empty) or NXDOMAIN, both of which count as "void" when empty.
     *
     * @return {@code true} for no records of the asked type, whether the name exists or not
     */
    public boolean isVoid() {
        return status == Status.NXDOMAIN || (status == Status.OK && records.isEmpty());
    }
}
