package org.mailhygiene.scanners.bayes;

import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.scanners.mime.MimeWalker;
import org.mailhygiene.scanners.mime.PartInfo;
import org.mailhygiene.scanners.mime.PartVisitor;

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
     * as the RFCs prescribe, of a type reporters use, whose first bytes are what its name says (a zip's or gzip's
     * signature, XML's {@code <}, JSON's <code>&#123;</code>), beside at most short notes (unnamed {@code text/plain}
     * parts of at most {@value #MAX_NOTE_BYTES} decoded bytes) in multipart containers; no other attachment, no HTML,
     * no enclosed message, at most {@value #MAX_PARTS} parts, and no MIME fault in the message (a {@code mime:} token
     * of the tokenizer: a repaired encoding, a conflicting header... where what was read may not be what a reader is
     * shown). Reads at most the notes' first bytes and the file's first; linear.
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
                    other[0] |= !first || !startsAsNamed(name, decoded.readNBytes(8));
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

    /**
     * Whether a file's first bytes are what its name says: a zip's local header ({@code PK 03 04}) for {@code .zip}, a
     * gzip member's ({@code 1f 8b}) for {@code .gz}, XML's {@code <} or JSON's <code>&#123;</code> (after blanks or a
     * UTF-8 byte order mark) for {@code .xml} and {@code .json}. A picture named like a report is not one.
     */
    static boolean startsAsNamed(String name, byte[] head) {
        if (name.endsWith(".zip")) {
            return head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
        }
        if (name.endsWith(".gz")) {
            return head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b;
        }
        int i = head.length >= 3 && (head[0] & 0xff) == 0xef && (head[1] & 0xff) == 0xbb && (head[2] & 0xff) == 0xbf
                ? 3
                : 0;
        while (i < head.length && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n')) {
            i++;
        }
        return i < head.length && head[i] == (name.endsWith(".json") ? '{' : '<');
    }
}
