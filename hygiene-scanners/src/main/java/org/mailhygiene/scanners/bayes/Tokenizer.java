package org.mailhygiene.scanners.bayes;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.scanners.mime.MimeFinding;
import org.mailhygiene.scanners.mime.MimeWalkResult;
import org.mailhygiene.scanners.mime.MimeWalker;
import org.mailhygiene.scanners.mime.PartInfo;
import org.mailhygiene.scanners.mime.PartVisitor;
import org.mailhygiene.scanners.mime.TextDecoding;

/**
 * Turns a message into the set of tokens the classifier learns and scores.
 *
 * <p>Headers of the top-level message (raw 8-bit and JIS bytes and RFC 2047 words decoded): the Subject's words and
 * bigrams prefixed {@code subject:}, and its shape: {@code subject-case:<Word>} for words with capitals,
 * {@code subject-upper:<tenths of letters in capitals>}, {@code subject-char:<c>} for {@code ! $ % ? * #};
 * {@code from:<address>} and {@code from-domain:<domain>} (also for Reply-To and Return-Path) and the display name's
 * words; the Message-ID's domain; {@code x-mailer:<value>}; from the first {@value #MAX_RECEIVED} Received fields the
 * relays' domains ({@code received:<registrable domain>}), their IPv4 /24 and /16 prefixes ({@code received-ip:}) and
 * protocol words ({@code received-word:esmtp}), plus {@code received-count:<n>}. The big mailbox providers anyone can
 * sign up with (Gmail, Outlook/Hotmail, Yahoo, AOL, iCloud, GMX, Mail.ru, Yandex, Proton, Zoho, QQ, 163, the Japanese
 * mobile carriers and large ISPs) give no
 * domain token, and a Received hop naming one gives no address token: ham and spam use them alike, and what a corpus
 * taught about them is the corpus's year. The header block is parsed by hand
 * (unfolded, up to the empty line). Body: every text part is decoded (quoted-printable, base64, the
 * declared charset or a sniffed one: ISO-2022-JP with CP50221's extensions, Shift_JIS, EUC-JP, UTF-8, UTF-7, raw
 * JIS, as {@link TextDecoding} reads them), HTML is turned into text
 * without its hidden elements (a plain text alternative of the HTML loses the words the HTML hides and does not show),
 * and the text is split by {@link TextTokens} into words and CJK bigrams; URL hosts become {@code url:<host>} and
 * {@code url:<registrable domain>}. Each part adds {@code type:<media type>} and {@code charset:<declared charset>};
 * attachments add {@code ext:<extension>}; MIME structure findings add {@code mime:<kind>}.
 *
 * <p>At most {@value #DEFAULT_MAX_TEXT_BYTES} decoded bytes of text are read from the start of each part, and a
 * quarter as many of the end of a longer one. Immutable and thread-safe.
 */
public final class Tokenizer {
    /**
     * The version of the token set: raised whenever a change makes the same message yield other tokens, so that
     * verdicts cached under an older tokenizer are not reused (see {@link #identity()}). Version 2 added the Received
     * relay tokens and the Subject's shape; version 3 the features chosen by cross-source evaluation
     * (benchmarks/README.md): URL hosts that are IP addresses ({@code url-ip}), links whose visible text names another
     * domain than their target ({@code html:link-mismatch}), forms, scripts and iframes in HTML ({@code html:form},
     * ...), HTML without a plain-text alternative ({@code mime:html-only}), an RFC 2047 encoded Subject or From that is
     * plain ASCII once decoded ({@code subject:encoded-ascii}), a Reply-To or Message-ID domain other than the From
     * domain ({@code hdr:reply-to-differs}, {@code hdr:message-id-differs}) and 8-bit text without a declared charset
     * or declared as US-ASCII ({@code charset:undeclared-8bit}); and no {@code received-count:0} any more. Version 4
     * adds URL and HTML shape ({@code url-shortener}, {@code url-userinfo}, {@code url-port}, {@code url-domains:<n>}
     * for the number of distinct registrable domains linked, {@code html:hidden}, {@code html:tiny-font},
     * {@code html:image-only}), encoding oddities ({@code enc:base64-text} for base64 text parts,
     * {@code charset:mixed} for several declared charsets) and, only for mail that has a {@code Received} field, header
     * anomalies ({@code hdr:no-date}, {@code hdr:no-message-id}, {@code hdr:from-name-address} for a From display name
     * holding an address of another domain); From's address is now the one in angle brackets when there is one.
     * Version 5 no longer reads dotted numbers in Received fields as relay names ({@code received:13.8} came from
     * "Sendmail 8.13.8" and taught the model which collection a message came from), and gives no domain or relay
     * address token for the big mailbox providers (see the class description); domains are cut to their registrable
     * part under countries' second-level domains too ({@code received:example.co.jp}, was {@code received:co.jp});
     * text in hidden HTML elements is not read; URL hosts and the From domain add their top-level domain
     * ({@code url-tld:shop}, {@code from-tld:jp}). Version 6 gives no token for hiragana (they separate kanji and
     * katakana runs; see {@link TextTokens}) and decodes RFC 2047 words as bodies are decoded
     * ({@link TextDecoding#decodeHeader}). Version 7 adds {@code hdr:rcpt-in-subject} (a To or Cc address in the
     * Subject) and {@code hdr:rcpt-domain-in-from-name} (a recipient's domain in the From display name). Version 8
     * reads an AMP for e-mail part ({@code text/x-amp-html}) as HTML, its text and link hosts, where it read the
     * markup, scripts and styles as words ({@code pointer}, {@code async}, {@code null}: words of programmers' ham),
     * and adds {@code hdr:mixed-script} for a Subject or From display name with a word that mixes Latin letters with
     * Cyrillic or Greek letters drawn like Latin ones (a brand name spelled with look-alike letters). Version 9 adds
     * {@code url-rcpt-fragment} for a link that carries a To or Cc address after its {@code #} (as is, with
     * {@code %40} or in base64: phishing kits fill in the victim's address that way) and {@code url-rcpt} for one
     * that carries it elsewhere (a query such as {@code ?email=}, as unsubscribe links also do).
     * Version 10 reads a plain text alternative without the words that the HTML alternative of the same
     * {@code multipart/alternative} hides and does not show (spam of 2025-26 fills both with innocent chatter, hidden
     * in the HTML; a reader of the HTML sees neither; HTML in another branch of the plain part's own container, not
     * an attachment's or a forwarded message's), counts an element moved off the screen ({@code position:absolute}
     * with a {@code left} or {@code top} of -100 or less) and white text of 1 to 10 pixels (not on a coloured
     * background set by the same tag) as hidden, and no longer counts an element with a zero or one-pixel font as
     * hidden when its content sets a readable size again (layout tables do that to close the gaps between columns:
     * whole newsletters went unread). Version 11 adds {@code hdr:from-name-unrelated}: a From display name that
     * shares nothing with its address, outside the big mailbox providers ({@link #unrelatedName}: "PayPal Service"
     * from an address of another organisation; a brand or a stranger's name over a sender that is neither).
     * Version 12 gives no top-level domain token for the domains reserved for documentation and testing
     * ({@link #RESERVED_TLDS}: {@code .example}, {@code .test}, {@code .invalid}, {@code .localhost}).
     * Version 13 reads the content of an opaque S/MIME signature (the signed entity of an
     * {@code application/pkcs7-mime} {@code signedData}, which mail clients show as the message) as part of the
     * message, with {@code mime:smime_signed}; it read nothing of it before (signed spam was judged by its header, signed ham too).
     * Version 14 does not read the text of an element whose lines have (nearly) no height ({@code line-height:0},
     * {@code line-height:0.001}) when it holds a run of at least {@link #COLLAPSED_TEXT_CHARS} characters that no
     * paragraph, cell, image or styled element breaks and nothing inside sets a line height again: its lines are
     * drawn over one another (spam of 2026 hides its chatter so, behind its message), nor those words in the plain
     * alternative; counts {@code transform:scale(0)} and a zero width with {@code overflow:hidden} as hiding; and reads
     * an element's style as a browser does ({@link InlineStyle}: the first {@code style} attribute only, the last
     * declaration of a property, sizes and transforms not for inline elements), where version 13 searched the whole
     * tag for the words of a rule (a {@code title="display:none"} hid visible text).
     * Version 15 reads link targets as a browser resolves them ({@link #linkTargets}): character references in the
     * attribute value decoded, tabs and line breaks removed, {@code //host}, {@code https:host} and backslashes for
     * slashes; the {@code action}, {@code formaction}, {@code background} and {@code data} attributes and CSS
     * {@code url(...)} too, hosts mapped as browsers map them (compatibility forms, ideographic full stops, soft
     * hyphens), a host it cannot spell as {@code url:odd-host} (a link all the same); and in text an internationalised
     * or percent-escaped host. Version 14 gave no host for such links: a message that linked only so was taken for one
     * without links.
     * Version 16 reads the end of a text part longer than the limit too ({@link #DEFAULT_MAX_TEXT_BYTES}): a pitch
     * after 256 KiB of padding was never read, and the message was called clean.
     * Version 17 reads ISO-2022-JP leniently ({@link TextDecoding#decodeAs}): Microsoft's CP50221 extensions (㈱, ①, 髙)
     * were U+FFFD and a line left in kanji mode turned the next ASCII line into kanji; and UTF-7, which was read as its
     * base64 letters.
     * Version 18 reads the lines of the header block that are no header field as text: readers show them as the body,
     * and a pitch sent without a header of its own was never read.
     * Version 19 leaves out the trace field our relay writes on top of a message before scanning it (a message on the
     * mail path only; {@link #tokenize(MessageContent, java.util.function.Consumer, Set, java.net.InetAddress)}): the
     * same message scored otherwise as a file and through a relay.
     * Version 20 reads addresses with letters and digits outside ASCII (SMTPUTF8, internationalised domains as
     * U-labels; {@link Address}): such a From field gave {@code from:none}, a token the default model learned from
     * spam alone, and escaped the brand check.
     * Version 21 ends such an address where a name or word in a script written without spaces (Japanese, Chinese,
     * Korean, Thai) runs into it: version 20 took {@code 山田様} into {@code 山田様yamada@example.jp} and {@code より}
     * into {@code yamada@example.jpより}, and a display name so written hid the sender's name from the brand check.
     * Version 22 reads letters outside ASCII as an address's only in a value whose 8-bit bytes are UTF-8 (an RFC 6532
     * address): in a legacy charset's bytes they are a display name run on to an ASCII address ({@link
     * #legacyEightBit}), and version 20 took them into the local part, so that spam lost its {@code from:none}.
     * Models learned with an older version still load and classify; they simply lack the newer tokens until retrained.
     */
    public static final int VERSION = 22;

    /** The media type of an AMP for e-mail part, an HTML alternative with scripts every such part must load. */
    private static final String AMP_HTML = "text/x-amp-html";

    /**
     * Decoded text bytes read from the start of a part, 1 MiB (256 KiB before version 16); of a longer part its last
     * quarter as many bytes ({@link #tailBytes}) are read too, so that a pitch after padding is read, and only what
     * lies between goes unread (a message padded more than 1 MiB before and 256 KiB after its pitch).
     */
    public static final int DEFAULT_MAX_TEXT_BYTES = 1024 * 1024;
    /** Received fields looked at, from the top (the relays nearest to us, which the sender cannot forge). */
    static final int MAX_RECEIVED = 4;
    /** Recipients (To and Cc addresses) compared with the Subject and the From display name. */
    static final int MAX_RECIPIENTS = 20;
    /** Characters of the Subject and of the From display name searched for a recipient. */
    static final int MAX_ECHO_CHARS = 1_000;
    /** Header bytes read, 64 KiB. */
    static final int MAX_HEADER_BYTES = 64 * 1024;

    private final MimeWalker walker;
    private final int maxTextBytes;
    /** With {@link #receivedAs}: the client whose hop our relay recorded on top, else {@code null}. */
    private final java.net.InetAddress client;
    /** With {@link #receivedAs}: the envelope's sender on the mail path, else {@code null}. */
    private final String envelopeSender;
    /** With {@link #deliveredThrough}: the node's host name, lower case, else {@code null}. */
    private final String deliveredBy;
    /** With {@link #deliveredThrough}: the node's Subject tag, else {@code null}. */
    private final String subjectTag;

    private Tokenizer(MimeWalker walker, int maxTextBytes) {
        this(walker, maxTextBytes, null, null, null, null);
    }

    private Tokenizer(
            MimeWalker walker,
            int maxTextBytes,
            java.net.InetAddress client,
            String envelopeSender,
            String deliveredBy,
            String subjectTag) {
        this.walker = walker;
        this.maxTextBytes = maxTextBytes;
        this.client = client;
        this.envelopeSender = envelopeSender;
        this.deliveredBy = deliveredBy;
        this.subjectTag = subjectTag;
    }

    /**
     * This tokenizer reading messages as the classifier read them on the mail path with {@code envelope}: without the
     * trace field our relay wrote on top for the envelope's client, and with the envelope's sender as the {@code
     * Return-Path} in place of the message's own fields (see {@link #tokenize(MessageContent,
     * java.util.function.Consumer, Set, java.net.InetAddress, String)}). For learning a message held with its envelope
     * (a quarantined copy carries the relay's field, and no {@code Return-Path}), so that what is learned is what the
     * node classified. With {@link Envelope#unknown()} it reads as this tokenizer does. Immutable and thread-safe.
     *
     * @param envelope the envelope the message was received with
     * @return a tokenizer reading so; its {@link #identity()} names the envelope
     */
    public Tokenizer receivedAs(Envelope envelope) {
        return new Tokenizer(
                walker, maxTextBytes, envelope.clientAddress().orElse(null), mailPathSender(envelope), null, null);
    }

    /**
     * This tokenizer reading a copy that a node of this project's relay delivered (a message saved from a mailbox that
     * a user reports as spam, or as ham) as that node's classifier read it on the mail path: the {@code Received} fields
     * above and including the topmost one that node wrote ({@code by HOST (mail-hygiene)}, the {@code hostname} of its
     * node configuration; for a milter the field of the Postfix in front of it, {@code by HOST (Postfix)}, which
     * Postfix does not show a milter) are neither read nor counted (the node read none of them: they record its own
     * hop and the hops after it), and a Subject that begins with {@code subjectTag} and a space, as the node writes a tagged
     * Subject, is read without them, unless an {@code X-Spam-Flag: NO} says the node judged it clean (the tag is then
     * the sender's, which the node read). The {@code Return-Path} the final delivery wrote counts, as the envelope's sender
     * does on the mail path. A sender cannot hide a field from this: every field he writes lies below the node's own.
     * A message without a field by {@code host} is read as this tokenizer reads it (see {@link
     * #isDeliveredThrough(MessageContent)} to tell). Immutable and thread-safe.
     *
     * @param host the node's host name as it writes it in its trace fields (compared without regard to case)
     * @param subjectTag the node's {@code spam-tag} (default {@code [SPAM]}), or {@code null} for no tag
     * @return a tokenizer reading so; its {@link #identity()} names the host and the tag
     * @throws IllegalArgumentException if {@code host} is blank or holds white space or parentheses, or the tag is
     *     blank or holds a line break
     */
    public Tokenizer deliveredThrough(String host, String subjectTag) {
        Objects.requireNonNull(host, "host");
        if (host.isBlank() || host.chars().anyMatch(c -> c <= ' ' || c == '(' || c == ')' || c == 0x7f)) {
            throw new IllegalArgumentException("not a host name: '" + host + "'");
        }
        if (subjectTag != null && (subjectTag.isBlank() || subjectTag.contains("\r") || subjectTag.contains("\n"))) {
            throw new IllegalArgumentException("not a Subject tag: '" + subjectTag + "'");
        }
        return new Tokenizer(
                walker,
                maxTextBytes,
                client,
                envelopeSender,
                host.toLowerCase(Locale.ROOT),
                subjectTag == null ? null : subjectTag.strip());
    }

    /**
     * Whether the message carries a {@code Received} field written by the host this tokenizer reads delivered copies
     * of ({@link #deliveredThrough}: {@code by HOST}); {@code true} for a tokenizer that reads no delivered copies. Reads the header
     * block only (at most {@value #MAX_HEADER_BYTES} bytes). Thread-safe.
     *
     * @param content the message
     * @return whether the node's trace field is there (or none is looked for)
     * @throws IOException if the content cannot be read
     */
    public boolean isDeliveredThrough(MessageContent content) throws IOException {
        if (deliveredBy == null) {
            return true;
        }
        try (InputStream in = content.openStream()) {
            return nodeTraceField(
                            HeaderFields.parse(in.readNBytes(MAX_HEADER_BYTES)).all(), deliveredBy)
                    >= 0;
        }
    }

    /**
     * The index of the topmost {@code Received} field in {@code fields} that {@code host} wrote ({@code by HOST}
     * followed by white space, a comment or the end: {@code by HOST (mail-hygiene)} from this project's relay, hygiene-smtp's
     * {@code ReceivedHeader}; {@code by HOST (Postfix)} from the Postfix in front of a milter), or -1. Compared without
     * regard to case or folding. Linear in the fields.
     */
    static int nodeTraceField(List<HeaderFields.Field> fields, String host) {
        String by = " by " + host.toLowerCase(Locale.ROOT);
        for (int i = 0; i < fields.size(); i++) {
            HeaderFields.Field f = fields.get(i);
            if (!f.name().equals("received")) {
                continue;
            }
            String v = " " + f.value().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT) + " ";
            for (int at = v.indexOf(by); at >= 0; at = v.indexOf(by, at + 1)) {
                char next = v.charAt(at + by.length()); // the value ends with a space: always there
                if (next == ' ' || next == '(' || next == ';') {
                    return i;
                }
            }
        }
        return -1;
    }

    /**
     * The envelope's reverse path on the mail path (at least one recipient), which the tokenizer reads as the {@code
     * Return-Path} a final delivery writes; {@code null} off it ({@link Envelope#unknown()}, a file), where the
     * message's own field is the final delivery's and counts.
     */
    static String mailPathSender(Envelope envelope) {
        return envelope.recipients().isEmpty() ? null : envelope.sender();
    }

    /**
     * A tokenizer with the default MIME walker and text limit.
     *
     * @return a new tokenizer
     */
    public static Tokenizer create() {
        return new Tokenizer(MimeWalker.defaults(), DEFAULT_MAX_TEXT_BYTES);
    }

    /**
     * A tokenizer with the given walker and text limit.
     *
     * @param walker the MIME walker (its limits apply)
     * @param maxTextBytes decoded text bytes read from the start of each part (and a quarter as many of the end of a
     *     longer one), {@code >= 1}
     * @return a new tokenizer
     * @throws IllegalArgumentException if {@code maxTextBytes < 1}
     */
    public static Tokenizer of(MimeWalker walker, int maxTextBytes) {
        if (maxTextBytes < 1) {
            throw new IllegalArgumentException("maxTextBytes must be >= 1, was " + maxTextBytes);
        }
        return new Tokenizer(Objects.requireNonNull(walker, "walker"), maxTextBytes);
    }

    /**
     * Everything that decides this tokenizer's output: the {@linkplain #VERSION version}, the text limit and the MIME
     * walker's limits. Two tokenizers with equal identities yield the same tokens for every message.
     *
     * @return e.g. {@code "tokenizer-14/262144/MimeWalker[version=3, maxDepth=20, maxParts=1000,
     *     maxDecodedBytes=134217728]"}
     */
    public String identity() {
        return "tokenizer-" + VERSION + "/" + maxTextBytes + "/" + walker
                + (client == null && envelopeSender == null
                        ? ""
                        : "/received-as:" + client + "/<" + envelopeSender + ">")
                + (deliveredBy == null ? "" : "/delivered-by:" + deliveredBy + "/" + subjectTag);
    }

    /**
     * Whether a token is the {@code type:} token of a part beside the text: any media type but text, a multipart
     * container or an encapsulated message ({@code type:image/gif}, {@code type:application/pdf}). Thread-safe.
     *
     * @param token a token
     * @return {@code true} for an attached part's type token
     */
    static boolean isAttachedType(String token) {
        return token.startsWith("type:")
                && !token.startsWith("type:text/")
                && !token.startsWith("type:multipart/")
                && !token.startsWith("type:message/");
    }

    /** The MIME walker this tokenizer reads messages with (its limits apply to any second walk of the same message). */
    MimeWalker walker() {
        return walker;
    }

    /**
     * Tokenizes a message.
     *
     * @param content the message
     * @return its distinct tokens, in first-seen order
     * @throws IOException if the content cannot be read
     */
    public Set<String> tokenize(MessageContent content) throws IOException {
        return tokenize(content, null);
    }

    /**
     * Tokenizes a message and hands the parsed top-level header to a sink (so that the bounce detector need not read
     * and parse it again).
     *
     * @param content the message
     * @param headerSink receives the header fields, or {@code null}
     * @return its distinct tokens, in first-seen order
     * @throws IOException if the content cannot be read
     */
    Set<String> tokenize(MessageContent content, java.util.function.Consumer<HeaderFields> headerSink)
            throws IOException {
        return tokenize(content, headerSink, null);
    }

    /**
     * Tokenizes a message as {@link #tokenize(MessageContent, java.util.function.Consumer)} does, and hands the words
     * it did not read because the HTML hides them (in the HTML, and in a plain alternative the HTML hides them from) to
     * {@code unread}: the classifier reads a message both ways and takes the more spam-like reading, so that hiding
     * text from this tokenizer can never lower a score.
     *
     * @param content the message
     * @param headerSink receives the header fields, or {@code null}
     * @param unread receives the words not read because hidden (some may be tokens all the same), or {@code null}
     * @return its distinct tokens, in first-seen order
     * @throws IOException if the content cannot be read
     */
    Set<String> tokenize(
            MessageContent content, java.util.function.Consumer<HeaderFields> headerSink, Set<String> unread)
            throws IOException {
        return tokenize(content, headerSink, unread, client, envelopeSender);
    }

    /**
     * Tokenizes a message as {@link #tokenize(MessageContent, java.util.function.Consumer, Set)} does, without the trace
     * field our relay wrote on top of it before scanning: when the topmost {@code Received} field records the hop from
     * {@code client} (its address in brackets, {@code [192.0.2.1]} or {@code [IPv6:2001:db8::1]}) and was written by
     * this project's relay ({@code by HOST (mail-hygiene)}), that field is neither read nor counted. The message as its
     * sender handed it over (a file an administrator tries with {@code hygiene scan}) has no such field, so without this
     * the same message scored otherwise through a relay (its {@code received-count:} one higher, a fourth earlier hop
     * no longer read, the node's host and the client's address as {@code received:} and {@code received-ip:} tokens;
     * benchmarks/README.md, session 53). A milter needs nothing of the kind: Postfix does not show it its own field. Only
     * the topmost field is looked at: the ones below were written by the hops before.
     *
     * @param content the message
     * @param headerSink receives the header fields, or {@code null}
     * @param unread receives the words not read because hidden, or {@code null}
     * @param client the address the scanning node received the message from, or {@code null} when unknown (a file):
     *     then every {@code Received} field counts
     * @return its distinct tokens, in first-seen order
     * @throws IOException if the content cannot be read
     */
    Set<String> tokenize(
            MessageContent content,
            java.util.function.Consumer<HeaderFields> headerSink,
            Set<String> unread,
            java.net.InetAddress client)
            throws IOException {
        return tokenize(content, headerSink, unread, client, null);
    }

    /**
     * Tokenizes a message as {@link #tokenize(MessageContent, java.util.function.Consumer, Set, java.net.InetAddress)}
     * does, reading the SMTP envelope's sender as the {@code Return-Path} field a final delivery writes from it: a
     * message saved from a mailbox (what {@code hygiene scan FILE} reads) carries {@code Return-Path: <sender>}, a
     * message on the mail path has none yet (Postfix drops one a sender wrote, and does not show a milter the one it
     * would add), so without this the same message scored otherwise as a file and through a milter or relay
     * (benchmarks/README.md, session 54). With an envelope sender, every {@code Return-Path} field of the message is
     * ignored: on the mail path such a field is its sender's own, and neither counts instead of the envelope's nor in
     * addition to it. Stateless; thread-safe as the tokenizer is.
     *
     * @param content the message
     * @param headerSink receives the header fields, or {@code null}
     * @param unread receives the words not read because hidden, or {@code null}
     * @param client the address the scanning node received the message from, or {@code null} when unknown
     * @param envelopeSender the reverse path of the SMTP envelope without angle brackets ({@code ""} for the null
     *     sender), or {@code null} off the mail path (a file): then the message's own {@code Return-Path} fields count
     * @return its distinct tokens, in first-seen order
     * @throws IOException if the content cannot be read
     */
    Set<String> tokenize(
            MessageContent content,
            java.util.function.Consumer<HeaderFields> headerSink,
            Set<String> unread,
            java.net.InetAddress client,
            String envelopeSender)
            throws IOException {
        Set<String> tokens = new LinkedHashSet<>();
        List<String> recipients;
        try (InputStream in = content.openStream()) {
            HeaderFields h = HeaderFields.parse(in.readNBytes(MAX_HEADER_BYTES));
            List<HeaderFields.Field> fields = h.all();
            int skip = deliveredBy == null ? -1 : nodeTraceField(fields, deliveredBy);
            if (skip >= 0) {
                // the node read none of the fields above its own, nor its own; and its Subject before it tagged it
                List<HeaderFields.Field> read = new ArrayList<>(fields.size());
                for (int i = 0; i < fields.size(); i++) {
                    HeaderFields.Field f = fields.get(i);
                    if (i <= skip && f.name().equals("received")) {
                        continue;
                    }
                    read.add(f);
                }
                fields = untagged(read, subjectTag);
            }
            recipients = headers(fields, tokens, client, envelopeSender);
            strayHeaderText(h, tokens);
            if (headerSink != null) {
                headerSink.accept(h);
            }
        }
        Alternatives alternatives = new Alternatives(unread);
        MimeWalkResult result = walker.walk(content, new PartVisitor() {
            @Override
            public boolean enter(PartInfo part) {
                if (part.mimeType().equals("multipart/alternative")) {
                    alternatives.containers.add(part.path());
                } else if (!part.mimeType().startsWith("multipart/")) {
                    alternatives.messages.add(part.path());
                }
                return true;
            }

            @Override
            public boolean leaf(PartInfo part, InputStream decoded) throws IOException {
                part(part, decoded, recipients, tokens, alternatives);
                return true;
            }
        });
        for (Alternatives.Plain plain : alternatives.deferred) {
            java.util.function.Predicate<String> hidden = alternatives.hiddenElsewhere(plain);
            for (String t : plain.words()) {
                if (!hidden.test(t)) {
                    tokens.add(t);
                } else if (unread != null) {
                    unread.add(t);
                }
            }
        }
        for (MimeFinding f : result.findings()) {
            if (f.kind() == MimeFinding.Kind.AMBIGUOUS_ENCODING
                    || f.kind() == MimeFinding.Kind.AMBIGUOUS_HEADER
                    || f.kind() == MimeFinding.Kind.AMBIGUOUS_MULTIPART) {
                // notes beside mime:encoded_container and mime:malformed_header, which models learned: no token of
                // their own, so that the tokens of a message stay what the shipped model was learned with
                continue;
            }
            // an empty multipart was a malformed one before the walker told them apart: the models learned that token
            MimeFinding.Kind kind =
                    f.kind() == MimeFinding.Kind.EMPTY_MULTIPART ? MimeFinding.Kind.MALFORMED_MULTIPART : f.kind();
            tokens.add("mime:" + kind.name().toLowerCase(Locale.ROOT));
        }
        if (tokens.contains("type:text/html") && !tokens.contains("type:text/plain")) {
            tokens.add("mime:html-only");
        }
        summary(tokens);
        return tokens;
    }

    /** Tokens that count over the whole message: distinct linked domains, distinct declared charsets. */
    private static void summary(Set<String> tokens) {
        Set<String> domains = new java.util.HashSet<>();
        String charset = null;
        boolean mixed = false;
        for (String t : tokens) {
            if (t.startsWith("url:")) {
                domains.add(registrableDomain(t.substring(4)));
            } else if (t.startsWith("charset:") && !t.equals("charset:undeclared-8bit")) {
                String c = t.substring(8);
                mixed |= charset != null && !charset.equals(c) && !c.equals("us-ascii");
                charset = charset == null && !c.equals("us-ascii") ? c : charset;
            }
        }
        if (!domains.isEmpty()) {
            int n = domains.size();
            tokens.add("url-domains:" + (n <= 2 ? String.valueOf(n) : n <= 4 ? "3-4" : "5+"));
        }
        if (mixed) {
            tokens.add("charset:mixed");
        }
    }

    /**
     * Whether a token is a word of the message's text: a word or CJK bigram of a body part (or the {@code skip:}
     * token that stands for a long one), as opposed to a token this tokenizer makes of the header (the Subject's words
     * included), the MIME structure, the links and the HTML markup ({@code subject:}, {@code from-domain:},
     * {@code received-ip:}, {@code type:}, {@code url:}, {@code html:}, {@code hdr:}, {@code url-ip} and the other
     * kinds the class description and {@link #VERSION} name). {@link BayesModel#classify} reads a message a second
     * time without its text words. Decided by the token's kind (the part before its first colon, or the whole token
     * for the {@code url-} flags); a body word that happens to begin with a kind's name and a colon ({@code from:me})
     * counts as structure, a raw link or time in the text ({@code http://...}, {@code 10:30}) as a word. Thread-safe;
     * allocates nothing.
     *
     * @param token a token
     * @return {@code true} for a word of the text
     * @throws NullPointerException if {@code token} is {@code null}
     */
    public static boolean isTextWord(String token) {
        int colon = token.indexOf(':');
        if (colon < 0) {
            return !token.startsWith("url-") || !URL_FLAGS.contains(token);
        }
        for (String kind : STRUCTURE_KINDS) { // an array: no iterator
            if (kind.length() == colon && token.startsWith(kind)) {
                return false;
            }
        }
        return true;
    }

    /** The kinds of {@link #isTextWord structure tokens} that carry a value after a colon. */
    private static final String[] STRUCTURE_KINDS = {
        "subject",
        "subject-case",
        "subject-upper",
        "subject-char",
        "from",
        "from-name",
        "from-domain",
        "from-tld",
        "reply-to",
        "reply-to-name",
        "reply-to-domain",
        "return-path",
        "return-path-name",
        "return-path-domain",
        "message-id-domain",
        "x-mailer",
        "received",
        "received-ip",
        "received-word",
        "received-count",
        "type",
        "charset",
        "ext",
        "enc",
        "mime",
        "html",
        "hdr",
        "url",
        "url-tld",
        "url-domains"
    };

    /** The {@link #isTextWord structure tokens} without a colon. */
    private static final Set<String> URL_FLAGS =
            Set.of("url-ip", "url-shortener", "url-userinfo", "url-port", "url-rcpt", "url-rcpt-fragment");

    /**
     * Tokenizes plain text as body text (words and CJK bigrams, URL hosts).
     *
     * @param text the text
     * @return its distinct tokens, in first-seen order
     */
    public static Set<String> tokenizeText(String text) {
        Set<String> tokens = new LinkedHashSet<>();
        text(text, tokens);
        return tokens;
    }

    /**
     * The {@code multipart/alternative} containers of one message, the HTML alternatives found in them and the plain
     * text alternatives held back until the walk has seen every part: a plain text alternative loses the words that an
     * HTML alternative in another branch of its container hides and does not show (the reader of an HTML-capable
     * client never sees the plain text, and spam fills it with innocent prose the HTML hides). An encapsulated message
     * ({@code message/rfc822}) is a document of its own: no path climbs out of it, so a forwarded message's text is
     * never taken for an alternative of the message around it. HTML attachments (with a file name) are not
     * alternatives.
     */
    private static final class Alternatives {
        /** Paths of the {@code multipart/alternative} containers. */
        final Set<String> containers = new java.util.HashSet<>();
        /** Paths of the encapsulated messages: a path climbs no higher. */
        final Set<String> messages = new java.util.HashSet<>();
        /**
         * For each {@code container path + "/" + branch} (branch: the direct child of the container) holding HTML, the
         * words that HTML hides and does not show.
         */
        final java.util.Map<String, Set<String>> branchHidden = new java.util.HashMap<>();
        /** For each container, how many of its branches hide each word (a plain part's own branch is left out). */
        final java.util.Map<String, java.util.Map<String, Integer>> containerHidden = new java.util.HashMap<>();

        final List<Plain> deferred = new ArrayList<>();

        /** Receives the words of hidden HTML text, or {@code null}. */
        final Set<String> unread;

        Alternatives(Set<String> unread) {
            this.unread = unread;
        }

        /** A plain text alternative's words (its links were read when it was walked). */
        record Plain(String container, String branch, Set<String> words) {}

        /**
         * The alternative containers above {@code path} within its own message, nearest first, each with the branch
         * (direct child of the container) {@code path} is in: {@code {container, branch}} pairs.
         */
        List<String[]> above(String path) {
            List<String[]> found = new ArrayList<>(1);
            String child = path;
            while (!child.isEmpty() && !messages.contains(child)) {
                int dot = child.lastIndexOf('.');
                String parent = dot < 0 ? "" : child.substring(0, dot);
                if (containers.contains(parent)) {
                    found.add(new String[] {parent, child});
                }
                child = parent;
            }
            return found;
        }

        /** Records the words the HTML part at {@code path} hides in each alternative container above it. */
        void html(String path, Set<String> hiddenWords) {
            for (String[] at : above(path)) {
                Set<String> branch = branchHidden.computeIfAbsent(at[0] + "/" + at[1], k -> new java.util.HashSet<>());
                java.util.Map<String, Integer> counts =
                        containerHidden.computeIfAbsent(at[0], k -> new java.util.HashMap<>());
                for (String w : hiddenWords) {
                    if (branch.add(w)) {
                        counts.merge(w, 1, Integer::sum);
                    }
                }
            }
        }

        /**
         * Whether HTML in another branch of the plain part's container hides a word: two look-ups a word, whatever
         * the number of branches (a message may hold hundreds).
         */
        java.util.function.Predicate<String> hiddenElsewhere(Plain plain) {
            java.util.Map<String, Integer> counts = containerHidden.getOrDefault(plain.container(), java.util.Map.of());
            Set<String> own = branchHidden.getOrDefault(plain.container() + "/" + plain.branch(), Set.of());
            return word -> counts.getOrDefault(word, 0) > (own.contains(word) ? 1 : 0);
        }
    }

    private void part(
            PartInfo part, InputStream decoded, List<String> recipients, Set<String> tokens, Alternatives alternatives)
            throws IOException {
        tokens.add("type:" + part.mimeType());
        part.charset()
                .ifPresent(
                        c -> tokens.add("charset:" + c.toLowerCase(Locale.ROOT).replace("\"", "")));
        part.fileName().ifPresent(n -> {
            int dot = n.lastIndexOf('.');
            if (dot >= 0 && dot < n.length() - 1) {
                tokens.add("ext:" + n.substring(dot + 1).strip().toLowerCase(Locale.ROOT));
            }
        });
        if (!part.mimeType().startsWith("text/")) {
            return;
        }
        if (part.transferEncoding().equals("base64") && part.fileName().isEmpty()) {
            tokens.add("enc:base64-text");
        }
        TextBytes read = headAndTail(decoded, part.charset().orElse(null));
        byte[] bytes = read.head();
        String text = TextDecoding.decodeAs(bytes, read.headCharset()); // as TextDecoding.decode reads them

        // the end of a part longer than the limit, read apart: HTML's open constructs do not run on into it
        String tail = read.tail().length == 0 ? "" : TextDecoding.decodeAs(read.tail(), read.tailCharset());
        recipientLinks(text, recipients, tokens);
        recipientLinks(tail, recipients, tokens);
        List<String[]> above =
                part.mimeType().equals("text/plain") && part.fileName().isEmpty()
                        ? alternatives.above(part.path())
                        : List.of();
        if (!above.isEmpty()) {
            // links and hosts count whatever the HTML hides; the words wait for the walk's end (only the distinct
            // words are kept, not the text: no more than the tokens the message yields anyway)
            undeclared8bit(part, bytes, tokens);
            String all = tail.isEmpty() ? text : text + "\n" + tail;
            urls(all, tokens);
            Set<String> words = new LinkedHashSet<>();
            TextTokens.tokenize(all, "", words::add);
            alternatives.deferred.add(new Alternatives.Plain(above.get(0)[0], above.get(0)[1], words));
            return;
        }
        // AMP for e-mail (Google's notifications, and phishing sent through them) is HTML too: its text and links
        // count, but not its structure: its scripts are mandatory, and it is never the only alternative
        boolean amp = part.mimeType().equals(AMP_HTML);
        Set<String> hiddenWords = null;
        if (amp || part.mimeType().equals("text/html")) {
            linkTargets(text, tokens);
            linkTargets(tail, tokens);
            if (!amp) {
                htmlStructure(text, tokens);
            }
            String html = text;
            StringBuilder hidden = amp ? null : new StringBuilder();
            text = htmlToText(text, hidden);
            if (!tail.isEmpty()) {
                text = text + "\n" + htmlToText(tail, hidden);
                tail = "";
            }
            if (hidden != null && hidden.length() > 0) {
                Set<String> words = new java.util.HashSet<>();
                TextTokens.tokenize(stripTags(hidden.toString()), "", words::add);
                if (alternatives.unread != null) {
                    alternatives.unread.addAll(words);
                }
                hiddenWords = part.fileName().isEmpty() ? words : null;
            }
            if (!amp && containsIgnoreCase(html, "<img")) {
                int letters = 0;
                for (int i = 0; i < text.length() && letters < IMAGE_ONLY_LETTERS; i++) {
                    if (Character.isLetter(text.charAt(i))) {
                        letters++;
                    }
                }
                if (letters < IMAGE_ONLY_LETTERS) {
                    tokens.add("html:image-only");
                }
            }
        }
        if (!tail.isEmpty()) {
            text = text + "\n" + tail;
        }
        undeclared8bit(part, bytes, tokens);
        if (hiddenWords == null) {
            text(text, tokens);
        } else {
            // the visible text's words are read once: as tokens, and to keep only the words the HTML hides and
            // does not show
            Set<String> hiddenOnly = hiddenWords;
            urls(text, tokens);
            TextTokens.tokenize(text, "", w -> {
                tokens.add(w);
                hiddenOnly.remove(w);
            });
            alternatives.html(part.path(), hiddenOnly);
        }
    }

    /** The bytes read of the end of a text part longer than the limit: a quarter of the limit, at least one. */
    int tailBytes() {
        return Math.max(1, maxTextBytes / 4);
    }

    /**
     * What is read of a text part: its first bytes with the charset they are read in ({@link TextDecoding#choose}),
     * and of a longer part its last ones with theirs (a UTF-16 part's byte order from the start's byte order mark).
     */
    private record TextBytes(
            byte[] head, java.nio.charset.Charset headCharset, byte[] tail, java.nio.charset.Charset tailCharset) {}

    /**
     * Bytes of a tail searched for the start of a line (else of a word or after a tag) to begin reading at: at most a
     * quarter of the tail.
     */
    private static final int TAIL_START_SEARCH = 1024;

    /**
     * A text part's first {@code maxTextBytes} bytes and, when it is longer, its last {@link #tailBytes}, begun at a
     * line start among their first {@value #TAIL_START_SEARCH} bytes or first quarter, whichever is less (else after a
     * blank or a tag's end; else at their first byte), on a character boundary of a UTF-16 or UTF-32 text; read in one
     * pass that keeps no more. The two are decoded apart, so that neither a shift state (ISO-2022-JP) nor a byte order
     * carries over the gap.
     */
    private TextBytes headAndTail(InputStream decoded, String declared) throws IOException {
        byte[] head = decoded.readNBytes(maxTextBytes);
        java.nio.charset.Charset headCharset = TextDecoding.choose(head, declared);
        if (head.length < maxTextBytes) {
            return new TextBytes(head, headCharset, new byte[0], null);
        }
        int keep = tailBytes();
        byte[] ring = new byte[keep];
        long total = 0;
        byte[] buf = new byte[8192];
        for (int n; (n = decoded.read(buf)) > 0; ) {
            for (int i = 0; i < n; ) {
                int at = (int) (total % keep);
                int len = Math.min(n - i, keep - at);
                System.arraycopy(buf, i, ring, at, len);
                i += len;
                total += len;
            }
        }
        if (total == 0) {
            return new TextBytes(head, headCharset, new byte[0], null);
        }
        int size = (int) Math.min(total, keep);
        byte[] tail = new byte[size];
        for (int i = 0; i < size; i++) {
            tail[i] = ring[(int) ((total - size + i) % keep)];
        }
        java.nio.charset.Charset cs = headCharset;
        String name = cs.name().toUpperCase(Locale.ROOT);
        int unit = name.startsWith("UTF-32") ? 4 : name.startsWith("UTF-16") ? 2 : 1;
        if (name.equals("UTF-16")) {
            // the byte order mark is at the part's start: the tail is read in the order it gave
            boolean little = head.length >= 2 && (head[0] & 0xff) == 0xff && (head[1] & 0xff) == 0xfe;
            cs = little ? java.nio.charset.StandardCharsets.UTF_16LE : java.nio.charset.StandardCharsets.UTF_16BE;
        }
        int from = 0;
        if (total > size) {
            // the tail's first line is cut: start at the next line (a character, a word or a tag is not cut in two)
            from = startAfter(tail, Math.min(size / 4, TAIL_START_SEARCH), "\n");
            if (from < 0) {
                from = startAfter(tail, Math.min(size / 4, TAIL_START_SEARCH), " \t>");
            }
            from = Math.max(0, from);
        }
        long offset = head.length + (total - size) + from; // in the part
        from = (int) Math.min(size, from + (unit - offset % unit) % unit);
        return new TextBytes(head, headCharset, java.util.Arrays.copyOfRange(tail, from, size), cs);
    }

    /** The index after the first of {@code bytes} among {@code b[0..limit)}, or -1. */
    private static int startAfter(byte[] b, int limit, String bytes) {
        for (int i = 0; i < limit; i++) {
            if (bytes.indexOf(b[i]) >= 0) {
                return i + 1;
            }
        }
        return -1;
    }

    /**
     * Markup with its tags replaced by blanks and its entities decoded as {@link #htmlToText} decodes them (one linear
     * pass), so that a hidden copy written {@code don&#39;t} matches the plain text's {@code don't}.
     */
    private static String stripTags(String markup) {
        StringBuilder sb = new StringBuilder(markup.length());
        boolean inTag = false;
        int n = markup.length();
        for (int i = 0; i < n; i++) {
            char c = markup.charAt(i);
            if (c == '<') {
                inTag = true;
                sb.append(' ');
            } else if (c == '>' && inTag) {
                inTag = false;
            } else if (!inTag) {
                if (c == '&') {
                    int semi = entityEnd(markup, i);
                    if (semi > 0 && isEntityName(markup, i + 1, semi)) {
                        sb.append(entity(markup.substring(i + 1, semi)));
                        i = semi;
                        continue;
                    }
                }
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static void undeclared8bit(PartInfo part, byte[] bytes, Set<String> tokens) {
        if (part.charset().isEmpty() || part.charset().get().equalsIgnoreCase("us-ascii")) {
            for (byte b : bytes) {
                if (b < 0) {
                    tokens.add("charset:undeclared-8bit");
                    break;
                }
            }
        }
    }

    /**
     * Reads as text the lines of the top-level header block that are no header field ({@link
     * HeaderFields#strayText}): readers end the header at such a line and show it and what follows as the body
     * (CPython's email package, Postfix's cleanup), while the MIME parser keeps it in the header, where no text was read
     * (tokenizer 18: a lottery pitch sent with no header of its own, the relay's {@code Received} line on top of it,
     * was clean at 0.58 and 0.9999 with a header). Their bytes are decoded as text without a declared charset is.
     */
    private static void strayHeaderText(HeaderFields header, Set<String> tokens) {
        String stray = header.strayText();
        if (!stray.isEmpty()) {
            text(TextDecoding.decode(stray.getBytes(StandardCharsets.ISO_8859_1), null), tokens);
        }
    }

    private static void text(String text, Set<String> tokens) {
        urls(text, tokens);
        TextTokens.tokenize(text, "", tokens::add);
    }

    /** Finds {@code http://}, {@code https://} and {@code www.} hosts without a regular expression (hot path). */
    private static void urls(String text, Set<String> tokens) {
        String lower = text.toLowerCase(Locale.ROOT);
        int from = 0;
        // the next occurrence of each, searched again only once passed (not from every link to the text's end: a
        // text of many links and no "www." was quadratic)
        int http = lower.indexOf("http");
        int www = lower.indexOf("www.");
        while (true) {
            if (http >= 0 && http < from) {
                http = lower.indexOf("http", from);
            }
            if (www >= 0 && www < from) {
                www = lower.indexOf("www.", from);
            }
            int at;
            int hostStart;
            if (http >= 0 && (www < 0 || http <= www)) {
                at = http;
                if (lower.startsWith("http://", at)) {
                    hostStart = at + 7;
                } else if (lower.startsWith("https://", at)) {
                    hostStart = at + 8;
                } else {
                    from = at + 4;
                    continue;
                }
            } else if (www >= 0) {
                at = www;
                hostStart = www;
            } else {
                return;
            }
            int end = hostStart;
            while (end < lower.length() && isHostChar(lower.charAt(end))) {
                end++;
            }
            if (at != www && end < lower.length() && (isEscapedHostStart(lower.charAt(end)))) {
                // an internationalised host (https://аптека.рф/, https://bücher.de/) or one in percent escapes
                // (https://%72x.example/), which browsers resolve: read to the end of the host, decoded; prose run on
                // after a plain host (http://example.comをご覧ください) keeps the plain host
                int wide = end;
                while (wide < lower.length() && isEscapedHostChar(lower.charAt(wide))) {
                    wide++;
                }
                String decoded = percentDecoded(lower.substring(hostStart, wide));
                if (plausibleTextHost(decoded)) {
                    host(decoded, tokens);
                    from = Math.max(wide, at + 1);
                    continue;
                }
                if (end == hostStart) {
                    from = Math.max(wide, at + 1);
                    continue;
                }
            }
            while (end > hostStart && (lower.charAt(end - 1) == '.' || lower.charAt(end - 1) == '-')) {
                end--;
            }
            if (end > hostStart) {
                host(lower.substring(hostStart, end), tokens);
                if (end < lower.length() && lower.charAt(end) == '@') {
                    // http://www.bank.example@evil.example/: the real host follows the '@'
                    tokens.add("url-userinfo");
                    int real = end + 1;
                    end = real;
                    while (end < lower.length() && isHostChar(lower.charAt(end))) {
                        end++;
                    }
                    while (end > real && (lower.charAt(end - 1) == '.' || lower.charAt(end - 1) == '-')) {
                        end--;
                    }
                    if (end > real) {
                        host(lower.substring(real, end), tokens);
                    }
                } else if (end + 1 < lower.length()
                        && lower.charAt(end) == ':'
                        && lower.charAt(end + 1) >= '0'
                        && lower.charAt(end + 1) <= '9') {
                    tokens.add("url-port");
                }
            }
            from = Math.max(end, at + 1);
        }
    }

    /** Whether {@code s} contains {@code lowerNeedle} ignoring ASCII case, without copying {@code s}. */
    private static boolean containsIgnoreCase(String s, String lowerNeedle) {
        return indexOfIgnoreCase(s, lowerNeedle, 0) >= 0;
    }

    /** Letters of text below which an HTML part with images counts as image-only. */
    private static final int IMAGE_ONLY_LETTERS = 80;

    /** Well-known URL shorteners (the link's real target is hidden). */
    private static final Set<String> SHORTENERS = Set.of(
            "bit.ly",
            "tinyurl.com",
            "goo.gl",
            "t.co",
            "ow.ly",
            "is.gd",
            "buff.ly",
            "rebrand.ly",
            "cutt.ly",
            "tiny.cc",
            "shorturl.at",
            "rb.gy",
            "t.ly",
            "v.gd",
            "s.id",
            "bitly.com",
            "lnkd.in",
            "shorte.st",
            "adf.ly",
            "qr.net",
            "x.co",
            "u.to",
            "clck.ru",
            "tr.im",
            "snipurl.com",
            "shrinkurl.com",
            "tinyurl.at");

    private static boolean isHostChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    }

    /**
     * Whether text read after {@code https://} as an internationalised host is one: it has a dot, and its last label
     * is letters of one kind, ASCII or not ({@code аптека.рф}, {@code bücher.de}); prose run on after a scheme
     * ({@code から始まる...}, {@code 例え.jpをご覧ください}) is not.
     */
    static boolean plausibleTextHost(String host) {
        int dot = host.lastIndexOf('.');
        if (dot <= 0 || host.length() - dot < 3) {
            return false;
        }
        boolean ascii = false;
        boolean other = false;
        for (int i = dot + 1; i < host.length(); i++) {
            char c = host.charAt(i);
            if (!Character.isLetter(c)) {
                return false;
            }
            ascii |= c < 128;
            other |= c >= 128;
        }
        return !(ascii && other);
    }

    /** Whether a host starts as an internationalised ({@code аптека.рф}) or percent-escaped ({@code %72x}) one. */
    private static boolean isEscapedHostStart(char c) {
        return c == '%' || (c > 127 && Character.isLetterOrDigit(c));
    }

    /** A character of an internationalised or percent-escaped host: {@link #isHostChar}'s, {@code %}, letters. */
    private static boolean isEscapedHostChar(char c) {
        return isHostChar(c) || c == '%' || (c > 127 && Character.isLetterOrDigit(c));
    }

    /**
     * A host with its percent escapes decoded as UTF-8 (as browsers decode a host), lower case, trailing dots and
     * hyphens dropped; {@code ""} when it decodes to nothing a host could be.
     */
    static String percentDecoded(String host) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream(host.length());
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c == '%'
                    && i + 2 < host.length()
                    && Character.digit(host.charAt(i + 1), 16) >= 0
                    && Character.digit(host.charAt(i + 2), 16) >= 0) {
                b.write(Character.digit(host.charAt(i + 1), 16) * 16 + Character.digit(host.charAt(i + 2), 16));
                i += 2;
            } else {
                b.writeBytes(String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        // as browsers map a host (UTS 46, in part): compatibility forms to their letters (fullwidth, mathematical),
        // ideographic full stops to dots, soft hyphens and zero-width characters away
        String h = java.text.Normalizer.normalize(
                        b.toString(java.nio.charset.StandardCharsets.UTF_8), java.text.Normalizer.Form.NFKC)
                .replace('\u3002', '.')
                .replace('\uff61', '.')
                .toLowerCase(Locale.ROOT);
        if (h.chars().anyMatch(c -> isInvisible((char) c))) {
            StringBuilder visible = new StringBuilder(h.length());
            h.chars().filter(c -> !isInvisible((char) c)).forEach(c -> visible.append((char) c));
            h = visible.toString();
        }
        int end = h.length();
        while (end > 0 && (h.charAt(end - 1) == '.' || h.charAt(end - 1) == '-')) {
            end--;
        }
        h = h.substring(0, end);
        for (int i = 0; i < h.length(); i++) {
            char c = h.charAt(i);
            if (!isHostChar(c) && !(c > 127 && Character.isLetterOrDigit(c))) {
                return "";
            }
        }
        return h;
    }

    private static void host(String host, Set<String> tokens) {
        tokens.add("url:" + host);
        if (isIpv4(host)) {
            tokens.add("url-ip");
        }
        if (SHORTENERS.contains(host)) {
            tokens.add("url-shortener");
        }
        String registrable = registrableDomain(host);
        if (!registrable.equals(host)) {
            tokens.add("url:" + registrable);
        }
        tld(host).ifPresent(t -> tokens.add("url-tld:" + t));
    }

    /**
     * The top-level domain of a host name when it is one of letters ({@code shop}, {@code jp}); a domain never seen
     * still has a top-level domain the model may know. None for the {@linkplain #RESERVED_TLDS reserved} ones.
     */
    private static Optional<String> tld(String host) {
        int dot = host.lastIndexOf('.');
        if (dot < 0 || host.length() - dot < 3 || host.length() - dot > 25) {
            return Optional.empty();
        }
        for (int i = dot + 1; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c < 'a' || c > 'z') {
                return Optional.empty();
            }
        }
        String tld = host.substring(dot + 1);
        return RESERVED_TLDS.contains(tld) ? Optional.empty() : Optional.of(tld);
    }

    /**
     * Top-level domains reserved for documentation and testing (RFC 2606, RFC 6761): {@code example}, {@code test},
     * {@code invalid}, {@code localhost}. No mail from the Internet comes from them, so their top-level domain says
     * nothing about a message; a token for one only teaches a model which test collection a message came from (the
     * project's generated spam is all from {@code .example}, its generated ham from {@code .jp} and {@code .edu}). The
     * domains themselves still give their tokens ({@code from-domain:}, {@code url:}).
     */
    static final Set<String> RESERVED_TLDS = Set.of("example", "test", "invalid", "localhost");

    /**
     * URL hosts of link attribute values ({@code href}, {@code src}, {@code action} and {@code formaction},
     * {@code background}, {@code data}) and of CSS {@code url(...)}, each value read as written and as a browser
     * resolves it ({@link #resolvedHost}): a link the reader can follow is a link however its markup is spelled.
     * Scanned by hand (this runs for every part); linear: each value is read once.
     */
    static void linkTargets(String html, Set<String> tokens) {
        int n = html.length();
        for (int eq = html.indexOf('='); eq >= 0; eq = html.indexOf('=', eq + 1)) {
            int b = eq;
            while (b > 0 && isBlank(html.charAt(b - 1))) {
                b--;
            }
            boolean attribute = (b >= 4 && html.regionMatches(true, b - 4, "href", 0, 4))
                    || (b >= 3 && html.regionMatches(true, b - 3, "src", 0, 3))
                    || (b >= 6 && html.regionMatches(true, b - 6, "action", 0, 6))
                    || (b >= 10 && html.regionMatches(true, b - 10, "background", 0, 10))
                    || (b >= 5 && html.regionMatches(true, b - 4, "data", 0, 4) && isBlank(html.charAt(b - 5)));
            // a refresh's target: <meta http-equiv="refresh" content="0; url=https://...">
            boolean refresh = !attribute
                    && b >= 8
                    && html.regionMatches(true, b - 7, "content", 0, 7)
                    && isBlank(html.charAt(b - 8));
            if (!attribute && !refresh) {
                continue;
            }
            int v = eq + 1;
            while (v < n && isBlank(html.charAt(v))) {
                v++;
            }
            char quote = v < n && (html.charAt(v) == '"' || html.charAt(v) == '\'') ? html.charAt(v) : 0;
            if (quote != 0) {
                v++;
                // a quoted value as the browser takes it, blanks included (it removes tabs and line breaks inside a
                // URL and trims it): up to its closing quote (linear: values in one kind of quote never overlap)
                int close = v;
                while (close < n && html.charAt(close) != quote) {
                    close++;
                }
                String value = html.substring(v, close);
                if (refresh) {
                    int url = indexOfIgnoreCase(value, "url=", 0);
                    if (url >= 0) {
                        String target = value.substring(url + 4).strip();
                        linkValue(target, tokens);
                    }
                    continue;
                }
                resolvedHost(value).ifPresent(h -> host(h, tokens));
            } else if (refresh) {
                continue;
            }
            int end = v;
            while (end < n) {
                char c = html.charAt(end);
                if (c == '"' || c == '\'' || c == '>' || isBlank(c)) {
                    break;
                }
                end++;
            }
            if (end > v) {
                String value = html.substring(v, end);
                urls(value, tokens);
                if (quote == 0) {
                    resolvedHost(value).ifPresent(h -> host(h, tokens));
                }
                // an '=' inside this value starts a value that ends where this one does: its hosts are read already,
                // and reading each such suffix again made "href=href=href=..." quadratic
                eq = end - 1;
            }
        }
        // CSS url(...), in a style attribute or a style sheet: a background picture is spam's picture too
        for (int u = indexOfIgnoreCase(html, "url(", 0); u >= 0; u = indexOfIgnoreCase(html, "url(", u + 1)) {
            int v = u + 4;
            while (v < n && (isBlank(html.charAt(v)) || html.charAt(v) == '"' || html.charAt(v) == '\'')) {
                v++;
            }
            int end = v;
            while (end < n
                    && html.charAt(end) != ')'
                    && html.charAt(end) != '"'
                    && html.charAt(end) != '\''
                    && !isBlank(html.charAt(end))
                    && html.charAt(end) != '<') {
                end++;
            }
            if (end > v) {
                String value = html.substring(v, end);
                linkValue(value, tokens);
                u = end - 1;
            }
        }
    }

    /** The hosts of a link value, as written ({@link #urls}) and as a browser resolves it ({@link #resolvedHost}). */
    private static void linkValue(String value, Set<String> tokens) {
        urls(value, tokens);
        resolvedHost(value).ifPresent(h -> host(h, tokens));
    }

    /** Named character references that spell URLs in attribute values ({@code https&colon;&sol;&sol;}). */
    private static final java.util.Map<String, String> URL_ENTITIES = java.util.Map.ofEntries(
            java.util.Map.entry("amp", "&"),
            java.util.Map.entry("colon", ":"),
            java.util.Map.entry("sol", "/"),
            java.util.Map.entry("bsol", "\\"),
            java.util.Map.entry("period", "."),
            java.util.Map.entry("commat", "@"),
            java.util.Map.entry("percnt", "%"),
            java.util.Map.entry("quest", "?"),
            java.util.Map.entry("num", "#"),
            java.util.Map.entry("Tab", "\t"),
            java.util.Map.entry("NewLine", "\n"),
            java.util.Map.entry("hyphen", "-"),
            java.util.Map.entry("dash", "-"),
            java.util.Map.entry("lowbar", "_"));

    /** Schemes whose URLs have a host that browsers find after any slashes and backslashes (WHATWG "special"). */
    private static final Set<String> SPECIAL_SCHEMES = Set.of("http", "https", "ftp", "ws", "wss");

    /**
     * The host of a link attribute's value as a browser resolves it, when it names one: character references decoded
     * (numeric ones with or without {@code ;}, the named ones of {@link #URL_ENTITIES}), tabs and line breaks removed
     * and the value trimmed (the WHATWG URL parser does both), a special scheme ({@code http}, {@code https},
     * {@code ftp}) followed by any run of slashes or backslashes ({@code https:host}, {@code https:\\host}), or
     * none and two of them ({@code //host}: the page's scheme). The host ends at a slash, backslash, {@code ?},
     * {@code #} or port; what precedes its last {@code @} is user information. Percent escapes in it are decoded.
     * Empty for a relative link, another scheme ({@code mailto:}, {@code tel:}, {@code cid:}) or no host.
     */
    static Optional<String> resolvedHost(String value) {
        StringBuilder sb = new StringBuilder(value.length());
        int n = value.length();
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (c == '&') {
                int j = i + 1;
                boolean numeric = j < n && value.charAt(j) == '#';
                int k = numeric ? j + 1 : j;
                boolean hex = numeric && k < n && (value.charAt(k) == 'x' || value.charAt(k) == 'X');
                if (hex) {
                    k++;
                }
                int start = k;
                // every digit counts, as in HTML; the value saturates (an out-of-range reference is U+FFFD)
                long cp = 0;
                while (k < n
                        && (numeric
                                ? Character.digit(value.charAt(k), hex ? 16 : 10) >= 0
                                : isAsciiLetter(value.charAt(k)) && k - start < 16)) {
                    if (numeric) {
                        cp = Math.min(
                                0x110000L, cp * (hex ? 16 : 10) + Character.digit(value.charAt(k), hex ? 16 : 10));
                    }
                    k++;
                }
                if (k > start) {
                    boolean semi = k < n && value.charAt(k) == ';';
                    String decoded = null;
                    if (numeric) {
                        decoded = cp == 0 || cp >= 0x110000L || (cp >= 0xd800 && cp <= 0xdfff)
                                ? "\ufffd"
                                : new String(Character.toChars((int) cp));
                    } else if (semi) {
                        decoded = URL_ENTITIES.get(value.substring(start, k)); // names are case-sensitive
                    }
                    if (decoded != null) {
                        sb.append(decoded);
                        i = semi ? k : k - 1;
                        continue;
                    }
                }
            }
            sb.append(c);
        }
        String s = sb.toString().replace("\t", "").replace("\n", "").replace("\r", "");
        // the URL parser trims C0 controls and spaces from both ends
        int from = 0;
        int to = s.length();
        while (from < to && s.charAt(from) <= ' ') {
            from++;
        }
        while (to > from && s.charAt(to - 1) <= ' ') {
            to--;
        }
        s = s.substring(from, to);
        String lower = s.toLowerCase(Locale.ROOT);
        int colon = lower.indexOf(':');
        int p;
        if (colon > 0 && SPECIAL_SCHEMES.contains(lower.substring(0, colon))) {
            p = colon + 1;
        } else if (lower.startsWith("//")
                || lower.startsWith("\\\\")
                || lower.startsWith("/\\")
                || lower.startsWith("\\/")) {
            p = 0;
        } else {
            return Optional.empty();
        }
        while (p < lower.length() && (lower.charAt(p) == '/' || lower.charAt(p) == '\\')) {
            p++;
        }
        int end = p;
        while (end < lower.length() && "/\\?#".indexOf(lower.charAt(end)) < 0) {
            end++;
        }
        String authority = lower.substring(p, end);
        authority = authority.substring(authority.lastIndexOf('@') + 1);
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            return Optional.of(close > 0 ? authority.substring(0, close + 1) : ODD_HOST);
        }
        int port = authority.indexOf(':');
        if (port >= 0) {
            authority = authority.substring(0, port);
        }
        if (authority.isEmpty()) {
            return Optional.empty();
        }
        String host = percentDecoded(authority);
        // a host this reader cannot spell (a browser maps more of Unicode than it does) is still a link
        return Optional.of(host.isEmpty() || host.length() > 253 ? ODD_HOST : host);
    }

    /**
     * The host of a link whose host a browser reads but this tokenizer cannot spell ({@code url:odd-host}): it is a link
     * all the same, for every test that asks whether a message links anywhere.
     */
    static final String ODD_HOST = "odd-host";

    /**
     * HTML structure that phishing uses and newsletters rarely do: forms, scripts, iframes, and links whose visible
     * text names another domain than the link goes to ({@code <a href="http://evil.example">www.bank.example</a>}).
     */
    static void htmlStructure(String html, Set<String> tokens) {
        String lower = html.toLowerCase(Locale.ROOT);
        if (lower.contains("<form")) {
            tokens.add("html:form");
        }
        if (lower.contains("<script")) {
            tokens.add("html:script");
        }
        if (lower.contains("<iframe")) {
            tokens.add("html:iframe");
        }
        if (lower.contains("display:none")
                || lower.contains("display: none")
                || lower.contains("visibility:hidden")
                || lower.contains("visibility: hidden")) {
            tokens.add("html:hidden");
        }
        if (lower.contains("font-size:0")
                || lower.contains("font-size: 0")
                || lower.contains("font-size:1px")
                || lower.contains("font-size: 1px")
                || lower.contains("font-size:2px")
                || lower.contains("font-size: 2px")) {
            tokens.add("html:tiny-font");
        }
        int from = 0;
        int n = lower.length();
        while ((from = lower.indexOf("<a", from)) >= 0) {
            int close = lower.indexOf('>', from);
            if (close < 0) {
                return;
            }
            int end = lower.indexOf("</a", close);
            if (end < 0) {
                return;
            }
            String tag = lower.substring(from, close);
            int href = tag.indexOf("href");
            if (href >= 0 && end - close < 300) {
                Set<String> target = new LinkedHashSet<>();
                urls(tag.substring(href), target);
                Set<String> shown = new LinkedHashSet<>();
                urls(htmlToText(lower.substring(close + 1, end)), shown);
                String t = registrable(target);
                String v = registrable(shown);
                if (t != null && v != null && !t.equals(v)) {
                    tokens.add("html:link-mismatch");
                }
            }
            from = Math.min(n, end + 3);
        }
    }

    /** The registrable domain of the first {@code url:} host in a token set, or {@code null}. */
    private static String registrable(Set<String> urlTokens) {
        for (String t : urlTokens) {
            if (t.startsWith("url:")) {
                return registrableDomain(t.substring(4));
            }
        }
        return null;
    }

    /** Whether a character is an HTML blank: space, tab, CR, LF, form feed or vertical tab. */
    static boolean isBlank(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == 0x0B;
    }

    /**
     * Reduces HTML to its text in one pass: comments, scripts and styles removed, tags replaced by blanks, entities
     * decoded. A {@code <} that never closes stays text.
     *
     * @param html the HTML
     * @return the text
     */
    static String htmlToText(String html) {
        return htmlToText(html, null);
    }

    /** As {@link #htmlToText(String)}, appending the raw markup of each hidden element skipped to {@code hidden}. */
    static String htmlToText(String html, StringBuilder hidden) {
        int n = html.length();
        StringBuilder sb = new StringBuilder(n);
        // searches for closing tags may look ahead; their total is bounded by this budget, so that the conversion
        // stays linear in the input however many unclosed elements it holds
        int[] budget = {2 * n + 4096};
        // a style sheet may set the line height of elements inside one whose own lines have no height
        boolean styled = styleSheetSetsLines(html);
        int lastGt = html.lastIndexOf('>');
        boolean commentsUnclosed = false;
        int i = 0;
        while (i < n) {
            char c = html.charAt(i);
            if (c == '<' && i < lastGt) {
                int skipTo = -1;
                if (html.startsWith("<!--", i) && (!commentsUnclosed || emptyComment(html, i))) {
                    skipTo = commentEnd(html, i, n);
                    // no end after here means none after any later "<!--": do not search the rest again for each
                    commentsUnclosed |= skipTo < 0;
                }
                if (skipTo < 0) {
                    String element = html.regionMatches(true, i + 1, "script", 0, 6)
                            ? "script"
                            : html.regionMatches(true, i + 1, "style", 0, 5) ? "style" : null;
                    if (element != null && !isWordChar(html, i + 1 + element.length())) {
                        skipTo = endOfElement(html, i, element, budget);
                    }
                }
                if (skipTo < 0) {
                    int close = html.indexOf('>', i + 1);
                    if (close > 0) {
                        int hiddenEnd = hiddenElementEnd(html, i, close, budget, styled);
                        if (hiddenEnd > 0 && hidden != null) {
                            hidden.append(html, close + 1, hiddenEnd).append(' ');
                        }
                        skipTo = hiddenEnd > 0 ? hiddenEnd : close + 1;
                    }
                }
                if (skipTo > 0) {
                    sb.append(' ');
                    i = skipTo;
                    continue;
                }
            } else if (c == '&') {
                int semi = entityEnd(html, i);
                if (semi > 0 && isEntityName(html, i + 1, semi)) {
                    sb.append(entity(html.substring(i + 1, semi)));
                    i = semi + 1;
                    continue;
                }
            }
            sb.append(c);
            i++;
        }
        return sb.toString();
    }

    /** Whether the comment at {@code start} is empty and closed at once: {@code <!-->} or {@code <!--->}. */
    private static boolean emptyComment(String html, int start) {
        return html.startsWith("<!-->", start) || html.startsWith("<!--->", start);
    }

    /**
     * The index after the comment that starts ({@code <!--}) at {@code start}, ended where browsers end one: at once
     * for {@code <!-->} and {@code <!--->} (the text after them is shown), else at the first {@code -->} or
     * {@code --!>} before {@code limit}; -1 when none is. Reads only as far as the comment's end.
     */
    private static int commentEnd(String html, int start, int limit) {
        if (emptyComment(html, start)) {
            return start + (html.charAt(start + 4) == '>' ? 5 : 6);
        }
        for (int p = start + 4; p + 3 <= limit; p++) {
            if (html.charAt(p) == '-' && html.charAt(p + 1) == '-') {
                if (html.charAt(p + 2) == '>') {
                    return p + 3;
                }
                if (html.charAt(p + 2) == '!' && p + 4 <= limit && html.charAt(p + 3) == '>') {
                    return p + 4;
                }
            }
        }
        return -1;
    }

    /**
     * If the start tag at {@code start} (ending at {@code close}) hides its element by its style ({@link InlineStyle}:
     * {@code display:none}, {@code visibility:hidden}, {@code opacity:0}; for an element laid out as a box, not a table
     * part, a zero height or width with {@code overflow:hidden}; for a box, {@code transform:scale(0)}; a position off
     * the screen; a zero, one-pixel or white tiny font that nothing inside the element overrides; or, for a box in a
     * document whose style sheet sets no line height, lines of (nearly) no height over a run of at least
     * {@link #COLLAPSED_TEXT_CHARS} characters ({@link #longestLine}) whose line height nothing inside sets again), the
     * index after the element's matching end tag:
     * text the reader never sees is not read (spam hides innocent prose there to outweigh its message). Otherwise, or
     * when the end tag is missing or the look-ahead budget is spent, -1.
     */
    private static int hiddenElementEnd(String html, int start, int close, int[] budget, boolean styled) {
        int nameEnd = start + 1;
        while (nameEnd < close && Character.isLetterOrDigit(html.charAt(nameEnd))) {
            nameEnd++;
        }
        if (nameEnd == start + 1
                || html.charAt(close - 1) == '/'
                || budget[0] <= 0
                || !hasStyle(html, nameEnd, close)) {
            return -1;
        }
        String name = html.substring(start + 1, nameEnd);
        String element = name.toLowerCase(Locale.ROOT);
        if (VOID_ELEMENTS.contains(element)) {
            return -1;
        }
        InlineStyle style = InlineStyle.of(html, nameEnd, close);
        if (style.isEmpty()) {
            return -1;
        }
        // sizes, overflow and transforms do not apply to an inline element (a span), nor do they shrink a table cell,
        // which grows to its content; an inline element's line height does not shorten the line it sits in
        boolean box = !INLINE_ELEMENTS.contains(element) || blockified(style);
        boolean sized = box && !TABLE_PARTS.contains(element);
        boolean clipped =
                style.get("overflow").equals("hidden") || style.get("overflow").equals("clip");
        boolean hides = style.get("display").equals("none")
                || style.get("visibility").equals("hidden")
                || style.get("visibility").equals("collapse")
                || isZero(style.get("opacity"))
                || sized && clipped && (isZero(style.get("height")) || isZero(style.get("max-height")))
                || sized && clipped && (isZero(style.get("width")) || isZero(style.get("max-width")))
                || box && scaledToNothing(style.get("transform"))
                || (style.get("position").equals("absolute")
                                || style.get("position").equals("fixed"))
                        && (farNegative(style.get("left")) || farNegative(style.get("top")));
        // a zero, one-pixel or white tiny font hides the text unless something inside sets its own size (layout
        // tables set font-size:0 on a cell to close the gaps between its columns, whose text sets a size again)
        String fontSize = style.get("font-size");
        boolean zero = !hides && (isZero(fontSize) || pixels(fontSize) >= 0 && pixels(fontSize) <= 1);
        boolean tiny = zero
                || !hides && whiteText(style, html, nameEnd, close) && pixels(fontSize) >= 1 && pixels(fontSize) <= 10;
        // lines of (nearly) no height are drawn over one another: a paragraph in them is a smudge no one can read
        boolean collapsed = !hides
                && !tiny
                && box
                && !styled
                && !style.get("white-space").startsWith("nowrap")
                && !style.get("white-space").startsWith("pre")
                && lineHeight(style.get("line-height")) == LineHeight.COLLAPSED;
        if (!hides && !tiny && !collapsed) {
            return -1;
        }
        int n = html.length();
        int depth = 1;
        int i = close;
        while ((i = html.indexOf('<', i + 1)) >= 0) {
            boolean end = i + 1 < n && html.charAt(i + 1) == '/';
            int at = end ? i + 2 : i + 1;
            if (html.regionMatches(true, at, name, 0, name.length()) && !isWordChar(html, at + name.length())) {
                depth += end ? -1 : 1;
                if (depth == 0) {
                    int gt = html.indexOf('>', at);
                    budget[0] -= (gt < 0 ? n : gt) - close;
                    if (gt < 0) {
                        return -1;
                    }
                    if (collapsed) {
                        budget[0] -= 2 * (i - close);
                        // one line drawn over nothing is still read, and so is text whose own line height is set again
                        if (longestLine(html, close + 1, i) < COLLAPSED_TEXT_CHARS
                                || setsLineHeight(html, close + 1, i)) {
                            return -1;
                        }
                    }
                    if (tiny) {
                        budget[0] -= i - close;
                        // white text stays hidden at any size up to the 10 pixels that made it count as tiny
                        if (setsFontSize(html, close + 1, i, zero ? 1 : 10)) {
                            return -1;
                        }
                    }
                    return gt + 1;
                }
            }
        }
        budget[0] -= n - close;
        return -1;
    }

    /**
     * Whether {@code html[from, to)} sets a readable font size again: {@code font-size} with an absolute size of more
     * than {@code minPx} pixels or a size keyword, or a {@code <font size=...>} tag. A zero or one-pixel size, and a relative one
     * ({@code em}, {@code %}: a share of the hidden element's zero), do not count. Each look is bounded, so the scan
     * stays linear in the range.
     */
    private static boolean setsFontSize(String html, int from, int to, int minPx) {
        for (int i = from; i + 5 <= to; i++) {
            char c = html.charAt(i);
            if ((c == 'f' || c == 'F') && i + 9 <= to && html.regionMatches(true, i, "font-size", 0, 9)) {
                if (readableSize(html, i + 9, to, minPx)) {
                    return true;
                }
            } else if (c == '<' && html.regionMatches(true, i + 1, "font", 0, 4) && !isWordChar(html, i + 5)) {
                int end = Math.min(to, i + 200);
                for (int k = i + 5; k + 5 <= end && html.charAt(k) != '>'; k++) {
                    if (html.regionMatches(true, k, "size=", 0, 5)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** Whether the {@code font-size} value after {@code at} (a colon, then the value) is readable; see above. */
    private static boolean readableSize(String html, int at, int to, int minPx) {
        int i = at;
        int limit = Math.min(to, at + 40);
        while (i < limit && isBlank(html.charAt(i))) {
            i++;
        }
        if (i >= limit || html.charAt(i) != ':') {
            return false;
        }
        i++;
        while (i < limit && isBlank(html.charAt(i))) {
            i++;
        }
        int numStart = i;
        double value = 0;
        double scale = 0;
        while (i < limit && (Character.isDigit(html.charAt(i)) || html.charAt(i) == '.')) {
            char d = html.charAt(i);
            if (d == '.') {
                scale = scale == 0 ? 0.1 : scale;
            } else if (scale == 0) {
                value = Math.min(1e6, value * 10 + (d - '0'));
            } else {
                value += scale * (d - '0');
                scale /= 10;
            }
            i++;
        }
        int unitStart = i;
        while (i < limit && (Character.isLetter(html.charAt(i)) || html.charAt(i) == '%' || html.charAt(i) == '-')) {
            i++;
        }
        String unit = html.substring(unitStart, i).toLowerCase(Locale.ROOT);
        if (unitStart == numStart) {
            // a keyword: x-small to xx-large count; inherit, smaller and the like are relative
            return unit.endsWith("small") || unit.endsWith("large") && !unit.equals("larger") || unit.equals("medium");
        }
        return switch (unit) {
            case "px", "" -> value > minPx;
            case "pt" -> value > 0.75 * minPx;
            case "rem", "pc", "mm", "cm", "in", "q", "vw", "vh" -> value > 0;
            default -> false;
        };
    }

    /**
     * Characters of text on one line (outside tags, blanks not counted; see {@link #longestLine}) from which an element
     * whose lines have no height hides it: more than a line of a mail column, so that its lines fall on one another (a
     * preview line or a heading in a {@code line-height:0} layout cell stays one readable line).
     */
    static final int COLLAPSED_TEXT_CHARS = 200;

    /** Elements laid out inline unless their style makes them boxes: sizes and transforms do not apply to them. */
    private static final Set<String> INLINE_ELEMENTS = Set.of(
            "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "dfn", "em", "font", "i", "kbd", "label",
            "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "var");

    /** Table parts, which grow to their content whatever height or width they are given. */
    private static final Set<String> TABLE_PARTS = Set.of("table", "tbody", "thead", "tfoot", "tr", "td", "th");

    /** Whether a style lays an inline element out as a box (its display, floating or absolute position). */
    private static boolean blockified(InlineStyle style) {
        String display = style.get("display");
        String position = style.get("position");
        return !display.isEmpty() && !display.equals("inline") && !display.equals("contents")
                || position.equals("absolute")
                || position.equals("fixed")
                || style.get("float").equals("left")
                || style.get("float").equals("right");
    }

    /** Whether a CSS length or number is zero: {@code 0}, {@code 0px}, {@code 0.0em}, {@code 0%}. */
    private static boolean isZero(String value) {
        if (value.isEmpty()) {
            return false;
        }
        int i = 0;
        boolean digit = false;
        while (i < value.length() && (value.charAt(i) == '0' || value.charAt(i) == '.')) {
            digit |= value.charAt(i) == '0';
            i++;
        }
        if (!digit) {
            return false;
        }
        String unit = value.substring(i);
        return unit.isEmpty() || unit.chars().allMatch(c -> Character.isLetter(c) || c == '%');
    }

    /** The pixels of a CSS length in {@code px} ({@code 8px}: 8), or -1 for anything else. */
    private static double pixels(String value) {
        if (!value.endsWith("px")) {
            return -1;
        }
        try {
            double v = Double.parseDouble(value.substring(0, value.length() - 2));
            return v >= 0 ? v : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Whether a {@code transform} scales to nothing: {@code scale(0)}, {@code scale(0,0)}, {@code scale(0.0)}. */
    private static boolean scaledToNothing(String transform) {
        int at = transform.indexOf("scale(");
        if (at < 0) {
            return false;
        }
        int end = transform.indexOf(')', at);
        if (end < 0) {
            return false;
        }
        String[] factors = transform.substring(at + 6, end).split(",");
        for (String f : factors) {
            if (isZero(f)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a {@code left} or {@code top} is minus 100 or more (three digits): far enough to leave the screen. */
    private static boolean farNegative(String value) {
        int digits = 0;
        for (int i = 1; value.startsWith("-") && i < value.length() && Character.isDigit(value.charAt(i)); i++) {
            digits++;
        }
        return digits >= 3;
    }

    /**
     * Whether a start tag sets its text white (not on a coloured background it sets itself: a dark footer, a button).
     */
    private static boolean whiteText(InlineStyle style, String html, int from, int to) {
        if (darkBackground(style.get("background-color"))
                || darkBackground(style.get("background"))
                || darkBackground(Objects.requireNonNullElse(InlineStyle.attribute(html, from, to, "bgcolor"), ""))) {
            return false;
        }
        return isWhite(style.get("color"));
    }

    /** Whether a background value is set to something other than white or nothing. */
    private static boolean darkBackground(String value) {
        String v = value.replace("\"", "").replace("'", "").strip();
        return !v.isEmpty()
                && !isWhite(v)
                && !v.startsWith("transparent")
                && !v.startsWith("none")
                && !v.startsWith("url(");
    }

    /** Whether a colour value is white: {@code #fff}, {@code #ffffff}, {@code white}, rgb(255,255,255). */
    private static boolean isWhite(String v) {
        return v.startsWith("#fff") && (v.startsWith("#ffffff") || !isHexDigit(v, 4))
                || v.startsWith("white")
                || v.startsWith("rgb(255,255,255)");
    }

    private static boolean isHexDigit(String s, int at) {
        return at < s.length() && Character.digit(s.charAt(at), 16) >= 0;
    }

    /** What a {@code line-height} value does to the lines it sets. */
    private enum LineHeight {
        COLLAPSED,
        READABLE,
        UNKNOWN
    }

    /**
     * What a {@code line-height} value (lower case, no blanks) does: (nearly) nothing is zero in any unit, under 0.1 as
     * a number, {@code em} or {@code rem}, under one {@code px} or {@code pt}, under 10%; {@code inherit} and
     * {@code unset} take the parent's, which is not known here; any other keyword ({@code normal}, {@code initial}) or
     * size is readable.
     */
    private static LineHeight lineHeight(String value) {
        if (value.isEmpty() || value.equals("inherit") || value.equals("unset") || value.startsWith("var(")) {
            return LineHeight.UNKNOWN;
        }
        int i = 0;
        while (i < value.length() && (Character.isDigit(value.charAt(i)) || value.charAt(i) == '.')) {
            i++;
        }
        if (i == 0) {
            return LineHeight.READABLE;
        }
        double v;
        try {
            v = Double.parseDouble(value.substring(0, i));
        } catch (NumberFormatException e) {
            return LineHeight.UNKNOWN;
        }
        boolean collapsed = switch (value.substring(i)) {
            case "", "em", "rem" -> v < 0.1;
            case "px", "pt" -> v < 1;
            case "%" -> v < 10;
            default -> v == 0;
        };
        return collapsed ? LineHeight.COLLAPSED : LineHeight.READABLE;
    }

    /**
     * Whether a start tag in {@code html[from, to)} may give the text readable lines again: its style sets a line
     * height that is not collapsed (or a {@code font} shorthand, which sets one), keeps text on one line
     * ({@code white-space:nowrap} or {@code pre}), or it is a {@code <pre>}. Only tags count (comments and text that
     * read like CSS do not). Linear in the range.
     */
    private static boolean setsLineHeight(String html, int from, int to) {
        int i = from;
        while ((i = html.indexOf('<', i)) >= 0 && i < to) {
            if (html.startsWith("<!--", i)) {
                int end = commentEnd(html, i, to);
                i = end < 0 ? to : end;
                continue;
            }
            int close = html.indexOf('>', i);
            if (close < 0 || close > to) {
                return false;
            }
            int nameEnd = i + 1;
            while (nameEnd < close && Character.isLetterOrDigit(html.charAt(nameEnd))) {
                nameEnd++;
            }
            if (nameEnd - i - 1 == 3 && html.regionMatches(true, i + 1, "pre", 0, 3)) {
                return true;
            }
            if (hasStyle(html, nameEnd, close)) {
                InlineStyle style = InlineStyle.of(html, nameEnd, close);
                if (lineHeight(style.get("line-height")) == LineHeight.READABLE
                        || style.get("white-space").startsWith("nowrap")
                        || style.get("white-space").startsWith("pre")) {
                    return true;
                }
            }
            i = close + 1;
        }
        return false;
    }

    /**
     * The longest text in {@code html[from, to)} laid out as one run of lines (non-blank characters outside tags): a
     * line break or an inline element without a style continues the run (their lines fall on one another too); any
     * other tag (a paragraph, a cell, an image that props its line open, an element with a style that may set margins)
     * starts a new one; comments are skipped. Linear in the range.
     */
    private static int longestLine(String html, int from, int to) {
        int longest = 0;
        int run = 0;
        int i = from;
        while (i < to) {
            char c = html.charAt(i);
            if (c != '<') {
                if (!isBlank(c)) {
                    run++;
                    longest = Math.max(longest, run);
                }
                i++;
                continue;
            }
            if (html.startsWith("<!--", i)) {
                int end = commentEnd(html, i, to);
                i = end < 0 ? to : end;
                continue;
            }
            int close = html.indexOf('>', i);
            if (close < 0 || close >= to) {
                break;
            }
            int nameStart = i + 1 < close && html.charAt(i + 1) == '/' ? i + 2 : i + 1;
            int nameEnd = nameStart;
            while (nameEnd < close && Character.isLetterOrDigit(html.charAt(nameEnd))) {
                nameEnd++;
            }
            String element = html.substring(nameStart, nameEnd).toLowerCase(Locale.ROOT);
            boolean flows = element.equals("br")
                    || element.equals("wbr")
                    || (INLINE_ELEMENTS.contains(element) || element.equals("div")) && !hasStyle(html, nameEnd, close);
            if (!flows) {
                run = 0;
            }
            i = close + 1;
        }
        return longest;
    }

    /**
     * Whether a {@code <style>} element of the document sets a line height ({@code line-height} or the {@code font}
     * shorthand): its rules may give an element inside one whose lines have no height readable lines again, which the
     * tokenizer cannot tell, so such documents are read whole. Linear in the document.
     */
    static boolean styleSheetSetsLines(String html) {
        int at = 0;
        while ((at = indexOfIgnoreCase(html, "<style", at)) >= 0) {
            int end = indexOfIgnoreCase(html, "</style", at + 6);
            int stop = end < 0 ? html.length() : end;
            for (int i = at + 6; i < stop; i++) {
                char c = html.charAt(i);
                if ((c == 'l' || c == 'L') && html.regionMatches(true, i, "line-height", 0, 11)
                        || (c == 'f' || c == 'F') && html.regionMatches(true, i, "font:", 0, 5)) {
                    return true;
                }
            }
            if (end < 0) {
                return false;
            }
            at = end + 7;
        }
        return false;
    }

    /** Whether {@code html[from, to)} holds {@code style} in any case: only then is a tag's text copied and looked at. */
    private static boolean hasStyle(String html, int from, int to) {
        for (int i = from; i + 5 <= to; i++) {
            char c = html.charAt(i);
            if ((c == 's' || c == 'S') && html.regionMatches(true, i, "style", 0, 5)) {
                return true;
            }
        }
        return false;
    }

    private static final Set<String> VOID_ELEMENTS =
            Set.of("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr");

    private static boolean isWordChar(String s, int at) {
        if (at >= s.length()) {
            return false;
        }
        char c = s.charAt(at);
        return Character.isLetterOrDigit(c) || c == '_';
    }

    /** The index after {@code </element\s*>} following {@code from}, or -1 when the element never closes. */
    private static int endOfElement(String html, int from, String element, int[] budget) {
        if (budget[0] <= 0) {
            return -1;
        }
        int n = html.length();
        int i = from;
        while ((i = html.indexOf("</", i + 1)) >= 0) {
            if (html.regionMatches(true, i + 2, element, 0, element.length())) {
                int j = i + 2 + element.length();
                while (j < n && Character.isWhitespace(html.charAt(j))) {
                    j++;
                }
                if (j < n && html.charAt(j) == '>') {
                    budget[0] -= j - from;
                    return j + 1;
                }
            }
        }
        budget[0] -= n - from;
        return -1;
    }

    /**
     * The index of the {@code ;} that ends an entity starting with the {@code &} at {@code amp} (at least two and at most
     * nine characters later), or -1. Looks no further than an entity can reach: a run of {@code &} without a
     * {@code ;} made a search to the end of the text for each, quadratic in its length.
     */
    private static int entityEnd(String s, int amp) {
        int limit = Math.min(s.length(), amp + 11);
        for (int k = amp + 1; k < limit; k++) {
            if (s.charAt(k) == ';') {
                return k > amp + 2 ? k : -1;
            }
        }
        return -1;
    }

    /** Whether {@code [from, to)} is {@code #digits}, {@code #xhex} or 2 to 8 ASCII letters. */
    private static boolean isEntityName(String s, int from, int to) {
        if (s.charAt(from) == '#') {
            boolean hex = to - from > 2 && (s.charAt(from + 1) == 'x' || s.charAt(from + 1) == 'X');
            int start = from + (hex ? 2 : 1);
            if (start >= to || to - start > (hex ? 6 : 7)) {
                return false;
            }
            for (int k = start; k < to; k++) {
                if (Character.digit(s.charAt(k), hex ? 16 : 10) < 0) {
                    return false;
                }
            }
            return true;
        }
        if (to - from < 2 || to - from > 8) {
            return false;
        }
        for (int k = from; k < to; k++) {
            char c = s.charAt(k);
            if (!isAsciiLetter(c)) {
                return false;
            }
        }
        return true;
    }

    private static String entity(String name) {
        try {
            if (name.startsWith("#x") || name.startsWith("#X")) {
                return new String(Character.toChars(Integer.parseInt(name.substring(2), 16)));
            }
            if (name.startsWith("#")) {
                return new String(Character.toChars(Integer.parseInt(name.substring(1))));
            }
        } catch (IllegalArgumentException e) {
            return " ";
        }
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "amp" -> "&";
            case "lt" -> "<";
            case "gt" -> ">";
            case "quot" -> "\"";
            case "apos" -> "'";
            case "yen" -> "¥";
            default -> " ";
        };
    }

    /**
     * {@code fields} with the first {@code Subject} field's value without a leading {@code tag} and the space after it
     * (as {@code MessageTagger} writes a tagged Subject; a Subject that is the tag alone was added by the node and
     * becomes empty), compared exactly as the node writes it; the same list when there is no tag or no such Subject,
     * and when an {@code X-Spam-Flag} field says {@code NO}: the node's flag on a message it judged clean (a sender's
     * field of that name is renamed when the node writes its own), so a tag the Subject begins with is the sender's,
     * which the node leaves alone and read. Not so when an {@code X-Spam-Original-Flag: YES} is there too: an edge
     * tagged the message and the gateway after it, which renamed the edge's flag, judged it clean; the tag is the
     * edge's, and taken off (right for the edge, the node learned as README says).
     */
    private static List<HeaderFields.Field> untagged(List<HeaderFields.Field> fields, String tag) {
        if (tag == null) {
            return fields;
        }
        boolean clean = false;
        boolean taggedBefore = false;
        for (HeaderFields.Field f : fields) {
            String flag = f.value().strip();
            clean |= f.name().equals("x-spam-flag") && flag.equalsIgnoreCase("no");
            taggedBefore |= f.name().equals("x-spam-original-flag") && flag.equalsIgnoreCase("yes");
        }
        if (clean && !taggedBefore) {
            // the node judged it clean and did not tag it: a tag there is the sender's, which the node read
            return fields;
        }
        for (int i = 0; i < fields.size(); i++) {
            HeaderFields.Field f = fields.get(i);
            if (f.name().equals("subject")) {
                String v = f.value().stripLeading();
                if (v.startsWith(tag)
                        && (v.length() == tag.length() || Character.isWhitespace(v.charAt(tag.length())))) {
                    List<HeaderFields.Field> out = new ArrayList<>(fields);
                    out.set(
                            i,
                            new HeaderFields.Field(
                                    f.name(), v.substring(tag.length()).stripLeading()));
                    return out;
                }
                return fields;
            }
        }
        return fields;
    }

    /**
     * Header tokens from the raw header block (up to the first empty line): every field name, then the fields that
     * carry signal. Parsed by hand (no regular expressions: this runs for every message).
     */
    private static List<String> headers(
            List<HeaderFields.Field> fields, Set<String> tokens, java.net.InetAddress client, String envelopeSender) {
        if (envelopeSender != null) {
            // the Return-Path a final delivery writes on top, from the envelope (RFC 5321 4.4)
            String returnPath = "<" + envelopeSender + ">";
            address("return-path", returnPath, tokens, !legacyEightBit(returnPath));
        }
        int received = 0;
        boolean topmost = true; // the next Received field is the topmost one
        String fromDomain = null;
        String replyDomain = null;
        String idDomain = null;
        boolean date = false;
        boolean messageId = false;
        String subjectText = null;
        String fromDisplay = null;
        List<String> recipients = new ArrayList<>();
        for (HeaderFields.Field f : fields) {
            String field = f.name();
            if (field.isEmpty() || field.length() > 40) {
                continue;
            }
            String v = f.value().strip();
            switch (field) {
                case "subject" -> {
                    String decoded = TextDecoding.decodeHeader(v);
                    subject(decoded, tokens);
                    if (v.contains("=?") && isAsciiText(decoded)) {
                        tokens.add("subject:encoded-ascii");
                    }
                    subjectText = subjectText == null ? decoded : subjectText;
                }
                case "to", "cc" -> recipients(v, recipients);
                case "from", "reply-to", "return-path" -> {
                    if (envelopeSender != null && field.equals("return-path")) {
                        continue; // the sender's own field: the envelope's reverse path was read instead
                    }
                    String decoded = TextDecoding.decodeHeader(v);
                    Sender sender = address(field, decoded, tokens, !legacyEightBit(v));
                    String d = sender.domain();
                    if (field.equals("from")) {
                        fromDomain = fromDomain == null ? d : fromDomain;
                        fromDisplay = fromDisplay == null ? sender.display() : fromDisplay;
                        if (v.contains("=?") && isAsciiText(decoded)) {
                            tokens.add("from:encoded-ascii");
                        }
                    } else if (field.equals("reply-to")) {
                        replyDomain = replyDomain == null ? d : replyDomain;
                    }
                }
                case "received" -> {
                    boolean ownHop = topmost && client != null && ownTraceField(v, client);
                    topmost = false;
                    if (!ownHop && received++ < MAX_RECEIVED) {
                        received(v, tokens);
                    }
                }
                case "message-id" -> {
                    messageId = true;
                    idDomain = idDomain == null ? messageId(v, tokens) : idDomain;
                }
                case "date" -> date = true;
                case "x-mailer", "user-agent" -> {
                    String m = v.toLowerCase(Locale.ROOT);
                    tokens.add("x-mailer:" + (m.length() > 40 ? m.substring(0, 40) : m));
                }
                default -> {
                    // other fields carry little signal and much noise (dates, ids, list headers of the collection)
                }
            }
        }
        if (received > 0) {
            // no token for none: mail through a gateway always has one; only files and header-less corpora lack it,
            // and a token for that taught the model the corpus's format instead of its content
            tokens.add("received-count:" + Math.min(received, 10));
            // absence is only a signal for mail that came through MTAs (files and header-less corpora lack all)
            if (!date) {
                tokens.add("hdr:no-date");
            }
            if (!messageId) {
                tokens.add("hdr:no-message-id");
            }
        }
        if (fromDomain != null
                && replyDomain != null
                && !registrableDomain(fromDomain).equals(registrableDomain(replyDomain))) {
            tokens.add("hdr:reply-to-differs");
        }
        if (fromDomain != null
                && idDomain != null
                && !registrableDomain(fromDomain).equals(registrableDomain(idDomain))) {
            tokens.add("hdr:message-id-differs");
        }
        recipientEchoes(recipients, subjectText, fromDisplay, tokens);
        if ((subjectText != null && mixedScript(clip(subjectText)))
                || (fromDisplay != null && mixedScript(clip(fromDisplay)))) {
            tokens.add("hdr:mixed-script");
        }
        return recipients;
    }

    /**
     * Whether a word of {@code text} has two or more Latin letters and a Cyrillic or Greek letter that looks like a
     * Latin one ("Chase B\u0430nk" with a Cyrillic a): a name spelled to look like a brand's while not being it. A
     * whole word in Cyrillic or Greek is ordinary, and so are the Greek letters of technical writing that look like
     * no Latin letter ("10k\u03a9", "\u0394T", "2\u03c0r", "10\u03bcs").
     */
    static boolean mixedScript(String text) {
        int latin = 0;
        boolean lookalike = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (isAsciiLetter(c)) {
                latin++;
            } else if (LOOKALIKES.indexOf(c) >= 0) {
                lookalike = true;
            } else if (!Character.isLetterOrDigit(c)) {
                latin = 0;
                lookalike = false;
                continue;
            }
            if (latin >= 2 && lookalike) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a character is drawn as nothing: a soft hyphen, a combining grapheme joiner, the Mongolian vowel
     * separator, a zero-width space, joiner or non-joiner, a direction mark, a word joiner or invisible operator, a
     * byte order mark. Browsers drop (most of) them from a host; inside a word they hide it from the model while a
     * reader sees the word.
     */
    static boolean isInvisible(char c) {
        return c == '\u00ad'
                || c == '\u034f'
                || c == '\u180e'
                || (c >= '\u200b' && c <= '\u200f')
                || (c >= '\u2060' && c <= '\u2064')
                || c == '\ufeff';
    }

    /** Whether a letter is a Cyrillic or Greek one drawn like a Latin letter ({@link #LOOKALIKES}). */
    static boolean isLookalike(char c) {
        return LOOKALIKES.indexOf(c) >= 0;
    }

    /** Cyrillic and Greek letters drawn like Latin ones (a e o p c y x i j s; A B E K M H O P C T X I J S Z N Y). */
    private static final String LOOKALIKES = "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0455"
            + "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0406\u0408\u0405"
            + "\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7\u03bf";

    /** The addresses of a To or Cc field, lower-cased, until {@link #MAX_RECIPIENTS} are known. */
    private static void recipients(String value, List<String> into) {
        if (into.size() >= MAX_RECIPIENTS) {
            return;
        }
        String v = value.length() > MAX_ECHO_CHARS * 4 ? value.substring(0, MAX_ECHO_CHARS * 4) : value;
        for (Address a = Address.find(v, 0); a != null && into.size() < MAX_RECIPIENTS; a = Address.find(v, a.end())) {
            into.add(a.text(v).toLowerCase(Locale.ROOT));
        }
    }

    /**
     * Tokens for a message that repeats its recipient where a sender has no reason to: the whole address in the
     * Subject ({@code hdr:rcpt-in-subject}: "Mailbox quota for jo@example.org"), or the recipient's domain in the From
     * display name ({@code hdr:rcpt-domain-in-from-name}: "example.org Mail Center" from a stranger's address). Both
     * are what mass phishing does to look like the recipient's own mail service.
     */
    private static void recipientEchoes(
            List<String> recipients, String subject, String fromDisplay, Set<String> tokens) {
        if (recipients.isEmpty()) {
            return;
        }
        String s = subject == null ? "" : clip(subject).toLowerCase(Locale.ROOT);
        String name = fromDisplay == null ? "" : clip(fromDisplay).toLowerCase(Locale.ROOT);
        for (String r : recipients) {
            if (!s.isEmpty() && s.contains(r)) {
                tokens.add("hdr:rcpt-in-subject");
            }
            String domain = registrableDomain(r.substring(r.indexOf('@') + 1));
            if (!name.isEmpty() && domain.indexOf('.') > 0 && name.contains(domain)) {
                tokens.add("hdr:rcpt-domain-in-from-name");
            }
        }
    }

    /**
     * Tokens for a link that carries a recipient's address (To or Cc): {@code url-rcpt-fragment} when the address
     * is in the link's fragment, after {@code #} (as written, with {@code %40} for the {@code @}, or in base64): what
     * phishing kits do so that their page shows the victim's address in a copied login form without the address
     * reaching any server's log; {@code url-rcpt} when it is elsewhere in the link (a query such as
     * {@code ?email=...}, which list and newsletter unsubscribe links also use). A link runs from {@code http} to
     * the first blank, quote or angle bracket. Each link is read once and each address-like run in it once (an
     * {@code @} with the letters, digits and {@code ._+-} before it and the host name after it), so this is linear
     * in the text.
     */
    static void recipientLinks(String text, List<String> recipients, Set<String> tokens) {
        if (recipients.isEmpty() || tokens.contains("url-rcpt-fragment")) {
            return;
        }
        Set<String> rcpt = new java.util.HashSet<>(recipients);
        int n = text.length();
        int from = 0;
        int at;
        while ((at = indexOfIgnoreCase(text, "http", from)) >= 0) {
            int end = at + 4;
            int hash = -1;
            while (end < n && !endsLink(text.charAt(end))) {
                // a '#' of an HTML character reference (&#38;, &#x40;) is not the fragment
                if (hash < 0 && text.charAt(end) == '#' && text.charAt(end - 1) != '&') {
                    hash = end;
                }
                end++;
            }
            if (hash >= 0
                    && (namesRecipient(text, hash + 1, end, rcpt) || base64NamesRecipient(text, hash + 1, end, rcpt))) {
                tokens.add("url-rcpt-fragment");
                return;
            }
            if (namesRecipient(text, at, hash >= 0 ? hash : end, rcpt)) {
                tokens.add("url-rcpt");
            }
            from = end;
        }
    }

    private static boolean endsLink(char c) {
        return c <= ' ' || c == '"' || c == '\'' || c == '<' || c == '>' || c == ')' || c == '\u00a0';
    }

    /** Longest local part and domain looked at around an {@code @} in a link. */
    private static final int MAX_LOCAL = 64;

    private static final int MAX_DOMAIN = 255;

    /**
     * Whether {@code s[from, to)} holds one of {@code rcpt} (lower case) with {@code @}, {@code %40} or an HTML
     * character reference ({@code &#64;}, {@code &#x40;}).
     */
    private static boolean namesRecipient(String s, int from, int to, Set<String> rcpt) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            int atLen;
            if (c == '@') {
                atLen = 1;
            } else if (c == '%' && i + 2 < to && s.charAt(i + 1) == '4' && s.charAt(i + 2) == '0') {
                atLen = 3;
            } else if (c == '&' && i + 4 < to && s.regionMatches(true, i, "&#64;", 0, 5)) {
                atLen = 5;
            } else if (c == '&' && i + 5 < to && s.regionMatches(true, i, "&#x40;", 0, 6)) {
                atLen = 6;
            } else {
                continue;
            }
            int j = i;
            while (j > from && i - j < MAX_LOCAL && isLocalChar(s.charAt(j - 1))) {
                j--;
            }
            int k = i + atLen;
            while (k < to && k - i - atLen < MAX_DOMAIN && isHostChar(Character.toLowerCase(s.charAt(k)))) {
                k++;
            }
            while (k > i + atLen && s.charAt(k - 1) == '.') {
                k--;
            }
            if (j < i && k > i + atLen) {
                String address = (s.substring(j, i) + "@" + s.substring(i + atLen, k)).toLowerCase(Locale.ROOT);
                if (rcpt.contains(address)) {
                    return true;
                }
            }
            i = Math.max(i, k - 1);
        }
        return false;
    }

    private static boolean isLocalChar(char c) {
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || c == '.'
                || c == '_'
                || c == '+'
                || c == '-';
    }

    /** Encoded characters looked at in each base64 run of a fragment. */
    private static final int MAX_BASE64 = 1024;

    /**
     * Whether a base64 (or base64url) run of {@code s[from, to)} decodes to text naming one of {@code rcpt}; a run
     * ends at any other character, {@code =} included (so that {@code #email=am9...} is read from its value).
     */
    private static boolean base64NamesRecipient(String s, int from, int to, Set<String> rcpt) {
        int i = from;
        while (i < to) {
            while (i < to && s.charAt(i) == '/') {
                i++; // "#/am9z...": a route separator, not the first character of the encoding
            }
            int start = i;
            boolean url = false;
            boolean standard = false;
            // a run ends where the other alphabet starts (base64url followed by a path: "#am9z_ZQ/x")
            while (i < to && isBase64Char(s.charAt(i))) {
                char c = s.charAt(i);
                boolean u = c == '-' || c == '_';
                boolean st = c == '+' || c == '/';
                if ((u && standard) || (st && url)) {
                    break;
                }
                url |= u;
                standard |= st;
                i++;
            }
            int len = Math.min(i - start, MAX_BASE64);
            len -= len % 4 == 1 ? 1 : 0; // padding is optional, but one character alone encodes no byte
            if (len >= 8) {
                String run = s.substring(start, start + len);
                try {
                    byte[] b = (url ? java.util.Base64.getUrlDecoder() : java.util.Base64.getDecoder()).decode(run);
                    String decoded = new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
                    if (namesRecipient(decoded, 0, decoded.length(), rcpt)) {
                        return true;
                    }
                } catch (IllegalArgumentException e) {
                    // cannot happen: one alphabet, a valid length; read as not an encoded address
                }
            }
            i++;
        }
        return false;
    }

    private static boolean isBase64Char(char c) {
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || c == '+'
                || c == '/'
                || c == '-'
                || c == '_';
    }

    /** The first index of {@code lowerNeedle} in {@code s} at or after {@code from}, ignoring ASCII case; or -1. */
    private static int indexOfIgnoreCase(String s, String lowerNeedle, int from) {
        char first = lowerNeedle.charAt(0);
        char upper = Character.toUpperCase(first);
        int last = s.length() - lowerNeedle.length();
        for (int i = Math.max(0, from); i <= last; i++) {
            char c = s.charAt(i);
            if ((c == first || c == upper) && s.regionMatches(true, i, lowerNeedle, 0, lowerNeedle.length())) {
                return i;
            }
        }
        return -1;
    }

    private static String clip(String text) {
        return text.length() > MAX_ECHO_CHARS ? text.substring(0, MAX_ECHO_CHARS) : text;
    }

    /**
     * The registrable part of a host name: its last two labels, or three under a country's second-level domains
     * ({@code mail.example.co.jp} gives {@code example.co.jp}, not {@code co.jp}, which every Japanese company shares).
     */
    static String registrableDomain(String domain) {
        int last = domain.lastIndexOf('.');
        int second = last > 0 ? domain.lastIndexOf('.', last - 1) : -1;
        if (second < 0) {
            return domain;
        }
        if (domain.length() - last == 3 && SECOND_LEVEL.contains(domain.substring(second + 1, last))) {
            int third = domain.lastIndexOf('.', second - 1);
            return domain.substring(third + 1);
        }
        return domain.substring(second + 1);
    }

    /** Second-level labels under which countries register names ({@code co.jp}, {@code com.br}, {@code org.uk}). */
    private static final Set<String> SECOND_LEVEL = Set.of(
            "co", "ne", "or", "ac", "go", "ad", "ed", "gr", "lg", "com", "net", "org", "edu", "gov", "mil", "ltd",
            "plc", "nom", "gob", "biz", "info");

    private static boolean isAsciiText(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /** Subject words (lower-cased), plus the shape of the subject: capitalised words, runs of punctuation. */
    private static void subject(String value, Set<String> tokens) {
        TextTokens.tokenize(value, "subject:", tokens::add);
        urls(value, tokens);
        int upper = 0;
        int letters = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                upper++;
                letters++;
            } else if (c >= 'a' && c <= 'z') {
                letters++;
            } else if (c == '!' || c == '$' || c == '%' || c == '?' || c == '*' || c == '#') {
                tokens.add("subject-char:" + c);
            }
        }
        if (letters >= 6) {
            tokens.add("subject-upper:" + (upper * 10 / letters));
        }
        int start = -1;
        for (int i = 0; i <= value.length(); i++) {
            boolean letter = i < value.length() && Character.isLetter(value.charAt(i)) && value.charAt(i) < 0x80;
            if (letter && start < 0) {
                start = i;
            } else if (!letter && start >= 0) {
                String w = value.substring(start, i);
                if (w.length() >= 3 && !w.equals(w.toLowerCase(Locale.ROOT))) {
                    tokens.add("subject-case:" + w);
                }
                start = -1;
            }
        }
    }

    /**
     * Whether a {@code Received} field's value is the trace field our relay writes for a message from {@code client}:
     * it names the address as {@code [ADDRESS]} or {@code [IPv6:ADDRESS]} (written as
     * {@link org.mailhygiene.internal.HostPorts#address} writes it) and the relay's software as {@code (mail-hygiene)}
     * (hygiene-smtp's {@code ReceivedHeader}), compared without regard to case. A sender who writes such a field
     * himself only takes one field away, as leaving it out would. Linear in the value.
     */
    static boolean ownTraceField(String value, java.net.InetAddress client) {
        String address = org.mailhygiene.internal.HostPorts.address(client).toLowerCase(Locale.ROOT);
        int pct = address.indexOf('%');
        if (pct >= 0) {
            address = address.substring(0, pct); // a zone is not written into trace fields
        }
        String v = value.toLowerCase(Locale.ROOT);
        return v.contains(" (mail-hygiene) ")
                && (v.contains("[" + address + "]") || v.contains("[ipv6:" + address + "]"));
    }

    /** Host names and address prefixes of the relays a message passed ({@code from HOST (NAME [IP])}). */
    private static void received(String value, Set<String> tokens) {
        String v = value.toLowerCase(Locale.ROOT);
        int semi = v.lastIndexOf(';');
        if (semi >= 0) {
            v = v.substring(0, semi);
        }
        boolean provider = false;
        List<String> ips = new ArrayList<>(4);
        int i = 0;
        int n = v.length();
        while (i < n) {
            while (i < n && !isHostChar(v.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < n && isHostChar(v.charAt(i))) {
                i++;
            }
            if (i > start) {
                String word = v.substring(start, i);
                if (isIpv4(word)) {
                    ips.add(word);
                } else if (word.indexOf('.') > 0 && word.length() <= 60 && hasLetterAfterLastDot(word)) {
                    // a host name's last label has a letter; "8.13.8/8.13.8" is the relay's software version, which
                    // says which collection a message came from, not whether it is spam
                    String domain = registrableDomain(word);
                    if (MAILBOX_PROVIDERS.contains(domain)) {
                        provider = true;
                    } else {
                        tokens.add("received:" + domain);
                    }
                } else if (word.length() >= 3 && word.length() <= 12 && RECEIVED_WORDS.contains(word)) {
                    tokens.add("received-word:" + word);
                }
            }
        }
        if (!provider) {
            // a hop of a big mailbox provider (its name and its addresses) is used by ham and spam alike
            for (String ip : ips) {
                int last = ip.lastIndexOf('.');
                tokens.add("received-ip:" + ip.substring(0, last));
                tokens.add("received-ip:" + ip.substring(0, ip.lastIndexOf('.', last - 1)));
            }
        }
    }

    /**
     * Whether a host or mail domain (lower-case) belongs to one of the big mailbox providers anyone can sign up with.
     * Their names in
     * From, Message-ID and Received say which provider a sender uses, which ham and spam share; what a training
     * corpus learned of them is the corpus's year (free-mail accounts were rare in spam of 2002-2007, common in spam of
     * 2023-2026), so they become no token.
     */
    static boolean isMailboxProvider(String domain) {
        return MAILBOX_PROVIDERS.contains(registrableDomain(domain));
    }

    private static final Set<String> MAILBOX_PROVIDERS = Set.of(
            "gmail.com",
            "googlemail.com",
            "google.com",
            "outlook.com",
            "hotmail.com",
            "live.com",
            "msn.com",
            "yahoo.com",
            "yahoodns.net",
            "ymail.com",
            "aol.com",
            "icloud.com",
            "me.com",
            "gmx.com",
            "gmx.net",
            "gmx.de",
            "mail.ru",
            "yandex.ru",
            "yandex.com",
            "protonmail.com",
            "proton.me",
            "zoho.com",
            "qq.com",
            "163.com",
            "yahoo.co.jp",
            "hotmail.co.uk",
            "yahoo.co.uk",
            // Japanese mobile carriers and the large ISPs, whose addresses most Japanese users have
            "docomo.ne.jp",
            "ezweb.ne.jp",
            "au.com",
            "softbank.ne.jp",
            "softbank.jp",
            "ymobile.ne.jp",
            "nifty.com",
            "biglobe.ne.jp",
            "ocn.ne.jp",
            "so-net.ne.jp",
            "plala.or.jp");

    private static boolean hasLetterAfterLastDot(String word) {
        for (int i = word.length() - 1; i >= 0 && word.charAt(i) != '.'; i--) {
            char c = word.charAt(i);
            if (isAsciiLetter(c)) {
                return true;
            }
        }
        return false;
    }

    private static final Set<String> RECEIVED_WORDS =
            Set.of("smtp", "esmtp", "esmtps", "esmtpa", "lmtp", "http", "imap", "unknown", "localhost", "helo");

    private static boolean isIpv4(String s) {
        int dots = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '.') {
                dots++;
            } else if (c < '0' || c > '9') {
                return false;
            }
        }
        return dots == 3 && s.charAt(0) != '.' && s.charAt(s.length() - 1) != '.';
    }

    private static String messageId(String value, Set<String> tokens) {
        int at = value.indexOf('@');
        if (at < 0) {
            return null;
        }
        int end = at + 1;
        while (end < value.length() && value.charAt(end) != '>' && !Character.isWhitespace(value.charAt(end))) {
            end++;
        }
        String domain = value.substring(at + 1, end).toLowerCase(Locale.ROOT);
        if (!isMailboxProvider(domain)) {
            tokens.add("message-id-domain:" + domain);
        }
        return domain;
    }

    /** An address field as read: its address's domain ({@code null} without one) and the display name before it. */
    private record Sender(String domain, String display) {}

    /**
     * The address of an address field's (decoded) value: the one in angle brackets when there is one ("PayPal
     * &lt;x@evil.example&gt;"), else the first; {@code null} without one. What stands before it is the display name.
     */
    static Address senderAddress(String value) {
        return senderAddress(value, true);
    }

    /**
     * As {@link #senderAddress(String)}; with {@code wide} false, an address of ASCII characters only (see {@link
     * #legacyEightBit}).
     */
    static Address senderAddress(String value, boolean wide) {
        int lt = value.lastIndexOf('<');
        Address m = lt >= 0 ? Address.find(value, lt, wide) : null;
        return m != null ? m : Address.find(value, 0, wide);
    }

    /**
     * Whether a raw header value holds 8-bit bytes that are not UTF-8: text in a legacy charset sent unencoded (Big5,
     * GB2312, Shift_JIS, Latin-1), where letters outside ASCII belong to no address. An address with such letters is
     * an RFC 6532 address, written in UTF-8 (SMTPUTF8); read in a legacy charset's bytes it is the display name's text
     * run on to an ASCII address, as the spam of the 2000s wrote its From fields (Big5 bytes, then {@code
     * &#64;mx.serv.net}): tokenizer 20 read such bytes as the address's local part, and that spam lost its
     * {@code from:none} (2 of the SpamAssassin corpus's 1,896 spam went from SPAM to CLEAN); tokenizer 22 reads
     * addresses in such values in ASCII only, as before tokenizer 20.
     */
    static boolean legacyEightBit(String raw) {
        for (int i = 0; i < raw.length(); i++) {
            if (raw.charAt(i) >= 0x80) {
                return TextDecoding.utf8(raw).isEmpty();
            }
        }
        return false;
    }

    private static Sender address(String header, String value, Set<String> tokens, boolean wide) {
        Address m = senderAddress(value, wide);
        boolean found = m != null;
        String domain = null;
        if (found) {
            domain = m.domain(value).toLowerCase(Locale.ROOT);
            tokens.add(header + ":" + m.local(value).toLowerCase(Locale.ROOT) + "@" + domain);
            if (!isMailboxProvider(domain)) {
                tokens.add(header + "-domain:" + domain);
            }
            if (header.equals("from")) {
                tld(domain).ifPresent(t -> tokens.add("from-tld:" + t));
            }
        } else {
            tokens.add(header + ":none");
        }
        String display = found ? value.substring(0, m.start()) : value;
        if (found && header.equals("from")) {
            Address shown = Address.find(display, 0);
            if (shown != null
                    && !registrableDomain(shown.domain(display).toLowerCase(Locale.ROOT))
                            .equals(registrableDomain(domain))) {
                tokens.add("hdr:from-name-address");
            }
            if (!isMailboxProvider(domain) && unrelatedName(display, m.local(value), domain)) {
                tokens.add("hdr:from-name-unrelated");
            }
        }
        TextTokens.tokenize(display.replace("<", " ").replace("\"", " "), header + "-name:", tokens::add);
        return new Sender(domain, display);
    }

    /** Characters of a From display name, and of its address, compared with each other. */
    static final int MAX_NAME_CHARS = 200;

    /**
     * Whether a From display name shares nothing with its address: it has a word of four or more letters, none of
     * its words of three or more letters is in the address without its top-level domain (its letters and digits run
     * together, ignoring case), and no part of that of four or more letters or digits is in the name (its letters and
     * digits run together, ignoring case) ("PayPal Service" from kx93@mail.example.shop; not "Bank of America" from
     * alerts@bankofamerica.com, nor "Robert Kim" from bkim1975@...). A word is a run of the ASCII letters A-Z and
     * a-z: any other character ends it, so "François" reads as "Fran" and "ois", and a name in Japanese has no
     * word. A part of the address is a run of ASCII letters and digits between its dots, hyphens and other
     * punctuation. The top-level domain is the last label only ("org" of union.org; of union.org.uk, "uk": "org"
     * stays). The name is the field's text, RFC 2047 decoded, before the address (the caller's {@code display},
     * quotes and the {@code <} included; a name in a comment after the address is not read). Reads at most
     * {@value #MAX_NAME_CHARS} characters of the name and of the address (local part, {@code @} and domain without
     * its top-level domain, in that order: a local part that long hides the domain), so a call compares at most some
     * 80,000 characters (200 by 200, twice) whatever the lengths given; only the copy of the address before it is cut
     * is as long as the address.
     */
    static boolean unrelatedName(String display, String local, String domain) {
        String name = display.length() > MAX_NAME_CHARS ? display.substring(0, MAX_NAME_CHARS) : display;
        // the top-level domain says nothing of who sends ("monkey.org" from x@union.org is not related)
        int dot = domain.lastIndexOf('.');
        String address = local + "@" + (dot > 0 ? domain.substring(0, dot) : domain);
        String addr = address.length() > MAX_NAME_CHARS ? address.substring(0, MAX_NAME_CHARS) : address;
        String a = compactLower(addr);
        if (anyRunIn(name, 3, false, a)) {
            return false; // a word of the name is in the address
        }
        if (!anyRunIn(name, 4, false, null)) {
            return false; // no word of four letters: initials, a name in another script, none
        }
        return !anyRunIn(addr, 4, true, compactLower(name)); // nor a part of the address in the name
    }

    /** The ASCII letters and digits of {@code s}, lower-cased, run together. */
    static String compactLower(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (isAsciiLetterOrDigit(c)) {
                b.append(Character.toLowerCase(c));
            }
        }
        return b.toString();
    }

    /**
     * Whether {@code text} has a run of at least {@code min} ASCII letters (and digits, with {@code digits}) that,
     * lower-cased, {@code in} contains; with {@code in} {@code null}, whether it has such a run at all.
     */
    private static boolean anyRunIn(String text, int min, boolean digits, String in) {
        int i = 0;
        while (i < text.length()) {
            if (!(digits ? isAsciiLetterOrDigit(text.charAt(i)) : isAsciiLetter(text.charAt(i)))) {
                i++;
                continue;
            }
            int start = i;
            while (i < text.length()
                    && (digits ? isAsciiLetterOrDigit(text.charAt(i)) : isAsciiLetter(text.charAt(i)))) {
                i++;
            }
            if (i - start >= min
                    && (in == null || in.contains(text.substring(start, i).toLowerCase(Locale.ROOT)))) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code c} is one of the ASCII letters A-Z and a-z. */
    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean isAsciiLetterOrDigit(char c) {
        return isAsciiLetter(c) || (c >= '0' && c <= '9');
    }

    /**
     * An e-mail address found in a header value: {@code [start, at)} is the local part ({@code A-Z a-z 0-9 . _ % + ' -}
     * and, since tokenizer 20, letters and digits outside ASCII), {@code (at, end)} the domain ({@code A-Z a-z 0-9 . -}
     * and letters and digits outside ASCII, ending in a dot and at least two letters, all ASCII or none). Since
     * tokenizer 21 a letter of a script written without spaces (Han, Kana, Hangul, Thai) right before an ASCII character
     * of the local part is not part of it: it ends a name written on to the address. Found by hand
     * in one pass, because the regular expression that says the same ({@code ([A-Za-z0-9._%+'-]+)@([A-Za-z0-9.-]+\.
     * [A-Za-z]{2,})}, which the tests compare it with) takes time quadratic in a long run of such characters: a From
     * field of 60,000 letters cost 10-28 seconds per message.
     */
    record Address(int start, int at, int end) {
        /**
         * The first address starting at or after {@code from}, as the regular expression's {@code find(from)} finds
         * it: the leftmost start, the longest domain. Linear in {@code value.length() - from}.
         *
         * @return the address, or {@code null} when there is none
         */
        static Address find(String value, int from) {
            return find(value, from, true);
        }

        /**
         * As {@link #find(String, int)}; with {@code wide} false, of ASCII characters only (as before tokenizer 20),
         * for a value whose letters outside ASCII came in a legacy charset ({@link Tokenizer#legacyEightBit}).
         */
        static Address find(String value, int from, boolean wide) {
            int n = value.length();
            for (int at = value.indexOf('@', from); at >= 0; at = value.indexOf('@', at + 1)) {
                int start = at;
                while (start > from
                        && (wide || value.charAt(start - 1) < 0x80)
                        && isLocal(value.charAt(start - 1))
                        && !(isUnspaced(value.charAt(start - 1)) && isAsciiLocal(value.charAt(start)))) {
                    start--;
                }
                if (start == at) {
                    continue;
                }
                int run = at + 1;
                while (run < n && (wide || value.charAt(run) < 0x80) && isDomain(value.charAt(run))) {
                    run++;
                }
                // the longest domain: the rightmost dot inside the run followed by two letters, then all its letters
                for (int dot = run - 3; dot >= at + 2; dot--) {
                    boolean ascii = isAsciiLetter(value.charAt(dot + 1));
                    if (value.charAt(dot) == '.'
                            && isTldLetter(value.charAt(dot + 1), ascii)
                            && isTldLetter(value.charAt(dot + 2), ascii)) {
                        int end = dot + 3;
                        while (end < run && isTldLetter(value.charAt(end), ascii)) {
                            end++;
                        }
                        return new Address(start, at, end);
                    }
                }
            }
            return null;
        }

        String local(String value) {
            return value.substring(start, at);
        }

        String domain(String value) {
            return value.substring(at + 1, end);
        }

        String text(String value) {
            return value.substring(start, end);
        }

        private static boolean isDomain(char c) {
            return isAsciiLetter(c) || (c >= '0' && c <= '9') || c == '.' || c == '-' || isNonAsciiLetterOrDigit(c);
        }

        /**
         * A letter or digit outside ASCII: RFC 6531/6532 addresses (SMTPUTF8) hold them in the local part and in the
         * domain's U-labels ({@code jörg@müller-technik.de}, {@code 张伟@例子.公司}). Until tokenizer 20 they ended an
         * address, so such a From field had none: {@code from:none}, learned from spam alone, and no brand check
         * ("PayPal" over {@code service@secure-lógin.com} was clean where {@code secure-login.com} was a spoof).
         */
        private static boolean isNonAsciiLetterOrDigit(char c) {
            return c >= 0x80 && Character.isLetterOrDigit(c);
        }

        /**
         * A letter of a top-level domain: ASCII, or of an internationalised one ({@code .公司}, {@code .рф}), as the
         * domain's first letter is; never both, so that a word written on without a space
         * ({@code yamada@example.jpより}) is not taken into the domain.
         */
        private static boolean isTldLetter(char c, boolean ascii) {
            return ascii ? isAsciiLetter(c) : c >= 0x80 && Character.isLetter(c);
        }

        /** A character of the local part in ASCII ({@code A-Z a-z 0-9 . _ % + ' -}). */
        private static boolean isAsciiLocal(char c) {
            return c < 0x80 && isLocal(c);
        }

        /**
         * A letter of a script written without spaces between words (Han, Hiragana, Katakana with its prolonged sound
         * mark, Hangul, Thai): one right before an ASCII character of a local part ends a name or word written on to
         * the address ({@code 山田様yamada@example.jp}), which is not part of it.
         */
        private static boolean isUnspaced(char c) {
            if (c < 0x80) {
                return false;
            }
            if (c == '\u30fc' || c == '\uff70') {
                return true;
            }
            Character.UnicodeScript script = Character.UnicodeScript.of(c);
            return script == Character.UnicodeScript.HAN
                    || script == Character.UnicodeScript.HIRAGANA
                    || script == Character.UnicodeScript.KATAKANA
                    || script == Character.UnicodeScript.HANGUL
                    || script == Character.UnicodeScript.THAI;
        }

        private static boolean isLocal(char c) {
            return isDomain(c) || c == '_' || c == '%' || c == '+' || c == '\'';
        }
    }
}
