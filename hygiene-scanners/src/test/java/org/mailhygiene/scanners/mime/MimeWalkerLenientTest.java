package org.mailhygiene.scanners.mime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.MessageContent;

/** The walker's lenient reading of sloppy headers, digest defaults and undeclared 8-bit and JIS file names. */
class MimeWalkerLenientTest {

    private record Leaf(PartInfo info, String body) {}

    private static List<Leaf> leaves(byte[] message, List<MimeFinding> findings) throws IOException {
        List<Leaf> out = new ArrayList<>();
        MimeWalkResult r = MimeWalker.defaults().walk(MessageContent.ofBytes(message), (PartInfo p, InputStream in) -> {
            out.add(new Leaf(p, new String(in.readAllBytes(), StandardCharsets.ISO_8859_1)));
            return true;
        });
        findings.addAll(r.findings());
        return out;
    }

    private static byte[] bytes(String s, Charset cs) {
        return s.getBytes(cs);
    }

    @Test
    void partsOfADigestWithoutContentTypeAreMessages() throws IOException {
        String m = "Subject: digest\r\nMIME-Version: 1.0\r\nContent-Type: multipart/digest; boundary=D\r\n\r\n"
                + "--D\r\n\r\nSubject: one\r\n\r\nfirst\r\n"
                + "--D\r\n\r\nSubject: two\r\n\r\nsecond\r\n--D--\r\n";
        List<MimeFinding> findings = new ArrayList<>();
        List<Leaf> leaves = leaves(bytes(m, StandardCharsets.US_ASCII), findings);
        assertThat(leaves).extracting(l -> l.info().path()).containsExactly("1.1", "2.1");
        assertThat(leaves).extracting(Leaf::body).containsExactly("first", "second");
        assertThat(findings).isEmpty();
    }

    @Test
    void unquotedBoundaryWithSpecialCharactersIsReadLenientlyAndReported() throws IOException {
        String m = "Subject: x\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=----=_NextPart_000_0001\r\n\r\n"
                + "------=_NextPart_000_0001\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
                + "------=_NextPart_000_0001\r\nContent-Type: application/octet-stream; name=\"a.exe\"\r\n\r\nMZ\r\n"
                + "------=_NextPart_000_0001--\r\n";
        List<MimeFinding> findings = new ArrayList<>();
        List<Leaf> leaves = leaves(bytes(m, StandardCharsets.US_ASCII), findings);
        assertThat(leaves).extracting(l -> l.info().fileName().orElse("-")).containsExactly("-", "a.exe");
        assertThat(findings).extracting(MimeFinding::kind).containsExactly(MimeFinding.Kind.MALFORMED_HEADER);
        assertThat(findings.get(0).detail()).contains("read leniently as multipart/mixed");
    }

    @Test
    void sloppyContentDispositionStillYieldsTheFileName() throws IOException {
        String m = "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\n"
                + "Content-Disposition: attachment; filename=invoice(1).pdf.exe\r\n\r\nMZ\r\n";
        List<MimeFinding> findings = new ArrayList<>();
        List<Leaf> leaves = leaves(bytes(m, StandardCharsets.US_ASCII), findings);
        assertThat(leaves.get(0).info().fileName()).contains("invoice(1).pdf.exe");
        assertThat(leaves.get(0).info().disposition()).contains("attachment");
        assertThat(findings).extracting(MimeFinding::kind).containsExactly(MimeFinding.Kind.MALFORMED_HEADER);
    }

    @Test
    void rawUtf8FileNameIsDecoded() throws IOException {
        String m = "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: application/pdf\r\n"
                + "Content-Disposition: attachment; filename=\"請求書.pdf\"\r\n\r\n%PDF-1.4\r\n";
        List<Leaf> leaves = leaves(bytes(m, StandardCharsets.UTF_8), new ArrayList<>());
        assertThat(leaves.get(0).info().fileName()).contains("請求書.pdf");
    }

    @Test
    void rawJisFileNameIsDecoded() throws IOException {
        byte[] head = bytes(
                "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream; name=\"",
                StandardCharsets.US_ASCII);
        byte[] name = bytes("見積書.exe", Charset.forName("ISO-2022-JP"));
        byte[] tail = bytes("\"\r\n\r\nMZ\r\n", StandardCharsets.US_ASCII);
        byte[] m = new byte[head.length + name.length + tail.length];
        System.arraycopy(head, 0, m, 0, head.length);
        System.arraycopy(name, 0, m, head.length, name.length);
        System.arraycopy(tail, 0, m, head.length + name.length, tail.length);
        List<Leaf> leaves = leaves(m, new ArrayList<>());
        assertThat(leaves.get(0).info().fileName()).contains("見積書.exe");
    }

    @Test
    void textHiddenInTheHeaderBlockIsReported() throws IOException {
        String m = "From: a@example.org\r\nSubject: hi\r\nbuy cheap pills now\r\n\r\nbody\r\n";
        List<MimeFinding> findings = new ArrayList<>();
        leaves(bytes(m, StandardCharsets.US_ASCII), findings);
        assertThat(findings).extracting(MimeFinding::kind).containsExactly(MimeFinding.Kind.MALFORMED_HEADER);
        assertThat(findings.get(0).detail()).contains("buy cheap pills now");
    }

    @Test
    void mboxSeparatorOnTheFirstLineIsNotAFinding() throws IOException {
        String m =
                "From someone@example.org Mon May  2 16:07:05 2005\r\nFrom: a@example.org\r\nSubject: hi\r\n\r\nb\r\n";
        List<MimeFinding> findings = new ArrayList<>();
        leaves(bytes(m, StandardCharsets.US_ASCII), findings);
        assertThat(findings).isEmpty();
    }

    @Test
    void headerFieldNames() {
        assertThat(MimeWalker.isHeaderField("Subject: x")).isTrue();
        assertThat(MimeWalker.isHeaderField("Subject  : x")).isTrue();
        assertThat(MimeWalker.isHeaderField("quite Delivered-To: x")).isFalse();
        assertThat(MimeWalker.isHeaderField(": x")).isFalse();
        assertThat(MimeWalker.isHeaderField("no colon here")).isFalse();
    }

    @Test
    void decodeHeaderHandlesEncodedWordsRawBytesAndPlainText() {
        assertThat(TextDecoding.decodeHeader("=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?="))
                .isEqualTo("テスト");
        assertThat(TextDecoding.decodeHeader("plain")).isEqualTo("plain");
        String rawUtf8 = new String("日本語".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        assertThat(TextDecoding.decodeHeader(rawUtf8)).isEqualTo("日本語");
        String rawSjis = new String("日本語".getBytes(Charset.forName("Shift_JIS")), StandardCharsets.ISO_8859_1);
        assertThat(TextDecoding.decodeHeader(rawSjis)).isEqualTo("日本語");
        // a charset Java does not know counts as none: the bytes are sniffed (here plain ASCII)
        assertThat(TextDecoding.decodeHeader("=?x-unknown?B?SGVsbG8=?=")).isEqualTo("Hello");
    }

    @Test
    void bodyCharsetsAreSniffedWhenUndeclaredOrWrong() {
        String text = "お得な情報をお届けします。今すぐクリック！";
        for (String cs : List.of("ISO-2022-JP", "Shift_JIS", "EUC-JP", "UTF-8")) {
            byte[] b = text.getBytes(Charset.forName(cs));
            assertThat(TextDecoding.decode(b, null)).as(cs + " undeclared").isEqualTo(text);
        }
        byte[] jis = text.getBytes(Charset.forName("ISO-2022-JP"));
        assertThat(TextDecoding.decode(jis, "us-ascii"))
                .as("raw JIS labelled us-ascii")
                .isEqualTo(text);
        assertThat(TextDecoding.decode(text.getBytes(Charset.forName("Shift_JIS")), "shift_jis"))
                .isEqualTo(text);
        assertThat(TextDecoding.decode("caf\u00e9".getBytes(StandardCharsets.ISO_8859_1), "iso-8859-1"))
                .isEqualTo("café");
    }

    @Test
    void eightBitBytesLabelledIso2022JpAreSniffed() {
        // ISO-2022-JP is a 7-bit encoding: 8-bit bytes under that label are Shift_JIS or EUC-JP sent by a mailer
        // that labelled every Japanese message ISO-2022-JP (bsfilter's test cases and old Japanese spam do this).
        String text = "絵日記を書きました。アイスクリームを食べました。";
        for (String cs : List.of("Shift_JIS", "EUC-JP", "UTF-8")) {
            byte[] b = text.getBytes(Charset.forName(cs));
            assertThat(TextDecoding.decode(b, "iso-2022-jp"))
                    .as(cs + " labelled iso-2022-jp")
                    .isEqualTo(text);
        }
        byte[] jis = text.getBytes(Charset.forName("ISO-2022-JP"));
        assertThat(TextDecoding.decode(jis, "ISO-2022-JP"))
                .as("real ISO-2022-JP")
                .isEqualTo(text);
        assertThat(TextDecoding.decode("plain".getBytes(StandardCharsets.US_ASCII), "ISO-2022-JP"))
                .isEqualTo("plain");
    }

    @Test
    void gb2312IsReadAsItsSupersetGbk() {
        // Mailers label GBK text gb2312 (Chinese phishing kits writing Japanese do); decoders read the label as GBK.
        String text = "ETCサービスは無効になりました。詳細をご確認ください。";
        byte[] gbk = text.getBytes(Charset.forName("GBK"));
        assertThat(TextDecoding.decode(gbk, "gb2312")).isEqualTo(text);
        assertThat(TextDecoding.decode("中文".getBytes(Charset.forName("GB2312")), "GB2312"))
                .isEqualTo("中文");
    }
}
