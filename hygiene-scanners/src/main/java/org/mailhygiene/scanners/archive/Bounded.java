package org.mailhygiene.scanners.archive;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import org.mailhygiene.internal.BulkInputStream;

/**
 * At most {@code limit} bytes of a stream, which closing this one does not close; the stream ending sooner is an
 * {@link EOFException} naming what was cut short (a tar entry, a 7z file). Not thread-safe.
 */
class Bounded extends BulkInputStream {
    private final InputStream in;
    private final String what;
    /** The bytes still to be read. */
    long left;

    /**
     * A stream of at most {@code limit} of {@code in}'s bytes.
     *
     * @param in the stream
     * @param limit how many of its bytes to read at most
     * @param what what they are, for the exception ({@code tar entry})
     */
    Bounded(InputStream in, long limit, String what) {
        this.in = in;
        this.left = limit;
        this.what = what;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (left <= 0) {
            return -1;
        }
        if (len == 0) {
            return 0;
        }
        int n = in.read(b, off, (int) Math.min(len, left));
        if (n < 0) {
            throw new EOFException(what + " cut short" + (left > 0 ? ": " + left + " bytes missing" : ""));
        }
        left -= n;
        return n;
    }
}
