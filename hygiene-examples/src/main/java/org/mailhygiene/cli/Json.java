package org.mailhygiene.cli;

import java.math.BigDecimal;
import java.util.List;
import java.util.OptionalDouble;

/** Just enough JSON writing for the command line's output: strings, numbers, null, arrays. Stateless. */
final class Json {
    private Json() {}

    /** A JSON string literal; every character outside printable ASCII is escaped, so the output is pure ASCII. */
    static String string(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    /** A string literal, or {@code null}. */
    static String stringOrNull(String s) {
        return s == null ? "null" : string(s);
    }

    /** An array of string literals. */
    static String strings(List<String> values) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < values.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(string(values.get(i)));
        }
        return sb.append(']').toString();
    }

    /** A number, or {@code null} when empty. */
    static String number(OptionalDouble d) {
        return d.isPresent() ? number(d.getAsDouble()) : "null";
    }

    /**
     * A finite number in plain notation: integral values keep one decimal ({@code 1000.0}), others their shortest
     * exact decimal form ({@code 6.83}); never exponent notation.
     */
    static String number(double d) {
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("not a finite number: " + d);
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return BigDecimal.valueOf(d).setScale(1).toPlainString();
        }
        return BigDecimal.valueOf(d).toPlainString();
    }
}
