package org.mailhygiene.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;
import org.mailhygiene.api.policy.Header;
import org.mailhygiene.internal.Checks;

/**
 * What one scanner concluded about one message it actually scanned: which scanner, the outcome, the threats found, the
 * score and threshold where the scanner scores, the rules that fired, and the time taken.
 *
 * <p>A verdict is never a failure in disguise: a scanner that could not scan throws {@link ScanException} instead.
 * Invariants checked at construction: {@link Outcome#INFECTED} names at least one threat; {@link Outcome#CLEAN} names
 * none; scores are finite.
 *
 * <p>Immutable and thread-safe.
 *
 * @param scanner the scanner's name
 * @param outcome the conclusion
 * @param threats threat names exactly as the scanner reported them (e.g. {@code Eicar-Signature},
 *     {@code Test.EICAR.NDB.UNOFFICIAL}); empty unless infected or suspicious
 * @param score the score where the scanner scores (spam scanners), else empty
 * @param threshold the threshold the score was compared with, else empty
 * @param rules the rules that fired, most significant first where the scanner orders them
 * @param elapsed wall time the scan took
 * @param headers header fields the scanner asks to add to the message when it is delivered or quarantined (for
 *     example the {@code Authentication-Results} of the sender-authentication scanner); empty for most scanners.
 *     {@link org.mailhygiene.api.policy.DefaultPolicy} passes them on in its dispositions.
 */
public record Verdict(
        String scanner,
        Outcome outcome,
        List<String> threats,
        OptionalDouble score,
        OptionalDouble threshold,
        List<Rule> rules,
        Duration elapsed,
        List<Header> headers)
        implements ScanResult {

    /**
     * Validates and copies the components.
     *
     * @throws NullPointerException if any component is {@code null}
     * @throws IllegalArgumentException if an invariant in the class description is broken
     */
    public Verdict {
        Objects.requireNonNull(scanner, "scanner");
        Objects.requireNonNull(outcome, "outcome");
        threats = List.copyOf(Objects.requireNonNull(threats, "threats"));
        Objects.requireNonNull(score, "score");
        Objects.requireNonNull(threshold, "threshold");
        rules = List.copyOf(Objects.requireNonNull(rules, "rules"));
        Objects.requireNonNull(elapsed, "elapsed");
        headers = List.copyOf(Objects.requireNonNull(headers, "headers"));
        if (scanner.isBlank()) {
            throw new IllegalArgumentException("scanner name must not be blank");
        }
        if (outcome == Outcome.INFECTED && threats.isEmpty()) {
            throw new IllegalArgumentException("an INFECTED verdict must name at least one threat");
        }
        if (outcome == Outcome.CLEAN && !threats.isEmpty()) {
            throw new IllegalArgumentException("a CLEAN verdict must not name threats: " + threats);
        }
        for (String t : threats) {
            if (t.isBlank()) {
                throw new IllegalArgumentException("threat names must not be blank");
            }
        }
        if (score.isPresent() && !Double.isFinite(score.getAsDouble())) {
            throw new IllegalArgumentException("score must be finite");
        }
        if (threshold.isPresent() && !Double.isFinite(threshold.getAsDouble())) {
            throw new IllegalArgumentException("threshold must be finite");
        }
        Checks.requireNonNegative(elapsed, "elapsed");
    }

    /**
     * A verdict without header fields to add (the form every scanner used before {@link #headers()} existed).
     *
     * @param scanner the scanner's name
     * @param outcome the conclusion
     * @param threats threat names
     * @param score the score, if the scanner scores
     * @param threshold the threshold, if the scanner scores
     * @param rules the rules that fired
     * @param elapsed wall time the scan took
     * @throws NullPointerException if any component is {@code null}
     * @throws IllegalArgumentException if an invariant in the class description is broken
     */
    public Verdict(
            String scanner,
            Outcome outcome,
            List<String> threats,
            OptionalDouble score,
            OptionalDouble threshold,
            List<Rule> rules,
            Duration elapsed) {
        this(scanner, outcome, threats, score, threshold, rules, elapsed, List.of());
    }

    /**
     * A clean verdict.
     *
     * @param scanner the scanner's name
     * @param elapsed the time taken
     * @return a new verdict
     */
    public static Verdict clean(String scanner, Duration elapsed) {
        return builder(scanner, Outcome.CLEAN).elapsed(elapsed).build();
    }

    /**
     * An infected verdict.
     *
     * @param scanner the scanner's name
     * @param threats at least one threat name
     * @param elapsed the time taken
     * @return a new verdict
     * @throws IllegalArgumentException if {@code threats} is empty
     */
    public static Verdict infected(String scanner, List<String> threats, Duration elapsed) {
        return builder(scanner, Outcome.INFECTED)
                .threats(threats)
                .elapsed(elapsed)
                .build();
    }

    /**
     * Starts a builder.
     *
     * @param scanner the scanner's name
     * @param outcome the outcome
     * @return a new builder with no threats, no score, no rules and zero elapsed time
     */
    public static Builder builder(String scanner, Outcome outcome) {
        return new Builder(scanner, outcome);
    }

    /**
     * A copy with another elapsed time; used by caches and pipelines that measure time themselves.
     *
     * @param newElapsed the time to report
     * @return a new verdict
     */
    public Verdict withElapsed(Duration newElapsed) {
        return new Verdict(scanner, outcome, threats, score, threshold, rules, newElapsed, headers);
    }

    /**
     * Whether the score reached the threshold, where both are present.
     *
     * @return {@code true} if {@code score >= threshold}
     */
    public boolean scoreReachedThreshold() {
        return score.isPresent() && threshold.isPresent() && score.getAsDouble() >= threshold.getAsDouble();
    }

    /** Builds a {@link Verdict}. Not thread-safe. Validation happens in {@link #build()}. */
    public static final class Builder {
        private final String scanner;
        private final Outcome outcome;
        private final List<String> threats = new ArrayList<>();
        private OptionalDouble score = OptionalDouble.empty();
        private OptionalDouble threshold = OptionalDouble.empty();
        private final List<Rule> rules = new ArrayList<>();
        private Duration elapsed = Duration.ZERO;
        private final List<Header> headers = new ArrayList<>();

        private Builder(String scanner, Outcome outcome) {
            this.scanner = Objects.requireNonNull(scanner, "scanner");
            this.outcome = Objects.requireNonNull(outcome, "outcome");
        }

        /**
         * Adds a threat name.
         *
         * @param name the name as the scanner reported it
         * @return this builder
         */
        public Builder threat(String name) {
            threats.add(Objects.requireNonNull(name, "name"));
            return this;
        }

        /**
         * Adds threat names.
         *
         * @param names the names
         * @return this builder
         */
        public Builder threats(List<String> names) {
            names.forEach(this::threat);
            return this;
        }

        /**
         * Sets the score.
         *
         * @param value a finite score
         * @return this builder
         */
        public Builder score(double value) {
            this.score = OptionalDouble.of(value);
            return this;
        }

        /**
         * Sets the threshold.
         *
         * @param value a finite threshold
         * @return this builder
         */
        public Builder threshold(double value) {
            this.threshold = OptionalDouble.of(value);
            return this;
        }

        /**
         * Adds a fired rule.
         *
         * @param rule the rule
         * @return this builder
         */
        public Builder rule(Rule rule) {
            rules.add(Objects.requireNonNull(rule, "rule"));
            return this;
        }

        /**
         * Adds fired rules.
         *
         * @param list the rules
         * @return this builder
         */
        public Builder rules(List<Rule> list) {
            list.forEach(this::rule);
            return this;
        }

        /**
         * Sets the time taken.
         *
         * @param value a non-negative duration
         * @return this builder
         */
        public Builder elapsed(Duration value) {
            this.elapsed = Objects.requireNonNull(value, "elapsed");
            return this;
        }

        /**
         * Adds a header field to add to the message (see {@link Verdict#headers()}).
         *
         * @param header the field
         * @return this builder
         */
        public Builder header(Header header) {
            headers.add(Objects.requireNonNull(header, "header"));
            return this;
        }

        /**
         * Builds the verdict.
         *
         * @return a new verdict
         * @throws IllegalArgumentException if an invariant of {@link Verdict} is broken
         */
        public Verdict build() {
            return new Verdict(scanner, outcome, threats, score, threshold, rules, elapsed, headers);
        }
    }
}
