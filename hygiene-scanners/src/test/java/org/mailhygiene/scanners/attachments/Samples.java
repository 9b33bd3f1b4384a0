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
        return encryptedZip(java.util.Map.of(name, content));
    }

    /** A stored zip of these entries (in the map's order), each flagged encrypted in its headers. */
    static byte[] encryptedZip(java.util.Map<String, byte[]> entries) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ZipOutputStream z = new ZipOutputStream(out)) {
                for (java.util.Map.Entry<String, byte[]> en : entries.entrySet()) {
                    byte[] content = en.getValue();
                    ZipEntry e = new ZipEntry(en.getKey());
                    e.setMethod(ZipEntry.STORED);
                    e.setSize(content.length);
                    CRC32 crc = new CRC32();
                    crc.update(content);
                    e.setCrc(crc.getValue());
                    z.putNextEntry(e);
                    z.write(content);
                    z.closeEntry();
                }
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

    /**
     * A compound file (OLE2, the container of binary Word and Excel files) of version 3 (512-byte sectors): the header,
     * one allocation-table sector, then the directory: a root entry and one entry per given name, each a stream
     * (type 2) unless the name ends with {@code /} (a storage, type 1), padded to whole sectors. The entries are not
     * linked into a tree and the streams hold nothing: enough for detection, not for Office.
     *
     * @param names the directory entries after the root
     */
    static byte[] compoundFile(String... names) {
        return compoundFile(new byte[0], names);
    }

    /**
     * A compound file as {@link #compoundFile(String...)} makes it whose first named stream holds {@code first} (in
     * whole sectors after the directory, chained in the allocation table; at most 126 sectors, and 4,096 bytes or more
     * as a stream outside the mini stream is).
     */
    static byte[] compoundFile(byte[] first, String... names) {
        int entries = names.length + 1;
        int dirSectors = (entries * 128 + 511) / 512;
        int dataSectors = (first.length + 511) / 512;
        if (dataSectors > 0 && (first.length < 4096 || 1 + dirSectors + dataSectors > 128)) {
            throw new IllegalArgumentException("a stream of 4,096 bytes to 63 KiB");
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(512 * (2 + dirSectors + dataSectors))
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0xd0, (byte) 0xcf, 0x11, (byte) 0xe0, (byte) 0xa1, (byte) 0xb1, 0x1a, (byte) 0xe1});
        b.putShort(24, (short) 0x3e).putShort(26, (short) 3).putShort(28, (short) 0xfffe);
        b.putShort(30, (short) 9).putShort(32, (short) 6);
        b.putInt(44, 1).putInt(48, 1).putInt(56, 4096).putInt(60, -2).putInt(68, -2);
        for (int i = 76; i < 512; i += 4) {
            b.putInt(i, -1); // DIFAT: free
        }
        b.putInt(76, 0); // the allocation table is sector 0
        int fat = 512;
        b.putInt(fat, -3); // sector 0: the allocation table itself
        for (int s = 1; s <= dirSectors; s++) {
            b.putInt(fat + 4 * s, s == dirSectors ? -2 : s + 1); // the directory's chain
        }
        int firstSector = dirSectors + 1;
        for (int s = firstSector; s < firstSector + dataSectors; s++) {
            b.putInt(fat + 4 * s, s == firstSector + dataSectors - 1 ? -2 : s + 1); // the first stream's chain
        }
        for (int i = fat + 4 * (firstSector + dataSectors); i < fat + 512; i += 4) {
            b.putInt(i, -1);
        }
        for (int e = 0; e < entries; e++) {
            int at = 1024 + 128 * e;
            String name = e == 0 ? "Root Entry" : names[e - 1];
            boolean storage = name.endsWith("/");
            name = storage ? name.substring(0, name.length() - 1) : name;
            byte[] utf16 = name.getBytes(StandardCharsets.UTF_16LE);
            b.put(at, utf16);
            b.putShort(at + 64, (short) (utf16.length + 2));
            b.put(at + 66, (byte) (e == 0 ? 5 : storage ? 1 : 2));
            b.putInt(at + 68, -1).putInt(at + 72, -1).putInt(at + 76, e == 0 && entries > 1 ? 1 : -1);
            b.putInt(at + 116, e == 1 && dataSectors > 0 ? firstSector : -2);
            b.putInt(at + 120, e == 1 ? first.length : 0);
        }
        b.put(512 * (1 + firstSector), first);
        return b.array();
    }

    /**
     * A zip as a streaming writer makes it: each entry stored, its sizes and CRC left zero in its local header and
     * given in a data descriptor after its data, then the central directory. A name written {@code =NAME} is stored as
     * the JDK writes a stored entry instead, its sizes and CRC in its local header and no descriptor.
     */
    static byte[] streamedStoredZip(Object... nameContent) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream dir = new java.io.ByteArrayOutputStream();
        java.util.function.BiConsumer<java.io.ByteArrayOutputStream, long[]> le = (o, v) -> {
            for (int i = 0; i < (int) v[1]; i++) {
                o.write((int) (v[0] >>> (8 * i)));
            }
        };
        int count = 0;
        for (int i = 0; i < nameContent.length; i += 2, count++) {
            boolean plain = ((String) nameContent[i]).startsWith("=");
            byte[] name = ((String) nameContent[i]).substring(plain ? 1 : 0).getBytes(StandardCharsets.ISO_8859_1);
            byte[] data = (byte[]) nameContent[i + 1];
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(data);
            int offset = out.size();
            le.accept(out, new long[] {0x04034b50, 4});
            le.accept(out, new long[] {20, 2});
            le.accept(out, new long[] {plain ? 0 : 8, 2}); // a data descriptor follows, or not
            le.accept(out, new long[] {0, 2}); // stored
            le.accept(out, new long[] {0, 4}); // time, date
            le.accept(out, new long[] {plain ? crc.getValue() : 0, 4}); // CRC, sizes: in the descriptor, or here
            le.accept(out, new long[] {plain ? data.length : 0, 4});
            le.accept(out, new long[] {plain ? data.length : 0, 4});
            le.accept(out, new long[] {name.length, 2});
            le.accept(out, new long[] {0, 2});
            out.writeBytes(name);
            out.writeBytes(data);
            if (!plain) {
                le.accept(out, new long[] {0x08074b50, 4});
                le.accept(out, new long[] {crc.getValue(), 4});
                le.accept(out, new long[] {data.length, 4});
                le.accept(out, new long[] {data.length, 4});
            }
            le.accept(dir, new long[] {0x02014b50, 4});
            le.accept(dir, new long[] {20, 2});
            le.accept(dir, new long[] {20, 2});
            le.accept(dir, new long[] {plain ? 0 : 8, 2});
            le.accept(dir, new long[] {0, 2});
            le.accept(dir, new long[] {0, 4});
            le.accept(dir, new long[] {crc.getValue(), 4});
            le.accept(dir, new long[] {data.length, 4});
            le.accept(dir, new long[] {data.length, 4});
            le.accept(dir, new long[] {name.length, 2});
            le.accept(dir, new long[] {0, 2}); // extra
            le.accept(dir, new long[] {0, 2}); // comment
            le.accept(dir, new long[] {0, 2}); // disk
            le.accept(dir, new long[] {0, 2}); // internal attributes
            le.accept(dir, new long[] {0, 4}); // external attributes
            le.accept(dir, new long[] {offset, 4});
            dir.writeBytes(name);
        }
        int dirStart = out.size();
        out.writeBytes(dir.toByteArray());
        le.accept(out, new long[] {0x06054b50, 4});
        le.accept(out, new long[] {0, 4});
        le.accept(out, new long[] {count, 2});
        le.accept(out, new long[] {count, 2});
        le.accept(out, new long[] {dir.size(), 4});
        le.accept(out, new long[] {dirStart, 4});
        le.accept(out, new long[] {0, 2});
        return out.toByteArray();
    }

    /** {@link #message} with the usual headers for a file name and declared type. */
    static byte[] attachment(String fileName, String declaredType, byte[] content) {
        return message(
                "Content-Type: " + declaredType + "; name=\"" + fileName + "\"",
                "Content-Disposition: attachment; filename=\"" + fileName + "\"",
                content);
    }
}
