package org.mailhygiene.api.events;

import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.Disposition;

/**
 * A listener that counts events; {@link #snapshot()} returns immutable {@link Statistics}.
 *
 * <p>Thread-safe and lock-free on the event path. A snapshot taken while events arrive is not atomic across counters
 * (each counter is exact on its own).
 */
public final class StatisticsRecorder implements HygieneListener {
    private final LongAdder scans = new LongAdder();
    private final Map<Outcome, LongAdder> verdicts = new EnumMap<>(Outcome.class);
    private final Map<ScanFailure.Kind, LongAdder> failures = new EnumMap<>(ScanFailure.Kind.class);
    private final Map<Action, LongAdder> dispositions = new EnumMap<>(Action.class);
    private final LongAdder cacheHits = new LongAdder();
    private final ConcurrentHashMap<String, LongAdder> threats = new ConcurrentHashMap<>();
    private final LongAdder failovers = new LongAdder();
    private final LongAdder updates = new LongAdder();
    private final LongAdder updateFailures = new LongAdder();

    /** Creates a recorder with every counter at zero. */
    public StatisticsRecorder() {
        for (Outcome o : Outcome.values()) {
            verdicts.put(o, new LongAdder());
        }
        for (ScanFailure.Kind k : ScanFailure.Kind.values()) {
            failures.put(k, new LongAdder());
        }
        for (Action a : Action.values()) {
            dispositions.put(a, new LongAdder());
        }
    }

    @Override
    public void scanStarted(String scanner, Message message) {
        scans.increment();
    }

    @Override
    public void scanFinished(Verdict verdict, Message message) {
        countVerdict(verdict);
    }

    @Override
    public void cacheHit(Verdict verdict, Message message) {
        cacheHits.increment();
        countVerdict(verdict);
    }

    private void countVerdict(Verdict verdict) {
        verdicts.get(verdict.outcome()).increment();
        for (String t : verdict.threats()) {
            threats.computeIfAbsent(t, k -> new LongAdder()).increment();
        }
    }

    @Override
    public void scanFailed(ScanFailure failure, Message message) {
        failures.get(failure.kind()).increment();
    }

    @Override
    public void disposition(Disposition disposition, Message message) {
        dispositions.get(disposition.action()).increment();
    }

    @Override
    public void failover(String group, String from, String to, String reason) {
        failovers.increment();
    }

    @Override
    public void signatureUpdate(String updater, boolean success, String detail, Duration elapsed) {
        (success ? updates : updateFailures).increment();
    }

    /**
     * The counters now.
     *
     * @return an immutable snapshot
     */
    public Statistics snapshot() {
        return new Statistics(
                scans.sum(),
                sums(verdicts),
                sums(failures),
                cacheHits.sum(),
                sums(threats),
                sums(dispositions),
                failovers.sum(),
                updates.sum(),
                updateFailures.sum());
    }

    private static <K> Map<K, Long> sums(Map<K, LongAdder> m) {
        Map<K, Long> out = new HashMap<>();
        m.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }
}
