package org.mailhygiene.scanners.clamd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.MessageContent;

/** When the clamd scanner walks a message for opaque S/MIME signatures: only when one can be in it. */
class ClamdSmimeHintTest {
    private static final List<String> HINTS = List.of("pkcs7", ".p7m", ".p7c", "=?", "*=");

    private static boolean maySign(String s) throws Exception {
        return ClamdScanner.maySign(MessageContent.ofBytes(s.getBytes(StandardCharsets.ISO_8859_1)));
    }

    @Test
    void aDeclaredTypeANameOrAnEncodedParameterMeansAWalk() throws Exception {
        assertThat(maySign("Content-Type: Application/X-PKCS7-MIME; smime-type=signed-data\r\n"))
                .isTrue();
        assertThat(maySign("Content-Type: application/octet-stream; name=SMIME.P7M\r\n"))
                .isTrue();
        assertThat(maySign("Content-Disposition: attachment; filename*=utf-8''smime%2Ep7m\r\n"))
                .isTrue();
        assertThat(maySign("Content-Type: application/octet-stream; name=\"=?utf-8?B?c21pbWUucDdt?=\"\r\n"))
                .isTrue();
        assertThat(maySign("Subject: hello\r\n\r\nA plain letter about pkcs 7 and p7 forms.\r\n"))
                .isFalse();
        assertThat(maySign("")).isFalse();
    }

    /** Against the obvious reading (lower case, then look for each hint), over text made of the hints' pieces. */
    @Test
    void agreesWithASearchForEachHint() {
        String alphabet = "pPkKcCsS7.mM=?*x\r\n";
        qt().withExamples(2000)
                .forAll(lists().of(integers().between(0, alphabet.length() - 1)).ofSizeBetween(0, 40))
                .checkAssert(picks -> {
                    StringBuilder b = new StringBuilder();
                    picks.forEach(i -> b.append(alphabet.charAt(i)));
                    String s = b.toString();
                    String lower = s.toLowerCase(Locale.ROOT);
                    boolean expected = HINTS.stream().anyMatch(lower::contains);
                    try {
                        assertThat(maySign(s)).as(s).isEqualTo(expected);
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
    }
}
