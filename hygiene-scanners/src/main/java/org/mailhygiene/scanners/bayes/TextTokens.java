package org.mailhygiene.scanners.bayes;

import java.text.Normalizer;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Splits decoded text into tokens: words for space-separated scripts, overlapping character bigrams for CJK runs.
 *
 * <p>Text is NFKC-normalised first (half-width katakana become full-width, full-width Latin letters and digits become
 * ASCII) and lower-cased. Latin words of 3 to 20 characters become tokens as they are (inner punctuation kept, outer
 * punctuation stripped); longer ones become {@code skip:<first char>:<length/10>}. A run of Han, Katakana or Hangul
 * characters of length n yields its n-1 bigrams (a lone character yields itself). Hiragana (and a prolonged sound
 * mark that lengthens them, {@code すごーい}) separate runs and give no token: in Japanese they write particles and inflections ({@code して}, {@code ます}), which every kind of mail shares,
 * while the words that tell spam from ham are in kanji and katakana ({@code 無料登録}, {@code アドレス}). Learned from a
 * small Japanese corpus, hiragana bigrams had become strong evidence of its style, not of its topic. Nothing depends
 * on how many spaces the text has, so unspaced Japanese is not penalised.
 *
 * <p>Stateless and thread-safe.
 */
final class TextTokens {
    private static final int MIN_WORD = 3;
    private static final int MAX_WORD = 20;
    private static final int PROLONGED_SOUND_MARK = 0x30FC;

    private TextTokens() {}

    /**
     * Tokenises text.
     *
     * @param text the text
     * @param prefix prepended to every token (e.g. {@code "subject:"}), empty for body text
     * @param sink receives the tokens in text order (with repeats)
     */
    static void tokenize(String text, String prefix, Consumer<String> sink) {
        // NFKC leaves ASCII unchanged, and most mail text is ASCII: skip the normaliser then (it is costly)
        String s = (isAscii(text) ? text : Normalizer.normalize(text, Normalizer.Form.NFKC)).toLowerCase(Locale.ROOT);
        int n = s.length();
        int i = 0;
        boolean afterHiragana = false;
        while (i < n) {
            int cp = s.codePointAt(i);
            if (isHiragana(cp) || (afterHiragana && cp == PROLONGED_SOUND_MARK)) {
                // a prolonged sound mark after hiragana (すごーい) lengthens the hiragana: no token either
                i += Character.charCount(cp);
                afterHiragana = true;
                continue;
            }
            afterHiragana = false;
            if (isCjk(cp)) {
                int start = i;
                int prev = -1;
                int count = 0;
                while (i < n) {
                    int c = s.codePointAt(i);
                    if (!isCjk(c) || isHiragana(c)) {
                        break;
                    }
                    if (prev >= 0) {
                        sink.accept(prefix
                                + new StringBuilder().appendCodePoint(prev).appendCodePoint(c));
                    }
                    prev = c;
                    count++;
                    i += Character.charCount(c);
                }
                if (count == 1) {
                    sink.accept(prefix + s.substring(start, i));
                }
            } else if (Character.isWhitespace(cp) || Character.isSpaceChar(cp) || isCjkPunctuation(cp)) {
                i += Character.charCount(cp);
            } else {
                int start = i;
                while (i < n) {
                    int c = s.codePointAt(i);
                    if (isCjk(c) || Character.isWhitespace(c) || Character.isSpaceChar(c) || isCjkPunctuation(c)) {
                        break;
                    }
                    i += Character.charCount(c);
                }
                word(s.substring(start, i), prefix, sink);
            }
        }
    }

    private static boolean isAscii(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    private static void word(String raw, String prefix, Consumer<String> sink) {
        int a = 0;
        int b = raw.length();
        while (a < b && isOuterPunctuation(raw.charAt(a))) {
            a++;
        }
        while (b > a && isOuterPunctuation(raw.charAt(b - 1))) {
            b--;
        }
        int len = b - a;
        if (len < MIN_WORD) {
            return;
        }
        if (len > MAX_WORD) {
            sink.accept(prefix + "skip:" + raw.charAt(a) + ":" + (len / 10));
            return;
        }
        sink.accept(prefix + raw.substring(a, b));
    }

    private static boolean isOuterPunctuation(char c) {
        return "\"'`()[]{}<>,.;:!?*_-=~|/\\".indexOf(c) >= 0;
    }

    /**
     * Whether a code point belongs to a script written without spaces between words.
     *
     * @param cp the code point
     * @return {@code true} for Han, Hiragana, Katakana (incl. the prolonged sound mark) and Hangul
     */
    static boolean isCjk(int cp) {
        if (cp < 0x1100) { // fast path: Latin, Greek, Cyrillic, ... (no CJK or Hangul below U+1100)
            return false;
        }
        if (cp == 0x30FC || cp == 0x3005) { // prolonged sound mark, iteration mark
            return true;
        }
        if (!Character.isLetter(cp)) {
            return false;
        }
        Character.UnicodeScript script = Character.UnicodeScript.of(cp);
        return script == Character.UnicodeScript.HAN
                || script == Character.UnicodeScript.HIRAGANA
                || script == Character.UnicodeScript.KATAKANA
                || script == Character.UnicodeScript.HANGUL;
    }

    /**
     * Whether a code point is a hiragana letter or mark (U+3041 to U+309F, and the historic hiragana of the Kana
     * Supplement blocks).
     *
     * @param cp the code point
     * @return {@code true} for hiragana
     */
    static boolean isHiragana(int cp) {
        return (cp >= 0x3041 && cp <= 0x309F)
                || (cp >= 0x1B000
                        && cp <= 0x1B16F
                        && Character.UnicodeScript.of(cp) == Character.UnicodeScript.HIRAGANA);
    }

    private static boolean isCjkPunctuation(int cp) {
        return (cp >= 0x3000 && cp <= 0x303F && cp != 0x3005) || (cp >= 0xFF01 && cp <= 0xFF0F) || cp == 0x30FB;
    }
}
