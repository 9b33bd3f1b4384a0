package org.mailhygiene.scanners.mime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.mailhygiene.internal.BulkInputStream;

/**
 * Files encoded into plain text, found as Thunderbird's parser of untyped text finds them and shows them as
 * attachments: uuencoded ({@code begin 644 name}, the encoded lines, {@code end}), as old mailers and Usenet clients
 * write them, yEnc-encoded ({@code =ybegin line=N size=N name=NAME}, the encoded lines, {@code =yend size=N}), and
 * BinHex 4.0 ({@code (This file must be converted with BinHex 4.0)}, then, after blank lines if any, the encoded file
 * from one {@code :} to the next; RFC 1741), as Macintosh mailers wrote them: its data fork is the file, under the name
 * its header gives (the resource fork, which other systems drop, is checked and skipped).
 * Every line that begins a file starts a new one, even inside a file not yet ended (the parser looks for one on every
 * line); a begin line that names no file begins a file without a name ({@code ""}); a name is cut at a NUL (the parser
 * copies it as a C string).
 *
 * <p>Decoding: uuencoded lines as {@code uudecode} decodes them (the first character, masked to six bits, gives the
 * line's byte count, then every four characters three bytes; characters missing at the end read as zero), ending at
 * the {@code end} line, an empty line, the next begin line or the end of the text; yEnc lines as Thunderbird decodes
 * them (every byte less 42, one after {@code =} less 64 more; an {@code =} at a line's end escapes the CR or LF that
 * ends the line; a NUL ends a line's data, which Thunderbird reads as a C string), ending at the {@code =yend size=}
 * line, the next begin line or the end of the text. Lines end at LF, CRLF or a bare CR. BinHex: each character of
 * the 64-character alphabet gives six bits (blanks and line ends are skipped), the bytes they make are run-length
 * decoded ({@code 0x90 n} repeats the byte before it to {@code n} in all, {@code 0x90 0} is the byte {@code 0x90}), and
 * the result is the header (name length, name, version, type, creator, flags, data and resource fork lengths), the data
 * fork and the resource fork, each followed by its CRC (CRC-16 CCITT, polynomial {@code 0x1021}, starting at 0). A
 * banner line whose next line that is not blank does not start with {@code :} begins no file. A BinHex file that
 * cannot be read to its last CRC (a character outside the alphabet, the closing {@code :} or the end of the text
 * before the end of the forks, a CRC that does not match, a line over {@value #LINE_HEAD} characters) throws a
 * {@link BrokenException}, from {@link #read} or from the data fork's stream, which ends the reading.
 *
 * <p>Bounds: a line is kept as its first {@value #LINE_HEAD} bytes and the last 256 before its first NUL and its
 * closing blanks (where a long begin line's name ends), so memory stays constant; a yEnc line
 * longer than that (yEnc writes 128 or 256 characters) cannot be decoded and goes to {@link Budget#lineTooLong} (a
 * {@link LimitException} by default); every
 * decoded line's bytes go to {@link Budget#decoded} before they are read, where the caller counts them against its
 * limits; a BinHex line's bytes are counted after the run-length decoding, which can make a line of 64 characters
 * some thousands of bytes. Reading is linear in the text.
 *
 * <p>Stateless and thread-safe; each {@link #read} call uses its own state.
 */
public final class TextFiles {
    /** Bytes kept of the start of a text line: 1,024 (a yEnc line longer than this cannot be decoded). */
    public static final int LINE_HEAD = 1024;

    private static final String TOO_LONG = "a yEnc line longer than " + LINE_HEAD + " characters";

    private static final int LINE_TAIL = 256;

    /** How a BinHex banner line starts (the version after it varies: 4.0 is the one in use). */
    private static final String BINHEX_BANNER = "(This file must be converted with BinHex";

    private TextFiles() {}

    /** How a file was written into the text. */
    public enum Encoding {
        /** {@code begin MODE NAME} ... {@code end}. */
        UUENCODE,
        /** {@code =ybegin line=N size=N name=NAME} ... {@code =yend size=N}. */
        YENC,
        /** {@code (This file must be converted with BinHex 4.0)}, then {@code :} ... {@code :}. */
        BINHEX;

        /**
         * How findings name a file so written: {@code uuencoded}, {@code yEnc} or {@code BinHex}.
         *
         * @return the word
         */
        public String description() {
            return switch (this) {
                case UUENCODE -> "uuencoded";
                case YENC -> "yEnc";
                case BINHEX -> "BinHex";
            };
        }
    }

    /**
     * A file that started as one but cannot be read as one: a BinHex file whose CRC does not match, cut short, or with a
     * character outside its alphabet. What it holds is not known; callers must not call the text clean.
     */
    public static final class BrokenException extends IOException {
        private static final long serialVersionUID = 1L;

        /**
         * A broken file.
         *
         * @param message what is wrong, naming the file
         */
        public BrokenException(String message) {
            super(message);
        }
    }

    /**
     * A limit reached while reading: a yEnc line too long to decode (by default), or a limit of the caller's own that
     * its budget or handler reports with it.
     */
    public static final class LimitException extends IOException {
        private static final long serialVersionUID = 1L;

        /**
         * A limit reached.
         *
         * @param message what was reached
         */
        public LimitException(String message) {
            super(message);
        }
    }

    /** The caller's limits, told of every decoded line before its bytes are read. */
    @FunctionalInterface
    public interface Budget {
        /**
         * A line of a file decoded to {@code bytes} bytes, which are read next; throw to stop reading.
         *
         * @param encoding the file's encoding
         * @param bytes the line's decoded bytes, {@code >= 0}
         * @throws IOException to stop reading (it reaches the caller of {@link TextFiles#read})
         */
        void decoded(Encoding encoding, int bytes) throws IOException;

        /**
         * A yEnc line longer than {@value TextFiles#LINE_HEAD} characters, which cannot be decoded: must throw (the
         * file cannot be read on). By default a {@link LimitException}.
         *
         * @throws IOException always
         */
        default void lineTooLong() throws IOException {
            throw new LimitException(TOO_LONG);
        }
    }

    /**
     * A budget that holds the bytes BinHex files decode to (after their run-length coding, which can make a line of 64
     * characters some thousands of bytes) to {@code maxBytes} in all, over every {@link #read} it is given to, and throws
     * a {@link LimitException} ({@code BinHex text decodes beyond N bytes}) at the line that goes beyond. uuencoded and
     * yEnc files decode to fewer bytes than their text and are not counted; their long lines go to {@link
     * Budget#lineTooLong}'s default. Not thread-safe: one per message (or part) read.
     *
     * @param maxBytes the most bytes BinHex files may decode to, at least 0
     * @return a new budget, nothing counted yet
     * @throws IllegalArgumentException if {@code maxBytes} is negative
     */
    public static Budget binHexBudget(long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative, was " + maxBytes);
        }
        long[] counted = {0};
        return (encoding, bytes) -> {
            if (encoding == Encoding.BINHEX && (counted[0] += bytes) > maxBytes) {
                throw new LimitException("BinHex text decodes beyond " + maxBytes + " bytes");
            }
        };
    }

    /** Receives each file found. */
    @FunctionalInterface
    public interface Handler {
        /**
         * A file found in the text. What the handler leaves unread of {@code content} is read (and counted) after it
         * returns, so that the text is read on to the next file.
         *
         * @param encoding how it was written
         * @param name its name as the begin line gives it, cut at a NUL and stripped; empty when none
         * @param content its decoded bytes, decoded as they are read; valid only during the call
         * @throws IOException to stop reading (it reaches the caller of {@link TextFiles#read})
         */
        void file(Encoding encoding, String name, InputStream content) throws IOException;
    }

    /**
     * Reads a text to its end and hands each file encoded into it to {@code handler}.
     *
     * @param text the text (its bytes; not closed)
     * @param budget the caller's limits
     * @param handler receives each file
     * @throws IOException if reading fails, or as the budget or the handler throw
     */
    public static void read(InputStream text, Budget budget, Handler handler) throws IOException {
        Objects.requireNonNull(budget, "budget");
        Objects.requireNonNull(handler, "handler");
        Lines lines = new Lines(Objects.requireNonNull(text, "text"));
        byte[] drain = null; // most texts hold no file: allocated at the first
        Begin begin = null;
        while (true) {
            if (begin == null) {
                if (!lines.next()) {
                    return;
                }
                begin = lines.begin();
                continue;
            }
            if (begin.encoding() == Encoding.BINHEX) {
                BinHex hqx = new BinHex(lines, budget);
                if (!hqx.start()) {
                    begin = lines.begin(); // the line after the banner begins no BinHex file: it may begin another
                    continue;
                }
                InputStream dataFork = hqx.header();
                handler.file(Encoding.BINHEX, hqx.name, dataFork);
                drain = drain(dataFork, drain);
                hqx.finish(drain);
                begin = null; // the rest of the line with the closing colon begins nothing
                continue;
            }
            LineDecoding file =
                    begin.encoding() == Encoding.YENC ? new YDecoding(lines, budget) : new UuDecoding(lines, budget);
            handler.file(begin.encoding(), begin.name(), file);
            drain = drain(file, drain);
            // the line that ended the file ("end", "=yend", an empty line, the next file's begin line) or the end of
            // the text: a begin line starts the next file
            begin = file.endedByText ? lines.begin() : null;
        }
    }

    /** Reads what the handler left of a file, through the budget; returns the buffer (allocated at the first file). */
    private static byte[] drain(InputStream file, byte[] buffer) throws IOException {
        byte[] b = buffer == null ? new byte[8192] : buffer;
        while (file.read(b, 0, b.length) >= 0) {
            // the rest of the file, through the budget
        }
        return b;
    }

    /** A line that begins a file, and the file's name (empty when the line gives none). */
    record Begin(Encoding encoding, String name) {}

    /** The lines of a text, each kept as its first {@value #LINE_HEAD} and last {@value #LINE_TAIL} bytes. */
    static final class Lines {
        private final InputStream in;
        private final byte[] buffer = new byte[8192];
        private int position;
        private int limit;
        final byte[] head = new byte[LINE_HEAD];
        /**
         * The last {@value #LINE_TAIL} bytes of the line's start up to its first NUL and without the blanks that end
         * that start ({@link #tailEnd} bytes): where a long begin line's name ends.
         */
        final byte[] tail = new byte[LINE_TAIL];
        /** Blanks not yet known to be inside the name (the last {@value #LINE_TAIL} of them). */
        private final byte[] blanks = new byte[LINE_TAIL];

        int headLength;
        long length;
        /** The length of the line's start that {@link #tail} ends: up to the first NUL, trailing blanks left out. */
        long tailEnd;

        private long pendingBlanks;
        private boolean nul;
        /** What ended the line: {@code '\r'} (alone or before an LF), {@code '\n'}, or -1 for the end of the text. */
        int ending;

        private boolean pendingCr;

        Lines(InputStream in) {
            this.in = in;
        }

        /** Reads the next line; {@code false} at the end of the text. */
        boolean next() throws IOException {
            headLength = 0;
            length = 0;
            tailEnd = 0;
            pendingBlanks = 0;
            nul = false;
            int c = read();
            if (c == '\n' && pendingCr) {
                c = read(); // the LF of a CRLF
            }
            pendingCr = false;
            if (c < 0) {
                return false;
            }
            while (c >= 0 && c != '\n' && c != '\r') {
                if (headLength < head.length) {
                    head[headLength++] = (byte) c;
                }
                if (!nul) {
                    kept(c);
                }
                length++;
                c = read();
            }
            pendingCr = c == '\r';
            ending = c;
            return true;
        }

        /**
         * Keeps a byte of the line before its first NUL in {@link #tail}: a blank waits until a byte other than a blank
         * follows it (blanks that end the name are stripped from it), so each byte is kept at most once.
         */
        private void kept(int c) {
            if (c == 0) {
                nul = true;
            } else if (Character.isWhitespace((char) c)) {
                blanks[(int) (pendingBlanks++ % LINE_TAIL)] = (byte) c;
            } else {
                for (long k = pendingBlanks - Math.min(pendingBlanks, LINE_TAIL); k < pendingBlanks; k++) {
                    tail[(int) ((tailEnd + k) % LINE_TAIL)] = blanks[(int) (k % LINE_TAIL)];
                }
                tailEnd += pendingBlanks;
                pendingBlanks = 0;
                tail[(int) (tailEnd++ % LINE_TAIL)] = (byte) c;
            }
        }

        private int read() throws IOException {
            if (position == limit) {
                int n = in.read(buffer, 0, buffer.length);
                if (n <= 0) {
                    return -1;
                }
                position = 0;
                limit = n;
            }
            return buffer[position++] & 0xff;
        }

        /**
         * The file name of a {@code begin MODE NAME} line (mode three or four octal digits; empty when the line names
         * none), or {@code null} when the line is no such line.
         */
        String uuBegin() {
            if (expect(0, "begin ") < 0) {
                return null;
            }
            int i = 6;
            while (i < headLength && head[i] >= '0' && head[i] <= '7') {
                i++;
            }
            if (i - 6 < 3 || i - 6 > 4 || i >= headLength || head[i] != ' ') {
                return null;
            }
            return nameFrom(i + 1);
        }

        /** The begin line this line is, or {@code null}. */
        Begin begin() {
            String name = uuBegin();
            if (name != null) {
                return new Begin(Encoding.UUENCODE, name);
            }
            name = yBegin();
            if (name != null) {
                return new Begin(Encoding.YENC, name);
            }
            return startsWith(BINHEX_BANNER) ? new Begin(Encoding.BINHEX, "") : null;
        }

        /** Whether the line holds only blanks (or nothing). */
        boolean isBlank() {
            for (int k = 0; k < headLength; k++) {
                if (head[k] != ' ' && head[k] != '\t') {
                    return false;
                }
            }
            return length == headLength;
        }

        /**
         * The rest of the line from {@code at}, up to a NUL (Thunderbird copies the name as a C string), stripped;
         * empty when nothing is left.
         */
        private String nameFrom(int at) {
            String name;
            if (length <= head.length) {
                name = new String(head, at, headLength - at, StandardCharsets.ISO_8859_1);
                int nul = name.indexOf('\0');
                name = nul >= 0 ? name.substring(0, nul) : name;
            } else {
                // a name longer than the kept start: its end, where the extension is; the end before the first NUL
                // and before the blanks that end the line (a NUL or 300 blanks after "invoice.exe" left a name of
                // blanks or letters, which passed)
                StringBuilder end = new StringBuilder(LINE_TAIL);
                for (long k = Math.max(at, tailEnd - Math.min(tailEnd, LINE_TAIL)); k < tailEnd; k++) {
                    end.append((char) (tail[(int) (k % LINE_TAIL)] & 0xff));
                }
                name = end.toString();
            }
            return name.strip();
        }

        /**
         * The file name of a yEnc begin line as Thunderbird recognises one ({@code =ybegin line=N size=N name=NAME},
         * in that order; empty when the line names none), or {@code null} when the line is no such line.
         */
        String yBegin() {
            int i = expect(0, "=ybegin line=");
            i = i < 0 ? -1 : expect(digits(i), " size=");
            i = i < 0 ? -1 : expect(digits(i), " name=");
            return i < 0 ? null : nameFrom(i);
        }

        /** Whether the line starts {@code prefix}. */
        boolean startsWith(String prefix) {
            return expect(0, prefix) >= 0;
        }

        /** The index after {@code text} when the line holds it at {@code at}, else -1. */
        private int expect(int at, String text) {
            if (at + text.length() > headLength) {
                return -1;
            }
            for (int k = 0; k < text.length(); k++) {
                if (head[at + k] != text.charAt(k)) {
                    return -1;
                }
            }
            return at + text.length();
        }

        private int digits(int at) {
            while (at < headLength && head[at] >= '0' && head[at] <= '9') {
                at++;
            }
            return at;
        }

        /** Whether the line is {@code end}, blanks around it allowed. */
        boolean isEnd() {
            int from = 0;
            int to = headLength;
            while (from < to && (head[from] == ' ' || head[from] == '\t')) {
                from++;
            }
            while (to > from && (head[to - 1] == ' ' || head[to - 1] == '\t')) {
                to--;
            }
            return length == headLength
                    && to - from == 3
                    && head[from] == 'e'
                    && head[from + 1] == 'n'
                    && head[from + 2] == 'd';
        }
    }

    /** A file decoded line by line from a text as it is read: {@link #fill} decodes the next line. */
    private abstract static class LineDecoding extends BulkInputStream {
        final Lines lines;
        final Budget budget;
        final byte[] decoded;
        int position;
        int available;
        boolean ended;
        /** Whether a line of text (not the end of the text) ended the file: it may begin the next. */
        boolean endedByText;

        LineDecoding(Lines lines, Budget budget, int lineBytes) {
            this.lines = lines;
            this.budget = budget;
            this.decoded = new byte[lineBytes];
        }

        /** Decodes the next line into {@link #decoded}; {@code false} (and {@link #ended}) at the file's end. */
        abstract boolean fill() throws IOException;

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            while (position == available) {
                if (ended || !fill()) {
                    return -1;
                }
            }
            int n = Math.min(len, available - position);
            System.arraycopy(decoded, position, b, off, n);
            position += n;
            return n;
        }
    }

    /** One uuencoded file (see the class description). */
    private static final class UuDecoding extends LineDecoding {

        UuDecoding(Lines lines, Budget budget) {
            super(lines, budget, 64);
        }

        @Override
        boolean fill() throws IOException {
            if (!lines.next()) {
                ended = true;
                return false;
            }
            if (lines.headLength == 0 || lines.isEnd()) {
                ended = true;
                return false;
            }
            if (lines.begin() != null) {
                ended = true;
                endedByText = true;
                return false;
            }
            available = uuDecodeLine(lines.head, lines.headLength, decoded);
            position = 0;
            budget.decoded(Encoding.UUENCODE, available);
            return true;
        }
    }

    /** One yEnc file (see the class description). */
    private static final class YDecoding extends LineDecoding {
        YDecoding(Lines lines, Budget budget) {
            super(lines, budget, LINE_HEAD);
        }

        @Override
        boolean fill() throws IOException {
            if (!lines.next()) {
                ended = true;
                return false;
            }
            if (lines.startsWith("=yend size=") || lines.begin() != null) {
                ended = true;
                endedByText = true;
                return false;
            }
            position = 0;
            available = 0;
            if (lines.length > lines.headLength) {
                budget.lineTooLong();
                throw new LimitException(TOO_LONG);
            }
            for (int k = 0; k < lines.headLength; k++) {
                int c = lines.head[k] & 0xff;
                if (c == 0) {
                    break; // Thunderbird reads a line as a C string: it ends at a NUL
                }
                if (c == '=') {
                    if (k + 1 < lines.headLength) {
                        c = (lines.head[++k] & 0xff) - 64;
                    } else if (lines.ending >= 0) {
                        // an escape at the line's end escapes the character that ends it, as Thunderbird decodes it
                        c = lines.ending - 64;
                    } else {
                        break;
                    }
                }
                decoded[available++] = (byte) (c - 42);
            }
            budget.decoded(Encoding.YENC, available);
            return true;
        }
    }

    /** One BinHex 4.0 file (see the class description): its decoded bytes, then its header and forks. */
    private static final class BinHex {
        private static final String ALPHABET = "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr";
        /** Each byte's six bits, or -1 for a byte outside the alphabet. */
        private static final byte[] VALUES = new byte[256];
        /** CRC-16 CCITT (polynomial 0x1021) of each byte value. */
        private static final int[] CRC_TABLE = new int[256];
        /** The run-length marker. */
        private static final int MARKER = 0x90;

        static {
            java.util.Arrays.fill(VALUES, (byte) -1);
            for (int i = 0; i < ALPHABET.length(); i++) {
                VALUES[ALPHABET.charAt(i)] = (byte) i;
            }
            for (int i = 0; i < 256; i++) {
                int c = i << 8;
                for (int k = 0; k < 8; k++) {
                    c = (c & 0x8000) != 0 ? (c << 1) ^ 0x1021 : c << 1;
                }
                CRC_TABLE[i] = c & 0xffff;
            }
        }

        private final Lines lines;
        private final Budget budget;
        /** The bytes the current line decoded to, after the run-length decoding. */
        private byte[] out = new byte[256];

        private int position;
        private int available;
        /** Bits not yet making a byte, and how many. */
        private int bits;

        private int bitCount;
        /** The byte a run repeats (-1 before the first), and whether a marker waits for its count. */
        private int last = -1;

        private boolean marker;
        /** Whether the closing colon or the end of the text was reached. */
        private boolean closed;
        /** The file's name from its header, cut at a NUL and stripped; empty until the header is read. */
        String name = "";

        private long resourceLength;

        BinHex(Lines lines, Budget budget) {
            this.lines = lines;
            this.budget = budget;
        }

        /**
         * Reads the lines after the banner up to the first that is not blank: {@code true} (and its bytes decoded) when
         * it starts with {@code :}, else {@code false} with that line (or the end of the text) current.
         */
        boolean start() throws IOException {
            while (lines.next()) {
                if (!lines.isBlank()) {
                    if (lines.headLength == 0 || lines.head[0] != ':') {
                        return false;
                    }
                    decodeLine(1);
                    return true;
                }
            }
            return false;
        }

        /** Reads the header; returns the data fork. */
        InputStream header() throws IOException {
            int n = next("the header");
            byte[] h = new byte[1 + n + 1 + 4 + 4 + 2 + 4 + 4];
            h[0] = (byte) n;
            for (int k = 1; k < h.length; k++) {
                h[k] = (byte) next("the header");
            }
            int crc = 0;
            for (byte b : h) {
                crc = crc(crc, b);
            }
            String raw = new String(h, 1, n, StandardCharsets.ISO_8859_1);
            int nul = raw.indexOf('\0');
            String given = (nul >= 0 ? raw.substring(0, nul) : raw).strip();
            if (storedCrc("the header") != crc) {
                throw broken("the header's CRC does not match");
            }
            name = given;
            int lengths = 1 + n + 1 + 4 + 4 + 2;
            long dataLength = u32(h, lengths);
            resourceLength = u32(h, lengths + 4);
            return new Fork(dataLength, "data fork");
        }

        /** Reads the resource fork and its CRC, through the budget. */
        void finish(byte[] buffer) throws IOException {
            Fork resource = new Fork(resourceLength, "resource fork");
            while (resource.read(buffer, 0, buffer.length) >= 0) {
                // checked, not scanned: other systems than the Mac drop it
            }
        }

        private BrokenException broken(String what) {
            return new BrokenException("BinHex file" + (name.isEmpty() ? "" : " \"" + name + "\"") + ": " + what
                    + " (a broken BinHex file)");
        }

        private static int crc(int crc, byte b) {
            return ((crc << 8) ^ CRC_TABLE[((crc >> 8) ^ b) & 0xff]) & 0xffff;
        }

        private static long u32(byte[] b, int at) {
            return ((b[at] & 0xffL) << 24)
                    | ((b[at + 1] & 0xff) << 16)
                    | ((b[at + 2] & 0xff) << 8)
                    | (b[at + 3] & 0xff);
        }

        private int storedCrc(String where) throws IOException {
            return (next(where) << 8) | next(where);
        }

        /** The next decoded byte; a {@link BrokenException} naming {@code where} when the file ends before it. */
        private int next(String where) throws IOException {
            while (position == available) {
                if (!more()) {
                    throw broken("cut short in " + where);
                }
            }
            return out[position++] & 0xff;
        }

        /** Decodes the next line; {@code false} after the closing colon or at the end of the text. */
        private boolean more() throws IOException {
            if (closed || !lines.next()) {
                closed = true;
                return false;
            }
            decodeLine(0);
            return true;
        }

        /** Decodes the current line from {@code at} into {@link #out}, and tells the budget of its bytes. */
        private void decodeLine(int at) throws IOException {
            if (lines.length > lines.headLength) {
                throw broken("a line longer than " + LINE_HEAD + " characters");
            }
            position = 0;
            available = 0;
            for (int k = at; k < lines.headLength; k++) {
                int c = lines.head[k] & 0xff;
                if (c == ':') {
                    closed = true;
                    break;
                }
                if (c == ' ' || c == '\t') {
                    continue;
                }
                int v = VALUES[c];
                if (v < 0) {
                    throw broken(String.format(java.util.Locale.ROOT, "byte 0x%02x is not a BinHex character", c));
                }
                bits = (bits << 6) | v;
                bitCount += 6;
                if (bitCount >= 8) {
                    bitCount -= 8;
                    unpacked((bits >> bitCount) & 0xff);
                    bits &= (1 << bitCount) - 1;
                }
            }
            budget.decoded(Encoding.BINHEX, available);
        }

        /** Run-length decodes one byte of the six-bit layer into {@link #out}. */
        private void unpacked(int b) throws BrokenException {
            if (marker) {
                marker = false;
                if (b == 0) {
                    put(MARKER);
                    last = MARKER;
                } else if (last < 0) {
                    throw broken("a run with no byte before it");
                } else {
                    for (int k = 1; k < b; k++) {
                        put(last);
                    }
                }
            } else if (b == MARKER) {
                marker = true;
            } else {
                put(b);
                last = b;
            }
        }

        private void put(int b) {
            if (available == out.length) {
                out = java.util.Arrays.copyOf(out, out.length * 2);
            }
            out[available++] = (byte) b;
        }

        /** A fork: its bytes, then its CRC, checked when the fork is read to its end. */
        private final class Fork extends BulkInputStream {
            private final String what;
            private long remaining;
            private int crc;
            private boolean checked;
            /** Whether the stored CRC did not match: every later read says so again. */
            private boolean mismatch;

            Fork(long length, String what) {
                this.remaining = length;
                this.what = what;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                Objects.checkFromIndexSize(off, len, b.length);
                if (len == 0) {
                    return 0;
                }
                if (remaining == 0) {
                    if (!checked) {
                        mismatch = storedCrc("the " + what + "'s CRC") != crc;
                        checked = true;
                    }
                    if (mismatch) {
                        // again at every read: a reader that took the first for a broken archive inside says so
                        throw broken("the " + what + "'s CRC does not match");
                    }
                    return -1;
                }
                while (position == available) {
                    if (!more()) {
                        throw broken("cut short in the " + what + " (" + remaining + " bytes missing)");
                    }
                }
                int n = (int) Math.min(Math.min(len, available - position), remaining);
                System.arraycopy(out, position, b, off, n);
                for (int k = 0; k < n; k++) {
                    crc = crc(crc, out[position + k]);
                }
                position += n;
                remaining -= n;
                return n;
            }
        }
    }

    /**
     * Decodes one uuencoded line into {@code out} (at least 63 bytes) as {@code uudecode} does: the first character,
     * masked to six bits, gives the byte count, then every four characters give three bytes; characters missing at the
     * end (blanks a mailer stripped) read as zero.
     *
     * @return the number of bytes decoded (0 for the zero-length line before {@code end})
     */
    static int uuDecodeLine(byte[] line, int len, byte[] out) {
        int count = (line[0] - ' ') & 0x3f;
        int written = 0;
        for (int at = 1; written < count; at += 4) {
            int v0 = sixBits(line, len, at);
            int v1 = sixBits(line, len, at + 1);
            int v2 = sixBits(line, len, at + 2);
            int v3 = sixBits(line, len, at + 3);
            out[written++] = (byte) ((v0 << 2) | (v1 >> 4));
            if (written < count) {
                out[written++] = (byte) (((v1 & 0xf) << 4) | (v2 >> 2));
            }
            if (written < count) {
                out[written++] = (byte) (((v2 & 0x3) << 6) | v3);
            }
        }
        return written;
    }

    private static int sixBits(byte[] line, int len, int at) {
        return at < len ? (line[at] - ' ') & 0x3f : 0;
    }
}
