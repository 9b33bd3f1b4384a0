package org.mailhygiene.smtp.server;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * A received message without the {@code Return-Path} fields of its top-level header section, with the lines folded
 * under them: a {@code Return-Path} is written at final delivery from the envelope's sender (RFC 5321 4.4), so one a
 * client sent is the sender's own claim, which Postfix's cleanup drops as well (its {@code message_drop_headers}
 * default). Everything else passes byte for byte: other fields, lines of the header section that are no field, the
 * body, and any {@code Return-Path} in the body or in an attached message. Reads each header line once and looks at
 * no more than its first {@value #PEEK} bytes to decide, except a line of {@code Return-Path} and blanks, read to its
 * first other byte (held in memory until then); the body is passed through in bulk. Not thread-safe.
 */
final class ReturnPathRemover extends FilterInputStream {
    /**
     * Enough for most field names and their colon; a line that starts with {@code Return-Path} and blanks only is read
     * on to the first other byte, however far (RFC 822 and this project's MIME reader allow any number of blanks
     * before the colon).
     */
    static final int PEEK = 64;

    private static final byte[] NAME = "return-path".getBytes(StandardCharsets.US_ASCII);

    private byte[] peek = new byte[PEEK];
    private int peekPos;
    private int peekLen;
    private boolean body;
    private boolean atLineStart = true;
    private boolean dropping;

    ReturnPathRemover(InputStream in) {
        super(in);
    }

    @Override
    public int read() throws IOException {
        while (true) {
            if (peekPos < peekLen) {
                return peek[peekPos++] & 0xff;
            }
            if (body) {
                return in.read();
            }
            if (atLineStart) {
                if (!startLine()) {
                    return -1;
                }
                continue;
            }
            int b = in.read();
            if (b < 0) {
                return -1;
            }
            if (b == '\n') {
                atLineStart = true;
            }
            if (!dropping) {
                return b;
            }
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        if (body && peekPos >= peekLen) {
            return in.read(b, off, len);
        }
        int n = 0;
        while (n < len) {
            if (body && peekPos >= peekLen) {
                break; // the caller gets the body in bulk from its next read
            }
            int c = read();
            if (c < 0) {
                break;
            }
            b[off + n++] = (byte) c;
        }
        return n == 0 ? -1 : n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = 0;
        while (skipped < n && read() >= 0) {
            skipped++;
        }
        return skipped;
    }

    @Override
    public int available() throws IOException {
        return peekLen - peekPos;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public synchronized void mark(int readlimit) {}

    @Override
    public synchronized void reset() throws IOException {
        throw new IOException("mark/reset not supported");
    }

    /**
     * Reads the start of a header line (up to its colon, its end or {@link #PEEK} bytes) and decides: a blank line ends
     * the header section; a line folded under a dropped field is dropped; a {@code Return-Path} field starts a drop;
     * anything else is kept. Returns {@code false} at the end of the input with nothing read.
     */
    private boolean startLine() throws IOException {
        atLineStart = false;
        peekPos = 0;
        peekLen = 0;
        if (peek.length > PEEK) {
            peek = new byte[PEEK]; // grown for a line of blanks before a colon: not kept
        }
        int colon = -1;
        while (peekLen < PEEK) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            peek[peekLen++] = (byte) c;
            if (c == '\n') {
                atLineStart = true;
                break;
            }
            if (c == ':') {
                colon = peekLen - 1;
                break;
            }
        }
        if (colon < 0 && peekLen == PEEK && isReturnPath(peekLen)) {
            // Return-Path and blanks so far: the first other byte tells whether this is the field (until session 55
            // more than 52 blanks before the colon let the field through). Memory grows with the blanks of this line.
            int c;
            do {
                c = in.read();
                if (c < 0) {
                    break;
                }
                if (peekLen == peek.length) {
                    peek = java.util.Arrays.copyOf(peek, peek.length * 2);
                }
                peek[peekLen++] = (byte) c;
            } while (c == ' ' || c == '\t');
            if (c == ':') {
                colon = peekLen - 1;
            } else if (c == '\n') {
                atLineStart = true;
            }
        }
        if (peekLen == 0) {
            return false;
        }
        byte first = peek[0];
        if (first == '\n' || first == '\r' && peekLen > 1 && peek[1] == '\n') {
            body = true; // the blank line: kept, and everything after it
            dropping = false;
            return true;
        }
        if (first == ' ' || first == '\t') {
            if (dropping) {
                peekLen = 0; // folded under a dropped field: dropped too, to its end
            }
            return true;
        }
        dropping = colon >= 0 && isReturnPath(colon);
        if (dropping) {
            peekLen = 0;
        }
        return true;
    }

    /**
     * Whether the bytes before the colon at {@code colon} (or before {@code peekLen}) are {@code Return-Path}, any case,
     * blanks after it.
     */
    private boolean isReturnPath(int colon) {
        int end = colon;
        while (end > 0 && (peek[end - 1] == ' ' || peek[end - 1] == '\t')) {
            end--;
        }
        if (end != NAME.length) {
            return false;
        }
        for (int i = 0; i < end; i++) {
            int c = peek[i];
            if (c >= 'A' && c <= 'Z') {
                c += 'a' - 'A';
            }
            if (c != NAME[i]) {
                return false;
            }
        }
        return true;
    }
}
