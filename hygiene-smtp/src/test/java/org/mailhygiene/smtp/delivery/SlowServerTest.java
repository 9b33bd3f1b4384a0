package org.mailhygiene.smtp.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.routing.NextHop;

/**
 * Next hops that answer, but too slowly: one byte or one continuation line at a time, each well inside the per-read
 * timeout. The client must give up by its step timeouts and its delivery deadline. The outer bound of each test only
 * stops a broken client from hanging the build; it is far above the timeouts under test.
 */
class SlowServerTest {
    // Far below the RFC step timeouts (minutes) the bounds under test replace, far above what they take on a busy
    // machine.
    private static final Duration HANG_BOUND = Duration.ofSeconds(60);
    private ServerSocket server;
    private Thread script;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (script != null) {
            script.interrupt();
            script.join(5000);
        }
    }

    /** What the fake server does with the one connection it accepts. */
    interface Script {
        void run(Socket s, BufferedReader in, OutputStream out) throws IOException, InterruptedException;
    }

    private Endpoint serve(Script body) throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        script = new Thread(() -> {
            try (Socket s = server.accept()) {
                BufferedReader in =
                        new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                body.run(s, in, s.getOutputStream());
            } catch (IOException | InterruptedException e) {
                // the client gave up, or the test is over
            }
        });
        script.setDaemon(true);
        script.start();
        return Endpoint.literal(new NextHop("127.0.0.1", server.getLocalPort()));
    }

    private static void send(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** A greeting that never ends: a continuation line every 200 ms. */
    private static void dribbleGreeting(Socket s, BufferedReader in, OutputStream out)
            throws IOException, InterruptedException {
        for (int i = 0; ; i++) {
            send(out, "220-still greeting " + i + "\r\n");
            Thread.sleep(200);
        }
    }

    private static MessageContent message() {
        return MessageContent.ofString("Subject: x\r\n\r\nx\r\n", StandardCharsets.US_ASCII);
    }

    @Test
    void theStepTimeoutBoundsAWholeMultiLineReply() throws Exception {
        Endpoint e = serve(SlowServerTest::dribbleGreeting);
        SmtpClient c = SmtpClient.builder()
                .tls(TlsPolicy.disabled())
                .timeouts(SmtpTimeouts.uniform(Duration.ofSeconds(1)))
                .build();
        assertTimeoutPreemptively(
                HANG_BOUND,
                () -> assertThatThrownBy(
                                () -> c.deliver(e, "a@x.org", List.of("b@y.org"), message(), Duration.ofMinutes(5)))
                        .isInstanceOfSatisfying(HopFailedException.class, ex -> {
                            assertThat(ex.stage()).isEqualTo(HopFailedException.Stage.GREETING);
                            assertThat(ex).hasMessageContaining("reply not complete within 1s");
                        }));
    }

    @Test
    void theDeliveryDeadlineIsCheckedWhileAReplyDribbles() throws Exception {
        Endpoint e = serve(SlowServerTest::dribbleGreeting);
        SmtpClient c = SmtpClient.builder().tls(TlsPolicy.disabled()).build(); // RFC step timeouts: minutes
        assertTimeoutPreemptively(
                HANG_BOUND,
                () -> assertThatThrownBy(
                                () -> c.deliver(e, "a@x.org", List.of("b@y.org"), message(), Duration.ofSeconds(1)))
                        .isInstanceOfSatisfying(HopFailedException.class, ex -> {
                            assertThat(ex.stage()).isEqualTo(HopFailedException.Stage.GREETING);
                            assertThat(ex).hasMessageContaining("delivery deadline passed");
                        }));
    }

    @Test
    void aDribbledTlsHandshakeIsBoundedAsAWhole() throws Exception {
        Endpoint e = serve((s, in, out) -> {
            send(out, "220 slow.test ESMTP\r\n");
            in.readLine(); // EHLO
            send(out, "250-slow.test\r\n250 STARTTLS\r\n");
            in.readLine(); // STARTTLS
            send(out, "220 2.0.0 go ahead\r\n");
            // a ServerHello record announcing 512 bytes, then one byte every 100 ms
            out.write(new byte[] {0x16, 0x03, 0x03, 0x02, 0x00, 0x02});
            out.flush();
            for (int i = 0; i < 600; i++) {
                Thread.sleep(100);
                out.write(0);
                out.flush();
            }
        });
        SmtpClient c = SmtpClient.builder()
                .tls(TlsPolicy.required(SSLContext.getDefault()))
                .timeouts(SmtpTimeouts.uniform(Duration.ofSeconds(1)))
                .build();
        assertTimeoutPreemptively(
                HANG_BOUND,
                () -> assertThatThrownBy(
                                () -> c.deliver(e, "a@x.org", List.of("b@y.org"), message(), Duration.ofMinutes(5)))
                        .isInstanceOfSatisfying(
                                HopFailedException.class,
                                ex -> assertThat(ex.stage()).isEqualTo(HopFailedException.Stage.STARTTLS)));
    }

    /**
     * A next hop that takes the message data under TLS and stops reading it (its window and our send buffer fill up).
     * The write guard fired and closed the {@code SSLSocket}, which writes a close_notify first and waits for the lock
     * the blocked write holds: the shared watchdog thread hung with it, the delivery was never cut, and every other
     * connection's write guard and idle timer waited behind it (until session 51). Now the guard closes the TCP
     * socket under TLS and the delivery fails at the data timeout.
     */
    @Test
    void aNextHopThatStopsReadingTheDataUnderTlsIsCutByTheDataTimeout(@TempDir Path dir) throws Exception {
        Path ks = TestCerts.keystore(dir, "stall");
        SSLContext serverTls = TestCerts.server(ks);
        Endpoint e = serve((s, in, out) -> {
            send(out, "220 stall.test ESMTP\r\n");
            in.readLine(); // EHLO
            send(out, "250-stall.test\r\n250 STARTTLS\r\n");
            in.readLine(); // STARTTLS
            send(out, "220 2.0.0 go ahead\r\n");
            SSLSocket tls = (SSLSocket) serverTls.getSocketFactory().createSocket(s, null, s.getPort(), false);
            tls.setUseClientMode(false);
            BufferedReader tin =
                    new BufferedReader(new InputStreamReader(tls.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream tout = tls.getOutputStream();
            tin.readLine(); // EHLO
            send(tout, "250 stall.test\r\n");
            tin.readLine(); // MAIL
            send(tout, "250 2.1.0 ok\r\n");
            tin.readLine(); // RCPT
            send(tout, "250 2.1.5 ok\r\n");
            tin.readLine(); // DATA
            send(tout, "354 go ahead\r\n");
            Thread.sleep(HANG_BOUND.toMillis()); // reads nothing more
        });
        SmtpClient c = SmtpClient.builder()
                .tls(TlsPolicy.required(TestCerts.trusting(ks)))
                .timeouts(SmtpTimeouts.uniform(Duration.ofSeconds(1)))
                .build();
        // far more than the loopback buffers of both sides hold
        byte[] body = new byte[32 * 1024 * 1024];
        java.util.Arrays.fill(body, (byte) 'x');
        for (int i = 998; i < body.length; i += 1000) {
            body[i] = '\r';
            body[i + 1] = '\n';
        }
        MessageContent message = MessageContent.ofBytes(body);
        assertTimeoutPreemptively(
                HANG_BOUND,
                () -> assertThatThrownBy(
                                () -> c.deliver(e, "a@x.org", List.of("b@y.org"), message, Duration.ofMinutes(5)))
                        .isInstanceOfSatisfying(
                                HopFailedException.class,
                                ex -> assertThat(ex.stage()).isEqualTo(HopFailedException.Stage.DATA)));
    }
}
