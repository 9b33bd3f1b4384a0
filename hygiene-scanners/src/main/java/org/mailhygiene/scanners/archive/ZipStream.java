package org.mailhygiene.scanners.archive;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/**
 * A zip read from its start, entry by entry, as the JDK's {@link ZipInputStream} reads it, and also the entries that
 * reader refuses: a stored (uncompressed) entry whose sizes and CRC follow its data in a data descriptor (Go's
 * {@code archive/zip}, Python's {@code zipfile} writing to a stream, XPS documents and LibreOffice's
 * password-protected files write them). Such an entry's end is where a data descriptor follows whose sizes are the
 * number of bytes read since the entry's data began and whose CRC is theirs (with or without the descriptor's
 * optional signature; 8-byte sizes when the entry's local header has a ZIP64 field, APPNOTE 4.3.9); then the JDK's
 * reader goes on after it. Until session 48 such a zip was read by its directory when at most 4 MiB and was
 * ARCHIVE_BROKEN when larger. A deflated entry with a ZIP64 field and a data descriptor, which the JDK's reader (17)
 * reads with 4-byte sizes and refuses, is inflated here and its descriptor read with 8-byte sizes (until session 51 it
 * ended the zip's reading). An encrypted entry is given as such, its data passed over, unless its sizes follow its
 * data or are ZIP64's.
 *
 * <p>Linear in the bytes: each byte of a stored entry is looked at a constant number of times, and a CRC is compared
 * only where a descriptor's sizes match. Not thread-safe.
 */
public final class ZipStream implements AutoCloseable {
    /** The message the JDK's reader refuses a stored entry with a data descriptor with (JDK 17 to 25). */
    private static final String REFUSED = "only DEFLATED entries can have EXT descriptor";

    /** The message the JDK's reader refuses an encrypted entry with (JDK 17 to 25). */
    private static final String ENCRYPTED = "encrypted ZIP entry not supported";

    private static final int LOCAL_HEADER = 30;

    private final Source source;
    private Reader jdk;
    /** The entry read here rather than by the JDK's reader (see {@link Stored}, {@link Deflated64}), or {@code null}. */
    private InputStream stored;

    /**
     * A zip to read from its start.
     *
     * @param in the zip's bytes; not closed by {@link #close}
     */
    public ZipStream(InputStream in) {
        this.source = new Source(in);
        this.jdk = new Reader(source);
    }

    /**
     * One entry.
     *
     * @param name its name as stored (ISO-8859-1, or UTF-8 when its flag says so)
     * @param directory whether it names a directory
     * @param offset where its local header begins in the zip's bytes, or -1 when it cannot be told (a header longer
     *     than the bytes kept)
     * @param data its expanded content, readable until the next call of {@link #next}; empty when it is encrypted
     * @param encrypted whether it is encrypted (its data is passed over, the entries after it are read)
     */
    public record Entry(String name, boolean directory, long offset, InputStream data, boolean encrypted) {}

    /**
     * The next entry, after reading the rest of the current one.
     *
     * @return the entry, or {@code null} after the last one
     * @throws IOException if the zip cannot be read (the JDK's exceptions, e.g. for an encrypted entry whose sizes
     *     follow its data or are ZIP64's, or a {@link ZipException} for a stored entry whose descriptor is never found)
     */
    public Entry next() throws IOException {
        if (stored != null) {
            stored.transferTo(java.io.OutputStream.nullOutputStream());
            stored = null;
            jdk.close();
            jdk = new Reader(source);
        }
        ZipEntry e;
        try {
            e = jdk.getNextEntry();
        } catch (ZipException ex) {
            if (ENCRYPTED.equals(ex.getMessage()) && jdk.lastName != null) {
                return encryptedEntry(jdk.lastName, ex);
            }
            if (!REFUSED.equals(ex.getMessage()) || jdk.lastName == null) {
                throw ex;
            }
            return storedEntry(jdk.lastName);
        }
        if (e == null) {
            return null;
        }
        // the reader has read the header whole, its extra field too
        long consumed = source.delivered - jdk.held().available();
        byte[] extra = e.getExtra();
        long at = headerStart(e.getName(), consumed, extra == null ? 0 : extra.length);
        byte[] h = at < 0 ? null : source.last(at, at + LOCAL_HEADER);
        if (h != null
                && e.getMethod() == ZipEntry.DEFLATED
                && (ArchiveBytes.le16(h, 6) & 8) != 0
                && extra != null
                && zip64(extra)) {
            // The JDK's reader (17 to 20) reads this entry's data descriptor with 4-byte sizes whatever its ZIP64
            // field says, and refuses it ("invalid entry size"): Python's zipfile writes such entries to a stream
            // (force_zip64), Info-ZIP's zip for input from a pipe.
            source.unread(jdk.held().readNBytes(jdk.held().available()));
            stored = new Deflated64(source, e.getName());
            return new Entry(e.getName(), e.isDirectory(), at, stored, false);
        }
        return new Entry(e.getName(), e.isDirectory(), at, jdk, false);
    }

    /**
     * Where the local header of the entry just begun is: among the last bytes delivered, ending at {@code end} with
     * the entry's name and {@code extraLength} bytes of extra field ({@code -1}: the extra field not read yet, the
     * header ends after the name).
     *
     * @return its offset, or -1 when no such header is among the bytes kept
     */
    private long headerStart(String name, long end, int extraLength) {
        for (int n : new int[] {name.length(), name.getBytes(StandardCharsets.UTF_8).length}) {
            long at = end - Math.max(0, extraLength) - n - LOCAL_HEADER;
            byte[] h = source.last(at, at + LOCAL_HEADER + n);
            if (h != null
                    && ArchiveBytes.le32(h, 0) == 0x04034b50
                    && ArchiveBytes.le16(h, 26) == n
                    && (extraLength < 0 || ArchiveBytes.le16(h, 28) == extraLength)
                    && new String(
                                    h,
                                    LOCAL_HEADER,
                                    n,
                                    (ArchiveBytes.le16(h, 6) & 0x800) != 0
                                            ? StandardCharsets.UTF_8
                                            : StandardCharsets.ISO_8859_1)
                            .equals(name)) {
                return at;
            }
        }
        return -1;
    }

    /**
     * The stored entry the JDK's reader has just refused, having read its local header's fixed part and name: that
     * header is found again among the last bytes the reader was given (what it read minus what it holds unread), and
     * the entry is read from after its extra field.
     */
    private Entry storedEntry(String name) throws IOException {
        PushbackInputStream held = jdk.held();
        int unread = held.available(); // the source says 0: this is what the reader holds back
        long consumed = source.delivered - unread;
        byte[] back = held.readNBytes(unread);
        long at = headerStart(name, consumed, -1);
        if (at < 0) {
            throw new ZipException("a stored entry with a data descriptor whose local header cannot be read again");
        }
        int extraLength = ArchiveBytes.le16(source.last(at, at + LOCAL_HEADER), 28);
        source.unread(back);
        byte[] extra = source.readNBytes(extraLength);
        if (extra.length < extraLength) {
            throw new ZipException("it is cut short");
        }
        stored = new Stored(source, zip64(extra) ? 8 : 4, name);
        return new Entry(name, name.endsWith("/"), at, stored, false);
    }

    /**
     * The encrypted entry the JDK's reader has just refused, having read its local header's fixed part and name: its
     * data is passed over by the compressed size its header gives, and the JDK's reader goes on after it (as unzip and
     * clamd list and read the entries after it; until session 51 the zip's reading ended there, and a file after a
     * locked one was not seen). One whose sizes follow its data (a data descriptor) or are ZIP64's cannot be passed
     * over: {@code refused} is thrown.
     */
    private Entry encryptedEntry(String name, ZipException refused) throws IOException {
        PushbackInputStream held = jdk.held();
        int unread = held.available();
        long consumed = source.delivered - unread;
        byte[] back = held.readNBytes(unread);
        long at = headerStart(name, consumed, -1);
        byte[] h = at < 0 ? null : source.last(at, at + LOCAL_HEADER);
        if (h == null || (ArchiveBytes.le16(h, 6) & 8) != 0 || ArchiveBytes.le32(h, 18) == -1) {
            throw refused;
        }
        long skip = ArchiveBytes.le16(h, 28) + (ArchiveBytes.le32(h, 18) & 0xffffffffL);
        source.unread(back);
        if (source.skip(skip) < skip) {
            throw new java.io.EOFException("an encrypted entry cut short");
        }
        jdk.close();
        jdk = new Reader(source);
        return new Entry(name, name.endsWith("/"), at, InputStream.nullInputStream(), true);
    }

    /** Whether an extra field holds a ZIP64 field (header 0x0001). */
    private static boolean zip64(byte[] extra) {
        for (int i = 0; i + 4 <= extra.length; i += 4 + ArchiveBytes.le16(extra, i + 2)) {
            if (ArchiveBytes.le16(extra, i) == 1) {
                return true;
            }
        }
        return false;
    }

    /** Ends the JDK reader's inflater, and an entry's inflated here; the zip's stream is left open. */
    @Override
    public void close() throws IOException {
        jdk.close();
        if (stored instanceof Deflated64 d) {
            d.inflater.end();
        }
    }

    /** The JDK's reader, telling the name of the entry it last began to read and giving the bytes it holds back. */
    private static final class Reader extends ZipInputStream {
        String lastName;

        Reader(Source source) {
            super(source, StandardCharsets.ISO_8859_1);
        }

        @Override
        protected ZipEntry createZipEntry(String name) {
            lastName = name;
            return super.createZipEntry(name);
        }

        /** The reader's own source: the bytes it read ahead and pushed back, then {@link Source}. */
        PushbackInputStream held() {
            return (PushbackInputStream) in;
        }
    }

    /**
     * The zip's bytes, with bytes given back ({@link #unread}) read first; keeps the last bytes it delivered, enough
     * for a local header with the longest name and what the JDK's reader reads ahead. Its {@link #available} is 0, so
     * that the reader's pushback stream's {@code available()} is what it holds back.
     */
    private static final class Source extends FilterInputStream {
        /**
         * A local header's fixed part, the longest name and extra field, and the JDK reader's 512 bytes of
         * read-ahead, rounded up.
         */
        private static final int KEEP = 1 << 18;

        /** The position in the zip of the next byte read. */
        long delivered;

        private byte[] pending = new byte[0];
        private int pendingAt;
        private final LastBytes last = new LastBytes(KEEP);

        Source(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            int n;
            if (pendingAt < pending.length) {
                n = Math.min(len, pending.length - pendingAt);
                System.arraycopy(pending, pendingAt, b, off, n);
                pendingAt += n;
            } else {
                n = in.read(b, off, len);
            }
            if (n > 0) {
                last.keep(b, off, n, delivered);
                delivered += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            // through read, so that what is delivered is kept
            byte[] scratch = new byte[(int) Math.min(8192, Math.max(0, n))];
            long skipped = 0;
            while (skipped < n) {
                int r = read(scratch, 0, (int) Math.min(scratch.length, n - skipped));
                if (r < 0) {
                    break;
                }
                skipped += r;
            }
            return skipped;
        }

        @Override
        public int available() {
            return 0;
        }

        @Override
        public void close() {
            // the zip's stream is the caller's
        }

        /**
         * Gives back the last bytes delivered, to be read again before any other: {@link #delivered} stays the
         * position in the zip (it counted them twice, so that a header's offset after a stored entry was wrong).
         */
        void unread(byte[] bytes) {
            if (bytes.length == 0) {
                return;
            }
            delivered -= bytes.length;
            byte[] rest = java.util.Arrays.copyOfRange(pending, pendingAt, pending.length);
            byte[] joined = java.util.Arrays.copyOf(bytes, bytes.length + rest.length);
            System.arraycopy(rest, 0, joined, bytes.length, rest.length);
            pending = joined;
            pendingAt = 0;
        }

        /** The bytes delivered at {@code [from, to)}, or {@code null} when they are not all kept. */
        byte[] last(long from, long to) {
            return from < 0 ? null : last.range(from, to, delivered);
        }
    }

    /**
     * A deflated entry with a ZIP64 field whose sizes and CRC follow its data in a data descriptor of 8-byte sizes
     * (APPNOTE 4.3.9), inflated here: what the inflater did not use is given back to the source, the descriptor (with
     * or without its signature) is read and its CRC and sizes compared; one that does not match, compressed data that
     * does not inflate or is cut short is a {@link ZipException}. Linear in the bytes.
     */
    private static final class Deflated64 extends InputStream {
        private final Source source;
        private final String name;
        private final Inflater inflater = new Inflater(true);
        private final byte[] in = new byte[8192];
        private final CRC32 crc = new CRC32();
        private long size;
        private boolean ended;

        Deflated64(Source source, String name) {
            this.source = source;
            this.name = name;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (ended) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            while (true) {
                int n;
                try {
                    n = inflater.inflate(b, off, len);
                } catch (DataFormatException e) {
                    throw new ZipException("entry \"" + name + "\": " + e.getMessage());
                }
                if (n > 0) {
                    crc.update(b, off, n);
                    size += n;
                    return n;
                }
                if (inflater.finished() || inflater.needsDictionary()) {
                    end();
                    return -1;
                }
                if (inflater.needsInput()) {
                    int r = source.read(in, 0, in.length);
                    if (r < 0) {
                        throw new ZipException("entry \"" + name + "\": cut short");
                    }
                    inflater.setInput(in, 0, r);
                }
            }
        }

        private void end() throws IOException {
            ended = true;
            long compressed = inflater.getBytesRead();
            int remaining = inflater.getRemaining();
            inflater.end();
            // the unused bytes are the last the source delivered
            source.unread(source.last(source.delivered - remaining, source.delivered));
            byte[] d = source.readNBytes(24);
            int at = d.length >= 4 && ArchiveBytes.le32(d, 0) == 0x08074b50 ? 4 : 0;
            if (d.length < at + 20
                    || ArchiveBytes.le32(d, at) != (int) crc.getValue()
                    || le64(d, at + 4) != compressed
                    || le64(d, at + 12) != size) {
                throw new ZipException("entry \"" + name + "\": its data descriptor does not match its data");
            }
            source.unread(java.util.Arrays.copyOfRange(d, at + 20, d.length));
        }

        private static long le64(byte[] b, int i) {
            return (ArchiveBytes.le32(b, i) & 0xffffffffL) | (long) ArchiveBytes.le32(b, i + 4) << 32;
        }
    }

    /**
     * A stored entry's data, up to the data descriptor that ends it; what was read beyond the descriptor is given back
     * to the source.
     */
    private static final class Stored extends InputStream {
        private final Source source;
        /** 4, or 8 with a ZIP64 field. */
        private final int sizeBytes;

        private final String name;
        /** The most a descriptor takes: its signature, CRC and two sizes. */
        private final int longest;

        private final byte[] buf = new byte[16384];
        private int start;
        private int end;
        private boolean sourceEnded;
        private boolean ended;
        /** Bytes of data read so far. */
        private long position;

        private final CRC32 crc = new CRC32();

        Stored(Source source, int sizeBytes, String name) {
            this.source = source;
            this.sizeBytes = sizeBytes;
            this.name = name;
            this.longest = 8 + 2 * sizeBytes;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (ended) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            fill();
            int descriptor = descriptorAt(start);
            if (descriptor > 0) {
                ended = true;
                source.unread(java.util.Arrays.copyOfRange(buf, start + descriptor, end));
                start = end;
                return -1;
            }
            if (start == end) {
                throw new ZipException("stored entry \"" + name + "\": no data descriptor ends it (it is cut short)");
            }
            // up to the next place a descriptor's sizes match, where the next read compares the CRC; the first byte of
            // either size field is compared first, which rules out all but one place in 256
            int n = 1;
            int most = Math.min(len, end - start);
            int sure = sourceEnded ? most : Math.min(most, end - longest - start); // a whole descriptor fits
            int lowBase = (int) (position - start); // the data read up to i is lowBase + i, in its last byte
            while (n < sure) {
                int i = start + n;
                byte low = (byte) (lowBase + i);
                if ((i + 4 < end && buf[i + 4] == low) || (i + 8 < end && buf[i + 8] == low)) {
                    if (sizesAt(i)) {
                        break;
                    }
                }
                n++;
            }
            System.arraycopy(buf, start, b, off, n);
            crc.update(buf, start, n);
            start += n;
            position += n;
            return n;
        }

        /** Reads until a whole descriptor could follow the next byte, or the source ends. */
        private void fill() throws IOException {
            if (end - start >= longest + 1 || sourceEnded) {
                return;
            }
            if (start > 0) {
                System.arraycopy(buf, start, buf, 0, end - start);
                end -= start;
                start = 0;
            }
            while (end < buf.length && !sourceEnded) {
                int n = source.read(buf, end, buf.length - end);
                if (n < 0) {
                    sourceEnded = true;
                } else {
                    end += n;
                    if (end - start >= longest + 1) {
                        return;
                    }
                }
            }
        }

        /** Whether a descriptor's sizes at {@code i}, with or without its signature, are the data read up to there. */
        private boolean sizesAt(int i) {
            long at = position + (i - start);
            return (signatureAt(i) && sizeAt(i + 8, at) && sizeAt(i + 8 + sizeBytes, at))
                    || (sizeAt(i + 4, at) && sizeAt(i + 4 + sizeBytes, at));
        }

        /** The length of the descriptor at {@code i} ending the data read so far, or 0 when there is none. */
        private int descriptorAt(int i) {
            long at = position;
            int crcValue = (int) crc.getValue();
            if (signatureAt(i) && sizeAt(i + 8, at) && sizeAt(i + 8 + sizeBytes, at) && le32At(i + 4) == crcValue) {
                return 8 + 2 * sizeBytes;
            }
            if (sizeAt(i + 4, at) && sizeAt(i + 4 + sizeBytes, at) && le32At(i) == crcValue) {
                return 4 + 2 * sizeBytes;
            }
            return 0;
        }

        private boolean signatureAt(int i) {
            return i + 4 <= end && le32At(i) == 0x08074b50;
        }

        /** Whether a size field at {@code i}, within the bytes read, is {@code value}. */
        private boolean sizeAt(int i, long value) {
            if (i + sizeBytes > end) {
                return false;
            }
            long v = le32At(i) & 0xffffffffL;
            if (sizeBytes == 8) {
                v |= (le32At(i + 4) & 0xffffffffL) << 32;
                return v == value;
            }
            return v == (value & 0xffffffffL);
        }

        private int le32At(int i) {
            return ArchiveBytes.le32(buf, i);
        }
    }
}
