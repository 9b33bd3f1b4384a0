package org.mailhygiene.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.routing.StaticRouter;
import org.mailhygiene.scanners.builtin.SignatureScanner;
import org.mailhygiene.smtp.server.ReloadableTls;
import org.mailhygiene.smtp.topology.Node;
import org.mailhygiene.smtp.topology.Role;
import org.mailhygiene.testkit.junit.RealBinaries;

/**
 * {@code hygiene.smtp.tls.certificate.expiry}: the seconds until the served certificate's notAfter, for an alert
 * ahead of the daily WARN line; it follows a reload of the certificate, and is NaN without STARTTLS.
 */
class TlsCertificateExpiryGaugeTest {
    @TempDir
    Path dir;

    private void selfSigned(String name, int days) throws Exception {
        Process p = new ProcessBuilder(
                        RealBinaries.require("openssl", "openssl").toString(),
                        "req",
                        "-x509",
                        "-newkey",
                        "ec",
                        "-pkeyopt",
                        "ec_paramgen_curve:P-256",
                        "-nodes",
                        "-keyout",
                        name + ".key",
                        "-out",
                        name + ".pem",
                        "-days",
                        Integer.toString(days),
                        "-subj",
                        "/CN=localhost")
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("openssl.log").toFile())
                .start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue())
                .as(Files.readString(dir.resolve("openssl.log")))
                .isZero();
    }

    private Instant notAfter(String name) throws Exception {
        try (InputStream in = Files.newInputStream(dir.resolve(name + ".pem"))) {
            return ((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in))
                    .getNotAfter()
                    .toInstant();
        }
    }

    private Node.Builder node(String name) {
        return Node.builder(Role.EDGE, name)
                .listen(InetAddress.getLoopbackAddress(), 0)
                .router(StaticRouter.parse(":127.0.0.1:25"))
                .scanners(List.of(SignatureScanner.create()))
                .dataDirectory(dir.resolve(name));
    }

    @Test
    void theGaugeShowsTheSecondsLeftAndFollowsAReload() throws Exception {
        selfSigned("short", 10);
        selfSigned("long", 90);
        Path cert = dir.resolve("served.pem");
        Path key = dir.resolve("served.key");
        Files.copy(dir.resolve("short.pem"), cert);
        Files.copy(dir.resolve("short.key"), key);
        Instant now = Instant.now();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RelayMetrics metrics = new RelayMetrics(Clock.fixed(now, ZoneOffset.UTC));
        metrics.bindTo(registry);
        try (Node tls = node("tls").tls(ReloadableTls.fromPem(cert, key), false).build();
                Node plain = node("plain").build()) {
            assertThat(registry.get("hygiene.smtp.tls.certificate.expiry")
                            .gauge()
                            .value())
                    .as("no node watched")
                    .isNaN();
            metrics.watch(tls);
            double seconds =
                    registry.get("hygiene.smtp.tls.certificate.expiry").gauge().value();
            assertThat(seconds)
                    .isEqualTo(Duration.between(now, notAfter("short")).toMillis() / 1000.0)
                    .isBetween(
                            Duration.ofDays(6).toSeconds() * 1.0,
                            Duration.ofDays(11).toSeconds() * 1.0);

            // renewed: the files are replaced and the node reloads them
            Files.copy(dir.resolve("long.pem"), cert, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(dir.resolve("long.key"), key, StandardCopyOption.REPLACE_EXISTING);
            assertThat(tls.reloadTls()).isTrue();
            assertThat(registry.get("hygiene.smtp.tls.certificate.expiry")
                            .gauge()
                            .value())
                    .isEqualTo(Duration.between(now, notAfter("long")).toMillis() / 1000.0)
                    .isGreaterThan(Duration.ofDays(80).toSeconds() * 1.0);

            // expired: negative, so that an alert on "< 14 days" keeps firing
            RelayMetrics later =
                    new RelayMetrics(Clock.fixed(notAfter("long").plus(Duration.ofHours(1)), ZoneOffset.UTC));
            SimpleMeterRegistry laterRegistry = new SimpleMeterRegistry();
            later.bindTo(laterRegistry);
            later.watch(tls);
            assertThat(laterRegistry
                            .get("hygiene.smtp.tls.certificate.expiry")
                            .gauge()
                            .value())
                    .isEqualTo(-3600.0);

            // the name the documentation gives, in the Prometheus text format
            io.micrometer.prometheusmetrics.PrometheusMeterRegistry prometheus =
                    new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
                            io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
            metrics.bindTo(prometheus);
            assertThat(prometheus.scrape())
                    .contains("# TYPE hygiene_smtp_tls_certificate_expiry_seconds gauge")
                    .contains("hygiene_smtp_tls_certificate_expiry_seconds ");

            metrics.watch(plain);
            assertThat(registry.get("hygiene.smtp.tls.certificate.expiry")
                            .gauge()
                            .value())
                    .as("no STARTTLS")
                    .isNaN();
        }
    }
}
