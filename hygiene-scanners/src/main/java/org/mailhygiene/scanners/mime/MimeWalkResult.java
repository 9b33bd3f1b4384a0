package org.mailhygiene.scanners.mime;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of one {@link MimeWalker#walk walk}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param parts how many entities were visited (the message, containers and leaves)
 * @param decodedBytes how many decoded body bytes were handed to the visitor
 * @param findings what was found about the structure, in walk order
 * @param stoppedByVisitor whether the visitor ended the walk early
 */
public record MimeWalkResult(int parts, long decodedBytes, List<MimeFinding> findings, boolean stoppedByVisitor) {

    /**
     * Validates and copies the components.
     *
     * @throws NullPointerException if {@code findings} is {@code null}
     * @throws IllegalArgumentException if a count is negative
     */
    public MimeWalkResult {
        findings = List.copyOf(Objects.requireNonNull(findings, "findings"));
        if (parts < 0 || decodedBytes < 0) {
            throw new IllegalArgumentException("counts must be >= 0");
        }
    }

    /**
     * Whether a limit cut the walk short, so some content was not handed to the visitor.
     *
     * @return {@code true} if any finding is a {@linkplain MimeFinding.Kind#isLimit() limit}
     */
    public boolean limitReached() {
        return findings.stream().anyMatch(f -> f.kind().isLimit());
    }

    /**
     * Whether the structure was sound: no findings at all.
     *
     * @return {@code true} when there are no findings
     */
    public boolean wellFormed() {
        return findings.isEmpty();
    }
}
