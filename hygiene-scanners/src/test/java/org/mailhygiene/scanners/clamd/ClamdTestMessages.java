package org.mailhygiene.scanners.clamd;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.mailhygiene.testkit.clamd.Eicar;

/** Test messages built at run time (EICAR is assembled from pieces, never stored whole). CRLF line ends. */
final class ClamdTestMessages {
    private ClamdTestMessages() {}

    static byte[] clean() {
        return mail("Hello", "text/plain; charset=us-ascii", "7bit", "Just a friendly note.\r\nNothing to see.\r\n");
    }

    /** A mail whose body is EICAR followed by CRLF, as it appears in mail (a hash signature would miss it). */
    static byte[] eicarPlain() {
        return mail("eicar", "text/plain; charset=us-ascii", "7bit", Eicar.string() + "\r\n");
    }

    static byte[] zip(String entry, byte[] content) {
        try {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            try (ZipOutputStream z = new ZipOutputStream(bos)) {
                z.putNextEntry(new ZipEntry(entry));
                z.write(content);
                z.closeEntry();
            }
            return bos.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] eicarZip() {
        return zip("eicar.com", Eicar.bytes());
    }

    static byte[] eicarDoubleZip() {
        return zip("inner.zip", eicarZip());
    }

    static byte[] withAttachment(String fileName, String type, byte[] content) {
        String b64 = Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(content);
        String m = "From: sender@example.org\r\nTo: rcpt@example.com\r\nSubject: attachment\r\n"
                + "Message-ID: <" + System.nanoTime() + "@example.org>\r\n"
                + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
                + "--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nSee attachment.\r\n"
                + "--b1\r\nContent-Type: " + type + "; name=\"" + fileName + "\"\r\n"
                + "Content-Transfer-Encoding: base64\r\n"
                + "Content-Disposition: attachment; filename=\"" + fileName + "\"\r\n\r\n"
                + b64 + "\r\n--b1--\r\n";
        return m.getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] eicarBase64Attachment() {
        return withAttachment("eicar.com", "application/octet-stream", Eicar.bytes());
    }

    static byte[] eicarZipInAttachment() {
        return withAttachment("eicar.zip", "application/zip", eicarZip());
    }

    static byte[] marker(String marker) {
        return mail("marker", "text/plain; charset=us-ascii", "7bit", "before " + marker + " after\r\n");
    }

    /** A clean mail of about {@code size} bytes, unique per call (clamd caches clean results by hash). */
    static byte[] cleanOfSize(int size) {
        StringBuilder body = new StringBuilder();
        body.append("unique ").append(System.nanoTime()).append("\r\n");
        while (body.length() < size) {
            body.append("The quick brown fox jumps over the lazy dog ")
                    .append(body.length())
                    .append("\r\n");
        }
        return mail("big", "text/plain; charset=us-ascii", "7bit", body.toString());
    }

    static byte[] mail(String subject, String type, String encoding, String body) {
        String m = "From: sender@example.org\r\nTo: rcpt@example.com\r\nSubject: " + subject + "\r\n"
                + "Message-ID: <" + System.nanoTime() + "@example.org>\r\n"
                + "MIME-Version: 1.0\r\nContent-Type: " + type + "\r\nContent-Transfer-Encoding: " + encoding
                + "\r\n\r\n" + body;
        return m.getBytes(StandardCharsets.US_ASCII);
    }
}
