package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.testkit.Await;

/**
 * The close_notify a TLS session writes when it ends is a write like any other: a client that does not read (its
 * receive window and the server's send buffer full) must not hold the session's thread and connection slot with it.
 * The server's TLS sockets here write to a TCP stream that blocks every alert record (what the kernel does when the
 * send buffer is full) until the connection is closed, so the test does not depend on buffer sizes.
 */
class StalledCloseNotifyTest {
    private static final long BOUND_MILLIS = 30_000;
    private SmtpServer server;
    private Socket client;

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.stop();
        }
    }

    /**
     * After QUIT the session flushes {@code 221} and shuts its output down, under TLS a close_notify. Until session 51
     * that write was not guarded by the write timeout (the close_notify of {@code endTls()} was): blocked, it held the
     * session for ever. Now the watchdog closes the connection after the write timeout, and the slot is free.
     */
    @Test
    void closeNotifyThatCannotBeWrittenIsCutByTheWriteTimeout() throws Exception {
        TlsConfig real = TlsConfig.fromKeyStore(
                TestCertificates.keyStore(), TestCertificates.PASSWORD, TestCertificates.PASSWORD);
        CountDownLatch alertBlocked = new CountDownLatch(1);
        server = SmtpServer.builder()
                .port(0)
                .hostname("mx.test.example")
                .acceptedDomains(AcceptedDomains.of("example.org"))
                .handler(new RecordingHandler())
                .limits(SmtpLimits.builder()
                        .writeTimeout(Duration.ofMillis(500))
                        .build())
                .tls(TlsConfig.of(blockingAlerts(real.context(), alertBlocked)))
                .build();
        server.start();
        Socket s = new Socket();
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), 5000);
        s.setSoTimeout((int) BOUND_MILLIS);
        client = s;
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        assertThat(StalledClientTest.readReply(in)).startsWith("220");
        out.write("EHLO client.example\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(StalledClientTest.readReply(in)).contains("STARTTLS");
        out.write("STARTTLS\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(StalledClientTest.readReply(in)).isEqualTo("220 2.0.0 Ready to start TLS");
        SSLSocket ssl = (SSLSocket) TestCertificates.trustAllClient()
                .getSocketFactory()
                .createSocket(s, "mx.test.example", server.port(), true);
        // TLS 1.2: an alert travels in a record of its own type (21), which the server's stream can tell apart
        ssl.setEnabledProtocols(new String[] {"TLSv1.2"});
        ssl.startHandshake();
        client = ssl;
        ssl.getOutputStream().write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
        ssl.getOutputStream().flush();
        assertThat(StalledClientTest.readReply(ssl.getInputStream())).startsWith("221 2.0.0");
        assertThat(alertBlocked.await(BOUND_MILLIS, TimeUnit.MILLISECONDS))
                .as("the close_notify was written")
                .isTrue();
        Await.until(Duration.ofMillis(BOUND_MILLIS), "no session open", () -> server.activeSessions() == 0);
    }

    /**
     * A context whose server sockets write through {@link AlertBlockingSocket}. Everything else is {@code real}'s.
     */
    private static SSLContext blockingAlerts(SSLContext real, CountDownLatch alertBlocked) {
        SSLSocketFactory realFactory = real.getSocketFactory();
        SSLSocketFactory factory = new SSLSocketFactory() {
            @Override
            public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
                return realFactory.createSocket(new AlertBlockingSocket(s, alertBlocked), host, port, autoClose);
            }

            @Override
            public Socket createSocket() throws IOException {
                return realFactory.createSocket();
            }

            @Override
            public String[] getDefaultCipherSuites() {
                return realFactory.getDefaultCipherSuites();
            }

            @Override
            public String[] getSupportedCipherSuites() {
                return realFactory.getSupportedCipherSuites();
            }

            @Override
            public Socket createSocket(String host, int port) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Socket createSocket(String host, int port, InetAddress local, int localPort) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Socket createSocket(InetAddress host, int port) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Socket createSocket(InetAddress host, int port, InetAddress local, int localPort) {
                throw new UnsupportedOperationException();
            }
        };
        SSLContextSpi spi = new SSLContextSpi() {
            @Override
            protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom random) {
                throw new UnsupportedOperationException("already initialised");
            }

            @Override
            protected SSLSocketFactory engineGetSocketFactory() {
                return factory;
            }

            @Override
            protected SSLServerSocketFactory engineGetServerSocketFactory() {
                return real.getServerSocketFactory();
            }

            @Override
            protected SSLEngine engineCreateSSLEngine() {
                return real.createSSLEngine();
            }

            @Override
            protected SSLEngine engineCreateSSLEngine(String host, int port) {
                return real.createSSLEngine(host, port);
            }

            @Override
            protected SSLSessionContext engineGetServerSessionContext() {
                return real.getServerSessionContext();
            }

            @Override
            protected SSLSessionContext engineGetClientSessionContext() {
                return real.getClientSessionContext();
            }
        };
        return new SSLContext(spi, real.getProvider(), real.getProtocol()) {};
    }

    /**
     * The accepted TCP socket as the TLS layer sees it: a write of a TLS alert record (content type 21) blocks until
     * the TCP socket is closed, then fails, as a write to a peer that reads nothing blocks until the watchdog closes
     * the socket. Everything else goes to the real socket.
     */
    private static final class AlertBlockingSocket extends Socket {
        private final Socket tcp;
        private final CountDownLatch alertBlocked;

        AlertBlockingSocket(Socket tcp, CountDownLatch alertBlocked) {
            this.tcp = tcp;
            this.alertBlocked = alertBlocked;
        }

        @Override
        public OutputStream getOutputStream() throws IOException {
            OutputStream real = tcp.getOutputStream();
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    if (len > 0 && b[off] == 21) {
                        alertBlocked.countDown();
                        while (!tcp.isClosed()) {
                            try {
                                Thread.sleep(10);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                throw new SocketException("interrupted");
                            }
                        }
                        throw new SocketException("Socket closed");
                    }
                    real.write(b, off, len);
                }

                @Override
                public void flush() throws IOException {
                    real.flush();
                }
            };
        }

        @Override
        public InputStream getInputStream() throws IOException {
            return tcp.getInputStream();
        }

        @Override
        public boolean isConnected() {
            return tcp.isConnected();
        }

        @Override
        public boolean isBound() {
            return tcp.isBound();
        }

        @Override
        public boolean isClosed() {
            return tcp.isClosed();
        }

        @Override
        public synchronized void close() throws IOException {
            tcp.close();
        }

        @Override
        public void shutdownInput() throws IOException {
            tcp.shutdownInput();
        }

        @Override
        public void shutdownOutput() throws IOException {
            tcp.shutdownOutput();
        }

        @Override
        public boolean isInputShutdown() {
            return tcp.isInputShutdown();
        }

        @Override
        public boolean isOutputShutdown() {
            return tcp.isOutputShutdown();
        }

        @Override
        public InetAddress getInetAddress() {
            return tcp.getInetAddress();
        }

        @Override
        public int getPort() {
            return tcp.getPort();
        }

        @Override
        public InetAddress getLocalAddress() {
            return tcp.getLocalAddress();
        }

        @Override
        public int getLocalPort() {
            return tcp.getLocalPort();
        }

        @Override
        public SocketAddress getRemoteSocketAddress() {
            return tcp.getRemoteSocketAddress();
        }

        @Override
        public SocketAddress getLocalSocketAddress() {
            return tcp.getLocalSocketAddress();
        }

        @Override
        public synchronized void setSoTimeout(int timeout) throws SocketException {
            tcp.setSoTimeout(timeout);
        }

        @Override
        public synchronized int getSoTimeout() throws SocketException {
            return tcp.getSoTimeout();
        }

        @Override
        public void setTcpNoDelay(boolean on) throws SocketException {
            tcp.setTcpNoDelay(on);
        }

        @Override
        public boolean getTcpNoDelay() throws SocketException {
            return tcp.getTcpNoDelay();
        }

        @Override
        public void setSoLinger(boolean on, int linger) throws SocketException {
            tcp.setSoLinger(on, linger);
        }

        @Override
        public int getSoLinger() throws SocketException {
            return tcp.getSoLinger();
        }
    }
}
