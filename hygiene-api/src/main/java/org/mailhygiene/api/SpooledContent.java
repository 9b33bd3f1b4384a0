package org.mailhygiene.api;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.mailhygiene.internal.Checks;

/**
 * Content read from a stream once, held in heap up to a threshold and in a private temporary file beyond it.
 *
 * <p>The temporary file is created with owner-only permissions where the file system supports POSIX permissions and
 * is deleted by {@link #close()}. Reading after {@code close()} throws {@link IOException} for file-backed content.
 * Thread-safe: {@link #openStream()} may be called concurrently; {@code close()} is idempotent.
 */
public final class SpooledContent implements MessageContent, AutoCloseable {
    private static final int BUFFER = 64 * 1024;
    private static final long MAX_HEAP = Integer.MAX_VALUE - 8;

    private final byte[] heap;
    private final Path file;
    private final long size;
    private volatile boolean closed;

    private SpooledContent(byte[] heap, Path file, long size) {
        this.heap = heap;
        this.file = file;
        this.size = size;
    }

    /**
     * Reads {@code in} to its end into heap or, past {@code memoryThreshold} bytes, into a new temporary file in this
     * process's own directory under the JVM's temporary directory (see {@link #spool(InputStream, long, Path)}).
     *
     * @param in the source; not closed
     * @param memoryThreshold bytes that may stay in heap, {@code >= 0}
     * @return the content; close it to delete any temporary file
     * @throws IOException if reading or writing fails (any temporary file is deleted before this is thrown)
     * @throws IllegalArgumentException if {@code memoryThreshold < 0}
     */
    public static SpooledContent spool(InputStream in, long memoryThreshold) throws IOException {
        return spool(in, memoryThreshold, null);
    }

    /**
     * As {@link #spool(InputStream, long)}, with the temporary file in {@code directory}.
     *
     * @param in the source; not closed
     * @param memoryThreshold bytes that may stay in heap, {@code >= 0}; values above {@code Integer.MAX_VALUE - 8}
     *     (the largest array) act as that
     * @param directory where a temporary file goes; {@code null} means this process's own directory under the JVM's
     *     temporary directory ({@code hygiene-jvm-*}, deleted when the JVM exits, or by a later process when this one
     *     was killed)
     * @return the content; close it to delete any temporary file
     * @throws IOException if reading or writing fails (any temporary file is deleted before this is thrown)
     * @throws IllegalArgumentException if {@code memoryThreshold < 0}
     */
    public static SpooledContent spool(InputStream in, long memoryThreshold, Path directory) throws IOException {
        Objects.requireNonNull(in, "in");
        Checks.requireAtLeast(memoryThreshold, 0, "memoryThreshold");
        // A heap array cannot hold more than this; a larger threshold means "as much as fits in an array".
        long threshold = Math.min(memoryThreshold, MAX_HEAP);
        ByteArrayOutputStream mem = new ByteArrayOutputStream((int) Math.min(threshold, 8192));
        byte[] buf = new byte[BUFFER];
        long total = 0;
        int n;
        while (total <= threshold) {
            // Read at most one byte past the threshold, so crossing it is noticed without reading further.
            int want = (int) Math.min(buf.length, threshold - total + 1);
            n = in.read(buf, 0, want);
            if (n < 0) {
                return new SpooledContent(mem.toByteArray(), null, total);
            }
            mem.write(buf, 0, n);
            total += n;
        }
        Path tmp = createPrivateTempFile(directory);
        try (OutputStream out = Files.newOutputStream(tmp)) {
            mem.writeTo(out);
            mem = null;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                total += n;
            }
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return new SpooledContent(null, tmp, total);
    }

    /**
     * Something that writes content to a stream, such as {@code jakarta.mail.internet.MimeMessage::writeTo}.
     *
     * @param <E> a checked exception the writer may throw besides {@link IOException}
     */
    @FunctionalInterface
    public interface Writer<E extends Exception> {
        /**
         * Writes the whole content.
         *
         * @param out where to write; do not close it
         * @throws IOException if writing fails
         * @throws E the writer's own failure
         */
        void writeTo(OutputStream out) throws IOException, E;
    }

    /**
     * Lets {@code writer} write the content into heap or, past {@code memoryThreshold} bytes, into a new temporary file
     * in {@code directory}: the push counterpart of {@link #spool(InputStream, long, Path)}, for sources that can only
     * write (a {@code MimeMessage}), so they never have to be buffered whole in a {@code byte[]}. At most
     * {@code memoryThreshold} bytes are ever held in heap.
     *
     * @param writer writes the content once
     * @param memoryThreshold bytes that may stay in heap, {@code >= 0}; values above {@code Integer.MAX_VALUE - 8}
     *     act as that
     * @param directory where a temporary file goes; {@code null} means this process's own directory under the JVM's
     *     temporary directory ({@code hygiene-jvm-*}, deleted when the JVM exits, or by a later process when this one
     *     was killed)
     * @param <E> the writer's own checked exception
     * @return the content; close it to delete any temporary file
     * @throws IOException if writing fails (any temporary file is deleted before this is thrown)
     * @throws E if the writer fails (any temporary file is deleted before this is thrown)
     * @throws IllegalArgumentException if {@code memoryThreshold < 0}
     */
    public static <E extends Exception> SpooledContent write(Writer<E> writer, long memoryThreshold, Path directory)
            throws IOException, E {
        Objects.requireNonNull(writer, "writer");
        Checks.requireAtLeast(memoryThreshold, 0, "memoryThreshold");
        SpillingOutputStream out = new SpillingOutputStream(Math.min(memoryThreshold, MAX_HEAP), directory);
        try {
            writer.writeTo(out);
            out.close();
        } catch (Exception | Error e) {
            out.discard(e);
            throw e;
        }
        return new SpooledContent(out.heap == null ? null : out.heap.toByteArray(), out.file, out.total);
    }

    /** Heap up to a threshold, then a private temporary file with what was in heap followed by the rest. */
    private static final class SpillingOutputStream extends OutputStream {
        private final long threshold;
        private final Path directory;
        private ByteArrayOutputStream heap;
        private Path file;
        private OutputStream fileOut;
        private long total;

        SpillingOutputStream(long threshold, Path directory) {
            this.threshold = threshold;
            this.directory = directory;
            this.heap = new ByteArrayOutputStream((int) Math.min(threshold, 8192));
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (fileOut == null && total + len > threshold) {
                file = createPrivateTempFile(directory);
                fileOut = new java.io.BufferedOutputStream(Files.newOutputStream(file), BUFFER);
                heap.writeTo(fileOut);
                heap = null;
            }
            if (fileOut != null) {
                fileOut.write(b, off, len);
            } else {
                heap.write(b, off, len);
            }
            total += len;
        }

        @Override
        public void flush() throws IOException {
            if (fileOut != null) {
                fileOut.flush();
            }
        }

        @Override
        public void close() throws IOException {
            if (fileOut != null) {
                fileOut.close();
            }
        }

        void discard(Throwable failure) {
            try {
                close();
            } catch (IOException suppressed) {
                failure.addSuppressed(suppressed);
            }
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException suppressed) {
                    failure.addSuppressed(suppressed);
                }
            }
        }
    }

    private static Path createPrivateTempFile(Path directory) throws IOException {
        // without a directory, in the process's own one, which a later process deletes if this one is killed; a
        // given one removed under a running process is made again
        return org.mailhygiene.internal.TempFiles.createPrivate(directory, "hygiene-", ".eml");
    }

    /**
     * Whether the content spilled to a temporary file.
     *
     * @return {@code true} if file-backed
     */
    public boolean isOnDisk() {
        return file != null;
    }

    @Override
    public long size() {
        return size;
    }

    /**
     * {@inheritDoc}
     *
     * @throws IOException if the content was closed and is file-backed
     */
    @Override
    public InputStream openStream() throws IOException {
        if (file == null) {
            return new ByteArrayInputStream(heap);
        }
        if (closed) {
            throw new IOException("spooled content is closed");
        }
        return new java.io.BufferedInputStream(Files.newInputStream(file), BUFFER);
    }

    /** Deletes the temporary file, if any. Idempotent; never throws. */
    @Override
    public void close() {
        closed = true;
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // Nothing useful to do: the file is in a temporary directory and owner-only.
            }
        }
    }

    @Override
    public String toString() {
        return "SpooledContent[bytes=" + size + (file != null ? ", onDisk" : ", inHeap") + "]";
    }
}
