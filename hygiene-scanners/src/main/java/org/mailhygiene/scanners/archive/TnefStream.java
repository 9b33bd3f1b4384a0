package org.mailhygiene.scanners.archive;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A TNEF stream (MS-OXTNEF: Outlook's {@code winmail.dat}, {@code application/ms-tnef}) read attachment by attachment
 * from its start, as Outlook (and Thunderbird with an add-on) shows the files in it: each attachment with its title
 * ({@code attAttachTitle}), its long file name (the MAPI property {@code PR_ATTACH_LONG_FILENAME} of its
 * {@code attAttachment} attribute, 8-bit or UTF-16) and its file's bytes ({@code attAttachData}; none for an attachment
 * held as an embedded message or OLE object). A file's bytes are held in memory until its attachment ends, as its names
 * may come after them; {@link Limits} sees each attachment and each file's claimed length before it is read. An
 * attachment ends where the next begins ({@code attAttachRendData}) or the stream ends; the stream ends at its last byte
 * or at bytes that start no attribute (a level other than 1 or 2: a line break, leftover base64 text), which are
 * ignored, as Outlook's and MimeKit's readers ignore them. A stream cut short (its header, an attribute or its
 * checksum) is a {@link BrokenException}; it, or any failure to read the bytes, is thrown after the attachment being
 * read, as far as it was read, has been given.
 *
 * <p>Linear in the stream: other attributes and properties are skipped as they pass, whatever their size; a title or
 * long name is read up to {@value #MAX_NAME} bytes. Reads through a buffer of its own, so it may read past the stream's
 * end. Not thread-safe.
 */
public final class TnefStream {
    /**
     * The most bytes of an attachment's title, or of its long file name among its MAPI properties, read for its name:
     * 1 MiB (the rest is skipped).
     */
    public static final int MAX_NAME = 1 << 20;

    /** The most bytes of one file held (an array's): a longer {@code attAttachData} is read that far. */
    public static final int MAX_DATA = Integer.MAX_VALUE - 8;

    /** TNEF attribute ids (MS-OXTNEF 2.1.3.3), the attachment level's. */
    private static final int ATTACH_REND_DATA = 0x00069002;

    private static final int ATTACH_TITLE = 0x00018010;
    private static final int ATTACH_DATA = 0x0006800F;
    private static final int ATTACHMENT = 0x00069005;
    private static final int LEVEL_MESSAGE = 1;
    private static final int LEVEL_ATTACHMENT = 2;
    private static final int PR_ATTACH_LONG_FILENAME = 0x3707;

    private final InputStream raw;
    private final Limits limits;
    private final byte[] skipBuffer = new byte[8192];
    private boolean started;
    private boolean ended;
    /** An attribute header read that begins the next attachment, processed at the next call; or null. */
    private byte[] pending;
    /** A failure met while an attachment was open: thrown by the call after the one that returned the attachment. */
    private IOException failedLater;

    private String title;
    private String longName;
    private byte[] data;
    private boolean open;

    /**
     * Whether content starts as a TNEF stream: the signature {@code 0x223E9F78}, little-endian, and a key.
     *
     * @param prefix the content's first bytes
     * @param n how many of them there are
     * @return whether it does
     */
    public static boolean starts(byte[] prefix, int n) {
        return n >= 6
                && (prefix[0] & 0xff) == 0x78
                && (prefix[1] & 0xff) == 0x9f
                && (prefix[2] & 0xff) == 0x3e
                && (prefix[3] & 0xff) == 0x22;
    }

    /**
     * What a caller holds a stream to: the reader tells it of each attachment and file before reading it, and an
     * exception thrown there ends the reading (it reaches the caller of {@link #next} as it was thrown).
     */
    public interface Limits {
        /**
         * An attachment begins.
         *
         * @throws IOException to stop reading
         */
        void attachment() throws IOException;

        /**
         * An attachment's file claims {@code length} bytes, which the reader is about to read into memory.
         *
         * @param length the claimed length, 0 to 4 GiB - 1
         * @throws IOException to stop reading
         */
        void data(long length) throws IOException;
    }

    /**
     * One attachment.
     *
     * @param title its {@code attAttachTitle} (up to a NUL), if it has one
     * @param longName its {@code PR_ATTACH_LONG_FILENAME} (up to a NUL), if its properties hold one
     * @param data its file's bytes, as far as the stream holds them, if it has an {@code attAttachData}
     */
    public record Attachment(Optional<String> title, Optional<String> longName, Optional<byte[]> data) {
        /**
         * The name Outlook saves the file under: the long name when not empty, else the title.
         *
         * @return the name, if any (possibly empty, when the title is)
         */
        public Optional<String> name() {
            return longName.filter(n -> !n.isEmpty()).or(() -> title);
        }
    }

    /** A stream cut short; the message says where, e.g. {@code an attribute runs past the end of the stream}. */
    public static final class BrokenException extends IOException {
        private static final long serialVersionUID = 1L;

        BrokenException(String reason) {
            super(reason);
        }
    }

    /**
     * A TNEF stream to read from its start.
     *
     * @param raw the stream's bytes, starting with its signature; not closed here
     * @param limits told of each attachment and file before it is read
     */
    public TnefStream(InputStream raw, Limits limits) {
        // read attribute by attribute, a few bytes at a time: buffered, or each byte is a call into the decoder
        this.raw = new BufferedInputStream(raw, 8192);
        this.limits = limits;
    }

    /**
     * The next attachment, read to its end.
     *
     * @return the attachment, or {@code null} at the stream's end
     * @throws BrokenException if the stream is cut short or does not start as a TNEF stream
     * @throws IOException if reading fails, or as {@link Limits} throws (at once: the attachment being read is not
     *     returned); a failure to read (a break among them) is thrown by the call after the one that returns the
     *     attachment being read, as far as it was read
     */
    public Attachment next() throws IOException {
        if (failedLater != null) {
            IOException e = failedLater;
            failedLater = null;
            throw e;
        }
        if (ended) {
            return null;
        }
        try {
            if (!started) {
                started = true;
                byte[] header = raw.readNBytes(6);
                if (!starts(header, header.length)) {
                    ended = true;
                    throw new BrokenException(header.length < 6 ? "its header is cut short" : "no TNEF signature");
                }
            }
            while (true) {
                byte[] h = pending;
                pending = null;
                if (h == null) {
                    int level = raw.read();
                    if (level != LEVEL_MESSAGE && level != LEVEL_ATTACHMENT) {
                        ended = true;
                        return finish();
                    }
                    byte[] rest = raw.readNBytes(8);
                    if (rest.length < 8) {
                        throw new EOFException("an attribute header is cut short");
                    }
                    h = new byte[9];
                    h[0] = (byte) level;
                    System.arraycopy(rest, 0, h, 1, 8);
                }
                int id = ArchiveBytes.le32(h, 1);
                boolean attachment = h[0] == LEVEL_ATTACHMENT;
                if (attachment && (id == ATTACH_REND_DATA || !open)) {
                    if (open) {
                        pending = h;
                        return finish();
                    }
                    try {
                        limits.attachment();
                    } catch (IOException e) {
                        throw new Stopped(e);
                    }
                    open = true;
                }
                attribute(attachment, id, ArchiveBytes.le32(h, 5) & 0xffffffffL);
                if (raw.readNBytes(2).length < 2) {
                    throw new EOFException("an attribute's checksum is cut short");
                }
            }
        } catch (Stopped e) {
            ended = true;
            throw e.getCause();
        } catch (IOException e) {
            ended = true;
            IOException failure = e instanceof EOFException ? new BrokenException(e.getMessage()) : e;
            Attachment partial = finish();
            if (partial == null) {
                throw failure;
            }
            failedLater = failure;
            return partial;
        }
    }

    /** What {@link Limits} threw, carried past the reading's own failures. */
    private static final class Stopped extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Stopped(IOException cause) {
            super(cause);
        }

        @Override
        public synchronized IOException getCause() {
            return (IOException) super.getCause();
        }
    }

    /** The attachment being read, ended (its fields cleared for the next); or null when none is open. */
    private Attachment finish() {
        if (!open) {
            return null;
        }
        Attachment a =
                new Attachment(Optional.ofNullable(title), Optional.ofNullable(longName), Optional.ofNullable(data));
        open = false;
        title = null;
        longName = null;
        data = null;
        return a;
    }

    /** Reads one attribute's value, of {@code length} bytes (its header read); not its checksum. */
    private void attribute(boolean attachment, int id, long length) throws IOException {
        if (attachment && id == ATTACH_DATA) {
            try {
                limits.data(length);
            } catch (IOException e) {
                throw new Stopped(e);
            }
            byte[] value = raw.readNBytes((int) Math.min(length, MAX_DATA));
            data = value;
            if (value.length < length) {
                throw new EOFException("an attribute runs past the end of the stream");
            }
        } else if (attachment && id == ATTACHMENT) {
            // read as a stream, each property skipped as it goes: read into a buffer of MAX_NAME, a larger property
            // before the long name (a rendering's metafile) hid it, and the 8.3 title named the file (until session 45)
            Properties properties = new Properties(length);
            longName = longName(properties);
            skip(properties.left);
        } else if (attachment && id == ATTACH_TITLE) {
            // a larger one is read up to the limit and the rest skipped: skipped whole, a title padded past it (with
            // blanks, which Windows drops from a file name) left its file without a name
            byte[] head = raw.readNBytes((int) Math.min(length, MAX_NAME));
            title = ArchiveBytes.cString(head, 0, head.length);
            if (head.length < Math.min(length, MAX_NAME)) {
                throw new EOFException("an attribute runs past the end of the stream");
            }
            skip(length - head.length);
        } else {
            skip(length);
        }
    }

    /** Skips {@code length} bytes of an attribute's value; fails if the stream ends first. */
    private void skip(long length) throws IOException {
        long skipped = 0;
        while (skipped < length) {
            int k = raw.read(skipBuffer, 0, (int) Math.min(skipBuffer.length, length - skipped));
            if (k < 0) {
                throw new EOFException("an attribute runs past the end of the stream");
            }
            skipped += k;
        }
    }

    /** An {@code attAttachment} attribute's value read as a stream: how much of it is left to read. */
    private final class Properties {
        /** The bytes of the attribute not read yet. */
        long left;

        Properties(long length) {
            this.left = length;
        }

        /** Whether the attribute holds {@code n} more bytes. */
        boolean has(long n) {
            return n <= left;
        }

        byte[] bytes(int n) throws IOException {
            byte[] b = raw.readNBytes(n);
            left -= b.length;
            if (b.length < n) {
                throw new EOFException("an attribute runs past the end of the stream");
            }
            return b;
        }

        int u16() throws IOException {
            return ArchiveBytes.le16(bytes(2), 0);
        }

        long u32() throws IOException {
            return ArchiveBytes.le32(bytes(4), 0) & 0xffffffffL;
        }

        void skip(long n) throws IOException {
            TnefStream.this.skip(n);
            left -= n;
        }
    }

    /**
     * {@code PR_ATTACH_LONG_FILENAME} (0x3707, 8-bit or UTF-16) from an {@code attAttachment} attribute's MAPI property
     * list (MS-OXTNEF 2.1.3.4), or {@code null} when the list does not hold it or cannot be read that far. Reads the
     * list as a stream, never past the attribute, skipping the other properties whatever their size (the name itself
     * is read up to {@link #MAX_NAME}); the caller skips what is left. Linear in the list.
     *
     * @throws IOException if the stream ends inside the attribute
     */
    private static String longName(Properties p) throws IOException {
        if (!p.has(4)) {
            return null;
        }
        long count = p.u32();
        for (long i = 0; i < count; i++) {
            if (!p.has(4)) {
                return null;
            }
            int type = p.u16();
            int pid = p.u16();
            if (pid >= 0x8000) { // a named property: a GUID, then a number or a name
                if (!p.has(20)) {
                    return null;
                }
                p.skip(16);
                long kind = p.u32();
                if (kind == 0) {
                    if (!p.has(4)) {
                        return null;
                    }
                    p.skip(4);
                } else {
                    if (!p.has(4)) {
                        return null;
                    }
                    long padded = (p.u32() + 3) / 4 * 4;
                    if (!p.has(padded)) {
                        return null;
                    }
                    p.skip(padded);
                }
            }
            int base = type & 0x0fff;
            boolean variable = base == 0x1e || base == 0x1f || base == 0x102 || base == 0x0d;
            long values = 1;
            if ((type & 0x1000) != 0 || variable) {
                if (!p.has(4)) {
                    return null;
                }
                values = p.u32();
                if (values > p.left) {
                    return null;
                }
            }
            for (long v = 0; v < values; v++) {
                long size;
                switch (base) {
                    case 0x02, 0x03, 0x04, 0x0a, 0x0b -> size = 4;
                    case 0x05, 0x06, 0x07, 0x14, 0x40 -> size = 8;
                    case 0x48 -> size = 16;
                    case 0x1e, 0x1f, 0x102, 0x0d -> {
                        if (!p.has(4)) {
                            return null;
                        }
                        long len = p.u32();
                        if (!p.has(len)) {
                            return null;
                        }
                        if (pid == PR_ATTACH_LONG_FILENAME && (base == 0x1e || base == 0x1f)) {
                            byte[] b = p.bytes((int) Math.min(len, MAX_NAME));
                            String name = base == 0x1f
                                    ? new String(b, StandardCharsets.UTF_16LE)
                                    : new String(b, Charset.forName("windows-1252"));
                            int nul = name.indexOf('\0');
                            return nul >= 0 ? name.substring(0, nul) : name;
                        }
                        size = (len + 3) / 4 * 4;
                    }
                    default -> {
                        return null; // a type this reader does not know: its size is unknown
                    }
                }
                if (!p.has(size)) {
                    return null;
                }
                p.skip(size);
            }
        }
        return null;
    }
}
