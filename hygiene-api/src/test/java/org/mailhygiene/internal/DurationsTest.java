package org.mailhygiene.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {
    @Test
    void theLargestWholeUnitAsAConfigurationFileWritesIt() {
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0");
        assertThat(Durations.format(Duration.ofSeconds(30))).isEqualTo("30s");
        assertThat(Durations.format(Duration.ofMillis(300))).isEqualTo("300ms");
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(Durations.format(Duration.ofMinutes(90))).isEqualTo("90m");
        assertThat(Durations.format(Duration.ofHours(2))).isEqualTo("2h");
        assertThat(Durations.format(Duration.ofDays(100))).isEqualTo("100d");
    }

    @Test
    void whatNoUnitWritesStaysIso8601() {
        assertThat(Durations.format(Duration.ofNanos(1500))).isEqualTo("PT0.0000015S");
        assertThat(Durations.format(Duration.ofSeconds(-5))).isEqualTo("PT-5S");
    }

    /**
     * A duration of more milliseconds than a {@code long} holds (a caller's "no limit", such as
     * {@code Duration.ofSeconds(Long.MAX_VALUE)}) is written in its unit, as any other: it threw
     * {@link ArithmeticException} ("long overflow") out of the message being built (review, session 45), though the
     * Javadoc promised only {@link NullPointerException}.
     */
    @Test
    void aDurationBeyondALongOfMillisecondsIsWrittenNotThrown() {
        assertThat(Durations.format(Duration.ofSeconds(Long.MAX_VALUE))).isEqualTo(Long.MAX_VALUE + "s");
        assertThat(Durations.format(Duration.ofSeconds(Long.MAX_VALUE / 1000, 5_000_000)))
                .isEqualTo("PT2562047788015H12M55.005S");
        assertThat(Durations.format(Duration.ofDays(200_000_000_000L))).isEqualTo("200000000000d");
    }
}
