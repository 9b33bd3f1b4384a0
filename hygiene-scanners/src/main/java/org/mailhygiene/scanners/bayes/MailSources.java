package org.mailhygiene.scanners.bayes;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import org.mailhygiene.internal.Buffers;
import org.mailhygiene.scanners.mime.MimeWalker;

/**
 * Reads labelled training mail from the places mail lives: a directory of message files ({@code .eml} or any name,
 * searched recursively), a Maildir (a directory with {@code cur} and {@code new}; {@code tmp} is skipped), or an mbox
 * file (messages separated by {@code From } lines, {@code >From} unescaped). A file whose first line starts with
 * {@code From } is read as mbox wherever it is found. Hidden files and directories (names starting with a dot, such as a
 * Maildir++ folder {@code .Junk} under the Maildir named, and Dovecot's {@code .dovecot.lda-dupes}) are skipped: name
 * one to read it. A file that does not open like mail ({@link #opensLikeMessage}: a mail server's index such as
 * {@code dovecot-uidlist}, a compressed mbox) is skipped and reported to {@link Visitor#skipped}, as are empty files,
 * never read as a message. Files are visited in name order, so runs are repeatable.
 *
 * <p>Stateless and thread-safe.
 */
public final class MailSources {
    /** Messages larger than this (32 MiB) are skipped and reported to {@link Visitor#skipped}, as are empty files. */
    public static final long MAX_MESSAGE_BYTES = 32L * 1024 * 1024;

    /**
     * The reason {@link Visitor#skipped} is given for an mbox message of nothing but line breaks (an envelope line
     * with no message after it, as a cut or half-written mailbox ends): learned, it would count as a message of its
     * label; scanned, every scanner would call it clean.
     */
    public static final String EMPTY_MESSAGE = "empty, not a message";

    /**
     * The reason {@link Visitor#skipped} is given for a file that does not open like mail ({@link #opensLikeMessage}):
     * a mail server's own files in a Maildir ({@code dovecot-uidlist}, {@code subscriptions}, indexes), a text or
     * binary file. A compressed file is named as such instead ({@link #compression}).
     */
    public static final String NOT_MAIL =
            "not a mail message (it does not open with a header field or an mbox From line)";

    private MailSources() {}

    /** Receives the messages found. */
    public interface Visitor {
        /**
         * One message.
         *
         * @param id where it came from: the file path, with {@code #n} for the n-th message of an mbox
         * @param message the raw message bytes
         * @throws IOException if the visitor fails; reading stops
         */
        void message(String id, byte[] message) throws IOException;

        /**
         * A file or message that was not read, and why. By default ignored.
         *
         * @param id the file path or mbox message
         * @param reason why
         */
        default void skipped(String id, String reason) {}
    }

    /**
     * Visits every message under a path.
     *
     * @param source a directory, Maildir or mbox file
     * @param visitor receives the messages
     * @return the number of messages visited
     * @throws IOException if the source cannot be read or the visitor fails
     * @throws java.nio.file.NoSuchFileException if the source does not exist
     */
    public static long forEach(Path source, Visitor visitor) throws IOException {
        Objects.requireNonNull(visitor, "visitor");
        if (!Files.exists(source)) {
            throw new java.nio.file.NoSuchFileException(source.toString(), null, "no such file or directory");
        }
        if (Files.isRegularFile(source)) {
            return file(source, visitor);
        }
        long n = 0;
        for (Path file : files(source)) {
            String unread = unreadable(file);
            if (unread != null) {
                visitor.skipped(file.toString(), unread);
            } else {
                n += file(file, visitor);
            }
        }
        return n;
    }

    /**
     * Whether a file begins with an mbox separator line ({@code From }), as {@link #forEach} tells an mbox from a
     * single message.
     *
     * @param file the file
     * @return {@code true} if its first five bytes are {@code From }
     * @throws IOException if it cannot be read
     */
    public static boolean startsWithFromLine(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return startsWith(in.readNBytes(5), "From ");
        }
    }

    /**
     * Counts the messages under a path without keeping them (for progress reports).
     *
     * @param source a directory, Maildir or mbox file
     * @return the number of messages
     * @throws IOException if the source cannot be read
     */
    public static long count(Path source) throws IOException {
        return forEach(source, (id, m) -> {});
    }

    /**
     * How many messages a file's content holds as {@link #forEach} reads a file: those of an mbox when it starts with
     * {@code From }, else one. The learn tools, which take one message per file, use it to refuse an mbox of several.
     *
     * @param content the file's bytes
     * @return the number of messages, those too large to read included (0 for empty content)
     */
    public static long messagesIn(byte[] content) {
        try {
            return messagesIn(new java.io.ByteArrayInputStream(content));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("reading bytes in memory cannot fail", e);
        }
    }

    /**
     * {@link #messagesIn(byte[])} over a stream, read once to its end (only when it starts with {@code From }; else
     * after its first bytes), each message held in memory at most up to {@link #MAX_MESSAGE_BYTES}.
     *
     * @param content the content; not closed
     * @return the number of messages, those too large to read included (0 for empty content)
     * @throws IOException if the content cannot be read
     */
    public static long messagesIn(InputStream content) throws IOException {
        InputStream in = content.markSupported() ? content : new BufferedInputStream(content);
        in.mark(5);
        byte[] head = in.readNBytes(5);
        if (head.length == 0) {
            return 0;
        }
        if (!startsWith(head, "From ")) {
            return 1;
        }
        in.reset();
        long[] found = {0};
        mbox("", in, new Visitor() {
            @Override
            public void message(String id, byte[] message) {
                found[0]++;
            }

            @Override
            public void skipped(String id, String reason) {
                found[0]++; // too large to learn, but a message all the same
            }
        });
        return found[0];
    }

    /**
     * Whether content opens like a message: after any empty lines, with a header field ({@code Name: value}, as
     * {@link MimeWalker#isHeaderField} reads it) or an mbox {@code From } line; empty lines only count too (a message
     * with neither header nor body). A binary or a text file does not.
     *
     * @param content the content
     * @return whether it opens like a message
     */
    public static boolean opensLikeMessage(byte[] content) {
        int i = 0;
        while (i < content.length && (content[i] == '\r' || content[i] == '\n')) {
            i++;
        }
        int end = i;
        while (end < content.length && end - i < 1000 && content[end] != '\r' && content[end] != '\n') {
            end++;
        }
        String first = new String(content, i, end - i, StandardCharsets.ISO_8859_1);
        return i == content.length || first.startsWith("From ") || MimeWalker.isHeaderField(first);
    }

    /**
     * The compression a file's first bytes show, for a compressed mailbox given where mail was expected (it was read as
     * one message of binary bytes, which every scanner called clean and train learned): {@code gzip}, {@code bzip2},
     * {@code xz} or {@code zstd}.
     *
     * @param head the file's first bytes (six or more tell every format; fewer may tell none)
     * @return the format's name, or empty when the bytes start none of them
     */
    public static java.util.Optional<String> compression(byte[] head) {
        Objects.requireNonNull(head, "head");
        if (head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
            return java.util.Optional.of("gzip");
        }
        if (head.length >= 4 && startsWith(head, "BZh") && head[3] >= '1' && head[3] <= '9') {
            return java.util.Optional.of("bzip2");
        }
        if (head.length >= 6
                && (head[0] & 0xff) == 0xfd
                && head[1] == '7'
                && head[2] == 'z'
                && head[3] == 'X'
                && head[4] == 'Z'
                && head[5] == 0) {
            return java.util.Optional.of("xz");
        }
        if (head.length >= 4
                && (head[0] & 0xff) == 0x28
                && (head[1] & 0xff) == 0xb5
                && (head[2] & 0xff) == 0x2f
                && (head[3] & 0xff) == 0xfd) {
            return java.util.Optional.of("zstd");
        }
        return java.util.Optional.empty();
    }

    private static List<Path> files(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        // a source named through a symbolic link is the directory it leads to (the walk does not follow a link, even
        // the one it starts at: such a source gave no message at all); files keep the name given
        Path start = Files.isSymbolicLink(dir) ? dir.toRealPath() : dir;
        try (Stream<Path> s = Files.walk(start).map(p -> dir.resolve(start.relativize(p)))) {
            // directories are walked, not read; anything else that is not a regular file is listed, to be said
            s.filter(p -> !p.equals(dir) && !Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                    .filter(p -> !hidden(dir, p))
                    .filter(p -> !isMaildirTmp(p))
                    .sorted()
                    .forEach(out::add);
        } catch (java.io.UncheckedIOException e) {
            // a subdirectory that may not be listed: the I/O error it is (it escaped as "internal error ... a bug")
            throw e.getCause();
        }
        return out;
    }

    /**
     * Why a path found in a directory is not read, or {@code null} for a regular file (a symbolic link to one
     * included): a symbolic link to a directory is not followed (it may lead back into the tree), and a broken link, a
     * loop of links, a FIFO or a device is no message file. Each was passed over in silence, the mail behind a link not
     * learned without a word.
     */
    private static String unreadable(Path p) {
        if (Files.isRegularFile(p)) {
            return null;
        }
        if (Files.isDirectory(p)) {
            return "a symbolic link to a directory, not followed (name it to read what it holds)";
        }
        if (Files.isSymbolicLink(p) && !Files.exists(p)) {
            return "a broken symbolic link or a loop of them";
        }
        return "not a regular file (a FIFO, socket or device)";
    }

    private static boolean hidden(Path root, Path p) {
        for (Path part : root.relativize(p)) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static boolean isMaildirTmp(Path p) {
        Path parent = p.getParent();
        return parent != null
                && parent.getFileName() != null
                && parent.getFileName().toString().equals("tmp")
                && Files.isDirectory(parent.resolveSibling("cur"))
                && Files.isDirectory(parent.resolveSibling("new"));
    }

    private static long file(Path file, Visitor visitor) throws IOException {
        long size = Files.size(file);
        if (size == 0) {
            // a delivery that crashed, a placeholder: learned, it would count as a message of its label
            visitor.skipped(file.toString(), "an empty file, not a message");
            return 0;
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), Buffers.forSize(size, 1 << 16))) {
            in.mark(8);
            byte[] start = in.readNBytes(8);
            in.reset();
            if (startsWith(start, "From ")) {
                return mbox(file.toString(), in, visitor);
            }
            java.util.Optional<String> compressed = compression(start);
            if (compressed.isPresent()) {
                visitor.skipped(file.toString(), compressed.get() + "-compressed, not a message (decompress it first)");
                return 0;
            }
            if (size > MAX_MESSAGE_BYTES) {
                visitor.skipped(file.toString(), "larger than " + MAX_MESSAGE_BYTES + " bytes");
                return 0;
            }
            byte[] message = in.readAllBytes();
            if (!opensLikeMessage(message)) {
                // dovecot-uidlist, subscriptions, an index: learned, it would count as a message of its label
                visitor.skipped(file.toString(), NOT_MAIL);
                return 0;
            }
            visitor.message(file.toString(), message);
            return 1;
        }
    }

    /**
     * How much of a line {@link #mbox} holds at a time: a longer line is read in pieces of this size, so that a file
     * of one huge line (no line break in 200 MB) costs no more memory than a message of {@link #MAX_MESSAGE_BYTES}
     * (the whole line was held, and such a file ran the scan out of memory). No separator line is this long.
     */
    static final int LINE_PIECE = 64 * 1024;

    /**
     * Splits an mbox: its first line, and a line starting with "From " after an empty line that also holds a date
     * ({@link #holdsDate}: {@code From sender Tue Dec  1 10:00:00 2026}, the envelope line every mbox writer adds),
     * begins a message, and so does an envelope line of the exact form mbox writers give it ({@link #isEnvelopeLine})
     * where no empty line precedes it (Netscape and old Mozilla wrote none). A body paragraph opening "From the desk of
     * ..." or "From 9:00 to 17:00 ..." in a message saved without mboxrd's {@code >} is not a separator.
     *
     * <p>A message whose header has one {@code Content-Length} field (mboxcl2, as Solaris mail and some MDAs write,
     * leaving body lines that start with "From " unescaped) ends where that length says, when the length holds: the body
     * ends at a line end there, and what follows is the end of the file or, after empty lines, a "From " line. Then a
     * line inside the body is never a separator (an envelope line a sender wrote into his body cut his message in two,
     * each part scanned apart: a MIME header in one, the attachment it announces in the next). A length that does not
     * hold is ignored, and the message is split as any other.
     *
     * <p>Lines are read in pieces of at most {@link #LINE_PIECE} bytes; a line longer than that is never a separator, and
     * the bytes of a message past {@link #MAX_MESSAGE_BYTES} are not kept.
     */
    private static long mbox(String name, InputStream in, Visitor visitor) throws IOException {
        MboxReader reader = new MboxReader(name, visitor);
        byte[] line;
        while ((line = readLine(in, LINE_PIECE)) != null) {
            reader.line(line);
        }
        return reader.end();
    }

    /** The state of {@link #mbox}: one instance per file. */
    private static final class MboxReader {
        private final String name;
        private final Visitor visitor;
        private MessageBuffer current;
        private boolean previousEmpty = true;
        private boolean tooLarge;
        private boolean continuation; // the piece read continues a line longer than LINE_PIECE
        private long n; // messages visited
        private long position; // messages met, skipped ones included: FILE#N names the N-th message of the file
        private boolean inHeader; // the current message's header, up to its first empty line
        private long declared = -1; // the header's Content-Length while it may hold, else -1
        private boolean lengths; // the header had a Content-Length field (a second one voids both)
        private long bodyRead; // the body's bytes as in the file, while a Content-Length is followed
        private boolean atLength; // the body ended at the declared length: only empty lines or a From line may follow
        private final List<int[]> candidates = new ArrayList<>(); // separator lines the length kept in the body

        MboxReader(String name, Visitor visitor) {
            this.name = name;
            this.visitor = visitor;
        }

        void line(byte[] line) throws IOException {
            // a whole line ends with its line break, or with the file (a piece of LINE_PIECE bytes may go on)
            boolean whole = !continuation && (line[line.length - 1] == '\n' || line.length < LINE_PIECE);
            boolean empty = whole
                    && (line.length == 0
                            || (line.length == 1 && line[0] == '\n')
                            || (line.length == 2 && line[0] == '\r' && line[1] == '\n'));
            // an envelope line in the form mbox writers give it also separates without an empty line before it:
            // Netscape and old Mozilla wrote "From - Mon Jun  3 12:50:27 1996" straight after the last line of the
            // message before (the next message, .exe and all, was read as that one's epilogue and never inspected)
            boolean separator = whole
                    && startsWith(line, "From ")
                    && ((previousEmpty && (current == null || holdsDate(line)))
                            || (current != null && current.size() > 0 && isEnvelopeLine(line)));
            if (declared >= 0 && atLength && !empty) {
                if (whole && startsWith(line, "From ")) {
                    separator = true; // the length held: the next message's envelope line
                } else {
                    unfollowLength(); // something else after the body: the length is wrong
                }
            } else if (declared >= 0 && separator && !tooLarge) {
                separator = false; // inside the declared body; split here after all if the length turns out wrong
                candidates.add(new int[] {current.size(), current.size() + line.length});
            }
            if (separator) {
                if (current != null) {
                    n += emit(name, position++, current.bytes(), 0, current.size(), tooLarge, visitor);
                }
                current = new MessageBuffer();
                tooLarge = false;
                previousEmpty = false;
                inHeader = true;
                declared = -1;
                lengths = false;
                atLength = false;
                candidates.clear();
                return;
            }
            previousEmpty = empty;
            boolean startOfLine = !continuation;
            continuation = line[line.length - 1] != '\n';
            if (current == null) {
                return;
            }
            if (inHeader) {
                header(line, startOfLine, empty);
            } else if (declared >= 0 && !atLength) {
                bodyRead += line.length;
                if (bodyRead == declared && (line[line.length - 1] == '\n' || line.length < LINE_PIECE)) {
                    atLength = true;
                } else if (bodyRead >= declared) {
                    write(line, startOfLine);
                    unfollowLength(); // the declared length ends inside a line
                    return;
                }
            }
            write(line, startOfLine);
        }

        private void header(byte[] line, boolean startOfLine, boolean empty) {
            if (empty) {
                inHeader = false;
                bodyRead = 0;
                atLength = declared == 0;
                return;
            }
            if (startOfLine && line.length > 15) {
                String text = new String(line, 0, Math.min(line.length, 64), StandardCharsets.ISO_8859_1);
                if (text.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                    String value = text.substring(15).trim();
                    boolean digits = !value.isEmpty()
                            && value.length() <= 12
                            && value.chars().allMatch(c -> c >= '0' && c <= '9');
                    declared = digits && !lengths ? Long.parseLong(value) : -1;
                    lengths = true;
                }
            }
        }

        private void write(byte[] line, boolean startOfLine) {
            if (tooLarge) {
                return;
            }
            int off = 0;
            if (startOfLine && line.length > 1 && line[0] == '>') { // mboxrd: ">From " and ">>From " lose one '>'
                int i = 0;
                while (i < line.length && line[i] == '>') {
                    i++;
                }
                if (startsWith(java.util.Arrays.copyOfRange(line, i, line.length), "From ")) {
                    off = 1;
                }
            }
            current.write(line, off, line.length - off);
            if (current.size() > MAX_MESSAGE_BYTES) {
                tooLarge = true;
                candidates.clear();
                current = new MessageBuffer(); // its bytes are not kept, only that it was too large
            }
        }

        /**
         * The Content-Length did not hold: the message is split where the separators the length had kept in its body
         * stand, as a message without the field is; the last part goes on as the current message.
         */
        private void unfollowLength() throws IOException {
            declared = -1;
            atLength = false;
            if (candidates.isEmpty()) {
                return;
            }
            byte[] b = current.bytes();
            int from = 0;
            for (int[] c : candidates) {
                n += emit(name, position++, b, from, c[0] - from, false, visitor);
                from = c[1];
            }
            candidates.clear();
            MessageBuffer rest = new MessageBuffer();
            rest.write(b, from, current.size() - from);
            current = rest;
        }

        long end() throws IOException {
            if (declared >= 0 && !atLength) {
                unfollowLength(); // the file ends before the declared length
            }
            if (current != null) {
                n += emit(name, position++, current.bytes(), 0, current.size(), tooLarge, visitor);
            }
            return n;
        }
    }

    /** A message being read, whose bytes are copied out once (without the mbox's own line end). */
    private static final class MessageBuffer extends ByteArrayOutputStream {
        /** The buffer itself, valid up to {@link #size()}. */
        byte[] bytes() {
            return buf;
        }
    }

    private static int emit(String name, long index, byte[] b, int from, int length, boolean tooLarge, Visitor visitor)
            throws IOException {
        String id = name + "#" + (index + 1);
        if (tooLarge) {
            visitor.skipped(id, "larger than " + MAX_MESSAGE_BYTES + " bytes");
            return 0;
        }
        // the empty line before the next separator belongs to the mbox, not to the message
        int end = from + length;
        if (length >= 4 && b[end - 2] == '\r' && b[end - 1] == '\n' && b[end - 4] == '\r' && b[end - 3] == '\n') {
            end -= 2;
        } else if (length >= 2 && b[end - 1] == '\n' && b[end - 2] == '\n') {
            end -= 1;
        }
        boolean blank = true;
        for (int i = from; i < end && blank; i++) {
            blank = b[i] == '\r' || b[i] == '\n';
        }
        if (blank) {
            visitor.skipped(id, EMPTY_MESSAGE);
            return 0;
        }
        visitor.message(id, java.util.Arrays.copyOfRange(b, from, end));
        return 1;
    }

    /**
     * Whether content is an mbox (it starts with {@code From }) that holds no message: every message in it is
     * {@link #EMPTY_MESSAGE} (an envelope line and nothing else, say). The learn tools, which take a file whole, refuse
     * such a file as they refuse an empty one.
     *
     * @param content the file's bytes
     * @return whether it is an mbox without a message
     */
    public static boolean isMboxWithoutMessage(byte[] content) {
        if (!startsWith(content, "From ")) {
            return false;
        }
        boolean[] some = {false};
        try {
            mbox("", new java.io.ByteArrayInputStream(content), new Visitor() {
                @Override
                public void message(String id, byte[] message) {
                    some[0] = true;
                }

                @Override
                public void skipped(String id, String reason) {
                    some[0] |= !EMPTY_MESSAGE.equals(reason);
                }
            });
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("reading bytes in memory cannot fail", e);
        }
        return !some[0];
    }

    private static final String[] MONTHS = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
    };

    /**
     * Whether a line holds the date of an envelope line, as every mbox writer puts it there ({@code Tue Dec  1
     * 10:00:00 2026}, RFC 2822's {@code Tue, 1 Dec 2026 10:00:00 +0000} too): a time of day ({@link #holdsTime}), a
     * month's abbreviated English name as a word and a year of four digits. A time alone split an unescaped body
     * paragraph such as "From 9:00 to 17:00 the office is closed." into a message of its own.
     */
    static boolean holdsDate(byte[] line) {
        if (!holdsTime(line)) {
            return false;
        }
        String text = new String(line, StandardCharsets.ISO_8859_1);
        boolean month = false;
        for (String m : MONTHS) {
            int at = text.indexOf(m);
            while (at >= 0 && !month) {
                month = (at == 0 || !Character.isLetter(text.charAt(at - 1)))
                        && (at + 3 == text.length() || !Character.isLetter(text.charAt(at + 3)));
                at = text.indexOf(m, at + 1);
            }
        }
        if (!month) {
            return false;
        }
        for (int i = 0; i + 4 <= text.length(); i++) {
            if ((i == 0 || !isDigit(line[i - 1]))
                    && (line[i] == '1' || line[i] == '2')
                    && isDigit(line[i + 1])
                    && isDigit(line[i + 2])
                    && isDigit(line[i + 3])
                    && (i + 4 == line.length || !isDigit(line[i + 4]))) {
                return true;
            }
        }
        return false;
    }

    /**
     * An envelope line in the exact form mbox writers give it, {@code From SENDER Www Mmm dd hh:mm[:ss] [ZONE] yyyy}
     * (ctime's date after one word, {@code -} for Netscape and Mozilla), with nothing but a UUCP {@code remote from
     * HOST} after the year. Such a line separates messages even where no empty line precedes it; a body paragraph
     * ("From Dec 3 at 10:00 until Dec 5 2026 ...") does not have this form.
     */
    private static final java.util.regex.Pattern ENVELOPE = java.util.regex.Pattern.compile(
            "From \\S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) +(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
                    + " +\\d{1,2} +\\d{1,2}:\\d\\d(?::\\d\\d)?(?: +[A-Z]{3,5}| +[+-]\\d{4})? +\\d{4}"
                    + "(?: +remote from \\S+)? *\\r?\\n?");

    /** Whether a line is an envelope line of the exact form {@link #ENVELOPE} describes. */
    static boolean isEnvelopeLine(byte[] line) {
        return line.length <= 200
                && ENVELOPE.matcher(new String(line, StandardCharsets.ISO_8859_1))
                        .matches();
    }

    /** Whether a line holds a time of day: a digit, a colon and two digits ({@code 9:05}, {@code 10:00:00}). */
    static boolean holdsTime(byte[] line) {
        for (int i = 0; i + 3 < line.length; i++) {
            if (line[i + 1] == ':' && isDigit(line[i]) && isDigit(line[i + 2]) && isDigit(line[i + 3])) {
                return true;
            }
        }
        return false;
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    private static boolean startsWith(byte[] line, String prefix) {
        if (line.length < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (line[i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * One line including its line end, or its first {@code max} bytes when it is longer (the next call returns the
     * rest of it), or {@code null} at the end.
     */
    private static byte[] readLine(InputStream in, int max) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        int c = 0;
        while (line.size() < max && (c = in.read()) >= 0) {
            line.write(c);
            if (c == '\n') {
                break;
            }
        }
        return line.size() == 0 && c < 0 ? null : line.toByteArray();
    }
}
