package org.mailhygiene.scanners.bayes;

import java.util.List;
import java.util.Objects;

/**
 * The result of classifying one message's tokens: Fisher's combined spam indicator and the tokens that decided it.
 *
 * <p>Immutable and thread-safe.
 *
 * @param score the combined indicator I = (1 + H - S) / 2 in [0, 1]: near 1 spam, near 0 ham, 0.5 undecided (also
 *     when no token was significant)
 * @param clues the significant tokens used, strongest first (at most the classifier's clue limit)
 * @param tokensSeen how many distinct tokens the message had
 */
public record Classification(double score, List<TokenEvidence> clues, int tokensSeen) {

    /**
     * Validates and copies the components.
     *
     * @throws NullPointerException if {@code clues} is {@code null}
     * @throws IllegalArgumentException if the score is outside [0, 1] or {@code tokensSeen} is negative
     */
    public Classification {
        clues = List.copyOf(Objects.requireNonNull(clues, "clues"));
        if (!(score >= 0.0 && score <= 1.0)) {
            throw new IllegalArgumentException("score must be in [0, 1]: " + score);
        }
        if (tokensSeen < 0) {
            throw new IllegalArgumentException("tokensSeen must not be negative");
        }
    }
}
