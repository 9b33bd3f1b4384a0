package org.mailhygiene.scanners;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Builds small test messages at run time (CRLF line ends); the test strings are assembled from pieces. */
public final class TestMessages {
    private TestMessages() {}

    /** The EICAR test string, assembled at run time. */
    public static String eicar() {
        return String.join("", "X5O!P%@AP[4\\PZX54(P^)7CC)7}$", "EICAR-STANDARD-ANTIVIRUS-", "TEST-FILE!$H+H*");
    }

    /** The GTUBE test string, assembled at run time. */
    public static String gtube() {
        return String.join("", "XJS*C4JDBQADN1.NSBN3*2IDNEN*", "GTUBE-STANDARD-ANTI-UBE-", "TEST-EMAIL*C.34X");
    }

    /** Joins lines with CRLF, with a trailing CRLF. */
    public static String crlf(String... lines) {
        return String.join("\r\n", lines) + "\r\n";
    }

    /** Base64 with 76-character lines and CRLF line ends. */
    public static String base64(byte[] bytes) {
        return Base64.getMimeEncoder().encodeToString(bytes);
    }

    /** A plain text message. */
    public static byte[] text(String body) {
        return ascii(crlf("From: a@example.org", "To: b@example.org", "Subject: test", "", body));
    }

    /** A multipart/mixed message with a text part and a base64 attachment. */
    public static byte[] withAttachment(String text, String fileName, byte[] attachment) {
        return ascii(crlf(
                "From: a@example.org",
                "To: b@example.org",
                "Subject: attachment",
                "MIME-Version: 1.0",
                "Content-Type: multipart/mixed; boundary=\"b1\"",
                "",
                "preamble",
                "--b1",
                "Content-Type: text/plain; charset=us-ascii",
                "",
                text,
                "--b1",
                "Content-Type: application/octet-stream; name=\"" + fileName + "\"",
                "Content-Disposition: attachment; filename=\"" + fileName + "\"",
                "Content-Transfer-Encoding: base64",
                "",
                base64(attachment),
                "--b1--"));
    }

    /** US-ASCII bytes of a string. */
    public static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
