package org.mailhygiene.scanners.archive;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import java.util.zip.ZipException;
import org.tukaani.xz.ARM64Options;
import org.tukaani.xz.ARMOptions;
import org.tukaani.xz.ARMThumbOptions;
import org.tukaani.xz.DeltaOptions;
import org.tukaani.xz.FilterOptions;
import org.tukaani.xz.IA64Options;
import org.tukaani.xz.PowerPCOptions;
import org.tukaani.xz.RISCVOptions;
import org.tukaani.xz.SPARCOptions;
import org.tukaani.xz.UnsupportedOptionsException;
import org.tukaani.xz.X86Options;

/**
 * A 7z archive read from its bytes at any offset ({@link Positioned}: its header is at its end), as 7-Zip's format
 * description ({@code DOC/7zFormat.txt}) lays it out: the signature header and its CRC, the next header at an offset
 * from it (an encoded header, packed with LZMA, decoded first), the pack streams, the folders with their coders and bind
 * pairs, the unpack sizes, the substreams of solid folders, the files (UTF-16LE names, empty streams and files,
 * attributes) and every CRC.
 *
 * <p>Coders read: Copy, LZMA, LZMA2 (through XZ for Java, each decoder's memory taken from the scan's {@link
 * Compressed.Allowance}), Deflate (the JDK's {@link Inflater}), BZip2 ({@link Bzip2Stream}), Delta and the branch
 * filters XZ for Java has (x86, PowerPC, IA-64, ARM, ARM-Thumb, SPARC, ARM64, RISC-V) in chains of one-input coders.
 * A coder it does not read (PPMd, BCJ2, Deflate64, ...) is {@link Compressed.Unreadable}. A folder encrypted with AES
 * ({@code -p}) is not decoded: its files are given as {@link Entry#encrypted} without their data, and the files of the
 * archive's other folders are read; a header encrypted too ({@code -mhe=on}, nothing readable) is {@link Encrypted}.
 *
 * <p>Bounded before anything is allocated: a header of more than {@value #MAX_HEADER} bytes (packed or not), more files
 * or substreams than the caller allows, more than {@value #MAX_CODERS} coders in a folder, counts beyond what the
 * header's bytes can hold. Anything the format does not allow (a wrong signature, a CRC that does not match, a header
 * or pack stream past the file's end, sizes that do not add up, data cut short) is a {@link ZipException} naming it.
 * Time is linear in the header and in the bytes decoded; the decoded bytes are the caller's to count ({@link
 * #unpackedBytes} says beforehand how many the folders declare). Not thread-safe.
 */
public final class SevenZip implements Closeable {
    /** The first six bytes of every 7z archive. */
    private static final byte[] SIGNATURE = {'7', 'z', (byte) 0xbc, (byte) 0xaf, 0x27, 0x1c};
    /** The signature header's length; offsets in the archive count from its end. */
    private static final int START = 32;
    /** The most bytes a header may have, packed or unpacked: 16 MiB (some 100,000 names). */
    public static final int MAX_HEADER = 16 << 20;
    /** The most coders a folder may have (7-Zip writes up to 4). */
    public static final int MAX_CODERS = 32;

    /** An archive whose header, its names too, is encrypted (AES, {@code -mhe=on}): nothing of it can be read. */
    public static final class Encrypted extends Compressed.Unreadable {
        private static final long serialVersionUID = 1L;

        Encrypted(String message) {
            super(message);
        }
    }

    /**
     * One file (or directory) of the archive, in the header's order.
     *
     * @param name its name as the header has it (any characters, {@code /} and {@code ..} included)
     * @param directory whether it is a directory
     * @param hasData whether it has bytes in a folder (not an empty file or a directory)
     * @param size its size as the header declares it
     * @param encrypted whether its folder is encrypted (AES): its data is not decoded, the visitor gets none
     */
    public record Entry(String name, boolean directory, boolean hasData, long size, boolean encrypted) {}

    private record Coder(byte[] id, int ins, int outs, byte[] properties) {}

    private static final class Folder {
        Coder[] coders;
        long[] bindIn;
        long[] bindOut;
        long[] packed; // the coders' in indexes fed by pack streams, in pack stream order
        long[] unpackSizes; // per out stream
        long crc = -1;
        int firstPack;
        int substreams = 1;

        /** Whether one of its coders is AES: its data cannot be decoded without the password. */
        boolean encrypted() {
            for (Coder c : coders) {
                if (AES.equals(HexFormat.of().formatHex(c.id()))) {
                    return true;
                }
            }
            return false;
        }

        int mainOut() throws ZipException {
            for (int o = 0; o < unpackSizes.length; o++) {
                if (indexOf(bindOut, o) < 0) {
                    return o;
                }
            }
            throw new ZipException("7z folder whose every output is bound");
        }

        long size() throws ZipException {
            return unpackSizes[mainOut()];
        }
    }

    private final Positioned file;
    private final Compressed.Allowance memory;
    private long packPos;
    private long[] packSizes = new long[0];
    private Folder[] folders = new Folder[0];
    private long[] subSizes = new long[0];
    private long[] subCrcs = new long[0];
    private final List<Entry> entries = new ArrayList<>();
    private final List<Closeable> open = new ArrayList<>();
    private int maxFiles;

    private SevenZip(Positioned file, Compressed.Allowance memory) {
        this.file = file;
        this.memory = memory;
    }

    /**
     * Whether content starting with these bytes is a 7z archive (its six-byte signature).
     *
     * @param prefix the content's first bytes
     * @param n how many there are
     * @return whether it starts as one
     */
    public static boolean starts(byte[] prefix, int n) {
        if (n < SIGNATURE.length) {
            return false;
        }
        for (int i = 0; i < SIGNATURE.length; i++) {
            if (prefix[i] != SIGNATURE[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads an archive's headers (not yet its files' data).
     *
     * @param file the archive's bytes
     * @param maxFiles the most files (and substreams) it may hold
     * @param memory what the LZMA decoders of the scan may still use (an encoded header's decoder takes from it while
     *     the header is decoded; each folder's while it is read)
     * @return the archive, to {@link #close} once read
     * @throws Encrypted if its header is encrypted
     * @throws Compressed.Unreadable if its header is packed with a coder not read here, or it holds more than {@code
     *     maxFiles} files
     * @throws ZipException if it is not a 7z archive the format allows (broken, cut short, a CRC that fails)
     * @throws IOException if reading the bytes fails
     */
    public static SevenZip open(Positioned file, int maxFiles, Compressed.Allowance memory) throws IOException {
        SevenZip z = new SevenZip(file, memory);
        z.maxFiles = maxFiles;
        try {
            z.readHeaders();
        } catch (IndexOutOfBoundsException | IllegalArgumentException | ArithmeticException e) {
            throw new ZipException("broken 7z header: " + e.getMessage());
        }
        return z;
    }

    /**
     * The archive's files and directories, in order.
     *
     * @return them, unmodifiable
     */
    public List<Entry> entries() {
        return java.util.Collections.unmodifiableList(entries);
    }

    /**
     * The bytes its folders declare they decode to in all, an encrypted folder's left out (it is not decoded): what
     * reading every file costs, known before any is read.
     *
     * @return the sum, saturating at {@link Long#MAX_VALUE}
     * @throws ZipException if a folder's outputs are all bound (none is its result)
     */
    public long unpackedBytes() throws ZipException {
        long sum = 0;
        for (Folder f : folders) {
            if (!f.encrypted()) {
                sum = saturatedAdd(sum, f.size());
            }
        }
        return sum;
    }

    /** What a {@link Reader} gives for each entry. */
    @FunctionalInterface
    public interface Visitor {
        /**
         * One entry and its data.
         *
         * @param entry the entry
         * @param data its bytes (none for a directory, an empty file or a file of an encrypted folder); reading past them
         *     checks their CRC, which a {@link ZipException} reports when it fails. What is left unread is read by the
         *     archive before the next entry.
         * @return whether to go on with the next entry
         * @throws IOException as the visitor's reading throws
         */
        boolean entry(Entry entry, InputStream data) throws IOException;
    }

    /**
     * Reads the entries in order, each folder decoded once from its start (a solid folder's files one after the other);
     * an encrypted folder is not decoded, its files given without data ({@link Entry#encrypted}).
     *
     * @param visitor given each entry
     * @throws Compressed.Unreadable if a folder's coder is not read here, or its dictionary is beyond the memory allowed
     * @throws ZipException if the data is broken (a CRC fails, a stream is cut short)
     * @throws IOException as the visitor throws, or reading fails
     */
    public void read(Visitor visitor) throws IOException {
        int folder = -1;
        int leftInFolder = 0;
        InputStream folderData = null;
        int sub = 0;
        for (Entry e : entries) {
            InputStream data;
            Checked checked = null;
            if (!e.hasData()) {
                data = InputStream.nullInputStream();
            } else {
                while (leftInFolder == 0) {
                    folder++;
                    if (folder >= folders.length) {
                        throw new ZipException("7z files with data beyond its folders' substreams");
                    }
                    closeOpen();
                    leftInFolder = folders[folder].substreams;
                    folderData = leftInFolder == 0 || folders[folder].encrypted() ? null : folderStream(folder);
                }
                if (folderData == null) {
                    data = InputStream.nullInputStream(); // an encrypted folder's file
                } else {
                    checked = new Checked(folderData, subSizes[sub], subCrcs[sub], e.name());
                    data = checked;
                }
                sub++;
                leftInFolder--;
            }
            boolean more;
            try {
                more = visitor.entry(e, data);
            } catch (IndexOutOfBoundsException | IllegalArgumentException | ArithmeticException x) {
                throw new ZipException("broken 7z data: " + x);
            }
            if (!more) {
                return;
            }
            if (checked != null) {
                checked.transferTo(java.io.OutputStream.nullOutputStream());
                if (checked.failed != null) {
                    throw checked.failed; // also when the visitor's reader took it for its own content's damage
                }
            }
        }
    }

    /** Gives the decoders' memory back. */
    @Override
    public void close() throws IOException {
        closeOpen();
    }

    private void closeOpen() throws IOException {
        for (Closeable c : open) {
            c.close();
        }
        open.clear();
    }

    // ---- headers

    /**
     * Checks a 7z signature header (its first {@value #START} bytes, the signature already seen): the format version,
     * the header's CRC, and that the header it points to lies within {@code fileSize} bytes. Also what tells a 7z
     * archive behind a program ({@link SelfExtracting}) from the signature found there by chance.
     *
     * @throws Compressed.Unreadable if its format version is not read here
     * @throws ZipException if its CRC fails or its header is past the end
     */
    static void checkStart(byte[] start, long fileSize) throws IOException {
        if (start[6] != 0) {
            throw new Compressed.Unreadable("7z format version " + start[6] + "." + start[7] + " is not read here");
        }
        if (crc(start, 12, 20) != (ArchiveBytes.le32(start, 8) & 0xffffffffL)) {
            throw new ZipException("7z signature header fails its CRC");
        }
        long offset = le64(start, 12);
        long size = le64(start, 20);
        if (size != 0 && (offset < 0 || size < 0 || offset > fileSize || size > fileSize - START - offset)) {
            throw new ZipException("7z archive cut short: its header (" + size + " bytes at " + (START + offset)
                    + ") is past its end (" + fileSize + " bytes)");
        }
    }

    private void readHeaders() throws IOException {
        byte[] start = new byte[START];
        if (readFully(0, start) < START || !starts(start, START)) {
            throw new ZipException("not a 7z archive, or cut short in its signature header");
        }
        checkStart(start, file.size());
        long offset = le64(start, 12);
        long size = le64(start, 20);
        long crc = ArchiveBytes.le32(start, 28) & 0xffffffffL;
        if (size == 0) {
            return; // an empty archive
        }
        if (size > MAX_HEADER) {
            throw new Compressed.Unreadable("its 7z header has " + size + " bytes, more than " + MAX_HEADER);
        }
        byte[] header = new byte[(int) size];
        readFully(START + offset, header);
        if (crc(header, 0, header.length) != crc) {
            throw new ZipException("7z header fails its CRC");
        }
        for (int level = 0; ; level++) {
            Cursor in = new Cursor(header);
            int id = in.u8();
            if (id == 0x01) {
                header(in);
                return;
            }
            if (id != 0x17 || level >= 4) {
                throw new ZipException("7z header starts with " + id + ", not a header");
            }
            // an encoded header: streams info whose one folder decodes to the header
            streamsInfo(in);
            if (folders.length != 1) {
                throw new ZipException("7z encoded header in " + folders.length + " folders");
            }
            long unpacked = folders[0].size();
            if (unpacked > MAX_HEADER) {
                throw new Compressed.Unreadable(
                        "its 7z header unpacks to " + unpacked + " bytes, more than " + MAX_HEADER);
            }
            byte[] decoded;
            try (InputStream h = folderStream(0)) {
                decoded = h.readNBytes((int) unpacked);
            } finally {
                closeOpen();
            }
            if (decoded.length < unpacked) {
                throw new ZipException("7z encoded header cut short");
            }
            if (folders[0].crc >= 0 && crc(decoded, 0, decoded.length) != folders[0].crc) {
                throw new ZipException("7z encoded header fails its CRC");
            }
            header = decoded;
            // what the packed header's streams info said is not the archive's: an archive of empty files only has
            // none of its own (its header's one stream was taken for a file's)
            packPos = 0;
            packSizes = new long[0];
            folders = new Folder[0];
            subSizes = new long[0];
            subCrcs = new long[0];
        }
    }

    private void header(Cursor in) throws IOException {
        int id = in.u8();
        if (id == 0x02) { // archive properties
            for (int type = in.u8(); type != 0; type = in.u8()) {
                in.skip(in.number());
            }
            id = in.u8();
        }
        if (id == 0x03) {
            throw new Compressed.Unreadable("7z additional streams are not read here");
        }
        if (id == 0x04) {
            streamsInfo(in);
            id = in.u8();
        }
        if (id == 0x05) {
            files(in);
            id = in.u8();
        } else if (subSizes.length > 0) {
            throw new ZipException("7z streams without files");
        }
        if (id != 0) {
            throw new ZipException("7z header property " + id + " where its end should be");
        }
    }

    private void streamsInfo(Cursor in) throws IOException {
        int id = in.u8();
        if (id == 0x06) {
            packPos = in.number();
            int n = in.count(1, "pack streams");
            packSizes = new long[n];
            id = in.u8();
            if (id == 0x09) {
                for (int i = 0; i < n; i++) {
                    packSizes[i] = in.number();
                }
                id = in.u8();
            } else if (n > 0) {
                throw new ZipException("7z pack streams without sizes");
            }
            if (id == 0x0a) {
                digests(in, n); // the pack streams' CRCs: the decoded data's are checked
                id = in.u8();
            }
            if (id != 0) {
                throw new ZipException("7z pack info property " + id + " not known");
            }
            id = in.u8();
        }
        if (id == 0x07) {
            unpackInfo(in);
            id = in.u8();
        }
        subSizes = new long[folders.length];
        subCrcs = new long[folders.length];
        for (int f = 0; f < folders.length; f++) {
            subSizes[f] = folders[f].size();
            subCrcs[f] = folders[f].crc;
        }
        if (id == 0x08) {
            subStreamsInfo(in);
            id = in.u8();
        }
        if (id != 0) {
            throw new ZipException("7z streams info property " + id + " not known");
        }
    }

    private void unpackInfo(Cursor in) throws IOException {
        if (in.u8() != 0x0b) {
            throw new ZipException("7z unpack info without its folders");
        }
        int n = in.count(2, "folders");
        if (in.u8() != 0) {
            throw new Compressed.Unreadable("7z folders in additional streams are not read here");
        }
        folders = new Folder[n];
        int pack = 0;
        for (int i = 0; i < n; i++) {
            folders[i] = folder(in);
            folders[i].firstPack = pack;
            pack += folders[i].packed.length;
        }
        if (pack > packSizes.length) {
            throw new ZipException("7z folders use " + pack + " pack streams of " + packSizes.length);
        }
        if (in.u8() != 0x0c) {
            throw new ZipException("7z unpack info without unpack sizes");
        }
        for (Folder f : folders) {
            for (int o = 0; o < f.unpackSizes.length; o++) {
                f.unpackSizes[o] = in.number();
            }
        }
        int id = in.u8();
        if (id == 0x0a) {
            long[] crcs = digests(in, n);
            for (int i = 0; i < n; i++) {
                folders[i].crc = crcs[i];
            }
            id = in.u8();
        }
        if (id != 0) {
            throw new ZipException("7z unpack info property " + id + " not known");
        }
    }

    private Folder folder(Cursor in) throws IOException {
        Folder f = new Folder();
        long coders = in.number();
        if (coders < 1 || coders > MAX_CODERS) {
            throw new ZipException("7z folder of " + coders + " coders");
        }
        f.coders = new Coder[(int) coders];
        int ins = 0;
        int outs = 0;
        for (int c = 0; c < coders; c++) {
            int flags = in.u8();
            if ((flags & 0x80) != 0) {
                throw new ZipException("7z coder with alternative methods");
            }
            byte[] id = in.bytes(flags & 0x0f);
            long cin = 1;
            long cout = 1;
            if ((flags & 0x10) != 0) {
                cin = in.number();
                cout = in.number();
                if (cin < 1 || cin > MAX_CODERS || cout < 1 || cout > MAX_CODERS) {
                    throw new ZipException("7z coder of " + cin + " inputs and " + cout + " outputs");
                }
            }
            byte[] props = (flags & 0x20) != 0 ? in.bytes(in.count(1, "coder properties")) : new byte[0];
            f.coders[c] = new Coder(id, (int) cin, (int) cout, props);
            ins += (int) cin;
            outs += (int) cout;
        }
        int pairs = outs - 1;
        if (pairs >= ins) {
            throw new ZipException("7z folder with more bind pairs than inputs");
        }
        f.bindIn = new long[pairs];
        f.bindOut = new long[pairs];
        for (int p = 0; p < pairs; p++) {
            f.bindIn[p] = in.number();
            f.bindOut[p] = in.number();
            if (f.bindIn[p] >= ins || f.bindOut[p] >= outs) {
                throw new ZipException("7z bind pair out of its folder");
            }
        }
        int packed = ins - pairs;
        f.packed = new long[packed];
        if (packed == 1) {
            for (int i = 0; i < ins; i++) {
                if (indexOf(f.bindIn, i) < 0) {
                    f.packed[0] = i;
                    break;
                }
            }
        } else {
            for (int p = 0; p < packed; p++) {
                f.packed[p] = in.number();
                if (f.packed[p] >= ins) {
                    throw new ZipException("7z packed stream out of its folder");
                }
            }
        }
        f.unpackSizes = new long[outs];
        return f;
    }

    private void subStreamsInfo(Cursor in) throws IOException {
        int id = in.u8();
        long total = folders.length;
        if (id == 0x0d) {
            total = 0;
            for (Folder f : folders) {
                long n = in.number();
                if (n > maxFiles || (total += n) > maxFiles) {
                    throw new Compressed.Unreadable("a 7z archive of more than " + maxFiles + " files");
                }
                f.substreams = (int) n;
            }
            id = in.u8();
        }
        subSizes = new long[(int) total];
        int s = 0;
        for (Folder f : folders) {
            long size = f.size();
            long left = size;
            for (int i = 0; i < f.substreams; i++) {
                long n;
                if (i == f.substreams - 1) {
                    n = left;
                } else if (id == 0x09) {
                    n = in.number();
                } else {
                    throw new ZipException("7z solid folder without its files' sizes");
                }
                if (n < 0 || n > left) {
                    throw new ZipException("7z files' sizes add up to more than their folder's " + size + " bytes");
                }
                left -= n;
                subSizes[s++] = n;
            }
        }
        if (id == 0x09) {
            id = in.u8();
        }
        subCrcs = new long[(int) total];
        Arrays.fill(subCrcs, -1);
        int unknown = 0;
        for (Folder f : folders) {
            unknown += f.substreams == 1 && f.crc >= 0 ? 0 : f.substreams;
        }
        long[] crcs = null;
        if (id == 0x0a) {
            crcs = digests(in, unknown);
            id = in.u8();
        }
        s = 0;
        int u = 0;
        for (Folder f : folders) {
            for (int i = 0; i < f.substreams; i++, s++) {
                subCrcs[s] = f.substreams == 1 && f.crc >= 0 ? f.crc : crcs == null ? -1 : crcs[u++];
            }
        }
        if (id != 0) {
            throw new ZipException("7z substreams info property " + id + " not known");
        }
    }

    private void files(Cursor in) throws IOException {
        long n = in.number();
        if (n > maxFiles) {
            throw new Compressed.Unreadable("a 7z archive of more than " + maxFiles + " files");
        }
        int files = (int) n;
        boolean[] emptyStream = new boolean[files];
        boolean[] emptyFile = null;
        boolean[] anti = null;
        boolean[] directory = new boolean[files];
        String[] names = new String[files];
        int empties = 0;
        for (int type = in.u8(); type != 0; type = in.u8()) {
            long size = in.number();
            Cursor p = in.slice(size);
            switch (type) {
                case 0x0e -> {
                    emptyStream = p.bits(files);
                    empties = 0;
                    for (boolean b : emptyStream) {
                        empties += b ? 1 : 0;
                    }
                }
                case 0x0f -> emptyFile = p.bits(empties);
                case 0x10 -> anti = p.bits(empties);
                case 0x11 -> {
                    if (p.u8() != 0) {
                        throw new Compressed.Unreadable("7z names in additional streams are not read here");
                    }
                    for (int i = 0; i < files; i++) {
                        names[i] = p.utf16();
                    }
                }
                case 0x15 -> {
                    boolean[] defined = p.defined(files);
                    if (p.u8() != 0) {
                        throw new Compressed.Unreadable("7z attributes in additional streams are not read here");
                    }
                    for (int i = 0; i < files; i++) {
                        if (defined[i]) {
                            directory[i] = (p.u32() & 0x10) != 0;
                        }
                    }
                }
                default -> {
                    // times, start positions, padding: not needed
                }
            }
        }
        int withData = 0;
        for (int i = 0, e = 0; i < files; i++) {
            boolean dir = directory[i];
            if (emptyStream[i]) {
                boolean isFile = emptyFile != null && emptyFile[e] || anti != null && anti[e];
                dir |= !isFile;
                e++;
            } else {
                withData++;
            }
        }
        if (withData != subSizes.length) {
            throw new ZipException("7z archive of " + withData + " files with data in " + subSizes.length + " streams");
        }
        boolean[] locked = new boolean[subSizes.length]; // each substream's folder is encrypted
        for (int f = 0, s = 0; f < folders.length; f++) {
            boolean encrypted = folders[f].encrypted();
            for (int i = 0; i < folders[f].substreams; i++) {
                locked[s++] = encrypted;
            }
        }
        for (int i = 0, s = 0, e = 0; i < files; i++) {
            String name = names[i] == null ? "" : names[i];
            if (emptyStream[i]) {
                boolean isFile = emptyFile != null && emptyFile[e] || anti != null && anti[e];
                e++;
                entries.add(new Entry(name, !isFile, false, 0, false));
            } else {
                entries.add(new Entry(name, directory[i], true, subSizes[s], locked[s]));
                s++;
            }
        }
    }

    private static long[] digests(Cursor in, int n) throws IOException {
        boolean[] defined = in.defined(n);
        long[] crcs = new long[n];
        for (int i = 0; i < n; i++) {
            crcs[i] = defined[i] ? in.u32() & 0xffffffffL : -1;
        }
        return crcs;
    }

    // ---- data

    /** Folder {@code f}'s main output, decoded as it is read; its decoders are closed with the next folder. */
    private InputStream folderStream(int f) throws IOException {
        Folder folder = folders[f];
        long at = START + packPos;
        for (int i = 0; i < folder.firstPack; i++) {
            at = saturatedAdd(at, packSizes[i]);
        }
        long[] packStarts = new long[folder.packed.length];
        for (int i = 0; i < packStarts.length; i++) {
            packStarts[i] = at;
            long size = packSizes[folder.firstPack + i];
            if (at < 0 || size < 0 || at > file.size() || size > file.size() - at) {
                throw new ZipException("7z archive cut short: a pack stream of " + size + " bytes at " + at
                        + " is past its end (" + file.size() + " bytes)");
            }
            at += size;
        }
        return decode(folder, folder.mainOut(), packStarts, new boolean[folder.coders.length]);
    }

    private InputStream decode(Folder folder, int out, long[] packStarts, boolean[] used) throws IOException {
        int c = 0;
        int firstIn = 0;
        for (int o = out; o >= folder.coders[c].outs(); c++) {
            o -= folder.coders[c].outs();
            firstIn += folder.coders[c].ins();
        }
        Coder coder = folder.coders[c];
        if (used[c]) {
            throw new ZipException("7z folder whose coders bind in a loop");
        }
        used[c] = true;
        if (coder.ins() != 1 || coder.outs() != 1) {
            throw new Compressed.Unreadable(
                    "its 7z coder " + name(coder.id()) + " (of " + coder.ins() + " inputs) is not read here");
        }
        InputStream input;
        int bound = indexOf(folder.bindIn, firstIn);
        if (bound >= 0) {
            input = decode(folder, (int) folder.bindOut[bound], packStarts, used);
        } else {
            int p = indexOf(folder.packed, firstIn);
            if (p < 0) {
                throw new ZipException("7z coder input neither bound nor packed");
            }
            input = new Range(file, packStarts[p], packSizes[folder.firstPack + p], "7z pack stream");
        }
        long size = folder.unpackSizes[out];
        return new Bounded(coder(coder, input, size), size, "7z coder output");
    }

    /** AES-256 with SHA-256 keys, 7-Zip's one cipher. */
    private static final String AES = "06f10701";

    private static final Map<String, String> UNREAD =
            Map.of("030401", "PPMd", "0303011b", "BCJ2", "040109", "Deflate64", AES, "AES");

    private InputStream coder(Coder coder, InputStream in, long size) throws IOException {
        String id = HexFormat.of().formatHex(coder.id());
        byte[] p = coder.properties();
        switch (id) {
            case "00":
                return in;
            case "030101": {
                if (p.length < 5) {
                    throw new ZipException("7z LZMA coder without its 5 properties");
                }
                InputStream s = Compressed.lzma(in, size, p[0], ArchiveBytes.le32(p, 1) & 0xffffffffL, memory);
                open.add(s);
                return s;
            }
            case "21": {
                if (p.length < 1 || (p[0] & 0xff) > 40) {
                    throw new ZipException("7z LZMA2 coder with a dictionary property that is not one");
                }
                int b = p[0] & 0xff;
                long dict = b == 40 ? 0xffffffffL : (2L | (b & 1)) << (b / 2 + 11);
                InputStream s = Compressed.lzma2(in, dict, memory);
                open.add(s);
                return s;
            }
            case "040108": {
                Inflater inflater = new Inflater(true);
                open.add(inflater::end);
                return new InflaterInputStream(in, inflater, 64 * 1024);
            }
            case "040202":
                return new Bzip2Stream(in, true);
            case "03":
                return new DeltaOptions(p.length < 1 ? 1 : (p[0] & 0xff) + 1).getInputStream(in);
            case "03030103", "04":
                return branch(in, p, new X86Options(), (o, at) -> o.setStartOffset(at));
            case "03030205", "05":
                return branch(in, p, new PowerPCOptions(), (o, at) -> o.setStartOffset(at));
            case "03030401", "06":
                return branch(in, p, new IA64Options(), (o, at) -> o.setStartOffset(at));
            case "03030501", "07":
                return branch(in, p, new ARMOptions(), (o, at) -> o.setStartOffset(at));
            case "03030701", "08":
                return branch(in, p, new ARMThumbOptions(), (o, at) -> o.setStartOffset(at));
            case "03030805", "09":
                return branch(in, p, new SPARCOptions(), (o, at) -> o.setStartOffset(at));
            case "0a":
                return branch(in, p, new ARM64Options(), (o, at) -> o.setStartOffset(at));
            case "0b":
                return branch(in, p, new RISCVOptions(), (o, at) -> o.setStartOffset(at));
            case AES:
                throw new Encrypted("a 7z archive whose header is encrypted with AES");
            default:
                throw new Compressed.Unreadable("its 7z coder " + name(coder.id()) + " is not read here");
        }
    }

    /** Sets a branch filter's start offset. */
    private interface StartOffset<T> {
        void set(T options, int at) throws UnsupportedOptionsException;
    }

    /** A branch filter, its start offset from the coder's 4 properties when it has them. */
    private static <T extends FilterOptions> InputStream branch(
            InputStream in, byte[] p, T options, StartOffset<T> start) throws IOException {
        if (p.length >= 4) {
            try {
                start.set(options, ArchiveBytes.le32(p, 0));
            } catch (UnsupportedOptionsException e) {
                throw new Compressed.Unreadable("its 7z branch filter's start offset is not read here");
            }
        }
        return options.getInputStream(in);
    }

    private static String name(byte[] id) {
        String hex = HexFormat.of().formatHex(id);
        String known = UNREAD.get(hex);
        return known == null ? hex : known + " (" + hex + ")";
    }

    // ---- helpers

    private int readFully(long at, byte[] b) throws IOException {
        int done = 0;
        while (done < b.length) {
            int n = file.read(at + done, b, done, b.length - done);
            if (n <= 0) {
                break;
            }
            done += n;
        }
        return done;
    }

    private static long crc(byte[] b, int off, int len) {
        CRC32 c = new CRC32();
        c.update(b, off, len);
        return c.getValue();
    }

    private static long le64(byte[] b, int at) {
        return (ArchiveBytes.le32(b, at) & 0xffffffffL) | (long) ArchiveBytes.le32(b, at + 4) << 32;
    }

    private static int indexOf(long[] a, long v) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == v) {
                return i;
            }
        }
        return -1;
    }

    private static long saturatedAdd(long a, long b) {
        long s = a + b;
        return s < 0 || s < a ? Long.MAX_VALUE : s;
    }

    /** A header's bytes read in order, every read checked against their end. */
    private static final class Cursor {
        private final byte[] b;
        private int at;
        private final int end;

        Cursor(byte[] b) {
            this(b, 0, b.length);
        }

        private Cursor(byte[] b, int at, int end) {
            this.b = b;
            this.at = at;
            this.end = end;
        }

        int u8() throws ZipException {
            if (at >= end) {
                throw new ZipException("7z header cut short");
            }
            return b[at++] & 0xff;
        }

        int u32() throws ZipException {
            if (end - at < 4) {
                throw new ZipException("7z header cut short");
            }
            int v = ArchiveBytes.le32(b, at);
            at += 4;
            return v;
        }

        /**
         * A 7z NUMBER: the first byte's leading ones say how many bytes follow. One of 2^63 or more, which no size,
         * count or offset can be (7-Zip refuses them), is refused: as a negative size it read a file as empty.
         */
        long number() throws ZipException {
            int first = u8();
            int mask = 0x80;
            long value = 0;
            for (int i = 0; i < 8; i++) {
                if ((first & mask) == 0) {
                    long high = first & (mask - 1);
                    return value | high << (8 * i);
                }
                value |= (long) u8() << (8 * i);
                mask >>>= 1;
            }
            if (value < 0) {
                throw new ZipException("7z header number " + Long.toUnsignedString(value) + " is beyond 2^63");
            }
            return value;
        }

        /** A count of items of at least {@code min} bytes each, which the bytes left must be able to hold. */
        int count(int min, String what) throws ZipException {
            long n = number();
            if (n < 0 || n > (end - at) / min) {
                throw new ZipException("7z header claims " + n + " " + what + ", more than its bytes can hold");
            }
            return (int) n;
        }

        byte[] bytes(long n) throws ZipException {
            if (n < 0 || n > end - at) {
                throw new ZipException("7z header cut short");
            }
            byte[] out = Arrays.copyOfRange(b, at, at + (int) n);
            at += (int) n;
            return out;
        }

        void skip(long n) throws ZipException {
            if (n < 0 || n > end - at) {
                throw new ZipException("7z header cut short");
            }
            at += (int) n;
        }

        Cursor slice(long n) throws ZipException {
            if (n < 0 || n > end - at) {
                throw new ZipException("7z header property runs past the header's end");
            }
            Cursor c = new Cursor(b, at, at + (int) n);
            at += (int) n;
            return c;
        }

        boolean[] bits(int n) throws ZipException {
            if ((n + 7) / 8 > end - at) {
                throw new ZipException("7z header cut short in a bit field");
            }
            boolean[] out = new boolean[n];
            int v = 0;
            for (int i = 0; i < n; i++) {
                if (i % 8 == 0) {
                    v = u8();
                }
                out[i] = (v & (0x80 >> (i % 8))) != 0;
            }
            return out;
        }

        /** An "all defined" byte, then a bit field unless it is set. */
        boolean[] defined(int n) throws ZipException {
            if (u8() != 0) {
                boolean[] all = new boolean[n];
                Arrays.fill(all, true);
                return all;
            }
            return bits(n);
        }

        String utf16() throws ZipException {
            int from = at;
            while (true) {
                if (end - at < 2) {
                    throw new ZipException("7z file name without its end");
                }
                if (b[at] == 0 && b[at + 1] == 0) {
                    String s = new String(b, from, at - from, StandardCharsets.UTF_16LE);
                    at += 2;
                    return s;
                }
                at += 2;
            }
        }
    }

    /** One file's bytes of its folder's output, their CRC checked at their end. */
    private static final class Checked extends Bounded {
        private final CRC32 crc = new CRC32();
        private final long expected;
        private final String name;
        /** The CRC failure, once met. */
        ZipException failed;

        Checked(InputStream folder, long size, long expected, String name) {
            super(folder, size, "7z file \"" + name + "\"");
            this.expected = expected;
            this.name = name;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                crc.update(b, off, n);
                if (left == 0 && expected >= 0 && crc.getValue() != expected) {
                    failed = new ZipException("7z file \"" + name + "\" fails its CRC");
                    throw failed;
                }
            }
            return n;
        }
    }
}
