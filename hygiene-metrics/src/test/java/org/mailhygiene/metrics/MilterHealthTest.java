package org.mailhygiene.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.Socket;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.DefaultPolicy;
import org.mailhygiene.api.policy.Policy;
import org.mailhygiene.milter.MilterServer;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.builtin.SignatureScanner;
import org.mailhygiene.testkit.Await;

/**
 * The milter's {@code /health}: it asks its policy whether a DOWN scanner stops mail, as the relay's does, and says
 * DOWN when the server is stopped or has all its connections in use.
 */
class MilterHealthTest {

    private static HealthReport health(Policy policy) throws Exception {
        ScanPipeline pipeline = ScanPipeline.builder()
                .scanners(List.of(SignatureScanner.create(), DownScanner.named("spamd")))
                .policy(policy)
                .build();
        try (pipeline;
                MilterServer server = MilterServer.builder()
                        .bindAddress(InetAddress.getLoopbackAddress())
                        .port(0)
                        .pipeline(pipeline)
                        .build()) {
            server.start();
            return MilterMetrics.health(server, pipeline);
        }
    }

    @Test
    void aDownScannerWhoseFailuresThePolicyAcceptsLeavesTheMilterAccepting() throws Exception {
        HealthReport accepting = health(DefaultPolicy.builder()
                .onFailureOf("spamd", ScanFailure.Kind.UNAVAILABLE, Action.ACCEPT)
                .build());
        assertThat(accepting.accepting()).isTrue();
        assertThat(accepting.components())
                .contains(new HealthReport.Component("scanner:spamd", HealthReport.State.DOWN, "connection refused"));

        assertThat(health(DefaultPolicy.defaults()).accepting()).isFalse(); // tempfails every message
        assertThat(health(DefaultPolicy.builder()
                                .onFailureOf("spamd", ScanFailure.Kind.TOO_LARGE, Action.ACCEPT)
                                .build())
                        .accepting())
                .isFalse();
    }

    @Test
    void aStoppedServerIsNotRunning() throws Exception {
        ScanPipeline pipeline =
                ScanPipeline.builder().scanner(SignatureScanner.create()).build();
        try (pipeline) {
            MilterServer server = MilterServer.builder().pipeline(pipeline).build();
            server.start();
            assertThat(MilterMetrics.health(server, pipeline).accepting()).isTrue();
            server.close();
            HealthReport stopped = MilterMetrics.health(server, pipeline);
            assertThat(stopped.accepting()).isFalse();
            assertThat(stopped.components())
                    .contains(new HealthReport.Component("milter", HealthReport.State.DOWN, "not running"));
        }
    }

    @Test
    void aServerWithAllItsConnectionsInUseIsNotAccepting() throws Exception {
        ScanPipeline pipeline =
                ScanPipeline.builder().scanner(SignatureScanner.create()).build();
        try (pipeline;
                MilterServer server = MilterServer.builder()
                        .pipeline(pipeline)
                        .maxConnections(2)
                        .build()) {
            server.start();
            try (Socket first =
                    new Socket(server.address().getAddress(), server.address().getPort())) {
                Await.until("one connection open", () -> server.activeConnections() == 1);
                HealthReport one = MilterMetrics.health(server, pipeline);
                assertThat(one.accepting()).isTrue();
                assertThat(one.components())
                        .contains(new HealthReport.Component(
                                "milter", HealthReport.State.UP, "accepting, 1 connections open"));
                try (Socket second = new Socket(
                        server.address().getAddress(), server.address().getPort())) {
                    Await.until("two connections open", () -> server.activeConnections() == 2);
                    // a third would be closed at once (Postfix: 451 4.7.1): this said UP, "accepting"
                    HealthReport full = MilterMetrics.health(server, pipeline);
                    assertThat(full.accepting()).isFalse();
                    assertThat(full.components())
                            .contains(new HealthReport.Component(
                                    "milter",
                                    HealthReport.State.DOWN,
                                    "all 2 connections in use, new ones are closed"));
                }
                Await.until("one connection open again", () -> server.activeConnections() == 1);
                assertThat(MilterMetrics.health(server, pipeline).accepting()).isTrue();
            }
        }
    }
}
