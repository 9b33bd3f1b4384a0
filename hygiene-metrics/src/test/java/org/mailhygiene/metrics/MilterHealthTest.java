package org.mailhygiene.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.DefaultPolicy;
import org.mailhygiene.api.policy.Policy;
import org.mailhygiene.milter.MilterServer;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.builtin.SignatureScanner;

/** The milter's {@code /health} asks its policy whether a DOWN scanner stops mail, as the relay's does. */
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
}
