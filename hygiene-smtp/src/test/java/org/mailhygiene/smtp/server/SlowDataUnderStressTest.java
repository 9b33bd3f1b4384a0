package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.policy.SmtpReply;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.testkit.Await;

/**
 * Slow clients (a slowloris: DATA, then one byte at a time) under stress, Postfix's {@code smtpd_per_request_deadline}
 * with {@code smtpd_min_data_rate}: until session 44 the stress check closed only sessions idle between commands, and
 * a client dripping its message held its session for the whole {@code dataTimeout} (10 minutes) however many sessions
 * were open; a client that pipelined the start of a command and dripped the rest held it for the
 * {@code commandTimeout}. Stress is held by a session whose message handler blocks (it works, it does not wait for its
 * client). Clients bind to distinct loopback addresses. No assertion on durations: a client drips until it is answered
 * or a bound far past the allowance.
 */
class SlowDataUnderStressTest {
    private static final InetAddress SLOW = address("127.0.0.2");
    private static final InetAddress HOLDER = address("127.0.0.3");
    private static final InetAddress FAST = address("127.0.0.4");
    private static final String TOO_SLOW =
            "421 4.4.2 localhost Timeout: data too slow while the server is busy, closing connection";
    private static final Duration ALLOWANCE = Duration.ofSeconds(2);
    /** Drips far past the allowance (100 ms apart: 15 s) before a test gives up waiting for the cut. */
    private static final int DRIPS = 150;

    private final RecordingHandler handler = new RecordingHandler();
    private final CountDownLatch holding = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final List<String> refusals = new CopyOnWriteArrayList<>();
    private SmtpServer server;
    private final List<TestClient> open = new ArrayList<>();

    private static InetAddress address(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private void start(int stressSessions) throws Exception {
        start(stressSessions, null);
    }

    private void start(int stressSessions, TlsConfig tls) throws Exception {
        handler.reply = e -> {
            if (e.sender().startsWith("hold@")) {
                holding.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
            return new SmtpReply(250, "2.0.0", "Ok queued");
        };
        SmtpServer.Builder b = SmtpServer.builder()
                .port(0)
                .limits(SmtpLimits.builder()
                        .maxConnections(10)
                        .stressSessions(stressSessions)
                        .stressIdleTimeout(ALLOWANCE)
                        .stressMinDataRate(500)
                        .build())
                .acceptedDomains(AcceptedDomains.of("example.org"))
                .sessionListener(new SessionListener() {
                    @Override
                    public void refused(InetAddress client, String reason, int code) {
                        refusals.add(client.getHostAddress() + " " + reason + " " + code);
                    }
                })
                .handler(handler);
        if (tls != null) {
            b.tls(tls);
        }
        server = b.build();
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        for (TestClient c : open) {
            c.close();
        }
        if (server != null) {
            server.stop();
        }
    }

    private TestClient connect(InetAddress from) throws Exception {
        TestClient c = new TestClient(server.port(), from);
        open.add(c);
        return c.hello();
    }

    /** A session that keeps the server under stress: its message is being handled until {@link #release}. */
    private TestClient holdASession() throws Exception {
        TestClient c = connect(HOLDER);
        assertThat(c.cmd("MAIL FROM:<hold@example.net>")).startsWith("250");
        assertThat(c.cmd("RCPT TO:<u@example.org>")).startsWith("250");
        assertThat(c.cmd("DATA")).startsWith("354");
        c.send("Subject: hold\r\n\r\nheld\r\n.\r\n");
        assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
        return c;
    }

    /** A server offering TLS, held under stress, and a client from {@link #SLOW} answered 220 to STARTTLS. */
    private TestClient startTlsUnderStress() throws Exception {
        start(
                2,
                TlsConfig.fromKeyStore(
                        TestCertificates.keyStore(), TestCertificates.PASSWORD, TestCertificates.PASSWORD));
        holdASession();
        TestClient slow = connect(SLOW);
        assertThat(slow.cmd("STARTTLS")).startsWith("220");
        return slow;
    }

    private static void startData(TestClient c, String sender) throws IOException {
        assertThat(c.cmd("MAIL FROM:<" + sender + ">")).startsWith("250");
        assertThat(c.cmd("RCPT TO:<u@example.org>")).startsWith("250");
        assertThat(c.cmd("DATA")).startsWith("354");
    }

    /**
     * Sends {@code unit} up to {@code times} times, {@code pauseMillis} apart, and returns the first reply the server
     * sends meanwhile, or {@code null} if it said nothing.
     */
    private static String drip(TestClient c, String unit, int times, int pauseMillis) throws IOException {
        return drip(c, c.socket, unit, times, pauseMillis);
    }

    /** {@link #drip(TestClient, String, int, int)} with the read timeouts on {@code timed} (a TLS socket). */
    private static String drip(TestClient c, java.net.Socket timed, String unit, int times, int pauseMillis)
            throws IOException {
        int timeout = timed.getSoTimeout();
        try {
            for (int i = 0; i < times; i++) {
                try {
                    c.send(unit);
                } catch (IOException e) {
                    timed.setSoTimeout(timeout);
                    return c.reply(); // the server closed after its last reply
                }
                timed.setSoTimeout(pauseMillis);
                try {
                    return c.reply();
                } catch (SocketTimeoutException quiet) {
                    // nothing yet
                }
            }
            return null;
        } finally {
            timed.setSoTimeout(timeout);
        }
    }

    private List<String> senders() {
        return handler.messages.stream().map(m -> m.envelope().sender()).toList();
    }

    /**
     * Under stress, a client that drips its message one byte at a time is cut with {@code 421 4.4.2} and its message
     * is not kept, while a client sending a large message quickly at the same time is not; the message the dripping
     * client had completed before (its {@code 250}) stays. Failed before session 44: the dripping client was never
     * answered.
     */
    @Test
    void underStressADrippingClientIsCutAndAFastLargeMessageIsNot() throws Exception {
        start(2);
        holdASession();
        TestClient slow = connect(SLOW);
        assertThat(server.underStress()).isTrue();
        assertThat(slow.cmd("MAIL FROM:<slow@example.net>")).startsWith("250");
        assertThat(slow.cmd("RCPT TO:<u@example.org>")).startsWith("250");
        assertThat(slow.cmd("DATA")).startsWith("354");
        assertThat(slow.send("Subject: first\r\n\r\ncomplete\r\n.\r\n").reply()).startsWith("250");

        TestClient fast = connect(FAST);
        startData(fast, "fast@example.net");
        StringBuilder big = new StringBuilder("Subject: big\r\n\r\n");
        String line = "x".repeat(998) + "\r\n";
        while (big.length() < 6_000_000) {
            big.append(line);
        }
        assertThat(fast.send(big + ".\r\n").reply()).startsWith("250 2.0.0 Ok queued");
        assertThat(fast.cmd("QUIT")).startsWith("221");

        startData(slow, "slow@example.net");
        assertThat(drip(slow, "x", DRIPS, 100)).isEqualTo(TOO_SLOW);
        assertThat(slow.reply()).isEqualTo("EOF");
        Await.until("the slow session ended", () -> server.activeSessions() == 1);
        assertThat(senders()).containsExactlyInAnyOrder("hold@example.net", "slow@example.net", "fast@example.net");
        assertThat(refusals).containsExactly("127.0.0.2 stress-slow-data 421");
    }

    /**
     * The allowance is kept outside stress but not enforced: a client dripping far past it is not cut; when the stress
     * begins it is. After the stress ends, another dripping client completes its message. Failed before session 44:
     * the dripping client was not cut when the stress began.
     */
    @Test
    void aDripperIsCutOnlyWhileTheServerIsUnderStress() throws Exception {
        start(2);
        TestClient slow = connect(SLOW);
        startData(slow, "slow@example.net");
        assertThat(server.underStress()).isFalse();
        // three times the allowance without stress: not cut
        assertThat(drip(slow, "x", 30, 200)).isNull();
        TestClient holder = holdASession();
        assertThat(drip(slow, "x", DRIPS, 100)).isEqualTo(TOO_SLOW);
        assertThat(slow.reply()).isEqualTo("EOF");
        release.countDown();
        assertThat(holder.reply()).startsWith("250");
        assertThat(holder.cmd("QUIT")).startsWith("221");
        Await.until("every session ended", () -> server.activeSessions() == 0);

        TestClient later = connect(SLOW);
        startData(later, "later@example.net");
        assertThat(drip(later, "y", 30, 200)).isNull();
        assertThat(later.send("\r\n.\r\n").reply()).startsWith("250");
        assertThat(senders()).containsExactlyInAnyOrder("hold@example.net", "later@example.net");
    }

    /**
     * Lines that each arrive well within the allowance are not enough: the data must keep to the minimum rate (a whole
     * short line every half second is 24 octets per second). Postfix's {@code smtpd_min_data_rate}; failed before
     * session 44.
     */
    @Test
    void wholeLinesTooSlowlyAreCutToo() throws Exception {
        start(2);
        holdASession();
        TestClient slow = connect(SLOW);
        startData(slow, "slow@example.net");
        assertThat(drip(slow, "Subject: line\r\n", 60, 500)).isEqualTo(TOO_SLOW);
        assertThat(senders()).containsExactly("hold@example.net");
    }

    /**
     * BDAT: a chunk dripped byte by byte is cut, and so is a message sent as small chunks with pauses between them
     * (each pause shorter than the stress idle timeout, so the idle check never saw it). Failed before session 44.
     */
    @Test
    void aDrippedChunkAndSlowSmallChunksAreCut() throws Exception {
        start(2);
        holdASession();
        TestClient slow = connect(SLOW);
        assertThat(slow.cmd("MAIL FROM:<slow@example.net>")).startsWith("250");
        assertThat(slow.cmd("RCPT TO:<u@example.org>")).startsWith("250");
        slow.send("BDAT 1000 LAST\r\n");
        assertThat(drip(slow, "x", DRIPS, 100)).isEqualTo(TOO_SLOW);

        TestClient chunks = connect(FAST);
        assertThat(chunks.cmd("MAIL FROM:<chunks@example.net>")).startsWith("250");
        assertThat(chunks.cmd("RCPT TO:<u@example.org>")).startsWith("250");
        String reply = null;
        for (int i = 0; i < 40 && reply == null; i++) {
            // the command line and its chunk in one write, then a pause shorter than the stress idle timeout
            String r = chunks.send("BDAT 10\r\n0123456789").reply();
            if (!r.startsWith("250")) {
                reply = r;
            }
            Thread.sleep(400);
        }
        assertThat(reply).isEqualTo(TOO_SLOW);
        assertThat(senders()).containsExactly("hold@example.net");
    }

    /**
     * Under TLS the session's reads are not sliced: the stress check shuts the connection's input down under the
     * pending read, and the session still answers over TLS. Failed before session 44.
     */
    @Test
    void underTlsADrippingClientIsCutToo() throws Exception {
        TestClient slow = startTlsUnderStress();
        javax.net.ssl.SSLSocket ssl = (javax.net.ssl.SSLSocket) TestCertificates.trustAllClient()
                .getSocketFactory()
                .createSocket(slow.socket, "localhost", slow.socket.getPort(), true);
        ssl.setUseClientMode(true);
        ssl.startHandshake();
        slow.useStreams(ssl.getInputStream(), ssl.getOutputStream());
        assertThat(slow.cmd("EHLO slow.example")).startsWith("250");
        startData(slow, "slow@example.net");
        assertThat(drip(slow, ssl, "x", DRIPS, 100)).isEqualTo(TOO_SLOW);
        assertThat(refusals).containsExactly("127.0.0.2 stress-slow-data 421");
        assertThat(senders()).containsExactly("hold@example.net");
    }

    /**
     * Under stress a STARTTLS handshake the client stalls is closed like an idle session (Postfix's {@code
     * smtpd_starttls_timeout = ${stress?10}}), not after the handshake timeout (30 s by default). Failed before session
     * 44: the connection stayed open for the 15 s the test waits.
     */
    @Test
    void aStalledTlsHandshakeIsClosedUnderStress() throws Exception {
        TestClient slow = startTlsUnderStress();
        slow.socket.setSoTimeout(15_000);
        byte[] said;
        try {
            said = slow.socket.getInputStream().readAllBytes(); // no ClientHello: the server waits for one
        } catch (SocketTimeoutException e) {
            throw new AssertionError("still open after 15 s under stress", e);
        } catch (IOException e) {
            said = new byte[0]; // reset: closed too
        }
        // at most a TLS alert record (content type 21), never a plaintext 421 inside the handshake
        assertThat(said.length == 0 || said[0] == 21)
                .as("closed, at most with a TLS alert: %s", java.util.Arrays.toString(said))
                .isTrue();
        Await.until("the stalled session ended", () -> server.activeSessions() == 1);
        // counted as it ends, before its slot is given back (until session 45 an idle reap was not a refusal)
        assertThat(refusals).containsExactly("127.0.0.2 stress-idle 421");
    }

    /**
     * A client that pipelines the start of its next command behind a whole one and drips the rest was never idle for
     * the stress check (the check looked only at sessions whose input buffer was empty), and held its session for the
     * command timeout. Now it is closed like an idle one. Failed before session 44: no reply at all.
     */
    @Test
    void aCommandDrippedBehindAPipelinedOneIsClosedUnderStress() throws Exception {
        start(2);
        holdASession();
        TestClient slow = connect(SLOW);
        slow.send("RSET\r\nN");
        String reply = drip(slow, "O", DRIPS, 100);
        assertThat(reply).isEqualTo("250 2.0.0 Ok");
        assertThat(slow.reply())
                .isEqualTo("421 4.4.2 localhost Idle too long while the server is busy, closing connection");
        // counted like the other stress cuts (until session 45 an idle reap was not a refusal)
        Await.until("the reap counted", () -> !refusals.isEmpty());
        assertThat(refusals).containsExactly("127.0.0.2 stress-idle 421");
    }

    /**
     * Under stress, a client that pipelines commands and never reads their replies (its receive window at zero) holds
     * its session while the server's write of replies is blocked: the stress check looked only at waits for input, and
     * the write waited for the whole {@code writeTimeout} (5 minutes). Postfix's {@code smtpd_timeout =
     * ${stress?10}} bounds writes as well. Now a write blocked longer than {@code stressIdleTimeout} under stress
     * closes the connection. Failed before session 45: the session was still open after the 60 s the test waits.
     */
    @Test
    void aClientThatNeverReadsItsPipelinedRepliesIsClosedUnderStress() throws Exception {
        start(1); // its own session puts the server under stress: no holder, whose handler gives up after 30 s
        java.net.Socket s = new java.net.Socket();
        s.setReceiveBufferSize(4096); // before connect: the window the client offers stays small
        s.bind(new java.net.InetSocketAddress(SLOW, 0));
        s.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), 5000);
        s.setSoTimeout(10_000);
        TestClient c = new TestClient(s);
        open.add(c);
        assertThat(c.reply()).startsWith("220");
        assertThat(c.cmd("EHLO client.example")).startsWith("250");
        // RSET after EHLO may be pipelined (no synchronization error); its replies are never read
        byte[] burst = "RSET\r\n".repeat(10_000).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Thread writer = new Thread(() -> {
            try {
                java.io.OutputStream out = s.getOutputStream();
                for (int i = 0; i < 2_000; i++) { // 120 MB of commands at most, 280 MB of replies
                    out.write(burst);
                }
            } catch (IOException e) {
                // closed: what the test waits for
            }
        });
        writer.setDaemon(true);
        writer.start();
        writer.join(60_000);
        assertThat(writer.isAlive())
                .as("the client's writes still blocked after 60 s: the session was not closed")
                .isFalse();
        Await.until("the session that never reads closed", () -> server.activeSessions() == 0);
        assertThat(refusals).containsExactly("127.0.0.2 stress-write-timeout 421");
    }
}
