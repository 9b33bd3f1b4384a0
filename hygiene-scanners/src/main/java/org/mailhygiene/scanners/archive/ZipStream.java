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
import org.mailhygiene.internal.BulkInputStream;

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
 * ended the zip's reading). An encrypted entry is given as such, its data passed over (by its header's size, or up
 * to its data descriptor when it has none), unless its sizes are ZIP64's. An entry compressed with bzip2 (method 12),
 * LZMA (14) or xz (95), which the JDK's reader does not read, is decoded here ({@link Compressed}; until session 52
 * such a zip ended at its first one).
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
    private final Compressed.Allowance memory;
    private Reader jdk;
    /** The entry read here rather than by the JDK's reader (see {@link Stored}, {@link Deflated64}), or {@code null}. */
    private InputStream stored;

    /**
     * A zip to read from its start, its LZMA and xz entries decoded with up to {@link Compressed#MAX_MEMORY} each.
     *
     * @param in the zip's bytes; not closed by {@link #close}
     */
    public ZipStream(InputStream in) {
        this(in, new Compressed.Allowance(Compressed.MAX_MEMORY));
    }

    /**
     * A zip to read from its start.
     *
     * @param in the zip's bytes; not closed by {@link #close}
     * @param memory what its LZMA and xz entries' decoders may use, taken while an entry is read ({@link Compressed})
     */
    public ZipStream(InputStream in, Compressed.Allowance memory) {
        this.source = new Source(in);
        this.memory = memory;
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
     * @throws IOException if the zip cannot be read (the JDK's exceptions, e.g. for an encrypted entry whose sizes are
     *     ZIP64's, or a {@link ZipException} for a stored entry whose descriptor is never found); an entry's data
     *     throws {@link Compressed.MemoryLimit} when its LZMA dictionary is beyond the memory allowed
     */
    public Entry next() throws IOException {
        if (stored != null) {
            stored.transferTo(java.io.OutputStream.nullOutputStream());
            stored.close();
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
        if (Compressed.opensZipMethod(e.getMethod())) {
            // the JDK's reader reads the header of an entry compressed with bzip2, LZMA or xz, but not its data
            if (h == null) {
                throw new ZipException("entry \"" + e.getName() + "\": its local header cannot be read again");
            }
            source.unread(jdk.held().readNBytes(jdk.held().available()));
            stored = new Unpacked(source, e.getName(), h, extra == null ? new byte[0] : extra, memory);
            return new Entry(e.getName(), e.isDirectory(), at, stored, false);
        }
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
        byte[] h = source.last(at, at + LOCAL_HEADER);
        if (h != null && Compressed.opensZipMethod(ArchiveBytes.le16(h, 8))) {
            // bzip2, LZMA or xz whose sizes follow its data (Python's zipfile writing to a stream)
            stored = new Unpacked(source, name, h, extra, memory);
        } else {
            stored = new Stored(source, zip64(extra) ? 8 : 4, name);
        }
        return new Entry(name, name.endsWith("/"), at, stored, false);
    }

    /**
     * The encrypted entry the JDK's reader has just refused, having read its local header's fixed part and name: its
     * data is passed over, and the JDK's reader goes on after it (as unzip and clamd list and read the entries after
     * it; until session 51 the zip's reading ended there, and a file after a locked one was not seen). Its data ends
     * where its header's compressed size says, and then a data descriptor whose compressed size is the same is passed
     * over too when its flags say one follows (Info-ZIP's {@code zip -e} writes both: until session 52 its zips ended
     * the reading at their first locked entry, as {@code refused}); with no size in its header (written to a pipe), at
     * the first data descriptor, with or without its signature, whose compressed size is the number of bytes passed
     * and that a header's signature or the zip's end follows. One whose sizes are ZIP64's cannot be passed over:
     * {@code refused} is thrown.
     */
    private Entry encryptedEntry(String name, ZipException refused) throws IOException {
        PushbackInputStream held = jdk.held();
        int unread = held.available();
        long consumed = source.delivered - unread;
        byte[] back = held.readNBytes(unread);
        long at = headerStart(name, consumed, -1);
        byte[] h = at < 0 ? null : source.last(at, at + LOCAL_HEADER);
        if (h == null || ArchiveBytes.le32(h, 18) == -1) {
            throw new EncryptedEntryRefused(name, refused);
        }
        boolean descriptor = (ArchiveBytes.le16(h, 6) & 8) != 0;
        long compressed = ArchiveBytes.le32(h, 18) & 0xffffffffL;
        source.unread(back);
        byte[] extra = source.readNBytes(ArchiveBytes.le16(h, 28));
        int sizeBytes = zip64(extra) ? 8 : 4;
        if (extra.length < ArchiveBytes.le16(h, 28)) {
            throw new java.io.EOFException("an encrypted entry cut short");
        }
        if (descriptor && compressed == 0) {
            passToDescriptor(sizeBytes);
        } else {
            if (source.skip(compressed) < compressed) {
                throw new java.io.EOFException("an encrypted entry cut short");
            }
            if (descriptor) {
                byte[] d = source.readNBytes(8 + 2 * sizeBytes);
                int sig = d.length >= 4 && ArchiveBytes.le32(d, 0) == 0x08074b50 ? 4 : 0;
                int used = sizeAt(d, sig + 4, sizeBytes, compressed) ? sig + 4 + 2 * sizeBytes : 0;
                source.unread(java.util.Arrays.copyOfRange(d, used, d.length));
            }
        }
        jdk.close();
        jdk = new Reader(source);
        return new Entry(name, name.endsWith("/"), at, InputStream.nullInputStream(), true);
    }

    /**
     * An encrypted entry that cannot be passed over (its sizes are ZIP64's, or its local header was not found): the
     * zip's reading ends there. Its message is the JDK reader's refusal; its {@link #entryName} is readable without the
     * password, and checked as any entry's name.
     */
    public static final class EncryptedEntryRefused extends ZipException {
        private static final long serialVersionUID = 1L;

        /** The entry's name, as its local header gives it. */
        private final String entryName;

        EncryptedEntryRefused(String entryName, ZipException refused) {
            super(refused.getMessage());
            initCause(refused);
            this.entryName = entryName;
        }

        /**
         * The encrypted entry's name.
         *
         * @return the name, as its local header gives it
         */
        public String entryName() {
            return entryName;
        }
    }

    /** Whether the size field of {@code sizeBytes} at {@code i} of {@code d} is there and is {@code value}. */
    private static boolean sizeAt(byte[] d, int i, int sizeBytes, long value) {
        if (i + sizeBytes > d.length) {
            return false;
        }
        return sizeBytes == 8 ? le64(d, i) == value : (ArchiveBytes.le32(d, i) & 0xffffffffL) == (value & 0xffffffffL);
    }

    /**
     * Passes over an encrypted entry's data up to and including the first data descriptor whose compressed size is
     * the bytes passed and after which a zip header's signature (or the zip's end) follows. Linear: a constant number
     * of comparisons at each byte.
     */
    private void passToDescriptor(int sizeBytes) throws IOException {
        int look = 8 + 2 * sizeBytes + 4; // signature, CRC, two sizes, the next header's signature
        byte[] buf = new byte[1 << 16];
        int start = 0;
        int end = 0;
        boolean ended = false;
        long passed = 0;
        while (true) {
            if (end - start < look && !ended) {
                System.arraycopy(buf, start, buf, 0, end - start);
                end -= start;
                start = 0;
                int r = source.read(buf, end, buf.length - end);
                if (r < 0) {
                    ended = true;
                } else {
                    end += r;
                }
                continue;
            }
            int length = 0;
            byte low = (byte) passed; // the compressed size's first byte, compared first: it rules out most places
            if ((start + 4 < end && buf[start + 4] == low) || (start + 8 < end && buf[start + 8] == low)) {
                byte[] window = java.util.Arrays.copyOfRange(buf, start, Math.min(end, start + look));
                if (window.length >= 4
                        && ArchiveBytes.le32(window, 0) == 0x08074b50
                        && sizeAt(window, 8, sizeBytes, passed)
                        && headerOrEnd(window, 8 + 2 * sizeBytes, ended)) {
                    length = 8 + 2 * sizeBytes;
                } else if (sizeAt(window, 4, sizeBytes, passed) && headerOrEnd(window, 4 + 2 * sizeBytes, ended)) {
                    length = 4 + 2 * sizeBytes;
                }
            }
            if (length > 0) {
                source.unread(java.util.Arrays.copyOfRange(buf, start + length, end));
                return;
            }
            if (start == end) {
                throw new ZipException("an encrypted entry whose data descriptor is never found (it is cut short)");
            }
            start++;
            passed++;
        }
    }

    /** Whether a zip header's signature is at {@code i} of the window, or the zip ends there. */
    private static boolean headerOrEnd(byte[] window, int i, boolean ended) {
        if (i + 4 > window.length) {
            return ended && i == window.length;
        }
        int sig = ArchiveBytes.le32(window, i);
        return sig == 0x04034b50 || sig == 0x02014b50 || sig == 0x06064b50 || sig == 0x05054b50;
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

    /** Ends the JDK reader's inflater, and an entry's decoder here; the zip's stream is left open. */
    @Override
    public void close() throws IOException {
        jdk.close();
        if (stored instanceof Deflated64 d) {
            d.inflater.end();
        }
        if (stored != null) {
            stored.close();
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
    private static final class Deflated64 extends BulkInputStream {
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
    }

    /**
     * A stored entry's data, up to the data descriptor that ends it; what was read beyond the descriptor is given back
     * to the source.
     */
    private static final class Stored extends BulkInputStream {
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

    /**
     * An entry compressed with bzip2 (method 12), LZMA (14) or xz (95), decoded here ({@link Compressed}): its CRC and
     * size are compared with its local header's, or, when they follow its data, with its data descriptor's (with or
     * without its signature; 8-byte sizes with a ZIP64 field), which is read after the data's end. Data that does
     * not decode, is cut short, or does not match is a {@link ZipException}; an LZMA dictionary beyond the memory
     * allowed is {@link Compressed.MemoryLimit}. Linear in the bytes.
     */
    private static final class Unpacked extends BulkInputStream {
        private final Source source;
        private final String name;
        private final int method;
        private final boolean descriptor;
        /** Whether LZMA data ends with an end marker (flag bit 1). */
        private final boolean endMarker;

        private final int sizeBytes;
        private final int headerCrc;
        private final long headerSize;
        private final Pulled pulled;
        private final Compressed.Allowance memory;
        private final CRC32 crc = new CRC32();
        private InputStream decoder;
        private long size;
        private boolean ended;

        Unpacked(Source source, String name, byte[] h, byte[] extra, Compressed.Allowance memory) {
            this.source = source;
            this.name = name;
            this.memory = memory;
            this.method = ArchiveBytes.le16(h, 8);
            this.descriptor = (ArchiveBytes.le16(h, 6) & 8) != 0;
            this.endMarker = (ArchiveBytes.le16(h, 6) & 2) != 0;
            boolean zip64 = zip64(extra);
            this.sizeBytes = zip64 ? 8 : 4;
            this.headerCrc = ArchiveBytes.le32(h, 14);
            long compressed = ArchiveBytes.le32(h, 18) & 0xffffffffL;
            long uncompressed = ArchiveBytes.le32(h, 22) & 0xffffffffL;
            if (zip64 && (compressed == 0xffffffffL || uncompressed == 0xffffffffL)) {
                // the ZIP64 field holds the sizes whose header fields are all ones: uncompressed first (APPNOTE 4.5.3)
                for (int i = 0; i + 4 <= extra.length; i += 4 + ArchiveBytes.le16(extra, i + 2)) {
                    if (ArchiveBytes.le16(extra, i) == 1) {
                        int at = i + 4;
                        int end = at + ArchiveBytes.le16(extra, i + 2);
                        if (uncompressed == 0xffffffffL && at + 8 <= end && at + 8 <= extra.length) {
                            uncompressed = le64(extra, at);
                            at += 8;
                        }
                        if (compressed == 0xffffffffL && at + 8 <= end && at + 8 <= extra.length) {
                            compressed = le64(extra, at);
                        }
                        break;
                    }
                }
            }
            this.headerSize = descriptor ? -1 : uncompressed;
            this.pulled = new Pulled(source, descriptor ? Long.MAX_VALUE : compressed);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (ended) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            if (decoder == null) {
                decoder = Compressed.zipEntry(method, pulled, headerSize, endMarker, memory);
            }
            int n;
            try {
                n = decoder.read(b, off, len);
            } catch (Compressed.Unreadable e) {
                throw e;
            } catch (IOException e) {
                throw new ZipException("entry \"" + name + "\": " + e.getMessage());
            }
            if (n > 0) {
                crc.update(b, off, n);
                size += n;
                return n;
            }
            if (n < 0) {
                end();
            }
            return n;
        }

        private void end() throws IOException {
            ended = true;
            byte[] unused = decoder instanceof Bzip2Stream bz ? bz.unusedInput() : new byte[0];
            decoder.close();
            if (!descriptor) {
                // the data is the header's compressed size: what the decoder left of it is passed over
                pulled.drain();
                if ((int) crc.getValue() != headerCrc || size != headerSize) {
                    throw new ZipException("entry \"" + name + "\": its data does not match its header's CRC and size");
                }
                return;
            }
            byte[] rest = pulled.rest();
            long compressed = pulled.consumed() - unused.length;
            source.unread(rest);
            source.unread(unused);
            byte[] d = source.readNBytes(8 + 2 * sizeBytes);
            int at = d.length >= 4 && ArchiveBytes.le32(d, 0) == 0x08074b50 ? 4 : 0;
            boolean matches = d.length >= at + 4 + 2 * sizeBytes
                    && ArchiveBytes.le32(d, at) == (int) crc.getValue()
                    && (sizeBytes == 8
                            ? le64(d, at + 4) == compressed && le64(d, at + 12) == size
                            : ArchiveBytes.le32(d, at + 4) == (int) compressed
                                    && ArchiveBytes.le32(d, at + 8) == (int) size);
            if (!matches) {
                throw new ZipException("entry \"" + name + "\": its data descriptor does not match its data");
            }
            source.unread(java.util.Arrays.copyOfRange(d, Math.min(d.length, at + 4 + 2 * sizeBytes), d.length));
        }

        /** Closes the decoder, giving its memory back. */
        @Override
        public void close() throws IOException {
            if (decoder != null) {
                decoder.close();
            }
        }
    }

    private static long le64(byte[] b, int i) {
        return (ArchiveBytes.le32(b, i) & 0xffffffffL) | (long) ArchiveBytes.le32(b, i + 4) << 32;
    }

    /**
     * Up to {@code limit} bytes of the source through a buffer, counting what it gives; what it read but did not give
     * ({@link #rest}) is the caller's to give back.
     */
    private static final class Pulled extends InputStream {
        private final Source source;
        private long left;
        private final byte[] buf = new byte[8192];
        private int pos;
        private int end;
        private long consumed;

        Pulled(Source source, long limit) {
            this.source = source;
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            if (pos == end && !fill()) {
                return -1;
            }
            consumed++;
            return buf[pos++] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (pos == end && !fill()) {
                return -1;
            }
            int n = Math.min(len, end - pos);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            consumed += n;
            return n;
        }

        private boolean fill() throws IOException {
            if (left == 0) {
                return false;
            }
            int r = source.read(buf, 0, (int) Math.min(buf.length, left));
            if (r <= 0) {
                return false;
            }
            pos = 0;
            end = r;
            left -= r;
            return true;
        }

        /** The bytes given. */
        long consumed() {
            return consumed;
        }

        /** The bytes read from the source but not given. */
        byte[] rest() {
            byte[] r = java.util.Arrays.copyOfRange(buf, pos, end);
            pos = end;
            return r;
        }

        /** Reads the rest of the limit; fewer bytes in the source is a {@link ZipException}. */
        void drain() throws IOException {
            pos = end;
            if (left != Long.MAX_VALUE && source.skip(left) < left) {
                throw new ZipException("an entry cut short");
            }
            left = 0;
        }
    }
}
