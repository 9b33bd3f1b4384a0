package org.mailhygiene.scanners.spamd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.arbitrary;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Rule;
import org.quicktheories.core.Gen;

class SpamdRepliesTest {

    private static String fmt(double d) {
        return String.format(Locale.ROOT, "%.1f", d);
    }

    @Test
    void statusLinesOfEveryShape() {
        assertThat(SpamdReplies.parseStatusLine("SPAMD/1.1 0 EX_OK"))
                .isEqualTo(new SpamdReplies.StatusLine("1.1", 0, "EX_OK"));
        assertThat(SpamdReplies.parseStatusLine("SPAMD/1.5 0 PONG\r"))
                .isEqualTo(new SpamdReplies.StatusLine("1.5", 0, "PONG"));
        assertThat(SpamdReplies.parseStatusLine("SPAMD/1.0 76 Bad header line: (too many headers)"))
                .isEqualTo(new SpamdReplies.StatusLine("1.0", 76, "Bad header line: (too many headers)"));
        assertThat(SpamdReplies.parseStatusLine("SPAMD/1.0 79").code()).isEqualTo(79);
        assertThatThrownBy(() -> SpamdReplies.parseStatusLine("HTTP/1.1 200 OK"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SpamdReplies.parseStatusLine("SPAMD/x 0 EX_OK"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SpamdReplies.parseStatusLine("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void spamHeaderVariants() {
        var t = SpamdReplies.parseSpamHeader("True ; 1000.0 / 5.0");
        assertThat(t.spam()).isTrue();
        assertThat(t.score().getAsDouble()).isEqualTo(1000.0);
        assertThat(t.threshold().getAsDouble()).isEqualTo(5.0);
        var f = SpamdReplies.parseSpamHeader("False ; -0.0 / 5.0");
        assertThat(f.spam()).isFalse();
        assertThat(Double.doubleToRawLongBits(f.score().getAsDouble())).isEqualTo(Double.doubleToRawLongBits(0.0));
        assertThat(SpamdReplies.parseSpamHeader("Yes ; 7.2 / 6.8").spam()).isTrue();
        assertThat(SpamdReplies.parseSpamHeader("No ; -3.1 / 5.0").score().getAsDouble())
                .isEqualTo(-3.1);
        var bare = SpamdReplies.parseSpamHeader("True");
        assertThat(bare.spam()).isTrue();
        assertThat(bare.score()).isEmpty();
        assertThat(bare.threshold()).isEmpty();
        assertThat(SpamdReplies.parseSpamHeader("false;4.9/5.0").spam()).isFalse();
        for (String bad : List.of(
                "",
                "Maybe ; 1.0 / 5.0",
                "True ; 1.0",
                "True ; x / 5.0",
                "True ; 1.0 / 5.0 extra",
                "True ; 1e999 / 5.0")) {
            assertThatThrownBy(() -> SpamdReplies.parseSpamHeader(bad))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void spamHeaderRoundTripsForEveryFlagScoreAndSpacing() {
        qt().forAll(
                        arbitrary().pick(0, 1, 2),
                        doubles().between(-1000.0, 10000.0),
                        doubles().between(-20.0, 50.0),
                        arbitrary().pick(" ; ", ";", " ;", "; ", "\t;\t"))
                .checkAssert((spelling, score, threshold, sep) -> {
                    boolean spam = Double.parseDouble(fmt(score)) >= Double.parseDouble(fmt(threshold));
                    String flag = spam
                            ? List.of("True", "Yes", "true").get(spelling)
                            : List.of("False", "No", "no").get(spelling);
                    String value = flag + sep + fmt(score) + " / " + fmt(threshold);
                    var h = SpamdReplies.parseSpamHeader(value);
                    assertThat(h.spam()).isEqualTo(spam);
                    assertThat(fmt(h.score().getAsDouble())).isEqualTo(fmt(Double.parseDouble(fmt(score)) + 0.0));
                    assertThat(h.threshold().getAsDouble()).isEqualTo(Double.parseDouble(fmt(threshold)) + 0.0);
                    String liar = (spam ? "False" : "True") + sep + fmt(score) + " / " + fmt(threshold);
                    assertThatThrownBy(() -> SpamdReplies.parseSpamHeader(liar))
                            .as(liar)
                            .isInstanceOf(IllegalArgumentException.class)
                            .hasMessageContaining("contradicts itself");
                });
    }

    @Test
    void aFlagThatContradictsItsScoreIsRefusedAndSaysWhy() {
        // spamd cannot send these: it says spam exactly when the score reaches the threshold (both were believed)
        assertThatThrownBy(() -> SpamdReplies.parseSpamHeader("False ; 9.0 / 5.0"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("False with the score 9.0 at or above the threshold 5.0");
        assertThatThrownBy(() -> SpamdReplies.parseSpamHeader("Yes ; 4.9 / 5.0"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Yes with the score 4.9 below the threshold 5.0");
        // the edges spamd does send: spam at the threshold, ham printed as threshold - 0.1, a negative threshold
        assertThat(SpamdReplies.parseSpamHeader("True ; 5.0 / 5.0").spam()).isTrue();
        assertThat(SpamdReplies.parseSpamHeader("False ; 4.9 / 5.0").spam()).isFalse();
        assertThat(SpamdReplies.parseSpamHeader("True ; 5.2 / -1.5").spam()).isTrue();
        assertThat(SpamdReplies.parseSpamHeader("False ; -2.0 / -1.5").spam()).isFalse();
    }

    @Test
    void parsersNeverThrowAnythingButIllegalArgument() {
        qt().forAll(strings().allPossible().ofLengthBetween(0, 80)).checkAssert(s -> {
            for (Runnable r : List.<Runnable>of(
                    () -> SpamdReplies.parseStatusLine(s),
                    () -> SpamdReplies.parseSpamHeader(s),
                    () -> SpamdReplies.parseSymbols(s),
                    () -> SpamdReplies.parseReportTable("---- ---------------------- ----------\n" + s))) {
                try {
                    r.run();
                } catch (IllegalArgumentException expected) {
                    // a named refusal is fine
                }
            }
        });
    }

    private static final Gen<String> RULE_NAMES = strings()
            .betweenCodePoints('A', 'Z')
            .ofLengthBetween(1, 30)
            .map(s -> s.replace('Q', '_'))
            .assuming(s -> !s.startsWith("_"));

    @Test
    void symbolsRoundTrip() {
        qt().forAll(lists().of(RULE_NAMES).ofSizeBetween(0, 30), arbitrary().pick("", "\r\n", "\n"))
                .checkAssert((names, end) -> assertThat(SpamdReplies.parseSymbols(String.join(",", names) + end))
                        .isEqualTo(names));
        assertThatThrownBy(() -> SpamdReplies.parseSymbols("GTUBE,BAD NAME"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** Writes a rule table the way SpamAssassin's report template does, wrapping long descriptions. */
    private static String report(List<Rule> rules) {
        StringBuilder sb = new StringBuilder("Spam detection software, running on the system \"x\",\n"
                + "has identified this incoming email as possible spam.\n\n"
                + "Content analysis details:   (1.0 points, 5.0 required)\n\n"
                + " pts rule name              description\n"
                + "---- ---------------------- --------------------------------------------------\n");
        for (Rule r : rules) {
            String pts = fmt(r.score().getAsDouble());
            pts = pts.length() > 4 ? pts.substring(0, 4) : pts;
            List<String> lines = new ArrayList<>();
            StringBuilder cur = new StringBuilder();
            for (String w :
                    r.description().isEmpty() ? new String[0] : r.description().split(" ")) {
                if (cur.length() > 0 && cur.length() + 1 + w.length() > 50) {
                    lines.add(cur.toString());
                    cur.setLength(0);
                }
                cur.append(cur.length() == 0 ? "" : " ").append(w);
            }
            lines.add(cur.toString());
            sb.append(String.format(Locale.ROOT, "%4s %-22s %s", pts, r.name(), lines.get(0))
                            .stripTrailing())
                    .append('\n');
            for (String l : lines.subList(1, lines.size())) {
                sb.append(" ".repeat(28)).append(l).append('\n');
            }
        }
        sb.append("\n\n");
        return sb.toString();
    }

    @Test
    void reportTableRoundTrips() {
        Gen<Rule> rules = RULE_NAMES.zip(
                doubles().between(-99.9, 999.9),
                lists().of(strings().betweenCodePoints('a', 'z').ofLengthBetween(1, 12))
                        .ofSizeBetween(0, 15),
                (name, score, words) -> Rule.of(name, Double.parseDouble(fmt(score)) + 0.0, String.join(" ", words)));
        qt().forAll(lists().of(rules).ofSizeBetween(0, 12)).checkAssert(list -> {
            List<Rule> parsed = SpamdReplies.parseReportTable(report(list)).orElseThrow();
            assertThat(parsed)
                    .extracting(Rule::name)
                    .isEqualTo(list.stream().map(Rule::name).toList());
            assertThat(parsed)
                    .extracting(Rule::description)
                    .isEqualTo(list.stream().map(Rule::description).toList());
            for (int i = 0; i < list.size(); i++) {
                double want = list.get(i).score().getAsDouble();
                String printed = fmt(want).length() > 4 ? fmt(want).substring(0, 4) : fmt(want);
                assertThat(parsed.get(i).score().getAsDouble()).isEqualTo(Double.parseDouble(printed) + 0.0);
            }
        });
    }

    @Test
    void realReportShapeFromSpamd401() {
        String body = "Spam detection software, running on the system \"vm\",\n"
                + "has identified this incoming email as possible spam.  The original\n\n"
                + "Content preview:  XJS*C4JDBQADN1 some more words here \n\n"
                + "Content analysis details:   (1000.0 points, 5.0 required)\n\n"
                + " pts rule name              description\n"
                + "---- ---------------------- --------------------------------------------------\n"
                + "-0.0 NO_RECEIVED            Informational: message has no Received headers\n"
                + "1000 GTUBE                  BODY: Generic Test for Unsolicited Bulk Email\n"
                + " 0.0 MSGID_SHORT            Message-ID is unusually short\n"
                + "-0.0 NO_RELAYS              Informational: message was not relayed via SMTP\n"
                + " 1.0 TVD_SPACE_RATIO_MINFP  Space ratio (vertical text obfuscation?)\n"
                + " 2.5 A_VERY_LONG_RULE_NAME_THAT_OVERFLOWS Some text that goes on\n"
                + "                            and continues here\n\n\n";
        List<Rule> rules = SpamdReplies.parseReportTable(body).orElseThrow();
        assertThat(rules)
                .extracting(Rule::name)
                .containsExactly(
                        "NO_RECEIVED",
                        "GTUBE",
                        "MSGID_SHORT",
                        "NO_RELAYS",
                        "TVD_SPACE_RATIO_MINFP",
                        "A_VERY_LONG_RULE_NAME_THAT_OVERFLOWS");
        assertThat(rules.get(1).score().getAsDouble()).isEqualTo(1000.0);
        assertThat(rules.get(0).score().getAsDouble()).isEqualTo(0.0);
        assertThat(rules.get(5).description()).isEqualTo("Some text that goes on and continues here");
        assertThat(SpamdReplies.parseReportTable("a custom report without a table\n"))
                .isEmpty();
        assertThatThrownBy(() -> SpamdReplies.parseReportTable("---- ---- ----\nnot a row\n"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void responseCodesMapToFailureKinds() {
        List<String> seen = new ArrayList<>();
        qt().forAll(integers().between(1, 255)).checkAssert(code -> {
            var kind = SpamdException.kindForCode(code);
            assertThat(kind).isNotNull();
            seen.add(code + "=" + kind);
        });
        assertThat(SpamdException.kindForCode(69)).hasToString("UNAVAILABLE");
        assertThat(SpamdException.kindForCode(75)).hasToString("UNAVAILABLE");
        assertThat(SpamdException.kindForCode(76)).hasToString("PROTOCOL_ERROR");
        assertThat(SpamdException.kindForCode(79)).hasToString("TIMED_OUT");
        assertThat(SpamdException.kindForCode(98)).hasToString("TOO_LARGE");
        assertThat(SpamdException.kindForCode(70)).hasToString("SCANNER_ERROR");
        assertThat(SpamdException.kindForCode(74)).hasToString("SCANNER_ERROR");
        assertThat(SpamdException.kindForCode(64)).hasToString("PROTOCOL_ERROR");
        assertThat(SpamdException.forResponseCode(76, "Bad header line", "h:1").retryable())
                .isFalse();
        assertThat(SpamdException.forResponseCode(69, "Service Unavailable", "h:1")
                        .retryable())
                .isTrue();
    }

    /**
     * SpamAssassin's French template (30_text_fr.cf) has no separator line above the rows: the rows are found by
     * adding up to spamd's score, so scores and descriptions are not lost (and no second SYMBOLS request is needed).
     */
    @Test
    void aReportWithoutTheSeparatorLineIsReadWhenItsRowsAddUpToTheScore() {
        String fr = "1000.0/5.0\n"
                + "Voir https://spamassassin.apache.org/tag/ pour plus de d\u00e9tails (en anglais).\n"
                + "\n"
                + "D\u00e9tails de l'analyse du message:   (1012.3 points, 5.0 requis)\n"
                + "-0.0 NO_RECEIVED            Informational: message has no Received headers\n"
                + " 2.3 MISSING_DATE           Missing Date: header\n"
                + "1000 GTUBE                  BODY: Test g\u00e9n\u00e9rique de courrier non sollict\u00e9 en\n"
                + "                            masse\n"
                + " -20 LOCAL_NEG              BODY: a local rule\n"
                + "  30 LOCAL_POS              BODY: another\n"
                + "\n"
                + "-------------------- Fin de Rapport SpamAssassin ---------------------\n";
        List<Rule> rules = SpamdReplies.parseReportTable(fr, java.util.OptionalDouble.of(1012.3))
                .orElseThrow();
        assertThat(rules)
                .extracting(Rule::name)
                .containsExactly("NO_RECEIVED", "MISSING_DATE", "GTUBE", "LOCAL_NEG", "LOCAL_POS");
        assertThat(rules.get(2).score()).hasValue(1000.0);
        assertThat(rules.get(2).description())
                .isEqualTo("BODY: Test g\u00e9n\u00e9rique de courrier non sollict\u00e9 en masse");
        // without the score, or when the rows do not add up to it (prose that looks like rows), nothing is guessed
        assertThat(SpamdReplies.parseReportTable(fr)).isEmpty();
        assertThat(SpamdReplies.parseReportTable(fr, java.util.OptionalDouble.of(7.1)))
                .isEmpty();
        assertThat(SpamdReplies.parseReportTable("Notes:\n 2 MESSAGES were held\n", java.util.OptionalDouble.of(0.0)))
                .isEmpty();
    }

    /** Rule descriptions arrive as the bytes of SpamAssassin's configuration: ISO-8859-1 or UTF-8, line by line. */
    @Test
    void reportRulesReadLatin1AndUtf8DescriptionsLineByLine() {
        byte[] latin = " 2.5 LOCAL_LATIN            BODY: R\u00e8gle locale\n"
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        byte[] utf8 = "  12 LOCAL_UTF8             BODY: \u65e5\u672c\u8a9e, r\u00e8gle\n"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        body.writeBytes(" pts rule name              description\n---- ---------------------- ----------\n"
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        body.writeBytes(latin);
        body.writeBytes(utf8);
        SpamdResponse r = new SpamdResponse(
                SpamdCommand.REPORT,
                "1.1",
                java.util.Map.of(),
                java.util.Optional.of(true),
                java.util.OptionalDouble.of(14.5),
                java.util.OptionalDouble.of(5.0),
                body.toByteArray());
        assertThat(r.reportRules().orElseThrow())
                .extracting(Rule::description)
                .containsExactly("BODY: R\u00e8gle locale", "BODY: \u65e5\u672c\u8a9e, r\u00e8gle");
    }
}
