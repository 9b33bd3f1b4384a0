package org.mailhygiene.api.events;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.LongBinaryOperator;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.policy.Action;

/**
 * An immutable snapshot of counters. Snapshots combine with {@link #plus} and {@link #minus} (for example the counts
 * of one interval are {@code later.minus(earlier)}).
 *
 * <p>Counting rules: {@code scans} counts real scanner calls; {@code verdicts} counts verdicts by outcome including
 * those served from a cache, so a storm of 3,898 identical infected messages shows 3,898 infected verdicts and
 * {@code threats} counts each threat once per verdict naming it.
 *
 * @param scans scanner calls that started
 * @param verdicts verdicts by outcome (cached ones included)
 * @param failures failures by kind
 * @param cacheHits verdicts served from a cache
 * @param threats verdicts per threat name, sorted by name
 * @param dispositions dispositions by action
 * @param failovers calls moved from one failover member to another
 * @param signatureUpdates successful signature update runs
 * @param signatureUpdateFailures failed signature update runs
 */
public record Statistics(
        long scans,
        Map<Outcome, Long> verdicts,
        Map<ScanFailure.Kind, Long> failures,
        long cacheHits,
        Map<String, Long> threats,
        Map<Action, Long> dispositions,
        long failovers,
        long signatureUpdates,
        long signatureUpdateFailures) {

    /** All counters zero. */
    public static final Statistics EMPTY = new Statistics(0, Map.of(), Map.of(), 0, Map.of(), Map.of(), 0, 0, 0);

    /**
     * Copies the maps (dropping zero entries) so the snapshot is immutable.
     *
     * @throws NullPointerException if a map is {@code null}
     */
    public Statistics {
        verdicts = freeze(new EnumMap<>(Outcome.class), verdicts);
        failures = freeze(new EnumMap<>(ScanFailure.Kind.class), failures);
        threats = freeze(new TreeMap<>(), threats);
        dispositions = freeze(new EnumMap<>(Action.class), dispositions);
    }

    private static <K> Map<K, Long> freeze(Map<K, Long> target, Map<K, Long> source) {
        Objects.requireNonNull(source);
        source.forEach((k, v) -> {
            if (v != 0) {
                target.put(k, v);
            }
        });
        return java.util.Collections.unmodifiableMap(target);
    }

    /**
     * The number of verdicts with an outcome.
     *
     * @param outcome the outcome
     * @return the count, 0 when none
     */
    public long verdicts(Outcome outcome) {
        return verdicts.getOrDefault(outcome, 0L);
    }

    /**
     * The number of failures of a kind.
     *
     * @param kind the kind
     * @return the count, 0 when none
     */
    public long failures(ScanFailure.Kind kind) {
        return failures.getOrDefault(kind, 0L);
    }

    /**
     * The total number of failures.
     *
     * @return the sum over all kinds
     */
    public long totalFailures() {
        return failures.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * The number of dispositions with an action.
     *
     * @param action the action
     * @return the count, 0 when none
     */
    public long dispositions(Action action) {
        return dispositions.getOrDefault(action, 0L);
    }

    /**
     * Adds two snapshots counter by counter.
     *
     * @param other the other snapshot
     * @return the sum
     */
    public Statistics plus(Statistics other) {
        return combine(other, Long::sum);
    }

    /**
     * Subtracts a snapshot counter by counter (for the counts of an interval).
     *
     * @param other the earlier snapshot
     * @return the difference
     */
    public Statistics minus(Statistics other) {
        return combine(other, (a, b) -> a - b);
    }

    private Statistics combine(Statistics o, LongBinaryOperator op) {
        return new Statistics(
                op.applyAsLong(scans, o.scans),
                merge(verdicts, o.verdicts, op),
                merge(failures, o.failures, op),
                op.applyAsLong(cacheHits, o.cacheHits),
                merge(threats, o.threats, op),
                merge(dispositions, o.dispositions, op),
                op.applyAsLong(failovers, o.failovers),
                op.applyAsLong(signatureUpdates, o.signatureUpdates),
                op.applyAsLong(signatureUpdateFailures, o.signatureUpdateFailures));
    }

    private static <K> Map<K, Long> merge(Map<K, Long> a, Map<K, Long> b, LongBinaryOperator op) {
        Map<K, Long> out = new java.util.HashMap<>(a);
        b.forEach((k, v) -> out.put(k, op.applyAsLong(out.getOrDefault(k, 0L), v)));
        for (Map.Entry<K, Long> e : a.entrySet()) {
            if (!b.containsKey(e.getKey())) {
                out.put(e.getKey(), op.applyAsLong(e.getValue(), 0L));
            }
        }
        return out;
    }
}
