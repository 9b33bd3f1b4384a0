package org.mailhygiene.scanners.archive;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A POSIX (ustar, pax) or GNU tar archive read entry by entry from its start, as 7-Zip, WinRAR and Windows list it: an
 * entry's name is the ustar prefix and name, a GNU long name ({@code L}) or a pax {@code path} (an {@code x} header),
 * which are read here and not given as entries. The archive ends at an all-zero header or at the end of the bytes. A
 * header cut short or whose checksum does not match, a size field that is not octal, or a long name or extended header
 * over {@value #MAX_HEADER} bytes is a {@link BrokenException}; an entry cut short an {@link EOFException}.
 *
 * <p>Linear in the bytes; memory is one header and at most one long name. Not thread-safe.
 */
public final class TarStream {
    /** The most bytes of a GNU long name or a pax extended header read. */
    public static final int MAX_HEADER = 64 * 1024;

    private static final int BLOCK = 512;

    private final InputStream raw;
    private Entry current;
    private long padding;

    /**
     * A tar archive to read from its start.
     *
     * @param raw the archive's bytes; not closed here
     */
    public TarStream(InputStream raw) {
        this.raw = raw;
    }

    /**
     * Whether content starts as a POSIX or GNU tar archive ({@code ustar} at offset 257 of its first header).
     *
     * @param prefix the content's first bytes
     * @param n how many of them there are
     * @return whether it does
     */
    public static boolean starts(byte[] prefix, int n) {
        return n >= 263
                && prefix[257] == 'u'
                && prefix[258] == 's'
                && prefix[259] == 't'
                && prefix[260] == 'a'
                && prefix[261] == 'r';
    }

    /**
     * One entry.
     *
     * @param name its name, the ustar prefix, a long name or a pax path taken into account
     * @param type the header's type flag ({@code '0'} or NUL a regular file, {@code '7'} a contiguous one, {@code '5'}
     *     a directory...)
     * @param data its bytes, readable until the next call of {@link #next}; an {@link EOFException} when the archive
     *     ends inside it
     */
    public record Entry(String name, char type, InputStream data) {
        /**
         * Whether the entry is a file, whose bytes an extracting tool writes out.
         *
         * @return whether it is
         */
        public boolean isFile() {
            return type == '0' || type == '\0' || type == '7';
        }
    }

    /** A header that cannot be read as the tools read it; the message says what, e.g. {@code size field}. */
    public static final class BrokenException extends IOException {
        private static final long serialVersionUID = 1L;

        BrokenException(String reason) {
            super(reason);
        }
    }

    /**
     * The next entry, after reading the rest of the current one.
     *
     * @return the entry, or {@code null} at the archive's end
     * @throws BrokenException if a header is broken
     * @throws IOException if reading fails, or the archive ends inside an entry or its padding ({@link EOFException})
     */
    public Entry next() throws IOException {
        if (current != null) {
            current.data().transferTo(OutputStream.nullOutputStream());
            raw.skipNBytes(padding);
            current = null;
        }
        String longName = null;
        while (true) {
            byte[] h = raw.readNBytes(BLOCK);
            if (h.length == 0 || (h.length == BLOCK && allZero(h))) {
                return null;
            }
            if (h.length < BLOCK || !checksumMatches(h)) {
                throw new BrokenException("a header cut short or its checksum wrong");
            }
            long size = octal(h, 124, 12);
            if (size < 0) {
                throw new BrokenException("size field");
            }
            char type = (char) (h[156] & 0xff);
            long padded = (size + BLOCK - 1) / BLOCK * BLOCK;
            if (type == 'L' || type == 'x') {
                if (size > MAX_HEADER) {
                    throw new BrokenException("an extended header over " + MAX_HEADER + " bytes");
                }
                byte[] data = raw.readNBytes((int) size);
                raw.skipNBytes(padded - data.length);
                longName = type == 'L' ? ArchiveBytes.cString(data, 0, data.length) : paxPath(data);
                continue;
            }
            String name = longName != null ? longName : ArchiveBytes.cString(h, 0, 100);
            if (longName == null && h[257] == 'u') {
                String prefix = ArchiveBytes.cString(h, 345, 155);
                if (!prefix.isEmpty()) {
                    name = prefix + "/" + name;
                }
            }
            padding = padded - size;
            current = new Entry(name, type, new Bounded(raw, size, "tar entry"));
            return current;
        }
    }

    /**
     * Whether a tar header's checksum (the sum of its bytes, the checksum field read as blanks) is the one it holds.
     *
     * @param h a 512-byte header
     * @return whether it is
     */
    public static boolean checksumMatches(byte[] h) {
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += i >= 148 && i < 156 ? ' ' : (h[i] & 0xff);
        }
        return octal(h, 148, 8) == sum;
    }

    /** An octal field of a tar header (blanks and NULs around it allowed); -1 if it holds anything else. */
    private static long octal(byte[] h, int off, int len) {
        long v = 0;
        boolean digits = false;
        for (int i = off; i < off + len; i++) {
            int c = h[i] & 0xff;
            if (c >= '0' && c <= '7') {
                v = v * 8 + (c - '0');
                digits = true;
                if (v > (1L << 40)) {
                    return -1;
                }
            } else if (c == 0 || c == ' ') {
                if (digits) {
                    break;
                }
            } else {
                return -1;
            }
        }
        return digits ? v : 0;
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** The {@code path} of a pax extended header ({@code "LEN path=VALUE\n"} records), or {@code null}. */
    private static String paxPath(byte[] data) {
        String s = new String(data, StandardCharsets.UTF_8);
        for (String record : s.split("\n")) {
            int space = record.indexOf(' ');
            if (space > 0 && record.startsWith("path=", space + 1)) {
                return record.substring(space + 6);
            }
        }
        return null;
    }
}
