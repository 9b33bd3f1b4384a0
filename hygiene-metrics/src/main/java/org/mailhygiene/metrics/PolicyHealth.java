package org.mailhygiene.metrics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.ScanResult;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.scanners.ScanPipeline;

/**
 * Whether a node still accepts mail while some of its scanners are down: that depends on its policy, not on the probes
 * alone. Package-private; stateless.
 */
final class PolicyHealth {
    private PolicyHealth() {}

    /**
     * Adds one component per scanner of the pipeline (its probe) to {@code parts}, and tells whether mail still flows:
     * true when no scanner is DOWN, or when the pipeline's policy accepts (or tags) a message that the DOWN scanners
     * failed to scan as {@link ScanFailure.Kind#UNAVAILABLE} and every other scanner called clean (for example
     * {@code SCANNER.on-failure = accept}: delivered marked {@code X-Hygiene-Unscanned}). A policy that tempfails,
     * rejects, quarantines or throws means not.
     *
     * @param pipeline the node's pipeline
     * @param parts where the scanners' components go
     * @return whether the node accepts mail as far as its scanners go
     */
    static boolean scanners(ScanPipeline pipeline, List<HealthReport.Component> parts) {
        Map<String, ScanFailure> down = new HashMap<>();
        for (Scanner s : pipeline.scanners()) {
            HealthReport.Component c = HealthReport.Component.ofScanner(s);
            if (c.state() == HealthReport.State.DOWN) {
                down.put(s.name(), new ScanFailure(s.name(), ScanFailure.Kind.UNAVAILABLE, c.detail(), Duration.ZERO));
            }
            parts.add(c);
        }
        if (down.isEmpty()) {
            return true;
        }
        List<ScanResult> results = new ArrayList<>();
        for (Scanner s : pipeline.scanners()) {
            ScanFailure f = down.get(s.name());
            results.add(f != null ? f : Verdict.clean(s.name(), Duration.ZERO));
        }
        try {
            Action action = pipeline.policy().decide(results).action();
            return action == Action.ACCEPT || action == Action.TAG;
        } catch (RuntimeException e) {
            return false;
        }
    }
}
