package org.mailhygiene.scanners.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.mailhygiene.api.Message;
import org.mailhygiene.testkit.cli.FakeVascan;

/** Small messages built at run time for the command-line scanner tests. */
final class TestMessages {
    private TestMessages() {}

    static Message text(String body) {
        String m = "From: a@example.org\r\nTo: b@example.org\r\nSubject: test\r\n\r\n" + body + "\r\n";
        return Message.of(m.getBytes(StandardCharsets.UTF_8));
    }

    static Message eicar() {
        return text(FakeVascan.eicar());
    }

    /** A multipart message with one base64 attachment; the file name is RFC 2231-encoded when not plain ASCII. */
    static Message attachment(String fileName, byte[] content) {
        String b64 = Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(content);
        String disposition = fileName.chars().allMatch(c -> c >= 0x20 && c < 0x7f && c != '"')
                ? "attachment; filename=\"" + fileName + "\""
                : "attachment; filename*=UTF-8''" + percent(fileName);
        String m = "From: a@example.org\r\nTo: b@example.org\r\nSubject: files\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
                + "--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nsee attached\r\n"
                + "--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
                + "Content-Disposition: " + disposition + "\r\n\r\n" + b64 + "\r\n--b1--\r\n";
        return Message.of(m.getBytes(StandardCharsets.UTF_8));
    }

    private static String percent(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (Character.isLetterOrDigit(c) && c < 0x80 || c == '.' || c == '-' || c == '_') {
                sb.append((char) c);
            } else {
                sb.append('%').append(String.format("%02X", c));
            }
        }
        return sb.toString();
    }

    /** A real ZIP with one entry. */
    static byte[] zip(String entry, byte[] content) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bytes)) {
            z.putNextEntry(new ZipEntry(entry));
            z.write(content);
            z.closeEntry();
        }
        return bytes.toByteArray();
    }

    /** A ZIP whose entry carries the "encrypted" flag (general purpose bit 0), as a password-protected ZIP does. */
    static byte[] encryptedZip() throws IOException {
        byte[] z = zip("secret.doc", "not really encrypted".getBytes(StandardCharsets.US_ASCII));
        z[6] |= 1;
        return z;
    }

    /** The first half of a ZIP: the end-of-central-directory record is missing. */
    static byte[] truncatedZip() throws IOException {
        byte[] z = zip("big.txt", "x".repeat(200).getBytes(StandardCharsets.US_ASCII));
        return java.util.Arrays.copyOf(z, z.length / 2);
    }
}
