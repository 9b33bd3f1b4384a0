package org.mailhygiene.smtp.queue;

import java.util.ArrayList;
import java.util.List;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.ScanResult;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.DefaultPolicy;
import org.mailhygiene.internal.Scores;

/**
 * The text a node's per-message log line gives for a message's scan ({@code verdicts=[...] disposition=TAG}), as kept
 * in its spool record ({@link QueuedMessage#scan()}) so that a delivery after a restart, a crash included, still says
 * what the scan found instead of {@code verdicts=?}. Stateless and thread-safe.
 */
public final class ScanNote {
    /** A bounce the node wrote (not scanned). */
    public static final String BOUNCE = "verdicts=- disposition=BOUNCE";

    /** A relayed or delay notice the node wrote (not scanned). */
    public static final String NOTICE = "verdicts=- disposition=NOTICE";

    /**
     * A message released from quarantine (scanned when it arrived: its verdicts are in the quarantine log line).
     */
    public static final String RELEASED = "verdicts=- disposition=RELEASED";

    private ScanNote() {}

    /**
     * The log text of a scan: {@code verdicts=[builtin:CLEAN bayes:SPAM(0.93/0.8)] disposition=TAG}, each verdict as
     * {@code SCANNER:OUTCOME}, its threats and its score over its threshold in parentheses, a clean verdict that names
     * what its scanner could not search as {@code SCANNER:CLEAN(NOT_READ)} ({@link DefaultPolicy#NOT_READ_RULE}: the
     * policy's {@code onNotRead} may hold or refuse it), a failure as {@code SCANNER:FAILED(KIND)}.
     *
     * @param results the scan's results, in order
     * @param action what was done with the message
     * @return the text
     * @throws NullPointerException if an argument is {@code null}
     */
    public static String of(List<ScanResult> results, Action action) {
        return "verdicts=" + verdicts(results) + " disposition=" + action.name();
    }

    /**
     * The {@code [...]} list of {@link #of}: the verdicts and failures of a scan.
     *
     * @param results the scan's results, in order
     * @return the list, {@code []} for none
     * @throws NullPointerException if {@code results} is {@code null}
     */
    public static String verdicts(List<ScanResult> results) {
        List<String> out = new ArrayList<>();
        for (ScanResult r : results) {
            if (r instanceof Verdict v) {
                StringBuilder sb = new StringBuilder(v.scanner()).append(':').append(v.outcome());
                if (!v.threats().isEmpty()) {
                    sb.append('(').append(String.join(",", v.threats())).append(')');
                }
                if (v.outcome() == Outcome.CLEAN
                        && v.rules().stream().anyMatch(rule -> rule.name().equals(DefaultPolicy.NOT_READ_RULE))) {
                    sb.append('(').append(DefaultPolicy.NOT_READ_RULE).append(')');
                }
                if (v.score().isPresent()) {
                    sb.append('(').append(Scores.format(v.score().getAsDouble()));
                    v.threshold().ifPresent(t -> sb.append('/').append(Scores.format(t)));
                    sb.append(')');
                }
                out.add(sb.toString());
            } else if (r instanceof ScanFailure f) {
                out.add(f.scanner() + ":FAILED(" + f.kind() + ")");
            }
        }
        return "[" + String.join(" ", out) + "]";
    }
}
