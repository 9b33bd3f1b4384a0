package org.mailhygiene.scanners.bayes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.arrays;
import static org.quicktheories.generators.SourceDSL.integers;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.Verdict;

/**
 * A short message scored as spam on its header and structure alone, holding nothing spam is carried by, is clean
 * ({@code BAYES_NO_SPAM_CONTENT}); each thing spam could be carried by makes it spam again. The messages are written
 * here after the shape of Japanese mobile decoration mail (an HTML part showing one pictogram, a few words); the
 * default model scores that shape as image spam.
 */
class NoSpamContentTest {

    private static BayesScanner scanner;

    @BeforeAll
    static void loadDefaultModel() throws Exception {
        scanner = BayesScanner.create(BayesModels.loadDefault());
    }

    /** A GIF header of the given size (the pixels do not matter to the test, only the header). */
    static byte[] gif(int width, int height) {
        byte[] b = new byte[26];
        System.arraycopy("GIF89a".getBytes(StandardCharsets.US_ASCII), 0, b, 0, 6);
        b[6] = (byte) width;
        b[7] = (byte) (width >> 8);
        b[8] = (byte) height;
        b[9] = (byte) (height >> 8);
        b[25] = ';';
        return b;
    }

    /** A PNG signature and IHDR chunk of the given size. */
    static byte[] png(int width, int height) {
        byte[] b = new byte[33];
        byte[] sig = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
        System.arraycopy(sig, 0, b, 0, sig.length);
        for (int i = 0; i < 4; i++) {
            b[16 + i] = (byte) (width >>> (24 - 8 * i));
            b[20 + i] = (byte) (height >>> (24 - 8 * i));
        }
        return b;
    }

    /**
     * A decoration mail: a plain and an HTML alternative with {@code text}, the HTML showing the images, each attached
     * as a related part; {@code extra} is one more part of the outer multipart (or empty).
     */
    static Message decoration(String subject, String text, String htmlExtra, String extra, byte[]... images) {
        StringBuilder m = new StringBuilder();
        m.append("From: hanako@mobile.example.jp\r\nTo: taro@example.jp\r\nSubject: ")
                .append(subject)
                .append("\r\nDate: Tue, 01 Dec 2026 10:00:00 +0900\r\nMessage-ID: <deco1@mobile.example.jp>\r\n")
                .append("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n")
                .append("--outer\r\nContent-Type: multipart/related; boundary=\"rel\"\r\n\r\n")
                .append("--rel\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n")
                .append("--alt\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
                .append(b64(text.getBytes(StandardCharsets.UTF_8)))
                .append("--alt\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
        StringBuilder html = new StringBuilder("<html><body><div align=\"center\">").append(text);
        for (int i = 0; i < images.length; i++) {
            html.append("<img src=\"cid:pic").append(i).append("@mobile.example.jp\">");
        }
        html.append(htmlExtra).append("</div></body></html>");
        m.append(b64(html.toString().getBytes(StandardCharsets.UTF_8))).append("--alt--\r\n");
        for (int i = 0; i < images.length; i++) {
            boolean isPng = images[i][1] == 'P';
            m.append("--rel\r\nContent-Type: image/")
                    .append(isPng ? "png" : "gif")
                    .append("; name=\"pic")
                    .append(i)
                    .append(isPng ? ".png" : ".gif")
                    .append("\"\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <pic")
                    .append(i)
                    .append("@mobile.example.jp>\r\n\r\n")
                    .append(b64(images[i]));
        }
        m.append("--rel--\r\n").append(extra).append("--outer--\r\n");
        return Message.of(m.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static String b64(byte[] b) {
        return Base64.getMimeEncoder().encodeToString(b) + "\r\n";
    }

    private static Message plainDecoration(String text, byte[]... images) {
        return decoration("テスト", text, "", "", images);
    }

    private static Verdict scan(Message m) throws Exception {
        Verdict v = scanner.scan(m);
        assertThat(scanner.judge(m).spam()).as("judge agrees with scan: " + v).isEqualTo(v.outcome() == Outcome.SPAM);
        return v;
    }

    private static boolean freed(Verdict v) {
        return v.rules().stream().map(Rule::name).anyMatch(NoSpamContent.RULE::equals);
    }

    @Test
    void aShortDecorationMailWithOnePictogramIsCleanAndSaysWhyDespiteItsScore() throws Exception {
        Verdict v = scan(plainDecoration("テストです", gif(20, 20)));
        assertThat(v.score().getAsDouble())
                .as("the default model scores the shape as image spam")
                .isGreaterThanOrEqualTo(v.threshold().getAsDouble());
        assertThat(v.outcome()).as(v.toString()).isEqualTo(Outcome.CLEAN);
        Rule rule = v.rules().stream()
                .filter(r -> r.name().equals(NoSpamContent.RULE))
                .findFirst()
                .orElseThrow();
        assertThat(rule.description()).contains("no spam clue", "1 icon", "header and structure alone");
        assertThat(v.rules().stream().map(Rule::name)).doesNotContain("BAYES_UNSURE");
    }

    @Test
    void iconsUpToTheLimitInEitherFormatStayClean() throws Exception {
        byte[][] ten = new byte[10][];
        for (int i = 0; i < ten.length; i++) {
            ten[i] = i % 2 == 0 ? gif(32, 1) : png(1, 32);
        }
        Verdict v = scan(plainDecoration("テストです", ten));
        assertThat(v.score().getAsDouble()).isGreaterThanOrEqualTo(v.threshold().getAsDouble());
        assertThat(v.outcome()).as(v.toString()).isEqualTo(Outcome.CLEAN);
        assertThat(freed(v)).isTrue();
    }

    @Test
    void eachThingSpamIsCarriedByMakesItSpamAgain() throws Exception {
        byte[][] eleven = new byte[11][];
        java.util.Arrays.fill(eleven, gif(20, 20));
        StringBuilder manyWords = new StringBuilder();
        for (int i = 0; i < 21; i++) {
            manyWords.append("qzvx").append((char) ('a' + i)).append("wyk ");
        }
        String pdf =
                "--outer\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                        + b64("%PDF-1.4\n".getBytes(StandardCharsets.US_ASCII));
        Message[] spam = {
            plainDecoration("テストです", gif(33, 20)), // a picture, not an icon
            plainDecoration("テストです", gif(20, 20), png(20, 400)),
            plainDecoration("テストです", "GIF89a".getBytes(StandardCharsets.US_ASCII)), // no size to read
            plainDecoration("テストです", eleven), // icons enough to tile a picture
            decoration("テスト", "テストです", "<a href=\"http://offer.example.com/\">.</a>", "", gif(20, 20)),
            decoration("テスト", "テストです", "<form action=\"http://x.example/\"></form>", "", gif(20, 20)),
            decoration("テスト", "テストです", "", pdf, gif(20, 20)),
            decoration("", "", "", "", gif(20, 20)), // not one word: the header's score stands
            plainDecoration(manyWords.toString(), gif(20, 20)), // words the model does not know, too many of them
            plainDecoration("viagra テストです", gif(20, 20)), // a word the model counts as a spam clue
        };
        for (Message m : spam) {
            Verdict v = scan(m);
            assertThat(v.score().getAsDouble())
                    .isGreaterThanOrEqualTo(v.threshold().getAsDouble());
            assertThat(v.outcome())
                    .as(new String(m.content().openStream().readAllBytes(), StandardCharsets.UTF_8) + "\n" + v)
                    .isEqualTo(Outcome.SPAM);
            assertThat(freed(v)).isFalse();
        }
    }

    @Test
    void aCleanVerdictNeedsNoFreeing() throws Exception {
        Verdict v = scan(org.mailhygiene.testkit.SampleMessages.cleanMessage());
        assertThat(v.outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(freed(v))
                .as("the test runs only for a score at the threshold")
                .isFalse();
    }

    @Test
    void iconHeadersAreReadExactly() {
        qt().forAll(integers().between(0, 70_000), integers().between(0, 70_000))
                .checkAssert((w, h) -> {
                    boolean icon = w >= 1 && w <= 32 && h >= 1 && h <= 32;
                    boolean gifSized = w <= 0xffff && h <= 0xffff;
                    if (gifSized) {
                        assertThat(NoSpamContent.isIcon(gif(w, h))).isEqualTo(icon);
                    }
                    assertThat(NoSpamContent.isIcon(png(w, h))).isEqualTo(icon);
                });
        assertThat(NoSpamContent.isIcon(png(-1, 20)))
                .as("a PNG width over 2^31")
                .isFalse();
        assertThat(NoSpamContent.isIcon(new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff, 0}))
                .as("a JPEG: no size read, not an icon")
                .isFalse();
    }

    @Test
    void anyHeadIsReadWithoutFailing() {
        qt().forAll(arrays().ofIntegers(integers().between(0, 255)).withLengthBetween(0, 40))
                .checkAssert(ints -> {
                    byte[] b = new byte[ints.length];
                    for (int i = 0; i < b.length; i++) {
                        b[i] = (byte) (int) ints[i];
                    }
                    NoSpamContent.isIcon(b);
                    if (b.length >= 3) {
                        b[0] = 'G';
                        b[1] = 'I';
                        b[2] = 'F';
                        NoSpamContent.isIcon(b);
                    }
                });
    }
}
