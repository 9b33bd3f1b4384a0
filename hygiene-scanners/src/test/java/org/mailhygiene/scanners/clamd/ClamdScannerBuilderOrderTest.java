package org.mailhygiene.scanners.clamd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** {@link ClamdScanner.Builder}: the outcome depends on the settings, never on the order of the calls. */
class ClamdScannerBuilderOrderTest {

    private static String outcome(List<Consumer<ClamdScanner.Builder>> setters) {
        ClamdScanner.Builder b = ClamdScanner.builder().address("127.0.0.1:3310");
        setters.forEach(s -> s.accept(b));
        try {
            ClamdScanner s = b.build();
            return "connect=" + s.connectTimeout() + " read=" + s.readTimeout() + " deadline=" + s.scanDeadline()
                    + " initial=" + s.initialBackoff() + " max=" + s.maxBackoff();
        } catch (IllegalStateException e) {
            return "refused: " + e.getMessage();
        }
    }

    @Test
    void theOrderOfTheSettersNeverMatters() {
        // Each value is in seconds; 0 means "not set" (the default applies). The ranges straddle the defaults
        // (connect 5 s, read 30 s, deadline 120 s, back-off 30 s to 600 s) so conflicts with defaults are covered.
        qt().withExamples(1000)
                .forAll(lists().of(integers().between(0, 900)).ofSize(5), longs().all())
                .checkAssert((v, seed) -> {
                    List<Consumer<ClamdScanner.Builder>> setters = new ArrayList<>();
                    if (v.get(0) > 0) {
                        setters.add(b -> b.connectTimeout(Duration.ofSeconds(v.get(0) / 6 + 1)));
                    }
                    if (v.get(1) > 0) {
                        setters.add(b -> b.readTimeout(Duration.ofSeconds(v.get(1) / 3)));
                    }
                    if (v.get(2) > 0) {
                        setters.add(b -> b.scanDeadline(Duration.ofSeconds(v.get(2) / 3)));
                    }
                    if (v.get(3) > 0) {
                        setters.add(b -> b.initialBackoff(Duration.ofSeconds(v.get(3))));
                    }
                    if (v.get(4) > 0) {
                        setters.add(b -> b.maxBackoff(Duration.ofSeconds(v.get(4))));
                    }
                    setters.add(b -> b.probeTimeout(Duration.ofSeconds(2)));
                    setters.removeIf(s -> {
                        try {
                            s.accept(ClamdScanner.builder());
                            return false;
                        } catch (IllegalArgumentException e) {
                            return true; // a value that is bad on its own (zero) is not what this test is about
                        }
                    });
                    String canonical = outcome(setters);
                    List<Consumer<ClamdScanner.Builder>> shuffled = new ArrayList<>(setters);
                    Collections.shuffle(shuffled, new Random(seed));
                    assertThat(outcome(shuffled)).isEqualTo(canonical);
                });
    }

    @Test
    void aTimeoutAboveTheDefaultDeadlineIsFineOnceTheDeadlineIsRaisedInAnyOrder() {
        ClamdScanner before = ClamdScanner.builder()
                .address("127.0.0.1:3310")
                .readTimeout(Duration.ofMinutes(5))
                .scanDeadline(Duration.ofMinutes(10))
                .build();
        ClamdScanner after = ClamdScanner.builder()
                .address("127.0.0.1:3310")
                .scanDeadline(Duration.ofMinutes(10))
                .readTimeout(Duration.ofMinutes(5))
                .build();
        assertThat(before.readTimeout()).isEqualTo(after.readTimeout()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void aDefaultBackOffYieldsToAnExplicitOne() {
        ClamdScanner longInitial = ClamdScanner.builder()
                .address("127.0.0.1:3310")
                .initialBackoff(Duration.ofMinutes(20))
                .build();
        assertThat(longInitial.maxBackoff()).isEqualTo(Duration.ofMinutes(20));
        ClamdScanner shortMax = ClamdScanner.builder()
                .address("127.0.0.1:3310")
                .maxBackoff(Duration.ofSeconds(10))
                .build();
        assertThat(shortMax.initialBackoff()).isEqualTo(Duration.ofSeconds(10));
    }
}
