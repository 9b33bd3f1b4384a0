package org.mailhygiene.scanners.archive;

/**
 * The last bytes that passed through a stream, up to a limit: a buffer that grows with what is kept, up to the limit,
 * and then keeps the last bytes in a ring. For reading again what a reader consumed (a zip's directory at its end, a
 * local header the JDK's reader refused). Not thread-safe.
 */
public final class LastBytes {
    private final int limit;
    private byte[] ring = new byte[0];

    /** Keeps at most {@code limit} bytes; 0 keeps none. */
    public LastBytes(int limit) {
        this.limit = limit;
    }

    /** Whether any bytes are kept (the limit is above 0). */
    public boolean keeps() {
        return limit > 0;
    }

    /**
     * Keeps {@code b[off, off + n)}, which follow {@code before} bytes of the stream.
     *
     * @param before the bytes of the stream before these (kept or not)
     */
    public void keep(byte[] b, int off, int n, long before) {
        if (limit == 0) {
            return;
        }
        if (ring.length < limit && before + n > ring.length) {
            // nothing has wrapped yet (the buffer is below the limit): grow, keeping the bytes in place
            ring = java.util.Arrays.copyOf(ring, (int) Math.min(limit, Math.max(2L * ring.length, before + n)));
        }
        for (int i = Math.max(0, n - ring.length); i < n; ) {
            int at = (int) ((before + i) % ring.length);
            int len = Math.min(n - i, ring.length - at);
            System.arraycopy(b, off + i, ring, at, len);
            i += len;
        }
    }

    /** How many of the last bytes are kept once {@code end} bytes passed. */
    public int kept(long end) {
        return (int) Math.min(end, ring.length);
    }

    /**
     * The stream's bytes at {@code [from, to)}, {@code end} bytes having passed.
     *
     * @return the bytes, or {@code null} when they are not all kept
     */
    public byte[] range(long from, long to, long end) {
        if (from < end - kept(end) || to > end || from > to) {
            return null;
        }
        byte[] out = new byte[(int) (to - from)];
        for (int i = 0; i < out.length; ) {
            int at = (int) ((from + i) % ring.length);
            int len = Math.min(out.length - i, ring.length - at);
            System.arraycopy(ring, at, out, i, len);
            i += len;
        }
        return out;
    }
}
