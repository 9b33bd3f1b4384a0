package org.mailhygiene.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ThreatNamesTest {
    @Test
    void namesUpToTheBoundStayWholeLongerOnesAreCutAndSayTheirLength() {
        String edge = "W".repeat(ThreatNames.MAX_LENGTH);
        assertThat(ThreatNames.bounded(edge)).isSameAs(edge);
        assertThat(ThreatNames.bounded("Win.Test.EICAR_HDB-1")).isEqualTo("Win.Test.EICAR_HDB-1");
        assertThat(ThreatNames.bounded(edge + "X")).isEqualTo(edge + "... (257 characters)");
    }

    @Test
    void aCharacterOutsideTheBmpIsNotSplitAtTheCut() {
        String name = "W".repeat(ThreatNames.MAX_LENGTH - 1) + "\uD83D\uDE00" + "tail";
        String cut = ThreatNames.bounded(name);
        assertThat(cut).isEqualTo("W".repeat(ThreatNames.MAX_LENGTH - 1) + "... (" + name.length() + " characters)");
    }
}
