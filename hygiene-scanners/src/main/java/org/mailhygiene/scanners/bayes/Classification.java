package org.mailhygiene.scanners.bayes;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of classifying one message's tokens: Fisher's combined spam indicator and the tokens that decided it,
 * and for a model with a logistic part ({@link BayesModel#hasLogistic()}) what that part added and what the second
 * reading, without the text's words, said.
 *
 * <p>Immutable and thread-safe.
 *
 * @param score the spam score in [0, 1]: near 1 spam, near 0 ham, 0.5 undecided (also when no token was significant
 *     and there is no logistic part). Without a logistic part it is the Bayes indicator; with one, the logistic
 *     function of 0.8 times the log-odds of the whole reading (the indicator's plus {@code logOdds}) plus 0.2 times
 *     the second reading's ({@code structureScore}'s; {@link BayesModel#classify})
 * @param clues the significant tokens used, strongest first (at most the classifier's clue limit)
 * @param tokensSeen how many distinct tokens the message had
 * @param bayesScore the Bayes indicator I = (1 + H - S) / 2 alone, in [0, 1] (equal to {@code score} without a
 *     logistic part)
 * @param logOdds what the logistic part added to the whole reading's log-odds (bias and the weights of all the
 *     message's tokens, clipped to {@link BayesModel#LOGISTIC_CLIP}); the score's log-odds take 0.8 times it, and 0.2
 *     times the second reading's own sum (see {@code structureScore}); 0 without one
 * @param weights the message's tokens with the largest weights of the logistic part, by absolute weight (at most
 *     {@link BayesModel#EXPLAINED_WEIGHTS}); empty without one
 * @param structureScore with a logistic part, the score of the second reading alone, the message without the words of
 *     its text ({@link BayesModel#STRUCTURE_WEIGHT}), in [0, 1]; {@link Double#NaN} without one (read once)
 * @param structureClues the significant tokens of the second reading, strongest first (at most the classifier's clue
 *     limit): what its score rests on besides the logistic weights; empty when read once
 * @param spamOnlyLanguage with a logistic part, the ISO 639-1 code of the language of the message's text when the
 *     model learned that language's common words (almost) only from spam ({@link BayesModel#LANGUAGE_SPAM_SHARE}),
 *     or the ISO 15924 code of the alphabet of a text written in one other than Latin ({@code Cyrl}, {@code Hang},
 *     ...) when the model learned that alphabet's words (almost) only from spam;
 *     then, if {@code structureScore} is below {@link BayesModel#LANGUAGE_STRUCTURE_BAR}, {@code score} is at most
 *     {@code structureScore}. Empty for English text, text in a language the model knows from ham too, or read once
 */
public record Classification(
        double score,
        List<TokenEvidence> clues,
        int tokensSeen,
        double bayesScore,
        double logOdds,
        List<TokenWeight> weights,
        double structureScore,
        List<TokenEvidence> structureClues,
        Optional<String> spamOnlyLanguage) {

    /**
     * Validates and copies the components.
     *
     * @throws NullPointerException if {@code clues}, {@code weights}, {@code structureClues} or
     *     {@code spamOnlyLanguage} is {@code null}
     * @throws IllegalArgumentException if a score is outside [0, 1] (the structure score may be {@code NaN}),
     *     {@code logOdds} is not finite or {@code tokensSeen} is negative
     */
    public Classification {
        Objects.requireNonNull(spamOnlyLanguage, "spamOnlyLanguage");
        clues = List.copyOf(Objects.requireNonNull(clues, "clues"));
        weights = List.copyOf(Objects.requireNonNull(weights, "weights"));
        structureClues = List.copyOf(Objects.requireNonNull(structureClues, "structureClues"));
        if (!(score >= 0.0 && score <= 1.0) || !(bayesScore >= 0.0 && bayesScore <= 1.0)) {
            throw new IllegalArgumentException("scores must be in [0, 1]: " + score + ", " + bayesScore);
        }
        if (!Double.isNaN(structureScore) && !(structureScore >= 0.0 && structureScore <= 1.0)) {
            throw new IllegalArgumentException("the structure score must be in [0, 1] or NaN: " + structureScore);
        }
        if (!Double.isFinite(logOdds)) {
            throw new IllegalArgumentException("logOdds must be finite: " + logOdds);
        }
        if (tokensSeen < 0) {
            throw new IllegalArgumentException("tokensSeen must not be negative");
        }
    }

    /**
     * A classification whose text is in no language the model learned only from spam (an empty
     * {@code spamOnlyLanguage}): the canonical constructor before that component existed, kept for callers that build
     * classifications.
     *
     * @param score the spam score, in [0, 1]
     * @param clues the significant tokens used, strongest first
     * @param tokensSeen how many distinct tokens the message had
     * @param bayesScore the Bayes indicator alone, in [0, 1]
     * @param logOdds what the logistic part added to the log-odds, finite
     * @param weights the message's tokens with the largest weights of the logistic part
     * @param structureScore the second reading's score in [0, 1], or {@link Double#NaN} when read once
     * @param structureClues the significant tokens of the second reading
     * @throws NullPointerException if a list is {@code null}
     * @throws IllegalArgumentException as the canonical constructor
     */
    public Classification(
            double score,
            List<TokenEvidence> clues,
            int tokensSeen,
            double bayesScore,
            double logOdds,
            List<TokenWeight> weights,
            double structureScore,
            List<TokenEvidence> structureClues) {
        this(score, clues, tokensSeen, bayesScore, logOdds, weights, structureScore, structureClues, Optional.empty());
    }

    /**
     * A classification read once, without the second reading ({@code structureScore} {@link Double#NaN}, no
     * {@code structureClues}): the canonical constructor before the second reading existed, kept for callers that
     * build classifications.
     *
     * @param score the spam score, in [0, 1]
     * @param clues the significant tokens used, strongest first
     * @param tokensSeen how many distinct tokens the message had
     * @param bayesScore the Bayes indicator alone, in [0, 1]
     * @param logOdds what the logistic part added to the log-odds, finite
     * @param weights the message's tokens with the largest weights of the logistic part
     * @throws NullPointerException if {@code clues} or {@code weights} is {@code null}
     * @throws IllegalArgumentException if a score is outside [0, 1], {@code logOdds} is not finite or
     *     {@code tokensSeen} is negative
     */
    public Classification(
            double score,
            List<TokenEvidence> clues,
            int tokensSeen,
            double bayesScore,
            double logOdds,
            List<TokenWeight> weights) {
        this(score, clues, tokensSeen, bayesScore, logOdds, weights, Double.NaN, List.of());
    }

    /**
     * A classification by the Bayes counts alone (no logistic part).
     *
     * @param score the combined indicator, in [0, 1]
     * @param clues the significant tokens used, strongest first
     * @param tokensSeen how many distinct tokens the message had
     * @throws NullPointerException if {@code clues} is {@code null}
     * @throws IllegalArgumentException if the score is outside [0, 1] or {@code tokensSeen} is negative
     */
    public Classification(double score, List<TokenEvidence> clues, int tokensSeen) {
        this(score, clues, tokensSeen, score, 0.0, List.of());
    }
}
