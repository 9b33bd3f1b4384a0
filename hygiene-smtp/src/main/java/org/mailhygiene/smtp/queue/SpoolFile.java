package org.mailhygiene.smtp.queue;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The on-disk form of one spooled message: a single file that holds the envelope record, the message bytes and the
 * recipient-state updates appended after it.
 *
 * <pre>
 *   "MHSPOOL2"                      8 bytes, magic and format version
 *   H                               4 bytes, big-endian: length of the initial record
 *   L                               8 bytes, big-endian: length of the message
 *   record                          H bytes, {@link RecordCodec#encodeQueued} (UTF-8 text)
 *   content                         L bytes, the message
 *   "MHCM" CRC32C                   8 bytes: commit mark, CRC-32C of every byte before it
 *   ( "MHUP" L record CRC32C )*     appended updates: L (4 bytes) record bytes, CRC-32C of "MHUP", L and the record
 * </pre>
 *
 * <p>A file is committed once its commit mark is on disk with a matching checksum; one without it (a crash while it
 * was written) is discarded at recovery. The last update whose checksum matches is the message's state; a torn update
 * at the end (a crash while it was appended) is cut off at recovery, so the state is the previous one. Nothing in
 * this class synchronises; {@link Spool} owns the files.
 */
final class SpoolFile {
    static final byte[] MAGIC = "MHSPOOL2".getBytes(StandardCharsets.US_ASCII);
    private static final int COMMIT = 0x4d48434d; // "MHCM"
    private static final int UPDATE = 0x4d485550; // "MHUP"
    /** A record larger than this is corrupt (a real one is a few hundred bytes per recipient). */
    private static final int MAX_RECORD = 64 * 1024 * 1024;

    private SpoolFile() {}

    /** Where the content starts for a record of {@code recordLength} bytes. */
    static long contentOffset(int recordLength) {
        return MAGIC.length + 12L + recordLength;
    }

    /**
     * Writes record, prefix, content and the commit mark into {@code file} and forces the file. On failure the file
     * is deleted.
     *
     * @param existing {@code true} to write into an existing empty file (a spare), {@code false} to create the file,
     *     which must not exist
     * @param length the number of bytes {@code prefix} and {@code content} hold together
     * @throws IOException if writing fails or the content does not hold {@code length - prefix.length} bytes
     */
    static void write(Path file, boolean existing, byte[] record, long length, byte[] prefix, InputStream content)
            throws IOException {
        CRC32C crc = new CRC32C();
        long written = 0;
        try (FileChannel ch = existing
                ? FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)
                : FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            // no larger than the file (a message of a few hundred bytes needs no 64 KiB), room for the header
            ByteBuffer buf = ByteBuffer.allocate((int) Math.max(
                    MAGIC.length + 12 + 8, DurableFiles.bufferFor(MAGIC.length + 20L + record.length + length)));
            buf.put(MAGIC).putInt(record.length).putLong(length);
            int off = 0;
            while (off < record.length) {
                int n = Math.min(buf.remaining(), record.length - off);
                buf.put(record, off, n);
                off += n;
                if (!buf.hasRemaining()) {
                    flush(ch, buf, crc);
                }
            }
            off = 0;
            while (off < prefix.length) {
                int n = Math.min(buf.remaining(), prefix.length - off);
                buf.put(prefix, off, n);
                off += n;
                written += n;
                if (!buf.hasRemaining()) {
                    flush(ch, buf, crc);
                }
            }
            while (true) {
                if (!buf.hasRemaining()) {
                    flush(ch, buf, crc);
                }
                int n = content.read(buf.array(), buf.position(), buf.remaining());
                if (n < 0) {
                    break;
                }
                buf.position(buf.position() + n);
                written += n;
            }
            if (written != length) {
                throw new IOException("content delivered " + written + " bytes but declared " + length);
            }
            if (buf.remaining() < 8) {
                flush(ch, buf, crc);
            }
            crc.update(buf.array(), 0, buf.position());
            buf.putInt(COMMIT).putInt((int) crc.getValue());
            buf.flip();
            DurableFiles.writeAll(ch, buf);
            ch.force(false);
        } catch (IOException | RuntimeException e) {
            DurableFiles.deleteQuietly(file, e);
            throw e;
        }
    }

    private static void flush(FileChannel ch, ByteBuffer buf, CRC32C crc) throws IOException {
        crc.update(buf.array(), 0, buf.position());
        buf.flip();
        DurableFiles.writeAll(ch, buf);
        buf.clear();
    }

    /**
     * Appends an update record and forces the file. If the append fails the file is cut back to its previous length
     * (best effort), so a later update is not hidden behind a torn one.
     */
    static void append(Path file, byte[] record) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(12 + record.length);
        buf.putInt(UPDATE).putInt(record.length).put(record);
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, buf.position());
        buf.putInt((int) crc.getValue());
        buf.flip();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            long end = ch.size();
            try {
                ch.position(end);
                DurableFiles.writeAll(ch, buf);
                ch.force(false);
            } catch (IOException | RuntimeException e) {
                try {
                    ch.truncate(end);
                } catch (IOException | RuntimeException t) {
                    e.addSuppressed(t);
                }
                throw e;
            }
        }
    }

    /** What {@link #read} found. */
    record Contents(byte[] record, long contentOffset, long contentLength, long validEnd, long fileLength) {}

    /**
     * Reads and verifies a spool file: the commit mark's checksum over the whole message, then every update.
     *
     * @return the latest record, or {@code null} if the file was never committed (it ends before its commit mark)
     * @throws IOException if the file cannot be read, is not a spool file of this format, or has a commit mark whose
     *     checksum does not match (damaged after it was committed)
     */
    static Contents read(Path file) throws IOException {
        return read(file, true);
    }

    /**
     * Reads a spool file, verifying the commit mark's checksum over the whole message or not. Without verifying, the
     * message's bytes are not read at all (the commit mark is found at the offset the header gives, and must be there):
     * what {@code hygiene queue list} needs, a few kilobytes per file whatever the message's size. Each update's own
     * checksum is verified either way (updates are small), and so is the envelope record's own {@code sum} line
     * ({@link RecordCodec}; records written before session 55 have none).
     *
     * @param verify whether to read the message and compare its checksum with the commit mark's
     * @return the latest record, or {@code null} if the file was never committed (it ends before its commit mark)
     * @throws IOException if the file cannot be read, is not a spool file of this format, has an envelope record
     *     whose own checksum does not match, or (when verifying) has a commit mark whose checksum does not match
     */
    static Contents read(Path file, boolean verify) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long length = ch.size();
            // buffers no larger than the file: recovery and `hygiene queue list` read every file of a queue of
            // thousands, mostly a few kilobytes each, and two 64 KiB buffers per file were most of their allocation
            int buffer = DurableFiles.bufferFor(verify ? length : Math.min(length, 8192));
            InputStream in = new BufferedInputStream(Channels.newInputStream(ch), buffer);
            CRC32C crc = new CRC32C();
            byte[] magic = new byte[MAGIC.length];
            if (!readFully(in, magic, crc)) {
                return null;
            }
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                throw new IOException(file + " is not a spool file of format 2");
            }
            byte[] lengths = new byte[12];
            if (!readFully(in, lengths, crc)) {
                return null;
            }
            ByteBuffer lb = ByteBuffer.wrap(lengths);
            int h = lb.getInt();
            long size = lb.getLong();
            if (h < 0 || h > MAX_RECORD || contentOffset(h) > length) {
                return null;
            }
            byte[] record = new byte[h];
            if (!readFully(in, record, crc)) {
                return null;
            }
            long contentOffset = contentOffset(h);
            if (size < 0 || contentOffset + size + 8 > length) {
                return null;
            }
            if (!verify) {
                // the envelope record on its own (the commit mark's checksum covers the message as well): a record
                // damaged after its commit is known without reading the message, even when updates supersede it
                // (the node's recovery, which verifies, sets such a file aside)
                RecordCodec.checkSum(record, file);
                // past the message: the rest (commit mark, updates) is read from there
                ch.position(contentOffset + size);
                in = new BufferedInputStream(Channels.newInputStream(ch), buffer);
            }
            byte[] buf = new byte[buffer];
            long left = verify ? size : 0;
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    return null;
                }
                crc.update(buf, 0, n);
                left -= n;
            }
            byte[] mark = new byte[8];
            if (!readFully(in, mark, null)) {
                return null;
            }
            ByteBuffer mb = ByteBuffer.wrap(mark);
            if (mb.getInt() != COMMIT) {
                return null;
            }
            if (mb.getInt() != (int) crc.getValue() && verify) {
                // The commit mark was written, so the file was complete once: damage, not a torn write.
                throw new IOException(file + ": checksum mismatch (the file was committed and has since been damaged)");
            }
            long validEnd = contentOffset + size + 8;
            byte[] latest = record;
            while (validEnd + 12 <= length) {
                byte[] head = new byte[8];
                if (!readFully(in, head, null)) {
                    break;
                }
                ByteBuffer hb = ByteBuffer.wrap(head);
                int kind = hb.getInt();
                int len = hb.getInt();
                if (kind != UPDATE || len < 0 || len > MAX_RECORD || validEnd + 12 + len > length) {
                    break;
                }
                byte[] rec = new byte[len];
                byte[] sum = new byte[4];
                if (!readFully(in, rec, null) || !readFully(in, sum, null)) {
                    break;
                }
                CRC32C c = new CRC32C();
                c.update(head);
                c.update(rec);
                if (ByteBuffer.wrap(sum).getInt() != (int) c.getValue()) {
                    break;
                }
                latest = rec;
                validEnd += 12 + len;
            }
            return new Contents(latest, contentOffset, size, validEnd, length);
        }
    }

    /** Cuts a torn update off the end of a committed file and forces it. */
    static void truncate(Path file, long validEnd) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(validEnd);
            ch.force(false);
        }
    }

    private static boolean readFully(InputStream in, byte[] b, CRC32C crc) throws IOException {
        int off = 0;
        while (off < b.length) {
            int n = in.read(b, off, b.length - off);
            if (n < 0) {
                return false;
            }
            off += n;
        }
        if (crc != null) {
            crc.update(b);
        }
        return true;
    }

    /** The message bytes of a spool file: {@code length} bytes from {@code offset}, buffered. */
    static InputStream openContent(Path file, long offset, long length) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            ch.position(offset);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        InputStream raw = new BufferedInputStream(Channels.newInputStream(ch), DurableFiles.bufferFor(length));
        return new FilterInputStream(raw) {
            private long left = length;

            @Override
            public int read() throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int b = super.read();
                if (b < 0) {
                    throw new EOFException(file + " ends before its message does");
                }
                left--;
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int n = super.read(b, off, (int) Math.min(len, left));
                if (n < 0) {
                    throw new EOFException(file + " ends before its message does");
                }
                left -= n;
                return n;
            }

            @Override
            public long skip(long n) throws IOException {
                long s = super.skip(Math.min(n, left));
                left -= s;
                return s;
            }

            @Override
            public int available() throws IOException {
                return (int) Math.min(super.available(), left);
            }

            @Override
            public boolean markSupported() {
                return false;
            }
        };
    }
}
