package org.mailhygiene.cli;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.mailhygiene.api.shared.CounterStore;
import org.mailhygiene.api.shared.RateLimiter;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.api.shared.SharedStateProvider;
import org.mailhygiene.api.shared.TokenStore;
import org.mailhygiene.api.shared.VerdictStore;
import org.mailhygiene.scanners.shared.InProcessSharedState;
import org.mailhygiene.testkit.ForwardingTokenStore;

/**
 * {@code racing-test:} for {@code hygiene learn --redis}: one in-process store for the whole test run, whose {@link
 * TokenStore#learned} lets another learner forget the record it has just read before the caller acts on it (as a
 * second administrator making the same correction at the same moment would).
 */
public final class RacingSharedStateProvider implements SharedStateProvider {
    /** The store every {@code racing-test:} URL opens. */
    static final InProcessSharedState STORE = new InProcessSharedState(Clock.systemUTC());

    @Override
    public Optional<SharedState> open(URI url, Duration callTimeout) {
        if (!"racing-test".equals(url.getScheme())) {
            return Optional.empty();
        }
        TokenStore t = STORE.tokens();
        TokenStore racing = new ForwardingTokenStore(t) {
            @Override
            public Optional<Learned> learned(String model, String key) throws SharedStateException {
                Optional<Learned> rec = t.learned(model, key);
                t.unlearn(model, key, java.util.List.of()); // the other learner, at the same moment
                return rec;
            }
        };
        return Optional.of(new SharedState() {
            @Override
            public String description() {
                return "racing-test";
            }

            @Override
            public VerdictStore verdicts() {
                return STORE.verdicts();
            }

            @Override
            public RateLimiter limiter() {
                return STORE.limiter();
            }

            @Override
            public CounterStore counters() {
                return STORE.counters();
            }

            @Override
            public TokenStore tokens() {
                return racing;
            }

            @Override
            public void ping() {}

            @Override
            public void close() {}
        });
    }
}
