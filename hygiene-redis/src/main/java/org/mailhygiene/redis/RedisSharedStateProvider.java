package org.mailhygiene.redis;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.api.shared.SharedStateProvider;

/**
 * Opens {@link RedisSharedState} for {@code redis}, {@code redis-sentinel} and {@code redis-cluster} URLs and their TLS
 * forms {@code rediss}, {@code rediss-sentinel} and {@code rediss-cluster}; registered with
 * {@link java.util.ServiceLoader}. Stateless; thread-safe.
 */
public final class RedisSharedStateProvider implements SharedStateProvider {
    /** Creates the provider (for the service loader). */
    public RedisSharedStateProvider() {}

    @Override
    public Optional<SharedState> open(URI url, Duration callTimeout) {
        if (!RedisUrl.handles(url.getScheme())) {
            return Optional.empty();
        }
        return Optional.of(RedisSharedState.open(RedisUrl.parse(url.toString()), callTimeout));
    }

    /**
     * {@inheritDoc}
     *
     * <p>Reads the text itself ({@link RedisUrl#parse}), so a {@code redis-sentinel://} or {@code redis-cluster://}
     * URL may list several bracketed IPv6 hosts, which {@link URI} refuses.
     */
    @Override
    public Optional<SharedState> open(String url, Duration callTimeout) {
        int colon = url.indexOf("://");
        if (colon <= 0 || !RedisUrl.handles(url.substring(0, colon))) {
            return Optional.empty();
        }
        return Optional.of(RedisSharedState.open(RedisUrl.parse(url), callTimeout));
    }

    /**
     * {@inheritDoc}
     *
     * @return {@code redis}, {@code rediss}, {@code redis-sentinel}, {@code rediss-sentinel}, {@code redis-cluster}
     *     and {@code rediss-cluster}
     */
    @Override
    public Set<String> schemes() {
        return RedisUrl.schemes();
    }
}
