package org.mailhygiene.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class NanoClockTest {

    @Test
    void aSystemClockOfAnyZoneMeasuresWithTheMonotonicClock() {
        assertThat(NanoClock.of(Clock.systemUTC())).isSameAs(NanoClock.system());
        assertThat(NanoClock.of(Clock.systemDefaultZone())).isSameAs(NanoClock.system());
        assertThat(NanoClock.of(Clock.system(ZoneId.of("Asia/Tokyo")))).isSameAs(NanoClock.system());
    }

    @Test
    void anyOtherClockIsReadAsNanosecondsSinceTheCall() {
        Instant start = Instant.parse("2026-12-05T12:00:00Z");
        Instant[] now = {start};
        Clock adjustable = new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now[0];
            }
        };
        NanoClock ticker = NanoClock.of(adjustable);
        assertThat(ticker).isNotSameAs(NanoClock.system());
        assertThat(ticker.nanoTime()).isZero();
        now[0] = start.plus(Duration.ofMillis(1500));
        assertThat(ticker.nanoTime()).isEqualTo(1_500_000_000L);
        now[0] = start.minus(Duration.ofHours(1));
        assertThat(ticker.nanoTime()).as("a test clock may go back").isEqualTo(-3_600_000_000_000L);
        assertThat(NanoClock.of(Clock.fixed(start, ZoneOffset.UTC)).nanoTime()).isZero();
        assertThat(NanoClock.of(Clock.offset(Clock.systemUTC(), Duration.ofHours(1))))
                .as("an offset clock is no system clock")
                .isNotSameAs(NanoClock.system());
    }

    @Test
    void nullIsRefused() {
        assertThatThrownBy(() -> NanoClock.of(null)).isInstanceOf(NullPointerException.class);
    }
}
