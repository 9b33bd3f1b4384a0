package org.mailhygiene.scanners.archive;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * RAR archives written byte by byte, for the tests (no free program writes RAR): RAR 4.x and RAR 5.0 block layouts,
 * stored entries with their data, "compressed" entries with a method other than store and bytes that stand for their
 * compressed data (listed by archive tools, never extracted), directories, encrypted entries' flags, Unicode names. What
 * it writes is checked against {@code 7z l -slt} and {@code lsar -j} ({@code RarTest}), so that it and the reader
 * cannot share a misreading.
 */
public final class RarWriter {
    /** One entry to write. */
    public static final class Item {
        final String name;
        final byte[] data;
        boolean directory;
        int method; // 0 store, 1-5 compressed
        boolean encrypted;
        boolean splitAfter;
        long declaredSize = -1;
        Long crc;
        String stream; // an NTFS alternate stream of the file before it: RAR5's STM service header

        Item(String name, byte[] data) {
            this.name = name;
            this.data = data;
        }

        /** Its method: 0 store, 1 to 5 RAR's compression (its data then stands for compressed bytes). */
        public Item method(int m) {
            method = m;
            return this;
        }

        /** Flags it as encrypted (its data stands for the encrypted bytes). */
        public Item encrypted() {
            encrypted = true;
            return this;
        }

        /** Flags it as continued in the next volume. */
        public Item splitAfter() {
            splitAfter = true;
            return this;
        }

        /** The unpacked size it declares, when not its data's length. */
        public Item declaredSize(long size) {
            declaredSize = size;
            return this;
        }

        /** The CRC it declares, when not its data's. */
        public Item crc(long value) {
            crc = value;
            return this;
        }
    }

    private final List<Item> items = new ArrayList<>();
    private boolean encryptedHeaders;

    /**
     * A name that, given to an archive's first file, puts {@code ustar} at offset 257, where a tar header has it: the
     * archive then also looks like a tar to a reader that checks that first.
     *
     * @param five for {@link #rar5}, else {@link #rar4}
     * @return the name
     */
    public static String tarMagicName(boolean five) {
        String probe = "N".repeat(300);
        RarWriter w = new RarWriter();
        w.file(probe, new byte[] {'x'});
        int at = new String(five ? w.rar5() : w.rar4(), java.nio.charset.StandardCharsets.ISO_8859_1).indexOf(probe);
        return "N".repeat(257 - at) + "ustar" + "N".repeat(40);
    }

    /** A file entry. */
    public Item file(String name, byte[] data) {
        Item i = new Item(name, data);
        items.add(i);
        return i;
    }

    /**
     * An NTFS alternate stream of the file written before it ({@code rar -os}): a RAR5 service header named {@code STM},
     * its stream's name (RAR writes it with a leading {@code :}) in the header's service data record, its data stored.
     * RAR5 only ({@link #rar4} writes it as a file named {@code STM}).
     */
    public Item stream(String streamName, byte[] data) {
        Item i = new Item("STM", data);
        i.stream = streamName;
        items.add(i);
        return i;
    }

    /** A directory entry. */
    public Item directory(String name) {
        Item i = new Item(name, new byte[0]);
        i.directory = true;
        items.add(i);
        return i;
    }

    /** Headers encrypted: RAR4's {@code -hp} archive flag, RAR5's archive encryption header. */
    public RarWriter encryptedHeaders() {
        encryptedHeaders = true;
        return this;
    }

    private static long crc(byte[] b, int off, int len) {
        CRC32 c = new CRC32();
        c.update(b, off, len);
        return c.getValue();
    }

    private long dataCrc(Item i) {
        return i.crc != null ? i.crc : crc(i.data, 0, i.data.length);
    }

    // ---- RAR 4.x

    /** The archive in RAR 4.x's format. */
    public byte[] rar4() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x00});
        block4(out, 0x73, encryptedHeaders ? 0x0080 : 0, new byte[6]);
        if (encryptedHeaders) {
            out.writeBytes(new byte[64]); // stands for the encrypted headers
            return out.toByteArray();
        }
        for (Item i : items) {
            boolean ascii = StandardCharsets.US_ASCII.newEncoder().canEncode(i.name);
            byte[] name = ascii ? i.name.getBytes(StandardCharsets.US_ASCII) : unicodeName4(i.name);
            ByteArrayOutputStream h = new ByteArrayOutputStream();
            le32(h, i.data.length); // packed
            le32(h, i.declaredSize >= 0 ? i.declaredSize : i.data.length);
            h.write(2); // Windows
            le32(h, dataCrc(i));
            le32(h, 0x3f_21_6c_00L); // DOS time: 2011-09-01 13:32
            h.write(29);
            h.write(0x30 + i.method);
            le16(h, name.length);
            le32(h, i.directory ? 0x10 : 0x20);
            h.writeBytes(name);
            int flags = 0x8000
                    | (i.directory ? 0x00e0 : 0)
                    | (ascii ? 0 : 0x0200)
                    | (i.encrypted ? 0x0004 : 0)
                    | (i.splitAfter ? 0x0002 : 0);
            block4(out, 0x74, flags, h.toByteArray());
            out.writeBytes(i.data);
        }
        block4(out, 0x7b, 0x4000, new byte[0]);
        return out.toByteArray();
    }

    /** A block: CRC, type, flags, size, then the rest ({@code rest}); the CRC's low 16 bits over all but itself. */
    static void block4(ByteArrayOutputStream out, int type, int flags, byte[] rest) {
        byte[] b = new byte[7 + rest.length];
        b[2] = (byte) type;
        b[3] = (byte) flags;
        b[4] = (byte) (flags >> 8);
        b[5] = (byte) b.length;
        b[6] = (byte) (b.length >> 8);
        System.arraycopy(rest, 0, b, 7, rest.length);
        long c = crc(b, 2, b.length - 2);
        b[0] = (byte) c;
        b[1] = (byte) (c >> 8);
        out.writeBytes(b);
    }

    /** A RAR4 Unicode name: its ASCII form ({@code _} for the rest), a zero, then every character in 16 bits. */
    private static byte[] unicodeName4(String name) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (char c : name.toCharArray()) {
            o.write(c < 0x80 ? c : '_');
        }
        o.write(0);
        o.write(0); // the high byte, unused here
        char[] cs = name.toCharArray();
        for (int i = 0; i < cs.length; i += 4) {
            o.write(0xaa); // four characters of 16 bits each
            for (int k = i; k < Math.min(cs.length, i + 4); k++) {
                o.write(cs[k]);
                o.write(cs[k] >> 8);
            }
        }
        return o.toByteArray();
    }

    // ---- RAR 5.0

    /** The archive in RAR 5.0's format. */
    public byte[] rar5() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x01, 0x00});
        if (encryptedHeaders) {
            ByteArrayOutputStream h = new ByteArrayOutputStream();
            vint(h, 0); // version
            vint(h, 0); // flags
            h.write(15); // KDF count
            h.writeBytes(new byte[16]); // salt
            header5(out, 4, 0, new byte[0], h.toByteArray(), 0);
            out.writeBytes(new byte[64]); // stands for the encrypted headers
            return out.toByteArray();
        }
        ByteArrayOutputStream main = new ByteArrayOutputStream();
        vint(main, 0); // archive flags
        header5(out, 1, 0, new byte[0], main.toByteArray(), 0);
        for (Item i : items) {
            byte[] name = i.name.getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream h = new ByteArrayOutputStream();
            vint(h, (i.directory ? 0x01 : 0) | 0x04);
            vint(h, i.declaredSize >= 0 ? i.declaredSize : i.data.length);
            vint(h, i.directory ? 0x10 : 0x20);
            le32(h, dataCrc(i));
            vint(h, (long) i.method << 7);
            vint(h, 0); // Windows
            vint(h, name.length);
            h.writeBytes(name);
            byte[] extra = new byte[0];
            if (i.stream != null) {
                ByteArrayOutputStream r = new ByteArrayOutputStream();
                vint(r, 0x07); // service data: the stream's name
                r.writeBytes(i.stream.getBytes(StandardCharsets.UTF_8));
                ByteArrayOutputStream e = new ByteArrayOutputStream();
                vint(e, r.size());
                e.writeBytes(r.toByteArray());
                extra = e.toByteArray();
            }
            if (i.encrypted) {
                ByteArrayOutputStream r = new ByteArrayOutputStream();
                vint(r, 0x01); // file encryption
                vint(r, 0); // version
                vint(r, 0); // flags
                r.write(15);
                r.writeBytes(new byte[32]); // salt and IV
                ByteArrayOutputStream e = new ByteArrayOutputStream();
                vint(e, r.size());
                e.writeBytes(r.toByteArray());
                extra = e.toByteArray();
            }
            int flags = (i.directory ? 0 : 0x02) | (i.splitAfter ? 0x10 : 0);
            header5(out, i.stream != null ? 3 : 2, flags, extra, h.toByteArray(), i.data.length);
            out.writeBytes(i.data);
        }
        ByteArrayOutputStream end = new ByteArrayOutputStream();
        vint(end, 0);
        header5(out, 5, 0, new byte[0], end.toByteArray(), 0);
        return out.toByteArray();
    }

    /** A header: CRC, size, type, flags, extra size and data size when flagged, its fields, its extra area. */
    private static void header5(
            ByteArrayOutputStream out, int type, int flags, byte[] extra, byte[] fields, long dataSize) {
        ByteArrayOutputStream h = new ByteArrayOutputStream();
        vint(h, type);
        vint(h, flags | (extra.length > 0 ? 0x01 : 0));
        if (extra.length > 0) {
            vint(h, extra.length);
        }
        if ((flags & 0x02) != 0) {
            vint(h, dataSize);
        }
        h.writeBytes(fields);
        h.writeBytes(extra);
        ByteArrayOutputStream sized = new ByteArrayOutputStream();
        vint(sized, h.size());
        sized.writeBytes(h.toByteArray());
        byte[] s = sized.toByteArray();
        le32(out, crc(s, 0, s.length));
        out.writeBytes(s);
    }

    /** RAR5's variable-length integer. */
    static void vint(ByteArrayOutputStream o, long v) {
        while (v >= 0x80) {
            o.write((int) (v & 0x7f) | 0x80);
            v >>>= 7;
        }
        o.write((int) v);
    }

    private static void le16(ByteArrayOutputStream o, int v) {
        o.write(v);
        o.write(v >> 8);
    }

    private static void le32(ByteArrayOutputStream o, long v) {
        for (int k = 0; k < 4; k++) {
            o.write((int) (v >> (8 * k)));
        }
    }
}
