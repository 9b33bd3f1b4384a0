package org.mailhygiene.smtp.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.routing.NextHop;
import org.mailhygiene.testkit.Await;
import org.mailhygiene.testkit.smtp.SinkAction;
import org.mailhygiene.testkit.smtp.SinkCommand;
import org.mailhygiene.testkit.smtp.SinkMessage;
import org.mailhygiene.testkit.smtp.SmtpSink;
import org.mailhygiene.testkit.smtp.SmtpSinkExtension;

@ExtendWith(SmtpSinkExtension.class)
class SmtpClientTest {
    static final Duration BUDGET = Duration.ofSeconds(20);

    static Endpoint at(SmtpSink sink) {
        return Endpoint.literal(new NextHop("127.0.0.1", sink.port()));
    }

    static SmtpClient plain() {
        return SmtpClient.builder()
                .heloName("relay.test")
                .tls(TlsPolicy.disabled())
                .build();
    }

    static MessageContent text(String s) {
        return MessageContent.ofString(s, StandardCharsets.UTF_8);
    }

    @Test
    void deliversStoredBytesUnchangedWithPipelining(SmtpSink sink) throws Exception {
        String msg =
                "Received: from a by b; Fri, 27 Nov 2026 12:00:00 +0000\r\nSubject: hi\r\n\r\n.one\r\n..two\r\n.\r\nend\r\n";
        SmtpClient client = plain();
        TransactionResult r = client.deliver(at(sink), "a@x.org", List.of("b@y.org", "c@y.org"), text(msg), BUDGET);
        assertThat(r.recipients()).extracting(RecipientResult::outcome).containsOnly(RecipientResult.Outcome.DELIVERED);
        assertThat(r.tls()).isFalse();
        SinkMessage m = sink.awaitMessages(1, Duration.ofSeconds(60)).get(0);
        assertThat(m.text()).isEqualTo(msg);
        assertThat(m.helo()).isEqualTo("relay.test");
        assertThat(m.sender()).isEqualTo("a@x.org");
        assertThat(m.recipients()).containsExactly("b@y.org", "c@y.org");
        assertThat(m.mailParameters()).containsExactly("SIZE=" + msg.length());
        assertThat(client.idleConnections()).isEqualTo(1);
        client.closeIdleConnections();
        assertThat(client.idleConnections()).isZero();
        awaitTranscript(sink, "C: QUIT");
    }

    static void awaitTranscript(SmtpSink sink, String line) throws Exception {
        Await.until(
                "the sink's transcript shows " + line, () -> sink.transcript().contains(line));
    }

    @Test
    void aUtf8ReplyIsReadAsUtf8(SmtpSink sink) throws Exception {
        // RFC 6531 3.7.4.2: an SMTPUTF8 server may reply in UTF-8; read byte by byte as characters, "jörg" was "jÃ¶rg"
        sink.onRecipient("jörg@y.org", SinkAction.reply("550 5.1.1 kein Postfach für jörg"));
        TransactionResult r = plain().deliver(at(sink), "a@x.org", List.of("jörg@y.org"), text("x\r\n"), BUDGET);
        assertThat(r.recipients().get(0).diagnostic()).isEqualTo("550 5.1.1 kein Postfach für jörg");
    }

    @Test
    void aConnectionIsReusedForTheNextTransactionToTheSameEndpoint(SmtpSink sink) throws Exception {
        SmtpClient client = plain();
        for (int i = 0; i < 3; i++) {
            TransactionResult r = client.deliver(
                    at(sink), "a@x.org", List.of("b" + i + "@y.org"), text("Subject: " + i + "\r\n\r\nx\r\n"), BUDGET);
            assertThat(r.recipients().get(0).outcome()).isEqualTo(RecipientResult.Outcome.DELIVERED);
        }
        assertThat(sink.awaitMessages(3, Duration.ofSeconds(60))).hasSize(3);
        assertThat(sink.connectionCount()).isEqualTo(1);
        assertThat(sink.transcript().stream().filter(l -> l.startsWith("C: EHLO")))
                .hasSize(1);
        client.closeIdleConnections();
    }

    /**
     * Found against Postfix (session 41): a transaction whose recipients were all refused left the server's transaction
     * open, the connection was kept, and the next transaction on it got {@code 503 5.5.1 Error: nested MAIL command}
     * (a double bounce was dropped so). The client ends such a transaction with RSET, with and without PIPELINING, and
     * after a refused DATA too.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aTransactionThatTookNoMessageIsEndedWithRsetBeforeTheNextOnTheKeptConnection(boolean pipelining)
            throws Exception {
        try (SmtpSink sink = SmtpSink.builder().pipelining(pipelining).start()) {
            sink.onRecipient("gone@y.org", SinkAction.reply("550 5.1.1 no such user"));
            SmtpClient client = plain();
            TransactionResult refused =
                    client.deliver(at(sink), "a@x.org", List.of("gone@y.org"), text("x\r\n"), BUDGET);
            assertThat(refused.recipients().get(0).outcome()).isEqualTo(RecipientResult.Outcome.PERMANENT);
            sink.enqueue(SinkCommand.DATA, SinkAction.reply("554 5.7.1 not from you"));
            TransactionResult dataRefused =
                    client.deliver(at(sink), "a@x.org", List.of("b@y.org"), text("x\r\n"), BUDGET);
            assertThat(dataRefused.recipients().get(0).diagnostic()).isEqualTo("554 5.7.1 not from you");
            TransactionResult next = client.deliver(at(sink), "", List.of("b@y.org"), text("y\r\n"), BUDGET);
            assertThat(next.recipients().get(0).outcome()).isEqualTo(RecipientResult.Outcome.DELIVERED);
            assertThat(sink.awaitMessages(1, Duration.ofSeconds(60))).hasSize(1);
            assertThat(sink.connectionCount()).isEqualTo(1);
            assertThat(sink.transcript().stream().filter(l -> l.equals("C: RSET")))
                    .hasSize(2);
            client.closeIdleConnections();
        }
    }

    /** A kept connection whose server answers MAIL with 503 (out of step) is replaced, the message not bounced. */
    @Test
    void a503ToMailOnAKeptConnectionIsRetriedOnANewOne(SmtpSink sink) throws Exception {
        SmtpClient client = plain();
        client.deliver(at(sink), "a@x.org", List.of("b@y.org"), text("x\r\n"), BUDGET);
        sink.enqueue(SinkCommand.MAIL, SinkAction.reply("503 5.5.1 Error: nested MAIL command"));
        TransactionResult r = client.deliver(at(sink), "a@x.org", List.of("c@y.org"), text("y\r\n"), BUDGET);
        assertThat(r.recipients().get(0).outcome()).isEqualTo(RecipientResult.Outcome.DELIVERED);
        assertThat(sink.awaitMessages(2, Duration.ofSeconds(60))).hasSize(2);
        assertThat(sink.connectionCount()).isEqualTo(2);
        client.closeIdleConnections();
    }

    @Test
    void reuseCanBeTurnedOffAndIsLimitedPerConnection(SmtpSink sink) throws Exception {
        SmtpClient once = SmtpClient.builder()
                .tls(TlsPolicy.disabled())
                .connectionReuse(Duration.ofSeconds(2), 1)
                .build();
        SmtpClient twice = SmtpClient.builder()
                .tls(TlsPolicy.disabled())
                .connectionReuse(Duration.ofSeconds(2), 2)
                .build();
        for (int i = 0; i < 2; i++) {
            once.deliver(at(sink), "a@x.org", List.of("b@y.org"), text("x\r\n"), BUDGET);
        }
        assertThat(once.idleConnections()).isZero();
        assertThat(sink.connectionCount()).isEqualTo(2);
        for (int i = 0; i < 3; i++) {
            twice.deliver(at(sink), "a@x.org", List.of("b@y.org"), text("x\r\n"), BUDGET);
        }
        assertThat(sink.awaitMessages(5, Duration.ofSeconds(60))).hasSize(5);
        assertThat(sink.connectionCount()).isEqualTo(4); // 2 + (2 transactions, then 1 on a new connection)
        twice.closeIdleConnections();
        assertThatThrownBy(() -> SmtpClient.builder().connectionReuse(Duration.ZERO, 5))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SmtpClient.builder().connectionReuse(Duration.ofSeconds(1), 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SmtpClient.builder().connectionReuse(Duration.ofMinutes(6), 5))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aKeptConnectionTheServerClosedIsReplacedWithoutTheCallerNoticing(SmtpSink sink) throws Exception {
        SmtpClient client = plain();
        client.deliver(at(sink), "a@x.org", List.of("b@y.org"), text("one\r\n"), BUDGET);
        // The server drops the kept connection at the next MAIL (as a server whose idle timer ran out would).
        sink.enqueue(SinkCommand.MAIL, SinkAction.close());
        TransactionResult r = client.deliver(at(sink), "a@x.org", List.of("c@y.org"), text("two\r\n"), BUDGET);
        assertThat(r.recipients().get(0).outcome()).isEqualTo(RecipientResult.Outcome.DELIVERED);
        assertThat(sink.awaitMessages(2, Duration.ofSeconds(60)))
                .extracting(SinkMessage::recipients)
                .containsExactly(List.of("b@y.org"), List.of("c@y.org"));
        assertThat(sink.connectionCount()).isEqualTo(2);
        client.closeIdleConnections();
    }

    @Test
    void idleConnectionsAreClosedWithQuitAfterTheIdleLimit(SmtpSink sink) throws Exception {
        SmtpClient client = SmtpClient.builder()
                .tls(TlsPolicy.disabled())
                .connectionReuse(Duration.ofMillis(50), 100)
                .build();
        client.deliver(at(sink), "a@x.org", List.of("b@y.org"), text("x\r\n"), BUDGET);
        awaitTranscript(sink, "C: QUIT");
        assertThat(client.idleConnections()).isZero();
    }

    @Test
    void bareLineEndsAreMadeCrlfSoNoSmugglingSequenceReachesTheNextHop(SmtpSink sink) throws Exception {
        String evil = "Subject: x\r\n\r\nbody\n.\nMAIL FROM:<evil@x>\r\nline\r.\rmore\r\n.\n\r\nlast";
        plain().deliver(at(sink), "a@x.org", List.of("b@y.org"), text(evil), BUDGET);
        List<SinkMessage> got = sink.awaitMessages(1, Duration.ofSeconds(60));
        assertThat(got).hasSize(1);
        assertThat(got.get(0).text())
                .isEqualTo(
                        "Subject: x\r\n\r\nbody\r\n.\r\nMAIL FROM:<evil@x>\r\nline\r\n.\r\nmore\r\n.\r\n\r\nlast\r\n");
        assertThat(sink.transcript()).filteredOn(l -> l.startsWith("C: MAIL")).hasSize(1);
    }

    @Test
    void worksWithoutPipeliningAndWithoutEsmtp() throws Exception {
        try (SmtpSink sink = SmtpSink.builder().pipelining(false).start()) {
            sink.enqueue(SinkCommand.EHLO, SinkAction.reply("502 5.5.1 no EHLO here"));
            TransactionResult r = plain().deliver(at(sink), "", List.of("b@y.org"), text("x\r\n"), BUDGET);
            assertThat(r.recipients().get(0).outcome()).isEqualTo(RecipientResult.Outcome.DELIVERED);
            SinkMessage m = sink.awaitMessages(1, Duration.ofSeconds(60)).get(0);
            assertThat(m.sender()).isEmpty();
            assertThat(m.mailParameters()).isEmpty();
            assertThat(sink.transcript()).contains("C: HELO relay.test");
        }
    }

    @Test
    void perRecipientRepliesBecomePerRecipientResults(SmtpSink sink) throws Exception {
        sink.onRecipient("busy@y.org", SinkAction.reply("451 4.2.0 mailbox busy"));
        sink.onRecipient("gone@y.org", SinkAction.reply("550 5.1.1 no such user"));
        TransactionResult r = plain().deliver(
                        at(sink), "a@x.org", List.of("busy@y.org", "ok@y.org", "gone@y.org"), text("x\r\n"), BUDGET);
        assertThat(r.recipients())
                .extracting(RecipientResult::recipient)
                .containsExactly("busy@y.org", "ok@y.org", "gone@y.org");
        assertThat(r.recipients())
                .extracting(RecipientResult::outcome)
                .containsExactly(
                        RecipientResult.Outcome.TEMPORARY,
                        RecipientResult.Outcome.DELIVERED,
                        RecipientResult.Outcome.PERMANENT);
        assertThat(r.recipients().get(2).status()).isEqualTo("5.1.1");
        assertThat(r.recipients().get(2).diagnostic()).isEqualTo("550 5.1.1 no such user");
        assertThat(sink.awaitMessages(1, Duration.ofSeconds(60)).get(0).recipients())
                .containsExactly("ok@y.org");
    }

    @Test
    void allRecipientsRefusedSendsNoData(SmtpSink sink) throws Exception {
        sink.always(SinkCommand.RCPT, SinkAction.reply("550 5.1.1 nobody"));
        TransactionResult r = plain().deliver(at(sink), "a@x.org", List.of("b@y.org"), text("x\r\n"), BUDGET);
        assertThat(r.recipients().get(0).outcome()).isEqualTo(RecipientResult.Outcome.PERMANENT);
        assertThat(sink.messages()).isEmpty();
    }

    @Test
    void connectionClosedAfterTheDataIsAHopFailure(SmtpSink sink) {
        sink.enqueue(SinkCommand.DATA_END, SinkAction.close());
        assertThatThrownBy(() -> plain().deliver(at(sink), "a@x.org", List.of("b@y.org"), text("x\r\n"), BUDGET))
                .isInstanceOfSatisfying(
                        HopFailedException.class,
                        e -> assertThat(e.stage()).isEqualTo(HopFailedException.Stage.DATA_END));
        assertThat(sink.messages()).isEmpty();
    }

    @Test
    void transientRefusalOfMailOrDataIsAHopFailureAndPermanentOnesAreResults(SmtpSink sink) throws Exception {
        sink.enqueue(SinkCommand.MAIL, SinkAction.reply("451 4.3.0 spool full"));
        assertThatThrownBy(() -> plain().deliver(at(sink), "a@x.org", List.of("b@y.org"), text("x\r\n"), BUDGET))
                .isInstanceOfSatisfying(HopFailedException.class, e -> {
                    assertThat(e.stage()).isEqualTo(HopFailedException.Stage.MAIL);
                    assertThat(e.reply()).map(SmtpResponse::code).contains(451);
                });
        sink.enqueue(SinkCommand.DATA_END, SinkAction.reply("554 5.7.1 virus found"));
        TransactionResult r = plain().deliver(at(sink), "a@x.org", List.of("b@y.org"), text("x\r\n"), BUDGET);
        assertThat(r.recipients().get(0).outcome()).isEqualTo(RecipientResult.Outcome.PERMANENT);
        assertThat(r.recipients().get(0).status()).isEqualTo("5.7.1");
        sink.enqueue(SinkCommand.GREETING, SinkAction.reply("554 5.3.2 not accepting"));
        assertThatThrownBy(() -> plain().deliver(at(sink), "a@x.org", List.of("b@y.org"), text("x\r\n"), BUDGET))
                .isInstanceOfSatisfying(
                        HopFailedException.class,
                        e -> assertThat(e.stage()).isEqualTo(HopFailedException.Stage.GREETING));
    }

    @Test
    void aStalledServerTimesOut(SmtpSink sink) {
        sink.enqueue(SinkCommand.DATA_END, SinkAction.stall());
        // Only the stalled step has a short timeout: with 300 ms for every step, a busy machine that held the sink's
        // greeting or a reply before DATA that long failed the delivery at that earlier step.
        Duration ample = Duration.ofSeconds(60);
        SmtpClient c = SmtpClient.builder()
                .tls(TlsPolicy.disabled())
                .timeouts(new SmtpTimeouts(
                        ample, ample, ample, ample, ample, ample, ample, ample, Duration.ofMillis(300), ample))
                .build();
        assertThatThrownBy(() -> c.deliver(at(sink), "a@x.org", List.of("b@y.org"), text("x\r\n"), BUDGET))
                .isInstanceOfSatisfying(HopFailedException.class, e -> {
                    assertThat(e.stage()).isEqualTo(HopFailedException.Stage.DATA_END);
                    // which wait ran out, and how long it was (was "reply not complete in time"; audit, session 48)
                    assertThat(e.getMessage())
                            .isEqualTo("127.0.0.1:" + sink.port() + " failed at DATA_END: no reply within 300ms");
                });
    }

    @Test
    void theBudgetCapsEveryStep(SmtpSink sink) {
        sink.enqueue(SinkCommand.GREETING, SinkAction.stall());
        long t0 = System.nanoTime();
        assertThatThrownBy(() ->
                        plain().deliver(at(sink), "a@x.org", List.of("b@y.org"), text("x"), Duration.ofMillis(300)))
                .isInstanceOf(HopFailedException.class);
        // Far below the 5-minute RFC greeting timeout the budget overrides, far above 300 ms on a busy machine.
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(60));
    }

    @Test
    void refusedConnectionIsAHopFailureAtConnect() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Endpoint dead = Endpoint.literal(new NextHop("127.0.0.1", port));
        assertThatThrownBy(() -> plain().deliver(dead, "a@x.org", List.of("b@y.org"), text("x"), BUDGET))
                .isInstanceOfSatisfying(HopFailedException.class, e -> {
                    assertThat(e.stage()).isEqualTo(HopFailedException.Stage.CONNECT);
                    // in an administrator's words, as a log line and a bounce quote it: no class names
                    assertThat(e.getMessage())
                            .isEqualTo("127.0.0.1:" + port + " failed at CONNECT: Connection refused");
                });
    }

    @Test
    void ioFailuresAreDescribedWithoutPackageNames() {
        assertThat(SmtpConnection.describe(new java.io.IOException("reply line too long")))
                .isEqualTo("reply line too long");
        assertThat(SmtpConnection.describe(new java.net.SocketTimeoutException("Read timed out")))
                .isEqualTo("Read timed out");
        assertThat(SmtpConnection.describe(new javax.net.ssl.SSLHandshakeException("no cipher suites in common")))
                .isEqualTo("SSLHandshakeException: no cipher suites in common");
        assertThat(SmtpConnection.describe(new java.io.EOFException())).isEqualTo("EOFException");
    }

    @Test
    void sizeAndSmtputf8AndEightBitAreHonoured() throws Exception {
        try (SmtpSink sink = SmtpSink.builder().maxSize(10).smtpUtf8(false).start()) {
            TransactionResult big =
                    plain().deliver(at(sink), "a@x.org", List.of("b@y.org"), text("0123456789ABC"), BUDGET);
            assertThat(big.recipients().get(0).outcome()).isEqualTo(RecipientResult.Outcome.PERMANENT);
            assertThat(big.recipients().get(0).status()).isEqualTo("5.3.4");
            TransactionResult utf8 =
                    plain().deliver(at(sink), "a@x.org", List.of("j\u00f6rg@y.org"), text("x"), BUDGET);
            assertThat(utf8.recipients().get(0).status()).isEqualTo("5.6.7");
            assertThat(sink.messages()).isEmpty();
        }
        try (SmtpSink sink = SmtpSink.start()) {
            plain().deliver(at(sink), "a@x.org", List.of("j\u00f6rg@y.org"), text("caf\u00e9\r\n"), BUDGET);
            SinkMessage m = sink.awaitMessages(1, Duration.ofSeconds(60)).get(0);
            assertThat(m.mailParameters()).contains("BODY=8BITMIME", "SMTPUTF8");
            assertThat(m.recipients()).containsExactly("j\u00f6rg@y.org");
            assertThat(m.text()).isEqualTo("caf\u00e9\r\n");
        }
    }

    @Test
    void bindsTheOutgoingSocketToTheConfiguredLocalAddress(SmtpSink sink) throws Exception {
        InetAddress local = InetAddress.getByName("127.0.0.2");
        SmtpClient c = SmtpClient.builder()
                .tls(TlsPolicy.disabled())
                .localAddress(local)
                .build();
        c.deliver(at(sink), "a@x.org", List.of("b@y.org"), text("x\r\n"), BUDGET);
        assertThat(sink.awaitMessages(1, Duration.ofSeconds(60)).get(0).clientAddress())
                .isEqualTo("127.0.0.2");
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // long by design; see junit-platform.properties
    void startTlsWithATrustedCertificate(@TempDir Path dir) throws Exception {
        Path ks = TestCerts.keystore(dir, "sink");
        try (SmtpSink sink = SmtpSink.builder().tls(TestCerts.server(ks)).start()) {
            SmtpClient c = SmtpClient.builder()
                    .tls(TlsPolicy.opportunistic(TestCerts.trusting(ks)))
                    .build();
            TransactionResult r = c.deliver(at(sink), "a@x.org", List.of("b@y.org"), text("secret\r\n"), BUDGET);
            assertThat(r.tls()).isTrue();
            SinkMessage m = sink.awaitMessages(1, Duration.ofSeconds(60)).get(0);
            assertThat(m.tls()).isTrue();
            assertThat(m.text()).isEqualTo("secret\r\n");
            assertThat(sink.transcript())
                    .filteredOn(l -> l.startsWith("C: EHLO"))
                    .hasSize(2);

            // Opportunistic with an untrusting context: falls back to plaintext on a new connection.
            Path other = TestCerts.keystore(dir, "other");
            SmtpClient untrusting = SmtpClient.builder()
                    .tls(TlsPolicy.opportunistic(TestCerts.trusting(other)))
                    .build();
            TransactionResult plainResult =
                    untrusting.deliver(at(sink), "a@x.org", List.of("b@y.org"), text("p\r\n"), BUDGET);
            assertThat(plainResult.tls()).isFalse();
            assertThat(sink.awaitMessages(2, Duration.ofSeconds(60)).get(1).tls())
                    .isFalse();

            // Required with an untrusting context: the hop fails; nothing is sent in plaintext.
            SmtpClient strict = SmtpClient.builder()
                    .tls(TlsPolicy.required(TestCerts.trusting(other)))
                    .build();
            assertThatThrownBy(() -> strict.deliver(at(sink), "a@x.org", List.of("b@y.org"), text("q\r\n"), BUDGET))
                    .isInstanceOfSatisfying(
                            HopFailedException.class,
                            e -> assertThat(e.stage()).isEqualTo(HopFailedException.Stage.STARTTLS));
            assertThat(sink.messages()).hasSize(2);
        }
    }

    /**
     * A next hop that offers STARTTLS and answers 220, then breaks the handshake its own way on the first connection,
     * and takes the message in plaintext on the next one. Its transcript records each connection's commands.
     */
    private static final class BrokenTlsPeer implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        private final java.util.Queue<String> transcript = new java.util.concurrent.ConcurrentLinkedQueue<>();
        private final Thread thread;

        /**
         * Starts the peer.
         *
         * @param reset true: reset the connection after the ClientHello; false: never answer it (a hung peer)
         */
        BrokenTlsPeer(boolean reset) throws java.io.IOException {
            thread = new Thread(() -> serve(reset), "broken-tls-peer");
            thread.setDaemon(true);
            thread.start();
        }

        Endpoint endpoint() {
            return Endpoint.literal(new NextHop("127.0.0.1", server.getLocalPort()));
        }

        private void serve(boolean reset) {
            try (java.net.Socket first = server.accept()) {
                var in = new java.io.BufferedReader(
                        new java.io.InputStreamReader(first.getInputStream(), StandardCharsets.US_ASCII));
                var out = first.getOutputStream();
                out.write("220 peer.test ESMTP\r\n".getBytes(StandardCharsets.US_ASCII));
                transcript.add("1: " + in.readLine());
                out.write("250-peer.test\r\n250 STARTTLS\r\n".getBytes(StandardCharsets.US_ASCII));
                transcript.add("1: " + in.readLine());
                out.write("220 2.0.0 go ahead\r\n".getBytes(StandardCharsets.US_ASCII));
                first.getInputStream().read(new byte[512]); // some of the ClientHello
                if (reset) {
                    first.setSoLinger(true, 0); // the close sends a RST
                    first.close();
                } // else the first connection hangs, never answering the ClientHello, until this peer is closed
                try (java.net.Socket second = server.accept()) {
                    servePlain(second);
                }
            } catch (java.io.IOException e) {
                transcript.add("peer: " + e);
            }
        }

        private void servePlain(java.net.Socket s) throws java.io.IOException {
            var in = new java.io.BufferedReader(
                    new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            var out = s.getOutputStream();
            out.write("220 peer.test ESMTP\r\n".getBytes(StandardCharsets.US_ASCII));
            String line;
            while ((line = in.readLine()) != null) {
                transcript.add("2: " + line);
                String reply;
                if (line.startsWith("EHLO")) {
                    reply = "250-peer.test\r\n250 STARTTLS";
                } else if (line.equals("DATA")) {
                    out.write("354 go\r\n".getBytes(StandardCharsets.US_ASCII));
                    while (!".".equals(line = in.readLine()) && line != null) {
                        transcript.add("2: | " + line);
                    }
                    reply = "250 2.0.0 stored";
                } else if (line.equals("QUIT")) {
                    out.write("221 bye\r\n".getBytes(StandardCharsets.US_ASCII));
                    return;
                } else {
                    reply = "250 ok";
                }
                out.write((reply + "\r\n").getBytes(StandardCharsets.US_ASCII));
            }
        }

        @Override
        public void close() throws Exception {
            server.close();
            thread.interrupt();
        }
    }

    @Test
    void opportunisticFallsBackToPlaintextWhenTheHandshakeIsCutOffByAReset() throws Exception {
        try (BrokenTlsPeer peer = new BrokenTlsPeer(true)) {
            SmtpClient c = SmtpClient.builder()
                    .tls(TlsPolicy.opportunistic())
                    .connectionReuse(Duration.ofMillis(1), 1)
                    .build();
            TransactionResult r = c.deliver(peer.endpoint(), "a@x.org", List.of("b@y.org"), text("p\r\n"), BUDGET);
            assertThat(r.recipients().get(0).outcome()).isEqualTo(RecipientResult.Outcome.DELIVERED);
            assertThat(r.tls()).isFalse();
            assertThat(peer.transcript).contains("1: STARTTLS", "2: MAIL FROM:<a@x.org>", "2: | p");
            assertThat(peer.transcript).doesNotContain("2: STARTTLS");
        }
    }

    @Test
    void opportunisticFallsBackToPlaintextWhenTheHandshakeTimesOut() throws Exception {
        try (BrokenTlsPeer peer = new BrokenTlsPeer(false)) {
            SmtpClient c = SmtpClient.builder()
                    .tls(TlsPolicy.opportunistic())
                    .timeouts(SmtpTimeouts.uniform(Duration.ofSeconds(2)))
                    .build();
            TransactionResult r = c.deliver(peer.endpoint(), "a@x.org", List.of("b@y.org"), text("p\r\n"), BUDGET);
            assertThat(r.recipients().get(0).outcome()).isEqualTo(RecipientResult.Outcome.DELIVERED);
            assertThat(r.tls()).isFalse();
            assertThat(peer.transcript).contains("1: STARTTLS", "2: | p");
        }
    }

    @Test
    void requiredTlsCutOffInTheHandshakeSaysSoInAnAdministratorsWords() throws Exception {
        try (BrokenTlsPeer peer = new BrokenTlsPeer(true)) {
            SmtpClient strict = SmtpClient.builder()
                    .tls(TlsPolicy.required(javax.net.ssl.SSLContext.getDefault()))
                    .build();
            assertThatThrownBy(() -> strict.deliver(peer.endpoint(), "a@x.org", List.of("b@y.org"), text("q"), BUDGET))
                    .isInstanceOfSatisfying(HopFailedException.class, e -> {
                        assertThat(e.stage()).isEqualTo(HopFailedException.Stage.STARTTLS);
                        assertThat(e.getMessage())
                                .contains("TLS required but the handshake or verification failed: ")
                                .contains("Connection reset");
                    });
        }
    }

    @Test
    void tlsFailuresNameNoJavaPackages() {
        // The JDK's text for an untrusted chain names its internal exception class: a bounce must not.
        assertThat(SmtpConnection.describeTls(new javax.net.ssl.SSLHandshakeException(
                        "PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: "
                                + "unable to find valid certification path to requested target")))
                .isEqualTo("PKIX path building failed: unable to find valid certification path to requested target");
        assertThat(SmtpConnection.describeTls(new javax.net.ssl.SSLHandshakeException(
                        "No subject alternative DNS name matching mx.example found.")))
                .isEqualTo("No subject alternative DNS name matching mx.example found.");
        assertThat(SmtpConnection.describeTls(new java.net.SocketException("Connection reset")))
                .isEqualTo("SocketException: Connection reset");
    }

    /**
     * An expired next hop said only "validity check failed" in the queue and the bounce (outside-in audit, session
     * 40, a next hop with a certificate that expired in 2020): the JDK keeps the date in a cause, as here.
     */
    @Test
    void anExpiredOrNotYetValidCertificateIsSaidWithItsDate() throws Exception {
        java.security.cert.CertPath empty =
                java.security.cert.CertificateFactory.getInstance("X.509").generateCertPath(List.of());
        javax.net.ssl.SSLHandshakeException expired = new javax.net.ssl.SSLHandshakeException(
                "PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed");
        expired.initCause(new java.security.cert.CertificateException(new java.security.cert.CertPathValidatorException(
                "validity check failed",
                new java.security.cert.CertificateExpiredException("NotAfter: Sat Feb 01 00:00:00 UTC 2020"),
                empty,
                -1)));
        assertThat(SmtpConnection.describeTls(expired))
                .isEqualTo("PKIX path validation failed: validity check failed (a certificate has expired,"
                        + " NotAfter: Sat Feb 01 00:00:00 UTC 2020)");
        javax.net.ssl.SSLHandshakeException early = new javax.net.ssl.SSLHandshakeException(
                "PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed");
        early.initCause(new java.security.cert.CertPathValidatorException(
                "validity check failed",
                new java.security.cert.CertificateNotYetValidException("NotBefore: Sat Feb 01 00:00:00 UTC 2031"),
                empty,
                -1));
        assertThat(SmtpConnection.describeTls(early))
                .isEqualTo("PKIX path validation failed: validity check failed (a certificate is not valid yet,"
                        + " NotBefore: Sat Feb 01 00:00:00 UTC 2031)");
    }

    @Test
    void requiredTlsWithoutStartTlsOfferedFails(SmtpSink sink) throws Exception {
        SmtpClient strict = SmtpClient.builder()
                .tls(TlsPolicy.required(javax.net.ssl.SSLContext.getDefault()))
                .build();
        assertThatThrownBy(() -> strict.deliver(at(sink), "a@x.org", List.of("b@y.org"), text("q"), BUDGET))
                .isInstanceOfSatisfying(
                        HopFailedException.class,
                        e -> assertThat(e.stage()).isEqualTo(HopFailedException.Stage.STARTTLS));
        assertThat(sink.messages()).isEmpty();
    }

    @Test
    void endpointNamesAreReadable() {
        assertThat(Endpoint.literal(new NextHop("192.0.2.1", 25)).toString()).isEqualTo("192.0.2.1:25");
        assertThat(new Endpoint(new NextHop("mx.example", 25), new InetSocketAddress("127.0.0.1", 25)).toString())
                .isEqualTo("mx.example[127.0.0.1]:25");
    }
}
