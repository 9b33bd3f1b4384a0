package org.mailhygiene.smtp.delivery;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Turns message content into SMTP DATA (RFC 5321 §4.5.2): every line end becomes CRLF first (a bare CR, a bare LF
 * and CRLF each count as one line end), then a dot at the start of a line is doubled, and {@link #finish()} ends the
 * data with {@code CRLF.CRLF} (adding a CRLF when the content did not end with a line end). Because line ends are
 * canonical before stuffing, no byte sequence in the content can form an end of data at the next hop (no SMTP
 * smuggling through this relay). Content that already uses CRLF passes unchanged apart from the stuffing.
 *
 * <p>Output goes through an internal 64 KiB buffer; each time it fills, {@link Sink#write} receives one block (the
 * client bounds each block with its data-block timeout). Not thread-safe.
 */
final class DotStuffer {
    /** Receives blocks of encoded output. */
    interface Sink {
        void write(byte[] buf, int len) throws IOException;
    }

    static final int BLOCK = 64 * 1024;

    private final Sink sink;
    private final byte[] buf = new byte[BLOCK + 8];
    private int n;
    private boolean lineStart = true;
    private boolean pendingCr;

    DotStuffer(Sink sink) {
        this.sink = sink;
    }

    static DotStuffer to(OutputStream out) {
        return new DotStuffer((b, len) -> out.write(b, 0, len));
    }

    void write(byte[] src, int off, int len) throws IOException {
        int i = off;
        int end = off + len;
        while (i < end) {
            if (!pendingCr && !lineStart) {
                // Inside a line: a run without CR or LF needs no stuffing and no line-end work; copy it as a block.
                int j = i;
                while (j < end && src[j] != '\r' && src[j] != '\n') {
                    j++;
                }
                if (j > i) {
                    putRun(src, i, j - i);
                    i = j;
                    continue;
                }
            }
            write(src[i++]);
        }
    }

    private void putRun(byte[] src, int off, int len) throws IOException {
        while (len > 0) {
            int k = Math.min(len, BLOCK - n);
            System.arraycopy(src, off, buf, n, k);
            n += k;
            off += k;
            len -= k;
            if (n >= BLOCK) {
                sink.write(buf, n);
                n = 0;
            }
        }
    }

    void write(byte b) throws IOException {
        if (pendingCr) {
            pendingCr = false;
            crlf();
            if (b == '\n') {
                return;
            }
        }
        if (b == '\r') {
            pendingCr = true;
            return;
        }
        if (b == '\n') {
            crlf();
            return;
        }
        if (lineStart && b == '.') {
            put((byte) '.');
        }
        put(b);
        lineStart = false;
    }

    private void crlf() throws IOException {
        put((byte) '\r');
        put((byte) '\n');
        lineStart = true;
    }

    private void put(byte b) throws IOException {
        buf[n++] = b;
        if (n >= BLOCK) {
            sink.write(buf, n);
            n = 0;
        }
    }

    /** Ends the data with {@code CRLF.CRLF} and hands over the last block. */
    void finish() throws IOException {
        if (pendingCr) {
            pendingCr = false;
            crlf();
        }
        if (!lineStart) {
            crlf();
        }
        put((byte) '.');
        put((byte) '\r');
        put((byte) '\n');
        if (n > 0) {
            sink.write(buf, n);
            n = 0;
        }
    }
}
