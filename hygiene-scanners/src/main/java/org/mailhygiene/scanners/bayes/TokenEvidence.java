package org.mailhygiene.scanners.bayes;

import java.util.Objects;

/**
 * How one token weighed in a classification: its smoothed spam probability and how often it was seen in training.
 *
 * <p>Immutable and thread-safe.
 *
 * @param token the token, e.g. {@code subject:viagra} or the bigram {@code 出会}
 * @param spamProbability Robinson's smoothed probability f(w) that a message holding the token is spam, in (0, 1)
 * @param spamCount how many spam training messages held the token
 * @param hamCount how many ham training messages held the token
 */
public record TokenEvidence(String token, double spamProbability, int spamCount, int hamCount) {

    /**
     * Validates the components.
     *
     * @throws NullPointerException if {@code token} is {@code null}
     * @throws IllegalArgumentException if the probability is outside [0, 1] or a count is negative
     */
    public TokenEvidence {
        Objects.requireNonNull(token, "token");
        if (!(spamProbability >= 0.0 && spamProbability <= 1.0)) {
            throw new IllegalArgumentException("spamProbability must be in [0, 1]: " + spamProbability);
        }
        if (spamCount < 0 || hamCount < 0) {
            throw new IllegalArgumentException("counts must not be negative");
        }
    }

    /**
     * How far the token is from neutral (0.5): the larger, the more it weighed.
     *
     * @return {@code |spamProbability - 0.5|}
     */
    public double strength() {
        return Math.abs(spamProbability - 0.5);
    }
}
