package org.mailhygiene.scanners.archive;

/**
 * The archive and compressed-file formats told by their first bytes, which both the attachment policy and the
 * signature scanner open ({@link Compressed} opens bzip2, xz and LZMA-alone files, {@link SevenZip} 7z archives,
 * {@link Rar} RAR archives).
 */
public enum ArchiveKind {
    /** A zip read from its start: a local file header ({@code PK 03 04}) first. */
    ZIP,
    /** A gzip member (RFC 1952: {@code 1f 8b}, deflate). */
    GZIP,
    /** A POSIX or GNU tar archive ({@code ustar} at offset 257). */
    TAR,
    /** A TNEF stream, Outlook's {@code winmail.dat} (signature {@code 78 9f 3e 22}: {@link TnefStream}). */
    TNEF,
    /** A bzip2 file ({@code BZh1} to {@code BZh9}, then a block's or the end's magic number: {@link Bzip2Stream}). */
    BZIP2,
    /** An xz file ({@code fd 37 7a 58 5a 00}). */
    XZ,
    /**
     * An LZMA-alone file ({@code .lzma}, which has no magic number): the properties byte of lc=3, lp=0, pb=2 that
     * every encoder's default writes ({@code 5d}), a dictionary of 2^n or 2^n + 2^(n-1) bytes from 4 KiB, or 4 GiB less one (as
     * liblzma accepts; {@link Compressed} refuses one beyond its memory limit),
     * and a size that is unknown (all ones) or below 2^48, as {@code file} and 7-Zip tell it.
     */
    LZMA,
    /**
     * A 7z archive ({@code 37 7a bc af 27 1c}), read by offset ({@link SevenZip}: its header is at its end), so callers
     * keep its bytes ({@link Spool}) before reading it.
     */
    SEVEN_ZIP,
    /**
     * A RAR archive, format 4.x ({@code 52 61 72 21 1a 07 00}) or 5.0 ({@code 52 61 72 21 1a 07 01 00}), read by offset
     * ({@link Rar}) from its bytes kept ({@link Spool}); only its stored files' data can be read.
     */
    RAR;

    /** How many first bytes {@link #of} needs to tell every kind. */
    public static final int PREFIX = 263;

    /**
     * The archive that content starting with these bytes is, if any.
     *
     * @param prefix the content's first bytes
     * @param n how many of them there are (all of the content when fewer than {@link #PREFIX})
     * @return the kind, or {@code null} when it starts as none of them
     */
    public static ArchiveKind of(byte[] prefix, int n) {
        if (n >= 4 && prefix[0] == 'P' && prefix[1] == 'K' && prefix[2] == 3 && prefix[3] == 4) {
            return ZIP;
        }
        if (n >= 3 && (prefix[0] & 0xff) == 0x1f && (prefix[1] & 0xff) == 0x8b && prefix[2] == 8) {
            return GZIP;
        }
        if (SevenZip.starts(prefix, n)) {
            return SEVEN_ZIP; // before TAR: a signature at the start, which 7-Zip reads by, over "ustar" at 257
        }
        if (Rar.starts(prefix, n)) {
            return RAR; // likewise: a file name can put "ustar" at 257 (review, session 54)
        }
        // bzip2 and xz too: signatures at the start, and a stored block of either can hold "ustar" at 257 (an xz of
        // incompressible data keeps it as it is: read as a tar, its zip of EICAR was never opened; session 54)
        if (n >= 10
                && prefix[0] == 'B'
                && prefix[1] == 'Z'
                && prefix[2] == 'h'
                && prefix[3] >= '1'
                && prefix[3] <= '9'
                && (startsAt(prefix, 4, BZIP2_BLOCK) || startsAt(prefix, 4, BZIP2_END))) {
            return BZIP2;
        }
        if (n >= 6 && startsAt(prefix, 0, XZ_MAGIC)) {
            return XZ;
        }
        if (TarStream.starts(prefix, n)) {
            return TAR; // before TNEF, as the attachment policy opens content that starts as both
        }
        if (TnefStream.starts(prefix, n)) {
            return TNEF;
        }
        return n >= 13 && lzmaAlone(prefix) ? LZMA : null; // after TAR: its test is a guess, no signature
    }

    private static final byte[] BZIP2_BLOCK = {0x31, 0x41, 0x59, 0x26, 0x53, 0x59};
    private static final byte[] BZIP2_END = {0x17, 0x72, 0x45, 0x38, 0x50, (byte) 0x90};
    private static final byte[] XZ_MAGIC = {(byte) 0xfd, '7', 'z', 'X', 'Z', 0};

    private static boolean startsAt(byte[] b, int at, byte[] magic) {
        for (int i = 0; i < magic.length; i++) {
            if (b[at + i] != magic[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean lzmaAlone(byte[] b) {
        if ((b[0] & 0xff) != 0x5d) {
            return false;
        }
        long dict = ArchiveBytes.le32(b, 1) & 0xffffffffL;
        int high = 63 - Long.numberOfLeadingZeros(dict);
        boolean shaped = dict == 1L << high || dict == (1L << high) + (1L << (high - 1)) || dict == 0xffffffffL;
        if (dict < 4096 || !shaped) {
            return false;
        }
        long sizeHigh = ArchiveBytes.le32(b, 9) & 0xffffffffL;
        boolean unknown = ArchiveBytes.le32(b, 5) == -1 && sizeHigh == 0xffffffffL;
        return unknown || sizeHigh < 1 << 16;
    }
}
