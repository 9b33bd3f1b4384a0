package org.mailhygiene.api.shared;

import java.util.Collection;
import java.util.Map;

/**
 * Token counts learned by a spam classifier, shared so that a message learned on one node counts on every node.
 *
 * <p>The store holds what was learned through it, per model name: how many spam and ham messages, and per token in
 * how many of each it occurred. A node adds these counts to its own base model (the model file it was configured
 * with) and classifies against a local snapshot that it refreshes on a schedule, so classification never waits for the
 * store. {@link #version} changes whenever the counts change, so a refresh can skip unchanged stores cheaply.
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
     * Learned counts at one moment.
     *
     * @param version the {@link #version} they belong to
     * @param spamMessages spam messages learned
     * @param hamMessages ham messages learned
     * @param tokens token to a two-element array: messages of spam, of ham it occurred in
     */
    record Snapshot(long version, long spamMessages, long hamMessages, Map<String, long[]> tokens) {
        /**
         * Copies the map.
         *
         * @throws NullPointerException if {@code tokens} is {@code null}
         */
        public Snapshot {
            tokens = Map.copyOf(tokens);
        }
    }
}
