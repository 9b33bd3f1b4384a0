package org.mailhygiene.scanners.bayes;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.api.shared.TokenStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a local {@link BayesModel} in step with what a cluster learned through a shared {@link TokenStore}: the model a
 * node classifies with is its base model (the model file it was configured with) plus every message learned through
 * the store, on any node.
 *
 * <p>Classification never waits for the store: it reads the local model, which {@link #refresh()} brings up to date
 * on a schedule ({@link #start(Duration)}; cheap when nothing changed: one version read). A refresh reads only what
 * changed since the version it applied last ({@link TokenStore#changesSince}); when the store cannot say (its change
 * log no longer reaches back that far, it lost its data, a writer that keeps no change log changed it, or it keeps
 * none) it reads the whole model ({@link TokenStore#snapshot}), with an INFO line naming the reason (once per reason
 * in a row; the first read of a node is always whole and not logged), and at least every {@link
 * #WHOLE_READ_INTERVAL} whatever the version says (a store restored from an older backup issues lost versions again).
 * Either way it applies the difference between
 * the counts it read and what it applied before, so it is idempotent, and a store that lost its
 * data (a restarted Redis without persistence: its version went back) takes its counts back out again, with a WARN
 * line naming the model and the counts lost. {@link #learn} writes to the store
 * only and then refreshes: the message counts once, on every node. While the store is unreachable the model keeps its
 * last state and learning fails with {@link SharedStateException} (the caller says so; nothing is learned twice).
 *
 * <p>Thread-safe. {@link #close()} stops the schedule.
 */
public final class SharedModelSync implements AutoCloseable {
    /**
     * The shared model's name when none is given: a node's {@code redis-model} key, {@code hygiene learn --redis-model}
     * and {@code hygiene quarantine --redis-model} default to it.
     */
    public static final String DEFAULT_MODEL_NAME = "bayes";

    /**
     * The least time between two WARN lines for failed refreshes: 5 minutes. A store that answers some calls and
     * refuses others (full under {@code noeviction}, a read-only replica, an ACL user without a needed command: the
     * store's guard finds it up, the next write marks it down again) made every other refresh fail, and each run of
     * failures was logged at WARN again, every few seconds per node for as long as the condition lasted. The store's
     * own outage line names the reason; further runs are logged at DEBUG and counted in the next WARN.
     */
    public static final Duration WARN_INTERVAL = Duration.ofMinutes(5);

    /**
     * The longest time a refresh goes on reading only changes: 10 minutes; the first refresh after it reads the whole
     * model, whatever the version says. A store's versions only count its changes, so one restored from an older
     * backup that then learned as many messages as it lost issues the lost versions again with other counts, and a
     * node at one of them would read the new changes as the continuation of what it holds and keep the lost counts
     * (found by the session 50 review, with a real redis-server: DUMP, two learnings, a refresh, RESTORE, three
     * learnings); so would a store that evicted its counts alone. Such a node is put right within this time (a whole
     * read at 200,000 learned tokens: 0.4 to 7 s).
     */
    public static final Duration WHOLE_READ_INTERVAL = Duration.ofMinutes(10);

    private static final Logger LOG = LoggerFactory.getLogger(SharedModelSync.class);

    private final Supplier<BayesModel> model;
    private BayesModel adjusted;
    private final String name;
    private final TokenStore store;
    private final Object lock = new Object();
    private long appliedVersion = -1;
    private long appliedSpam;
    private long appliedHam;
    private Map<String, long[]> applied = new HashMap<>();
    /** Why the last refresh read the whole model, or {@code null} if it read only the changes. */
    private String fullReadReason;
    /** {@link System#nanoTime} of the last whole read; meaningful once {@link #appliedVersion} is at least 0. */
    private long lastWholeRead;

    private volatile Duration wholeReadInterval = WHOLE_READ_INTERVAL;

    private static final long[] NONE = new long[2];
    private ScheduledExecutorService scheduler;

    /**
     * Creates the sync; nothing is read until {@link #refresh()} or {@link #start(Duration)}.
     *
     * @param model the local model (the base; it is adjusted in place)
     * @param name the model's name in the store (all nodes that should learn together use the same name)
     * @param store the shared token store
     */
    public SharedModelSync(BayesModel model, String name, TokenStore store) {
        this(constant(Objects.requireNonNull(model, "model")), name, store);
    }

    /**
     * Creates the sync for a model that may be replaced (a {@link WatchedModelFile} reloaded after the file changed,
     * as {@link BayesScanner#model()} returns it): when the supplier returns another object, the next refresh applies
     * the store's counts to it in full.
     *
     * @param model returns the local model in use now
     * @param name the model's name in the store
     * @param store the shared token store
     */
    public SharedModelSync(Supplier<BayesModel> model, String name, TokenStore store) {
        this.model = Objects.requireNonNull(model, "model");
        this.name = Objects.requireNonNull(name, "name");
        this.store = Objects.requireNonNull(store, "store");
    }

    /**
     * Sets how long refreshes may go on reading only changes before one reads the whole model; default {@link
     * #WHOLE_READ_INTERVAL}. For tests.
     *
     * @param interval at least 0 ({@code 0}: every refresh reads the whole model)
     * @return this sync
     */
    SharedModelSync wholeReadInterval(Duration interval) {
        if (interval.isNegative()) {
            throw new IllegalArgumentException("interval must not be negative, was " + interval);
        }
        this.wholeReadInterval = interval;
        return this;
    }

    private static Supplier<BayesModel> constant(BayesModel m) {
        return () -> m;
    }

    /**
     * Brings the local model up to the store's counts, if they changed since the last refresh.
     *
     * @return {@code true} if the model changed
     * @throws SharedStateException if the store did not answer (the model keeps its state)
     */
    public boolean refresh() throws SharedStateException {
        synchronized (lock) {
            BayesModel current = Objects.requireNonNull(model.get(), "model");
            if (current != adjusted) {
                // A new base (the model file was reloaded): nothing of the store is in it yet.
                adjusted = current;
                appliedVersion = -1;
                appliedSpam = 0;
                appliedHam = 0;
                applied = new HashMap<>();
            }
            long v = store.version(name);
            boolean wholeDue = appliedVersion >= 0 && System.nanoTime() - lastWholeRead >= wholeReadInterval.toNanos();
            if (v == appliedVersion && !wholeDue) {
                return false;
            }
            if (wholeDue) {
                LOG.debug("shared Bayes model '{}': reading the whole model, as every {}", name, wholeReadInterval);
            } else if (appliedVersion >= 0) {
                TokenStore.Changes changes = store.changesSince(name, appliedVersion);
                if (changes instanceof TokenStore.Changes.Delta d) {
                    Map<String, long[]> delta = new HashMap<>();
                    d.tokens().forEach((t, c) -> {
                        long[] old = applied.getOrDefault(t, NONE);
                        if (c[0] != old[0] || c[1] != old[1]) {
                            delta.put(t, new long[] {c[0] - old[0], c[1] - old[1]});
                        }
                        if (c[0] == 0 && c[1] == 0) {
                            applied.remove(t);
                        } else {
                            applied.put(t, c); // the record hands each reader its own copy (TokenCounts)
                        }
                    });
                    apply(current, d.version(), d.spamMessages(), d.hamMessages(), delta);
                    fullReadReason = null;
                    return true;
                }
                String reason = ((TokenStore.Changes.FullReadNeeded) changes).reason();
                if (appliedVersion > 0 && !reason.equals(fullReadReason)) {
                    // Once per reason in a row: a store that keeps no record of changes says so at every refresh.
                    LOG.info(
                            "shared Bayes model '{}': reading the whole model, not the changes since version {}: {}",
                            name,
                            appliedVersion,
                            reason);
                } else {
                    LOG.debug("shared Bayes model '{}': reading the whole model: {}", name, reason);
                }
                fullReadReason = reason;
            }
            TokenStore.Snapshot snap = store.snapshot(name);
            lastWholeRead = System.nanoTime();
            if (appliedVersion > 0 && snap.version() < appliedVersion) {
                // Versions only grow: one that went back is a store that lost what it held (a Redis restarted without
                // persistence, a FLUSHALL). The counts are taken back out as documented; until session 49 silently.
                LOG.warn(
                        "shared Bayes model '{}': the store went back from version {} ({} spam, {} ham learned) to"
                                + " version {} ({} spam, {} ham): it lost learned data (a Redis restarted without"
                                + " persistence, or flushed?); this node now classifies without the lost messages"
                                + " (learn them again, hygiene learn --redis-model)",
                        name,
                        appliedVersion,
                        appliedSpam,
                        appliedHam,
                        snap.version(),
                        snap.spamMessages(),
                        snap.hamMessages());
            }
            Map<String, long[]> delta = new HashMap<>();
            // One pass over the snapshot, whose record hands each reader its own copy of a token's counts
            // (TokenCounts):
            // that copy is what the node holds next. Until session 54 the counts were copied three times a token here.
            Map<String, long[]> next = new HashMap<>();
            snap.tokens().forEach((t, c) -> {
                long[] old = applied.getOrDefault(t, NONE);
                long ds = c[0] - old[0];
                long dh = c[1] - old[1];
                if (ds != 0 || dh != 0) {
                    delta.put(t, new long[] {ds, dh});
                }
                next.put(t, c);
            });
            applied.forEach((t, old) -> {
                if (!next.containsKey(t)) {
                    delta.put(t, new long[] {-old[0], -old[1]});
                }
            });
            applied = next;
            if (wholeDue && delta.isEmpty() && snap.spamMessages() == appliedSpam && snap.hamMessages() == appliedHam) {
                appliedVersion = snap.version(); // the periodic read found what the node holds: the model stays as is
                return false;
            }
            apply(current, snap.version(), snap.spamMessages(), snap.hamMessages(), delta);
            return true;
        }
    }

    /** Adjusts the model by {@code delta} and the message counts to the given ones; records the version applied. */
    private void apply(BayesModel current, long version, long spam, long ham, Map<String, long[]> delta) {
        current.adjust(spam - appliedSpam, ham - appliedHam, delta);
        appliedSpam = spam;
        appliedHam = ham;
        appliedVersion = version;
    }

    /**
     * Learns a message for the whole cluster: counts it in the store, then refreshes the local model.
     *
     * @param tokens the message's tokens
     * @param spam {@code true} for spam
     * @throws SharedStateException if the store did not answer (then the message is not learned anywhere, unless the
     *     store applied it before the reply was lost; the next refresh shows which)
     */
    public void learn(Collection<String> tokens, boolean spam) throws SharedStateException {
        store.learn(name, tokens, spam);
        refresh();
    }

    /**
     * Learns a message for the whole cluster and records it in the store's learn journal under {@code key} ({@link
     * TokenStore#learn(String, String, Collection, boolean)}), then refreshes the local model.
     *
     * @param key the message's key ({@link BayesModels#journalKey})
     * @param tokens the message's tokens
     * @param spam {@code true} for spam
     * @return {@code true} if learned; {@code false} if the journal records the message with the other label (nothing
     *     changed: {@link #unlearn} it first)
     * @throws SharedStateException if the store did not answer (as for {@link #learn(Collection, boolean)})
     * @throws IllegalArgumentException if {@code key} is not a valid journal key
     */
    public boolean learn(String key, Collection<String> tokens, boolean spam) throws SharedStateException {
        boolean learned = store.learn(name, key, tokens, spam);
        if (learned) {
            refresh();
        }
        return learned;
    }

    /**
     * What the store's learn journal records of a message ({@link TokenStore#learned}).
     *
     * @param key the message's key
     * @return the record, empty if none
     * @throws SharedStateException if the store did not answer
     * @throws IllegalArgumentException if {@code key} is not a valid journal key
     */
    public Optional<TokenStore.Learned> learned(String key) throws SharedStateException {
        return store.learned(name, key);
    }

    /**
     * Forgets, for the whole cluster, every learning of a message the store's learn journal records ({@link
     * TokenStore#unlearn}), then refreshes the local model.
     *
     * @param key the message's key
     * @param tokens the tokens it was learned with
     * @return the record forgotten, empty if the journal had none (nothing changed)
     * @throws SharedStateException if the store did not answer (the next refresh shows whether it was forgotten)
     * @throws IllegalArgumentException if {@code key} is not a valid journal key
     */
    public Optional<TokenStore.Learned> unlearn(String key, Collection<String> tokens) throws SharedStateException {
        Optional<TokenStore.Learned> was = store.unlearn(name, key, tokens);
        if (was.isPresent()) {
            refresh();
        }
        return was;
    }

    /**
     * Messages learned through the store and applied to the local model.
     *
     * @return spam and ham counts applied
     */
    public long[] appliedMessages() {
        synchronized (lock) {
            return new long[] {appliedSpam, appliedHam};
        }
    }

    /**
     * Refreshes every {@code interval} on a daemon thread until {@link #close()}; failures are retried at the next
     * tick and logged once per run of failures, at WARN at most once per {@link #WARN_INTERVAL} (the runs between at
     * DEBUG, counted in the next WARN line).
     *
     * @param interval a positive period
     * @throws IllegalStateException if already started
     */
    public void start(Duration interval) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive, was " + interval);
        }
        synchronized (lock) {
            if (scheduler != null) {
                throw new IllegalStateException("already started");
            }
            scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "bayes-sync-" + name);
                t.setDaemon(true);
                return t;
            });
        }
        boolean[] failing = {false};
        long[] warned = {0, 0}; // whether and when (System.nanoTime) the last WARN was; runs logged at DEBUG since
        long[] quiet = {0};
        scheduler.scheduleWithFixedDelay(
                () -> {
                    try {
                        refresh();
                        failing[0] = false;
                    } catch (SharedStateException | RuntimeException e) {
                        if (!failing[0]) {
                            long now = System.nanoTime();
                            if (warned[0] == 0 || now - warned[1] >= WARN_INTERVAL.toNanos()) {
                                LOG.warn(
                                        "shared Bayes model '{}' not refreshed: {}{}",
                                        name,
                                        e.getMessage(),
                                        quiet[0] == 0
                                                ? ""
                                                : " (" + quiet[0] + " more runs of failed refreshes since the last such"
                                                        + " line, logged at DEBUG)");
                                warned[0] = 1;
                                warned[1] = now;
                                quiet[0] = 0;
                            } else {
                                quiet[0]++;
                                LOG.debug("shared Bayes model '{}' not refreshed: {}", name, e.getMessage());
                            }
                        }
                        failing[0] = true;
                    }
                },
                0,
                interval.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Stops the schedule. Idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            if (scheduler != null) {
                scheduler.shutdownNow();
            }
        }
    }
}
