package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.mailhygiene.metrics.AdminServer;
import org.mailhygiene.metrics.MilterMetrics;
import org.mailhygiene.milter.MilterServer;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.builtin.SignatureScanner;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.milter.MilterClient;

/**
 * The order in which {@code hygiene milter} stops ({@link MilterCommand#close}): the milter server first, so that while
 * it ends its sessions {@code /health} answers 503 "not running" (a load balancer or monitor sees the milter going
 * away), and the admin endpoint only after them (connections refused from then on).
 */
class MilterShutdownOrderTest {

    @Test
    void healthSaysNotRunningWhileSessionsEndAndTheAdminPortClosesAfterThem() throws Exception {
        CountDownLatch answered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ScanPipeline pipeline =
                ScanPipeline.builder().scanner(SignatureScanner.create()).build();
        // The listener runs on the session's thread after the scan: holding it there (deaf to the server's
        // interrupt) keeps one session open while the server stops, as a session busy with a slow MTA would.
        MilterServer server = MilterServer.builder()
                .pipeline(pipeline)
                .listener((env, content, report, outcome) -> {
                    answered.countDown();
                    awaitUninterruptibly(release);
                })
                .build();
        server.start();
        AdminServer admin = AdminServer.start(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                () -> MilterMetrics.health(server, pipeline));
        URI health = URI.create("http://127.0.0.1:" + admin.address().getPort() + "/health");
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
        Thread mta = new Thread(() -> {
            try (MilterClient c = MilterClient.connect(server.address())) {
                c.send("s@example.net", List.of("u@example.test"), SampleMessages.clean());
            } catch (IOException expected) {
                // the server closes the connection while it stops
            }
        });
        Thread closer =
                new Thread(() -> MilterCommand.close(admin, server, pipeline, null, null, List.of(), List.of(), null));
        try {
            mta.start();
            assertThat(answered.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(get(http, health).statusCode()).isEqualTo(200);

            closer.start();
            // From the moment the server stops accepting until its sessions have ended (here: until released, at
            // most the server's 5 s), /health is there and says 503; it must never be refused before that.
            HttpResponse<String> during = get(http, health);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (during.statusCode() == 200 && System.nanoTime() < until) {
                during = get(http, health);
            }
            assertThat(during.statusCode()).isEqualTo(503);
            assertThat(during.body()).contains("\"name\":\"milter\",\"state\":\"DOWN\",\"detail\":\"not running\"");
            assertThat(closer.isAlive()).as("still ending the held session").isTrue();
        } finally {
            release.countDown();
            closer.join(60_000);
            mta.join(60_000);
        }
        assertThat(closer.isAlive()).isFalse();
        assertThatThrownBy(() -> get(http, health)).isInstanceOf(IOException.class); // admin closed after the server
    }

    private static HttpResponse<String> get(HttpClient http, URI uri) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(uri)
                        .timeout(Duration.ofSeconds(30))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    if (latch.await(120, TimeUnit.SECONDS)) {
                        return;
                    }
                    return; // a bound for a broken test, not part of it
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
