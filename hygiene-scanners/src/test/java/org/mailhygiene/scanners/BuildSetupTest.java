package org.mailhygiene.scanners;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.strings;

import org.junit.jupiter.api.Test;

/** Checks the test setup itself: class path (not module path), CI flag, and the test libraries. */
class BuildSetupTest {

    @Test
    void testsRunOnTheClassPath() {
        assertThat(getClass().getModule().isNamed()).isFalse();
    }

    @Test
    void ciFlagIsPassedThrough() {
        boolean ciEnv = System.getenv("CI") != null;
        assertThat(System.getProperty("hygiene.ci")).isEqualTo(Boolean.toString(ciEnv));
    }

    @Test
    void quickTheoriesRuns() {
        qt().forAll(strings().basicLatinAlphabet().ofLengthBetween(0, 20))
                .checkAssert(
                        s -> assertThat(new StringBuilder(s).reverse().reverse().toString())
                                .isEqualTo(s));
    }
}
