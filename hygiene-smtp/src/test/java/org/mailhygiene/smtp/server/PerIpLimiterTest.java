package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.mailhygiene.testkit.FakeClock;

class PerIpLimiterTest {
    private final FakeClock clock = FakeClock.at(Instant.parse("2026-12-05T12:00:00Z"));

    @Test
    void aBucketRefillsContinuouslyUpToItsCount() throws Exception {
        PerIpLimiter limiter = new PerIpLimiter(2, Duration.ofMinutes(1), clock);
        InetAddress a = InetAddress.getByName("192.0.2.1");
        assertThat(limiter.tryAcquire(a)).isTrue();
        assertThat(limiter.tryAcquire(a)).isTrue();
        assertThat(limiter.tryAcquire(a)).isFalse();
        assertThat(limiter.tryAcquire(InetAddress.getByName("192.0.2.2")))
                .as("another address has its own bucket")
                .isTrue();
        clock.advance(Duration.ofSeconds(30));
        assertThat(limiter.tryAcquire(a)).isTrue();
        assertThat(limiter.tryAcquire(a)).isFalse();
    }

    /**
     * Before, a clock set back an hour refused an address that had used its bucket for that hour (the refill of a
     * negative interval is none, until the clock caught up with the bucket's last reading).
     */
    @Test
    void aClockSetBackRefusesNoLongerThanTheWindowSays() throws Exception {
        PerIpLimiter limiter = new PerIpLimiter(2, Duration.ofMinutes(1), clock);
        InetAddress a = InetAddress.getByName("192.0.2.1");
        assertThat(limiter.tryAcquire(a)).isTrue();
        assertThat(limiter.tryAcquire(a)).isTrue();
        clock.set(clock.instant().minus(Duration.ofHours(1)));
        assertThat(limiter.tryAcquire(a)).as("going back refills nothing").isFalse();
        clock.advance(Duration.ofSeconds(30));
        assertThat(limiter.tryAcquire(a))
                .as("half a window after the step, one token")
                .isTrue();
        assertThat(limiter.tryAcquire(a)).isFalse();
    }
}
