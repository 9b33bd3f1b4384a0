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
 * supersets real mailers use), except that EUC-JP labelled Shift_JIS and Shift_JIS labelled EUC-JP are recognised
 * (Japanese mailers and list servers of the 1990s and 2000s mixed the two labels up); otherwise pure ASCII is ASCII, valid UTF-8 is UTF-8, strictly valid EUC-JP is EUC-JP,
 * strictly valid windows-31j is Shift_JIS, and the rest is the declared charset or windows-1252.
 *
 * <p>ISO-2022-JP is read leniently ({@link #decodeAs(byte[], Charset)}), as Japanese mailers write it: with the
 * Microsoft extensions of CP50220/CP50221 (NEC special characters such as {@code ①} and {@code ㈱} in row 13, the
 * NEC-selected IBM extensions in rows 89 to 92), JIS X 0201 katakana ({@code ESC ( I} and SO/SI), JIS X 0212, and a
 * line end that leaves a two-byte mode without {@code ESC ( B} returning to ASCII (the next line's text was read as
 * kanji). The JDK's decoder reads JIS X 0208 the same way but turns the extensions into U+FFFD. UTF-7 (RFC 2152), which
 * the JDK cannot read, is decoded too.
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
    /**
     * Stands for UTF-7, which the JDK has no charset for: {@link #choose} returns it for a UTF-7 label and
     * {@link #decodeAs(byte[], Charset)} decodes it; as a JDK charset it would read the bytes as ASCII.
     */
    static final Charset UTF_7 = new Utf7.Label();

    private TextDecoding() {}

    /**
     * Decodes bytes to text.
     *
     * @param bytes the bytes
     * @param declared the declared charset name, or {@code null} when none was declared; an unknown name counts as none
     * @return the text; undecodable bytes become U+FFFD
     */
    public static String decode(byte[] bytes, String declared) {
        return decodeAs(bytes, choose(bytes, declared));
    }

    /**
     * Decodes bytes in a charset {@link #choose} chose: ISO-2022-JP (any of its labels and Microsoft's CP5022x) and
     * UTF-7 by this class's lenient decoders (see the class description), any other charset by the JDK.
     *
     * @param bytes the bytes
     * @param charset the charset
     * @return the text; undecodable bytes become U+FFFD
     * @throws NullPointerException if either argument is null
     */
    public static String decodeAs(byte[] bytes, Charset charset) {
        if (isIso2022Jp(charset)) {
            return Iso2022Jp.decode(bytes);
        }
        if (charset.equals(UTF_7)) {
            return Utf7.decode(bytes);
        }
        return new String(bytes, charset);
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
            return otherJapanese(bytes, label).orElse(label);
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

    /**
     * The other of Shift_JIS and EUC-JP when the bytes are in it rather than in the one labelled. Shift_JIS's kana and
     * first-level kanji start with bytes EUC-JP does not use, so Shift_JIS under an EUC-JP label does not decode
     * strictly as EUC-JP. EUC-JP under a Shift_JIS label often does decode as Shift_JIS, into half-width katakana and
     * odd kanji; it is taken for EUC-JP when it decodes strictly so and its Shift_JIS reading has a two-byte character
     * (Shift_JIS text that is valid EUC-JP is, but for rare second-level kanji, all half-width katakana, as old phones
     * wrote it, and stays Shift_JIS).
     */
    private static Optional<Charset> otherJapanese(byte[] bytes, Charset label) {
        if (label.equals(EUC_JP) && !decodesStrictly(bytes, EUC_JP) && decodesStrictly(bytes, WINDOWS_31J)) {
            return Optional.of(WINDOWS_31J);
        }
        if (label.equals(WINDOWS_31J) && !isAscii(bytes) && decodesStrictly(bytes, EUC_JP)) {
            boolean twoByte =
                    new String(bytes, WINDOWS_31J).chars().anyMatch(c -> c >= 0x80 && (c < 0xFF61 || c > 0xFF9F));
            if (twoByte) {
                return Optional.of(EUC_JP);
            }
        }
        return Optional.empty();
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
            case "utf-7", "unicode-1-1-utf-7", "csunicode11utf7", "x-unicode-2-0-utf-7" -> {
                return UTF_7;
            }
            case "cp50220",
                    "cp50221",
                    "cp50222",
                    "x-windows-50220",
                    "x-windows-50221",
                    "x-windows-iso2022jp",
                    "iso-2022-jp-ms",
                    "iso-2022-jp-1",
                    "iso-2022-jp-3",
                    "iso-2022-jp-2004" -> {
                // Microsoft's and later supersets: read by the lenient decoder, which knows their extensions
                return ISO_2022_JP;
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

    /** Whether the charset is read as ISO-2022-JP: its JDK names and Microsoft's CP50220, CP50221 and CP50222. */
    private static boolean isIso2022Jp(Charset c) {
        String n = c.name();
        return n.equalsIgnoreCase("ISO-2022-JP")
                || n.equalsIgnoreCase("ISO-2022-JP-2")
                || n.equalsIgnoreCase("x-windows-50220")
                || n.equalsIgnoreCase("x-windows-50221")
                || n.equalsIgnoreCase("x-windows-iso2022jp");
    }

    private static boolean isSevenBitIso2022(Charset c) {
        return c.name().regionMatches(true, 0, "ISO-2022-", 0, 9) || c.equals(UTF_7);
    }

    private static boolean isAsciiOrLatin(Charset c) {
        return c.equals(StandardCharsets.US_ASCII) || c.equals(StandardCharsets.ISO_8859_1);
    }

    /**
     * Whether the bytes hold an ISO-2022-JP escape sequence that switches to JIS X 0208, JIS X 0201 Roman or JIS X 0201
     * katakana.
     *
     * @param b the bytes
     * @return {@code true} if an escape is present
     */
    public static boolean hasJisEscape(byte[] b) {
        for (int i = 0; i + 2 < b.length; i++) {
            if (b[i] == 0x1B) {
                byte b1 = b[i + 1];
                byte b2 = b[i + 2];
                if ((b1 == '$' && (b2 == 'B' || b2 == '@')) || (b1 == '(' && (b2 == 'J' || b2 == 'I'))) {
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
        String text = decodeRawBytes(raw);
        if (text.contains("=?")) {
            text = decodeEncodedWords(text);
        }
        return text;
    }

    /**
     * The first step of {@link #decodeHeader}: a value of chars up to U+00FF holding one from U+0080 or an ESC is
     * taken for raw bytes and decoded as text with no declared charset; any other value is returned as it is.
     *
     * @param raw the value
     * @return the decoded value, or {@code raw}
     */
    static String decodeRawBytes(String raw) {
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
        String text = decodeAs(joined, choose(joined, label));
        if (pending.size() > 1 && text.indexOf('\uFFFD') >= 0) {
            // a word that does not end in its charset's initial state (ISO-2022-JP without ESC ( B) spoils the next
            // one when joined: decode them one by one too and keep whichever lost less
            StringBuilder each = new StringBuilder();
            for (byte[] b : pending) {
                each.append(decodeAs(b, choose(b, label)));
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

    /**
     * A lenient ISO-2022-JP decoder: JIS X 0208 as the JDK's ISO-2022-JP decoder reads it (its mapping, through the
     * JDK's EUC-JP), the rows that decoder lacks as Microsoft's CP50221 reads them (windows-31j: NEC row 13, rows 89 to
     * 92), JIS X 0201 katakana by {@code ESC ( I} or SO/SI, JIS X 0212 by {@code ESC $ ( D}; a CR or LF in a two-byte
     * or katakana mode returns to ASCII unless the next line goes on in kanji ({@link #nextLineIsKanji}). An unknown escape sequence, a byte above 0x7F and a lone byte of a two-byte
     * mode become U+FFFD. JIS X 0212 is read through the JDK's EUC-JP, and the IBM extensions CP50221 writes in its
     * rows through the JDK's CP50221. Tables are built on first use; thread-safe.
     */
    private static final class Iso2022Jp {
        private static final int ASCII = 0;
        private static final int ROMAN = 1;
        private static final int KANA = 2;
        private static final int JIS0208 = 3;
        private static final int JIS0212 = 4;
        /** An escape sequence that leaves the mode as it is. */
        private static final int SAME = 5;

        private static volatile char[] jis0208;
        private static volatile char[] jis0212;

        private Iso2022Jp() {}

        static String decode(byte[] b) {
            StringBuilder out = new StringBuilder(b.length);
            int mode = ASCII;
            boolean shifted = false; // SO: JIS X 0201 katakana until SI
            int n = b.length;
            for (int i = 0; i < n; i++) {
                int c = b[i] & 0xFF;
                if (c == 0x1B) {
                    int next = escape(b, i);
                    if (next < 0) {
                        out.append('\uFFFD');
                        continue;
                    }
                    mode = next >> 8 == SAME ? mode : next >> 8;
                    i += next & 0xFF;
                    shifted = false;
                    continue;
                }
                if (c == 0x0E) {
                    shifted = true;
                    continue;
                }
                if (c == 0x0F) {
                    shifted = false;
                    continue;
                }
                if (c == '\r' || c == '\n') {
                    // a line ends in ASCII (RFC 1468). A mailer that forgot ESC ( B either starts the next line with
                    // its own escape or in ASCII (which must not be read as kanji), or goes on in kanji without one
                    // decided once per run of line ends: each of them would look at the same next line (a run of a
                    // million line ends looked a million times, quadratic)
                    boolean decided = i > 0 && (b[i - 1] == '\r' || b[i - 1] == '\n');
                    if (mode != ASCII
                            && mode != ROMAN
                            && !(mode == JIS0208 && (decided || nextLineIsKanji(b, i + 1)))) {
                        mode = ASCII;
                    }
                    shifted = false;
                    out.append((char) c);
                    continue;
                }
                if (c >= 0x80) {
                    out.append('\uFFFD');
                    continue;
                }
                if (shifted || mode == KANA) {
                    out.append(c >= 0x21 && c <= 0x5F ? (char) (0xFF61 + c - 0x21) : (char) c);
                    continue;
                }
                if (mode == ASCII || c <= 0x20 || c == 0x7F) {
                    out.append((char) c);
                    continue;
                }
                if (mode == ROMAN) {
                    out.append(c == 0x5C ? '\u00A5' : c == 0x7E ? '\u203E' : (char) c);
                    continue;
                }
                int c2 = i + 1 < n ? b[i + 1] & 0xFF : -1;
                if (c2 < 0x21 || c2 > 0x7E) {
                    out.append('\uFFFD');
                    continue;
                }
                char[] table = mode == JIS0208 ? table0208() : table0212();
                out.append(table[(c - 0x21) * 94 + (c2 - 0x21)]);
                i++;
            }
            return out.toString();
        }

        /**
         * Whether the line after a line end at {@code from} goes on in JIS X 0208 without an escape: up to the next
         * escape or line end it is an even number of bytes 0x21 to 0x7E, each pair a character, one of them at least
         * kana or punctuation (rows 1 to 5, which Japanese prose never lacks for a line and ASCII text hardly ever
         * spells at even offsets: {@code $}, {@code %}, {@code !}, {@code "} or {@code #}).
         */
        private static boolean nextLineIsKanji(byte[] b, int from) {
            int i = from;
            while (i < b.length && (b[i] == '\r' || b[i] == '\n')) {
                i++;
            }
            int start = i;
            boolean kana = false;
            char[] table = table0208();
            for (; i + 1 < b.length; i += 2) {
                int c1 = b[i];
                int c2 = b[i + 1];
                if (c1 == 0x1B || c1 == '\r' || c1 == '\n') {
                    break;
                }
                if (c1 < 0x21 || c1 > 0x7E || c2 < 0x21 || c2 > 0x7E) {
                    return false;
                }
                if (table[(c1 - 0x21) * 94 + (c2 - 0x21)] == '\uFFFD') {
                    return false;
                }
                kana |= c1 <= 0x25;
            }
            if (i < b.length && b[i] != 0x1B && b[i] != '\r' && b[i] != '\n') {
                return false; // an odd byte before the line's end
            }
            return i > start && kana;
        }

        /**
         * The escape sequence at {@code i}: {@code (mode << 8) | (length - 1)}, or -1 when it is none this decoder
         * knows.
         */
        private static int escape(byte[] b, int i) {
            int n = b.length;
            int b1 = i + 1 < n ? b[i + 1] : -1;
            int b2 = i + 2 < n ? b[i + 2] : -1;
            int b3 = i + 3 < n ? b[i + 3] : -1;
            if (b1 == '(') {
                return switch (b2) {
                    case 'B' -> ASCII << 8 | 2;
                    case 'J', 'H' -> ROMAN << 8 | 2;
                    case 'I' -> KANA << 8 | 2;
                    default -> -1;
                };
            }
            if (b1 == '$') {
                if (b2 == 'B' || b2 == '@') {
                    return JIS0208 << 8 | 2;
                }
                if (b2 == '(' && (b3 == 'B' || b3 == 'Q' || b3 == 'O')) {
                    return JIS0208 << 8 | 3;
                }
                if (b2 == '(' && b3 == 'D') {
                    return JIS0212 << 8 | 3;
                }
                return -1;
            }
            if (b1 == '&' && b2 == '@') {
                // JIS X 0208-1990's announcer, followed by ESC $ B: changes nothing
                return SAME << 8 | 2;
            }
            return -1;
        }

        private static char[] table0208() {
            char[] t = jis0208;
            if (t == null) {
                t = build(false);
                jis0208 = t;
            }
            return t;
        }

        private static char[] table0212() {
            char[] t = jis0212;
            if (t == null) {
                t = build(true);
                jis0212 = t;
            }
            return t;
        }

        private static char[] build(boolean jis0212) {
            char[] t = new char[94 * 94];
            CharsetDecoder euc = strictDecoder(EUC_JP);
            CharsetDecoder ms = strictDecoder(WINDOWS_31J);
            Charset ms50221 = lookupQuietly("x-windows-50221");
            CharsetDecoder cp50221 = ms50221 == null ? null : strictDecoder(ms50221);
            for (int row = 0; row < 94; row++) {
                for (int cell = 0; cell < 94; cell++) {
                    int j1 = row + 0x21;
                    int j2 = cell + 0x21;
                    byte[] e = jis0212
                            ? new byte[] {(byte) 0x8F, (byte) (j1 | 0x80), (byte) (j2 | 0x80)}
                            : new byte[] {(byte) (j1 | 0x80), (byte) (j2 | 0x80)};
                    String s = one(euc, e);
                    if (s == null && jis0212 && cp50221 != null) {
                        // CP50221 puts IBM extensions (髙) in JIS X 0212's rows
                        s = one(cp50221, new byte[] {0x1B, '$', '(', 'D', (byte) j1, (byte) j2});
                    }
                    if (s == null && !jis0212) {
                        // CP50221: the row's Shift_JIS code in windows-31j (NEC row 13, IBM rows 89 to 92)
                        int s1 = ((j1 + 1) >> 1) + (j1 <= 0x5E ? 0x70 : 0xB0);
                        int s2 = j2 + ((j1 & 1) == 1 ? (j2 >= 0x60 ? 0x20 : 0x1F) : 0x7E);
                        s = one(ms, new byte[] {(byte) s1, (byte) s2});
                    }
                    t[row * 94 + cell] = s == null ? '\uFFFD' : s.charAt(0);
                }
            }
            return t;
        }

        private static String one(CharsetDecoder d, byte[] bytes) {
            try {
                String s = d.reset().decode(ByteBuffer.wrap(bytes)).toString();
                return s.length() == 1 ? s : null;
            } catch (CharacterCodingException e) {
                return null;
            }
        }
    }

    /**
     * UTF-7 (RFC 2152): {@code +} starts modified base64 of UTF-16 code units, which any char outside the base64
     * alphabet ends ({@code -} is absorbed); {@code +-} is a plus sign. A broken sequence becomes U+FFFD. Thread-safe.
     */
    private static final class Utf7 {
        private Utf7() {}

        static String decode(byte[] b) {
            StringBuilder out = new StringBuilder(b.length);
            int n = b.length;
            for (int i = 0; i < n; i++) {
                int c = b[i] & 0xFF;
                if (c >= 0x80) {
                    out.append('\uFFFD');
                    continue;
                }
                if (c != '+') {
                    out.append((char) c);
                    continue;
                }
                if (i + 1 < n && b[i + 1] == '-') {
                    out.append('+');
                    i++;
                    continue;
                }
                int bits = 0;
                int nbits = 0;
                int j = i + 1;
                for (; j < n; j++) {
                    int v = value(b[j]);
                    if (v < 0) {
                        break;
                    }
                    bits = (bits << 6) | v;
                    nbits += 6;
                    if (nbits >= 16) {
                        nbits -= 16;
                        out.append((char) ((bits >> nbits) & 0xFFFF));
                    }
                }
                if (nbits >= 6 || (bits & ((1 << nbits) - 1)) != 0) {
                    out.append('\uFFFD'); // a cut code unit or non-zero padding bits
                }
                i = j < n && b[j] == '-' ? j : j - 1;
            }
            return out.toString();
        }

        private static int value(byte c) {
            if (c >= 'A' && c <= 'Z') {
                return c - 'A';
            }
            if (c >= 'a' && c <= 'z') {
                return c - 'a' + 26;
            }
            if (c >= '0' && c <= '9') {
                return c - '0' + 52;
            }
            return c == '+' ? 62 : c == '/' ? 63 : -1;
        }

        /**
         * The charset that names UTF-7 in {@link #choose}; its own coders read and write ASCII (the JDK has no UTF-7),
         * so text in it is decoded by {@link TextDecoding#decodeAs(byte[], Charset)}.
         */
        static final class Label extends Charset {
            Label() {
                super("X-HYGIENE-UTF-7", new String[0]);
            }

            @Override
            public boolean contains(Charset cs) {
                return cs.equals(this) || cs.equals(StandardCharsets.US_ASCII);
            }

            @Override
            public CharsetDecoder newDecoder() {
                return StandardCharsets.US_ASCII.newDecoder();
            }

            @Override
            public java.nio.charset.CharsetEncoder newEncoder() {
                return StandardCharsets.US_ASCII.newEncoder();
            }
        }
    }
}
