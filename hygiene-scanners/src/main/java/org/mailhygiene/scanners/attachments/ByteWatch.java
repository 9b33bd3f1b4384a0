package org.mailhygiene.scanners.attachments;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Passes bytes through to whoever reads them, showing each to {@link #take} as it passes; skipped bytes are read, so
 * nothing passes unseen. Not thread-safe: one reader.
 */
abstract class ByteWatch extends FilterInputStream {
    ByteWatch(InputStream in) {
        super(in);
    }

    /** Sees the next byte. */
    abstract void take(byte b);

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b >= 0) {
            take((byte) b);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int r = in.read(b, off, len);
        for (int i = 0; i < r; i++) {
            take(b[off + i]);
        }
        return r;
    }

    @Override
    public long skip(long n) throws IOException { // read, not skipped: every byte is seen
        int chunk = (int) Math.min(8192, Math.max(1, n));
        return Math.max(0, read(new byte[chunk], 0, chunk));
    }

    @Override
    public boolean markSupported() {
        return false;
    }
}
