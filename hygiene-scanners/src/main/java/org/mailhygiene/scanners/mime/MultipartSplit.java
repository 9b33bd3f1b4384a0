package org.mailhygiene.scanners.mime;

import jakarta.mail.internet.ParseException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.mailhygiene.internal.Buffers;

/**
 * Where a multipart body splits into parts, found in one sequential read of the body: the split Jakarta Mail's {@code
 * MimeMultipart} makes of a shared stream, without its boundary search. That search marks, reads a window of the
 * delimiter's length, resets and skips every few bytes, at a few tens of megabytes a second; a message of multiparts
 * nested to the walker's depth limit is searched once per level, so 12 MB of such nesting cost 20 to 25 seconds of CPU
 * per walking scanner (session 40). Reading lines instead costs the same per level as reading the bytes.
 *
 * <p>The split is Jakarta Mail's (2.1), which the scanners' handling of odd multiparts was built and tested against:
 * <ul>
 *   <li>lines end at LF, CRLF or a bare CR;
 *   <li>the preamble ends at the first line that is {@code "--"} and the boundary, trailing blanks (space, tab) aside;
 *       a close delimiter there, or no such line, is {@code Missing start boundary}. Without a boundary parameter the
 *       first line of more than two characters starting with {@code "--"} that is not all dashes is the delimiter
 *       (trailing blanks aside);
 *   <li>each part's header runs to its first empty line (a delimiter line inside it is header text); a part whose
 *       header reaches the end of the input is dropped and the multipart is incomplete;
 *   <li>a part ends before the line end that precedes a line starting with the delimiter and followed by {@code "--"}
 *       (the close delimiter: the rest is epilogue, the multipart is complete) or by blanks and a line end (the next
 *       part begins after that line end); a delimiter at the very start of a part's body ends it there; a line that
 *       merely starts with the delimiter is body text; the end of the input ends the last part (incomplete).
 * </ul>
 * Two differences, both for input Jakarta Mail refused: more than about 1,000 blanks after a delimiter on a line that
 * turns out to be no delimiter line made Jakarta Mail fail (its search lost its mark), and this split goes on; a
 * delimiter guessed without a boundary parameter longer than {@link MimeWalker#MAX_BOUNDARY} is refused here (Jakarta
 * Mail searched for it, in time growing with its square).
 *
 * <p>A budget of parts ends the split early: after {@code maxParts + 1} parts, when a further part would begin, the
 * split stops {@link #cut()} (and incomplete), so a walker that stops at its part limit sees the part after the limit
 * and reports it, and never pays for the rest.
 *
 * <p>Positions are offsets from where the stream stood when the split began. Linear in the bytes read; reads the input
 * to its end or the cut (after the close delimiter, the epilogue up to a delimiter line of this multipart, see
 * {@link #partAfterClose()}), never further. Not thread-safe; each instance splits one body once.
 */
final class MultipartSplit {
    /**
     * The delimiter line a multipart without a boundary parameter would be split at is longer than
     * {@link MimeWalker#MAX_BOUNDARY} allows a boundary parameter to be.
     */
    static final class DelimiterTooLong extends ParseException {
        private static final long serialVersionUID = 1L;

        private final long length;

        DelimiterTooLong(long length) {
            super("boundary of " + length + " characters (the first delimiter line, without a boundary parameter); not"
                    + " split");
            this.length = length;
        }

        /**
         * The boundary's length.
         *
         * @return the line's characters after its two dashes, trailing blanks aside
         */
        long length() {
            return length;
        }
    }

    /** The largest read buffer, reached by doubling from {@link Buffers#MIN} as a body turns out long. */
    private static final int MAX_BUFFER = 64 * 1024;

    private final InputStream in;
    private byte[] buf = new byte[Buffers.MIN];
    private int pos;
    private int lim;
    /** The offset of {@code buf[0]} in the input. */
    private long bufOffset;

    private boolean eof;
    /** Whether the last read filled the buffer. */
    private boolean full;

    /** The line just read by {@link #nextLine}: where it starts, its bytes before the line end, the line end's. */
    private long lineStart;

    private long lineLength;
    private int endLength;
    /**
     * Whether lines end as Jakarta Mail's line reader ends them, where {@code CR CR LF} is one line end too (the preamble
     * and the parts' headers), or as its boundary search sees them (after every CR or LF; the parts' bodies).
     */
    private boolean readLines = true;
    /** Whether the line starts with a dash (only such lines can be delimiters; the fields below are kept for them). */
    private boolean dashLine;
    /** The line's length without trailing blanks. */
    private long strippedLength;
    /** The index of the line's first byte that is no dash, or -1 when there is none. */
    private long firstNonDash;
    /** The line's first bytes (up to the head's length). */
    private final byte[] head;

    private int headLength;

    private long[] bounds = new long[8];
    private int parts;
    private boolean complete;
    private boolean cut;
    private boolean partAfterClose;

    private MultipartSplit(InputStream in, int headCapacity) {
        this.in = in;
        this.head = new byte[headCapacity];
    }

    /**
     * Splits a multipart body.
     *
     * @param in the body, read from where it stands; not closed
     * @param boundary the multipart's boundary parameter, or {@code null} to take the first delimiter-like line
     * @param maxParts the part budget (see the class comment), at least 1
     * @return the split
     * @throws ParseException when no part begins ({@code Missing start boundary}); {@link DelimiterTooLong} when a
     *     guessed delimiter is too long
     * @throws IOException when reading fails
     */
    static MultipartSplit split(InputStream in, String boundary, int maxParts) throws IOException, ParseException {
        byte[] delimiter = null;
        if (boundary != null) {
            delimiter = new byte[boundary.length() + 2];
            delimiter[0] = '-';
            delimiter[1] = '-';
            for (int i = 0; i < boundary.length(); i++) {
                char c = boundary.charAt(i);
                if (c > 0xff) {
                    // Jakarta Mail compares lines read as ISO-8859-1 with the parameter: no line can equal it
                    throw new ParseException("Missing start boundary");
                }
                delimiter[i + 2] = (byte) c;
            }
        }
        MultipartSplit s =
                new MultipartSplit(in, delimiter != null ? delimiter.length + 2 : MimeWalker.MAX_BOUNDARY + 3);
        s.run(delimiter, maxParts);
        return s;
    }

    /**
     * The parts found.
     *
     * @return how many parts there are
     */
    int parts() {
        return parts;
    }

    /**
     * Where a part starts: its header's first byte.
     *
     * @param part the part, from 0
     * @return the offset
     */
    long start(int part) {
        return bounds[2 * part];
    }

    /**
     * Where a part ends: before the line end that precedes the next delimiter, or the end of the input.
     *
     * @param part the part, from 0
     * @return the offset (exclusive)
     */
    long end(int part) {
        return bounds[2 * part + 1];
    }

    /**
     * Whether the close delimiter was read.
     *
     * @return {@code true} for a complete multipart
     */
    boolean complete() {
        return complete;
    }

    /**
     * Whether the split stopped at the part budget.
     *
     * @return {@code true} when parts after the budget were left unsplit
     */
    boolean cut() {
        return cut;
    }

    private void run(byte[] knownDelimiter, int maxParts) throws IOException, ParseException {
        byte[] delimiter = knownDelimiter;
        // the preamble
        for (; ; ) {
            if (!nextLine()) {
                throw new ParseException("Missing start boundary");
            }
            if (!dashLine) {
                continue;
            }
            if (delimiter != null) {
                int d = delimiter.length;
                if (strippedLength == d && headStartsWith(delimiter)) {
                    break;
                }
                if (strippedLength == d + 2 && headStartsWith(delimiter) && head[d] == '-' && head[d + 1] == '-') {
                    throw new ParseException("Missing start boundary");
                }
            } else if (strippedLength > 2 && headLength > 1 && head[1] == '-') {
                if (strippedLength > 4 && (firstNonDash < 0 || firstNonDash >= strippedLength)) {
                    continue; // a line of dashes in the preamble's text
                }
                if (strippedLength > MimeWalker.MAX_BOUNDARY + 2) {
                    throw new DelimiterTooLong(strippedLength - 2);
                }
                delimiter = Arrays.copyOf(head, (int) strippedLength);
                break;
            }
        }
        int d = delimiter.length;
        for (; ; ) {
            long start = offset();
            // the part's header, to its empty line
            readLines = true;
            do {
                if (!nextLine()) {
                    return; // a header without its end: no part, incomplete
                }
            } while (lineLength > 0);
            long bodyStart = offset();
            readLines = false;
            int previousEnd = 0;
            for (; ; ) {
                if (!nextLine()) {
                    add(start, offset());
                    return; // no close delimiter: incomplete
                }
                if (dashLine && lineLength >= d && headStartsWith(delimiter)) {
                    long end = lineStart == bodyStart ? lineStart : lineStart - previousEnd;
                    if (lineLength >= d + 2 && head[d] == '-' && head[d + 1] == '-') {
                        add(start, end);
                        complete = true;
                        epilogue(delimiter);
                        return;
                    }
                    if (strippedLength == d && endLength > 0) {
                        add(start, end);
                        if (parts > maxParts) {
                            cut = true;
                            return;
                        }
                        break;
                    }
                }
                previousEnd = endLength;
            }
        }
    }

    /**
     * Reads the epilogue to its end and notes whether a line in it is a delimiter of this multipart (a part after the
     * close delimiter, which clamd reads on to and scans, and mail clients do not show).
     */
    private void epilogue(byte[] delimiter) throws IOException {
        int d = delimiter.length;
        while (!partAfterClose && nextLine()) {
            partAfterClose = dashLine && strippedLength == d && headStartsWith(delimiter);
        }
    }

    /**
     * Whether the epilogue holds a delimiter line of this multipart: a part after the close delimiter.
     *
     * @return {@code true} when it does (read only for a complete multipart)
     */
    boolean partAfterClose() {
        return partAfterClose;
    }

    private void add(long start, long end) {
        if (2 * parts + 2 > bounds.length) {
            bounds = Arrays.copyOf(bounds, bounds.length * 2);
        }
        bounds[2 * parts] = start;
        bounds[2 * parts + 1] = end;
        parts++;
    }

    private boolean headStartsWith(byte[] prefix) {
        return headLength >= prefix.length && Arrays.equals(head, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** The offset of the next byte to read. */
    private long offset() {
        return bufOffset + pos;
    }

    /**
     * Reads the next line into the line fields.
     *
     * @return {@code false} at the end of the input (no byte left)
     */
    private boolean nextLine() throws IOException {
        if (pos == lim && !fill()) {
            return false;
        }
        lineStart = offset();
        dashLine = buf[pos] == '-';
        long length = 0;
        if (!dashLine) {
            // most lines: only their end matters
            for (; ; ) {
                int p = pos;
                byte[] b = buf;
                int l = lim;
                while (p < l && b[p] != '\n' && b[p] != '\r') {
                    p++;
                }
                length += p - pos;
                pos = p;
                if (p < l || !fill()) {
                    break;
                }
            }
        } else {
            int h = 0;
            long stripped = 0;
            long nonDash = -1;
            for (; ; ) {
                if (pos == lim && !fill()) {
                    break;
                }
                byte c = buf[pos];
                if (c == '\n' || c == '\r') {
                    break;
                }
                if (h < head.length) {
                    head[h++] = c;
                }
                if (c != ' ' && c != '\t') {
                    stripped = length + 1;
                }
                if (c != '-' && nonDash < 0) {
                    nonDash = length;
                }
                length++;
                pos++;
            }
            headLength = h;
            strippedLength = stripped;
            firstNonDash = nonDash;
        }
        lineLength = length;
        endLength = 0;
        if (pos < lim || fill()) {
            endLength = 1;
            if (buf[pos] == '\r') {
                ensure(3);
                int left = lim - pos;
                if (left >= 2 && buf[pos + 1] == '\n') {
                    endLength = 2;
                } else if (readLines && left >= 3 && buf[pos + 1] == '\r' && buf[pos + 2] == '\n') {
                    endLength = 3;
                }
            }
            pos += endLength;
        }
        return true;
    }

    /** Reads the next block when the buffer is used up; {@code false} at the end of the input. */
    private boolean fill() throws IOException {
        return ensure(1);
    }

    /**
     * Makes {@code n} bytes from {@code pos} available in the buffer (fewer at the end of the input), keeping the
     * bytes not yet used.
     *
     * @return whether at least one byte is available
     */
    private boolean ensure(int n) throws IOException {
        while (lim - pos < n && !eof) {
            int kept = lim - pos;
            if (pos > 0) {
                System.arraycopy(buf, pos, buf, 0, kept);
                bufOffset += pos;
                pos = 0;
                lim = kept;
            }
            if (kept == 0 && full && buf.length < MAX_BUFFER) {
                buf = new byte[buf.length * 2]; // the input is longer than the buffer: fewer, larger reads
            }
            int r = in.read(buf, lim, buf.length - lim);
            full = lim + Math.max(r, 0) == buf.length;
            if (r < 0) {
                eof = true;
            } else {
                lim += r;
            }
        }
        return lim > pos;
    }
}
