package org.mailhygiene.scanners.bayes;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which European language a message's text is written in, told by its common function words among the tokenizer's
 * text words (words of three letters or more, lowercased), so that {@link BayesModel#classify} can tell text in a
 * language its model learned only from spam.
 *
 * <p>Why: the public corpora a model learns are English ham and spam of every language, so ordinary German or French
 * words ({@code ich}, {@code nicht}, {@code votre}) are seen in hundreds of spam and almost no ham, and a German
 * mailing-list announcement or a French business letter scores as spam on its words alone (benchmarks/README.md,
 * session 25). The lists hold each language's most common function words that are not also English words or
 * abbreviations ({@code die}, {@code hat}, {@code per}, {@code con}, {@code met}, {@code los}, {@code son} are left
 * out); Scandinavian languages are not covered (their short function words are English words too), nor are languages
 * the tokenizer reads by character (Chinese, Japanese, Korean).
 *
 * <p>A text is in language L when at least {@value #MIN_WORDS} of L's listed words are among its tokens, at least
 * {@value #ENGLISH_RATIO} times as many as of the English list (real German or French mail holds a few English ones at
 * most), and at most a tenth of its words are in another script (Chinese, Cyrillic, ...). So an English or Chinese spam
 * padded with German function words is not German text: the English list has 35 words, no language's list more than
 * 56. Linear in the number of tokens (one map lookup each). Stateless and thread-safe.
 */
final class TextLanguage {
    /**
     * What this class detects, part of {@link BayesScanner}'s cache identity: 1 since it was introduced; 2 since the
     * Subject's function words of the text's language ({@link #isSubjectWord}) are left out of the second reading; 3
     * since text written mostly in one non-Latin alphabet ({@link #textScript}: Cyrillic, Greek, Hangul, ...) is told
     * too.
     */
    static final int VERSION = 3;

    /** The fewest distinct listed words of one language that make a text that language: 5. */
    static final int MIN_WORDS = 5;

    /** How many times as many listed words of the language as of English the text needs: 8. */
    static final int ENGLISH_RATIO = 8;

    /** ISO 639-1 codes and English names, in the order of the bit masks below; index 0 is English. */
    private static final List<String> CODES = List.of("en", "de", "fr", "es", "pt", "it", "nl", "pl");

    private static final List<String> NAMES =
            List.of("English", "German", "French", "Spanish", "Portuguese", "Italian", "Dutch", "Polish");

    private static final List<String> WORDS = List.of(
            // English: the function words most English mail has
            "the and that this with you your for are not have from will can all was but our they their which would"
                    + " there what been has were when about more into than them only also",
            "und der das nicht ich ist sie mit den ein eine auf für sich dem des auch wir wird sind bei oder aber noch"
                    + " wie nach einen werden haben kann mir mich uns ihr ihre wenn dass diese dieser über vom zum zur"
                    + " nur schon bitte vielen dank ihnen einem einer habe",
            "les des une pour pas que qui dans sur avec vous nous cette sont mais aux votre vos notre nos elle ils"
                    + " être avoir été très merci bonjour peut faire",
            "que del por para una sus pero más como muy este esta usted nosotros gracias hola también puede",
            "mais não para uma você seu sua obrigado também muito são pelo pela está isso",
            "gli che sono della dei nel nella questo questa anche più grazie ciao tutti essere",
            "het een niet zijn voor ook bij nog wel dat deze dit wordt worden naar uit zou heeft hebben jij uw onze"
                    + " dank groeten",
            "nie się jest jak ale czy tak dla są przez już może jestem mam tylko oraz jego");

    /** Word to the bit mask of the languages listing it. */
    private static final Map<String, Integer> MASKS = new HashMap<>();

    /** Each language's words as a list (iterated, never searched). */
    private static final List<List<String>> WORD_LISTS;

    static {
        List<List<String>> lists = new java.util.ArrayList<>();
        for (int i = 0; i < WORDS.size(); i++) {
            List<String> words = List.of(WORDS.get(i).split(" "));
            lists.add(words);
            for (String w : words) {
                MASKS.merge(w, 1 << i, (a, b) -> a | b);
            }
        }
        WORD_LISTS = List.copyOf(lists);
    }

    /**
     * The alphabets {@link #textScript} tells, with their ISO 15924 codes: scripts written with spaces between words
     * that the tokenizer reads as words (Hangul as bigrams within its words). Han, Hiragana and Katakana are not among
     * them: Japanese and Chinese text shares its characters, and the tokenizer reads them apart (TextTokens).
     */
    private static final Map<Character.UnicodeScript, String> SCRIPTS = Map.of(
            Character.UnicodeScript.CYRILLIC, "Cyrl",
            Character.UnicodeScript.GREEK, "Grek",
            Character.UnicodeScript.HANGUL, "Hang",
            Character.UnicodeScript.ARABIC, "Arab",
            Character.UnicodeScript.HEBREW, "Hebr",
            Character.UnicodeScript.THAI, "Thai",
            Character.UnicodeScript.ARMENIAN, "Armn",
            Character.UnicodeScript.GEORGIAN, "Geor",
            Character.UnicodeScript.DEVANAGARI, "Deva");

    private TextLanguage() {}

    /**
     * The language of a message's text, from its tokens.
     *
     * @param tokens the message's tokens (header and structure tokens hold a colon and are ignored)
     * @return the language's index (1 or more: not English), or -1 when the text is English, too short to tell, or
     *     in no listed language
     */
    static int detect(Set<String> tokens) {
        int[] counts = new int[CODES.size()];
        for (String t : tokens) {
            Integer mask = MASKS.get(t);
            if (mask != null) {
                int m = mask;
                while (m != 0) {
                    int i = Integer.numberOfTrailingZeros(m);
                    counts[i]++;
                    m &= m - 1;
                }
            }
        }
        int best = -1;
        for (int i = 1; i < counts.length; i++) {
            if (counts[i] >= MIN_WORDS
                    && counts[i] >= ENGLISH_RATIO * counts[0]
                    && (best < 0 || counts[i] > counts[best])) {
                best = i;
            }
        }
        // the scripts are looked at only for a candidate: most mail is English and never gets here
        return best < 0 || mostlyOtherScript(tokens) ? -1 : best;
    }

    /**
     * The alphabet a message's text is written in, when it is not Latin: the listed script ({@link #SCRIPTS}) of more
     * than half of the text's words (tokens without a colon; a word's script is its first letter's), at least
     * {@value #MIN_WORDS} of them. A Russian or Korean letter is such text; an English one quoting a Russian name, or
     * English spam with a few Cyrillic look-alike words, is not. One pass over the tokens. Told apart from
     * {@link #detect}, which tells languages of the Latin alphabet.
     *
     * @param tokens the message's tokens (header and structure tokens hold a colon and are ignored)
     * @return the script, or {@code null} when the text is mostly Latin, Han or kana, too short, or mixed
     */
    static Character.UnicodeScript textScript(Set<String> tokens) {
        int words = 0;
        Map<Character.UnicodeScript, Integer> byScript = new HashMap<>();
        for (String t : tokens) {
            if (t.indexOf(':') < 0) {
                words++;
                Character.UnicodeScript s = scriptOf(t);
                if (s != null && SCRIPTS.containsKey(s)) {
                    byScript.merge(s, 1, Integer::sum);
                }
            }
        }
        for (Map.Entry<Character.UnicodeScript, Integer> e : byScript.entrySet()) {
            int n = e.getValue();
            if (n >= MIN_WORDS && n * 2 > words) {
                return e.getKey();
            }
        }
        return null;
    }

    /**
     * The script of a word's first letter.
     *
     * @param word a token
     * @return its first letter's script; {@code null} without a letter
     */
    static Character.UnicodeScript scriptOf(String word) {
        for (int i = 0; i < word.length(); ) {
            int c = word.codePointAt(i);
            if (Character.isLetter(c)) {
                // most words are Latin: letters below U+0250 are, without a look-up (Latin-1's µ, which is Common,
                // is taken for Latin too: neither is a listed alphabet)
                return c < 0x0250 ? Character.UnicodeScript.LATIN : Character.UnicodeScript.of(c);
            }
            i += Character.charCount(c);
        }
        return null;
    }

    /**
     * Whether {@link #textScript} tells a script.
     *
     * @param script a script
     * @return whether it is one of the listed alphabets
     */
    static boolean isTold(Character.UnicodeScript script) {
        return SCRIPTS.containsKey(script);
    }

    /**
     * A script's ISO 15924 code.
     *
     * @param script a script {@link #textScript} returned
     * @return its code, e.g. {@code Cyrl}
     */
    static String scriptCode(Character.UnicodeScript script) {
        return SCRIPTS.get(script);
    }

    /** Whether more than a tenth of the text's words (tokens without a colon) hold letters of another script. */
    private static boolean mostlyOtherScript(Set<String> tokens) {
        int words = 0;
        int otherScript = 0;
        for (String t : tokens) {
            if (t.indexOf(':') < 0) {
                words++;
                if (!isLatin(t)) {
                    otherScript++;
                }
            }
        }
        return otherScript * 10 > words;
    }

    /** Whether every letter of a word is Latin (digits and signs are neither). */
    private static boolean isLatin(String word) {
        for (int i = 0; i < word.length(); ) {
            int c = word.codePointAt(i);
            if (Character.isLetter(c) && Character.UnicodeScript.of(c) != Character.UnicodeScript.LATIN) {
                return false;
            }
            i += Character.charCount(c);
        }
        return true;
    }

    /**
     * A language's listed words.
     *
     * @param language an index from {@link #detect}
     * @return its words
     */
    static List<String> words(int language) {
        return WORD_LISTS.get(language);
    }

    /**
     * Whether a token is a word of the Subject ({@code subject:und}, {@code subject-case:Und}) that is one of a
     * language's listed function words: in a German text's Subject "und" is as German as in its body, and the model
     * learned it as much from spam (a club's newsletter "Rundbrief: ... und Mitgliederversammlung" was refused for it
     * in an audit, session 31).
     *
     * @param token a token
     * @param language an index from {@link #detect}
     * @return whether {@code token} is such a Subject word; false for a language below 1
     */
    static boolean isSubjectWord(String token, int language) {
        String word;
        if (token.startsWith("subject:")) {
            word = token.substring("subject:".length());
        } else if (token.startsWith("subject-case:")) {
            word = token.substring("subject-case:".length()).toLowerCase(Locale.ROOT);
        } else {
            return false;
        }
        Integer mask = MASKS.get(word);
        return language > 0 && mask != null && (mask & 1 << language) != 0;
    }

    /**
     * A language's ISO 639-1 code.
     *
     * @param language an index from {@link #detect}
     * @return the code, e.g. {@code de}
     */
    static String code(int language) {
        return CODES.get(language);
    }

    /**
     * A language's English name for a code, or a script's for its code.
     *
     * @param code an ISO 639-1 code of a listed language, or an ISO 15924 code of a listed script
     * @return its name, e.g. {@code German}, {@code Cyrillic script}; the code itself when not listed
     */
    static String name(String code) {
        int i = CODES.indexOf(code.toLowerCase(Locale.ROOT));
        if (i >= 0) {
            return NAMES.get(i);
        }
        for (Map.Entry<Character.UnicodeScript, String> e : SCRIPTS.entrySet()) {
            if (e.getValue().equals(code)) {
                String n = e.getKey().name();
                return n.charAt(0) + n.substring(1).toLowerCase(Locale.ROOT) + " script";
            }
        }
        return code;
    }
}
