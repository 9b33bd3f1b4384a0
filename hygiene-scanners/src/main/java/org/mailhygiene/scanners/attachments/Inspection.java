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
        byte[] prefix = new byte[TrueTypes.PREFIX];
        int n = in.readNBytes(prefix, 0, prefix.length);
        String trueType = TrueTypes.detect(prefix, n);
        Optional<String> cleanName = name.map(Inspection::windowsName).filter(s -> !s.isEmpty());
        Optional<String> ext = cleanName.flatMap(Inspection::extension);
        Optional<String> declaredType = declared.map(d -> d.toLowerCase(Locale.ROOT));

        List<String> why = new ArrayList<>();
        ext.filter(policy::isBlockedExtension).ifPresent(e -> why.add("by name (." + e + ")"));
        if (isBlockedType(trueType)) {
            why.add("by content (" + trueType + ")");
        }
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
        if (policy.typeMismatchCheck() && !TrueTypes.isVague(trueType)) {
            List<String> mismatch = new ArrayList<>();
            declaredType
                    .map(TrueTypes::normalize)
                    .filter(d -> !TrueTypes.isVague(d) && !agree(d, trueType))
                    .ifPresent(d -> mismatch.add("declared as " + d));
            cleanName
                    .flatMap(TrueTypes::typeForName)
                    .filter(t -> !agree(t, trueType))
                    .ifPresent(t -> mismatch.add("named as " + t + " (." + ext.orElse("") + ")"));
            if (!mismatch.isEmpty()) {
                add(
                        AttachmentPolicyScanner.MISMATCH,
                        location,
                        location + ": content is " + trueType + " but " + String.join(" and ", mismatch));
            }
        }
        if (depth == 0 && (trueType.equals("text/plain") || trueType.equals("text/x-uuencode"))) {
            uuencoded(location, new SequenceInputStream(new ByteArrayInputStream(prefix, 0, n), in), budget);
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
            InputStream whole = new SequenceInputStream(new ByteArrayInputStream(prefix, 0, n), in);
            zip(location, whole, depth + 1, budget);
        }
    }

    /** The longest line read whole when looking for uuencoded files in text; the rest of a longer line is skipped. */
    private static final int MAX_TEXT_LINE = 1024;

    /**
     * Looks for files uuencoded into plain text ({@code begin 644 name}, then the encoded lines, then {@code end}), as
     * old mailers and Usenet clients write them and mail clients (Thunderbird among them) still show them as
     * attachments: each is decoded and inspected as an attachment of that name, at its own location
     * ({@code part 1 > uuencoded "a.exe"}). Its decoded bytes count against the expanded-size limit. Linear in the
     * text; reads it to its end.
     */
    private void uuencoded(String location, InputStream text, Budget budget) throws IOException {
        byte[] line = new byte[MAX_TEXT_LINE];
        java.io.ByteArrayOutputStream file = null;
        String fileName = null;
        while (true) {
            int len = readLine(text, line);
            if (len < 0) {
                break;
            }
            if (file == null) {
                fileName = uuBegin(line, len);
                if (fileName != null) {
                    file = new java.io.ByteArrayOutputStream();
                }
                continue;
            }
            if (uuDecodeLine(line, len, file)) {
                budget.expanded += file.size() - budget.pending;
                budget.pending = file.size();
                if (budget.expanded > policy.maxExpandedBytes()) {
                    throw new LimitReached("uuencoded text decodes beyond " + policy.maxExpandedBytes() + " bytes");
                }
                continue;
            }
            inspectUuencoded(location, fileName, file, budget);
            file = null;
            fileName = uuBegin(line, len); // "end", or text, or at once the next file
            if (fileName != null) {
                file = new java.io.ByteArrayOutputStream();
            }
        }
        if (file != null) {
            inspectUuencoded(location, fileName, file, budget);
        }
    }

    private void inspectUuencoded(String location, String fileName, java.io.ByteArrayOutputStream file, Budget budget)
            throws IOException {
        budget.pending = 0;
        if (file.size() == 0) {
            return;
        }
        String where = location + " > uuencoded \"" + fileName + "\"";
        item(where, Optional.of(fileName), Optional.empty(), new ByteArrayInputStream(file.toByteArray()), 1, budget);
    }

    /**
     * Reads one line (without its CR, LF or CRLF) into {@code buf}; a longer line is cut to the buffer and its rest
     * skipped. Returns its length, or -1 at the end of the input.
     */
    private static int readLine(InputStream in, byte[] buf) throws IOException {
        int len = 0;
        int c = in.read();
        if (c < 0) {
            return -1;
        }
        while (c >= 0 && c != '\n') {
            if (c != '\r' && len < buf.length) {
                buf[len++] = (byte) c;
            }
            c = in.read();
        }
        return len;
    }

    /** The file name of a {@code begin MODE NAME} line (mode three or four octal digits), or {@code null}. */
    static String uuBegin(byte[] line, int len) {
        String s = new String(line, 0, Math.min(len, 300), StandardCharsets.ISO_8859_1);
        if (!s.startsWith("begin ")) {
            return null;
        }
        int i = 6;
        int digits = 0;
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '7') {
            i++;
            digits++;
        }
        if (digits < 3 || digits > 4 || i >= s.length() || s.charAt(i) != ' ') {
            return null;
        }
        String name = s.substring(i + 1).strip();
        return name.isEmpty() ? null : name;
    }

    /**
     * Decodes one uuencoded line into {@code out}: its first character gives the byte count (0 to 45), then every four
     * characters give three bytes (characters missing at the end, blanks a mailer stripped, read as zero). Returns
     * {@code false} for a line that is not one (empty, or holding a character outside the alphabet, as the
     * {@code end} line and text in lower case do), so the file ends there; the zero-length line before {@code end}
     * decodes to nothing.
     */
    static boolean uuDecodeLine(byte[] line, int len, java.io.OutputStream out) throws IOException {
        if (len == 0) {
            return false;
        }
        int count = (line[0] - ' ') & 0x3f;
        if (line[0] < ' ' || line[0] > '`' || count > 45) {
            return false;
        }
        int groups = (count + 2) / 3; // characters missing at the end (blanks a mailer stripped) read as zero
        for (int i = 1; i < len; i++) {
            if (line[i] < ' ' || line[i] > '`') {
                return false;
            }
        }
        int written = 0;
        for (int g = 0; g < groups; g++) {
            int[] v = new int[4];
            for (int k = 0; k < 4; k++) {
                int at = 1 + g * 4 + k;
                v[k] = at < len ? (line[at] - ' ') & 0x3f : 0;
            }
            int[] b = {(v[0] << 2) | (v[1] >> 4), ((v[1] & 0xf) << 4) | (v[2] >> 2), ((v[2] & 0x3) << 6) | v[3]};
            for (int k = 0; k < 3 && written < count; k++, written++) {
                out.write(b[k] & 0xff);
            }
        }
        return true;
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
        /** Bytes of the uuencoded file being decoded already counted in {@link #expanded}. */
        long pending;
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
