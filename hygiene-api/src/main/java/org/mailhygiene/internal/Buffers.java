package org.mailhygiene.internal;

/**
 * Sizes of read and copy buffers. Stateless and thread-safe.
 */
public final class Buffers {
    /** The smallest buffer {@link #forSize} gives: a few system calls' worth for the tiniest input. */
    public static final int MIN = 512;

    private Buffers() {}

    /**
     * A buffer size for {@code size} bytes of input: no larger than them (at least {@value #MIN}), at most {@code max}.
     * Scanning, spooling and quarantining open a stream per message, scanner and MIME part, mostly of a few kilobytes,
     * and a fixed 16 or 64 KiB buffer for each was most of what they allocated (session 39: half of a directory scan's
     * 4.3 GB; two 64 KiB buffers per file when listing a queue of 21,000).
     *
     * @param size how many bytes will be read or copied (an estimate is fine; negative counts as none)
     * @param max the largest buffer wanted, at least {@value #MIN}
     * @return the buffer size
     * @throws IllegalArgumentException if {@code max} is below {@value #MIN}
     */
    public static int forSize(long size, int max) {
        Checks.requireAtLeast(max, MIN, "max");
        return (int) Math.max(MIN, Math.min(max, size));
    }
}
