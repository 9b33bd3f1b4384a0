package org.mailhygiene.scanners.attachments;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AttachmentFindingTest {

    @Test
    void aShortTextIsKeptWhole() {
        String d = "part 2 \"" + "a".repeat(1000) + ".exe\"";
        assertThat(new AttachmentFinding("R", d, d).description()).isEqualTo(d);
    }

    /** A cut never leaves half of a surrogate pair, at the start's end or at the end's start. */
    @Test
    void aLongTextIsShortenedWithoutSplittingASurrogatePair() {
        String emoji = "\ud83d\ude00";
        String text = "x".repeat(699) + emoji + "y".repeat(2000) + emoji + "z".repeat(199);
        String shortened = new AttachmentFinding("R", text, text).description();
        assertThat(shortened)
                .startsWith("x".repeat(699) + "...")
                .endsWith("z".repeat(199) + " (" + text.length() + " characters)")
                .isEqualTo(new AttachmentFinding("R", text, text).location());
        assertThat(shortened
                        .chars()
                        .filter(c -> Character.isSurrogate((char) c))
                        .count())
                .isZero();
    }
}
