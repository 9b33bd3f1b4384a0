package org.mailhygiene.scanners.bayes;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.InflaterInputStream;

/**
 * Token counts learned from labelled mail, and Robinson-Fisher classification over them.
 *
 * <p>For each token the model keeps how many spam and how many ham messages held it (each message counts a token once).
 * Classification follows Gary Robinson's method as SpamBayes uses it:
 *
 * <ul>
 *   <li>p(w) = (spam(w)/nSpam) / (spam(w)/nSpam + ham(w)/nHam);
 *   <li>smoothed f(w) = (s·x + n·p(w)) / (s + n) with n = spam(w) + ham(w), strength {@value #UNKNOWN_WORD_STRENGTH}
 *       and prior x = {@value #UNKNOWN_WORD_PROB};
 *   <li>only tokens with |f(w) − 0.5| ≥ {@value #MINIMUM_STRENGTH} count, at most {@value #MAX_CLUES} of the strongest;
 *   <li>H = C⁻¹(−2 Σ ln f(w), 2k), S = C⁻¹(−2 Σ ln (1 − f(w)), 2k) with C⁻¹ the chi-square survival function, and the
 *       indicator I = (1 + H − S) / 2.
 * </ul>
 *
 * <p><b>Logistic part.</b> A model may also hold a weight per token and a bias, fitted by logistic regression on the
 * same training messages ({@link ModelTrainer#fitLogistic}; the shipped default model has one). It then reads a message
 * as the Bayes indicator's log-odds plus the bias and the weights of the message's tokens (that sum clipped to
 * &plusmn;{@value #LOGISTIC_CLIP}): two different readings of the same tokens, which catch more mail of sources
 * neither learned than either alone (benchmarks/README.md, session 12). Such a model reads each message twice, whole
 * as above and without the words of its text, and its score is the logistic function of 0.8 times the first
 * reading's log-odds plus 0.2 times the second's ({@link #STRUCTURE_WEIGHT}, {@link #classify}). The weights stay
 * as fitted; an administrator's correction moves them through counts: it learns, besides the message's tokens, a
 * <em>correction token</em> ({@link #correctionTokens}) for each of its weighted tokens, and each correction token
 * learned as spam adds {@value #CORRECTION_STEP} to its token's weight, each learned as ham takes it away (one
 * step of online logistic regression with a full gradient), less for a token learned from more than
 * {@value #CORRECTION_FULL_STEP_MESSAGES} messages ({@link #CORRECTION_FULL_STEP_MESSAGES}: the tokens most mail
 * shares barely move, so many corrections of one kind do not drag all mail with them). So corrections are undone by
 * forgetting, like any learning, and travel through a cluster's shared counts ({@link SharedModelSync}) like any
 * other token.
 *
 * <p>Thread-safety: all methods may be called concurrently. Learning and forgetting take a write lock; classification
 * and saving take a read lock, so reads see either the state before or after a whole message was learned.
 *
 * <p>File format: the 8 bytes {@code MHBAYES\0}, a big-endian int version, then a deflate stream holding nSpam and
 * nHam (longs), in versions 2 and 3 an int of flags (bit 0: {@linkplain #startedFromDefault() started
 * from the default model}), the token count (int) and for each token its modified-UTF-8 text and its spam and ham
 * counts (ints); in version 3 (flag bit 1: a logistic part) then the number of weights (int), each token's
 * modified-UTF-8 text and weight (float) in token order, and the bias (double). A model without flags is written in
 * version 1 (no flags int), which builds before version 2 existed read too; one without a logistic part in version 1
 * or 2, as before; all three versions are read.
 */
public final class BayesModel {

    /** Robinson's s: how strongly the prior x weighs against the observed counts. */
    public static final double UNKNOWN_WORD_STRENGTH = 0.45;
    /** Robinson's x: the probability assumed for a token never seen. */
    public static final double UNKNOWN_WORD_PROB = 0.5;
    /** Tokens closer to 0.5 than this are ignored. */
    public static final double MINIMUM_STRENGTH = 0.1;
    /** At most this many of the strongest tokens are combined. */
    public static final int MAX_CLUES = 150;
    /**
     * The newest version of the file format, 3, which {@link #save(Path)} writes for a model with a {@linkplain
     * #hasLogistic() logistic part}; a model {@linkplain #startedFromDefault() started from the default model} without
     * one is written in version 2, other models in version 1, and {@link #load(Path)} reads all three.
     */
    public static final int FORMAT_VERSION = 3;

    /**
     * The most the logistic part adds to or takes from a message's log-odds, 8 (odds of about 3,000 to 1): less than
     * the Bayes indicator's own reach (&plusmn;13.8 at 10<sup>-6</sup>), so that counts learned as a correction can
     * outweigh it.
     */
    public static final double LOGISTIC_CLIP = 8.0;

    /**
     * What one correction learning moves the weight of each of the message's weighted tokens: 0.05 (towards spam or
     * ham), the fit's first learning rate ({@link ModelTrainer#LOGISTIC_RATE}).
     */
    public static final double CORRECTION_STEP = 0.05;

    /**
     * How many messages' evidence a token may have and still take the whole {@link #CORRECTION_STEP}: 50. A token
     * learned from more messages, n of them (its spam and ham counts), moves 50/n of the step per correction, as one
     * more message among n would move a fitted weight. Without this, the tokens that are in most mail (a charset, the
     * receiving server's words) moved as far as the message's own: fifty ordinary list messages learned as ham into
     * the default model took {@code charset:utf-8} from +1.32 to -0.73 and its spam caught on unseen 2025-26 spam
     * from 79% to 36% (benchmarks/README.md, session 22).
     */
    public static final int CORRECTION_FULL_STEP_MESSAGES = 50;

    /** The prefix of correction tokens: a control character no tokenizer output holds. */
    static final String CORRECTION_PREFIX = "\u0001";

    /**
     * The share of the second reading in the score of a model with a {@linkplain #hasLogistic() logistic part}: 0.2.
     * Such a model reads a message twice, whole and without the words of its text ({@link Tokenizer#isTextWord}: the
     * header, the Subject's words, the MIME structure, the links and the HTML markup alone), and its score's log-odds
     * are 0.8 times the first reading's plus 0.2 times the second's. Text words outnumber the other tokens and decide
     * the first reading alone; a lure wrapped in paragraphs of innocent prose (spam of 2007 and of 2025 alike) reads as
     * ham there, while its header and links still read as spam. Chosen by cross-source evaluation
     * (benchmarks/README.md, session 14): at 0.2 every collection measured gained at equal ham; over mail of a single
     * source (a model without a logistic part, as {@code hygiene train} makes by default) a second reading gained
     * nothing, so such a model reads once.
     */
    public static final double STRUCTURE_WEIGHT = 0.2;

    /**
     * How far spam must dominate what a model learned of a language's common words for its text reading to be set
     * aside when the header leans ham (see {@link #LANGUAGE_STRUCTURE_BAR}): 0.8, the share of spam in their counts,
     * each side divided by its number of messages. The default model's German words give 0.92, French 0.94, Spanish
     * 0.91, Portuguese 0.85, Polish 0.99 (set aside), Dutch 0.71 and Italian 0.34 (read as any words); learning a
     * site's own mail in a language brings its share down and its words back.
     */
    public static final double LANGUAGE_SPAM_SHARE = 0.8;

    /** The fewest counts of a language's common words over which {@link #LANGUAGE_SPAM_SHARE} is judged: 50. */
    public static final int LANGUAGE_MIN_COUNT = 50;

    /**
     * Text in a language the model learned only from spam ({@link #LANGUAGE_SPAM_SHARE}; {@link TextLanguage} tells
     * German, French, Spanish, Portuguese, Italian, Dutch and Polish), or written in an alphabet whose words it learned
     * only from spam ({@link TextLanguage#textScript}: Cyrillic, Hangul, Greek, ...; the default model learned Russian
     * and Korean words from spam alone), reads as spam by its ordinary words. For such a
     * message, when the second reading (header, structure, links; {@link #STRUCTURE_WEIGHT}) scores below 0.5, the
     * score is that reading's (or the usual score, if lower): the words alone do not make it spam. At or above 0.5 the
     * score is as for any message. Text padded with a language's function words is not that language's text
     * ({@link TextLanguage}: eight times as many as English ones, few words of other scripts).
     * Chosen by cross-source evaluation (benchmarks/README.md, session 25). Only for a model with a logistic part (one
     * read twice).
     */
    public static final double LANGUAGE_STRUCTURE_BAR = 0.5;

    /** How many of a message's weighted tokens a {@link Classification} names, the largest by absolute weight: 6. */
    public static final int EXPLAINED_WEIGHTS = 6;

    /** The Bayes indicator is clipped to [10^-6, 1 - 10^-6] before its log-odds are taken. */
    private static final double INDICATOR_FLOOR = 1e-6;

    private static final int FLAG_STARTED_FROM_DEFAULT = 1;
    private static final int FLAG_LOGISTIC = 2;

    private static final byte[] MAGIC = {'M', 'H', 'B', 'A', 'Y', 'E', 'S', 0};
    /**
     * What a model file of a format newer than this build's needs: the file is whole, a newer build wrote it (a
     * {@code hygiene learn} or {@code train} of a newer version, say, before a node was rolled back).
     */
    private static final String NEWER_WRITER =
            "a newer version of Mail Hygiene wrote it: use that version, or retrain the model with this one";

    /** The largest table {@link #read} presizes from a file's claimed token count (the default model needs 2^17). */
    private static final int INITIAL_TABLE_LIMIT = 1 << 17;

    private static final AtomicLong INSTANCES = new AtomicLong();

    /**
     * Tells this JVM's models from every other's in {@link #version()}: the instance counter alone repeats from one
     * process to the next, and a verdict cache shared by a cluster's nodes (Redis) compares versions across them. Two
     * nodes loading different model files in the same order had the same version, {@code 1.0}, so one node's
     * classifier verdicts were served for the other's content. Drawn from {@link java.util.SplittableRandom}'s seed
     * (the clock's milliseconds and nanoseconds, mixed): distinct between processes without the some 45 ms a {@code
     * SecureRandom} costs at start-up, and a cache identity needs no secrecy.
     */
    private static final String PROCESS = Long.toHexString(new java.util.SplittableRandom().nextLong());

    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final Map<String, int[]> counts;
    private long spamMessages;
    private long hamMessages;
    private Map<String, Float> weights = new HashMap<>();
    private double logisticBias;
    /** Whether a correction token was ever counted (never reset): classification skips their look-ups until then. */
    private boolean hasCorrections;

    private volatile boolean startedFromDefault;
    private final long instance = INSTANCES.incrementAndGet();
    private final AtomicLong generation = new AtomicLong();
    /**
     * The summed spam and ham counts of each told script's text words ({@link #scriptLearnedFromSpamOnly}): taken by
     * one pass over the counts when first needed (and again after {@link #prune} or {@link #drop}, which set it to
     * {@code null}), then moved by each change of a count. Changed under the write lock; read, and set when
     * {@code null}, under the read lock and {@link #scriptSumsTaking}.
     */
    private volatile Map<Character.UnicodeScript, long[]> scriptSums;
    /** Makes one reader take {@link #scriptSums} while others wait for it. */
    private final Object scriptSumsTaking = new Object();
    /** How many passes over the counts {@link #scriptSums} took (for tests). */
    private final AtomicLong scriptSumPasses = new AtomicLong();

    private BayesModel(Map<String, int[]> counts, long spamMessages, long hamMessages) {
        this.counts = counts;
        this.spamMessages = spamMessages;
        this.hamMessages = hamMessages;
    }

    /**
     * An empty model. It classifies everything as 0.5 until it has learned both spam and ham.
     *
     * @return a new empty model
     */
    public static BayesModel empty() {
        return new BayesModel(new HashMap<>(), 0, 0);
    }

    /**
     * Learns one message's tokens. Duplicates in {@code tokens} count once.
     *
     * @param tokens the message's tokens (see {@link Tokenizer})
     * @param spam {@code true} for spam, {@code false} for ham
     * @throws NullPointerException if {@code tokens} is {@code null} or holds {@code null}
     */
    public void learn(Collection<String> tokens, boolean spam) {
        Set<String> unique = new HashSet<>(tokens);
        lock.writeLock().lock();
        try {
            for (String t : unique) {
                int[] c = counts.computeIfAbsent(Objects.requireNonNull(t, "token"), k -> new int[2]);
                c[spam ? 0 : 1]++;
                hasCorrections |= isCorrectionToken(t);
                moveScriptSum(t, spam ? 1 : 0, spam ? 0 : 1);
            }
            if (spam) {
                spamMessages++;
            } else {
                hamMessages++;
            }
            generation.incrementAndGet();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Undoes {@link #learn} for one message learned earlier with the same label (for example to correct a mistake).
     * Counts never go below zero; tokens whose counts reach zero are removed.
     *
     * @param tokens the tokens the message was learned with
     * @param spam the label it was learned with
     * @throws IllegalStateException if the model holds no message with that label
     */
    public void forget(Collection<String> tokens, boolean spam) {
        Set<String> unique = new HashSet<>(tokens);
        lock.writeLock().lock();
        try {
            if ((spam ? spamMessages : hamMessages) == 0) {
                throw new IllegalStateException("the model holds no " + (spam ? "spam" : "ham") + " to forget");
            }
            for (String t : unique) {
                int[] c = counts.get(t);
                if (c == null) {
                    continue;
                }
                int i = spam ? 0 : 1;
                if (c[i] > 0) {
                    c[i]--;
                    moveScriptSum(t, spam ? -1 : 0, spam ? 0 : -1);
                }
                if (c[0] == 0 && c[1] == 0) {
                    counts.remove(t);
                }
            }
            if (spam) {
                spamMessages--;
            } else {
                hamMessages--;
            }
            generation.incrementAndGet();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Drops the rare tokens: those held by fewer than {@code minMessages} learned messages (spam and ham together).
     * Rare tokens weigh little (Robinson's smoothing pulls them towards 0.5) and make up most of a model's size; the
     * shipped default model is pruned this way. The message counts are unchanged; correction tokens ({@link
     * #correctionTokens}) are never dropped.
     *
     * @param minMessages keep tokens seen in at least this many messages; values below 2 change nothing
     * @return how many tokens were dropped
     */
    public int prune(int minMessages) {
        return prune(minMessages, Map.of(), Map.of(), minMessages);
    }

    /**
     * {@link #prune(int)} for a model some of whose messages were learned more than once ({@link ModelTrainer}): a
     * token's messages are its counts less {@code repeats.get(token)}; a token is also kept when at least
     * {@code minWeighted} of them were learned with a weight ({@code weighted.get(token)}).
     *
     * @param minMessages keep tokens seen in at least this many distinct messages
     * @param repeats per token, how many of its counts were repeated learnings of a message already counted
     * @param weighted per token, how many distinct messages learned with a weight above 1 it was seen in
     * @param minWeighted keep tokens seen in at least this many of those weighted messages
     * @return how many tokens were dropped
     */
    int prune(int minMessages, Map<String, Integer> repeats, Map<String, Integer> weighted, int minWeighted) {
        lock.writeLock().lock();
        try {
            int before = counts.size();
            counts.entrySet()
                    .removeIf(e -> !isCorrectionToken(e.getKey()) // corrections are never rare noise
                            && (long) e.getValue()[0] + e.getValue()[1] - repeats.getOrDefault(e.getKey(), 0)
                                    < minMessages
                            && weighted.getOrDefault(e.getKey(), 0) < minWeighted);
            if (counts.size() != before) {
                generation.incrementAndGet();
                scriptSums = null; // counted again when next needed
            }
            return before - counts.size();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Forgets the tokens {@code which} accepts entirely: their counts, their logistic weights and the corrections
     * {@code hygiene learn} added to them ({@link #correctionTokens}; a correction is dropped with its token). The
     * message counts are unchanged, so a message holding none of the dropped tokens scores exactly as before. For a
     * token a collection taught by where it was gathered rather than by what its mail says (its own relays, its
     * trap's address), found after training: {@code hygiene train --drop}.
     *
     * @param which the tokens to forget (given the plain token, never a correction token)
     * @return how many tokens with counts were dropped (a token's correction is not counted apart)
     * @throws NullPointerException if {@code which} is {@code null}
     * @throws IllegalArgumentException if it would drop every weighted token of a model with a logistic part (the
     *     model would lose that part); nothing is dropped then
     */
    public int drop(java.util.function.Predicate<String> which) {
        Objects.requireNonNull(which, "which");
        lock.writeLock().lock();
        try {
            Map<String, Float> kept = new HashMap<>(weights);
            kept.keySet().removeIf(which);
            if (!weights.isEmpty() && kept.isEmpty()) {
                throw new IllegalArgumentException(
                        "that would drop every token of the logistic part (" + weights.size() + " weighted tokens)");
            }
            int[] dropped = {0};
            counts.keySet().removeIf(t -> {
                boolean correction = isCorrectionToken(t);
                boolean drop = which.test(correction ? t.substring(CORRECTION_PREFIX.length()) : t);
                dropped[0] += drop && !correction ? 1 : 0;
                return drop;
            });
            boolean weightsDropped = kept.size() != weights.size();
            if (weightsDropped) {
                weights = kept;
            }
            if (dropped[0] > 0 || weightsDropped) {
                generation.incrementAndGet();
                scriptSums = null; // counted again when next needed
            }
            return dropped[0];
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Adds counts learned elsewhere (for example a cluster's shared learning, see {@link SharedModelSync}) in one step:
     * {@code spamMessages} and {@code hamMessages} messages, and per token the number of spam and ham messages it
     * occurred in. Negative amounts take counts back (never below zero; tokens that reach zero are removed).
     *
     * @param spamMessages spam messages to add (may be negative)
     * @param hamMessages ham messages to add (may be negative)
     * @param tokens token to a two-element array: spam and ham messages to add
     * @throws IllegalArgumentException if an array does not have two elements
     */
    public void adjust(long spamMessages, long hamMessages, Map<String, long[]> tokens) {
        lock.writeLock().lock();
        try {
            for (Map.Entry<String, long[]> e : tokens.entrySet()) {
                long[] d = e.getValue();
                if (d.length != 2) {
                    throw new IllegalArgumentException("token counts need two elements, got " + d.length);
                }
                if (d[0] == 0 && d[1] == 0) {
                    continue;
                }
                int[] c = counts.computeIfAbsent(Objects.requireNonNull(e.getKey(), "token"), k -> new int[2]);
                hasCorrections |= isCorrectionToken(e.getKey());
                int spamBefore = c[0];
                int hamBefore = c[1];
                c[0] = (int) Math.max(0, Math.min(Integer.MAX_VALUE, c[0] + d[0]));
                c[1] = (int) Math.max(0, Math.min(Integer.MAX_VALUE, c[1] + d[1]));
                moveScriptSum(e.getKey(), c[0] - spamBefore, c[1] - hamBefore);
                if (c[0] == 0 && c[1] == 0) {
                    counts.remove(e.getKey());
                }
            }
            this.spamMessages = Math.max(0, this.spamMessages + spamMessages);
            this.hamMessages = Math.max(0, this.hamMessages + hamMessages);
            generation.incrementAndGet();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Whether this is the shipped default model or a model learned on top of it (it started as the default model, as
     * {@code hygiene learn}, the quarantine tool and {@code hygiene train --update} start when the model file is
     * missing), here or in the file it was loaded from. Such a model keeps the default model's calibration: a scanner
     * built over it without a threshold uses {@link BayesModels#DEFAULT_MODEL_THRESHOLD}.
     *
     * @return {@code true} for the default model and models learned on top of it
     */
    public boolean startedFromDefault() {
        return startedFromDefault;
    }

    /** Marks this model as the default model, or as learned on top of it (see {@link #startedFromDefault()}). */
    void markStartedFromDefault() {
        startedFromDefault = true;
    }

    /** A copy of the tokens the model holds counts for, correction tokens excepted (for {@link ModelTrainer#fitLogistic}). */
    Set<String> tokens() {
        lock.readLock().lock();
        try {
            Set<String> t = new HashSet<>(counts.keySet());
            t.removeIf(BayesModel::isCorrectionToken);
            return t;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * What an administrator's correction of a message learns: its tokens and, in a model with a logistic part, a
     * correction token for each of them that has a weight (see the class description). Learning and forgetting these
     * instead of the bare tokens is what {@link BayesModels#correctInto}, {@code hygiene learn} and the quarantine tool
     * do; without a logistic part they are the tokens themselves.
     *
     * @param tokens the message's tokens
     * @return the tokens to learn, a new set
     */
    public Set<String> correctionTokens(Collection<String> tokens) {
        Set<String> all = new HashSet<>(tokens);
        all.removeIf(BayesModel::isCorrectionToken);
        lock.readLock().lock();
        try {
            if (!weights.isEmpty()) {
                for (String t : new ArrayList<>(all)) {
                    if (weights.containsKey(t)) {
                        all.add(CORRECTION_PREFIX + t);
                    }
                }
            }
        } finally {
            lock.readLock().unlock();
        }
        return all;
    }

    /** Whether a token is a correction token ({@link #correctionTokens}). */
    static boolean isCorrectionToken(String token) {
        return token.startsWith(CORRECTION_PREFIX);
    }

    /**
     * What one correction moves the weight of a token learned from {@code messages} messages (its spam and ham counts
     * as they are now): {@link #CORRECTION_STEP}, scaled down above {@link #CORRECTION_FULL_STEP_MESSAGES}. Read from
     * the counts at classification, so forgetting a correction (its counts and its message's) restores the weight
     * exactly.
     */
    private static double correctionStep(long messages) {
        return messages <= CORRECTION_FULL_STEP_MESSAGES
                ? CORRECTION_STEP
                : CORRECTION_STEP * CORRECTION_FULL_STEP_MESSAGES / messages;
    }

    /**
     * Whether the model has a logistic part (see the class description): token weights and a bias added to the Bayes
     * log-odds; such a model also reads each message a second time without its text words ({@link
     * #STRUCTURE_WEIGHT}). The shipped default model has one, and so has every model learned on top of it.
     *
     * @return {@code true} if it has one
     */
    public boolean hasLogistic() {
        lock.readLock().lock();
        try {
            return !weights.isEmpty();
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * The weight of one token in the logistic part, as classification uses it: as fitted, moved by the corrections
     * learned since ({@link #correctionTokens}).
     *
     * @param token the token
     * @return its weight; 0 for a token without one, and in a model without a logistic part
     */
    public double weight(String token) {
        lock.readLock().lock();
        try {
            Float w = weights.get(token);
            if (w == null) {
                return 0.0;
            }
            int[] c = counts.get(CORRECTION_PREFIX + token);
            if (c == null) {
                return w;
            }
            int[] n = counts.get(token);
            return w + correctionStep(n == null ? 0 : (long) n[0] + n[1]) * ((long) c[0] - c[1]);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * The logistic part's bias.
     *
     * @return the bias; 0 in a model without a logistic part
     */
    public double logisticBias() {
        lock.readLock().lock();
        try {
            return weights.isEmpty() ? 0.0 : logisticBias;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Replaces the logistic part ({@link ModelTrainer#fitLogistic}); an empty map removes it.
     *
     * @param tokenWeights the weight of each token (finite)
     * @param bias the bias (finite)
     * @throws IllegalArgumentException if a weight or the bias is not finite
     */
    void setLogistic(Map<String, Float> tokenWeights, double bias) {
        if (!Double.isFinite(bias)) {
            throw new IllegalArgumentException("bias must be finite: " + bias);
        }
        Map<String, Float> copy = new HashMap<>(Math.max(16, tokenWeights.size() * 4 / 3 + 1));
        for (Map.Entry<String, Float> e : tokenWeights.entrySet()) {
            if (!Float.isFinite(e.getValue())) {
                throw new IllegalArgumentException("weight of " + e.getKey() + " must be finite: " + e.getValue());
            }
            copy.put(Objects.requireNonNull(e.getKey(), "token"), e.getValue());
        }
        lock.writeLock().lock();
        try {
            weights = copy;
            logisticBias = copy.isEmpty() ? 0.0 : bias;
            generation.incrementAndGet();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Number of spam messages learned.
     *
     * @return the count
     */
    public long spamMessages() {
        lock.readLock().lock();
        try {
            return spamMessages;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Number of ham messages learned.
     *
     * @return the count
     */
    public long hamMessages() {
        lock.readLock().lock();
        try {
            return hamMessages;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Number of distinct tokens known, correction tokens ({@link #correctionTokens}) included.
     *
     * @return the count
     */
    public int tokenCount() {
        lock.readLock().lock();
        try {
            return counts.size();
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * A value that changes whenever the model learns or forgets, unique to this instance, also among other processes'
     * models (a random number drawn once per process); used as a cache identity, which a cluster's shared verdict
     * cache compares between nodes.
     *
     * @return {@code "<process>.<instance>.<generation>"}
     */
    public String version() {
        return PROCESS + "." + instance + "." + generation.get();
    }

    /**
     * The evidence one token carries.
     *
     * @param token the token
     * @return its smoothed probability and counts; 0.5 and zero counts for unknown tokens
     */
    public TokenEvidence evidence(String token) {
        lock.readLock().lock();
        try {
            return evidenceLocked(token);
        } finally {
            lock.readLock().unlock();
        }
    }

    private TokenEvidence evidenceLocked(String token) {
        int[] c = counts.get(token);
        int spam = c == null ? 0 : c[0];
        int ham = c == null ? 0 : c[1];
        double n = spam + ham;
        if (n == 0 || spamMessages == 0 || hamMessages == 0) {
            return new TokenEvidence(token, UNKNOWN_WORD_PROB, spam, ham);
        }
        double spamRatio = spam / (double) spamMessages;
        double hamRatio = ham / (double) hamMessages;
        double p = spamRatio / (spamRatio + hamRatio);
        double f = (UNKNOWN_WORD_STRENGTH * UNKNOWN_WORD_PROB + n * p) / (UNKNOWN_WORD_STRENGTH + n);
        return new TokenEvidence(token, f, spam, ham);
    }

    /**
     * Classifies a message's tokens (duplicates count once). Without a logistic part the score is the Bayes indicator
     * over all tokens; with one, the message is read twice (see {@link #STRUCTURE_WEIGHT}): whole (the indicator's
     * log-odds plus the logistic sum of all its tokens) and without its text words (the same over the tokens for which
     * {@link Tokenizer#isTextWord} is false), and the score is the logistic function of 0.8 times the first
     * reading's log-odds plus 0.2 times the second's; except that for text in a language this model learned only from
     * spam ({@link #LANGUAGE_SPAM_SHARE}) the second reading also leaves out the Subject's function words of that
     * language ({@code subject:und}), and a second reading below {@link #LANGUAGE_STRUCTURE_BAR} is the score if lower;
     * the same bar holds for text written in an alphabet whose words the model learned only from spam (Cyrillic,
     * Hangul, ...).
     *
     * @param tokens the message's tokens
     * @return the score, the clues used (of the whole reading) and, with a logistic part, what each reading said
     * @throws NullPointerException if {@code tokens} is or holds {@code null}
     */
    public Classification classify(Collection<String> tokens) {
        Set<String> unique = tokens instanceof Set<String> set ? set : new HashSet<>(tokens);
        List<TokenEvidence> clues = new ArrayList<>();
        List<TokenEvidence> structureClues = new ArrayList<>();
        TokenWeight[] top = new TokenWeight[EXPLAINED_WEIGHTS];
        int topCount = 0;
        double logOdds = 0;
        double structureLogOdds = 0;
        int seen = unique.size();
        boolean logistic;
        int language = -1;
        String spamOnly = null;
        lock.readLock().lock();
        try {
            logistic = !weights.isEmpty();
            if (logistic) {
                logOdds = logisticBias;
                structureLogOdds = logisticBias;
                language = TextLanguage.detect(unique);
                if (language > 0 && !learnedFromSpamOnly(language)) {
                    language = -1;
                }
                if (language > 0) {
                    spamOnly = TextLanguage.code(language);
                } else {
                    Character.UnicodeScript script = TextLanguage.textScript(unique);
                    if (script != null && scriptLearnedFromSpamOnly(script)) {
                        spamOnly = TextLanguage.scriptCode(script);
                    }
                }
            }
            for (String t : unique) {
                if (isCorrectionToken(t)) {
                    seen--;
                    continue;
                }
                boolean structure = logistic
                        && !Tokenizer.isTextWord(t)
                        && !(language > 0 && TextLanguage.isSubjectWord(t, language));
                TokenEvidence e = evidenceLocked(t);
                if (e.strength() >= MINIMUM_STRENGTH) {
                    clues.add(e);
                    if (structure) {
                        structureClues.add(e);
                    }
                }
                if (logistic) {
                    Float w = weights.get(t);
                    if (w != null) {
                        double effective = w;
                        if (hasCorrections) {
                            int[] c = counts.get(CORRECTION_PREFIX + t);
                            if (c != null) {
                                effective += correctionStep((long) e.spamCount() + e.hamCount()) * ((long) c[0] - c[1]);
                            }
                        }
                        logOdds += effective;
                        if (structure) {
                            structureLogOdds += effective;
                        }
                        topCount = keepTop(top, topCount, t, effective);
                    }
                }
            }
        } finally {
            lock.readLock().unlock();
        }
        double indicator = indicator(clues); // sorts the clues, strongest first; the record copies what it keeps
        List<TokenEvidence> used = clues.size() > MAX_CLUES ? clues.subList(0, MAX_CLUES) : clues;
        if (!logistic) {
            return new Classification(indicator, used, seen);
        }
        double whole = reading(indicator, logOdds);
        double structure = reading(indicator(structureClues), structureLogOdds);
        double combined = sigmoid((1 - STRUCTURE_WEIGHT) * whole + STRUCTURE_WEIGHT * structure);
        double structureScore = Math.min(1.0, Math.max(0.0, sigmoid(structure)));
        if (spamOnly != null && structureScore < LANGUAGE_STRUCTURE_BAR) {
            // words the model knows only from spam cannot outvote a header leaning ham; never raises a score
            combined = Math.min(combined, structureScore);
        }
        return new Classification(
                Math.min(1.0, Math.max(0.0, combined)),
                used,
                seen,
                indicator,
                clipLogistic(logOdds),
                java.util.Arrays.asList(top).subList(0, topCount),
                structureScore,
                structureClues.size() > MAX_CLUES ? structureClues.subList(0, MAX_CLUES) : structureClues,
                Optional.ofNullable(spamOnly));
    }

    /**
     * Whether this model learned a language's common words (almost) only from spam: their counts, each side divided
     * by its number of messages, give spam at least {@link #LANGUAGE_SPAM_SHARE} of the total, over at least
     * {@link #LANGUAGE_MIN_COUNT} counts. Called under the read lock.
     */
    private boolean learnedFromSpamOnly(int language) {
        long spam = 0;
        long ham = 0;
        for (String w : TextLanguage.words(language)) {
            int[] c = counts.get(w);
            if (c != null) {
                spam += c[0];
                ham += c[1];
            }
        }
        return spamShareAtLeast(spam, ham);
    }

    /**
     * Whether this model learned the words of a script ({@link TextLanguage#textScript}: Cyrillic, Hangul, ...)
     * (almost) only from spam: the counts of all its text words whose first letter is of that script, each side
     * divided by its number of messages, give spam at least {@link #LANGUAGE_SPAM_SHARE} of the total, over at least
     * {@link #LANGUAGE_MIN_COUNT} counts. The sums are taken by one pass over the model's tokens when first needed and
     * then follow each change of the counts (until session 49 they were taken again after every change: one pass over
     * the default model's 88,000 tokens for the first such message after each learning or shared-model refresh).
     * Called under the read lock.
     */
    private boolean scriptLearnedFromSpamOnly(Character.UnicodeScript script) {
        long[] c = scriptSumsLocked().get(script);
        return c != null && spamShareAtLeast(c[0], c[1]);
    }

    /** {@link #scriptSums}, taken now if it is not yet. Called under the read or the write lock. */
    private Map<Character.UnicodeScript, long[]> scriptSumsLocked() {
        Map<Character.UnicodeScript, long[]> sums = scriptSums;
        if (sums == null) {
            synchronized (scriptSumsTaking) {
                sums = scriptSums;
                if (sums == null) {
                    sums = new EnumMap<>(Character.UnicodeScript.class);
                    for (Map.Entry<String, int[]> e : counts.entrySet()) {
                        Character.UnicodeScript s = summedScript(e.getKey());
                        if (s != null) {
                            long[] c = sums.computeIfAbsent(s, k -> new long[2]);
                            c[0] += e.getValue()[0];
                            c[1] += e.getValue()[1];
                        }
                    }
                    scriptSumPasses.incrementAndGet();
                    scriptSums = sums;
                }
            }
        }
        return sums;
    }

    /**
     * Moves the script sums ({@link #scriptSums}, when taken) by a change of a token's counts. Called under the write
     * lock.
     */
    private void moveScriptSum(String token, long spam, long ham) {
        Map<Character.UnicodeScript, long[]> sums = scriptSums;
        if (sums == null || (spam == 0 && ham == 0)) {
            return;
        }
        Character.UnicodeScript s = summedScript(token);
        if (s != null) {
            long[] c = sums.computeIfAbsent(s, k -> new long[2]);
            c[0] += spam;
            c[1] += ham;
        }
    }

    /**
     * The script whose sums a token's counts belong to: its first letter's, for a text word (no colon, not a
     * correction token) of a script {@link TextLanguage#textScript} tells; otherwise {@code null}.
     */
    private static Character.UnicodeScript summedScript(String token) {
        if (token.indexOf(':') >= 0 || isCorrectionToken(token)) {
            return null;
        }
        Character.UnicodeScript s = TextLanguage.scriptOf(token);
        return s != null && TextLanguage.isTold(s) ? s : null;
    }

    /**
     * How many passes over the counts the script sums took since this model was made (for tests).
     *
     * @return the number of passes
     */
    long scriptSumPasses() {
        return scriptSumPasses.get();
    }

    /**
     * The script sums kept for a script, taken now if not yet (for tests).
     *
     * @param script a script
     * @return its spam and ham counts, a new array
     */
    long[] scriptSum(Character.UnicodeScript script) {
        lock.readLock().lock();
        try {
            long[] c = scriptSumsLocked().get(script);
            return c == null ? new long[2] : c.clone();
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * A script's sums counted afresh over all tokens, as {@link #scriptSums} would be taken now (for tests; not
     * kept).
     *
     * @param script a script
     * @return its spam and ham counts
     */
    long[] scriptSumRecounted(Character.UnicodeScript script) {
        lock.readLock().lock();
        try {
            long[] c = new long[2];
            for (Map.Entry<String, int[]> e : counts.entrySet()) {
                if (summedScript(e.getKey()) == script) {
                    c[0] += e.getValue()[0];
                    c[1] += e.getValue()[1];
                }
            }
            return c;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Whether counts of spam and ham, each divided by the number of messages of its side, give spam at least
     * {@link #LANGUAGE_SPAM_SHARE}, over at least {@link #LANGUAGE_MIN_COUNT} counts. Called under the read lock.
     */
    private boolean spamShareAtLeast(long spam, long ham) {
        if (spam + ham < LANGUAGE_MIN_COUNT || spamMessages == 0) {
            return false;
        }
        if (hamMessages == 0) {
            return true;
        }
        double s = spam / (double) spamMessages;
        double h = ham / (double) hamMessages;
        return s / (s + h) >= LANGUAGE_SPAM_SHARE;
    }

    /** One reading's log-odds: the Bayes indicator's (clipped to its floor) plus the logistic sum (clipped). */
    private static double reading(double indicator, double logisticSum) {
        double p = Math.max(INDICATOR_FLOOR, Math.min(1 - INDICATOR_FLOOR, indicator));
        return Math.log(p / (1 - p)) + clipLogistic(logisticSum);
    }

    /** A logistic sum clipped to &plusmn;{@value #LOGISTIC_CLIP}. */
    private static double clipLogistic(double logisticSum) {
        return Math.max(-LOGISTIC_CLIP, Math.min(LOGISTIC_CLIP, logisticSum));
    }

    /** The logistic function (named apart from the {@code logistic} flag of {@link #classify}). */
    private static double sigmoid(double logOdds) {
        return 1.0 / (1.0 + Math.exp(-logOdds));
    }

    /**
     * Keeps the {@code top.length} tokens with the largest absolute weight, in that order (ties: token order), in
     * {@code top[0..count)}; returns the new count. At most a few comparisons per token (the hot path).
     */
    private static int keepTop(TokenWeight[] top, int count, String token, double weight) {
        int i = count;
        while (i > 0 && outranks(token, weight, top[i - 1])) {
            i--;
        }
        if (i >= top.length) {
            return count;
        }
        int last = Math.min(count, top.length - 1);
        System.arraycopy(top, i, top, i + 1, last - i);
        top[i] = new TokenWeight(token, weight);
        return Math.min(count + 1, top.length);
    }

    private static boolean outranks(String token, double weight, TokenWeight other) {
        double a = Math.abs(weight);
        double b = Math.abs(other.weight());
        return a > b || (a == b && token.compareTo(other.token()) < 0);
    }

    /** Sorts the clues strongest first and combines at most {@link #MAX_CLUES} of them. */
    private static double indicator(List<TokenEvidence> clues) {
        clues.sort(
                Comparator.comparingDouble(TokenEvidence::strength).reversed().thenComparing(TokenEvidence::token));
        if (clues.isEmpty()) {
            return 0.5;
        }
        int k = Math.min(MAX_CLUES, clues.size());
        double lnHam = 0;
        double lnSpam = 0;
        for (TokenEvidence e : clues.subList(0, k)) {
            lnHam += Math.log(e.spamProbability());
            lnSpam += Math.log(1.0 - e.spamProbability());
        }
        double h = chi2Q(-2.0 * lnHam, 2 * k);
        double s = chi2Q(-2.0 * lnSpam, 2 * k);
        return Math.min(1.0, Math.max(0.0, (1.0 + h - s) / 2.0));
    }

    /**
     * The chi-square survival function for an even number of degrees of freedom: the probability that a chi-square
     * variable with {@code v} degrees of freedom exceeds {@code x2}.
     *
     * @param x2 the statistic, {@code >= 0}
     * @param v the degrees of freedom, even and positive
     * @return the probability, in [0, 1]
     */
    static double chi2Q(double x2, int v) {
        double m = x2 / 2.0;
        double term = Math.exp(-m);
        double sum = term;
        for (int i = 1; i < v / 2; i++) {
            term *= m / i;
            sum += term;
        }
        return Math.min(1.0, sum);
    }

    /**
     * Writes the model to a file atomically: a temporary file in the same directory, flushed to the disk, then a
     * rename, so that a reader (and a machine that crashes) sees the old file or the complete new one.
     *
     * <p>A symbolic link is followed: the file it names is replaced and the link stays.
     *
     * <p>On a POSIX file system the new file keeps the permissions, group and owner of the file it replaces (the owner
     * only when the caller may change it, i.e. as root; the group when the caller belongs to it), so a relay running
     * as another user keeps reading a model that an administrator replaced; a new file is {@code rw-r-----}.
     *
     * @param file the destination; replaced if it exists
     * @throws IOException if writing fails; the destination is then unchanged
     */
    public void save(Path file) throws IOException {
        saveDigested(file);
    }

    /**
     * {@link #save}, returning the SHA-256 of the bytes written (what {@link LearnJournal} binds a journal to), taken
     * as they are written.
     */
    String saveDigested(Path file) throws IOException {
        try (PendingSave pending = prepareSave(file)) {
            pending.commit();
            return pending.digest();
        }
    }

    /**
     * Writes the model to a temporary file next to {@code file} (a symbolic link followed), flushed to the disk and
     * given the attributes of the file it will replace, without replacing it yet: {@link PendingSave#commit} renames
     * it into place, closing the pending save without a commit deletes it. What must be written with the model (its
     * learn journal, bound to the digest) is written in between, so that a failure there leaves the model file as it
     * was.
     *
     * @param file the destination
     * @return the pending save; close it
     * @throws IOException if writing fails (the temporary file is then deleted)
     */
    PendingSave prepareSave(Path file) throws IOException {
        // replace the file the link names (site.model -> site-2026.model), not the link: the rename would turn the
        // link into a file of its own and leave everything that reads the target on the old model
        Path abs = followed(file);
        Path dir = abs.getParent();
        Path tmp = Files.createTempFile(dir, abs.getFileName() + ".", ".tmp");
        boolean written = false;
        try {
            java.security.MessageDigest sha = LearnJournal.sha256();
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                // flushes what it wrote; closing ch closes the stream
                write(new java.security.DigestOutputStream(Channels.newOutputStream(ch), sha));
                ch.force(true);
            }
            takeAttributes(abs, tmp);
            written = true;
            return new PendingSave(abs, tmp, java.util.HexFormat.of().formatHex(sha.digest()));
        } catch (IOException e) {
            throw org.mailhygiene.internal.IoErrors.naming(
                    abs, e, "its new version was not written; the file is unchanged");
        } finally {
            if (!written) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /**
     * A model written next to its file by {@link #prepareSave} and not yet renamed into place. Closing it deletes the
     * temporary file if {@link #commit} did not rename it.
     */
    static final class PendingSave implements java.io.Closeable {
        private final Path file;
        private final Path tmp;
        private final String digest;

        private PendingSave(Path file, Path tmp, String digest) {
            this.file = file;
            this.tmp = tmp;
            this.digest = digest;
        }

        /** The SHA-256 of the bytes written, 64 lower-case hex digits. */
        String digest() {
            return digest;
        }

        /**
         * Renames the written model over its file, atomically, and makes the rename durable where the platform can.
         *
         * @throws IOException if the rename fails (the file is then unchanged)
         */
        void commit() throws IOException {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(file.getParent()); // the rename itself, durable
        }

        @Override
        public void close() throws IOException {
            Files.deleteIfExists(tmp);
        }
    }

    /** Flushes a directory (a rename in it) to the disk where the platform can; best effort. */
    static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not every platform can sync a directory; the file itself is on the disk
        }
    }

    /**
     * Gives {@code tmp} the POSIX permissions, group and owner of {@code dest}, or rw-r----- if there is none or its
     * attributes cannot be read. Best effort: a file system that refuses a mode or an owner leaves the temporary
     * file's own, and the save goes on. Also used for a model's learn journal ({@link LearnJournal}).
     */
    static void takeAttributes(Path dest, Path tmp) {
        PosixFileAttributeView view = Files.getFileAttributeView(tmp, PosixFileAttributeView.class);
        if (view == null) {
            return;
        }
        PosixFileAttributes old;
        try {
            old = Files.readAttributes(dest, PosixFileAttributes.class);
        } catch (IOException | UnsupportedOperationException e) {
            // no such file, a symbolic link loop or one into a directory we cannot search: a new file's mode
            try {
                view.setPermissions(PosixFilePermissions.fromString("rw-r-----"));
            } catch (IOException | UnsupportedOperationException f) {
                // a file system without modes
            }
            return;
        }
        try {
            view.setPermissions(old.permissions());
        } catch (IOException | UnsupportedOperationException e) {
            // a file system that cannot store that mode
        }
        try {
            view.setGroup(old.group());
        } catch (IOException e) {
            // not a member of that group: the file gets the caller's group
        }
        try {
            view.setOwner(old.owner());
        } catch (IOException e) {
            // only root may give a file away: the file belongs to the caller
        }
    }

    /**
     * Writes the model to a stream in the file format described above. The stream is not closed.
     *
     * @param out the destination
     * @throws IOException if writing fails
     */
    public void write(OutputStream out) throws IOException {
        lock.readLock().lock();
        try {
            DataOutputStream header = new DataOutputStream(out);
            header.write(MAGIC);
            boolean logistic = !weights.isEmpty();
            int flags = (startedFromDefault ? FLAG_STARTED_FROM_DEFAULT : 0) | (logistic ? FLAG_LOGISTIC : 0);
            int version = logistic ? 3 : flags != 0 ? 2 : 1; // flags read once: header and body agree
            header.writeInt(version);
            header.flush();
            DeflaterOutputStream deflater = new DeflaterOutputStream(out);
            DataOutputStream data = new DataOutputStream(new BufferedOutputStream(deflater, 1 << 16));
            data.writeLong(spamMessages);
            data.writeLong(hamMessages);
            if (version >= 2) {
                data.writeInt(flags);
            }
            data.writeInt(counts.size());
            for (Map.Entry<String, int[]> e : counts.entrySet()) {
                data.writeUTF(e.getKey());
                data.writeInt(e.getValue()[0]);
                data.writeInt(e.getValue()[1]);
            }
            if (logistic) {
                List<String> sorted = new ArrayList<>(weights.keySet());
                sorted.sort(null);
                data.writeInt(sorted.size());
                for (String t : sorted) {
                    data.writeUTF(t);
                    data.writeFloat(weights.get(t));
                }
                data.writeDouble(logisticBias);
            }
            data.flush();
            deflater.finish();
            out.flush();
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Reads a model's magic and format version, leaving the stream at the compressed data.
     *
     * @return the version, 1 to {@value #FORMAT_VERSION}
     * @throws ModelFormatException if the magic is wrong, the stream too short or the version unknown
     */
    private static int readHeader(InputStream in, String sourceName) throws IOException {
        DataInputStream header = new DataInputStream(in);
        byte[] magic = new byte[MAGIC.length];
        int version;
        try {
            header.readFully(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                throw new ModelFormatException(sourceName + " is not a Mail Hygiene Bayes model (bad magic)");
            }
            version = header.readInt();
        } catch (EOFException e) {
            throw new ModelFormatException(sourceName + " is not a Mail Hygiene Bayes model (too short)");
        }
        if (version < 1 || version > FORMAT_VERSION) {
            throw new ModelFormatException(sourceName + " has model format version " + version
                    + "; this build reads versions 1 to " + FORMAT_VERSION + " only ("
                    + (version > FORMAT_VERSION ? NEWER_WRITER : "retrain the model") + ")");
        }
        return version;
    }

    /**
     * Reads only a model's spam and ham message counts and its token count, without its tokens.
     *
     * @return {spam messages, ham messages, tokens}
     * @throws ModelFormatException if the stream is not a model this build reads
     * @throws IOException if reading fails
     */
    static long[] readCounts(InputStream in, String sourceName) throws IOException {
        int version = readHeader(in, sourceName);
        // closing it ends its inflater at once (the caller closes the stream too; a second close does nothing)
        try (DataInputStream data = new DataInputStream(new InflaterInputStream(in))) {
            long spam = data.readLong();
            long ham = data.readLong();
            if (version >= 2) {
                data.readInt();
            }
            return new long[] {spam, ham, data.readInt()};
        } catch (EOFException e) {
            throw new ModelFormatException(sourceName + " is truncated");
        }
    }

    /**
     * Reads a model written by {@link #save(Path)}.
     *
     * @param file the model file
     * @return a new model
     * @throws ModelFormatException if the file is not a model, has another format version or flags this build does
     *     not know, or is truncated
     * @throws IOException if the file cannot be read
     */
    public static BayesModel load(Path file) throws IOException {
        requireNotDirectory(file);
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        }
    }

    /**
     * The model file a path names, absolute: a symbolic link is followed to the file it names, which is what {@link
     * #save} replaces and what the lock and the learn journal belong to ({@link BayesModels#lockModel}, {@link
     * BayesModels#journalFile}). A dangling link is taken as it is (saving makes the link the file).
     *
     * @param file the path
     * @return the absolute path of the file it names
     * @throws IOException if a link cannot be followed for another reason than a missing target (a loop)
     */
    static Path followed(Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        if (Files.isSymbolicLink(abs)) {
            try {
                return abs.toRealPath();
            } catch (java.nio.file.NoSuchFileException e) {
                return abs; // dangling
            }
        }
        return abs;
    }

    /**
     * Fails for a directory given as a model file, naming it (the JDK says only "Is a directory" when it is read).
     *
     * @param file the model file
     * @throws java.nio.file.FileSystemException if it is a directory
     */
    static void requireNotDirectory(Path file) throws java.nio.file.FileSystemException {
        if (Files.isDirectory(file)) {
            throw new java.nio.file.FileSystemException(file.toString(), null, "a directory, not a model file");
        }
    }

    /**
     * Reads a model from a stream in the file format described above.
     *
     * @param in the source; read to the end of the model, not closed
     * @param sourceName names the source in error messages
     * @return a new model
     * @throws ModelFormatException if the data is not a model, has another format version or flags this build does
     *     not know, is truncated, or is corrupt (its compressed data fail their checksum, a token's bytes are not
     *     text, data follow the model's last value)
     * @throws IOException if reading fails
     */
    public static BayesModel read(InputStream in, String sourceName) throws IOException {
        int version = readHeader(in, sourceName);
        DataInputStream data = new DataInputStream(new BufferedInputStream(new InflaterInputStream(in), 1 << 16));
        try {
            long spam = data.readLong();
            long ham = data.readLong();
            int flags = version >= 2 ? data.readInt() : 0;
            int known = version >= 3 ? FLAG_STARTED_FROM_DEFAULT | FLAG_LOGISTIC : FLAG_STARTED_FROM_DEFAULT;
            if ((flags & ~known) != 0) {
                throw new ModelFormatException(
                        sourceName + " has model flags " + flags + " this build does not know (" + NEWER_WRITER + ")");
            }
            int n = data.readInt();
            if (spam < 0 || ham < 0 || n < 0) {
                throw new ModelFormatException(sourceName + " is corrupt (negative counts)");
            }
            // sized by the claimed count only up to a modest table: a corrupt or hostile file claiming billions of
            // tokens fails at its end without a table sized for them (a real model grows the table as it reads)
            Map<String, int[]> counts =
                    new HashMap<>(Math.max(16, (int) Math.min(n * 4L / 3 + 1, INITIAL_TABLE_LIMIT)));
            for (int i = 0; i < n; i++) {
                String token = data.readUTF();
                int s = data.readInt();
                int h = data.readInt();
                if (s < 0 || h < 0) {
                    throw new ModelFormatException(sourceName + " is corrupt (negative token count)");
                }
                counts.put(token, new int[] {s, h});
            }
            BayesModel model = new BayesModel(counts, spam, ham);
            for (String t : counts.keySet()) {
                if (isCorrectionToken(t)) {
                    model.hasCorrections = true;
                    break;
                }
            }
            if ((flags & FLAG_STARTED_FROM_DEFAULT) != 0) {
                model.markStartedFromDefault();
            }
            if ((flags & FLAG_LOGISTIC) != 0) {
                int m = data.readInt();
                if (m <= 0) {
                    throw new ModelFormatException(sourceName + " is corrupt (a logistic part of " + m + " weights)");
                }
                Map<String, Float> w = new HashMap<>(Math.max(16, (int) Math.min(m * 4L / 3 + 1, INITIAL_TABLE_LIMIT)));
                for (int i = 0; i < m; i++) {
                    String token = data.readUTF();
                    float f = data.readFloat();
                    if (!Float.isFinite(f)) {
                        throw new ModelFormatException(sourceName + " is corrupt (weight " + f + ")");
                    }
                    w.put(token, f);
                }
                double bias = data.readDouble();
                if (!Double.isFinite(bias)) {
                    throw new ModelFormatException(sourceName + " is corrupt (bias " + bias + ")");
                }
                model.weights = w;
                model.logisticBias = bias;
            }
            // the end of the compressed stream, where its checksum is checked: read only up to the last value, a
            // file whose checksum failed was taken whenever that value ended in an earlier 512-byte block of input
            if (data.read() != -1) {
                throw new ModelFormatException(sourceName + " is corrupt (data after the model's last value)");
            }
            return model;
        } catch (EOFException | java.util.zip.ZipException | java.io.UTFDataFormatException e) {
            // UTFDataFormatException: a token's bytes damaged; was the bare "malformed input around byte 5"
            throw new ModelFormatException(sourceName + " is truncated or corrupt: " + e.getMessage());
        }
    }
}
