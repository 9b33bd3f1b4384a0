package org.mailhygiene.scanners.auth;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * An RFC 6376 section 3.2 tag list ({@code tag=value; tag=value}), as DKIM signatures and keys, ARC headers and DMARC
 * records use it. Whitespace around tags, values and separators is dropped (folding included); a trailing semicolon
 * is allowed; a duplicate tag, a tag without {@code =}, or an invalid tag name makes the whole list invalid.
 *
 * <p>Immutable and thread-safe. Parsing is linear in the input.
 */
public final class TagList {
    private final Map<String, String> tags;

    private TagList(Map<String, String> tags) {
        this.tags = Collections.unmodifiableMap(tags);
    }

    /**
     * The outcome of parsing: the list, or why it is invalid.
     *
     * @param list the tags when valid
     * @param error the reason when invalid, else empty
     */
    public record Parsed(Optional<TagList> list, String error) {
        /**
         * Whether the text was a valid tag list.
         *
         * @return {@code true} if {@link #list()} is present
         */
        public boolean valid() {
            return list.isPresent();
        }
    }

    /**
     * Parses a tag list. Never throws for bad input.
     *
     * @param text the list, e.g. the value of a DKIM-Signature header field
     * @return the list, or the reason it is invalid
     */
    public static Parsed parse(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        String[] specs = text.split(";", -1);
        for (int idx = 0; idx < specs.length; idx++) {
            String spec = specs[idx];
            if (isBlank(spec)) {
                if (idx > 0 && idx == specs.length - 1) {
                    break; // a trailing separator
                }
                return new Parsed(Optional.empty(), "empty tag-spec");
            }
            int eq = spec.indexOf('=');
            if (eq < 0) {
                return new Parsed(Optional.empty(), "tag-spec without '=': " + abbreviate(spec));
            }
            String name = strip(spec.substring(0, eq));
            if (!validName(name)) {
                return new Parsed(Optional.empty(), "invalid tag name: " + abbreviate(name));
            }
            String value = strip(spec.substring(eq + 1));
            for (int k = 0; k < value.length(); k++) {
                char c = value.charAt(k);
                if (c < 0x20 && c != '\t' && c != '\r' && c != '\n' || c == 0x7f) {
                    return new Parsed(Optional.empty(), "control character in value of " + name);
                }
            }
            if (out.put(name, value) != null) {
                return new Parsed(Optional.empty(), "duplicate tag " + name);
            }
        }
        return new Parsed(Optional.of(new TagList(out)), "");
    }

    /**
     * A tag's value, whitespace around it removed (inner folding whitespace kept).
     *
     * @param name the tag name (case-sensitive, as RFC 6376 says)
     * @return the value, if the tag is present
     */
    public Optional<String> get(String name) {
        return Optional.ofNullable(tags.get(name));
    }

    /**
     * All tags in order of appearance.
     *
     * @return an unmodifiable map
     */
    public Map<String, String> asMap() {
        return tags;
    }

    /**
     * Removes all folding whitespace (SP, HTAB, CR, LF) from a value, as base64 and header-name lists need.
     *
     * @param value the value
     * @return the value without whitespace
     */
    public static String noWhitespace(String value) {
        StringBuilder sb = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static boolean validName(String name) {
        if (name.isEmpty() || !isAlpha(name.charAt(0))) {
            return false;
        }
        for (int i = 1; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!isAlpha(c) && !(c >= '0' && c <= '9') && c != '_') {
                return false;
            }
        }
        return true;
    }

    private static boolean isAlpha(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean isWsp(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
    }

    private static boolean isBlank(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (!isWsp(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static String strip(String s) {
        int a = 0;
        int b = s.length();
        while (a < b && isWsp(s.charAt(a))) {
            a++;
        }
        while (b > a && isWsp(s.charAt(b - 1))) {
            b--;
        }
        return s.substring(a, b);
    }

    static String abbreviate(String s) {
        String t = s.replace('\r', ' ').replace('\n', ' ');
        return t.length() <= 40 ? t : t.substring(0, 40) + "...";
    }
}
