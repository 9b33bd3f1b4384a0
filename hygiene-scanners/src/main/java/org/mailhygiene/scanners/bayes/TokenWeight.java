package org.mailhygiene.scanners.bayes;

import java.util.Objects;

/**
 * What one token adds to a message's log-odds in a model's logistic part ({@link BayesModel#hasLogistic()}):
 * positive towards spam, negative towards ham.
 *
 * @param token the token
 * @param weight its weight, a finite number
 */
public record TokenWeight(String token, double weight) {
    /**
     * Validates.
     *
     * @throws NullPointerException if {@code token} is {@code null}
     * @throws IllegalArgumentException if {@code weight} is not finite
     */
    public TokenWeight {
        Objects.requireNonNull(token, "token");
        if (!Double.isFinite(weight)) {
            throw new IllegalArgumentException("weight must be finite: " + weight);
        }
    }
}
