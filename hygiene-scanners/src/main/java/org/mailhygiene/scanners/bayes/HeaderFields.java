package org.mailhygiene.scanners.bayes;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.mailhygiene.scanners.mime.MimeWalker;

/**
 * The fields of a raw header block, unfolded, in order: parsed by hand (no regular expressions; this runs for every
 * message), up to the first empty line or the end of the bytes given. Lines without a colon are skipped as fields;
 * the lines that open no header field ({@link MimeWalker#isHeaderField}; an mbox {@code From } line first excepted),
 * with the lines folded under them, are kept apart as {@linkplain #strayText stray text}. Linear in the input.
 * Immutable and thread-safe.
 */
final class HeaderFields {
    /** One field: its name lower-cased and stripped, its raw value (unfolded, not decoded, not stripped). */
    record Field(String name, String value) {}

    private final List<Field> fields;

    private final String strayText;

    private HeaderFields(List<Field> fields, String strayText) {
        this.fields = List.copyOf(fields);
        this.strayText = strayText;
    }

    /**
     * Parses a header block.
     *
     * @param raw the message's first bytes (ISO-8859-1 is used so that every byte survives)
     * @return the fields
     */
    static HeaderFields parse(byte[] raw) {
        String block = new String(raw, StandardCharsets.ISO_8859_1);
        List<Field> fields = new ArrayList<>();
        int n = block.length();
        int i = 0;
        StringBuilder value = null;
        String name = null;
        StringBuilder stray = new StringBuilder();
        boolean inStray = false;
        while (i < n) {
            int eol = block.indexOf('\n', i);
            int next = eol < 0 ? n : eol + 1;
            int end = eol < 0 ? n : eol;
            if (end > i && block.charAt(end - 1) == '\r') {
                end--;
            }
            if (end == i) {
                break; // the empty line ends the header
            }
            char c = block.charAt(i);
            if (c != ' ' && c != '\t') {
                // a line that opens no field, and the lines folded under it: the body to a reader (an mbox separator
                // first is none)
                String line = block.substring(i, end);
                inStray = !(i == 0 && line.startsWith("From ")) && !MimeWalker.isHeaderField(line);
            }
            if (inStray) {
                (stray.isEmpty() ? stray : stray.append('\n')).append(block, i, end);
            }
            if ((c == ' ' || c == '\t') && value != null) {
                value.append(' ').append(block, i, end);
            } else {
                if (name != null) {
                    fields.add(new Field(name, value.toString()));
                }
                int colon = block.indexOf(':', i);
                if (colon > i && colon < end) {
                    name = block.substring(i, colon).strip().toLowerCase(Locale.ROOT);
                    value = new StringBuilder(end - colon).append(block, colon + 1, end);
                } else {
                    name = null;
                    value = null;
                }
            }
            i = next;
        }
        if (name != null) {
            fields.add(new Field(name, value.toString()));
        }
        return new HeaderFields(fields, stray.toString());
    }

    /**
     * The lines of the header block that open no header field, with the lines folded under them, one per line, as
     * ISO-8859-1 characters of the raw bytes: readers end the header at such a line and show it as the body.
     *
     * @return the lines, joined by line feeds; empty when every line is a field
     */
    String strayText() {
        return strayText;
    }

    /**
     * All fields in order.
     *
     * @return the fields
     */
    List<Field> all() {
        return fields;
    }

    /**
     * The first field of a name, stripped.
     *
     * @param name the lower-case field name
     * @return its value, or empty
     */
    Optional<String> first(String name) {
        for (Field f : fields) {
            if (f.name().equals(name)) {
                return Optional.of(f.value().strip());
            }
        }
        return Optional.empty();
    }

    /**
     * Whether a field of that name is present.
     *
     * @param name the lower-case field name
     * @return {@code true} if present
     */
    boolean has(String name) {
        return first(name).isPresent();
    }
}
