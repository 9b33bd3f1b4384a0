package org.mailhygiene.scanners.bayes;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Learns labelled messages into a {@link BayesModel} with a weight per message, and prunes by distinct messages.
 *
 * <p>A message learned with weight N counts as N messages of its class: its tokens' counts and the class's message
 * count grow by N. This is how a small, more relevant collection (recent mail, a site's own mail) is made to count
 * against a large, older one without copying files. {@link #prune(int)} still counts each message once, so a token
 * seen in one message learned with weight 3 is as rare as one seen in one message learned once; {@link #prune(int,
 * int)} also keeps the tokens that enough of the weighted messages share. Messages the model
 * held before this trainer was made count as their counts say (a model learned with weights earlier, such as the
 * default model, counts its weighted messages as many times).
 *
 * <p>Not thread-safe: one trainer per training run. The model itself stays safe to read concurrently, as
 * {@link BayesModel} says.
 */
public final class ModelTrainer {
    /** The largest weight {@link #learn} accepts. */
    public static final int MAX_WEIGHT = 100;

    /** The shortest text {@link #mentionsAny} accepts: shorter ones would match a large part of any vocabulary. */
    public static final int MIN_IGNORE_LENGTH = 3;

    /**
     * Whether a token mentions any of the texts: holds it, ignoring case, not run into a longer word (where a text
     * begins or ends with a letter or digit, the token's character next to it is not one). {@code jose} matches
     * {@code jose}, {@code jose@example.org}, {@code subject-case:Jose} but not {@code joseph}; {@code example.org}
     * matches {@code received:example.org} and {@code url:www.example.org} but not {@code myexample.org}. This is how
     * {@code hygiene train --ignore} leaves out the tokens that name the mailbox a collection was gathered in.
     * Thread-safe (no state).
     *
     * @param token a token
     * @param texts the texts, each at least {@value #MIN_IGNORE_LENGTH} characters
     * @return whether the token mentions one of them
     * @throws IllegalArgumentException if a text is shorter than {@value #MIN_IGNORE_LENGTH} characters
     * @throws NullPointerException if an argument or a text is null
     */
    public static boolean mentionsAny(String token, Collection<String> texts) {
        Objects.requireNonNull(token, "token");
        String t = null;
        for (String text : texts) {
            if (text.length() < MIN_IGNORE_LENGTH) {
                throw new IllegalArgumentException(
                        "a text must have at least " + MIN_IGNORE_LENGTH + " characters, was '" + text + "'");
            }
            String x = text.toLowerCase(java.util.Locale.ROOT);
            t = t == null ? token.toLowerCase(java.util.Locale.ROOT) : t;
            boolean wordStart = Character.isLetterOrDigit(x.charAt(0));
            boolean wordEnd = Character.isLetterOrDigit(x.charAt(x.length() - 1));
            for (int i = t.indexOf(x); i >= 0; i = t.indexOf(x, i + 1)) {
                int e = i + x.length();
                if ((!wordStart || i == 0 || !Character.isLetterOrDigit(t.charAt(i - 1)))
                        && (!wordEnd || e == t.length() || !Character.isLetterOrDigit(t.charAt(e)))) {
                    return true;
                }
            }
        }
        return false;
    }

    private final BayesModel model;
    private final Map<String, Integer> repeats = new HashMap<>();
    /** Per token, the distinct messages learned by {@link #learn} with a weight above 1 that held it. */
    private final Map<String, Integer> weighted = new HashMap<>();

    /**
     * A trainer that learns into {@code model}.
     *
     * @param model the model to learn into (changed in place)
     * @throws NullPointerException if {@code model} is {@code null}
     */
    public ModelTrainer(BayesModel model) {
        this.model = Objects.requireNonNull(model, "model");
    }

    /**
     * Learns one message's tokens {@code weight} times.
     *
     * @param tokens the message's tokens (see {@link Tokenizer}); duplicates count once
     * @param spam {@code true} for spam, {@code false} for ham
     * @param weight how many messages this one counts as, 1 to {@value #MAX_WEIGHT}
     * @throws IllegalArgumentException if {@code weight} is out of range
     * @throws NullPointerException if {@code tokens} is {@code null} or holds {@code null}
     */
    public void learn(Collection<String> tokens, boolean spam, int weight) {
        if (weight < 1 || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException("weight must be 1 to " + MAX_WEIGHT + ", was " + weight);
        }
        Set<String> unique = new HashSet<>(tokens);
        for (int i = 0; i < weight; i++) {
            model.learn(unique, spam);
        }
        if (weight > 1) {
            for (String t : unique) {
                repeats.merge(t, weight - 1, Integer::sum);
                weighted.merge(t, 1, Integer::sum);
            }
        }
    }

    /**
     * Learns one message until the model scores it on the right side of {@code target}: spam until its score is at
     * least {@code target}, ham until it is below {@code target}; at least once, at most {@code maxTimes} times.
     * This is how an administrator's correction takes effect in a model of many thousand messages, where a single
     * learning barely moves a message's score; {@code maxTimes} bounds what one message can weigh. It also stops early
     * when the target is out of reach: when no token of the message moved by enough in the last learning to gain
     * {@link BayesModel#MINIMUM_STRENGTH} in the learnings left (tokens the model has seen in thousands of messages
     * hardly move, and a score made only of weak tokens stays 0.5); a message without tokens is learned once. Pruning
     * counts the message once, as for {@link #learn}.
     *
     * @param tokens the message's tokens (see {@link Tokenizer}); duplicates count once
     * @param spam {@code true} for spam, {@code false} for ham
     * @param target the score to reach, in [0, 1]
     * @param maxTimes the most times to learn it, 1 to {@value #MAX_WEIGHT}
     * @return how many times it was learned
     * @throws IllegalArgumentException if {@code target} or {@code maxTimes} is out of range
     * @throws NullPointerException if {@code tokens} is {@code null} or holds {@code null}
     */
    public int learnUntil(Collection<String> tokens, boolean spam, double target, int maxTimes) {
        Set<String> unique = new HashSet<>(tokens);
        int times = untilAgrees(model, unique, spam, target, maxTimes, () -> model.learn(unique, spam));
        if (times > 1) {
            for (String t : unique) {
                repeats.merge(t, times - 1, Integer::sum);
            }
        }
        return times;
    }

    /**
     * One learning of a message, wherever it is counted (into a model, or into a cluster's shared store that a
     * {@link SharedModelSync} applies to a model).
     *
     * @param <E> what a learning may throw
     */
    @FunctionalInterface
    public interface Learning<E extends Exception> {
        /**
         * Learns the message once; when it returns, the model given to {@link #untilAgrees} counts it.
         *
         * @throws E if learning failed
         */
        void once() throws E;
    }

    /**
     * {@link #learnUntil}'s loop for a message learned elsewhere: calls {@code learning} until {@code model} scores
     * {@code tokens} on the right side of {@code target}, with the same rules (at least once, at most {@code maxTimes},
     * early when out of reach, once for a message without tokens). Used for a cluster's shared model, where each
     * learning goes to the shared store and the node's model takes it in.
     *
     * @param model the model that reflects each learning when {@link Learning#once()} returns (read only here)
     * @param tokens the message's tokens
     * @param spam the label
     * @param target the score to reach, in [0, 1]
     * @param maxTimes the most times to learn it, 1 to {@value #MAX_WEIGHT}
     * @param learning learns the message once
     * @param <E> what a learning may throw
     * @return how many times it was learned
     * @throws E if a learning failed (the learnings before it stay)
     * @throws IllegalArgumentException if {@code target} or {@code maxTimes} is out of range
     * @throws NullPointerException if an argument is {@code null} or {@code tokens} holds {@code null}
     */
    public static <E extends Exception> int untilAgrees(
            BayesModel model,
            Collection<String> tokens,
            boolean spam,
            double target,
            int maxTimes,
            Learning<E> learning)
            throws E {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(learning, "learning");
        if (!(target >= 0.0 && target <= 1.0)) {
            throw new IllegalArgumentException("target must be in [0, 1], was " + target);
        }
        if (maxTimes < 1 || maxTimes > MAX_WEIGHT) {
            throw new IllegalArgumentException("maxTimes must be 1 to " + MAX_WEIGHT + ", was " + maxTimes);
        }
        Set<String> unique = new HashSet<>(tokens);
        if (unique.isEmpty()) {
            // no token: the score stays 0.5 whatever is learned, so more learnings would only inflate the class count
            learning.once();
            return 1;
        }
        int times = 0;
        Map<String, Double> before = probabilities(model, unique);
        do {
            learning.once();
            times++;
            double score = model.classify(unique).score();
            if (agrees(score, spam, target)) {
                break;
            }
            Map<String, Double> after = probabilities(model, unique);
            double fastest = 0;
            for (Map.Entry<String, Double> e : after.entrySet()) {
                fastest = Math.max(fastest, Math.abs(e.getValue() - before.get(e.getKey())));
            }
            if (fastest * (maxTimes - times) < BayesModel.MINIMUM_STRENGTH) {
                break; // out of reach: no token can move far enough in the learnings left
            }
            before = after;
        } while (times < maxTimes);
        return times;
    }

    /**
     * Whether a score agrees with a label at a target: spam at or above it, ham below it (the rule of {@link
     * #learnUntil}).
     *
     * @param score the model's score for the message
     * @param spam the label
     * @param target the target score
     * @return {@code true} if the score is on the label's side
     */
    public static boolean agrees(double score, boolean spam, double target) {
        return spam ? score >= target : score < target;
    }

    private static Map<String, Double> probabilities(BayesModel model, Set<String> tokens) {
        Map<String, Double> p = new HashMap<>(tokens.size() * 2);
        for (String t : tokens) {
            p.put(t, model.evidence(t).spamProbability());
        }
        return p;
    }

    /**
     * Drops the tokens held by fewer than {@code minMessages} distinct messages, counting a message learned with any
     * weight once (see {@link BayesModel#prune(int)}; with only weight-1 learning the two are the same).
     *
     * @param minMessages keep tokens seen in at least this many messages; values below 2 change nothing
     * @return how many tokens were dropped
     */
    public int prune(int minMessages) {
        return model.prune(minMessages, repeats, Map.of(), minMessages);
    }

    /**
     * {@link #prune(int)}, but a token seen in at least {@code minWeightedMessages} of the messages this trainer
     * learned with a weight above 1 is kept even when it falls short of {@code minMessages}. The weighted sources are
     * the small, relevant collections (recent mail, a site's own); a token their messages share is evidence, while
     * one seen in a single message is as likely to be noise as in any other source. The shipped default model is
     * pruned with {@code prune(3, 2)} (benchmarks/README.md, session 10). {@link #learnUntil} corrections do not count
     * as weighted messages.
     *
     * @param minMessages keep tokens seen in at least this many distinct messages; values below 2 change nothing
     * @param minWeightedMessages keep tokens seen in at least this many distinct weighted messages, 1 or more
     *     ({@code minMessages} or more adds nothing to {@link #prune(int)})
     * @return how many tokens were dropped
     * @throws IllegalArgumentException if {@code minWeightedMessages} is below 1
     */
    public int prune(int minMessages, int minWeightedMessages) {
        if (minWeightedMessages < 1) {
            throw new IllegalArgumentException("minWeightedMessages must be 1 or more, was " + minWeightedMessages);
        }
        return model.prune(minMessages, repeats, weighted, minWeightedMessages);
    }

    /**
     * The model this trainer learns into.
     *
     * @return the model
     */
    public BayesModel model() {
        return model;
    }
}
