package org.mailhygiene.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.strings;

import org.junit.jupiter.api.Test;

class LogTextTest {
    /**
     * An address accepted under SMTPUTF8 with a right-to-left override read as another in the node's log line (helper
     * hlearn2, session 50: {@code <x\u202Eexe.fdp@b.example>} shows as {@code <xpdf.exe@b.example>}).
     */
    @Test
    void bidiFormattingAndControlCharactersAreReplacedAndLettersKept() {
        assertThat(LogText.printable("x\u202eexe.fdp@b.example")).isEqualTo("x?exe.fdp@b.example");
        assertThat(LogText.printable("a\u2066b\u2069c\u200fd\u200ee\u061cf")).isEqualTo("a?b?c?d?e?f");
        assertThat(LogText.printable("line\r\nforged=yes\u001b[2J\u0085\u007f")).isEqualTo("line??forged=yes?[2J??");
        assertThat(LogText.printable("bad\ufffe\uffff")).isEqualTo("bad??");
        String plain = "jörg@bücher.example, 山田@例え.jp";
        assertThat(LogText.printable(plain)).isSameAs(plain);
    }

    @Test
    void theResultHasTheSameLengthAndNothingATerminalActsOn() {
        qt().forAll(strings().allPossible().ofLengthBetween(0, 60)).checkAssert(s -> {
            String p = LogText.printable(s);
            assertThat(p).hasSameSizeAs(s);
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                char out = p.charAt(i);
                boolean replaced = out != c;
                if (replaced) {
                    assertThat(out).isEqualTo('?');
                }
                assertThat(Character.isISOControl(out)).isFalse();
                assertThat(out)
                        .isNotIn(
                                '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066',
                                '\u2067', '\u2068', '\u2069', '\u061c', '\ufffe', '\uffff');
            }
        });
    }
}
