package org.mailhygiene.scanners.archive;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipException;

/**
 * A RAR archive's file entries, read from its bytes at any offset ({@link Positioned}), in both formats: RAR 4.x
 * (signature {@code 52 61 72 21 1a 07 00}; its blocks as the RAR 2.x-4.x technical note lays them out: a 16-bit header
 * CRC, type, flags, size, and an added data size) and RAR 5.0 (signature {@code 52 61 72 21 1a 07 01 00}; rarlab's "RAR
 * 5.0 archive format": a 32-bit header CRC, variable-length integers, typed headers with extra and data areas). Every
 * file entry is listed with its name (RAR5: UTF-8; RAR4: its Unicode form when the header holds one, else its bytes as
 * UTF-8 where they are, Latin-1 where not), with the backslashes WinRAR writes in RAR4 names,
 * sizes, directory, encryption, compression method and split (multi-volume) flags; every header's CRC is checked. A
 * RAR5 file's NTFS alternate streams (service headers named {@code STM}) are entries too, named {@code FILE:STREAM}.
 *
 * <p>Only stored entries (method "store": RAR5 method 0, RAR4 {@code 0x30}) that are neither encrypted nor split across
 * volumes can be read ({@link Entry#readable}); their data CRC is checked as it is read. RAR's compression is not
 * publicly specified and is not decoded here: a compressed entry is listed without its data. An archive whose headers
 * are encrypted (RAR5's archive encryption header, RAR4's {@code -hp} flag) cannot be listed: {@link Encrypted}.
 *
 * <p>Bounded: a RAR5 header of more than {@value #MAX_HEADER} bytes (the format's own limit), a RAR4 header is at most
 * 65,535 bytes by its size field, names of at most {@value #MAX_NAME} characters, at most the caller's number of
 * files. Each header moves the reading forward by at least its own size, so time is linear in the archive's length.
 * Anything the format does not allow (a CRC that fails, a header or data past the archive's end, sizes that do not add
 * up) is a {@link ZipException} naming it. Not thread-safe.
 */
public final class Rar {
    /** The RAR 4.x signature (itself a block, the marker block). */
    private static final byte[] SIGNATURE4 = {0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x00};
    /** The RAR 5.0 signature. */
    private static final byte[] SIGNATURE5 = {0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x01, 0x00};
    /** The most bytes a RAR5 header may have (from its type to its extra area's end): 2 MiB, as the format says. */
    public static final int MAX_HEADER = 2 << 20;
    /** The most characters (or UTF-8 bytes) of a name read: 8,192 (RAR writes up to 2,048). */
    public static final int MAX_NAME = 8192;
    /** The bytes read at once while reading headers: 64 KiB. */
    private static final int WINDOW = 64 * 1024;

    /** An archive whose headers, its names too, are encrypted ({@code -hp}): nothing of it can be listed. */
    public static final class Encrypted extends Compressed.Unreadable {
        private static final long serialVersionUID = 1L;

        Encrypted(String message) {
            super(message);
        }
    }

    /**
     * One file (or directory) entry of the archive, in its order.
     *
     * @param name its name as the header has it ({@code /} or {@code \} separated, {@code ..} included); an NTFS
     *     stream's is its file's name, a colon and the stream's name as its header has it
     * @param directory whether it is a directory
     * @param size its unpacked size as declared ({@code -1} when RAR5 says it is unknown)
     * @param packedSize the bytes of its data area in this volume
     * @param encrypted whether its data is encrypted (its name is readable)
     * @param method its compression method: 0 for store, 1 to 5 for RAR's compression (RAR4's {@code 0x30} to
     *     {@code 0x35} given as 0 to 5)
     * @param splitBefore whether its data continues from the previous volume
     * @param splitAfter whether its data continues in the next volume
     * @param format 4 or 5, the archive's format
     * @param dataAt where its data starts in the archive
     * @param crc its data's CRC-32 as declared, or {@code -1} when none is (RAR5 may give a BLAKE2 hash instead)
     * @param link whether it is a RAR5 link (a file redirection record: a symbolic or hard link, or a copy of a file
     *     before it), whose data is none of its own
     */
    public record Entry(
            String name,
            boolean directory,
            long size,
            long packedSize,
            boolean encrypted,
            int method,
            boolean splitBefore,
            boolean splitAfter,
            int format,
            long dataAt,
            long crc,
            boolean link) {
        /**
         * Whether its data can be read here: a stored file, neither encrypted nor split across volumes.
         *
         * @return whether it can
         */
        public boolean readable() {
            return !directory && !link && method == 0 && !encrypted && !splitBefore && !splitAfter;
        }

        /**
         * Why its data cannot be read ({@link #readable} false, not a directory), for a report: {@code "a link"},
         * {@code "encrypted"}, {@code "split across volumes"} or {@code "compressed (RARn method N)"}.
         *
         * @return the reason
         */
        public String whyUnread() {
            if (link) {
                return "a link";
            }
            if (encrypted) {
                return "encrypted";
            }
            if (splitBefore || splitAfter) {
                return "split across volumes";
            }
            return "compressed (RAR" + format + " method " + method + ")";
        }
    }

    private final Positioned file;
    private final int maxFiles;
    private final List<Entry> entries = new ArrayList<>();
    /** The bytes of the file read last, from {@link #windowAt}, for the headers after them. */
    private final byte[] window = new byte[WINDOW];

    private long windowAt;
    private int windowLength;
    private int format;
    private boolean volume;
    /** The name of the RAR5 file header read last, whose NTFS streams the service headers after it hold. */
    private String lastFile = "";

    private Rar(Positioned file, int maxFiles) {
        this.file = file;
        this.maxFiles = maxFiles;
    }

    /**
     * Whether content starting with these bytes is a RAR archive (4.x or 5.0 signature).
     *
     * @param prefix the content's first bytes
     * @param n how many there are
     * @return whether it starts as one
     */
    public static boolean starts(byte[] prefix, int n) {
        return startsWith(prefix, n, SIGNATURE4) || startsWith(prefix, n, SIGNATURE5);
    }

    private static boolean startsWith(byte[] b, int n, byte[] magic) {
        if (n < magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if (b[i] != magic[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads an archive's headers (not its files' data).
     *
     * @param file the archive's bytes
     * @param maxFiles the most file entries it may hold
     * @return the archive
     * @throws Encrypted if its headers are encrypted
     * @throws Compressed.Unreadable if it holds more than {@code maxFiles} file entries
     * @throws ZipException if it is not a RAR archive the format allows (broken, cut short, a CRC that fails)
     * @throws IOException if reading the bytes fails
     */
    public static Rar open(Positioned file, int maxFiles) throws IOException {
        Rar r = new Rar(file, maxFiles);
        byte[] start = new byte[SIGNATURE5.length];
        int n = r.readAt(0, start, start.length);
        if (startsWith(start, n, SIGNATURE5)) {
            r.format = 5;
            r.read5(SIGNATURE5.length);
        } else if (startsWith(start, n, SIGNATURE4)) {
            r.format = 4;
            r.read4(SIGNATURE4.length);
        } else {
            throw new ZipException("not a RAR archive");
        }
        return r;
    }

    /**
     * The archive's file and directory entries, in order, with a RAR5 file's NTFS alternate streams ({@code rar -os}:
     * service headers named {@code STM}, whose data WinRAR writes beside the file's) after it, each named {@code
     * FILE:STREAM}; other service headers (comments, quick open, recovery records) left out.
     *
     * @return them, unmodifiable
     */
    public List<Entry> entries() {
        return Collections.unmodifiableList(entries);
    }

    /**
     * The archive's format.
     *
     * @return 4 (RAR 1.5 to 4.x) or 5 (RAR 5.0)
     */
    public int format() {
        return format;
    }

    /**
     * Whether the archive says it is a volume of a multi-volume set.
     *
     * @return whether it does
     */
    public boolean volume() {
        return volume;
    }

    /**
     * The data of a readable entry ({@link Entry#readable}); reading to its end checks its CRC, a {@link ZipException}
     * when it fails.
     *
     * @param e an entry of this archive that is readable
     * @return its bytes
     * @throws IllegalArgumentException if it is not readable
     */
    public InputStream data(Entry e) {
        if (!e.readable()) {
            throw new IllegalArgumentException("RAR entry \"" + e.name() + "\" is " + e.whyUnread());
        }
        return new Checked(
                new Range(file, e.dataAt(), e.packedSize(), "RAR file data"), e.packedSize(), e.crc(), e.name());
    }

    // ---- RAR 5.0

    private void read5(long at) throws IOException {
        boolean ended = false;
        while (!ended && at < file.size()) {
            byte[] head = new byte[4 + 10]; // the CRC and the size, a number of up to 10 bytes
            int n = readAt(at, head, head.length);
            if (n < 5) {
                throw cutShort(at);
            }
            long expected = ArchiveBytes.le32(head, 0) & 0xffffffffL;
            Cursor sizeField = new Cursor(head, 4, n);
            long size = sizeField.vint();
            int sizeLength = sizeField.at - 4;
            if (size < 1 || size > MAX_HEADER) {
                throw new ZipException("RAR5 header at " + at + " of " + size + " bytes (at most " + MAX_HEADER + ")");
            }
            long end = at + 4 + sizeLength + size;
            if (end > file.size()) {
                throw cutShort(at);
            }
            byte[] header = new byte[(int) (sizeLength + size)];
            readAt(at + 4, header, header.length);
            if (crc(header, 0, header.length) != expected) {
                throw new ZipException("RAR5 header at " + at + " fails its CRC");
            }
            Cursor in = new Cursor(header, sizeLength, header.length);
            int type = (int) in.vint();
            long flags = in.vint();
            long extraSize = (flags & 0x01) != 0 ? in.vint() : 0;
            long dataSize = (flags & 0x02) != 0 ? in.vint() : 0;
            if (extraSize < 0 || extraSize > header.length - in.at || dataSize < 0 || dataSize > file.size() - end) {
                throw new ZipException("RAR5 header at " + at + " with an extra area or data past its end");
            }
            int extraAt = header.length - (int) extraSize;
            switch (type) {
                case 1 -> { // main archive header
                    long archiveFlags = in.vint();
                    volume = (archiveFlags & 0x01) != 0;
                }
                case 2 -> file5(in, extraAt, flags, end, dataSize, false);
                case 3 -> file5(in, extraAt, flags, end, dataSize, true);
                case 4 -> throw new Encrypted("RAR archive whose headers are encrypted");
                case 5 -> ended = true;
                default -> {
                    // a type this reader does not know, which RAR's tools pass over too (the format's "skip if
                    // unknown" flag): not a file
                }
            }
            at = end + dataSize;
        }
        if (!ended) {
            throw new ZipException("RAR5 archive cut short: no end of archive header");
        }
    }

    /**
     * A RAR5 file header, or a service header ({@code service}), laid out as a file header: of those only an NTFS
     * stream's ({@code STM}) is an entry, named {@code FILE:STREAM} after the file before it, as 7-Zip lists it ({@code
     * 7z l -sns}) and writes it on extraction; comments, quick open and recovery records are not files.
     */
    private void file5(Cursor in, int extraAt, long flags, long dataAt, long dataSize, boolean service)
            throws IOException {
        long fileFlags = in.vint();
        long size = in.vint();
        in.vint(); // attributes
        if ((fileFlags & 0x02) != 0) {
            in.skip(4); // modification time
        }
        long crc = (fileFlags & 0x04) != 0 ? in.u32() : -1;
        long compression = in.vint();
        in.vint(); // host OS
        long nameLength = in.vint();
        if (nameLength > MAX_NAME || nameLength > extraAt - in.at) {
            throw new ZipException("RAR5 file name of " + nameLength + " bytes");
        }
        String name = new String(in.b, in.at, (int) nameLength, StandardCharsets.UTF_8);
        in.at += (int) nameLength;
        if (in.at > extraAt) {
            throw new ZipException("RAR5 file header longer than its size");
        }
        if (service && !name.equals("STM")) {
            return;
        }
        boolean encrypted = false;
        boolean link = false;
        String stream = null;
        Cursor extra = new Cursor(in.b, extraAt, in.b.length);
        while (extra.at < in.b.length) {
            long recordSize = extra.vint();
            int recordStart = extra.at;
            if (recordSize < 1 || recordSize > in.b.length - recordStart) {
                throw new ZipException("RAR5 extra record of " + recordSize + " bytes in \"" + name + "\"");
            }
            long type = extra.vint();
            encrypted |= type == 0x01;
            link |= type == 0x05; // a file redirection: a link, or a copy of a file before it
            if (type == 0x07 && extra.at <= recordStart + recordSize) { // service data: a stream's name
                stream = new String(in.b, extra.at, recordStart + (int) recordSize - extra.at, StandardCharsets.UTF_8);
            }
            extra.at = recordStart + (int) recordSize;
        }
        if (service) {
            String streamName = stream == null ? "" : stream.startsWith(":") ? stream.substring(1) : stream;
            name = lastFile + ":" + streamName; // RAR writes the name with its colon, 7-Zip shows it without
        } else {
            lastFile = name;
        }
        boolean directory = !service && (fileFlags & 0x01) != 0;
        int method = (int) ((compression >> 7) & 0x07);
        boolean whole = (flags & 0x18) == 0 && !encrypted && !link;
        if (method == 0 && whole && !directory && (fileFlags & 0x08) == 0 && size != dataSize) {
            throw new ZipException("RAR5 stored file \"" + name + "\" of " + dataSize + " bytes declaring " + size);
        }
        add(new Entry(
                name,
                directory,
                (fileFlags & 0x08) != 0 ? -1 : size,
                dataSize,
                encrypted,
                method,
                (flags & 0x08) != 0,
                (flags & 0x10) != 0,
                5,
                dataAt,
                crc,
                link));
    }

    // ---- RAR 4.x

    private void read4(long at) throws IOException {
        boolean ended = false;
        boolean mainMet = false;
        while (!ended && at < file.size()) {
            byte[] base = new byte[11];
            int n = readAt(at, base, base.length);
            if (n < 7) {
                if (mainMet && n == 0) {
                    break; // an archive without an end block (RAR before 3.0 wrote none)
                }
                throw cutShort(at);
            }
            int type = base[2] & 0xff;
            int flags = ArchiveBytes.le16(base, 3);
            int size = ArchiveBytes.le16(base, 5);
            if (size < 7 || at + size > file.size()) {
                throw size < 7 ? new ZipException("RAR block of " + size + " bytes at " + at) : cutShort(at);
            }
            byte[] header = new byte[size];
            readAt(at, header, size);
            long added = 0;
            if ((flags & 0x8000) != 0 || type == 0x74 || type == 0x7a) {
                if (size < 11) {
                    throw new ZipException("RAR block at " + at + " too short for its data size");
                }
                added = ArchiveBytes.le32(header, 7) & 0xffffffffL;
            }
            long dataAt = at + size;
            CRC32 crc = new CRC32();
            crc.update(header, 2, size - 2);
            if ((crc.getValue() & 0xffff) != ArchiveBytes.le16(header, 0)
                    && !(type >= 0x75 && type <= 0x79 && dataCrcMatches(crc, dataAt, added, header))) {
                throw new ZipException(
                        "RAR block of type 0x" + Integer.toHexString(type) + " at " + at + " fails its CRC");
            }
            switch (type) {
                case 0x73 -> { // the archive header
                    mainMet = true;
                    volume = (flags & 0x0001) != 0;
                    if ((flags & 0x0080) != 0) {
                        throw new Encrypted("RAR archive whose headers are encrypted");
                    }
                }
                case 0x74 -> added = file4(header, flags, dataAt, added);
                case 0x7b -> ended = true;
                default -> {
                    if (!mainMet) {
                        throw new ZipException(
                                "RAR block of type 0x" + Integer.toHexString(type) + " before the archive header");
                    }
                    // comments, old-style and new-style subblocks, recovery records, authenticity: not files
                }
            }
            if (added > file.size() - dataAt) {
                throw cutShort(at);
            }
            at = dataAt + added;
        }
        if (!mainMet) {
            throw new ZipException("RAR archive without its archive header");
        }
    }

    /**
     * Whether an old-style block's CRC (a comment, an extra information, a subblock, a recovery record, an authenticity
     * block: types {@code 0x75} to {@code 0x79}) covers its data after its header too, as libarchive reads it: {@code
     * crc} holds the header's; its data is read once, within the archive.
     */
    private boolean dataCrcMatches(CRC32 crc, long dataAt, long added, byte[] header) throws IOException {
        if (added == 0 || added > file.size() - dataAt) {
            return false;
        }
        byte[] chunk = new byte[WINDOW];
        for (long done = 0; done < added; ) {
            int n = readFully(dataAt + done, chunk, 0, (int) Math.min(WINDOW, added - done));
            if (n <= 0) {
                return false;
            }
            crc.update(chunk, 0, n);
            done += n;
        }
        return (crc.getValue() & 0xffff) == ArchiveBytes.le16(header, 0);
    }

    /** A RAR4 file header; its data's size, the high 32 bits added when it has them. */
    private long file4(byte[] h, int flags, long dataAt, long packLow) throws IOException {
        if (h.length < 32) {
            throw new ZipException("RAR file header of " + h.length + " bytes");
        }
        long unpacked = ArchiveBytes.le32(h, 11) & 0xffffffffL;
        long crc = ArchiveBytes.le32(h, 16) & 0xffffffffL;
        int method = h[25] & 0xff;
        int nameSize = ArchiveBytes.le16(h, 26);
        int at = 32;
        long packed = packLow;
        if ((flags & 0x0100) != 0) {
            if (h.length < 40) {
                throw new ZipException("RAR file header too short for its 64-bit sizes");
            }
            packed |= (ArchiveBytes.le32(h, 32) & 0xffffffffL) << 32;
            unpacked |= (ArchiveBytes.le32(h, 36) & 0xffffffffL) << 32;
            at = 40;
            if (packed < 0 || unpacked < 0) { // the data size read so moved the reading back
                throw new ZipException("RAR file header with a size of 2^63 bytes or more");
            }
        }
        if (nameSize > h.length - at) {
            throw new ZipException("RAR file name of " + nameSize + " bytes past its header");
        }
        String name = name4(h, at, nameSize, (flags & 0x0200) != 0);
        if (method < 0x30 || method > 0x35) {
            throw new ZipException("RAR file \"" + name + "\" of unknown method 0x" + Integer.toHexString(method));
        }
        boolean directory = (flags & 0x00e0) == 0x00e0;
        add(new Entry(
                name,
                directory,
                unpacked,
                packed,
                (flags & 0x0004) != 0,
                method - 0x30,
                (flags & 0x0001) != 0,
                (flags & 0x0002) != 0,
                4,
                dataAt,
                crc,
                false));
        if (method == 0x30 && (flags & 0x0007) == 0 && !directory && packed != unpacked) {
            throw new ZipException("RAR stored file \"" + name + "\" of " + packed + " bytes declaring " + unpacked);
        }
        return packed;
    }

    /**
     * A RAR4 name: its bytes as they are (the OEM name, read as Latin-1 where not ASCII), or with the Unicode flag the
     * Unicode form after a zero byte (or, without the zero, the whole name in UTF-8). Linear in the name's length; at
     * most {@value #MAX_NAME} characters.
     */
    static String name4(byte[] h, int at, int size, boolean unicode) {
        int zero = -1;
        for (int i = at; i < at + size; i++) {
            if (h[i] == 0) {
                zero = i;
                break;
            }
        }
        if (!unicode) {
            return plainName(h, at, zero < 0 ? size : zero - at);
        }
        if (zero < 0) {
            return new String(h, at, size, StandardCharsets.UTF_8);
        }
        int plain = zero - at;
        int end = at + size;
        int pos = zero + 1;
        StringBuilder out = new StringBuilder();
        if (pos >= end) {
            return plainName(h, at, plain);
        }
        int high = h[pos++] & 0xff;
        int flags = 0;
        int flagBits = 0;
        while (pos < end && out.length() < MAX_NAME) {
            if (flagBits == 0) {
                flags = h[pos++] & 0xff;
                flagBits = 8;
                if (pos >= end) {
                    break;
                }
            }
            switch (flags >> 6) {
                case 0 -> out.append((char) (h[pos++] & 0xff));
                case 1 -> out.append((char) ((h[pos++] & 0xff) | high << 8));
                case 2 -> {
                    if (end - pos < 2) {
                        pos = end;
                        break;
                    }
                    out.append((char) ((h[pos] & 0xff) | (h[pos + 1] & 0xff) << 8));
                    pos += 2;
                }
                default -> {
                    int length = h[pos++] & 0xff;
                    int correction = 0;
                    boolean corrected = (length & 0x80) != 0;
                    if (corrected) {
                        if (pos >= end) {
                            break;
                        }
                        correction = h[pos++] & 0xff;
                    }
                    for (int k = (length & 0x7f) + 2; k > 0 && out.length() < plain; k--) {
                        int c = h[at + out.length()] & 0xff;
                        out.append(corrected ? (char) (((c + correction) & 0xff) | high << 8) : (char) c);
                    }
                }
            }
            flags = (flags << 2) & 0xff;
            flagBits -= 2;
        }
        return out.toString();
    }

    /**
     * A name without its Unicode form: UTF-8 where its bytes are (RAR on Unix writes them so, as 7-Zip and lsar read
     * them), else Latin-1 (an OEM code page's letters beyond ASCII come out as other letters; the extension RAR's
     * writers take from the file is ASCII in the names that matter here).
     */
    private static String plainName(byte[] h, int at, int length) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .decode(java.nio.ByteBuffer.wrap(h, at, length))
                    .toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return new String(h, at, length, StandardCharsets.ISO_8859_1);
        }
    }

    // ---- shared

    private void add(Entry e) throws Compressed.Unreadable {
        if (entries.size() >= maxFiles) {
            throw new Compressed.Unreadable("RAR archive holds more than " + maxFiles + " files");
        }
        entries.add(e);
    }

    /**
     * Up to {@code len} bytes at {@code at} (fewer only where the archive ends), through {@link #window}: the headers
     * of an archive of many small entries are read in one read of the file per {@value #WINDOW} bytes, not two each.
     */
    private int readAt(long at, byte[] b, int len) throws IOException {
        if (len > WINDOW) {
            return readFully(at, b, 0, len);
        }
        if (at < windowAt || at + len > windowAt + windowLength) {
            windowAt = at;
            windowLength = readFully(at, window, 0, WINDOW);
        }
        int n = (int) Math.max(0, Math.min(len, windowAt + windowLength - at));
        System.arraycopy(window, (int) (at - windowAt), b, 0, n);
        return n;
    }

    private int readFully(long at, byte[] b, int off, int len) throws IOException {
        int done = 0;
        while (done < len) {
            int n = file.read(at + done, b, off + done, len - done);
            if (n <= 0) {
                break;
            }
            done += n;
        }
        return done;
    }

    private ZipException cutShort(long at) {
        return new ZipException("RAR archive cut short: a header or its data at " + at + " is past its end ("
                + file.size() + " bytes)");
    }

    private static long crc(byte[] b, int off, int len) {
        CRC32 c = new CRC32();
        c.update(b, off, len);
        return c.getValue();
    }

    /** Bytes of a header read in order; reading past its end is a {@link ZipException}. */
    private static final class Cursor {
        final byte[] b;
        int at;
        final int end;

        Cursor(byte[] b, int at, int end) {
            this.b = b;
            this.at = at;
            this.end = end;
        }

        /** A RAR5 variable-length integer: 7 bits a byte, low first, at most 10 bytes. */
        long vint() throws ZipException {
            long v = 0;
            for (int shift = 0; shift < 70; shift += 7) {
                if (at >= end) {
                    throw new ZipException("RAR5 header cut short in a number");
                }
                int x = b[at++] & 0xff;
                if (shift == 63 && (x & 0x7e) != 0) {
                    throw new ZipException("RAR5 number of more than 64 bits");
                }
                v |= (long) (x & 0x7f) << shift;
                if ((x & 0x80) == 0) {
                    if (v < 0) {
                        throw new ZipException("RAR5 number of 2^63 or more");
                    }
                    return v;
                }
            }
            throw new ZipException("RAR5 number longer than 10 bytes");
        }

        long u32() throws ZipException {
            skip(4);
            return ArchiveBytes.le32(b, at - 4) & 0xffffffffL;
        }

        void skip(int n) throws ZipException {
            if (end - at < n) {
                throw new ZipException("RAR5 header cut short");
            }
            at += n;
        }
    }

    /** A stored file's bytes, their CRC checked at their end. */
    private static final class Checked extends Bounded {
        private final CRC32 crc = new CRC32();
        private final long expected;
        private final String name;

        Checked(InputStream data, long size, long expected, String name) {
            super(data, size, "RAR file \"" + name + "\"");
            this.expected = expected;
            this.name = name;
            if (size == 0 && expected >= 0 && expected != 0) {
                left = -1; // checked at the first read
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left < 0) {
                throw new ZipException("RAR file \"" + name + "\" fails its CRC");
            }
            int n = super.read(b, off, len);
            if (n > 0) {
                crc.update(b, off, n);
                if (left == 0 && expected >= 0 && crc.getValue() != expected) {
                    throw new ZipException("RAR file \"" + name + "\" fails its CRC");
                }
            }
            return n;
        }
    }
}
