package org.mailhygiene.milter;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import jdk.net.ExtendedSocketOptions;

/**
 * Acknowledges the MTA's packets at once instead of after Linux's delayed-ACK wait (about 40 ms), by setting
 * {@code TCP_QUICKACK} before each read from the socket (the kernel clears it again by itself).
 *
 * <p>Why: the milter asks the MTA not to wait for replies to headers and body chunks (protocol 6's {@code SMFIP_NR_*}),
 * so Postfix writes several small packets in a row with Nagle's algorithm on, and each one after the first waits
 * until the one before is acknowledged. With delayed ACKs that cost about 40 ms per message on loopback (measured
 * behind Postfix 3.7, 150 messages on one connection, session 47: 50 ms per message before, 9 ms with quick ACKs, 8-9
 * ms without a milter; benchmarks/README.md). On a system without the option (not Linux) the stream is the socket's own.
 *
 * <p>Not thread-safe: one reader per session.
 */
final class QuickAcks {
    private QuickAcks() {}

    /**
     * The socket's input, setting {@code TCP_QUICKACK} before each read when the socket supports it.
     *
     * @param socket a connected socket
     * @return its input stream, wrapped when quick ACKs are available
     * @throws IOException as {@link Socket#getInputStream()} throws
     */
    static InputStream input(Socket socket) throws IOException {
        InputStream raw = socket.getInputStream();
        return supported(socket) ? new Quick(raw, socket) : raw;
    }

    /**
     * Whether quick ACKs are set on this socket.
     *
     * @param socket a socket
     * @return {@code true} on a platform with {@code TCP_QUICKACK} (Linux)
     */
    static boolean supported(Socket socket) {
        return socket.supportedOptions().contains(ExtendedSocketOptions.TCP_QUICKACK);
    }

    private static final class Quick extends FilterInputStream {
        private final Socket socket;
        private boolean failed;

        Quick(InputStream in, Socket socket) {
            super(in);
            this.socket = socket;
        }

        private void quick() {
            if (!failed) {
                try {
                    socket.setOption(ExtendedSocketOptions.TCP_QUICKACK, true);
                } catch (IOException | UnsupportedOperationException e) {
                    failed = true; // a closed socket's read will say why; delayed ACKs cost time, not correctness
                }
            }
        }

        @Override
        public int read() throws IOException {
            quick();
            return in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            quick();
            return in.read(b, off, len);
        }
    }
}
