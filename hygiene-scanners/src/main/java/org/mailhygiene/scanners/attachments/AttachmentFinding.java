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
    }
}
