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
    }

    @Test
    void aTextIsNeverTakenForALanguageWithFewerListedWordsThanTheMinimumOrThanEnglish() {
        List<String> pool = List.of(
                "und",
                "der",
                "nicht",
                "ich",
                "les",
                "vous",
                "votre",
                "que",
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
                "subject:ich",
                "url:x.de");
        Gen<List<String>> texts = SourceDSL.lists()
                .of(SourceDSL.integers().between(0, pool.size() - 1).map(pool::get))
                .ofSizeBetween(0, 40);
        QuickTheory.qt().forAll(texts).checkAssert(text -> {
            Set<String> tokens = new HashSet<>(text);
            int lang = TextLanguage.detect(tokens);
            if (lang > 0) {
                long own = tokens.stream()
                        .filter(TextLanguage.words(lang)::contains)
                        .count();
                long english =
                        tokens.stream().filter(TextLanguage.words(0)::contains).count();
                assertThat(own).isGreaterThanOrEqualTo(TextLanguage.MIN_WORDS).isGreaterThan(english);
            }
        });
    }
}
