package org.mailhygiene.api.policy;

import java.util.Objects;

/**
 * A header field to add to a message, unfolded; the writer folds long values.
 *
 * <p>Immutable and thread-safe.
 *
 * @param name the field name, printable ASCII without colon or space
 * @param value the unfolded value; 7-bit printable text without CR or LF (encode non-ASCII with RFC 2047 first)
 */
public record Header(String name, String value) {

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException if the name is not an RFC 5322 field name or the value holds CR, LF or
     *     non-ASCII characters
     */
    public Header {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("header name must not be empty");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= 0x20 || c > 0x7e || c == ':') {
                throw new IllegalArgumentException("invalid header name: " + name);
            }
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c > 0x7e) {
                throw new IllegalArgumentException("header " + name + " value must be 7-bit text without line breaks");
            }
        }
    }
}
