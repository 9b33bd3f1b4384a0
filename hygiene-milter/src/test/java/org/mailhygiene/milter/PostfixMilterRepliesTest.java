package org.mailhygiene.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.builtin.SignatureScanner;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.postfix.PrivatePostfix;
import org.mailhygiene.testkit.smtp.SinkMessage;
import org.mailhygiene.testkit.smtp.SmtpSink;

/**
 * Every packet our milter sends is one Postfix reads when it comes (protocol version 6, with the {@code SMFIP_NR_*}
 * flags Postfix offers), checked by a {@link MilterTap} between them, and the header edits are what Postfix delivers:
 * several messages, tagged and clean, on one SMTP session and so one milter connection, where a reply left unread by
 * one message would be read as the answer to a command of the next; and {@code SMFIR_PROGRESS} during a slow scan comes
 * only while Postfix waits for the end of message. Skipped without Postfix; mandatory under
 * {@code CI=true}.
 */
class PostfixMilterRepliesTest {
    /** Postfix's milter_protocol on each listener: 6 with the no-reply flags, 4 and 2 without them. */
    private static final List<Integer> VERSIONS = List.of(6, 4, 2);

    private static final List<AutoCloseable> OPEN = new ArrayList<>();
    private static SmtpSink sink;
    private static MilterTap tap;
    private static MilterTap slowTap;
    private static final PostfixRig.Slow SLOW = new PostfixRig.Slow();
    private static PrivatePostfix postfix;

    @BeforeAll
    static void start() throws Exception {
        RealBinaries.require("postfix", "postfix");
        sink = SmtpSink.builder().maxSize(0).start();
        OPEN.add(sink);
        ScanPipeline pipeline =
                ScanPipeline.builder().scanner(SignatureScanner.create()).build();
        OPEN.add(pipeline);
        MilterServer milter = MilterServer.builder().pipeline(pipeline).build();
        milter.start();
        OPEN.add(milter);
        tap = new MilterTap(milter.address());
        OPEN.add(tap);
        // a scan that takes a while, so that SMFIR_PROGRESS packets go out while Postfix waits for the end of message
        ScanPipeline slowPipeline =
                ScanPipeline.builder().scanner(SLOW).noCache().build();
        OPEN.add(slowPipeline);
        MilterServer slowMilter = MilterServer.builder()
                .pipeline(slowPipeline)
                .progressInterval(Duration.ofMillis(200))
                .build();
        slowMilter.start();
        OPEN.add(slowMilter);
        slowTap = new MilterTap(slowMilter.address());
        OPEN.add(slowTap);
        List<List<String>> listeners = new ArrayList<>();
        for (int version : VERSIONS) {
            listeners.add(List.of("smtpd_milters=" + tap.socketSpec(), "milter_protocol=" + version));
        }
        listeners.add(List.of("smtpd_milters=" + slowTap.socketSpec()));
        postfix = PrivatePostfix.startOnFreePorts(sink.port(), Map.of(), listeners);
        OPEN.add(postfix);
    }

    @AfterAll
    static void stop() {
        for (int i = OPEN.size() - 1; i >= 0; i--) {
            try {
                OPEN.get(i).close();
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    static String gtube(String extraHeaders, boolean subject) {
        return "From: <sender@example.net>\r\nTo: <user@example.test>\r\n"
                + (subject ? "Subject: cheap offer\r\n" : "")
                + "Date: Mon, 05 Jan 2026 09:20:00 +0000\r\nMessage-ID: <" + extraHeaders.length() + "@example.net>\r\n"
                + extraHeaders + "\r\n" + SampleMessages.gtubeString() + "\r\n";
    }

    @ParameterizedTest(name = "milter_protocol = {0}")
    @ValueSource(ints = {6, 4, 2})
    void everyReplyIsReadByPostfixAndTheEditsAreWhatItDelivers(int version) throws Exception {
        sink.clear();
        String forged = "X-Spam-Flag: NO\r\nX-Spam-Status: No, forged upstream\r\nX-Spam-Flag: maybe\r\n";
        String clean = new String(SampleMessages.clean(), StandardCharsets.ISO_8859_1);
        String virus = new String(SampleMessages.eicarAttachment(), StandardCharsets.ISO_8859_1);
        List<String> messages =
                List.of(gtube(forged, true), clean, virus, gtube("", false), gtube(forged, true), clean);
        int before = tap.violations().size();
        List<String> replies = send(postfix.ports().get(VERSIONS.indexOf(version)), messages);
        assertThat(replies.get(2)).as(replies.toString()).startsWith("5"); // the virus, refused by the milter
        List<String> accepted = new ArrayList<>(messages);
        accepted.remove(2);
        replies.remove(2);
        assertThat(replies)
                .as(replies + postfix.log())
                .allSatisfy(r -> assertThat(r).startsWith("250 "));
        List<SinkMessage> got = sink.awaitMessages(accepted.size(), Duration.ofMinutes(3));
        assertThat(got).as(postfix.log()).hasSize(accepted.size());
        assertThat(tap.violations().subList(before, tap.violations().size()))
                .as(tap.traffic())
                .isEmpty();
        assertThat(postfix.log().lines().filter(l -> l.contains("warning:")))
                .as(postfix.log())
                .isEmpty();
        for (int i = 0; i < accepted.size(); i++) {
            String id = messageId(accepted.get(i));
            SinkMessage m = got.stream()
                    .filter(s -> messageId(s.text()).equals(id))
                    .findFirst()
                    .orElseThrow();
            String header =
                    m.text().substring(0, m.text().indexOf("\r\n\r\n") + 2).replaceAll("\r\n[ \t]", " ");
            List<String> fields =
                    header.lines().filter(l -> !l.startsWith("Received:")).toList();
            assertThat(fields).as("message %d:\n%s", i, m.text()).containsExactlyElementsOf(expected(accepted.get(i)));
        }
    }

    @Test
    void progressPacketsComeOnlyWhilePostfixWaitsForTheEndOfMessage() throws Exception {
        sink.clear();
        SLOW.delay = Duration.ofMillis(1500);
        String clean = new String(SampleMessages.clean(), StandardCharsets.ISO_8859_1);
        List<String> replies = send(postfix.ports().get(VERSIONS.size()), List.of(clean, clean, clean));
        assertThat(replies)
                .as(replies + postfix.log())
                .allSatisfy(r -> assertThat(r).startsWith("250 "));
        assertThat(sink.awaitMessages(3, Duration.ofMinutes(3))).hasSize(3);
        assertThat(slowTap.traffic()).as("progress was sent").contains("<p");
        assertThat(slowTap.violations()).as(slowTap.traffic()).isEmpty();
        assertThat(postfix.log().lines().filter(l -> l.contains("warning:")))
                .as(postfix.log())
                .isEmpty();
    }

    /** The header fields Postfix should deliver (without its Received field), unfolded. */
    private static List<String> expected(String message) {
        List<String> in = message.substring(0, message.indexOf("\r\n\r\n") + 2)
                .replaceAll("\r\n[ \t]", " ")
                .lines()
                .toList();
        if (!message.contains(SampleMessages.gtubeString())) {
            return in; // clean: not one edit
        }
        List<String> out = new ArrayList<>();
        List<String> renamed = new ArrayList<>();
        for (String f : in) {
            if (f.startsWith("Subject: ")) {
                out.add("Subject: [SPAM] " + f.substring("Subject: ".length()));
            } else if (f.startsWith("X-Spam-")) {
                renamed.add("X-Spam-Original-" + f.substring("X-Spam-".length())); // moved to the end
            } else {
                out.add(f);
            }
        }
        out.addAll(renamed);
        if (in.stream().noneMatch(f -> f.startsWith("Subject: "))) {
            out.add("Subject: [SPAM]");
        }
        out.add("X-Spam-Flag: YES");
        out.add("X-Spam-Score: 1000.0");
        out.add("X-Spam-Status: Yes, score=1000.0 required=5.0 tests=GTUBE scanner=builtin");
        return out;
    }

    private static String messageId(String text) {
        int at = text.indexOf("Message-ID: ");
        return text.substring(at, text.indexOf("\r\n", at));
    }

    /** One SMTP session with one transaction per message; the replies to their data. */
    static List<String> send(int port, List<String> messages) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout((int) Duration.ofMinutes(5).toMillis());
            BufferedReader in =
                    new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
            OutputStream out = s.getOutputStream();
            List<String> dataReplies = new ArrayList<>();
            expect(in, "220");
            line(out, "EHLO client.example.test");
            expect(in, "250");
            for (String m : messages) {
                line(out, "MAIL FROM:<sender@example.net>");
                expect(in, "250");
                line(out, "RCPT TO:<user@example.test>");
                expect(in, "250");
                line(out, "DATA");
                expect(in, "354");
                out.write(m.getBytes(StandardCharsets.ISO_8859_1)); // no line starts with a dot
                line(out, ".");
                dataReplies.add(reply(in));
            }
            line(out, "QUIT");
            expect(in, "221");
            return dataReplies;
        }
    }

    private static void line(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private static void expect(BufferedReader in, String code) throws IOException {
        String r = reply(in);
        if (!r.startsWith(code)) {
            throw new IOException("expected " + code + ", got " + r + "; maillog:\n" + postfix.log());
        }
    }

    private static String reply(BufferedReader in) throws IOException {
        String l;
        while ((l = in.readLine()) != null) {
            if (l.length() < 4 || l.charAt(3) != '-') {
                return l;
            }
        }
        throw new IOException("connection closed");
    }
}
