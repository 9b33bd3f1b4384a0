package org.mailhygiene.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.DefaultPolicy;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.builtin.SignatureScanner;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.postfix.PrivatePostfix;
import org.mailhygiene.testkit.smtp.SmtpSink;

/**
 * The policy's {@code onNotRead} (the node-config key {@code not-read-action}, which {@code hygiene milter --config}
 * reads as the relay does) behind a real Postfix, as {@code NodeNotReadRealClientsTest} checks the relay: a message
 * whose attachment is libarchive's WinRAR {@code rar5_compressed.rar} (a compressed file the signature scanner cannot
 * search) is delivered with {@code X-Hygiene-Not-Read} under ACCEPT, held in Postfix's hold queue under QUARANTINE and
 * refused with our 554 under REJECT. Skipped without Postfix and swaks outside CI.
 */
class PostfixMilterNotReadTest {
    private static final Path RAR =
            Path.of("../hygiene-scanners/src/test/resources/org/mailhygiene/scanners/archive/rar/rar5_compressed.rar");

    @TempDir
    static Path tmp;

    private static final List<AutoCloseable> open = new ArrayList<>();
    private static SmtpSink sink;
    private static PrivatePostfix postfix;

    @BeforeAll
    static void start() throws Exception {
        RealBinaries.require("postfix", "postfix");
        RealBinaries.require("swaks", "swaks");
        sink = SmtpSink.builder().maxSize(0).start();
        open.add(sink);
        List<List<String>> options = new ArrayList<>();
        for (Action a : List.of(Action.ACCEPT, Action.QUARANTINE, Action.REJECT)) {
            ScanPipeline pipeline = ScanPipeline.builder()
                    .scanner(SignatureScanner.create())
                    .policy(DefaultPolicy.builder().onNotRead(a).build())
                    .build();
            open.add(pipeline);
            MilterServer milter = MilterServer.builder().pipeline(pipeline).build();
            milter.start();
            open.add(milter);
            options.add(List.of("smtpd_milters=" + milter.socketSpec()));
        }
        postfix = PrivatePostfix.startOnFreePorts(sink.port(), Map.of(), options);
        open.add(postfix);
    }

    @AfterAll
    static void stop() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private static byte[] message() throws Exception {
        String rar = Base64.getMimeEncoder().encodeToString(Files.readAllBytes(RAR));
        return ("From: <sender@example.net>\r\nTo: <user@example.test>\r\nSubject: the report\r\n"
                        + "Message-ID: <rar-1@example.net>\r\nMIME-Version: 1.0\r\n"
                        + "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
                        + "attached\r\n--b\r\nContent-Type: application/x-rar; name=\"report.rar\"\r\n"
                        + "Content-Transfer-Encoding: base64\r\n\r\n" + rar + "\r\n--b--\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void acceptMarksQuarantineHoldsRejectRefuses() throws Exception {
        Swaks.Result marked =
                Swaks.send(postfix.ports().get(0), "sender@example.net", "user@example.test", message(), tmp);
        assertThat(marked.accepted()).as(marked.transcript() + postfix.log()).isTrue();
        String delivered = new String(
                        sink.awaitMessages(1, Duration.ofMinutes(3)).get(0).data(), StandardCharsets.US_ASCII)
                .replaceAll("\r\n[ \t]+", " ");
        assertThat(delivered)
                .contains("\r\nX-Hygiene-Not-Read: builtin: not searched: MIME part '2' (application/x-rar,"
                        + " report.rar): RAR file \"test.bin\" (compressed (RAR5 method 5))\r\n");

        Swaks.Result held =
                Swaks.send(postfix.ports().get(1), "sender@example.net", "user@example.test", message(), tmp);
        assertThat(held.accepted()).as(held.transcript()).isTrue();
        long until = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (postfix.held().isEmpty() && System.nanoTime() < until) {
            Thread.sleep(100);
        }
        assertThat(postfix.held()).hasSize(1);

        Swaks.Result refused =
                Swaks.send(postfix.ports().get(2), "sender@example.net", "user@example.test", message(), tmp);
        assertThat(refused.finalReply()).startsWith("554 5.7.1 Message holds content that could not be searched");
        assertThat(sink.messages()).hasSize(1);
    }
}
