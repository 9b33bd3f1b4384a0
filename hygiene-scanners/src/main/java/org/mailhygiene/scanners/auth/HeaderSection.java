package org.mailhygiene.scanners.auth;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The header section of a message, read from a stream up to the empty line that ends it; the stream is left at the
 * first body byte.
 *
 * <p>Lines that start with whitespace continue the previous field; a line without a colon that does not continue a
 * field is kept out of {@link #fields()} and counted in {@link #malformedLines()}. A bare LF ends a line as CRLF
 * does; folds are stored as CRLF. Reading is linear and bounded by {@code maxBytes}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param fields the fields in order, top first
 * @param malformedLines lines that were neither fields nor continuations
 * @param complete whether the section ended with an empty line (else the message has no body)
 */
public record HeaderSection(List<HeaderField> fields, int malformedLines, boolean complete) {

    /**
     * Validates and copies the components.
     *
     * @throws NullPointerException if {@code fields} is {@code null}
     */
    public HeaderSection {
        fields = List.copyOf(Objects.requireNonNull(fields, "fields"));
    }

    /** Thrown when the header section is larger than allowed. */
    public static final class TooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        /**
         * Creates the exception.
         *
         * @param message what was too large
         */
        public TooLargeException(String message) {
            super(message);
        }
    }

    /**
     * Reads the header section.
     *
     * @param in the message stream, positioned at its first byte; left at the first body byte
     * @param maxBytes the largest header section accepted
     * @return the section
     * @throws TooLargeException if the section exceeds {@code maxBytes}
     * @throws IOException if reading fails
     */
    public static HeaderSection read(InputStream in, int maxBytes) throws IOException {
        List<HeaderField> fields = new ArrayList<>();
        int malformed = 0;
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        StringBuilder current = null;
        String currentName = null;
        int total = 0;
        while (true) {
            int c = in.read();
            if (c < 0) {
                if (line.size() > 0) {
                    String l = line.toString(StandardCharsets.ISO_8859_1);
                    if (current != null && (l.startsWith(" ") || l.startsWith("\t"))) {
                        current.append("\r\n").append(l);
                    } else {
                        if (current != null) {
                            fields.add(new HeaderField(currentName, current.toString()));
                            current = null;
                        }
                        int colon = l.indexOf(':');
                        if (colon > 0) {
                            fields.add(new HeaderField(stripEnd(l.substring(0, colon)), l));
                        } else {
                            malformed++;
                        }
                    }
                }
                if (current != null) {
                    fields.add(new HeaderField(currentName, current.toString()));
                }
                return new HeaderSection(fields, malformed, false);
            }
            if (++total > maxBytes) {
                throw new TooLargeException("header section larger than " + maxBytes + " bytes");
            }
            if (c != '\n') {
                line.write(c);
                continue;
            }
            byte[] b = line.toByteArray();
            int len = b.length;
            if (len > 0 && b[len - 1] == '\r') {
                len--;
            }
            line.reset();
            String l = new String(b, 0, len, StandardCharsets.ISO_8859_1);
            if (l.isEmpty()) {
                if (current != null) {
                    fields.add(new HeaderField(currentName, current.toString()));
                }
                return new HeaderSection(fields, malformed, true);
            }
            if (l.charAt(0) == ' ' || l.charAt(0) == '\t') {
                if (current != null) {
                    current.append("\r\n").append(l);
                } else {
                    malformed++;
                }
                continue;
            }
            if (current != null) {
                fields.add(new HeaderField(currentName, current.toString()));
                current = null;
            }
            int colon = l.indexOf(':');
            if (colon <= 0) {
                malformed++;
                continue;
            }
            currentName = stripEnd(l.substring(0, colon));
            current = new StringBuilder(l);
        }
    }

    private static String stripEnd(String s) {
        int e = s.length();
        while (e > 0 && (s.charAt(e - 1) == ' ' || s.charAt(e - 1) == '\t')) {
            e--;
        }
        return s.substring(0, e);
    }

    /**
     * The fields with a name, top first.
     *
     * @param name the field name, any case
     * @return the matching fields
     */
    public List<HeaderField> all(String name) {
        List<HeaderField> out = new ArrayList<>();
        for (HeaderField f : fields) {
            if (f.is(name)) {
                out.add(f);
            }
        }
        return out;
    }
}
