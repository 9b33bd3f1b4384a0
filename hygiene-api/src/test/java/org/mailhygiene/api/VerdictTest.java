package org.mailhygiene.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class VerdictTest {

    @Test
    void invariantsAreCheckedAtConstruction() {
        assertThatThrownBy(() -> Verdict.builder("s", Outcome.INFECTED).build())
                .hasMessageContaining("at least one threat");
        assertThatThrownBy(() -> Verdict.builder("s", Outcome.CLEAN).threat("X").build())
                .hasMessageContaining("must not name threats");
        assertThatThrownBy(() -> Verdict.builder(" ", Outcome.CLEAN).build()).hasMessageContaining("blank");
        assertThatThrownBy(
                        () -> Verdict.builder("s", Outcome.INFECTED).threat(" ").build())
                .hasMessageContaining("threat names must not be blank");
        assertThatThrownBy(() ->
                        Verdict.builder("s", Outcome.SPAM).score(Double.NaN).build())
                .hasMessageContaining("score must be finite");
        assertThatThrownBy(() -> Verdict.builder("s", Outcome.SPAM)
                        .threshold(Double.POSITIVE_INFINITY)
                        .build())
                .hasMessageContaining("threshold must be finite");
        assertThatThrownBy(() -> Verdict.builder("s", Outcome.CLEAN)
                        .elapsed(Duration.ofMillis(-1))
                        .build())
                .hasMessageContaining("elapsed");
        assertThatThrownBy(() -> Rule.of(" ")).hasMessageContaining("blank");
        assertThatThrownBy(() -> Rule.of("R", Double.NaN)).hasMessageContaining("finite");
        assertThat(Verdict.builder("s", Outcome.SUSPICIOUS)
                        .threat("Heuristics.Encrypted.Zip")
                        .build()
                        .threats())
                .containsExactly("Heuristics.Encrypted.Zip");
    }

    @Test
    void listsAreCopiedSoTheVerdictIsImmutable() {
        List<String> threats = new ArrayList<>(List.of("A"));
        Verdict v = Verdict.infected("s", threats, Duration.ZERO);
        threats.add("B");
        assertThat(v.threats()).containsExactly("A");
        assertThatThrownBy(() -> v.threats().add("C")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(v.withElapsed(Duration.ofSeconds(2)))
                .isEqualTo(new Verdict(
                        "s",
                        Outcome.INFECTED,
                        List.of("A"),
                        OptionalDouble.empty(),
                        OptionalDouble.empty(),
                        List.of(),
                        Duration.ofSeconds(2)));
    }

    @Test
    void scoreReachedThresholdComparesBothWhenPresent() {
        qt().forAll(doubles().between(-100, 100), doubles().between(-100, 100)).checkAssert((score, threshold) -> {
            Verdict v = Verdict.builder("s", Outcome.SPAM)
                    .score(score)
                    .threshold(threshold)
                    .build();
            assertThat(v.scoreReachedThreshold()).isEqualTo(score >= threshold);
            assertThat(Verdict.builder("s", Outcome.SPAM).score(score).build().scoreReachedThreshold())
                    .isFalse();
        });
    }

    @Test
    void failuresAreResultsButNeverVerdicts() {
        ScanResult f = new ScanFailure("clamd", ScanFailure.Kind.UNAVAILABLE, "refused", Duration.ZERO);
        assertThat(f.isFailure()).isTrue();
        assertThat(Verdict.clean("clamd", Duration.ZERO).isFailure()).isFalse();
        assertThatThrownBy(() -> new ScanFailure("c", ScanFailure.Kind.TIMED_OUT, "x", Duration.ofSeconds(-1)))
                .hasMessageContaining("elapsed");
        ScanException e = ScanException.of("clamd", ScanFailure.Kind.PROTOCOL_ERROR, "garbage", null);
        assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.PROTOCOL_ERROR);
        assertThat(e).hasMessage("clamd: PROTOCOL_ERROR: garbage");
    }

    @Test
    void envelopeRejectsLineBreaksAndKnowsTheNullSender() {
        assertThat(Envelope.of("", List.of("a@example.org")).hasNullSender()).isTrue();
        assertThatThrownBy(() -> Envelope.of("a\r\n@x", List.of("b@y"))).hasMessageContaining("CR or LF");
        assertThatThrownBy(() -> Envelope.of("a@x", List.of(" "))).hasMessageContaining("blank");
        assertThat(Envelope.of("a@x", List.of("b@y"))
                        .withRecipients(List.of("c@z"))
                        .recipients())
                .containsExactly("c@z");
    }
}
