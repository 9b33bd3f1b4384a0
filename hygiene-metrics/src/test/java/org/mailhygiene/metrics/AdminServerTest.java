package org.mailhygiene.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Health;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.DefaultPolicy;
import org.mailhygiene.api.policy.Policy;
import org.mailhygiene.api.routing.StaticRouter;
import org.mailhygiene.scanners.builtin.SignatureScanner;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.smtp.topology.Node;
import org.mailhygiene.smtp.topology.Role;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.smtp.SmtpSink;

/** A node with metrics and the admin server, driven over SMTP and read over HTTP (JDK client and curl). */
class AdminServerTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @TempDir
    Path dir;

    record Running(Node node, AdminServer admin, PrometheusMeterRegistry registry, SimpleMeterRegistry own)
            implements AutoCloseable {
        @Override
        public void close() {
            admin.close();
            node.close();
        }

        String url(String path) {
            return "http://127.0.0.1:" + admin.address().getPort() + path;
        }
    }

    private Running start(SmtpSink sink, List<Scanner> scanners) throws IOException {
        return start(sink, scanners, DefaultPolicy.defaults());
    }

    private Running start(SmtpSink sink, List<Scanner> scanners, Policy policy) throws IOException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        SimpleMeterRegistry own = new SimpleMeterRegistry(); // an embedding application's registry
        ScanMetrics scan = new ScanMetrics();
        RelayMetrics relay = new RelayMetrics();
        for (var binder : List.of(scan, relay)) {
            binder.bindTo(registry);
            binder.bindTo(own);
        }
        Node node = Node.builder(Role.EDGE, "edge")
                .listen(LOOPBACK, 0)
                .acceptedDomains(AcceptedDomains.of("example.test"))
                .router(StaticRouter.parse(":127.0.0.1:" + sink.port()))
                .scanners(scanners)
                .policy(policy)
                .dataDirectory(dir)
                .listener(scan)
                .sessionListener(relay)
                .deliveryListener(relay)
                .build();
        node.start();
        relay.watch(node);
        AdminServer admin =
                AdminServer.start(new InetSocketAddress(LOOPBACK, 0), registry, () -> RelayMetrics.health(node));
        return new Running(node, admin, registry, own);
    }

    @Test
    void metricsShowScansDispositionsRefusalsAndDeliveriesInThePrometheusTextFormat() throws Exception {
        try (SmtpSink sink = SmtpSink.start();
                Running r = start(sink, List.of(SignatureScanner.create()))) {
            List<String> clean = smtp(r.node().address(), "a@example.net", "bob@example.test", SampleMessages.clean());
            assertThat(clean.get(clean.size() - 2)).startsWith("250");
            List<String> virus =
                    smtp(r.node().address(), "a@example.net", "bob@example.test", SampleMessages.eicarAttachment());
            assertThat(virus.get(virus.size() - 2)).startsWith("554");
            List<String> relay = smtp(r.node().address(), "a@example.net", "eve@elsewhere.test", null);
            assertThat(relay.get(relay.size() - 2)).startsWith("5");
            assertThat(sink.awaitMessages(1, Duration.ofSeconds(60))).hasSize(1);

            PrometheusText m = awaitMetrics(r, "hygiene_deliveries_total", Map.of("result", "delivered"));
            assertThat(m.types)
                    .containsEntry("hygiene_scan_duration_seconds", "histogram")
                    .containsEntry("hygiene_dispositions_total", "counter")
                    .containsEntry("hygiene_queue_size", "gauge");
            assertThat(m.value("hygiene_scan_duration_seconds_count", Map.of("scanner", "builtin", "result", "clean")))
                    .contains(1.0);
            assertThat(m.value(
                            "hygiene_scan_duration_seconds_count", Map.of("scanner", "builtin", "result", "infected")))
                    .contains(1.0);
            List<PrometheusText.Sample> buckets =
                    m.find("hygiene_scan_duration_seconds_bucket", Map.of("scanner", "builtin", "result", "clean"));
            assertThat(buckets).hasSizeGreaterThan(5);
            double previous = 0;
            for (PrometheusText.Sample b : buckets) {
                assertThat(b.value()).isGreaterThanOrEqualTo(previous); // cumulative
                previous = b.value();
            }
            assertThat(buckets.get(buckets.size() - 1).labels()).containsEntry("le", "+Inf");
            assertThat(previous).isEqualTo(1.0);
            assertThat(m.value("hygiene_scan_verdicts_total", Map.of("scanner", "builtin", "outcome", "infected")))
                    .contains(1.0);
            assertThat(m.value("hygiene_dispositions_total", Map.of("action", "accept")))
                    .contains(1.0);
            assertThat(m.value("hygiene_dispositions_total", Map.of("action", "reject")))
                    .contains(1.0);
            assertThat(m.value("hygiene_smtp_refusals_total", Map.of("reason", "relay-denied")))
                    .contains(1.0);
            assertThat(m.value("hygiene_deliveries_total", Map.of("result", "delivered")))
                    .contains(1.0);
            assertThat(m.value("hygiene_queue_size", Map.of())).isPresent();
            assertThat(m.value("hygiene_queue_oldest_age_seconds", Map.of())).isPresent();
            // The same meters in the embedding application's own registry.
            assertThat(r.own()
                            .get("hygiene.dispositions")
                            .tag("action", "reject")
                            .counter()
                            .count())
                    .isEqualTo(1.0);

            HttpResult health = get(r.url("/health"));
            assertThat(health.status()).isEqualTo(200);
            assertThat(health.body())
                    .startsWith("{\"status\":\"UP\"")
                    .contains("\"name\":\"scanner:builtin\"")
                    .contains("\"name\":\"queue\"");
            assertThat(get(r.url("/nothing")).status()).isEqualTo(404);
        }
    }

    @Test
    void healthIs503WhenAScannerIsDownAndCurlReadsBoth() throws Exception {
        Path curl = RealBinaries.require("curl", "curl");
        Scanner down = new Scanner() {
            @Override
            public String name() {
                return "clamd";
            }

            @Override
            public Verdict scan(Message message) {
                return Verdict.clean("clamd", Duration.ZERO);
            }

            @Override
            public Health health() {
                return Health.down("connection refused", Duration.ZERO);
            }
        };
        try (SmtpSink sink = SmtpSink.start();
                Running r = start(sink, List.of(down))) {
            HttpResult health = get(r.url("/health"));
            assertThat(health.status()).isEqualTo(503);
            assertThat(health.body())
                    .startsWith("{\"status\":\"DOWN\"")
                    .contains("{\"name\":\"scanner:clamd\",\"state\":\"DOWN\",\"detail\":\"connection refused\"}");

            String viaCurl = run(curl.toString(), "-s", "-o", "/dev/null", "-w", "%{http_code}", r.url("/health"));
            assertThat(viaCurl).isEqualTo("503");
            String metrics = run(curl.toString(), "-s", "-f", r.url("/metrics"));
            PrometheusText m = PrometheusText.parse(metrics);
            assertThat(m.types).containsKey("hygiene_queue_size");
            r.node().close();
            assertThat(get(r.url("/health")).body()).contains("{\"name\":\"smtp\",\"state\":\"DOWN\"");
        }
    }

    /**
     * A counter appeared only with its first event, so an alert on {@code increase(...[5m])} missed that event (the
     * series went from absent to 1). The counters with a fixed set of labels are published at 0 from the start.
     */
    @Test
    void countersWithFixedLabelsArePublishedAtZeroBeforeTheirFirstEvent() throws Exception {
        try (SmtpSink sink = SmtpSink.start();
                Running r = start(sink, List.of(SignatureScanner.create()))) {
            PrometheusText m = PrometheusText.parse(get(r.url("/metrics")).body());
            for (String action : List.of("accept", "tag", "quarantine", "reject", "tempfail", "discard")) {
                assertThat(m.value("hygiene_dispositions_total", Map.of("action", action)))
                        .as(action)
                        .contains(0.0);
            }
            for (String result : List.of("delivered", "deferred", "failed")) {
                assertThat(m.value("hygiene_deliveries_total", Map.of("result", result)))
                        .as(result)
                        .contains(0.0);
            }
            assertThat(m.value("hygiene_bounces_total", Map.of())).contains(0.0);
            assertThat(m.value("hygiene_smtp_tls_failures_total", Map.of())).contains(0.0);
        }
    }

    /**
     * Found in review (session 52): the statistics count double bounces apart ({@code double_bounced}) since this
     * session, but {@code hygiene_bounces_total} still counted them with the bounces to senders, so /metrics said 2
     * where the report said bounced 1. Now a double bounce is {@code hygiene_double_bounces_total}.
     */
    @Test
    void doubleBouncesAreCountedApartFromBouncesToSenders() throws Exception {
        try (SmtpSink sink = SmtpSink.start();
                Running r = start(sink, List.of(SignatureScanner.create()))) {
            sink.onRecipient(
                    "nobody@example.test", org.mailhygiene.testkit.smtp.SinkAction.reply("550 5.1.1 no such user"));
            // refused by the next hop: a bounce to the sender, and for mail from <> a double bounce to the postmaster
            for (String from : List.of("a@example.net", "")) {
                List<String> said = smtp(r.node().address(), from, "nobody@example.test", SampleMessages.clean());
                assertThat(said.get(said.size() - 2)).startsWith("250");
            }
            assertThat(sink.awaitMessages(2, Duration.ofSeconds(60)))
                    .extracting(m -> m.recipients().get(0))
                    .containsExactlyInAnyOrder("a@example.net", "postmaster@example.test");
            assertThat(r.own().get("hygiene.bounces").counter().count()).isEqualTo(1.0);
            assertThat(r.own().get("hygiene.double.bounces").counter().count()).isEqualTo(1.0);
            PrometheusText m = PrometheusText.parse(get(r.url("/metrics")).body());
            assertThat(m.value("hygiene_double_bounces_total", Map.of())).contains(1.0);
            assertThat(m.value("hygiene_bounces_total", Map.of())).contains(1.0);
        }
    }

    /**
     * A quarantine that could not be written (a read-only mount) answered 451 to every message to hold while /health
     * said nothing of it: its entry says DOWN now, and the node, which still accepts clean mail, stays 200.
     */
    @Test
    void aQuarantineThatCannotBeWrittenIsDownInTheHealthReport() throws Exception {
        try (SmtpSink sink = SmtpSink.start();
                Running r = start(sink, List.of(SignatureScanner.create()))) {
            assertThat(get(r.url("/health")).body()).contains("{\"name\":\"quarantine\",\"state\":\"UP\"");
            Path held = r.node().quarantine().directory().resolve("held");
            Files.delete(held); // empty: nothing was held
            Files.writeString(held, "not a directory"); // as unwritable as a read-only mount, also for root
            HttpResult health = get(r.url("/health"));
            assertThat(health.status()).as(health.body()).isEqualTo(200);
            assertThat(health.body())
                    .startsWith("{\"status\":\"UP\"")
                    .contains("{\"name\":\"quarantine\",\"state\":\"DOWN\",\"detail\":\"not writable: messages to"
                            + " hold are answered 451 4.3.0 (");
        }
    }

    @Test
    void healthStays200WhileADownScannersFailuresAreAcceptedByThePolicy() throws Exception {
        // the paper's edges: spamd.on-failure.unavailable = accept, "deliver tagged X-Hygiene-Unscanned rather than
        // hold mail"; a load balancer reading /health must not take such a node out while it accepts mail
        Scanner down = DownScanner.named("spamd");
        Policy acceptWithoutSpamd = DefaultPolicy.builder()
                .onFailureOf("spamd", ScanFailure.Kind.UNAVAILABLE, Action.ACCEPT)
                .build();
        try (SmtpSink sink = SmtpSink.start();
                Running r = start(sink, List.of(SignatureScanner.create(), down), acceptWithoutSpamd)) {
            HttpResult health = get(r.url("/health"));
            assertThat(health.status()).as(health.body()).isEqualTo(200);
            assertThat(health.body())
                    .startsWith("{\"status\":\"UP\"")
                    .contains("{\"name\":\"scanner:spamd\",\"state\":\"DOWN\",\"detail\":\"connection refused\"}");
        }
        Policy acceptOnlyTooLarge = DefaultPolicy.builder()
                .onFailureOf("spamd", ScanFailure.Kind.TOO_LARGE, Action.ACCEPT)
                .build();
        try (SmtpSink sink = SmtpSink.start();
                Running r = start(sink, List.of(SignatureScanner.create(), down), acceptOnlyTooLarge)) {
            assertThat(get(r.url("/health")).status()).isEqualTo(503);
        }
    }

    private static PrometheusText awaitMetrics(Running r, String name, Map<String, String> labels) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            HttpResult res = get(r.url("/metrics"));
            assertThat(res.status()).isEqualTo(200);
            assertThat(res.contentType()).isEqualTo(AdminServer.PROMETHEUS_CONTENT_TYPE);
            PrometheusText m = PrometheusText.parse(res.body());
            // a counter is registered, then incremented: a scrape between the two sees it at 0 (seen under load)
            if (m.value(name, labels).filter(v -> v > 0).isPresent() || System.nanoTime() > deadline) {
                return m;
            }
            Thread.sleep(50); // polling for an event that happens after the sink's 250, not asserting on time
        }
    }

    record HttpResult(int status, String contentType, String body) {}

    static HttpResult get(String url) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        c.setConnectTimeout(30_000);
        c.setReadTimeout(60_000);
        int status = c.getResponseCode();
        InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
        String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        c.disconnect();
        return new HttpResult(status, c.getContentType(), body);
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    /** One SMTP transaction; {@code message} null stops after RCPT. Returns every reply line, QUIT's last. */
    static List<String> smtp(InetSocketAddress at, String from, String to, byte[] message) throws IOException {
        List<String> replies = new ArrayList<>();
        // From 127.0.0.5, not the node's own address (which the default access rules may let relay).
        try (Socket s = new Socket(at.getAddress(), at.getPort(), InetAddress.getByName("127.0.0.5"), 0)) {
            s.setSoTimeout(60_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            replies.add(reply(in));
            for (String cmd : List.of("EHLO client.test", "MAIL FROM:<" + from + ">", "RCPT TO:<" + to + ">")) {
                out.write((cmd + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                replies.add(reply(in));
            }
            if (message != null && replies.get(replies.size() - 1).startsWith("250")) {
                out.write("DATA\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                replies.add(reply(in));
                String text = new String(message, StandardCharsets.ISO_8859_1).replace("\r\n", "\n");
                StringBuilder sb = new StringBuilder();
                for (String l : text.split("\n", -1)) {
                    sb.append(l.startsWith(".") ? "." + l : l).append("\r\n");
                }
                sb.append(".\r\n");
                out.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                replies.add(reply(in));
            }
            out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            replies.add(reply(in));
        }
        return replies;
    }

    private static String reply(BufferedReader in) throws IOException {
        String line;
        String last = null;
        while ((line = in.readLine()) != null) {
            last = line;
            if (line.length() < 4 || line.charAt(3) != '-') {
                break;
            }
        }
        return last == null ? "" : last;
    }
}
