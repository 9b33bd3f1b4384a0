package org.mailhygiene.smtp.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.routing.NextHop;
import org.mailhygiene.smtp.dsn.DsnRequest;
import org.mailhygiene.testkit.Await;
import org.mailhygiene.testkit.junit.RealBinaries;

/** Our client delivering to Postfix's real {@code smtp-sink}, started on 127.0.0.1 and a free port. */
class PostfixSmtpSinkTest {
    @TempDir
    Path dir;

    /** A running smtp-sink; stopped by close(). */
    static final class PostfixSink implements AutoCloseable {
        final Process process;
        final int port;

        PostfixSink(Path binary, Path dumpDir, String... extra) throws Exception {
            int p;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                p = s.getLocalPort();
            }
            port = p;
            List<String> cmd = new ArrayList<>(List.of(binary.toString()));
            if ("root".equals(System.getProperty("user.name"))) {
                cmd.addAll(List.of("-u", "postfix")); // smtp-sink refuses to run as root without it
            }
            cmd.addAll(List.of(
                    "-h", "sink.postfix.test", "-d", dumpDir.resolve("msg.").toString()));
            cmd.addAll(List.of(extra));
            cmd.addAll(List.of("127.0.0.1:" + port, "16"));
            process = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(dumpDir.resolve("sink.log").toFile())
                    .start();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                    break;
                } catch (IOException e) {
                    if (!process.isAlive() || System.nanoTime() > end) {
                        close();
                        throw new IllegalStateException(
                                "smtp-sink did not start: " + Files.readString(dumpDir.resolve("sink.log")), e);
                    }
                    Thread.sleep(50);
                }
            }
        }

        Endpoint endpoint() {
            return Endpoint.literal(new NextHop("127.0.0.1", port));
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    Path dumpDir() throws IOException {
        // smtp-sink drops to user postfix: it must reach the dump directory through the private temp directory.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        Path d = Files.createDirectory(dir.resolve("dump"));
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxrwxrwx")); // written as user postfix
        return d;
    }

    static List<String> dumps(Path d) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(d)) {
            for (Path p :
                    s.filter(p -> p.getFileName().toString().startsWith("msg.")).toList()) {
                out.add(Files.readString(p, StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    @Test
    void deliversToPostfixSmtpSink() throws Exception {
        Path bin = RealBinaries.require("smtp-sink", "postfix");
        Path d = dumpDir();
        String msg =
                "From: a@x.org\r\nSubject: to postfix\r\n\r\n.starts with a dot\r\n..two dots\r\n.\r\ncaf\u00e9\r\n";
        try (PostfixSink sink = new PostfixSink(bin, d)) {
            SmtpClient client = SmtpClient.builder()
                    .heloName("relay.test")
                    .tls(TlsPolicy.disabled())
                    .build();
            TransactionResult r = client.deliver(
                    sink.endpoint(),
                    "a@x.org",
                    List.of("b@y.org", "c@y.org"),
                    MessageContent.ofString(msg, StandardCharsets.UTF_8),
                    Duration.ofSeconds(30));
            assertThat(r.recipients())
                    .extracting(RecipientResult::outcome)
                    .containsOnly(RecipientResult.Outcome.DELIVERED);
            Await.until("smtp-sink wrote its dump", () -> !dumps(d).isEmpty());
        }
        List<String> got = dumps(d);
        assertThat(got).hasSize(1);
        String dump = got.get(0);
        assertThat(dump).contains("X-Helo-Args: relay.test\n");
        // smtp-sink offers 8BITMIME but not SIZE: BODY=8BITMIME for the 8-bit content, no SIZE parameter.
        assertThat(dump).contains("X-Mail-Args: <a@x.org> BODY=8BITMIME\n");
        assertThat(dump).contains("X-Rcpt-Args: <b@y.org>\n").contains("X-Rcpt-Args: <c@y.org>\n");
        // smtp-sink stores lines with LF ends after removing the dot-stuffing: the content arrived unchanged.
        assertThat(dump).contains(msg.replace("\r\n", "\n"));
    }

    /**
     * smtp-sink -8 does not offer 8BITMIME: a multipart message with an 8-bit text part, a binary attachment and an
     * encapsulated 8-bit message arrives 7 bit, without BODY=8BITMIME, and every part decodes to what it was.
     */
    @Test
    void aPostfixSmtpSinkWithout8bitmimeGetsSevenBitContentThatDecodesToTheOriginal() throws Exception {
        Path bin = RealBinaries.require("smtp-sink", "postfix");
        Path d = dumpDir();
        byte[] attachment = new byte[600];
        for (int i = 0; i < attachment.length; i++) {
            attachment[i] = (byte) (i % 7 == 0 ? 0 : 0x80 + i % 120);
        }
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        o.writeBytes(("From: a@x.org\r\nSubject: 8 bit\r\nMIME-Version: 1.0\r\n"
                        + "Content-Type: multipart/mixed; boundary=\"==b\"\r\n\r\n--==b\r\n"
                        + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                        + "caf\u00e9 cr\u00e8me\r\n.leading dot\r\n--==b\r\n"
                        + "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        o.writeBytes(attachment);
        o.writeBytes(("\r\n--==b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nMIME-Version: 1.0\r\n"
                        + "Content-Type: text/plain; charset=utf-8\r\n\r\nna\u00efve\r\n--==b--\r\n")
                .getBytes(StandardCharsets.UTF_8));
        byte[] msg = o.toByteArray();
        try (PostfixSink sink = new PostfixSink(bin, d, "-8")) {
            SmtpClient client = SmtpClient.builder()
                    .heloName("relay.test")
                    .tls(TlsPolicy.disabled())
                    .build();
            TransactionResult r = client.deliver(
                    sink.endpoint(),
                    "a@x.org",
                    List.of("b@y.org"),
                    MessageContent.ofBytes(msg),
                    Duration.ofSeconds(30));
            assertThat(r.recipients())
                    .extracting(RecipientResult::outcome)
                    .containsOnly(RecipientResult.Outcome.DELIVERED);
            Await.until("smtp-sink wrote its dump", () -> !dumps(d).isEmpty());
        }
        String dump = dumps(d).get(0);
        assertThat(dump).contains("X-Mail-Args: <a@x.org>\n");
        String received = dump.substring(dump.indexOf("From: a@x.org\n")).replace("\n", "\r\n");
        assertThat(received.chars()).allMatch(c -> c < 0x80 && c != 0);
        jakarta.mail.Session session = jakarta.mail.Session.getInstance(new java.util.Properties());
        jakarta.mail.internet.MimeMessage m = new jakarta.mail.internet.MimeMessage(
                session, new java.io.ByteArrayInputStream(received.getBytes(StandardCharsets.US_ASCII)));
        jakarta.mail.internet.MimeMultipart mp = (jakarta.mail.internet.MimeMultipart) m.getContent();
        assertThat(mp.getCount()).isEqualTo(3);
        assertThat(mp.getBodyPart(0).getContent()).isEqualTo("caf\u00e9 cr\u00e8me\r\n.leading dot");
        assertThat(mp.getBodyPart(0).getHeader("Content-Transfer-Encoding")).containsExactly("quoted-printable");
        assertThat(mp.getBodyPart(1).getInputStream().readAllBytes()).isEqualTo(attachment);
        assertThat(mp.getBodyPart(1).getHeader("Content-Transfer-Encoding")).containsExactly("base64");
        jakarta.mail.internet.MimeMessage inner =
                (jakarta.mail.internet.MimeMessage) mp.getBodyPart(2).getContent();
        assertThat(inner.getSubject()).isEqualTo("inner");
        assertThat(inner.getContent()).isEqualTo("na\u00efve");
    }

    static final DsnRequest DSN = new DsnRequest(
            java.util.Optional.of(DsnRequest.Ret.HDRS),
            java.util.Optional.of("id 1+x"),
            List.of(
                    new DsnRequest.Recipient(
                            java.util.Set.of(DsnRequest.Notify.SUCCESS, DsnRequest.Notify.FAILURE),
                            java.util.Optional.of(new DsnRequest.Orcpt("rfc822", "orig+b@y.org"))),
                    new DsnRequest.Recipient(
                            java.util.Set.of(DsnRequest.Notify.NEVER),
                            java.util.Optional.of(new DsnRequest.Orcpt("utf-8", "j\u00f6rg@y.org")))));

    /** smtp-sink offers DSN (unless -N): the parameters reach it as RFC 3461 wants them, xtext-encoded. */
    @Test
    void dsnParametersReachPostfixSmtpSinkXtextEncoded() throws Exception {
        Path bin = RealBinaries.require("smtp-sink", "postfix");
        Path d = dumpDir();
        try (PostfixSink sink = new PostfixSink(bin, d)) {
            SmtpClient client = SmtpClient.builder()
                    .heloName("relay.test")
                    .tls(TlsPolicy.disabled())
                    .build();
            TransactionResult r = client.deliver(
                    sink.endpoint(),
                    TlsPolicy.disabled(),
                    "a@x.org",
                    List.of("b@y.org", "c@y.org"),
                    MessageContent.ofString("Subject: dsn\r\n\r\nx\r\n", StandardCharsets.UTF_8),
                    Duration.ofSeconds(30),
                    DSN);
            assertThat(r.dsn()).isTrue();
            assertThat(r.recipients())
                    .extracting(RecipientResult::outcome)
                    .containsOnly(RecipientResult.Outcome.DELIVERED);
            Await.until("smtp-sink wrote its dump", () -> !dumps(d).isEmpty());
        }
        String dump = dumps(d).get(0);
        assertThat(dump).contains("X-Mail-Args: <a@x.org> RET=HDRS ENVID=id+201+2Bx\n");
        assertThat(dump)
                .contains("X-Rcpt-Args: <b@y.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;orig+2Bb@y.org\n")
                .contains("X-Rcpt-Args: <c@y.org> NOTIFY=NEVER ORCPT=utf-8;j\\x{F6}rg@y.org\n");
    }

    /** smtp-sink -N offers no DSN: nothing of the request is sent, and the result says so. */
    @Test
    void aPostfixSmtpSinkWithoutDsnGetsNoParameters() throws Exception {
        Path bin = RealBinaries.require("smtp-sink", "postfix");
        Path d = dumpDir();
        try (PostfixSink sink = new PostfixSink(bin, d, "-N")) {
            SmtpClient client = SmtpClient.builder()
                    .heloName("relay.test")
                    .tls(TlsPolicy.disabled())
                    .build();
            TransactionResult r = client.deliver(
                    sink.endpoint(),
                    TlsPolicy.disabled(),
                    "a@x.org",
                    List.of("b@y.org", "c@y.org"),
                    MessageContent.ofString("Subject: dsn\r\n\r\nx\r\n", StandardCharsets.UTF_8),
                    Duration.ofSeconds(30),
                    DSN);
            assertThat(r.dsn()).isFalse();
            Await.until("smtp-sink wrote its dump", () -> !dumps(d).isEmpty());
        }
        String dump = dumps(d).get(0);
        assertThat(dump).contains("X-Mail-Args: <a@x.org>\n");
        assertThat(dump).contains("X-Rcpt-Args: <b@y.org>\n").contains("X-Rcpt-Args: <c@y.org>\n");
    }

    @Test
    void temporaryRecipientRefusalFromPostfixSmtpSinkIsTemporary() throws Exception {
        Path bin = RealBinaries.require("smtp-sink", "postfix");
        Path d = dumpDir();
        try (PostfixSink sink = new PostfixSink(bin, d, "-r", "rcpt")) {
            SmtpClient client = SmtpClient.builder().tls(TlsPolicy.disabled()).build();
            TransactionResult r = client.deliver(
                    sink.endpoint(),
                    "a@x.org",
                    List.of("b@y.org"),
                    MessageContent.ofString("x\r\n", StandardCharsets.UTF_8),
                    Duration.ofSeconds(30));
            assertThat(r.recipients().get(0).outcome()).isEqualTo(RecipientResult.Outcome.TEMPORARY);
            assertThat(r.recipients().get(0).diagnostic()).startsWith("4");
        }
        // smtp-sink may create the session's dump file before the refused RCPT (timing-dependent); what matters is
        // that no message content reached it.
        assertThat(dumps(d)).allSatisfy(dump -> assertThat(dump).isEmpty());
    }
}
