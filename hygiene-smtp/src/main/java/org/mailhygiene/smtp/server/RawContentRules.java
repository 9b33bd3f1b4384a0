package org.mailhygiene.smtp.server;

import java.nio.charset.StandardCharsets;

/**
 * The content rules of {@link DataReader} applied to raw BDAT chunks (RFC 3030), which carry no dot-stuffing and no
 * end-of-data marker: size, bare CR or LF, text lines of at most {@code maxLine} octets, the {@code Received:} hop
 * count and a first line folded like a header continuation, with the same first-violation-wins order. Equivalence with {@code DataReader} on the dot-stuffed form is
 * checked by a property test. Package-private; single-threaded.
 *
 * <p>A CR is judged when the next octet arrives (or at {@link #finish()}): only CR LF is a line end.
 */
final class RawContentRules {
    private static final byte[] RECEIVED = "received:".getBytes(StandardCharsets.US_ASCII);

    private final long maxSize;
    private final int maxLine;
    private final int maxHops;
    private DataReader.Violation violation;
    private long size;
    private int lineLen;
    private boolean lineStart = true;
    private boolean pendingCr;
    private boolean inHeaders = true;
    private int prefixMatched; // as in DataReader: 0 before the first line
    private int hops;

    RawContentRules(long maxSize, int maxLine, int maxHops) {
        this.maxSize = maxSize;
        this.maxLine = maxLine;
        this.maxHops = maxHops;
    }

    /** The first violation, or {@code null}. */
    DataReader.Violation violation() {
        return violation;
    }

    /** The number of {@code Received:} header fields seen. */
    int hops() {
        return hops;
    }

    /** The number of octets seen. */
    long size() {
        return size;
    }

    /** Checks the next bytes of the content. */
    void update(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            update(b[i] & 0xff);
        }
    }

    private void update(int c) {
        if (pendingCr) {
            pendingCr = false;
            if (c == '\n') {
                count();
                count();
                endOfLine();
                lineStart = true;
                return;
            }
            violate(DataReader.Violation.BARE_CR_OR_LF);
            count();
        }
        if (c == '\r') {
            pendingCr = true;
            lineStart = false;
            return;
        }
        if (c == '\n') {
            violate(DataReader.Violation.BARE_CR_OR_LF);
        }
        if (size == 0 && (c == ' ' || c == '\t')) {
            violate(DataReader.Violation.FOLDED_FIRST_LINE);
        }
        if (lineStart) {
            prefixMatched = inHeaders ? 0 : -1;
            lineStart = false;
        }
        if (prefixMatched >= 0 && prefixMatched < RECEIVED.length) {
            prefixMatched = Character.toLowerCase(c) == RECEIVED[prefixMatched] ? prefixMatched + 1 : -1;
        }
        count();
    }

    /**
     * Ends the content: a trailing CR is bare, and an unterminated last line is measured with the CRLF it gets when
     * forwarded.
     */
    void finish() {
        if (pendingCr) {
            pendingCr = false;
            violate(DataReader.Violation.BARE_CR_OR_LF);
            count();
        }
        if (lineLen > 0 && lineLen + 2 > maxLine) {
            violate(DataReader.Violation.LINE_TOO_LONG); // forwarded, the line gets its CRLF
        }
    }

    private void count() {
        size++;
        lineLen++;
        if (size > maxSize) {
            violate(DataReader.Violation.SIZE);
        }
    }

    private void endOfLine() {
        if (lineLen > maxLine) {
            violate(DataReader.Violation.LINE_TOO_LONG);
        }
        if (inHeaders) {
            if (lineLen == 2) {
                inHeaders = false;
            } else if (prefixMatched == RECEIVED.length) {
                hops++;
                if (hops >= maxHops) {
                    violate(DataReader.Violation.TOO_MANY_HOPS);
                }
            }
        }
        prefixMatched = -1;
        lineLen = 0;
    }

    private void violate(DataReader.Violation v) {
        if (violation == null) {
            violation = v;
        }
    }
}
