package org.mailhygiene.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A loopback TCP port where nothing listens, and nothing can start listening while this is open: a connection to it
 * is refused ({@code ECONNREFUSED}) at once, for tests of a server that is down.
 *
 * <p>The port is held by a socket that is bound but neither connected nor listening (and has no
 * {@code SO_REUSEADDR}), so no other program, nor another test in the same JVM, can bind a listener to it until
 * {@link #close()}. A port found free with a {@code ServerSocket} on port 0 and closed again could be taken by another
 * program before the test connected to it, and the test then reached that program instead of a closed port.
 *
 * <p>Thread-safe: {@link #port()} and {@link #address()} may be read from any thread; close it once, when the test is
 * done with the port (try-with-resources).
 */
public final class ClosedPort implements AutoCloseable {
    private final Socket holder;

    private ClosedPort(Socket holder) {
        this.holder = holder;
    }

    /**
     * Reserves a port on 127.0.0.1 that the system picks among its free ones.
     *
     * @return the reserved port, open until {@link #close()}
     * @throws UncheckedIOException if no port could be bound
     */
    public static ClosedPort reserve() {
        Socket s = new Socket();
        try {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return new ClosedPort(s);
        } catch (IOException e) {
            try {
                s.close();
            } catch (IOException closing) {
                e.addSuppressed(closing);
            }
            throw new UncheckedIOException("cannot reserve a loopback port: " + e.getMessage(), e);
        }
    }

    /**
     * The reserved port.
     *
     * @return the TCP port on 127.0.0.1
     */
    public int port() {
        return holder.getLocalPort();
    }

    /**
     * The reserved port as an address.
     *
     * @return {@code 127.0.0.1:PORT}
     */
    public String address() {
        return "127.0.0.1:" + port();
    }

    /**
     * Releases the port: from now on another program may bind it.
     *
     * @throws UncheckedIOException if the holding socket cannot be closed
     */
    @Override
    public void close() {
        try {
            holder.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot release loopback port " + port() + ": " + e.getMessage(), e);
        }
    }
}
