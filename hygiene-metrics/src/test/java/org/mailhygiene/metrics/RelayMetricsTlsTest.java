package org.mailhygiene.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** The TLS counters {@link RelayMetrics} keeps from the SMTP server's session events. */
class RelayMetricsTlsTest {
    @Test
    void failedHandshakesAreCountedApartFromCompletedOnes() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RelayMetrics metrics = new RelayMetrics();
        metrics.bindTo(registry);
        InetAddress client = InetAddress.getLoopbackAddress();
        metrics.tlsEstablished(client, "TLSv1.3", "TLS_AES_256_GCM_SHA384");
        metrics.tlsFailed(client, "Received fatal alert: protocol_version");
        metrics.tlsFailed(client, "Unsupported or unrecognized SSL message");
        assertThat(registry.get("hygiene.smtp.tls.failures").counter().count()).isEqualTo(2.0);
        assertThat(registry.get("hygiene.smtp.tls.sessions").counter().count()).isEqualTo(1.0);
    }
}
