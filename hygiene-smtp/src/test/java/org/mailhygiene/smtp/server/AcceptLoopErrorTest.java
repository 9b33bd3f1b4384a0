package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mailhygiene.internal.AcceptBackoff;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.smtp.access.AccessRules;

/**
 * An unexpected {@link RuntimeException} or {@link Error} while the accept loop refuses or admits a connection
 * (out of the back-off's {@code refusedToKeepSpare}, a session listener's {@code Error}, a class that could not be
 * loaded for want of a descriptor) loses that connection, never the accept thread. Before, the thread ended: the port
 * went on accepting connections into its backlog, and nobody ever answered them.
 */
class AcceptLoopErrorTest {
    /** How long a client waits for its first line: only a bound for a server that never answers. */
    private static final int ANSWER_MILLIS = 20_000;

    private SmtpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
    }

    private static SmtpServer.Builder builder() {
        return SmtpServer.builder()
                .port(0)
                .hostname("mx.test.example")
                .acceptedDomains(AcceptedDomains.of("example.org"))
                .handler(new RecordingHandler());
    }

    @Test
    void anErrorFromTheBackOffClosesThatConnectionAndAcceptingGoesOn() throws Exception {
        server = builder().build();
        server.acceptBackoffs = () -> new AcceptBackoff() {
            private int calls;

            @Override
            public boolean refusedToKeepSpare(Socket connection, Refusal refusal) {
                calls++;
                if (calls == 1) {
                    throw new NoClassDefFoundError("org/example/NotLoaded");
                }
                if (calls == 2) {
                    throw new IllegalStateException("broken");
                }
                return super.refusedToKeepSpare(connection, refusal);
            }
        };
        server.start();
        assertThat(firstLine(server.port())).as("the first connection").isEqualTo("(closed)");
        assertThat(firstLine(server.port())).as("the second connection").isEqualTo("(closed)");
        assertThat(firstLine(server.port())).as("the third connection").startsWith("220 mx.test.example ESMTP");
        assertThat(server.acceptLoopErrors()).isEqualTo(2);
        assertThat(server.activeSessions()).isLessThanOrEqualTo(1);
    }

    @Test
    void aSessionListenersErrorWhileAdmittingClosesThatConnectionAndAcceptingGoesOn() throws Exception {
        SessionListener throwsOnce = new SessionListener() {
            private boolean thrown;

            @Override
            public synchronized void refused(InetAddress client, String reason, int code) {
                if (!thrown) {
                    thrown = true;
                    throw new NoClassDefFoundError("org/example/NotLoaded");
                }
            }
        };
        server = builder()
                .accessRules(AccessRules.parse(":deny\n"))
                .sessionListener(throwsOnce)
                .build();
        server.start();
        assertThat(firstLine(server.port())).as("the first connection").isEqualTo("(closed)");
        assertThat(firstLine(server.port())).as("the second connection").isEqualTo("554 5.7.1 Access denied");
        assertThat(server.acceptLoopErrors()).isEqualTo(1);
    }

    /**
     * A session listener is the embedder's code: an {@code Error} other than a {@link LinkageError} (an
     * {@code AssertionError}, a toString that fails while the loop logs it) loses that connection too, never the accept
     * thread. Before, the loop caught only {@code RuntimeException} and {@code LinkageError}: the thread ended and the
     * next client was never answered.
     */
    @Test
    void aSessionListenersAssertionErrorClosesThatConnectionAndAcceptingGoesOn() throws Exception {
        SessionListener throwsTwice = new SessionListener() {
            private int calls;

            @Override
            public synchronized void refused(InetAddress client, String reason, int code) {
                calls++;
                if (calls == 1) {
                    throw new AssertionError("the listener's own check");
                }
                if (calls == 2) {
                    throw new AssertionError() {
                        @Override
                        public String toString() {
                            throw new IllegalStateException("no text");
                        }
                    };
                }
            }
        };
        server = builder()
                .accessRules(AccessRules.parse(":deny\n"))
                .sessionListener(throwsTwice)
                .build();
        server.start();
        assertThat(firstLine(server.port())).as("the first connection").isEqualTo("(closed)");
        assertThat(firstLine(server.port())).as("the second connection").isEqualTo("(closed)");
        assertThat(firstLine(server.port())).as("the third connection").isEqualTo("554 5.7.1 Access denied");
        assertThat(server.acceptLoopErrors()).isEqualTo(2);
    }

    /** The first line the server sends on a new connection, "(closed)" when it closes it without one. */
    private static String firstLine(int port) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(ANSWER_MILLIS);
            StringBuilder b = new StringBuilder();
            try {
                var in = s.getInputStream();
                for (int c = in.read(); c != '\n'; c = in.read()) {
                    if (c < 0) {
                        return b.length() == 0 ? "(closed)" : b.toString();
                    }
                    if (c != '\r') {
                        b.append((char) c);
                    }
                }
            } catch (SocketTimeoutException e) {
                return "(no answer) " + b;
            } catch (IOException e) {
                return b.length() == 0 ? "(closed)" : "(" + e.getMessage() + ") " + b;
            }
            return b.toString();
        }
    }
}
