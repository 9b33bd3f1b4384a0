package org.mailhygiene.scanners.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.DefaultPolicy;
import org.mailhygiene.api.policy.Disposition;
import org.mailhygiene.scanners.auth.dns.StubResolver;
import org.mailhygiene.testkit.dns.FakeDnsExtension;
import org.mailhygiene.testkit.dns.FakeDnsServer;

/** The auth scanner end to end: SPF, DKIM and DMARC against records on a {@link FakeDnsServer}. */
@ExtendWith(FakeDnsExtension.class)
class AuthScannerTest {
    static final String BODY = "From: Bank <service@bank.example>\r\n"
            + "To: you@example.net\r\n"
            + "Subject: Your account\r\n"
            + "Date: Wed, 2 Dec 2026 06:00:00 +0000\r\n"
            + "Message-ID: <m1@bank.example>\r\n"
            + "\r\n"
            + "Please log in.\r\n";

    static AuthScanner scanner(FakeDnsServer dns, int percent) {
        return AuthScanner.builder()
                .dns(StubResolver.builder()
                        .server(dns.address())
                        .timeout(Duration.ofSeconds(5))
                        .build())
                .authservId("mx.example.net")
                .publicSuffixList(PublicSuffixList.parse(List.of("example", "co.example")))
                .percentSource(() -> percent)
                .build();
    }

    static Message message(String text, String ip, String mailFrom) throws Exception {
        return new Message(
                new Envelope(
                        Optional.of(InetAddress.getByName(ip)),
                        Optional.of("mta.sender.example"),
                        mailFrom,
                        List.of("you@example.net"),
                        Instant.now()),
                MessageContent.ofString(text, StandardCharsets.ISO_8859_1));
    }

    static String rule(Verdict v, String prefix) {
        return v.rules().stream()
                .map(Rule::name)
                .filter(n -> n.startsWith(prefix))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void alignedDkimAndSpfPass(FakeDnsServer dns) throws Exception {
        KeyPair kp = DkimKeys.generate("rsa", 2048);
        dns.txt("sel._domainkey.bank.example", "v=DKIM1; p=" + DkimKeys.publicKeyTag(kp.getPublic()));
        dns.txt("bank.example", "v=spf1 ip4:192.0.2.0/24 -all");
        dns.txt("_dmarc.bank.example", "v=DMARC1; p=reject");
        String signed = DkimSigner.builder("bank.example", "sel", kp.getPrivate())
                        .build()
                        .sign(BODY.getBytes(StandardCharsets.ISO_8859_1))
                        .raw()
                + "\r\n" + BODY;
        Verdict v = scanner(dns, 0).scan(message(signed, "192.0.2.10", "bounce@bank.example"));
        assertThat(v.outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(rule(v, "SPF_")).isEqualTo("SPF_PASS");
        assertThat(rule(v, "DKIM_")).isEqualTo("DKIM_PASS");
        assertThat(rule(v, "DMARC_")).isEqualTo("DMARC_PASS");
        assertThat(v.headers()).singleElement().satisfies(h -> {
            assertThat(h.name()).isEqualTo("Authentication-Results");
            assertThat(h.value())
                    .startsWith("mx.example.net;")
                    .contains("spf=pass")
                    .contains("smtp.mailfrom=bounce@bank.example")
                    .contains("dkim=pass")
                    .contains("header.d=bank.example")
                    .contains("dmarc=pass")
                    .contains("header.from=bank.example");
        });
    }

    /**
     * Ten signatures of domains whose DNS never answered held a session 48 s at DATA (2 s per attempt, 2 attempts
     * each). After two failed key lookups the rest are temperror without one, and the From domain's own signature,
     * wherever it is, is checked first.
     */
    @Test
    void failingKeyLookupsAreBoundedAndTheFromDomainsSignatureGoesFirst(FakeDnsServer dns) throws Exception {
        KeyPair kp = DkimKeys.generate("rsa", 2048);
        dns.txt("sel._domainkey.bank.example", "v=DKIM1; p=" + DkimKeys.publicKeyTag(kp.getPublic()));
        dns.txt("bank.example", "v=spf1 ip4:192.0.2.0/24 -all");
        dns.txt("_dmarc.bank.example", "v=DMARC1; p=reject");
        byte[] body = BODY.getBytes(StandardCharsets.ISO_8859_1);
        StringBuilder fields = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            dns.fault("sel._domainkey.f" + i + ".example", FakeDnsServer.Fault.SERVFAIL);
            fields.append(DkimSigner.builder("f" + i + ".example", "sel", kp.getPrivate())
                            .build()
                            .sign(body)
                            .raw())
                    .append("\r\n");
        }
        String own = DkimSigner.builder("bank.example", "sel", kp.getPrivate())
                .build()
                .sign(body)
                .raw();
        int asked = dns.questions().size();
        Verdict v = scanner(dns, 0).scan(message(fields + own + "\r\n" + BODY, "198.51.100.7", "x@phish.example"));
        List<String> dkim = v.rules().stream()
                .filter(r -> r.name().startsWith("DKIM_"))
                .map(r -> r.name() + " " + r.description())
                .toList();
        assertThat(dkim).hasSize(6);
        assertThat(dkim.get(5)).startsWith("DKIM_PASS dkim=pass d=bank.example");
        assertThat(dkim.subList(0, 2)).allMatch(d -> d.startsWith("DKIM_TEMPERROR") && d.contains("key lookup"));
        assertThat(dkim.subList(2, 5))
                .allMatch(d -> d.startsWith("DKIM_TEMPERROR")
                        && d.endsWith("not checked: 2 key lookups of this message failed already"));
        assertThat(dns.questions().subList(asked, dns.questions().size()).stream()
                        .filter(q -> q.contains("._domainkey.f"))
                        .map(q -> q.split(" ")[0])
                        .distinct())
                .containsExactly("sel._domainkey.f0.example", "sel._domainkey.f1.example");
        assertThat(rule(v, "DMARC_")).isEqualTo("DMARC_PASS");
    }

    /**
     * Of more than ten signatures the first ten by position were checked: eleven of other domains on top of the
     * author's valid one left it "more than 10 signatures", and DMARC failed under p=reject (found from outside with
     * dkimpy's signatures, session 47). The From domain's signature is among the ten checked now.
     */
    @Test
    void theFromDomainsSignatureIsCheckedBehindTenOfOtherDomains(FakeDnsServer dns) throws Exception {
        KeyPair kp = DkimKeys.generate("rsa", 2048);
        dns.txt("sel._domainkey.bank.example", "v=DKIM1; p=" + DkimKeys.publicKeyTag(kp.getPublic()));
        dns.txt("_dmarc.bank.example", "v=DMARC1; p=reject");
        byte[] body = BODY.getBytes(StandardCharsets.ISO_8859_1);
        StringBuilder fields = new StringBuilder();
        for (int i = 0; i < 11; i++) {
            fields.append(DkimSigner.builder("o" + i + ".example", "sel", kp.getPrivate())
                            .build()
                            .sign(body)
                            .raw())
                    .append("\r\n");
        }
        String own = DkimSigner.builder("bank.example", "sel", kp.getPrivate())
                .build()
                .sign(body)
                .raw();
        Verdict v = scanner(dns, 0).scan(message(fields + own + "\r\n" + BODY, "198.51.100.7", "x@phish.example"));
        List<String> dkim = v.rules().stream()
                .filter(r -> r.name().startsWith("DKIM_"))
                .map(r -> r.name() + " " + r.description())
                .toList();
        assertThat(dkim).hasSize(12);
        assertThat(dkim.get(11)).startsWith("DKIM_PASS dkim=pass d=bank.example");
        assertThat(dkim.subList(0, 9)).allMatch(d -> d.startsWith("DKIM_PERMERROR dkim=permerror d=o"));
        assertThat(dkim.subList(9, 11)).allMatch(d -> d.endsWith("more than 10 signatures"));
        assertThat(rule(v, "DMARC_")).isEqualTo("DMARC_PASS");
        assertThat(v.outcome()).isEqualTo(Outcome.CLEAN);
    }

    @Test
    void forgedFromUnderRejectPolicyIsSuspiciousAndThePolicyMapsIt(FakeDnsServer dns) throws Exception {
        dns.txt("bank.example", "v=spf1 ip4:192.0.2.0/24 -all");
        dns.txt("_dmarc.bank.example", "v=DMARC1; p=reject; rua=mailto:d@bank.example");
        dns.txt("phish.example", "v=spf1 +all");
        Verdict v = scanner(dns, 0).scan(message(BODY, "198.51.100.7", "x@phish.example"));
        assertThat(v.outcome()).isEqualTo(Outcome.SUSPICIOUS);
        assertThat(v.rules().get(0).name()).isEqualTo("DMARC_REJECT");
        assertThat(rule(v, "SPF_")).isEqualTo("SPF_PASS"); // passes for phish.example, not aligned
        assertThat(rule(v, "DKIM_")).isEqualTo("DKIM_NONE");
        Disposition honour = DefaultPolicy.defaults().decide(List.of(v));
        assertThat(honour.action()).isEqualTo(Action.REJECT);
        Disposition gateway = DefaultPolicy.builder()
                .onRule("DMARC_REJECT", Action.QUARANTINE)
                .build()
                .decide(List.of(v));
        assertThat(gateway.action()).isEqualTo(Action.QUARANTINE);
        assertThat(gateway.headers()).anySatisfy(h -> assertThat(h.value()).contains("dmarc=fail"));
    }

    /**
     * The organisation's own server sending as its own domain, neither signed yet nor in the domain's SPF record, was
     * refused under its own p=reject (audit, session 48): an exempt client's mail is checked and reported but never
     * held, and says so; another client's same message still is, and a file without a client address is never exempt.
     */
    @Test
    void anExemptClientsFailureIsReportedNotHeld(FakeDnsServer dns) throws Exception {
        dns.txt("bank.example", "v=spf1 ip4:192.0.2.0/24 -all");
        dns.txt("_dmarc.bank.example", "v=DMARC1; p=reject");
        InetAddress internal = InetAddress.getByName("10.1.2.3");
        AuthScanner exempting = builder(dns).exemptClients(internal::equals).build();
        Verdict own = exempting.scan(message(BODY, "10.1.2.3", "service@bank.example"));
        assertThat(own.outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(own.rules()).extracting(Rule::name).doesNotContain("DMARC_REJECT");
        assertThat(own.rules())
                .filteredOn(r -> r.name().equals(AuthScanner.EXEMPT_RULE))
                .singleElement()
                .satisfies(r -> assertThat(r.description())
                        .isEqualTo("DMARC_REJECT not applied: the client 10.1.2.3 is exempt"));
        assertThat(own.rules()).extracting(Rule::name).contains("DMARC_FAIL", "SPF_FAIL");
        // the disposition applied, not the policy's: a reader of the header must not take the mail for refused
        assertThat(own.headers())
                .singleElement()
                .satisfies(h -> assertThat(h.value())
                        .contains("spf=fail")
                        .contains("dmarc=fail (p=reject dis=none ")
                        .contains("policy reject not applied: the client 10.1.2.3 is exempt)")
                        .doesNotContain("dis=reject"));
        assertThat(own.rules())
                .filteredOn(r -> r.name().equals("DMARC_FAIL"))
                .singleElement()
                .satisfies(r -> assertThat(r.description()).endsWith("not applied: the client 10.1.2.3 is exempt"));
        assertThat(DefaultPolicy.defaults().decide(List.of(own)).action()).isEqualTo(Action.ACCEPT);

        Verdict outside = exempting.scan(message(BODY, "198.51.100.7", "service@bank.example"));
        assertThat(outside.outcome()).isEqualTo(Outcome.SUSPICIOUS);
        assertThat(outside.rules())
                .extracting(Rule::name)
                .contains("DMARC_REJECT")
                .doesNotContain("DMARC_EXEMPT");

        Verdict fromDisk = exempting.scan(
                new Message(Envelope.unknown(), MessageContent.ofString(BODY, StandardCharsets.ISO_8859_1)));
        assertThat(fromDisk.outcome()).isEqualTo(Outcome.SUSPICIOUS);

        // a header section past the limit is not held either for an exempt client
        AuthScanner small = builder(dns)
                .exemptClients(internal::equals)
                .maxHeaderBytes(4096)
                .build();
        String padded = "X-Pad: " + "x".repeat(70) + "\r\n";
        Verdict big = small.scan(message(padded.repeat(100) + BODY, "10.1.2.3", "service@bank.example"));
        assertThat(big.outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(big.rules())
                .filteredOn(r -> r.name().equals(AuthScanner.EXEMPT_RULE))
                .singleElement()
                .satisfies(r ->
                        assertThat(r.description()).startsWith(AuthScanner.HEADER_TOO_LARGE_RULE + " not applied"));
    }

    /**
     * A forged From padded with header fields past the limit read was CLEAN with dmarc=permerror and no SPF at all: the
     * domain's p=reject never applied (audit, session 32). It is suspicious now, held by default, and SPF, which needs
     * only the envelope, is checked.
     */
    @Test
    void aHeaderSectionPastTheLimitIsSuspiciousAndSpfStillChecked(FakeDnsServer dns) throws Exception {
        dns.txt("_dmarc.bank.example", "v=DMARC1; p=reject");
        dns.txt("phish.example", "v=spf1 -all");
        AuthScanner small = builder(dns).maxHeaderBytes(4096).build();
        String padded = "X-Pad: " + "x".repeat(70) + "\r\n";
        Verdict v = small.scan(message(padded.repeat(100) + BODY, "198.51.100.7", "x@phish.example"));
        assertThat(v.outcome()).isEqualTo(Outcome.SUSPICIOUS);
        assertThat(v.rules().get(0).name()).isEqualTo(AuthScanner.HEADER_TOO_LARGE_RULE);
        assertThat(rule(v, "SPF_")).isEqualTo("SPF_FAIL");
        assertThat(v.headers())
                .singleElement()
                .satisfies(h -> assertThat(h.value()).contains("spf=fail").contains("dmarc=permerror"));
        assertThat(DefaultPolicy.defaults().decide(List.of(v)).action()).isEqualTo(Action.QUARANTINE);
        // the same message under the limit is judged by its domain's policy
        Verdict whole = small.scan(message(BODY, "198.51.100.7", "x@phish.example"));
        assertThat(whole.rules().get(0).name()).isEqualTo("DMARC_REJECT");
    }

    /**
     * A From domain in UTF-8 (RFC 6532) is looked up by its A-labels: lower-cased byte by byte it was garbled and sent
     * to DNS raw, so its p=reject was never found (audit, session 32). Bytes that are no UTF-8 are a permerror.
     */
    @Test
    void anInternationalisedFromDomainIsCheckedByItsALabels(FakeDnsServer dns) throws Exception {
        dns.txt("_dmarc.xn--bcher-kva.example", "v=DMARC1; p=reject");
        dns.txt("phish.example", "v=spf1 +all");
        String utf8 = new String(
                "From: Shop <news@bücher.example>\r\nTo: you@example.net\r\nSubject: s\r\n\r\nbody\r\n"
                        .getBytes(StandardCharsets.UTF_8),
                StandardCharsets.ISO_8859_1);
        Verdict v = scanner(dns, 0).scan(message(utf8, "198.51.100.7", "x@phish.example"));
        assertThat(v.outcome()).isEqualTo(Outcome.SUSPICIOUS);
        assertThat(v.rules().get(0).name()).isEqualTo("DMARC_REJECT");
        assertThat(v.headers().get(0).value()).contains("header.from=xn--bcher-kva.example");
        String latin1 = "From: Shop <news@b\u00fccher.example>\r\nSubject: s\r\n\r\nbody\r\n";
        Verdict bad = scanner(dns, 0).scan(message(latin1, "198.51.100.7", "x@phish.example"));
        assertThat(rule(bad, "DMARC_")).isEqualTo("DMARC_PERMERROR");
        assertThat(bad.headers().get(0).value()).doesNotContain("\u00fc").doesNotContain("header.from=");
    }

    @Test
    void pctSamplingSoftensThePolicyAndSubdomainsUseSp(FakeDnsServer dns) throws Exception {
        dns.txt("_dmarc.bank.example", "v=DMARC1; p=reject; pct=20; sp=quarantine");
        // 50 >= 20: outside the sample, so reject becomes quarantine
        Verdict sampled = scanner(dns, 50).scan(message(BODY, "198.51.100.7", "x@phish.example"));
        assertThat(sampled.rules().get(0).name()).isEqualTo("DMARC_QUARANTINE");
        Verdict inside = scanner(dns, 10).scan(message(BODY, "198.51.100.7", "x@phish.example"));
        assertThat(inside.rules().get(0).name()).isEqualTo("DMARC_REJECT");
        String sub = BODY.replace("service@bank.example", "service@mail.bank.example");
        Verdict v = scanner(dns, 10).scan(message(sub, "198.51.100.7", "x@phish.example"));
        assertThat(v.rules().get(0).name()).isEqualTo("DMARC_QUARANTINE");
    }

    /**
     * Two DMARC records at a subdomain (p=none, as while it is being replaced) sent the lookup on to the organizational
     * domain, whose sp=reject then refused the subdomain's mail; RFC 7489 6.6.3 ends policy discovery there with no
     * policy (found from outside with hygiene scan --auth, session 47).
     */
    @Test
    void severalRecordsAtTheFromDomainAreNoPolicyNotTheParentsSp(FakeDnsServer dns) throws Exception {
        dns.txt("_dmarc.bank.example", "v=DMARC1; p=none; sp=reject");
        dns.txt("_dmarc.mail.bank.example", "v=DMARC1; p=none");
        dns.txt("_dmarc.mail.bank.example", "v=DMARC1; p=none; rua=mailto:d@bank.example");
        Verdict v = scanner(dns, 0)
                .scan(message(
                        BODY.replace("service@bank.example", "service@mail.bank.example"),
                        "198.51.100.7",
                        "x@phish.example"));
        assertThat(v.outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(v.rules())
                .filteredOn(r -> r.name().startsWith("DMARC_"))
                .singleElement()
                .satisfies(r -> {
                    assertThat(r.name()).isEqualTo("DMARC_NONE");
                    assertThat(r.description())
                            .isEqualTo("dmarc=none header.from=mail.bank.example: more than one DMARC record at"
                                    + " _dmarc.mail.bank.example, so no policy (RFC 7489 6.6.3)");
                });
        // one record less: the subdomain's own p=none, still not the parent's sp=
        dns.clear();
        dns.txt("_dmarc.bank.example", "v=DMARC1; p=none; sp=reject");
        dns.txt("_dmarc.mail.bank.example", "v=DMARC1; p=none");
        Verdict one = scanner(dns, 0)
                .scan(message(
                        BODY.replace("service@bank.example", "service@mail.bank.example"),
                        "198.51.100.7",
                        "x@phish.example"));
        assertThat(rule(one, "DMARC_")).isEqualTo("DMARC_FAIL");
    }

    @Test
    void relaxedAlignmentUsesTheOrganizationalDomainAndStrictDoesNot(FakeDnsServer dns) throws Exception {
        dns.txt("mail.bank.example", "v=spf1 ip4:192.0.2.10 -all");
        dns.txt("_dmarc.bank.example", "v=DMARC1; p=reject");
        Verdict relaxed = scanner(dns, 0).scan(message(BODY, "192.0.2.10", "b@mail.bank.example"));
        assertThat(rule(relaxed, "DMARC_P")).isEqualTo("DMARC_PASS");
        dns.clear();
        dns.txt("mail.bank.example", "v=spf1 ip4:192.0.2.10 -all");
        dns.txt("_dmarc.bank.example", "v=DMARC1; p=reject; aspf=s");
        Verdict strict = scanner(dns, 0).scan(message(BODY, "192.0.2.10", "b@mail.bank.example"));
        assertThat(strict.outcome()).isEqualTo(Outcome.SUSPICIOUS);
    }

    /**
     * A domain written with its trailing dot (the root's label, {@code b@bank.example.} in MAIL FROM or From) is the same
     * domain: SPF passed for it and strict alignment failed on the dot (hauth's note, session 47), as did relaxed
     * alignment ({@code bank.example.}'s organizational domain was {@code example.}).
     */
    @Test
    void aTrailingDotIsTheSameDomainForAlignment(FakeDnsServer dns) throws Exception {
        dns.txt("bank.example", "v=spf1 ip4:192.0.2.10 -all");
        dns.txt("_dmarc.bank.example", "v=DMARC1; p=reject; aspf=s");
        Verdict strict = scanner(dns, 0).scan(message(BODY, "192.0.2.10", "b@bank.example."));
        assertThat(rule(strict, "SPF_")).isEqualTo("SPF_PASS");
        assertThat(rule(strict, "DMARC_")).isEqualTo("DMARC_PASS");
        dns.clear();
        dns.txt("bank.example", "v=spf1 ip4:192.0.2.10 -all");
        dns.txt("_dmarc.bank.example", "v=DMARC1; p=reject");
        Verdict relaxed = scanner(dns, 0).scan(message(BODY, "192.0.2.10", "b@bank.example."));
        assertThat(rule(relaxed, "DMARC_")).isEqualTo("DMARC_PASS");
    }

    @Test
    void badRecordsAndDnsFailuresAreResultsNotExceptions(FakeDnsServer dns) throws Exception {
        dns.txt("bank.example", "v=spf1 ip4:999.1.1.1 -all");
        dns.txt("_dmarc.bank.example", "v=DMARC1; p=reject; ;;");
        String badSig = "DKIM-Signature: v=1; a=rsa-sha256; d=bank.example; s=x; h=from; bh=@@@; b=!!!\r\n" + BODY;
        Verdict v = scanner(dns, 0).scan(message(badSig, "192.0.2.10", "b@bank.example"));
        assertThat(rule(v, "SPF_")).isEqualTo("SPF_PERMERROR");
        assertThat(rule(v, "DKIM_")).isEqualTo("DKIM_PERMERROR");
        assertThat(rule(v, "DMARC_P")).isEqualTo("DMARC_PERMERROR");
        dns.clear();
        dns.fault("bank.example", FakeDnsServer.Fault.SERVFAIL);
        dns.fault("_dmarc.bank.example", FakeDnsServer.Fault.SERVFAIL);
        Verdict t = scanner(dns, 0).scan(message(BODY, "192.0.2.10", "b@bank.example"));
        assertThat(rule(t, "SPF_")).isEqualTo("SPF_TEMPERROR");
        assertThat(rule(t, "DMARC_T")).isEqualTo("DMARC_TEMPERROR");
        assertThat(t.outcome()).isEqualTo(Outcome.CLEAN);
    }

    @Test
    void withoutAClientAddressSpfIsNone(FakeDnsServer dns) throws Exception {
        Verdict v = scanner(dns, 0).scan(Message.of(MessageContent.ofString(BODY, StandardCharsets.ISO_8859_1)));
        assertThat(rule(v, "SPF_")).isEqualTo("SPF_NONE");
        assertThat(v.headers().get(0).value()).doesNotContain("spf=");
    }

    @Test
    void arcChainWithoutSealsFailsAndNoneWithoutFields(FakeDnsServer dns) throws Exception {
        Verdict none = scanner(dns, 0).scan(message(BODY, "192.0.2.10", "b@bank.example"));
        assertThat(rule(none, "ARC_")).isEqualTo("ARC_NONE");
        String broken = "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=x.example; s=s; b=AAAA\r\n" + BODY;
        Verdict v = scanner(dns, 0).scan(message(broken, "192.0.2.10", "b@bank.example"));
        assertThat(rule(v, "ARC_")).isEqualTo("ARC_FAIL");
    }

    static AuthScanner.Builder builder(FakeDnsServer dns) {
        return AuthScanner.builder()
                .dns(StubResolver.builder()
                        .server(dns.address())
                        .timeout(Duration.ofSeconds(5))
                        .build())
                .publicSuffixList(PublicSuffixList.parse(List.of("example", "co.example")))
                .percentSource(() -> 0);
    }

    static String spfRule(Verdict v, String name) {
        return v.rules().stream()
                .filter(r -> r.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError(name + " not in " + v.rules()))
                .description();
    }

    @Test
    void spfFailCarriesTheDomainsExplanationInTheRuleAndTheHeader(FakeDnsServer dns) throws Exception {
        dns.txt("bank.example", "v=spf1 ip4:192.0.2.0/24 exp=why.%{d} -all");
        dns.txt("why.bank.example", "%{c} is not a server of %{d} (ask %{r}: %{l}@%{o})");
        Verdict v = scanner(dns, 0).scan(message(BODY, "198.51.100.7", "bounce@bank.example"));
        String expected = "198.51.100.7 is not a server of bank.example (ask mx.example.net: bounce@bank.example)";
        assertThat(spfRule(v, "SPF_FAIL")).endsWith("; explanation: " + expected);
        assertThat(v.headers().get(0).value())
                .contains("spf=fail (matched -all in the record of bank.example) reason=\"" + expected
                        + "\" smtp.mailfrom=bounce@bank.example");
        // a pass has no explanation, whatever the record says
        Verdict pass = scanner(dns, 0).scan(message(BODY, "192.0.2.1", "bounce@bank.example"));
        assertThat(spfRule(pass, "SPF_PASS")).doesNotContain("explanation");
        assertThat(pass.headers().get(0).value()).doesNotContain("reason=");
    }

    @Test
    void heloIsTheIdentityOfTheNullSenderAndOptionallyCheckedAlongside(FakeDnsServer dns) throws Exception {
        dns.txt("mta.sender.example", "v=spf1 ip4:198.51.100.7 -all");
        dns.txt("bank.example", "v=spf1 ip4:192.0.2.0/24 -all");
        Verdict bounce = scanner(dns, 0).scan(message(BODY, "198.51.100.7", ""));
        assertThat(spfRule(bounce, "SPF_PASS")).startsWith("spf=pass helo=postmaster@mta.sender.example");
        assertThat(bounce.headers().get(0).value()).contains("smtp.helo=mta.sender.example");
        assertThat(bounce.rules()).noneMatch(r -> r.name().startsWith("SPF_HELO_"));
        // by default only MAIL FROM is checked for a non-null sender
        Verdict plain = scanner(dns, 0).scan(message(BODY, "192.0.2.1", "bounce@bank.example"));
        assertThat(plain.headers().get(0).value()).doesNotContain("smtp.helo=");
        // with checkHelo, HELO is a second result; the HELO name does not cover 192.0.2.1
        AuthScanner both =
                builder(dns).authservId("mx.example.net").checkHelo(true).build();
        Verdict v = both.scan(message(BODY, "192.0.2.1", "bounce@bank.example"));
        assertThat(spfRule(v, "SPF_PASS")).startsWith("spf=pass mailfrom=bounce@bank.example");
        assertThat(spfRule(v, "SPF_HELO_FAIL")).startsWith("spf=fail helo=postmaster@mta.sender.example");
        assertThat(v.headers().get(0).value())
                .contains("smtp.mailfrom=bounce@bank.example; spf=fail")
                .contains("smtp.helo=mta.sender.example");
        // DMARC still goes by the MAIL FROM result
        assertThat(rule(v, "DMARC_")).isNotEqualTo("DMARC_FAIL");
    }

    @Test
    void builderResolvesDefaultsThatDependOnOtherSettingsInBuildWhateverTheOrder(FakeDnsServer dns) throws Exception {
        dns.txt("bank.example", "v=spf1 exp=why.bank.example -all");
        dns.txt("why.bank.example", "see %{r}");
        Message m = message(BODY, "198.51.100.7", "bounce@bank.example");
        // %{r} defaults to the authserv-id, whether that is set before or after the other settings
        AuthScanner before =
                builder(dns).authservId("a.example").checkHelo(false).build();
        AuthScanner after = AuthScanner.builder()
                .authservId("a.example")
                .checkHelo(false)
                .dns(StubResolver.builder()
                        .server(dns.address())
                        .timeout(Duration.ofSeconds(5))
                        .build())
                .build();
        assertThat(spfRule(before.scan(m), "SPF_FAIL")).endsWith("explanation: see a.example");
        assertThat(spfRule(after.scan(m), "SPF_FAIL")).endsWith("explanation: see a.example");
        // an explicit receiver wins in either order
        assertThat(spfRule(
                        builder(dns)
                                .receiver("r.example")
                                .authservId("a.example")
                                .build()
                                .scan(m),
                        "SPF_FAIL"))
                .endsWith("explanation: see r.example");
        assertThat(spfRule(
                        builder(dns)
                                .authservId("a.example")
                                .receiver("r.example")
                                .build()
                                .scan(m),
                        "SPF_FAIL"))
                .endsWith("explanation: see r.example");
        assertThatThrownBy(() -> AuthScanner.builder().receiver("has space"))
                .isInstanceOf(IllegalArgumentException.class);
    }
    /**
     * A forged From under p=reject that DMARC could not evaluate as one domain was delivered CLEAN with
     * dmarc=permerror (audit, session 36, from outside through the relay): a second From field or a second address
     * next to the forged one, a group ({@code Bank: ceo@bank.example;}, read as the domain {@code bank.example;}), a
     * trailing dot ({@code ceo@bank.example.}, the same name in DNS). Every domain found is checked now and the
     * strictest failing policy applies (RFC 7489 6.6.1); a domain whose own check passes does not hide another's
     * failure.
     */
    @Test
    void aForgedFromThatIsNotOneAddressStillMeetsItsDomainsPolicy(FakeDnsServer dns) throws Exception {
        dns.txt("bank.example", "v=spf1 ip4:192.0.2.0/24 -all");
        dns.txt("_dmarc.bank.example", "v=DMARC1; p=reject");
        dns.txt("quar.example", "v=spf1 ip4:192.0.2.0/24 -all");
        dns.txt("_dmarc.quar.example", "v=DMARC1; p=quarantine");
        dns.txt("phish.example", "v=spf1 +all");
        String rest = "To: you@example.net\r\nSubject: Your account\r\nMessage-ID: <m2@x>\r\n\r\nPlease log in.\r\n";
        for (String from : List.of(
                "From: service@bank.example\r\nFrom: x@phish.example\r\n",
                "From: x@phish.example\r\nFrom: Bank <service@bank.example>\r\n",
                "From: x@phish.example, service@bank.example\r\n",
                "From: service@quar.example, service@bank.example\r\n",
                "From: Bank: service@bank.example;\r\n",
                "From: service@bank.example.\r\n",
                "From: Bank <service@BANK.EXAMPLE.>\r\n")) {
            Verdict v = scanner(dns, 0).scan(message(from + rest, "198.51.100.7", "x@phish.example"));
            assertThat(v.outcome()).as(from).isEqualTo(Outcome.SUSPICIOUS);
            assertThat(v.rules().get(0).name()).as(from).isEqualTo("DMARC_REJECT");
            assertThat(v.headers().get(0).value())
                    .as(from)
                    .contains("dmarc=fail")
                    .contains("header.from=bank.example");
        }
        Verdict q = scanner(dns, 0)
                .scan(message(
                        "From: x@phish.example\r\nFrom: service@quar.example\r\n" + rest,
                        "198.51.100.7",
                        "x@phish.example"));
        assertThat(q.rules().get(0).name()).isEqualTo("DMARC_QUARANTINE");
        // several addresses at domains that do not fail stay a permerror, as before
        Verdict none = scanner(dns, 0)
                .scan(message("From: x@phish.example, y@phish.example\r\n" + rest, "198.51.100.7", "x@phish.example"));
        assertThat(none.outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(rule(none, "DMARC_")).isEqualTo("DMARC_PERMERROR");
        // a domain whose policy lookup failed for now may still fail: temperror, not the permerror of the
        // several addresses alone (it said permerror, session 36's leftovers)
        dns.fault("_dmarc.later.example", FakeDnsServer.Fault.SERVFAIL);
        dns.fault("later.example", FakeDnsServer.Fault.SERVFAIL);
        Verdict unsure = scanner(dns, 0)
                .scan(message(
                        "From: x@phish.example, service@later.example\r\n" + rest, "198.51.100.7", "x@phish.example"));
        assertThat(unsure.outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(rule(unsure, "DMARC_")).isEqualTo("DMARC_TEMPERROR");
        assertThat(unsure.headers().get(0).value()).contains("dmarc=temperror");
        // a failure still wins over a temporary error
        Verdict both = scanner(dns, 0)
                .scan(message(
                        "From: service@later.example, service@bank.example\r\n" + rest,
                        "198.51.100.7",
                        "x@phish.example"));
        assertThat(both.rules().get(0).name()).isEqualTo("DMARC_REJECT");
        // a route in an angle address is no group
        assertThat(DmarcVerifier.fromDomains("Bank <@relay.example:service@bank.example>"))
                .containsExactly("bank.example");
        // a quoted local part or a comment inside the angle address may hold '>', ':' or '@': the domain is still the
        // bank's (the angle address ended at the quoted '>' and left no domain, a permerror instead of the bank's fail)
        assertThat(DmarcVerifier.fromDomains("Bank <\"a>b\"@bank.example>")).containsExactly("bank.example");
        assertThat(DmarcVerifier.fromDomains("Bank <service@(x@phish.example>)bank.example>"))
                .containsExactly("bank.example");
        assertThat(DmarcVerifier.fromDomains("Bank <\"a:b,c\"@bank.example>, Undisclosed:;"))
                .containsExactly("bank.example");
        // Hundreds of author domains cost a lookup each at DATA time, and checking only some would let the forgery
        // hide behind the others: more than the limit is held without a lookup.
        StringBuilder many = new StringBuilder("From: ");
        for (int i = 0; i < DmarcVerifier.MAX_AUTHOR_DOMAINS; i++) {
            many.append("a@d").append(i).append(".example, ");
        }
        int asked = dns.questions().size();
        Verdict crowd = scanner(dns, 0)
                .scan(message(many + "service@bank.example\r\n" + rest, "198.51.100.7", "x@phish.example"));
        assertThat(crowd.rules().get(0).name()).isEqualTo("DMARC_QUARANTINE");
        assertThat(crowd.headers().get(0).value()).contains("11 domains, more than the 10 checked");
        assertThat(dns.questions().subList(asked, dns.questions().size()))
                .noneMatch(question -> question.contains("_dmarc.d"));
        // as many as the limit are all checked
        StringBuilder ten = new StringBuilder("From: ");
        for (int i = 0; i < DmarcVerifier.MAX_AUTHOR_DOMAINS - 1; i++) {
            ten.append("a@d").append(i).append(".example, ");
        }
        Verdict listed = scanner(dns, 0)
                .scan(message(ten + "service@bank.example\r\n" + rest, "198.51.100.7", "x@phish.example"));
        assertThat(listed.rules().get(0).name()).isEqualTo("DMARC_REJECT");
    }

    /**
     * An internationalised MAIL FROM (SMTPUTF8): SPF looked the domain up as its raw UTF-8, so a domain's record was
     * never found and a DMARC policy that SPF alone satisfies refused the domain's own mail; the header field named
     * another mailbox ({@code "j_rg@b_cher.example"}). The domain is looked up by its A-labels now, and a local part
     * that is not ASCII leaves the domain alone in {@code smtp.mailfrom} (RFC 8601 allows it; the field is 7-bit).
     */
    @Test
    void anInternationalisedSenderIsCheckedByItsALabels(FakeDnsServer dns) throws Exception {
        dns.txt("xn--bcher-kva.example", "v=spf1 ip4:192.0.2.0/24 -all");
        dns.txt("_dmarc.xn--bcher-kva.example", "v=DMARC1; p=reject");
        // the header is read byte for byte: the From field's UTF-8 as ISO-8859-1 characters, as it arrives
        String from = new String(
                "From: J\u00f6rg <j\u00f6rg@b\u00fccher.example>\r\n".getBytes(StandardCharsets.UTF_8),
                StandardCharsets.ISO_8859_1);
        String rest = "To: you@example.net\r\nSubject: Hallo\r\nMessage-ID: <i1@x>\r\n\r\nHallo.\r\n";
        Verdict v = scanner(dns, 0).scan(message(from + rest, "192.0.2.10", "j\u00f6rg@b\u00fccher.example"));
        assertThat(rule(v, "SPF_")).isEqualTo("SPF_PASS");
        assertThat(rule(v, "DMARC_")).isEqualTo("DMARC_PASS");
        assertThat(v.outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(v.headers().get(0).value())
                .contains("spf=pass")
                .contains("smtp.mailfrom=xn--bcher-kva.example;")
                .contains("header.from=xn--bcher-kva.example")
                .doesNotContain("_rg");
        // an ASCII local part at an internationalised domain keeps the mailbox, by its A-labels
        Verdict ascii = scanner(dns, 0).scan(message(from + rest, "192.0.2.10", "joerg@b\u00fccher.example"));
        assertThat(ascii.headers().get(0).value()).contains("smtp.mailfrom=joerg@xn--bcher-kva.example;");
        // a name that is no valid internationalised domain is none, not a lookup of its raw characters
        int asked = dns.questions().size();
        Verdict bad = scanner(dns, 0).scan(message(rest, "192.0.2.10", "x@b\u00fccher..example"));
        assertThat(rule(bad, "SPF_")).isEqualTo("SPF_NONE");
        assertThat(dns.questions().subList(asked, dns.questions().size()))
                .noneMatch(q -> q.chars().anyMatch(c -> c >= 0x80));
        // the HELO name too
        assertThat(SpfVerifier.aLabels("mx.b\u00fccher.example")).isEqualTo("mx.xn--bcher-kva.example");
    }

    /**
     * {@code straße.example} is {@code xn--strae-oqa.example} in DNS (IDNA2008), another domain than
     * {@code strasse.example}. The JDK's IDNA2003 made it {@code strasse.example}: mail from {@code ceo@straße.example}
     * sent by the owner of {@code strasse.example} passed SPF and DMARC (measured through Postfix and the milter:
     * {@code dmarc=pass header.from=strasse.example}) although {@code straße.example} publishes {@code p=reject}.
     */
    @Test
    void aSharpSIsNotAnotherDomainsDoubleS(FakeDnsServer dns) throws Exception {
        dns.txt("strasse.example", "v=spf1 ip4:192.0.2.0/24 -all");
        dns.txt("_dmarc.strasse.example", "v=DMARC1; p=none");
        dns.txt("xn--strae-oqa.example", "v=spf1 -all");
        dns.txt("_dmarc.xn--strae-oqa.example", "v=DMARC1; p=reject");
        String from = new String(
                "From: CEO <ceo@stra\u00dfe.example>\r\n".getBytes(StandardCharsets.UTF_8),
                StandardCharsets.ISO_8859_1);
        String rest = "To: you@example.net\r\nSubject: Transfer\r\nMessage-ID: <i1@x>\r\n\r\nPay.\r\n";
        Verdict v = scanner(dns, 0).scan(message(from + rest, "192.0.2.10", "ceo@stra\u00dfe.example"));
        assertThat(rule(v, "SPF_")).isEqualTo("SPF_FAIL");
        assertThat(v.rules()).extracting(Rule::name).contains("DMARC_REJECT");
        assertThat(v.headers().get(0).value())
                .contains("header.from=xn--strae-oqa.example")
                .doesNotContain("strasse");
        assertThat(SpfVerifier.aLabels("mx.stra\u00dfe.example")).isEqualTo("mx.xn--strae-oqa.example");
        assertThat(DmarcVerifier.asciiDomain(new String(
                        "\u03c0\u03b1\u03c1\u03ac\u03b4\u03b5\u03b9\u03b3\u03bc\u03b1\u03c2.example"
                                .getBytes(StandardCharsets.UTF_8),
                        StandardCharsets.ISO_8859_1)))
                .as("a final sigma stays one")
                .isEqualTo("xn--hxajbheg2az3als.example");
    }
}
