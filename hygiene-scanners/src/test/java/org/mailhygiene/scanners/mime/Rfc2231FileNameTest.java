package org.mailhygiene.scanners.mime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.scanners.attachments.AttachmentPolicyScanner;

/**
 * Audit of session 39: file names in RFC 2231's extended form were decoded by Jakarta Mail, which dropped a value whose
 * charset Java does not know undecoded ({@code filename*=x-unknown''evil%2Ejs} hid the attachment's extension from the
 * policy: a text body under it was clean) and read Shift_JIS by the JDK's narrow table (CP932's {@code ①} lost). They are now decoded
 * as text is ({@link TextDecoding}).
 */
class Rfc2231FileNameTest {

    private static String pct(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format("%%%02X", x & 0xFF));
        }
        return sb.toString();
    }

    private static byte[] message(String partHeaders) {
        return ("From: a@example.org\r\nSubject: names\r\nMIME-Version: 1.0\r\n"
                        + "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nsee\r\n"
                        + "--B\r\n" + partHeaders + "\r\n\r\njust some text, not a program\r\n--B--\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String fileName(byte[] message) throws Exception {
        List<PartInfo> parts = new ArrayList<>();
        MimeWalker.defaults().walk(MessageContent.ofBytes(message), (PartInfo p, InputStream in) -> {
            parts.add(p);
            in.readAllBytes();
            return true;
        });
        return parts.get(1).fileName().orElse(null);
    }

    @Test
    void anUnknownCharsetDoesNotHideTheName() throws Exception {
        byte[] m = message("Content-Type: application/octet-stream\r\n"
                + "Content-Disposition: attachment; filename*=x-unknown''evil%2Ejs");
        assertThat(fileName(m)).isEqualTo("evil.js");
        assertThat(AttachmentPolicyScanner.create()
                        .scan(Message.of(MessageContent.ofBytes(m)))
                        .outcome())
                .isEqualTo(Outcome.SUSPICIOUS);
        byte[] sjis = "請求書.js".getBytes(Charset.forName("windows-31j"));
        assertThat(fileName(message("Content-Type: application/octet-stream; name*=x-bogus'ja'" + pct(sjis))))
                .isEqualTo("請求書.js");
    }

    @Test
    void aNameDecodedFromItsCharsetIsNotDecodedASecondTime() throws Exception {
        // U+00AD (soft hyphen, unseen) after ".exe" was read back as the byte 0xAD and taken for Shift_JIS: a visible
        // katakana ending the extension, so that "run.exe" passed as clean (audit of session 48); CPython's email and
        // Thunderbird decode the value once
        byte[] m = message("Content-Type: application/octet-stream\r\n"
                + "Content-Disposition: attachment; filename*=utf-8''run.exe%C2%AD");
        assertThat(fileName(m)).isEqualTo("run.exe\u00ad");
        assertThat(AttachmentPolicyScanner.create()
                        .scan(Message.of(MessageContent.ofBytes(m)))
                        .outcome())
                .isEqualTo(Outcome.SUSPICIOUS);
        assertThat(fileName(message("Content-Type: application/octet-stream; name*=iso-8859-1''r%E9sum%E9%AE.pdf")))
                .isEqualTo("r\u00e9sum\u00e9\u00ae.pdf");
        // raw 8-bit bytes in the extended form are bytes of its charset; encoded words in it are still decoded
        byte[] raw = ("Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=utf-8''"
                        + new String("請求書.pdf".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1))
                .getBytes(StandardCharsets.ISO_8859_1);
        assertThat(fileName(message(new String(raw, StandardCharsets.ISO_8859_1))))
                .isEqualTo("請求書.pdf");
        assertThat(fileName(message("Content-Type: application/octet-stream\r\n"
                        + "Content-Disposition: attachment; filename*0=\"=?utf-8?B?cnVu\"; filename*1=\"LmV4ZQ==?=\"")))
                .isEqualTo("run.exe");
    }

    @Test
    void japaneseCharsetsAreReadAsInText() throws Exception {
        Charset cp932 = Charset.forName("windows-31j");
        // CP932's NEC special characters under the Shift_JIS label, split over continuations
        byte[] a = "①請求".getBytes(cp932);
        byte[] b = "書.js".getBytes(cp932);
        assertThat(fileName(message("Content-Type: application/octet-stream\r\nContent-Disposition: attachment;\r\n"
                        + " filename*0*=shift_jis'ja'" + pct(a) + ";\r\n filename*1*=" + pct(b))))
                .isEqualTo("①請求書.js");
        // EUC-JP labelled Shift_JIS
        assertThat(fileName(message("Content-Type: application/octet-stream\r\n"
                        + "Content-Disposition: attachment; filename*=shift_jis''"
                        + pct("請求書.js".getBytes(Charset.forName("EUC-JP"))))))
                .isEqualTo("請求書.js");
        // ISO-2022-JP, and UTF-8 as ever
        assertThat(fileName(message("Content-Type: application/octet-stream\r\n"
                        + "Content-Disposition: attachment; filename*=iso-2022-jp''"
                        + pct("請求書.js".getBytes(Charset.forName("ISO-2022-JP"))))))
                .isEqualTo("請求書.js");
        assertThat(fileName(message("Content-Type: application/octet-stream\r\n"
                        + "Content-Disposition: attachment; filename*=UTF-8''"
                        + pct("請求書.js".getBytes(StandardCharsets.UTF_8)))))
                .isEqualTo("請求書.js");
    }
    /**
     * Final read of session 39: a part may name itself twice, and mail clients differ in which name they show and save
     * (RFC 2231's or the plain one, the first or the last, Content-Type's {@code name} or the disposition's): every name
     * is checked, whichever the walker reports as the file name.
     */
    @Test
    void everyNameAPartGivesIsCheckedNotOnlyTheOneReported() throws Exception {
        String[] disguised = {
            "Content-Type: text/plain\r\nContent-Disposition: attachment; filename=\"run.js\"; "
                    + "filename*=utf-8''notes.txt",
            "Content-Type: text/plain\r\nContent-Disposition: attachment; filename*=utf-8''notes.txt; "
                    + "filename=\"run.js\"",
            "Content-Type: text/plain\r\nContent-Disposition: attachment; filename=\"run.js\"; "
                    + "filename=\"notes.txt\"",
            "Content-Type: text/plain; name=\"run.js\"\r\nContent-Disposition: attachment; filename=\"notes.txt\"",
            "Content-Type: text/plain; name*=utf-8''run%2Ejs\r\nContent-Disposition: attachment; filename=notes.txt"
        };
        for (String headers : disguised) {
            assertThat(AttachmentPolicyScanner.create()
                            .scan(Message.of(MessageContent.ofBytes(message(headers))))
                            .outcome())
                    .as(headers)
                    .isEqualTo(Outcome.SUSPICIOUS);
        }
        // one harmless name given twice alike is no second name
        byte[] same = message("Content-Type: text/plain; name=\"notes.txt\"\r\n"
                + "Content-Disposition: attachment; filename=\"notes.txt\"; filename*=utf-8''notes.txt");
        assertThat(AttachmentPolicyScanner.create()
                        .scan(Message.of(MessageContent.ofBytes(same)))
                        .outcome())
                .isEqualTo(Outcome.CLEAN);
    }
}
