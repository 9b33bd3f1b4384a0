package org.mailhygiene.api.shared;

import java.util.Optional;

/**
 * One connection to a shared-state store: the four kinds of state a node may share, and the store's reachability.
 *
 * <p>Implementations are thread-safe; {@link #close()} releases connections and is idempotent. A node that cannot reach
 * the store keeps working on its local state; see the package description.
 */
public interface SharedState extends AutoCloseable {
    /**
     * Where the state lives, for logs and {@code /health} (passwords removed).
     *
     * @return a description such as {@code redis://127.0.0.1:6379/0}
     */
    String description();

    /**
     * Shared verdicts.
     *
     * @return the verdict store
     */
    VerdictStore verdicts();

    /**
     * Shared rate-limit buckets.
     *
     * @return the limiter
     */
    RateLimiter limiter();

    /**
     * Shared statistics counters.
     *
     * @return the counter store
     */
    CounterStore counters();

    /**
     * Shared classifier token counts.
     *
     * @return the token store
     */
    TokenStore tokens();

    /**
     * Checks that the store answers now (one round trip).
     *
     * @throws SharedStateException if it does not
     */
    void ping() throws SharedStateException;

    /**
     * Checks with a harmless write that the store takes the writes a node makes, for a configuration check before a
     * start ({@code hygiene relay --check}): a store can answer {@link #ping()} and still refuse every write (a
     * read-only replica, a store out of memory that may not evict, a user without write permission, wrong
     * credentials), which a node would otherwise learn only at its first write. What is written is removed again and
     * expires by itself within seconds if it cannot be.
     *
     * <p>The default asks {@link #ping()} and reports no refusal: right for a store that takes every write it answers
     * (the in-process one). A store that can answer and refuse writes overrides it. Thread-safe as the store is;
     * blocks up to the store's call bounds.
     *
     * @return empty when the store took the write; otherwise its refusal in one line for an administrator (the
     *     server's words and what to change), never a password
     * @throws SharedStateException if the store could not be asked now (unreachable, timed out, not found): a state
     *     that may pass, unlike a refusal
     */
    default Optional<String> writeRefusal() throws SharedStateException {
        ping();
        return Optional.empty();
    }

    /**
     * How many verdicts read from the store were refused for failing its integrity check (a store that signs verdicts
     * refuses one that is unsigned or whose signature does not verify: a miss, so the node scans), since the store was
     * opened. For monitoring ({@code hygiene_shared_verdicts_refused_total}); the count never goes down.
     *
     * <p>The default is 0: right for a store that checks nothing (the in-process one). Thread-safe; never blocks.
     *
     * @return the count
     */
    default long refusedVerdicts() {
        return 0;
    }

    /** Releases connections. Further calls fail with {@link SharedStateException}. */
    @Override
    void close();
}
