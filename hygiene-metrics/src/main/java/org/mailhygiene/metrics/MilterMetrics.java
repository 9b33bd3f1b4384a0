package org.mailhygiene.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.milter.MilterListener;
import org.mailhygiene.milter.MilterOutcome;
import org.mailhygiene.milter.MilterServer;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.ScanReport;

/**
 * The milter's meters: a {@link MilterListener} to hand to a {@link MilterServer}, and a Micrometer
 * {@link MeterBinder}. Scanner verdicts, failures by kind, per-scanner latency and dispositions come from
 * {@link ScanMetrics} on the milter's pipeline; these meters add what the MTA saw:
 *
 * <ul>
 *   <li>{@code hygiene.milter.connections} function counter and {@code hygiene.milter.connections.active} gauge (after
 *       {@link #watch(MilterServer)}): MTA connections accepted and open (Postfix opens one per SMTP session);
 *   <li>{@code hygiene.milter.connections.closed} counter, tag {@code reason} ({@code normal}, {@code protocol_error},
 *       {@code idle_timeout}, {@code io_error}, {@code internal_error});
 *   <li>{@code hygiene.milter.messages} counter, tag {@code action} ({@code accept}, {@code tag}, {@code quarantine},
 *       {@code discard}, {@code reject}, {@code tempfail}): the action carried out per message (a disposition the MTA
 *       did not allow counts as {@code tempfail});
 *   <li>{@code hygiene.milter.replies} counter, tag {@code type} ({@code accept}, {@code replycode}, {@code discard},
 *       {@code quarantine}, {@code header}, {@code progress}): the packets sent at end of message;
 *   <li>{@code hygiene.milter.message.size} distribution summary (bytes) and {@code hygiene.milter.scan.duration}
 *       timer (the pipeline's time per message; messages the backstop ended are not timed).
 * </ul>
 *
 * <p>Binding works as in {@link ScanMetrics}: every registry bound at the time of an event records it. Thread-safe;
 * the listener methods are fast and never throw.
 */
public final class MilterMetrics implements MilterListener, MeterBinder {
    private final CompositeMeterRegistry registry = new CompositeMeterRegistry();

    /** Creates meters bound to no registry yet. */
    public MilterMetrics() {}

    /**
     * Publishes the meters in {@code target} as well; {@code hygiene_milter_messages_total} at 0 for every action at
     * once, so that a query over it sees the first message of each kind.
     *
     * @param target the registry
     */
    @Override
    public void bindTo(MeterRegistry target) {
        registry.add(target);
        for (Action a : Action.values()) {
            messages(a);
        }
    }

    /**
     * Adds the connection meters of a server (accepted and open connections).
     *
     * @param server the server (started or not)
     */
    public void watch(MilterServer server) {
        Objects.requireNonNull(server, "server");
        FunctionCounter.builder("hygiene.milter.connections", server, MilterServer::connectionsAccepted)
                .description("MTA connections accepted")
                .register(registry);
        Gauge.builder("hygiene.milter.connections.active", server, MilterServer::activeConnections)
                .description("MTA connections open now")
                .register(registry);
    }

    @Override
    public void handled(Envelope envelope, MessageContent content, ScanReport report, MilterOutcome outcome) {
        Action action = outcome.action();
        messages(action).increment();
        switch (action) {
            case ACCEPT, TAG -> reply("accept", 1);
            case QUARANTINE -> {
                reply("quarantine", 1);
                reply("accept", 1);
            }
            case DISCARD -> reply("discard", 1);
            case REJECT, TEMPFAIL -> reply("replycode", 1);
            default -> {
                // every action is listed
            }
        }
        reply("header", outcome.headerEdits());
        reply("progress", outcome.progressReplies());
        DistributionSummary.builder("hygiene.milter.message.size")
                .description("size of the messages scanned")
                .baseUnit("bytes")
                .register(registry)
                .record(content.size());
        if (report != null) {
            Timer.builder("hygiene.milter.scan.duration")
                    .description("the pipeline's time per message")
                    .register(registry)
                    .record(report.elapsed());
        }
    }

    private Counter messages(Action action) {
        return Counter.builder("hygiene.milter.messages")
                .description("messages answered at end of message, by the action carried out")
                .tag("action", lower(action.name()))
                .register(registry);
    }

    @Override
    public void connectionClosed(Close reason) {
        Counter.builder("hygiene.milter.connections.closed")
                .description("MTA connections ended, by reason")
                .tag("reason", lower(reason.name()))
                .register(registry)
                .increment();
    }

    private void reply(String type, int n) {
        if (n <= 0) {
            return;
        }
        Counter.builder("hygiene.milter.replies")
                .description("packets sent to the MTA at end of message, by type")
                .tag("type", type)
                .register(registry)
                .increment(n);
    }

    /**
     * The milter's health for {@code /health}: {@code milter} UP while the server accepts connections (DOWN when
     * not running, or with all of its {@link MilterServer#maxConnections()} in use), and one component per scanner
     * from its {@link Scanner#health()}; not accepting when the server is down or full or any scanner is DOWN
     * (Postfix then applies {@code milter_default_action}, or gets our 451 for each message).
     *
     * @param server the server
     * @param scanners the pipeline's scanners
     * @return the report
     */
    public static HealthReport health(MilterServer server, List<Scanner> scanners) {
        return health(server, scanners, null);
    }

    /**
     * The milter's health for {@code /health}, as {@link #health(MilterServer, List)} but asking the pipeline's policy
     * whether a DOWN scanner stops mail: with {@code SCANNER.on-failure = accept} the milter still accepts mail while
     * that scanner is down (each message marked {@code X-Hygiene-Unscanned}), so only the scanner's entry says DOWN.
     * Not accepting when the server is down or full, or a scanner is DOWN and the policy would not deliver a message
     * that scanner failed to scan as unavailable.
     *
     * @param server the server
     * @param pipeline the pipeline the server scans with
     * @return the report
     */
    public static HealthReport health(MilterServer server, ScanPipeline pipeline) {
        Objects.requireNonNull(pipeline, "pipeline");
        return health(server, pipeline.scanners(), pipeline);
    }

    private static HealthReport health(MilterServer server, List<Scanner> scanners, ScanPipeline pipeline) {
        Objects.requireNonNull(server, "server");
        List<HealthReport.Component> parts = new ArrayList<>();
        boolean running = server.running();
        int open = server.activeConnections();
        // At the limit a new connection is closed at once (Postfix then answers 451 4.7.1 for that SMTP session):
        // the milter does not accept connections, whatever its scanners say. Until session 35 this said UP.
        boolean full = running && open >= server.maxConnections();
        boolean ok = running && !full;
        String detail = !running
                ? "not running"
                : full
                        ? "all " + server.maxConnections() + " connections in use, new ones are closed"
                        : "accepting, " + open + " connections open";
        parts.add(new HealthReport.Component("milter", ok ? HealthReport.State.UP : HealthReport.State.DOWN, detail));
        if (pipeline != null) {
            if (!PolicyHealth.scanners(pipeline, parts)) {
                ok = false;
            }
            return new HealthReport(ok, parts);
        }
        for (Scanner s : scanners) {
            HealthReport.Component c = HealthReport.Component.ofScanner(s);
            if (c.state() == HealthReport.State.DOWN) {
                ok = false;
            }
            parts.add(c);
        }
        return new HealthReport(ok, parts);
    }

    private static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}
