package org.mailhygiene.smtp.queue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.mailhygiene.internal.Buffers;

/** File operations with the durability the spool relies on: written, forced, atomically renamed, directory forced. */
final class DurableFiles {
    private static final int BUFFER = 64 * 1024;

    private DurableFiles() {}

    /**
     * A copy buffer for {@code size} bytes of the spool or the quarantine ({@link Buffers#forSize}, at most 64 KiB): a
     * quarantine of a virus storm holds and releases thousands of messages of a few hundred bytes each.
     */
    static int bufferFor(long size) {
        return Buffers.forSize(size, BUFFER);
    }

    /** Creates {@code file} (which must not exist), writes the parts in order, forces data and metadata. */
    static long writeForced(Path file, byte[] prefix, InputStream body, byte[] suffix) throws IOException {
        return writeForced(file, prefix, body, BUFFER, suffix);
    }

    /**
     * {@link #writeForced(Path, byte[], InputStream, byte[])} with a body of about {@code bodySize} bytes (a hint for
     * the copy buffer; any size is copied whole).
     */
    static long writeForced(Path file, byte[] prefix, InputStream body, long bodySize, byte[] suffix)
            throws IOException {
        long total = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            total += writeAll(ch, ByteBuffer.wrap(prefix));
            if (body != null) {
                byte[] buf = new byte[bufferFor(bodySize + 1)];
                int n;
                while ((n = body.read(buf)) >= 0) {
                    total += writeAll(ch, ByteBuffer.wrap(buf, 0, n));
                }
            }
            total += writeAll(ch, ByteBuffer.wrap(suffix));
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(file, e);
            throw e;
        }
        return total;
    }

    static void writeForced(Path file, byte[] bytes) throws IOException {
        writeForced(file, bytes, null, new byte[0]);
    }

    /** Writes every remaining byte of {@code b}; returns how many that was. */
    static int writeAll(FileChannel ch, ByteBuffer b) throws IOException {
        int n = b.remaining();
        while (b.hasRemaining()) {
            ch.write(b);
        }
        return n;
    }

    /** Renames atomically, replacing {@code to} if it exists. */
    static void moveAtomic(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the spool needs atomic rename within one file system: " + e.getMessage(), e);
        }
    }

    /** Renames atomically, failing if {@code to} exists (used where overwriting would lose a record). */
    static void moveAtomicNoReplace(Path from, Path to) throws IOException {
        if (Files.exists(to)) {
            throw new FileAlreadyExistsException(to.toString());
        }
        moveAtomic(from, to);
    }

    /** Forces a directory's entries to disk (Linux and macOS; a no-op where directories cannot be opened). */
    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            if (System.getProperty("os.name", "")
                    .toLowerCase(java.util.Locale.ROOT)
                    .startsWith("windows")) {
                return; // Windows cannot open directories; NTFS journals metadata itself.
            }
            throw e;
        }
    }

    static void deleteQuietly(Path file, Throwable onto) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException suppressed) {
            if (onto != null) {
                onto.addSuppressed(suppressed);
            }
        }
    }

    static void deleteAll(List<Path> files) throws IOException {
        IOException first = null;
        for (Path f : files) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
