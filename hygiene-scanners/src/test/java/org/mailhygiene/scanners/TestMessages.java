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

    /** A DER element: tag, definite length, content. */
    private static byte[] der(int tag, byte[]... content) {
        java.io.ByteArrayOutputStream c = new java.io.ByteArrayOutputStream();
        for (byte[] b : content) {
            c.writeBytes(b);
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(tag);
        int n = c.size();
        if (n < 0x80) {
            out.write(n);
        } else {
            out.write(0x83);
            out.write(n >>> 16);
            out.write(n >>> 8);
            out.write(n);
        }
        out.writeBytes(c.toByteArray());
        return out.toByteArray();
    }

    /**
     * An S/MIME opaque signature's CMS structure (DER) wrapping an entity, without a signature: no reader on the mail
     * path verifies one (the walker does not, clamd does not look inside at all).
     */
    public static byte[] signedData(byte[] entity) {
        return signedData(
                new byte[] {0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x07, 0x01}, entity);
    }

    /** The same with another content type than {@code id-data} (another CMS structure inside, for instance). */
    public static byte[] signedData(byte[] dataOid, byte[] entity) {
        byte[] signedDataOid = {0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x07, 0x02};
        return der(
                0x30,
                der(0x06, signedDataOid),
                der(
                        0xa0,
                        der(
                                0x30,
                                der(0x02, new byte[] {1}),
                                der(0x31),
                                der(0x30, der(0x06, dataOid), der(0xa0, der(0x04, entity))),
                                der(0x31))));
    }

    /** Uuencodes as old mailers do: 45 bytes a line, blanks (not backquotes) for zero, a backquote line, "end". */
    public static String uuencode(String name, byte[] data) {
        StringBuilder sb = new StringBuilder("begin 644 " + name + "\r\n");
        for (int off = 0; off < data.length; off += 45) {
            int n = Math.min(45, data.length - off);
            sb.append((char) (' ' + n));
            for (int i = 0; i < n; i += 3) {
                int b0 = data[off + i] & 0xff;
                int b1 = i + 1 < n ? data[off + i + 1] & 0xff : 0;
                int b2 = i + 2 < n ? data[off + i + 2] & 0xff : 0;
                sb.append((char) (' ' + (b0 >> 2)))
                        .append((char) (' ' + (((b0 & 3) << 4) | (b1 >> 4))))
                        .append((char) (' ' + (((b1 & 0xf) << 2) | (b2 >> 6))))
                        .append((char) (' ' + (b2 & 0x3f)));
            }
            sb.append("\r\n");
        }
        return sb.append("`\r\nend\r\n").toString();
    }

    /** yEnc-encodes as newsreaders do: each byte plus 42, NUL, LF, CR and "=" escaped, {@code line} bytes a line. */
    public static String yEnc(String name, byte[] data, int line) {
        StringBuilder sb =
                new StringBuilder("=ybegin line=" + line + " size=" + data.length + " name=" + name + "\r\n");
        int column = 0;
        for (byte b : data) {
            int o = (b + 42) & 0xff;
            if (o == 0 || o == '\n' || o == '\r' || o == '=') {
                sb.append('=');
                o = (o + 64) & 0xff;
                column++;
            }
            sb.append((char) o);
            if (++column >= line) {
                sb.append("\r\n");
                column = 0;
            }
        }
        if (column > 0) {
            sb.append("\r\n");
        }
        return sb.append("=yend size=").append(data.length).append("\r\n").toString();
    }
}
