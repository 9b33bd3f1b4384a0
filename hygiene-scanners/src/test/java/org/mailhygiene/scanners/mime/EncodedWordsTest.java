package org.mailhygiene.scanners.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.strings;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** RFC 2047 encoded words in header values, as {@link TextDecoding#decodeHeader(String)} reads them. */
class EncodedWordsTest {
    private static final String TEXT = "無料登録キャンペーン";

    private static String b(String charset, byte[] bytes) {
        return "=?" + charset + "?B?" + Base64.getEncoder().encodeToString(bytes) + "?=";
    }

    @Test
    void mislabelledAndUnknownCharsetsAreSniffedAsInBodies() {
        byte[] sjis = TEXT.getBytes(Charset.forName("Shift_JIS"));
        byte[] euc = TEXT.getBytes(Charset.forName("EUC-JP"));
        assertThat(TextDecoding.decodeHeader(b("ISO-2022-JP", sjis))).isEqualTo(TEXT);
        assertThat(TextDecoding.decodeHeader(b("iso-2022-jp", euc))).isEqualTo(TEXT);
        assertThat(TextDecoding.decodeHeader(b("x-unknown", sjis))).isEqualTo(TEXT);
        assertThat(TextDecoding.decodeHeader(b("SHIFT_JIS", sjis))).isEqualTo(TEXT);
        assertThat(TextDecoding.decodeHeader(b("ISO-2022-JP", TEXT.getBytes(Charset.forName("ISO-2022-JP")))))
                .isEqualTo(TEXT);
    }

    @Test
    void adjacentWordsOfOneCharsetAreJoinedBeforeDecoding() {
        byte[] utf8 = TEXT.getBytes(StandardCharsets.UTF_8);
        // split in the middle of a three-byte sequence, as some mailers do
        byte[] first = java.util.Arrays.copyOfRange(utf8, 0, 4);
        byte[] second = java.util.Arrays.copyOfRange(utf8, 4, utf8.length);
        assertThat(TextDecoding.decodeHeader(b("UTF-8", first) + "\r\n " + b("utf-8", second)))
                .isEqualTo(TEXT);
        assertThat(TextDecoding.decodeHeader(b("UTF-8", first) + b("UTF-8", second)))
                .isEqualTo(TEXT);
    }

    @Test
    void whiteSpaceBetweenWordsIsDroppedAndOtherTextKept() {
        String a = b("UTF-8", "Hello".getBytes(StandardCharsets.UTF_8));
        String w = b("ISO-8859-1", "World".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(TextDecoding.decodeHeader(a + " \t" + w)).isEqualTo("HelloWorld");
        assertThat(TextDecoding.decodeHeader("Re: " + a + " and " + w + "!")).isEqualTo("Re: Hello and World!");
        assertThat(TextDecoding.decodeHeader("Re:" + a)).isEqualTo("Re:Hello");
    }

    @Test
    void aWordThatDoesNotReturnToAsciiDoesNotSpoilTheNext() {
        // the first word ends in JIS X 0208 (no ESC ( B): joined, "ABC" would be read as JIS
        assertThat(TextDecoding.decodeHeader("=?ISO-2022-JP?B?GyRCRnxLXA==?= =?ISO-2022-JP?B?QUJD?="))
                .isEqualTo("日本ABC");
    }

    @Test
    void concatenatedPaddedBase64ChunksAndCharsetAliases() {
        assertThat(TextDecoding.decodeHeader("=?UTF-8?B?w6k=w6k=?=")).isEqualTo("éé");
        assertThat(TextDecoding.decodeHeader("=?ISO-8859-8-I?Q?=F9=EC=E5=ED?=")).isEqualTo("שלום");
        assertThat(TextDecoding.decodeHeader("=?utf-8?B?" + Base64.getEncoder().encodeToString(new byte[] {(byte) 0xE6})
                        + "?= =?UTF8?B?" + Base64.getEncoder().encodeToString(new byte[] {(byte) 0x97, (byte) 0xA5})
                        + "?="))
                .isEqualTo("日");
    }

    @Test
    void onlyFoldingWhiteSpaceBetweenWordsIsDropped() {
        assertThat(TextDecoding.decodeHeader("=?UTF-8?Q?a?=\u3000=?UTF-8?Q?b?="))
                .isEqualTo("a\u3000b");
        assertThat(TextDecoding.decodeHeader("=?UTF-8?Q?a?=\r\n\t=?UTF-8?Q?b?="))
                .isEqualTo("ab");
    }

    @Test
    void manyUnknownCharsetNamesAreNotLookedUpOneByOne() {
        // a failed Charset.forName costs about 0.1 ms and is not cached: 20,000 distinct names would take seconds
        StringBuilder v = new StringBuilder();
        for (int k = 0; k < 20_000; k++) {
            v.append("=?x").append(k).append("?Q?a?=");
        }
        assertThat(TextDecoding.decodeHeader(v.toString())).isEqualTo("a".repeat(20_000));
    }

    @Test
    void quotedPrintableWords() {
        assertThat(TextDecoding.decodeHeader("=?ISO-8859-1?Q?Caf=E9_au_lait?=")).isEqualTo("Café au lait");
        assertThat(TextDecoding.decodeHeader("=?utf-8?q?=E2=82=AC_100?=")).isEqualTo("€ 100");
        assertThat(TextDecoding.decodeHeader("=?utf-8*en?Q?price=3D5?=")).isEqualTo("price=5");
        // a broken escape is kept as it stands
        assertThat(TextDecoding.decodeHeader("=?us-ascii?Q?50=ZZ_off?=")).isEqualTo("50=ZZ off");
    }

    @Test
    void malformedWordsStayAsTheyAre() {
        for (String v : new String[] {
            "=?",
            "=?utf-8",
            "=?utf-8?Q?unterminated",
            "=?utf-8?X?abc?=",
            "=??Q?abc?=",
            "a =? b ?= c",
            "=?utf-8?B?ab cd?=",
            "=?utf-8?B?=?="
        }) {
            String decoded = TextDecoding.decodeHeader(v);
            if (v.equals("=?utf-8?B?=?=")) {
                assertThat(decoded).isEmpty();
            } else {
                assertThat(decoded).as(v).isEqualTo(v);
            }
        }
    }

    @Test
    void anyValueDecodesWithoutFailingAndValuesWithoutWordsAreUnchanged() {
        qt().withExamples(2000)
                .forAll(
                        strings().basicLatinAlphabet().ofLengthBetween(0, 60),
                        integers().between(0, 3))
                .checkAssert((s, k) -> {
                    String v = switch (k) {
                        case 0 -> s;
                        case 1 -> "=?" + s;
                        case 2 -> "=?utf-8?B?" + s + "?=";
                        default -> s + "=?utf-8?Q?" + s + "?=" + s;
                    };
                    String d = TextDecoding.decodeHeader(v);
                    assertThat(d).isNotNull();
                    if (!v.contains("=?")) {
                        assertThat(d).isEqualTo(v);
                    }
                });
    }

    @Test
    void encodedTextRoundTrips() {
        qt().withExamples(500)
                .forAll(
                        strings().allPossible().ofLengthBetween(1, 40),
                        integers().between(1, 12))
                .checkAssert((s, cut) -> {
                    String text = s.replaceAll("[\\p{Cntrl}\\p{Cs}\\p{Cn}\\s]", "x");
                    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
                    int at = Math.min(cut, bytes.length);
                    String v = "Subject " + b("UTF-8", java.util.Arrays.copyOfRange(bytes, 0, at)) + " "
                            + b("UTF-8", java.util.Arrays.copyOfRange(bytes, at, bytes.length));
                    assertThat(TextDecoding.decodeHeader(v)).isEqualTo("Subject " + text);
                });
    }

    @Test
    void staysLinearOnHostileValues() {
        // each of these would cost quadratic time in a decoder that rescans to the end for every "=?"
        String noEnd = "=?utf-8?B?" + "A".repeat(400_000);
        String starts = "=?".repeat(300_000);
        String charsets = "=?aaaa".repeat(100_000);
        String words = "=?x?Q?a".repeat(100_000);
        for (String v : new String[] {noEnd, starts, charsets, words}) {
            assertThat(TextDecoding.decodeHeader(v)).isEqualTo(v);
        }
    }
}
