package org.mailhygiene.api.shared;

import java.time.Duration;

/**
 * Token buckets shared between nodes: {@code capacity} events per {@code window} for each key, refilled continuously,
 * bursts up to {@code capacity}. Taking a token is atomic across every node that uses the same store, so a client that
 * spreads its connections over several nodes gets the limit once, not once per node.
 *
 * <p>Implementations are thread-safe; buckets that are full again are forgotten, so memory stays bounded by the number
 * of keys active within about one window.
 */
public interface RateLimiter {
    /**
     * Takes one token from the bucket {@code key}.
     *
     * @param key the bucket, e.g. {@code conn:192.0.2.7} (the caller chooses the naming)
     * @param capacity tokens per window, {@code >= 1}
     * @param window the refill period for {@code capacity} tokens, positive
     * @return {@code true} if a token was taken (the event is within the limit)
     * @throws SharedStateException if the store did not answer
     */
    boolean tryAcquire(String key, int capacity, Duration window) throws SharedStateException;
}
