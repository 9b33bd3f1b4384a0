package org.mailhygiene.scanners.attachments;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Deque;
import java.util.List;
import org.mailhygiene.internal.BulkInputStream;
import org.mailhygiene.scanners.archive.Positioned;

/**
 * A compound file ([MS-CFB]) read as Office reads it, by its allocation tables: the header (2.2), the DIFAT that lists
 * the FAT's sectors (2.5), the FAT (2.3), the directory (2.6) and its tree of storages and streams from the root
 * entry, the mini FAT and mini stream (2.4) where streams under 4,096 bytes live. A stream's bytes are read along its
 * chain of sectors, in the chain's order whatever their order in the file.
 *
 * <p>Every chain read is bounded: a sector in two chains, or twice in one (a loop), a sector past the file's end, a
 * chain that ends before its stream's size or runs into a free sector, a header giving more FAT sectors than the file
 * has or sectors of other than 512 bytes (version 3) or 4,096 (version 4), a directory entry reached twice: each is
 * {@link Damaged}. Each sector is read at most once for the tables and once for a stream, so the work is linear in the
 * file's size. Not thread-safe: one reader.
 */
final class CompoundFile {
    /** The file's structure cannot be followed; the message says where ({@code FAT sector 7 is past the file's end}). */
    static final class Damaged extends IOException {
        private static final long serialVersionUID = 1L;

        Damaged(String message) {
            super(message);
        }
    }

    /** One storage or stream in the directory tree: the storage it is in ({@code ""} for the root), its name. */
    record Entry(int id, String parent, String name, boolean storage, int start, long size) {}

    private static final long SIGNATURE = 0xe11ab1a1e011cfd0L;
    private static final int END_OF_CHAIN = -2;
    private static final int FREE = -1;
    private static final int NO_STREAM = -1;
    private static final int HEADER_DIFAT = 109;
    private static final int ENTRY = 128;
    private static final int MINI = 64;
    private static final int CUTOFF = 4096;

    private final Positioned file;
    private final int shift;
    private final int sectorSize;
    private final boolean version3;
    /** Sectors after the header, the last one maybe partial. */
    private final int sectors;

    private final int[] fat;
    /** Sectors of the file already in a chain read. */
    private final BitSet used = new BitSet();

    private final int[] directory;
    private final List<Entry> entries = new ArrayList<>();

    private final int miniFatStart;
    private int[] miniFat;
    private long[] miniStreamSectors;
    private long miniStreamSize;
    private final BitSet usedMini = new BitSet();

    private CompoundFile(Positioned file) throws IOException {
        this.file = file;
        byte[] h = new byte[512];
        if (file.read(0, h, 0, 512) < 512) {
            throw new Damaged("shorter than its 512-byte header");
        }
        if (u64(h, 0) != SIGNATURE) {
            throw new Damaged("no compound file signature");
        }
        int major = u16(h, 26);
        shift = u16(h, 30);
        if (!(major == 3 && shift == 9 || major == 4 && shift == 12)) {
            throw new Damaged("version " + major + " with sectors of 2^" + shift
                    + " bytes (version 3 has 512-byte sectors, version 4 4,096)");
        }
        version3 = major == 3;
        sectorSize = 1 << shift;
        if (u16(h, 32) != 6 || u32(h, 56) != CUTOFF) {
            throw new Damaged(
                    "mini sectors of 2^" + u16(h, 32) + " bytes below a cutoff of " + u32(h, 56) + " (64 below 4,096)");
        }
        long count = Math.max(0, (file.size() - sectorSize + sectorSize - 1) >> shift);
        if (count > Integer.MAX_VALUE - 8) {
            throw new Damaged("more sectors than can be counted");
        }
        sectors = (int) count;
        long fatSectors = u32(h, 44);
        if (fatSectors > sectors) {
            throw new Damaged("its header counts " + fatSectors + " FAT sectors, more than the " + sectors
                    + " sectors the file has");
        }
        fat = new int[sectors];
        java.util.Arrays.fill(fat, FREE);
        int perSector = sectorSize / 4;
        byte[] buffer = new byte[sectorSize];
        int listed = 0;
        for (int i = 0; i < HEADER_DIFAT && listed < fatSectors; i++) {
            fatSector(listed++, (int) u32(h, 76 + 4 * i), buffer);
        }
        int difat = (int) u32(h, 68);
        while (listed < fatSectors) {
            if (difat == END_OF_CHAIN || difat == FREE) {
                throw new Damaged("its DIFAT lists " + listed + " of its " + fatSectors + " FAT sectors");
            }
            claim(difat, "a DIFAT sector");
            byte[] d = new byte[sectorSize];
            readSector(difat, d, "a DIFAT sector");
            for (int i = 0; i < perSector - 1 && listed < fatSectors; i++) {
                fatSector(listed++, (int) u32(d, 4 * i), buffer);
            }
            difat = (int) u32(d, sectorSize - 4);
        }
        directory = chain((int) u32(h, 48), -1, "the directory");
        miniFatStart = (int) u32(h, 60);
        tree();
    }

    /**
     * Reads a compound file's tables and directory tree.
     *
     * @throws Damaged if they cannot be followed
     * @throws IOException if reading fails
     */
    static CompoundFile read(Positioned file) throws IOException {
        return new CompoundFile(file);
    }

    /** The storages and streams of the directory tree, each once, parents before children. */
    List<Entry> entries() {
        return entries;
    }

    /** Reads FAT sector number {@code index}, at sector {@code at}, into the table. */
    private void fatSector(int index, int at, byte[] buffer) throws IOException {
        claim(at, "FAT sector " + index);
        readSector(at, buffer, "FAT sector " + index);
        int perSector = sectorSize / 4;
        for (int i = 0; i < perSector; i++) {
            long entry = (long) index * perSector + i;
            if (entry < sectors) {
                fat[(int) entry] = (int) u32(buffer, 4 * i);
            }
        }
    }

    private void claim(int sector, String what) throws Damaged {
        if (sector < 0 || sector >= sectors) {
            throw new Damaged(what + " is sector " + Integer.toUnsignedString(sector) + ", not in the file (" + sectors
                    + " sectors)");
        }
        if (used.get(sector)) {
            throw new Damaged(what + " is sector " + sector + ", reached twice (a loop, or two chains sharing it)");
        }
        used.set(sector);
    }

    private void readSector(int sector, byte[] into, String what) throws IOException {
        if (file.read((long) (sector + 1) << shift, into, 0, sectorSize) < sectorSize) {
            throw new Damaged(what + " (sector " + sector + ") is cut short by the file's end");
        }
    }

    /**
     * The chain of sectors from {@code start}: {@code need} of them ({@code -1}: to its end), each claimed.
     *
     * @throws Damaged if the chain leaves the file, loops, meets another chain, or ends early
     */
    private int[] chain(int start, long need, String what) throws Damaged {
        int[] out = new int[(int) Math.min(need < 0 ? 16 : need, sectors)];
        int n = 0;
        int s = start;
        while (need < 0 || n < need) {
            if (s == END_OF_CHAIN) {
                if (need >= 0) {
                    throw new Damaged(what + " ends after " + n + " of its " + need + " sectors");
                }
                break;
            }
            if (s == FREE && n > 0) {
                throw new Damaged(what + " runs into a free sector after sector " + out[n - 1]);
            }
            claim(s, what + "'s sector " + n);
            if (n == out.length) {
                out = java.util.Arrays.copyOf(out, Math.min(sectors, 2 * out.length + 1));
            }
            out[n++] = s;
            s = fat[s];
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** Walks the directory tree from the root entry (entry 0), each entry at most once. */
    private void tree() throws IOException {
        long count = (long) directory.length * (sectorSize / ENTRY);
        if (count == 0) {
            throw new Damaged("the directory is empty");
        }
        byte[] e = new byte[ENTRY];
        entry(0, e);
        if (e[66] != 5) {
            throw new Damaged("its first directory entry is not the root storage");
        }
        BitSet seen = new BitSet();
        seen.set(0);
        miniStreamSize = size(e);
        entries.add(new Entry(0, "", "Root Entry", true, (int) u32(e, 116), miniStreamSize));
        Deque<Todo> todo = new ArrayDeque<>();
        todo.push(new Todo((int) u32(e, 76), ""));
        while (!todo.isEmpty()) {
            Todo next = todo.pop();
            int id = next.id();
            if (id == NO_STREAM) {
                continue;
            }
            if (id < 0 || id >= count) {
                throw new Damaged("its directory tree names entry " + Integer.toUnsignedString(id) + " of " + count);
            }
            if (seen.get(id)) {
                throw new Damaged("its directory tree reaches entry " + id + " twice");
            }
            seen.set(id);
            entry(id, e);
            todo.push(new Todo((int) u32(e, 68), next.parent()));
            todo.push(new Todo((int) u32(e, 72), next.parent()));
            int type = e[66];
            if (type != 1 && type != 2) {
                continue; // an unused entry in the tree holds nothing
            }
            String name = new String(e, 0, Math.max(0, Math.min(64, u16(e, 64)) - 2), StandardCharsets.UTF_16LE);
            entries.add(new Entry(id, next.parent(), name, type == 1, (int) u32(e, 116), size(e)));
            if (type == 1) {
                todo.push(new Todo((int) u32(e, 76), name));
            }
        }
    }

    /** A directory entry still to visit, and the name of the storage it is in. */
    private record Todo(int id, String parent) {}

    /** A stream's size: in a version 3 file its low 32 bits (older writers left the rest unset, [MS-CFB] 2.6.3). */
    private long size(byte[] e) {
        long size = u64(e, 120);
        return version3 ? size & 0xffffffffL : size;
    }

    private void entry(int id, byte[] into) throws IOException {
        int perSector = sectorSize / ENTRY;
        int sector = directory[id / perSector];
        long at = ((long) (sector + 1) << shift) + (long) (id % perSector) * ENTRY;
        if (file.read(at, into, 0, ENTRY) < ENTRY) {
            throw new Damaged("directory entry " + id + " is cut short by the file's end");
        }
    }

    /**
     * A stream's bytes along its chain, {@code size} of them.
     *
     * @throws Damaged if its chain cannot be followed
     */
    InputStream open(Entry stream) throws IOException {
        String what = "the stream " + stream.name();
        long size = stream.size();
        if (size == 0) {
            return InputStream.nullInputStream();
        }
        long need = sectorsFor(size, what);
        if (size < CUTOFF) {
            mini();
            int[] chain = miniChain(stream.start(), (size + MINI - 1) / MINI, what);
            long[] at = new long[chain.length];
            for (int i = 0; i < chain.length; i++) {
                long offset = (long) chain[i] * MINI;
                at[i] = miniStreamSectors[(int) (offset >> shift)] + (offset & (sectorSize - 1));
            }
            return new Pieces(at, MINI, size, what);
        }
        int[] chain = chain(stream.start(), need, what);
        long[] at = new long[chain.length];
        for (int i = 0; i < chain.length; i++) {
            at[i] = (long) (chain[i] + 1) << shift;
        }
        return new Pieces(at, sectorSize, size, what);
    }

    /**
     * The sectors {@code size} bytes fill; a size of 2^63 or more (a version 4 file's 64-bit size, read as negative)
     * or more than the file's sectors hold is {@link Damaged}: such a size passed as negative or overflowed the count
     * until session 52, and an exception other than {@link IOException} escaped.
     */
    private long sectorsFor(long size, String what) throws Damaged {
        if (size < 0 || size > (long) sectors << shift) {
            throw new Damaged(what + " claims " + Long.toUnsignedString(size) + " bytes, more than the file holds");
        }
        return (size + sectorSize - 1) >> shift;
    }

    /** Reads the mini FAT and finds the mini stream's sectors, once. */
    private void mini() throws IOException {
        if (miniFat != null) {
            return;
        }
        int[] miniFatChain = chain(miniFatStart, -1, "the mini FAT");
        int perSector = sectorSize / 4;
        miniFat = new int[(int) Math.min((long) miniFatChain.length * perSector, Integer.MAX_VALUE - 8)];
        byte[] buffer = new byte[sectorSize];
        for (int i = 0; i < miniFatChain.length; i++) {
            readSector(miniFatChain[i], buffer, "mini FAT sector " + i);
            for (int j = 0; j < perSector && i * perSector + j < miniFat.length; j++) {
                miniFat[i * perSector + j] = (int) u32(buffer, 4 * j);
            }
        }
        int[] chain = chain(entries.get(0).start(), sectorsFor(miniStreamSize, "the mini stream"), "the mini stream");
        miniStreamSectors = new long[chain.length];
        for (int i = 0; i < chain.length; i++) {
            miniStreamSectors[i] = (long) (chain[i] + 1) << shift;
        }
    }

    private int[] miniChain(int start, long need, String what) throws Damaged {
        long miniSectors = miniStreamSize / MINI;
        int[] out = new int[(int) need];
        int s = start;
        for (int n = 0; n < need; n++) {
            if (s < 0 || s >= miniSectors || s >= miniFat.length) {
                throw new Damaged(what + "'s mini sector " + n + " is " + Integer.toUnsignedString(s)
                        + ", not in the mini stream (" + miniSectors + " mini sectors)");
            }
            if (usedMini.get(s)) {
                throw new Damaged(what + "'s mini sector " + n + " is " + s
                        + ", reached twice (a loop, or two chains sharing it)");
            }
            usedMini.set(s);
            out[n] = s;
            s = miniFat[s];
        }
        return out;
    }

    /** A stream's bytes from its sectors' offsets in the file, {@code size} of them in all. */
    private final class Pieces extends BulkInputStream {
        private final long[] at;
        private final int pieceSize;
        private final String what;
        private long left;
        private int piece;
        private int inPiece;

        Pieces(long[] at, int pieceSize, long size, String what) {
            this.at = at;
            this.pieceSize = pieceSize;
            this.left = size;
            this.what = what;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) {
                return -1;
            }
            // the rest of this piece and of those that follow it in the file too, at once
            long run = pieceSize - inPiece;
            for (int p = piece; run < len && p + 1 < at.length && at[p + 1] == at[p] + pieceSize; p++) {
                run += pieceSize;
            }
            int want = (int) Math.min(Math.min(len, run), left);
            int n = file.read(at[piece] + inPiece, b, off, want);
            if (n < want) {
                throw new Damaged(what + " is cut short by the file's end");
            }
            left -= n;
            inPiece += n;
            while (inPiece > pieceSize || inPiece == pieceSize && left > 0) {
                piece++;
                inPiece -= pieceSize;
            }
            return n;
        }
    }

    /** Whether two directory names are the same to a compound file: compared in upper case ([MS-CFB] 2.6.4). */
    static boolean sameName(String a, String b) {
        if (a.length() != b.length()) {
            return false;
        }
        for (int i = 0; i < a.length(); i++) {
            if (Character.toUpperCase(a.charAt(i)) != Character.toUpperCase(b.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static int u16(byte[] b, int at) {
        return b[at] & 0xff | (b[at + 1] & 0xff) << 8;
    }

    private static long u32(byte[] b, int at) {
        return u16(b, at) | (long) u16(b, at + 2) << 16;
    }

    private static long u64(byte[] b, int at) {
        return u32(b, at) | u32(b, at + 4) << 32;
    }
}
