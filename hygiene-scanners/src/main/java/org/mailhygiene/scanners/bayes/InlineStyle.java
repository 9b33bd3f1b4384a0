package org.mailhygiene.scanners.bayes;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The declarations of an HTML start tag's {@code style} attribute as a browser applies them: only the first
 * {@code style} attribute counts (an HTML parser drops repeated attributes), CSS comments are removed, property names
 * and values are compared in lower case with blanks removed, the last declaration of a property wins unless an
 * earlier one is {@code !important}, and the {@code font} shorthand sets {@code line-height} too ({@code normal} unless
 * it names one after a {@code /}). Text elsewhere in the tag (another attribute's value that reads like CSS) counts for
 * nothing. Reading is linear in the tag.
 *
 * <p>Immutable and thread-safe once made.
 */
final class InlineStyle {
    private static final InlineStyle NONE = new InlineStyle(Map.of());

    private final Map<String, String> values;

    private InlineStyle(Map<String, String> values) {
        this.values = values;
    }

    /**
     * The style of the start tag in {@code html[from, to)}: from just after the element's name to its {@code >}.
     *
     * @return the style, empty when the tag has no {@code style} attribute
     */
    static InlineStyle of(String html, int from, int to) {
        String raw = attribute(html, from, to, "style");
        return raw == null ? NONE : parse(raw);
    }

    /** The value (the last one wins, {@code !important} first) of a property, or {@code ""} when not declared. */
    String get(String property) {
        return values.getOrDefault(property, "");
    }

    /** Whether the style declares anything. */
    boolean isEmpty() {
        return values.isEmpty();
    }

    /** Declarations of a style attribute's value, as described in the class description. */
    static InlineStyle parse(String raw) {
        StringBuilder sb = new StringBuilder(raw.length());
        int n = raw.length();
        for (int i = 0; i < n; i++) {
            char c = raw.charAt(i);
            if (c == '/' && i + 1 < n && raw.charAt(i + 1) == '*') {
                int end = raw.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 1;
                continue;
            }
            if (!Tokenizer.isBlank(c)) {
                sb.append(Character.toLowerCase(c));
            }
        }
        Map<String, String> values = new HashMap<>();
        Set<String> important = new HashSet<>();
        for (String declaration : sb.toString().split(";")) {
            int colon = declaration.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String property = declaration.substring(0, colon);
            String value = declaration.substring(colon + 1);
            boolean isImportant = value.endsWith("!important");
            if (isImportant) {
                value = value.substring(0, value.length() - "!important".length());
            }
            put(values, important, property, value, isImportant);
            if (property.equals("font")) {
                put(values, important, "line-height", fontLineHeight(value), isImportant);
            }
        }
        return new InlineStyle(values);
    }

    private static void put(
            Map<String, String> values, Set<String> important, String property, String value, boolean isImportant) {
        if (important.contains(property) && !isImportant) {
            return;
        }
        values.put(property, value);
        if (isImportant) {
            important.add(property);
        }
    }

    /** The line height a {@code font} shorthand sets: what follows its size's {@code /}, else {@code normal}. */
    private static String fontLineHeight(String value) {
        int slash = value.indexOf('/');
        if (slash < 0) {
            return "normal";
        }
        int end = slash + 1;
        while (end < value.length()
                && (Character.isLetterOrDigit(value.charAt(end))
                        || value.charAt(end) == '.'
                        || value.charAt(end) == '%')) {
            end++;
        }
        // the family follows without a separator once blanks are removed ("16px/1.5arial"): keep the number and unit
        String lh = value.substring(slash + 1, end);
        int unit = 0;
        while (unit < lh.length() && (Character.isDigit(lh.charAt(unit)) || lh.charAt(unit) == '.')) {
            unit++;
        }
        if (unit == 0) {
            return lh.startsWith("normal") ? "normal" : lh;
        }
        String rest = lh.substring(unit);
        for (String u : new String[] {"px", "pt", "em", "rem", "%"}) {
            if (rest.startsWith(u)) {
                return lh.substring(0, unit) + u;
            }
        }
        return lh.substring(0, unit);
    }

    /**
     * The lower-case value of the first attribute named {@code name} (lower case) of the start tag in
     * {@code html[from, to)}, attributes read as an HTML parser reads them (a name, then optionally {@code =} and a
     * quoted or unquoted value; a repeated attribute is dropped), or {@code null}.
     */
    static String attribute(String html, int from, int to, String name) {
        int i = from;
        while (i < to) {
            while (i < to && (Tokenizer.isBlank(html.charAt(i)) || html.charAt(i) == '/')) {
                i++;
            }
            int nameStart = i;
            while (i < to && !Tokenizer.isBlank(html.charAt(i)) && html.charAt(i) != '=' && html.charAt(i) != '/') {
                i++;
            }
            if (i == nameStart) {
                return null;
            }
            boolean wanted =
                    i - nameStart == name.length() && html.regionMatches(true, nameStart, name, 0, name.length());
            int j = i;
            while (j < to && Tokenizer.isBlank(html.charAt(j))) {
                j++;
            }
            if (j >= to || html.charAt(j) != '=') {
                i = j;
                continue;
            }
            j++;
            while (j < to && Tokenizer.isBlank(html.charAt(j))) {
                j++;
            }
            int valueStart;
            int valueEnd;
            if (j < to && (html.charAt(j) == '"' || html.charAt(j) == '\'')) {
                char quote = html.charAt(j);
                valueStart = j + 1;
                valueEnd = valueStart;
                while (valueEnd < to && html.charAt(valueEnd) != quote) {
                    valueEnd++;
                }
                i = Math.min(to, valueEnd + 1);
            } else {
                valueStart = j;
                valueEnd = j;
                while (valueEnd < to && !Tokenizer.isBlank(html.charAt(valueEnd))) {
                    valueEnd++;
                }
                i = valueEnd;
            }
            if (wanted) {
                return html.substring(valueStart, valueEnd).toLowerCase(Locale.ROOT);
            }
        }
        return null;
    }
}
