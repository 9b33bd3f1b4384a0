package org.mailhygiene.scanners.attachments;

import java.util.Objects;

/**
 * One policy concern about one attachment or archive entry.
 *
 * <p>Immutable and thread-safe.
 *
 * @param rule the rule name: {@value AttachmentPolicyScanner#EXECUTABLE}, {@value AttachmentPolicyScanner#DOUBLE},
 *     {@value AttachmentPolicyScanner#MISMATCH}, {@value AttachmentPolicyScanner#ENCRYPTED},
 *     {@value AttachmentPolicyScanner#ARCHIVE_LIMIT}, {@value AttachmentPolicyScanner#ARCHIVE_BROKEN},
 *     {@value AttachmentPolicyScanner#MIME_BROKEN} or {@value AttachmentPolicyScanner#MIME_LIMIT}
 * <p>A location or description longer than {@value #MAX_TEXT} characters (a file name padded to megabytes, which MIME
 * parameter continuations and TNEF titles allow) is shortened to its start, {@code ...}, its end (where the extension
 * is) and its length, so that a verdict, a {@code hygiene scan --json} line or a shared cache entry is not as large as
 * the name (a 200,000-character name made a 400 KB JSON line before).
 *
 * @param location where: the MIME part path and file name, then archive entry names separated by {@code " > "}
 * @param description a human-readable explanation naming the part or file
 */
public record AttachmentFinding(String rule, String location, String description) {

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException if the rule is blank
     */
    public AttachmentFinding {
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(description, "description");
        if (rule.isBlank()) {
            throw new IllegalArgumentException("rule must not be blank");
        }
        location = shortened(location);
        description = shortened(description);
    }

    /** The longest location or description kept whole, in characters. */
    public static final int MAX_TEXT = 1024;

    private static final int HEAD = 700;
    private static final int TAIL = 200;

    private static String shortened(String text) {
        int length = text.length();
        if (length <= MAX_TEXT) {
            return text;
        }
        int head = Character.isHighSurrogate(text.charAt(HEAD - 1)) ? HEAD - 1 : HEAD;
        int tail = Character.isLowSurrogate(text.charAt(length - TAIL)) ? length - TAIL + 1 : length - TAIL;
        return text.substring(0, head) + "..." + text.substring(tail) + " (" + length + " characters)";
    }
}
