package org.mailhygiene.smtp.delivery;

import java.util.List;
import java.util.Objects;

/**
 * A reply from an SMTP server: its code and its text lines (without the code and separator).
 *
 * <p>Immutable and thread-safe.
 *
 * @param code the three-digit reply code
 * @param lines the text of each line, at least one (possibly empty)
 */
public record SmtpResponse(int code, List<String> lines) {

    /**
     * Validates and copies.
     *
     * @throws IllegalArgumentException if the code is outside 100..599 or there are no lines
     */
    public SmtpResponse {
        lines = List.copyOf(Objects.requireNonNull(lines, "lines"));
        if (code < 100 || code > 599) {
            throw new IllegalArgumentException("reply code out of range: " + code);
        }
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("a reply has at least one line");
        }
    }

    /**
     * Whether this is 2xx.
     *
     * @return positive completion
     */
    public boolean isPositive() {
        return code >= 200 && code < 300;
    }

    /**
     * Whether this is 4xx.
     *
     * @return transient failure
     */
    public boolean isTransient() {
        return code >= 400 && code < 500;
    }

    /**
     * Whether this is 5xx.
     *
     * @return permanent failure
     */
    public boolean isPermanent() {
        return code >= 500;
    }

    /**
     * The enhanced status code (RFC 3463) at the start of the first line, if any, e.g. {@code 5.1.1}.
     *
     * @return the status, or a generic one derived from the code class ({@code 2.0.0}, {@code 4.0.0}, {@code 5.0.0})
     */
    public String status() {
        String first = lines.get(0);
        int sp = first.indexOf(' ');
        String head = sp < 0 ? first : first.substring(0, sp);
        if (head.matches("[245]\\.\\d{1,3}\\.\\d{1,3}") && head.charAt(0) - '0' == code / 100) {
            return head;
        }
        int cls = code / 100;
        return (cls == 3 ? 2 : cls) + ".0.0";
    }

    /**
     * The reply on one line, e.g. {@code 550 5.1.1 no such user}, for logs and DSN Diagnostic-Code fields. Control
     * characters are replaced by {@code ?}.
     *
     * @return the one-line form
     */
    public String oneLine() {
        StringBuilder sb = new StringBuilder().append(code);
        for (String l : lines) {
            sb.append(' ').append(l);
        }
        for (int i = 0; i < sb.length(); i++) {
            if (sb.charAt(i) < 0x20 || sb.charAt(i) == 0x7f) {
                sb.setCharAt(i, '?');
            }
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return oneLine();
    }
}
