package org.mailhygiene.scanners.auth.dns;

/** The DNS record types the sender-authentication checks ask for, with their wire codes (RFC 1035, RFC 3596). */
public enum DnsType {
    /** IPv4 address. */
    A(1),
    /** Canonical name (alias). */
    CNAME(5),
    /** Domain name pointer (reverse lookups). */
    PTR(12),
    /** Mail exchanger. */
    MX(15),
    /** Text strings (SPF, DKIM keys, DMARC policies). */
    TXT(16),
    /** IPv6 address. */
    AAAA(28);

    private final int code;

    DnsType(int code) {
        this.code = code;
    }

    /**
     * The type's number on the wire.
     *
     * @return the RR type code
     */
    public int code() {
        return code;
    }

    static DnsType ofCode(int code) {
        for (DnsType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
