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

    /**
     * EICAR attached (base64) to a letter inside an opaque S/MIME signature, the way mailers send signed mail
     * ({@code application/pkcs7-mime; smime-type=signed-data}, base64): clamd does not open the signature.
     */
    static byte[] eicarSigned() {
        // signed content starts with its Content-Type, as mailers write it (ClamAV 1.4 does find a message embedded
        // anywhere that starts with a From line, and so a signed one too)
        String whole = new String(
                withAttachment("eicar.com", "application/octet-stream", Eicar.bytes()), StandardCharsets.US_ASCII);
        byte[] letter = whole.substring(whole.indexOf("Content-Type:")).getBytes(StandardCharsets.US_ASCII);
        byte[] cms = org.mailhygiene.scanners.TestMessages.signedData(letter);
        String m = "From: sender@example.org\r\nTo: rcpt@example.com\r\nSubject: signed\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: application/pkcs7-mime; smime-type=signed-data; name=\"smime.p7m\"\r\n"
                + "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\n"
                + Base64.getMimeEncoder(64, "\r\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(cms) + "\r\n";
        return m.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * EICAR yEnc-encoded into the plain text of a letter ({@code =ybegin ... name=eicar.com}), which Thunderbird shows
     * as an attachment: clamd does not decode yEnc.
     */
    static byte[] eicarYEncoded() {
        return yEncoded("eicar.com", Eicar.bytes());
    }

    /** A letter whose plain text (8bit, ISO-8859-1) holds {@code data} yEnc-encoded as {@code name}. */
    static byte[] yEncoded(String name, byte[] data) {
        java.io.ByteArrayOutputStream m = new java.io.ByteArrayOutputStream();
        m.writeBytes(("From: sender@example.org\r\nTo: rcpt@example.com\r\nSubject: the file\r\nMIME-Version: 1.0\r\n"
                        + "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                        + "Here it is.\r\n=ybegin line=128 size=" + data.length + " name=" + name + "\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        for (byte b : data) {
            int c = ((b & 0xff) + 42) & 0xff;
            if (c == 0 || c == '\n' || c == '\r' || c == '=') {
                m.write('=');
                c = (c + 64) & 0xff;
            }
            m.write(c);
        }
        m.writeBytes(("\r\n=yend size=" + data.length + "\r\nBye.\r\n").getBytes(StandardCharsets.US_ASCII));
        return m.toByteArray();
    }

    /** EICAR zipped {@code levels} times over (each zip holding the one before), attached to a mail. */
    static byte[] eicarNestedZipsInAttachment(int levels) {
        byte[] data = Eicar.bytes();
        String entry = "eicar.com";
        for (int i = 0; i < levels; i++) {
            data = zip(entry, data);
            entry = "level" + i + ".zip";
        }
        return withAttachment("nested.zip", "application/zip", data);
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
