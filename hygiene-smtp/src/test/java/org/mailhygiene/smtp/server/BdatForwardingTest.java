package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.policy.SmtpReply;
import org.mailhygiene.api.routing.NextHop;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.smtp.delivery.Endpoint;
import org.mailhygiene.smtp.delivery.RecipientResult;
import org.mailhygiene.smtp.delivery.SmtpClient;
import org.mailhygiene.smtp.delivery.TlsPolicy;
import org.mailhygiene.smtp.delivery.TransactionResult;

/**
 * BDAT in, DATA out: a message taken with BDAT by one server and forwarded by {@link SmtpClient} (which speaks DATA)
 * to a second server arrives as exactly one message with exactly the bytes sent, whatever end-of-data lookalikes the
 * raw chunk held; and a chunk with bare line ends, which could end DATA early at a lax next hop, is never accepted.
 */
class BdatForwardingTest {
    private SmtpServer inbound;
    private SmtpServer next;
    private final RecordingHandler delivered = new RecordingHandler();
    private final AtomicInteger forwarded = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        next = SmtpServer.builder()
                .port(0)
                .hostname("next.test.example")
                .acceptedDomains(AcceptedDomains.of("example.org"))
                .handler(delivered)
                .build();
        next.start();
        SmtpClient client = SmtpClient.builder()
                .heloName("mx.test.example")
                .tls(TlsPolicy.disabled())
                .build();
        Endpoint hop = Endpoint.literal(new NextHop("127.0.0.1", next.port()));
        inbound = SmtpServer.builder()
                .port(0)
                .hostname("mx.test.example")
                .acceptedDomains(AcceptedDomains.of("example.org"))
                .handler((env, content) -> {
                    forwarded.incrementAndGet();
                    TransactionResult r =
                            client.deliver(hop, env.sender(), env.recipients(), content, Duration.ofSeconds(20));
                    boolean ok =
                            r.recipients().stream().allMatch(x -> x.outcome() == RecipientResult.Outcome.DELIVERED);
                    return ok ? new SmtpReply(250, "2.0.0", "Forwarded") : new SmtpReply(451, "4.4.0", "Not forwarded");
                })
                .build();
        inbound.start();
    }

    @AfterEach
    void stop() {
        if (inbound != null) {
            inbound.stop();
        }
        if (next != null) {
            next.stop();
        }
    }

    /** Sends {@code body} in two chunks; returns the two replies. */
    private String[] sendWithBdat(String body) throws Exception {
        byte[] b = body.getBytes(StandardCharsets.ISO_8859_1);
        try (TestClient c = new TestClient(inbound.port()).hello()) {
            assertThat(c.cmd("MAIL FROM:<a@example.net>")).startsWith("250");
            assertThat(c.cmd("RCPT TO:<u@example.org>")).startsWith("250");
            int half = b.length / 2;
            c.sendBytes(("BDAT " + half + "\r\n").getBytes(StandardCharsets.US_ASCII));
            c.sendBytes(java.util.Arrays.copyOfRange(b, 0, half));
            c.sendBytes(("BDAT " + (b.length - half) + " LAST\r\n").getBytes(StandardCharsets.US_ASCII));
            c.sendBytes(java.util.Arrays.copyOfRange(b, half, b.length));
            return new String[] {c.reply(), c.reply()};
        }
    }

    @Test
    void endOfDataLookalikesInsideAChunkStayContentAtTheNextHop() throws Exception {
        String body = "Subject: real\r\n\r\nhello\r\n.\r\nMAIL FROM:<spoof@evil.example>\r\n"
                + "RCPT TO:<u@example.org>\r\nDATA\r\nSubject: smuggled\r\n\r\nx\r\n.\r\n..\r\n.end\r\n";
        assertThat(sendWithBdat(body))
                .containsExactly("250 2.0.0 " + body.length() / 2 + " octets received", "250 2.0.0 Forwarded");
        assertThat(delivered.messages).hasSize(1);
        String got = delivered.messages.get(0).text();
        assertThat(got).endsWith(body); // behind the two Received headers, byte for byte
        assertThat(got).containsOnlyOnce("Received: from client.example").containsOnlyOnce("Received: from mx.test");
        assertThat(delivered.messages.get(0).envelope().sender()).isEqualTo("a@example.net");
    }

    @Test
    void bareLineEndsNeverGetPastTheInboundServer() throws Exception {
        String body = "Subject: real\r\n\r\nhello\n.\nMAIL FROM:<spoof@evil.example>\r\nRCPT TO:<u@example.org>\r\n"
                + "DATA\r\n\r\nsmuggled\r\n.\r\n";
        String[] replies = sendWithBdat(body);
        assertThat(replies[0]).startsWith("550 5.5.2"); // the first chunk holds the bare LFs
        assertThat(replies[1]).startsWith("503 5.5.1 Chunk discarded");
        assertThat(forwarded).hasValue(0);
        assertThat(delivered.messages).isEmpty();
    }

    @Test
    void aLastLineWithoutLineEndGetsItsCrlfWhenForwarded() throws Exception {
        String body = "Subject: x\r\n\r\nno line end at the very end";
        assertThat(sendWithBdat(body)[1]).isEqualTo("250 2.0.0 Forwarded");
        assertThat(delivered.messages).hasSize(1);
        assertThat(delivered.messages.get(0).text()).endsWith(body + "\r\n");
    }
}
