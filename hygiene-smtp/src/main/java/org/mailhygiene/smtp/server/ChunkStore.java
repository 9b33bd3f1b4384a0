package org.mailhygiene.smtp.server;

import static org.mailhygiene.internal.Closeables.closeQuietly;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Collects the chunks of one BDAT transaction (RFC 3030) until its LAST chunk: in heap up to a threshold, then in a
 * private (owner-only) temporary file. The session then reads it back once through the same path a DATA message takes
 * ({@code SpooledContent} plus the Received header, then the handler). Package-private; one session thread.
 */
final class ChunkStore implements AutoCloseable {
    private final long threshold;
    private final Path directory;
    private ByteArrayOutputStream heap = new ByteArrayOutputStream(8192);
    private Path file;
    private OutputStream fileOut;

    ChunkStore(long threshold, Path directory) {
        this.threshold = threshold;
        this.directory = directory;
    }

    /** Appends bytes, spilling to a temporary file once past the threshold. */
    void write(byte[] b, int off, int len) throws IOException {
        if (fileOut == null && heap.size() + (long) len > threshold) {
            file = org.mailhygiene.internal.TempFiles.createPrivate(directory, "hygiene-bdat-", ".part");
            fileOut = new java.io.BufferedOutputStream(Files.newOutputStream(file), 64 * 1024);
            heap.writeTo(fileOut);
            heap = null;
        }
        if (fileOut != null) {
            fileOut.write(b, off, len);
        } else {
            heap.write(b, off, len);
        }
    }

    /** Reads everything written so far; call once, after the last write. */
    InputStream openStream() throws IOException {
        if (fileOut == null) {
            return new ByteArrayInputStream(heap.toByteArray());
        }
        fileOut.flush();
        return new java.io.BufferedInputStream(Files.newInputStream(file), 64 * 1024);
    }

    /** Deletes the temporary file, if any. Idempotent. */
    @Override
    public void close() {
        heap = null;
        if (fileOut != null) {
            closeQuietly(fileOut);
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a private file in a temporary directory
            }
            fileOut = null;
        }
    }
}
