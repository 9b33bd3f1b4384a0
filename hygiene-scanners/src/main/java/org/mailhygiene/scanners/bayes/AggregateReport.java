package org.mailhygiene.scanners.bayes;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.scanners.mime.GzipStream;
import org.mailhygiene.scanners.mime.MimeWalker;
import org.mailhygiene.scanners.mime.PartInfo;
import org.mailhygiene.scanners.mime.PartVisitor;
import org.mailhygiene.scanners.mime.ZipDirectory;

/**
 * The form of a DMARC aggregate report (RFC 7489 section 7.2.1.1) or an SMTP TLS report (RFC 8460 section 5.3), as
 * reporters send them to a domain's reporting address: a Subject {@code Report Domain: ... Submitter: ...}, one
 * compressed file named {@code receiver!policy-domain!begin!end[!id].ext}, at most a short note beside it. Reporters
 * send from ordinary addresses, so nothing in such a message says "automatic"; its file is what {@link NoSpamContent}
 * would otherwise take for spam content.
 *
 * <p>Recognising the form exempts nothing by itself: a message in it is still classified, and only the no-spam-content
 * test accepts its file in place of "no attachment"; a spammer who copies the form still has to say his pitch in at
 * most 20 words none of which the model counts as spam's, without a link. Stateless and thread-safe.
 */
final class AggregateReport {

    /**
     * An aggregate report's file name (lower case): {@code receiver!policy-domain!begin!end[!unique-id].ext}, the two
     * timestamps in seconds, the extension one of {@code xml}, {@code xml.gz}, {@code gz}, {@code zip}, {@code json},
     * {@code json.gz}.
     */
    private static final Pattern FILE_NAME = Pattern.compile(
            "[a-z0-9][a-z0-9._-]{0,252}![a-z0-9][a-z0-9._-]{0,252}![0-9]{1,12}![0-9]{1,12}(![a-z0-9._+=-]{0,200})?"
                    + "\\.(xml|xml\\.gz|gz|zip|json|json\\.gz)");

    /** Media types reporters give an aggregate report's file. */
    private static final Set<String> FILE_TYPES = Set.of(
            "application/zip",
            "application/x-zip",
            "application/x-zip-compressed",
            "application/gzip",
            "application/x-gzip",
            "application/octet-stream",
            "application/xml",
            "text/xml",
            "application/tlsrpt+gzip",
            "application/tlsrpt+json");

    /** The most parts an aggregate report has: the file and two notes, in at most two containers. */
    static final int MAX_PARTS = 6;

    /** The most bytes of one note, decoded: 4 KiB (reporters write a line or two, a relay may add a banner). */
    static final int MAX_NOTE_BYTES = 4096;

    private AggregateReport() {}

    /**
     * Whether a Subject (decoded) reads as RFC 7489's and RFC 8460's: {@code Report Domain:} and after it {@code
     * Submitter:}, in any case, as reporters write it (some with a prefix, semicolons or braces: {@code Dmarc
     * Aggregate Report Domain: {example.org} Submitter: {Amazon SES}}).
     *
     * @param subject the decoded Subject
     * @return {@code true} if it names a report domain and then a submitter
     */
    static boolean namedBy(String subject) {
        String s = subject.toLowerCase(Locale.ROOT);
        int domain = s.indexOf("report domain:");
        return domain >= 0 && s.indexOf("submitter:", domain) > 0;
    }

    /**
     * The report's file name if a message holds an aggregate report and nothing else to act on: exactly one file named
     * as the RFCs prescribe, of a type reporters use, of at most {@value #MAX_FILE_BYTES} bytes, that holds a report
     * ({@link #holdsReport}), beside at most short notes (unnamed {@code text/plain}
     * parts of at most {@value #MAX_NOTE_BYTES} decoded bytes) in multipart containers; no other attachment, no HTML,
     * no enclosed message, at most {@value #MAX_PARTS} parts, and no MIME fault in the message (a {@code mime:} token
     * of the tokenizer: a repaired encoding, a conflicting header... where what was read may not be what a reader is
     * shown). Reads at most the notes' first bytes and the file; linear.
     *
     * @param tokens the message's tokens
     * @param content the message
     * @param walker the MIME walker (its limits apply)
     * @return the file's name, or empty when the message is not in that form
     * @throws IOException if the content cannot be read
     */
    static Optional<String> file(Set<String> tokens, MessageContent content, MimeWalker walker) throws IOException {
        for (String t : tokens) {
            if (t.startsWith("mime:")) {
                return Optional.empty();
            }
        }
        String[] file = {null};
        int[] files = {0};
        int[] parts = {0};
        boolean[] other = {false};
        walker.walk(content, new PartVisitor() {
            @Override
            public boolean enter(PartInfo part) {
                // a multipart holds the file and its notes; an enclosed message is no report's
                other[0] |= ++parts[0] > MAX_PARTS || !part.mimeType().startsWith("multipart/");
                return !other[0];
            }

            @Override
            public boolean leaf(PartInfo part, InputStream decoded) throws IOException {
                if (++parts[0] > MAX_PARTS) {
                    other[0] = true;
                    return false;
                }
                String name = part.fileName().orElse("").strip().toLowerCase(Locale.ROOT);
                if (FILE_TYPES.contains(part.mimeType())
                        && FILE_NAME.matcher(name).matches()) {
                    boolean first = files[0]++ == 0;
                    byte[] bytes = first ? decoded.readNBytes(MAX_FILE_BYTES + 1) : new byte[0];
                    other[0] |= !first || bytes.length > MAX_FILE_BYTES || !holdsReport(name, bytes);
                    file[0] = name;
                    return !other[0];
                }
                boolean note = name.isEmpty()
                        && part.mimeType().equals("text/plain")
                        && decoded.readNBytes(MAX_NOTE_BYTES + 1).length <= MAX_NOTE_BYTES;
                other[0] |= !note;
                return note;
            }
        });
        return files[0] == 1 && !other[0] ? Optional.of(file[0]) : Optional.empty();
    }

    /** The most bytes of a report's file, decoded: 1 MiB (a day's report for a large domain is a few kilobytes). */
    static final int MAX_FILE_BYTES = 1 << 20;

    /** The most bytes a gzip-compressed report expands to: 16 MiB (a bigger one is not freed). */
    static final int MAX_EXPANDED_BYTES = 16 << 20;

    /** Bytes of a report's XML or JSON read to see what it is. */
    private static final int HEAD_BYTES = 512;

    /**
     * Whether a file named as a report holds one: a zip of exactly one entry (by its directory at the end, which
     * archive tools read, and by its first local header, which the first entry is) whose name is a report's ending in
     * {@code .xml} or {@code .json}; a gzip; or the XML or JSON itself; and what that holds starts as a DMARC report's
     * XML ({@code <?xml}, {@code <feedback}) or a TLS report's JSON (<code>&#123;</code>), after blanks or a byte order
     * mark, with no HTML, XHTML or script in its first {@value #HEAD_BYTES} bytes. A picture, a page or a program named
     * like a report is not one (a zip of a phishing page was freed before the second review). A gzip is read to its
     * end ({@link GzipStream}: a gzip of more than one member, or of more than {@value #MAX_EXPANDED_BYTES} bytes
     * expanded, is no report); of a zip only the first entry's first bytes are inflated.
     */
    static boolean holdsReport(String name, byte[] file) {
        try {
            if (name.endsWith(".zip")) {
                Optional<String> entry = onlyZipEntry(file);
                if (entry.isEmpty()) {
                    return false;
                }
                String inner = entry.get().toLowerCase(Locale.ROOT);
                if (!FILE_NAME.matcher(inner).matches() || !(inner.endsWith(".xml") || inner.endsWith(".json"))) {
                    return false;
                }
                try (ZipInputStream z = new ZipInputStream(new ByteArrayInputStream(file))) {
                    ZipEntry e = z.getNextEntry();
                    return e != null
                            && e.getName().equals(entry.get())
                            && isReportText(inner.endsWith(".json"), z.readNBytes(HEAD_BYTES));
                }
            }
            boolean json = name.endsWith(".json") || name.endsWith(".json.gz");
            if (name.endsWith(".gz")) {
                try (GzipStream g = new GzipStream(new ByteArrayInputStream(file))) {
                    byte[] head = g.readNBytes(HEAD_BYTES);
                    // read to its end: a second member (a page behind the report) is no report
                    long expanded = head.length;
                    byte[] rest = new byte[8192];
                    for (int n; (n = g.read(rest)) >= 0; ) {
                        expanded += n;
                        if (expanded > MAX_EXPANDED_BYTES) {
                            return false;
                        }
                    }
                    return g.members() == 1 && isReportText(json, head);
                }
            }
            return isReportText(json, Arrays.copyOf(file, Math.min(file.length, HEAD_BYTES)));
        } catch (IOException | RuntimeException e) {
            return false; // not an archive that opens: no report
        }
    }

    /**
     * The name of a zip's one entry when its directory at the end (the end-of-central-directory record, which unzip,
     * 7-Zip and Python read) lists exactly one and names the same file as the local header at its start (which a
     * streaming reader reads first), and the record ends the file (no archive comment, which 7-Zip and WinRAR show,
     * nothing after it); empty otherwise (two zips one after the other name different files).
     */
    static Optional<String> onlyZipEntry(byte[] z) {
        Optional<ZipDirectory> dir = ZipDirectory.read(z, 0);
        Optional<String> local = ZipDirectory.firstLocalName(z);
        return dir.isPresent()
                        && dir.get().endsFile()
                        && dir.get().names().size() == 1
                        && local.equals(Optional.of(dir.get().names().get(0)))
                ? local
                : Optional.empty();
    }

    /** Whether a report's first bytes are a DMARC report's XML or a TLS report's JSON, and no page or script. */
    static boolean isReportText(boolean json, byte[] head) {
        String s = new String(head, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
        if (s.contains("<html") || s.contains("xhtml") || s.contains("<script") || s.contains("<body")) {
            return false;
        }
        int i = s.startsWith("\u00ef\u00bb\u00bf") ? 3 : 0;
        while (i < s.length()
                && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\r' || s.charAt(i) == '\n')) {
            i++;
        }
        return json ? s.startsWith("{", i) : s.startsWith("<?xml", i) || s.startsWith("<feedback", i);
    }
}
