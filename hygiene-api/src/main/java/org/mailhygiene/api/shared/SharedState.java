package org.mailhygiene.api.shared;

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

    /** Releases connections. Further calls fail with {@link SharedStateException}. */
    @Override
    void close();
}
