package org.mailhygiene.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.util.Locale;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.events.HygieneListener;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.Disposition;

/**
 * The scan pipeline's meters: a {@link HygieneListener} to hand to a {@code ScanPipeline} (or a node, or a milter),
 * and a Micrometer {@link MeterBinder} to publish what it counted in one or more registries.
 *
 * <p>Meters (Micrometer names; the Prometheus text format writes dots as underscores and adds {@code _seconds} and
 * {@code _total}):
 *
 * <ul>
 *   <li>{@code hygiene.scan.duration} timer with a histogram (buckets from 1 ms to 2 min), tags {@code scanner} and
 *       {@code result} ({@code clean}, {@code infected}, {@code spam}, {@code suspicious} or {@code failed}): the time
 *       each scanner took per message;
 *   <li>{@code hygiene.scan.verdicts} counter, tags {@code scanner}, {@code outcome}: every verdict a message got, those
 *       answered from the verdict cache included (they are counted in {@code hygiene.scan.cache.hits} too; the
 *       duration timer counts only the scans that ran);
 *   <li>{@code hygiene.scan.failures} counter, tags {@code scanner}, {@code kind} (the {@code ScanFailure.Kind});
 *   <li>{@code hygiene.scan.cache.hits} counter, tag {@code scanner};
 *   <li>{@code hygiene.dispositions} counter, tag {@code action} ({@code accept}, {@code tag}, {@code quarantine},
 *       {@code discard}, {@code reject}, {@code tempfail});
 *   <li>{@code hygiene.failover.events} counter, tags {@code group}, {@code member}, {@code event} ({@code failover},
 *       {@code down}, {@code up});
 *   <li>{@code hygiene.signature.updates} counter, tags {@code updater}, {@code result} ({@code ok}, {@code failed}).
 * </ul>
 *
 * <p>Binding: {@link #bindTo(MeterRegistry)} may be called for several registries (for example the admin server's
 * Prometheus registry and an embedding application's own); every event is recorded in each registry bound at the time
 * (a registry bound later counts from then on; until one is bound, events are counted nowhere).
 *
 * <p>Thread-safe; every listener method is fast and never throws.
 */
public final class ScanMetrics implements HygieneListener, MeterBinder {
    /** The histogram's lowest bucket boundary. */
    private static final Duration MIN_EXPECTED = Duration.ofMillis(1);
    /** The histogram's highest bucket boundary (the pipeline's default deadline). */
    private static final Duration MAX_EXPECTED = Duration.ofMinutes(2);

    private final CompositeMeterRegistry registry = new CompositeMeterRegistry();

    /** Creates meters bound to no registry yet. */
    public ScanMetrics() {}

    /**
     * Publishes the meters in {@code target} as well (see the class description).
     *
     * @param target the registry
     */
    /**
     * {@inheritDoc}
     *
     * <p>{@code hygiene_dispositions_total} is published at 0 for every action at once, so that a query over it (an
     * alert on {@code increase(...{action="reject"}[5m])}) sees the first message of each kind; so are the counters of
     * the scanners named to {@link #expectScanners}; the meters of other scanners appear with their first event.
     */
    @Override
    public void bindTo(MeterRegistry target) {
        registry.add(target);
        for (Action a : Action.values()) {
            dispositions(a);
        }
        for (String scanner : expected) {
            publishAtZero(scanner);
        }
    }

    /** The scanners whose counters are published at 0. */
    private final java.util.Set<String> expected = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Publishes the counters of these scanners at 0 for every label value they can take
     * ({@code hygiene.scan.verdicts} per outcome, {@code hygiene.scan.failures} per kind,
     * {@code hygiene.scan.cache.hits}), in the registries bound now and later: an alert on
     * {@code increase(hygiene_scan_failures_total{kind="timed_out"}[5m])} then sees the first failure, which a
     * counter that appeared with it hid (there was no earlier value to increase from). The scan time histograms still
     * appear with their first scan (each is some 70 series). Call it again after a reload with the new scanners; names
     * already given stay published. Thread-safe.
     *
     * @param scanners the scanners' names ({@link org.mailhygiene.api.Scanner#name()})
     * @return this
     * @throws NullPointerException if {@code scanners} or a name is {@code null}
     */
    public ScanMetrics expectScanners(java.util.Collection<String> scanners) {
        for (String scanner : scanners) {
            java.util.Objects.requireNonNull(scanner, "scanner");
            expected.add(scanner);
            publishAtZero(scanner);
        }
        return this;
    }

    private void publishAtZero(String scanner) {
        for (org.mailhygiene.api.Outcome o : org.mailhygiene.api.Outcome.values()) {
            verdicts(scanner, lower(o.name()));
        }
        for (ScanFailure.Kind k : ScanFailure.Kind.values()) {
            failures(scanner, k);
        }
        cacheHits(scanner);
    }

    @Override
    public void scanFinished(Verdict verdict, Message message) {
        String outcome = lower(verdict.outcome().name());
        timer(verdict.scanner(), outcome).record(verdict.elapsed());
        verdicts(verdict.scanner(), outcome).increment();
    }

    private Counter verdicts(String scanner, String outcome) {
        return Counter.builder("hygiene.scan.verdicts")
                .description("verdicts per scanner and outcome")
                .tag("scanner", scanner)
                .tag("outcome", outcome)
                .register(registry);
    }

    private Counter failures(String scanner, ScanFailure.Kind kind) {
        return Counter.builder("hygiene.scan.failures")
                .description("scanner failures by kind")
                .tag("scanner", scanner)
                .tag("kind", lower(kind.name()))
                .register(registry);
    }

    private Counter cacheHits(String scanner) {
        return Counter.builder("hygiene.scan.cache.hits")
                .description("verdicts answered from the verdict cache")
                .tag("scanner", scanner)
                .register(registry);
    }

    @Override
    public void scanFailed(ScanFailure failure, Message message) {
        timer(failure.scanner(), "failed").record(failure.elapsed());
        failures(failure.scanner(), failure.kind()).increment();
    }

    @Override
    public void cacheHit(Verdict verdict, Message message) {
        cacheHits(verdict.scanner()).increment();
        // A verdict all the same, as StatisticsRecorder counts it: in a virus storm all but the first infected verdicts
        // come from the cache, which hygiene_scan_verdicts_total{outcome="infected"} left out (audit, session 39).
        verdicts(verdict.scanner(), lower(verdict.outcome().name())).increment();
    }

    @Override
    public void disposition(Disposition disposition, Message message) {
        dispositions(disposition.action()).increment();
    }

    private Counter dispositions(Action action) {
        return Counter.builder("hygiene.dispositions")
                .description("policy decisions per message")
                .tag("action", lower(action.name()))
                .register(registry);
    }

    @Override
    public void failover(String group, String from, String to, String reason) {
        failoverEvent(group, from, "failover");
    }

    @Override
    public void memberDown(String group, String member, String reason, Duration backoff) {
        failoverEvent(group, member, "down");
    }

    @Override
    public void memberUp(String group, String member) {
        failoverEvent(group, member, "up");
    }

    @Override
    public void signatureUpdate(String updater, boolean success, String detail, Duration elapsed) {
        Counter.builder("hygiene.signature.updates")
                .description("signature update runs")
                .tag("updater", updater)
                .tag("result", success ? "ok" : "failed")
                .register(registry)
                .increment();
    }

    private void failoverEvent(String group, String member, String event) {
        Counter.builder("hygiene.failover.events")
                .description("failover group events: a call moved on, a member marked down or up")
                .tag("group", group)
                .tag("member", member)
                .tag("event", event)
                .register(registry)
                .increment();
    }

    private Timer timer(String scanner, String result) {
        return Timer.builder("hygiene.scan.duration")
                .description("time per scan, by scanner and result")
                .tag("scanner", scanner)
                .tag("result", result)
                .publishPercentileHistogram()
                .minimumExpectedValue(MIN_EXPECTED)
                .maximumExpectedValue(MAX_EXPECTED)
                .register(registry);
    }

    private static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}
