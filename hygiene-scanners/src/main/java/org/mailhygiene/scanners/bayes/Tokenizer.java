package org.mailhygiene.scanners.bayes;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.scanners.mime.MimeFinding;
import org.mailhygiene.scanners.mime.MimeWalkResult;
import org.mailhygiene.scanners.mime.MimeWalker;
import org.mailhygiene.scanners.mime.PartInfo;
import org.mailhygiene.scanners.mime.TextDecoding;

/**
 * Turns a message into the set of tokens the classifier learns and scores.
 *
 * <p>Headers of the top-level message (raw 8-bit and JIS bytes and RFC 2047 words decoded): the Subject's words and
 * bigrams prefixed {@code subject:}; {@code from:<address>} and {@code from-domain:<domain>} (also for Reply-To and
 * the Message-ID's domain); {@code x-mailer:<value>}. Body: every text part is decoded (quoted-printable, base64, the
 * declared charset or a sniffed one: ISO-2022-JP, Shift_JIS, EUC-JP, UTF-8, raw JIS), HTML is turned into text, and
 * the text is split by {@link TextTokens} into words and CJK bigrams; URL hosts become {@code url:<host>} and
 * {@code url:<last two labels>}. Each part adds {@code type:<media type>} and {@code charset:<declared charset>};
 * attachments add {@code ext:<extension>}; MIME structure findings add {@code mime:<kind>}.
 *
 * <p>At most {@value #DEFAULT_MAX_TEXT_BYTES} decoded bytes of text are read per part. Immutable and thread-safe.
 */
public final class Tokenizer {
    /** Decoded text bytes read per part, 256 KiB. */
    public static final int DEFAULT_MAX_TEXT_BYTES = 256 * 1024;
    /** Header bytes read, 64 KiB. */
    static final int MAX_HEADER_BYTES = 64 * 1024;

    private static final Pattern ADDRESS = Pattern.compile("([A-Za-z0-9._%+'-]+)@([A-Za-z0-9.-]+\\.[A-Za-z]{2,})");
    private static final Pattern SCRIPT_STYLE = Pattern.compile("(?is)<(script|style)\\b.*?</\\1\\s*>");
    private static final Pattern COMMENT = Pattern.compile("(?s)<!--.*?-->");
    private static final Pattern TAG = Pattern.compile("(?s)<[^>]*>");
    private static final Pattern HREF = Pattern.compile("(?i)(?:href|src)\\s*=\\s*[\"']?([^\"'\\s>]+)");
    private static final Pattern MESSAGE_ID_DOMAIN = Pattern.compile("@([A-Za-z0-9.-]+)");
    private static final Pattern FOLD = Pattern.compile("\r?\n[ \t]+");
    private static final Pattern LINE = Pattern.compile("\r?\n");
    private static final Pattern ENTITY = Pattern.compile("&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});");

    private final MimeWalker walker;
    private final int maxTextBytes;

    private Tokenizer(MimeWalker walker, int maxTextBytes) {
        this.walker = walker;
        this.maxTextBytes = maxTextBytes;
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
     * @param maxTextBytes decoded text bytes read per part, {@code >= 1}
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
     * Tokenizes a message.
     *
     * @param content the message
     * @return its distinct tokens, in first-seen order
     * @throws IOException if the content cannot be read
     */
    public Set<String> tokenize(MessageContent content) throws IOException {
        Set<String> tokens = new LinkedHashSet<>();
        try (InputStream in = content.openStream()) {
            headers(in.readNBytes(MAX_HEADER_BYTES), tokens);
        }
        MimeWalkResult result = walker.walk(content, (PartInfo part, InputStream decoded) -> {
            part(part, decoded, tokens);
            return true;
        });
        for (MimeFinding f : result.findings()) {
            tokens.add("mime:" + f.kind().name().toLowerCase(Locale.ROOT));
        }
        return tokens;
    }

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

    private void part(PartInfo part, InputStream decoded, Set<String> tokens) throws IOException {
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
        byte[] bytes = decoded.readNBytes(maxTextBytes);
        String text = TextDecoding.decode(bytes, part.charset().orElse(null));
        if (part.mimeType().equals("text/html")) {
            Matcher href = HREF.matcher(text);
            while (href.find()) {
                urls(href.group(1), tokens);
            }
            text = htmlToText(text);
        }
        text(text, tokens);
    }

    private static void text(String text, Set<String> tokens) {
        urls(text, tokens);
        TextTokens.tokenize(text, "", tokens::add);
    }

    /** Finds {@code http://}, {@code https://} and {@code www.} hosts without a regular expression (hot path). */
    private static void urls(String text, Set<String> tokens) {
        String lower = text.toLowerCase(Locale.ROOT);
        int from = 0;
        while (true) {
            int http = lower.indexOf("http", from);
            int www = lower.indexOf("www.", from);
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
            while (end > hostStart && (lower.charAt(end - 1) == '.' || lower.charAt(end - 1) == '-')) {
                end--;
            }
            if (end > hostStart) {
                host(lower.substring(hostStart, end), tokens);
            }
            from = Math.max(end, at + 1);
        }
    }

    private static boolean isHostChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    }

    private static void host(String host, Set<String> tokens) {
        tokens.add("url:" + host);
        int last = host.lastIndexOf('.');
        int second = last > 0 ? host.lastIndexOf('.', last - 1) : -1;
        if (second > 0) {
            tokens.add("url:" + host.substring(second + 1));
        }
    }

    /**
     * Reduces HTML to its text: comments, scripts and styles removed, tags replaced by blanks, entities decoded.
     *
     * @param html the HTML
     * @return the text
     */
    static String htmlToText(String html) {
        String s = COMMENT.matcher(html).replaceAll(" ");
        s = SCRIPT_STYLE.matcher(s).replaceAll(" ");
        s = TAG.matcher(s).replaceAll(" ");
        Matcher m = ENTITY.matcher(s);
        StringBuilder sb = new StringBuilder(s.length());
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(entity(m.group(1))));
        }
        m.appendTail(sb);
        return sb.toString();
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

    /** Header tokens from the raw header block (up to the first empty line). */
    private static void headers(byte[] raw, Set<String> tokens) {
        String block = new String(raw, java.nio.charset.StandardCharsets.ISO_8859_1);
        int end = block.indexOf("\r\n\r\n");
        int endLf = block.indexOf("\n\n");
        if (end < 0 || (endLf >= 0 && endLf < end)) {
            end = endLf;
        }
        if (end >= 0) {
            block = block.substring(0, end);
        }
        String unfolded = FOLD.matcher(block).replaceAll(" ");
        for (String line : LINE.split(unfolded)) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            String value = TextDecoding.decodeHeader(line.substring(colon + 1).strip());
            switch (name) {
                case "subject" -> {
                    TextTokens.tokenize(value, "subject:", tokens::add);
                    urls(value, tokens);
                }
                case "from" -> address("from", value, tokens);
                case "reply-to" -> address("reply-to", value, tokens);
                case "return-path" -> address("return-path", value, tokens);
                case "message-id" -> {
                    Matcher m = MESSAGE_ID_DOMAIN.matcher(value);
                    if (m.find()) {
                        tokens.add("message-id-domain:" + m.group(1).toLowerCase(Locale.ROOT));
                    }
                }
                case "x-mailer", "user-agent" -> {
                    String v = value.toLowerCase(Locale.ROOT);
                    tokens.add("x-mailer:" + (v.length() > 40 ? v.substring(0, 40) : v));
                }
                default -> {
                    // other headers carry little signal and much noise (dates, ids, relays)
                }
            }
        }
    }

    private static void address(String header, String value, Set<String> tokens) {
        Matcher m = ADDRESS.matcher(value);
        if (m.find()) {
            String domain = m.group(2).toLowerCase(Locale.ROOT);
            tokens.add(header + ":" + m.group(1).toLowerCase(Locale.ROOT) + "@" + domain);
            tokens.add(header + "-domain:" + domain);
        } else {
            tokens.add(header + ":none");
        }
        String display = m.find(0) ? value.substring(0, m.start()) : value;
        TextTokens.tokenize(display.replace("<", " ").replace("\"", " "), header + "-name:", tokens::add);
    }
}
