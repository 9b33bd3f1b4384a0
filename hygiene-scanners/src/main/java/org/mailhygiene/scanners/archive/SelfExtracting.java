package org.mailhygiene.scanners.archive;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.zip.ZipException;
import org.mailhygiene.scanners.mime.ZipDirectory;

/**
 * An archive behind a program: a self-extractor (WinRAR's SFX, a PE followed by a RAR archive; 7-Zip's, a PE followed by
 * a 7z archive; a zip appended to a PE, as Info-ZIP's {@code unzipsfx} and WinZip make them; the same behind an ELF
 * program), which 7-Zip, WinRAR, unzip and ClamAV open as the archive it is.
 *
 * <p>How it is found, in bounded time: the program's own end is read from its headers (a PE's section table, the end of
 * its last section's data; an ELF's program headers and section header table), from its first {@value #HEAD} bytes;
 * the program is kept whole ({@link Spool}), and the first {@value #SEARCH} bytes after its end (the overlay, where
 * self-extractors put their archive, after a configuration text for 7-Zip's installer stub) are searched once for a
 * RAR, 7z or zip signature. Each
 * signature found (every 7z one, at most {@value #MAX_CANDIDATES} RAR or zip ones) is a candidate, taken only when it reads as an archive: a RAR's
 * headers with their CRCs, a 7z signature header with its CRC and a header within the file, a zip's local header at
 * an offset its directory at the end names. Then, when none was taken, a zip anywhere in the file: the first local
 * header its directory at the file's end names (read from the last {@value #SEARCH} bytes and the longest comment), as
 * unzip and 7-Zip find it whatever the program's headers say (a section whose data is said to cover the zip, or to end
 * past the file, hid a zipped EICAR until session 55). A program's data holding a signature by chance is therefore no archive
 * and no error (the program is then searched as the file it is); a candidate taken and then found broken is a broken
 * archive. A program whose headers cannot be read has no end to search after; only a zip its directory names is
 * found in it. Not thread-safe; {@link #close()} deletes the
 * kept bytes.
 */
public final class SelfExtracting implements Closeable {
    /** The first bytes of a program read for its headers: 64 KiB. */
    public static final int HEAD = 64 << 10;
    /** The first bytes after a program's end searched for an archive's signature: 1 MiB. */
    public static final int SEARCH = 1 << 20;
    /**
     * The most RAR or zip signatures after a program's end tried as archives (each may read up to a RAR's headers or a
     * zip's directory); every 7z signature is tried, at the cost of its start header's CRC.
     */
    public static final int MAX_CANDIDATES = 16;

    /** The most sections a PE may have (the Windows loader's limit). */
    private static final int MAX_PE_SECTIONS = 96;

    private static final int PK34 = 0x04034b50;

    private final Spool file;
    private final ArchiveKind kind;
    private final long at;

    private SelfExtracting(Spool file, ArchiveKind kind, long at) {
        this.file = file;
        this.kind = kind;
        this.at = at;
    }

    /**
     * Whether content starting with these bytes is a program that may carry an archive: a PE ({@code MZ}) or ELF
     * ({@code 7f 45 4c 46}) file.
     *
     * @param prefix the content's first bytes
     * @param n how many there are
     * @return whether it starts as one
     */
    public static boolean starts(byte[] prefix, int n) {
        return n >= 2 && prefix[0] == 'M' && prefix[1] == 'Z'
                || n >= 4 && prefix[0] == 0x7f && prefix[1] == 'E' && prefix[2] == 'L' && prefix[3] == 'F';
    }

    /**
     * Reads a program to its end, kept (in heap up to {@value Spool#HEAP} bytes, beyond that in a temporary file), and
     * finds the archive behind it, if any: after the program's end as its headers give it, or a zip its directory at the
     * file's end names (also when the headers do not read).
     *
     * @param program the program's bytes from its start
     * @param buffer a buffer to read through
     * @param maxFiles the most files a RAR candidate may list ({@link Rar#open}); one listing more is taken, to be
     *     refused by its reader
     * @return the archive, to close; {@code null} when none reads as one
     * @throws IOException if reading fails or the kept bytes cannot be written
     */
    public static SelfExtracting find(InputStream program, byte[] buffer, int maxFiles) throws IOException {
        byte[] head = program.readNBytes(HEAD);
        // headers that do not read (a PE header beyond the first bytes, an ELF offset past 2^63) leave no overlay to
        // search, but a zip its directory names is found all the same, as unzip finds it (a zipped EICAR so hidden
        // was clean until session 55)
        long end = programEnd(head, head.length);
        if (end < 0) {
            end = Long.MAX_VALUE;
        }
        Spool file = new Spool();
        try {
            file.write(head, 0, head.length);
            int n;
            while ((n = program.read(buffer, 0, buffer.length)) >= 0) {
                file.write(buffer, 0, n);
            }
            SelfExtracting found = search(file, end, maxFiles);
            if (found == null) {
                file.close();
            }
            return found;
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /**
     * The first candidate in the first bytes after the program's end that reads as an archive, else a zip its directory
     * at the file's end names; null when neither is.
     */
    private static SelfExtracting search(Spool file, long programEnd, int maxFiles) throws IOException {
        // a program longer than the file (its headers lie) has nothing after its end to search
        long from = Math.min(programEnd, file.size());
        byte[] window = new byte[(int) Math.min(SEARCH + 7, file.size() - from)];
        int n = file.read(from, window, 0, window.length);
        int tried = 0;
        for (int i = 0; i + 6 <= Math.min(n, SEARCH + 6); i++) {
            ArchiveKind kind = signature(window, i, n);
            // a 7z candidate costs its 32-byte start header's CRC, and is not counted: 16 bare 7z signatures before
            // the real archive hid it until session 55, though 7-Zip opens it
            boolean counted = kind == ArchiveKind.RAR || kind == ArchiveKind.ZIP;
            if (kind == null || counted && tried >= MAX_CANDIDATES) {
                continue;
            }
            tried += counted ? 1 : 0;
            if (reads(kind, new Slice(file, from + i), maxFiles)) {
                return new SelfExtracting(file, kind, from + i);
            }
        }
        // a zip further on, or where the program's headers say the program is: the directory at the end says where
        // its first entry is, as unzip and 7-Zip find it
        long zip = firstLocalHeader(new Slice(file, 0));
        if (zip > 0 && reads(ArchiveKind.ZIP, new Slice(file, zip), maxFiles)) {
            return new SelfExtracting(file, ArchiveKind.ZIP, zip);
        }
        return null;
    }

    private static ArchiveKind signature(byte[] w, int i, int n) {
        byte b = w[i];
        if (b == 'R' && Rar.starts(tail(w, i, n, 8), Math.min(8, n - i))) {
            return ArchiveKind.RAR;
        }
        if (b == '7' && SevenZip.starts(tail(w, i, n, 6), Math.min(6, n - i))) {
            return ArchiveKind.SEVEN_ZIP;
        }
        return b == 'P' && n - i >= 4 && ArchiveBytes.le32(w, i) == PK34 ? ArchiveKind.ZIP : null;
    }

    private static byte[] tail(byte[] w, int i, int n, int len) {
        byte[] out = new byte[len];
        System.arraycopy(w, i, out, 0, Math.min(len, n - i));
        return out;
    }

    /** Whether the bytes from a signature read as the archive it announces. */
    private static boolean reads(ArchiveKind kind, Slice archive, int maxFiles) throws IOException {
        try {
            switch (kind) {
                case RAR -> Rar.open(archive, maxFiles);
                case SEVEN_ZIP -> {
                    byte[] start = new byte[32];
                    if (archive.read(0, start, 0, 32) < 32) {
                        return false;
                    }
                    SevenZip.checkStart(start, archive.size());
                }
                default -> {
                    return zipNamesItsStart(archive);
                }
            }
            return true;
        } catch (Compressed.Unreadable e) {
            return true; // headers encrypted, too many files, a version not read: an archive all the same
        } catch (ZipException | RuntimeException e) {
            return false;
        }
    }

    /** Whether a zip's directory at the end of these bytes names a local header at their start. */
    private static boolean zipNamesItsStart(Slice zip) throws IOException {
        return directory(zip).map(d -> d.offsets().contains(0L)).orElse(false);
    }

    /**
     * The first local header the directory at the end of these bytes names, taken as at their start, where one is;
     * -1 when there is none.
     */
    private static long firstLocalHeader(Slice bytes) throws IOException {
        long first = directory(bytes)
                .flatMap(d -> d.offsets().stream().filter(o -> o >= 0).min(Long::compare))
                .orElse(-1L);
        byte[] magic = new byte[4];
        return first >= 0 && bytes.read(first, magic, 0, 4) == 4 && ArchiveBytes.le32(magic, 0) == PK34 ? first : -1;
    }

    /** A zip directory at the end of these bytes (in their last {@value #SEARCH} bytes and the longest comment). */
    private static Optional<ZipDirectory> directory(Slice zip) throws IOException {
        int length = (int) Math.min(zip.size(), SEARCH + 65_535 + 22L);
        byte[] last = new byte[length];
        long base = zip.size() - length;
        zip.read(base, last, 0, length);
        return ZipDirectory.read(last, base);
    }

    /**
     * Where a PE's or ELF's own bytes end, read from its headers in {@code head}; -1 when it is neither or its
     * headers are not all there.
     */
    static long programEnd(byte[] head, int n) {
        if (n >= 0x40 && head[0] == 'M' && head[1] == 'Z') {
            return peEnd(head, n);
        }
        if (n >= 0x34 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F') {
            return elfEnd(head, n);
        }
        return -1;
    }

    private static long peEnd(byte[] h, int n) {
        long pe = ArchiveBytes.le32(h, 0x3c) & 0xffffffffL;
        if (pe + 24 > n
                || h[(int) pe] != 'P'
                || h[(int) pe + 1] != 'E'
                || h[(int) pe + 2] != 0
                || h[(int) pe + 3] != 0) {
            return -1;
        }
        int sections = ArchiveBytes.le16(h, (int) pe + 6);
        long table = pe + 24 + ArchiveBytes.le16(h, (int) pe + 20);
        if (sections == 0 || sections > MAX_PE_SECTIONS || table + 40L * sections > n) {
            return -1;
        }
        long end = table + 40L * sections;
        for (int s = 0; s < sections; s++) {
            int at = (int) table + 40 * s;
            long size = ArchiveBytes.le32(h, at + 16) & 0xffffffffL;
            long pointer = ArchiveBytes.le32(h, at + 20) & 0xffffffffL;
            if (size > 0) {
                end = Math.max(end, pointer + size);
            }
        }
        return end;
    }

    private static long elfEnd(byte[] h, int n) {
        boolean wide = h[4] == 2;
        boolean big = h[5] == 2;
        if (h[4] != 1 && !wide || h[5] != 1 && !big) {
            return -1;
        }
        Fields f = new Fields(h, big);
        long phoff = wide ? f.u64(0x20) : f.u32(0x1c);
        long shoff = wide ? f.u64(0x28) : f.u32(0x20);
        int at = wide ? 0x36 : 0x2a;
        if (at + 8 > n) {
            return -1;
        }
        int phentsize = f.u16(at);
        int phnum = f.u16(at + 2);
        int shentsize = f.u16(at + 4);
        int shnum = f.u16(at + 6);
        long end = shoff < 0 || phoff < 0 ? -1 : Math.max(shoff + (long) shnum * shentsize, at + 8);
        if (end < 0 || phoff + (long) phnum * phentsize > n || phnum > 0 && phentsize < (wide ? 0x28 : 0x14)) {
            return -1;
        }
        end = Math.max(end, phoff + (long) phnum * phentsize);
        for (int i = 0; i < phnum; i++) {
            int p = (int) phoff + i * phentsize;
            long offset = wide ? f.u64(p + 8) : f.u32(p + 4);
            long size = wide ? f.u64(p + 32) : f.u32(p + 16);
            if (offset < 0 || size < 0 || offset + size < 0) {
                return -1;
            }
            end = Math.max(end, offset + size);
        }
        return end;
    }

    /** An ELF header's integers, in its byte order. */
    private record Fields(byte[] h, boolean big) {
        int u16(int at) {
            return big ? (h[at] & 0xff) << 8 | h[at + 1] & 0xff : ArchiveBytes.le16(h, at);
        }

        long u32(int at) {
            long v = big
                    ? (long) (h[at] & 0xff) << 24
                            | (h[at + 1] & 0xff) << 16
                            | (h[at + 2] & 0xff) << 8
                            | h[at + 3] & 0xff
                    : ArchiveBytes.le32(h, at) & 0xffffffffL;
            return v & 0xffffffffL;
        }

        long u64(int at) {
            return big ? u32(at) << 32 | u32(at + 4) : u32(at + 4) << 32 | u32(at);
        }
    }

    /**
     * The archive's format.
     *
     * @return {@link ArchiveKind#RAR}, {@link ArchiveKind#SEVEN_ZIP} or {@link ArchiveKind#ZIP}
     */
    public ArchiveKind kind() {
        return kind;
    }

    /**
     * Where the archive starts in the file.
     *
     * @return its offset: after the program's end, or for a zip its directory names, where that says (which may be
     *     inside what the program's headers claim)
     */
    public long offset() {
        return at;
    }

    /**
     * The archive's bytes, from its signature to the file's end, read from the bytes kept.
     *
     * @return a new stream over them, valid until {@link #close()}
     */
    public InputStream archive() {
        return new Range(file, at, file.size() - at, "self-extracting archive");
    }

    /**
     * The archive's bytes, from its signature to the file's end, as a file of their own over the bytes kept: for a RAR
     * or 7z reader ({@link Rar#open}, {@link SevenZip#open}), which would otherwise keep the bytes a second time.
     *
     * @return a view valid until {@link #close()}
     */
    public Positioned file() {
        return new Slice(file, at);
    }

    /** Deletes the bytes kept. */
    @Override
    public void close() throws IOException {
        file.close();
    }

    /** A spool's bytes from an offset on. */
    private record Slice(Spool spool, long from) implements Positioned {
        @Override
        public long size() {
            return spool.size() - from;
        }

        @Override
        public int read(long at, byte[] b, int off, int len) throws IOException {
            return spool.read(from + at, b, off, len);
        }
    }
}
