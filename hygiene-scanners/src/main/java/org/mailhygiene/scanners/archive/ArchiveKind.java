package org.mailhygiene.scanners.archive;

/** The archive formats told by their first bytes, which both the attachment policy and the signature scanner open. */
public enum ArchiveKind {
    /** A zip read from its start: a local file header ({@code PK 03 04}) first. */
    ZIP,
    /** A gzip member (RFC 1952: {@code 1f 8b}, deflate). */
    GZIP,
    /** A POSIX or GNU tar archive ({@code ustar} at offset 257). */
    TAR,
    /** A TNEF stream, Outlook's {@code winmail.dat} (signature {@code 78 9f 3e 22}: {@link TnefStream}). */
    TNEF;

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
        if (TarStream.starts(prefix, n)) {
            return TAR; // before TNEF, as the attachment policy opens content that starts as both
        }
        return TnefStream.starts(prefix, n) ? TNEF : null;
    }
}
