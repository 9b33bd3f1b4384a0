package org.mailhygiene.testkit.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mailhygiene.testkit.server.Fault;

@ExtendWith(SmtpSinkExtension.class)
class SmtpSinkTest {

    /** A minimal raw client: sends text, reads one reply (possibly multi-line) per call. */
    static final class Raw implements AutoCloseable {
        final Socket socket;
        final BufferedReader in;
        final OutputStream out;

        Raw(SmtpSink sink) throws Exception {
            socket = new Socket(sink.address().getAddress(), sink.port());
            socket.setSoTimeout(5000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            out = socket.getOutputStream();
        }

        void send(String s) throws Exception {
            out.write(s.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        List<String> reply() throws Exception {
            List<String> lines = new ArrayList<>();
            String l;
            do {
                l = in.readLine();
                if (l == null) {
                    lines.add("<eof>");
                    return lines;
                }
                lines.add(l);
            } while (l.length() > 3 && l.charAt(3) == '-');
            return lines;
        }

        @Override
        public void close() throws java.io.IOException {
            socket.close();
        }
    }

    @Test
    void recordsEnvelopeAndUnstuffedBytesAndKeepsBareLineEnds(SmtpSink sink) throws Exception {
        try (Raw c = new Raw(sink)) {
            assertThat(c.reply().get(0)).startsWith("220 ");
            c.send("EHLO client.test\r\n");
            List<String> ehlo = c.reply();
            assertThat(ehlo).contains("250-PIPELINING", "250-8BITMIME", "250-SMTPUTF8", "250-SIZE 0");
            assertThat(ehlo).noneMatch(l -> l.contains("STARTTLS"));
            c.send("MAIL FROM:<a@x.org> BODY=8BITMIME\r\nRCPT TO:<b@y.org>\r\nDATA\r\n");
            assertThat(c.reply().get(0)).startsWith("250");
            assertThat(c.reply().get(0)).startsWith("250");
            assertThat(c.reply().get(0)).startsWith("354");
            c.send("Subject: x\r\n\r\n..dot\r\nbare\nlf.\n.\nstill data\r\n.\r\n");
            assertThat(c.reply().get(0)).startsWith("250");
            c.send("QUIT\r\n");
            assertThat(c.reply().get(0)).startsWith("221");
        }
        SinkMessage m = sink.awaitMessages(1, Duration.ofSeconds(60)).get(0);
        assertThat(m.helo()).isEqualTo("client.test");
        assertThat(m.sender()).isEqualTo("a@x.org");
        assertThat(m.mailParameters()).containsExactly("BODY=8BITMIME");
        assertThat(m.recipients()).containsExactly("b@y.org");
        assertThat(m.text()).isEqualTo("Subject: x\r\n\r\n.dot\r\nbare\nlf.\n.\nstill data\r\n");
        assertThat(m.tls()).isFalse();
    }

    @Test
    void scriptedRepliesPerRecipientAndOneShotFaults(SmtpSink sink) throws Exception {
        sink.onRecipient("busy@y.org", SinkAction.reply("451 4.2.0 busy"));
        sink.onRecipient("gone@y.org", SinkAction.reply("550 5.1.1 no such user"));
        sink.enqueue(SinkCommand.DATA_END, SinkAction.close());
        try (Raw c = new Raw(sink)) {
            c.reply();
            c.send("HELO c\r\n");
            c.reply();
            c.send("MAIL FROM:<>\r\n");
            assertThat(c.reply().get(0)).startsWith("250");
            c.send("RCPT TO:<busy@y.org>\r\n");
            assertThat(c.reply().get(0)).isEqualTo("451 4.2.0 busy");
            c.send("RCPT TO:<gone@y.org>\r\n");
            assertThat(c.reply().get(0)).isEqualTo("550 5.1.1 no such user");
            c.send("RCPT TO:<ok@y.org>\r\n");
            assertThat(c.reply().get(0)).startsWith("250");
            c.send("DATA\r\n");
            c.reply();
            c.send("x\r\n.\r\n");
            assertThat(c.reply()).containsExactly("<eof>");
        }
        assertThat(sink.messages()).isEmpty();
        try (Raw c = new Raw(sink)) {
            c.reply();
            c.send("HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<busy@y.org>\r\nRCPT TO:<ok@y.org>\r\nDATA\r\n");
            for (int i = 0; i < 5; i++) {
                c.reply();
            }
            c.send("y\r\n.\r\n");
            assertThat(c.reply().get(0)).startsWith("250");
        }
        SinkMessage m = sink.awaitMessages(1, Duration.ofSeconds(60)).get(0);
        assertThat(m.sender()).isEmpty();
        assertThat(m.recipients()).containsExactly("ok@y.org");
        assertThat(sink.connectionCount()).isEqualTo(2);
        assertThat(sink.transcript()).contains("S: <close>");
    }

    @Test
    void stallNeverAnswersAndCloseReleasesTheConnection() throws Exception {
        SmtpSink sink = SmtpSink.start();
        sink.enqueue(SinkCommand.GREETING, SinkAction.stall());
        try (Raw c = new Raw(sink)) {
            c.socket.setSoTimeout(300);
            org.assertj.core.api.Assertions.assertThatThrownBy(c::reply)
                    .isInstanceOf(java.net.SocketTimeoutException.class);
            sink.close();
            c.socket.setSoTimeout(5000);
            assertThat(c.reply()).containsExactly("<eof>");
        }
    }

    @Test
    void sizeLimitIsAdvertisedAndEnforcedAtMail() throws Exception {
        try (SmtpSink sink = SmtpSink.builder().maxSize(1000).start();
                Raw c = new Raw(sink)) {
            c.reply();
            c.send("EHLO c\r\n");
            assertThat(c.reply()).contains("250-SIZE 1000");
            c.send("MAIL FROM:<a@b.c> SIZE=1001\r\n");
            assertThat(c.reply().get(0)).startsWith("552");
        }
    }

    @Test
    void sharedFaultsAndTheRequestLog(SmtpSink sink) throws Exception {
        sink.enqueue(SinkCommand.MAIL, Fault.reply("451 4.3.0 later"));
        sink.enqueue(SinkCommand.DATA_END, Fault.replyAfter(5, "421 4.3.0 cut"));
        try (Raw c = new Raw(sink)) {
            c.reply();
            c.send("EHLO a\r\n");
            c.reply();
            c.send("MAIL FROM:<a@x.org>\r\n");
            assertThat(c.reply()).containsExactly("451 4.3.0 later");
            c.send("MAIL FROM:<a@x.org>\r\n");
            assertThat(c.reply()).containsExactly("250 2.1.0 Ok");
            c.send("RCPT TO:<b@y.org>\r\n");
            c.reply();
            c.send("DATA\r\n");
            assertThat(c.reply().get(0)).startsWith("354");
            c.send("Subject: long enough\r\n\r\nbody\r\n.\r\n");
            assertThat(c.reply()).containsExactly("421 4.3.0 cut");
            assertThat(c.reply()).containsExactly("<eof>");
        }
        assertThat(sink.messages()).isEmpty();
        assertThat(sink.takeRequest(Duration.ofSeconds(5)).command()).isEqualTo("EHLO");
        SinkRequest mail = sink.takeRequest(Duration.ofSeconds(5));
        assertThat(mail.command()).isEqualTo("MAIL");
        assertThat(mail.line()).isEqualTo("MAIL FROM:<a@x.org>");
        assertThat(mail.connection()).isEqualTo(1);
        assertThat(sink.requests())
                .extracting(SinkRequest::command)
                .containsExactly("EHLO", "MAIL", "MAIL", "RCPT", "DATA");
    }

    @Test
    void aDelayedReplyIsTheNormalOneAndAStallBlocksOnlyItsConnection(SmtpSink sink) throws Exception {
        sink.enqueue(SinkCommand.NOOP, Fault.delay(Duration.ofMillis(1)));
        sink.enqueue(SinkCommand.RSET, Fault.stall());
        try (Raw c = new Raw(sink)) {
            c.reply();
            c.send("NOOP\r\n");
            assertThat(c.reply()).containsExactly("250 2.0.0 Ok");
            c.send("RSET\r\n");
            assertThat(sink.takeRequest(Duration.ofSeconds(5)).command()).isEqualTo("NOOP");
            assertThat(sink.takeRequest(Duration.ofSeconds(5)).command()).isEqualTo("RSET");
        }
        // the stalled connection holds on until the sink closes; other connections are served
        try (Raw c = new Raw(sink)) {
            assertThat(c.reply().get(0)).startsWith("220 ");
        }
    }
}
