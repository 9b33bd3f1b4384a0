package org.mailhygiene.scanners.archive;

import java.nio.charset.StandardCharsets;

/** Fields of archive headers: little-endian integers and NUL-terminated names. Stateless and thread-safe. */
public final class ArchiveBytes {
    private ArchiveBytes() {}

    /**
     * The little-endian 32-bit integer at {@code at}.
     *
     * @param b the bytes
     * @param at where it begins
     * @return the integer
     * @throws ArrayIndexOutOfBoundsException if fewer than four bytes are there
     */
    public static int le32(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }

    /**
     * The little-endian unsigned 16-bit integer at {@code at}.
     *
     * @param b the bytes
     * @param at where it begins
     * @return the integer, 0 to 65535
     * @throws ArrayIndexOutOfBoundsException if fewer than two bytes are there
     */
    public static int le16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    /**
     * The UTF-8 text of {@code len} bytes from {@code off} up to the first NUL (a C string in a fixed field), or to
     * the field's or the array's end.
     *
     * @param b the bytes
     * @param off where the field begins
     * @param len the field's length
     * @return the text, malformed bytes replaced
     */
    public static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && end < b.length && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }
}
