package org.mailhygiene.cli;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.api.shared.SharedStates;
import org.mailhygiene.api.shared.TokenStore;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.scanners.bayes.BayesModels;
import org.mailhygiene.scanners.bayes.ModelTrainer;
import org.mailhygiene.scanners.bayes.SharedModelSync;
import org.mailhygiene.scanners.bayes.Tokenizer;

/**
 * The administrator's correction for a whole cluster ({@code hygiene learn --redis}, {@code hygiene quarantine
 * release|delete --learn-ham|--learn-spam URL}): each message is learned into the cluster's shared Bayes counts until
 * the nodes' model (their base model plus what the cluster learned) agrees with it, and recorded in the cluster's
 * learn journal ({@link TokenStore#learned}): a message learned before with the other label is forgotten first, one
 * learned with this label is not learned again while the model agrees with it. As for a model file ({@link
 * BayesModels#correctInto}), weights move only on a mistake: a message the nodes' model already scores on its label's
 * side is counted once without the correction tokens, recorded under its own key ({@link
 * BayesModels#countsOnlyJournalKey}).
 *
 * <p>The journal knows a message by the tokens it is learned with (the base model's correction tokens included): the
 * store does not keep them, so a learning made with another base (another default model after an upgrade) is not
 * undone with these, which would take out what it never added; it stays, and the message is learned as new.
 *
 * <p>One session holds one connection and one copy of the nodes' model, brought up to the store's counts once when
 * opened and then kept there by each learning: every message of a command is judged with the same, current model.
 * Not thread-safe.
 */
final class ClusterLearning implements AutoCloseable {
    private final SharedState state;
    private final SharedModelSync sync;
    private final BayesModel model;
    private final Tokenizer tokenizer = Tokenizer.create();

    /** A session over a store; {@link #open} makes the usual one (tests give their own store). */
    ClusterLearning(SharedState state, SharedModelSync sync, BayesModel model) {
        this.state = state;
        this.sync = sync;
        this.model = model;
    }

    /**
     * Opens a session: connects (every call bounded by 5 s) and brings {@code base} up to what the cluster learned.
     *
     * @param url the shared state (the nodes' {@code redis} key)
     * @param name the shared model's name (the nodes' {@code redis-model})
     * @param base the nodes' base model, as loaded for this session only: it is adjusted in place to what the cluster
     *     learned, and must not be given to another session
     * @return the session; close it
     * @throws SharedStateException if the store did not answer
     * @throws IllegalArgumentException if no provider handles the URL's scheme
     */
    static ClusterLearning open(String url, String name, BayesModel base) throws SharedStateException {
        SharedState state = SharedStates.open(url, Duration.ofSeconds(5));
        SharedModelSync sync = new SharedModelSync(base, name, state.tokens());
        try {
            sync.refresh();
        } catch (SharedStateException | RuntimeException e) {
            sync.close();
            state.close();
            throw e;
        }
        return new ClusterLearning(state, sync, base);
    }

    /**
     * The shared state, as its {@link SharedState#description()} names it.
     *
     * @return the description
     */
    String description() {
        return state.description();
    }

    /**
     * The nodes' model as this session has it: the base model plus what the cluster learned.
     *
     * @return the model
     */
    BayesModel model() {
        return model;
    }

    /**
     * Learns messages into the cluster's shared model.
     *
     * @param once learn each message once instead of until the model agrees
     * @param spam the label
     * @param messages the messages, learned in order
     * @param names the messages' names for an error, in the same order
     * @return what was done: the learnings in all, the positions of the messages still on the wrong side, how many
     *     were undone first, how many were learned already and how many were counted only ({@link
     *     BayesModels.Correction#model()} is {@link #model()})
     * @throws SharedStateException if the store did not answer, or another learner learned one of the messages with
     *     the other label at the same moment (the message names it; the messages before it stay learned)
     * @throws IOException if a message cannot be read
     */
    BayesModels.Correction learn(boolean once, boolean spam, List<MessageContent> messages, List<String> names)
            throws SharedStateException, IOException {
        return learn(once, spam, messages, names, tokenizer);
    }

    /**
     * Learns messages as {@link #learn(boolean, boolean, List, List)} does, read by the given tokenizer (a held
     * message's {@link Tokenizer#receivedAs}, so that what is learned is what the node classified).
     *
     * @param once learn each message once instead of until the model agrees
     * @param spam the label
     * @param messages the messages, learned in order
     * @param names the messages' names for an error, in the same order
     * @param tokenizer reads the messages
     * @return what was done, as {@link #learn(boolean, boolean, List, List)} says
     * @throws SharedStateException if the store did not answer, or another learner learned one of the messages with
     *     the other label at the same moment
     * @throws IOException if a message cannot be read
     */
    BayesModels.Correction learn(
            boolean once, boolean spam, List<MessageContent> messages, List<String> names, Tokenizer tokenizer)
            throws SharedStateException, IOException {
        double target = BayesModels.correctionTarget(spam);
        int learned = 0;
        List<Integer> unreached = new ArrayList<>();
        int undone = 0;
        int already = 0;
        int countedOnly = 0;
        for (int i = 0; i < messages.size(); i++) {
            Set<String> bare = tokenizer.tokenize(messages.get(i));
            // with the correction tokens of the base model's logistic part, which every node's model shares
            Set<String> tokens = model.correctionTokens(bare);
            boolean weighted = tokens.size() != bare.size();
            // learnings that moved weights are recorded under the key, those of the counts alone under their own
            // (read even when no token of the message has a weight now: it may have had one when it was learned)
            String key = BayesModels.journalKey(tokens);
            String countsKey = BayesModels.countsOnlyJournalKey(bare);
            String file = names.get(i);
            Optional<TokenStore.Learned> moved = sync.learned(key);
            Optional<TokenStore.Learned> counted = sync.learned(countsKey);
            boolean otherLabel = moved.map(l -> l.spam() != spam).orElse(false)
                    || counted.map(l -> l.spam() != spam).orElse(false);
            if (otherLabel) {
                // the cluster's journal records it with the other label: forget that first, as often as learned
                // (another learner may have forgotten it since it was read: then there was nothing to undo here)
                boolean was = moved.isPresent() && sync.unlearn(key, tokens).isPresent();
                was |= counted.isPresent() && sync.unlearn(countsKey, bare).isPresent();
                if (was) {
                    undone++;
                }
            }
            boolean agrees = ModelTrainer.agrees(model.classify(tokens).score(), spam, target);
            if (!otherLabel && (moved.isPresent() || counted.isPresent()) && (once || agrees)) {
                already++;
                continue;
            }
            if (weighted && agrees) {
                // the nodes' model already scores it as labelled: count it and move no weight (BayesModels#correctInto)
                learnKeyed(countsKey, bare, spam, file);
                requireNoOtherLabel(key, spam, file);
                learned++;
                countedOnly++;
                continue;
            }
            if (once) {
                learnKeyed(key, tokens, spam, file);
                learned++;
            } else {
                learned += ModelTrainer.untilAgrees(
                        model,
                        tokens,
                        spam,
                        target,
                        BayesModels.MAX_CORRECTION_LEARNINGS,
                        () -> learnKeyed(key, tokens, spam, file));
                if (!ModelTrainer.agrees(model.classify(tokens).score(), spam, target)) {
                    unreached.add(i);
                }
            }
            requireNoOtherLabel(countsKey, spam, file);
        }
        return new BayesModels.Correction(model, learned, unreached, undone, already, countedOnly);
    }

    /**
     * One keyed learning into the cluster's store. The other label recorded meanwhile (another learner correcting the
     * same message at the same moment) is an error that names the file: the messages before it in this run stay
     * learned, it and the ones after it are not (learned) further; running the same command again is safe (what is
     * learned already is skipped), and whoever runs last decides the label.
     */
    private void learnKeyed(String key, Set<String> tokens, boolean spam, String file) throws SharedStateException {
        if (!sync.learn(key, tokens, spam)) {
            throw new SharedStateException(file + ": another learner has just learned it as " + (spam ? "ham" : "spam")
                    + "; it was not learned as " + (spam ? "spam" : "ham") + " here, nor the files after it (those"
                    + " before it were): run the same hygiene learn again to make it " + (spam ? "spam" : "ham"));
        }
    }

    /**
     * A message's two journal records (its learnings that moved weights, those of the counts alone) are two keys, and
     * the store checks one key at a learning: two learners that correct one message at the same moment with opposite
     * labels, one with the model and one against it, each write their own key unrefused. So after learning, the
     * other key is read: each learner writes before it reads, so at least one of the two sees the other's label, and
     * says so as {@link #learnKeyed} does; the cluster then holds both until either command is run again, which undoes
     * the other label first.
     */
    private void requireNoOtherLabel(String otherKey, boolean spam, String file) throws SharedStateException {
        Optional<TokenStore.Learned> other = sync.learned(otherKey);
        if (other.isPresent() && other.get().spam() != spam) {
            throw new SharedStateException(file + ": another learner has just learned it as " + (spam ? "ham" : "spam")
                    + " while it was learned as " + (spam ? "spam" : "ham") + " here, so the cluster holds both; the"
                    + " files after it were not learned: run the same hygiene learn again to make it "
                    + (spam ? "spam" : "ham") + " (it undoes the other label first)");
        }
    }

    /** Closes the connection. Idempotent. */
    @Override
    public void close() {
        sync.close();
        state.close();
    }
}
