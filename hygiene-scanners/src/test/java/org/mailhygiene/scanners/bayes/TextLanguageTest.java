package org.mailhygiene.scanners.bayes;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.quicktheories.QuickTheory;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.SourceDSL;

class TextLanguageTest {

    private static Set<String> words(String text) {
        return new HashSet<>(List.of(text.split(" ")));
    }

    @Test
    void tellsEachListedLanguageByItsFunctionWords() {
        assertThat(TextLanguage.code(TextLanguage.detect(
                        words("ich habe das neue release auf der webseite gestartet und es wird bald mehr geben"))))
                .isEqualTo("de");
        assertThat(TextLanguage.code(TextLanguage.detect(
                        words("nous avons envoyé votre commande avec les documents dans une enveloppe pour vous"))))
                .isEqualTo("fr");
        assertThat(TextLanguage.code(TextLanguage.detect(
                        words("gracias por su mensaje usted puede ver este documento para más detalles"))))
                .isEqualTo("es");
        assertThat(TextLanguage.code(
                        TextLanguage.detect(words("obrigado você pode ver isso também muito bom para uma casa"))))
                .isEqualTo("pt");
        assertThat(TextLanguage.code(
                        TextLanguage.detect(words("dziękuję nie jestem pewien czy to jest dla mnie ale może tak"))))
                .isEqualTo("pl");
    }

    @Test
    void englishShortAndUnlistedTextIsNoListedLanguage() {
        // English with a German signature: more English function words than German ones
        assertThat(TextLanguage.detect(words("the printer will not start when you have the driver from their site and"
                        + " this was all that could be done mit freundlichen grüßen ihr team")))
                .isEqualTo(-1);
        // four German words are not enough to tell
        assertThat(TextLanguage.detect(words("ich und nicht das"))).isEqualTo(-1);
        // header and structure tokens hold a colon and never count
        assertThat(TextLanguage.detect(words("subject:ich subject:und subject:nicht subject:das subject:sie")))
                .isEqualTo(-1);
        assertThat(TextLanguage.detect(Set.of())).isEqualTo(-1);
    }

    @Test
    void namesCodesAndLeavesUnknownCodesAlone() {
        assertThat(TextLanguage.name("de")).isEqualTo("German");
        assertThat(TextLanguage.name("FR")).isEqualTo("French");
        assertThat(TextLanguage.name("xx")).isEqualTo("xx");
        assertThat(TextLanguage.name("Cyrl")).isEqualTo("Cyrillic script");
        assertThat(TextLanguage.name("Hang")).isEqualTo("Hangul script");
    }

    @Test
    void tellsTextWrittenMostlyInOneNonLatinAlphabet() {
        // a Russian letter as the tokenizer gives it (words of three letters or more), a Latin name among them
        Set<String> russian = words("здравствуйте ivan пришлите пожалуйста отчёт если будет время спасибо");
        assertThat(TextLanguage.textScript(russian)).isEqualTo(Character.UnicodeScript.CYRILLIC);
        assertThat(TextLanguage.scriptCode(Character.UnicodeScript.CYRILLIC)).isEqualTo("Cyrl");
        // Korean as bigrams within its space-separated words ("믿습니다", "입니다", ...)
        Set<String> korean = words("믿습 습니 니다 입니 jamis 이름 하나 나님 마찰");
        assertThat(TextLanguage.textScript(korean)).isEqualTo(Character.UnicodeScript.HANGUL);
        // Russian text is no Latin-alphabet language
        assertThat(TextLanguage.detect(russian)).isEqualTo(-1);
    }

    @Test
    void englishTextWithAFewWordsOfAnotherAlphabetAndCjkTextAreNoAlphabetsText() {
        // half the words or fewer: an English note quoting a Russian title
        assertThat(TextLanguage.textScript(
                        words("the report named отчёт для клиента was sent on monday with the invoice attached")))
                .isNull();
        // four Cyrillic words are too few to tell
        assertThat(TextLanguage.textScript(words("привет как дела спасибо"))).isNull();
        // header and structure tokens never count, nor do Han or kana bigrams (Japanese and Chinese are read apart)
        assertThat(TextLanguage.textScript(
                        words("subject:привет subject:отчёт subject:дела subject:спасибо subject:время")))
                .isNull();
        assertThat(TextLanguage.textScript(words("会議 議の お知 知ら 送信 アド レス"))).isNull();
        assertThat(TextLanguage.textScript(Set.of())).isNull();
    }

    @Test
    void paddingWithFunctionWordsDoesNotMakeEnglishOrChineseTextGerman() {
        String german = "und der das nicht ich ist sie mit den ein eine auf für sich dem des auch wir wird sind bei";
        // an English spam that appends every German word listed still has its English function words
        assertThat(TextLanguage.detect(words("click here to claim your prize now and you will get all the money that"
                        + " was promised from our bank with this offer " + german)))
                .isEqualTo(-1);
        // a Chinese spam padded with German words is mostly another script
        StringBuilder chinese = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            chinese.append((char) ('\u4e00' + i)).append((char) ('\u4e01' + i)).append(' ');
        }
        assertThat(TextLanguage.detect(words(chinese + german))).isEqualTo(-1);
        // German prose with a few English words is German
        assertThat(TextLanguage.code(TextLanguage.detect(words(german + " the meeting"))))
                .isEqualTo("de");
    }

    @Test
    void aTextIsTakenForALanguageOnlyWithEnoughOfItsWordsEightTimesEnglishAndFewWordsOfOtherScripts() {
        List<String> pool = List.of(
                "und",
                "der",
                "nicht",
                "ich",
                "ist",
                "sie",
                "mit",
                "den",
                "les",
                "vous",
                "votre",
                "que",
                "pour",
                "dans",
                "sur",
                "para",
                "usted",
                "não",
                "você",
                "nie",
                "się",
                "the",
                "and",
                "you",
                "your",
                "with",
                "meeting",
                "free",
                "click",
                "\u4e00\u4e01",
                "\u043f\u0440\u0438",
                "subject:ich",
                "url:x.de");
        Gen<List<String>> texts = SourceDSL.lists()
                .of(SourceDSL.integers().between(0, pool.size() - 1).map(pool::get))
                .ofSizeBetween(0, 60);
        int[] reached = new int[1];
        QuickTheory.qt().withExamples(2000).forAll(texts).checkAssert(text -> {
            Set<String> tokens = new HashSet<>(text);
            int lang = TextLanguage.detect(tokens);
            long english =
                    tokens.stream().filter(TextLanguage.words(0)::contains).count();
            long words = tokens.stream().filter(t -> t.indexOf(':') < 0).count();
            long otherScript = tokens.stream()
                    .filter(t -> t.indexOf(':') < 0
                            && t.codePoints()
                                    .anyMatch(c -> Character.isLetter(c)
                                            && Character.UnicodeScript.of(c) != Character.UnicodeScript.LATIN))
                    .count();
            if (lang > 0) {
                reached[0]++;
                long own = tokens.stream()
                        .filter(TextLanguage.words(lang)::contains)
                        .count();
                assertThat(own).isGreaterThanOrEqualTo(TextLanguage.MIN_WORDS);
                assertThat(own).isGreaterThanOrEqualTo(TextLanguage.ENGLISH_RATIO * english);
                assertThat(otherScript * 10).isLessThanOrEqualTo(words);
            } else if (english == 0 && otherScript == 0) {
                // no English and no other script: five German words (the pool's German is never listed elsewhere)
                long german =
                        tokens.stream().filter(TextLanguage.words(1)::contains).count();
                assertThat(german).isLessThan(TextLanguage.MIN_WORDS);
            }
        });
        assertThat(reached[0]).as("texts taken for a language").isPositive();
    }
}
