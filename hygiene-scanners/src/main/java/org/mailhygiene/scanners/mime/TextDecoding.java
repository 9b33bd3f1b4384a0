package org.mailhygiene.scanners.mime;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Turns bytes of unknown or doubtful charset into text, with Japanese mail in mind.
 *
 * <p>Order of decisions: bytes holding an ISO-2022-JP escape ({@code ESC $ B}, {@code ESC $ @}, {@code ESC ( J}) are
 * ISO-2022-JP whatever the label says (old Japanese mailers sent raw JIS labelled {@code us-ascii} or nothing); a
 * 7-bit ISO-2022 label on 8-bit bytes is ignored (Shift_JIS or EUC-JP labelled ISO-2022-JP); a declared, known
 * charset other than ASCII/Latin-1 is used as declared (Shift_JIS is read as windows-31j and GB2312 as GBK, the
 * supersets real mailers use); otherwise pure ASCII is ASCII, valid UTF-8 is UTF-8, strictly valid EUC-JP is EUC-JP,
 * strictly valid windows-31j is Shift_JIS, and the rest is the declared charset or windows-1252.
 *
 * <p>Also decodes header values ({@link #decodeHeader(String)}): raw 8-bit or JIS bytes as the parser delivered them
 * (one char per byte), then RFC 2047 encoded words, whose bytes go through the same charset decisions.
 *
 * <p>Stateless and thread-safe.
 */
public final class TextDecoding {
    private static final Charset ISO_2022_JP = Charset.forName("ISO-2022-JP");
    private static final Charset EUC_JP = Charset.forName("EUC-JP");
    private static final Charset WINDOWS_31J = Charset.forName("windows-31j");
    private static final Charset WINDOWS_1252 = Charset.forName("windows-1252");
    private static final Charset GBK = Charset.forName("GBK");

    private TextDecoding() {}

    /**
     * Decodes bytes to text.
     *
     * @param bytes the bytes
     * @param declared the declared charset name, or {@code null} when none was declared; an unknown name counts as none
     * @return the text; undecodable bytes become U+FFFD
     */
    public static String decode(byte[] bytes, String declared) {
        return new String(bytes, choose(bytes, declared));
    }

    /**
     * Decodes a program's or daemon's report text line by line: each line (up to and including its LF) that is valid
     * UTF-8 as UTF-8, any other line as ISO-8859-1. Reports mix both: SpamAssassin copies rule descriptions byte for
     * byte from its configuration files (its French, German and Portuguese texts are ISO-8859-1, a site's own rules
     * often UTF-8), and command-line scanners print in the locale they run in. Decoding per line keeps a UTF-8 line
     * intact next to a Latin-1 one, and output cut in the middle of a character spoils only its own line; no byte is
     * lost or becomes U+FFFD.
     *
     * @param bytes the text's bytes
     * @return the text, as many lines as the bytes hold
     * @throws NullPointerException if {@code bytes} is null
     */
    public static String decodeReportLines(byte[] bytes) {
        if (isAscii(bytes)) {
            return new String(bytes, StandardCharsets.US_ASCII);
        }
        StringBuilder sb = new StringBuilder(bytes.length);
        int start = 0;
        while (start < bytes.length) {
            int end = start;
            while (end < bytes.length && bytes[end] != '\n') {
                end++;
            }
            end = Math.min(bytes.length, end + 1);
            byte[] line = java.util.Arrays.copyOfRange(bytes, start, end);
            sb.append(new String(
                    line,
                    decodesStrictly(line, StandardCharsets.UTF_8)
                            ? StandardCharsets.UTF_8
                            : StandardCharsets.ISO_8859_1));
            start = end;
        }
        return sb.toString();
    }

    /**
     * Chooses the charset for {@link #decode}.
     *
     * @param bytes the bytes
     * @param declared the declared charset name, or {@code null}
     * @return the charset to use
     */
    public static Charset choose(byte[] bytes, String declared) {
        return choose(bytes, lookup(declared));
    }

    private static Charset choose(byte[] bytes, Charset declaredLabel) {
        if (hasJisEscape(bytes)) {
            return ISO_2022_JP;
        }
        Charset label = declaredLabel;
        if (label != null && isSevenBitIso2022(label) && !isAscii(bytes)) {
            // ISO-2022-* is 7-bit: 8-bit bytes under that label are another charset (mailers that labelled all
            // Japanese mail ISO-2022-JP but sent Shift_JIS or EUC-JP); decoding them as labelled yields only U+FFFD.
            label = null;
        }
        if (label != null && !isAsciiOrLatin(label)) {
            return label;
        }
        if (isAscii(bytes)) {
            return StandardCharsets.US_ASCII;
        }
        if (decodesStrictly(bytes, StandardCharsets.UTF_8)) {
            return StandardCharsets.UTF_8;
        }
        if (label == null) {
            if (decodesStrictly(bytes, EUC_JP)) {
                return EUC_JP;
            }
            if (decodesStrictly(bytes, WINDOWS_31J)) {
                return WINDOWS_31J;
            }
            return WINDOWS_1252;
        }
        return label.equals(StandardCharsets.US_ASCII) ? WINDOWS_1252 : label;
    }

    private static Charset lookup(String name) {
        if (name == null || name.isBlank()) {
            return null;
        }
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.startsWith("\"") && n.endsWith("\"") && n.length() >= 2) {
            n = n.substring(1, n.length() - 1);
        }
        switch (n) {
            case "shift_jis", "shift-jis", "sjis", "x-sjis", "ms932", "cp932", "windows-31j" -> {
                return WINDOWS_31J;
            }
            case "gb2312", "gb_2312-80", "csgb2312", "euc-cn", "x-euc-cn", "chinese", "iso-ir-58" -> {
                // GBK is a superset; mailers send GBK under this label (the WHATWG Encoding Standard does the same)
                return GBK;
            }
            case "iso-8859-6-i", "iso-8859-6-e", "iso-8859-8-i", "iso-8859-8-e" -> {
                // RFC 1556 bidi variants: the same bytes as the base charset
                return Charset.forName(n.substring(0, 10));
            }
            case "macintosh", "mac", "x-mac-roman", "csmacintosh" -> {
                return lookupQuietly("x-MacRoman");
            }
            case "x-mac-cyrillic", "mac-cyrillic" -> {
                return lookupQuietly("x-MacCyrillic");
            }
            case "iso-8859-1", "latin1", "us-ascii", "ascii" -> {
                return n.contains("ascii") ? StandardCharsets.US_ASCII : StandardCharsets.ISO_8859_1;
            }
            default -> {
                try {
                    return Charset.forName(n);
                } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
                    return null;
                }
            }
        }
    }

    private static Charset lookupQuietly(String name) {
        try {
            return Charset.forName(name);
        } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
            return null;
        }
    }

    private static boolean isSevenBitIso2022(Charset c) {
        return c.name().regionMatches(true, 0, "ISO-2022-", 0, 9);
    }

    private static boolean isAsciiOrLatin(Charset c) {
        return c.equals(StandardCharsets.US_ASCII) || c.equals(StandardCharsets.ISO_8859_1);
    }

    /**
     * Whether the bytes hold an ISO-2022-JP escape sequence that switches to JIS X 0208 or JIS X 0201 Roman.
     *
     * @param b the bytes
     * @return {@code true} if an escape is present
     */
    public static boolean hasJisEscape(byte[] b) {
        for (int i = 0; i + 2 < b.length; i++) {
            if (b[i] == 0x1B) {
                byte b1 = b[i + 1];
                byte b2 = b[i + 2];
                if ((b1 == '$' && (b2 == 'B' || b2 == '@')) || (b1 == '(' && b2 == 'J')) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean isAscii(byte[] b) {
        for (byte x : b) {
            if (x < 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean decodesStrictly(byte[] b, Charset cs) {
        try {
            strictDecoder(cs).decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static CharsetDecoder strictDecoder(Charset cs) {
        return cs.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
    }

    /**
     * Text read byte for byte (ISO-8859-1: a milter packet's strings, a header value as Jakarta Mail gives it) decoded
     * as UTF-8, when its bytes are UTF-8: an SMTPUTF8 address, an RFC 6532 header.
     *
     * @param bytesAsChars one char per byte, U+0000 to U+00FF
     * @return the text decoded from UTF-8, or empty when its bytes are not valid UTF-8
     * @throws NullPointerException if the text is null
     */
    public static java.util.Optional<String> utf8(String bytesAsChars) {
        try {
            return java.util.Optional.of(strictDecoder(StandardCharsets.UTF_8)
                    .decode(ByteBuffer.wrap(bytesAsChars.getBytes(StandardCharsets.ISO_8859_1)))
                    .toString());
        } catch (CharacterCodingException e) {
            return java.util.Optional.empty();
        }
    }

    /**
     * Decodes a header value as Jakarta Mail delivers it: each raw byte as one char (U+0000 to U+00FF). Raw 8-bit
     * bytes and ISO-2022-JP escapes (undeclared Japanese headers, common in old mailers and spam) are decoded by
     * {@link #decode(byte[], String)} with no declared charset, then RFC 2047 encoded words are decoded leniently
     * ({@link #decodeEncodedWords(String)}). Values that hold chars above U+00FF are taken as already decoded apart
     * from their encoded words.
     *
     * @param raw the header value
     * @return the decoded text; the input where nothing needed decoding or decoding failed
     */
    public static String decodeHeader(String raw) {
        String text = raw;
        boolean rawBytes = true;
        boolean needs = false;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c > 0xFF) {
                rawBytes = false;
                break;
            }
            if (c >= 0x80 || c == 0x1B) {
                needs = true;
            }
        }
        if (rawBytes && needs) {
            text = decode(raw.getBytes(StandardCharsets.ISO_8859_1), null);
        }
        if (text.contains("=?")) {
            text = decodeEncodedWords(text);
        }
        return text;
    }

    /** Longest charset name (with an RFC 2231 language suffix) taken in an encoded word. */
    private static final int MAX_CHARSET = 75;

    /**
     * Distinct charset names looked up per header value; further names count as unknown without a lookup (a failed
     * {@link Charset#forName} costs about 0.1 ms and is not cached by the JDK).
     */
    private static final int MAX_CHARSET_LOOKUPS = 16;

    /**
     * Decodes the RFC 2047 encoded words in a header value, leniently: a word may stand anywhere (also inside a
     * word, as many mailers write it), white space (SP, HT, CR, LF) between two encoded words is dropped, and the bytes
     * of adjacent words with the same charset are joined before decoding (mailers split ISO-2022-JP and UTF-8
     * sequences across words), unless decoding them one by one gives fewer U+FFFD. The bytes are decoded by the rules
     * of {@link #decode(byte[], String)}: a charset name Java does not know counts as none, and 8-bit bytes under a
     * 7-bit ISO-2022 label are recognised as Shift_JIS or EUC-JP, as in bodies. A malformed word stays as it is.
     * Linear in the length of the value.
     *
     * @param value the header value, chars up to U+00FF as bytes outside the encoded words already decoded
     * @return the value with its encoded words decoded
     */
    static String decodeEncodedWords(String value) {
        int n = value.length();
        StringBuilder out = new StringBuilder(n);
        Map<String, Optional<Charset>> charsets = new HashMap<>();
        List<byte[]> pending = new ArrayList<>();
        Optional<Charset> pendingCharset = null;
        int i = 0;
        int afterWord = -1; // where the last decoded word ended, to drop white space between two words
        while (i < n) {
            int start = value.indexOf("=?", i);
            if (start < 0) {
                break;
            }
            int[] word = parseWord(value, start);
            if (word == null) {
                // not an encoded word: keep "=?" and go on after it
                flush(out, pending, pendingCharset);
                pendingCharset = null;
                out.append(value, i, start + 2);
                i = start + 2;
                afterWord = -1;
                continue;
            }
            boolean adjacent = afterWord == i && isFoldingWhiteSpace(value, i, start);
            String name = value.substring(start + 2, word[0]);
            int star = name.indexOf('*');
            String key = (star >= 0 ? name.substring(0, star) : name).toLowerCase(Locale.ROOT);
            Optional<Charset> charset = charsets.get(key);
            if (charset == null) {
                charset = charsets.size() < MAX_CHARSET_LOOKUPS ? Optional.ofNullable(lookup(key)) : Optional.empty();
                charsets.put(key, charset);
            }
            byte[] bytes = wordBytes(value, word[1], word[2], Character.toUpperCase(value.charAt(word[0] + 1)) == 'B');
            if (!(adjacent && charset.equals(pendingCharset))) {
                flush(out, pending, pendingCharset);
                if (!adjacent) {
                    out.append(value, i, start);
                }
                pendingCharset = charset;
            }
            pending.add(bytes);
            i = word[3];
            afterWord = i;
        }
        flush(out, pending, pendingCharset);
        out.append(value, Math.min(i, n), n);
        return out.toString();
    }

    private static boolean isFoldingWhiteSpace(String v, int from, int to) {
        for (int k = from; k < to; k++) {
            char c = v.charAt(k);
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                return false;
            }
        }
        return true;
    }

    /**
     * Parses an encoded word at {@code start} ({@code =?charset?E?text?=}).
     *
     * @return {charset end ('?' after the charset), text start, text end, end of the word}, or {@code null}
     */
    private static int[] parseWord(String v, int start) {
        int n = v.length();
        int q1 = start + 2;
        int limit = Math.min(n, q1 + MAX_CHARSET + 1);
        while (q1 < limit && v.charAt(q1) != '?' && v.charAt(q1) > ' ' && v.charAt(q1) < 0x7F) {
            q1++;
        }
        if (q1 >= limit || v.charAt(q1) != '?' || q1 == start + 2 || q1 + 2 >= n || v.charAt(q1 + 2) != '?') {
            return null;
        }
        char e = Character.toUpperCase(v.charAt(q1 + 1));
        if (e != 'B' && e != 'Q') {
            return null;
        }
        int textStart = q1 + 3;
        int j = textStart;
        while (j < n && v.charAt(j) != '?' && v.charAt(j) > ' ' && v.charAt(j) < 0x7F) {
            j++;
        }
        if (j + 1 >= n || v.charAt(j) != '?' || v.charAt(j + 1) != '=') {
            return null;
        }
        return new int[] {q1, textStart, j, j + 2};
    }

    /**
     * The bytes of an encoded word's text: base64 as {@link LenientDecoding.Base64} reads a body (padding inside ends a
     * quantum: mailers concatenate padded chunks), or RFC 2047's Q encoding.
     */
    private static byte[] wordBytes(String v, int from, int to, boolean base64) {
        if (base64) {
            return LenientDecoding.Base64.decode(v.substring(from, to).getBytes(StandardCharsets.ISO_8859_1));
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(to - from);
        for (int k = from; k < to; k++) {
            char c = v.charAt(k);
            if (c == '_') {
                out.write(' ');
            } else if (c == '='
                    && k + 2 < to
                    && Character.digit(v.charAt(k + 1), 16) >= 0
                    && Character.digit(v.charAt(k + 2), 16) >= 0) {
                out.write(Character.digit(v.charAt(k + 1), 16) * 16 + Character.digit(v.charAt(k + 2), 16));
                k += 2;
            } else {
                out.write(c & 0xFF);
            }
        }
        return out.toByteArray();
    }

    private static void flush(StringBuilder out, List<byte[]> pending, Optional<Charset> charset) {
        if (pending.isEmpty()) {
            return;
        }
        Charset label = charset.orElse(null);
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (byte[] b : pending) {
            all.writeBytes(b);
        }
        byte[] joined = all.toByteArray();
        String text = new String(joined, choose(joined, label));
        if (pending.size() > 1 && text.indexOf('\uFFFD') >= 0) {
            // a word that does not end in its charset's initial state (ISO-2022-JP without ESC ( B) spoils the next
            // one when joined: decode them one by one too and keep whichever lost less
            StringBuilder each = new StringBuilder();
            for (byte[] b : pending) {
                each.append(new String(b, choose(b, label)));
            }
            if (replacements(each) < replacements(text)) {
                text = each.toString();
            }
        }
        out.append(text);
        pending.clear();
    }

    private static int replacements(CharSequence s) {
        int r = 0;
        for (int k = 0; k < s.length(); k++) {
            if (s.charAt(k) == '\uFFFD') {
                r++;
            }
        }
        return r;
    }
}
