package org.mailhygiene.api.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The builder's outcome depends on the settings, never on the order of the calls. */
class FailoverGroupBuilderOrderTest {

    /** Builds with the setters applied in the given order; the outcome is the error or the back-off sequence. */
    private static String outcome(List<Consumer<FailoverGroup.Builder<String>>> setters) {
        MutableClock clock = new MutableClock();
        FailoverGroup.Builder<String> b = FailoverGroup.<String>builder("g").clock(clock);
        setters.forEach(s -> s.accept(b));
        FailoverGroup<String> g;
        try {
            g = b.build();
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            Instant now = clock.instant();
            g.markDown("a", "x");
            FailoverGroup.MemberState a = g.members().stream()
                    .filter(m -> m.name().equals("a"))
                    .findFirst()
                    .orElseThrow();
            out.append(Duration.between(now, a.downUntil().orElseThrow())).append(' ');
        }
        return out.toString();
    }

    @Test
    void theOrderOfTheSettersNeverMatters() {
        qt().withExamples(500)
                .forAll(integers().between(0, 25), integers().between(0, 25), longs().all())
                .checkAssert((initialMinutes, maxMinutes, seed) -> {
                    List<Consumer<FailoverGroup.Builder<String>>> setters = new ArrayList<>();
                    setters.add(b -> b.member("a", "a", 0));
                    setters.add(b -> b.member("b", "b", 1));
                    setters.add(b -> b.deadline(Duration.ofSeconds(7)));
                    // 0 means "not set": the default applies.
                    if (initialMinutes > 0) {
                        setters.add(b -> b.initialBackoff(Duration.ofMinutes(initialMinutes)));
                    }
                    if (maxMinutes > 0) {
                        setters.add(b -> b.maxBackoff(Duration.ofMinutes(maxMinutes)));
                    }
                    String canonical = outcome(setters);
                    List<Consumer<FailoverGroup.Builder<String>>> shuffled = new ArrayList<>(setters);
                    Collections.shuffle(shuffled, new Random(seed));
                    assertThat(outcome(shuffled)).isEqualTo(canonical);
                    if (initialMinutes > 0 && maxMinutes > 0 && initialMinutes > maxMinutes) {
                        assertThat(canonical).startsWith("IllegalStateException: initialBackoff");
                    } else {
                        assertThat(canonical).doesNotContain("Exception");
                    }
                });
    }

    @Test
    void anExplicitConflictIsRefusedByBuildNotBySetters() {
        FailoverGroup.Builder<String> b = FailoverGroup.<String>builder("g")
                .member("a", "a", 0)
                .maxBackoff(Duration.ofMinutes(1))
                .initialBackoff(Duration.ofMinutes(2));
        assertThatThrownBy(b::build)
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("initialBackoff PT2M exceeds maxBackoff PT1M");
        // Fixing either setting afterwards makes the same builder valid.
        assertThat(b.maxBackoff(Duration.ofMinutes(3)).build().members()).hasSize(1);
    }
}
