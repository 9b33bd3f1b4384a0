package org.mailhygiene.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A stream that remembers the first failure of a read, so that a caller copying it somewhere can tell a failure to
 * read the source (the client's connection, a held message) from a failure to write the copy (a full disk), which
 * both reach it as one {@link IOException}. Not thread-safe, as streams are not.
 */
public final class ReadFailureInputStream extends FilterInputStream {
    private IOException failure;

    /**
     * Wraps a stream.
     *
     * @param in the source; closed with this stream
     */
    public ReadFailureInputStream(InputStream in) {
        super(in);
    }

    /**
     * The first exception a read of the source threw, if any.
     *
     * @return the exception, or {@code null}
     */
    public IOException failure() {
        return failure;
    }

    @Override
    public int read() throws IOException {
        try {
            return super.read();
        } catch (IOException e) {
            remember(e);
            throw e;
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            return super.read(b, off, len);
        } catch (IOException e) {
            remember(e);
            throw e;
        }
    }

    private void remember(IOException e) {
        if (failure == null) {
            failure = e;
        }
    }
}
