package org.mailhygiene.scanners.archive;

import java.io.IOException;
import java.util.zip.ZipException;
import org.mailhygiene.internal.BulkInputStream;

/**
 * Bytes {@code [at, at + length)} of a file read by offset ({@link Positioned}): a 7z pack stream, a RAR file's data.
 * The file ending before them is a {@link ZipException} naming what was cut short. Not thread-safe.
 */
final class Range extends BulkInputStream {
    private final Positioned file;
    private final String what;
    private long at;
    private long left;

    /**
     * The bytes.
     *
     * @param file the file
     * @param at where they start
     * @param length how many
     * @param what what they are, for the exception ({@code 7z pack stream})
     */
    Range(Positioned file, long at, long length, String what) {
        this.file = file;
        this.at = at;
        this.left = length;
        this.what = what;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (left == 0) {
            return -1;
        }
        if (len == 0) {
            return 0;
        }
        int n = file.read(at, b, off, (int) Math.min(len, left));
        if (n <= 0) {
            throw new ZipException(what + " cut short");
        }
        at += n;
        left -= n;
        return n;
    }
}
