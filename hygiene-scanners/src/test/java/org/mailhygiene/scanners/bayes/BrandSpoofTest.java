package org.mailhygiene.scanners.bayes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.Verdict;

/**
 * A From display name naming a brand over an address at none of its domains is a spoof; the brand's own mail, a
 * person's affiliation, a person named like a brand, a sender naming itself, a brand's mail sent through a platform
 * and signed by the brand are not. The addresses are made up (reserved domains where a stranger's domain is meant).
 */
class BrandSpoofTest {

    private static final BrandSpoof BRANDS = BrandSpoof.defaults();

    private static BayesScanner scanner;

    @BeforeAll
    static void loadDefaultModel() throws Exception {
        scanner = BayesScanner.create(BayesModels.loadDefault());
    }

    private static HeaderFields header(String... fields) {
        return HeaderFields.parse((String.join("\r\n", fields) + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    }

    private static Optional<String> from(String from, String... more) {
        String[] fields = new String[more.length + 1];
        fields[0] = "From: " + from;
        System.arraycopy(more, 0, fields, 1, more.length);
        return BRANDS.test(header(fields));
    }

    private static String encoded(String text) {
        return "=?UTF-8?B?" + Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8)) + "?=";
    }

    @Test
    void theShippedListParses() {
        assertThat(BRANDS.brands()).isGreaterThan(100);
    }

    @Test
    void aBrandOverAStrangersAddressIsASpoof() {
        assertThat(from("\"Costco Giveaway\" <CostcoFreeGift@tabupgrade.test>"))
                .hasValueSatisfying(d -> assertThat(d).contains("costco").contains("tabupgrade.test"));
        assertThat(from("PayPal Service <no.reply.paypal2@googlemail.com>")).isPresent();
        assertThat(from("Microsoft Outlook <recepcao@clinic.example.br>")).isPresent();
        assertThat(from("Amazon.co.jp <support-amazon.jp@xvozbds.test>")).isPresent();
        assertThat(from("Amazon.co.jp@jmmlm.test <Amazon.co.jp@jmmlm.test>")).isPresent();
        assertThat(from("pat@contoso.test <pat@contoso.test>")).isEmpty();
        assertThat(from("Lowe's Update <lowesupdate@myvgv.test>")).isPresent();
        assertThat(from("Parcel fedex <parcelfedex@salebooking.test>")).isPresent();
    }

    /**
     * An audit (session 53): an address with a letter outside ASCII (an internationalised domain as U-labels, an
     * SMTPUTF8 local part) was no address to the tokenizer, so "PayPal" over {@code service@secure-lógin.test} was
     * never checked and a ham-worded message under it was clean, where {@code secure-login.test} was a spoof.
     */
    @Test
    void anAddressWithLettersOutsideAsciiIsCheckedToo() {
        assertThat(from("PayPal <service@secure-l\u00f3gin.test>"))
                .hasValueSatisfying(d -> assertThat(d).contains("paypal").contains("secure-l\u00f3gin.test"));
        assertThat(from("PayPal <s\u00e9rvice@secure-l\u00f3gin.test>")).isPresent();
        assertThat(from("Amazon.co.jp <\u30b5\u30dd\u30fc\u30c8@\u4f8b\u3048.\u30c6\u30b9\u30c8>"))
                .isPresent();
        assertThat(from("PayPal <s\u00e9rvice@paypal.com>")).isEmpty();
    }

    /**
     * A review (session 53): a Japanese display name runs into the address without a space or brackets; tokenizer 20
     * took it into the local part, so the address started the field, no name was shown and the brand was not checked.
     */
    @Test
    void aJapaneseNameRunningIntoTheAddressIsStillTheName() {
        assertThat(from("PayPal\u30b5\u30dd\u30fc\u30c8service@secure-login.test"))
                .hasValueSatisfying(d -> assertThat(d).contains("paypal").contains("secure-login.test"));
        assertThat(from("PayPal\u30b5\u30dd\u30fc\u30c8service@paypal.com")).isEmpty();
    }

    @Test
    void theBrandsOwnMailIsNot() {
        assertThat(from("Costco Wholesale <costco@digital.costco.com>")).isEmpty();
        assertThat(from("Amazon.co.jp <auto-confirm@amazon.co.jp>")).isEmpty();
        assertThat(from("PayPal <service@intl.paypal.com>")).isEmpty();
        assertThat(from("Microsoft account team <account-security-noreply@accountprotection.microsoft.com>"))
                .isEmpty();
        assertThat(from("Facebook <notification@facebookmail.com>")).isEmpty();
        assertThat(from("Google <no-reply@accounts.google.com>")).isEmpty();
        assertThat(from("Jane Roe via LinkedIn <messages-noreply@linkedin.com>"))
                .isEmpty();
        assertThat(from("SBI証券 <info@sbisec.co.jp>")).isEmpty();
    }

    @Test
    void digitsWrittenForLettersAndApostrophesAreSeenThrough() {
        assertThat(from("C0STC0 member <cstcmember@pisoyal.test>")).isPresent();
        assertThat(from("Sam's Club Rewards <offers@shop.test>")).isPresent();
        assertThat(from("Sams Club Members <samsi8@bukuria.test>")).isPresent();
        assertThat(from("\"BIueCross Ins. PoIicy\" <BIueCrossInsPoIicy@multip.test>"))
                .isPresent();
        assertThat(from("Sam's CIub <offers@shop.test>")).isPresent();
        assertThat(from("Ian McIntosh <ian@example.org>")).isEmpty();
        assertThat(from(encoded("P\u0430yPal Service") + " <a@evil.test>")).isPresent(); // a Cyrillic а
        assertThat(from(encoded("\u0410m\u0430zon") + " <a@evil.test>")).isPresent(); // Cyrillic А and а
        assertThat(BrandSpoof.withoutLookalikes("\u0421\u0431\u0435\u0440\u0431\u0430\u043d\u043a Online"))
                .isEqualTo("\u0421\u0431\u0435\u0440\u0431\u0430\u043d\u043a Online"); // a Russian word stays
        assertThat(from("SBI証券 <nvjloc@rfvtgb.rovasex.test>")).isPresent();
        assertThat(from("HSBC UK <alerts@secure-hsbc-login.test>")).isEmpty(); // the key is in the domain: missed
    }

    @Test
    void anAffiliationInParenthesesIsAPersonsNotTheBrands() {
        assertThat(from("Masami Hiramatsu (Google) <mhiramat@kernel.org>")).isEmpty();
        assertThat(from("Jane Roe (Microsoft) <jane@example.org>")).isEmpty();
    }

    @Test
    void aNameThatIsAlsoAPersonsCountsOnlyBesideServiceWords() {
        assertThat(from("Scott Norton <nortonsm@yahoo.com>")).isEmpty();
        assertThat(from("Chase <chase@gmail.com>")).isEmpty();
        assertThat(from("Chase Miller <chase@example.org>")).isEmpty();
        assertThat(from("Target Practice Club <club@example.org>")).isEmpty();
        assertThat(from("Norton Security <jokes@funnysnails.test>")).isPresent();
        assertThat(from("Chase Online Banking <alerts@secure-login.test>")).isPresent();
        assertThat(from("Apple Support <id@verify.test>")).isPresent();
    }

    @Test
    void aSenderNamingItselfIsNot() {
        assertThat(from("Amazon Benefits at Fidelity <Fidelity.Investments@mail.fidelity.com>"))
                .isEmpty();
        assertThat(from("Autism Spectrum News <news@autismspectrumnews.org>")).isEmpty();
    }

    @Test
    void aBrandSigningItsMailSentThroughAPlatformIsNot() {
        String from = "QuickBooks Payments <quickbooks@u1916451.wl202.sendgrid.net>";
        assertThat(from(from)).isPresent();
        assertThat(from(from, "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=n.intuit.com; s=s1; b=x"))
                .isEmpty();
        assertThat(from(from, "DKIM-Signature: v=1; a=rsa-sha256; d=sendgrid.info; s=smtpapi; b=x"))
                .hasValueSatisfying(d -> assertThat(d).contains("DKIM"));
        assertThat(from("Walgreens <noreply-walgreens@bazaarvoice-cgc.com>")).isEmpty();
        assertThat(from("Netflix <no-reply@us.greenhouse-mail.io>")).isEmpty();
        assertThat(from("Walmart <walmart@myworkday.com>")).isEmpty();
        assertThat(from("Amazon Customer Survey <noreply@qemailserver.com>")).isEmpty();
        assertThat(from("Microsoft Reactor via Eventbrite <noreply@order.eventbrite.com>"))
                .isEmpty();
        assertThat(from("Netflix <no-reply@greenhouse-jobs.test>")).isPresent(); // a key, not a word of one
    }

    @Test
    void aMailingListSpeakingForAMemberIsNot() {
        String munged = "Jane Roe via aws-users <aws-users@lists.example.org>";
        assertThat(from(munged)).isPresent();
        assertThat(from(munged, "List-Post: <mailto:aws-users@lists.example.org>"))
                .isEmpty();
        assertThat(from(munged, "List-Id: AWS users <aws-users.lists.example.org>"))
                .isEmpty();
        assertThat(from(
                        "'Jane Roe' via Amazon Pay Developers <amazon-pay-dev@googlegroups.com>",
                        "List-ID: <amazon-pay-dev.googlegroups.com>"))
                .isEmpty();
        assertThat(from(munged, "List-Post: <mailto:other@lists.example.org>")).isPresent();
        assertThat(from(munged, "List-Post: <mailto:xaws-users@lists.example.org>"))
                .isPresent();
        assertThat(from(munged, "List-Id: <aws-users.lists.example.org.evil.test>"))
                .isPresent();
    }

    @Test
    void aMailSystemsOwnMailboxAndMailToOneselfAreNot() {
        assertThat(from("Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.test>"))
                .isEmpty();
        assertThat(from("Microsoft Outlook <postmaster@contoso.test>")).isEmpty();
        assertThat(from("Microsoft Outlook <pat@contoso.test>", "To: Pat <pat@contoso.test>"))
                .isEmpty();
        assertThat(from("Microsoft Outlook <pat@contoso.test>", "To: Pat <kpat@contoso.test>"))
                .isPresent();
        assertThat(from("Microsoft Outlook <pat@contoso.test>", "Cc: a@b.test, pat@contoso.test"))
                .isEmpty();
        assertThat(from("Microsoft Outlook <pat@contoso.test>", "To: pat@contoso.test.evil"))
                .isPresent();
        // under any other name, mail to oneself is a spam run Bcc'ing its victims
        assertThat(from(
                        "\"DHL GLOBAL(noreplyservice@dhl.com)\" <orders@pureaire.test>",
                        "To: Recipients" + " <orders@pureaire.test>"))
                .hasValueSatisfying(d -> assertThat(d).contains("DHL").contains("pureaire.test"));
        assertThat(from("Microsoft Support <pat@contoso.test>", "To: pat@contoso.test"))
                .isPresent();
    }

    @Test
    void japaneseBrandsAndEncodedNames() {
        assertThat(from(encoded("三井住友カード") + " <info@mail.evil.test>")).isPresent();
        assertThat(from(encoded("ＥＴＣ利用照会サービス") + " <etc@shineitong.test>")).isPresent();
        assertThat(from(encoded("e-Tax（国税電子申告・納税システム）") + " <ad-rfjckak@service.hhzdw.test>"))
                .isPresent();
        assertThat(from(encoded("東京電力") + " <info@tepco.co.jp>")).isEmpty();
        assertThat(from(encoded("E T C 利用照会サービス") + " <info@myna.go.test>")).isPresent();
        assertThat(from(encoded("山田太郎") + " <taro@example.jp>")).isEmpty();
        assertThat(from(encoded("ABC雑貨 楽天市場店") + " <info@abc-zakka.test>")).isEmpty();
        assertThat(from(encoded("ドコモショップ 渋谷店") + " <shibuya@agency.test>")).isEmpty();
        assertThat(from(encoded("楽天市場") + " <info@rakutten-ichiba.test>")).isPresent();
        assertThat(from("Jane Roe, IRS Enrolled Agent <jane@taxhelp.test>")).isEmpty();
        assertThat(from("IRS Notice <notice@refund-status.test>")).isPresent();
    }

    @Test
    void noDisplayNameOrNoAddressIsNoSpoof() {
        assertThat(from("support@paypal-secure.test")).isEmpty();
        assertThat(from("PayPal")).isEmpty();
        assertThat(BRANDS.test(header("Subject: PayPal"))).isEmpty();
        assertThat(BRANDS.test(null)).isEmpty();
    }

    @Test
    void aHugeDisplayNameIsReadOnlyAsFarAsTheLimit() {
        String name = "x ".repeat(200_000) + "PayPal";
        assertThat(from(name + " <a@evil.test>")).isEmpty();
        assertThat(from("PayPal " + "x ".repeat(200_000) + "<a@evil.test>")).isPresent();
    }

    @Test
    void badListLinesNameTheirLine() {
        assertThatThrownBy(() -> BrandSpoof.parse(List.of("# c", "acme = acme", "acme"), "list.txt"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("list.txt:3: ");
        assertThatThrownBy(() -> BrandSpoof.parse(List.of("acme = "), "list.txt"))
                .hasMessageContaining("list.txt:1: no domain key");
        assertThatThrownBy(() -> BrandSpoof.parse(List.of("acme; ; x = acme"), "list.txt"))
                .hasMessageContaining("list.txt:1: an empty name");
        assertThatThrownBy(() -> BrandSpoof.parse(List.of("!!! = acme"), "list.txt"))
                .hasMessageContaining("has no letter or digit");
        BrandSpoof one = BrandSpoof.parse(List.of("Acme Corp; ?acme = acme", "= relay"), "list.txt");
        assertThat(one.brands()).isEqualTo(1);
        assertThat(one.test(header("From: Acme Corp <a@evil.test>"))).isPresent();
        assertThat(one.test(header("From: Acme Corp <a@relay.test>"))).isEmpty();
        assertThat(one.test(header("From: Acme <a@evil.test>"))).isEmpty();
        assertThat(one.test(header("From: Acme Support <a@evil.test>"))).isPresent();
    }

    /** Whatever else a display name says, mail from a brand's own domain (one holding a key) is never a spoof. */
    @Test
    void propertyTheBrandsOwnDomainIsNeverASpoof() {
        List<String> names = List.of(
                "PayPal",
                "Microsoft 365",
                "Amazon",
                "Costco",
                "Wells Fargo",
                "DHL",
                "FedEx",
                "Sam's Club",
                "Norton Security",
                "Chase Online",
                "楽天",
                "三井住友カード",
                "SBI証券",
                "Bradesco",
                "Itaú");
        List<String> domains = List.of(
                "paypal.com",
                "microsoft.com",
                "amazon.co.jp",
                "costco.com",
                "wellsfargo.com",
                "dhl.de",
                "fedex.com",
                "samsclub.com",
                "norton.com",
                "chase.com",
                "rakuten.co.jp",
                "smbc-card.com",
                "sbisec.co.jp",
                "bradesco.com.br",
                "itau.com.br");
        qt().forAll(
                        integers().between(0, names.size() - 1),
                        lists().of(strings().allPossible().ofLengthBetween(0, 12))
                                .ofSizeBetween(0, 4))
                .checkAssert((i, extra) -> {
                    String display = String.join(" ", extra)
                                    .replace("<", "")
                                    .replace("\r", "")
                                    .replace("\n", "") + " " + names.get(i);
                    assertThat(from("\"" + display.replace("\"", "") + "\" <x@mail." + domains.get(i) + ">"))
                            .as(display)
                            .isEmpty();
                });
    }

    /** Any From field whatsoever is answered, never thrown on. */
    @Test
    void propertyAnyFromFieldIsAnswered() {
        qt().forAll(strings().allPossible().ofLengthBetween(0, 300))
                .checkAssert(s -> assertThat(from(s.replace("\r", " ").replace("\n", " ")))
                        .isNotNull());
    }

    private static Message message(String from, String... more) {
        StringBuilder m = new StringBuilder("From: ").append(from).append("\r\n");
        for (String f : more) {
            m.append(f).append("\r\n");
        }
        m.append("To: pat@example.org\r\nSubject: Your membership renewal\r\n")
                .append("Date: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <r1@example.org>\r\n")
                .append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n")
                .append("Hi Pat,\r\n\r\nthanks for the notes from Tuesday's meeting. I have added the budget figures")
                .append(
                        " to the shared spreadsheet and moved the review to Thursday afternoon.\r\n\r\nBest,\r\nLee\r\n");
        return Message.of(m.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static boolean hasRule(Verdict v, String name) {
        return v.rules().stream().map(Rule::name).anyMatch(name::equals);
    }

    @Test
    void theScannerCallsASpoofSpamWhateverItsScoreAndSaysWhy() throws Exception {
        Message genuine = message("Lee Park <lee@example.org>");
        Verdict clean = scanner.scan(genuine);
        assertThat(clean.outcome()).as(clean.toString()).isEqualTo(Outcome.CLEAN);
        assertThat(clean.score().orElseThrow()).isLessThan(0.5);

        Message spoof = message("Costco Member Services <lee@example.org>");
        Verdict v = scanner.scan(spoof);
        assertThat(v.outcome()).as(v.toString()).isEqualTo(Outcome.SPAM);
        Rule rule = v.rules().stream()
                .filter(r -> r.name().equals(BrandSpoof.RULE))
                .findFirst()
                .orElseThrow();
        assertThat(rule.description()).contains("costco").contains("example.org");
        assertThat(hasRule(v, "BAYES_UNSURE"))
                .as("a low score is tagged, not rejected")
                .isTrue();
        assertThat(scanner.judge(spoof).spam()).isTrue();

        Message own = message("Costco Member Services <members@costco.com>");
        assertThat(scanner.scan(own).outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(scanner.judge(own).spam()).isFalse();

        BayesScanner off = BayesScanner.builder(BayesModels.loadDefault())
                .brandCheck(false)
                .build();
        Verdict without = off.scan(spoof);
        assertThat(without.outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(hasRule(without, BrandSpoof.RULE)).isFalse();
        assertThat(off.judge(spoof).spam()).isFalse();
        assertThat(off.cacheIdentity()).isNotEqualTo(scanner.cacheIdentity());
    }
}
