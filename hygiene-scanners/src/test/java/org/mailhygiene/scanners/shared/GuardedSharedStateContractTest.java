package org.mailhygiene.scanners.shared;

import java.time.Duration;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.testkit.FakeClock;
import org.mailhygiene.testkit.junit.SharedStateContract;

/** The shared-state contract through the guard: it must pass every operation on, the learn journal's included. */
class GuardedSharedStateContractTest implements SharedStateContract {
    private final FakeClock clock = FakeClock.start();
    private final GuardedSharedState state = new GuardedSharedState(new InProcessSharedState(clock), clock);

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
        return new GuardedSharedState(new InProcessSharedState(clock), clock);
    }

    @Override
    public SharedState journalLimited(int limit) {
        return new GuardedSharedState(new InProcessSharedState(clock, limit), clock);
    }
}
