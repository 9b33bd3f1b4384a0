package org.mailhygiene.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP server for operators and monitoring (the JDK's {@code com.sun.net.httpserver}), bound to one address
 * (the node config's {@code admin-listen}):
 *
 * <ul>
 *   <li>{@code GET /metrics}: the registry's meters in the Prometheus text format (version 0.0.4), status 200;
 *   <li>{@code GET /health}: the {@linkplain HealthReport health report} as JSON, status 200 when the service can
 *       accept mail and 503 when it cannot;
 *   <li>anything else: 404 (unknown path) or 405 (a method other than GET or HEAD).
 * </ul>
 *
 * <p>There is no authentication: bind it to loopback or a management network only. Requests are served by two daemon
 * threads; a health supplier that throws answers 503 with the exception's message. Thread-safe.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    /** The Prometheus text exposition format's content type. */
    public static final String PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer http;
    private final ExecutorService executor;
    private final PrometheusMeterRegistry registry;
    private final Supplier<HealthReport> health;

    private AdminServer(InetSocketAddress address, PrometheusMeterRegistry registry, Supplier<HealthReport> health)
            throws IOException {
        this.registry = registry;
        this.health = health;
        this.http = HttpServer.create(address, 16);
        this.executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "admin-http");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(executor);
        http.createContext("/", this::handle);
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
        s.http.start();
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
        return http.getAddress();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            String path = ex.getRequestURI().getPath();
            boolean head = method.equals("HEAD");
            if (!method.equals("GET") && !head) {
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
                send(ex, 405, "text/plain; charset=utf-8", "method not allowed\n", head);
                return;
            }
            switch (path) {
                case "/metrics" -> send(ex, 200, PROMETHEUS_CONTENT_TYPE, registry.scrape(), head);
                case "/health" -> {
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
                                        java.util.List.of(new HealthReport.Component(
                                                "health", HealthReport.State.DOWN, String.valueOf(e))))
                                .toJson();
                    }
                    send(ex, status, "application/json", body + "\n", head);
                }
                default -> send(ex, 404, "text/plain; charset=utf-8", "not found: try /metrics or /health\n", head);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("admin request failed: {}", e.toString());
        }
    }

    private static void send(HttpExchange ex, int status, String type, String body, boolean head) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** Stops serving (requests in progress get up to one second) and releases the address. Idempotent. */
    @Override
    public void close() {
        http.stop(1);
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
