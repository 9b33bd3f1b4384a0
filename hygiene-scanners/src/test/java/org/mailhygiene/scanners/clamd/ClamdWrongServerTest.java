package org.mailhygiene.scanners.clamd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;

/**
 * A clamd address that names another kind of server, found by the audit of session 38 from outside: {@code hygiene
 * scan --clamd 127.0.0.1:PORT} with the port of an SMTP relay waited the whole read timeout (30 s per message, "no
 * progress for PT30S while awaiting the INSTREAM reply") for a NUL that an SMTP server never sends, although its
 * greeting line had arrived at once. clamd ends no z-mode INSTREAM reply with a line end, so the line is the answer,
 * refused at once as not clamd's.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ClamdWrongServerTest {

    @Test
    void anSmtpServersGreetingOnTheClamdPortIsAProtocolErrorWithoutWaitingForTheReadTimeout() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread smtp = new Thread(() -> {
                while (!server.isClosed()) {
                    try (Socket s = server.accept()) {
                        OutputStream out = s.getOutputStream();
                        out.write("220 mx.example ESMTP\r\n".getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        InputStream in = s.getInputStream();
                        byte[] b = new byte[8192];
                        while (in.read(b) >= 0) {
                            // reads commands, never answers them (a line of 1,000 octets: no CRLF in the stream)
                        }
                    } catch (IOException e) {
                        // closed at the end of the test
                    }
                }
            });
            smtp.setDaemon(true);
            smtp.start();
            Duration readTimeout = Duration.ofMinutes(2);
            ClamdScanner scanner = ClamdScanner.builder()
                    .address("127.0.0.1:" + server.getLocalPort())
                    .readTimeout(readTimeout)
                    .scanDeadline(Duration.ofMinutes(3))
                    .build();
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> scanner.scan(
                            Message.of("Subject: hello\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII))))
                    .isInstanceOfSatisfying(ScanException.class, e -> {
                        assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.PROTOCOL_ERROR);
                        assertThat(e.failure().detail()).contains("220 mx.example ESMTP");
                    });
            assertThat(Duration.ofNanos(System.nanoTime() - t0))
                    .as("answered by the greeting, not by the read timeout")
                    .isLessThan(readTimeout);
        }
    }

    /**
     * Found from outside in session 40: {@code hygiene relay --check} with {@code scanner = clamd:} naming an SMTP
     * server's port waited the whole 5 s probe timeout ("scan deadline passed while awaiting the PING reply") although
     * the greeting had arrived at once; an HTTP server's error page was quoted whole, over several lines.
     */
    @Test
    void aPingAnsweredByAnotherKindOfServerFailsAtOnceNamingTheAddressAndItsFirstLine() throws Exception {
        for (String answer : new String[] {
            "220 mx.example ESMTP\r\n",
            "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
            "SSH-2.0-OpenSSH_9.6\r\n"
        }) {
            try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
                Thread t = answering(server, answer);
                Duration timeout = Duration.ofMinutes(2);
                ClamdClient client = ClamdClient.builder(ClamdAddress.parse("127.0.0.1:" + server.getLocalPort()))
                        .readTimeout(timeout)
                        .build();
                String first = answer.substring(0, answer.indexOf('\r'));
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> client.ping(timeout)).isInstanceOfSatisfying(ClamdException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ScanFailure.Kind.PROTOCOL_ERROR);
                    assertThat(e.getMessage())
                            .isEqualTo("127.0.0.1:" + server.getLocalPort() + ": not clamd: PING answered '" + first
                                    + "' (clamd answers PONG)");
                });
                assertThat(Duration.ofNanos(System.nanoTime() - t0))
                        .as("answered by the first bytes, not by the timeout")
                        .isLessThan(timeout);
                t.interrupt();
            }
        }
    }

    @Test
    void aPortThatSaysNothingTimesOutNamingTheAddressAndThatNothingAnswered() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            answering(server, "");
            ClamdClient client = ClamdClient.builder(ClamdAddress.parse("127.0.0.1:" + server.getLocalPort()))
                    .build();
            assertThatThrownBy(() -> client.ping(Duration.ofMillis(300)))
                    .isInstanceOfSatisfying(ClamdException.class, e -> {
                        assertThat(e.kind()).isEqualTo(ScanFailure.Kind.TIMED_OUT);
                        assertThat(e.getMessage())
                                .startsWith("127.0.0.1:" + server.getLocalPort() + ": no answer to PING within 300 ms")
                                .contains("not clamd");
                    });
        }
    }

    /** A server that writes {@code answer} on each connection, then reads until the client closes. */
    private static Thread answering(ServerSocket server, String answer) {
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    s.getOutputStream().write(answer.getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    InputStream in = s.getInputStream();
                    byte[] b = new byte[8192];
                    while (in.read(b) >= 0) {
                        // never answers
                    }
                } catch (IOException e) {
                    // closed at the end of the test
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }
}
