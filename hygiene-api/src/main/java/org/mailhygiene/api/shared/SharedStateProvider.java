package org.mailhygiene.api.shared;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * Opens a {@link SharedState} for a URL; found with {@link java.util.ServiceLoader}. The hygiene-redis module provides
 * one for {@code redis}, {@code rediss}, {@code redis-sentinel}, {@code rediss-sentinel}, {@code redis-cluster} and
 * {@code rediss-cluster} URLs.
 */
public interface SharedStateProvider {
    /**
     * Opens the store the URL names, if this provider handles its scheme. Opening does not require the store to be
     * reachable: a node must start while its store is down.
     *
     * @param url the store's URL
     * @param callTimeout the bound on every call, positive
     * @return the state, or empty if the scheme is not this provider's
     * @throws IllegalArgumentException if the scheme is this provider's but the URL is malformed (the message says
     *     what is wrong)
     */
    Optional<SharedState> open(URI url, Duration callTimeout);

    /**
     * Opens the store a URL given as text names, if this provider handles its scheme. A provider whose URLs
     * {@link URI} cannot hold overrides this: {@code java.net.URI} refuses several bracketed IPv6 hosts in one
     * authority ({@code redis-sentinel://[::1]:26379,[::1]:26380/mymaster}). The default parses the text as a
     * {@link URI} and calls {@link #open(URI, Duration)}; text that is no URI is not this provider's (empty).
     *
     * @param url the store's URL
     * @param callTimeout the bound on every call, positive
     * @return the state, or empty if the URL is not this provider's
     * @throws IllegalArgumentException if the scheme is this provider's but the URL is malformed (the message says
     *     what is wrong)
     */
    default Optional<SharedState> open(String url, Duration callTimeout) {
        URI u;
        try {
            u = new URI(url);
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
        return open(u, callTimeout);
    }

    /**
     * The URL schemes this provider handles, in lower case, for error messages: a URL whose scheme no provider
     * handles is refused with the schemes the providers on the class path do handle (a misspelt {@code rdis://}
     * then reads as such, not as a missing module). The default is empty (unknown); a provider should override it.
     *
     * @return the schemes, never null
     */
    default Set<String> schemes() {
        return Set.of();
    }
}
