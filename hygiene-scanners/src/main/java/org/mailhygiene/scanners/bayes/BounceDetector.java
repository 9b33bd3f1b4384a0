package org.mailhygiene.scanners.bayes;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.scanners.mime.MimeWalker;
import org.mailhygiene.scanners.mime.PartInfo;
import org.mailhygiene.scanners.mime.TextDecoding;

/**
 * Tells bounces, backscatter and automatic replies from ordinary mail, so that the classifier does not judge a
 * delivery status notification by the spam it quotes.
 *
 * <p><b>Bounce</b> (any one of):
 *
 * <ul>
 *   <li>the standard format (RFC 3464): a top-level {@code multipart/report} with {@code report-type=delivery-status},
 *       or a {@code message/delivery-status}, {@code message/global-delivery-status} or {@code text/rfc822-headers}
 *       part anywhere ({@code dsn:...});
 *   <li>a vendor format (qmail, Exim, Postfix, Sendmail, Exchange/Outlook, Domino, Japanese-language MTAs): a
 *       <em>sender signal</em> (an empty Return-Path {@code <>}, or a From of {@code MAILER-DAEMON}, {@code postmaster},
 *       "Mail Delivery System" and the like) together with a <em>content signal</em>: a bounce Subject
 *       ("Undelivered Mail Returned to Sender", "failure notice", "Returned mail", "Undeliverable", "配信不能", ...) or
 *       an MTA's bounce wording in a text part ("This is the qmail-send program", "could not be delivered",
 *       "宛先不明", ...). Neither signal alone is enough.
 * </ul>
 *
 * <p><b>Backscatter</b>: a bounce whose quoted original (the {@code From}, {@code Sender}, {@code Return-Path} and
 * {@code Message-ID} lines after the bounce's own header) names none of our {@linkplain #withLocalDomains local
 * domains} (a domain or any subdomain of it). Only with local domains configured; without them, or when no quoted
 * original is found, a bounce stays a bounce (we cannot tell).
 *
 * <p><b>Automatic reply</b>: an {@code Auto-Submitted} field other than {@code no}, {@code X-Autoreply},
 * {@code X-Autorespond}, {@code Precedence: auto_reply}, a {@code multipart/report} of another report type (read
 * receipts, feedback reports, Hotmail's "complaint about message from" reports), a Subject that opens like an automatic reply
 * ("AUTO:", "Out of Office", "Automatic reply", "自動返信", ...), or an auto-reply phrase anywhere in the Subject
 * ("vacation", "thank you for your e-mail", ...) on a reply ({@code In-Reply-To} or {@code References} present) or
 * with an empty Return-Path. A spammer can forge these fields; the price is a missed spam, never a false positive.
 *
 * <p>The detector reads at most {@value #MAX_SCAN_BYTES} bytes of the message and of each text part; linear in its
 * input. Immutable and thread-safe.
 */
public final class BounceDetector {
    /** Bytes of the raw message, and of each decoded text part, searched for bounce wording. */
    public static final int MAX_SCAN_BYTES = 256 * 1024;

    private static final int MAX_TEXT_PARTS = 4;

    private static final List<String> SENDER_LOCAL_PARTS = List.of(
            "mailer-daemon", "mailer_daemon", "mailerdaemon", "mail-daemon", "maildaemon", "postmaster", "mdaemon");
    private static final List<String> SENDER_NAMES = List.of(
            "mail delivery system",
            "mail delivery subsystem",
            "mail delivery service",
            "mail administrator",
            "mail system",
            "microsoft outlook",
            "microsoft exchange",
            "mail router",
            "delivery status notification",
            "internet mail delivery",
            "postmaster",
            "mailer-daemon",
            "メール配信システム");
    private static final List<String> BOUNCE_SUBJECTS = List.of(
            "undeliver",
            "delivery status notification",
            "delivery failure",
            "delivery failed",
            "delivery has failed",
            "delivery notification",
            "delivery problem",
            "delivery report",
            "failure notice",
            "failure delivery",
            "returned mail",
            "returned to sender",
            "mail delivery failed",
            "mail delivery failure",
            "non-delivery",
            "nondeliverable",
            "non deliverable",
            "not delivered",
            "could not be delivered",
            "couldn't be delivered",
            "mail system error",
            "could not send message",
            "delivery delayed",
            "delayed mail",
            "message status",
            "permanent error",
            "mail failure",
            "bounced mail",
            "rejected:",
            "未配達",
            "配信不能",
            "配信エラー",
            "配送エラー",
            "送信エラー",
            "不達",
            "返送",
            "宛先不明",
            "配信失敗",
            "配信できません",
            "届きません");
    private static final List<String> BOUNCE_WORDING = List.of(
            "this is the qmail-send program",
            "created automatically by mail delivery software",
            "the original message was received at",
            "permanent fatal errors",
            "i'm sorry to have to inform you",
            "this is the mail system at host",
            "delivery has failed to these recipients",
            "did not reach some or all of the intended recipients",
            "delivery to the following recipient",
            "could not be delivered to",
            "couldn't be delivered to",
            "message could not be delivered",
            "was not delivered to",
            "unable to deliver",
            "undeliverable",
            "delivery failed",
            "delivery status notification",
            "diagnostic-code:",
            "final-recipient:",
            "action: failed",
            "remote host said",
            "user unknown",
            "unknown user",
            "no such user",
            "mailbox unavailable",
            "mailbox not found",
            "mailbox is full",
            "over quota",
            "recipient address rejected",
            "host unknown",
            "transcript of session follows",
            "returned mail",
            "non-delivery",
            "failed permanently",
            "permanent error",
            "配信できませんでした",
            "送信できませんでした",
            "配送できませんでした",
            "届けることができませんでした",
            "届けられませんでした",
            "宛先不明",
            "存在しません",
            "配信不能",
            "エラーが発生");
    /** Subjects that open with these are automatic replies on their own (Lotus Notes' "AUTO:", Outlook, ...). */
    private static final List<String> AUTO_REPLY_SUBJECT_STARTS = List.of(
            "auto:",
            "automatic reply",
            "autoreply",
            "auto-reply",
            "auto reply",
            "out of office",
            "out of the office",
            "自動返信",
            "自動応答",
            "不在");

    private static final List<String> AUTO_REPLY_SUBJECTS = List.of(
            "thank you for your e-mail",
            "thank you for your email",
            "thank you for your message",
            "out of office",
            "out of the office",
            "automatic reply",
            "auto reply",
            "autoreply",
            "auto-reply",
            "auto response",
            "autoresponse",
            "auto-response",
            "auto:",
            "vacation",
            "away from",
            "abwesenheit",
            "自動返信",
            "自動応答",
            "不在");

    private final Set<String> localDomains;
    private final MimeWalker walker;

    private BounceDetector(Set<String> localDomains, MimeWalker walker) {
        this.localDomains = localDomains;
        this.walker = walker;
    }

    /**
     * A detector without local domains: bounces are never called backscatter.
     *
     * @return a new detector
     */
    public static BounceDetector create() {
        return new BounceDetector(Set.of(), MimeWalker.defaults());
    }

    /**
     * A detector that calls a bounce backscatter when its quoted original names none of these domains.
     *
     * @param domains our domains, e.g. {@code example.org} (subdomains included); may be empty
     * @return a new detector
     * @throws IllegalArgumentException if a domain is blank or holds {@code @} or whitespace
     */
    public static BounceDetector withLocalDomains(Collection<String> domains) {
        Set<String> set = new LinkedHashSet<>();
        for (String d : Objects.requireNonNull(domains, "domains")) {
            String v = Objects.requireNonNull(d, "domain").strip().toLowerCase(Locale.ROOT);
            while (v.startsWith(".")) {
                v = v.substring(1);
            }
            if (v.isEmpty() || v.contains("@") || v.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("not a domain: '" + d + "'");
            }
            set.add(v);
        }
        return new BounceDetector(Set.copyOf(set), MimeWalker.defaults());
    }

    /**
     * The local domains.
     *
     * @return the domains, lower-case; empty when backscatter is not detected
     */
    public Set<String> localDomains() {
        return localDomains;
    }

    /**
     * Detects the kind of a message.
     *
     * @param content the message
     * @return the kind and its evidence
     * @throws IOException if the content cannot be read
     */
    public MailKind detect(MessageContent content) throws IOException {
        byte[] head;
        try (InputStream in = content.openStream()) {
            head = in.readNBytes(Tokenizer.MAX_HEADER_BYTES);
        }
        Set<String> partTypes = new LinkedHashSet<>();
        walker.walk(content, (PartInfo part, InputStream decoded) -> {
            partTypes.add("type:" + part.mimeType());
            return true;
        });
        return detect(HeaderFields.parse(head), partTypes, content);
    }

    /**
     * Detects the kind from what the tokenizer already found: the header fields and the {@code type:} tokens.
     *
     * @param headers the top-level header fields
     * @param tokens the message's tokens (only {@code type:<media type>} ones are looked at)
     * @param content the message, read again only when the header suggests a vendor-format bounce
     * @return the kind and its evidence
     * @throws IOException if the content cannot be read
     */
    MailKind detect(HeaderFields headers, Set<String> tokens, MessageContent content) throws IOException {
        List<String> evidence = new ArrayList<>();
        String contentType = headers.first("content-type").orElse("").toLowerCase(Locale.ROOT);
        boolean report = contentType.startsWith("multipart/report");
        String reportType = parameter(contentType, "report-type").orElse("");
        if (report && reportType.contains("delivery-status")) {
            evidence.add("dsn:multipart/report");
        }
        for (String t : List.of("message/delivery-status", "message/global-delivery-status", "text/rfc822-headers")) {
            if (tokens.contains("type:" + t)) {
                evidence.add("dsn:" + t);
            }
        }
        String returnPath = headers.first("return-path").orElse(null);
        String from =
                TextDecoding.decodeHeader(headers.first("from").orElse("")).toLowerCase(Locale.ROOT);
        String subject =
                TextDecoding.decodeHeader(headers.first("subject").orElse("")).toLowerCase(Locale.ROOT);
        boolean nullSender = returnPath != null && returnPath.replace(" ", "").equals("<>");
        List<String> senderSignals = new ArrayList<>();
        if (nullSender) {
            senderSignals.add("return-path:<>");
        }
        senderSignal(from).ifPresent(s -> senderSignals.add("from:" + s));
        if (evidence.isEmpty() && !senderSignals.isEmpty()) {
            Optional<String> s = firstContained(subject, BOUNCE_SUBJECTS);
            Optional<String> w = s.isPresent() ? Optional.empty() : bounceWording(content);
            if (s.isPresent() || w.isPresent()) {
                evidence.addAll(senderSignals);
                s.ifPresent(x -> evidence.add("subject:" + x));
                w.ifPresent(x -> evidence.add("text:" + x));
            }
        }
        if (!evidence.isEmpty()) {
            if (!localDomains.isEmpty()) {
                Set<String> quoted = quotedDomains(content);
                if (quoted.isEmpty()) {
                    evidence.add("original:not-found");
                } else {
                    Optional<String> ours =
                            quoted.stream().filter(this::isLocal).findFirst();
                    if (ours.isPresent()) {
                        evidence.add("original:" + ours.get());
                    } else {
                        evidence.add("original-not-ours:"
                                + String.join(",", quoted.stream().limit(3).toList()));
                        return new MailKind(MailKind.Kind.BACKSCATTER, evidence);
                    }
                }
            }
            return new MailKind(MailKind.Kind.BOUNCE, evidence);
        }
        // automatic replies
        headers.first("auto-submitted")
                .map(v -> v.toLowerCase(Locale.ROOT))
                .filter(v -> !v.isEmpty() && !v.startsWith("no"))
                .ifPresent(v -> evidence.add("auto-submitted:" + token(v)));
        for (String h : List.of("x-autoreply", "x-autorespond", "x-autoresponder")) {
            if (headers.has(h)) {
                evidence.add("header:" + h);
            }
        }
        headers.first("precedence")
                .map(v -> v.toLowerCase(Locale.ROOT))
                .filter(v -> v.contains("auto_reply") || v.contains("auto-reply"))
                .ifPresent(v -> evidence.add("precedence:auto_reply"));
        if (report && !reportType.isEmpty()) {
            evidence.add("report:" + token(reportType));
        }
        if (evidence.isEmpty()) {
            String opening = subject.strip();
            for (String start : AUTO_REPLY_SUBJECT_STARTS) {
                if (opening.startsWith(start)) {
                    evidence.add("subject-starts:" + start);
                    break;
                }
            }
        }
        if (evidence.isEmpty() && subject.startsWith("complaint about message from")) {
            evidence.add("report:complaint");
        }
        if (evidence.isEmpty()) {
            Optional<String> s = firstContained(subject, AUTO_REPLY_SUBJECTS);
            boolean reply = headers.has("in-reply-to") || headers.has("references") || nullSender;
            if (s.isPresent() && reply) {
                evidence.add("subject:" + s.get());
                evidence.add(nullSender ? "return-path:<>" : "reply-to-message");
            }
        }
        return evidence.isEmpty() ? MailKind.ORDINARY : new MailKind(MailKind.Kind.AUTO_REPLY, evidence);
    }

    private static String token(String v) {
        String s = v.strip();
        int end = 0;
        while (end < s.length()
                && end < 30
                && (Character.isLetterOrDigit(s.charAt(end)) || "-_".indexOf(s.charAt(end)) >= 0)) {
            end++;
        }
        return s.substring(0, end);
    }

    private boolean isLocal(String domain) {
        for (String d : localDomains) {
            if (domain.equals(d) || domain.endsWith("." + d)) {
                return true;
            }
        }
        return false;
    }

    private static Optional<String> senderSignal(String from) {
        int lt = from.lastIndexOf('<');
        String address = lt >= 0 ? from.substring(lt + 1) : from;
        int at = address.indexOf('@');
        String local = (at >= 0 ? address.substring(0, at) : address).strip().replace("\"", "");
        for (String l : SENDER_LOCAL_PARTS) {
            if (local.equals(l) || local.endsWith(" " + l)) {
                return Optional.of(l);
            }
        }
        String name = lt >= 0 ? from.substring(0, lt) : "";
        for (String n : SENDER_NAMES) {
            if (name.contains(n)) {
                return Optional.of(n.replace(' ', '-'));
            }
        }
        return Optional.empty();
    }

    private static Optional<String> firstContained(String text, List<String> needles) {
        for (String n : needles) {
            if (text.contains(n)) {
                return Optional.of(n);
            }
        }
        return Optional.empty();
    }

    /** Bounce wording in the first few text parts, decoded (charset and transfer encoding). */
    private Optional<String> bounceWording(MessageContent content) throws IOException {
        List<String> found = new ArrayList<>(1);
        int[] parts = {0};
        walker.walk(content, (PartInfo part, InputStream decoded) -> {
            if (!part.mimeType().startsWith("text/") || parts[0]++ >= MAX_TEXT_PARTS) {
                return parts[0] < MAX_TEXT_PARTS;
            }
            String text = TextDecoding.decode(
                            decoded.readNBytes(MAX_SCAN_BYTES), part.charset().orElse(null))
                    .toLowerCase(Locale.ROOT);
            Optional<String> w = firstContained(text, BOUNCE_WORDING);
            w.ifPresent(found::add);
            return w.isEmpty();
        });
        return found.stream().findFirst();
    }

    /**
     * Domains of the {@code From}, {@code Sender}, {@code Return-Path} and {@code Message-ID} lines after the top-level
     * header: the quoted original's header, wherever the bounce put it (a {@code message/rfc822} or
     * {@code text/rfc822-headers} part, or inline text, indented or quoted with {@code >}).
     */
    private static Set<String> quotedDomains(MessageContent content) throws IOException {
        byte[] raw;
        try (InputStream in = content.openStream()) {
            raw = in.readNBytes(MAX_SCAN_BYTES);
        }
        String s = new String(raw, StandardCharsets.ISO_8859_1);
        int body = s.indexOf("\n\n");
        int crlf = s.indexOf("\r\n\r\n");
        int start = body < 0 ? crlf : crlf < 0 ? body : Math.min(body, crlf);
        Set<String> domains = new LinkedHashSet<>();
        if (start < 0) {
            return domains;
        }
        int i = start;
        int n = s.length();
        while (i < n) {
            int eol = s.indexOf('\n', i);
            int end = eol < 0 ? n : eol;
            int a = i;
            while (a < end && (s.charAt(a) == ' ' || s.charAt(a) == '\t' || s.charAt(a) == '>')) {
                a++;
            }
            for (String field : List.of("from:", "sender:", "return-path:", "message-id:")) {
                if (s.regionMatches(true, a, field, 0, field.length())) {
                    domainOf(s.substring(a + field.length(), end)).ifPresent(domains::add);
                }
            }
            i = end + 1;
        }
        return domains;
    }

    private static Optional<String> domainOf(String value) {
        String v = value.toLowerCase(Locale.ROOT);
        int at = v.lastIndexOf('@');
        if (at < 0) {
            return Optional.empty();
        }
        int end = at + 1;
        while (end < v.length()
                && (Character.isLetterOrDigit(v.charAt(end)) || v.charAt(end) == '.' || v.charAt(end) == '-')) {
            end++;
        }
        String d = v.substring(at + 1, end);
        while (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        return d.indexOf('.') > 0 ? Optional.of(d) : Optional.empty();
    }

    /** A parameter of a lower-cased Content-Type value, unquoted. */
    static Optional<String> parameter(String contentType, String name) {
        int i = 0;
        while ((i = contentType.indexOf(name, i)) >= 0) {
            int eq = i + name.length();
            while (eq < contentType.length() && contentType.charAt(eq) == ' ') {
                eq++;
            }
            boolean boundary = i == 0 || contentType.charAt(i - 1) == ';' || contentType.charAt(i - 1) == ' ';
            if (boundary && eq < contentType.length() && contentType.charAt(eq) == '=') {
                int v = eq + 1;
                while (v < contentType.length() && contentType.charAt(v) == ' ') {
                    v++;
                }
                boolean quoted = v < contentType.length() && contentType.charAt(v) == '"';
                int start = quoted ? v + 1 : v;
                int end = start;
                while (end < contentType.length()
                        && (quoted
                                ? contentType.charAt(end) != '"'
                                : contentType.charAt(end) != ';' && contentType.charAt(end) != ' ')) {
                    end++;
                }
                return Optional.of(contentType.substring(start, end));
            }
            i = eq;
        }
        return Optional.empty();
    }
}
