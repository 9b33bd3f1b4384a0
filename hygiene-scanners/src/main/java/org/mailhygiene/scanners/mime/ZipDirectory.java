package org.mailhygiene.scanners.mime;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The central directory of a zip archive, read from its end as unzip, 7-Zip, Windows and Python read it: the
 * end-of-central-directory record among the last 65,557 bytes, then the directory it points to. A reader that streams
 * a zip from its start sees the local entries instead, which a second zip appended to the first (or a directory naming
 * other files) makes differ from what archive tools list.
 *
 * <p>Immutable and thread-safe.
 *
 * @param names the file names the directory lists, in its order (ISO-8859-1, as stored)
 * @param offsets where each named entry's local header is in the zip's bytes, as the directory says, moved by as much
 *     as the directory itself was found moved (an archive behind other bytes, or a directory offset written wrong), as
 *     Python's {@code zipfile} and Info-ZIP's unzip look for it first; -1 where the directory gives none (a ZIP64
 *     entry without its extra field); as many as {@code names}
 * @param endsFile whether the end record is the last thing in the bytes read (no archive comment, which 7-Zip and
 *     WinRAR show, and nothing after it)
 */
public record ZipDirectory(List<String> names, List<Long> offsets, boolean endsFile) {

    /**
     * Copies the names and offsets.
     *
     * @throws NullPointerException if {@code names} or {@code offsets} is or holds {@code null}
     * @throws IllegalArgumentException if there are not as many offsets as names
     */
    public ZipDirectory {
        names = List.copyOf(Objects.requireNonNull(names, "names"));
        offsets = List.copyOf(Objects.requireNonNull(offsets, "offsets"));
        if (offsets.size() != names.size()) {
            throw new IllegalArgumentException(offsets.size() + " offsets for " + names.size() + " names");
        }
    }

    /**
     * Reads the directory of a zip from its last bytes. The directory's offset is taken as written or, for an archive
     * behind other bytes (a self-extractor), as the end record's position less the directory's size. A ZIP64 archive's
     * directory is found through its ZIP64 end record (its locator just before the end record, the record where the
     * locator says or right before the locator), and an entry's local header offset written as {@code 0xffffffff}
     * is read from the entry's ZIP64 extra field (until session 52 a ZIP64 directory was not read, and an entry it
     * names that a forged data descriptor hid from a reader from the start was clean for the signature scanner).
     * Linear in the bytes.
     *
     * @param tail the zip's last bytes (all of it, or at least its directory and end record)
     * @param base the offset in the zip of {@code tail[0]}
     * @return the directory, or empty when there is no end record or the directory cannot be read from these bytes
     *     (a ZIP64 end record missing or out of reach, a directory that starts before them)
     */
    public static Optional<ZipDirectory> read(byte[] tail, long base) {
        byte[] z = Objects.requireNonNull(tail, "tail");
        int eocd = endOfDirectory(z);
        if (eocd < 0) {
            return Optional.empty();
        }
        long count = le16(z, eocd + 10);
        long size = le32(z, eocd + 12) & 0xffffffffL;
        long offset = le32(z, eocd + 16) & 0xffffffffL;
        int directoryEnd = eocd; // where the directory's bytes end: the end record, or the ZIP64 end record
        if (count == 0xffff || size == 0xffffffffL || offset == 0xffffffffL) {
            int record = zip64Record(z, eocd, base);
            if (record < 0) {
                return Optional.empty();
            }
            count = le64(z, record + 32);
            size = le64(z, record + 40);
            offset = le64(z, record + 48);
            if (count < 0 || size < 0 || offset < 0) {
                return Optional.empty();
            }
            directoryEnd = record;
        }
        long written = offset - base;
        long start = written >= 0 && written < directoryEnd && le32(z, (int) written) == 0x02014b50
                ? written
                : directoryEnd - size;
        if (start < 0) {
            return Optional.empty();
        }
        long moved = base + start - offset; // 0 unless the archive is behind other bytes its directory did not count
        List<String> names = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        int p = (int) start;
        for (long i = 0; i < count && p + 46 <= directoryEnd && le32(z, p) == 0x02014b50; i++) {
            int n = le16(z, p + 28);
            int extra = le16(z, p + 30);
            if (p + 46 + n > z.length) {
                break;
            }
            names.add(new String(z, p + 46, n, StandardCharsets.ISO_8859_1));
            long local = le32(z, p + 42) & 0xffffffffL;
            if (local == 0xffffffffL) {
                local = zip64Offset(z, p, p + 46 + n, Math.min(z.length, p + 46 + n + extra));
            }
            offsets.add(local < 0 ? -1 : local + moved);
            p += 46 + n + extra + le16(z, p + 32);
        }
        return Optional.of(new ZipDirectory(names, offsets, eocd + 22 == z.length));
    }

    /**
     * The ZIP64 end-of-central-directory record's offset in {@code z}: where the locator right before the end record
     * says, or, for an archive behind other bytes, right before the locator (a record without extensible data); -1
     * when there is no locator or no record at either place.
     */
    private static int zip64Record(byte[] z, int eocd, long base) {
        int locator = eocd - 20;
        if (locator < 0 || le32(z, locator) != 0x07064b50) {
            return -1;
        }
        long written = le64(z, locator + 8) - base;
        if (written >= 0 && written + 56 <= locator && le32(z, (int) written) == 0x06064b50) {
            return (int) written;
        }
        int before = locator - 56;
        return before >= 0 && le32(z, before) == 0x06064b50 ? before : -1;
    }

    /**
     * A directory entry's local header offset from its ZIP64 extra field (id 1), whose 8-byte values come in the
     * order uncompressed size, compressed size, offset, each only when the entry's own field is {@code 0xffffffff};
     * -1 when the field is missing or too short.
     */
    private static long zip64Offset(byte[] z, int entry, int from, int to) {
        int at = from;
        while (at + 4 <= to) {
            int id = le16(z, at);
            int length = le16(z, at + 2);
            int data = at + 4;
            if (id == 1) {
                int skip = 0;
                if ((le32(z, entry + 24) & 0xffffffffL) == 0xffffffffL) {
                    skip += 8;
                }
                if ((le32(z, entry + 20) & 0xffffffffL) == 0xffffffffL) {
                    skip += 8;
                }
                return skip + 8 <= length && data + skip + 8 <= to ? le64(z, data + skip) : -1;
            }
            at = data + length;
        }
        return -1;
    }

    /**
     * Where a zip's end-of-central-directory record is: searched backwards from the end, over at most the longest
     * archive comment (65,535 bytes), as archive tools search it. Linear in that span.
     *
     * @param zip the zip's last bytes (or all of it)
     * @return the record's offset in {@code zip}, or -1 when there is none
     */
    public static int endOfDirectory(byte[] zip) {
        for (int i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65535); i--) {
            if (le32(zip, i) == 0x06054b50) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The name in a zip's first local header (what a streaming reader reads first).
     *
     * @param zip the zip's bytes from its start
     * @return the name, or empty when the bytes do not start with a local header
     */
    public static Optional<String> firstLocalName(byte[] zip) {
        if (le32(zip, 0) != 0x04034b50 || zip.length < 30) {
            return Optional.empty();
        }
        int n = le16(zip, 26);
        return 30 + n > zip.length
                ? Optional.empty()
                : Optional.of(new String(zip, 30, n, StandardCharsets.ISO_8859_1));
    }

    private static int le16(byte[] b, int at) {
        return at < 0 || at + 2 > b.length ? -1 : (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    /** A little-endian 64-bit value; negative when out of the bytes or 2^63 or more (no zip holds so much). */
    private static long le64(byte[] b, int at) {
        if (at < 0 || at + 8 > b.length) {
            return -1;
        }
        return (le32(b, at) & 0xffffffffL) | (long) le32(b, at + 4) << 32;
    }

    private static int le32(byte[] b, int at) {
        return at < 0 || at + 4 > b.length
                ? -1
                : (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }
}
