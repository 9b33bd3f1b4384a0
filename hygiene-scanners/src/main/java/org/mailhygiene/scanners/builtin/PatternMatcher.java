package org.mailhygiene.scanners.builtin;

/**
 * Finds fixed byte patterns in a stream fed in chunks of any size (Knuth-Morris-Pratt, one automaton per pattern), so
 * a match that spans two chunks is still found and nothing but the automaton state is kept.
 *
 * <p>Not thread-safe: one matcher per stream.
 */
final class PatternMatcher {
    private final byte[][] patterns;
    private final int[][] failure;
    private final int[] state;
    private final boolean[] found;
    private int foundCount;

    PatternMatcher(byte[]... patterns) {
        this.patterns = patterns;
        this.failure = new int[patterns.length][];
        this.state = new int[patterns.length];
        this.found = new boolean[patterns.length];
        for (int p = 0; p < patterns.length; p++) {
            failure[p] = failureTable(patterns[p]);
        }
    }

    private static int[] failureTable(byte[] pattern) {
        int[] f = new int[pattern.length];
        int k = 0;
        for (int i = 1; i < pattern.length; i++) {
            while (k > 0 && pattern[i] != pattern[k]) {
                k = f[k - 1];
            }
            if (pattern[i] == pattern[k]) {
                k++;
            }
            f[i] = k;
        }
        return f;
    }

    /**
     * Feeds the next bytes of the stream.
     *
     * @param buf the bytes
     * @param off where they start
     * @param len how many
     */
    void feed(byte[] buf, int off, int len) {
        for (int p = 0; p < patterns.length; p++) {
            if (found[p]) {
                continue;
            }
            byte[] pat = patterns[p];
            int[] f = failure[p];
            int k = state[p];
            byte first = pat[0];
            for (int i = off, end = off + len; i < end; i++) {
                if (k == 0) {
                    // Nothing matched yet: only the pattern's first byte can start a match, so skip to it.
                    while (i < end && buf[i] != first) {
                        i++;
                    }
                    if (i == end) {
                        break;
                    }
                }
                byte b = buf[i];
                while (k > 0 && b != pat[k]) {
                    k = f[k - 1];
                }
                if (b == pat[k]) {
                    k++;
                    if (k == pat.length) {
                        found[p] = true;
                        foundCount++;
                        break;
                    }
                }
            }
            state[p] = k;
        }
    }

    /**
     * Whether a pattern was seen so far.
     *
     * @param index the pattern's index in the constructor's arguments
     * @return {@code true} once it was seen
     */
    boolean found(int index) {
        return found[index];
    }

    /**
     * Whether every pattern was seen, so feeding more cannot change anything.
     *
     * @return {@code true} when all were found
     */
    boolean allFound() {
        return foundCount == patterns.length;
    }
}
