package org.mailhygiene.scanners.shared;

import java.time.Duration;
import org.mailhygiene.api.shared.CounterStore;
import org.mailhygiene.api.shared.RateLimiter;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.api.shared.TokenStore;
import org.mailhygiene.api.shared.VerdictStore;
import org.mailhygiene.testkit.FakeClock;
import org.mailhygiene.testkit.ForwardingTokenStore;
import org.mailhygiene.testkit.junit.SharedStateContract;

/**
 * The shared-state contract for a store written before the learn journal: its token store implements only the
 * abstract methods and keeps no journal ({@link TokenStore}'s default methods), which the API allows. It must pass
 * everything but the journal's cases, which are skipped.
 */
class NoJournalSharedStateContractTest implements SharedStateContract {
    private final FakeClock clock = FakeClock.start();
    private final SharedState state = withoutJournal(new InProcessSharedState(clock));

    static SharedState withoutJournal(SharedState s) {
        TokenStore plain = ForwardingTokenStore.plain(s.tokens());
        return new SharedState() {
            @Override
            public String description() {
                return "no journal: " + s.description();
            }

            @Override
            public VerdictStore verdicts() {
                return s.verdicts();
            }

            @Override
            public RateLimiter limiter() {
                return s.limiter();
            }

            @Override
            public CounterStore counters() {
                return s.counters();
            }

            @Override
            public TokenStore tokens() {
                return plain;
            }

            @Override
            public void ping() throws SharedStateException {
                s.ping();
            }

            @Override
            public void close() {
                s.close();
            }
        };
    }

    @Override
    public SharedState state() {
        return state;
    }

    @Override
    public void advance(Duration d) {
        clock.advance(d);
    }

    @Override
    public SharedState disposableState() {
        return withoutJournal(new InProcessSharedState(clock));
    }

    @Override
    public SharedState journalLimited(int limit) {
        return withoutJournal(new InProcessSharedState(clock, limit));
    }
}
