package org.mailhygiene.api.shared;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Token counts learned by a spam classifier, shared so that a message learned on one node counts on every node.
 *
 * <p>The store holds what was learned through it, per model name: how many spam and ham messages, and per token in
 * how many of each it occurred. A node adds these counts to its own base model (the model file it was configured
 * with) and classifies against a local snapshot that it refreshes on a schedule, so classification never waits for the
 * store. {@link #version} changes whenever the counts change, so a refresh can skip unchanged stores cheaply, and
 * {@link #changesSince} gives what changed after a version the node already holds, so a refresh reads only that, not
 * the whole model ({@link #snapshot}).
 *
 * <p>Implementations are thread-safe.
 */
public interface TokenStore {
    /**
     * Counts one learned message.
     *
     * @param model the model's name
     * @param tokens the message's tokens (duplicates count once)
     * @param spam {@code true} for spam, {@code false} for ham
     * @throws SharedStateException if the store did not answer (the message may or may not have been counted; the
     *     Redis implementation counts a message atomically, all or nothing)
     */
    void learn(String model, Collection<String> tokens, boolean spam) throws SharedStateException;

    /**
     * Counts one learned message, as {@link #learn(String, Collection, boolean)}, and records it in the model's
     * <em>learn journal</em> under {@code key}: the journal then records the message as learned with this label one
     * time more. The journal lets an administrator's correction undo an earlier learning of the same message exactly
     * ({@link #unlearn}) and lets a learner see that a message was learned before ({@link #learned}). Atomic: the
     * message is counted and recorded, or neither.
     *
     * <p>A message the journal records with the other label is not learned: forget it first with {@link #unlearn}
     * (two learners correcting one message at once meet here). The default implementation is for a store that keeps
     * no journal: it only counts the message ({@link #learn(String, Collection, boolean)}) and returns {@code true}.
     * The in-process and Redis stores of this project keep one (the Redis one holds the 200,000 messages learned or
     * changed most recently, and expires with the counts).
     *
     * @param model the model's name
     * @param key the message's key: a digest of the message (the learn tools use a digest of its tokens), 1 to 128
     *     characters without white space
     * @param tokens the message's tokens (duplicates count once)
     * @param spam {@code true} for spam, {@code false} for ham
     * @return {@code true} if the message was learned, {@code false} if the journal records it with the other label
     *     (nothing changed)
     * @throws SharedStateException if the store did not answer (the message may or may not have been learned)
     * @throws IllegalArgumentException if {@code key} is empty, longer than 128 characters or holds white space
     * @throws NullPointerException if an argument, or a token, is {@code null}
     */
    default boolean learn(String model, String key, Collection<String> tokens, boolean spam)
            throws SharedStateException {
        checkKey(key);
        learn(model, tokens, spam);
        return true;
    }

    /**
     * What the model's learn journal records of a message: the label it was learned with and how many times.
     *
     * <p>The default implementation is for a store that keeps no journal: always empty.
     *
     * @param model the model's name
     * @param key the message's key, as given to {@link #learn(String, String, Collection, boolean)}
     * @return the record, empty if the journal has none
     * @throws SharedStateException if the store did not answer
     * @throws IllegalArgumentException if {@code key} is empty, longer than 128 characters or holds white space
     * @throws NullPointerException if {@code model} or {@code key} is {@code null}
     */
    default Optional<Learned> learned(String model, String key) throws SharedStateException {
        checkKey(key);
        return Optional.empty();
    }

    /**
     * Forgets every learning of a message that the model's learn journal records: the spam or ham message count and
     * the counts of {@code tokens} go down by the recorded number of times (never below zero), and the record goes.
     * Atomic. {@code tokens} must be the tokens the message was learned with; the store does not keep them.
     *
     * <p>The default implementation is for a store that keeps no journal: it changes nothing and returns empty.
     *
     * @param model the model's name
     * @param key the message's key, as given to {@link #learn(String, String, Collection, boolean)}
     * @param tokens the tokens the message was learned with
     * @return what was forgotten: the record as it was; empty if the journal had none (nothing changed)
     * @throws SharedStateException if the store did not answer (the learnings may or may not have been forgotten)
     * @throws IllegalArgumentException if {@code key} is empty, longer than 128 characters or holds white space
     * @throws NullPointerException if an argument, or a token, is {@code null}
     */
    default Optional<Learned> unlearn(String model, String key, Collection<String> tokens) throws SharedStateException {
        checkKey(key);
        return Optional.empty();
    }

    /**
     * Checks a learn journal key: 1 to 128 characters, none of them white space (a space, tab, line end or any other
     * space character, the no-break spaces included) or a control character (U+0000 to U+001F, U+007F to U+009F).
     *
     * @param key the key
     * @return the key
     * @throws IllegalArgumentException if it is not a valid key
     * @throws NullPointerException if {@code key} is {@code null}
     */
    static String checkKey(String key) {
        if (key.isEmpty() || key.length() > 128) {
            throw new IllegalArgumentException("a learn journal key has 1 to 128 characters, this one " + key.length());
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (Character.isISOControl(c) || Character.isWhitespace(c) || Character.isSpaceChar(c)) {
                throw new IllegalArgumentException("a learn journal key holds no white space or control character");
            }
        }
        return key;
    }

    /**
     * What a learn journal records of one message.
     *
     * @param spam the label it was learned with
     * @param times how many times it was learned with that label, at least 1
     */
    record Learned(boolean spam, int times) {
        /**
         * Checks the record.
         *
         * @throws IllegalArgumentException if {@code times} is below 1
         */
        public Learned {
            if (times < 1) {
                throw new IllegalArgumentException("times must be at least 1, was " + times);
            }
        }
    }

    /**
     * The model's change counter.
     *
     * @param model the model's name
     * @return a number that changes whenever the counts change; 0 for a model never learned
     * @throws SharedStateException if the store did not answer
     */
    long version(String model) throws SharedStateException;

    /**
     * Reads all counts of the model.
     *
     * @param model the model's name
     * @return the counts
     * @throws SharedStateException if the store did not answer
     */
    Snapshot snapshot(String model) throws SharedStateException;

    /**
     * What changed in the model after {@code version}: the counts now of every token whose counts changed since, and
     * the message counts now. A node that holds the model as it was at {@code version} (from a {@link #snapshot} or an
     * earlier {@link Changes.Delta}) and sets each listed token to its listed counts (a token at 0 and 0 is no longer
     * counted) and the message counts to the listed ones holds the model at the returned {@link Changes.Delta#version};
     * a token may be listed that did not change (setting it again changes nothing). This holds for a snapshot too,
     * whose counts are at least as new as its version.
     *
     * <p>A store keeps what changed for a bounded number of recent changes; when it cannot answer from them ({@code
     * version} is older than what it kept, later than its current version because the store lost its data, or a
     * writer that keeps no record of its changes changed the counts) it returns {@link Changes.FullReadNeeded} with
     * the reason, and the caller reads the whole model. The default implementation is for a store that keeps no
     * record of changes: always {@link Changes.FullReadNeeded}. The in-process and Redis stores of this project keep
     * one ({@code InProcessSharedState.CHANGE_LOG_LIMIT}, {@code RedisSharedState.CHANGE_LOG_LIMIT} token changes).
     *
     * @param model the model's name
     * @param version a version of this model the caller holds ({@link #version}, {@link Snapshot#version} or {@link
     *     Changes.Delta#version})
     * @return the changes, or why they are not available
     * @throws SharedStateException if the store did not answer
     * @throws NullPointerException if {@code model} is {@code null}
     */
    default Changes changesSince(String model, long version) throws SharedStateException {
        Objects.requireNonNull(model, "model");
        return new Changes.FullReadNeeded("the store keeps no record of changes");
    }

    /**
     * The answer of {@link #changesSince}: the changes ({@link Delta}), or why the caller must read the whole model
     * ({@link FullReadNeeded}).
     */
    sealed interface Changes permits Changes.Delta, Changes.FullReadNeeded {
        /**
         * What changed after a version.
         *
         * @param version the version the counts belong to (the store's version now)
         * @param spamMessages spam messages learned, now
         * @param hamMessages ham messages learned, now
         * @param tokens each token that changed to its counts now: messages of spam, of ham it occurred in (0 and 0:
         *     no longer counted)
         */
        record Delta(long version, long spamMessages, long hamMessages, Map<String, long[]> tokens) implements Changes {
            /**
             * Copies the map (unmodifiable, see {@link Snapshot}).
             *
             * @throws NullPointerException if {@code tokens} is {@code null} or holds a {@code null} key or value
             */
            public Delta {
                tokens = copyOf(tokens);
            }
        }

        /**
         * The store cannot say what changed since the version asked; read the whole model.
         *
         * @param reason why, in words for a log line (for example "the change log starts after version 12")
         */
        record FullReadNeeded(String reason) implements Changes {
            /**
             * Checks the reason.
             *
             * @throws NullPointerException if {@code reason} is {@code null}
             */
            public FullReadNeeded {
                Objects.requireNonNull(reason, "reason");
            }
        }
    }

    /**
     * Learned counts at one moment.
     *
     * @param version the {@link #version} they belong to
     * @param spamMessages spam messages learned
     * @param hamMessages ham messages learned
     * @param tokens token to a two-element array: messages of spam, of ham it occurred in; unmodifiable, and each
     *     array read from it is a copy (writing into it changes nothing the next reader sees)
     */
    record Snapshot(long version, long spamMessages, long hamMessages, Map<String, long[]> tokens) {
        /**
         * Copies the map, unmodifiable. Not with {@link Map#copyOf}: its open addressing probes long runs for many
         * tokens whose hash codes are close (a model's {@code word0001}, {@code word0002}, ...): 1.2-4.3 s for the
         * 200,000 tokens of a shared model, which was most of every whole read ({@code hygiene learn --redis}, a node's
         * refresh), where a {@link HashMap} copy takes some 50 ms.
         *
         * @throws NullPointerException if {@code tokens} is {@code null} or holds a {@code null} key or value
         */
        public Snapshot {
            tokens = copyOf(tokens);
        }
    }

    /**
     * An unmodifiable copy that rejects {@code null} keys and values, as {@link Map#copyOf} does, and whose count
     * arrays are its own: copied here, and copied again for each reader ({@link TokenCounts}), so that neither the caller
     * that made it nor a reader can change what the next reader sees (until session 53 a reader could write a token's
     * counts into the record).
     */
    private static Map<String, long[]> copyOf(Map<String, long[]> tokens) {
        Map<String, long[]> copy = new HashMap<>(Math.max(16, (int) Math.min(1 << 30, tokens.size() * 4L / 3 + 1)));
        tokens.forEach((t, c) -> copy.put(
                Objects.requireNonNull(t, "token"),
                Objects.requireNonNull(c, "counts").clone()));
        return new TokenCounts(copy);
    }
}
