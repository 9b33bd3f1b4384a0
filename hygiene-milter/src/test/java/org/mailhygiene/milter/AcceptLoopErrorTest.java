package org.mailhygiene.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.Test;
import org.mailhygiene.internal.AcceptBackoff;
import org.mailhygiene.milter.protocol.MilterCodec;
import org.mailhygiene.milter.protocol.MilterPacket;
import org.mailhygiene.milter.protocol.MilterProtocol;
import org.mailhygiene.milter.protocol.OptionNegotiation;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.builtin.SignatureScanner;

/**
 * An unexpected {@link RuntimeException} or {@link LinkageError} while the accept loop refuses or admits an MTA
 * connection (out of the back-off, or a class that could not be loaded for want of a descriptor) loses that
 * connection (the MTA applies its {@code milter_default_action}), never the accept thread. Before, the thread ended:
 * the port went on accepting connections into its backlog, and the MTA waited for each until its connect timeout.
 */
class AcceptLoopErrorTest {
    /** How long a connection waits for its answer: only a bound for a milter that never answers. */
    private static final int ANSWER_MILLIS = 20_000;

    @Test
    void anErrorFromTheBackOffClosesThatConnectionAndAcceptingGoesOn() throws Exception {
        try (ScanPipeline pipeline = ScanPipeline.builder()
                        .scanner(SignatureScanner.create())
                        .build();
                MilterServer server = MilterServer.builder().pipeline(pipeline).build()) {
            server.acceptBackoffs = () -> new AcceptBackoff() {
                private int spares;
                private int successes;

                @Override
                public boolean refusedToKeepSpare(Socket connection, Refusal refusal) {
                    if (++spares == 1) {
                        throw new NoClassDefFoundError("org/example/NotLoaded");
                    }
                    return super.refusedToKeepSpare(connection, refusal);
                }

                @Override
                public String succeeded() {
                    if (++successes == 1) {
                        throw new IllegalStateException("broken");
                    }
                    return super.succeeded();
                }
            };
            server.start();
            int port = server.address().getPort();
            assertThat(negotiate(port)).as("the first connection").isEqualTo("(closed)");
            assertThat(negotiate(port)).as("the second connection").isEqualTo("(closed)");
            assertThat(negotiate(port)).as("the third connection").isEqualTo("negotiated");
            assertThat(server.acceptLoopErrors()).isEqualTo(2);
            assertThat(server.connectionsAccepted()).isEqualTo(1);
        }
    }

    /**
     * A session that could not be made (its class not loaded for want of a descriptor) must not stay counted as open.
     * Before, closing it removed a null session from the set of live ones, which threw: the connection stayed counted
     * for good, and with {@code maxConnections} of them every later MTA connection was closed unanswered.
     */
    @Test
    void aSessionThatCouldNotBeMadeIsNotCountedAsOpen() throws Exception {
        try (ScanPipeline pipeline = ScanPipeline.builder()
                        .scanner(SignatureScanner.create())
                        .build();
                MilterServer server = MilterServer.builder()
                        .pipeline(pipeline)
                        .maxConnections(1)
                        .build()) {
            int[] made = new int[1];
            server.sessionMaker = (settings, connection, onClose) -> {
                if (++made[0] == 1) {
                    throw new NoClassDefFoundError("org/mailhygiene/milter/MilterSession");
                }
                return new MilterSession(settings, connection, onClose);
            };
            server.start();
            int port = server.address().getPort();
            assertThat(negotiate(port)).as("the first connection").isEqualTo("(closed)");
            assertThat(server.acceptLoopErrors()).isEqualTo(1);
            assertThat(negotiate(port)).as("the second connection").isEqualTo("negotiated");
        }
    }

    /** Sends an option negotiation as an MTA does: "negotiated", "(closed)", or what else happened. */
    private static String negotiate(int port) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(ANSWER_MILLIS);
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            MilterCodec.write(b, new OptionNegotiation(6, 0x1ff, 0).toPacket());
            try {
                s.getOutputStream().write(b.toByteArray());
                MilterPacket reply = MilterCodec.read(s.getInputStream(), MilterCodec.DEFAULT_MAX_PACKET);
                if (reply == null) {
                    return "(closed)";
                }
                return reply.code() == MilterProtocol.SMFIR_OPTNEG ? "negotiated" : "reply " + (char) reply.code();
            } catch (SocketTimeoutException e) {
                return "(no answer)";
            } catch (IOException e) {
                return "(closed)"; // reset
            }
        }
    }
}
