package org.mailhygiene.testkit.server;

import static org.mailhygiene.internal.Closeables.closeQuietly;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The server half every testkit fake shares: it listens on a loopback address (and optionally a unix-domain socket),
 * accepts connections, runs the fake's {@link Handler} for each on a daemon thread of its own, tracks open
 * connections, and on {@link #close()} stops listening and closes every connection, stalled ones included.
 *
 * <pre>{@code
 * FakeServer server = FakeServer.builder("fake-echo", c -> c.input().transferTo(c.output())).start();
 * }</pre>
 *
 * <p>Only loopback addresses can be bound: a fake never listens on a network.
 *
 * <p>Thread-safe.
 */
public final class FakeServer implements AutoCloseable {

    /** A fake's protocol: serves one connection; the server closes the connection when it returns. */
    @FunctionalInterface
    public interface Handler {
        /**
         * Serves one connection until the exchange is over.
         *
         * @param connection the connection
         * @throws IOException when the client goes away or the fake is closed (ignored by the server)
         * @throws InterruptedException when the fake is closed during a wait (ignored by the server)
         */
        void serve(FakeConnection connection) throws IOException, InterruptedException;
    }

    private final String name;
    private final Handler handler;
    private final ServerSocket tcp;
    private final ServerSocketChannel unix;
    private final Path socketPath;
    private final Set<FakeConnection> open = ConcurrentHashMap.newKeySet();
    private final List<Thread> acceptors = new CopyOnWriteArrayList<>();
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final AtomicLong connections = new AtomicLong();
    private final CountDownLatch closed = new CountDownLatch(1);

    private FakeServer(Builder b) throws IOException {
        this.name = b.name;
        this.handler = b.handler;
        ServerSocket t = new ServerSocket();
        ServerSocketChannel u = null;
        try {
            t.setReuseAddress(true);
            t.bind(new InetSocketAddress(b.bindAddress, b.port), b.backlog);
            if (b.socketPath != null) {
                Files.deleteIfExists(b.socketPath);
                u = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                u.bind(UnixDomainSocketAddress.of(b.socketPath), b.backlog);
            }
        } catch (IOException | RuntimeException e) {
            t.close();
            if (u != null) {
                u.close();
            }
            throw e;
        }
        this.tcp = t;
        this.unix = u;
        this.socketPath = b.socketPath;
        startAcceptor("tcp", () -> {
            Socket s = tcp.accept();
            return new FakeConnection(connections.incrementAndGet(), s, this);
        });
        if (unix != null) {
            startAcceptor("unix", () -> {
                SocketChannel ch = unix.accept();
                return new FakeConnection(connections.incrementAndGet(), ch, this);
            });
        }
    }

    /**
     * Starts a builder.
     *
     * @param name names the threads ({@code NAME-accept}, {@code NAME-conn-N}), e.g. {@code fake-clamd}
     * @param handler the protocol
     * @return a builder: 127.0.0.1, an ephemeral port, backlog 200, no unix socket
     */
    public static Builder builder(String name, Handler handler) {
        return new Builder(name, handler);
    }

    private interface Accept {
        FakeConnection accept() throws IOException;
    }

    private void startAcceptor(String transport, Accept accept) {
        Thread t = new Thread(
                () -> {
                    while (!isClosed()) {
                        FakeConnection c;
                        try {
                            c = accept.accept();
                        } catch (IOException e) {
                            return; // closed
                        }
                        open.add(c);
                        if (isClosed()) {
                            c.close();
                            open.remove(c);
                            return;
                        }
                        Thread h = new Thread(() -> run(c), name + "-conn-" + c.id());
                        h.setDaemon(true);
                        h.start();
                    }
                },
                name + "-accept-" + transport);
        t.setDaemon(true);
        acceptors.add(t);
        t.start();
    }

    private void run(FakeConnection c) {
        try {
            handler.serve(c);
        } catch (IOException | InterruptedException e) {
            // the client went away, or the fake is closing
        } catch (RuntimeException | Error e) {
            if (!isClosed()) {
                errors.add(e);
            }
        } finally {
            c.close();
            open.remove(c);
        }
    }

    /**
     * The TCP address.
     *
     * @return the bound loopback address and port
     */
    public InetSocketAddress address() {
        return new InetSocketAddress(tcp.getInetAddress(), tcp.getLocalPort());
    }

    /**
     * The TCP port.
     *
     * @return the port
     */
    public int port() {
        return tcp.getLocalPort();
    }

    /**
     * The unix-domain socket, when one was configured.
     *
     * @return the socket file
     */
    public Optional<Path> unixSocket() {
        return Optional.ofNullable(socketPath);
    }

    /**
     * How many connections were accepted so far (over every listener).
     *
     * @return the count
     */
    public long connectionCount() {
        return connections.get();
    }

    /**
     * How many connections are open now.
     *
     * @return the count
     */
    public int openConnections() {
        return open.size();
    }

    /**
     * Unexpected exceptions thrown by the handler (a bug in the fake, never the client's doing), for tests of fakes.
     *
     * @return a snapshot
     */
    public List<Throwable> handlerErrors() {
        return List.copyOf(errors);
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @return the state
     */
    public boolean isClosed() {
        return closed.getCount() == 0;
    }

    /** Blocks until the server is closed (a stall that lasts until the test ends). */
    void awaitClose() {
        try {
            closed.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    CountDownLatch closedLatch() {
        return closed;
    }

    /**
     * Stops listening, closes every open connection (stalled ones too), removes the unix socket file and waits
     * briefly for the accept threads. Idempotent.
     */
    @Override
    public void close() {
        closed.countDown();
        closeQuietly(tcp);
        closeQuietly(unix);
        for (FakeConnection c : open) {
            c.close();
        }
        for (Thread t : acceptors) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (socketPath != null) {
            try {
                Files.deleteIfExists(socketPath);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    @Override
    public String toString() {
        return name + "[" + tcp.getInetAddress().getHostAddress() + ":" + tcp.getLocalPort()
                + (socketPath == null ? "" : ", unix:" + socketPath) + "]";
    }

    /** Configures a {@link FakeServer}; setters validate at once. Not thread-safe. */
    public static final class Builder {
        private final String name;
        private final Handler handler;
        private InetAddress bindAddress = InetAddress.getLoopbackAddress();
        private int port;
        private int backlog = 200;
        private Path socketPath;

        private Builder(String name, Handler handler) {
            this.name = Objects.requireNonNull(name, "name");
            this.handler = Objects.requireNonNull(handler, "handler");
        }

        /**
         * The address to listen on. Default the loopback address (127.0.0.1).
         *
         * @param value a loopback address (127.0.0.0/8 or ::1)
         * @return this builder
         * @throws IllegalArgumentException if it is not a loopback address
         */
        public Builder bindAddress(InetAddress value) {
            Objects.requireNonNull(value, "bindAddress");
            if (!value.isLoopbackAddress()) {
                throw new IllegalArgumentException("a fake listens on loopback only, not on " + value);
            }
            bindAddress = value;
            return this;
        }

        /**
         * The TCP port. Default 0: an ephemeral port.
         *
         * @param value 0 to 65535
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder port(int value) {
            if (value < 0 || value > 65535) {
                throw new IllegalArgumentException("port must be 0..65535, was " + value);
            }
            port = value;
            return this;
        }

        /**
         * The listen backlog. Default 200.
         *
         * @param value positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder backlog(int value) {
            if (value <= 0) {
                throw new IllegalArgumentException("backlog must be positive, was " + value);
            }
            backlog = value;
            return this;
        }

        /**
         * Also listen on a unix-domain socket (keep the path short: Linux allows about 107 bytes). Default none.
         *
         * @param path the socket file; an existing file there is replaced, and close() removes it
         * @return this builder
         */
        public Builder unixSocket(Path path) {
            socketPath = Objects.requireNonNull(path, "path");
            return this;
        }

        /**
         * Binds and starts accepting.
         *
         * @return the running server; close it
         * @throws IOException if it cannot listen
         */
        public FakeServer start() throws IOException {
            return new FakeServer(this);
        }
    }
}
