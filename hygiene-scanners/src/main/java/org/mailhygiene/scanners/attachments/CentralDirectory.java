package org.mailhygiene.scanners.attachments;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The entries of a zip held whole in memory, as its central directory at the end lists them (where unzip, 7-Zip,
 * Windows and Python look), with where each one's data lies. For the archives the JDK's streaming reader refuses: a
 * stored (uncompressed) entry followed by a data descriptor, whose end a reader going from the start cannot find
 * (Go's {@code archive/zip} and Python's {@code zipfile} writing to a stream make them, and so do XPS documents and
 * password-protected OpenDocument files). Linear in the bytes; never reads outside them.
 */
final class CentralDirectory {
    private CentralDirectory() {}

    /**
     * One entry.
     *
     * @param name its name (ISO-8859-1, as stored)
     * @param flags the general-purpose flags (bit 0: encrypted)
     * @param method 0 stored, 8 deflated, other values unsupported here
     * @param dataStart where its data starts in the archive
     * @param compressedSize its data's length
     */
    record Entry(String name, int flags, int method, int dataStart, int compressedSize) {
        boolean encrypted() {
            return (flags & 1) != 0;
        }
    }

    /**
     * Reads the entries of a whole zip.
     *
     * @param zip the archive's bytes, all of them, from its start
     * @return the entries in the directory's order, or empty when the directory cannot be read (none, ZIP64, an entry
     *     whose local header or data lies outside the bytes)
     */
    static Optional<List<Entry>> read(byte[] zip) {
        int eocd = -1;
        for (int i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65535); i--) {
            if (le32(zip, i) == 0x06054b50) {
                eocd = i;
                break;
            }
        }
        if (eocd < 0) {
            return Optional.empty();
        }
        int count = le16(zip, eocd + 10);
        long start = le32(zip, eocd + 16) & 0xffffffffL;
        if (count == 0xffff || start >= eocd) {
            return Optional.empty(); // ZIP64, or a directory that is not here
        }
        List<Entry> entries = new ArrayList<>();
        int p = (int) start;
        for (int i = 0; i < count; i++) {
            if (p + 46 > eocd || le32(zip, p) != 0x02014b50) {
                return Optional.empty();
            }
            int n = le16(zip, p + 28);
            long csize = le32(zip, p + 20) & 0xffffffffL;
            long local = le32(zip, p + 42) & 0xffffffffL;
            if (p + 46 + n > eocd || local + 30 > zip.length || le32(zip, (int) local) != 0x04034b50) {
                return Optional.empty();
            }
            long data = local + 30 + le16(zip, (int) local + 26) + le16(zip, (int) local + 28);
            if (data + csize > zip.length) {
                return Optional.empty();
            }
            entries.add(new Entry(
                    new String(zip, p + 46, n, StandardCharsets.ISO_8859_1),
                    le16(zip, p + 8),
                    le16(zip, p + 10),
                    (int) data,
                    (int) csize));
            p += 46 + n + le16(zip, p + 30) + le16(zip, p + 32);
        }
        return Optional.of(entries);
    }

    private static int le16(byte[] b, int at) {
        return at < 0 || at + 2 > b.length ? -1 : (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    private static int le32(byte[] b, int at) {
        return at < 0 || at + 4 > b.length
                ? -1
                : (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }
}
