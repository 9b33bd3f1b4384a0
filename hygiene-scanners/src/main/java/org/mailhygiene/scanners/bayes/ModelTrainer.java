package org.mailhygiene.scanners.bayes;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
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

    /** Passes over the training messages when fitting the logistic part: 3. */
    public static final int LOGISTIC_EPOCHS = 3;
    /** The learning rate of the first pass (r / (1 + pass / 2) in later ones): 0.05. */
    public static final double LOGISTIC_RATE = 0.05;
    /**
     * Tokens held by more than this share of the training messages get no weight in the logistic part: 0.2. Such
     * tokens ({@code type:text/plain}, {@code charset:utf-8}, the most common Received words) would share the bias's
     * work and count in full in a two-line message, which then has nothing to outweigh them.
     */
    public static final double LOGISTIC_MAX_SHARE = 0.2;
    /** The seed of the logistic fit's shuffling: the same messages give the same weights. */
    private static final long LOGISTIC_SEED = 1;

    private final BayesModel model;
    private final Map<String, Integer> repeats = new HashMap<>();
    /** The messages learned, recorded for {@link #fitLogistic} once {@link #recordForLogistic} was called. */
    private Recorded recorded;
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
        if (recorded != null) {
            recorded.add(unique, spam, weight);
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
     * hardly move, and a score made only of weak tokens stays 0.5) and, in a model with a logistic part, also the
     * score's log-odds, moving at the last learning's pace, cannot reach the target's in the learnings left (the
     * counts then have the logistic part's fixed say to outweigh); a message without tokens is learned once. Pruning
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
        Set<String> unique = model.correctionTokens(tokens);
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
        double lastLogOdds = logOdds(model.classify(unique).score());
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
            double nowLogOdds = logOdds(score);
            // out of reach: no token can move far enough in the learnings left; with a logistic part, whose fixed
            // log-odds the counts must outweigh, also the score's own log-odds at the last step's pace
            boolean tokensStuck = fastest * (maxTimes - times) < BayesModel.MINIMUM_STRENGTH;
            boolean scoreStuck =
                    Math.abs(nowLogOdds - lastLogOdds) * (maxTimes - times) < Math.abs(logOdds(target) - nowLogOdds);
            if (tokensStuck && (!model.hasLogistic() || scoreStuck)) {
                break;
            }
            before = after;
            lastLogOdds = nowLogOdds;
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

    private static double logOdds(double p) {
        double q = Math.max(1e-12, Math.min(1 - 1e-12, p));
        return Math.log(q / (1 - q));
    }

    /** The spam probabilities of a message's tokens, correction tokens excepted (classification does not read them). */
    private static Map<String, Double> probabilities(BayesModel model, Set<String> tokens) {
        Map<String, Double> p = new HashMap<>(tokens.size() * 2);
        for (String t : tokens) {
            if (!BayesModel.isCorrectionToken(t)) {
                p.put(t, model.evidence(t).spamProbability());
            }
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

    /**
     * From now on, {@link #learn} also keeps each message's tokens (as numbers) and label for {@link #fitLogistic}.
     * Costs memory in proportion to the training set (the default model's 29,000 messages: some 40 MB).
     */
    public void recordForLogistic() {
        if (recorded == null) {
            recorded = new Recorded();
        }
    }

    /**
     * Fits the model's logistic part ({@link BayesModel#hasLogistic()}) on the messages {@link #learn} recorded since
     * {@link #recordForLogistic}: logistic regression with one binary feature per token, by stochastic gradient
     * descent on the log loss ({@value #LOGISTIC_EPOCHS} passes over the messages in an order shuffled with a fixed
     * seed, a message of weight N taking N places; learning rate {@value #LOGISTIC_RATE} / (1 + pass / 2), a tenth of
     * it for the bias; no regularisation). Features are the tokens the model holds now (so prune first), except those
     * held by more than {@value #LOGISTIC_MAX_SHARE} of the recorded messages and those with Chinese, Japanese or
     * Korean characters (whose only Japanese ham here is generated; Bayes keeps judging them). The fitted bias less
     * {@code offset} is stored: a larger offset makes the model flag less (the shipped model's offset puts its
     * threshold 0.8 where the model it replaced flagged as many of the measured ham; benchmarks/README.md). The same
     * messages in the same order give the same weights.
     *
     * @param offset subtracted from the fitted bias, a finite number
     * @return how many tokens got a weight
     * @throws IllegalStateException if nothing was recorded, or the recorded messages are not both spam and ham
     * @throws IllegalArgumentException if {@code offset} is not finite
     */
    public int fitLogistic(double offset) {
        if (!Double.isFinite(offset)) {
            throw new IllegalArgumentException("offset must be finite: " + offset);
        }
        if (recorded == null || recorded.messages.isEmpty()) {
            throw new IllegalStateException(
                    "no messages recorded for the logistic part (call recordForLogistic first)");
        }
        if (recorded.spam.cardinality() == 0 || recorded.spam.cardinality() == recorded.messages.size()) {
            throw new IllegalStateException("the logistic part needs both spam and ham to learn from");
        }
        int n = recorded.messages.size();
        int[] share = new int[recorded.names.size()];
        for (int[] m : recorded.messages) {
            for (int f : m) {
                share[f]++;
            }
        }
        Set<String> kept = model.tokens();
        int[] feature = new int[recorded.names.size()];
        java.util.Arrays.fill(feature, -1);
        List<String> names = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < recorded.names.size(); i++) {
            String t = recorded.names.get(i);
            if (kept.contains(t) && share[i] <= LOGISTIC_MAX_SHARE * n && !hasCjk(t)) {
                ids.add(i);
            }
        }
        ids.sort(java.util.Comparator.comparing(recorded.names::get));
        for (int i : ids) {
            feature[i] = names.size();
            names.add(recorded.names.get(i));
        }
        int[][] x = new int[n][];
        for (int i = 0; i < n; i++) {
            int[] m = recorded.messages.get(i);
            int[] f = new int[m.length];
            int k = 0;
            for (int t : m) {
                if (feature[t] >= 0) {
                    f[k++] = feature[t];
                }
            }
            x[i] = java.util.Arrays.copyOf(f, k);
        }
        List<Integer> pool = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < recorded.weights.get(i); k++) {
                pool.add(i);
            }
        }
        double[] w = new double[names.size()];
        double bias = 0;
        java.util.Random random = new java.util.Random(LOGISTIC_SEED);
        for (int pass = 0; pass < LOGISTIC_EPOCHS; pass++) {
            java.util.Collections.shuffle(pool, random);
            double rate = LOGISTIC_RATE / (1 + pass * 0.5);
            for (int i : pool) {
                double z = bias;
                for (int f : x[i]) {
                    z += w[f];
                }
                double g = (recorded.spam.get(i) ? 1 : 0) - 1 / (1 + Math.exp(-z));
                for (int f : x[i]) {
                    w[f] += rate * g;
                }
                bias += rate * g * 0.1;
            }
        }
        Map<String, Float> weights = new java.util.LinkedHashMap<>();
        for (int i = 0; i < w.length; i++) {
            weights.put(names.get(i), (float) w[i]);
        }
        model.setLogistic(weights, bias - offset);
        return weights.size();
    }

    /** Whether a token holds a Han, Hiragana, Katakana or Hangul character. */
    static boolean hasCjk(String token) {
        for (int i = 0; i < token.length(); ) {
            int c = token.codePointAt(i);
            Character.UnicodeScript sc = Character.UnicodeScript.of(c);
            if (sc == Character.UnicodeScript.HAN
                    || sc == Character.UnicodeScript.HIRAGANA
                    || sc == Character.UnicodeScript.KATAKANA
                    || sc == Character.UnicodeScript.HANGUL) {
                return true;
            }
            i += Character.charCount(c);
        }
        return false;
    }

    /** Recorded training messages: tokens as numbers, labels, weights. */
    private static final class Recorded {
        final Map<String, Integer> ids = new HashMap<>();
        final List<String> names = new ArrayList<>();
        final List<int[]> messages = new ArrayList<>();
        final java.util.BitSet spam = new java.util.BitSet();
        final List<Integer> weights = new ArrayList<>();

        void add(Set<String> tokens, boolean isSpam, int weight) {
            int[] m = new int[tokens.size()];
            int k = 0;
            for (String t : tokens) {
                Integer id = ids.get(t);
                if (id == null) {
                    id = names.size();
                    ids.put(t, id);
                    names.add(t);
                }
                m[k++] = id;
            }
            java.util.Arrays.sort(m);
            spam.set(messages.size(), isSpam);
            messages.add(m);
            weights.add(weight);
        }
    }
}
