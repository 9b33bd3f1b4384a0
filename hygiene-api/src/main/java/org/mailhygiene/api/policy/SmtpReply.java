package org.mailhygiene.api.policy;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An SMTP reply: a three-digit code, an RFC 3463 enhanced status code and text.
 *
 * <p>Immutable and thread-safe. {@link #toString()} gives the single-line wire form without CRLF, e.g.
 * {@code 554 5.7.1 Virus found: Eicar-Signature}.
 *
 * @param code the basic reply code, 200 to 599
 * @param enhancedStatus the enhanced status code {@code class.subject.detail}; its class equals the code's first digit
 * @param text the human-readable text; printable ASCII, no CR or LF
 */
public record SmtpReply(int code, String enhancedStatus, String text) {
    private static final Pattern ENHANCED = Pattern.compile("[245]\\.\\d{1,3}\\.\\d{1,3}");

    /** {@code 250 2.0.0 Ok}. */
    public static final SmtpReply OK = new SmtpReply(250, "2.0.0", "Ok");

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException if the code is outside 200..599, the enhanced status is malformed or of another
     *     class than the code, or the text holds CR, LF or non-ASCII characters
     */
    public SmtpReply {
        Objects.requireNonNull(enhancedStatus, "enhancedStatus");
        Objects.requireNonNull(text, "text");
        if (code < 200 || code > 599) {
            throw new IllegalArgumentException("reply code must be 200..599, was " + code);
        }
        if (!ENHANCED.matcher(enhancedStatus).matches()) {
            throw new IllegalArgumentException("malformed enhanced status code: " + enhancedStatus);
        }
        if (enhancedStatus.charAt(0) - '0' != code / 100) {
            throw new IllegalArgumentException(
                    "enhanced status " + enhancedStatus + " does not match the class of reply code " + code);
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw new IllegalArgumentException("reply text must be printable ASCII without line breaks");
            }
        }
    }

    /**
     * Whether this is a 2xx reply.
     *
     * @return {@code true} for success
     */
    public boolean isPositive() {
        return code < 300;
    }

    /**
     * Whether this is a 4xx reply.
     *
     * @return {@code true} for a transient failure
     */
    public boolean isTransient() {
        return code >= 400 && code < 500;
    }

    /**
     * Whether this is a 5xx reply.
     *
     * @return {@code true} for a permanent failure
     */
    public boolean isPermanent() {
        return code >= 500;
    }

    /**
     * Makes reply text safe: non-printable and non-ASCII characters become {@code ?}, and it is cut to 400 characters.
     *
     * @param raw any text, e.g. a threat name from a scanner
     * @return text acceptable to {@link SmtpReply}
     */
    public static String sanitize(String raw) {
        StringBuilder sb = new StringBuilder(Math.min(raw.length(), 400));
        for (int i = 0; i < raw.length() && sb.length() < 400; i++) {
            char c = raw.charAt(i);
            sb.append(c >= 0x20 && c <= 0x7e ? c : '?');
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return code + " " + enhancedStatus + " " + text;
    }
}
