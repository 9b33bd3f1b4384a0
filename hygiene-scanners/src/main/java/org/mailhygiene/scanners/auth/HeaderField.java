package org.mailhygiene.scanners.auth;

import java.util.Locale;
import java.util.Objects;

/**
 * One header field exactly as received: its name and the whole field ({@code Name: value} with its folding, line ends
 * as CRLF, without the final CRLF), one char per byte (ISO-8859-1), so that signatures see the original bytes.
 *
 * <p>Immutable and thread-safe.
 *
 * @param name the field name as written (without trailing whitespace)
 * @param raw the whole field without the final CRLF
 */
public record HeaderField(String name, String raw) {

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public HeaderField {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(raw, "raw");
    }

    /**
     * A field built from a name and an unfolded value, as {@code Name: value}.
     *
     * @param name the name
     * @param value the value
     * @return a new field
     */
    public static HeaderField of(String name, String value) {
        return new HeaderField(name, name + ": " + value);
    }

    /**
     * The value: everything after the colon, unfolded (CR and LF removed), leading and trailing whitespace removed.
     *
     * @return the value
     */
    public String value() {
        int colon = raw.indexOf(':');
        String v = colon < 0 ? "" : raw.substring(colon + 1);
        return v.replace("\r", "").replace("\n", "").strip();
    }

    /**
     * The value after the colon with its folding, as signed headers need it for tag-list parsing.
     *
     * @return everything after the colon
     */
    public String rawValue() {
        int colon = raw.indexOf(':');
        return colon < 0 ? "" : raw.substring(colon + 1);
    }

    /**
     * Whether the field has this name, ignoring case.
     *
     * @param other a field name
     * @return {@code true} if the names match case-insensitively
     */
    public boolean is(String other) {
        return name.equalsIgnoreCase(other);
    }

    /**
     * The lower-case name.
     *
     * @return the name in lower case
     */
    public String lowerName() {
        return name.toLowerCase(Locale.ROOT);
    }
}
