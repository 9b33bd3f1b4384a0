package org.mailhygiene.scanners.archive;

import java.nio.charset.StandardCharsets;

/**
 * TNEF streams (Outlook's {@code winmail.dat}) built for tests, as Outlook writes them, for the attachment policy's and
 * the signature scanner's tests and {@link TnefStream}'s own.
 */
public final class TnefSamples {
    private TnefSamples() {}

    /**
     * A TNEF stream as Outlook writes it: the version and message class, then one attachment (its rendering, title
     * and bytes, and, when {@code longName} is given, MAPI properties: a size, a named property and
     * {@code PR_ATTACH_LONG_FILENAME} in 8 bits or UTF-16).
     */
    public static byte[] tnef(String title, byte[] data, String longName, boolean unicode) {
        return tnef(title, data, longName, unicode, -1);
    }

    /**
     * As {@link #tnef(String, byte[], String, boolean)}, with a binary MAPI property ({@code PR_ATTACH_RENDERING}) of
     * {@code filler} bytes before the long name when {@code filler} is not negative.
     */
    public static byte[] tnef(String title, byte[] data, String longName, boolean unicode, int filler) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        le(out, 0x223E9F78, 4);
        le(out, 1, 2);
        tnefAttribute(out, 1, 0x00089006, new byte[] {0, 0, 1, 0});
        tnefAttribute(out, 1, 0x00078008, "IPM.Note\0".getBytes(StandardCharsets.US_ASCII));
        tnefAttribute(out, 2, 0x00069002, new byte[14]);
        tnefAttribute(out, 2, 0x00018010, (title + "\0").getBytes(StandardCharsets.US_ASCII));
        tnefAttribute(out, 2, 0x0006800F, data);
        if (longName != null) {
            java.io.ByteArrayOutputStream p = new java.io.ByteArrayOutputStream();
            le(p, filler < 0 ? 3 : 4, 4);
            if (filler >= 0) {
                le(p, 0x0102, 2); // PT_BINARY PR_ATTACH_RENDERING (an icon's metafile)
                le(p, 0x3709, 2);
                le(p, 1, 4);
                le(p, filler, 4);
                p.writeBytes(new byte[filler + (4 - filler % 4) % 4]);
            }
            le(p, 0x0003, 2); // PT_LONG PR_ATTACH_SIZE
            le(p, 0x0E20, 2);
            le(p, data.length, 4);
            le(p, 0x0003, 2); // a named PT_LONG: GUID, kind 0 (a number), the number, the value
            le(p, 0x8001, 2);
            p.writeBytes(new byte[16]);
            le(p, 0, 4);
            le(p, 0x8233, 4);
            le(p, 7, 4);
            byte[] name = (longName + "\0").getBytes(unicode ? StandardCharsets.UTF_16LE : StandardCharsets.US_ASCII);
            le(p, unicode ? 0x001F : 0x001E, 2);
            le(p, 0x3707, 2);
            le(p, 1, 4);
            le(p, name.length, 4);
            p.writeBytes(name);
            p.writeBytes(new byte[(4 - name.length % 4) % 4]);
            tnefAttribute(out, 2, 0x00069005, p.toByteArray());
        }
        return out.toByteArray();
    }

    /**
     * A TNEF stream of one attachment titled {@code title} (none when null) whose {@code attAttachData} claims {@code claimed} bytes
     * (read as unsigned) and holds 64.
     */
    public static byte[] claiming(String title, int claimed) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        le(out, 0x223E9F78, 4);
        le(out, 1, 2);
        tnefAttribute(out, 2, 0x00069002, new byte[14]);
        if (title != null) {
            tnefAttribute(out, 2, 0x00018010, (title + "\0").getBytes(StandardCharsets.US_ASCII));
        }
        out.write(2);
        le(out, 0x0006800F, 4);
        le(out, claimed, 4);
        out.writeBytes(new byte[64]);
        return out.toByteArray();
    }

    /**
     * Writes one TNEF attribute: its level, id, length, value and checksum (the sum of its bytes, 16 bits).
     *
     * @param out where to
     * @param level 1 for the message, 2 for an attachment
     * @param id the attribute's id, e.g. {@code 0x0006800F} ({@code attAttachData})
     * @param data its value
     */
    public static void tnefAttribute(java.io.ByteArrayOutputStream out, int level, int id, byte[] data) {
        out.write(level);
        le(out, id, 4);
        le(out, data.length, 4);
        out.writeBytes(data);
        int sum = 0;
        for (byte b : data) {
            sum += b & 0xff;
        }
        le(out, sum & 0xffff, 2);
    }

    /**
     * Writes the low {@code bytes} bytes of {@code value}, little-endian.
     *
     * @param out where to
     * @param value the number
     * @param bytes how many bytes, 1 to 4
     */
    public static void le(java.io.ByteArrayOutputStream out, int value, int bytes) {
        for (int i = 0; i < bytes; i++) {
            out.write((value >>> (8 * i)) & 0xff);
        }
    }
}
