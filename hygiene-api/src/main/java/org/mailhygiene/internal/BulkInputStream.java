package org.mailhygiene.internal;

import java.io.IOException;
import java.io.InputStream;

/**
 * An input stream that reads in bulk: a subclass implements {@link #read(byte[], int, int)}, and a single byte is read
 * as a bulk read of one (the lines many of the project's decoders and bounded views wrote each for itself until
 * session 54). Whether a subclass is thread-safe is its own affair; this class keeps no state.
 */
public abstract class BulkInputStream extends InputStream {
    /** For subclasses. */
    protected BulkInputStream() {}

    /**
     * Reads one byte as {@link #read(byte[], int, int)} reads one.
     *
     * @return the byte, 0 to 255, or -1 at the end of the stream
     * @throws IOException as the bulk read throws it
     */
    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    /**
     * Reads up to {@code len} bytes into {@code b} at {@code off}, as {@link InputStream#read(byte[], int, int)}.
     *
     * @param b where the bytes go
     * @param off the first index written
     * @param len the most bytes read
     * @return the bytes read, or -1 at the end of the stream
     * @throws IOException if the stream cannot be read
     */
    @Override
    public abstract int read(byte[] b, int off, int len) throws IOException;
}
