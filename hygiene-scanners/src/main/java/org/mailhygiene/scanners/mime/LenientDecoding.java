package org.mailhygiene.scanners.mime;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Base64 and quoted-printable decoders that read what mail clients display instead of failing: the strict decoders
 * stopped at missing padding or a stray character, the scan of that part was incomplete, and the message was
 * tempfailed although every reader shows it. What had to be repaired is kept ({@link Decoder#repairs()}) so the walker
 * can report it as a {@link MimeFinding.Kind#REPAIRED_ENCODING} finding.
 *
 * <p>Both decoders are single-pass state machines over the input: linear, constant state (quoted-printable holds back
 * at most {@value #MAX_HELD_BLANKS} trailing blanks), never recursive. Not thread-safe (a stream).
 */
final class LenientDecoding {
    /** Trailing blanks held back to drop them before a line end; more than a line's worth are passed on. */
    static final int MAX_HELD_BLANKS = 998;

    private LenientDecoding() {}

    /** A decoding stream that remembers what it had to repair. */
    abstract static class Decoder extends FilterInputStream {
        private final Set<String> repairs = new LinkedHashSet<>();
        private final byte[] raw;
        private int rawPos;
        private int rawLimit;
        private boolean eof;

        Decoder(InputStream in) {
            this(in, 8192);
        }

        /** With a raw buffer of {@code rawBuffer} bytes (a short input, such as one encoded word, needs no 8 KiB). */
        Decoder(InputStream in, int rawBuffer) {
            super(in);
            this.raw = new byte[rawBuffer];
        }

        /**
         * What was repaired so far, each kind once, in the order first seen.
         *
         * @return short descriptions, e.g. {@code missing padding}
         */
        final List<String> repairs() {
            return List.copyOf(repairs);
        }

        final void repaired(String what) {
            repairs.add(what);
        }

        /** The next raw byte, or -1 at the end. */
        final int rawByte() throws IOException {
            if (rawPos == rawLimit) {
                if (eof) {
                    return -1;
                }
                int n = in.read(raw, 0, raw.length);
                if (n <= 0) {
                    eof = true;
                    return -1;
                }
                rawPos = 0;
                rawLimit = n;
            }
            return raw[rawPos++] & 0xff;
        }

        /** Puts back the byte {@link #rawByte()} returned last (one byte of look-ahead). */
        final void unread() {
            rawPos--;
        }

        /**
         * Decodes into {@code b} from {@code off}, at most {@code len} bytes (at least 4 free).
         *
         * @return the number decoded, or -1 at the end
         */
        abstract int decode(byte[] b, int off, int len) throws IOException;

        @Override
        public final int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public final int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (len >= 4) {
                return decode(b, off, len);
            }
            byte[] tmp = small();
            int n = decode(tmp, 0, tmp.length);
            if (n <= 0) {
                return n;
            }
            int give = Math.min(n, len);
            System.arraycopy(tmp, 0, b, off, give);
            keep(tmp, give, n - give);
            return give;
        }

        // read() with fewer than 4 bytes wanted: decode a few more and keep the rest for the next call
        private byte[] overflow = new byte[0];
        private int overflowPos;

        private byte[] small() {
            return new byte[8];
        }

        private void keep(byte[] b, int from, int n) {
            byte[] rest = new byte[overflow.length - overflowPos + n];
            System.arraycopy(overflow, overflowPos, rest, 0, overflow.length - overflowPos);
            System.arraycopy(b, from, rest, overflow.length - overflowPos, n);
            overflow = rest;
            overflowPos = 0;
        }

        final int drainOverflow(byte[] b, int off, int len) {
            int n = Math.min(len, overflow.length - overflowPos);
            System.arraycopy(overflow, overflowPos, b, off, n);
            overflowPos += n;
            return n;
        }

        @Override
        public final long skip(long n) throws IOException {
            byte[] buf = new byte[8192];
            long done = 0;
            while (done < n) {
                int r = read(buf, 0, (int) Math.min(buf.length, n - done));
                if (r < 0) {
                    break;
                }
                done += r;
            }
            return done;
        }

        @Override
        public final int available() {
            return 0;
        }

        @Override
        public final boolean markSupported() {
            return false;
        }
    }

    /**
     * Base64 (RFC 2045 section 6.8) read as mail clients read it: characters outside the alphabet (line ends and
     * blanks included) are skipped; a missing final padding is supplied; a lone last character (6 bits, no whole byte)
     * is dropped; padding in the middle (parts encoded separately and joined) ends that quantum and decoding goes on.
     * Only the skipped characters that are not white space, the padding and the lone character count as repairs,
     * and lines of varying length (the last line aside).
     */
    static final class Base64 extends Decoder {
        private static final byte[] VALUES = new byte[256];

        static {
            java.util.Arrays.fill(VALUES, (byte) -1);
            String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            for (int i = 0; i < alphabet.length(); i++) {
                VALUES[alphabet.charAt(i)] = (byte) i;
            }
        }

        private int bits;
        private int count;
        private boolean padded;
        private boolean done;
        private long lineLength;
        private long firstLineLength = -1;
        private boolean unevenLine;

        Base64(InputStream in) {
            super(in);
        }

        /**
         * Decodes a short piece of base64 held in memory (an RFC 2047 encoded word's text).
         *
         * @param text the encoded characters
         * @return the bytes, decoded as {@link Base64} reads a stream
         */
        static byte[] decode(byte[] text) {
            // base64 never grows: the input's length (plus room for read()'s four-byte minimum) holds every byte
            byte[] out = new byte[text.length + 8];
            int n = 0;
            try (Base64 d = new Base64(new java.io.ByteArrayInputStream(text), Math.max(16, text.length))) {
                for (int r; (r = d.read(out, n, out.length - n)) > 0; ) {
                    n += r;
                }
                return java.util.Arrays.copyOf(out, n);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e); // a byte array does not fail
            }
        }

        private Base64(InputStream in, int rawBuffer) {
            super(in, rawBuffer);
        }

        @Override
        int decode(byte[] b, int off, int len) throws IOException {
            int o = off + drainOverflow(b, off, len);
            int end = off + len;
            while (!done && end - o >= 3) {
                int c = rawByte();
                if (c < 0) {
                    done = true;
                    endOfLine(true);
                    o = flushQuantum(b, o, true);
                    break;
                }
                if (c == '\n' || c == '\r') {
                    endOfLine(false);
                    continue;
                }
                lineLength++;
                int v = VALUES[c];
                if (v >= 0) {
                    if (padded) {
                        repaired("data after padding (separately encoded pieces joined)");
                        padded = false;
                    }
                    bits = bits << 6 | v;
                    count++;
                    if (count == 4) {
                        b[o++] = (byte) (bits >> 16);
                        b[o++] = (byte) (bits >> 8);
                        b[o++] = (byte) bits;
                        bits = 0;
                        count = 0;
                    }
                } else if (c == '=') {
                    if (count > 0) {
                        o = flushQuantum(b, o, false);
                    }
                    padded = true;
                } else if (c != ' ' && c != '\t') {
                    repaired("characters outside the base64 alphabet skipped");
                }
            }
            return o == off && done ? -1 : o - off;
        }

        private void endOfLine(boolean last) {
            if (lineLength == 0) {
                return;
            }
            if (firstLineLength < 0) {
                firstLineLength = lineLength;
            } else if (unevenLine) {
                repaired("lines of varying length");
                unevenLine = false;
            }
            if (!last && lineLength != firstLineLength) {
                unevenLine = true; // counts only if another line follows: the last line may be shorter
            }
            lineLength = 0;
        }

        private int flushQuantum(byte[] b, int o, boolean atEnd) {
            switch (count) {
                case 0 -> {
                    return o;
                }
                case 1 -> repaired("a lone base64 character (no whole byte) dropped");
                case 2 -> b[o++] = (byte) (bits >> 4);
                default -> {
                    b[o++] = (byte) (bits >> 10);
                    b[o++] = (byte) (bits >> 2);
                }
            }
            if (atEnd && count > 1) {
                repaired("missing padding");
            }
            bits = 0;
            count = 0;
            return o;
        }
    }

    /**
     * Quoted-printable (RFC 2045 section 6.7) read as mail clients read it: {@code =XX} in either case is a byte;
     * {@code =} at a line end (trailing blanks allowed) is a soft line break; an {@code =} not followed by two hex
     * digits is kept as it is (a repair); blanks at the end of a line are dropped; everything else passes unchanged.
     */
    static final class QuotedPrintable extends Decoder {
        private int heldBlanks;
        private final byte[] blanks = new byte[MAX_HELD_BLANKS];
        private boolean done;

        QuotedPrintable(InputStream in) {
            super(in);
        }

        @Override
        int decode(byte[] b, int off, int len) throws IOException {
            int o = off + drainOverflow(b, off, len);
            int end = off + len;
            while (!done && end - o >= 3) {
                int c = rawByte();
                if (c < 0) {
                    done = true;
                    heldBlanks = 0; // trailing blanks at the end are dropped
                    break;
                }
                if (c == ' ' || c == '\t') {
                    if (heldBlanks == blanks.length) {
                        o = releaseBlanks(b, o, end);
                        if (heldBlanks > 0 || end - o < 3) {
                            unread();
                            break;
                        }
                    }
                    blanks[heldBlanks++] = (byte) c;
                    continue;
                }
                if (c == '\r' || c == '\n') {
                    heldBlanks = 0;
                    b[o++] = (byte) c;
                    continue;
                }
                if (heldBlanks > 0) {
                    o = releaseBlanks(b, o, end);
                    if (heldBlanks > 0 || end - o < 3) {
                        unread();
                        break;
                    }
                }
                if (c != '=') {
                    b[o++] = (byte) c;
                    continue;
                }
                int h1 = rawByte();
                if (h1 < 0) {
                    repaired("'=' not followed by two hex digits kept as it is");
                    b[o++] = '=';
                    continue;
                }
                if (h1 == '\r' || h1 == '\n' || h1 == ' ' || h1 == '\t') {
                    softBreak(h1);
                    continue;
                }
                int h2 = rawByte();
                int d1 = Character.digit(h1, 16);
                int d2 = h2 < 0 ? -1 : Character.digit(h2, 16);
                if (d1 >= 0 && d2 >= 0) {
                    b[o++] = (byte) (d1 << 4 | d2);
                    continue;
                }
                repaired("'=' not followed by two hex digits kept as it is");
                b[o++] = '=';
                b[o++] = (byte) h1;
                if (h2 >= 0) {
                    unread();
                }
            }
            return o == off && done ? -1 : o - off;
        }

        /** After {@code =}: skips blanks and one line end; text after the blanks (no line end) goes on as is. */
        private void softBreak(int first) throws IOException {
            int c = first;
            while (c == ' ' || c == '\t') {
                c = rawByte();
            }
            if (c == '\r') {
                c = rawByte();
                if (c != '\n' && c >= 0) {
                    unread();
                }
            } else if (c != '\n' && c >= 0) {
                repaired("'=' followed by blanks and text");
                unread();
            }
        }

        private int releaseBlanks(byte[] b, int o, int end) {
            int n = Math.min(heldBlanks, end - o);
            if (n <= 0) {
                return o;
            }
            System.arraycopy(blanks, 0, b, o, n);
            System.arraycopy(blanks, n, blanks, 0, heldBlanks - n);
            heldBlanks -= n;
            return o + n;
        }
    }
}
