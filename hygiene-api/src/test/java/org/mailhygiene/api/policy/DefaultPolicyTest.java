package org.mailhygiene.api.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.ScanResult;
import org.mailhygiene.api.Verdict;

class DefaultPolicyTest {
    private static final ScanFailure.Kind[] KINDS = ScanFailure.Kind.values();

    /** Result code: 0 clean, 1 infected, 2 spam, 3 suspicious, 4.. a failure of kind (code - 4). */
    private static ScanResult result(int code, int index) {
        String scanner = "s" + index;
        return switch (code) {
            case 0 -> Verdict.clean(scanner, Duration.ZERO);
            case 1 -> Verdict.infected(scanner, List.of("Virus." + index), Duration.ZERO);
            case 2 ->
                Verdict.builder(scanner, Outcome.SPAM)
                        .score(5 + index)
                        .threshold(5)
                        .rule(Rule.of("RULE_" + index, 1.5))
                        .build();
            case 3 ->
                Verdict.builder(scanner, Outcome.SUSPICIOUS)
                        .rule(Rule.of("BLOCKED_EXE"))
                        .build();
            default -> new ScanFailure(scanner, KINDS[code - 4], "failed", Duration.ZERO);
        };
    }

    private static List<ScanResult> results(List<Integer> codes) {
        List<ScanResult> out = new ArrayList<>();
        for (int i = 0; i < codes.size(); i++) {
            out.add(result(codes.get(i), i));
        }
        return out;
    }

    private static final List<Action> FAILURE_ACTIONS =
            List.of(Action.ACCEPT, Action.QUARANTINE, Action.REJECT, Action.TEMPFAIL, Action.DISCARD);

    @Test
    void aFailureNeverYieldsAcceptWithoutTheUnscannedHeader() {
        qt().withExamples(1000)
                .forAll(
                        lists().of(integers().between(0, 3 + KINDS.length)).ofSizeBetween(0, 6),
                        lists().of(integers().between(0, FAILURE_ACTIONS.size() - 1))
                                .ofSizeBetween(KINDS.length, KINDS.length),
                        integers().between(0, 5),
                        integers().between(0, 2))
                .checkAssert((codes, kindActions, spamAction, virusAction) -> {
                    DefaultPolicy.Builder b = DefaultPolicy.builder().allowDiscard();
                    for (int k = 0; k < KINDS.length; k++) {
                        b.onFailure(KINDS[k], FAILURE_ACTIONS.get(kindActions.get(k)));
                    }
                    b.onSpam(Action.values()[spamAction]);
                    b.onSuspicious(Action.values()[spamAction]);
                    b.onVirus(List.of(Action.REJECT, Action.QUARANTINE, Action.DISCARD)
                            .get(virusAction));
                    DefaultPolicy policy = b.build();
                    List<ScanResult> rs = results(codes);
                    Disposition d = policy.decide(rs);

                    // The reply always fits the action.
                    switch (d.action()) {
                        case REJECT -> assertThat(d.reply().code()).isBetween(500, 599);
                        case TEMPFAIL -> assertThat(d.reply().code()).isBetween(400, 499);
                        default -> assertThat(d.reply().code()).isBetween(200, 299);
                    }
                    assertThat(d.basis()).isEqualTo(rs);
                    boolean anyFailure = rs.stream().anyMatch(ScanResult::isFailure);
                    boolean anyVirus =
                            rs.stream().anyMatch(r -> r instanceof Verdict v && v.outcome() == Outcome.INFECTED);
                    if (rs.isEmpty()) {
                        assertThat(d.action()).isEqualTo(Action.TEMPFAIL);
                    }
                    if (anyVirus) {
                        assertThat(d.action()).isIn(Action.REJECT, Action.QUARANTINE, Action.DISCARD);
                    }
                    if (anyFailure && d.action() == Action.ACCEPT) {
                        for (ScanResult r : rs) {
                            if (r instanceof ScanFailure f) {
                                assertThat(d.headers()).anySatisfy(h -> {
                                    assertThat(h.name()).isEqualTo(DefaultPolicy.UNSCANNED_HEADER);
                                    assertThat(h.value()).startsWith(f.scanner() + " (");
                                });
                            }
                        }
                    }
                    if (anyFailure && d.action().delivers()) {
                        assertThat(d.headers()).extracting(Header::name).contains(DefaultPolicy.UNSCANNED_HEADER);
                    }
                });
    }

    @Test
    void withDefaultsAFailureAlwaysTempfails() {
        // Built rather than filtered (filtering gave up now and then): any results except code 1, plus at least one
        // failure (codes >= 4) at any position.
        qt().withExamples(500)
                .forAll(
                        lists().of(integers().between(0, 2 + KINDS.length)).ofSizeBetween(0, 5),
                        integers().between(4, 3 + KINDS.length),
                        integers().between(0, 5))
                .checkAssert((others, failure, at) -> {
                    List<Integer> codes = new ArrayList<>();
                    for (int c : others) {
                        codes.add(c >= 1 ? c + 1 : c);
                    }
                    codes.add(at % (codes.size() + 1), failure);
                    Disposition d = DefaultPolicy.defaults().decide(results(codes));
                    assertThat(d.action()).isEqualTo(Action.TEMPFAIL);
                    assertThat(d.reply().code()).isEqualTo(451);
                    assertThat(d.reply().enhancedStatus()).isEqualTo("4.3.0");
                    assertThat(d.headers()).isEmpty();
                });
    }

    @Test
    void aVirusBeatsAFailure() {
        qt().forAll(integers().between(0, KINDS.length - 1)).checkAssert(k -> {
            List<ScanResult> rs = List.of(
                    new ScanFailure("clamd", KINDS[k], "down", Duration.ZERO),
                    Verdict.infected("vexira", List.of("W32.Mydoom"), Duration.ZERO));
            Disposition d = DefaultPolicy.defaults().decide(rs);
            assertThat(d.action()).isEqualTo(Action.REJECT);
            assertThat(d.reply()).isEqualTo(new SmtpReply(554, "5.7.1", "Virus found: W32.Mydoom"));
            assertThat(d.reason()).contains("vexira: W32.Mydoom");
        });
    }

    @Test
    void emptyResultsTempfail() {
        Disposition d = DefaultPolicy.defaults().decide(List.of());
        assertThat(d.action()).isEqualTo(Action.TEMPFAIL);
        assertThat(d.reply().code()).isEqualTo(451);
    }

    @Test
    void defaultsForEachOutcome() {
        DefaultPolicy p = DefaultPolicy.defaults();
        assertThat(p.decide(List.of(Verdict.clean("a", Duration.ZERO))).reply()).isEqualTo(SmtpReply.OK);
        Disposition spam = p.decide(List.of(result(2, 2)));
        assertThat(spam.action()).isEqualTo(Action.TAG);
        assertThat(spam.subjectTag()).contains("[SPAM]");
        assertThat(spam.headers())
                .containsExactly(
                        new Header("X-Spam-Flag", "YES"),
                        new Header("X-Spam-Score", "7.0"),
                        new Header("X-Spam-Status", "Yes, score=7.0 required=5.0 tests=RULE_2 scanner=s2"));
        Disposition suspicious = p.decide(List.of(result(3, 0)));
        assertThat(suspicious.action()).isEqualTo(Action.QUARANTINE);
        assertThat(suspicious.reason()).contains("BLOCKED_EXE");
        Disposition tooLarge =
                p.decide(List.of(new ScanFailure("clamd", ScanFailure.Kind.TOO_LARGE, "limit", Duration.ZERO)));
        assertThat(tooLarge.reply().text()).startsWith("Message too large for the clamd scanner's size limit");
        Disposition rejectSpam =
                DefaultPolicy.builder().rejectSpamAtScore(7).build().decide(List.of(result(2, 2)));
        assertThat(rejectSpam.action()).isEqualTo(Action.REJECT);
        assertThat(rejectSpam.headers()).isEmpty();
    }

    /**
     * A {@code too-large} failure that tempfails said "Message too large to scan, try again later": a retry never
     * mends it (the message stays as large), so the sender's queue retried for days on that advice. The 451 4.3.0
     * stays (the administrator chose tempfail, e.g. while raising the limit), but the text says what happened and what
     * would change it, and names the scanner; a rejected one is still "Message too large to scan".
     */
    @Test
    void aTooLargeTempfailSaysARetryFailsTheSameWayAndWhatWouldChangeIt() {
        ScanFailure big = new ScanFailure("spamd", ScanFailure.Kind.TOO_LARGE, "700000 > 512000", Duration.ZERO);
        SmtpReply r = DefaultPolicy.defaults().decide(List.of(big)).reply();
        assertThat(r.code()).isEqualTo(451);
        assertThat(r.enhancedStatus()).isEqualTo("4.3.0");
        assertThat(r.text())
                .isEqualTo("Message too large for the spamd scanner's size limit: every retry fails the same way"
                        + " until the message is sent smaller or this site raises that limit")
                .doesNotContain("try again later");
        Disposition rejected = DefaultPolicy.builder()
                .onFailure(ScanFailure.Kind.TOO_LARGE, Action.REJECT)
                .build()
                .decide(List.of(big));
        assertThat(rejected.reply()).isEqualTo(new SmtpReply(554, "5.7.1", "Message too large to scan"));
        // other failures keep their advice to retry, which may mend them
        assertThat(DefaultPolicy.defaults()
                        .decide(List.of(new ScanFailure("clamd", ScanFailure.Kind.UNAVAILABLE, "down", Duration.ZERO)))
                        .reply()
                        .text())
                .isEqualTo("Message could not be scanned, try again later");
    }

    private static Verdict scoredSpam(String scanner, double score, double threshold) {
        return Verdict.builder(scanner, Outcome.SPAM)
                .score(score)
                .threshold(threshold)
                .rule(Rule.of("R", score))
                .build();
    }

    @Test
    void eachScoringScannerMayHaveItsOwnSpamRejectScoreOnItsOwnScale() {
        DefaultPolicy p = DefaultPolicy.builder()
                .rejectSpamAtScoreOf("bayes", 0.99)
                .rejectSpamAtScoreOf("spamd", 12)
                .build();
        // spamd's 7.1 points are far above 0.99 but below its own 12: tagged, not refused
        assertThat(p.decide(List.of(scoredSpam("spamd", 7.1, 5))).action()).isEqualTo(Action.TAG);
        assertThat(p.decide(List.of(scoredSpam("spamd", 12.5, 5))).action()).isEqualTo(Action.REJECT);
        assertThat(p.decide(List.of(scoredSpam("bayes", 0.95, 0.8))).action()).isEqualTo(Action.TAG);
        assertThat(p.decide(List.of(scoredSpam("bayes", 0.995, 0.8))).action()).isEqualTo(Action.REJECT);
        // either scanner's sure spam refuses the message, whichever scored higher on its own scale
        assertThat(p.decide(List.of(scoredSpam("spamd", 7.1, 5), scoredSpam("bayes", 0.995, 0.8)))
                        .action())
                .isEqualTo(Action.REJECT);
        assertThat(p.decide(List.of(scoredSpam("spamd", 7.1, 5), scoredSpam("bayes", 0.95, 0.8)))
                        .action())
                .isEqualTo(Action.TAG);
        // a scanner without its own reject score is held to the general one; without that, never refused
        DefaultPolicy general = DefaultPolicy.builder()
                .rejectSpamAtScore(0.99)
                .rejectSpamAtScoreOf("spamd", 12)
                .build();
        assertThat(general.decide(List.of(scoredSpam("bayes", 0.995, 0.8))).action())
                .isEqualTo(Action.REJECT);
        assertThat(general.decide(List.of(scoredSpam("spamd", 7.1, 5))).action())
                .isEqualTo(Action.TAG);
        assertThat(p.decide(List.of(scoredSpam("other", 1000, 5))).action()).isEqualTo(Action.TAG);
        assertThatThrownBy(() -> DefaultPolicy.builder().rejectSpamAtScoreOf(" ", 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DefaultPolicy.builder().rejectSpamAtScoreOf("bayes", Double.POSITIVE_INFINITY))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static Verdict scoredClean(String scanner, double score, double threshold, String rule) {
        return Verdict.builder(scanner, Outcome.CLEAN)
                .score(score)
                .threshold(threshold)
                .rule(Rule.of(rule, score))
                .build();
    }

    @Test
    void aCleanMessageAScoringScannerJudgedCarriesItsStatusFromTheVerdictClosestToSpam() {
        Disposition d = DefaultPolicy.defaults()
                .decide(List.of(
                        Verdict.clean("clamd", Duration.ZERO),
                        scoredClean("spamd", 2.5, 5, "HTML_MESSAGE"), // half of its threshold
                        scoredClean("bayes", 0.79996, 0.8, "BAYES_50"))); // just below: the closest
        assertThat(d.action()).isEqualTo(Action.ACCEPT);
        assertThat(d.reason()).isEqualTo("clean");
        assertThat(d.headers())
                .containsExactly(
                        new Header("X-Spam-Flag", "NO"),
                        new Header("X-Spam-Score", "0.8"),
                        new Header("X-Spam-Status", "No, score=0.8 required=0.8 tests=BAYES_50 scanner=bayes"));
        Disposition spamd = DefaultPolicy.defaults()
                .decide(List.of(scoredClean("spamd", 2.5, 5, "HTML_MESSAGE"), scoredClean("bayes", 0.1, 0.8, "B")));
        assertThat(spamd.headers())
                .contains(new Header("X-Spam-Status", "No, score=2.5 required=5.0 tests=HTML_MESSAGE scanner=spamd"));
    }

    @Test
    void noStatusOnCleanMailWhenTurnedOffOrWhenNothingWasScored() {
        List<ScanResult> scored = List.of(scoredClean("bayes", 0.2, 0.8, "BAYES_20"));
        assertThat(DefaultPolicy.builder()
                        .spamHeadersOnClean(false)
                        .build()
                        .decide(scored)
                        .headers())
                .isEmpty();
        assertThat(DefaultPolicy.defaults()
                        .decide(List.of(Verdict.clean("clamd", Duration.ZERO)))
                        .headers())
                .isEmpty();
        // a fail-open acceptance keeps its unscanned header first, then the status
        Disposition failOpen = DefaultPolicy.builder()
                .onFailure(ScanFailure.Kind.TIMED_OUT, Action.ACCEPT)
                .build()
                .decide(List.of(
                        new ScanFailure("clamd", ScanFailure.Kind.TIMED_OUT, "slow", Duration.ZERO),
                        scoredClean("bayes", 0.2, 0.8, "BAYES_20")));
        assertThat(failOpen.headers())
                .extracting(Header::name)
                .containsExactly(DefaultPolicy.UNSCANNED_HEADER, "X-Spam-Flag", "X-Spam-Score", "X-Spam-Status");
    }

    @Test
    void aProbabilityJustOverItsThresholdNeverReadsAsTheThreshold() {
        Verdict spam = Verdict.builder("bayes", Outcome.SPAM)
                .score(0.8105)
                .threshold(0.8)
                .rule(Rule.of("BAYES_80", 0.8105))
                .build();
        Disposition d = DefaultPolicy.defaults().decide(List.of(spam));
        assertThat(d.headers())
                .containsExactly(
                        new Header("X-Spam-Flag", "YES"),
                        new Header("X-Spam-Score", "0.8105"),
                        new Header("X-Spam-Status", "Yes, score=0.8105 required=0.8 tests=BAYES_80 scanner=bayes"));
        assertThat(d.reason()).isEqualTo("bayes: SPAM 0.8105/0.8 [BAYES_80]");
    }

    /**
     * An audit (session 31): evidence names with blanks or commas ({@code text:i'm sorry to have to inform you}, a
     * token {@code $1,000,000}) went into {@code tests=} as they were, which SpamAssassin-style parsers split wrongly.
     */
    @Test
    void aTestNameWithBlanksOrCommasStaysOneWordOfTheList() {
        Verdict v = Verdict.builder("bayes", Outcome.CLEAN)
                .score(0.0)
                .threshold(0.8)
                .rule(Rule.of("BAYES_BOUNCE", 0.0))
                .rule(Rule.of("text:i'm sorry to have to inform you", 0.0))
                .rule(Rule.of("$1,000,000", 0.9))
                .build();
        assertThat(DefaultPolicy.spamHeaders(v).get(2).value())
                .isEqualTo(
                        "No, score=0.0 required=0.8 tests=BAYES_BOUNCE,text:i'm_sorry_to_have_to_inform_you,$1_000_000"
                                + " scanner=bayes");
    }

    /** The names an X-Spam-Status tests= list holds, encoded words decoded (adjacent ones joined, as RFC 2047 says). */
    private static List<String> decodedTests(String status) {
        String list = status.substring(status.indexOf(" tests=") + 7, status.lastIndexOf(" scanner="));
        List<String> out = new ArrayList<>();
        for (String item : list.split(",")) {
            String t = item.strip();
            if (t.startsWith("=?")) {
                StringBuilder bytes = new StringBuilder();
                java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
                for (String word : t.split(" ")) {
                    assertThat(word)
                            .matches("=\\?UTF-8\\?B\\?[A-Za-z0-9+/=]+\\?=")
                            .hasSizeLessThanOrEqualTo(75);
                    b.writeBytes(java.util.Base64.getDecoder().decode(word.substring(10, word.length() - 2)));
                }
                bytes.append(b.toString(java.nio.charset.StandardCharsets.UTF_8));
                out.add(bytes.toString());
            } else {
                assertThat(item).isEqualTo(t); // only an encoded word has white space around it
                out.add(t);
            }
        }
        return out;
    }

    @Test
    void japaneseTokensAreWrittenAsEncodedWordsNotQuestionMarks() {
        Verdict v = Verdict.builder("bayes", Outcome.SPAM)
                .score(0.9997)
                .threshold(0.8)
                .rule(Rule.of("BAYES_999", 1))
                .rule(Rule.of("subject:セー", 1))
                .rule(Rule.of("アド", 1))
                .rule(Rule.of("weight:charset:utf-8", 1))
                .rule(Rule.of("é".repeat(40), 1)) // 80 bytes: two encoded words
                .build();
        String status = DefaultPolicy.spamHeaders(v).get(2).value();
        assertThat(status).doesNotContain("?,").matches("[\\x20-\\x7e]+");
        assertThat(status).contains("BAYES_999, =?UTF-8?B?");
        assertThat(decodedTests(status))
                .containsExactly("BAYES_999", "subject:セー", "アド", "weight:charset:utf-8", "é".repeat(40));
    }

    @Test
    void theStatusStaysPrintableBoundedAndDecodesToTheRulesInOrder() {
        String[] alphabet = {"a", "Z", "_", ":", "セ", "é", "\uD83D\uDE00", "\u0007", "-", "1"};
        qt().withExamples(300)
                .forAll(lists().of(lists().of(integers().between(0, alphabet.length - 1))
                                .ofSizeBetween(1, 60))
                        .ofSizeBetween(0, 80))
                .checkAssert(names -> {
                    Verdict.Builder b =
                            Verdict.builder("bayes", Outcome.CLEAN).score(0.5).threshold(0.8);
                    List<String> expected = new ArrayList<>();
                    for (List<Integer> n : names) {
                        StringBuilder name = new StringBuilder();
                        n.forEach(i -> name.append(alphabet[i]));
                        b.rule(Rule.of(name.toString(), 0));
                        expected.add(name.toString().replace('\u0007', '?'));
                    }
                    String status = DefaultPolicy.spamHeaders(b.build()).get(2).value();
                    assertThat(status).matches("[\\x20-\\x7e]+").hasSizeLessThanOrEqualTo(1000);
                    assertThat(status).endsWith(" scanner=bayes");
                    List<String> got = decodedTests(status);
                    if (expected.isEmpty()) {
                        assertThat(got).containsExactly("none");
                    } else if (got.get(got.size() - 1).equals("...")) {
                        assertThat(expected)
                                .startsWith(got.subList(0, got.size() - 1).toArray(String[]::new));
                    } else {
                        assertThat(got).isEqualTo(expected);
                    }
                });
    }

    /**
     * A classifier's probability was written with one decimal: 0.9724 (in the unsure band below 0.99) as
     * {@code X-Spam-Score: 1.0}, and 0.76 would have read as {@code score=0.8 required=0.8}.
     */
    @Test
    void aClassifierScoreKeepsItsDecimalsInTheSpamHeaders() {
        Verdict bayes = Verdict.builder("bayes", Outcome.SPAM)
                .score(0.9724)
                .threshold(0.8)
                .rule(Rule.of("BAYES_95", 0.9724))
                .rule(Rule.of("BAYES_UNSURE"))
                .build();
        assertThat(DefaultPolicy.spamHeaders(bayes))
                .containsExactly(
                        new Header("X-Spam-Flag", "YES"),
                        new Header("X-Spam-Score", "0.9724"),
                        new Header(
                                "X-Spam-Status",
                                "Yes, score=0.9724 required=0.8 tests=BAYES_95,BAYES_UNSURE scanner=bayes"));
        Verdict below = Verdict.builder("bayes", Outcome.CLEAN)
                .score(0.76)
                .threshold(0.8)
                .build();
        assertThat(DefaultPolicy.spamHeaders(below).get(1)).isEqualTo(new Header("X-Spam-Score", "0.76"));
        Verdict spamd = Verdict.builder("spamd", Outcome.SPAM)
                .score(1000)
                .threshold(6.8)
                .build();
        assertThat(DefaultPolicy.spamHeaders(spamd).get(2).value()).startsWith("Yes, score=1000.0 required=6.8 ");
    }

    @Test
    void aFailOpenFailureStaysMarkedWhenAnotherFailureQuarantines() {
        DefaultPolicy p = DefaultPolicy.builder()
                .onFailureOf("clamd", Action.ACCEPT)
                .onFailureOf("spamd", Action.QUARANTINE)
                .build();
        Disposition d = p.decide(List.of(
                new ScanFailure("clamd", ScanFailure.Kind.UNAVAILABLE, "refused", Duration.ZERO),
                new ScanFailure("spamd", ScanFailure.Kind.TIMED_OUT, "slow", Duration.ZERO)));
        assertThat(d.action()).isEqualTo(Action.QUARANTINE);
        assertThat(d.headers()).containsExactly(new Header(DefaultPolicy.UNSCANNED_HEADER, "clamd (unavailable)"));
    }

    @Test
    void failureActionsByScannerTakePrecedenceOverKind() {
        DefaultPolicy p = DefaultPolicy.builder()
                .onFailure(ScanFailure.Kind.UNAVAILABLE, Action.REJECT)
                .onFailureOf("bayes", Action.ACCEPT)
                .build();
        Disposition d =
                p.decide(List.of(new ScanFailure("bayes", ScanFailure.Kind.UNAVAILABLE, "no db", Duration.ZERO)));
        assertThat(d.action()).isEqualTo(Action.ACCEPT);
        assertThat(d.headers()).containsExactly(new Header(DefaultPolicy.UNSCANNED_HEADER, "bayes (unavailable)"));
        assertThat(d.reason()).contains("fail-open");
        Disposition other =
                p.decide(List.of(new ScanFailure("clamd", ScanFailure.Kind.UNAVAILABLE, "refused", Duration.ZERO)));
        assertThat(other.action()).isEqualTo(Action.REJECT);
        assertThat(other.reply().code()).isEqualTo(554);
    }

    @Test
    void discardIsRefusedWithoutAllowDiscard() {
        assertThatThrownBy(() -> DefaultPolicy.builder().onVirus(Action.DISCARD).build())
                .hasMessageContaining("allowDiscard");
        assertThatThrownBy(() -> DefaultPolicy.builder().onSpam(Action.DISCARD).build())
                .hasMessageContaining("allowDiscard");
        assertThatThrownBy(() ->
                        DefaultPolicy.builder().onSuspicious(Action.DISCARD).build())
                .hasMessageContaining("allowDiscard");
        assertThatThrownBy(() -> DefaultPolicy.builder()
                        .onFailure(ScanFailure.Kind.TIMED_OUT, Action.DISCARD)
                        .build())
                .hasMessageContaining("allowDiscard");
        assertThatThrownBy(() -> DefaultPolicy.builder()
                        .onFailureOf("clamd", Action.DISCARD)
                        .onSpam(Action.DISCARD)
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("onSpam, onFailureOf(clamd) set to DISCARD without allowDiscard(): silent deletion is never"
                        + " a default");
        // allowDiscard() may come before or after the setting: call order never matters.
        for (boolean allowFirst : new boolean[] {true, false}) {
            DefaultPolicy.Builder b = DefaultPolicy.builder();
            if (allowFirst) {
                b.allowDiscard();
            }
            b.onVirus(Action.DISCARD);
            if (!allowFirst) {
                b.allowDiscard();
            }
            assertThat(b.build().decide(List.of(result(1, 0))).action()).isEqualTo(Action.DISCARD);
        }
        assertThat(DefaultPolicy.builder()
                        .allowDiscard()
                        .onVirus(Action.DISCARD)
                        .build()
                        .decide(List.of(result(1, 0)))
                        .action())
                .isEqualTo(Action.DISCARD);
    }

    @Test
    void builderRejectsUnsafeOrMalformedSettings() {
        for (Action a : List.of(Action.ACCEPT, Action.TAG, Action.TEMPFAIL)) {
            assertThatThrownBy(() -> DefaultPolicy.builder().onVirus(a)).hasMessageContaining("onVirus must be");
        }
        assertThatThrownBy(() -> DefaultPolicy.builder().onFailure(ScanFailure.Kind.TIMED_OUT, Action.TAG))
                .hasMessageContaining("cannot be TAG");
        assertThatThrownBy(() -> DefaultPolicy.builder().onFailureOf(" ", Action.ACCEPT))
                .hasMessageContaining("blank");
        assertThatThrownBy(() -> DefaultPolicy.builder().spamTag(" ")).hasMessageContaining("spam tag");
        assertThatThrownBy(() -> DefaultPolicy.builder().spamTag("[\u8FF7\u60D1]"))
                .hasMessageContaining("spam tag");
        assertThatThrownBy(() -> DefaultPolicy.builder().rejectSpamAtScore(Double.NaN))
                .hasMessageContaining("finite");
        assertThat(DefaultPolicy.builder()
                        .spamTag("***SPAM***")
                        .build()
                        .decide(List.of(result(2, 0)))
                        .subjectTag())
                .contains("***SPAM***");
    }

    /**
     * A refusal for a domain's DMARC policy read "Message refused by content policy", which told the sender's bounce
     * nothing of DMARC; another suspicious rule keeps that text.
     */
    @Test
    void aDmarcRefusalSaysDmarcInItsReply() {
        Verdict dmarc = Verdict.builder("auth", Outcome.SUSPICIOUS)
                .rule(Rule.of("SPF_PASS"))
                .rule(Rule.of("DMARC_REJECT"))
                .build();
        Disposition d = DefaultPolicy.defaults().decide(List.of(dmarc));
        assertThat(d.action()).isEqualTo(Action.REJECT);
        assertThat(d.reply().toString()).isEqualTo("554 5.7.1 Message refused by its sender domain's DMARC policy");
        Verdict exe = Verdict.builder("attachments", Outcome.SUSPICIOUS)
                .rule(Rule.of("BLOCKED_EXE"))
                .build();
        Disposition both =
                DefaultPolicy.builder().onSuspicious(Action.REJECT).build().decide(List.of(exe, dmarc));
        assertThat(both.reply().toString())
                .as("the first verdict of the strongest action decides")
                .isEqualTo("554 5.7.1 Message refused by content policy");
    }

    @Test
    void threatNamesAreSanitisedIntoRepliesAndHeaders() {
        Verdict v = Verdict.infected("x", List.of("Trojan.\u30C6\u30B9\u30C8\r\nInjected: yes"), Duration.ZERO);
        Disposition d =
                DefaultPolicy.builder().onVirus(Action.QUARANTINE).build().decide(List.of(v));
        assertThat(d.headers()).extracting(Header::name).containsExactly("X-Virus-Status", "X-Virus-Found");
        assertThat(d.headers().get(1).value()).doesNotContain("\r", "\n").startsWith("Trojan.??");
    }

    @Test
    void scannerAndKindOverrideBeatsScannerAndKindSettings() {
        DefaultPolicy p = DefaultPolicy.builder()
                .onFailure(ScanFailure.Kind.TOO_LARGE, Action.REJECT)
                .onFailureOf("spamd", Action.TEMPFAIL)
                .onFailureOf("spamd", ScanFailure.Kind.TOO_LARGE, Action.ACCEPT)
                .build();
        Disposition big = p.decide(
                List.of(new ScanFailure("spamd", ScanFailure.Kind.TOO_LARGE, "600 KB", java.time.Duration.ZERO)));
        assertThat(big.action()).isEqualTo(Action.ACCEPT);
        assertThat(big.headers()).extracting(Header::name).contains(DefaultPolicy.UNSCANNED_HEADER);
        Disposition down = p.decide(
                List.of(new ScanFailure("spamd", ScanFailure.Kind.UNAVAILABLE, "refused", java.time.Duration.ZERO)));
        assertThat(down.action()).isEqualTo(Action.TEMPFAIL);
        Disposition otherBig =
                p.decide(List.of(new ScanFailure("clamd", ScanFailure.Kind.TOO_LARGE, "big", java.time.Duration.ZERO)));
        assertThat(otherBig.action()).isEqualTo(Action.REJECT);
        assertThatThrownBy(() -> DefaultPolicy.builder().onFailureOf("spamd", ScanFailure.Kind.TOO_LARGE, Action.TAG))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
