package org.mailhygiene.smtp.server;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads the DATA section of one transaction from the session input: removes dot-stuffing and stops exactly at
 * {@code CRLF.CRLF}, and nowhere else. Package-private; single-threaded.
 *
 * <p>Rules (RFC 5321 §4.5.2 and the SMTP-smuggling notes, CERT VU#302671):
 *
 * <ul>
 *   <li>Only {@code <CRLF>.<CRLF>} ends the data. {@code <LF>.<LF>}, {@code <LF>.<CRLF>}, {@code <CRLF>.<LF>},
 *       {@code <CR>.<CR>} and {@code <CRLF>.<CR>} do not: they are content, and content with a bare CR or bare LF is
 *       a {@linkplain Violation#BARE_CR_OR_LF violation}, so the message is refused after the real end of data and no
 *       byte after such a sequence can ever be read as a command or as the start of a second message.
 *   <li>A leading dot is removed from every line that has more after it.
 *   <li>A line longer than {@code maxLine} octets including CRLF (not counting a stuffed dot) is a violation.
 *   <li>More than {@code maxSize} unstuffed octets is a violation; the rest is read and dropped.
 *   <li>{@code Received:} header fields in the header section are counted; {@code maxHops} of them is a violation.
 *   <li>Content whose first octet is a space or tab (after unstuffing) is a violation: the first line would fold
 *       into the {@code Received} field the server prepends, and the message change its meaning in transit.
 * </ul>
 *
 * After the first violation no more bytes are delivered, but the input is still read up to the end of data so the
 * session stays in step with the client. {@link #read} returns -1 only after the end of data was read; the end of the
 * stream before that throws {@link EOFException}.
 */
final class DataReader extends InputStream {
    /** Why a message was refused. */
    enum Violation {
        SIZE,
        BARE_CR_OR_LF,
        LINE_TOO_LONG,
        TOO_MANY_HOPS,
        /**
         * The content starts with a space or tab: its first line is a folded continuation with no field before it,
         * which the Received field this server puts on top would take as its own.
         */
        FOLDED_FIRST_LINE
    }

    private static final byte[] RECEIVED = "received:".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    // states
    private static final int LINE_START = 0;
    private static final int MID = 1;
    private static final int CR = 2;
    private static final int DOT = 3;
    private static final int DOT_CR = 4;

    private final SmtpInput in;
    private final long maxSize;
    private final int maxLine;
    private final int maxHops;

    private int state = LINE_START;
    private boolean done;
    private Violation violation;
    private long size;
    private int lineLen;
    private boolean inHeaders = true;
    private int prefixMatched; // how many bytes of "received:" the current header line matched, -1 = no match
    private int hops;
    private final byte[] leftover = new byte[2];
    private int leftoverPos;
    private int leftoverLen;

    DataReader(SmtpInput in, long maxSize, int maxLine, int maxHops) {
        this.in = in;
        this.maxSize = maxSize;
        this.maxLine = maxLine;
        this.maxHops = maxHops;
    }

    /** The first violation, or {@code null} when the data was acceptable. Meaningful once {@link #read} gave -1. */
    Violation violation() {
        return violation;
    }

    /** The number of {@code Received:} header fields seen. */
    int hops() {
        return hops;
    }

    /** The number of unstuffed octets read (counted also past a violation). */
    long size() {
        return size;
    }

    @Override
    public int read() throws IOException {
        if (leftoverPos < leftoverLen) {
            return leftover[leftoverPos++] & 0xff;
        }
        int n = read(leftover, 0, 2);
        if (n < 0) {
            return -1;
        }
        leftoverPos = 1;
        leftoverLen = n;
        return leftover[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (len == 1 || leftoverPos < leftoverLen) {
            int c = read();
            if (c < 0) {
                return -1;
            }
            b[off] = (byte) c;
            return 1;
        }
        if (done) {
            return -1;
        }
        int n = 0;
        // len >= 2 here; leave room for the two bytes a CRLF produces at once.
        while (n < len - 1) {
            if (state == MID && prefixMatched < 0 && violation == null) {
                // Inside a line and past any header prefix we track: bytes up to the next CR or LF are plain
                // content; take them as one block (the same bookkeeping emit() does per byte).
                int room = (int) Math.min(len - 1 - n, maxSize - size);
                if (room > 0) {
                    int k = in.readPlain(b, off + n, room);
                    if (k > 0) {
                        size += k;
                        lineLen += k;
                        n += k;
                        continue;
                    }
                }
            }
            int c = in.read();
            if (c < 0) {
                throw new EOFException("connection closed before the end of data");
            }
            switch (state) {
                case LINE_START:
                    if (c == '.') {
                        state = DOT;
                        continue;
                    }
                    break;
                case DOT:
                    if (c == '\r') {
                        state = DOT_CR;
                        continue;
                    }
                    state = MID; // the stuffed dot is dropped; c is content
                    break;
                case DOT_CR:
                    if (c == '\n') {
                        done = true;
                        return n == 0 ? -1 : n;
                    }
                    // ".<CR>x": a bare CR on a dot line. Not the end; the line keeps its dot and CR.
                    violate(Violation.BARE_CR_OR_LF);
                    n = emit(b, off, n, '.');
                    n = emit(b, off, n, '\r');
                    state = MID;
                    break;
                case CR:
                    if (c == '\n') {
                        n = emit(b, off, n, '\r');
                        n = emit(b, off, n, '\n');
                        endOfLine();
                        state = LINE_START;
                        continue;
                    }
                    violate(Violation.BARE_CR_OR_LF);
                    n = emit(b, off, n, '\r');
                    state = MID;
                    break;
                default:
                    break;
            }
            // c is an ordinary content byte of the current line (state LINE_START or MID)
            if (c == '\r') {
                state = CR;
                continue;
            }
            if (c == '\n') {
                violate(Violation.BARE_CR_OR_LF); // bare LF: content, never a line end for the terminator
            }
            if (size == 0 && (c == ' ' || c == '\t')) {
                violate(Violation.FOLDED_FIRST_LINE);
            }
            if (state == LINE_START) {
                prefixMatched = inHeaders ? 0 : -1;
            }
            if (prefixMatched >= 0) {
                if (prefixMatched < RECEIVED.length && Character.toLowerCase(c) == RECEIVED[prefixMatched]) {
                    prefixMatched++;
                } else if (prefixMatched < RECEIVED.length) {
                    prefixMatched = -1;
                }
            }
            state = MID;
            n = emit(b, off, n, c);
        }
        return n;
    }

    private int emit(byte[] b, int off, int n, int c) {
        size++;
        lineLen++;
        if (size > maxSize) {
            violate(Violation.SIZE);
        }
        if (violation != null) {
            return n;
        }
        b[off + n] = (byte) c;
        return n + 1;
    }

    private void endOfLine() {
        if (lineLen > maxLine) {
            violate(Violation.LINE_TOO_LONG);
        }
        if (inHeaders) {
            if (lineLen == 2) {
                inHeaders = false;
            } else if (prefixMatched == RECEIVED.length) {
                hops++;
                if (hops >= maxHops) {
                    violate(Violation.TOO_MANY_HOPS);
                }
            }
        }
        prefixMatched = -1;
        lineLen = 0;
    }

    private void violate(Violation v) {
        if (violation == null) {
            violation = v;
        }
    }
}
