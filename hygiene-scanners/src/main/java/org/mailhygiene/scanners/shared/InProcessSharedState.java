package org.mailhygiene.scanners.shared;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.shared.CounterStore;
import org.mailhygiene.api.shared.RateLimiter;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.api.shared.TokenStore;
import org.mailhygiene.api.shared.TokenStore.Learned;
import org.mailhygiene.api.shared.VerdictStore;
import org.mailhygiene.internal.Checks;

/**
 * Shared state held in this JVM's memory: the embedded default, and the reference the Redis implementation is tested
 * against.
 *
 * <p>Bounds: verdicts and leases expire at their TTL and are swept on writes; at most {@value #MAX_ENTRIES} verdicts,
 * leases and buckets each (past that the oldest-expiring entries are dropped: a dropped verdict is a miss, a dropped
 * bucket is full again). Counters keep the last {@value #KEEP_DAYS} days. Token counts are unbounded, like a model file;
 * each model's learn journal ({@link TokenStore#learned}) keeps the {@value #JOURNAL_LIMIT} messages learned or
 * changed most recently, as a model file's does, and its change log ({@link TokenStore#changesSince}) the last
 * {@value #CHANGE_LOG_LIMIT} token changes. Time comes from the injected clock. Thread-safe; {@link #close()} makes every later call fail.
 */
public final class InProcessSharedState implements SharedState {
    /** Entries kept per kind (verdicts, leases, buckets) before the oldest are dropped. */
    public static final int MAX_ENTRIES = 100_000;
    /** Days of counters kept. */
    public static final int KEEP_DAYS = 400;
    /** Messages a model's learn journal keeps: the ones learned or changed most recently. */
    public static final int JOURNAL_LIMIT = 200_000;
    /**
     * Token changes a model's change log keeps ({@link TokenStore#changesSince}): a learning of a message of 300
     * tokens is 300 of them; older changes are dropped first.
     */
    public static final int CHANGE_LOG_LIMIT = 500_000;

    private final Clock clock;
    private final int journalLimit;
    private final int changeLogLimit;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Map<String, Expiring<Verdict>> verdicts = new ConcurrentHashMap<>();
    private final Map<String, Expiring<String>> leases = new ConcurrentHashMap<>();
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final Map<LocalDate, Map<String, Map<String, Long>>> counters = new TreeMap<>();
    private final Map<String, Model> models = new HashMap<>();

    private final VerdictStore verdictStore = new Verdicts();
    private final RateLimiter limiter = new Limiter();
    private final CounterStore counterStore = new Counters();
    private final TokenStore tokenStore = new Tokens();

    /**
     * Creates an empty state.
     *
     * @param clock the time source for expiry and refill
     */
    public InProcessSharedState(Clock clock) {
        this(clock, JOURNAL_LIMIT);
    }

    /** A state whose learn journals keep at most {@code journalLimit} messages (tests use a small one). */
    InProcessSharedState(Clock clock, int journalLimit) {
        this(clock, journalLimit, CHANGE_LOG_LIMIT);
    }

    /**
     * A state whose learn journals keep at most {@code journalLimit} messages and whose change logs at most {@code
     * changeLogLimit} token changes (tests use small ones).
     */
    InProcessSharedState(Clock clock, int journalLimit, int changeLogLimit) {
        this.clock = Objects.requireNonNull(clock, "clock");
        if (journalLimit < 1) {
            throw new IllegalArgumentException("journalLimit must be at least 1, was " + journalLimit);
        }
        if (changeLogLimit < 0) {
            throw new IllegalArgumentException("changeLogLimit must not be negative, was " + changeLogLimit);
        }
        this.journalLimit = journalLimit;
        this.changeLogLimit = changeLogLimit;
    }

    /**
     * Creates an empty state on the system clock.
     *
     * @return a new state
     */
    public static InProcessSharedState create() {
        return new InProcessSharedState(Clock.systemUTC());
    }

    @Override
    public String description() {
        return "in-process";
    }

    @Override
    public VerdictStore verdicts() {
        return verdictStore;
    }

    @Override
    public RateLimiter limiter() {
        return limiter;
    }

    @Override
    public CounterStore counters() {
        return counterStore;
    }

    @Override
    public TokenStore tokens() {
        return tokenStore;
    }

    @Override
    public void ping() throws SharedStateException {
        open();
    }

    @Override
    public void close() {
        closed.set(true);
    }

    private void open() throws SharedStateException {
        if (closed.get()) {
            throw new SharedStateException("in-process shared state is closed");
        }
    }

    private long now() {
        return clock.millis();
    }

    private static String key(String identity, String sha256) {
        return Objects.requireNonNull(identity, "identity") + '\0' + Objects.requireNonNull(sha256, "sha256");
    }

    private <T> void sweep(Map<String, Expiring<T>> map) {
        if (map.size() < MAX_ENTRIES) {
            return;
        }
        long now = now();
        map.values().removeIf(e -> e.expiresAt <= now);
        if (map.size() >= MAX_ENTRIES) {
            map.entrySet().stream()
                    .sorted(Map.Entry.comparingByValue((a, b) -> Long.compare(a.expiresAt, b.expiresAt)))
                    .limit(map.size() - MAX_ENTRIES + MAX_ENTRIES / 10)
                    .map(Map.Entry::getKey)
                    .toList()
                    .forEach(map::remove);
        }
    }

    private record Expiring<T>(T value, long expiresAt) {}

    private final class Verdicts implements VerdictStore {
        @Override
        public Optional<Verdict> get(String identity, String sha256) throws SharedStateException {
            return find(identity, sha256).map(Found::verdict);
        }

        @Override
        public Optional<Found> find(String identity, String sha256) throws SharedStateException {
            open();
            Expiring<Verdict> e = verdicts.get(key(identity, sha256));
            long now = now();
            if (e == null || e.expiresAt <= now) {
                return Optional.empty();
            }
            return Optional.of(new Found(e.value, Optional.of(Duration.ofMillis(e.expiresAt - now))));
        }

        @Override
        public void put(String identity, String sha256, Verdict verdict, Duration ttl) throws SharedStateException {
            open();
            Objects.requireNonNull(verdict, "verdict");
            Checks.requirePositive(ttl, "ttl");
            sweep(verdicts);
            verdicts.put(key(identity, sha256), new Expiring<>(verdict, now() + ttl.toMillis()));
        }

        @Override
        public boolean tryLease(String identity, String sha256, String owner, Duration lease)
                throws SharedStateException {
            open();
            Objects.requireNonNull(owner, "owner");
            Checks.requirePositive(lease, "lease");
            sweep(leases);
            long now = now();
            Expiring<String> mine = new Expiring<>(owner, now + lease.toMillis());
            Expiring<String> result =
                    leases.compute(key(identity, sha256), (k, old) -> old == null || old.expiresAt <= now ? mine : old);
            return result == mine;
        }

        @Override
        public boolean leaseHeld(String identity, String sha256) throws SharedStateException {
            open();
            Expiring<String> e = leases.get(key(identity, sha256));
            return e != null && e.expiresAt > now();
        }

        @Override
        public void release(String identity, String sha256, String owner) throws SharedStateException {
            open();
            Objects.requireNonNull(owner, "owner");
            leases.computeIfPresent(key(identity, sha256), (k, old) -> old.value.equals(owner) ? null : old);
        }

        @Override
        public boolean renewLease(String identity, String sha256, String owner, Duration lease)
                throws SharedStateException {
            open();
            Objects.requireNonNull(owner, "owner");
            Checks.requirePositive(lease, "lease");
            long now = now();
            Expiring<String> renewed = new Expiring<>(owner, now + lease.toMillis());
            Expiring<String> result = leases.computeIfPresent(
                    key(identity, sha256), (k, old) -> old.value.equals(owner) && old.expiresAt > now ? renewed : old);
            return result == renewed;
        }
    }

    private static final class Bucket {
        double tokens;
        long last;
        long expiresAt;
    }

    private final class Limiter implements RateLimiter {
        @Override
        public boolean tryAcquire(String key, int capacity, Duration window) throws SharedStateException {
            open();
            Objects.requireNonNull(key, "key");
            Checks.requireAtLeast(capacity, 1, "capacity");
            Checks.requirePositive(window, "window");
            long now = now();
            if (buckets.size() >= MAX_ENTRIES) {
                buckets.values().removeIf(b -> b.expiresAt <= now);
            }
            boolean[] granted = new boolean[1];
            double millisPerToken = (double) window.toMillis() / capacity;
            buckets.compute(key, (k, b) -> {
                if (b == null || b.expiresAt <= now) {
                    b = new Bucket();
                    b.tokens = capacity;
                    b.last = now;
                }
                double refill = millisPerToken == 0 ? capacity : (now - b.last) / millisPerToken;
                if (refill > 0) {
                    b.tokens = Math.min(capacity, b.tokens + refill);
                    b.last = now;
                }
                if (b.tokens >= 1) {
                    b.tokens -= 1;
                    granted[0] = true;
                }
                b.expiresAt = now + window.toMillis();
                return b;
            });
            return granted[0];
        }
    }

    private final class Counters implements CounterStore {
        @Override
        public void publish(String node, LocalDate day, Map<String, Long> totals) throws SharedStateException {
            open();
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(day, "day");
            Map<String, Long> mine = new TreeMap<>();
            totals.forEach((name, total) -> {
                if (total != 0) {
                    mine.put(name, total);
                }
            });
            synchronized (counters) {
                counters.computeIfAbsent(day, d -> new TreeMap<>()).put(node, mine);
                LocalDate oldest = LocalDate.now(clock).minusDays(KEEP_DAYS);
                counters.keySet().removeIf(d -> d.isBefore(oldest));
            }
        }

        @Override
        public Map<String, Map<String, Long>> read(LocalDate day) throws SharedStateException {
            open();
            synchronized (counters) {
                Map<String, Map<String, Long>> byNode = counters.getOrDefault(day, Map.of());
                Map<String, Map<String, Long>> copy = new TreeMap<>();
                byNode.forEach((n, c) -> copy.put(n, Map.copyOf(c)));
                return copy;
            }
        }
    }

    private static final class Model {
        long version;
        long spam;
        long ham;
        final Map<String, long[]> tokens = new HashMap<>();
        /** The learn journal, oldest first. */
        final LinkedHashMap<String, Learned> journal = new LinkedHashMap<>();
        /** The change log: the tokens each version step changed, oldest first; the first is version logFrom + 1. */
        final ArrayDeque<Set<String>> changes = new ArrayDeque<>();
        /** The version before the change log's first step. */
        long logFrom;
        /** Tokens in the change log. */
        long logTokens;
    }

    private final class Tokens implements TokenStore {
        @Override
        public void learn(String model, Collection<String> tokens, boolean spam) throws SharedStateException {
            open();
            Objects.requireNonNull(model, "model");
            HashSet<String> unique = unique(tokens);
            synchronized (models) {
                count(models.computeIfAbsent(model, k -> new Model()), unique, spam, 1);
            }
        }

        @Override
        public boolean learn(String model, String key, Collection<String> tokens, boolean spam)
                throws SharedStateException {
            open();
            Objects.requireNonNull(model, "model");
            TokenStore.checkKey(key);
            HashSet<String> unique = unique(tokens);
            synchronized (models) {
                Model m = models.computeIfAbsent(model, k -> new Model());
                Learned before = m.journal.get(key);
                if (before != null && before.spam() != spam) {
                    return false;
                }
                count(m, unique, spam, 1);
                m.journal.remove(key); // re-inserted last: the most recent
                m.journal.put(key, new Learned(spam, before == null ? 1 : before.times() + 1));
                if (m.journal.size() > journalLimit) {
                    Iterator<String> oldest = m.journal.keySet().iterator();
                    oldest.next();
                    oldest.remove();
                }
                return true;
            }
        }

        @Override
        public Optional<Learned> learned(String model, String key) throws SharedStateException {
            open();
            Objects.requireNonNull(model, "model");
            TokenStore.checkKey(key);
            synchronized (models) {
                Model m = models.get(model);
                return m == null ? Optional.empty() : Optional.ofNullable(m.journal.get(key));
            }
        }

        @Override
        public Optional<Learned> unlearn(String model, String key, Collection<String> tokens)
                throws SharedStateException {
            open();
            Objects.requireNonNull(model, "model");
            TokenStore.checkKey(key);
            HashSet<String> unique = unique(tokens);
            synchronized (models) {
                Model m = models.get(model);
                Learned was = m == null ? null : m.journal.remove(key);
                if (was == null) {
                    return Optional.empty();
                }
                count(m, unique, was.spam(), -was.times());
                return Optional.of(was);
            }
        }

        private static HashSet<String> unique(Collection<String> tokens) {
            HashSet<String> unique = new HashSet<>(tokens);
            for (String t : unique) {
                Objects.requireNonNull(t, "token");
            }
            return unique;
        }

        /**
         * Adds {@code times} (negative: takes away, never below zero) to the counts; the version moves, and the change
         * log records the tokens of the step (dropping its oldest steps past its bound).
         */
        private void count(Model m, Set<String> tokens, boolean spam, int times) {
            int i = spam ? 0 : 1;
            for (String t : tokens) {
                long[] c = m.tokens.computeIfAbsent(t, k -> new long[2]);
                c[i] = Math.max(0, c[i] + times);
                if (c[0] == 0 && c[1] == 0) {
                    m.tokens.remove(t);
                }
            }
            if (spam) {
                m.spam = Math.max(0, m.spam + times);
            } else {
                m.ham = Math.max(0, m.ham + times);
            }
            m.version++;
            m.changes.addLast(Set.copyOf(tokens));
            m.logTokens += tokens.size();
            while (m.logTokens > changeLogLimit && !m.changes.isEmpty()) {
                m.logTokens -= m.changes.removeFirst().size();
                m.logFrom++;
            }
        }

        @Override
        public Changes changesSince(String model, long version) throws SharedStateException {
            open();
            Objects.requireNonNull(model, "model");
            synchronized (models) {
                Model m = models.get(model);
                long now = m == null ? 0 : m.version;
                if (version > now) {
                    return new Changes.FullReadNeeded(
                            "the store's version " + now + " is before " + version + ": it lost learned data");
                }
                if (m == null) {
                    return new Changes.Delta(0, 0, 0, Map.of());
                }
                if (version < m.logFrom) {
                    return new Changes.FullReadNeeded(
                            "the change log starts after version " + m.logFrom + ", after " + version);
                }
                Map<String, long[]> changed = new HashMap<>();
                Iterator<Set<String>> steps = m.changes.descendingIterator();
                for (long v = now; v > version; v--) {
                    for (String t : steps.next()) {
                        long[] c = m.tokens.get(t);
                        changed.put(t, c == null ? new long[2] : c.clone());
                    }
                }
                return new Changes.Delta(now, m.spam, m.ham, changed);
            }
        }

        @Override
        public long version(String model) throws SharedStateException {
            open();
            synchronized (models) {
                Model m = models.get(model);
                return m == null ? 0 : m.version;
            }
        }

        @Override
        public Snapshot snapshot(String model) throws SharedStateException {
            open();
            synchronized (models) {
                Model m = models.get(model);
                if (m == null) {
                    return new Snapshot(0, 0, 0, Map.of());
                }
                Map<String, long[]> copy = new HashMap<>();
                m.tokens.forEach((t, c) -> copy.put(t, c.clone()));
                return new Snapshot(m.version, m.spam, m.ham, copy);
            }
        }
    }
}
