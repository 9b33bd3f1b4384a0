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
 *     entry); as many as {@code names}
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
     * behind other bytes (a self-extractor), as the end record's position less the directory's size. Linear in the
     * bytes.
     *
     * @param tail the zip's last bytes (all of it, or at least its directory and end record)
     * @param base the offset in the zip of {@code tail[0]}
     * @return the directory, or empty when there is no end record or the directory cannot be read from these bytes
     *     (ZIP64, a directory that starts before them)
     */
    public static Optional<ZipDirectory> read(byte[] tail, long base) {
        byte[] z = Objects.requireNonNull(tail, "tail");
        int eocd = endOfDirectory(z);
        if (eocd < 0) {
            return Optional.empty();
        }
        int count = le16(z, eocd + 10);
        long size = le32(z, eocd + 12) & 0xffffffffL;
        long offset = le32(z, eocd + 16) & 0xffffffffL;
        if (count == 0xffff || offset == 0xffffffffL) {
            return Optional.empty(); // ZIP64
        }
        long written = offset - base;
        long start = written >= 0 && written < eocd && le32(z, (int) written) == 0x02014b50 ? written : eocd - size;
        if (start < 0) {
            return Optional.empty();
        }
        long moved = base + start - offset; // 0 unless the archive is behind other bytes its directory did not count
        List<String> names = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        int p = (int) start;
        for (int i = 0; i < count && p + 46 <= eocd && le32(z, p) == 0x02014b50; i++) {
            int n = le16(z, p + 28);
            if (p + 46 + n > z.length) {
                break;
            }
            names.add(new String(z, p + 46, n, StandardCharsets.ISO_8859_1));
            long local = le32(z, p + 42) & 0xffffffffL;
            offsets.add(local == 0xffffffffL ? -1 : local + moved);
            p += 46 + n + le16(z, p + 30) + le16(z, p + 32);
        }
        return Optional.of(new ZipDirectory(names, offsets, eocd + 22 == z.length));
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

    private static int le32(byte[] b, int at) {
        return at < 0 || at + 4 > b.length
                ? -1
                : (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }
}
