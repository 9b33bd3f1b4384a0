package org.mailhygiene.scanners.mime;

import static org.mailhygiene.internal.Closeables.closeQuietly;

import jakarta.activation.DataSource;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentDisposition;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.MimePart;
import jakarta.mail.internet.MimeUtility;
import jakarta.mail.internet.SharedInputStream;
import jakarta.mail.util.LineInputStream;
import jakarta.mail.util.StreamProvider;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.SpooledContent;
import org.mailhygiene.internal.Checks;

/**
 * Walks the MIME tree of a message and streams the decoded body of each leaf part to a {@link PartVisitor}.
 *
 * <p>Parsing uses Jakarta Mail (Angus) over a shared stream that re-opens the {@link MessageContent} for each part,
 * so part bodies are never copied into heap: memory use is bounded by buffers, whatever the message size. Transfer
 * encodings are removed on the fly (base64, quoted-printable, uuencode). Nested multiparts and {@code message/rfc822}
 * parts (and {@code message/global} and {@code message/news}, which Thunderbird reads alike) are descended into, and so is an opaque S/MIME signature (RFC 8551 3.4.2: an {@code application/pkcs7-mime}
 * or {@code application/x-pkcs7-mime} part, or an {@code application/octet-stream} one named {@code .p7m} or
 * {@code .p7c}, whose content is a readable CMS {@code signedData} with its signed entity inside, {@link CmsContent}):
 * the structure's bytes go to {@link PartVisitor#signature} (a leaf by default) and its signed entity, which mail
 * clients show as the message, is walked as its only child ({@link PartVisitor#enter},
 * {@link PartVisitor#signedContent}, an {@link MimeFinding.Kind#SMIME_SIGNED} finding), so that every scanner built on
 * the walker reads it. A part is read into memory only when its first bytes start a {@code signedData}, at most
 * {@value #MAX_SMIME_BYTES} bytes (a larger one is a leaf and a {@link MimeFinding.Kind#SIZE_LIMIT}); content without
 * an empty line is text, and bare CRs end lines, as Thunderbird reads them; at most {@value #MAX_SIGNATURES}
 * signatures of a message are opened ({@link MimeFinding.Kind#PART_LIMIT} beyond) and at most
 * {@value #MAX_SIGNATURE_DEPTH} inside one another ({@link MimeFinding.Kind#DEPTH_LIMIT} beyond); one that starts as a
 * signature but cannot be read is a leaf and a {@link MimeFinding.Kind#SMIME_UNREADABLE} limit. Encrypted S/MIME
 * messages and detached signatures are leaves, as before. A leaf named {@code .eml} ({@link #isAttachedMessage}), which
 * Outlook and Thunderbird open as a message whatever its declared type, or of another {@code message/*} type that
 * CPython's {@code email} package parses as a message ({@code message/x-foo}), is handed to {@link PartVisitor#leaf} and then,
 * when its decoded content starts with a header field, entered and walked as an encapsulated message. A container that carries a base64 or quoted-printable
 * encoding (forbidden, but used to evade scanners) is decoded, spooled (memory up to {@link Builder#spoolThreshold}, then a private temporary file) and
 * walked, with an {@link MimeFinding.Kind#ENCODED_CONTAINER} finding; a walker built with
 * {@link Builder#decodeContainers decodeContainers(false)} walks it as sent instead, as a mail client that ignores the
 * encoding would read it (same finding).
 *
 * <p>Broken structure never throws: it becomes a {@link MimeFinding} and the walk goes on as far as it can (a multipart
 * that cannot be split is handed to the visitor as one leaf). Limits: nesting depth (default
 * {@value #DEFAULT_MAX_DEPTH}), number of entities (default {@value #DEFAULT_MAX_PARTS}) and decoded bytes handed to the
 * visitor (default {@value #DEFAULT_MAX_DECODED_BYTES}, 128 MiB), and 4 MiB for one header section (the entity is then
 * handed on raw); reaching one is a finding too
 * ({@link MimeWalkResult#limitReached()}).
 *
 * <p>The Jakarta Mail {@link Session} has no properties; Jakarta Mail's own lenient defaults apply (a missing closing
 * boundary is tolerated and reported here as {@link MimeFinding.Kind#MISSING_END_BOUNDARY}).
 *
 * <p>Immutable and thread-safe: one walker serves concurrent walks.
 */
public final class MimeWalker {
    /** Default maximum nesting depth. */
    public static final int DEFAULT_MAX_DEPTH = 20;
    /** Default maximum number of entities walked. */
    public static final int DEFAULT_MAX_PARTS = 1000;
    /** Default maximum number of decoded bytes handed to the visitor, 128 MiB. */
    public static final long DEFAULT_MAX_DECODED_BYTES = 128L * 1024 * 1024;
    /**
     * The longest multipart boundary split, 4,096 characters: RFC 2046 allows 70, SMTP lines hold 998 (RFC 5321),
     * Postfix passes 2,048 by default. A multipart with a longer boundary is not split: a
     * {@link MimeFinding.Kind#BOUNDARY_LIMIT} (a limit: scanners that need its parts fail rather than call it clean),
     * handed over as one leaf. Jakarta Mail's boundary search takes time growing with the square of its length (4 s
     * for 100,000 characters, 10 ms for 4,096).
     */
    public static final int MAX_BOUNDARY = 4096;
    /** Default heap threshold for spooling a decoded encoded container, 1 MiB. */
    public static final long DEFAULT_SPOOL_THRESHOLD = 1024L * 1024;
    /**
     * The largest S/MIME signature read to open it, 32 MiB (three times the relay's default message size): it is held
     * in memory while its content is walked. A larger one is a leaf and a {@link MimeFinding.Kind#SIZE_LIMIT}.
     */
    public static final int MAX_SMIME_BYTES = 32 << 20;
    /** The first array a signature is read into, grown by doubling: 64 KiB. */
    private static final int INITIAL_SMIME_BUFFER = 64 * 1024;
    /** The most opaque S/MIME signatures of one message whose content is walked: 16. */
    public static final int MAX_SIGNATURES = 16;
    /** The most opaque S/MIME signatures inside one another whose content is walked: 3. */
    public static final int MAX_SIGNATURE_DEPTH = 3;
    /**
     * What this walker's output depends on besides its limits, named in {@link #toString()} (and so in the cache
     * identities of the scanners that name their walker): 2 since opaque S/MIME signatures are opened; 3 since a file
     * name in RFC 2231's extended form is decoded from its charset once (its characters were read as raw bytes again)
     * and a {@code Content-Transfer-Encoding} is read up to a blank, {@code ;}, {@code ,} or comment, and a
     * {@code message/news} part is walked as a message; 4 since a leaf named {@code .eml} is walked as a message too,
     * a boundary given twice with different values is a {@link MimeFinding.Kind#CONFLICTING_HEADER} and a delimiter
     * line after the close delimiter an {@link MimeFinding.Kind#AMBIGUOUS_MULTIPART}; 5 since a leaf of another
     * {@code message/*} type ({@code message/x-foo}, {@code message/disposition-notification}; not
     * {@code message/partial}, {@code message/external-body} or a delivery status) is walked as a message too when
     * its content starts as one ({@link #isAttachedMessage}).
     */
    static final int VERSION = 5;

    private static final Session SESSION = Session.getInstance(new Properties());

    private final int maxDepth;
    private final int maxParts;
    private final long maxDecodedBytes;
    private final long spoolThreshold;
    private final boolean decodeContainers;

    private MimeWalker(Builder b) {
        this.maxDepth = b.maxDepth;
        this.maxParts = b.maxParts;
        this.maxDecodedBytes = b.maxDecodedBytes;
        this.spoolThreshold = b.spoolThreshold;
        this.decodeContainers = b.decodeContainers;
    }

    /**
     * A walker with the default limits.
     *
     * @return a new walker
     */
    public static MimeWalker defaults() {
        return builder().build();
    }

    /**
     * Starts a builder holding the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The maximum nesting depth.
     *
     * @return the limit
     */
    public int maxDepth() {
        return maxDepth;
    }

    /**
     * The maximum number of entities walked.
     *
     * @return the limit
     */
    public int maxParts() {
        return maxParts;
    }

    /**
     * The maximum number of decoded bytes handed to the visitor.
     *
     * @return the limit
     */
    public long maxDecodedBytes() {
        return maxDecodedBytes;
    }

    /**
     * Whether an encoded container is decoded before it is walked (the default) or walked as sent.
     *
     * @return {@code true} when containers are decoded
     */
    public boolean decodesContainers() {
        return decodeContainers;
    }

    /**
     * A walker with the same limits that decodes encoded containers ({@code true}) or walks them as sent
     * ({@code false}); see {@link Builder#decodeContainers}.
     *
     * @param decode whether encoded containers are decoded
     * @return this walker when it already does so, else a new one
     */
    public MimeWalker withContainersDecoded(boolean decode) {
        if (decode == decodeContainers) {
            return this;
        }
        Builder b = builder()
                .maxDepth(maxDepth)
                .maxParts(maxParts)
                .maxDecodedBytes(maxDecodedBytes)
                .spoolThreshold(spoolThreshold)
                .decodeContainers(decode);
        return b.build();
    }

    /**
     * Walks a message.
     *
     * <p>During the walk (visitor calls included) the thread's context class loader is a loader that delegates
     * everything to the one in effect and answers Jakarta Mail's stream-provider lookup, made for every entity built,
     * from a copy of its service file; the previous loader is put back before this method returns or throws. A thread
     * without a context class loader keeps none.
     *
     * @param content the message (RFC 5322 header and body); opened as often as needed, not closed
     * @param visitor receives the entities
     * @return counts and findings
     * @throws IOException if the content cannot be read, or the visitor throws for a reason other than undecodable
     *     content
     */
    public MimeWalkResult walk(MessageContent content, PartVisitor visitor) throws IOException {
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(visitor, "visitor");
        // every entity Jakarta Mail builds looks its stream provider up: from a copy of the service file, not the jar
        ProviderLookups.Scope lookups = ProviderLookups.install();
        try (WalkScope scope = new WalkScope()) {
            Walk w = new Walk(scope, visitor);
            w.message(content, "", 0, "", "the message header");
            w.rethrowContentFailure();
            return w.result();
        } finally {
            lookups.close();
        }
    }

    /**
     * Removes a transfer encoding, like {@link MimeUtility#decode} but through the session's stream provider, which is
     * looked up once: {@code MimeUtility.decode} asks the {@link java.util.ServiceLoader} on every call, which cost
     * about a tenth of the time of walking small messages. Base64 and quoted-printable are decoded leniently, as mail
     * clients decode them ({@link LenientDecoding}); what had to be repaired becomes a
     * {@link MimeFinding.Kind#REPAIRED_ENCODING} finding.
     */
    private static InputStream decode(InputStream raw, String enc) throws MessagingException {
        StreamProvider sp = SESSION.getStreamProvider();
        return switch (enc) {
            case "base64" -> new LenientDecoding.Base64(raw);
            case "quoted-printable" -> new LenientDecoding.QuotedPrintable(raw);
            case "uuencode", "x-uuencode", "x-uue" -> sp.inputUU(raw);
            case "binary", "7bit", "8bit" -> raw;
            default -> throw new MessagingException("Unknown encoding: " + enc);
        };
    }

    /**
     * Reads a header block the way {@link InternetHeaders#load(InputStream, boolean)} does (same line reader, same
     * handling of continuation lines, stops after the empty line), but with the session's stream provider: Jakarta
     * Mail's own constructor asks the {@link java.util.ServiceLoader} for a provider on every call, which was the
     * largest single cost of walking small messages (about a tenth of classifier time).
     */
    static InternetHeaders readHeaders(InputStream in) throws MessagingException {
        InternetHeaders h = new ParsedHeaders();
        LineInputStream lines = SESSION.getStreamProvider().inputLineStream(new HeaderBound(in), false);
        String pending = null;
        StringBuilder folded = new StringBuilder();
        boolean first = true;
        try {
            String line;
            do {
                line = lines.readLine();
                boolean continuation = line != null && (line.startsWith(" ") || line.startsWith("\t"));
                if (continuation) {
                    if (pending != null) {
                        folded.append(pending);
                        pending = null;
                    }
                    if (first) {
                        String trimmed = line.trim();
                        if (!trimmed.isEmpty()) {
                            folded.append(trimmed);
                        }
                    } else {
                        if (folded.length() > 0) {
                            folded.append("\r\n");
                        }
                        folded.append(line);
                    }
                } else {
                    if (pending != null) {
                        h.addHeaderLine(pending);
                    } else if (folded.length() > 0) {
                        h.addHeaderLine(folded.toString());
                        folded.setLength(0);
                    }
                    pending = line;
                }
                first = false;
            } while (line != null && !line.isEmpty());
        } catch (IOException e) {
            throw new MessagingException("Error in input stream: " + e.getMessage(), e);
        }
        return h;
    }

    /** The most bytes one header section (of the message or of a part) may have: 4 MiB. */
    static final int MAX_HEADER_BYTES = 4 << 20;

    /**
     * Passes reads through until {@link #MAX_HEADER_BYTES} bytes were read, then fails ({@link HeaderTooLarge}, a
     * {@link MimeFinding.Kind#SIZE_LIMIT} finding for the walk): the line reader holds a line
     * whole, so a header line of 50 MB exhausted the heap of a small JVM (the Bayes classifier reads only its first
     * 64 KiB, but the signature and attachment scanners walk the whole section). Reads nothing ahead, so the stream
     * stays where the section ends.
     */
    private static final class HeaderBound extends java.io.FilterInputStream {
        private long read;

        HeaderBound(InputStream in) {
            super(in);
        }

        private void count(long n) throws IOException {
            read += n;
            if (read > MAX_HEADER_BYTES) {
                throw new HeaderTooLarge();
            }
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, (int) Math.min(len, MAX_HEADER_BYTES + 1L - read));
            if (n > 0) {
                count(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long k = super.skip(Math.min(n, MAX_HEADER_BYTES + 1L - read));
            count(Math.max(0, k));
            return k;
        }
    }

    /** A header section over {@link #MAX_HEADER_BYTES}: what follows it was never walked, so a limit finding. */
    private static final class HeaderTooLarge extends IOException {
        private static final long serialVersionUID = 1L;

        HeaderTooLarge() {
            super("header section over " + (MAX_HEADER_BYTES >> 20) + " MiB");
        }
    }

    /**
     * {@link MimeFinding.Kind#SIZE_LIMIT} when the failure is a header section over its bound (the rest of the entity
     * is handed on raw, its text unparsed: a limit, as for the other limits), else {@code otherwise}.
     */
    private static MimeFinding.Kind headerKind(Throwable e, MimeFinding.Kind otherwise) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof HeaderTooLarge) {
                return MimeFinding.Kind.SIZE_LIMIT;
            }
        }
        return otherwise;
    }

    /** Headers as parsed from a stream: without the placeholders the public no-argument constructor seeds. */
    private static final class ParsedHeaders extends InternetHeaders {
        ParsedHeaders() {
            headers = new ArrayList<>();
        }
    }

    /** A message whose header is read by {@link #readHeaders}. */
    private static final class WalkedMessage extends MimeMessage {
        WalkedMessage(InputStream in) throws MessagingException {
            super(SESSION, in);
        }

        @Override
        protected InternetHeaders createInternetHeaders(InputStream in) throws MessagingException {
            return readHeaders(in);
        }
    }

    /**
     * A multipart whose parts' headers are read by {@link #readHeaders}, split by {@link MultipartSplit} when its body is
     * a shared stream (as Jakarta Mail splits it, in one read of the body per level), within the part budget of its
     * {@link ContainerSource}.
     */
    private static final class WalkedMultipart extends MimeMultipart {
        private final Walk.ContainerSource source;

        WalkedMultipart(Walk.ContainerSource source) throws MessagingException {
            super(source);
            this.source = source;
        }

        @Override
        protected synchronized void parse() throws MessagingException {
            if (parsed) {
                return;
            }
            initializeProperties();
            if (ignoreExistingBoundaryParameter
                    || !ignoreMissingBoundaryParameter
                    || !ignoreMissingEndBoundary
                    || allowEmpty) {
                super.parse(); // system properties asked for another reading than MultipartSplit's
                return;
            }
            InputStream in;
            try {
                in = source.open();
            } catch (IOException e) {
                throw new MessagingException("No inputstream from datasource", e);
            }
            if (!(in instanceof SharedInputStream shared)) {
                super.parse(); // reads the stream just opened (ContainerSource keeps it for the next call)
                return;
            }
            source.pending = null; // read here
            String boundary = new ContentType(contentType).getParameter("boundary");
            MultipartSplit split;
            long origin = shared.getPosition();
            try (in) {
                split = MultipartSplit.split(in, boundary, source.maxParts);
            } catch (IOException e) {
                throw new MessagingException("IO Error", e);
            }
            source.cut = split.cut();
            source.partAfterClose = split.partAfterClose();
            parsed = true; // addBodyPart parses first
            try {
                complete = split.complete();
                for (int i = 0; i < split.parts(); i++) {
                    try (InputStream part = shared.newStream(origin + split.start(i), origin + split.end(i))) {
                        addBodyPart(createMimeBodyPart(part));
                    } catch (IOException e) {
                        throw new MessagingException("IO Error", e);
                    }
                }
            } catch (MessagingException | RuntimeException e) {
                parts.clear();
                parsed = false;
                throw e;
            }
        }

        @Override
        protected InternetHeaders createInternetHeaders(InputStream in) throws MessagingException {
            return readHeaders(in);
        }

        @Override
        protected MimeBodyPart createMimeBodyPart(InputStream in) throws MessagingException {
            return in instanceof SharedInputStream shared ? new WalkedBodyPart(shared) : super.createMimeBodyPart(in);
        }
    }

    /**
     * A body part read from a shared stream like {@link MimeBodyPart#MimeBodyPart(InputStream)}, with its header read
     * by {@link #readHeaders}.
     */
    private static final class WalkedBodyPart extends MimeBodyPart {
        WalkedBodyPart(SharedInputStream in) throws MessagingException {
            headers = readHeaders((InputStream) in);
            contentStream = in.newStream(in.getPosition(), -1);
        }
    }

    static boolean isEncapsulatedMessage(String mimeType) {
        // message/news too: Thunderbird reads it as message/rfc822 and shows the attachments inside (until session 48
        // it was a leaf here, and a program attached inside passed every scanner built on the walker)
        return mimeType.equals("message/rfc822")
                || mimeType.equals("message/global")
                || mimeType.equals("message/news");
    }

    /**
     * Whether a leaf is a message attached as a file, which the walker also walks as a message: one of its file names
     * ({@link PartInfo#fileName}, {@link PartInfo#otherNames}) ends in {@code .eml} (case ignored, blanks around it
     * stripped), whatever its declared type: Outlook and Thunderbird open such a file as a message, and show the
     * attachments inside. {@code .msg} is Outlook's own binary format, not walked. Also a {@code message/*} type other
     * than those walked as containers ({@link #isEncapsulatedMessage}) and those that hold no message
     * ({@code message/partial}, a fragment; {@code message/external-body}, whose body is the header of content kept
     * elsewhere; {@code message/delivery-status} and {@code message/global-delivery-status}, blocks of fields):
     * CPython's {@code email} package parses every other {@code message/*} part ({@code message/x-foo},
     * {@code message/disposition-notification}, ...) as an encapsulated message and shows the attachments inside.
     * Text parts are not: no mail client reads a {@code text/plain} part without such a name as a message. Stateless.
     *
     * @param info what is known of the entity
     * @return whether the walker walks it as a message after handing it over as a leaf
     * @throws NullPointerException if {@code info} is {@code null}
     */
    public static boolean isAttachedMessage(PartInfo info) {
        if (info.isContainer()) {
            return false;
        }
        if (isOtherMessageType(info.mimeType())) {
            return true;
        }
        if (info.fileName().filter(MimeWalker::emlName).isPresent()) {
            return true;
        }
        return info.otherNames().stream().anyMatch(MimeWalker::emlName);
    }

    /** A {@code message/*} type that is neither a container the walker walks nor one that holds no message. */
    private static boolean isOtherMessageType(String mimeType) {
        return mimeType.startsWith("message/")
                && !isEncapsulatedMessage(mimeType)
                && !mimeType.equals("message/partial")
                && !mimeType.equals("message/external-body")
                && !mimeType.equals("message/delivery-status")
                && !mimeType.equals("message/global-delivery-status");
    }

    private static boolean emlName(String name) {
        return name.strip().toLowerCase(Locale.ROOT).endsWith(".eml");
    }

    private static boolean isIdentityEncoding(String enc) {
        return enc.equals("7bit") || enc.equals("8bit") || enc.equals("binary");
    }

    /**
     * Whether an entity may be an opaque S/MIME signature, which the walker then reads to open: declared
     * {@code application/pkcs7-mime} or {@code application/x-pkcs7-mime} (whatever its {@code smime-type}: what the
     * structure is decides), or declared {@code application/octet-stream} and named {@code .p7m} or {@code .p7c} (RFC
     * 8551 3.2.1, which some mailers send). Stateless.
     *
     * @param info what is known of the entity
     * @return whether the walker reads it as a possible signature
     * @throws NullPointerException if {@code info} is {@code null}
     */
    public static boolean isSmime(PartInfo info) {
        String type = info.mimeType();
        if (type.equals("application/pkcs7-mime") || type.equals("application/x-pkcs7-mime")) {
            return true;
        }
        if (!type.equals("application/octet-stream")) {
            return false;
        }
        String name = info.fileName().orElse("").strip().toLowerCase(Locale.ROOT);
        return name.endsWith(".p7m") || name.endsWith(".p7c");
    }

    /**
     * Signed content with every bare CR (one not followed by LF) written as CRLF: Mozilla's line reader ends a line at a
     * bare CR, Jakarta Mail's does too, except that it reads CR CR LF as one line end where Thunderbird sees a line and
     * an empty one (the end of the header: the text after it went unread). Signed bytes are never rewritten by an MTA,
     * so the sender chooses them. The structure's own bytes reach the visitor unchanged. Linear; the same array when
     * there is no bare CR.
     */
    static byte[] bareCrToCrlf(byte[] content) {
        int bare = 0;
        for (int i = 0; i < content.length; i++) {
            if (content[i] == '\r' && (i + 1 == content.length || content[i + 1] != '\n')) {
                bare++;
            }
        }
        if (bare == 0) {
            return content;
        }
        byte[] out = new byte[content.length + bare];
        int o = 0;
        for (int i = 0; i < content.length; i++) {
            out[o++] = content[i];
            if (content[i] == '\r' && (i + 1 == content.length || content[i + 1] != '\n')) {
                out[o++] = '\n';
            }
        }
        return out;
    }

    /** Where the line starting at {@code from} ends (its CR or LF), or -1 when it runs to the end of the data. */
    private static int lineEnd(byte[] b, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == '\r' || b[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** Content over an array the walker made and does not change: not copied, as {@link MessageContent#ofBytes} does. */
    private record BytesView(byte[] bytes) implements MessageContent {
        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public InputStream openStream() {
            return new java.io.ByteArrayInputStream(bytes);
        }
    }

    /**
     * Signed content as a mailer shows it: content without an empty line (no header and body) is text, as Thunderbird
     * reads it (it puts a {@code Content-Type: text/plain} header before it); walked as it is, it would be all header.
     * Lines end as mail clients and the header reader end them: at CRLF, LF or a bare CR (Mozilla's line reader
     * takes a bare CR for a line end, so CR-only content is header and body to Thunderbird). Linear.
     */
    static byte[] withHeader(byte[] content) {
        int i = 0;
        while (i < content.length) {
            int end = lineEnd(content, i);
            if (end < 0) {
                break;
            }
            if (end == i) {
                return content; // an empty line: header and body
            }
            i = end + (content[end] == '\r' && end + 1 < content.length && content[end + 1] == '\n' ? 2 : 1);
        }
        byte[] head = "Content-Type: text/plain\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] out = java.util.Arrays.copyOf(head, head.length + content.length);
        System.arraycopy(content, 0, out, head.length, content.length);
        return out;
    }

    @Override
    public String toString() {
        return "MimeWalker[version=" + VERSION + ", maxDepth=" + maxDepth + ", maxParts=" + maxParts
                + ", maxDecodedBytes=" + maxDecodedBytes + (decodeContainers ? "" : ", decodeContainers=false") + "]";
    }

    /** The state of one walk. */
    private final class Walk {
        private final WalkScope scope;
        private final PartVisitor visitor;
        private final List<MimeFinding> findings = new ArrayList<>();
        private int parts;
        private long decoded;
        private boolean stopped;
        private boolean stoppedByVisitor;
        /** Opaque S/MIME signatures opened so far, and how many the entity being walked is inside of. */
        private int signaturesOpened;

        private int signatureDepth;

        Walk(WalkScope scope, PartVisitor visitor) {
            this.scope = scope;
            this.visitor = visitor;
        }

        MimeWalkResult result() {
            return new MimeWalkResult(parts, decoded, findings, stoppedByVisitor);
        }

        void finding(MimeFinding.Kind kind, String path, String detail) {
            findings.add(new MimeFinding(kind, path, detail));
        }

        /** Whether the header of the entity at {@code path} had lines that are not header fields, or a bad field. */
        private boolean headerTrouble(String path) {
            for (MimeFinding f : findings) {
                if (f.kind() == MimeFinding.Kind.MALFORMED_HEADER && f.path().equals(path)) {
                    return true;
                }
            }
            return false;
        }

        void rethrowContentFailure() throws IOException {
            IOException e = scope.contentFailure();
            if (e != null) {
                throw e;
            }
        }

        void entity(MimePart p, String path, int depth, String parentType) throws IOException {
            if (stopped) {
                return;
            }
            if (parts >= maxParts) {
                finding(MimeFinding.Kind.PART_LIMIT, path, "more than " + maxParts + " MIME entities");
                stopped = true;
                return;
            }
            if (depth > maxDepth) {
                finding(MimeFinding.Kind.DEPTH_LIMIT, path, "nested deeper than " + maxDepth + " levels");
                return;
            }
            parts++;
            PartInfo info = describe(p, path, depth, parentType);
            checkHeaders(p, info);
            if (info.mimeType().startsWith("multipart/")) {
                multipart(p, info, parentType);
            } else if (isEncapsulatedMessage(info.mimeType())) {
                encapsulated(p, info);
            } else if (isSmime(info)) {
                smime(p, info);
            } else if (isAttachedMessage(info)) {
                attachedMessage(p, info);
            } else {
                leaf(p, info);
            }
        }

        /**
         * A leaf named {@code .eml} ({@link #isAttachedMessage}): handed to the visitor as the leaf it is, then, when its
         * decoded content starts as a message (its first line a header field or an mbox {@code From } line), entered
         * and walked as an encapsulated message (child path {@code path.1}), as Outlook and Thunderbird open it. Its
         * decoded bytes count against the budget twice (the leaf, then the message's parts), as an encoded
         * container's do.
         */
        private void attachedMessage(MimePart p, PartInfo info) throws IOException {
            int before = findings.size();
            leaf(p, info);
            if (stopped || !startsAsMessage(p, info) || !visitor.enter(info)) {
                return;
            }
            for (int i = before; i < findings.size(); i++) {
                MimeFinding.Kind k = findings.get(i).kind();
                if (k == MimeFinding.Kind.DECODING_ERROR || k == MimeFinding.Kind.UNKNOWN_ENCODING) {
                    return; // the leaf's finding says it was not read whole; its bytes reached the visitor as they are
                }
            }
            InputStream in;
            MimeMessage inner;
            try {
                in = attachedStream(p, info);
                inner = new WalkedMessage(in);
            } catch (MessagingException e) {
                rethrowContentFailure();
                finding(
                        headerKind(e, MimeFinding.Kind.MALFORMED_HEADER),
                        info.path(),
                        "cannot parse attached message: " + e.getMessage());
                return;
            }
            if (!stopped) {
                entity(inner, childPath(info), info.depth() + 1, "message/rfc822");
            }
        }

        /**
         * Whether a leaf's decoded content starts as a message: its first line (up to 998 bytes) a header field, or an
         * mbox {@code From } line. Reads at most 1,000 decoded bytes, not counted against the budget.
         */
        private boolean startsAsMessage(MimePart p, PartInfo info) throws IOException {
            try (InputStream raw = rawStream(p);
                    InputStream body =
                            isIdentityEncoding(info.transferEncoding()) ? raw : decode(raw, info.transferEncoding())) {
                scope.register(raw);
                byte[] head = body.readNBytes(1000);
                int end = 0;
                while (end < head.length && head[end] != '\r' && head[end] != '\n') {
                    end++;
                }
                String line = new String(head, 0, end, StandardCharsets.ISO_8859_1);
                return line.startsWith("From ") || isHeaderField(line);
            } catch (MessagingException | IOException e) {
                rethrowContentFailure();
                return false; // unreadable: the leaf's finding says so
            }
        }

        /** A leaf's decoded body as a shared stream: as it is, or decoded and spooled. */
        private InputStream attachedStream(MimePart p, PartInfo info) throws IOException, MessagingException {
            InputStream raw = rawStream(p);
            if (isIdentityEncoding(info.transferEncoding())) {
                return raw;
            }
            scope.register(raw);
            Budgeted budgeted = new Budgeted(decode(raw, info.transferEncoding()));
            SpooledContent spooled = SpooledContent.spool(budgeted, spoolThreshold);
            scope.register(spooled::close);
            if (budgeted.cut) {
                finding(MimeFinding.Kind.SIZE_LIMIT, info.path(), "more than " + maxDecodedBytes + " decoded bytes");
                stopped = true;
            }
            SharedContentStream s = new SharedContentStream(spooled, scope);
            scope.register(s);
            return s;
        }

        /**
         * Reports a multipart whose Content-Type gives its boundary more than once with different values
         * ({@code boundary="A"; boundary="B"}): this walker splits at the last, as Jakarta Mail reads it, CPython's
         * email package at the first; each finds other parts (a program after {@code --A} lines is text to the one and
         * an attachment to the other), so it is a {@link MimeFinding.Kind#CONFLICTING_HEADER}.
         */
        private void boundaries(PartInfo info) {
            info.contentType().ifPresent(h -> {
                LenientHeaders.ParameterValues given = LenientHeaders.parameterValues(h, "boundary");
                java.util.Set<String> values = new java.util.LinkedHashSet<>();
                given.extended().ifPresent(values::add);
                values.addAll(given.plain());
                if (values.size() > 1) {
                    finding(
                            MimeFinding.Kind.CONFLICTING_HEADER,
                            info.path(),
                            "Content-Type gives the boundary " + values.size() + " times with different values;"
                                    + " split at "
                                    + boundaryOf(info)
                                            .map(b -> "\"" + abbreviate(b) + "\"")
                                            .orElse("none")
                                    + ", readers that take another find other parts: " + abbreviate(h));
                }
            });
        }

        /**
         * Reports header trouble the parser tolerated: a Content-Type or Content-Disposition only the lenient parser
         * understood, and lines in the header block that are not header fields (text a mail client may show as body
         * while a scanner that trusts the parser never sees it). An mbox {@code From } separator as the very first line
         * of the message is not reported.
         */
        private void checkHeaders(MimePart p, PartInfo info) {
            info.contentType()
                    .filter(h -> LenientHeaders.contentType(h)
                            .map(LenientHeaders.Parsed::repaired)
                            .orElse(true))
                    .ifPresent(h -> finding(
                            MimeFinding.Kind.MALFORMED_HEADER,
                            info.path(),
                            "Content-Type not valid, read leniently as " + info.mimeType() + ": " + abbreviate(h)));
            header(p, "Content-Disposition")
                    .filter(h -> LenientHeaders.disposition(h)
                            .map(LenientHeaders.Parsed::repaired)
                            .orElse(true))
                    .ifPresent(h -> finding(
                            MimeFinding.Kind.MALFORMED_HEADER,
                            info.path(),
                            "Content-Disposition not valid, read leniently: " + abbreviate(h)));
            conflicting(
                    p,
                    "Content-Type",
                    info,
                    h -> LenientHeaders.contentType(h)
                            .map(c -> meaning(
                                    c.value().getBaseType(),
                                    c.value().getParameter("boundary"),
                                    c.value().getParameter("name")))
                            .orElse(h));
            conflicting(p, "Content-Transfer-Encoding", info, h -> meaning(mechanism(h)));
            if (info.mimeType().startsWith("multipart/")) {
                boundaries(info);
            }
            conflicting(
                    p,
                    "Content-Disposition",
                    info,
                    h -> LenientHeaders.disposition(h)
                            .map(d -> meaning(
                                    d.value().getDisposition(), d.value().getParameter("filename")))
                            .orElse(h));
            try {
                java.util.Enumeration<String> lines = p.getAllHeaderLines();
                boolean first = true;
                boolean strayLine = false;
                while (lines.hasMoreElements()) {
                    String line = lines.nextElement();
                    boolean mboxSeparator = first && info.path().isEmpty() && line.startsWith("From ");
                    first = false;
                    if (!strayLine && !mboxSeparator && !isHeaderField(line)) {
                        finding(
                                MimeFinding.Kind.MALFORMED_HEADER,
                                info.path(),
                                "line in the header block is not a header field: " + abbreviate(line));
                        strayLine = true;
                    }
                    if (line.startsWith("--") && info.mimeType().startsWith("multipart/")) {
                        // Readers end a header block at the first line they take for no field, by rules that differ
                        // (CPython's email package: no blank before the colon); what follows is body to them, and this
                        // line may be a delimiter of the parts they find there. In a multipart's header a line that
                        // starts like a delimiter is that ambiguity, whatever the rule (anything else, in a text
                        // entity, they show as text)
                        finding(
                                MimeFinding.Kind.AMBIGUOUS_HEADER,
                                info.path(),
                                "a line like a multipart delimiter in the header block (where some readers end the"
                                        + " header): " + abbreviate(line));
                        break;
                    }
                }
            } catch (MessagingException e) {
                finding(MimeFinding.Kind.MALFORMED_HEADER, info.path(), String.valueOf(e.getMessage()));
            }
        }

        /**
         * Reports a header field that appears more than once on an entity with values that mean different things
         * ({@code key} says what a value means): mail clients disagree on which copy applies (the first, as Jakarta
         * Mail and this walker read it, or the last, as others do), so a second {@code Content-Transfer-Encoding:
         * base64} or {@code Content-Type: multipart/mixed} hides from a scanner what a reader decodes and shows.
         */
        private void conflicting(
                MimePart p, String name, PartInfo info, java.util.function.Function<String, String> key) {
            String[] values;
            try {
                values = p.getHeader(name);
            } catch (MessagingException e) {
                return; // reported by the header-line check below
            }
            if (values == null || values.length < 2) {
                return;
            }
            String first = key.apply(unfold(values[0]));
            for (int i = 1; i < values.length; i++) {
                if (!key.apply(unfold(values[i])).equals(first)) {
                    finding(
                            MimeFinding.Kind.CONFLICTING_HEADER,
                            info.path(),
                            name + " given " + values.length + " times with different values, which mail clients"
                                    + " read differently: " + abbreviate(values[0]) + " / " + abbreviate(values[i]));
                    return;
                }
            }
        }

        private void multipart(MimePart p, PartInfo info, String parentType) throws IOException {
            if (!visitor.enter(info)) {
                return;
            }
            String boundary = boundaryOf(info).orElse(null);
            int boundaryLength = boundary == null ? 0 : boundary.length();
            if (boundaryLength > MAX_BOUNDARY) {
                // RFC 2046 allows 70 characters, Postfix passes lines of 2048; Jakarta Mail's search for a long
                // boundary takes time growing with its square. A limit, so that no scanner calls the unsplit parts
                // clean (a client splits them and shows the text)
                finding(
                        MimeFinding.Kind.BOUNDARY_LIMIT,
                        info.path(),
                        "boundary of " + boundaryLength + " characters (RFC 2046 allows 70); not split");
                leaf(p, info);
                return;
            }
            MimeMultipart mp;
            int count;
            // every part is split before the first is visited: split only what the part limit can reach (and one more,
            // so that the limit is reported where it was)
            ContainerSource source = new ContainerSource(p, info, boundary, Math.max(1, maxParts - parts));
            try {
                try {
                    mp = new WalkedMultipart(source);
                    count = mp.getCount();
                } catch (MessagingException e) {
                    rethrowContentFailure();
                    String guessed = decodeContainers ? null : escapedBoundaryGuess(p, info);
                    if (guessed == null) {
                        throw e;
                    }
                    // read as sent, a quoted-printable multipart's parameter says boundary=3D"..." and no line
                    // starts with it: split where a reader that takes the first delimiter line splits (Jakarta Mail
                    // with mail.mime.multipart.ignoreexistingboundaryparameter), the only splitting reading left
                    source = new ContainerSource(p, info, guessed, Math.max(1, maxParts - parts));
                    mp = new WalkedMultipart(source);
                    count = mp.getCount();
                }
            } catch (MultipartSplit.DelimiterTooLong e) {
                // without a parameter, the first delimiter-like line is the boundary (as Jakarta Mail reads it): held
                // to the parameter's limit (Jakarta Mail searched for a 100,000-character line, seconds per scanner)
                finding(
                        MimeFinding.Kind.BOUNDARY_LIMIT,
                        info.path(),
                        "boundary of " + e.length() + " characters, the first delimiter line without a boundary"
                                + " parameter (RFC 2046 allows 70); not split");
                leaf(p, info);
                return;
            } catch (MessagingException e) {
                rethrowContentFailure();
                if (isEncapsulatedMessage(parentType) && !headerTrouble(info.path()) && isEmpty(p, boundary)) {
                    // a returned message's header alone (its header block well formed: MIME lines run into a header
                    // without its empty line would leave the body empty too), handed over as the empty leaf it is
                    finding(MimeFinding.Kind.EMPTY_MULTIPART, info.path(), "multipart with an empty body");
                    leaf(p, info);
                    return;
                }
                finding(
                        headerKind(e, MimeFinding.Kind.MALFORMED_MULTIPART),
                        info.path(),
                        String.valueOf(e.getMessage()));
                leaf(p, info);
                return;
            }
            try {
                if (!mp.isComplete() && !source.cut()) {
                    finding(MimeFinding.Kind.MISSING_END_BOUNDARY, info.path(), "multipart has no closing boundary");
                }
                if (source.partAfterClose) {
                    // clamd reads on past the close delimiter and scans such parts; mail clients and this walker do
                    // not: what is there is seen by one scanner only
                    finding(
                            MimeFinding.Kind.AMBIGUOUS_MULTIPART,
                            info.path(),
                            "a delimiter line after the closing boundary (a part in the epilogue, not walked; clamd"
                                    + " reads it)");
                }
                String prefix = info.path().isEmpty() ? "" : info.path() + ".";
                for (int i = 0; i < count && !stopped; i++) {
                    entity((MimeBodyPart) mp.getBodyPart(i), prefix + (i + 1), info.depth() + 1, info.mimeType());
                }
                if (source.cut() && !stopped) {
                    // the budget cut parts off that the walk did not reach the limit for: never let them pass unseen
                    finding(
                            MimeFinding.Kind.PART_LIMIT,
                            prefix + (count + 1),
                            "more than " + maxParts + " MIME entities");
                    stopped = true;
                }
            } catch (MessagingException e) {
                rethrowContentFailure();
                finding(MimeFinding.Kind.MALFORMED_MULTIPART, info.path(), String.valueOf(e.getMessage()));
            }
        }

        private void encapsulated(MimePart p, PartInfo info) throws IOException {
            if (!visitor.enter(info)) {
                return;
            }
            MimeMessage inner;
            try {
                inner = new WalkedMessage(containerStream(p, info));
            } catch (MessagingException e) {
                rethrowContentFailure();
                finding(
                        headerKind(e, MimeFinding.Kind.MALFORMED_HEADER),
                        info.path(),
                        "cannot parse encapsulated message: " + e.getMessage());
                leaf(p, info);
                return;
            }
            entity(inner, childPath(info), info.depth() + 1, info.mimeType());
        }

        /** The body of a container as a shared stream: as it is, or decoded and spooled when it is encoded. */
        InputStream containerStream(MimePart p, PartInfo info) throws IOException, MessagingException {
            String enc = info.transferEncoding();
            InputStream raw = rawStream(p);
            if (isIdentityEncoding(enc)) {
                return raw;
            }
            scope.register(raw);
            QuotedPrintableCheck check =
                    decodeContainers && enc.equals("quoted-printable") ? new QuotedPrintableCheck(raw) : null;
            InputStream decodedStream;
            try {
                decodedStream = decode(check != null ? check : raw, enc);
            } catch (MessagingException e) {
                finding(MimeFinding.Kind.UNKNOWN_ENCODING, info.path(), "unknown transfer encoding " + enc);
                return raw;
            }
            if (!decodeContainers) {
                finding(
                        MimeFinding.Kind.ENCODED_CONTAINER,
                        info.path(),
                        info.mimeType() + " with transfer encoding " + enc + ", walked as sent (undecoded)");
                return raw; // the decoder made above has read nothing
            }
            // also for message/global, which RFC 6532 (section 3.5) lets carry any encoding: scanners that do not
            // decode it can be evaded with it all the same
            finding(
                    MimeFinding.Kind.ENCODED_CONTAINER,
                    info.path(),
                    info.mimeType() + " with transfer encoding " + enc);
            Budgeted budgeted = new Budgeted(decodedStream);
            SpooledContent spooled;
            try {
                spooled = SpooledContent.spool(budgeted, spoolThreshold);
            } catch (IOException e) {
                rethrowContentFailure();
                finding(MimeFinding.Kind.DECODING_ERROR, info.path(), String.valueOf(e.getMessage()));
                return InputStream.nullInputStream();
            }
            scope.register(spooled::close);
            afterRead(budgeted, info);
            if (check != null && check.problem() != null) {
                finding(MimeFinding.Kind.AMBIGUOUS_ENCODING, info.path(), check.problem());
            }
            // Decoded container bytes are counted when spooled; the leaves inside count again when visited.
            SharedContentStream s = new SharedContentStream(spooled, scope);
            scope.register(s);
            return s;
        }

        void leaf(MimePart p, PartInfo info) throws IOException {
            if (!isIdentityEncoding(info.transferEncoding()) && untyped(p, info)) {
                InputStream raw;
                try {
                    raw = rawStream(p);
                } catch (MessagingException e) {
                    raw = null; // reported when the body is decoded, below
                }
                if (raw != null) {
                    scope.register(raw);
                    try (InputStream in = raw) {
                        visitor.untypedText(info, in);
                    } catch (IOException e) {
                        rethrowContentFailure();
                        throw e;
                    }
                }
            }
            Budgeted body = decodedBody(p, info);
            if (body != null) {
                visit(info, body, body);
            }
        }

        /**
         * Whether Thunderbird reads an entity as untyped text ({@link PartVisitor#untypedText}): a message without a
         * {@code Content-Type} and a {@code MIME-Version}, or any entity whose {@code Content-Type} names the type
         * {@code text} alone or nothing in its first token ({@code text (plain)}, {@code ,text/plain}).
         */
        private boolean untyped(MimePart p, PartInfo info) {
            if (info.contentType().isEmpty()) {
                return p instanceof jakarta.mail.internet.MimeMessage
                        && header(p, "MIME-Version").isEmpty();
            }
            // Thunderbird's type is the value's first token, cut at a ';', a ',' or a blank
            String value = info.contentType().get().strip();
            int end = 0;
            while (end < value.length() && ";,( \t\r\n".indexOf(value.charAt(end)) < 0) {
                end++;
            }
            String type = value.substring(0, end);
            return type.isEmpty() || type.equalsIgnoreCase("text");
        }

        /** A leaf's body with its transfer encoding removed, counted against the budget; null if it cannot be had. */
        private Budgeted decodedBody(MimePart p, PartInfo info) throws IOException {
            InputStream raw;
            try {
                raw = rawStream(p);
            } catch (MessagingException e) {
                rethrowContentFailure();
                finding(MimeFinding.Kind.MALFORMED_HEADER, info.path(), String.valueOf(e.getMessage()));
                return null;
            }
            scope.register(raw);
            InputStream body = raw;
            String enc = info.transferEncoding();
            if (!isIdentityEncoding(enc)) {
                try {
                    body = decode(raw, enc);
                } catch (MessagingException e) {
                    finding(MimeFinding.Kind.UNKNOWN_ENCODING, info.path(), "unknown transfer encoding " + enc);
                }
            }
            return new Budgeted(body);
        }

        /**
         * A part that may be an S/MIME structure. Its first bytes tell whether it starts as a {@code signedData}
         * ({@link CmsContent#signedDataLength}); anything else is handed to the visitor as the leaf it is, streamed.
         * A {@code signedData} is read whole (up to {@link #MAX_SMIME_BYTES}: larger is a {@link
         * MimeFinding.Kind#SIZE_LIMIT}, and a leaf), and when it holds its signed entity the structure's bytes go to
         * {@link PartVisitor#signature} and the entity is walked as its child; otherwise it is a leaf too, from the
         * bytes read on.
         */
        private void smime(MimePart p, PartInfo info) throws IOException {
            Budgeted body = decodedBody(p, info);
            if (body == null) {
                return;
            }
            byte[] head = new byte[CmsContent.HEAD_BYTES];
            int n = readSome(body, head, 0, head.length);
            long declared = CmsContent.signedDataLength(head, n);
            if (declared < 0) {
                // not a signature: streamed as any leaf, from the bytes read on
                visit(info, new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(head, 0, n), body), body);
                return;
            }
            // sized from the structure's length when it has one (and a little more, for padding behind it), but at
            // first to 64 KiB at most, doubled as the data comes: a header may claim any length, and a small part
            // claiming 2 GB must not cost an array of the most a signature may have
            byte[] bytes = java.util.Arrays.copyOf(head, (int)
                    Math.max(n, Math.min(INITIAL_SMIME_BUFFER, declared > 0 ? declared + 4096 : 4096)));
            int have = n;
            while (have <= MAX_SMIME_BYTES) {
                if (have == bytes.length) {
                    bytes = java.util.Arrays.copyOf(
                            bytes, (int) Math.min(MAX_SMIME_BYTES + 1L, Math.max(65536L, 2L * bytes.length)));
                }
                int want = bytes.length - have;
                int r = readSome(body, bytes, have, want);
                have += r;
                if (r < want) {
                    break;
                }
            }
            if (have > MAX_SMIME_BYTES) {
                finding(
                        MimeFinding.Kind.SIZE_LIMIT,
                        info.path(),
                        "S/MIME signature larger than " + MAX_SMIME_BYTES + " bytes; its content was not walked");
                visit(
                        info,
                        new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(bytes, 0, have), body),
                        body);
                return;
            }
            // one that did not decode to its end, or was cut by the walk's budget, is not opened: a leaf, with the
            // decoding error or the limit
            Optional<CmsContent.Content> cms =
                    body.cut || body.failure != null ? Optional.empty() : CmsContent.read(bytes, have);
            if (cms.isEmpty() || cms.get().kind() != CmsContent.Kind.SIGNED) {
                if (cms.isEmpty() && !body.cut && body.failure == null) {
                    // it starts as a signature, and a mail client may read it as one (NSS reads on past data behind
                    // a structure, and unwraps a signature inside one): its content is unseen here, never clean
                    finding(
                            MimeFinding.Kind.SMIME_UNREADABLE,
                            info.path(),
                            "starts as an S/MIME signature but cannot be read as one; its content was not walked");
                }
                visit(info, new java.io.ByteArrayInputStream(bytes, 0, have), body);
                return;
            }
            body.close();
            afterRead(body, info);
            String child = childPath(info);
            if (signatureDepth >= MAX_SIGNATURE_DEPTH) {
                finding(
                        MimeFinding.Kind.DEPTH_LIMIT,
                        info.path(),
                        "S/MIME signature inside " + MAX_SIGNATURE_DEPTH + " others; its content was not walked");
                visit(
                        info,
                        new java.io.ByteArrayInputStream(bytes, 0, have),
                        new Budgeted(InputStream.nullInputStream()));
                return;
            }
            if (signaturesOpened >= MAX_SIGNATURES) {
                finding(MimeFinding.Kind.PART_LIMIT, info.path(), "more than " + MAX_SIGNATURES + " S/MIME signatures");
                stopped = true;
                return;
            }
            signaturesOpened++;
            finding(
                    MimeFinding.Kind.SMIME_SIGNED,
                    info.path(),
                    "opaque S/MIME signature; its content (" + cms.get().bytes().length + " bytes) walked as " + child);
            boolean goOn;
            try {
                goOn = visitor.signature(info, new java.io.ByteArrayInputStream(bytes, 0, have));
            } catch (IOException e) {
                rethrowContentFailure();
                throw e;
            }
            bytes = null; // the structure is not needed any more, only its content
            if (!goOn) {
                stopped = true;
                stoppedByVisitor = true;
                return;
            }
            if (!visitor.enter(info)) {
                return;
            }
            MessageContent content =
                    new BytesView(withHeader(bareCrToCrlf(cms.get().bytes())));
            cms = null;
            if (!visitor.signedContent(info, content)) {
                return;
            }
            signatureDepth++;
            try {
                message(content, child, info.depth() + 1, info.mimeType(), "the signed content");
            } finally {
                signatureDepth--;
            }
        }

        /** The path of a container's only child: an encapsulated message, a signature's signed entity. */
        private static String childPath(PartInfo info) {
            return info.path().isEmpty() ? "1" : info.path() + ".1";
        }

        /**
         * Reads up to {@code len} bytes: fewer only at the end of the stream, on a decoding failure ({@code body}
         * remembers it) or where the walk's budget ends; 0 at the end, never -1.
         */
        private int readSome(Budgeted body, byte[] into, int off, int len) throws IOException {
            int done = 0;
            try {
                while (done < len) {
                    int r = body.read(into, off + done, len - done);
                    if (r < 0) {
                        break;
                    }
                    done += r;
                }
            } catch (IOException e) {
                rethrowContentFailure();
                if (body.failure == null) {
                    throw e;
                }
            }
            return done;
        }

        /** The whole content as one text/plain leaf, for a message whose header cannot be parsed at all. */
        /**
         * Walks content as a message entity at {@code path}; one whose header cannot be parsed is a finding and a text
         * leaf there (the message itself, a signature's signed content).
         */
        void message(MessageContent content, String path, int depth, String parentType, String what)
                throws IOException {
            SharedContentStream in = new SharedContentStream(content, scope);
            scope.register(in);
            MimeMessage message;
            try {
                message = new WalkedMessage(in);
            } catch (MessagingException e) {
                rethrowContentFailure();
                finding(
                        headerKind(e, MimeFinding.Kind.MALFORMED_HEADER),
                        path,
                        "cannot parse " + what + ": " + e.getMessage());
                parts++;
                InputStream all = content.openStream();
                scope.register(all);
                Budgeted body = new Budgeted(all);
                visit(textLeaf(path, depth), body, body);
                return;
            }
            entity(message, path, depth, parentType);
        }

        /** A text/plain entity without a header: what an unparseable header leaves of an entity. */
        private PartInfo textLeaf(String path, int depth) {
            return new PartInfo(
                    path,
                    depth,
                    "text/plain",
                    Optional.empty(),
                    Optional.empty(),
                    Optional.empty(),
                    Optional.empty(),
                    "7bit");
        }

        /**
         * Hands a leaf to the visitor: {@code stream} is what it reads ({@code body} itself, or bytes already read from
         * it followed by the rest), {@code body} counts the decoded bytes and remembers repairs and failures.
         */
        private void visit(PartInfo info, InputStream stream, Budgeted body) throws IOException {
            boolean goOn;
            try {
                goOn = visitor.leaf(info, stream);
            } catch (IOException e) {
                rethrowContentFailure();
                if (body.failure == null) {
                    throw e;
                }
                goOn = true;
            } finally {
                body.close();
            }
            afterRead(body, info);
            if (!goOn) {
                stopped = true;
                stoppedByVisitor = true;
            }
        }

        private void afterRead(Budgeted body, PartInfo info) throws IOException {
            rethrowContentFailure();
            List<String> repairs = body.repairs();
            if (!repairs.isEmpty()) {
                finding(
                        MimeFinding.Kind.REPAIRED_ENCODING,
                        info.path(),
                        info.transferEncoding() + " decoded as mail clients decode it: " + String.join(", ", repairs));
            }
            if (body.failure != null) {
                finding(MimeFinding.Kind.DECODING_ERROR, info.path(), String.valueOf(body.failure.getMessage()));
            }
            if (body.cut) {
                finding(MimeFinding.Kind.SIZE_LIMIT, info.path(), "more than " + maxDecodedBytes + " decoded bytes");
                stopped = true;
            }
        }

        /** Hands a container's body to {@link MimeMultipart}, decoded first when it carries a transfer encoding. */
        private final class ContainerSource implements DataSource {
            private final MimePart part;
            private final PartInfo info;
            /** The boundary Jakarta Mail splits at (the lenient reading of the type's parameter), or {@code null}. */
            private final String boundary;

            private final int maxParts;
            /** Whether the split stopped at {@link #maxParts} (set by {@link WalkedMultipart}). */
            private boolean cut;
            /** Whether the epilogue holds a delimiter line (set by {@link WalkedMultipart}). */
            private boolean partAfterClose;
            /** A stream {@link #open} opened and nobody has read yet, handed out by the next {@link #getInputStream}. */
            private InputStream pending;

            /**
             * @param boundary the multipart's boundary as the lenient parser reads it, or {@code null}
             * @param maxParts the part budget of the split (see {@link MultipartSplit}), at least 1
             */
            ContainerSource(MimePart part, PartInfo info, String boundary, int maxParts) {
                this.part = part;
                this.info = info;
                this.boundary = boundary;
                this.maxParts = maxParts;
            }

            /** Whether the multipart was split only up to its part budget. */
            boolean cut() {
                return cut;
            }

            /**
             * Opens the container's body (decoding an encoded container reports findings: once per container) and keeps
             * it for the next {@link #getInputStream}, which Jakarta Mail's own split calls.
             */
            InputStream open() throws IOException {
                if (pending == null) {
                    try {
                        pending = containerStream(part, info);
                    } catch (MessagingException e) {
                        throw new IOException(e.getMessage(), e);
                    }
                }
                return pending;
            }

            @Override
            public InputStream getInputStream() throws IOException {
                InputStream in = open();
                pending = null;
                return in;
            }

            private Optional<ContentType> lenientType() {
                return info.contentType().flatMap(LenientHeaders::contentType).map(LenientHeaders.Parsed::value);
            }

            @Override
            public OutputStream getOutputStream() throws IOException {
                throw new IOException("read-only");
            }

            @Override
            public String getContentType() {
                if (boundary != null && !boundary.equals(boundaryOf(info).orElse(null))) {
                    // a guessed boundary (see escapedBoundaryGuess)
                    ContentType type = lenientType().orElseGet(() -> new ContentType("multipart", "mixed", null));
                    type.setParameter("boundary", boundary);
                    return type.toString();
                }
                return info.contentType()
                        .map(h -> lenientType().map(ContentType::toString).orElse(h))
                        .orElse("text/plain");
            }

            @Override
            public String getName() {
                return info.path();
            }
        }

        /** Counts decoded bytes against the walk's budget, cuts the stream there, and remembers decoding errors. */
        private final class Budgeted extends FilterInputStream {
            IOException failure;
            boolean cut;

            Budgeted(InputStream in) {
                super(in);
            }

            /** What a lenient decoder under this stream repaired, if it is one. */
            List<String> repairs() {
                return in instanceof LenientDecoding.Decoder d ? d.repairs() : List.of();
            }

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                long left = maxDecodedBytes - decoded;
                if (left <= 0) {
                    if (!cut && in.read() >= 0) {
                        cut = true;
                    }
                    return -1;
                }
                int n;
                try {
                    n = in.read(b, off, (int) Math.min(len, left));
                } catch (IOException e) {
                    failure = e;
                    throw e;
                } catch (RuntimeException e) {
                    // Some decoders signal corrupt input with unchecked exceptions.
                    failure = new IOException(e.toString(), e);
                    throw failure;
                }
                if (n > 0) {
                    decoded += n;
                }
                return n;
            }

            @Override
            public long skip(long n) throws IOException {
                byte[] buf = new byte[(int) Math.min(8192, Math.max(n, 1))];
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
            public boolean markSupported() {
                return false;
            }

            @Override
            public void close() {
                closeQuietly(in);
            }
        }
    }

    /** How much of a multipart body that cannot be split is read to tell whether it is empty. */
    private static final int BLANK_CHECK_BYTES = 64 * 1024;

    /**
     * Whether a multipart's raw body holds nothing but blank lines and, at most, its own closing delimiter (read up to
     * {@value #BLANK_CHECK_BYTES} bytes; a longer body is not empty). Sendmail returns a message's header alone so: the
     * multipart's body is the closing delimiter of the original's first-level boundary.
     */
    private static boolean isEmpty(MimePart p, String boundary) throws IOException {
        try (InputStream in = rawStream(p)) {
            byte[] head = in.readNBytes(BLANK_CHECK_BYTES);
            if (head.length == BLANK_CHECK_BYTES) {
                return false;
            }
            String closing = boundary == null ? "" : "--" + boundary + "--";
            for (String line : new String(head, StandardCharsets.ISO_8859_1).split("\r\n|\r|\n", -1)) {
                String l = line.strip();
                if (!l.isEmpty() && !l.equals(closing)) {
                    return false;
                }
            }
            return true;
        } catch (MessagingException e) {
            return false;
        }
    }

    /**
     * Passes quoted-printable text through and notes the first thing in it that decoders read differently (RFC 2045
     * section 6.7 allows it, or leaves it to the decoder): an {@code =} not followed by two hexadecimal digits or a
     * line end, a blank at the end of a line, a CR without LF, a byte other than printable ASCII, blank, CR and LF
     * (a vertical tab or form feed at a line end is a blank to mutt), a line longer than 200 characters (RFC 2045
     * allows 76, Gmail's delay notices hold 79; mutt reads lines in pieces of 255 bytes, and an {@code =} at a piece's
     * end is a soft line break to it). Text
     * free of them decodes to the same bytes in Jakarta Mail, CPython, Thunderbird's libmime and mutt.
     */
    private static final class QuotedPrintableCheck extends InputStream {
        private static final int MAX_LINE = 200;
        private final InputStream in;
        private String problem;
        private int equals; // 0: no escape open; 1: after "="; 2: after "=" and one hex digit
        private boolean blank;
        private boolean cr;
        private int line;
        private boolean ended;

        QuotedPrintableCheck(InputStream in) {
            this.in = in;
        }

        /** The first ambiguity met, once the text has been read to its end; {@code null} when there was none. */
        String problem() {
            return ended ? problem : "not read to its end";
        }

        @Override
        public int read() throws IOException {
            int c = in.read();
            if (c < 0) {
                end();
            } else {
                note(c);
            }
            return c;
        }

        /** Reads through; {@link InputStream#skip} reads through it too, so nothing passes unchecked. */
        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n < 0) {
                end();
            }
            for (int i = 0; i < n; i++) {
                note(b[off + i] & 0xff);
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }

        private void end() {
            if (!ended) {
                ended = true;
                if (equals != 0) {
                    problem("'=' at the end of the text");
                } else if (cr) {
                    problem("a CR without LF");
                } else if (blank) {
                    problem("a blank at the end of a line");
                }
            }
        }

        private void note(int c) {
            if (problem != null) {
                return;
            }
            if (cr && c != '\n') {
                problem("a CR without LF");
                return;
            }
            if (c == '\r' || c == '\n') {
                if (equals == 2) {
                    problem("'=' not followed by two hex digits or a line end");
                } else if (blank && equals == 0) {
                    problem("a blank at the end of a line");
                }
                cr = c == '\r';
                equals = 0;
                blank = false;
                line = 0;
                return;
            }
            if (++line > MAX_LINE) {
                problem("a line longer than " + MAX_LINE + " characters");
                return;
            }
            if ((c < 0x20 && c != '\t') || c > 0x7e) {
                problem(String.format("the byte 0x%02x", c));
                return;
            }
            boolean hex = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
            if (equals > 0) {
                if (!hex) {
                    problem("'=' not followed by two hex digits or a line end");
                    return;
                }
                equals = equals == 1 ? 2 : 0;
                blank = false;
                return;
            }
            equals = c == '=' ? 1 : 0;
            blank = c == ' ' || c == '\t';
        }

        private void problem(String what) {
            if (problem == null) {
                problem = "quoted-printable that decoders read differently: " + what;
            }
        }
    }

    /** A Content-Type whose boundary parameter is written quoted-printable: {@code boundary=3D"..."}. */
    private static final java.util.regex.Pattern ESCAPED_BOUNDARY =
            java.util.regex.Pattern.compile("(?i)(?:^|[;\\s])boundary\\s*=3D");

    /**
     * For a multipart read as sent inside a quoted-printable container (its boundary parameter escaped,
     * {@code boundary=3D"..."}, so no delimiter matches it): the boundary of its first line that starts with
     * {@code --}, where a reader that ignores the parameter splits. {@code null} when the parameter is not escaped,
     * when no line starts with {@code --}, when the guess is longer than {@value #MAX_BOUNDARY} characters, or when a
     * line starts with {@code --3D} (a reader that takes the escaped parameter as it is could split there: ambiguous).
     * One pass over the body.
     */
    private static String escapedBoundaryGuess(MimePart p, PartInfo info) throws IOException {
        if (info.contentType().filter(t -> ESCAPED_BOUNDARY.matcher(t).find()).isEmpty()) {
            return null;
        }
        String guess = null;
        try (InputStream in = new java.io.BufferedInputStream(rawStream(p))) {
            StringBuilder line = new StringBuilder();
            boolean delimiter = false; // the current line starts with "--"
            boolean overlong = false;
            int c;
            do {
                c = in.read();
                if (c == -1 || c == '\n' || c == '\r') {
                    if (delimiter) {
                        if (line.length() >= 4 && line.substring(2, 4).equalsIgnoreCase("3d")) {
                            return null;
                        }
                        String b = line.substring(2).stripTrailing();
                        if (guess == null && !b.isEmpty()) {
                            if (overlong) {
                                return null;
                            }
                            guess = b;
                        }
                    }
                    line.setLength(0);
                    delimiter = false;
                    overlong = false;
                } else if (line.length() < 2) {
                    line.append((char) c);
                    delimiter = line.length() < 2 ? c == '-' : line.charAt(0) == '-' && c == '-';
                } else if (delimiter) {
                    if (line.length() <= MAX_BOUNDARY + 2) {
                        line.append((char) c);
                    } else {
                        overlong = true;
                    }
                }
            } while (c != -1);
        } catch (MessagingException e) {
            return null;
        }
        return guess;
    }

    private static InputStream rawStream(MimePart p) throws MessagingException {
        if (p instanceof MimeBodyPart b) {
            return b.getRawInputStream();
        }
        return ((MimeMessage) p).getRawInputStream();
    }

    /**
     * What is known about an entity from its headers. A missing or unparseable Content-Type means {@code text/plain},
     * except directly inside {@code multipart/digest}, where it means {@code message/rfc822} (RFC 2046 section 5.1.5).
     * Headers Jakarta Mail rejects are read leniently ({@link LenientHeaders}). File names come from
     * Content-Disposition {@code filename}, else Content-Type {@code name} (RFC 2231 values by {@link
     * LenientHeaders#parameterValues}, whose charsets are read as text's are, and then only RFC 2047 words left in them
     * decoded), other values' raw 8-bit or JIS bytes and RFC 2047 words decoded ({@link TextDecoding#decodeHeader}).
     */
    private static PartInfo describe(MimePart p, String path, int depth, String parentType) {
        Optional<String> contentTypeHeader = header(p, "Content-Type");
        String mimeType = parentType.equals("multipart/digest") ? "message/rfc822" : "text/plain";
        Optional<String> charset = Optional.empty();
        Optional<String> nameParam = Optional.empty();
        LenientHeaders.ParameterValues none =
                new LenientHeaders.ParameterValues(Optional.empty(), Optional.empty(), List.of());
        LenientHeaders.ParameterValues nameValues = contentTypeHeader
                .map(h -> LenientHeaders.parameterValues(h, "name"))
                .orElse(none);
        if (contentTypeHeader.isPresent()) {
            Optional<LenientHeaders.Parsed<ContentType>> parsed = LenientHeaders.contentType(contentTypeHeader.get());
            if (parsed.isPresent()) {
                ContentType ct = parsed.get().value();
                mimeType = ct.getBaseType().toLowerCase(Locale.ROOT);
                charset = Optional.ofNullable(ct.getParameter("charset"));
                nameParam = nameValues
                        .extended()
                        .map(MimeWalker::decodedOnce)
                        .or(() -> Optional.ofNullable(ct.getParameter("name")).map(TextDecoding::decodeHeader));
            }
        }
        Optional<String> disposition = Optional.empty();
        Optional<String> fileName = Optional.empty();
        Optional<String> dispHeader = header(p, "Content-Disposition");
        LenientHeaders.ParameterValues fileNameValues = dispHeader
                .map(h -> LenientHeaders.parameterValues(h, "filename"))
                .orElse(none);
        if (dispHeader.isPresent()) {
            Optional<LenientHeaders.Parsed<ContentDisposition>> parsed = LenientHeaders.disposition(dispHeader.get());
            if (parsed.isPresent()) {
                ContentDisposition cd = parsed.get().value();
                disposition = Optional.ofNullable(cd.getDisposition()).map(d -> d.toLowerCase(Locale.ROOT));
                fileName = fileNameValues
                        .extended()
                        .map(MimeWalker::decodedOnce)
                        .or(() ->
                                Optional.ofNullable(cd.getParameter("filename")).map(TextDecoding::decodeHeader));
            }
        }
        if (fileName.isEmpty() || fileName.get().isBlank()) {
            fileName = nameParam;
        }
        // every other name a client may take (the plain one beside RFC 2231's, a second one, Content-Type's name):
        // checked by name too, or `filename*=utf-8''notes.txt; filename="run.js"` passed as notes.txt
        List<String> otherNames = new ArrayList<>();
        List<String> given = new ArrayList<>();
        for (LenientHeaders.ParameterValues values : List.of(fileNameValues, nameValues)) {
            values.extended().map(MimeWalker::decodedOnce).ifPresent(given::add);
            values.firstOfTwice().map(MimeWalker::decodedOnce).ifPresent(given::add);
            values.plain().stream().map(TextDecoding::decodeHeader).forEach(given::add);
        }
        for (String decoded : given) {
            if (!decoded.isBlank() && !fileName.map(decoded::equals).orElse(false) && !otherNames.contains(decoded)) {
                otherNames.add(decoded);
            }
        }
        String enc = header(p, "Content-Transfer-Encoding")
                .map(MimeWalker::mechanism)
                .filter(e -> !e.isEmpty())
                .orElse("7bit");
        return new PartInfo(path, depth, mimeType, contentTypeHeader, charset, fileName, disposition, enc, otherNames);
    }

    /**
     * A {@code Content-Transfer-Encoding} value's mechanism, in lower case: the value up to a blank, {@code ;},
     * {@code ,} or {@code (}, as Thunderbird reads it (RFC 2045 allows a comment after it: {@code base64 (binary)}).
     * Until session 48 the whole value was the mechanism, so such a body went undecoded, and EICAR in it was clean for
     * the built-in scanner while Thunderbird and clamd decode it. A value that starts with a comment names no
     * mechanism Thunderbird knows either and stays unknown.
     */
    static String mechanism(String value) {
        String v = value.strip();
        int end = 0;
        while (end < v.length() && " \t\r\n;,(".indexOf(v.charAt(end)) < 0) {
            end++;
        }
        return v.substring(0, end == 0 ? v.length() : end).toLowerCase(Locale.ROOT);
    }

    /**
     * An RFC 2231 value, which {@link LenientHeaders} decoded from its charset: only encoded words left in it (a
     * mailer's RFC 2047 name cut into plain sections) are decoded; its characters are not read as raw bytes again.
     */
    private static String decodedOnce(String value) {
        return value.contains("=?") ? TextDecoding.decodeEncodedWords(value) : value;
    }

    /**
     * Whether a raw header line starts with a field name (printable ASCII, no colon) and a colon (RFC 5322 2.2; blanks
     * before the colon allowed, as RFC 822 did). Stateless.
     *
     * @param line one line, without its line end
     * @return whether it opens a header field
     */
    public static boolean isHeaderField(String line) {
        int colon = line.indexOf(':');
        if (colon <= 0) {
            return false;
        }
        String name = line.substring(0, colon).stripTrailing(); // RFC 822 allowed blanks before the colon
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 33 || c > 126) {
                return false;
            }
        }
        return true;
    }

    private static String abbreviate(String s) {
        String one = s.replaceAll("[\\r\\n\\t]+", " ").strip();
        return one.length() <= 80 ? one : one.substring(0, 77) + "...";
    }

    /** A multipart's boundary parameter, as the lenient parser reads its Content-Type; empty when none. */
    private static Optional<String> boundaryOf(PartInfo info) {
        return info.contentType()
                .flatMap(LenientHeaders::contentType)
                .map(c -> c.value().getParameter("boundary"))
                .filter(b -> !b.isEmpty());
    }

    /** What a header field means for the walk: its value (in lower case) and the parameters given, joined. */
    private static String meaning(String value, String... parameters) {
        StringBuilder sb = new StringBuilder(Objects.toString(value, "").toLowerCase(Locale.ROOT));
        for (String p : parameters) {
            sb.append(';').append(Objects.toString(p, ""));
        }
        return sb.toString();
    }

    private static String unfold(String value) {
        return value.replaceAll("\r?\n", "").strip();
    }

    private static Optional<String> header(MimePart p, String name) {
        try {
            String v = p.getHeader(name, null);
            return Optional.ofNullable(v).map(s -> s.replaceAll("\r?\n", "").strip());
        } catch (MessagingException e) {
            return Optional.empty();
        }
    }

    /**
     * Builds a {@link MimeWalker}. Each setter validates at once. Not thread-safe.
     */
    public static final class Builder {
        private int maxDepth = DEFAULT_MAX_DEPTH;
        private int maxParts = DEFAULT_MAX_PARTS;
        private long maxDecodedBytes = DEFAULT_MAX_DECODED_BYTES;
        private long spoolThreshold = DEFAULT_SPOOL_THRESHOLD;
        private boolean decodeContainers = true;

        private Builder() {}

        /**
         * Whether a container ({@code multipart/*}, {@code message/rfc822}, {@code message/global}) that carries a
         * base64, quoted-printable or uuencode transfer encoding is decoded before it is walked. Default {@code true}:
         * what a mail client that decodes it shows. With {@code false} its body is walked as sent, as a client that
         * ignores the encoding reads it (a scanner that must see what either kind of client shows walks twice). Either
         * way the container is an {@link MimeFinding.Kind#ENCODED_CONTAINER} finding; an unknown encoding is an
         * {@link MimeFinding.Kind#UNKNOWN_ENCODING} one and always walked as sent. Read as sent, a multipart inside a
         * quoted-printable container has its boundary parameter escaped ({@code boundary=3D"..."}), which no delimiter
         * line matches: it is then split at its first line that starts with {@code --}, as a reader that ignores the
         * parameter splits it (not when a line starts with {@code --3D}, where a reader that takes the parameter as
         * written could split: then it is {@link MimeFinding.Kind#MALFORMED_MULTIPART}).
         *
         * @param value whether encoded containers are decoded
         * @return this builder
         */
        public Builder decodeContainers(boolean value) {
            decodeContainers = value;
            return this;
        }

        /**
         * The maximum nesting depth (the message is depth 0). Default {@value MimeWalker#DEFAULT_MAX_DEPTH}.
         *
         * @param value {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder maxDepth(int value) {
            Checks.requireAtLeast(value, 0, "maxDepth");
            maxDepth = value;
            return this;
        }

        /**
         * The maximum number of entities walked, containers included. Default {@value MimeWalker#DEFAULT_MAX_PARTS}.
         *
         * @param value {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if below 1
         */
        public Builder maxParts(int value) {
            Checks.requireAtLeast(value, 1, "maxParts");
            maxParts = value;
            return this;
        }

        /**
         * The maximum number of decoded bytes handed to the visitor over the whole walk (decoded encoded containers
         * count too). Default {@value MimeWalker#DEFAULT_MAX_DECODED_BYTES} (128 MiB).
         *
         * @param value {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if below 1
         */
        public Builder maxDecodedBytes(long value) {
            Checks.requireAtLeast(value, 1, "maxDecodedBytes");
            maxDecodedBytes = value;
            return this;
        }

        /**
         * How many bytes of a decoded encoded container stay in heap before it is spooled to a private temporary
         * file. Default {@value MimeWalker#DEFAULT_SPOOL_THRESHOLD} (1 MiB).
         *
         * @param value {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder spoolThreshold(long value) {
            Checks.requireAtLeast(value, 0, "spoolThreshold");
            spoolThreshold = value;
            return this;
        }

        /**
         * Builds the walker.
         *
         * @return a new walker
         */
        public MimeWalker build() {
            return new MimeWalker(this);
        }
    }
}
