package org.mailhygiene.scanners.archive;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.zip.ZipException;
import org.tukaani.xz.LZMA2InputStream;
import org.tukaani.xz.LZMAInputStream;
import org.tukaani.xz.MemoryLimitException;
import org.tukaani.xz.SingleXZInputStream;
import org.tukaani.xz.UnsupportedOptionsException;
import org.tukaani.xz.XZInputStream;

/**
 * Single compressed files other than gzip: bzip2 ({@link Bzip2Stream}, our own decoder), xz and the older
 * {@code .lzma} ("LZMA alone") through XZ for Java ({@code org.tukaani:xz}), and the same coders in zip entries
 * (methods 12, 14 and 95). Stateless and thread-safe; the streams it gives are not.
 *
 * <p>An LZMA decoder holds its whole dictionary, whose size the file's header chooses (up to 4 GiB): a decoder that
 * would need more than the memory limit given is refused with {@link MemoryLimit} before it allocates, and callers
 * must not take that for clean. The largest dictionary xz and 7-Zip's presets use is 64 MiB ({@code xz -9}, 7-Zip's
 * ultra), which {@link #MAX_MEMORY} admits.
 */
public final class Compressed {
    /** The most memory one LZMA decoder may use, bytes: a 64 MiB dictionary and the decoder's own state. */
    public static final long MAX_MEMORY = (64L << 20) + (1L << 20);

    /** A zip entry compressed with bzip2 (APPNOTE 4.4.5). */
    public static final int ZIP_BZIP2 = 12;
    /** A zip entry compressed with LZMA, behind zip's own LZMA header (APPNOTE 5.8.8). */
    public static final int ZIP_LZMA = 14;
    /** A zip entry that is an xz stream. */
    public static final int ZIP_XZ = 95;

    private Compressed() {}

    /**
     * The memory LZMA decoders of one scan may use together, bytes: each decoder opened takes what its dictionary needs
     * (as XZ for Java counts it; an xz stream, whose blocks may each choose another dictionary, all it may: up to {@link
     * #MAX_MEMORY}) of what is left and gives it back when it is closed, so that archives nested in archives cannot
     * hold many large dictionaries at once while small ones nest as deep as the archives' depth allows. Not
     * thread-safe: one per scan.
     */
    public static final class Allowance {
        private long left;

        /**
         * An allowance of {@code bytes}.
         *
         * @param bytes the memory the decoders may use together; two decoders of {@link #MAX_MEMORY} is a sensible
         *     default
         * @throws IllegalArgumentException if negative
         */
        public Allowance(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("allowance " + bytes + " is negative");
            }
            this.left = bytes;
        }

        /** The memory left, bytes. */
        public long left() {
            return left;
        }

        /** What one decoder may take: {@link #MAX_MEMORY}, or what is left when less. */
        long most() {
            return Math.min(left, MAX_MEMORY);
        }
    }

    /** What one decoder holds of an allowance, taken once its need is known and given back when it is closed. */
    private static final class Hold {
        private final Allowance memory;
        /** Bytes taken. */
        long taken;

        Hold(Allowance memory) {
            this.memory = memory;
        }

        /** Takes what a decoder needs, refused (taking nothing) beyond what one decoder may take. */
        void take(long needed) throws MemoryLimit {
            long most = memory.most();
            if (needed > most) {
                throw new MemoryLimit(needed, most);
            }
            memory.left -= needed;
            taken += needed;
        }

        /** Takes all a decoder may: for an xz stream, whose blocks' dictionaries are known as each starts. */
        long takeMost() {
            long most = memory.most();
            memory.left -= most;
            taken += most;
            return most;
        }

        void giveBack() {
            memory.left += taken;
            taken = 0;
        }
    }

    /**
     * Content that is not broken but that cannot be read here: a dictionary beyond the memory allowed ({@link
     * MemoryLimit}), or options XZ for Java does not support (a filter it does not know, an LZMA2 dictionary of 2 GiB or
     * more). Callers must not take it for clean.
     */
    public static class Unreadable extends IOException {
        private static final long serialVersionUID = 1L;

        Unreadable(String message) {
            super(message);
        }
    }

    /**
     * A decoder would need more memory than it may use (an xz or LZMA header asking for a dictionary beyond the
     * limit): the content cannot be read, which is never clean.
     */
    public static final class MemoryLimit extends Unreadable {
        private static final long serialVersionUID = 1L;

        MemoryLimit(long needed, long limit) {
            super("its LZMA dictionary needs " + ((needed + (1 << 20) - 1) >> 20) + " MiB of memory, more than the "
                    + (limit >> 20)
                    + " MiB allowed"
                    + (limit < MAX_MEMORY
                            ? " (what is left while other LZMA decoders of the same archives are open; "
                                    + (MAX_MEMORY >> 20) + " MiB for one alone)"
                            : ""));
        }
    }

    /**
     * XZ for Java's exceptions for content it will not read ({@link MemoryLimitException}, {@link
     * UnsupportedOptionsException}) as {@link Unreadable}; others as they are.
     */
    private static IOException unreadable(IOException e, long limit) {
        if (e instanceof MemoryLimitException m) {
            return new MemoryLimit(m.getMemoryNeeded() * 1024L, limit);
        }
        if (e instanceof UnsupportedOptionsException) {
            return new Unreadable("XZ for Java does not read its options: " + e.getMessage());
        }
        return e;
    }

    /**
     * Whether content of this kind is a single compressed file opened here.
     *
     * @param kind the kind, or {@code null}
     * @return whether {@link #open} opens it
     */
    public static boolean opens(ArchiveKind kind) {
        return kind == ArchiveKind.BZIP2 || kind == ArchiveKind.XZ || kind == ArchiveKind.LZMA;
    }

    /**
     * The content of a compressed file, decoded as it is read: bzip2 (streams written one after the other read as one),
     * xz (likewise, each stream's checks verified) or LZMA alone. Close it to give its memory back to the allowance.
     *
     * @param kind {@link ArchiveKind#BZIP2}, {@link ArchiveKind#XZ} or {@link ArchiveKind#LZMA}
     * @param in the file's bytes, from its start; not closed by the stream returned
     * @param memory what the LZMA decoders of the scan may still use; an xz decoder takes up to {@link #MAX_MEMORY}
     *     of it until closed, an LZMA one ({@code .lzma}) what its dictionary needs
     * @return the decoded content; its reads throw {@link MemoryLimit} for a dictionary beyond the limit (xz can change
     *     it at each block), a {@link ZipException} or XZ for Java's {@code CorruptedInputException} (an {@link
     *     IOException}) for corrupt data
     * @throws MemoryLimit if the header asks for a dictionary beyond the limit
     * @throws IOException if the header cannot be read or is not one
     * @throws IllegalArgumentException if {@code kind} is not one of those
     */
    public static InputStream open(ArchiveKind kind, InputStream in, Allowance memory) throws IOException {
        InputStream kept = new Kept(in);
        if (kind == ArchiveKind.BZIP2) {
            return new Bzip2Stream(kept, true);
        }
        if (kind != ArchiveKind.XZ && kind != ArchiveKind.LZMA) {
            throw new IllegalArgumentException(kind + " is not a compressed file opened here");
        }
        return decoder(memory, hold -> {
            if (kind == ArchiveKind.XZ) {
                return new XZInputStream(kept, (int) (hold.takeMost() >> 10));
            }
            // properties (1 byte), dictionary size (4), uncompressed size (8, all ones when unknown): the dictionary
            // is checked here, as XZ for Java refuses one of 2 GiB or more as unsupported rather than too large
            byte[] h = kept.readNBytes(13);
            if (h.length < 13) {
                throw new ZipException("LZMA file cut short in its header");
            }
            long dict = ArchiveBytes.le32(h, 1) & 0xffffffffL;
            long size = (ArchiveBytes.le32(h, 5) & 0xffffffffL) | (long) ArchiveBytes.le32(h, 9) << 32;
            checkDictionary(dict, h[0], hold);
            return new LZMAInputStream(kept, size, h[0], (int) dict);
        });
    }

    /**
     * The data of a zip entry compressed with bzip2, LZMA or xz, decoded as it is read. Close it to give its memory
     * back to the allowance.
     *
     * @param method {@link #ZIP_BZIP2}, {@link #ZIP_LZMA} or {@link #ZIP_XZ}
     * @param in the entry's compressed data from its start; it is read no further than the data's end for LZMA and xz,
     *     nor for bzip2 but for the bytes its decoder buffers ({@link Bzip2Stream#unusedInput})
     * @param size the entry's uncompressed size, or -1 when unknown (then LZMA data must end with its end marker)
     * @param memory what the LZMA decoders of the scan may still use
     * @return the decoded data
     * @throws MemoryLimit if the entry's LZMA dictionary is beyond the limit
     * @throws IOException if its header cannot be read or is not one
     * @throws IllegalArgumentException for another method
     */
    public static InputStream zipEntry(int method, InputStream in, long size, Allowance memory) throws IOException {
        return zipEntry(method, in, size, false, memory);
    }

    /**
     * {@link #zipEntry(int, InputStream, long, Allowance)} for an entry whose flags may say its LZMA data ends with an
     * end marker (bit 1, which Python's {@code zipfile} and 7-Zip set): XZ for Java then reads to the marker rather than
     * stopping at the size.
     *
     * @param endMarker whether the entry's LZMA data ends with an end marker
     * @throws IOException as the other
     */
    public static InputStream zipEntry(int method, InputStream in, long size, boolean endMarker, Allowance memory)
            throws IOException {
        if (method == ZIP_BZIP2) {
            return new Bzip2Stream(in, false);
        }
        if (method != ZIP_LZMA && method != ZIP_XZ) {
            throw new IllegalArgumentException("zip method " + method + " is not opened here");
        }
        return decoder(memory, hold -> {
            if (method == ZIP_XZ) {
                return new SingleXZInputStream(new Kept(in), (int) (hold.takeMost() >> 10));
            }
            // version (2 bytes), the properties' size (2), the properties: lc/lp/pb and the dictionary size
            byte[] h = in.readNBytes(9);
            if (h.length < 9 || ArchiveBytes.le16(h, 2) != 5) {
                throw new ZipException("LZMA entry without zip's LZMA header of 5 properties");
            }
            long dict = ArchiveBytes.le32(h, 5) & 0xffffffffL;
            checkDictionary(dict, h[4], hold);
            return new LZMAInputStream(new Kept(in), endMarker ? -1 : size, h[4], (int) dict);
        });
    }

    /**
     * Raw LZMA data, as a 7z coder holds it (no header: the properties byte and the dictionary size come from the
     * coder's properties), decoded as it is read. Close it to give its memory back to the allowance.
     *
     * @param in the compressed data; not closed by the stream returned
     * @param size the decoded size, or -1 when the data ends with an end marker
     * @param properties the lc/lp/pb properties byte
     * @param dict the dictionary size, bytes (unsigned 32-bit)
     * @param memory what the LZMA decoders of the scan may still use
     * @return the decoded data
     * @throws MemoryLimit if the dictionary is beyond the limit
     * @throws IOException if the properties are not LZMA's
     */
    static InputStream lzma(InputStream in, long size, byte properties, long dict, Allowance memory)
            throws IOException {
        return decoder(memory, hold -> {
            checkDictionary(dict, properties, hold);
            return new LZMAInputStream(new Kept(in), size, properties, (int) dict);
        });
    }

    /**
     * Raw LZMA2 data, as a 7z coder holds it, decoded as it is read. Close it to give its memory back to the allowance.
     *
     * @param in the compressed data; not closed by the stream returned
     * @param dict the dictionary size the coder's properties give, bytes
     * @param memory what the LZMA decoders of the scan may still use
     * @return the decoded data
     * @throws MemoryLimit if the dictionary is beyond the limit
     * @throws IOException if the data cannot be started
     */
    static InputStream lzma2(InputStream in, long dict, Allowance memory) throws IOException {
        return decoder(memory, hold -> {
            hold.take(dict > Integer.MAX_VALUE ? dict : LZMA2InputStream.getMemoryUsage((int) dict) * 1024L);
            return new LZMA2InputStream(new Kept(in), (int) dict);
        });
    }

    /** Makes an LZMA decoder, taking the memory it needs from its hold first. */
    private interface Decoder {
        InputStream make(Hold hold) throws IOException;
    }

    /**
     * An LZMA decoder holding what it took of the allowance until closed; what it took is given back when the decoder
     * cannot be made, XZ for Java's exceptions read as {@link Unreadable} where they say so.
     */
    private static InputStream decoder(Allowance memory, Decoder decoder) throws IOException {
        Hold hold = new Hold(memory);
        try {
            return new Limited(decoder.make(hold), hold);
        } catch (IOException e) {
            long limit = hold.taken;
            hold.giveBack();
            throw unreadable(e, limit);
        } catch (RuntimeException e) {
            hold.giveBack();
            throw e;
        }
    }

    /** Takes what an LZMA dictionary's decoder needs, refused when that is more than one decoder may take. */
    private static void checkDictionary(long dict, byte properties, Hold hold) throws IOException {
        hold.take(dict > Integer.MAX_VALUE ? dict : LZMAInputStream.getMemoryUsage((int) dict, properties) * 1024L);
    }

    /** Whether zip entries of this method are read here. */
    public static boolean opensZipMethod(int method) {
        return method == ZIP_BZIP2 || method == ZIP_LZMA || method == ZIP_XZ;
    }

    /**
     * The name a compressed file's content is extracted under by the tools that unpack it (bunzip2, unxz): the name
     * without {@code .bz2}, {@code .bz}, {@code .xz} or {@code .lzma}; {@code .tbz2}, {@code .tbz}, {@code .txz} and
     * {@code .tlz} give {@code .tar}.
     *
     * @param name the compressed file's name
     * @return the content's name, or empty when the name has none of those endings
     */
    public static Optional<String> unpackedName(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        for (String suffix : List.of(".bz2", ".bz", ".xz", ".lzma")) {
            if (lower.endsWith(suffix) && lower.length() > suffix.length()) {
                return Optional.of(name.substring(0, name.length() - suffix.length()));
            }
        }
        for (String suffix : List.of(".tbz2", ".tbz", ".txz", ".tlz")) {
            if (lower.endsWith(suffix) && lower.length() > suffix.length()) {
                return Optional.of(name.substring(0, name.length() - suffix.length()) + ".tar");
            }
        }
        return Optional.empty();
    }

    /** The caller's stream, which closing a decoder does not close. */
    private static final class Kept extends FilterInputStream {
        Kept(InputStream in) {
            super(in);
        }

        @Override
        public void close() {
            // the caller's
        }
    }

    /**
     * An LZMA decoder holding memory of the allowance until closed; its limit exception (a later xz block's dictionary)
     * reads as {@link MemoryLimit}, options it does not support as {@link Unreadable}.
     */
    private static final class Limited extends FilterInputStream {
        private final long limit;
        private Hold hold;

        Limited(InputStream in, Hold hold) {
            super(in);
            this.limit = hold.taken;
            this.hold = hold;
        }

        @Override
        public int read() throws IOException {
            try {
                return in.read();
            } catch (IOException e) {
                throw unreadable(e, limit);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (IOException e) {
                throw unreadable(e, limit);
            }
        }

        /** Gives the memory back (once); the decoder's input, the caller's, stays open. */
        @Override
        public void close() throws IOException {
            if (hold != null) {
                hold.giveBack();
                hold = null;
                in.close();
            }
        }
    }
}
