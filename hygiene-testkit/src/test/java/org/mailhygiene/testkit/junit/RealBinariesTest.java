package org.mailhygiene.testkit.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.opentest4j.TestAbortedException;

/** The one CI rule: which values of {@code CI} make real-binary tests mandatory. */
class RealBinariesTest {
    private static final String MISSING = "no-such-program-for-mail-hygiene-tests";

    @ParameterizedTest
    @ValueSource(strings = {"true", "TRUE", "True", "1", "yes", "on", "woodpecker", " true "})
    void valuesThatSayCi(String value) {
        assertThat(RealBinaries.isCiValue(value)).isTrue();
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", " ", "false", "FALSE", "0", "no", "off", "Off"})
    void valuesThatDoNotSayCi(String value) {
        assertThat(RealBinaries.isCiValue(value)).isFalse();
    }

    @Test
    void underCiUsesTheRuleOnTheEnvironment() {
        assertThat(RealBinaries.underCi()).isEqualTo(RealBinaries.isCiValue(System.getenv("CI")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"true", "1"})
    void aMissingProgramFailsUnderCi(String ci) {
        assertThatThrownBy(() -> RealBinaries.require(MISSING, "some-package", ci))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining(MISSING)
                .hasMessageContaining("some-package")
                .hasMessageContaining("mandatory");
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"false", "0", ""})
    void aMissingProgramSkipsOutsideCi(String ci) {
        assertThatThrownBy(() -> RealBinaries.require(MISSING, "some-package", ci))
                .isInstanceOf(TestAbortedException.class)
                .hasMessageContaining(MISSING);
    }

    @Test
    void aPresentProgramIsFoundEitherWay() {
        assertThat(RealBinaries.require("sh", "dash", "true")).isExecutable();
        assertThat(RealBinaries.require("sh", "dash", null)).isExecutable();
    }
}
