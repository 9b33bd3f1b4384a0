package org.mailhygiene.testkit.server;

import static org.mailhygiene.internal.Closeables.closeQuietly;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * One connection a {@link FakeServer} accepted, handed to the fake's handler on a thread of its own.
 *
 * <p>The handler reads and writes through {@link #input()} and {@link #output()} (unbuffered; wrap them). The server
 * closes the connection when the handler returns and when the server is closed; a handler that stalls
 * ({@link #holdUntilClosed()}, {@link #pause(Duration)}) is released by either side closing.
 *
 * <p>Thread-safe for {@link #close()} and the queries; the streams belong to the handler's thread.
 */
public final class FakeConnection implements Closeable {
    private final long id;
    private final String transport;
    private final Socket socket;
    private final SocketChannel channel;
    private final InputStream input;
    private final OutputStream output;
    private final FakeServer server;
    private final List<Closeable> tracked = new CopyOnWriteArrayList<>();

    FakeConnection(long id, Socket socket, FakeServer server) throws IOException {
        this.id = id;
        this.transport = "tcp";
        this.socket = socket;
        this.channel = null;
        this.input = socket.getInputStream();
        this.output = socket.getOutputStream();
        this.server = server;
    }

    FakeConnection(long id, SocketChannel channel, FakeServer server) {
        this.id = id;
        this.transport = "unix";
        this.socket = null;
        this.channel = channel;
        this.input = Channels.newInputStream(channel);
        this.output = Channels.newOutputStream(channel);
        this.server = server;
    }

    /**
     * The connection's number: 1 for the server's first accepted connection, counting up in accept order (over every
     * listener).
     *
     * @return the number
     */
    public long id() {
        return id;
    }

    /**
     * How the client connected.
     *
     * @return {@code tcp} or {@code unix}
     */
    public String transport() {
        return transport;
    }

    /**
     * The client's IP address as text; {@code unix} for a unix-domain connection.
     *
     * @return the address
     */
    public String clientAddress() {
        return socket == null ? "unix" : socket.getInetAddress().getHostAddress();
    }

    /**
     * The TCP socket, for options and for layering TLS over it (register the layered socket with {@link #track}).
     *
     * @return the socket, empty for a unix-domain connection
     */
    public Optional<Socket> socket() {
        return Optional.ofNullable(socket);
    }

    /**
     * What the client sends. Unbuffered.
     *
     * @return the input stream
     */
    public InputStream input() {
        return input;
    }

    /**
     * What the client receives. Unbuffered: every write goes out at once.
     *
     * @return the output stream
     */
    public OutputStream output() {
        return output;
    }

    /**
     * Sets how long a read may block before it fails with {@link java.net.SocketTimeoutException} (TCP only; a
     * unix-domain connection ignores it and reads until the client or the server closes).
     *
     * @param timeout a positive duration, or zero for no limit
     * @throws IOException if the socket is closed
     */
    public void readTimeout(Duration timeout) throws IOException {
        if (socket != null) {
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        }
    }

    /**
     * Closes {@code c} together with this connection (a TLS socket layered over it).
     *
     * @param c what to close
     */
    public void track(Closeable c) {
        tracked.add(Objects.requireNonNull(c, "c"));
        if (server.isClosed()) {
            closeQuietly(c);
        }
    }

    /**
     * Stalls: discards whatever else the client sends and never answers, until the server is closed (a client that
     * closes or half-closes its side does not end the stall; its connection just stays open on this side).
     */
    public void holdUntilClosed() {
        byte[] sink = new byte[8192];
        try {
            if (socket != null) {
                socket.setSoTimeout(0);
            }
            while (!server.isClosed() && input.read(sink) >= 0) {
                // discard
            }
        } catch (IOException e) {
            // closed by either side
        }
        // End of input may be a half-close (spamc shuts its output down after the body): a hung daemon would not
        // answer either way, so hold on until the server is closed.
        server.awaitClose();
    }

    /**
     * Stalls without reading: returns once the server is closed.
     */
    public void holdWithoutReading() {
        server.awaitClose();
    }

    /**
     * Waits (a {@link Fault.Delay}); the server closing ends the wait early.
     *
     * @param delay how long
     * @return {@code true} if the whole delay passed, {@code false} if the server was closed meanwhile
     * @throws InterruptedException if interrupted
     */
    public boolean pause(Duration delay) throws InterruptedException {
        return !server.closedLatch().await(delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Whether the server is closed (handlers stop).
     *
     * @return the state
     */
    public boolean serverClosed() {
        return server.isClosed();
    }

    /** Closes the connection and everything {@linkplain #track tracked} with it. Idempotent. */
    @Override
    public void close() {
        for (Closeable c : tracked) {
            closeQuietly(c);
        }
        closeQuietly(socket != null ? socket : channel);
    }

    @Override
    public String toString() {
        return "FakeConnection[#" + id + " " + transport + "]";
    }
}
