package org.mailhygiene.smtp.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.smtp.queue.QueueId;
import org.mailhygiene.smtp.stats.NodeStatistics;

class NodeEventsTest {
    /**
     * The log line wrote every score with one decimal: a Bayes verdict of 0.9724 in the unsure band showed as
     * {@code bayes:SPAM(1.0/0.8)}, the same as a sure one.
     */
    @Test
    void theLogLineKeepsAClassifierScoresDecimals() {
        Verdict unsure = Verdict.builder("bayes", Outcome.SPAM)
                .score(0.9724)
                .threshold(0.8)
                .build();
        Verdict spamd =
                Verdict.builder("spamd", Outcome.SPAM).score(1000).threshold(5).build();
        assertThat(NodeEvents.verdicts(List.of(unsure, spamd, Verdict.clean("builtin", Duration.ZERO))))
                .isEqualTo("[bayes:SPAM(0.9724/0.8) spamd:SPAM(1000.0/5.0) builtin:CLEAN]");
    }

    /** A delivery to an IPv6 next hop was logged {@code hop=::1:2526}, where the port cannot be told from the address. */
    @Test
    void theLogLinesHopWritesAnIpv6AddressInBrackets() {
        assertThat(NodeEvents.hop(java.util.Optional.of(org.mailhygiene.smtp.delivery.Endpoint.literal(
                        new org.mailhygiene.api.routing.NextHop("::1", 2526)))))
                .isEqualTo("[::1]:2526");
        assertThat(NodeEvents.hop(java.util.Optional.of(org.mailhygiene.smtp.delivery.Endpoint.literal(
                        new org.mailhygiene.api.routing.NextHop("127.0.0.1", 25)))))
                .isEqualTo("127.0.0.1:25");
        assertThat(NodeEvents.hop(java.util.Optional.empty())).isEqualTo("-");
    }

    /** A message released from quarantine was logged {@code verdicts=? disposition=?} when delivered. */
    @Test
    void aReleasedMessageSaysSoInItsDeliveryLine(@TempDir Path dir) throws Exception {
        Clock clock = Clock.systemUTC();
        NodeEvents events = new NodeEvents(
                "n", NodeStatistics.open(dir, "n", clock), org.mailhygiene.api.events.HygieneListener.NOOP, clock);
        QueueId released = QueueId.generate(clock);
        QueueId unknown = QueueId.generate(clock);
        events.released(released);
        assertThat(events.scan(released)).isEqualTo("verdicts=- disposition=RELEASED");
        assertThat(events.scan(unknown)).isEqualTo("verdicts=? disposition=?");
    }

    /** A relayed or delay notice the node wrote was logged {@code verdicts=? disposition=?} when delivered. */
    @Test
    void aNoticeTheNodeWroteSaysSoInItsDeliveryLine(@TempDir Path dir) throws Exception {
        Clock clock = Clock.systemUTC();
        NodeEvents events = new NodeEvents(
                "n", NodeStatistics.open(dir, "n", clock), org.mailhygiene.api.events.HygieneListener.NOOP, clock);
        org.mailhygiene.api.Envelope env = new org.mailhygiene.api.Envelope(
                java.util.Optional.empty(),
                java.util.Optional.empty(),
                "a@x.org",
                List.of("b@y.org"),
                java.time.Instant.now());
        try (org.mailhygiene.smtp.queue.Spool spool = org.mailhygiene.smtp.queue.Spool.open(dir.resolve("spool"))) {
            org.mailhygiene.api.MessageContent body = org.mailhygiene.api.MessageContent.ofBytes(
                    "Subject: x\r\n\r\nbody\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            org.mailhygiene.smtp.queue.QueuedMessage message = spool.store(env, body);
            org.mailhygiene.smtp.queue.QueuedMessage notice = spool.store(env, body);
            // through the node's composite listener, as a node wires it
            Node.compositeDelivery(List.of(events)).notified(message, notice);
            assertThat(events.scan(notice.id())).isEqualTo("verdicts=- disposition=NOTICE");
        }
    }

    /**
     * A message stored by an earlier run and delivered after a restart was logged {@code verdicts=? disposition=?},
     * which read as a fault of the log; the spool keeps no verdicts, so the line now says it was recovered.
     */
    @Test
    void aRecoveredMessageSaysSoInItsDeliveryLine(@TempDir Path dir) throws Exception {
        Clock clock = Clock.systemUTC();
        try (org.mailhygiene.smtp.queue.Spool spool = org.mailhygiene.smtp.queue.Spool.open(dir.resolve("spool"))) {
            spool.store(
                    new org.mailhygiene.api.Envelope(
                            java.util.Optional.empty(),
                            java.util.Optional.empty(),
                            "a@x.org",
                            List.of("b@y.org"),
                            java.time.Instant.now()),
                    org.mailhygiene.api.MessageContent.ofBytes(
                            "Subject: x\r\n\r\nbody\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        }
        NodeEvents events = new NodeEvents(
                "n", NodeStatistics.open(dir, "n", clock), org.mailhygiene.api.events.HygieneListener.NOOP, clock);
        try (org.mailhygiene.smtp.queue.Spool spool = org.mailhygiene.smtp.queue.Spool.open(dir.resolve("spool"));
                org.mailhygiene.smtp.delivery.DeliveryAgent agent = org.mailhygiene.smtp.delivery.DeliveryAgent.builder(
                                spool, org.mailhygiene.api.routing.StaticRouter.parse(":127.0.0.1:9"))
                        .listener(events)
                        .build()) {
            assertThat(agent.recover()).isEqualTo(1);
            QueueId id = spool.recover().get(0).id();
            assertThat(events.scan(id)).isEqualTo("verdicts=? disposition=? recovered=yes");
        }
    }

    /**
     * The crash audit (session 42): a message recovered from the spool said {@code verdicts=? disposition=?
     * recovered=yes} although the scan was known when it was stored. Its record keeps the text now, and the line says
     * it.
     */
    @Test
    void aRecoveredMessageSaysWhatItsScanFound(@TempDir Path dir) throws Exception {
        Clock clock = Clock.systemUTC();
        String scan = "verdicts=[builtin:CLEAN bayes:SPAM(0.93/0.8)] disposition=TAG";
        try (org.mailhygiene.smtp.queue.Spool spool = org.mailhygiene.smtp.queue.Spool.open(dir.resolve("spool"))) {
            spool.store(
                    new org.mailhygiene.api.Envelope(
                            java.util.Optional.empty(),
                            java.util.Optional.empty(),
                            "a@x.org",
                            List.of("b@y.org"),
                            java.time.Instant.now()),
                    new byte[0],
                    org.mailhygiene.api.MessageContent.ofBytes(
                            "Subject: x\r\n\r\nbody\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
                    org.mailhygiene.smtp.dsn.DsnRequest.NONE,
                    java.util.Optional.of(scan));
        }
        NodeEvents events = new NodeEvents(
                "n", NodeStatistics.open(dir, "n", clock), org.mailhygiene.api.events.HygieneListener.NOOP, clock);
        try (org.mailhygiene.smtp.queue.Spool spool = org.mailhygiene.smtp.queue.Spool.open(dir.resolve("spool"));
                org.mailhygiene.smtp.delivery.DeliveryAgent agent = org.mailhygiene.smtp.delivery.DeliveryAgent.builder(
                                spool, org.mailhygiene.api.routing.StaticRouter.parse(":127.0.0.1:9"))
                        .listener(events)
                        .build()) {
            assertThat(agent.recover()).isEqualTo(1);
            QueueId id = spool.recover().get(0).id();
            assertThat(events.scan(id)).isEqualTo(scan + " recovered=yes");
        }
    }
}
