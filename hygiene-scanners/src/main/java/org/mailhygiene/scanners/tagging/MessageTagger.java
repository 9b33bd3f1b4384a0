package org.mailhygiene.scanners.tagging;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.Disposition;
import org.mailhygiene.api.policy.Header;

/**
 * Writes a message with a {@link Disposition} applied, streaming: the header section is read field by field, and the
 * body is copied byte for byte without being parsed or re-encoded.
 *
 * <p>What changes, and nothing else:
 * <ol>
 *   <li><b>Subject tag.</b> When the disposition has a {@linkplain Disposition#subjectTag() subject tag} (e.g.
 *       {@code [SPAM]}), the first {@code Subject} field becomes {@code Subject: <tag> <original value>}. The original
 *       value's bytes are kept as they were, so RFC 2047 encoded words ({@code =?ISO-2022-JP?B?...?=},
 *       {@code =?UTF-8?Q?...?=}) stay valid 7-bit text whose decoded form is the tag, a space, and the original
 *       text. Leading white space and a fold right after the colon are replaced by the single space. An empty
 *       {@code Subject} becomes {@code Subject: <tag>}; a message without one gets {@code Subject: <tag>} added with
 *       the other header fields. A value that already starts with the tag is left alone, so tagging twice (two relays)
 *       does not stack tags. If the first line would exceed 998 characters, the tag is followed by a fold.
 *   <li><b>Neutralising.</b> Header fields that arrived from outside and look like ours are renamed so that no filter
 *       downstream mistakes them for this relay's verdict: every {@code X-Spam-<rest>} field (except
 *       {@code X-Spam-Original-*}) becomes {@code X-Spam-Original-<rest>} (so {@code X-Spam-Flag: YES} becomes
 *       {@code X-Spam-Original-Flag: YES}), and any other field with the name of a header the disposition adds
 *       becomes {@code X-Original-<name without its X- prefix>} (so {@code X-Virus-Status} becomes
 *       {@code X-Original-Virus-Status}). Only the name changes; the value bytes are kept. Renaming rather than
 *       removing keeps the evidence for an administrator.
 *   <li><b>Added fields.</b> The disposition's {@linkplain Disposition#headers() headers} are appended at the end of
 *       the header section, in order, folded at white space (and after commas in long rule lists) to lines of about
 *       78 characters, with the message's own line ending (CRLF, or LF if the first line ends in a bare LF). The
 *       exception is {@code Authentication-Results} (the {@code auth} scanner's field): a trace field, which RFC 8601
 *       section 5 asks a verifier to add at the top of the header section, as {@code Received} is; it goes above the
 *       first header field (below a leading mbox {@code From } line), in order, where the milter inserts it too.
 * </ol>
 *
 * <p>Lines of the header section that are neither a field nor a continuation (an mbox {@code From } line, junk) are
 * copied unchanged and do not end the header section; it ends at the first empty line, or at the end of input for a
 * message without body. A single header field longer than 1 MiB is refused with an {@link IOException}.
 *
 * <p>Stateless and thread-safe.
 */
public final class MessageTagger {
    /** The longest header field (with its continuation lines) accepted: 1 MiB. */
    public static final int MAX_FIELD_LENGTH = 1 << 20;

    private static final int FOLD_AT = 78;
    private static final int MAX_LINE = 998;
    private static final String SPAM_PREFIX = "x-spam-";
    private static final String SPAM_ORIGINAL_PREFIX = "x-spam-original-";
    private static final String AUTH_RESULTS = "authentication-results";

    private MessageTagger() {}

    /**
     * Thrown by {@link #apply} for a header field longer than {@link #MAX_FIELD_LENGTH}: the message cannot be marked,
     * as opposed to a failure to read or write it.
     */
    public static final class FieldTooLongException extends IOException {
        private static final long serialVersionUID = 1L;

        /**
         * Creates the exception.
         *
         * @param message what was too long
         */
        public FieldTooLongException(String message) {
            super(message);
        }
    }

    /**
     * Folds one header field as this project writes the fields it adds, in the style of SpamAssassin's own
     * {@code X-Spam-Status} and of Postfix's {@code Received}: lines of about 78 characters, broken at a space or tab
     * (which the line break replaces) or after a comma (a long {@code tests=} list), every continuation line starting
     * with one tab. Unfolding (RFC 5322: removing the line breaks) gives back the value with a tab where a space was
     * broken at and a tab after a comma broken after. A piece without a place to break stays whole on its line. A run
     * of blanks is broken at its last blank only, and blanks that end the value are never broken at, so no line holds
     * only white space.
     * Linear in the field's length.
     *
     * @param name the field name
     * @param value the field value, without leading space
     * @return {@code Name: value} folded, lines separated by a bare LF (no line end after the last line)
     */
    public static String fold(String name, String value) {
        String text = name + ": " + value;
        StringBuilder out = new StringBuilder(text.length() + 16);
        int lineStart = 0; // index in out where the current line starts
        int i = 0;
        boolean first = true;
        while (i < text.length()) {
            int next = nextBreak(text, i, first ? name.length() + 2 : i + 1);
            int from = i;
            int lineLength = out.length() - lineStart;
            boolean atWhiteSpace = text.charAt(from) == ' ' || text.charAt(from) == '\t';
            // after a fold the line is the tab and the piece without its white space: never longer than the piece
            if (lineLength > 1 && lineLength + (next - from) > FOLD_AT) {
                out.append('\n');
                lineStart = out.length();
                out.append('\t');
                if (atWhiteSpace) {
                    from++; // the fold takes the place of the white space, as SpamAssassin's folding does
                }
            }
            out.append(text, from, next);
            i = next;
            first = false;
        }
        return out.toString();
    }

    /**
     * The next place to break at: before the last space or tab of a run of them that something other than white space
     * follows, or after a comma (when white space follows the comma, before the last of it, by the same rule); never
     * before {@code min}. Blanks that end the value, or all but the last of a run, are no place to break: the fold
     * takes the place of one blank, and a fold there left a line holding only the tab (or the tab and blanks), which
     * some readers take for the end of the header.
     */
    private static int nextBreak(String text, int from, int min) {
        for (int j = Math.max(from + 1, min); j < text.length(); j++) {
            boolean blank = isBlank(text.charAt(j));
            boolean blankFollows = j + 1 < text.length() && isBlank(text.charAt(j + 1));
            if (blank ? j + 1 < text.length() && !blankFollows : text.charAt(j - 1) == ',') {
                return j;
            }
        }
        return text.length();
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }

    /**
     * Whether the disposition accepts a clean message and its only change is the informational spam status a
     * scoring scanner gave ({@code X-Spam-Flag: NO}, {@code X-Spam-Score}, {@code X-Spam-Status}): no subject tag,
     * no other field. Such a message may be delivered unchanged when it cannot be marked (a header field over
     * {@link #MAX_FIELD_LENGTH}, an MTA that forbids a milter's header changes) rather than be refused for ever: the
     * status explains a verdict, it is not a mark the message must carry. Thread-safe.
     *
     * @param d a disposition
     * @return whether only the clean status would be added
     */
    public static boolean onlyCleanStatus(Disposition d) {
        if (d.action() != Action.ACCEPT
                || d.subjectTag().isPresent()
                || d.headers().isEmpty()) {
            return false;
        }
        for (Header h : d.headers()) {
            String name = h.name().toLowerCase(Locale.ROOT);
            boolean status = name.equals("x-spam-score")
                    || name.equals("x-spam-status")
                    || (name.equals("x-spam-flag") && h.value().equalsIgnoreCase("NO"));
            if (!status) {
                return false;
            }
        }
        return true;
    }

    /**
     * Writes {@code original} to {@code out} with the disposition's subject tag and headers applied and look-alike
     * headers neutralised (see the class description). Neither stream is closed; {@code out} is flushed.
     *
     * @param d the disposition; its action is not consulted, only its subject tag and headers
     * @param original the message as received (RFC 5322, CRLF or LF line ends)
     * @param out where the tagged message goes
     * @throws IOException if reading or writing fails
     * @throws FieldTooLongException if a header field exceeds {@link #MAX_FIELD_LENGTH}
     * @throws NullPointerException if an argument is {@code null}
     */
    public static void apply(Disposition d, InputStream original, OutputStream out) throws IOException {
        Objects.requireNonNull(d, "disposition");
        Objects.requireNonNull(original, "original");
        Objects.requireNonNull(out, "out");
        new Run(d, original, out).run();
    }

    /** The state of one application. */
    private static final class Run {
        private final Disposition d;
        private final InputStream in;
        private final OutputStream out;
        private final Set<String> addedNames = new HashSet<>();
        private final byte[] tag;
        private byte[] eol;
        private boolean subjectSeen;
        private boolean lastEndedWithNewline = true;
        private boolean topWritten;

        Run(Disposition d, InputStream original, OutputStream out) {
            this.d = d;
            this.in = new BufferedInputStream(original, 16 * 1024);
            this.out = out;
            for (Header h : d.headers()) {
                addedNames.add(h.name().toLowerCase(Locale.ROOT));
            }
            this.tag = d.subjectTag()
                    .map(t -> t.getBytes(StandardCharsets.US_ASCII))
                    .orElse(null);
        }

        void run() throws IOException {
            ByteArrayOutputStream field = null;
            byte[] line;
            byte[] blank = null;
            while ((line = readLine()) != null) {
                if (eol == null) {
                    eol = endsWith(line, "\r\n") || !endsWith(line, "\n") ? crlf() : lf();
                }
                if (isBlankLine(line)) {
                    blank = line;
                    break;
                }
                if ((line[0] == ' ' || line[0] == '\t') && field != null) {
                    if (field.size() + line.length > MAX_FIELD_LENGTH) {
                        throw new FieldTooLongException("header field longer than " + MAX_FIELD_LENGTH + " bytes");
                    }
                    field.write(line);
                    continue;
                }
                if (field != null) {
                    writeField(field.toByteArray());
                }
                field = new ByteArrayOutputStream(Math.max(64, line.length));
                field.write(line);
            }
            if (field != null) {
                writeField(field.toByteArray());
            }
            if (eol == null) {
                eol = crlf();
            }
            if (!lastEndedWithNewline) {
                out.write(eol);
            }
            writeTop();
            if (tag != null && !subjectSeen) {
                writeAscii("Subject: ");
                out.write(tag);
                out.write(eol);
            }
            for (Header h : d.headers()) {
                if (!isTop(h)) {
                    writeFolded(h);
                }
            }
            if (blank != null) {
                out.write(blank);
                in.transferTo(out);
            }
            out.flush();
        }

        private void writeField(byte[] field) throws IOException {
            int colon = nameEnd(field);
            if (colon >= 0) {
                writeTop(); // what came before (a leading mbox From line) always ends in a line end
            }
            lastEndedWithNewline = field[field.length - 1] == '\n';
            if (colon < 0) {
                out.write(field); // not a header field: copied as it is
                return;
            }
            int nameLength = colon;
            while (nameLength > 0 && (field[nameLength - 1] == ' ' || field[nameLength - 1] == '\t')) {
                nameLength--;
            }
            String name = new String(field, 0, nameLength, StandardCharsets.ISO_8859_1);
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.equals("subject") && tag != null && !subjectSeen) {
                subjectSeen = true;
                writeTaggedSubject(field, colon);
                return;
            }
            String renamed = null;
            if (lower.startsWith(SPAM_PREFIX) && !lower.startsWith(SPAM_ORIGINAL_PREFIX)) {
                renamed = name.substring(0, SPAM_PREFIX.length()) + "Original-" + name.substring(SPAM_PREFIX.length());
            } else if (addedNames.contains(lower)) {
                renamed = lower.startsWith("x-") ? "X-Original-" + name.substring(2) : "X-Original-" + name;
            }
            if (renamed == null) {
                out.write(field);
                return;
            }
            writeAscii(renamed);
            out.write(field, nameLength, field.length - nameLength);
        }

        /** Writes the trace fields that go on top, once: before the first header field or the other additions. */
        private void writeTop() throws IOException {
            if (topWritten) {
                return;
            }
            topWritten = true;
            for (Header h : d.headers()) {
                if (isTop(h)) {
                    writeFolded(h);
                }
            }
        }

        private static boolean isTop(Header h) {
            return h.name().equalsIgnoreCase(AUTH_RESULTS);
        }

        private void writeTaggedSubject(byte[] field, int colon) throws IOException {
            int p = colon + 1;
            // skip white space and folds directly after the colon
            while (p < field.length) {
                if (field[p] == ' ' || field[p] == '\t') {
                    p++;
                } else if (field[p] == '\r' && p + 2 < field.length && field[p + 1] == '\n' && isWsp(field[p + 2])) {
                    p += 2;
                } else if (field[p] == '\n' && p + 1 < field.length && isWsp(field[p + 1])) {
                    p += 1;
                } else {
                    break;
                }
            }
            int restStart = p;
            int firstLineEnd = restStart;
            while (firstLineEnd < field.length && field[firstLineEnd] != '\r' && field[firstLineEnd] != '\n') {
                firstLineEnd++;
            }
            boolean empty = firstLineEnd == restStart && !continues(field, firstLineEnd);
            out.write(field, 0, colon + 1);
            if (!empty && startsWithTag(field, restStart)) {
                out.write(field, colon + 1, field.length - colon - 1); // already tagged
                return;
            }
            out.write(' ');
            out.write(tag);
            if (empty) {
                out.write(field, firstLineEnd, field.length - firstLineEnd); // its line end, if any
                return;
            }
            if (colon + 2 + tag.length + 1 + (firstLineEnd - restStart) > MAX_LINE) {
                out.write(eol);
            }
            out.write(' ');
            out.write(field, restStart, field.length - restStart);
        }

        private static boolean continues(byte[] field, int lineEnd) {
            int p = lineEnd;
            if (p < field.length && field[p] == '\r') {
                p++;
            }
            if (p < field.length && field[p] == '\n') {
                p++;
            }
            return p < field.length && isWsp(field[p]);
        }

        private boolean startsWithTag(byte[] field, int at) {
            if (at + tag.length > field.length) {
                return false;
            }
            for (int i = 0; i < tag.length; i++) {
                if (field[at + i] != tag[i]) {
                    return false;
                }
            }
            int after = at + tag.length;
            return after == field.length || isWsp(field[after]) || field[after] == '\r' || field[after] == '\n';
        }

        private void writeFolded(Header h) throws IOException {
            String[] lines = fold(h.name(), h.value()).split("\n", -1);
            for (String line : lines) {
                writeAscii(line);
                out.write(eol);
            }
        }

        private byte[] readLine() throws IOException {
            ByteArrayOutputStream line = null;
            while (true) {
                int c = in.read();
                if (c < 0) {
                    return line == null ? null : line.toByteArray();
                }
                if (line == null) {
                    line = new ByteArrayOutputStream(80);
                }
                if (line.size() >= MAX_FIELD_LENGTH) {
                    throw new FieldTooLongException("header line longer than " + MAX_FIELD_LENGTH + " bytes");
                }
                line.write(c);
                if (c == '\n') {
                    return line.toByteArray();
                }
            }
        }

        private void writeAscii(String s) throws IOException {
            out.write(s.getBytes(StandardCharsets.ISO_8859_1));
        }

        /** Index of the colon ending a valid field name, or -1. */
        private static int nameEnd(byte[] field) {
            int i = 0;
            while (i < field.length) {
                byte b = field[i];
                if (b == ':') {
                    break;
                }
                if (b < 33 || b > 126) {
                    break;
                }
                i++;
            }
            if (i == 0 || i == field.length) {
                return -1;
            }
            if (field[i] == ':') {
                return i;
            }
            int j = i; // obsolete syntax: white space between name and colon
            while (j < field.length && isWsp(field[j])) {
                j++;
            }
            return j < field.length && field[j] == ':' ? j : -1;
        }

        private static boolean isWsp(byte b) {
            return b == ' ' || b == '\t';
        }

        private static boolean isBlankLine(byte[] line) {
            return (line.length == 1 && line[0] == '\n') || (line.length == 2 && line[0] == '\r' && line[1] == '\n');
        }

        private static boolean endsWith(byte[] line, String suffix) {
            byte[] s = suffix.getBytes(StandardCharsets.US_ASCII);
            if (line.length < s.length) {
                return false;
            }
            for (int i = 0; i < s.length; i++) {
                if (line[line.length - s.length + i] != s[i]) {
                    return false;
                }
            }
            return true;
        }

        private static byte[] crlf() {
            return new byte[] {'\r', '\n'};
        }

        private static byte[] lf() {
            return new byte[] {'\n'};
        }
    }
}
