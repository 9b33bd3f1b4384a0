package org.mailhygiene.scanners.mime;

import jakarta.mail.internet.SharedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * A multipart body as Jakarta Mail reads it, ended after a number of boundary lines: Jakarta Mail splits every part of
 * a multipart before the walker sees the first, at about 0.1 ms per part, so a message of a few megabytes of empty
 * parts cost seconds of CPU per walk although the walker stops at its part limit. This stream ends (end of input) at
 * the end of the boundary line that would open the part after {@code maxParts}, so that Jakarta Mail splits at most
 * {@code maxParts + 1} parts; whether it did is {@link #cut()}.
 *
 * <p>A boundary line is {@code "--"} and the boundary, then optionally {@code "--"}, then blanks only (see
 * {@link #count}); a line ends at LF, CRLF or a bare CR, as Jakarta Mail's line reader ends it (a multipart of
 * CR-only lines was otherwise split whole, tens of thousands of parts in seconds of CPU).
 * Positions and {@link #newStream} are the
 * wrapped stream's, as {@link SharedInputStream} requires, so part bodies are still read without copying; mark and
 * reset (which Jakarta Mail uses while splitting) are the wrapped stream's, with this stream's count kept in step.
 * Linear in the bytes read. Not thread-safe (one walk reads it on one thread).
 */
final class PartBudgetStream extends InputStream implements SharedInputStream {
    private final InputStream in;
    private final SharedInputStream shared;
    private final byte[] delimiter;
    private final int maxDelimiters;
    /** Where the count stands; {@link #mark} keeps a copy that {@link #reset} restores. */
    private final State state = new State();

    private final State marked = new State();
    /** What {@link #skip} reads into: skipped bytes are counted like read ones. */
    private byte[] skipBuffer;

    /** The count's state: everything that {@link #mark} and {@link #reset} must keep in step with the stream. */
    private static final class State {
        int delimiters;
        /**
         * Delimiter bytes matched at the start of the current line (the delimiter's length once it is all there), or
         * -1 when this line is no boundary line.
         */
        int matched;
        /** Dashes after the delimiter on this line (two for the close delimiter). */
        int tailDashes;
        /** Whether blanks followed the delimiter on this line. */
        boolean tailBlank;
        /** Whether the close delimiter was read. */
        boolean closed;
        /** Whether the last byte was a CR that ended a line (a LF right after it belongs to the same line end). */
        boolean afterCr;

        boolean cut;
        /** The wrapped stream's position where this one ended, once {@link #cut}. */
        long cutAt;

        /** Makes this state equal to {@code o}, in place (mark and reset run once per few bytes Jakarta reads). */
        void set(State o) {
            delimiters = o.delimiters;
            matched = o.matched;
            tailDashes = o.tailDashes;
            tailBlank = o.tailBlank;
            closed = o.closed;
            afterCr = o.afterCr;
            cut = o.cut;
            cutAt = o.cutAt;
        }
    }

    /**
     * @param in the container's body: an input stream that is also a {@link SharedInputStream}
     * @param boundary the multipart's boundary parameter
     * @param maxParts parts after which the stream ends
     */
    PartBudgetStream(InputStream in, String boundary, int maxParts) {
        this.in = in;
        this.shared = (SharedInputStream) in;
        this.delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        // the first delimiter opens part 1, delimiter maxParts + 1 opens the part after the limit: one more is read so
        // that the walker sees that part and reports its limit
        this.maxDelimiters = maxParts + 2;
    }

    /**
     * Whether the stream ended early, at a boundary line after the part budget.
     *
     * @return {@code true} when the multipart was cut short
     */
    boolean cut() {
        return state.cut;
    }

    @Override
    public int read() throws IOException {
        if (state.cut) {
            return -1;
        }
        int c = in.read();
        if (c >= 0 && count((byte) c)) {
            state.cut = true;
            state.cutAt = shared.getPosition();
        }
        return c;
    }

    /**
     * Counts one byte read; {@code true} when it ends (with its CR or LF) the boundary line that exhausts the budget.
     * A boundary line is the delimiter, then {@code "--"} or nothing, then blanks only, as Jakarta Mail splits:
     * a line that merely starts with the delimiter ({@code --bX} for boundary {@code b}) is body text, and counting it
     * would end the multipart before parts that Jakarta Mail would have found.
     */
    private boolean count(byte c) {
        if (state.closed) {
            return false;
        }
        boolean afterCr = state.afterCr;
        state.afterCr = c == '\r';
        if (c == '\n' && afterCr) {
            return false; // the LF of a CRLF: the CR ended the line
        }
        if (c == '\n' || c == '\r') {
            boolean boundaryLine = state.matched >= delimiter.length && state.tailDashes != 1;
            // after the close delimiter comes the epilogue, which Jakarta Mail does not split
            state.closed = boundaryLine && state.tailDashes == 2;
            state.matched = 0;
            state.tailDashes = 0;
            state.tailBlank = false;
            return boundaryLine && !state.closed && ++state.delimiters >= maxDelimiters;
        }
        if (state.matched < 0) {
            return false;
        }
        if (state.matched < delimiter.length) {
            state.matched = c == delimiter[state.matched] ? state.matched + 1 : -1;
        } else if (c == '-' && !state.tailBlank && state.tailDashes < 2) {
            state.tailDashes++;
        } else if ((c == ' ' || c == '\t') && state.tailDashes != 1) {
            state.tailBlank = true;
        } else {
            state.matched = -1;
        }
        return false;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (state.cut) {
            return -1;
        }
        if (len == 0) {
            return 0;
        }
        int n = in.read(b, off, len);
        State s = state;
        for (int i = 0; i < n; i++) {
            byte c = b[off + i];
            if (s.matched < 0 && !s.afterCr && c != '\n' && c != '\r') {
                continue; // inside a line that is no boundary line: nothing to count (most bytes)
            }
            if (count(c)) {
                // end after this delimiter: the rest of the input is never read
                s.cut = true;
                s.cutAt = shared.getPosition() - (n - i - 1);
                return i + 1;
            }
        }
        return n;
    }

    /**
     * Skips by reading, so that skipped bytes are counted: Jakarta Mail's boundary search skips a few bytes at a time,
     * and {@link InputStream#skip}'s own loop allocated a buffer per call.
     */
    @Override
    public long skip(long n) throws IOException {
        if (n <= 0) {
            return 0;
        }
        if (skipBuffer == null) {
            skipBuffer = new byte[512];
        }
        long left = n;
        while (left > 0) {
            int r = read(skipBuffer, 0, (int) Math.min(skipBuffer.length, left));
            if (r <= 0) {
                break;
            }
            left -= r;
        }
        return n - left;
    }

    @Override
    public int available() throws IOException {
        return state.cut ? 0 : in.available();
    }

    @Override
    public long getPosition() {
        return state.cut ? state.cutAt : shared.getPosition();
    }

    @Override
    public boolean markSupported() {
        return in.markSupported();
    }

    @Override
    public synchronized void mark(int readLimit) {
        in.mark(readLimit);
        marked.set(state);
    }

    @Override
    public synchronized void reset() throws IOException {
        in.reset();
        state.set(marked);
    }

    @Override
    public InputStream newStream(long start, long end) {
        return shared.newStream(start, end);
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
