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
        int eocd = org.mailhygiene.scanners.mime.ZipDirectory.endOfDirectory(zip);
        if (eocd < 0) {
            return Optional.empty();
        }
        int count = Inspection.le16(zip, eocd + 10);
        long start = Inspection.le32(zip, eocd + 16) & 0xffffffffL;
        if (count == 0xffff || start >= eocd) {
            return Optional.empty(); // ZIP64, or a directory that is not here
        }
        List<Entry> entries = new ArrayList<>();
        int p = (int) start;
        for (int i = 0; i < count; i++) {
            if (p + 46 > eocd || Inspection.le32(zip, p) != 0x02014b50) {
                return Optional.empty();
            }
            int n = Inspection.le16(zip, p + 28);
            long csize = Inspection.le32(zip, p + 20) & 0xffffffffL;
            long local = Inspection.le32(zip, p + 42) & 0xffffffffL;
            if (p + 46 + n > eocd || local + 30 > zip.length || Inspection.le32(zip, (int) local) != 0x04034b50) {
                return Optional.empty();
            }
            long data = local + 30 + Inspection.le16(zip, (int) local + 26) + Inspection.le16(zip, (int) local + 28);
            if (data + csize > zip.length) {
                return Optional.empty();
            }
            entries.add(new Entry(
                    new String(zip, p + 46, n, StandardCharsets.ISO_8859_1),
                    Inspection.le16(zip, p + 8),
                    Inspection.le16(zip, p + 10),
                    (int) data,
                    (int) csize));
            p += 46 + n + Inspection.le16(zip, p + 30) + Inspection.le16(zip, p + 32);
        }
        return Optional.of(entries);
    }
}
