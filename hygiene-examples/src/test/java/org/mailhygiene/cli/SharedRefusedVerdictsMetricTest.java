package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.metrics.RelayMetrics;
import org.mailhygiene.smtp.topology.Node;
import org.mailhygiene.smtp.topology.NodeConfig;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.junit.RealRedisExtension;

/**
 * {@code hygiene_shared_verdicts_refused_total} on {@code /metrics}: two relay nodes share a real Redis with different
 * {@code verdict-key} secrets, so the second refuses the first one's verdict (a miss: it scans). Until session 51 the
 * count was only in {@code RedisSharedState.refusedVerdicts()} and the WARN line, not on {@code /metrics}.
 */
class SharedRefusedVerdictsMetricTest {
    @TempDir
    Path dir;

    @RegisterExtension
    final RealRedisExtension redis = RealRedisExtension.create();

    private Path secret(String name, String text) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, text, StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    private Node node(String name, String prefix, Path key) throws Exception {
        Path file = dir.resolve(name + ".conf");
        Files.writeString(file, """
                role = edge
                name = %s
                listen = 127.0.0.1:0
                data = %s
                accept-domain = example.org
                route = :127.0.0.1:9
                scanner = builtin
                redis = %s/5?prefix=%s
                redis-verdict-key = %s
                """.formatted(name, dir.resolve(name), redis.url(), prefix, key));
        return NodeConfig.read(file).build();
    }

    private static Outcome scan(Node node, byte[] message) throws Exception {
        return node.pipeline().scan(Message.of(message)).verdicts().get(0).outcome();
    }

    @Test
    void aVerdictRefusedForItsSignatureIsCountedOnMetrics() throws Exception {
        Path keyA = secret("a.key", "0123456789abcdef0123456789abcdef-A\n");
        Path keyB = secret("b.key", "0123456789abcdef0123456789abcdef-B\n");
        String prefix = "refused" + System.nanoTime() + ":";
        byte[] eicar = SampleMessages.eicarAttachment();
        try (Node a = node("edge-a", prefix, keyA);
                Node b = node("edge-b", prefix, keyB)) {
            a.start();
            b.start();
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            RelayMetrics metrics = new RelayMetrics().watch(b); // held: Micrometer keeps the meters' object weakly
            metrics.bindTo(registry);
            assertThat(registry.scrape()).contains("hygiene_shared_verdicts_refused_total 0.0");

            assertThat(scan(a, eicar)).isEqualTo(Outcome.INFECTED); // stored, signed with A's secret
            assertThat(scan(b, eicar)).as("refused, so scanned: never clean").isEqualTo(Outcome.INFECTED);
            // one refusal per scanner of "builtin" whose verdict A stored
            long refused = b.sharedState().orElseThrow().delegate().refusedVerdicts();
            assertThat(refused).isPositive();
            assertThat(registry.scrape()).contains("hygiene_shared_verdicts_refused_total " + (double) refused);
            assertThat(metrics.watch(b)).isSameAs(metrics);
        }
    }
}
