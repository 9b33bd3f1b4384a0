package org.mailhygiene.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The admin server against clients that send slowly, never, or too much (raw sockets, as an attacker would). */
class AdminServerSlowClientTest {
    // AdminServer's documented limits, written out so that this test also runs against a server without them.
    private static final int MAX_CONNECTIONS = 16;
    private static final long REQUEST_TIMEOUT_MS = 5_000;
    private static final int MAX_REQUEST_HEAD = 16 * 1024;

    private static final List<HealthReport.Component> UP =
            List.of(new HealthReport.Component("smtp", HealthReport.State.UP, "accepting"));

    private static AdminServer start() throws IOException {
        return AdminServer.start(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                () -> new HealthReport(true, UP));
    }

    private static Socket connect(AdminServer admin) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), admin.address().getPort());
        s.setSoTimeout(60_000); // only keeps a broken server from hanging the test
        return s;
    }

    /** Sends a request and reads the whole answer until the server closes the connection. */
    private static String exchange(Socket s, byte[] request) throws IOException {
        s.getOutputStream().write(request);
        return readAll(s.getInputStream());
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] b = new byte[8192];
        try {
            for (int r; (r = in.read(b)) >= 0; ) {
                got.write(b, 0, r);
            }
        } catch (SocketException reset) {
            // what was read before the reset is the answer
        }
        return got.toString(StandardCharsets.ISO_8859_1);
    }

    /** Opens {@code n} connections that send {@code partial} of a request and then nothing. */
    private static void openSlow(AdminServer admin, int n, String partial, List<Socket> into) throws Exception {
        for (int i = 0; i < n; i++) {
            Socket s = connect(admin);
            s.getOutputStream().write(partial.getBytes(StandardCharsets.US_ASCII));
            into.add(s);
        }
        Thread.sleep(200); // let the server take them first
    }

    /** Asks for {@code /health}, expecting 200 and UP, and returns how long the answer took. */
    private static long healthMillis(AdminServer admin) throws IOException {
        long start = System.nanoTime();
        try (Socket probe = connect(admin)) {
            String answer = exchange(probe, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
            assertThat(answer).startsWith("HTTP/1.1 200 ").contains("\"status\":\"UP\"");
        }
        return (System.nanoTime() - start) / 1_000_000L;
    }

    @Test
    void connectionsThatNeverFinishTheirRequestDoNotHoldHealthUnanswered() throws Exception {
        List<Socket> slow = new ArrayList<>();
        try (AdminServer admin = start()) {
            // More than the two threads the JDK's server had: each held one for good while it read their headers.
            openSlow(admin, 3, "GET /metrics HTTP/1.1\r\nHost: x\r\n", slow);
            // Answered at once: the slow connections take 3 of the 16 connections served at once (the bound leaves
            // room for a busy machine).
            assertThat(healthMillis(admin)).isLessThan(30_000L);
            // And the slow ones are closed once their time to send the request is over (5 s), without an answer.
            for (Socket s : slow) {
                assertThat(readAll(s.getInputStream())).isEmpty();
            }
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
    }

    @Test
    void moreSlowConnectionsThanAreServedAtOnceDelayAProbeByTheRequestTimeoutAtMost() throws Exception {
        List<Socket> slow = new ArrayList<>();
        try (AdminServer admin = start()) {
            openSlow(admin, MAX_CONNECTIONS + 4, "GET /", slow);
            // Two rounds of slow connections at most (16 then 4), 5 s each, with room for a busy machine.
            assertThat(healthMillis(admin)).isLessThan(2 * REQUEST_TIMEOUT_MS + 20_000L);
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
    }

    @Test
    void aClientTricklingItsHeadersIsClosedAfterTheRequestTimeout() throws Exception {
        try (AdminServer admin = start();
                Socket s = connect(admin)) {
            long start = System.nanoTime();
            boolean closed = false;
            String trickle = "GET /metrics HTTP/1.1\r\nX-A: " + "a".repeat(200);
            try {
                for (int i = 0; i < trickle.length() && !closed; i++) {
                    s.getOutputStream().write(trickle.charAt(i));
                    s.getOutputStream().flush();
                    Thread.sleep(100);
                    closed = System.nanoTime() - start > 60_000_000_000L;
                }
            } catch (IOException expected) {
                closed = true; // written after the server closed the connection
            }
            assertThat(readAll(s.getInputStream())).isEmpty();
            long ms = (System.nanoTime() - start) / 1_000_000L;
            assertThat(ms).isGreaterThanOrEqualTo(REQUEST_TIMEOUT_MS - 100);
            assertThat(ms).isLessThan(REQUEST_TIMEOUT_MS + 15_000L);
        }
    }

    @Test
    void aHeaderSectionOverTheLimitIs431AndTheServerGoesOnAnswering() throws Exception {
        try (AdminServer admin = start()) {
            try (Socket s = connect(admin)) {
                StringBuilder big = new StringBuilder("GET /metrics HTTP/1.1\r\n");
                while (big.length() <= MAX_REQUEST_HEAD) {
                    big.append("X-A: ").append("a".repeat(1000)).append("\r\n");
                }
                big.append("\r\n");
                String answer = exchange(s, big.toString().getBytes(StandardCharsets.US_ASCII));
                assertThat(answer).startsWith("HTTP/1.1 431 ");
            }
            try (Socket s = connect(admin)) {
                assertThat(exchange(s, "GET /metrics HTTP/1.1\r\n\r\n".getBytes()))
                        .startsWith("HTTP/1.1 200 ")
                        .contains("Content-Type: " + AdminServer.PROMETHEUS_CONTENT_TYPE);
            }
        }
    }

    @Test
    void otherMethodsAre405WithAllowAndGarbageIs400() throws Exception {
        try (AdminServer admin = start()) {
            try (Socket s = connect(admin)) {
                String answer = exchange(s, "POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello".getBytes());
                assertThat(answer).startsWith("HTTP/1.1 405 ").contains("Allow: GET, HEAD");
            }
            try (Socket s = connect(admin)) {
                assertThat(exchange(s, "\u0016\u0003\u0001 hello\r\n\r\n".getBytes()))
                        .startsWith("HTTP/1.1 400 ");
            }
            try (Socket s = connect(admin)) {
                String answer = exchange(s, "HEAD /health?x=1 HTTP/1.1\r\n\r\n".getBytes());
                assertThat(answer).startsWith("HTTP/1.1 200 ").endsWith("\r\n\r\n");
            }
        }
    }
}
