package org.mailhygiene.scanners.shared;

import java.time.Duration;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.testkit.FakeClock;
import org.mailhygiene.testkit.junit.SharedStateContract;

class InProcessSharedStateContractTest implements SharedStateContract {
    private final FakeClock clock = FakeClock.start();
    private final InProcessSharedState state = new InProcessSharedState(clock);

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
        return new InProcessSharedState(clock);
    }

    @Override
    public SharedState journalLimited(int limit) {
        return new InProcessSharedState(clock, limit);
    }

    @Override
    public SharedState changeLogLimited(int limit) {
        return new InProcessSharedState(clock, InProcessSharedState.JOURNAL_LIMIT, limit);
    }
}
