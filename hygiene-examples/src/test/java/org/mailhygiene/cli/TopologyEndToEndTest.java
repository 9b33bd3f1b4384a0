package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.routing.NextHop;
import org.mailhygiene.scanners.builtin.SignatureScanner;
import org.mailhygiene.smtp.delivery.Endpoint;
import org.mailhygiene.smtp.delivery.HopFailedException;
import org.mailhygiene.smtp.delivery.SmtpClient;
import org.mailhygiene.smtp.delivery.TlsPolicy;
import org.mailhygiene.smtp.queue.QuarantinedMessage;
import org.mailhygiene.smtp.stats.Counter;
import org.mailhygiene.smtp.stats.DailyCounts;
import org.mailhygiene.smtp.stats.NodeStatistics;
import org.mailhygiene.testkit.Await;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.smtp.SinkMessage;
import org.mailhygiene.testkit.smtp.SmtpSink;

/**
 * The behaviour checks, end to end over real SMTP through the three relays of {@link DemoTopology} (each on
 * its own loopback address, outgoing connections bound to it): a client on 127.0.0.1 plays the Internet, the internal
 * servers are sinks on 127.0.0.21 and 127.0.0.22.
 */
class TopologyEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final InetAddress INTERNET = DemoTopology.ip("127.0.0.1");

    @TempDir
    Path data;

    private DemoTopology topology;

    @AfterEach
    void stop() {
        if (topology != null) {
            topology.close();
        }
    }

    private DemoTopology builtin() throws IOException {
        topology = DemoTopology.start(
                data, () -> List.of(SignatureScanner.create()), () -> List.of(SignatureScanner.create()));
        return topology;
    }

    private static String send(InetAddress from, InetSocketAddress to, String sender, String rcpt, byte[] message)
            throws IOException {
        SmtpClient client = SmtpClient.builder()
                .heloName("client.example.net")
                .localAddress(from)
                .tls(TlsPolicy.disabled())
                .build();
        try {
            return client.deliver(
                            Endpoint.literal(new NextHop(to.getAddress().getHostAddress(), to.getPort())),
                            sender,
                            List.of(rcpt),
                            MessageContent.ofBytes(message),
                            WAIT)
                    .recipients()
                    .get(0)
                    .diagnostic();
        } catch (HopFailedException e) {
            return e.reply().map(Object::toString).orElse(e.getMessage());
        }
    }

    private static byte[] tagged(String id, byte[] message) {
        byte[] head = ("X-Test-Id: " + id + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[head.length + message.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(message, 0, out, head.length, message.length);
        return out;
    }

    private static SinkMessage await(SmtpSink sink, String id) throws Exception {
        Predicate<SinkMessage> match = m -> m.text().contains("X-Test-Id: " + id + "\r\n");
        List<SinkMessage> found = Await.value(
                WAIT,
                id + " arrives",
                () -> sink.messages().stream().filter(match).toList(),
                l -> !l.isEmpty());
        assertThat(found).as("copies of " + id).hasSize(1);
        return found.get(0);
    }

    private static List<QuarantinedMessage> awaitQuarantined(org.mailhygiene.smtp.topology.Node node, int n)
            throws Exception {
        return Await.value(
                WAIT, n + " held at " + node.name(), () -> node.quarantine().list(), l -> l.size() >= n);
    }

    /**
     * Waits until no node holds a message, in two passes in a row, and checks that none bounced: then nothing can
     * arrive anywhere any more, and "it never arrived" is a fact rather than a guess after a pause. A node hands a
     * message on by the receiver storing it (and queueing it) before it answers 250, so a message in transit is always
     * in some node's queue.
     */
    private static void awaitQuiet(DemoTopology t) throws Exception {
        Await.until("every node's delivery queue is empty", () -> queuesEmpty(t) && queuesEmpty(t));
        for (org.mailhygiene.smtp.topology.Node n : t.nodes()) {
            assertThat(n.statistics().today().get(Counter.BOUNCED))
                    .as("bounces made by " + n.name())
                    .isZero();
        }
    }

    private static boolean queuesEmpty(DemoTopology t) {
        return t.nodes().stream().allMatch(n -> n.relay().delivery().queued() == 0);
    }

    @Test
    void cleanMailArrivesAtTheRightInternalServer() throws Exception {
        DemoTopology t = builtin();
        InetSocketAddress edge1 = t.node("edge-1").address();
        assertThat(send(
                        INTERNET,
                        edge1,
                        "carol@example.net",
                        "alice@dept-a.example",
                        tagged("a", SampleMessages.clean())))
                .startsWith("250");
        assertThat(send(
                        INTERNET,
                        edge1,
                        "carol@example.net",
                        "bob@dept-b.example",
                        tagged("b", SampleMessages.clean())))
                .startsWith("250");

        SinkMessage a = await(t.internal("internal-1"), "a");
        SinkMessage b = await(t.internal("internal-2"), "b");
        assertThat(a.recipients()).containsExactly("alice@dept-a.example");
        assertThat(b.recipients()).containsExactly("bob@dept-b.example");
        assertThat(a.helo()).isEqualTo("gateway");
        assertThat(a.clientAddress()).isEqualTo("127.0.0.13");
        assertThat(a.text()).endsWith(new String(SampleMessages.clean(), StandardCharsets.ISO_8859_1));
        assertThat(t.internal("internal-1").messages()).hasSize(1);
        assertThat(t.internal("internal-2").messages()).hasSize(1);
    }

    @Test
    void eicarIsRejectedAtTheEdgesDataAndNeverBounced() throws Exception {
        DemoTopology t = builtin();
        String reply = send(
                INTERNET,
                t.node("edge-1").address(),
                "forged@example.net",
                "bob@dept-b.example",
                SampleMessages.eicarAttachment());
        assertThat(reply).startsWith("554 5.7.1").contains("Eicar-Test-Signature");
        awaitQuiet(t);
        assertThat(t.internal("internal-2").messages()).isEmpty();
        assertThat(t.internet().messages()).as("no bounce to the forged sender").isEmpty();
        assertThat(t.node("edge-1").statistics().today().get(Counter.REJECTED)).isEqualTo(1);
    }

    @Test
    void eicarPassingAnEdgeWithoutVirusScanningIsQuarantinedAtTheGatewayNeverBouncedNorLost() throws Exception {
        Scanner spamOnly = new Scanner() {
            @Override
            public String name() {
                return "spam-only";
            }

            @Override
            public Verdict scan(Message message) {
                return Verdict.clean("spam-only", Duration.ZERO);
            }
        };
        topology = DemoTopology.start(data, () -> List.of(spamOnly), () -> List.of(SignatureScanner.create()));
        String reply = send(
                INTERNET,
                topology.node("edge-1").address(),
                "forged@example.net",
                "bob@dept-b.example",
                tagged("v", SampleMessages.eicarAttachment()));
        assertThat(reply).startsWith("250");

        List<QuarantinedMessage> held = awaitQuarantined(topology.node("gateway"), 1);
        assertThat(held).hasSize(1);
        assertThat(held.get(0).envelope().sender()).isEqualTo("forged@example.net");
        assertThat(held.get(0).reason()).contains("Eicar-Test-Signature");
        assertThat(Files.readString(held.get(0).file(), StandardCharsets.ISO_8859_1))
                .contains("X-Test-Id: v\r\n");
        awaitQuiet(topology);
        assertThat(topology.internal("internal-2").messages()).isEmpty();
        assertThat(topology.internet().messages())
                .as("no bounce to the forged sender")
                .isEmpty();
        assertThat(topology.node("edge-1").relay().delivery().queued()).isZero();
    }

    @Test
    void gtubeArrivesTaggedSpam() throws Exception {
        DemoTopology t = builtin();
        send(
                INTERNET,
                t.node("edge-1").address(),
                "s@example.net",
                "alice@dept-a.example",
                tagged("g", SampleMessages.gtube()));
        SinkMessage m = await(t.internal("internal-1"), "g");
        assertThat(DemoCommand.subject(m)).isEqualTo("[SPAM] GTUBE spam test");
        assertThat(m.text()).contains("X-Spam-Flag: YES");
    }

    @Test
    void japaneseMessageArrivesWithAValidTaggedSubject() throws Exception {
        DemoTopology t = builtin();
        String jp = new String(SampleMessages.japaneseIso2022jp(), StandardCharsets.ISO_8859_1);
        byte[] spam = (jp + "\r\n" + SampleMessages.gtubeString() + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        send(INTERNET, t.node("edge-1").address(), "s@example.jp", "bob@dept-b.example", tagged("j", spam));
        send(
                INTERNET,
                t.node("edge-1").address(),
                "y@example.jp",
                "bob@dept-b.example",
                tagged("k", SampleMessages.japaneseIso2022jp()));

        SinkMessage tagged = await(t.internal("internal-2"), "j");
        SinkMessage plain = await(t.internal("internal-2"), "k");
        assertThat(DemoCommand.subject(tagged)).isEqualTo("[SPAM] 会議のお知らせ");
        assertThat(DemoCommand.subject(plain)).isEqualTo("会議のお知らせ");
        String head = tagged.text().substring(0, tagged.text().indexOf("\r\n\r\n"));
        assertThat(head.chars().allMatch(c -> c < 128))
                .as("header stays 7-bit ASCII")
                .isTrue();
    }

    @Test
    void emptySubjectMessageArrives() throws Exception {
        DemoTopology t = builtin();
        send(
                INTERNET,
                t.node("edge-2").address(),
                "d@example.net",
                "alice@dept-a.example",
                tagged("e", SampleMessages.emptySubject()));
        SinkMessage m = await(t.internal("internal-1"), "e");
        assertThat(DemoCommand.subject(m)).isEmpty();
    }

    @Test
    void withEdge1DownOutboundLeavesThroughEdge2AndInboundArrivesThroughEdge2() throws Exception {
        DemoTopology t = builtin();
        t.node("edge-1").close();
        InetSocketAddress gateway = t.node("gateway").address();
        assertThat(send(
                        DemoTopology.ip("127.0.0.21"),
                        gateway,
                        "alice@dept-a.example",
                        "friend@example.org",
                        tagged("o", SampleMessages.clean())))
                .startsWith("250");
        assertThat(send(
                        INTERNET,
                        t.node("edge-2").address(),
                        "carol@example.net",
                        "bob@dept-b.example",
                        tagged("i", SampleMessages.clean())))
                .startsWith("250");

        SinkMessage out = await(t.internet(), "o");
        assertThat(out.helo()).isEqualTo("edge-2");
        assertThat(out.clientAddress()).isEqualTo("127.0.0.12");
        SinkMessage in = await(t.internal("internal-2"), "i");
        assertThat(in.text()).contains("Received: from edge-2");
    }

    @Test
    void statisticsCountReceivedAndSentAndSurviveClose() throws Exception {
        DemoTopology t = builtin();
        send(
                INTERNET,
                t.node("edge-1").address(),
                "c@example.net",
                "alice@dept-a.example",
                tagged("s", SampleMessages.clean()));
        await(t.internal("internal-1"), "s");
        t.close();
        topology = null;
        List<DailyCounts> edge =
                NodeStatistics.readDirectory(data.resolve("edge-1").resolve("stats"));
        List<DailyCounts> gw =
                NodeStatistics.readDirectory(data.resolve("gateway").resolve("stats"));
        assertThat(edge).hasSize(1);
        assertThat(edge.get(0).get(Counter.RECEIVED)).isEqualTo(1);
        assertThat(edge.get(0).get(Counter.SENT)).isEqualTo(1);
        assertThat(gw.get(0).get(Counter.RECEIVED)).isEqualTo(1);
        assertThat(gw.get(0).get(Counter.SENT)).isEqualTo(1);
    }
}
