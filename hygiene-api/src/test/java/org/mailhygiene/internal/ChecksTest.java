package org.mailhygiene.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ChecksTest {

    @Test
    void aPositiveDurationPassesAndZeroOrNegativeIsNamedWithItsValue() {
        assertThat(Checks.requirePositive(Duration.ofNanos(1), "t")).isEqualTo(Duration.ofNanos(1));
        assertThatThrownBy(() -> Checks.requirePositive(Duration.ZERO, "readTimeout"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("readTimeout must be positive, was PT0S");
        assertThatThrownBy(() -> Checks.requirePositive(Duration.ofSeconds(-3), "deadline"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("deadline must be positive, was PT-3S");
        assertThatThrownBy(() -> Checks.requirePositive(null, "deadline"))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("deadline");
    }

    @Test
    void aNonNegativeDurationMayBeZero() {
        assertThat(Checks.requireNonNegative(Duration.ZERO, "jitter")).isEqualTo(Duration.ZERO);
        assertThatThrownBy(() -> Checks.requireNonNegative(Duration.ofMillis(-1), "jitter"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("jitter must not be negative, was PT-0.001S");
        assertThatThrownBy(() -> Checks.requireNonNegative(null, "jitter"))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("jitter");
    }

    @Test
    void durationChecksAgreeWithTheSignOfEveryDuration() {
        qt().forAll(longs().all(), integers().between(0, 999_999_999)).checkAssert((seconds, nanos) -> {
            Duration d = Duration.ofSeconds(seconds, nanos);
            boolean positive = d.compareTo(Duration.ZERO) > 0;
            boolean nonNegative = d.compareTo(Duration.ZERO) >= 0;
            assertThat(accepts(() -> Checks.requirePositive(d, "d"))).isEqualTo(positive);
            assertThat(accepts(() -> Checks.requireNonNegative(d, "d"))).isEqualTo(nonNegative);
        });
    }

    @Test
    void lowerBoundsAreInclusive() {
        assertThat(Checks.requireAtLeast(1, 1, "n")).isEqualTo(1);
        assertThat(Checks.requireAtLeast(0L, 0L, "octets")).isZero();
        assertThatThrownBy(() -> Checks.requireAtLeast(1023, 1024, "maxOutputBytes"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxOutputBytes must be >= 1024, was 1023");
        assertThatThrownBy(() -> Checks.requireAtLeast(-1L, 0L, "memoryThreshold"))
                .hasMessage("memoryThreshold must be >= 0, was -1");
        qt().forAll(integers().all(), integers().all())
                .checkAssert((v, min) -> assertThat(accepts(() -> Checks.requireAtLeast(v, min, "v")))
                        .isEqualTo(v >= min));
        qt().forAll(longs().all(), longs().all())
                .checkAssert((v, min) -> assertThat(accepts(() -> Checks.requireAtLeast(v, min, "v")))
                        .isEqualTo(v >= min));
    }

    private static boolean accepts(Runnable check) {
        try {
            check.run();
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
