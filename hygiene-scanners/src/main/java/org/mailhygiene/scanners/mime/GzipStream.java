package org.mailhygiene.scanners.mime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import java.util.zip.ZipException;

/**
 * The data of a gzip file (RFC 1952): every member of a concatenated file in turn, as gunzip and Python extract it,
 * or a {@link ZipException} where the tools would not agree on what the file holds.
 *
 * <p>{@link java.util.zip.GZIPInputStream} stops silently where a second member's header is bad (a reserved flag, a
 * header checksum that does not match) or where other bytes follow the first member, and reads a following member
 * only when its source reports bytes {@linkplain InputStream#available() available}; Python's {@code gzip} and
 * {@code tarfile} do not check a header's checksum and extract such a member, so a program in it reached the reader
 * past a scanner that read with the JDK's stream. This stream refuses instead: a header cut short, a method other
 * than deflate, a reserved flag, a header checksum that does not match, a stored file name longer than {@value
 * #MAX_NAME} bytes or a comment longer than {@value #MAX_COMMENT}, compressed data that does not inflate or is cut
 * short, and a member whose CRC-32 or size differs from its trailer all throw {@code ZipException} from {@link #read}
 * (or, for the first member's header, from the constructor). An empty source is no gzip file either. Zero bytes
 * after a member are read past to a next member, as Python reads past them (a member hidden behind them reached
 * Python's {@code tarfile} past the first version of this class); other bytes that do not start a member (a mailer's
 * line break after a report) end the data, as they end it for gunzip (which warns), 7-Zip, libarchive and Python
 * (which refuses the file): no tool extracts anything of them.
 *
 * <p>Reads its source in blocks of 8 KiB and holds no more; linear in the compressed bytes (the expanded bytes are
 * the caller's to bound). Not thread-safe: one reader at a time, like any {@code InputStream}. {@link #close()} frees
 * the inflater and closes the source.
 */
public final class GzipStream extends InputStream {

    /** The most bytes of a member's stored file name (FNAME) read: a longer one is refused. */
    public static final int MAX_NAME = 1024;

    /** The most bytes of a member's comment (FCOMMENT) read past: a longer one is refused. */
    public static final int MAX_COMMENT = 64 * 1024;

    private static final int KNOWN_FLAGS = 0x1f;
    private static final int FHCRC = 2;
    private static final int FEXTRA = 4;
    private static final int FNAME = 8;
    private static final int FCOMMENT = 16;

    private final InputStream in;
    private final byte[] buf = new byte[8192];
    private int pos;
    private int lim;
    private final Inflater inflater = new Inflater(true);
    private final CRC32 dataCrc = new CRC32();
    private final CRC32 headerCrc = new CRC32();
    private long memberSize;
    private int members = 1;
    private boolean done;
    private boolean closed;
    private final Optional<String> storedName;

    /**
     * Reads the first member's header from {@code in}.
     *
     * @param in the gzip file's bytes, from its first; closed with this stream
     * @throws ZipException if the first header cannot be read (see the class description)
     * @throws IOException if {@code in} fails
     * @throws NullPointerException if {@code in} is {@code null}
     */
    public GzipStream(InputStream in) throws IOException {
        this.in = Objects.requireNonNull(in, "in");
        headerCrc.reset();
        if (headerByte("magic") != 0x1f || headerByte("magic") != 0x8b) {
            throw new ZipException("not a gzip file");
        }
        this.storedName = header();
    }

    /**
     * The file name the first member stores (FNAME, read as ISO-8859-1), which 7-Zip and Windows extract it as; empty
     * when it stores none. Later members' names are read past, as gunzip does.
     *
     * @return the stored name, never {@code null}
     */
    public Optional<String> storedName() {
        return storedName;
    }

    /**
     * How many members were met so far: 1 until the first member's end, then one more for each member whose header was
     * read after it. Read to its end, the file's number of members.
     *
     * @return at least 1
     */
    public int members() {
        return members;
    }

    /**
     * Reads one byte of the data.
     *
     * @return the byte, or -1 after the last member
     * @throws ZipException if the file is not read alike by gzip tools (see the class description)
     * @throws IOException if the source fails or this stream is closed
     */
    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    /**
     * Reads data into {@code b}.
     *
     * @return how many bytes were read, at least one unless {@code len} is 0; -1 after the last member
     * @throws ZipException if the file is not read alike by gzip tools (see the class description)
     * @throws IOException if the source fails or this stream is closed
     * @throws IndexOutOfBoundsException if the range is outside {@code b}
     */
    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (closed) {
            throw new IOException("stream closed");
        }
        if (len == 0) {
            return 0;
        }
        while (!done) {
            int n;
            try {
                n = inflater.inflate(b, off, len);
            } catch (DataFormatException e) {
                throw new ZipException("compressed data does not inflate: " + e.getMessage());
            }
            if (n > 0) {
                dataCrc.update(b, off, n);
                memberSize += n;
                return n;
            }
            if (inflater.finished()) {
                pos = lim - inflater.getRemaining();
                endMember();
            } else if (inflater.needsDictionary()) {
                throw new ZipException("compressed data asks for a preset dictionary");
            } else if (inflater.needsInput()) {
                if (pos == lim && !fill()) {
                    throw new ZipException("cut short in its compressed data");
                }
                inflater.setInput(buf, pos, lim - pos);
                pos = lim;
            }
        }
        return -1;
    }

    /**
     * Frees the inflater and closes the source; later reads throw. Closing twice does nothing.
     *
     * @throws IOException if closing the source fails
     */
    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            inflater.end();
            in.close();
        }
    }

    /** Checks the trailer of the member just inflated and reads what follows it: a member's header, padding or end. */
    private void endMember() throws IOException {
        long crc = 0;
        long size = 0;
        for (int i = 0; i < 4; i++) {
            crc |= (long) trailerByte() << (8 * i);
        }
        for (int i = 0; i < 4; i++) {
            size |= (long) trailerByte() << (8 * i);
        }
        if (crc != dataCrc.getValue()) {
            throw new ZipException("a member's data fails its CRC-32");
        }
        if (size != (memberSize & 0xffffffffL)) {
            throw new ZipException("a member's size differs from its trailer");
        }
        // zero bytes after a member are padding that Python reads past to a next member (gunzip, 7-Zip and
        // libarchive stop at them): a member behind them is read here too (review, session 31)
        while ((pos < lim || fill()) && buf[pos] == 0) {
            pos++;
        }
        if (pos == lim || buf[pos] != 0x1f || (pos + 1 < lim ? buf[pos + 1] : peekSecond()) != (byte) 0x8b) {
            // the end, or bytes that start no member (a mailer's line break): gunzip ignores them with a warning,
            // 7-Zip and libarchive stop there too, Python refuses the file; no tool extracts anything of them
            done = true;
            return;
        }
        headerCrc.reset();
        headerByte("magic");
        headerByte("magic");
        header();
        members++;
        inflater.reset();
        dataCrc.reset();
        memberSize = 0;
    }

    /** Reads a member's header after its magic (RFC 1952 section 2.3), checking its checksum when it has one. */
    private Optional<String> header() throws IOException {
        if (headerByte("method") != 8) {
            throw new ZipException("compression method is not deflate");
        }
        int flags = headerByte("flags");
        if ((flags & ~KNOWN_FLAGS) != 0) {
            throw new ZipException("reserved header flags set");
        }
        for (int i = 0; i < 6; i++) {
            headerByte("time and system"); // MTIME, XFL, OS
        }
        if ((flags & FEXTRA) != 0) {
            int xlen = headerByte("extra field") | headerByte("extra field") << 8;
            for (int i = 0; i < xlen; i++) {
                headerByte("extra field");
            }
        }
        Optional<String> name = Optional.empty();
        if ((flags & FNAME) != 0) {
            name = Optional.of(zeroTerminated(MAX_NAME, "file name"));
        }
        if ((flags & FCOMMENT) != 0) {
            zeroTerminated(MAX_COMMENT, "comment");
        }
        if ((flags & FHCRC) != 0) {
            int expected = (int) (headerCrc.getValue() & 0xffff);
            int stored = headerByte("checksum") | headerByte("checksum") << 8;
            if (stored != expected) {
                throw new ZipException("header checksum does not match (Python extracts such a member, gunzip not)");
            }
        }
        return name;
    }

    private String zeroTerminated(int max, String what) throws IOException {
        byte[] text = new byte[Math.min(max, 256)];
        int n = 0;
        while (true) {
            int b = headerByte(what);
            if (b == 0) {
                return new String(text, 0, n, StandardCharsets.ISO_8859_1);
            }
            if (n >= max) {
                throw new ZipException(what + " longer than " + max + " bytes");
            }
            if (n == text.length) {
                text = java.util.Arrays.copyOf(text, Math.min(max, text.length * 2));
            }
            text[n++] = (byte) b;
        }
    }

    /**
     * The byte after the buffer's last when the buffer holds one byte: the buffer is compacted to that byte and filled
     * after it.
     */
    private byte peekSecond() throws IOException {
        buf[0] = buf[pos];
        pos = 0;
        lim = 1;
        int n = 0;
        while (n == 0) {
            n = in.read(buf, 1, buf.length - 1);
        }
        if (n < 0) {
            return 0;
        }
        lim += n;
        return buf[1];
    }

    private int headerByte(String what) throws IOException {
        int b = next();
        if (b < 0) {
            throw new ZipException("header cut short in its " + what);
        }
        headerCrc.update(b);
        return b;
    }

    private int trailerByte() throws IOException {
        int b = next();
        if (b < 0) {
            throw new ZipException("cut short in a member's trailer");
        }
        return b;
    }

    private int next() throws IOException {
        if (pos == lim && !fill()) {
            return -1;
        }
        return buf[pos++] & 0xff;
    }

    /** Refills the buffer, whose bytes are all used; false at the source's end. */
    private boolean fill() throws IOException {
        while (true) {
            int n = in.read(buf, 0, buf.length);
            if (n < 0) {
                return false;
            }
            if (n > 0) {
                pos = 0;
                lim = n;
                return true;
            }
        }
    }
}
