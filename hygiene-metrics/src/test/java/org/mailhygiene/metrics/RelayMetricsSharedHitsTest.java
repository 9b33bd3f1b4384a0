package org.mailhygiene.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.routing.StaticRouter;
import org.mailhygiene.scanners.builtin.SignatureScanner;
import org.mailhygiene.scanners.shared.InProcessSharedState;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.smtp.topology.Node;
import org.mailhygiene.smtp.topology.Role;
import org.mailhygiene.testkit.SampleMessages;

/** hygiene_shared_verdict_hits_total on a node whose configuration is reloaded. */
class RelayMetricsSharedHitsTest {
    @TempDir
    Path dir;

    private final InProcessSharedState shared = InProcessSharedState.create();

    private Node.Builder config(String name) {
        return Node.builder(Role.EDGE, name)
                .listen(InetAddress.getLoopbackAddress(), 0)
                .acceptedDomains(AcceptedDomains.of("example.test"))
                .router(StaticRouter.parse(":127.0.0.1:9"))
                .scanners(List.of(SignatureScanner.create()))
                .sharedState(shared)
                .dataDirectory(dir.resolve(name));
    }

    private static double hits(SimpleMeterRegistry registry) {
        return registry.get("hygiene.shared.verdict.hits").functionCounter().count();
    }

    /** Sends the EICAR message, refused at the final dot (554), as a client would. */
    private static void sendVirus(Node node) throws Exception {
        List<String> said = AdminServerTest.smtp(
                node.address(), "a@example.net", "bob@example.test", SampleMessages.eicarAttachment());
        assertThat(said.get(said.size() - 2)).startsWith("554");
    }

    @Test
    void aReloadDoesNotTakeTheSharedVerdictHitsBackToZero() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RelayMetrics metrics = new RelayMetrics();
        metrics.bindTo(registry);
        try (Node other = config("edge-1").build();
                Node node = config("edge-2").build()) {
            other.start();
            node.start();
            metrics.watch(node);
            sendVirus(other); // scanned there, its verdict shared
            sendVirus(node); // answered here by the shared verdict
            assertThat(hits(registry)).isEqualTo(1.0);

            node.reload(config("edge-2")); // a new pipeline, with a new verdict cache
            assertThat(hits(registry)).as("after a reload").isEqualTo(1.0);
            sendVirus(node); // from the new pipeline's own cache: no shared hit
            node.reload(config("edge-2"));
            assertThat(hits(registry)).as("after a second reload").isEqualTo(1.0);
        }
    }
}
