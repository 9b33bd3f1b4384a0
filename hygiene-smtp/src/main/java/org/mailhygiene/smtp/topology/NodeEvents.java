package org.mailhygiene.smtp.topology;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.ScanResult;
import org.mailhygiene.api.events.HygieneListener;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.Disposition;
import org.mailhygiene.api.policy.SmtpReply;
import org.mailhygiene.internal.LogText;
import org.mailhygiene.scanners.ScanReport;
import org.mailhygiene.smtp.RelayListener;
import org.mailhygiene.smtp.delivery.DeliveryListener;
import org.mailhygiene.smtp.delivery.Endpoint;
import org.mailhygiene.smtp.delivery.RecipientResult;
import org.mailhygiene.smtp.queue.QueueId;
import org.mailhygiene.smtp.queue.QueuedMessage;
import org.mailhygiene.smtp.queue.ScanNote;
import org.mailhygiene.smtp.stats.NodeStatistics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a node's relay and delivery events into statistics and one log line per message. Thread-safe: per-message
 * state lives in a concurrent map from queue id to what the scan said, dropped when the message completes.
 */
final class NodeEvents implements RelayListener, DeliveryListener {
    private static final Logger LOG = LoggerFactory.getLogger(Node.class);

    private final String node;
    private final NodeStatistics statistics;
    private final HygieneListener dispositions;
    private final Clock clock;
    private final Map<QueueId, String> scans = new ConcurrentHashMap<>();

    NodeEvents(String node, NodeStatistics statistics, HygieneListener dispositions, Clock clock) {
        this.node = node;
        this.statistics = statistics;
        this.dispositions = dispositions;
        this.clock = clock;
    }

    /**
     * What was done with a message, as the client was told: the policy's disposition, or, when a message the policy
     * kept could not be written (a full or read-only quarantine or spool: 451), a {@code TEMPFAIL} (a {@code REJECT}
     * for a 5xx) on the same scan results. An audit (session 36): a full quarantine answered 451 to 416 viruses, which
     * the statistics and {@code hygiene_dispositions_total} counted as quarantined, again at each retry.
     */
    static Disposition carriedOut(Disposition d, SmtpReply reply) {
        if (!d.action().acceptsMessage() || reply.isPositive()) {
            return d;
        }
        return new Disposition(
                reply.isPermanent() ? Action.REJECT : Action.TEMPFAIL,
                reply,
                d.reason() + " (not kept: " + reply.code() + " " + reply.text() + ")",
                Optional.empty(),
                List.of(),
                d.basis());
    }

    @Override
    public void handled(
            Envelope envelope, MessageContent content, ScanReport report, SmtpReply reply, Optional<QueueId> queueId) {
        if (reply.code() / 100 == 2) {
            statistics.received();
        }
        dispositions.disposition(carriedOut(report.disposition(), reply), new Message(envelope, content));
        Disposition d = report.disposition();
        String scan = ScanNote.of(report.results(), d.action());
        boolean queued = queueId.isPresent() && d.action().acceptsMessage() && !isQuarantine(d);
        if (queued) {
            scans.put(queueId.get(), scan);
            return;
        }
        LOG.info(
                "{} id={} client={} from=<{}> to={} size={} {} hop=- delay={} result={}",
                node,
                queueId.map(QueueId::value).orElse("-"),
                client(envelope),
                LogText.printable(envelope.sender()),
                recipients(envelope.recipients()),
                content.size(),
                scan,
                seconds(envelope.receivedAt()),
                reply.code() + (queueId.isPresent() ? " quarantined" : ""));
    }

    private static boolean isQuarantine(Disposition d) {
        return d.action() == org.mailhygiene.api.policy.Action.QUARANTINE;
    }

    /**
     * The log line's {@code hop=}: the next hop as configured, {@code host:port}, an IPv6 literal in brackets
     * ({@code [::1]:2526}; it was {@code ::1:2526}), {@code -} when none was reached.
     */
    static String hop(Optional<Endpoint> endpoint) {
        return endpoint.map(e -> e.hop().toString()).orElse("-");
    }

    @Override
    public void transaction(QueuedMessage message, Optional<Endpoint> endpoint, List<RecipientResult> results) {
        if (results.stream().anyMatch(r -> r.outcome() == RecipientResult.Outcome.DELIVERED)) {
            statistics.sent();
        }
        List<String> outcomes = new ArrayList<>();
        for (RecipientResult r : results) {
            outcomes.add(r.outcome().name().toLowerCase(Locale.ROOT));
        }
        LOG.info(
                "{} id={} client={} from=<{}> to={} size={} {} hop={} delay={} result={}",
                node,
                message.id().value(),
                client(message.envelope()),
                LogText.printable(message.envelope().sender()),
                recipients(results.stream().map(RecipientResult::recipient).toList()),
                message.size(),
                scan(message.id()),
                hop(endpoint),
                seconds(message.envelope().receivedAt()),
                String.join(",", outcomes));
    }

    @Override
    public void bounced(QueuedMessage message, QueuedMessage bounce) {
        // a failure of mail from <> is reported to the postmaster: a double bounce, counted apart
        if (message.envelope().hasNullSender()) {
            statistics.doubleBounced();
        } else {
            statistics.bounced();
        }
        scans.put(bounce.id(), ScanNote.BOUNCE); // written by the node, not scanned
    }

    @Override
    public void notified(QueuedMessage message, QueuedMessage notice) {
        scans.put(notice.id(), NOTICE); // written by the node, not scanned; was "verdicts=? disposition=?"
    }

    /** The delivery line's scan fields for a relayed or delay notice the node wrote. */
    static final String NOTICE = ScanNote.NOTICE;

    /**
     * A message an earlier run stored, found in the spool at start: its delivery lines say what its record kept of its
     * scan ({@link QueuedMessage#scan()}) followed by {@code recovered=yes}, e.g. {@code verdicts=[builtin:CLEAN]
     * disposition=ACCEPT recovered=yes}; for a message stored without it (by a version before session 42)
     * {@code verdicts=? disposition=? recovered=yes} (its verdicts are then only in the lines of its attempts before
     * the restart, under the same id).
     */
    @Override
    public void recovered(QueuedMessage message) {
        scans.putIfAbsent(
                message.id(), message.scan().map(s -> s + " recovered=yes").orElse(RECOVERED));
    }

    /** The delivery line's scan fields for a message recovered from the spool at start without a kept scan. */
    static final String RECOVERED = "verdicts=? disposition=? recovered=yes";

    /** What the delivery log line says of a message's scan: its verdicts and disposition, if this run knows them. */
    String scan(QueueId id) {
        return scans.getOrDefault(id, "verdicts=? disposition=?");
    }

    /**
     * A message released from quarantine into the queue (scanned when it arrived; its verdicts are in the quarantine
     * log line): its delivery lines say so instead of {@code verdicts=?}.
     *
     * @param id its queue id
     */
    void released(QueueId id) {
        scans.put(id, ScanNote.RELEASED);
    }

    @Override
    public void completed(QueuedMessage message) {
        scans.remove(message.id());
    }

    private String seconds(Instant since) {
        Duration d = Duration.between(since, clock.instant());
        if (d.isNegative()) {
            d = Duration.ZERO;
        }
        return String.format(Locale.ROOT, "%.3fs", d.toNanos() / 1e9);
    }

    private static String client(Envelope e) {
        return e.clientAddress()
                .map(org.mailhygiene.internal.HostPorts::address)
                .orElse("-");
    }

    private static String recipients(List<String> rcpts) {
        List<String> out = new ArrayList<>();
        for (String r : rcpts) {
            out.add("<" + LogText.printable(r) + ">");
        }
        return String.join(",", out);
    }

    static String verdicts(List<ScanResult> results) {
        return ScanNote.verdicts(results);
    }
}
