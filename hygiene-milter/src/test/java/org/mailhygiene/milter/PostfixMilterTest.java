package org.mailhygiene.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.smtp.SinkMessage;

/**
 * Our milter inside a real Postfix (private instance on loopback, {@link PostfixRig}), driven by swaks, smtp-source
 * and a plain SMTP exchange for SMTPUTF8. Skipped without Postfix, swaks and smtp-source; mandatory under
 * {@code CI=true}. Timeouts are generous and results are polled: the machine may be busy.
 */
class PostfixMilterTest {
    private static PostfixRig rig;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() throws Exception {
        RealBinaries.require("postfix", "postfix");
        RealBinaries.require("swaks", "swaks");
        RealBinaries.require("smtp-source", "postfix");
        rig = new PostfixRig();
    }

    @AfterAll
    static void stop() {
        if (rig != null) {
            rig.close();
        }
    }

    @BeforeEach
    void clear() {
        rig.sink.clear();
        rig.outcomes.clear();
        rig.slow.delay = Duration.ZERO;
    }

    @Test
    void aCleanTwentyMegabyteMessageIsDeliveredByteIdentical() throws Exception {
        byte[] msg = MilterServerTest.bigMessage(20 * 1024 * 1024, 20);
        Swaks.Result r = Swaks.send(rig.port("main"), "sender@example.net", "user@example.test", msg, tmp);
        assertThat(r.accepted()).as(r.transcript() + rig.postfix.log()).isTrue();
        byte[] data = rig.awaitDelivery(1).data();
        byte[] delivered = PostfixRig.withoutFirstReceived(data);
        assertThat(delivered.length).isEqualTo(msg.length);
        assertThat(java.util.Arrays.mismatch(delivered, msg))
                .as("first differing byte")
                .isEqualTo(-1);
    }

    @Test
    void theClassifiersStatusReachesTheMailboxForHamAndSpamAlike() throws Exception {
        // ham in Japanese: delivered unchanged but for the classifier's status, its tokens readable (RFC 2047)
        byte[] ham = ("From: =?UTF-8?B?5bGx55Sw?= <yamada@example.net>\r\nTo: <user@example.test>\r\n"
                        + "Subject: =?UTF-8?B?5pyI5L6L5Lya6K2w?=\r\nDate: Mon, 05 Jan 2026 09:20:00 +0900\r\n"
                        + "Message-ID: <ham-1@example.net>\r\nMIME-Version: 1.0\r\n"
                        + "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                        + "来週の月例会議は第二会議室で行います。資料は前日までにお送りします。\r\n")
                .getBytes(StandardCharsets.UTF_8);
        Swaks.Result r = Swaks.send(rig.port("classifier"), "yamada@example.net", "user@example.test", ham, tmp);
        assertThat(r.accepted()).as(r.transcript() + rig.postfix.log()).isTrue();
        String delivered = new String(rig.awaitDelivery(1).data(), StandardCharsets.UTF_8);
        assertContinuationLinesStartWithATab(delivered, "X-Spam-Status");
        String unfolded = delivered.replaceAll("\r\n[ \t]", " ");
        assertThat(unfolded).contains("\r\nX-Spam-Flag: NO\r\n").containsPattern("\r\nX-Spam-Score: 0\\.\\d+\r\n");
        assertThat(unfolded).containsPattern("\r\nX-Spam-Status: No, score=0\\.\\d+ required=0\\.8 tests=BAYES_");
        assertThat(unfolded)
                .as("tokens outside ASCII as encoded words, never question marks")
                .contains("=?UTF-8?B?");
        assertThat(unfolded).doesNotContain("??,");
        assertThat(delivered).endsWith("資料は前日までにお送りします。\r\n");
        rig.sink.clear();
        byte[] pills = ("From: Pharmacy Deals <deals@cheap-meds.example>\r\nTo: <user@example.test>\r\n"
                        + "Subject: Lowest prices on VIAGRA and CIALIS\r\nDate: Mon, 05 Jan 2026 09:10:00 +0000\r\n"
                        + "Message-ID: <m1@cheap-meds.example>\r\nMIME-Version: 1.0\r\n"
                        + "Content-Type: text/html; charset=us-ascii\r\n\r\n<html><body><p>Buy VIAGRA and CIALIS"
                        + " online, 90% off, no prescription needed!</p><p><a href=\"http://cheap-meds.example/order\">"
                        + "Click here to order now</a>, limited time offer.</p></body></html>\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        Swaks.Result s =
                Swaks.send(rig.port("classifier"), "deals@cheap-meds.example", "user@example.test", pills, tmp);
        assertThat(s.accepted()).as(s.transcript()).isTrue();
        String spamAsDelivered = new String(rig.awaitDelivery(1).data(), StandardCharsets.UTF_8);
        assertContinuationLinesStartWithATab(spamAsDelivered, "X-Spam-Status");
        String spam = spamAsDelivered.replaceAll("\r\n[ \t]", " ");
        assertThat(spam).contains("\r\nX-Spam-Flag: YES\r\n").contains("X-Spam-Status: Yes, score=");
        assertThat(spam).contains("\r\nSubject: [SPAM] Lowest prices");
    }

    @Test
    void manyMessagesTravelOverOneMilterConnection() throws Exception {
        MilterServer milter = rig.milters.get("main");
        long before = milter.connectionsAccepted();
        Path source = RealBinaries.require("smtp-source", "postfix");
        Process p = new ProcessBuilder(
                        source.toString(),
                        "-d",
                        "-s",
                        "1",
                        "-m",
                        "30",
                        "-l",
                        "2000",
                        "-M",
                        "client.example.test",
                        "-f",
                        "bench@example.net",
                        "-t",
                        "user@example.test",
                        "127.0.0.1:" + rig.port("main"))
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        rig.awaitDelivery(30);
        assertThat(rig.outcomes)
                .hasSize(30)
                .allSatisfy(o -> assertThat(o.action()).isEqualTo(Action.ACCEPT));
        // each verdict names its own message's Postfix queue id (the i macro), never the one before it
        assertThat(rig.outcomes.stream().map(o -> o.mtaQueueId().orElse("")))
                .doesNotContain("")
                .doesNotHaveDuplicates();
        assertThat(milter.connectionsAccepted() - before)
                .as("one SMTP session, one milter connection")
                .isEqualTo(1);
    }

    @Test
    void smtputf8MailIsScannedAndTaggedWithItsUtf8SubjectIntact() throws Exception {
        byte[] msg = ("From: 山田 <山田@例え.jp>\r\nTo: <user@example.test>\r\nSubject: 会議のお知らせ\r\n"
                        + "Date: Mon, 05 Jan 2026 09:20:00 +0900\r\nMessage-ID: <utf8-1@例え.jp>\r\n"
                        + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                        + "Content-Transfer-Encoding: 8bit\r\n\r\n本文\r\n"
                        + SampleMessages.gtubeString() + "\r\n")
                .getBytes(StandardCharsets.UTF_8);
        String reply = smtp(rig.port("main"), "山田@例え.jp", "user@example.test", msg, true);
        assertThat(reply).startsWith("250");
        SinkMessage m = rig.awaitDelivery(1);
        assertThat(m.mailParameters()).anySatisfy(p -> assertThat(p).isEqualToIgnoringCase("SMTPUTF8"));
        String delivered = new String(PostfixRig.withoutFirstReceived(m.data()), StandardCharsets.UTF_8);
        assertThat(delivered).contains("\r\nSubject: [SPAM] 会議のお知らせ\r\n").contains("From: 山田 <山田@例え.jp>\r\n");
        assertThat(delivered).endsWith("\r\n\r\n本文\r\n" + SampleMessages.gtubeString() + "\r\n");
    }

    @Test
    void aVirusIsHeldInPostfixsHoldQueueWithTheReason() throws Exception {
        Swaks.Result r = Swaks.send(
                rig.port("quarantine"),
                "sender@example.net",
                "user@example.test",
                SampleMessages.eicarAttachment(),
                tmp);
        assertThat(r.accepted()).as(r.transcript()).isTrue();
        long until = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (rig.postfix.held().isEmpty() && System.nanoTime() < until) {
            Thread.sleep(100);
        }
        assertThat(rig.postfix.held()).hasSize(1);
        until = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (!rig.postfix.log().contains("milter-hold") && System.nanoTime() < until) {
            Thread.sleep(100);
        }
        String log = rig.postfix.log();
        // Postfix 3.7 logs "milter triggers HOLD action"; releases that log the milter's reason show ours instead.
        assertThat(log).as(log).contains("milter-hold: END-OF-MESSAGE");
        assertThat(rig.outcomes)
                .singleElement()
                .satisfies(o -> assertThat(o.action()).isEqualTo(Action.QUARANTINE));
        assertThat(rig.sink.messages()).isEmpty();
    }

    @Test
    void aStoppedMilterGetsPostfixsDefaultAction() throws Exception {
        Swaks.Result r =
                Swaks.send(rig.port("stopped"), "sender@example.net", "user@example.test", SampleMessages.clean(), tmp);
        // milter_default_action = tempfail: Postfix answers 451 4.7.1 (at the first command the milter would see).
        assertThat(r.transcript()).contains("451 4.7.1 Service unavailable - try again later");
        assertThat(rig.sink.messages()).isEmpty();
    }

    @Test
    void progressKeepsPostfixWaitingPastItsContentTimeout() throws Exception {
        rig.slow.delay = Duration.ofSeconds(6); // Postfix's milter_content_timeout on this listener is 3 s
        Swaks.Result r =
                Swaks.send(rig.port("slow"), "sender@example.net", "user@example.test", SampleMessages.clean(), tmp);
        assertThat(r.accepted()).as(r.transcript() + rig.postfix.log()).isTrue();
        assertThat(rig.outcomes)
                .singleElement()
                // Accepted at all proves the progress worked; with a 3 s timeout, a 6 s scan needs at least two. How
                // many more were sent depends on the machine's load, so it is not asserted.
                .satisfies(o -> assertThat(o.progressReplies()).isGreaterThanOrEqualTo(2));
        rig.awaitDelivery(1);
    }

    @Test
    void aScanPastThePipelineDeadlineIsTempfailedByThePolicy() throws Exception {
        rig.slow.delay = Duration.ofMinutes(5); // past the 8 s pipeline deadline
        Swaks.Result r =
                Swaks.send(rig.port("slow"), "sender@example.net", "user@example.test", SampleMessages.clean(), tmp);
        assertThat(r.finalReply()).as(r.transcript()).startsWith("451 ");
        assertThat(rig.outcomes)
                .singleElement()
                .satisfies(o -> assertThat(o.action()).isEqualTo(Action.TEMPFAIL));
        assertThat(rig.sink.messages()).isEmpty();
    }

    @Test
    void aClamdFailureIsATempfailNeverAnAccept() throws Exception {
        Swaks.Result r = Swaks.send(
                rig.port("clamd-down"),
                "sender@example.net",
                "user@example.test",
                SampleMessages.eicarAttachment(),
                tmp);
        assertThat(r.finalReply()).as(r.transcript()).startsWith("451 ");
        assertThat(rig.sink.messages()).isEmpty();
    }

    /** One SMTP transaction by hand (swaks cannot send the SMTPUTF8 parameter); returns the reply to the data. */
    static String smtp(int port, String from, String to, byte[] message, boolean smtputf8) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout((int) Duration.ofMinutes(10).toMillis());
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            List<String> replies = new ArrayList<>();
            expect(in, "220", replies);
            send(out, "EHLO client.example.test");
            expect(in, "250", replies);
            send(out, "MAIL FROM:<" + from + ">" + (smtputf8 ? " SMTPUTF8 BODY=8BITMIME" : ""));
            expect(in, "250", replies);
            send(out, "RCPT TO:<" + to + ">");
            expect(in, "250", replies);
            send(out, "DATA");
            expect(in, "354", replies);
            out.write(message); // no line starts with a dot in the test messages
            out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String last = readReply(in);
            send(out, "QUIT");
            return last;
        }
    }

    private static void send(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void expect(BufferedReader in, String code, List<String> replies) throws IOException {
        String r = readReply(in);
        replies.add(r);
        if (!r.startsWith(code)) {
            throw new IOException("expected " + code + ", got " + r + " after " + replies);
        }
    }

    private static String readReply(BufferedReader in) throws IOException {
        String line;
        StringBuilder all = new StringBuilder();
        while ((line = in.readLine()) != null) {
            all.append(line).append('\n');
            if (line.length() < 4 || line.charAt(3) != '-') {
                return line;
            }
        }
        throw new IOException("connection closed; got " + all);
    }

    /**
     * The field as Postfix delivered it is folded as SpamAssassin folds its own {@code X-Spam-Status} (and Postfix its
     * {@code Received}): every continuation line starts with one tab, no line ends in white space (it mixed a space
     * before a fold at a blank with a tab after a comma until session 49).
     */
    static void assertContinuationLinesStartWithATab(String message, String name) {
        int start = message.indexOf("\r\n" + name + ": ");
        assertThat(start).as(name + " in " + message).isNotNegative();
        String[] lines = message.substring(start + 2).split("\r\n", -1);
        assertThat(lines.length).as("folded: " + lines[0]).isGreaterThan(1);
        assertThat(lines[1]).as("the field is folded").startsWith("\t");
        for (int i = 1; i < lines.length && (lines[i].startsWith(" ") || lines[i].startsWith("\t")); i++) {
            assertThat(lines[i]).as("continuation line %d", i).startsWith("\t").doesNotStartWith("\t ");
            assertThat(lines[i - 1]).as("line %d", i - 1).doesNotEndWith(" ").doesNotEndWith("\t");
        }
    }
}
