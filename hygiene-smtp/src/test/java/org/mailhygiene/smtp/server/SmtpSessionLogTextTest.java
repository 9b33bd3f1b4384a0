package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.mailhygiene.smtp.access.AcceptedDomains;

/** The texts the session's log lines are built from. */
class SmtpSessionLogTextTest {

    /**
     * A stress cut of BDAT chunks sent without MAIL was logged {@code message data from <>}, the null sender's form:
     * it says there was no transaction now.
     */
    @Test
    void dataWithoutATransactionIsNotTheNullSenders() {
        assertThat(SmtpSession.dataOrigin(null)).isEqualTo("sent before any MAIL");
        assertThat(SmtpSession.dataOrigin("")).isEqualTo("from <>");
        assertThat(SmtpSession.dataOrigin("a@example.org")).isEqualTo("from <a@example.org>");
    }

    /**
     * The node log's {@code received} line names the sender as sent: until session 51 it used the SMTP reply's
     * sanitizer, which writes every non-ASCII character as {@code ?} ({@code j?rg@b?cher.example}); now controls and
     * bidirectional overrides still become {@code ?}, letters stay.
     */
    @Test
    void theReceivedLineNamesAnInternationalSenderAsSent() throws Exception {
        SmtpServer server = SmtpServer.builder()
                .port(0)
                .hostname("mx.test.example")
                .acceptedDomains(AcceptedDomains.of("example.org"))
                .handler(new RecordingHandler())
                .build();
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            server.start();
            try (TestClient c = new TestClient(server.port())) {
                c.reply();
                c.cmd("EHLO client.example");
                for (String from : new String[] {"j\u00f6rg@b\u00fccher.example", "x\u202eexe.fdp@b.example"}) {
                    assertThat(c.cmd("MAIL FROM:<" + from + "> SMTPUTF8")).startsWith("250");
                    assertThat(c.cmd("RCPT TO:<b@example.org>")).startsWith("250");
                    assertThat(c.cmd("DATA")).startsWith("354");
                    assertThat(c.cmd("Subject: x\r\n\r\nbody\r\n.")).startsWith("250");
                }
                c.cmd("QUIT");
            }
        } finally {
            server.stop();
            System.setErr(err);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertThat(log.lines().filter(l -> l.contains(": received ")))
                .hasSize(2)
                .anySatisfy(l -> assertThat(l).contains("from <j\u00f6rg@b\u00fccher.example> for 1 recipient(s)"))
                .anySatisfy(l -> assertThat(l).contains("from <x?exe.fdp@b.example> for 1 recipient(s)"));
    }

    /** The same text in the other lines about a message's data. */
    @Test
    void dataOriginKeepsLettersAndReplacesBidiOverrides() {
        assertThat(SmtpSession.dataOrigin("j\u00f6rg@b\u00fccher.example"))
                .isEqualTo("from <j\u00f6rg@b\u00fccher.example>");
        assertThat(SmtpSession.dataOrigin("x\u202eexe.fdp@b.example")).isEqualTo("from <x?exe.fdp@b.example>");
    }
}
