package org.mailhygiene.smtp.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.routing.NextHop;
import org.mailhygiene.api.routing.Route;
import org.mailhygiene.api.routing.StaticRouter;
import org.mailhygiene.smtp.queue.Spool;
import org.mailhygiene.testkit.FakeClock;
import org.mailhygiene.testkit.smtp.SinkAction;
import org.mailhygiene.testkit.smtp.SinkMessage;
import org.mailhygiene.testkit.smtp.SmtpSink;

/** The relay's deliveries and bounces to next hops without 8BITMIME: 8-bit content arrives converted to 7 bit. */
class DeliveryAgentEightBitTest {
    static final Instant T0 = Instant.parse("2026-11-27T12:00:00Z");
    static final String MSG = "From: a@x.org\r\nTo: b@y.org\r\nSubject: test\r\nMessage-ID: <m8@x.org>\r\n"
            + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + "Gr\u00fc\u00dfe aus K\u00f6ln\r\n";

    @TempDir
    Path dir;

    Spool spool;
    SmtpSink inbound;
    SmtpSink outbound;
    DeliveryAgent agent;
    StaticRouter router;

    @BeforeEach
    void setUp() throws Exception {
        spool = Spool.builder(dir.resolve("spool")).clock(FakeClock.at(T0)).build();
        inbound = SmtpSink.builder().eightBitMime(false).start();
        outbound = SmtpSink.builder().eightBitMime(false).start();
        router = StaticRouter.builder()
                .route("y.org", Route.Relay.to(new NextHop("127.0.0.1", inbound.port())))
                .defaultRoute(Route.Relay.to(new NextHop("127.0.0.1", outbound.port())))
                .build();
        agent = agent(router, (e, notice) -> notice);
    }

    DeliveryAgent agent(StaticRouter router, BiFunction<Envelope, byte[], byte[]> signer) {
        return DeliveryAgent.builder(spool, router)
                .noticeSigner(signer)
                .clock(FakeClock.at(T0))
                .hostname("relay.test")
                .postmaster("postmaster@x.org")
                .dns(new DeliveryAgentTest.MapDns())
                .client(SmtpClient.builder()
                        .heloName("relay.test")
                        .tls(TlsPolicy.disabled())
                        .timeouts(SmtpTimeouts.uniform(Duration.ofSeconds(5)))
                        .build())
                .build();
    }

    @AfterEach
    void tearDown() throws Exception {
        agent.close();
        spool.close();
        inbound.close();
        outbound.close();
    }

    static void assertSevenBit(byte[] data) {
        for (int i = 0; i < data.length; i++) {
            assertThat(data[i]).as("octet %d", i).isGreaterThanOrEqualTo((byte) 0);
        }
    }

    @Test
    void theDeliveryAndTheBounceOfAnEightBitMessageAreConverted() throws Exception {
        inbound.onRecipient("gone@y.org", SinkAction.reply("550 5.1.1 no such user"));
        agent.submit(spool.store(
                new Envelope(Optional.empty(), Optional.of("c"), "a@x.org", List.of("ok@y.org", "gone@y.org"), T0),
                MessageContent.ofString(MSG, StandardCharsets.UTF_8)));
        agent.runDue(); // delivers ok@, fails gone@, queues the bounce
        agent.runDue(); // delivers the bounce
        SinkMessage delivered = inbound.awaitMessages(1, Duration.ofSeconds(60)).get(0);
        assertThat(delivered.mailParameters()).noneMatch(p -> p.startsWith("BODY"));
        assertSevenBit(delivered.data());
        assertThat(delivered.text()).contains("Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC=C3=9Fe");
        Session session = Session.getInstance(new Properties());
        MimeMessage m = new MimeMessage(session, new ByteArrayInputStream(delivered.data()));
        assertThat(m.getContent()).isEqualTo("Gr\u00fc\u00dfe aus K\u00f6ln\r\n");

        SinkMessage bounce = outbound.awaitMessages(1, Duration.ofSeconds(60)).get(0);
        assertThat(bounce.recipients()).containsExactly("a@x.org");
        assertSevenBit(bounce.data());
        MimeMessage dsn = new MimeMessage(session, new ByteArrayInputStream(bounce.data()));
        MimeMultipart mp = (MimeMultipart) dsn.getContent();
        MimeMessage returned = (MimeMessage) mp.getBodyPart(mp.getCount() - 1).getContent();
        assertThat(returned.getMessageID()).isEqualTo("<m8@x.org>");
        assertThat(returned.getContent()).isEqualTo("Gr\u00fc\u00dfe aus K\u00f6ln\r\n");
        assertThat(spool.size()).isZero();
    }
    /**
     * A signed bounce of an 8-bit message reaches a next hop without 8BITMIME as it was signed (session 43: it was
     * signed 8-bit and converted on the way, which broke the signature's body hash). The test's signer puts the SHA-256
     * of the notice it signed on top; the sink checks it against what arrived.
     */
    @Test
    void aSignedBounceOfAnEightBitMessageIsSignedAsItLeaves() throws Exception {
        agent.close();
        List<byte[]> signedInputs = new java.util.concurrent.CopyOnWriteArrayList<>();
        agent = agent(router, (e, notice) -> {
            signedInputs.add(notice);
            return concat(("X-Test-Signature: " + sha256(notice) + "\r\n").getBytes(StandardCharsets.US_ASCII), notice);
        });
        inbound.onRecipient("gone@y.org", SinkAction.reply("550 5.1.1 no such user"));
        agent.submit(spool.store(
                new Envelope(Optional.empty(), Optional.of("c"), "a@x.org", List.of("gone@y.org"), T0),
                MessageContent.ofString(MSG, StandardCharsets.UTF_8)));
        agent.runDue(); // fails gone@, queues the bounce
        agent.runDue(); // delivers the bounce

        SinkMessage bounce = outbound.awaitMessages(1, Duration.ofSeconds(60)).get(0);
        assertSevenBit(bounce.data());
        String text = new String(bounce.data(), StandardCharsets.ISO_8859_1);
        assertThat(text).startsWith("X-Test-Signature: ");
        int eol = text.indexOf("\r\n");
        byte[] rest = java.util.Arrays.copyOfRange(bounce.data(), eol + 2, bounce.data().length);
        assertThat(sha256(rest))
                .as("the bounce arrives as it was signed")
                .isEqualTo(text.substring("X-Test-Signature: ".length(), eol));
        assertThat(signedInputs).as("signed 8-bit, then again converted").hasSize(2);
        MimeMessage dsn = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(rest));
        MimeMultipart mp = (MimeMultipart) dsn.getContent();
        MimeMessage returned = (MimeMessage) mp.getBodyPart(mp.getCount() - 1).getContent();
        assertThat(returned.getContent()).isEqualTo("Gr\u00fc\u00dfe aus K\u00f6ln\r\n");
    }

    @Test
    void anUnsignedBounceKeepsItsEightBitReturnedMessageForTheHopToConvert() throws Exception {
        agent.close();
        List<byte[]> signedInputs = new java.util.concurrent.CopyOnWriteArrayList<>();
        agent = agent(router, (e, notice) -> {
            signedInputs.add(notice);
            return notice; // a signer that does not cover the domain
        });
        inbound.onRecipient("gone@y.org", SinkAction.reply("550 5.1.1 no such user"));
        agent.submit(spool.store(
                new Envelope(Optional.empty(), Optional.of("c"), "a@x.org", List.of("gone@y.org"), T0),
                MessageContent.ofString(MSG, StandardCharsets.UTF_8)));
        agent.runDue();
        assertThat(signedInputs).hasSize(1);
        assertThat(new String(signedInputs.get(0), StandardCharsets.UTF_8))
                .as("stored as written: 8-bit")
                .contains("Gr\u00fc\u00dfe aus K\u00f6ln");
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static String sha256(byte[] data) {
        try {
            return java.util.HexFormat.of()
                    .formatHex(
                            java.security.MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
