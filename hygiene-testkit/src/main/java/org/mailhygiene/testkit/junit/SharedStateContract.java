package org.mailhygiene.testkit.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.api.shared.TokenStore;

/**
 * The behaviour every {@link SharedState} implementation must show, as JUnit 5 tests: the in-process default and the
 * Redis implementation run the same cases, so either can stand in for the other. A test class implements
 * {@link #state()} (a fresh or cleanly namespaced state per call is best; the cases use random keys, so a shared one
 * also works) and {@link #advance(Duration)} (move the state's clock: a fake clock's advance, or a real sleep).
 *
 * <p>Cases: verdicts round-trip exactly (rules, threats, scores, text with line breaks) and are kept apart by identity
 * and digest and expire at their TTL; a lease goes to one caller only, is released only by its owner and expires;
 * token buckets grant exactly their capacity, are independent per key, refill with time and are atomic under
 * concurrent callers; counters are published per node and day, each publication replacing the node's last; learned token counts count each message once and change the
 * version; the learn journal ({@link TokenStore#learn(String, String, java.util.Collection, boolean)}) records keyed
 * learnings, refuses the other label, is atomic under concurrent learners with both labels, keeps its bound ({@link
 * #journalLimited}) and is undone exactly by {@link TokenStore#unlearn}, never below zero (a store that keeps no
 * journal, leaving {@link TokenStore}'s default methods, skips these and shows the defaults instead); what changed
 * since a version ({@link TokenStore#changesSince}), applied to a view read at that version, gives exactly what a
 * whole read gives, after any mix of learnings, unlearnings and relearnings by concurrent writers while the view is
 * refreshed, or the store says it needs a whole read (always, for a store that keeps no record of changes; for a
 * version it no longer reaches back to, {@link #changeLogLimited}; for a version it never had); a closed state fails
 * with {@link SharedStateException}.
 */
public interface SharedStateContract {

    /**
     * The state under test.
     *
     * @return an open state
     * @throws Exception if it cannot be created; the test then fails
     */
    SharedState state() throws Exception;

    /**
     * Lets {@code d} pass for the state (advance a fake clock, or sleep for a real server).
     *
     * @param d the time to pass
     * @throws Exception if interrupted
     */
    void advance(Duration d) throws Exception;

    /**
     * Opens a second state on the same store, then closes it: used by the closed-state case. Default: {@link
     * #state()}.
     *
     * @return a state the test may close
     * @throws Exception if it cannot be created
     */
    default SharedState disposableState() throws Exception {
        return state();
    }

    /**
     * Opens a state whose learn journals ({@link TokenStore#learned}) keep at most {@code limit} messages, for the
     * journal's bound; the test closes it. Default: {@code null}, for an implementation that cannot set the bound
     * (that case is then skipped).
     *
     * @param limit the most messages a journal keeps
     * @return a new state, or {@code null}
     * @throws Exception if it cannot be created
     */
    default SharedState journalLimited(int limit) throws Exception {
        return null;
    }

    /**
     * Opens a state on a store of its own whose change logs ({@link TokenStore#changesSince}) keep at most {@code
     * limit} token changes, for the log's bound; the test closes it. Default: {@code null}, for an implementation that
     * cannot set the bound (that case is then skipped).
     *
     * @param limit the most token changes a change log keeps
     * @return a new state, or {@code null}
     * @throws Exception if it cannot be created
     */
    default SharedState changeLogLimited(int limit) throws Exception {
        return null;
    }

    private static String random() {
        return UUID.randomUUID().toString();
    }

    private static Verdict sampleVerdict() {
        return new Verdict(
                "clamd",
                Outcome.INFECTED,
                List.of("Eicar-Test-Signature", "Second\nline \\ back"),
                OptionalDouble.of(7.25),
                OptionalDouble.of(5.0),
                List.of(
                        new Rule("RULE_A", OptionalDouble.of(1.5), "first rule\nwith a line break"),
                        new Rule("RULE_B", OptionalDouble.empty(), "")),
                Duration.ofMillis(12));
    }

    /**
     * A stored verdict comes back equal; other identities and digests miss.
     *
     * @throws Exception on failure
     */
    @Test
    default void verdictsRoundTripAndAreKeyedByIdentityAndDigest() throws Exception {
        SharedState s = state();
        String id = "clamd|" + random();
        String sha = random().replace("-", "");
        assertEquals(Optional.empty(), s.verdicts().get(id, sha));
        Verdict v = sampleVerdict();
        s.verdicts().put(id, sha, v, Duration.ofMinutes(5));
        assertEquals(Optional.of(v), s.verdicts().get(id, sha));
        assertEquals(Optional.empty(), s.verdicts().get(id + "x", sha));
        assertEquals(Optional.empty(), s.verdicts().get(id, sha + "0"));
        Verdict clean = Verdict.clean("spamd", Duration.ofMillis(3));
        s.verdicts().put(id, sha, clean, Duration.ofMinutes(5));
        assertEquals(Optional.of(clean), s.verdicts().get(id, sha));
    }

    /**
     * A verdict is gone after its TTL.
     *
     * @throws Exception on failure
     */
    @Test
    default void verdictsExpire() throws Exception {
        SharedState s = state();
        String id = "id-" + random();
        s.verdicts().put(id, "ab", sampleVerdict(), Duration.ofMillis(300));
        advance(Duration.ofMillis(800));
        assertEquals(Optional.empty(), s.verdicts().get(id, "ab"));
    }

    /**
     * One caller gets the lease; only the owner releases it; it expires by itself.
     *
     * @throws Exception on failure
     */
    @Test
    default void leasesAreExclusiveOwnedAndExpire() throws Exception {
        SharedState s = state();
        String id = "id-" + random();
        assertFalse(s.verdicts().leaseHeld(id, "cd"));
        assertTrue(s.verdicts().tryLease(id, "cd", "node-a", Duration.ofMinutes(1)));
        assertFalse(s.verdicts().tryLease(id, "cd", "node-b", Duration.ofMinutes(1)));
        assertTrue(s.verdicts().leaseHeld(id, "cd"));
        s.verdicts().release(id, "cd", "node-b");
        assertTrue(s.verdicts().leaseHeld(id, "cd"), "only the owner releases");
        s.verdicts().release(id, "cd", "node-a");
        assertFalse(s.verdicts().leaseHeld(id, "cd"));
        assertTrue(s.verdicts().tryLease(id, "cd", "node-b", Duration.ofMillis(300)));
        advance(Duration.ofMillis(800));
        assertFalse(s.verdicts().leaseHeld(id, "cd"));
        assertTrue(s.verdicts().tryLease(id, "cd", "node-c", Duration.ofMinutes(1)));
    }

    /**
     * Only the holder renews its lease, which then outlives its first duration; a released or expired lease is not
     * renewed.
     *
     * @throws Exception on failure
     */
    @Test
    default void leasesAreRenewedByTheirHolderOnly() throws Exception {
        SharedState s = state();
        // A first lease that ran out before its holder renewed it (a busy machine, a real server's clock) proves
        // nothing: such a round is repeated with a fresh key and twice the lease time. A fake clock never moves by
        // itself.
        for (Duration first = Duration.ofMillis(300); ; first = first.multipliedBy(2)) {
            String id = "id-" + random();
            assertFalse(s.verdicts().renewLease(id, "ef", "node-a", Duration.ofMinutes(10)), "no lease to renew");
            long t0 = System.nanoTime();
            assertTrue(s.verdicts().tryLease(id, "ef", "node-a", first));
            assertFalse(s.verdicts().renewLease(id, "ef", "node-b", Duration.ofMinutes(10)), "not node-b's");
            boolean renewed = s.verdicts().renewLease(id, "ef", "node-a", Duration.ofMinutes(10));
            if (!renewed && System.nanoTime() - t0 >= first.toNanos() && first.toSeconds() < 60) {
                continue;
            }
            assertTrue(renewed, "renewed by its holder within its first " + first);
            advance(first.multipliedBy(2).plusMillis(200));
            assertTrue(s.verdicts().leaseHeld(id, "ef"), "renewed past its first " + first);
            assertFalse(s.verdicts().tryLease(id, "ef", "node-b", Duration.ofMinutes(1)));
            s.verdicts().release(id, "ef", "node-a");
            assertFalse(s.verdicts().renewLease(id, "ef", "node-a", Duration.ofMinutes(1)), "released");
            assertTrue(s.verdicts().tryLease(id, "ef", "node-b", Duration.ofMillis(300)));
            advance(Duration.ofMillis(800));
            assertFalse(s.verdicts().renewLease(id, "ef", "node-b", Duration.ofMinutes(1)), "expired");
            assertFalse(s.verdicts().leaseHeld(id, "ef"));
            return;
        }
    }

    /**
     * Exactly one of many concurrent callers gets a lease.
     *
     * @throws Exception on failure
     */
    @Test
    default void oneLeaseAmongConcurrentCallers() throws Exception {
        SharedState s = state();
        String id = "id-" + random();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            AtomicInteger won = new AtomicInteger();
            List<Future<?>> fs = new java.util.ArrayList<>();
            for (int i = 0; i < 16; i++) {
                String owner = "owner-" + i;
                fs.add(pool.submit(() -> {
                    if (s.verdicts().tryLease(id, "ef", owner, Duration.ofMinutes(1))) {
                        won.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            assertEquals(1, won.get());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A bucket grants its capacity, then refuses; keys are independent; tokens come back with time.
     *
     * @throws Exception on failure
     */
    @Test
    default void bucketsGrantCapacityPerKeyAndRefill() throws Exception {
        SharedState s = state();
        String k = "conn:" + random();
        for (int i = 0; i < 3; i++) {
            assertTrue(s.limiter().tryAcquire(k, 3, Duration.ofHours(1)), "token " + i);
        }
        assertFalse(s.limiter().tryAcquire(k, 3, Duration.ofHours(1)));
        assertTrue(s.limiter().tryAcquire(k + "-other", 3, Duration.ofHours(1)));
        // A refill window that passed between the two calls (a busy machine, a real server's clock) proves nothing:
        // such a round is repeated with a fresh key and twice the window. A fake clock never moves by itself.
        for (Duration window = Duration.ofMillis(300); ; window = window.multipliedBy(2)) {
            String fast = "fast:" + random();
            long t0 = System.nanoTime();
            assertTrue(s.limiter().tryAcquire(fast, 1, window));
            boolean again = s.limiter().tryAcquire(fast, 1, window);
            if (again && System.nanoTime() - t0 >= window.toNanos() && window.toSeconds() < 60) {
                continue;
            }
            assertFalse(again, "refused within the window");
            advance(window.multipliedBy(2).plusMillis(200));
            assertTrue(s.limiter().tryAcquire(fast, 1, window));
            return;
        }
    }

    /**
     * Concurrent callers together get exactly the capacity.
     *
     * @throws Exception on failure
     */
    @Test
    default void bucketsAreAtomicUnderConcurrency() throws Exception {
        SharedState s = state();
        String k = "msg:" + random();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            AtomicInteger granted = new AtomicInteger();
            List<Future<?>> fs = new java.util.ArrayList<>();
            for (int i = 0; i < 40; i++) {
                fs.add(pool.submit(() -> {
                    if (s.limiter().tryAcquire(k, 25, Duration.ofHours(1))) {
                        granted.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            assertEquals(25, granted.get());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A node's publication replaces its previous one; nodes and days are kept apart; zero totals are left out.
     *
     * @throws Exception on failure
     */
    @Test
    default void countersArePublishedPerNodeAndDay() throws Exception {
        SharedState s = state();
        String a = "edge-a-" + random();
        String b = "edge-b-" + random();
        LocalDate day = LocalDate.of(2026, 12, 2);
        s.counters().publish(a, day, Map.of("received", 3L, "virus:Eicar", 1L, "zero", 0L));
        s.counters().publish(a, day, Map.of("received", 5L, "virus:Eicar", 1L));
        s.counters().publish(b, day, Map.of("received", 7L));
        s.counters().publish(a, day.plusDays(1), Map.of("received", 100L));
        Map<String, Map<String, Long>> read = s.counters().read(day);
        assertEquals(Map.of("received", 5L, "virus:Eicar", 1L), read.get(a));
        assertEquals(Map.of("received", 7L), read.get(b));
        assertEquals(
                Map.of("received", 100L), s.counters().read(day.plusDays(1)).get(a));
        s.counters().publish(b, day, Map.of());
        assertEquals(Map.of(), s.counters().read(day).getOrDefault(b, Map.of()));
    }

    /**
     * A learned message counts once per token, changes the version and is visible in a snapshot.
     *
     * @throws Exception on failure
     */
    @Test
    default void learnedTokensCountOncePerMessage() throws Exception {
        SharedState s = state();
        String model = "model-" + random();
        assertEquals(0, s.tokens().version(model));
        s.tokens().learn(model, List.of("viagra", "viagra", "cheap"), true);
        long v1 = s.tokens().version(model);
        s.tokens().learn(model, List.of("cheap", "meeting"), false);
        s.tokens().learn(model, List.of("viagra"), true);
        long v3 = s.tokens().version(model);
        assertTrue(v1 != 0 && v3 != v1, "version changes with every learned message");
        TokenStore.Snapshot snap = s.tokens().snapshot(model);
        assertEquals(v3, snap.version());
        assertEquals(2, snap.spamMessages());
        assertEquals(1, snap.hamMessages());
        assertEquals(
                List.of(2L, 0L),
                List.of(snap.tokens().get("viagra")[0], snap.tokens().get("viagra")[1]));
        assertEquals(
                List.of(1L, 1L),
                List.of(snap.tokens().get("cheap")[0], snap.tokens().get("cheap")[1]));
        assertEquals(
                List.of(0L, 1L),
                List.of(snap.tokens().get("meeting")[0], snap.tokens().get("meeting")[1]));
        assertEquals(0, s.tokens().snapshot("other-" + random()).tokens().size());
    }

    /**
     * The learn journal: a keyed learning counts and is recorded, the other label is refused while the journal records
     * this one, and {@link TokenStore#unlearn} takes every recorded learning back out, leaving the counts as if only
     * the other messages had been learned.
     *
     * @throws Exception on failure
     */
    @Test
    default void theLearnJournalRecordsLearningsAndUnlearnUndoesThem() throws Exception {
        TokenStore t = state().tokens();
        assumeLearnJournal(t);
        String model = "model-" + random();
        String key = random().replace("-", "");
        assertEquals(Optional.empty(), t.learned(model, key));
        t.learn(model, List.of("cheap", "meeting"), false); // another message, without a key
        assertTrue(t.learn(model, key, List.of("viagra", "cheap", "cheap"), true));
        assertTrue(t.learn(model, key, List.of("viagra", "cheap"), true));
        assertEquals(Optional.of(new TokenStore.Learned(true, 2)), t.learned(model, key));
        TokenStore.Snapshot learned = t.snapshot(model);
        assertEquals(2, learned.spamMessages());
        assertEquals(1, learned.hamMessages());
        assertEquals(List.of(2L, 1L), counts(learned, "cheap"));

        long v = t.version(model);
        assertFalse(t.learn(model, key, List.of("viagra", "cheap"), false), "the other label is refused");
        assertEquals(v, t.version(model), "nothing changed");

        assertEquals(Optional.of(new TokenStore.Learned(true, 2)), t.unlearn(model, key, List.of("viagra", "cheap")));
        long v2 = t.version(model);
        assertTrue(v2 != v, "the version changes");
        TokenStore.Snapshot after = t.snapshot(model);
        assertEquals(0, after.spamMessages());
        assertEquals(1, after.hamMessages());
        assertFalse(after.tokens().containsKey("viagra"), "a token at no message is gone");
        assertEquals(List.of(0L, 1L), counts(after, "cheap"));
        assertEquals(List.of(0L, 1L), counts(after, "meeting"));
        assertEquals(Optional.empty(), t.learned(model, key));
        assertEquals(Optional.empty(), t.unlearn(model, key, List.of("viagra")), "nothing left to forget");
        assertEquals(v2, t.version(model));

        assertTrue(t.learn(model, key, List.of("viagra", "cheap"), false), "now learnable as ham");
        assertEquals(Optional.of(new TokenStore.Learned(false, 1)), t.learned(model, key));
        assertEquals(2, t.snapshot(model).hamMessages());

        assertThrows(IllegalArgumentException.class, () -> t.learned(model, "two words"));
        assertThrows(IllegalArgumentException.class, () -> t.learn(model, "", List.of("x"), true));
        assertThrows(IllegalArgumentException.class, () -> t.unlearn(model, "k".repeat(129), List.of("x")));
    }

    /**
     * Keyed learnings of one message from many threads at once, with both labels: one label wins, the journal counts
     * each learning that was accepted, and the counts agree with it.
     *
     * @throws Exception on failure
     */
    @Test
    default void keyedLearningsAreAtomicUnderConcurrency() throws Exception {
        TokenStore t = state().tokens();
        assumeLearnJournal(t);
        String model = "model-" + random();
        String key = random().replace("-", "");
        int threads = 8;
        int each = 10;
        AtomicInteger accepted = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new java.util.ArrayList<>();
            for (int i = 0; i < threads; i++) {
                boolean spam = i % 2 == 0;
                done.add(pool.submit(() -> {
                    for (int j = 0; j < each; j++) {
                        if (t.learn(model, key, List.of("word"), spam)) {
                            accepted.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        TokenStore.Learned rec = t.learned(model, key).orElseThrow();
        assertEquals(accepted.get(), rec.times());
        assertEquals(threads / 2 * each, rec.times(), "every learning with the first label taken, none with the other");
        TokenStore.Snapshot snap = t.snapshot(model);
        assertEquals(rec.spam() ? rec.times() : 0, snap.spamMessages());
        assertEquals(rec.spam() ? 0 : rec.times(), snap.hamMessages());
        assertEquals(
                rec.spam() ? List.of((long) rec.times(), 0L) : List.of(0L, (long) rec.times()), counts(snap, "word"));
    }

    /**
     * {@link TokenStore#unlearn} of a message learned as ham takes the ham counts back out and leaves the spam counts;
     * tokens given that the message was not learned with never go below zero, and the message counts never go below
     * zero either (the store's counts were lost while the journal survived).
     *
     * @throws Exception on failure
     */
    @Test
    default void unlearnTakesHamBackOutAndNeverGoesBelowZero() throws Exception {
        TokenStore t = state().tokens();
        assumeLearnJournal(t);
        String model = "model-" + random();
        String key = random().replace("-", "");
        t.learn(model, List.of("shared", "spammy"), true); // another message, spam
        assertTrue(t.learn(model, key, List.of("shared", "hammy"), false));
        assertTrue(t.learn(model, key, List.of("shared", "hammy"), false));
        assertEquals(
                Optional.of(new TokenStore.Learned(false, 2)),
                t.unlearn(model, key, List.of("shared", "hammy", "spammy", "never")));
        TokenStore.Snapshot after = t.snapshot(model);
        assertEquals(1, after.spamMessages());
        assertEquals(0, after.hamMessages());
        assertEquals(List.of(1L, 0L), counts(after, "shared"));
        assertEquals(List.of(1L, 0L), counts(after, "spammy"), "a token's spam count is untouched by a ham unlearn");
        assertFalse(after.tokens().containsKey("hammy"));
        assertFalse(after.tokens().containsKey("never"), "a token never learned is not counted at zero or below");

        // more recorded than counted: two ham learnings recorded, then one ham message's worth taken away by a second
        // key's unlearn; the first key's unlearn then stops at zero
        String other = random().replace("-", "");
        assertTrue(t.learn(model, key, List.of("h"), false));
        assertTrue(t.learn(model, key, List.of("h"), false));
        assertTrue(t.learn(model, other, List.of("h"), false));
        assertEquals(Optional.of(new TokenStore.Learned(false, 1)), t.unlearn(model, other, List.of("h", "h2")));
        assertEquals(Optional.of(new TokenStore.Learned(false, 2)), t.unlearn(model, key, List.of("h", "h2")));
        TokenStore.Snapshot end = t.snapshot(model);
        assertEquals(0, end.hamMessages());
        assertFalse(end.tokens().containsKey("h"));
        assertEquals(1, end.spamMessages());
    }

    /**
     * A learn journal over its bound drops the message learned or changed least recently: that message stays learned
     * (its counts stay), but is no longer recorded, so it can no longer be unlearned.
     *
     * @throws Exception on failure
     */
    @Test
    default void theLearnJournalKeepsTheMostRecentMessages() throws Exception {
        SharedState s = journalLimited(3);
        org.junit.jupiter.api.Assumptions.assumeTrue(s != null, "this implementation sets no journal bound for tests");
        try {
            TokenStore t = s.tokens();
            assumeLearnJournal(t);
            String model = "model-" + random();
            List<String> keys = List.of("k0-" + random(), "k1-" + random(), "k2-" + random(), "k3-" + random());
            for (int i = 0; i < 3; i++) {
                assertTrue(t.learn(model, keys.get(i), List.of("w"), true));
            }
            assertTrue(t.learn(model, keys.get(0), List.of("w"), true)); // learned again: the most recent now
            assertTrue(t.learn(model, keys.get(3), List.of("w"), true)); // over the bound: keys[1] goes
            assertEquals(Optional.empty(), t.learned(model, keys.get(1)));
            assertEquals(Optional.of(new TokenStore.Learned(true, 2)), t.learned(model, keys.get(0)));
            assertEquals(Optional.of(new TokenStore.Learned(true, 1)), t.learned(model, keys.get(2)));
            assertEquals(Optional.of(new TokenStore.Learned(true, 1)), t.learned(model, keys.get(3)));
            assertEquals(5, t.snapshot(model).spamMessages(), "the dropped message stays learned");
            long v = t.version(model);
            assertEquals(Optional.empty(), t.unlearn(model, keys.get(1), List.of("w")));
            assertEquals(v, t.version(model));
        } finally {
            s.close();
        }
    }

    /**
     * A store without a learn journal (one that leaves {@link TokenStore}'s default methods, as a store written before
     * the journal does; the API allows it): a keyed learning counts the message as an unkeyed one does, nothing is
     * recorded, and there is nothing to unlearn.
     *
     * @throws Exception on failure
     */
    @Test
    default void aStoreWithoutALearnJournalCountsKeyedLearnings() throws Exception {
        TokenStore t = state().tokens();
        org.junit.jupiter.api.Assumptions.assumeFalse(keepsLearnJournal(t), "this store keeps a learn journal");
        String model = "model-" + random();
        String key = random().replace("-", "");
        assertTrue(t.learn(model, key, List.of("viagra"), true));
        assertTrue(t.learn(model, key, List.of("viagra"), false), "no journal: the other label is not refused");
        assertEquals(Optional.empty(), t.learned(model, key));
        long v = t.version(model);
        assertEquals(Optional.empty(), t.unlearn(model, key, List.of("viagra")));
        assertEquals(v, t.version(model), "nothing unlearned");
        TokenStore.Snapshot snap = t.snapshot(model);
        assertEquals(1, snap.spamMessages());
        assertEquals(1, snap.hamMessages());
        assertEquals(List.of(1L, 1L), counts(snap, "viagra"));
        assertThrows(IllegalArgumentException.class, () -> t.learn(model, "two words", List.of("x"), true));
    }

    /**
     * Whether a token store keeps a learn journal: it implements {@link TokenStore#learned} itself instead of leaving
     * the default method, which records nothing.
     */
    private static boolean keepsLearnJournal(TokenStore t) {
        return overrides(t, "learned", String.class, String.class);
    }

    /** Whether a token store implements one of {@link TokenStore}'s default methods itself. */
    private static boolean overrides(TokenStore t, String method, Class<?>... parameters) {
        try {
            return !t.getClass().getMethod(method, parameters).isDefault();
        } catch (NoSuchMethodException e) {
            throw new AssertionError("TokenStore." + method + " is public", e);
        }
    }

    /** Skips a learn journal case for a store that keeps no journal ({@link #keepsLearnJournal}). */
    private static void assumeLearnJournal(TokenStore t) {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                keepsLearnJournal(t), "this store keeps no learn journal (TokenStore's default methods)");
    }

    private static List<Long> counts(TokenStore.Snapshot snap, String token) {
        return counts(snap.tokens(), token);
    }

    /**
     * The changes since a version list the tokens changed after it with their counts now, and the message counts now;
     * the changes since the version now are none; a version the store never reached needs a whole read. A store that
     * keeps no record of changes always needs a whole read.
     *
     * @throws Exception on failure
     */
    @Test
    default void changesSinceAVersionListTheChangedTokens() throws Exception {
        TokenStore t = state().tokens();
        String model = "model-" + random();
        t.learn(model, List.of("viagra", "cheap"), true);
        long v1 = t.version(model);
        t.learn(model, List.of("cheap", "meeting"), false);
        t.learn(model, List.of("viagra"), true);
        long v3 = t.version(model);
        TokenStore.Changes c = t.changesSince(model, v1);
        if (c instanceof TokenStore.Changes.FullReadNeeded f) {
            assertFalse(keepsChangeLog(t), "a store with a change log answers from it: " + f.reason());
            assertFalse(f.reason().isBlank());
            return;
        }
        assertTrue(keepsChangeLog(t));
        TokenStore.Changes.Delta d = (TokenStore.Changes.Delta) c;
        assertEquals(v3, d.version());
        assertEquals(2, d.spamMessages());
        assertEquals(1, d.hamMessages());
        assertEquals(List.of(2L, 0L), counts(d.tokens(), "viagra"));
        assertEquals(List.of(1L, 1L), counts(d.tokens(), "cheap"));
        assertEquals(List.of(0L, 1L), counts(d.tokens(), "meeting"));
        TokenStore.Changes.Delta none = (TokenStore.Changes.Delta) t.changesSince(model, v3);
        assertEquals(v3, none.version());
        assertTrue(
                none.tokens().isEmpty(),
                "nothing changed since the version now: " + none.tokens().keySet());
        assertTrue(
                t.changesSince(model, v3 + 1000) instanceof TokenStore.Changes.FullReadNeeded,
                "a version after the store's own: it lost data");
        assertThrows(NullPointerException.class, () -> t.changesSince(null, 0));
    }

    /**
     * A change log keeps its bound: the changes since a version it no longer reaches back to need a whole read; the
     * changes since a later version are still answered.
     *
     * @throws Exception on failure
     */
    @Test
    default void theChangeLogKeepsItsBound() throws Exception {
        SharedState s = changeLogLimited(5);
        org.junit.jupiter.api.Assumptions.assumeTrue(s != null, "the change log's bound cannot be set");
        try {
            TokenStore t = s.tokens();
            String model = "model-" + random();
            t.learn(model, List.of("a", "b", "c"), true);
            long v1 = t.version(model);
            t.learn(model, List.of("d", "e"), true);
            long v2 = t.version(model);
            t.learn(model, List.of("f", "g"), false); // 7 token changes: the first step is dropped
            TokenStore.Changes old = t.changesSince(model, v1 - 1);
            assertTrue(old instanceof TokenStore.Changes.FullReadNeeded, "the first step was dropped: " + old);
            TokenStore.Changes.Delta d = (TokenStore.Changes.Delta) t.changesSince(model, v1);
            assertEquals(java.util.Set.of("d", "e", "f", "g"), d.tokens().keySet());
            d = (TokenStore.Changes.Delta) t.changesSince(model, v2);
            assertEquals(java.util.Set.of("f", "g"), d.tokens().keySet());
            assertEquals(List.of(0L, 1L), counts(d.tokens(), "g"));
        } finally {
            s.close();
        }
    }

    /**
     * Property: after any mix of learnings, keyed learnings, unlearnings and relearnings with the other label by
     * several concurrent writers, a view that started from a whole read taken while they wrote and then took in only
     * the changes since its version, refreshing while they wrote, equals a whole read once they stop. Random runs with
     * the seed in the failure message; a small vocabulary, so that writers change the same tokens.
     *
     * @throws Exception on failure
     */
    @Test
    default void aViewKeptByChangesEqualsAWholeRead() throws Exception {
        /** A node's view of a model: a whole read, then the changes since its version. */
        class View {
            long version = -1;
            long spam;
            long ham;
            Map<String, long[]> tokens = new HashMap<>();
            int deltas;

            void read(TokenStore t, String model) throws SharedStateException {
                TokenStore.Snapshot s = t.snapshot(model);
                version = s.version();
                spam = s.spamMessages();
                ham = s.hamMessages();
                tokens = new HashMap<>();
                s.tokens().forEach((k, c) -> tokens.put(k, c.clone()));
            }

            void refresh(TokenStore t, String model) throws SharedStateException {
                if (t.changesSince(model, version) instanceof TokenStore.Changes.Delta d) {
                    d.tokens().forEach((k, c) -> {
                        if (c[0] == 0 && c[1] == 0) {
                            tokens.remove(k);
                        } else {
                            tokens.put(k, c.clone());
                        }
                    });
                    version = d.version();
                    spam = d.spamMessages();
                    ham = d.hamMessages();
                    deltas++;
                } else {
                    read(t, model);
                }
            }
        }
        TokenStore t = state().tokens();
        long seed = new Random().nextLong();
        for (int round = 0; round < 6; round++) {
            String model = "model-" + random();
            Random rnd = new Random(seed + round);
            int writers = 3;
            int opsEach = 40;
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            try {
                List<Future<?>> writing = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    long wseed = rnd.nextLong();
                    writing.add(pool.submit(() -> {
                        write(t, model, new Random(wseed), opsEach);
                        return null;
                    }));
                }
                View view = new View();
                view.read(t, model); // a whole read while the writers write
                int refreshes = 0;
                while (!writing.stream().allMatch(Future::isDone)) {
                    view.refresh(t, model);
                    refreshes++;
                }
                for (Future<?> f : writing) {
                    f.get();
                }
                view.refresh(t, model);
                TokenStore.Snapshot whole = t.snapshot(model);
                String where = "seed " + seed + " round " + round + " after " + refreshes + " refreshes";
                assertEquals(whole.version(), view.version, where);
                assertEquals(whole.spamMessages(), view.spam, where);
                assertEquals(whole.hamMessages(), view.ham, where);
                assertEquals(asLists(whole.tokens()), asLists(view.tokens), where);
                if (keepsChangeLog(t)) {
                    assertTrue(view.deltas > 0, "the changes were read, not the whole model each time: " + where);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** A writer's random operations on a small vocabulary: learnings, keyed learnings, unlearnings, relearnings. */
    private static void write(TokenStore t, String model, Random rnd, int ops) throws SharedStateException {
        String[] words = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"};
        for (int i = 0; i < ops; i++) {
            List<String> toks = new ArrayList<>();
            int n = 1 + rnd.nextInt(5);
            for (int k = 0; k < n; k++) {
                toks.add(words[rnd.nextInt(words.length)]);
            }
            String key = "k" + rnd.nextInt(6);
            switch (rnd.nextInt(4)) {
                case 0 -> t.learn(model, toks, rnd.nextBoolean());
                case 1 -> t.learn(model, key, toks, rnd.nextBoolean());
                case 2 -> t.unlearn(model, key, toks);
                default -> {
                    boolean spam = rnd.nextBoolean();
                    if (!t.learn(model, key, toks, spam)) {
                        t.unlearn(model, key, toks);
                        t.learn(model, key, toks, spam);
                    }
                }
            }
        }
    }

    private static Map<String, List<Long>> asLists(Map<String, long[]> m) {
        Map<String, List<Long>> out = new java.util.TreeMap<>();
        m.forEach((k, c) -> out.put(k, List.of(c[0], c[1])));
        return out;
    }

    /** Whether a token store keeps a record of changes: it implements {@link TokenStore#changesSince} itself. */
    private static boolean keepsChangeLog(TokenStore t) {
        return overrides(t, "changesSince", String.class, long.class);
    }

    private static List<Long> counts(Map<String, long[]> tokens, String token) {
        long[] c = tokens.get(token);
        assertTrue(c != null, token + " is counted");
        return List.of(c[0], c[1]);
    }

    /**
     * A closed state refuses calls with {@link SharedStateException}.
     *
     * @throws Exception on failure
     */
    @Test
    default void closedStateFails() throws Exception {
        SharedState s = disposableState();
        s.close();
        assertThrows(SharedStateException.class, s::ping);
        assertThrows(SharedStateException.class, () -> s.verdicts().get("id", "ab"));
    }
}
