package org.mailhygiene.smtp.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link SevenBitConverter}: generated MIME trees with 8-bit parts come out 7 bit, with lines of at most 998 octets,
 * and every leaf decodes (by Jakarta Mail) to the bytes it had; malformed structure loses nothing.
 */
class SevenBitConverterTest {
    private static final Session SESSION = Session.getInstance(new Properties());

    static byte[] convert(byte[] in) throws IOException {
        SevenBitConverter.Plan plan = SevenBitConverter.analyse(new ByteArrayInputStream(in));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long n = SevenBitConverter.convert(new ByteArrayInputStream(in), plan, out);
        assertThat(n).isEqualTo(out.size());
        return out.toByteArray();
    }

    static SevenBitConverter.Plan plan(byte[] in) throws IOException {
        return SevenBitConverter.analyse(new ByteArrayInputStream(in));
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String s(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    // ---- generated trees -------------------------------------------------------------------------------------

    /** A generated entity: its bytes, and the content of its leaves in order. */
    record Gen(byte[] bytes, List<byte[]> leaves) {}

    static final String[] TEXT = {"text/plain; charset=utf-8", "text/html; charset=\"utf-8\"", "text/x-other"};
    static final String[] OTHER = {"application/octet-stream", "image/png", "application/pdf; name=\"a.pdf\""};
    static final String[] CTE = {null, "7bit", "8bit", "binary", "8BIT"};

    static byte[] content(Random r, boolean eightBit, boolean binaryLike) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        int lines = r.nextInt(8);
        for (int l = 0; l < lines; l++) {
            if (l > 0) {
                o.write('\r');
                o.write('\n');
            }
            int len = r.nextInt(10) == 0 ? r.nextInt(3000) : r.nextInt(90);
            if (!eightBit) {
                len = Math.min(len, 200);
            }
            for (int i = 0; i < len; i++) {
                int c;
                int k = r.nextInt(20);
                if (eightBit && k < 4) {
                    c = 0x80 + r.nextInt(128);
                } else if (k == 4) {
                    c = ' ';
                } else if (k == 5) {
                    c = '=';
                } else if (k == 6) {
                    c = i == 0 ? '.' : '\t';
                } else if (binaryLike && eightBit && k == 7) {
                    c = 0;
                } else {
                    c = 33 + r.nextInt(94);
                }
                o.write(c);
            }
            if (r.nextInt(6) == 0) {
                o.write(' '); // trailing white space must survive
            }
        }
        if (eightBit && o.size() == 0) {
            o.write(0xc3);
            o.write(0xa9);
        }
        return o.toByteArray();
    }

    static Gen entity(Random r, int depth, boolean top) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        List<byte[]> leaves = new ArrayList<>();
        StringBuilder h = new StringBuilder();
        if (top) {
            h.append("From: a@x.org\r\nSubject: generated\r\nMIME-Version: 1.0\r\n");
        } else if (r.nextBoolean()) {
            h.append("Content-Disposition: inline\r\n");
        }
        int kind = depth >= 4 ? 0 : r.nextInt(top ? 3 : 4);
        if (kind == 1 || kind == 3 && depth < 3) {
            String boundary = "=_b" + depth + "_" + Long.toHexString(r.nextLong());
            h.append("Content-Type: multipart/")
                    .append(r.nextBoolean() ? "mixed" : "alternative")
                    .append(";\r\n boundary=\"")
                    .append(boundary)
                    .append("\"\r\n");
            if (r.nextBoolean()) {
                h.append("Content-Transfer-Encoding: ")
                        .append(r.nextBoolean() ? "8bit" : "7bit")
                        .append("\r\n");
            }
            h.append("\r\n");
            o.writeBytes(b(h.toString()));
            if (r.nextBoolean()) {
                o.writeBytes(b("This is a multi-part message in MIME format.\r\n"));
            }
            int parts = 1 + r.nextInt(4);
            for (int i = 0; i < parts; i++) {
                o.writeBytes(b("--" + boundary + (r.nextInt(5) == 0 ? "  " : "") + "\r\n"));
                Gen g = entity(r, depth + 1, false);
                o.writeBytes(g.bytes());
                o.writeBytes(b("\r\n"));
                leaves.addAll(g.leaves());
            }
            o.writeBytes(b("--" + boundary + "--\r\n"));
            if (r.nextBoolean()) {
                o.writeBytes(b("epilogue\r\n"));
            }
            return new Gen(o.toByteArray(), leaves);
        }
        if (kind == 2) {
            h.append("Content-Type: message/rfc822\r\n");
            if (r.nextBoolean()) {
                h.append("Content-Transfer-Encoding: 8bit\r\n");
            }
            h.append("\r\n");
            o.writeBytes(b(h.toString()));
            Gen inner = entity(r, depth + 1, true);
            o.writeBytes(inner.bytes());
            return new Gen(o.toByteArray(), inner.leaves());
        }
        boolean text = r.nextBoolean();
        String type = text ? TEXT[r.nextInt(TEXT.length)] : OTHER[r.nextInt(OTHER.length)];
        if (!(top && r.nextInt(4) == 0)) {
            h.append("Content-Type: ").append(type).append("\r\n");
        }
        String cte = CTE[r.nextInt(CTE.length)];
        boolean eight = r.nextInt(3) > 0;
        if (!eight && cte == null) {
            cte = "7bit";
        }
        if (cte != null) {
            h.append(r.nextBoolean() ? "Content-Transfer-Encoding: " : "Content-Transfer-Encoding:\r\n\t")
                    .append(cte)
                    .append("\r\n");
        }
        if (r.nextBoolean()) {
            h.append("X-After: kept\r\n");
        }
        h.append("\r\n");
        byte[] c = content(r, eight, !text || r.nextInt(4) == 0);
        o.writeBytes(b(h.toString()));
        o.writeBytes(c);
        leaves.add(c);
        return new Gen(o.toByteArray(), leaves);
    }

    static List<byte[]> decodedLeaves(byte[] message) throws Exception {
        MimeMessage m = new MimeMessage(SESSION, new ByteArrayInputStream(message));
        List<byte[]> out = new ArrayList<>();
        walk(m, out);
        return out;
    }

    static void walk(Part p, List<byte[]> out) throws Exception {
        if (p.isMimeType("multipart/*")) {
            Multipart mp = (Multipart) p.getContent();
            for (int i = 0; i < mp.getCount(); i++) {
                BodyPart bp = mp.getBodyPart(i);
                walk(bp, out);
            }
        } else if (p.isMimeType("message/rfc822")) {
            walk((Part) p.getContent(), out);
        } else {
            try (InputStream in = p.getInputStream()) {
                out.add(in.readAllBytes());
            }
        }
    }

    static void assertSevenBitAndShortLines(byte[] out) {
        int line = 0;
        for (int i = 0; i < out.length; i++) {
            assertThat(out[i]).as("octet %d is 7 bit", i).isGreaterThanOrEqualTo((byte) 0);
            assertThat(out[i]).as("no NUL at %d", i).isNotEqualTo((byte) 0);
            if (out[i] == '\r' && i + 1 < out.length && out[i + 1] == '\n') {
                line = 0;
                i++;
            } else {
                assertThat(out[i]).as("no bare CR or LF at %d", i).isNotIn((byte) '\r', (byte) '\n');
                line++;
                assertThat(line).as("line length at %d", i).isLessThanOrEqualTo(998);
            }
        }
    }

    @Test
    void generatedMimeTreesComeOutSevenBitAndDecodeToTheSameBytes() {
        qt().withExamples(400).forAll(longs().all()).checkAssert(seed -> {
            try {
                Random r = new Random(seed);
                Gen g = entity(r, 0, true);
                byte[] out = convert(g.bytes());
                assertSevenBitAndShortLines(out);
                List<byte[]> got = decodedLeaves(out);
                assertThat(got).hasSameSizeAs(g.leaves());
                for (int i = 0; i < got.size(); i++) {
                    assertThat(got.get(i))
                            .as("leaf %d of seed %d", i, seed)
                            .isEqualTo(g.leaves().get(i));
                }
                // the original, parsed the same way, has the same leaves: the generator is what Jakarta Mail reads
                List<byte[]> before = decodedLeaves(g.bytes());
                for (int i = 0; i < before.size(); i++) {
                    assertThat(before.get(i)).isEqualTo(g.leaves().get(i));
                }
                // converting again changes nothing
                SevenBitConverter.Plan again = plan(out);
                assertThat(again.converted()).isZero();
                assertThat(again.residual()).isNull();
            } catch (Exception e) {
                throw new AssertionError("seed " + seed, e);
            }
        });
    }

    // ---- examples --------------------------------------------------------------------------------------------

    @Test
    void anEightBitTextPartBecomesQuotedPrintableWithItsHeaderUpdatedAndTheRestUntouched() throws Exception {
        String in = "From: a@x.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
                + "preamble\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
                + "X-Keep: yes\r\n\r\ncaf\u00e9 = ok \r\n.dot\r\n--XX\r\nContent-Type: text/plain\r\n\r\nascii\r\n"
                + "--XX--\r\nepilogue\r\n";
        String out = s(convert(b(in)));
        assertThat(out)
                .isEqualTo("From: a@x.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
                        + "preamble\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\nX-Keep: yes\r\n"
                        + "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 =3D ok=20\r\n.dot\r\n"
                        + "--XX\r\nContent-Type: text/plain\r\n\r\nascii\r\n--XX--\r\nepilogue\r\n");
    }

    @Test
    void anEightBitAttachmentBecomesBase64() throws Exception {
        byte[] data = {1, (byte) 0xff, 0, 'a', '\r', '\n', (byte) 0x80};
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(b("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b b\"\r\n\r\n--b b\r\n"
                + "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n"));
        o.writeBytes(data);
        o.writeBytes(b("\r\n--b b--\r\n"));
        byte[] out = convert(o.toByteArray());
        assertThat(s(out)).contains("Content-Transfer-Encoding: base64\r\n\r\nAf8AYQ0KgA==\r\n--b b--");
        assertThat(decodedLeaves(out).get(0)).isEqualTo(data);
    }

    @Test
    void aMessageWithoutMimeFieldsGetsThemAsRfc1428Says() throws Exception {
        String in = "From: a@x.org\r\nSubject: old\r\n\r\nGr\u00fc\u00dfe\r\n";
        byte[] out = convert(b(in));
        assertThat(s(out))
                .isEqualTo("From: a@x.org\r\nSubject: old\r\nMIME-Version: 1.0\r\n"
                        + "Content-Type: text/plain; charset=unknown-8bit\r\n"
                        + "Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC=C3=9Fe\r\n");
        assertThat(decodedLeaves(out).get(0)).isEqualTo(b("Gr\u00fc\u00dfe\r\n"));
    }

    @Test
    void aContentTypeWithoutMimeVersionGetsMimeVersionWhenConverted() throws Exception {
        byte[] out = convert(b("Content-Type: text/plain; charset=latin1\r\n\r\n\u00e9\r\n"));
        assertThat(s(out))
                .isEqualTo("Content-Type: text/plain; charset=latin1\r\nMIME-Version: 1.0\r\n"
                        + "Content-Transfer-Encoding: quoted-printable\r\n\r\n=C3=A9\r\n");
    }

    @Test
    void anEncapsulatedMessageIsConvertedInsideRelabelledSevenBitAndGivenMimeVersion() throws Exception {
        String in = "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;"
                + " boundary=R\r\n\r\n--R\r\nContent-Type: text/plain\r\n\r\nreport\r\n--R\r\n"
                + "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                + "Subject: inner\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
                + "\r\nna\u00efve\r\n--R--\r\n";
        byte[] out = convert(b(in));
        assertThat(s(out))
                .contains("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 7bit\r\n\r\nSubject: inner\r\n"
                        + "Content-Type: text/plain; charset=utf-8\r\nMIME-Version: 1.0\r\n"
                        + "Content-Transfer-Encoding: quoted-printable\r\n\r\nna=C3=AFve\r\n--R--");
        assertSevenBitAndShortLines(out);
    }

    @Test
    void eightBitHeaderFieldsStayAndKeepTheEnclosingLabel() throws Exception {
        String in = "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=R\r\n\r\n--R\r\n"
                + "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                + "Subject: \u00fcber\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\u00fcber\r\n--R--\r\n";
        SevenBitConverter.Plan p = plan(b(in));
        assertThat(p.converted()).isEqualTo(1);
        assertThat(p.residual()).startsWith("a header field");
        String out = s(convert(b(in)));
        // the inner message keeps its 8-bit header, so its part stays labelled 8bit; its body is converted
        assertThat(out)
                .contains(
                        "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n\r\nSubject: \u00fcber\r\n")
                .contains("Content-Transfer-Encoding: quoted-printable\r\n\r\n=C3=BCber\r\n--R--");
    }

    @Test
    void aLongEightBitLineIsSoftBrokenAndAHugeOneIsHandledInPieces() throws Exception {
        byte[] line = new byte[3 * SevenBitConverter.PIECE + 17];
        Arrays.fill(line, (byte) 0xe9);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(b("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=latin1\r\n\r\n"));
        o.writeBytes(line);
        o.writeBytes(b("\r\nend\r\n"));
        byte[] out = convert(o.toByteArray());
        assertSevenBitAndShortLines(out);
        byte[] expected = new byte[line.length + 7];
        System.arraycopy(line, 0, expected, 0, line.length);
        System.arraycopy(b("\r\nend\r\n"), 0, expected, line.length, 7);
        assertThat(decodedLeaves(out).get(0)).isEqualTo(expected);
    }

    /** RFC 6532 §3.5 lets message/global be encoded, unlike message/rfc822: it is a leaf here. */
    @Test
    void aMessageGlobalPartIsEncodedAsALeaf() throws Exception {
        String in = "MIME-Version: 1.0\r\nContent-Type: multipart/report; boundary=R\r\n\r\n--R\r\n"
                + "Content-Type: message/global\r\n\r\nSubject: \u00fcber\r\n\r\nx\r\n--R--\r\n";
        String out = s(convert(b(in)));
        assertThat(out)
                .isEqualTo("MIME-Version: 1.0\r\nContent-Type: multipart/report; boundary=R\r\n\r\n--R\r\n"
                        + "Content-Type: message/global\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                        + "Subject: =C3=BCber\r\n\r\nx\r\n--R--\r\n");
        assertSevenBitAndShortLines(b(out));
    }

    /** A soft line break right before "--XX" in a long line would make a line that reads as the boundary. */
    @Test
    void aSoftBreakNeverStartsALineWithTwoDashes() throws Exception {
        String line = "\u00e9" + "a".repeat(69) + "--XX--tail";
        String in = "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + line + "\r\n--XX\r\n\r\nsecond\r\n--XX--\r\n";
        byte[] out = convert(b(in));
        assertThat(s(out)).contains("=\r\n=2D-XX--tail\r\n").doesNotContain("\n--XX--tail");
        List<byte[]> leaves = decodedLeaves(out);
        assertThat(leaves).hasSize(2);
        assertThat(s(leaves.get(0))).isEqualTo(line);
        assertThat(s(leaves.get(1))).isEqualTo("second");
    }

    @Test
    void aTextPartWithNulOctetsBecomesBase64() throws Exception {
        String in = "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\na\u0000\u00e9\r\n";
        String out = s(convert(b(in)));
        assertThat(out).contains("Content-Transfer-Encoding: base64\r\n");
        assertThat(decodedLeaves(b(out)).get(0)).isEqualTo(b("a\u0000\u00e9\r\n"));
    }

    @Test
    void bareLineEndsBecomeCrlfAsTheDotStufferMakesThem() throws Exception {
        String in = "MIME-Version: 1.0\nContent-Type: text/plain\n\nx\u00e9\ry\n";
        assertThat(s(convert(b(in))))
                .isEqualTo("MIME-Version: 1.0\r\nContent-Type: text/plain\r\n"
                        + "Content-Transfer-Encoding: quoted-printable\r\n\r\nx=C3=A9\r\ny\r\n");
    }

    // ---- malformed structure: nothing is lost ------------------------------------------------------------------

    static String canonical(String s) {
        return s.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n");
    }

    @Test
    void whatCannotBeConvertedIsCopiedUnchangedAndNamed() throws Exception {
        String[][] cases = {
            {
                "MIME-Version: 1.0\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\nw\u00e9\r\n",
                "a part left unconverted (text/plain, Content-Transfer-Encoding base64)"
            },
            {
                "MIME-Version: 1.0\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n\u00e9\r\n",
                "a part left unconverted (text/plain, Content-Transfer-Encoding x-uuencode)"
            },
            {
                "MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\n\r\n\u00e9\r\n--x--\r\n",
                "a part left unconverted (multipart/mixed)"
            },
            {
                "MIME-Version: 1.0\r\nContent-Type: message/partial; id=1; number=1\r\n\r\nSubject: \u00e9\r\n\r\n\u00e9\r\n",
                "a part left unconverted (message/partial)"
            },
            {
                "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\npr\u00e9amble\r\n--q\r\n\r\nx\r\n--q--\r\n",
                "a multipart preamble or epilogue"
            },
            {
                "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\nContent-Type: text/plain\r\n"
                        + "no empty line \u00e9\r\n--q--\r\n",
                "a part whose header has no empty line after it"
            },
            {"Subject: \u00e9\r\n", "a header field (8-bit header fields need SMTPUTF8)"},
        };
        for (String[] c : cases) {
            SevenBitConverter.Plan p = plan(b(c[0]));
            assertThat(p.converted()).as(c[0]).isZero();
            assertThat(p.residual()).as(c[0]).isEqualTo(c[1]);
            assertThat(s(convert(b(c[0])))).as(c[0]).isEqualTo(canonical(c[0]));
        }
    }

    @Test
    void aMissingCloseDelimiterEndsThePartsAtTheEndOfTheMessage() throws Exception {
        String in = "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n"
                + "Content-Type: multipart/alternative; boundary=inner\r\n\r\n--inner\r\n\r\n\u00e9 one\r\n--q\r\n"
                + "Content-Type: application/x-thing\r\n\r\n\u00e9 two\r\n";
        String out = s(convert(b(in)));
        assertThat(out)
                .isEqualTo("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n"
                        + "Content-Type: multipart/alternative; boundary=inner\r\n\r\n--inner\r\n"
                        + "Content-Transfer-Encoding: quoted-printable\r\n\r\n=C3=A9 one\r\n--q\r\n"
                        + "Content-Type: application/x-thing\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                        + "w6kgdHdvDQo=\r\n");
        assertSevenBitAndShortLines(b(out));
    }

    @Test
    void nestingBeyondTheLimitIsCopied() throws Exception {
        StringBuilder sb = new StringBuilder("MIME-Version: 1.0\r\n");
        for (int i = 0; i <= SevenBitConverter.MAX_DEPTH; i++) {
            sb.append("Content-Type: multipart/mixed; boundary=b")
                    .append(i)
                    .append("\r\n\r\n--b")
                    .append(i)
                    .append("\r\n");
        }
        sb.append("\r\ndeep \u00e9\r\n");
        String in = sb.toString();
        SevenBitConverter.Plan p = plan(b(in));
        assertThat(p.converted()).isZero();
        assertThat(p.residual()).isEqualTo("a part left unconverted (multipart/mixed)");
        assertThat(s(convert(b(in)))).isEqualTo(in);
    }

    @Test
    void aDigestPartDefaultsToAnEncapsulatedMessage() throws Exception {
        String in = "MIME-Version: 1.0\r\nContent-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\n"
                + "Subject: one\r\n\r\n\u00e9\r\n--d--\r\n";
        String out = s(convert(b(in)));
        assertThat(out)
                .contains(
                        "--d\r\n\r\nSubject: one\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=unknown-8bit\r\n"
                                + "Content-Transfer-Encoding: quoted-printable\r\n\r\n=C3=A9\r\n--d--");
    }
}
