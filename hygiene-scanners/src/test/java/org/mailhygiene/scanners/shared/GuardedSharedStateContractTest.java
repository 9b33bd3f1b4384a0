package org.mailhygiene.scanners.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.api.shared.TokenStore;
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

    @Test
    void aCallersErrorInATokenStoreCallDoesNotMarkTheStoreDown() throws Exception {
        TokenStore t = state.tokens();
        List<String> withNull = Arrays.asList("a", null);
        assertThatThrownBy(() -> t.learn(null, "key", List.of("a"), true)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> t.learn("m", "key", withNull, true)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> t.learn("m", "key", null, true)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> t.unlearn("m", "key", withNull)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> t.learned(null, "key")).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> t.learn("m", withNull, true)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> t.version(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> t.snapshot(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> t.learn("m", "two words", List.of("a"), true))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(state.available()).as("the store is still up").isTrue();
        assertThat(state.outages()).isZero();
        assertThat(t.learn("m", "key", List.of("a"), true)).isTrue();
    }
}
