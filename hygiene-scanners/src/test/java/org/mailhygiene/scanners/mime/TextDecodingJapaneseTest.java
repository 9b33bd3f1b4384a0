package org.mailhygiene.scanners.mime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * ISO-2022-JP as Japanese mailers write it (Microsoft's CP50220/CP50221 extensions, JIS X 0201 katakana, a line end
 * without the return to ASCII) and UTF-7, which the JDK cannot read, as {@link TextDecoding} decodes them.
 */
class TextDecodingJapaneseTest {
    private static final Charset CP50221 = Charset.forName("x-windows-50221");

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Test
    void necSpecialCharactersAndIbmExtensionsUnderAnIso2022JpLabelAreRead() {
        // Outlook and most Japanese Windows mailers send CP50221 under the label ISO-2022-JP: ① and ㈱ in row 13, 髙 in
        // row 92; the JDK's ISO-2022-JP decoder made each U+FFFD, so "㈱" never reached the classifier
        String text = "①㈱山田商事 髙橋様 ｱｲｳ";
        byte[] bytes = text.getBytes(CP50221);
        assertThat(TextDecoding.decode(bytes, "iso-2022-jp")).isEqualTo(text);
        assertThat(TextDecoding.decode(bytes, null)).isEqualTo(text);
        assertThat(TextDecoding.decodeHeader(
                        "=?ISO-2022-JP?B?" + Base64.getEncoder().encodeToString(bytes) + "?="))
                .isEqualTo(text);
        assertThat(TextDecoding.decode(bytes, "CP50221")).isEqualTo(text);
    }

    @Test
    void jisX0208IsReadAsTheJdkReadsIt() {
        // every character the JDK's decoder knows keeps its mapping (wave dash U+301C, not windows-31j's U+FF5E), so
        // learned tokens stay the same
        Charset jdk = Charset.forName("ISO-2022-JP");
        for (int j1 = 0x21; j1 <= 0x7E; j1++) {
            for (int j2 = 0x21; j2 <= 0x7E; j2++) {
                byte[] b = {0x1B, '$', 'B', (byte) j1, (byte) j2, 0x1B, '(', 'B'};
                String expected = new String(b, jdk);
                if (expected.indexOf('\uFFFD') < 0) {
                    assertThat(TextDecoding.decode(b, "iso-2022-jp"))
                            .as("0x%02X%02X", j1, j2)
                            .isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void aLineEndWithoutTheReturnToAsciiDoesNotTurnTheNextLineToKanji() {
        byte[] kanji = "会議".getBytes(Charset.forName("ISO-2022-JP")); // ESC $ B ... ESC ( B
        byte[] open = java.util.Arrays.copyOf(kanji, kanji.length - 3); // without its ESC ( B
        assertThat(TextDecoding.decode(concat(open, ascii("\r\nend of line\r\n")), "iso-2022-jp"))
                .isEqualTo("会議\r\nend of line\r\n");
        assertThat(TextDecoding.decode(concat(open, ascii("\r\nOK\r\n")), "iso-2022-jp"))
                .isEqualTo("会議\r\nOK\r\n");
        // a mailer that goes on in kanji on the next line without a new escape is read as it meant
        byte[] next = "のお知らせ".getBytes(Charset.forName("ISO-2022-JP"));
        byte[] nextBare = java.util.Arrays.copyOfRange(next, 3, next.length);
        assertThat(TextDecoding.decode(concat(open, ascii("\r\n"), nextBare), "iso-2022-jp"))
                .isEqualTo("会議\r\nのお知らせ");
        // a run of line ends is decided once, by the line after it (each line end of the run looked at that line)
        String run = "\r\n\n\r\r\n".repeat(1000);
        assertThat(TextDecoding.decode(concat(open, ascii(run), nextBare), "iso-2022-jp"))
                .isEqualTo("会議" + run + "のお知らせ");
        assertThat(TextDecoding.decode(concat(open, ascii(run + "OK\r\n")), "iso-2022-jp"))
                .isEqualTo("会議" + run + "OK\r\n");
    }

    @Test
    void katakanaOnlyJisIsRecognisedWithoutALabel() {
        byte[] kana = concat(ascii("\u001b(I"), ascii("123"), ascii("\u001b(B"), ascii(" ok"));
        assertThat(TextDecoding.hasJisEscape(kana)).isTrue();
        assertThat(TextDecoding.decode(kana, null)).isEqualTo("ｱｲｳ ok");
        // SO/SI katakana, as CP50222 writes it
        assertThat(TextDecoding.decode(concat(ascii("a\u000e123\u000fb")), "iso-2022-jp"))
                .isEqualTo("aｱｲｳb");
    }

    @Test
    void brokenEscapesAndEightBitBytesBecomeReplacementCharacters() {
        assertThat(TextDecoding.decode(ascii("\u001b[31mred"), "iso-2022-jp")).isEqualTo("\uFFFD[31mred");
        assertThat(TextDecoding.decode(ascii("\u001b$B2"), "iso-2022-jp")).isEqualTo("\uFFFD");
    }

    @Test
    void utf7IsDecoded() {
        // RFC 2152's examples; the JDK has no UTF-7, and its bytes were read as ASCII ("+ZeVnLIqe-")
        assertThat(TextDecoding.decode(ascii("+ZeVnLIqe-"), "utf-7")).isEqualTo("日本語");
        assertThat(TextDecoding.decode(ascii("Hi Mom -+Jjo--!"), "UTF-7")).isEqualTo("Hi Mom -☺-!");
        assertThat(TextDecoding.decode(ascii("A+ImIDkQ."), "utf-7")).isEqualTo("A≢Α.");
        assertThat(TextDecoding.decode(ascii("1 +- 1"), "utf-7")).isEqualTo("1 + 1");
        String subject = "会議のお知らせ";
        String word = "=?utf-7?B?" + Base64.getEncoder().encodeToString(ascii("+TxqLcDBuMEp35TCJMFs-")) + "?=";
        assertThat(TextDecoding.decodeHeader(word)).isEqualTo(subject);
        // 8-bit bytes cannot be UTF-7: sniffed as under any 7-bit label
        assertThat(TextDecoding.decode(subject.getBytes(StandardCharsets.UTF_8), "utf-7"))
                .isEqualTo(subject);
        // a cut code unit
        assertThat(TextDecoding.decode(ascii("+ZeV-x"), "utf-7")).isEqualTo("日\uFFFDx");
    }

    @Test
    void eucJpLabelledShiftJisAndShiftJisLabelledEucJpAreReadAsWhatTheyAre() {
        String prose = "会議のお知らせです。明日の午前十時から第三会議室で打ち合わせを行います。";
        String shortText = "未承諾広告※出会い";
        Charset euc = Charset.forName("EUC-JP");
        Charset sjis = Charset.forName("windows-31j");
        for (String text : java.util.List.of(prose, shortText, "会議のお知らせ")) {
            assertThat(TextDecoding.decode(text.getBytes(euc), "Shift_JIS"))
                    .as(text)
                    .isEqualTo(text);
            assertThat(TextDecoding.decode(text.getBytes(sjis), "EUC-JP"))
                    .as(text)
                    .isEqualTo(text);
            assertThat(TextDecoding.decode(text.getBytes(sjis), "Shift_JIS"))
                    .as(text)
                    .isEqualTo(text);
            assertThat(TextDecoding.decode(text.getBytes(euc), "euc-jp"))
                    .as(text)
                    .isEqualTo(text);
        }
        // half-width katakana in Shift_JIS (old phones) may be valid EUC-JP too, as kanji: it stays Shift_JIS
        for (String kana : java.util.List.of("ｺﾝﾆﾁﾊ", "ﾃｽﾄ､ｵﾈｶﾞｲｼﾏｽ", "ｱｲｳｴｵｶｷｸｹｺ")) {
            assertThat(TextDecoding.decode(kana.getBytes(sjis), "Shift_JIS"))
                    .as(kana)
                    .isEqualTo(kana);
        }
    }
}
