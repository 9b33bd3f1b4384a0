package org.mailhygiene.scanners.auth;

import java.util.Locale;
import java.util.Optional;

/**
 * The DKIM canonicalization algorithms of RFC 6376 section 3.4, for header fields and for the body.
 *
 * <p>Thread-safe (stateless); body canonicalization state lives in {@link BodyHasher}.
 */
public enum Canonicalization {
    /** Nothing changed but trailing empty lines of the body. */
    SIMPLE,
    /** Header names lower-cased, whitespace runs collapsed, folding undone; trailing whitespace of body lines gone. */
    RELAXED;

    /**
     * Parses one algorithm name.
     *
     * @param name {@code simple} or {@code relaxed} (case-insensitive)
     * @return the algorithm, empty if unknown
     */
    public static Optional<Canonicalization> of(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "simple" -> Optional.of(SIMPLE);
            case "relaxed" -> Optional.of(RELAXED);
            default -> Optional.empty();
        };
    }

    /**
     * The name as it appears in a {@code c=} tag.
     *
     * @return {@code simple} or {@code relaxed}
     */
    public String tagValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Canonicalizes one header field, without the CRLF that ends it.
     *
     * @param raw the whole field as received ({@code Name: value} with its folding), without the final CRLF; one
     *     char per byte (ISO-8859-1)
     * @return the canonical form, without a final CRLF
     */
    public String header(String raw) {
        if (this == SIMPLE) {
            return raw;
        }
        int colon = raw.indexOf(':');
        if (colon < 0) {
            return raw;
        }
        StringBuilder sb = new StringBuilder(raw.length());
        int nameEnd = colon;
        while (nameEnd > 0 && isWsp(raw.charAt(nameEnd - 1))) {
            nameEnd--;
        }
        sb.append(raw.substring(0, nameEnd).toLowerCase(Locale.ROOT)).append(':');
        boolean pendingSpace = false;
        boolean started = false;
        for (int i = colon + 1; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '\r' || c == '\n') {
                continue;
            }
            if (c == ' ' || c == '\t') {
                pendingSpace = true;
                continue;
            }
            if (pendingSpace && started) {
                sb.append(' ');
            }
            pendingSpace = false;
            started = true;
            sb.append(c);
        }
        return sb.toString();
    }

    private static boolean isWsp(char c) {
        return c == ' ' || c == '\t';
    }
}
