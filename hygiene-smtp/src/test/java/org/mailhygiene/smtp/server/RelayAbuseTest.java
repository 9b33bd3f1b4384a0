package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.smtp.access.AccessRules;

/**
 * Open-relay attempts from the classic relay-test lists: none may be accepted from a client without relay rights, and
 * the routing forms may not pass even for relay clients.
 */
class RelayAbuseTest {
    private SmtpServer server;
    private final RecordingHandler handler = new RecordingHandler();

    @BeforeEach
    void start() throws Exception {
        server = SmtpServer.builder()
                .port(0)
                .hostname("mx.example.org")
                .acceptedDomains(AcceptedDomains.of("example.org", ".example.org"))
                // 127.0.0.2 is a relay client (an internal server); everyone else is the Internet
                .accessRules(AccessRules.parse("127.0.0.2:allow,RELAYCLIENT=\"\"\n:allow\n"))
                .handler(handler)
                .build();
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "<victim@elsewhere.test>",
                "<victim%elsewhere.test@example.org>",
                "<victim%elsewhere.test@mx.example.org>",
                "<elsewhere.test!victim@example.org>",
                "<\"victim@elsewhere.test\"@example.org>",
                "<\"victim%elsewhere.test\"@example.org>",
                "<@example.org:victim@elsewhere.test>",
                "<@example.org,@mx.example.org:victim@elsewhere.test>",
                "<victim@elsewhere.test@example.org>",
                "<victim@[192.0.2.99]>",
                "<victim@example.org.elsewhere.test>",
                "<victim@elsewhere.test.>",
                "<\"victim@elsewhere.test\">",
                "<victim@elsewhere.test> NOTIFY=NEVER",
                "<victim@elsewhere.test>\tx",
            })
    void internetClientCannotRelay(String path) throws Exception {
        try (TestClient c = new TestClient(server.port()).hello()) {
            assertThat(c.cmd("MAIL FROM:<spammer@example.net>")).startsWith("250");
            String reply = c.cmd("RCPT TO:" + path);
            assertThat(reply).matches("5\\d\\d .*");
            assertThat(c.cmd("DATA")).startsWith("554 5.5.1 No valid recipients");
        }
        assertThat(handler.messages).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "<victim%elsewhere.test@example.org>",
                "<elsewhere.test!victim@example.org>",
                "<\"victim@elsewhere.test\"@example.org>",
            })
    void routingFormsNeverPassEvenForRelayClients(String path) throws Exception {
        try (TestClient c = new TestClient(server.port(), InetAddress.getByName("127.0.0.2")).hello()) {
            c.cmd("MAIL FROM:<user@example.org>");
            assertThat(c.cmd("RCPT TO:" + path)).startsWith("553 5.7.1");
        }
    }

    @Test
    void sourceRouteIsDroppedAndOnlyTheFinalMailboxCounts() throws Exception {
        try (TestClient c = new TestClient(server.port()).hello()) {
            c.cmd("MAIL FROM:<a@example.net>");
            assertThat(c.cmd("RCPT TO:<@elsewhere.test:user@example.org>")).startsWith("250");
            c.cmd("DATA");
            assertThat(c.send("x\r\n.\r\n").reply()).startsWith("250");
        }
        assertThat(handler.messages.get(0).envelope().recipients()).containsExactly("user@example.org");
    }

    @Test
    void acceptedDomainsAndPostmasterWorkForEveryone() throws Exception {
        try (TestClient c = new TestClient(server.port()).hello()) {
            c.cmd("MAIL FROM:<a@example.net>");
            assertThat(c.cmd("RCPT TO:<user@example.org>")).startsWith("250");
            assertThat(c.cmd("RCPT TO:<user@dept.example.org>")).startsWith("250");
            assertThat(c.cmd("RCPT TO:<PostMaster>")).startsWith("250");
            assertThat(c.cmd("RCPT TO:<\"john smith\"@example.org>")).startsWith("250");
        }
    }

    @Test
    void relayClientMayRelay() throws Exception {
        try (TestClient c = new TestClient(server.port(), InetAddress.getByName("127.0.0.2")).hello()) {
            c.cmd("MAIL FROM:<user@example.org>");
            assertThat(c.cmd("RCPT TO:<friend@elsewhere.test>")).startsWith("250");
        }
    }

    @Test
    void deniedClientsGet554AndAreClosed() throws Exception {
        server.stop();
        server = SmtpServer.builder()
                .port(0)
                .accessRules(AccessRules.parse("127.0.0.3:deny\n"))
                .handler(handler)
                .build();
        server.start();
        try (TestClient c = new TestClient(server.port(), InetAddress.getByName("127.0.0.3"))) {
            assertThat(c.reply()).isEqualTo("554 5.7.1 Access denied");
            assertThat(c.reply()).isEqualTo("EOF");
        }
        try (TestClient c = new TestClient(server.port())) {
            assertThat(c.reply()).startsWith("220");
        }
    }
}
