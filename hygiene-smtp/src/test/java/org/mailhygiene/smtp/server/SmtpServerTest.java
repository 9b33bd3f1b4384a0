package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.policy.SmtpReply;
import org.mailhygiene.smtp.access.AcceptedDomains;

class SmtpServerTest {
    private SmtpServer server;
    private final RecordingHandler handler = new RecordingHandler();

    private int start(Consumer<SmtpServer.Builder> config) throws Exception {
        SmtpServer.Builder b = SmtpServer.builder()
                .port(0)
                .hostname("mx.test.example")
                .acceptedDomains(AcceptedDomains.of("example.org"))
                .handler(handler);
        config.accept(b);
        server = b.build();
        server.start();
        return server.port();
    }

    private int start() throws Exception {
        return start(b -> {});
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
    }

    /** "hygiene relay: cannot start: java.net.BindException: Address already in use" named no address. */
    @Test
    void anAddressInUseIsNamed() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            SmtpServer second = SmtpServer.builder()
                    .bindAddress(InetAddress.getLoopbackAddress())
                    .port(taken.getLocalPort())
                    .handler(handler)
                    .build();
            org.assertj.core.api.Assertions.assertThatThrownBy(second::start)
                    .isInstanceOf(java.net.BindException.class)
                    .hasMessageStartingWith("cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": ");
            second.stop();
        }
    }

    @Test
    void defaultsAreAsDocumented() {
        SmtpLimits d = SmtpLimits.defaults();
        assertThat(d.maxConnections()).isEqualTo(200);
        assertThat(d.maxConnectionsPerIp()).isEqualTo(20);
        assertThat(d.connectionRateCount()).isEqualTo(300);
        assertThat(d.connectionRateWindow()).isEqualTo(Duration.ofMinutes(1));
        assertThat(d.messageRateCount()).isEqualTo(600);
        assertThat(d.messageRateWindow()).isEqualTo(Duration.ofMinutes(1));
        assertThat(d.maxRecipients()).isEqualTo(100);
        assertThat(d.maxMessageSize()).isEqualTo(10_240_000L);
        assertThat(d.maxErrors()).isEqualTo(20);
        assertThat(d.maxHops()).isEqualTo(50);
        assertThat(d.idleTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(d.commandTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(d.dataTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(d.memoryThreshold()).isEqualTo(256 * 1024L);
        assertThat(d.writeTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(d.recipientOvershoot()).isEqualTo(1000);
    }

    @Test
    void writeTimeoutAndOvershootAreValidated() {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> SmtpLimits.builder().writeTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("writeTimeout");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> SmtpLimits.builder().writeTimeout(Duration.ofSeconds(-1)))
                .hasMessageContaining("writeTimeout");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> SmtpLimits.builder().recipientOvershoot(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("recipientOvershoot");
        SmtpLimits l = SmtpLimits.builder()
                .writeTimeout(Duration.ofSeconds(7))
                .recipientOvershoot(0)
                .build();
        assertThat(l.toBuilder().build().writeTimeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(l.toBuilder().build().recipientOvershoot()).isZero();
    }

    @Test
    void greetingAndEhloAdvertiseTheExtensions() throws Exception {
        int port = start();
        try (TestClient c = new TestClient(port)) {
            assertThat(c.reply()).isEqualTo("220 mx.test.example ESMTP mail-hygiene");
            String ehlo = c.cmd("EHLO client.example");
            assertThat(ehlo.split("\n"))
                    .containsExactly(
                            "250-mx.test.example Hello client.example [127.0.0.1]",
                            "250-PIPELINING",
                            "250-SIZE 10240000",
                            "250-8BITMIME",
                            "250-ENHANCEDSTATUSCODES",
                            "250-CHUNKING",
                            "250-DSN",
                            "250-SMTPUTF8",
                            "250 HELP");
            assertThat(c.cmd("NOOP")).isEqualTo("250 2.0.0 Ok");
            assertThat(c.cmd("VRFY someone")).startsWith("252 2.5.0");
            assertThat(c.cmd("EXPN list")).startsWith("502 5.5.1");
            assertThat(c.cmd("HELP")).startsWith("214 2.0.0");
            assertThat(c.cmd("FROB")).startsWith("500 5.5.2");
            assertThat(c.cmd("STARTTLS")).startsWith("502 5.5.1");
            assertThat(c.cmd("QUIT")).startsWith("221 2.0.0");
            assertThat(c.reply()).isEqualTo("EOF");
        }
    }

    @Test
    void storesTheMessageWithAReceivedHeaderAndUnstuffsDots() throws Exception {
        int port = start();
        try (TestClient c = new TestClient(port).hello()) {
            assertThat(c.cmd("MAIL FROM:<sender@example.net> BODY=8BITMIME SIZE=100"))
                    .isEqualTo("250 2.1.0 Ok");
            assertThat(c.cmd("RCPT TO:<user@example.org>")).isEqualTo("250 2.1.5 Ok");
            assertThat(c.cmd("DATA")).startsWith("354");
            c.send("Subject: hi\r\n\r\n..leading dot\r\n.\r\n");
            assertThat(c.reply()).isEqualTo("250 2.0.0 Ok queued");
        }
        assertThat(handler.messages).hasSize(1);
        RecordingHandler.Received m = handler.messages.get(0);
        assertThat(m.envelope().sender()).isEqualTo("sender@example.net");
        assertThat(m.envelope().recipients()).containsExactly("user@example.org");
        assertThat(m.envelope().heloName()).contains("client.example");
        assertThat(m.envelope().clientAddress()).contains(InetAddress.getByName("127.0.0.1"));
        assertThat(m.body()).isEqualTo("Subject: hi\r\n\r\n.leading dot\r\n");
        assertThat(m.receivedHeader())
                .matches("Received: from client\\.example \\(\\[127\\.0\\.0\\.1\\]\\) by mx\\.test\\.example "
                        + "\\(mail-hygiene\\) with ESMTP id [0-9A-Z]+-[0-9A-Z]+ for <user@example\\.org>; "
                        + "\\w{3}, \\d{1,2} \\w{3} \\d{4} \\d\\d:\\d\\d:\\d\\d [+-]\\d{4}");
    }

    @Test
    void forClauseOnlyWithExactlyOneRecipient() throws Exception {
        int port = start();
        try (TestClient c = new TestClient(port).hello()) {
            c.cmd("MAIL FROM:<>");
            c.cmd("RCPT TO:<a@example.org>");
            c.cmd("RCPT TO:<b@example.org>");
            c.cmd("DATA");
            assertThat(c.send("x\r\n.\r\n").reply()).startsWith("250");
        }
        RecordingHandler.Received m = handler.messages.get(0);
        assertThat(m.envelope().sender()).isEmpty();
        assertThat(m.receivedHeader()).doesNotContain(" for ");
    }

    /** A recipient given twice is passed on once (the domain is case-blind, the local part is not; session 25). */
    @Test
    void aRecipientGivenTwiceIsOneRecipient() throws Exception {
        int port = start();
        try (TestClient c = new TestClient(port).hello()) {
            c.cmd("MAIL FROM:<s@example.net>");
            assertThat(c.cmd("RCPT TO:<u@example.org>")).startsWith("250");
            assertThat(c.cmd("RCPT TO:<u@Example.ORG>")).startsWith("250");
            assertThat(c.cmd("RCPT TO:<U@example.org>")).startsWith("250");
            assertThat(c.cmd("RCPT TO:<u@example.org>")).startsWith("250");
            c.cmd("DATA");
            assertThat(c.send("x\r\n.\r\n").reply()).startsWith("250");
        }
        assertThat(handler.messages.get(0).envelope().recipients()).containsExactly("u@example.org", "U@example.org");
    }

    @Test
    void sequenceErrors() throws Exception {
        int port = start();
        try (TestClient c = new TestClient(port)) {
            c.reply();
            assertThat(c.cmd("MAIL FROM:<a@example.net>")).startsWith("503 5.5.1");
            assertThat(c.cmd("EHLO not_a domain!")).startsWith("501");
            assertThat(c.cmd("EHLO [127.0.0.1]")).startsWith("250");
            assertThat(c.cmd("RCPT TO:<a@example.org>")).startsWith("503 5.5.1");
            assertThat(c.cmd("DATA")).startsWith("503 5.5.1");
            assertThat(c.cmd("MAIL FROM:<a@example.net>")).startsWith("250");
            assertThat(c.cmd("MAIL FROM:<a@example.net>")).startsWith("503 5.5.1");
            assertThat(c.cmd("DATA")).startsWith("554 5.5.1");
            assertThat(c.cmd("RSET")).isEqualTo("250 2.0.0 Ok");
            assertThat(c.cmd("RSET now")).startsWith("501");
            assertThat(c.cmd("MAIL FROM:a@example.net")).startsWith("501");
            assertThat(c.cmd("MAIL FROM:<a@example.net> FOO=BAR")).startsWith("555 5.5.4");
            assertThat(c.cmd("MAIL FROM:<a@example.net> BODY=BINARYMIME")).startsWith("501");
            assertThat(c.cmd("MAIL FROM: <a@example.net>")).startsWith("250");
            assertThat(c.cmd("RCPT TO:<postmaster>")).startsWith("250");
            assertThat(c.cmd("RCPT TO:<user>")).startsWith("501");
            assertThat(c.cmd("RCPT TO:<u@example.org> FROB=1")).startsWith("555");
            assertThat(c.cmd("RCPT TO:<u@example.org> NOTIFY=NEVER")).startsWith("250"); // DSN, RFC 3461
        }
    }

    @Test
    void overlongCommandLineIsAnErrorNotACrash() throws Exception {
        int port = start();
        try (TestClient c = new TestClient(port).hello()) {
            assertThat(c.cmd("NOOP " + "x".repeat(505))).startsWith("250"); // 510 + CRLF = 512
            assertThat(c.cmd("NOOP " + "x".repeat(506))).startsWith("500 5.5.0 Line too long");
            assertThat(c.cmd("NOOP " + "x".repeat(100_000))).startsWith("500 5.5.0");
            assertThat(c.cmd("NOOP")).startsWith("250");
            assertThat(c.send("NOOP\n").reply()).startsWith("500 5.5.2");
        }
    }

    @Test
    void recipientLimitAnswers452() throws Exception {
        int port = start(b -> b.limits(SmtpLimits.builder().maxRecipients(100).build()));
        try (TestClient c = new TestClient(port).hello()) {
            c.cmd("MAIL FROM:<a@example.net>");
            for (int i = 0; i < 100; i++) {
                assertThat(c.cmd("RCPT TO:<u" + i + "@example.org>")).startsWith("250");
            }
            assertThat(c.cmd("RCPT TO:<u100@example.org>")).isEqualTo("452 4.5.3 Too many recipients");
            c.cmd("DATA");
            assertThat(c.send("x\r\n.\r\n").reply()).startsWith("250");
        }
        assertThat(handler.messages.get(0).envelope().recipients()).hasSize(100);
    }

    @Test
    void recipientsPastTheOvershootCountAsErrorsAndEndTheSession() throws Exception {
        int port = start(b -> b.limits(SmtpLimits.builder()
                .maxRecipients(2)
                .recipientOvershoot(3)
                .maxErrors(4)
                .build()));
        try (TestClient c = new TestClient(port).hello()) {
            c.cmd("MAIL FROM:<a@example.net>");
            assertThat(c.cmd("RCPT TO:<u0@example.org>")).startsWith("250");
            assertThat(c.cmd("RCPT TO:<u1@example.org>")).startsWith("250");
            // 3 free 452s, then 4 counted ones: the 4th error closes the session
            for (int i = 0; i < 3 + 4; i++) {
                assertThat(c.cmd("RCPT TO:<x" + i + "@example.org>")).isEqualTo("452 4.5.3 Too many recipients");
            }
            assertThat(c.reply()).isEqualTo("421 4.7.0 mx.test.example Too many errors, closing connection");
            assertThat(c.reply()).isEqualTo("EOF");
        }
        assertThat(handler.messages).isEmpty();
    }

    /**
     * A client that pipelines past the error limit (here: over-long command lines, then more input than the sockets'
     * buffers hold) must still read the {@code 421}. The session closed with that input unread, so the close sent a
     * TCP reset and the client's write failed ("Broken pipe" or "Connection reset") before it could read any reply.
     * Now the server shuts its output down and discards input for a bounded time before closing (see
     * {@link BdatTest#aClientWritingAWholeOversizedChunkBeforeReadingGetsThe552}).
     */
    @Test
    void aClientPipeliningPastTheErrorLimitReadsThe421() throws Exception {
        int port = start(b -> b.limits(SmtpLimits.builder().maxErrors(2).build()));
        String tooLong = "NOOP " + "x".repeat(600) + "\r\n";
        byte[] more =
                ("NOOP\r\n".repeat(1024 * 1024 + 1)).getBytes(java.nio.charset.StandardCharsets.US_ASCII); // over 7 MiB
        try (TestClient c = new TestClient(port).hello()) {
            c.send(tooLong + tooLong).sendBytes(more);
            assertThat(c.reply()).startsWith("500 5.5.0 Line too long");
            assertThat(c.reply()).startsWith("500 5.5.0 Line too long");
            assertThat(c.reply()).isEqualTo("421 4.7.0 mx.test.example Too many errors, closing connection");
            assertThat(c.reply()).isEqualTo("EOF");
        }
    }

    @Test
    void overshootWithinTheAllowanceKeepsTheTransaction() throws Exception {
        int port = start(b -> b.limits(SmtpLimits.builder()
                .maxRecipients(2)
                .recipientOvershoot(5)
                .maxErrors(2)
                .build()));
        try (TestClient c = new TestClient(port).hello()) {
            StringBuilder pipelined = new StringBuilder("MAIL FROM:<a@example.net>\r\n");
            for (int i = 0; i < 7; i++) {
                pipelined.append("RCPT TO:<u").append(i).append("@example.org>\r\n");
            }
            c.send(pipelined.toString());
            assertThat(c.reply()).startsWith("250 2.1.0");
            assertThat(c.reply()).startsWith("250 2.1.5");
            assertThat(c.reply()).startsWith("250 2.1.5");
            for (int i = 0; i < 5; i++) {
                assertThat(c.reply()).isEqualTo("452 4.5.3 Too many recipients");
            }
            assertThat(c.cmd("DATA")).startsWith("354");
            assertThat(c.send("x\r\n.\r\n").reply()).startsWith("250");
        }
        assertThat(handler.messages.get(0).envelope().recipients()).containsExactly("u0@example.org", "u1@example.org");
    }

    @Test
    void sizeIsCheckedAtMailAndEnforcedWhileStreaming() throws Exception {
        java.util.List<String> refusals = new java.util.concurrent.CopyOnWriteArrayList<>();
        SessionListener listener = new SessionListener() {
            @Override
            public void refused(InetAddress client, String reason, int code) {
                refusals.add(reason + " " + code);
            }
        };
        int port = start(
                b -> b.limits(SmtpLimits.builder().maxMessageSize(1000).build()).sessionListener(listener));
        try (TestClient c = new TestClient(port).hello()) {
            assertThat(c.cmd("MAIL FROM:<a@example.net> SIZE=1001")).startsWith("552 5.3.4");
            assertThat(c.cmd("MAIL FROM:<a@example.net> SIZE=1000")).startsWith("250");
            c.cmd("RCPT TO:<u@example.org>");
            c.cmd("DATA");
            StringBuilder big = new StringBuilder();
            for (int i = 0; i < 30; i++) {
                big.append("x".repeat(70)).append("\r\n");
            }
            assertThat(c.send(big + ".\r\n").reply()).startsWith("552 5.3.4");
            // the session is still in step
            assertThat(c.cmd("NOOP")).startsWith("250");
            c.cmd("MAIL FROM:<a@example.net>");
            c.cmd("RCPT TO:<u@example.org>");
            c.cmd("DATA");
            assertThat(c.send("a\nb\r\n.\r\n").reply()).startsWith("550 5.5.2");
        }
        assertThat(handler.messages).isEmpty();
        // Both size refusals counted alike (audit, session 39: the one at MAIL, which every MTA's SIZE= gets, was not
        // counted in hygiene_smtp_refusals_total, the one at the end of DATA was), each with the code the client saw
        // (the bare LF's 550 was counted as 554).
        assertThat(refusals).containsExactly("message-content 552", "message-content 552", "message-content 550");
    }

    @Test
    void longTextLineIsRefused() throws Exception {
        int port = start();
        try (TestClient c = new TestClient(port).hello()) {
            c.cmd("MAIL FROM:<a@example.net>");
            c.cmd("RCPT TO:<u@example.org>");
            c.cmd("DATA");
            assertThat(c.send("a\r\n" + "y".repeat(998) + "\r\n.\r\n").reply()).startsWith("250");
            c.cmd("MAIL FROM:<a@example.net>");
            c.cmd("RCPT TO:<u@example.org>");
            c.cmd("DATA");
            assertThat(c.send("a\r\n" + "y".repeat(999) + "\r\n.\r\n").reply()).startsWith("554 5.6.0");
        }
        assertThat(handler.messages).hasSize(1);
    }

    /**
     * A message whose first line starts with a space or tab (enmime's {@code low-quality/bad-header-start.raw}:
     * {@code " From: James ..."}) was accepted, and its first line became a continuation of the Received field this
     * server puts on top: the next hop got a message without its From field. It is refused with a reason instead.
     */
    @Test
    void aFirstLineFoldedLikeAHeaderContinuationIsRefused() throws Exception {
        int port = start();
        try (TestClient c = new TestClient(port).hello()) {
            for (String content : List.of(" From: a@example.net\r\nSubject: x\r\n\r\nbody\r\n", "\tx\r\n\r\nb\r\n")) {
                c.cmd("MAIL FROM:<a@example.net>");
                c.cmd("RCPT TO:<u@example.org>");
                c.cmd("DATA");
                assertThat(c.send(content + ".\r\n").reply())
                        .as(content)
                        .isEqualTo("554 5.6.0 Message starts with a space or tab: its first header line would be"
                                + " folded into the Received header");
            }
            c.cmd("MAIL FROM:<a@example.net>");
            c.cmd("RCPT TO:<u@example.org>");
            c.cmd("DATA");
            // dot-stuffed: the content starts with the space after the dot
            assertThat(c.send(".. x\r\n\r\nb\r\n.\r\n").reply()).startsWith("250");
            c.cmd("MAIL FROM:<a@example.net>");
            c.cmd("RCPT TO:<u@example.org>");
            c.cmd("DATA");
            assertThat(c.send(". From: a@example.net\r\n\r\nb\r\n.\r\n").reply())
                    .startsWith("554 5.6.0");
            c.cmd("MAIL FROM:<a@example.net>");
            c.cmd("RCPT TO:<u@example.org>");
            c.cmd("DATA");
            assertThat(c.send("From: a@example.net\r\nSubject: a\r\n folded\r\n\r\n body\r\n.\r\n")
                            .reply())
                    .startsWith("250");
        }
        assertThat(handler.messages).hasSize(2);
    }

    @Test
    void loopDetectionCountsReceivedHeaders() throws Exception {
        int port = start(b -> b.limits(SmtpLimits.builder().maxHops(5).build()));
        try (TestClient c = new TestClient(port).hello()) {
            c.cmd("MAIL FROM:<a@example.net>");
            c.cmd("RCPT TO:<u@example.org>");
            c.cmd("DATA");
            String four = "Received: from a by b; Fri, 27 Nov 2026 20:00:00 +0000\r\n".repeat(4);
            assertThat(c.send(four + "Subject: x\r\n\r\nReceived: in the body does not count\r\n".repeat(3) + ".\r\n")
                            .reply())
                    .startsWith("250");
            c.cmd("MAIL FROM:<a@example.net>");
            c.cmd("RCPT TO:<u@example.org>");
            c.cmd("DATA");
            assertThat(c.send("RECEIVED: x\r\n".repeat(5) + "\r\nbody\r\n.\r\n").reply())
                    .startsWith("554 5.4.6");
        }
        assertThat(handler.messages).hasSize(1);
    }

    @Test
    void handlerReplyIsSentExactlyAndExceptionsBecome451() throws Exception {
        int port = start();
        handler.reply = e -> new SmtpReply(554, "5.7.1", "Virus found: Eicar-Test-Signature");
        try (TestClient c = new TestClient(port).hello()) {
            c.cmd("MAIL FROM:<a@example.net>");
            c.cmd("RCPT TO:<u@example.org>");
            c.cmd("DATA");
            assertThat(c.send("x\r\n.\r\n").reply()).isEqualTo("554 5.7.1 Virus found: Eicar-Test-Signature");
            handler.reply = e -> {
                throw new IllegalStateException("boom");
            };
            c.cmd("MAIL FROM:<a@example.net>");
            c.cmd("RCPT TO:<u@example.org>");
            c.cmd("DATA");
            assertThat(c.send("x\r\n.\r\n").reply()).isEqualTo("451 4.3.0 Temporary failure, try again later");
        }
    }

    @Test
    void pipelinedGroupGetsRepliesInOrder() throws Exception {
        int port = start();
        try (TestClient c = new TestClient(port).hello()) {
            c.send("MAIL FROM:<a@example.net>\r\nRCPT TO:<u@example.org>\r\nRCPT TO:<x@elsewhere.test>\r\n"
                    + "RCPT TO:<v@example.org>\r\nDATA\r\n");
            assertThat(c.reply()).startsWith("250 2.1.0");
            assertThat(c.reply()).startsWith("250 2.1.5");
            assertThat(c.reply()).startsWith("554 5.7.1 Relay access denied");
            assertThat(c.reply()).startsWith("250 2.1.5");
            assertThat(c.reply()).startsWith("354");
            c.send("hello\r\n.\r\nQUIT\r\n");
            assertThat(c.reply()).startsWith("250");
            assertThat(c.reply()).startsWith("221");
        }
        assertThat(handler.messages.get(0).envelope().recipients()).containsExactly("u@example.org", "v@example.org");
    }

    @Test
    void dataSentBeforeThe354IsASynchronisationError() throws Exception {
        int port = start();
        try (TestClient c = new TestClient(port).hello()) {
            c.send("MAIL FROM:<a@example.net>\r\nRCPT TO:<u@example.org>\r\nDATA\r\nSubject: early\r\n\r\nx\r\n.\r\n");
            assertThat(c.reply()).startsWith("250");
            assertThat(c.reply()).startsWith("250");
            assertThat(c.reply()).startsWith("554 5.5.0");
            assertThat(c.reply()).isEqualTo("EOF");
        }
        assertThat(handler.messages).isEmpty();
    }

    @Test
    void tooManyErrorsCloseTheSession() throws Exception {
        int port = start(b -> b.limits(SmtpLimits.builder().maxErrors(3).build()));
        try (TestClient c = new TestClient(port).hello()) {
            assertThat(c.cmd("BAD1")).startsWith("500");
            assertThat(c.cmd("BAD2")).startsWith("500");
            assertThat(c.cmd("BAD3")).isEqualTo("500 5.5.2 Command unrecognized: BAD3");
            assertThat(c.reply()).startsWith("421 4.7.0");
            assertThat(c.reply()).isEqualTo("EOF");
        }
    }

    @Test
    void idleClientIsCutOffWith421() throws Exception {
        int port = start(b -> b.limits(
                SmtpLimits.builder().idleTimeout(Duration.ofMillis(300)).build()));
        // Idle from the greeting on, with no EHLO: after one, a busy machine that held this thread 300 ms between the
        // greeting and the EHLO failed the test at the EHLO, whose answer was already the cut-off.
        try (TestClient c = new TestClient(port)) {
            assertThat(c.reply()).startsWith("220");
            assertThat(c.reply()).startsWith("421 4.4.2");
            assertThat(c.reply()).isEqualTo("EOF");
        }
    }

    /**
     * Plays a slow client: another thread sends {@code piece} every 50 ms until the connection breaks, while this
     * thread waits for the server's next reply with a generous read timeout. How many pieces get through before the
     * server's timeout fires does not matter, so a busy machine cannot fail it.
     */
    private static String dribbleUntilReply(TestClient c, String piece) throws Exception {
        Thread dribbler = new Thread(
                () -> {
                    try {
                        while (!Thread.currentThread().isInterrupted()) {
                            c.send(piece);
                            Thread.sleep(50); // the slowness of the scenario's client, not a wait for an event
                        }
                    } catch (java.io.IOException | InterruptedException closedOrDone) {
                        // the server cut the connection, or the reply came
                    }
                },
                "slow-client");
        dribbler.setDaemon(true);
        dribbler.start();
        try {
            c.socket.setSoTimeout(60_000);
            return c.reply();
        } finally {
            dribbler.interrupt();
            dribbler.join(60_000);
        }
    }

    @Test
    void slowLorisCommandIsCutOffByTheCommandTimeout() throws Exception {
        int port = start(b -> b.limits(SmtpLimits.builder()
                .idleTimeout(Duration.ofSeconds(5))
                .commandTimeout(Duration.ofMillis(500))
                .build()));
        try (TestClient c = new TestClient(port).hello()) {
            assertThat(dribbleUntilReply(c, "N")).startsWith("421 4.4.2");
        }
    }

    @Test
    void slowDataIsCutOffByTheDataTimeout() throws Exception {
        int port = start(b -> b.limits(SmtpLimits.builder()
                .idleTimeout(Duration.ofSeconds(5))
                .dataTimeout(Duration.ofMillis(500))
                .build()));
        try (TestClient c = new TestClient(port).hello()) {
            c.cmd("MAIL FROM:<a@example.net>");
            c.cmd("RCPT TO:<u@example.org>");
            c.cmd("DATA");
            assertThat(dribbleUntilReply(c, "line\r\n")).startsWith("421 4.4.2");
        }
        assertThat(handler.messages).isEmpty();
    }

    @Test
    void smtputf8AllowsUtf8AddressesOnlyWhenRequested() throws Exception {
        int port = start(b -> b.acceptedDomains(AcceptedDomains.of("example.org", "例え.jp")));
        try (TestClient c = new TestClient(port).hello()) {
            assertThat(c.cmd("MAIL FROM:<ユーザー@example.net>")).startsWith("553 5.6.7");
            assertThat(c.cmd("MAIL FROM:<ユーザー@example.net> SMTPUTF8")).startsWith("250");
            assertThat(c.cmd("RCPT TO:<受信者@例え.jp>")).startsWith("250");
            c.cmd("DATA");
            assertThat(c.send("Subject: テスト\r\n\r\n本文\r\n.\r\n").reply()).startsWith("250");
        }
        RecordingHandler.Received m = handler.messages.get(0);
        assertThat(m.envelope().sender()).isEqualTo("ユーザー@example.net");
        assertThat(m.receivedHeader()).contains("with UTF8SMTP id").contains("for <受信者@例え.jp>");
        assertThat(m.body()).isEqualTo("Subject: テスト\r\n\r\n本文\r\n");
    }

    @Test
    void heloSessionsDoNotGetPipelining() throws Exception {
        int port = start();
        try (TestClient c = new TestClient(port)) {
            c.reply();
            assertThat(c.cmd("HELO client.example")).isEqualTo("250 mx.test.example Hello client.example [127.0.0.1]");
            assertThat(c.cmd("MAIL FROM:<a@example.net> SIZE=10")).startsWith("555");
            c.send("MAIL FROM:<a@example.net>\r\nRCPT TO:<u@example.org>\r\n");
            assertThat(c.reply()).startsWith("554 5.5.0");
        }
    }

    @Test
    void messagesLargerThanTheThresholdAreSpooledToDiskAndComeBackIntact(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        int port = start(b ->
                b.limits(SmtpLimits.builder().memoryThreshold(1024).build()).spoolDirectory(dir));
        StringBuilder body = new StringBuilder("Subject: big\r\n\r\n");
        for (int i = 0; i < 2000; i++) {
            body.append(i % 7 == 0 ? "." : "").append("line ").append(i).append("\r\n");
        }
        String stuffed = body.toString().replace("\r\n.", "\r\n..");
        try (TestClient c = new TestClient(port).hello()) {
            c.cmd("MAIL FROM:<a@example.net>");
            c.cmd("RCPT TO:<u@example.org>");
            c.cmd("DATA");
            assertThat(c.send(stuffed + ".\r\n").reply()).startsWith("250");
        }
        assertThat(handler.messages.get(0).body()).isEqualTo(body.toString());
        try (var files = java.nio.file.Files.list(dir)) {
            assertThat(files).as("temporary files are deleted").isEmpty();
        }
    }

    @Test
    void dataThatCannotBeWrittenToTheTemporaryDirectoryGetsATemporaryFailureAndTheSessionGoesOn(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        // A regular file where the temporary directory should be: every temporary file fails, as on a full disk.
        java.nio.file.Path notADirectory = java.nio.file.Files.writeString(dir.resolve("tmp"), "in the way");
        int port = start(b ->
                b.limits(SmtpLimits.builder().memoryThreshold(1024).build()).spoolDirectory(notADirectory));
        StringBuilder big = new StringBuilder("Subject: big\r\n\r\n");
        for (int i = 0; i < 500; i++) {
            big.append("line ").append(i).append(" of a message larger than the memory threshold\r\n");
        }
        try (TestClient c = new TestClient(port).hello()) {
            c.cmd("MAIL FROM:<a@example.net>");
            c.cmd("RCPT TO:<u@example.org>");
            c.cmd("DATA");
            // not a silent close: the rest of the data is read and a temporary failure answered
            assertThat(c.send(big + ".\r\n").reply()).startsWith("451 4.3.0");
            byte[] chunk = big.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            c.cmd("MAIL FROM:<a@example.net>");
            c.cmd("RCPT TO:<u@example.org>");
            c.send("BDAT " + chunk.length + "\r\n");
            assertThat(c.sendBytes(chunk).reply()).startsWith("451 4.3.0");
            // the LAST chunk of the failed transaction is discarded
            assertThat(c.send("BDAT 5 LAST\r\nbye\r\n").reply()).startsWith("503");
            // the session is in step and a small message still goes through
            c.cmd("MAIL FROM:<a@example.net>");
            c.cmd("RCPT TO:<u@example.org>");
            c.cmd("DATA");
            assertThat(c.send("Subject: small\r\n\r\nhello\r\n.\r\n").reply()).startsWith("250");
            assertThat(c.cmd("NOOP")).startsWith("250");
        }
        assertThat(handler.messages).hasSize(1);
        assertThat(handler.messages.get(0).body()).isEqualTo("Subject: small\r\n\r\nhello\r\n");
    }

    @Test
    void aFullDiskIsAnsweredWith452AndAnyOtherWriteErrorWith451() {
        assertThat(SmtpSession.storageFailure(new java.io.IOException("No space left on device")))
                .isEqualTo(new SmtpReply(452, "4.3.1", "Insufficient system storage, try again later"));
        assertThat(SmtpSession.storageFailure(
                                new java.io.IOException("write failed", new java.io.IOException("Disk quota exceeded")))
                        .code())
                .isEqualTo(452);
        assertThat(SmtpSession.storageFailure(new java.nio.file.NoSuchFileException("/data/tmp"))
                        .code())
                .isEqualTo(451);
    }
}
