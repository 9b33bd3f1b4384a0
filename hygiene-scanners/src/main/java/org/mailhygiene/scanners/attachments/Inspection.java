package org.mailhygiene.scanners.attachments;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.mailhygiene.scanners.mime.CmsContent;

/**
 * The checks for one message: each MIME leaf and each archive entry is an "item" with a location, maybe a name and a
 * declared type, and content. Not thread-safe: one per scan.
 */
final class Inspection {
    /** Extensions that make a preceding real extension look like a disguise when they come before it. */
    private static final Set<String> DECOYS = Set.of(
            "txt", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "pdf", "rtf", "jpg", "jpeg", "gif", "png", "bmp", "tif",
            "tiff", "htm", "html", "zip", "rar", "mp3", "wav", "avi", "mpg", "mpeg", "eml", "msg", "csv", "xml", "log",
            "dat");

    private static final long RATIO_FLOOR = 1024L * 1024;

    /** The type content detection gives a CMS {@code signedData} structure. */
    private static final String PKCS7_SIGNATURE = "application/pkcs7-signature";
    /** The type RFC 5751 declares an opaque signature (or an encrypted message) with. */
    private static final String PKCS7_MIME = "application/pkcs7-mime";

    private final AttachmentPolicy policy;
    private final List<AttachmentFinding> findings = new ArrayList<>();
    private final byte[] drainBuffer = new byte[8192];

    Inspection(AttachmentPolicy policy) {
        this.policy = policy;
    }

    List<AttachmentFinding> findings() {
        return findings;
    }

    void add(String rule, String location, String description) {
        findings.add(new AttachmentFinding(rule, location, description));
    }

    /**
     * Checks one MIME leaf part, opening it when it is an archive.
     *
     * @param location e.g. {@code part 2 "a.zip"}
     * @param name the file name, if any
     * @param declared the declared base type, if any
     * @param in the decoded content
     * @throws IOException if reading the content fails
     */
    void part(String location, Optional<String> name, Optional<String> declared, InputStream in) throws IOException {
        Budget budget = new Budget();
        try {
            item(location, name, declared, in, 0, budget);
        } catch (LimitReached e) {
            add(
                    AttachmentPolicyScanner.ARCHIVE_LIMIT,
                    location,
                    location + ": " + e.getMessage() + "; the rest was not inspected");
        }
    }

    private void item(
            String location, Optional<String> name, Optional<String> declared, InputStream in, int depth, Budget budget)
            throws IOException {
        byte[] prefix = in.readNBytes(TrueTypes.PREFIX); // as long as the content up to the prefix: small for small
        int n = prefix.length;
        String trueType = TrueTypes.detect(prefix, n);
        Optional<String> cleanName = name.map(Inspection::windowsName).filter(s -> !s.isEmpty());
        Optional<String> ext = cleanName.flatMap(Inspection::extension);
        Optional<String> declaredType = declared.map(d -> d.toLowerCase(Locale.ROOT));

        names(location, cleanName, declaredType, Optional.of(trueType));
        // S/MIME (RFC 5751 3): a CMS structure declared or named pkcs7-mime, which detection calls pkcs7-signature
        // whatever it holds, and nothing at all when it is shorter than 128 bytes (a short-form length). When it can be
        // read the names agree, and what it is decides (sMime)
        boolean opaque = (trueType.equals(PKCS7_SIGNATURE) || trueType.equals("application/octet-stream"))
                && (declaredType
                                .map(TrueTypes::normalize)
                                .filter(PKCS7_MIME::equals)
                                .isPresent()
                        || cleanName
                                .flatMap(TrueTypes::typeForName)
                                .filter(PKCS7_MIME::equals)
                                .isPresent());
        CmsRead read = opaque ? readCms(location, prefix, n, in) : null;
        Optional<CmsContent.Content> signed = read == null ? Optional.empty() : read.cms();
        // what follows the prefix: the stream, or the bytes read for the CMS structure when it was not one
        InputStream body = read == null ? in : new ByteArrayInputStream(read.whole(), n, read.whole().length - n);
        java.util.function.Predicate<String> agrees =
                t -> agree(t, trueType) || (signed.isPresent() && t.equals(PKCS7_MIME));
        if (policy.typeMismatchCheck() && !TrueTypes.isVague(trueType)) {
            List<String> mismatch = new ArrayList<>();
            declaredType
                    .map(TrueTypes::normalize)
                    .filter(d -> !TrueTypes.isVague(d) && !agrees.test(d))
                    .ifPresent(d -> mismatch.add("declared as " + d));
            cleanName
                    .flatMap(TrueTypes::typeForName)
                    .filter(t -> !agrees.test(t))
                    .ifPresent(t -> mismatch.add("named as " + t + " (." + ext.orElse("") + ")"));
            if (!mismatch.isEmpty()) {
                add(
                        AttachmentPolicyScanner.MISMATCH,
                        location,
                        location + ": content is " + trueType + " but " + String.join(" and ", mismatch)
                                + (opaque ? " (S/MIME data that cannot be read)" : ""));
            }
        }
        if (signed.isPresent()) {
            sMime(location, signed.get());
            return; // a CMS structure: neither an archive nor text that could hold uuencoded files
        }
        if (depth == 0
                && !TrueTypes.isZip(trueType)
                && (isTextual(trueType)
                        || declaredType.isEmpty()
                        || declaredType.get().equals("text/plain"))) {
            uuencoded(location, new SequenceInputStream(new ByteArrayInputStream(prefix, 0, n), body), budget);
            return;
        }
        if (TrueTypes.isZip(trueType)) {
            if (depth >= policy.maxArchiveDepth()) {
                add(
                        AttachmentPolicyScanner.ARCHIVE_LIMIT,
                        location,
                        location + ": archive nested deeper than " + policy.maxArchiveDepth() + " levels; not opened");
                return;
            }
            InputStream whole = new SequenceInputStream(new ByteArrayInputStream(prefix, 0, n), body);
            zip(location, whole, depth + 1, budget);
        } else if (TrueTypes.isVague(trueType)
                && (declaredType.map(TrueTypes::normalize).filter(ZIP::equals).isPresent()
                        || cleanName
                                .flatMap(TrueTypes::typeForName)
                                .filter(ZIP::equals)
                                .isPresent())) {
            // unzip, 7-Zip and Python find a zip behind other bytes by its directory at the end; its entries cannot
            // be inspected here, and a zip a mailer made starts as one
            add(
                    AttachmentPolicyScanner.ARCHIVE_BROKEN,
                    location,
                    location + ": named or declared a zip archive, but its content does not start as one (archive"
                            + " tools find a zip behind other bytes; its entries cannot be inspected)");
        }
    }

    private static final String ZIP = "application/zip";

    /**
     * Checks the name and declared type of an opaque S/MIME signature whose content the walker opened (the content's
     * parts are inspected as parts of the message): a blocked name or declared type, or a double extension, is found
     * as on any part.
     *
     * @param location e.g. {@code part 2 "smime.p7m"}
     * @param name the file name, if any
     * @param declared the declared base type, if any
     */
    void signature(String location, Optional<String> name, Optional<String> declared) {
        names(
                location,
                name.map(Inspection::windowsName).filter(s -> !s.isEmpty()),
                declared.map(d -> d.toLowerCase(Locale.ROOT)),
                Optional.empty());
    }

    /** The checks by name and type: a blocked extension, true type or declared type; a double extension. */
    private void names(
            String location, Optional<String> cleanName, Optional<String> declaredType, Optional<String> trueType) {
        Optional<String> ext = cleanName.flatMap(Inspection::extension);
        List<String> why = new ArrayList<>();
        ext.filter(policy::isBlockedExtension).ifPresent(e -> why.add("by name (." + e + ")"));
        trueType.filter(this::isBlockedType).ifPresent(t -> why.add("by content (" + t + ")"));
        declaredType.filter(this::isBlockedType).ifPresent(d -> why.add("by declared type (" + d + ")"));
        if (!why.isEmpty()) {
            add(
                    AttachmentPolicyScanner.EXECUTABLE,
                    location,
                    location + ": executable or script " + String.join(", ", why));
        }
        if (policy.doubleExtensionCheck()) {
            cleanName
                    .flatMap(this::doubleExtension)
                    .ifPresent(d -> add(AttachmentPolicyScanner.DOUBLE, location, location + ": " + d));
        }
    }

    /**
     * What an S/MIME structure that could be read and that the walker left a leaf is: an encrypted message's content
     * cannot be checked ({@code ENCRYPTED_ARCHIVE}; with {@code check smime off} {@code NOT_INSPECTED}, never clean);
     * an opaque signature left a leaf was not opened (larger than {@link
     * org.mailhygiene.scanners.mime.MimeWalker#MAX_SMIME_BYTES}, or declared as something else than S/MIME), so its
     * content was not inspected: an {@code ARCHIVE_LIMIT}. The signatures the walker opens are inspected through their
     * content's parts ({@link #signature}).
     */
    private void sMime(String location, CmsContent.Content cms) {
        switch (cms.kind()) {
            case ENCRYPTED -> {
                if (policy.smimeCheck()) {
                    add(
                            AttachmentPolicyScanner.ENCRYPTED,
                            location,
                            location + ": S/MIME encrypted message whose content cannot be checked");
                } else {
                    add(
                            AttachmentPolicyScanner.NOT_INSPECTED,
                            location,
                            location + ": S/MIME encrypted message; its content was not inspected (smime check off)");
                }
            }
            case SIGNED ->
                add(
                        AttachmentPolicyScanner.ARCHIVE_LIMIT,
                        location,
                        location + ": opaque S/MIME signature that was not opened; its content was not inspected");
            case DETACHED -> {
                // a signature without its content (certificates only): nothing to inspect
            }
        }
    }

    /** An S/MIME part's bytes (the prefix included), and the CMS structure they make, if they make one. */
    private record CmsRead(Optional<CmsContent.Content> cms, byte[] whole) {}

    /**
     * An S/MIME part's CMS structure, read whole (up to the policy's expanded-bytes bound: larger is a limit, and the
     * content is not inspected), or empty when the part is not a readable structure.
     */
    private CmsRead readCms(String location, byte[] prefix, int n, InputStream in) throws IOException {
        long bound = policy.maxExpandedBytes();
        byte[] rest = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 16L, bound + 1 - n));
        if ((long) n + rest.length > bound) {
            add(
                    AttachmentPolicyScanner.ARCHIVE_LIMIT,
                    location,
                    location + ": S/MIME data larger than " + bound + " bytes; its content was not inspected");
            while (in.read(drainBuffer) >= 0) {
                // drained, so the walker goes on with the next part
            }
            return new CmsRead(Optional.empty(), java.util.Arrays.copyOf(prefix, n));
        }
        byte[] whole = java.util.Arrays.copyOf(prefix, n + rest.length);
        System.arraycopy(rest, 0, whole, n, rest.length);
        return new CmsRead(CmsContent.read(whole), whole);
    }

    /** The most files uuencoded into one part that are inspected: 100 (a mail holds a handful). */
    static final int MAX_UUENCODED_FILES = 100;

    /** Bytes kept of the start and of the end of a text line while looking for uuencoded files. */
    private static final int LINE_HEAD = 1024;

    private static final int LINE_TAIL = 256;

    /**
     * Looks for files uuencoded into plain text ({@code begin 644 name}, then the encoded lines, then {@code end}), as
     * old mailers and Usenet clients write them and mail clients (Thunderbird among them) still show them as
     * attachments: each is decoded as it is read and inspected as an attachment of that name, at its own location
     * ({@code part 1 > uuencoded "a.exe"}), even when empty (its name alone can be blocked). Lines end at LF, CRLF or a
     * bare CR; encoded lines are decoded as {@code uudecode} does (every character masked to six bits, characters
     * missing at the end read as zero). Each file counts as an archive entry (and at most {@value #MAX_UUENCODED_FILES}
     * are inspected: more is an archive limit), its bytes against the expanded-size limit. Linear in the text; reads it
     * to its end.
     */
    private void uuencoded(String location, InputStream text, Budget budget) throws IOException {
        TextLines lines = new TextLines(text);
        Begin begin = null;
        while (true) {
            if (begin == null) {
                if (!lines.next()) {
                    return;
                }
                begin = lines.begin();
                continue;
            }
            budget.entries++;
            if (budget.entries > policy.maxArchiveEntries() || ++budget.uuencodedFiles > MAX_UUENCODED_FILES) {
                throw new LimitReached("more than " + Math.min(policy.maxArchiveEntries(), MAX_UUENCODED_FILES)
                        + " uuencoded or yEnc files (or archive entries)");
            }
            LineDecoding file = begin.yEnc() ? new YDecoding(lines, budget) : new UuDecoding(lines, budget);
            Optional<String> name = Optional.of(begin.name()).filter(n -> !n.isEmpty());
            String where = location
                    + (begin.yEnc() ? " > yEnc " : " > uuencoded ")
                    + name.map(n -> "\"" + n + "\"").orElse("file without a name");
            item(where, name, Optional.empty(), file, 1, budget);
            while (file.read(drainBuffer, 0, drainBuffer.length) >= 0) {
                // the rest of the file, through the budget
            }
            // the line that ended the file ("end", "=yend", an empty line, the next file's begin line) or the end of
            // the text: a begin line starts the next file
            begin = file.endedByText ? lines.begin() : null;
        }
    }

    /**
     * A line that begins a file in text, as Thunderbird's untyped-text parser recognises one: uuencode or yEnc, and the
     * file's name (empty when the line gives none: Thunderbird shows the file without a name).
     */
    record Begin(boolean yEnc, String name) {}

    /** The lines of a text, each kept as its first {@value #LINE_HEAD} and last {@value #LINE_TAIL} bytes. */
    static final class TextLines {
        private final InputStream in;
        private final byte[] buffer = new byte[8192];
        private int position;
        private int limit;
        final byte[] head = new byte[LINE_HEAD];
        final byte[] tail = new byte[LINE_TAIL];
        int headLength;
        long length;
        private boolean pendingCr;

        TextLines(InputStream in) {
            this.in = in;
        }

        /** Reads the next line; {@code false} at the end of the text. */
        boolean next() throws IOException {
            headLength = 0;
            length = 0;
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
                tail[(int) (length % LINE_TAIL)] = (byte) c;
                length++;
                c = read();
            }
            pendingCr = c == '\r';
            return true;
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
                return new Begin(false, name);
            }
            name = yBegin();
            return name == null ? null : new Begin(true, name);
        }

        /**
         * The rest of the line from {@code at}, up to a NUL (Thunderbird copies the name as a C string), stripped;
         * empty when nothing is left.
         */
        private String nameFrom(int at) {
            String name;
            if (length <= head.length) {
                name = new String(head, at, headLength - at, StandardCharsets.ISO_8859_1);
            } else {
                // a name longer than the kept start: its end, where the extension is
                byte[] end = new byte[LINE_TAIL];
                for (int k = 0; k < LINE_TAIL; k++) {
                    end[k] = tail[(int) ((length + k) % LINE_TAIL)];
                }
                name = new String(end, StandardCharsets.ISO_8859_1);
            }
            int nul = name.indexOf('\0');
            return (nul >= 0 ? name.substring(0, nul) : name).strip();
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
    private abstract static class LineDecoding extends InputStream {
        final TextLines lines;
        final Budget budget;
        final byte[] decoded;
        int position;
        int available;
        boolean ended;
        /** Whether a line of text (not the end of the text) ended the file: it may begin the next. */
        boolean endedByText;

        LineDecoding(TextLines lines, Budget budget, int lineBytes) {
            this.lines = lines;
            this.budget = budget;
            this.decoded = new byte[lineBytes];
        }

        /** Decodes the next line into {@link #decoded}; {@code false} (and {@link #ended}) at the file's end. */
        abstract boolean fill() throws IOException;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
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

    /**
     * One uuencoded file as a stream, decoded line by line from the text as it is read, as {@code uudecode} decodes:
     * a line's first character gives its byte count (masked to six bits), every four characters three bytes. Ends at
     * the {@code end} line, an empty line, the next file's begin line (uuencode or yEnc) or the end of the text. Its
     * bytes count against the expanded-size limit.
     */
    private final class UuDecoding extends LineDecoding {

        UuDecoding(TextLines lines, Budget budget) {
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
            budget.expanded += available;
            if (budget.expanded > policy.maxExpandedBytes()) {
                throw new LimitReached("uuencoded text decodes beyond " + policy.maxExpandedBytes() + " bytes");
            }
            return true;
        }
    }

    /**
     * One yEnc file as a stream, decoded line by line as Thunderbird decodes one it finds in plain text: every byte
     * less 42, one after {@code =} less 64 more; ends at the {@code =yend size=} line, the next file's begin line
     * (uuencode or yEnc: Thunderbird's parser looks for one on every line) or the end of the text. A line longer than
     * the {@value #LINE_HEAD} bytes kept of it is a limit (yEnc writes 128 or 256). Its bytes count against the
     * expanded-size limit.
     */
    private final class YDecoding extends LineDecoding {
        YDecoding(TextLines lines, Budget budget) {
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
                throw new LimitReached("a yEnc line longer than " + LINE_HEAD + " characters");
            }
            for (int k = 0; k < lines.headLength; k++) {
                int c = lines.head[k] & 0xff;
                if (c == '=' && k + 1 < lines.headLength) {
                    c = (lines.head[++k] & 0xff) - 64;
                }
                decoded[available++] = (byte) (c - 42);
            }
            budget.expanded += available;
            if (budget.expanded > policy.maxExpandedBytes()) {
                throw new LimitReached("yEnc text decodes beyond " + policy.maxExpandedBytes() + " bytes");
            }
            return true;
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

    private void zip(String location, InputStream raw, int depth, Budget budget) throws IOException {
        Counting compressed = new Counting(raw);
        ZipInputStream z = new ZipInputStream(compressed, StandardCharsets.ISO_8859_1);
        while (true) {
            ZipEntry e;
            try {
                e = z.getNextEntry();
            } catch (LimitReached ex) {
                throw ex;
            } catch (IOException ex) {
                String msg = String.valueOf(ex.getMessage());
                if (msg.contains("encrypted")) {
                    if (policy.encryptedArchiveCheck()) {
                        add(
                                AttachmentPolicyScanner.ENCRYPTED,
                                location,
                                location + ": archive holds an encrypted entry whose content cannot be checked");
                    } else {
                        add(
                                AttachmentPolicyScanner.NOT_INSPECTED,
                                location,
                                location + ": archive holds an encrypted entry; it and any entries after it were not"
                                        + " inspected (encrypted-archive check off)");
                    }
                } else {
                    add(AttachmentPolicyScanner.ARCHIVE_BROKEN, location, location + ": broken archive: " + msg);
                }
                return;
            } catch (IllegalArgumentException ex) {
                add(
                        AttachmentPolicyScanner.ARCHIVE_BROKEN,
                        location,
                        location + ": broken archive: " + ex.getMessage());
                return;
            }
            if (e == null) {
                return;
            }
            budget.entries++;
            if (budget.entries > policy.maxArchiveEntries()) {
                throw new LimitReached("more than " + policy.maxArchiveEntries() + " archive entries");
            }
            if (e.isDirectory()) {
                continue;
            }
            String entryName = e.getName();
            int slash = Math.max(entryName.lastIndexOf('/'), entryName.lastIndexOf('\\'));
            String base = entryName.substring(slash + 1);
            String entryLocation = location + " > " + entryName;
            Expanding entry = new Expanding(z, compressed, budget);
            try {
                item(entryLocation, Optional.of(base), Optional.empty(), entry, depth, budget);
                while (entry.read(drainBuffer, 0, drainBuffer.length) >= 0) {
                    // drain through the budget so skipped bytes count against the limits too
                }
            } catch (LimitReached ex) {
                throw ex;
            } catch (IOException ex) {
                // A failure to read the message itself is rethrown by the walker after the walk.
                add(
                        AttachmentPolicyScanner.ARCHIVE_BROKEN,
                        entryLocation,
                        entryLocation + ": broken archive entry: " + ex);
                return;
            }
        }
    }

    private boolean isBlockedType(String type) {
        String t = TrueTypes.normalize(type);
        for (String allowed : policy.allowedTypes()) {
            if (TrueTypes.isA(t, allowed)) {
                return false;
            }
        }
        for (String blocked : policy.blockedTypes()) {
            if (TrueTypes.isA(t, blocked)) {
                return true;
            }
        }
        return false;
    }

    private static boolean agree(String a, String b) {
        return TrueTypes.compatible(a, b) || (isTextual(a) && isTextual(b));
    }

    /**
     * Text by any name: {@code text/*}, XML, and the {@code message/*} types and {@code application/mbox}, which are
     * lines of header fields and text (a bounce declares its returned header {@code text/rfc822-headers} and
     * detection reads it as {@code message/rfc822}; a patch made by {@code git format-patch} opens with an mbox
     * {@code From} line and is read as {@code application/mbox}). Only text agrees with text this way: binary content
     * declared as text still disagrees.
     */
    private static boolean isTextual(String t) {
        return t.startsWith("text/")
                || t.startsWith("message/")
                || t.equals("application/mbox")
                || t.endsWith("+xml")
                || t.endsWith("/xml");
    }

    /** Windows ignores trailing dots and blanks in file names, so {@code a.exe. } runs as {@code a.exe}. */
    static String windowsName(String name) {
        String s = name;
        int slash = Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\'));
        s = s.substring(slash + 1);
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == '.' || Character.isWhitespace(s.charAt(end - 1)))) {
            end--;
        }
        return s.substring(0, end);
    }

    static Optional<String> extension(String name) {
        int dot = name.lastIndexOf('.');
        if (dot < 0 || dot == name.length() - 1) {
            return Optional.empty();
        }
        return Optional.of(name.substring(dot + 1).strip().toLowerCase(Locale.ROOT));
    }

    private Optional<String> doubleExtension(String name) {
        Optional<String> last = extension(name);
        if (last.isEmpty() || !policy.isBlockedExtension(last.get())) {
            return Optional.empty();
        }
        String stem = name.substring(0, name.lastIndexOf('.'));
        if (stem.length() != stem.stripTrailing().length()
                && stem.length() - stem.stripTrailing().length() >= 3) {
            return Optional.of("blanks hide the real extension ." + last.get());
        }
        Optional<String> previous = extension(stem.stripTrailing());
        if (previous.isPresent() && DECOYS.contains(previous.get())) {
            return Optional.of("double extension ." + previous.get() + "." + last.get()
                    + " disguises an executable as a ." + previous.get() + " file");
        }
        return Optional.empty();
    }

    /** Limits shared by one attachment and every archive nested in it. */
    private static final class Budget {
        long expanded;
        int entries;
        int uuencodedFiles;
    }

    /** A limit was reached; the attachment's inspection stops. */
    private static final class LimitReached extends IOException {
        private static final long serialVersionUID = 1L;

        LimitReached(String message) {
            super(message);
        }
    }

    /** Counts the compressed bytes an archive reader consumed, and the bytes expanded from that archive. */
    private static final class Counting extends FilterInputStream {
        long count;
        long expanded;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = in.skip(n);
            count += s;
            return s;
        }

        @Override
        public void close() {
            // the archive's source is owned by the caller
        }
    }

    /** An entry's expanded bytes, counted against the budget; reaching a limit throws {@link LimitReached}. */
    private final class Expanding extends InputStream {
        private final ZipInputStream zip;
        private final Counting compressed;
        private final Budget budget;

        Expanding(ZipInputStream zip, Counting compressed, Budget budget) {
            this.zip = zip;
            this.compressed = compressed;
            this.budget = budget;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = zip.read(b, off, len);
            if (n > 0) {
                budget.expanded += n;
                compressed.expanded += n;
                if (budget.expanded > policy.maxExpandedBytes()) {
                    throw new LimitReached(
                            "archive expands beyond " + policy.maxExpandedBytes() + " bytes (possible zip bomb)");
                }
                if (compressed.expanded > RATIO_FLOOR
                        && compressed.expanded > (double) policy.maxExpansionRatio() * Math.max(1, compressed.count)) {
                    throw new LimitReached("archive expands more than " + policy.maxExpansionRatio()
                            + " times its compressed size (possible zip bomb)");
                }
            }
            return n;
        }

        @Override
        public void close() {
            // entries are closed by moving to the next one
        }
    }
}
