package org.mailhygiene.scanners;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.ScanResult;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.Disposition;
import org.mailhygiene.internal.Checks;

/**
 * What a {@link ScanPipeline} found out about one message: one result per scanner that was asked, the policy's
 * decision, and the time the whole scan took.
 *
 * <p>Immutable and thread-safe.
 *
 * @param results one result per scanner, in the configured scanner order; scanners skipped after an infection (with
 *     {@link ScanPipeline.Builder#stopOnFirstInfection(boolean)}) have none
 * @param disposition the policy's decision about these results
 * @param elapsed wall time of the whole scan, measured with the pipeline's nano clock
 */
public record ScanReport(List<ScanResult> results, Disposition disposition, Duration elapsed) {

    /**
     * Validates and copies the components.
     *
     * @throws NullPointerException if a component or a result is {@code null}
     * @throws IllegalArgumentException if {@code elapsed} is negative
     */
    public ScanReport {
        results = List.copyOf(Objects.requireNonNull(results, "results"));
        Objects.requireNonNull(disposition, "disposition");
        Checks.requireNonNegative(elapsed, "elapsed");
    }

    /**
     * The verdicts among the results.
     *
     * @return the verdicts, in scanner order
     */
    public List<Verdict> verdicts() {
        List<Verdict> out = new ArrayList<>();
        for (ScanResult r : results) {
            if (r instanceof Verdict v) {
                out.add(v);
            }
        }
        return out;
    }

    /**
     * The failures among the results.
     *
     * @return the failures, in scanner order
     */
    public List<ScanFailure> failures() {
        List<ScanFailure> out = new ArrayList<>();
        for (ScanResult r : results) {
            if (r instanceof ScanFailure f) {
                out.add(f);
            }
        }
        return out;
    }
}
