package org.mailhygiene.smtp.delivery;

import java.util.Locale;
import java.util.Objects;

/**
 * One MX record: a preference (lower is tried first) and an exchange host name.
 *
 * <p>Immutable and thread-safe. The exchange is lower-cased without a trailing dot; the null MX of RFC 7505 (preference
 * 0, exchange {@code .}) has the empty exchange, see {@link #isNullMx()}.
 *
 * @param preference 0 to 65535
 * @param exchange the host name
 */
public record MxRecord(int preference, String exchange) {
    /**
     * Validates and normalises.
     *
     * @throws IllegalArgumentException if the preference is outside 0..65535
     */
    public MxRecord {
        Objects.requireNonNull(exchange, "exchange");
        if (preference < 0 || preference > 65535) {
            throw new IllegalArgumentException("MX preference must be 0..65535, was " + preference);
        }
        exchange = exchange.trim().toLowerCase(Locale.ROOT);
        while (exchange.endsWith(".")) {
            exchange = exchange.substring(0, exchange.length() - 1);
        }
    }

    /**
     * Whether this is RFC 7505's "this domain accepts no mail".
     *
     * @return {@code true} for the empty exchange
     */
    public boolean isNullMx() {
        return exchange.isEmpty();
    }
}
