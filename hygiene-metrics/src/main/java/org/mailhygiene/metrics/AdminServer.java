package org.mailhygiene.metrics;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP/1.1 server for operators and monitoring, bound to one address (the node config's {@code admin-listen}):
 *
 * <ul>
 *   <li>{@code GET /metrics}: the registry's meters in the Prometheus text format (version 0.0.4), status 200;
 *   <li>{@code GET /health}: the {@linkplain HealthReport health report} as JSON, status 200 when the service can
 *       accept mail and 503 when it cannot;
 *   <li>anything else: 404 (unknown path), 405 (a method other than GET or HEAD), 400 (not an HTTP request line) or
 *       431 (a request line and header section longer than {@link #MAX_REQUEST_HEAD} bytes).
 * </ul>
 *
 * <p>One request per connection ({@code Connection: close}); a request body is not read. A client must send its
 * request line and header fields within {@link #REQUEST_TIMEOUT} and read the answer within {@link #WRITE_TIMEOUT}, or
 * its connection is closed: a client that opens connections and sends its request slowly, or never (slowloris), holds
 * a connection for that long at most, so a scrape or a health probe waits for one at most that long. At most {@link
 * #MAX_CONNECTIONS} connections are served at once; further ones wait in the listen queue. Until session 50 the JDK's
 * {@code com.sun.net.httpserver} served it with two threads and no time limit on reading a request: two connections
 * that never finished their header section held {@code /health} and {@code /metrics} unanswered for good.
 *
 * <p>There is no authentication: bind it to loopback or a management network only. A health supplier that throws
 * answers 503 with the exception's message. Thread-safe.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    /** The Prometheus text exposition format's content type. */
    public static final String PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    /** How long a client has to send its request line and header section, from its connection on: 5 s. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    /** How long a client has to read an answer, from when it is ready: 10 s. */
    public static final Duration WRITE_TIMEOUT = Duration.ofSeconds(10);
    /** The longest request line and header section, in bytes, before the answer is 431: 16 KiB. */
    public static final int MAX_REQUEST_HEAD = 16 * 1024;
    /** Connections served at once: 16. */
    public static final int MAX_CONNECTIONS = 16;

    private final ServerSocket server;
    private final PrometheusMeterRegistry registry;
    private final Supplier<HealthReport> health;
    private final ExecutorService workers;
    private final ScheduledExecutorService timer;
    private final Semaphore slots = new Semaphore(MAX_CONNECTIONS);
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean closed;

    private AdminServer(InetSocketAddress address, PrometheusMeterRegistry registry, Supplier<HealthReport> health)
            throws IOException {
        this.registry = registry;
        this.health = health;
        this.server = new ServerSocket();
        try {
            server.setReuseAddress(true);
            server.bind(address, 50);
        } catch (IOException e) {
            server.close();
            throw e;
        }
        this.workers = Executors.newCachedThreadPool(daemon("admin-http"));
        this.timer = Executors.newSingleThreadScheduledExecutor(daemon("admin-http-timer"));
        this.acceptor = daemon("admin-http-accept").newThread(this::acceptLoop);
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Binds the address and starts serving.
     *
     * @param address where to listen (port 0: any free port)
     * @param registry the registry whose meters {@code /metrics} shows
     * @param health what {@code /health} reports; called once per request
     * @return the running server
     * @throws IOException if the address cannot be bound
     */
    public static AdminServer start(
            InetSocketAddress address, PrometheusMeterRegistry registry, Supplier<HealthReport> health)
            throws IOException {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(health, "health");
        AdminServer s = new AdminServer(address, registry, health);
        s.acceptor.start();
        LOG.info(
                "admin HTTP server listening on {} (/metrics, /health)",
                org.mailhygiene.internal.HostPorts.of(s.address()));
        return s;
    }

    /**
     * The bound address (the actual port when 0 was asked for).
     *
     * @return the address
     */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                slots.acquire();
            } catch (InterruptedException e) {
                return;
            }
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                slots.release();
                if (!closed) {
                    LOG.debug("admin accept failed: {}", e.toString());
                }
                continue;
            }
            open.add(s);
            try {
                workers.execute(() -> serve(s));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                release(s);
            }
        }
    }

    private void release(Socket s) {
        if (open.remove(s)) {
            closeQuietly(s);
            slots.release();
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    private void serve(Socket s) {
        // Closing the socket ends a read or write that blocks (a client that stopped sending or reading).
        ScheduledFuture<?> deadline = timer.schedule(() -> closeQuietly(s), REQUEST_TIMEOUT.toMillis(), MILLIS);
        try {
            String[] request;
            try {
                request = readRequest(s);
            } finally {
                deadline.cancel(false);
            }
            if (request == null) {
                return; // the client went away or did not finish its request in time
            }
            Response answer = answer(request);
            deadline = timer.schedule(() -> closeQuietly(s), WRITE_TIMEOUT.toMillis(), MILLIS);
            try {
                write(s.getOutputStream(), answer, request[0].equals("HEAD"));
                finish(s);
            } finally {
                deadline.cancel(false);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("admin request failed: {}", e.toString());
        } finally {
            release(s);
        }
    }

    /**
     * Ends the answer and reads what the client still sends (a body, the rest of a long header section) for a moment,
     * up to 64 KiB: a connection closed with unread data is reset, and a reset can throw the answer away before the
     * client reads it.
     */
    private static void finish(Socket s) throws IOException {
        s.shutdownOutput();
        s.setSoTimeout(1000);
        byte[] sink = new byte[8192];
        InputStream in = s.getInputStream();
        try {
            for (int total = 0, r; total < 64 * 1024 && (r = in.read(sink)) >= 0; total += r) {
                // discarded
            }
        } catch (SocketTimeoutException | SocketException e) {
            // the client did not close in time, or reset: the answer has been sent
        }
    }

    private static final TimeUnit MILLIS = TimeUnit.MILLISECONDS;

    private record Response(int status, String reason, String type, String body, List<String> extra) {}

    /**
     * Reads the request line and header section, answering 400 or 431 itself.
     *
     * @return the request line's method and path, or {@code null} when no answer is due (or one was given)
     */
    private static String[] readRequest(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        byte[] head = new byte[MAX_REQUEST_HEAD];
        int n = 0;
        int end = -1;
        try {
            while (end < 0) {
                if (n == head.length) {
                    write(
                            s.getOutputStream(),
                            text(431, "Request Header Fields Too Large", "request too large\n"),
                            false);
                    finish(s);
                    return null;
                }
                int r = in.read(head, n, head.length - n);
                if (r < 0) {
                    return null;
                }
                int from = Math.max(0, n - 3);
                n += r;
                end = headEnd(head, from, n);
            }
        } catch (SocketTimeoutException | SocketException e) {
            return null; // closed by the deadline, or reset by the client
        }
        String text = new String(head, 0, end, StandardCharsets.ISO_8859_1);
        int eol = text.indexOf('\n');
        String line = (eol < 0 ? text : text.substring(0, eol)).strip();
        String[] parts = line.split(" ", -1);
        if (parts.length != 3 || !parts[2].startsWith("HTTP/1.") || parts[0].isEmpty() || parts[1].isEmpty()) {
            write(s.getOutputStream(), text(400, "Bad Request", "bad request\n"), false);
            finish(s);
            return null;
        }
        String path = parts[1];
        int query = path.indexOf('?');
        return new String[] {parts[0], query < 0 ? path : path.substring(0, query)};
    }

    /** The index past the empty line that ends a header section (CRLF CRLF, or LF LF), or -1. */
    private static int headEnd(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == '\n') {
                if (i + 1 < to && b[i + 1] == '\n') {
                    return i + 2;
                }
                if (i + 2 < to && b[i + 1] == '\r' && b[i + 2] == '\n') {
                    return i + 3;
                }
            }
        }
        return -1;
    }

    private Response answer(String[] request) {
        String method = request[0];
        if (!method.equals("GET") && !method.equals("HEAD")) {
            return new Response(
                    405,
                    "Method Not Allowed",
                    "text/plain; charset=utf-8",
                    "method not allowed\n",
                    List.of("Allow: GET, HEAD"));
        }
        switch (request[1]) {
            case "/metrics":
                return new Response(200, "OK", PROMETHEUS_CONTENT_TYPE, registry.scrape(), List.of());
            case "/health":
                int status;
                String body;
                try {
                    HealthReport r = health.get();
                    status = r.accepting() ? 200 : 503;
                    body = r.toJson();
                } catch (RuntimeException e) {
                    status = 503;
                    body = new HealthReport(
                                    false,
                                    List.of(new HealthReport.Component(
                                            "health", HealthReport.State.DOWN, String.valueOf(e))))
                            .toJson();
                }
                return new Response(
                        status,
                        status == 200 ? "OK" : "Service Unavailable",
                        "application/json",
                        body + "\n",
                        List.of());
            default:
                return text(404, "Not Found", "not found: try /metrics or /health\n");
        }
    }

    private static Response text(int status, String reason, String body) {
        return new Response(status, reason, "text/plain; charset=utf-8", body, List.of());
    }

    private static void write(OutputStream out, Response r, boolean head) throws IOException {
        byte[] body = r.body().getBytes(StandardCharsets.UTF_8);
        StringBuilder h = new StringBuilder(160)
                .append("HTTP/1.1 ")
                .append(r.status())
                .append(' ')
                .append(r.reason())
                .append("\r\nContent-Type: ")
                .append(r.type())
                .append("\r\nContent-Length: ")
                .append(body.length)
                .append("\r\nConnection: close\r\n");
        for (String field : r.extra()) {
            h.append(field).append("\r\n");
        }
        h.append("\r\n");
        out.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (!head) {
            out.write(body);
        }
        out.flush();
    }

    /**
     * Stops accepting, gives requests in progress up to one second, then closes their connections and releases the
     * address. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // nothing to do
        }
        acceptor.interrupt();
        workers.shutdown();
        try {
            if (!workers.awaitTermination(1, TimeUnit.SECONDS)) {
                for (Socket s : open) {
                    closeQuietly(s);
                }
                workers.shutdownNow();
                workers.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timer.shutdownNow();
    }
}
