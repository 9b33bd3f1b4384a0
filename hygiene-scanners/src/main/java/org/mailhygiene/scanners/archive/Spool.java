package org.mailhygiene.scanners.archive;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.mailhygiene.internal.TempFiles;

/**
 * The bytes of one file as they pass, kept to be read again at any offset once they have all passed (a compound
 * file's allocation table, read at its end, says where its streams are): in heap up to {@value #HEAP} bytes, beyond
 * that in a private temporary file ({@link TempFiles#createPrivate}) deleted by {@link #close()}. Not thread-safe:
 * one writer, then one reader. Used by the attachment policy for compound files and by both the policy and the signature
 * scanner for 7z archives ({@link SevenZip}), whose header is at their end.
 */
public final class Spool implements Positioned, Closeable {
    /** Bytes kept in heap before the spool moves to a temporary file: 4 MiB. */
    public static final int HEAP = 4 << 20;

    private static final int CHUNK = 64 * 1024;

    /** The bytes while they fit in {@link #HEAP}, in chunks of {@value #CHUNK}. */
    private final List<byte[]> chunks = new ArrayList<>();

    private long size;
    private Path path;
    private FileChannel file;
    /** Bytes in {@link #file}; those after them wait in {@link #pending}. */
    private long flushed;

    private byte[] pending;
    private int pendingLength;

    /** An empty spool. */
    public Spool() {}

    /**
     * A spool holding a stream's bytes to its end (a 7z or RAR archive's, read by offset once kept).
     *
     * @param in the stream, read to its end (not closed)
     * @param buffer a buffer to read through
     * @return the spool, to close
     * @throws IOException if reading fails or the temporary file cannot be made or written (the spool is closed then)
     */
    public static Spool of(InputStream in, byte[] buffer) throws IOException {
        Spool spool = new Spool();
        try {
            int n;
            while ((n = in.read(buffer, 0, buffer.length)) >= 0) {
                spool.write(buffer, 0, n);
            }
            return spool;
        } catch (IOException | RuntimeException e) {
            spool.close();
            throw e;
        }
    }

    /**
     * Appends bytes.
     *
     * @param b the bytes
     * @param off where they start in {@code b}
     * @param len how many
     * @throws IOException if the temporary file cannot be made or written
     */
    public void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int n;
            if (file == null && size == HEAP) {
                toFile();
                continue;
            } else if (file == null) {
                int at = (int) (size % CHUNK);
                if (at == 0) {
                    chunks.add(new byte[CHUNK]);
                }
                n = Math.min(len, CHUNK - at);
                System.arraycopy(b, off, chunks.get(chunks.size() - 1), at, n);
            } else {
                n = Math.min(len, CHUNK - pendingLength);
                System.arraycopy(b, off, pending, pendingLength, n);
                pendingLength += n;
                if (pendingLength == CHUNK) {
                    writeOut(pending);
                    pendingLength = 0;
                }
            }
            size += n;
            off += n;
            len -= n;
        }
    }

    /** Moves the bytes in heap (exactly {@link #HEAP} of them, whole chunks) to a new temporary file. */
    private void toFile() throws IOException {
        path = TempFiles.createPrivate(null, "hygiene-", ".spool"); // a compound file or a 7z archive
        file = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        for (byte[] c : chunks) {
            writeOut(c);
        }
        chunks.clear();
        pending = new byte[CHUNK];
    }

    private void writeOut(byte[] chunk) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(chunk);
        while (buffer.hasRemaining()) {
            file.write(buffer, flushed + buffer.position());
        }
        flushed += chunk.length;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int read(long at, byte[] b, int off, int len) throws IOException {
        int n = (int) Math.max(0, Math.min(len, size - at));
        int done = 0;
        if (file != null && at < flushed) {
            done = (int) Math.min(n, flushed - at);
            ByteBuffer buffer = ByteBuffer.wrap(b, off, done);
            while (buffer.hasRemaining()) {
                if (file.read(buffer, at + buffer.position() - off) < 0) {
                    throw new IOException("temporary file ended early");
                }
            }
        }
        while (done < n) {
            long p = at + done - flushed; // in heap, or in pending once on disk
            int k = (int) Math.min(n - done, CHUNK - p % CHUNK);
            byte[] from = file == null ? chunks.get((int) (p / CHUNK)) : pending;
            System.arraycopy(from, (int) (p % CHUNK), b, off + done, k);
            done += k;
        }
        return n;
    }

    /**
     * Whether the bytes went to a temporary file.
     *
     * @return whether they did
     */
    public boolean onDisk() {
        return path != null;
    }

    /** Deletes the temporary file, if any, and lets the heap go. */
    @Override
    public void close() throws IOException {
        chunks.clear();
        try {
            if (file != null) {
                file.close();
            }
        } finally {
            file = null;
            if (path != null) {
                // also when the file was made but could not be opened (toFile failed between the two)
                Files.deleteIfExists(path);
            }
        }
    }
}
