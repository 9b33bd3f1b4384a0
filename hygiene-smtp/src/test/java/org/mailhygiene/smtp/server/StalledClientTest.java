package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.testkit.Await;

/**
 * Clients that stall the server's writes or its TLS handshake lose their session instead of holding a thread forever.
 * The timeouts here are short; the waits are generous bounds that only keep a broken server from hanging the build.
 */
class StalledClientTest {
    private static final long BOUND_MILLIS = 30_000;
    private SmtpServer server;
    private Socket client;
    private CompletableFuture<Throwable> writer;

    private int start(Consumer<SmtpServer.Builder> config) throws Exception {
        SmtpServer.Builder b = SmtpServer.builder()
                .port(0)
                .hostname("mx.test.example")
                .acceptedDomains(AcceptedDomains.of("example.org"))
                .handler(new RecordingHandler());
        config.accept(b);
        server = b.build();
        server.start();
        return server.port();
    }

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (writer != null) {
            writer.get(BOUND_MILLIS, TimeUnit.MILLISECONDS); // ends once the socket is closed
        }
        if (server != null) {
            server.stop();
        }
    }

    private Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096); // fills up sooner when nobody reads
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        s.setSoTimeout((int) BOUND_MILLIS);
        client = s;
        return s;
    }

    /** Reads one reply, multi-line replies joined; {@code EOF} when the connection ended first. */
    static String readReply(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (; ; ) {
            int c = in.read();
            if (c < 0) {
                return sb.length() == 0 ? "EOF" : sb.toString();
            }
            sb.append((char) c);
            String s = sb.toString();
            int lineStart = s.lastIndexOf('\n', s.length() - 2) + 1;
            if (c == '\n' && s.length() - lineStart >= 4 && s.charAt(lineStart + 3) == ' ') {
                return s.trim();
            }
        }
    }

    private void awaitNoSessions() throws Exception {
        Await.until(Duration.ofMillis(BOUND_MILLIS), "no session open", () -> server.activeSessions() == 0);
    }

    /** Writes {@code chunk} over and over on another thread until the connection breaks; returns that failure. */
    private CompletableFuture<Throwable> flood(OutputStream out, byte[] chunk) {
        CompletableFuture<Throwable> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                for (; ; ) {
                    out.write(chunk);
                    out.flush();
                }
            } catch (IOException e) {
                f.complete(e);
            }
        });
        t.setDaemon(true);
        t.start();
        return f;
    }

    @Test
    void clientThatPipelinesButNeverReadsIsCutOffByTheWriteTimeout() throws Exception {
        int port = start(b -> b.limits(
                SmtpLimits.builder().writeTimeout(Duration.ofMillis(500)).build()));
        Socket s = connect(port);
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        assertThat(readReply(in)).startsWith("220");
        out.write("EHLO client.example\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(readReply(in)).startsWith("250-mx.test.example");
        // RSET is no sync point in an ESMTP session: every one gets a reply the client never reads.
        writer = flood(out, "RSET\r\n".repeat(10_000).getBytes(StandardCharsets.US_ASCII));
        awaitNoSessions();
        assertThat(writer.get(BOUND_MILLIS, TimeUnit.MILLISECONDS)).isInstanceOf(IOException.class);
    }

    private static TlsConfig tls(Duration handshake) throws Exception {
        return TlsConfig.fromKeyStore(TestCertificates.keyStore(), TestCertificates.PASSWORD, TestCertificates.PASSWORD)
                .withHandshakeTimeout(handshake);
    }

    private InputStream startTls(int port) throws IOException {
        Socket s = connect(port);
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        assertThat(readReply(in)).startsWith("220");
        out.write("EHLO client.example\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(readReply(in)).contains("STARTTLS");
        out.write("STARTTLS\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(readReply(in)).isEqualTo("220 2.0.0 Ready to start TLS");
        return in;
    }

    @Test
    void silentClientAfterStartTlsIsDropped() throws Exception {
        TlsConfig tls = tls(Duration.ofMillis(500));
        int port = start(b -> b.tls(tls));
        InputStream in = startTls(port);
        awaitNoSessions();
        assertThat(in.read()).isEqualTo(-1);
    }

    @Test
    void clientDribblingAClientHelloIsDroppedWhenTheWholeHandshakeTakesTooLong() throws Exception {
        TlsConfig tls = tls(Duration.ofMillis(800));
        int port = start(b -> b.tls(tls));
        startTls(port);
        OutputStream out = client.getOutputStream();
        // A TLS handshake record announcing 512 bytes, then one byte every 100 ms: each read of the handshake gets
        // data well within the per-read timeout, so only a bound on the whole handshake ends it.
        out.write(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01});
        out.flush();
        CompletableFuture<Throwable> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                for (int i = 0; i < 600; i++) {
                    Thread.sleep(100);
                    out.write(0);
                    out.flush();
                }
                f.complete(null);
            } catch (IOException e) {
                f.complete(e);
            } catch (InterruptedException e) {
                f.complete(e);
            }
        });
        t.setDaemon(true);
        t.start();
        writer = f;
        awaitNoSessions();
    }
}
