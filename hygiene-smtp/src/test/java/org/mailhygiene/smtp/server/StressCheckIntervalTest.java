package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.testkit.Await;

/**
 * The stress check runs every quarter of {@code stress-idle-timeout} (100 ms to 1 s), with the value in force: a
 * reload that shortens it shortens the interval from the next run on. Until session 46 the check was scheduled once at
 * start with a fixed delay, and a reload from 10 s to 400 ms still checked every second (a session idle for 400 ms
 * under stress was closed up to a second late, not within 100 ms).
 */
class StressCheckIntervalTest {
    private static SmtpServer.Builder withStressIdleTimeout(SmtpServer.Builder b, Duration timeout) {
        return b.port(0)
                .hostname("mx.test.example")
                .acceptedDomains(AcceptedDomains.of("example.org"))
                .handler(new RecordingHandler())
                .limits(SmtpLimits.builder().stressIdleTimeout(timeout).build());
    }

    @Test
    void intervalsAreAQuarterOfTheTimeoutBetween100MsAndOneSecond() {
        assertThat(SmtpServer.stressCheckMillis(Duration.ofSeconds(10))).isEqualTo(1000);
        assertThat(SmtpServer.stressCheckMillis(Duration.ofMillis(2000))).isEqualTo(500);
        assertThat(SmtpServer.stressCheckMillis(Duration.ofMillis(400))).isEqualTo(100);
        assertThat(SmtpServer.stressCheckMillis(Duration.ofMillis(1))).isEqualTo(100);
    }

    @Test
    void aReloadedStressIdleTimeoutSetsTheIntervalOfTheNextChecks() throws Exception {
        SmtpServer server = withStressIdleTimeout(SmtpServer.builder(), Duration.ofSeconds(10))
                .build();
        try {
            server.start();
            assertThat(server.scheduledStressCheckMillis()).isEqualTo(1000);
            server.reconfigure(b -> withStressIdleTimeout(b, Duration.ofMillis(400)));
            // the check scheduled before the reload runs within a second and schedules the next with the new value
            Await.until("a check scheduled 100 ms ahead", () -> server.scheduledStressCheckMillis() == 100);
            server.reconfigure(b -> withStressIdleTimeout(b, Duration.ofMillis(2000)));
            Await.until("a check scheduled 500 ms ahead", () -> server.scheduledStressCheckMillis() == 500);
        } finally {
            server.stop();
        }
    }
}
