package org.mailhygiene.scanners.archive;

import java.io.IOException;

/**
 * A file's bytes read at any offset, for formats whose structure is at their end or anywhere in them (a compound
 * file's allocation tables, a 7z archive's header): a {@link Spool}, or bytes in an array. Implementations say whether
 * they are thread-safe.
 */
public interface Positioned {
    /**
     * The file's length in bytes.
     *
     * @return the length, 0 or more
     */
    long size();

    /**
     * Reads up to {@code len} bytes at {@code at}: fewer only where the file ends.
     *
     * @param at the offset to read from, 0 or more
     * @param b where to put them
     * @param off where in {@code b}
     * @param len how many at most
     * @return the bytes read, 0 at or past the end
     * @throws IOException if reading fails
     */
    int read(long at, byte[] b, int off, int len) throws IOException;

    /**
     * Bytes in an array, read at any offset. Thread-safe as long as the array is not changed.
     *
     * @param bytes the bytes, not copied
     * @return them
     */
    static Positioned of(byte[] bytes) {
        return new Positioned() {
            @Override
            public long size() {
                return bytes.length;
            }

            @Override
            public int read(long at, byte[] b, int off, int len) {
                int n = (int) Math.max(0, Math.min(len, bytes.length - at));
                if (n > 0) {
                    System.arraycopy(bytes, (int) at, b, off, n);
                }
                return n;
            }
        };
    }
}
