package org.mailhygiene.api;

import java.util.Objects;
import java.util.OptionalDouble;

/**
 * A rule that fired during a scan, such as a SpamAssassin test, a classifier token, or an attachment policy rule.
 *
 * <p>Immutable and thread-safe.
 *
 * @param name the rule's name as the scanner reports it, e.g. {@code GTUBE}
 * @param score the rule's contribution to the score, empty when the scanner does not say
 * @param description a human-readable explanation, empty string when none
 */
public record Rule(String name, OptionalDouble score, String description) {

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException if the name is blank or the score is not finite
     */
    public Rule {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(score, "score");
        Objects.requireNonNull(description, "description");
        if (name.isBlank()) {
            throw new IllegalArgumentException("rule name must not be blank");
        }
        if (score.isPresent() && !Double.isFinite(score.getAsDouble())) {
            throw new IllegalArgumentException("rule score must be finite");
        }
    }

    /**
     * A rule with a name only.
     *
     * @param name the name
     * @return a new rule without score or description
     */
    public static Rule of(String name) {
        return new Rule(name, OptionalDouble.empty(), "");
    }

    /**
     * A rule with a name and score.
     *
     * @param name the name
     * @param score the score contribution
     * @return a new rule without description
     */
    public static Rule of(String name, double score) {
        return new Rule(name, OptionalDouble.of(score), "");
    }

    /**
     * A rule with a name, score and description.
     *
     * @param name the name
     * @param score the score contribution
     * @param description the explanation
     * @return a new rule
     */
    public static Rule of(String name, double score, String description) {
        return new Rule(name, OptionalDouble.of(score), description);
    }
}
