package org.mailhygiene.scanners.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.scanners.TestMessages;
import org.mailhygiene.scanners.attachments.AttachmentPolicyScanner;
import org.mailhygiene.scanners.builtin.SignatureScanner;

/**
 * Issue 12: base64 with missing padding or lines of varying length, and quoted-printable with stray {@code =}, are
 * displayed by mail clients (and decoded by Jakarta Mail's lenient mode) but made our scans fail (TEMPFAIL). They are
 * decoded leniently now, the repair is reported as a finding, and what decodes is scanned.
 */
class LenientDecodingTest {

    private static byte[] decodeBase64(byte[] encoded, int chunk, List<String> repairs) throws IOException {
        try (LenientDecoding.Base64 d = new LenientDecoding.Base64(new ByteArrayInputStream(encoded))) {
            byte[] out = readInChunks(d, chunk);
            repairs.addAll(d.repairs());
            return out;
        }
    }

    private static byte[] decodeQp(byte[] encoded, int chunk, List<String> repairs) throws IOException {
        try (LenientDecoding.QuotedPrintable d =
                new LenientDecoding.QuotedPrintable(new ByteArrayInputStream(encoded))) {
            byte[] out = readInChunks(d, chunk);
            repairs.addAll(d.repairs());
            return out;
        }
    }

    private static byte[] readInChunks(InputStream in, int chunk) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[chunk];
        while (true) {
            int n = chunk == 1 ? singleRead(in, buf) : in.read(buf, 0, chunk);
            if (n < 0) {
                return out.toByteArray();
            }
            assertThat(n)
                    .as("a read of %d bytes returns something or the end", chunk)
                    .isPositive();
            out.write(buf, 0, n);
        }
    }

    private static int singleRead(InputStream in, byte[] buf) throws IOException {
        int b = in.read();
        if (b < 0) {
            return -1;
        }
        buf[0] = (byte) b;
        return 1;
    }

    /** Base64 of {@code data}, padding dropped or kept, broken into lines of random lengths with CRLF or LF. */
    private static byte[] sloppyBase64(byte[] data, long seed, boolean keepPadding) {
        String b64 = Base64.getEncoder().encodeToString(data);
        if (!keepPadding) {
            b64 = b64.replace("=", "");
        }
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < b64.length()) {
            int line = 1 + r.nextInt(90);
            sb.append(b64, i, Math.min(b64.length(), i + line));
            sb.append(r.nextBoolean() ? "\r\n" : "\n");
            i += line;
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void base64WithArbitraryLineBreaksAndMissingPaddingDecodesToTheOriginal() {
        qt().withExamples(500)
                .forAll(
                        lists().of(integers().between(0, 255)).ofSizeBetween(0, 600),
                        integers().all(),
                        integers().between(1, 70),
                        integers().between(0, 1))
                .checkAssert((ints, seed, chunk, pad) -> {
                    byte[] data = new byte[ints.size()];
                    for (int i = 0; i < data.length; i++) {
                        data[i] = (byte) (int) ints.get(i);
                    }
                    List<String> repairs = new ArrayList<>();
                    byte[] decoded;
                    try {
                        decoded = decodeBase64(sloppyBase64(data, seed, pad == 1), chunk, repairs);
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                    assertThat(decoded).isEqualTo(data);
                    if (pad == 0 && data.length % 3 != 0) {
                        assertThat(repairs).contains("missing padding");
                    }
                });
    }

    @Test
    void base64Oddities() throws IOException {
        List<String> repairs = new ArrayList<>();
        assertThat(decodeBase64(ascii("QQ==\r\nQkM=\r\n"), 64, repairs)).isEqualTo(ascii("ABC"));
        assertThat(repairs).containsExactly("data after padding (separately encoded pieces joined)");
        repairs.clear();
        assertThat(decodeBase64(ascii("QU*JD\r\nR"), 64, repairs)).isEqualTo(ascii("ABC"));
        assertThat(repairs)
                .containsExactly(
                        "characters outside the base64 alphabet skipped",
                        "a lone base64 character (no whole byte) dropped");
        repairs.clear();
        assertThat(decodeBase64(ascii("QUJD\r\nQUJD\r\n"), 64, repairs)).isEqualTo(ascii("ABCABC"));
        assertThat(repairs).isEmpty();
        assertThat(decodeBase64(ascii("QUJDQUJD\r\nQUJD\r\nQUJD\r\n"), 64, repairs))
                .isEqualTo(ascii("ABCABCABCABC"));
        assertThat(repairs).containsExactly("lines of varying length");
    }

    /** Quoted-printable of {@code data}: unsafe bytes as =XX (either case), soft breaks at random places. */
    private static byte[] quotedPrintable(byte[] data, long seed) {
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder();
        int column = 0;
        for (byte value : data) {
            int b = value & 0xff;
            String piece;
            if (b >= 33 && b <= 126 && b != '=') {
                piece = String.valueOf((char) b);
            } else {
                piece = String.format(r.nextBoolean() ? "=%02X" : "=%02x", b);
            }
            if (column + piece.length() > 1 + r.nextInt(75)) {
                sb.append(r.nextBoolean() ? "=\r\n" : "=  \n");
                column = 0;
            }
            sb.append(piece);
            column += piece.length();
        }
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void quotedPrintableDecodesToTheOriginal() {
        qt().withExamples(500)
                .forAll(
                        lists().of(integers().between(0, 255)).ofSizeBetween(0, 600),
                        integers().all(),
                        integers().between(1, 70))
                .checkAssert((ints, seed, chunk) -> {
                    byte[] data = new byte[ints.size()];
                    for (int i = 0; i < data.length; i++) {
                        data[i] = (byte) (int) ints.get(i);
                    }
                    List<String> repairs = new ArrayList<>();
                    try {
                        assertThat(decodeQp(quotedPrintable(data, seed), chunk, repairs))
                                .isEqualTo(data);
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                    assertThat(repairs).isEmpty();
                });
    }

    @Test
    void quotedPrintableOddities() throws IOException {
        List<String> repairs = new ArrayList<>();
        assertThat(decodeQp(ascii("a=ZZb =4 =\r\nc  \r\nd="), 64, repairs)).isEqualTo(ascii("a=ZZb =4 c\r\nd="));
        assertThat(repairs).containsExactly("'=' not followed by two hex digits kept as it is");
        repairs.clear();
        String blanks = " ".repeat(5_000);
        assertThat(decodeQp(ascii("x" + blanks + "y\r\n"), 7, repairs)).isEqualTo(ascii("x" + blanks + "y\r\n"));
    }

    private static byte[] message(String encoding, String body) {
        return ("From: a@example.org\r\nSubject: sloppy\r\nMIME-Version: 1.0\r\n"
                        + "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
                        + "--B\r\nContent-Type: application/octet-stream; name=\"data.bin\"\r\n"
                        + "Content-Transfer-Encoding: " + encoding + "\r\n\r\n" + body + "\r\n--B--\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String unpaddedBase64(byte[] data) {
        String b64 = Base64.getEncoder().encodeToString(data).replace("=", "");
        // varying line lengths in one part, as hand-made or truncated encoders produce
        return b64.substring(0, 10) + "\r\n" + b64.substring(10, 47) + "\r\n" + b64.substring(47);
    }

    @Test
    void eicarInABadlyPaddedBase64PartIsFoundAndTheRepairReported() throws Exception {
        byte[] eicar = TestMessages.eicar().getBytes(StandardCharsets.US_ASCII);
        assertThat(eicar.length % 3)
                .as("the unpadded encoding really misses padding")
                .isNotZero();
        byte[] m = message("base64", unpaddedBase64(eicar));
        assertThat(SignatureScanner.create().scan(Message.of(m)).outcome()).isEqualTo(Outcome.INFECTED);
        List<MimeFinding> findings = MimeWalker.defaults()
                .walk(MessageContent.ofBytes(m), (PartInfo p, InputStream in) -> {
                    in.readAllBytes();
                    return true;
                })
                .findings();
        assertThat(findings).extracting(MimeFinding::kind).containsExactly(MimeFinding.Kind.REPAIRED_ENCODING);
        assertThat(findings.get(0).path()).isEqualTo("2");
        assertThat(findings.get(0).detail()).contains("missing padding");
    }

    @Test
    void aCleanBadlyPaddedPartGetsVerdictsNotFailures() throws Exception {
        byte[] m = message("base64", unpaddedBase64(ascii("just some harmless bytes, 41 of them.....")));
        assertThat(SignatureScanner.create().scan(Message.of(m)).outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(AttachmentPolicyScanner.create().scan(Message.of(m)).outcome())
                .isEqualTo(Outcome.CLEAN);
        byte[] qp = message("quoted-printable", "a=ZZ broken =\r\nescape =4");
        assertThat(SignatureScanner.create().scan(Message.of(qp)).outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(AttachmentPolicyScanner.create().scan(Message.of(qp)).outcome())
                .isEqualTo(Outcome.CLEAN);
    }

    @Test
    void eicarInQuotedPrintableWithOddEscapesIsFound() throws Exception {
        String e = TestMessages.eicar().replace("P", "=50").replace("*", "=2a"); // either case of hex
        byte[] m = message("quoted-printable", "=ZZ\r\n" + e);
        assertThat(SignatureScanner.create().scan(Message.of(m)).outcome()).isEqualTo(Outcome.INFECTED);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
