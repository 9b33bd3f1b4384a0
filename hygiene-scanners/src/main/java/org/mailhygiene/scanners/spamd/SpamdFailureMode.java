package org.mailhygiene.scanners.spamd;

import java.util.Objects;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.DefaultPolicy;

/**
 * The explicit answer to "what if spamd fails?", written into a {@link DefaultPolicy} with
 * {@link DefaultPolicy.Builder#onFailureOf(String, Action)} for the spam scanner's name. There is no implicit choice:
 * without it, {@link DefaultPolicy} tempfails every failure.
 *
 * <p>A message above the scanner's size limit ({@link org.mailhygiene.api.ScanFailure.Kind#TOO_LARGE}) is accepted
 * in both modes, marked with the {@value DefaultPolicy#UNSCANNED_HEADER} header: like spamc, which skips large
 * messages, but never silently. (Tempfailing it would only make the sender retry until it gives up.) Set
 * {@link DefaultPolicy.Builder#onFailureOf(String, org.mailhygiene.api.ScanFailure.Kind, Action)} after
 * {@link #applyTo} to decide otherwise.
 */
public enum SpamdFailureMode {
    /**
     * Deliver unscanned, marked with the {@value DefaultPolicy#UNSCANNED_HEADER} header naming the scanner and the
     * failure kind ({@link Action#ACCEPT} in the policy).
     */
    FAIL_OPEN(Action.ACCEPT),
    /** Refuse temporarily with {@code 451 4.3.0}; the sending server retries later ({@link Action#TEMPFAIL}). */
    TEMPFAIL(Action.TEMPFAIL);

    private final Action action;

    SpamdFailureMode(Action action) {
        this.action = action;
    }

    /**
     * The policy action this mode stands for.
     *
     * @return ACCEPT or TEMPFAIL
     */
    public Action action() {
        return action;
    }

    /**
     * Writes this mode into a policy builder for the named scanner: this mode's action for every failure, except
     * {@link org.mailhygiene.api.ScanFailure.Kind#TOO_LARGE}, which is accepted and marked.
     *
     * @param policy the builder
     * @param scannerName the spam scanner's {@link org.mailhygiene.api.Scanner#name()}
     * @return the same builder
     * @throws IllegalArgumentException if the name is blank
     */
    public DefaultPolicy.Builder applyTo(DefaultPolicy.Builder policy, String scannerName) {
        return Objects.requireNonNull(policy, "policy")
                .onFailureOf(scannerName, action)
                .onFailureOf(scannerName, org.mailhygiene.api.ScanFailure.Kind.TOO_LARGE, Action.ACCEPT);
    }
}
