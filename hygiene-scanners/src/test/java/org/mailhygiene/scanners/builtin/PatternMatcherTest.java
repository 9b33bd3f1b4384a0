package org.mailhygiene.scanners.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The streaming matcher finds a pattern exactly when a plain search of the whole input does, however it is fed. */
class PatternMatcherTest {
    // Patterns sharing their first byte and with self-overlap, as EICAR and GTUBE share 'X'.
    private static final byte[] P1 = "XXAXXB".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] P2 = "XAB".getBytes(StandardCharsets.US_ASCII);

    @Test
    void findsWhatAPlainSearchFindsUnderAnyChunking() {
        // Inputs over a tiny alphabet, so partial matches, restarts and overlaps are frequent.
        qt().withExamples(3000)
                .forAll(
                        lists().of(integers().between(0, 3)).ofSizeBetween(0, 60),
                        integers().between(1, 9))
                .checkAssert((symbols, chunk) -> {
                    byte[] input = new byte[symbols.size()];
                    for (int i = 0; i < input.length; i++) {
                        input[i] = (byte) "XABy".charAt(symbols.get(i));
                    }
                    PatternMatcher m = new PatternMatcher(P1, P2);
                    for (int off = 0; off < input.length; off += chunk) {
                        m.feed(input, off, Math.min(chunk, input.length - off));
                    }
                    assertThat(m.found(0)).isEqualTo(contains(input, P1));
                    assertThat(m.found(1)).isEqualTo(contains(input, P2));
                    assertThat(m.allFound()).isEqualTo(contains(input, P1) && contains(input, P2));
                });
    }

    @Test
    void aMatchSplitAcrossFeedsIsFound() {
        PatternMatcher m = new PatternMatcher(P1);
        byte[] in = "yyXXAXXByy".getBytes(StandardCharsets.US_ASCII);
        for (byte b : in) {
            m.feed(new byte[] {b}, 0, 1);
        }
        assertThat(m.found(0)).isTrue();
    }

    private static boolean contains(byte[] input, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= input.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (input[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
