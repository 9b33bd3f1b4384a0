package org.mailhygiene.api;

import java.time.Duration;

/**
 * The result of asking one scanner about one message: either a {@link Verdict} (the scanner looked and concluded) or a
 * {@link ScanFailure} (it could not). The set is closed, so a policy handles every case.
 */
public sealed interface ScanResult permits Verdict, ScanFailure {

    /**
     * The name of the scanner this result came from.
     *
     * @return the scanner's {@link Scanner#name()}
     */
    String scanner();

    /**
     * Wall time spent, including network and queueing.
     *
     * @return a non-negative duration
     */
    Duration elapsed();

    /**
     * Whether this is a failure rather than a verdict.
     *
     * @return {@code true} for a {@link ScanFailure}
     */
    default boolean isFailure() {
        return this instanceof ScanFailure;
    }
}
