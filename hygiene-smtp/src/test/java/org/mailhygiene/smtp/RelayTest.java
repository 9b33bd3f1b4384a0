package org.mailhygiene.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.DefaultPolicy;
import org.mailhygiene.api.policy.Policy;
import org.mailhygiene.api.policy.SmtpReply;
import org.mailhygiene.api.routing.StaticRouter;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.ScanReport;
import org.mailhygiene.scanners.builtin.SignatureScanner;
import org.mailhygiene.scanners.tagging.MessageTagger;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.smtp.queue.Quarantine;
import org.mailhygiene.smtp.queue.QueueId;
import org.mailhygiene.smtp.queue.Spool;
import org.mailhygiene.testkit.Await;
import org.mailhygiene.testkit.FailingScanner;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.ScriptedScanner;
import org.mailhygiene.testkit.smtp.SinkMessage;
import org.mailhygiene.testkit.smtp.SmtpSink;

/** The assembled relay: in-line scanning, dispositions, spool and delivery to a recording sink. */
class RelayTest {
    @TempDir
    Path dir;

    private SmtpSink sink;
    private Relay relay;
    private Spool spool;
    private Quarantine quarantine;
    private ScanPipeline pipeline;
    private boolean cached;
    /** What the relay decided for each message, seen by its listener before the reply was sent. */
    private final List<Decision> decisions = new CopyOnWriteArrayList<>();

    /** The scan reports the relay's listener saw, in order. */
    private final List<ScanReport> reports = new CopyOnWriteArrayList<>();

    /** How long the listener takes; when not zero it records how many messages the sink had when it returned. */
    private Duration listenerPause = Duration.ZERO;

    private final List<Integer> deliveredWhenHandled = new CopyOnWriteArrayList<>();

    private record Decision(Action action, int code, Optional<QueueId> kept) {}

    private void start(Scanner scanner, Policy policy, String routes) throws IOException {
        if (sink == null) {
            sink = SmtpSink.start();
        }
        spool = Spool.open(dir.resolve("spool"));
        quarantine = Quarantine.builder(dir.resolve("quarantine")).build();
        ScanPipeline.Builder pb = ScanPipeline.builder().scanner(scanner).policy(policy);
        pipeline = (cached ? pb : pb.noCache()).build();
        relay = Relay.builder()
                .server(b ->
                        b.port(0).hostname("gw.example.ac.jp").acceptedDomains(AcceptedDomains.of("example.ac.jp")))
                .delivery(b -> b.hostname("gw.example.ac.jp"))
                .pipeline(pipeline)
                .spool(spool)
                .quarantine(quarantine)
                .router(StaticRouter.parse(routes.replace("SINK", "127.0.0.1:" + sink.port())))
                .listener(new RelayListener() {
                    @Override
                    public void handled(
                            Envelope envelope,
                            MessageContent content,
                            ScanReport report,
                            SmtpReply reply,
                            Optional<QueueId> queueId) {
                        decisions.add(new Decision(report.disposition().action(), reply.code(), queueId));
                        reports.add(report);
                        if (!listenerPause.isZero()) {
                            try {
                                Thread.sleep(listenerPause.toMillis());
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            deliveredWhenHandled.add(sink.messages().size());
                        }
                    }
                })
                .build();
        relay.start();
    }

    private void start(Scanner scanner) throws IOException {
        start(scanner, DefaultPolicy.defaults(), ":SINK");
    }

    @AfterEach
    void stop() throws IOException {
        if (relay != null) {
            relay.close();
        }
        if (pipeline != null) {
            pipeline.close();
        }
        if (spool != null) {
            spool.close();
        }
        if (sink != null) {
            sink.close();
        }
    }

    /** Sends one message and returns the reply to the final dot. */
    private String send(byte[] message) throws IOException {
        try (RelayTestClient c = new RelayTestClient(relay.port())) {
            return c.send("sender@example.net", List.of("user@example.ac.jp"), message);
        }
    }

    /**
     * The one message so far was refused or held, and nothing of it can ever reach the sink: no waiting and looking.
     * The relay decided before it replied (its listener saw the decision, with no spool id); delivery only sends what
     * was spooled and handed to it, and the spool and the delivery queue are empty.
     */
    private void assertNothingCanBeDelivered(Action action) throws IOException {
        assertThat(decisions).singleElement().satisfies(d -> {
            assertThat(d.action()).isEqualTo(action);
            if (action != Action.QUARANTINE) {
                assertThat(d.kept()).as("no copy kept").isEmpty();
            }
        });
        assertThat(spool.size()).isZero();
        assertThat(relay.delivery().queued()).isZero();
        assertThat(sink.messages()).isEmpty();
    }

    /**
     * A clean message sent after a refused one is the only one the sink ever gets: once it arrived and the delivery
     * queue is empty, the sink has seen everything this relay will send.
     */
    private void assertOnlyALaterCleanMessageArrives() throws Exception {
        byte[] marker = "Subject: marker\r\n\r\nsent after the refused message\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThat(send(marker)).startsWith("250");
        assertThat(sink.awaitMessages(1, Duration.ofSeconds(60))).hasSize(1);
        Await.until("the delivery queue is empty", () -> relay.delivery().queued() == 0);
        assertThat(sink.messages())
                .singleElement()
                .satisfies(m -> assertThat(m.text()).endsWith("sent after the refused message\r\n"));
    }

    /**
     * DSN end to end: the relay takes the parameters, spools them, and as its next hop does not offer DSN it tells the
     * sender, who asked for success notices, that the message was relayed.
     */
    @Test
    void aSuccessNoticeRequestEndsInARelayedNoticeWhenTheNextHopHasNoDsn() throws Exception {
        start(SignatureScanner.create());
        String reply;
        try (RelayTestClient c = new RelayTestClient(relay.port())) {
            reply = c.send(
                    "sender@example.net",
                    "RET=HDRS ENVID=e2e+2B1",
                    List.of("user@example.ac.jp"),
                    "NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alias@example.ac.jp",
                    SampleMessages.clean());
        }
        assertThat(reply).startsWith("250");
        List<SinkMessage> got = sink.awaitMessages(2, Duration.ofSeconds(30));
        assertThat(got.get(0).recipients()).containsExactly("user@example.ac.jp");
        SinkMessage notice = got.get(1);
        assertThat(notice.sender()).isEmpty();
        assertThat(notice.recipients()).containsExactly("sender@example.net");
        assertThat(notice.text())
                .contains("Subject: Successful Mail Delivery Report")
                .contains("Original-Envelope-Id: e2e+1\r\n")
                .contains("Original-Recipient: rfc822;alias@example.ac.jp\r\n"
                        + "Final-Recipient: rfc822; user@example.ac.jp\r\nAction: relayed\r\n")
                .contains("Content-Type: text/rfc822-headers");
        Await.until("the delivery queue is empty", () -> relay.delivery().queued() == 0);
        assertThat(sink.messages()).as("the notice itself asks for none").hasSize(2);
    }

    @Test
    void cleanMessageIsStoredThenDeliveredWithOurReceivedHeader() throws Exception {
        start(SignatureScanner.create());
        String reply = send(SampleMessages.clean());
        assertThat(reply).matches("250 2\\.0\\.0 .*\\(queued as [0-9A-Za-z-]+\\)");
        List<SinkMessage> got = sink.awaitMessages(1, Duration.ofSeconds(20));
        assertThat(got).hasSize(1);
        String text = new String(got.get(0).data(), StandardCharsets.UTF_8);
        assertThat(text).startsWith("Received: from client.example ([127.0.0.1])\r\n\tby gw.example.ac.jp");
        assertThat(text).endsWith(new String(SampleMessages.clean(), StandardCharsets.UTF_8));
        assertThat(got.get(0).recipients()).containsExactly("user@example.ac.jp");
        assertThat(got.get(0).sender()).isEqualTo("sender@example.net");
    }

    /**
     * The node's per-message log line is begun by the relay listener and finished by the delivery listener: a message
     * delivered before the relay listener saw it was logged {@code verdicts=? disposition=?}. Delivery must not start
     * before the listener has returned, however slow it is.
     */
    @Test
    void deliveryStartsOnlyAfterTheListenerHasSeenTheMessage() throws Exception {
        listenerPause = Duration.ofMillis(700);
        start(SignatureScanner.create());
        assertThat(send(SampleMessages.clean())).startsWith("250");
        assertThat(sink.awaitMessages(1, Duration.ofSeconds(20))).hasSize(1);
        assertThat(deliveredWhenHandled)
                .as("messages the sink had received when the listener returned")
                .containsExactly(0);
    }

    @Test
    void identicalCopiesShareOneScanDespiteTheirDifferentReceivedHeaders() throws Exception {
        cached = true;
        org.mailhygiene.testkit.RecordingScanner recording =
                org.mailhygiene.testkit.RecordingScanner.wrap(SignatureScanner.create());
        start(recording);
        for (int i = 0; i < 5; i++) {
            assertThat(send(SampleMessages.eicarAttachment())).startsWith("554 5.7.1");
        }
        assertThat(recording.calls())
                .as("a storm of identical copies is scanned once")
                .hasSize(1);
        assertThat(send(SampleMessages.clean())).startsWith("250");
        assertThat(recording.calls()).hasSize(2);
    }

    @Test
    void theCacheKeyIsTheMessageWithoutExactlyOurReceivedHeader() throws Exception {
        byte[] msg = "Received: from a\r\n\tby b; now\r\n\tclient line\r\nSubject: x\r\n\r\nbody\r\n"
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int ours = "Received: from a\r\n\tby b; now\r\n".length();
        org.mailhygiene.api.MessageContent rest =
                Relay.withoutLeading(org.mailhygiene.api.MessageContent.ofBytes(msg), ours);
        // A client line that looks like a continuation of our header is still part of the key.
        assertThat(new String(rest.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII))
                .isEqualTo("\tclient line\r\nSubject: x\r\n\r\nbody\r\n");
        assertThat(rest.size()).isEqualTo(rest.readAllBytes().length);
        org.mailhygiene.api.MessageContent whole = org.mailhygiene.api.MessageContent.ofBytes(msg);
        assertThat(Relay.withoutLeading(whole, 0)).isSameAs(whole);
    }

    @Test
    void aVirusHiddenInLinesThatLookLikeOurHeaderIsNotServedFromTheCache() throws Exception {
        cached = true;
        start(SignatureScanner.create());
        byte[] clean = SampleMessages.clean();
        assertThat(send(clean)).startsWith("250");
        byte[] eicar = SampleMessages.eicar();
        byte[] poisoned = new byte[1 + eicar.length + 2 + clean.length];
        poisoned[0] = '\t';
        System.arraycopy(eicar, 0, poisoned, 1, eicar.length);
        poisoned[1 + eicar.length] = '\r';
        poisoned[2 + eicar.length] = '\n';
        System.arraycopy(clean, 0, poisoned, 3 + eicar.length, clean.length);
        // since session 43 content whose first line would fold into our Received field is refused before any scan
        // (554 5.6.0), so such lines never reach the verdict cache; Relay.withoutLeading keeps them in the key anyway
        assertThat(send(poisoned)).startsWith("554 5.6.0 Message starts with a space or tab");
    }

    @Test
    void virusIsRejectedBefore250AndNothingIsKept() throws Exception {
        start(SignatureScanner.create());
        assertThat(send(SampleMessages.eicarAttachment())).startsWith("554 5.7.1");
        assertNothingCanBeDelivered(Action.REJECT);
        assertOnlyALaterCleanMessageArrives();
    }

    @Test
    void scannerFailureAnswers451AndNothingPassesUnscanned() throws Exception {
        start(FailingScanner.failingWith(ScanFailure.Kind.UNAVAILABLE));
        assertThat(send(SampleMessages.clean())).startsWith("451 4.3.0");
        assertNothingCanBeDelivered(Action.TEMPFAIL);
    }

    /**
     * The crash audit (session 42): a message the node delivered after a restart, a {@code kill -9} included, was logged
     * {@code verdicts=? disposition=?}, since the spool kept nothing of its scan. The relay stores the log line's text
     * with the message now, and a later run reads it from the spool.
     */
    @Test
    void theSpoolKeepsWhatTheScanFoundForADeliveryAfterARestart() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort(); // nothing listens there: the message stays queued
        }
        start(SignatureScanner.create(), DefaultPolicy.defaults(), ":127.0.0.1:" + dead);
        assertThat(send(SampleMessages.gtube())).startsWith("250");
        QueueId id = decisions.get(0).kept().orElseThrow();
        String scan = org.mailhygiene.smtp.queue.ScanNote.of(reports.get(0).results(), Action.TAG);
        assertThat(scan).contains(":SPAM").endsWith(" disposition=TAG");
        relay.close();
        relay = null;
        spool.close();
        spool = null;
        try (Spool again = Spool.open(dir.resolve("spool"))) {
            assertThat(again.recover())
                    .filteredOn(q -> q.id().equals(id))
                    .singleElement()
                    .satisfies(q -> assertThat(q.scan()).contains(scan));
        }
    }

    @Test
    void spamIsTaggedAndDelivered() throws Exception {
        start(SignatureScanner.create());
        assertThat(send(SampleMessages.gtube())).startsWith("250");
        SinkMessage m = sink.awaitMessages(1, Duration.ofSeconds(20)).get(0);
        String text = new String(m.data(), StandardCharsets.UTF_8);
        assertThat(text).contains("Subject: [SPAM] ").contains("X-Spam-Flag: YES");
        assertThat(text).startsWith("Received: from client.example");
    }

    private static ScriptedScanner scoredClean() {
        return ScriptedScanner.always(ScriptedScanner.Reply.like(Verdict.builder("bayes", Outcome.CLEAN)
                .score(0.1234)
                .threshold(0.8)
                .rule(Rule.of("BAYES_10", 0.1234))
                .build()));
    }

    @Test
    void cleanMailCarriesTheClassifiersStatusAfterItsOwnHeaderFields() throws Exception {
        start(scoredClean());
        assertThat(send(SampleMessages.clean())).startsWith("250");
        String text =
                new String(sink.awaitMessages(1, Duration.ofSeconds(20)).get(0).data(), StandardCharsets.UTF_8);
        String original = new String(SampleMessages.clean(), StandardCharsets.UTF_8);
        int body = original.indexOf("\r\n\r\n") + 2;
        // appended after the message's own fields (folded at 78 characters), the body untouched
        assertThat(text)
                .contains(original.substring(0, body)
                        + "X-Spam-Flag: NO\r\nX-Spam-Score: 0.1234\r\n"
                        + "X-Spam-Status: No, score=0.1234 required=0.8 tests=BAYES_10")
                .endsWith(original.substring(body));
        assertThat(text.replaceAll("\r\n[ \t]", " "))
                .contains("X-Spam-Status: No, score=0.1234 required=0.8 tests=BAYES_10 scanner=scripted\r\n\r\n");
    }

    @Test
    void aCleanMessageTheStatusCannotBeWrittenIntoIsDeliveredUnchangedNotRefused() throws Exception {
        start(scoredClean());
        // one header field, folded into lines of 900 octets, over MessageTagger's 1 MiB limit: it cannot be
        // rewritten, and the message is not spam
        String folded = ("\r\n\t" + "a".repeat(900)).repeat(MessageTagger.MAX_FIELD_LENGTH / 900 + 1);
        byte[] huge =
                ("X-Long: start" + folded + "\r\nSubject: long\r\n\r\nhello\r\n").getBytes(StandardCharsets.US_ASCII);
        assertThat(send(huge)).startsWith("250");
        byte[] got = sink.awaitMessages(1, Duration.ofSeconds(60)).get(0).data();
        String text = new String(got, StandardCharsets.US_ASCII);
        assertThat(text).endsWith(new String(huge, StandardCharsets.US_ASCII)).doesNotContain("X-Spam-Flag");
    }

    @Test
    void aSpamThatCannotBeTaggedIsTempfailedAndNothingOfItIsKept() throws Exception {
        start(ScriptedScanner.always(ScriptedScanner.Reply.spam(0.95, 0.8, Rule.of("BAYES_95", 0.95))));
        String folded = ("\r\n\t" + "a".repeat(900)).repeat(MessageTagger.MAX_FIELD_LENGTH / 900 + 1);
        byte[] huge =
                ("X-Long: start" + folded + "\r\nSubject: long\r\n\r\nbuy now\r\n").getBytes(StandardCharsets.US_ASCII);
        assertThat(send(huge)).startsWith("451");
        assertThat(decisions)
                .singleElement()
                .satisfies(d -> assertThat(d.kept()).isEmpty());
        assertThat(spool.size()).isZero();
        assertThat(relay.delivery().queued()).isZero();
    }

    @Test
    void quarantinedMessageIsHeldNotDelivered() throws Exception {
        start(
                SignatureScanner.create(),
                DefaultPolicy.builder().onVirus(Action.QUARANTINE).build(),
                ":SINK");
        assertThat(send(SampleMessages.eicarAttachment())).matches("250 .*\\(held as .*\\)");
        assertThat(quarantine.list()).hasSize(1);
        assertThat(quarantine.list().get(0).envelope().recipients()).containsExactly("user@example.ac.jp");
        assertNothingCanBeDelivered(Action.QUARANTINE);
        assertThat(decisions.get(0).kept()).as("the quarantine id").isPresent();
        assertOnlyALaterCleanMessageArrives();
    }

    @Test
    void deliveryFailsOverToTheSecondNextHop() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort(); // closed again: connection refused
        }
        sink = SmtpSink.start();
        start(SignatureScanner.create(), DefaultPolicy.defaults(), "example.ac.jp:127.0.0.1:" + dead + ",SINK");
        for (int i = 0; i < 3; i++) {
            assertThat(send(SampleMessages.clean())).startsWith("250");
        }
        assertThat(sink.awaitMessages(3, Duration.ofSeconds(30))).hasSize(3);
    }

    @Test
    void spoolFailureAnswers451() throws Exception {
        start(SignatureScanner.create());
        spool.close();
        assertThat(send(SampleMessages.clean())).startsWith("451 4.3.0");
    }
}
