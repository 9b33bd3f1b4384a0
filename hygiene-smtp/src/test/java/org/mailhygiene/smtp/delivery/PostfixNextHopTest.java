package org.mailhygiene.smtp.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.routing.NextHop;
import org.mailhygiene.api.routing.Route;
import org.mailhygiene.api.routing.StaticRouter;
import org.mailhygiene.smtp.queue.QueuedMessage;
import org.mailhygiene.smtp.queue.RecipientState;
import org.mailhygiene.smtp.queue.Spool;
import org.mailhygiene.testkit.Await;
import org.mailhygiene.testkit.FakeClock;
import org.mailhygiene.testkit.postfix.PrivatePostfix;
import org.mailhygiene.testkit.smtp.SinkMessage;
import org.mailhygiene.testkit.smtp.SmtpSink;
import org.mailhygiene.testkit.tls.PrivateCa;

/**
 * The relay's delivery agent with a real Postfix as its next hop (a private instance on loopback,
 * {@link PrivatePostfix}, which relays {@code example.test} on to an in-process {@link SmtpSink}). Each smtpd listener
 * differs in one setting: {@code plain}, {@code no8bit} ({@code smtpd_discard_ehlo_keywords = 8bitmime}),
 * {@code small} ({@code message_size_limit} 20000, offered as SIZE), {@code small-nosize} (the same limit, SIZE not
 * offered, so that Postfix refuses after the data), {@code tls} (STARTTLS with a certificate from a private CA),
 * {@code pool} (its own log name, to count its connections). Every listener refuses {@code refused@example.test} with
 * 550 and defers {@code deferred@example.test} with 450 ({@code check_recipient_access} with a texthash map). Skipped
 * without Postfix or openssl; mandatory under {@code CI=true}. Waits are generous: the machine may be busy.
 */
class PostfixNextHopTest {
    static final Instant T0 = Instant.parse("2026-11-27T12:00:00Z");
    static final int SMALL_LIMIT = 20_000;
    static final List<String> LISTENERS = List.of("plain", "no8bit", "small", "small-nosize", "tls", "pool");

    @TempDir
    static Path shared;

    static SmtpSink beyond; // where Postfix relays example.test
    static PrivatePostfix postfix;
    static PrivateCa ca;
    static final Map<String, Integer> PORTS = new LinkedHashMap<>();

    @TempDir
    Path dir;

    FakeClock clock;
    Spool spool;
    SmtpSink outbound; // the relay's route for everything but example.test: bounces
    DeliveryAgent agent;

    @BeforeAll
    static void startPostfix() throws Exception {
        Path caDir = Files.createDirectory(shared.resolve("ca"));
        ca = PrivateCa.create(caDir, List.of("DNS:localhost", "IP:127.0.0.1"));
        Path access = shared.resolve("recipient_access");
        Files.writeString(
                access,
                "refused@example.test 550 5.1.1 no such user here\n"
                        + "deferred@example.test 450 4.2.1 mailbox busy, try again later\n",
                StandardCharsets.US_ASCII);
        beyond = SmtpSink.builder().maxSize(0).start();
        List<List<String>> options = new ArrayList<>();
        for (String name : LISTENERS) {
            List<String> o = new ArrayList<>();
            o.add("syslog_name=postfix-" + name);
            switch (name) {
                case "no8bit" -> o.add("smtpd_discard_ehlo_keywords=8bitmime");
                case "small" -> o.add("message_size_limit=" + SMALL_LIMIT);
                case "small-nosize" -> {
                    o.add("message_size_limit=" + SMALL_LIMIT);
                    o.add("smtpd_discard_ehlo_keywords=size");
                }
                case "tls" -> {
                    o.add("smtpd_tls_security_level=may");
                    o.add("smtpd_tls_chain_files=" + ca.serverKey() + "," + ca.chain());
                    o.add("smtpd_tls_received_header=yes");
                    o.add("smtpd_tls_loglevel=1");
                }
                default -> {
                    // plain, pool: the instance's defaults
                }
            }
            options.add(o);
        }
        postfix = PrivatePostfix.startOnFreePorts(
                beyond.port(),
                Map.of("smtpd_recipient_restrictions", "check_recipient_access texthash:" + access),
                options);
        for (int i = 0; i < LISTENERS.size(); i++) {
            PORTS.put(LISTENERS.get(i), postfix.ports().get(i));
        }
    }

    @AfterAll
    static void stopPostfix() throws Exception {
        if (postfix != null) {
            postfix.close();
        }
        if (beyond != null) {
            beyond.close();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        clock = FakeClock.at(T0);
        spool = Spool.builder(dir.resolve("spool")).clock(clock).build();
        outbound = SmtpSink.start();
        beyond.clear();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (agent != null) {
            agent.close();
        }
        spool.close();
        outbound.close();
    }

    /** An agent sending example.test to the named listener and everything else (bounces) to {@link #outbound}. */
    DeliveryAgent agent(String listener, SmtpClient client) {
        StaticRouter router = StaticRouter.builder()
                .route("example.test", Route.Relay.to(new NextHop("127.0.0.1", PORTS.get(listener))))
                .defaultRoute(Route.Relay.to(new NextHop("127.0.0.1", outbound.port())))
                .build();
        return DeliveryAgent.builder(spool, router)
                .clock(clock)
                .hostname("relay.test")
                .postmaster("postmaster@x.org")
                .maxConcurrent(1)
                .dns(new DeliveryAgentTest.MapDns())
                .client(client)
                .build();
    }

    static SmtpClient.Builder client() {
        return SmtpClient.builder()
                .heloName("relay.test")
                .tls(TlsPolicy.disabled())
                .timeouts(SmtpTimeouts.uniform(Duration.ofSeconds(60)));
    }

    QueuedMessage store(byte[] content, String sender, String... recipients) throws Exception {
        QueuedMessage m = spool.store(
                new Envelope(Optional.empty(), Optional.of("c"), sender, List.of(recipients), T0),
                MessageContent.ofBytes(content));
        agent.submit(m);
        return m;
    }

    /** The n-th message Postfix relayed on, without Postfix's Received field (its first). */
    static SinkMessage relayed(int count) throws InterruptedException {
        List<SinkMessage> got = beyond.awaitMessages(count, Duration.ofMinutes(3));
        assertThat(got)
                .as("messages Postfix relayed; maillog:\n" + postfix.log())
                .hasSizeGreaterThanOrEqualTo(count);
        return got.get(count - 1);
    }

    static String withoutFirstReceived(String text) {
        assertThat(text).startsWith("Received:");
        return text.substring(text.indexOf("\r\n", text.indexOf(";")) + 2);
    }

    static String fields(SinkMessage bounce) throws Exception {
        MimeMessage dsn =
                new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(bounce.data()));
        MimeMultipart mp = new MimeMultipart(dsn.getDataHandler().getDataSource());
        try (InputStream in = mp.getBodyPart(1).getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replaceAll("\r\n[ \t]", " ");
        }
    }

    static byte[] eightBit() {
        return ("From: a@x.org\r\nTo: b@example.test\r\nSubject: caf\u00e9\r\nMessage-ID: <8bit@x.org>\r\n"
                        + "Date: Fri, 27 Nov 2026 12:00:00 +0000\r\n"
                        + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                        + "Content-Transfer-Encoding: 8bit\r\n\r\n"
                        + "Gr\u00fc\u00dfe aus K\u00f6ln, caf\u00e9 cr\u00e8me.\r\n.a line with a dot\r\n")
                .replace("Subject: caf\u00e9", "Subject: cafe")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** The number of SMTP sessions a listener logged ("connect from"). */
    static int connections(String listener) {
        Matcher m = Pattern.compile("postfix-" + Pattern.quote(listener) + "/smtpd\\[\\d+\\]: connect from ")
                .matcher(postfix.log());
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    void eightBitContentReachesAPostfixThatOffers8bitmimeUnchangedWithBody8bitmime() throws Exception {
        agent = agent("plain", client().build());
        byte[] msg = eightBit();
        store(msg, "a@x.org", "b@example.test");
        agent.runDue();
        SinkMessage m = relayed(1);
        assertThat(m.recipients()).containsExactly("b@example.test");
        // Postfix passes BODY=8BITMIME on only when its client was told so: the relay declared the 8-bit body
        assertThat(m.mailParameters()).contains("BODY=8BITMIME");
        assertThat(withoutFirstReceived(new String(m.data(), StandardCharsets.UTF_8)))
                .isEqualTo(new String(msg, StandardCharsets.UTF_8));
        assertThat(spool.size()).isZero();
    }

    @Test
    void aPostfixWithout8bitmimeGetsSevenBitContentThatDecodesToTheOriginal() throws Exception {
        agent = agent("no8bit", client().build());
        byte[] msg = eightBit();
        store(msg, "a@x.org", "b@example.test");
        agent.runDue();
        SinkMessage m = relayed(1);
        assertThat(m.mailParameters()).noneSatisfy(p -> assertThat(p).startsWithIgnoringCase("BODY="));
        byte[] data = m.data();
        for (int i = 0; i < data.length; i++) {
            assertThat(data[i] & 0xff).as("octet %d", i).isLessThan(0x80);
        }
        String text = new String(data, StandardCharsets.US_ASCII);
        assertThat(text).contains("Content-Transfer-Encoding: quoted-printable");
        MimeMessage got = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(data));
        assertThat(got.getContent())
                .isEqualTo("Gr\u00fc\u00dfe aus K\u00f6ln, caf\u00e9 cr\u00e8me.\r\n" + ".a line with a dot\r\n");
        assertThat(spool.size()).isZero();
    }

    @Test
    void aRecipientPostfixRefusesIsBouncedWithPostfixAsRemoteMtaAndItsReply() throws Exception {
        agent = agent("plain", client().build());
        store(eightBit(), "a@x.org", "refused@example.test", "b@example.test");
        agent.runDue(); // delivers b@, fails refused@, queues the bounce
        agent.runDue(); // delivers the bounce
        assertThat(relayed(1).recipients()).containsExactly("b@example.test");
        SinkMessage bounce = outbound.awaitMessages(1, Duration.ofMinutes(1)).get(0);
        assertThat(bounce.sender()).isEmpty();
        assertThat(bounce.recipients()).containsExactly("a@x.org");
        String fields = fields(bounce);
        assertThat(fields)
                .as(fields)
                .contains("Final-Recipient: rfc822; refused@example.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
                        + "Remote-MTA: dns; 127.0.0.1\r\n"
                        + "Diagnostic-Code: smtp; 550 5.1.1 <refused@example.test>: Recipient address rejected:"
                        + " no such user here\r\n");
        assertThat(fields).doesNotContain("b@example.test");
        assertThat(spool.size()).isZero();
    }

    @Test
    void aRecipientPostfixDefersStaysQueuedWithPostfixsReplyAndTheOthersAreDelivered() throws Exception {
        agent = agent("plain", client().build());
        QueuedMessage m = store(eightBit(), "a@x.org", "deferred@example.test", "b@example.test");
        agent.runDue();
        assertThat(relayed(1).recipients()).containsExactly("b@example.test");
        RecipientState r = spool.get(m.id()).orElseThrow().recipients().stream()
                .filter(s -> s.address().equals("deferred@example.test"))
                .findFirst()
                .orElseThrow();
        assertThat(r.status()).isEqualTo(RecipientState.Status.PENDING);
        assertThat(r.lastReply())
                .contains("450 4.2.1 <deferred@example.test>: Recipient address rejected: mailbox busy, try again"
                        + " later");
        assertThat(r.remoteMta()).contains("127.0.0.1:" + PORTS.get("plain"));
        assertThat(r.nextAttempt()).isPresent();
        assertThat(outbound.messages()).as("no bounce for a deferral").isEmpty();
    }

    @Test
    void twoTransactionsFollowARefusedOneOnTheSameKeptConnection() throws Exception {
        SmtpClient client = client().connectionReuse(Duration.ofMinutes(2), 100).build();
        agent = agent("pool", client);
        int before = connections("pool");
        store(eightBit(), "a@x.org", "refused@example.test");
        agent.runDue(); // every recipient refused: the transaction is reset, the connection kept
        assertThat(client.idleConnections()).isEqualTo(1);
        store("Subject: two\r\n\r\nsecond\r\n".getBytes(StandardCharsets.US_ASCII), "a@x.org", "b@example.test");
        agent.runDue();
        store("Subject: three\r\n\r\nthird\r\n".getBytes(StandardCharsets.US_ASCII), "a@x.org", "c@example.test");
        agent.runDue();
        List<SinkMessage> got = beyond.awaitMessages(2, Duration.ofMinutes(3));
        assertThat(got)
                .extracting(SinkMessage::recipients)
                .containsExactlyInAnyOrder(List.of("b@example.test"), List.of("c@example.test"));
        client.closeIdleConnections();
        Await.until(
                "Postfix logged the session's end",
                () -> postfix.log()
                        .lines()
                        .anyMatch(l -> l.contains("postfix-pool/smtpd[")
                                && l.contains(" disconnect from ")
                                && l.contains(" mail=")));
        // the one session: three transactions; in the first, the DATA pipelined after the refused RCPT is refused too
        // (554 no valid recipients) and the transaction reset
        assertThat(postfix.log())
                .containsPattern("postfix-pool/smtpd\\[\\d+\\]: disconnect from \\S+ ehlo=1 mail=3 rcpt=2/3"
                        + " data=2/3 rset=1 quit=1 commands=10/12\n");
        assertThat(connections("pool") - before).as(postfix.log()).isEqualTo(1);
    }

    @Test
    void aMessageOverTheSizePostfixOffersIsBouncedWithoutBeingSent() throws Exception {
        agent = agent("small", client().build());
        byte[] big = ("Subject: big\r\n\r\n"
                        + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n"
                                .repeat(SMALL_LIMIT / 66 + 10))
                .getBytes(StandardCharsets.US_ASCII);
        store(big, "a@x.org", "b@example.test");
        agent.runDue();
        agent.runDue();
        String fields = fields(outbound.awaitMessages(1, Duration.ofMinutes(1)).get(0));
        assertThat(fields)
                .as(fields)
                .contains("Final-Recipient: rfc822; b@example.test\r\nAction: failed\r\n" + "Status: 5.3.4\r\n");
        assertThat(beyond.messages()).isEmpty();
        assertThat(spool.size()).isZero();
    }

    @Test
    void aMessageOverAPostfixLimitItDoesNotOfferIsBouncedWithPostfixsReplyAfterTheData() throws Exception {
        agent = agent("small-nosize", client().build());
        byte[] big = ("Subject: big\r\n\r\n"
                        + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n"
                                .repeat(SMALL_LIMIT / 66 + 10))
                .getBytes(StandardCharsets.US_ASCII);
        store(big, "a@x.org", "b@example.test");
        agent.runDue();
        agent.runDue();
        String fields = fields(outbound.awaitMessages(1, Duration.ofMinutes(1)).get(0));
        assertThat(fields)
                .as(fields)
                .contains("Final-Recipient: rfc822; b@example.test\r\nAction: failed\r\nStatus: 5.3.4\r\n"
                        + "Remote-MTA: dns; 127.0.0.1\r\nDiagnostic-Code: smtp; 552 5.3.4 Error: message file too"
                        + " big\r\n");
        assertThat(beyond.messages()).isEmpty();
        assertThat(spool.size()).isZero();
    }

    @Test
    void startTlsToPostfixWithItsCertificateCheckedAgainstThePrivateCa() throws Exception {
        agent = agent(
                "tls",
                client().tls(TlsPolicy.required(trusting(ca.caCertificate()))).build());
        byte[] msg = eightBit();
        store(msg, "a@x.org", "b@example.test");
        agent.runDue();
        SinkMessage m = relayed(1);
        String text = new String(m.data(), StandardCharsets.UTF_8);
        // smtpd_tls_received_header: Postfix's own Received field says the session it took the message in was TLS
        assertThat(text.substring(0, text.indexOf("\r\n\r\n")).replaceAll("\r\n[ \t]", " "))
                .containsPattern(
                        "^Received: from relay\\.test \\(localhost \\[127\\.0\\.0\\.1\\]\\) \\(using TLSv1\\.[23]");
        assertThat(withoutFirstReceived(text)).isEqualTo(new String(msg, StandardCharsets.UTF_8));
        assertThat(postfix.log()).containsPattern("postfix-tls/smtpd\\[\\d+\\]: \\w+ TLS connection established from");
    }

    @Test
    void aRequiredTlsPolicyRefusesPostfixsCertificateFromAnotherCa() throws Exception {
        Path other = Files.createDirectory(dir.resolve("other-ca"));
        PrivateCa stranger = PrivateCa.create(other, List.of("DNS:localhost", "IP:127.0.0.1"));
        agent = agent(
                "tls",
                client().tls(TlsPolicy.required(trusting(stranger.caCertificate())))
                        .build());
        QueuedMessage m = store(eightBit(), "a@x.org", "b@example.test");
        agent.runDue();
        RecipientState r = spool.get(m.id()).orElseThrow().recipients().get(0);
        assertThat(r.status()).isEqualTo(RecipientState.Status.PENDING);
        assertThat(r.lastReply().orElseThrow()).containsIgnoringCase("tls");
        assertThat(beyond.messages()).isEmpty();
    }

    static SSLContext trusting(Path caPem) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(caPem)) {
            ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(null, tmf.getTrustManagers(), null);
        return c;
    }
}
