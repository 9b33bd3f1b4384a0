package org.mailhygiene.scanners.attachments;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Builds attachments and messages for the tests at run time: synthetic PE files, zips, MIME messages. */
final class Samples {
    private Samples() {}

    /** A minimal synthetic PE image: {@code MZ}, e_lfanew = 0x80, {@code PE\0\0}, machine i386. Harmless bytes. */
    static byte[] pe() {
        byte[] b = new byte[512];
        b[0] = 'M';
        b[1] = 'Z';
        b[0x3c] = (byte) 0x80;
        b[0x80] = 'P';
        b[0x81] = 'E';
        b[0x84] = 0x4c;
        b[0x85] = 0x01;
        return b;
    }

    static byte[] pdf() {
        return "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** A zip of the given name/content pairs, deflated. */
    static byte[] zip(Object... nameContent) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ZipOutputStream z = new ZipOutputStream(out)) {
                for (int i = 0; i < nameContent.length; i += 2) {
                    z.putNextEntry(new ZipEntry((String) nameContent[i]));
                    z.write((byte[]) nameContent[i + 1]);
                    z.closeEntry();
                }
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A zip with one stored entry whose "encrypted" flag (general purpose bit 0) is set in the local and central
     * headers, as a password-protected Bagle zip has. The content itself is not really encrypted.
     */
    static byte[] encryptedZip(String name, byte[] content) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ZipOutputStream z = new ZipOutputStream(out)) {
                ZipEntry e = new ZipEntry(name);
                e.setMethod(ZipEntry.STORED);
                e.setSize(content.length);
                CRC32 crc = new CRC32();
                crc.update(content);
                e.setCrc(crc.getValue());
                z.putNextEntry(e);
                z.write(content);
                z.closeEntry();
            }
            byte[] b = out.toByteArray();
            for (int i = 0; i + 4 < b.length; i++) {
                if (b[i] == 'P' && b[i + 1] == 'K' && b[i + 2] == 3 && b[i + 3] == 4) {
                    b[i + 6] |= 1; // local header flag
                }
                if (b[i] == 'P' && b[i + 1] == 'K' && b[i + 2] == 1 && b[i + 3] == 2) {
                    b[i + 8] |= 1; // central directory flag
                }
            }
            return b;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A multipart/mixed message with a text body and one base64 attachment, CRLF line ends. */
    static byte[] message(String contentTypeLine, String dispositionLine, byte[] attachment) {
        String b64 = Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(attachment);
        String m = "From: sender@example.org\r\n"
                + "To: user@example.com\r\n"
                + "Subject: your document\r\n"
                + "MIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
                + "\r\n"
                + "--XX\r\n"
                + "Content-Type: text/plain; charset=us-ascii\r\n"
                + "\r\n"
                + "Please read the attached file.\r\n"
                + "--XX\r\n"
                + contentTypeLine + "\r\n"
                + (dispositionLine.isEmpty() ? "" : dispositionLine + "\r\n")
                + "Content-Transfer-Encoding: base64\r\n"
                + "\r\n"
                + b64 + "\r\n"
                + "--XX--\r\n";
        return m.getBytes(StandardCharsets.UTF_8);
    }

    /** {@link #message} with the usual headers for a file name and declared type. */
    static byte[] attachment(String fileName, String declaredType, byte[] content) {
        return message(
                "Content-Type: " + declaredType + "; name=\"" + fileName + "\"",
                "Content-Disposition: attachment; filename=\"" + fileName + "\"",
                content);
    }
}
