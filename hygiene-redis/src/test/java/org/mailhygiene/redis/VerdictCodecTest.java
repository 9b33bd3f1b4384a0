package org.mailhygiene.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

import java.time.Duration;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.Verdict;

class VerdictCodecTest {
    @Test
    void anyVerdictRoundTrips() {
        qt().forAll(
                        lists().of(strings().allPossible().ofLengthBetween(1, 30))
                                .ofSizeBetween(1, 4),
                        strings().allPossible().ofLengthBetween(0, 40),
                        doubles().between(-1000, 1000))
                .assuming((threats, desc, score) -> threats.stream().noneMatch(String::isBlank))
                .checkAssert((threats, desc, score) -> {
                    Verdict v = new Verdict(
                            "scanner\\x",
                            Outcome.INFECTED,
                            threats,
                            OptionalDouble.of(score),
                            OptionalDouble.empty(),
                            List.of(new Rule("R\n1", OptionalDouble.of(score), desc)),
                            Duration.ofNanos(123_456));
                    assertThat(VerdictCodec.decode(VerdictCodec.encode(v))).isEqualTo(v);
                });
    }

    @Test
    void damagedTextIsRefusedNeverClean() {
        String good = VerdictCodec.encode(Verdict.clean("clamd", Duration.ofMillis(1)));
        assertThatThrownBy(() -> VerdictCodec.decode(good.substring(0, good.length() - 3)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> VerdictCodec.decode("mhv2\n")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> VerdictCodec.decode(good + "extra\n")).isInstanceOf(IllegalArgumentException.class);
        qt().forAll(strings().allPossible().ofLengthBetween(0, 200)).checkAssert(s -> {
            try {
                VerdictCodec.decode(s);
            } catch (IllegalArgumentException expected) {
                // refused: fine
            }
        });
    }
}
