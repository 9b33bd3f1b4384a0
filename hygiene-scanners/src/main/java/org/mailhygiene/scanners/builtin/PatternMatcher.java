package org.mailhygiene.scanners.builtin;

/**
 * Finds fixed byte patterns in a stream fed in chunks of any size, so a match that spans two chunks is still found.
 *
 * <p>Each pattern is searched with Boyer-Moore-Horspool: the byte under the pattern's last position decides how far
 * the pattern may move, usually by most of its length, so text is mostly skipped rather than read byte by byte (the
 * earlier Knuth-Morris-Pratt automaton read every byte and was the relay's hottest loop on 100 KB messages). The last
 * {@code longest pattern - 1} bytes of each chunk are kept and searched again in front of the next chunk; that is all
 * the state kept between chunks. Worst case (text built to defeat the skip) is the pattern length times the input
 * length, bounded because the patterns are short (EICAR and GTUBE, 68 bytes each).
 *
 * <p>Not thread-safe: one matcher per stream.
 */
final class PatternMatcher {
    private final byte[][] patterns;
    private final int[][] shift;
    private final boolean[] found;
    private final byte[] tail;
    private int tailLength;
    private byte[] scratch = new byte[0];
    private int foundCount;

    PatternMatcher(byte[]... patterns) {
        this.patterns = patterns;
        this.shift = new int[patterns.length][];
        this.found = new boolean[patterns.length];
        int longest = 1;
        for (int p = 0; p < patterns.length; p++) {
            if (patterns[p].length == 0) {
                throw new IllegalArgumentException("empty pattern");
            }
            shift[p] = shiftTable(patterns[p]);
            longest = Math.max(longest, patterns[p].length);
        }
        this.tail = new byte[longest - 1];
    }

    /** Horspool's table: how far the pattern may move when the byte under its last position is {@code b}. */
    private static int[] shiftTable(byte[] pattern) {
        int m = pattern.length;
        int[] t = new int[256];
        java.util.Arrays.fill(t, m);
        for (int j = 0; j < m - 1; j++) {
            t[pattern[j] & 0xff] = m - 1 - j;
        }
        return t;
    }

    void feed(byte[] buf, int off, int len) {
        if (allFound() || len <= 0) {
            return;
        }
        byte[] text;
        int from;
        int n;
        if (tailLength == 0) {
            text = buf;
            from = off;
            n = len;
        } else {
            n = tailLength + len;
            if (scratch.length < n) {
                scratch = new byte[Math.max(n, 2 * scratch.length)];
            }
            System.arraycopy(tail, 0, scratch, 0, tailLength);
            System.arraycopy(buf, off, scratch, tailLength, len);
            text = scratch;
            from = 0;
        }
        for (int p = 0; p < patterns.length; p++) {
            if (!found[p] && contains(text, from, n, patterns[p], shift[p])) {
                found[p] = true;
                foundCount++;
            }
        }
        int keep = Math.min(tail.length, n);
        System.arraycopy(text, from + n - keep, tail, 0, keep);
        tailLength = keep;
    }

    private static boolean contains(byte[] text, int from, int n, byte[] pat, int[] shift) {
        int m = pat.length;
        int last = m - 1;
        byte lastByte = pat[last];
        int end = from + n;
        int i = from;
        while (i + m <= end) {
            byte c = text[i + last];
            if (c == lastByte) {
                int j = last - 1;
                while (j >= 0 && text[i + j] == pat[j]) {
                    j--;
                }
                if (j < 0) {
                    return true;
                }
            }
            i += shift[c & 0xff];
        }
        return false;
    }

    boolean found(int index) {
        return found[index];
    }

    boolean allFound() {
        return foundCount == patterns.length;
    }
}
