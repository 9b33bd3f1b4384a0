package org.mailhygiene.scanners.spamd;

import java.util.Objects;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.DefaultPolicy;

/**
 * The explicit answer to "what if spamd fails?", written into a {@link DefaultPolicy} with
 * {@link DefaultPolicy.Builder#onFailureOf(String, Action)} for the spam scanner's name. There is no implicit choice:
 * without it, {@link DefaultPolicy} tempfails every failure.
 *
 * <p>The choice covers every failure kind of that scanner, including {@link org.mailhygiene.api.ScanFailure.Kind#TOO_LARGE}:
 * with {@link #TEMPFAIL} a message above the size limit is tempfailed on each retry until the sender gives up, so keep
 * the scanner's size limit above the relay's SMTP {@code SIZE}, or choose {@link #FAIL_OPEN} (what spamc does, but
 * marked).
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
     * Writes this mode into a policy builder for the named scanner.
     *
     * @param policy the builder
     * @param scannerName the spam scanner's {@link org.mailhygiene.api.Scanner#name()}
     * @return the same builder
     * @throws IllegalArgumentException if the name is blank
     */
    public DefaultPolicy.Builder applyTo(DefaultPolicy.Builder policy, String scannerName) {
        return Objects.requireNonNull(policy, "policy").onFailureOf(scannerName, action);
    }
}
