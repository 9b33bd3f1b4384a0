package org.mailhygiene.scanners.shared;

import java.time.Clock;

/** In-process states with small bounds, for tests in other packages. */
public final class InProcessStates {
    private InProcessStates() {}

    /**
     * A state on the system clock whose change logs keep at most {@code limit} token changes.
     *
     * @param limit the bound
     * @return a new state
     */
    public static InProcessSharedState withChangeLog(int limit) {
        return new InProcessSharedState(Clock.systemUTC(), InProcessSharedState.JOURNAL_LIMIT, limit);
    }
}
