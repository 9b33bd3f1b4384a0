package org.mailhygiene.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.api.Health;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.scanners.shared.GuardedSharedState;
import org.mailhygiene.smtp.delivery.DeliveryListener;
import org.mailhygiene.smtp.delivery.Endpoint;
import org.mailhygiene.smtp.delivery.RecipientResult;
import org.mailhygiene.smtp.queue.Quarantine;
import org.mailhygiene.smtp.queue.QueuedMessage;
import org.mailhygiene.smtp.server.SessionListener;
import org.mailhygiene.smtp.topology.Node;

/**
 * A relay node's meters, beyond the scanning ones of {@link ScanMetrics}: register it on the node's builder as a
 * {@linkplain Node.Builder#sessionListener session listener} and a {@linkplain Node.Builder#deliveryListener delivery
 * listener}, then {@linkplain #watch(Node) watch} the built node and {@linkplain #bindTo bind} it to registries.
 *
 * <p>Meters (Micrometer names):
 *
 * <ul>
 *   <li>{@code hygiene.queue.size} gauge: messages the delivery agent holds (delivering, waiting for a retry);
 *   <li>{@code hygiene.queue.oldest.age} gauge, seconds: age of the oldest of them (0 when empty);
 *   <li>{@code hygiene.smtp.sessions.active} gauge: open SMTP sessions;
 *   <li>{@code hygiene.deliveries} counter, tag {@code result} ({@code delivered}, {@code deferred},
 *       {@code failed}), per recipient and attempt;
 *   <li>{@code hygiene.bounces} counter: bounces stored for the senders of failed mail (the statistics' {@code
 *       bounced}; until session 52 double bounces too);
 *   <li>{@code hygiene.double.bounces} counter: double bounces stored, failure reports to the postmaster for failed mail
 *       from {@code <>} (the statistics' {@code double_bounced});
 *   <li>{@code hygiene.smtp.tls.sessions} counter, tag {@code protocol}: completed STARTTLS handshakes;
 *   <li>{@code hygiene.smtp.tls.failures} counter: STARTTLS handshakes that failed (the reasons are logged);
 *   <li>{@code hygiene.smtp.tls.certificate.expiry} gauge, seconds: time left until the end of validity
 *       ({@code notAfter}) of the certificate STARTTLS presents now, read at each scrape (so a renewed certificate
 *       shows after the reload that put it in use); negative once it has expired, NaN when the node offers no
 *       STARTTLS or is not {@linkplain #watch watched};
 *   <li>{@code hygiene.smtp.refusals} counter, tags {@code reason} (see {@link SessionListener#refused}) and
 *       {@code code};
 *   <li>{@code hygiene.shared.available} gauge: 1 while the shared state (Redis) answers, 0 while the node runs on
 *       local state or shares nothing;
 *   <li>{@code hygiene.shared.fallbacks} counter: shared-state calls that failed or were skipped while it was down;
 *   <li>{@code hygiene.shared.outages} counter: times the shared state went from reachable to down;
 *   <li>{@code hygiene.shared.verdict.hits} counter: local verdict-cache misses answered by another node's scan;
 *   <li>{@code hygiene.shared.verdicts.refused} counter: verdicts read from the shared store and refused for a missing
 *       or bad signature, a signed expiry past (by more than 5 s) or the earlier format {@code mhs1} ({@code
 *       redis-verdict-key}), each a miss.
 * </ul>
 *
 * <p>Dispositions of scanned messages (rejected, tempfailed, quarantined) are {@link ScanMetrics}'
 * {@code hygiene.dispositions}. Bind semantics as in {@link ScanMetrics}. Thread-safe; the listener methods are fast
 * and never throw. Needs hygiene-smtp on the class path (an optional dependency of this module).
 */
public final class RelayMetrics implements SessionListener, DeliveryListener, MeterBinder {
    private final CompositeMeterRegistry registry = new CompositeMeterRegistry();
    private final Clock clock;
    private volatile Node node;

    /**
     * Creates the metrics, with the system clock for the queue's age; the meters appear in each registry it is
     * {@linkplain #bindTo bound} to.
     */
    public RelayMetrics() {
        this(Clock.systemUTC());
    }

    /**
     * Creates the metrics; the meters appear in each registry it is {@linkplain #bindTo bound} to.
     *
     * @param clock the clock the queue's age is measured with (the node's)
     */
    public RelayMetrics(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * The node whose queue and sessions the gauges show.
     *
     * @param value the node (built; the gauges read 0 until it is started)
     * @return this
     */
    public RelayMetrics watch(Node value) {
        this.node = Objects.requireNonNull(value, "node");
        return this;
    }

    private double oldestAgeSeconds() {
        Node n = node;
        if (n == null) {
            return 0;
        }
        Optional<Instant> oldest = n.relay().delivery().oldestQueuedAt();
        if (oldest.isEmpty()) {
            return 0;
        }
        Duration age = Duration.between(oldest.get(), clock.instant());
        return age.isNegative() ? 0 : age.toMillis() / 1000.0;
    }

    private double shared(java.util.function.ToDoubleFunction<GuardedSharedState> f) {
        Node n = node;
        if (n == null) {
            return 0;
        }
        return n.sharedState().map(f::applyAsDouble).orElse(0.0);
    }

    /** The verdict cache read at the previous scrape, and the hits of the caches it replaced (guarded by this). */
    private org.mailhygiene.scanners.VerdictCache lastCache;

    private long retiredSharedHits;

    /**
     * The shared verdict hits since the start. Each reload builds a new pipeline with a new verdict cache that counts
     * from 0 (until session 50 the counter went back to 0 at each reload); the cache a reload replaced adds what it
     * counted when the next scrape finds the new one. Hits of a pipeline that a second reload replaced before any
     * scrape saw it are not counted: the counter never goes down, it may miss those.
     */
    private synchronized double sharedVerdictHits() {
        Node n = node;
        org.mailhygiene.scanners.VerdictCache cache =
                n == null ? null : n.pipeline().cache().orElse(null);
        if (cache != lastCache) {
            if (lastCache != null) {
                retiredSharedHits += lastCache.sharedHits();
            }
            lastCache = cache;
        }
        return retiredSharedHits + (cache == null ? 0 : cache.sharedHits());
    }

    private double tlsCertificateExpirySeconds() {
        Node n = node;
        if (n == null) {
            return Double.NaN;
        }
        return n.tlsCertificate()
                .map(c -> Duration.between(clock.instant(), c.getNotAfter().toInstant())
                                .toMillis()
                        / 1000.0)
                .orElse(Double.NaN);
    }

    private double activeSessions() {
        Node n = node;
        return n == null || !n.running() ? 0 : n.relay().activeSessions();
    }

    /**
     * The meters that read the node when scraped (gauges and function counters), registered in {@code target}
     * itself: registered in the composite before a registry was bound, they made Micrometer warn at every start
     * that recordings made before the binding are lost, although these meters record nothing.
     */
    private void functionMeters(MeterRegistry target) {
        Gauge.builder(
                        "hygiene.queue.size",
                        this,
                        m -> m.node == null ? 0 : m.node.relay().delivery().queued())
                .description("messages in the delivery queue")
                .register(target);
        Gauge.builder("hygiene.queue.oldest.age", this, RelayMetrics::oldestAgeSeconds)
                .description("age of the oldest message in the delivery queue")
                .baseUnit("seconds")
                .register(target);
        Gauge.builder("hygiene.smtp.sessions.active", this, RelayMetrics::activeSessions)
                .description("open SMTP sessions")
                .register(target);
        Gauge.builder("hygiene.smtp.tls.certificate.expiry", this, RelayMetrics::tlsCertificateExpirySeconds)
                .description("time left until the STARTTLS certificate in use expires (negative once it has; NaN"
                        + " without STARTTLS)")
                .baseUnit("seconds")
                .register(target);
        Gauge.builder("hygiene.shared.available", this, m -> m.shared(g -> g.available() ? 1 : 0))
                .description("1 while the shared state (redis key) answers, 0 while the node runs on local state;"
                        + " absent sharing reads 0")
                .register(target);
        FunctionCounter.builder("hygiene.shared.fallbacks", this, m -> m.shared(GuardedSharedState::fallbacks))
                .description("shared-state calls that failed or were skipped while it was down (local state used)")
                .register(target);
        FunctionCounter.builder("hygiene.shared.outages", this, m -> m.shared(GuardedSharedState::outages))
                .description("times the shared state went from reachable to down")
                .register(target);
        FunctionCounter.builder("hygiene.shared.verdict.hits", this, RelayMetrics::sharedVerdictHits)
                .description("local verdict-cache misses answered by another node's scan")
                .register(target);
        FunctionCounter.builder(
                        "hygiene.shared.verdicts.refused", this, m -> m.shared(GuardedSharedState::refusedVerdicts))
                .description("verdicts read from the shared store and refused for a missing or bad signature, a"
                        + " signed expiry past, or the earlier format mhs1 (verdict-key; each a miss, the message was"
                        + " scanned)")
                .register(target);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The counters without labels or with a fixed set of them ({@code hygiene_deliveries_total} by result,
     * {@code hygiene_bounces_total}, {@code hygiene_double_bounces_total}, {@code hygiene_smtp_tls_failures_total}) are
     * published at 0 at once, so that a
     * query over them sees the first event; those labelled by reason or protocol appear with their first event.
     */
    @Override
    public void bindTo(MeterRegistry target) {
        registry.add(target);
        functionMeters(target);
        for (String result : List.of("delivered", "deferred", "failed")) {
            deliveries(result);
        }
        bounces();
        doubleBounces();
        tlsFailures();
    }

    @Override
    public void refused(InetAddress client, String reason, int code) {
        Counter.builder("hygiene.smtp.refusals")
                .description("connections, commands and messages refused, by reason")
                .tag("reason", reason)
                .tag("code", Integer.toString(code))
                .register(registry)
                .increment();
    }

    @Override
    public void tlsEstablished(InetAddress client, String protocol, String cipherSuite) {
        Counter.builder("hygiene.smtp.tls.sessions")
                .description("completed STARTTLS handshakes")
                .tag("protocol", protocol)
                .register(registry)
                .increment();
    }

    @Override
    public void tlsFailed(InetAddress client, String reason) {
        tlsFailures().increment();
    }

    private Counter tlsFailures() {
        return Counter.builder("hygiene.smtp.tls.failures")
                .description("failed STARTTLS handshakes")
                .register(registry);
    }

    @Override
    public void transaction(QueuedMessage message, Optional<Endpoint> endpoint, List<RecipientResult> results) {
        for (RecipientResult r : results) {
            String result = switch (r.outcome()) {
                case DELIVERED -> "delivered";
                case PERMANENT -> "failed";
                default -> "deferred";
            };
            deliveries(result).increment();
        }
    }

    private Counter deliveries(String result) {
        return Counter.builder("hygiene.deliveries")
                .description("delivery attempts per recipient, by result")
                .tag("result", result)
                .register(registry);
    }

    @Override
    public void bounced(QueuedMessage message, QueuedMessage bounce) {
        // as the statistics count them: a failure of mail from <> is reported to the postmaster, a double bounce
        (message.envelope().hasNullSender() ? doubleBounces() : bounces()).increment();
    }

    private Counter bounces() {
        return Counter.builder("hygiene.bounces")
                .description("bounces stored for the senders of failed mail (double bounces apart)")
                .register(registry);
    }

    private Counter doubleBounces() {
        return Counter.builder("hygiene.double.bounces")
                .description("double bounces stored: failure reports to the postmaster for failed mail from <>")
                .register(registry);
    }

    /**
     * The node's health: each scanner's probe, the queue, and the spool directory. The node cannot accept mail (the
     * report says so, and {@code /health} answers 503) when it is not running, when a scanner's probe says
     * {@link Health.Status#DOWN} and the node's policy would not deliver a message that scanner failed to scan as
     * {@link ScanFailure.Kind#UNAVAILABLE} (the default policy tempfails it; {@code SCANNER.on-failure = accept}
     * delivers it marked, so the node still accepts mail and only the scanner's entry says {@code DOWN}), or when the
     * spool directory is not writable. A quarantine that cannot be written is an entry {@code quarantine} that says
     * {@code DOWN} without making the node unable to accept mail (clean mail still flows; messages to hold are answered
     * 451). Probes run on the calling thread, each bounded by its scanner's own timeouts.
     *
     * @param node the node
     * @return the report
     */
    public static HealthReport health(Node node) {
        Objects.requireNonNull(node, "node");
        List<HealthReport.Component> parts = new ArrayList<>();
        boolean ok = node.running();
        parts.add(new HealthReport.Component(
                "smtp", ok ? HealthReport.State.UP : HealthReport.State.DOWN, ok ? "accepting" : "not running"));
        if (!PolicyHealth.scanners(node.pipeline(), parts)) {
            ok = false;
        }
        node.sharedState()
                .ifPresent(g -> parts.add(new HealthReport.Component(
                        "shared",
                        g.available() ? HealthReport.State.UP : HealthReport.State.UNKNOWN,
                        g.available()
                                ? g.description()
                                : g.description() + " not usable ("
                                        + g.downReason().orElse("no reason recorded")
                                        + "); running on local state (mail is not affected)")));
        Path spoolDir = node.spool().directory();
        boolean writable = Files.isWritable(spoolDir);
        String space;
        try {
            space = String.format(
                    Locale.ROOT, "%d MB free", Files.getFileStore(spoolDir).getUsableSpace() / (1024 * 1024));
        } catch (IOException e) {
            space = "free space unknown: " + e.getMessage();
        }
        int queued = node.relay().delivery().queued();
        Optional<Instant> oldest = node.relay().delivery().oldestQueuedAt();
        String detail = queued + (queued == 1 ? " message" : " messages")
                + oldest.map(o -> ", oldest queued " + o).orElse("")
                + ", " + space
                + (writable ? "" : ", spool not writable");
        if (!writable) {
            ok = false;
        }
        parts.add(new HealthReport.Component(
                "queue", writable ? HealthReport.State.UP : HealthReport.State.DOWN, detail));
        // Said UP while a read-only quarantine answered 451 to every message to hold (audit, session 36). The node
        // still accepts clean mail, so only this entry says DOWN, as for a scanner whose failures the policy accepts.
        Quarantine q = node.quarantine();
        boolean holds = q.writable();
        String free;
        try {
            free = String.format(
                    Locale.ROOT, "%d MB free", Files.getFileStore(q.directory()).getUsableSpace() / (1024 * 1024));
        } catch (IOException e) {
            free = "free space unknown: " + e.getMessage();
        }
        parts.add(new HealthReport.Component(
                "quarantine",
                holds ? HealthReport.State.UP : HealthReport.State.DOWN,
                holds ? free : "not writable: messages to hold are answered 451 4.3.0 (" + free + ")"));
        return new HealthReport(ok, parts);
    }
}
