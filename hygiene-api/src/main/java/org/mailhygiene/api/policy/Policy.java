package org.mailhygiene.api.policy;

import java.util.List;
import org.mailhygiene.api.ScanResult;

/**
 * Turns the scan results of one message into one {@link Disposition}. Implementations are pure functions of their
 * input and configuration and thread-safe.
 *
 * <p>Contract: a {@link org.mailhygiene.api.ScanFailure} must never lead to an unconditional, unmarked
 * {@link Action#ACCEPT}; and an empty result list (nothing scanned the message) must not be accepted either.
 */
@FunctionalInterface
public interface Policy {

    /**
     * Decides what happens to a message.
     *
     * @param results one result per scanner that was asked, in the configured scanner order
     * @return the disposition, never {@code null}
     */
    Disposition decide(List<ScanResult> results);
}
