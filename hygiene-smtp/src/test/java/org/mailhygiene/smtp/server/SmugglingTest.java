package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mailhygiene.smtp.access.AcceptedDomains;

/**
 * SMTP smuggling (CERT VU#302671, CVE-2023-51764/5/6) end to end: a message whose content holds a non-standard end of
 * data followed by a second transaction must yield neither a second message nor any reply to the smuggled commands.
 */
class SmugglingTest {
    private SmtpServer server;
    private final RecordingHandler handler = new RecordingHandler();

    @BeforeEach
    void start() throws Exception {
        server = SmtpServer.builder()
                .port(0)
                .acceptedDomains(AcceptedDomains.of("example.org"))
                .handler(handler)
                .build();
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    @ParameterizedTest
    @ValueSource(strings = {"\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r", "\r\n.\r", "\r.\r\n", "\n.\r", "\r.\n"})
    void smuggledSecondMessageIsNeverAccepted(String endOfData) throws Exception {
        try (TestClient c = new TestClient(server.port()).hello()) {
            c.cmd("MAIL FROM:<user@example.net>");
            c.cmd("RCPT TO:<a@example.org>");
            assertThat(c.cmd("DATA")).startsWith("354");
            c.send("From: user@example.net\r\nSubject: first\r\n\r\nhello" + endOfData
                    + "MAIL FROM:<admin@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"
                    + "From: admin@example.org\r\nSubject: spoofed\r\n\r\nsmuggled\r\n.\r\n");
            assertThat(c.reply()).isEqualTo("550 5.5.2 Message contains a bare CR or LF; use CRLF line ends");
            // the session is in step: the very next reply belongs to our next command
            assertThat(c.cmd("NOOP")).isEqualTo("250 2.0.0 Ok");
            assertThat(c.cmd("QUIT")).startsWith("221");
        }
        assertThat(handler.messages).isEmpty();
    }
}
