package org.mailhygiene.scanners.bayes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.MessageContent;

/** The tokenizer version 3 features (URLs, HTML structure, header and charset anomalies). */
class TokenizerFeaturesTest {
    private final Tokenizer tokenizer = Tokenizer.create();

    private Set<String> tokens(String message) throws Exception {
        return tokenizer.tokenize(MessageContent.ofBytes(message.getBytes(StandardCharsets.ISO_8859_1)));
    }

    private static String html(String body) {
        return "From: Bank <service@bank.example>\r\nSubject: Notice\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: text/html; charset=us-ascii\r\n\r\n" + body + "\r\n";
    }

    @Test
    void linkWhoseTextNamesAnotherDomainIsAMismatch() throws Exception {
        assertThat(tokens(html("<a href=\"http://198.51.100.7/login\">https://www.bank.example/login</a>")))
                .contains("html:link-mismatch", "url-ip", "mime:html-only");
        assertThat(tokens(html("<a href=\"http://evil.example/x\">www.bank.example</a>")))
                .contains("html:link-mismatch");
        assertThat(tokens(html("<a href=\"https://secure.bank.example/x\">www.bank.example</a> <a href=x>click</a>")))
                .doesNotContain("html:link-mismatch", "url-ip");
    }

    @Test
    void formsScriptsAndIframes() throws Exception {
        assertThat(tokens(html("<form action=x><input type=password></form><script>x()</script><iframe src=y>")))
                .contains("html:form", "html:script", "html:iframe");
        assertThat(tokens(html("<p>hello</p>"))).doesNotContain("html:form", "html:script", "html:iframe");
    }

    @Test
    void encodedAsciiSubjectAndSenderDomainsThatDiffer() throws Exception {
        Set<String> t = tokens(
                "From: =?ISO-8859-1?B?ZUJheQ==?= <a@ebay.example>\r\nReply-To: x@collector.example\r\n"
                        + "Message-ID: <1@mailer.other.example>\r\nSubject: =?ISO-8859-1?B?QWNjb3VudCBJc3N1ZQ==?=\r\n\r\nhi\r\n");
        assertThat(t)
                .contains(
                        "subject:encoded-ascii",
                        "from:encoded-ascii",
                        "hdr:reply-to-differs",
                        "hdr:message-id-differs",
                        "subject:account");
        Set<String> plain = tokens("From: a@lab.example\r\nReply-To: b@www.lab.example\r\n"
                + "Message-ID: <1@mx.lab.example>\r\nSubject: Account\r\n\r\nhi\r\n");
        assertThat(plain).doesNotContain("subject:encoded-ascii", "hdr:reply-to-differs", "hdr:message-id-differs");
    }

    @Test
    void recipientRepeatedInSubjectOrSenderName() throws Exception {
        Set<String> t = tokens("From: \"corp.example Mail Center\" <admin@stranger.example>\r\n"
                + "To: Jo <Jo.Smith@mail.Corp.example>, other@else.example\r\n"
                + "Subject: Mailbox quota for jo.smith@mail.corp.example\r\n\r\nhi\r\n");
        assertThat(t).contains("hdr:rcpt-in-subject", "hdr:rcpt-domain-in-from-name");
        Set<String> cc = tokens("From: x@stranger.example\r\nTo: a@b.example\r\nCc: jo@corp.example\r\n"
                + "Subject: =?utf-8?B?am9AY29ycC5leGFtcGxl?= password\r\n\r\nhi\r\n");
        assertThat(cc).contains("hdr:rcpt-in-subject").doesNotContain("hdr:rcpt-domain-in-from-name");
        // the local part alone, the recipient's name, or a domain only in the sender's address are ordinary
        Set<String> plain = tokens("From: Corp Newsletter <news@corp.example>\r\nTo: jo@corp.example\r\n"
                + "Subject: jo, your corp news\r\n\r\nsent to jo@corp.example\r\n");
        assertThat(plain).doesNotContain("hdr:rcpt-in-subject", "hdr:rcpt-domain-in-from-name");
        assertThat(tokens("From: corp.example <a@corp.example>\r\nSubject: corp.example\r\n\r\nhi\r\n"))
                .doesNotContain("hdr:rcpt-in-subject", "hdr:rcpt-domain-in-from-name");
    }

    @Test
    void recipientEchoesLookAtTheFirstRecipientsOnly() throws Exception {
        String many = "a@b.example, ".repeat(4_000);
        Set<String> t = tokens("From: s@t.example\r\nTo: " + many + "jo@corp.example\r\n"
                + "Subject: a@b.example and jo@corp.example\r\n\r\nhi\r\n");
        assertThat(t).contains("hdr:rcpt-in-subject");
        Set<String> late = tokens("From: s@t.example\r\nTo: " + many + "jo@corp.example\r\n"
                + "Subject: for jo@corp.example\r\n\r\nhi\r\n");
        assertThat(late).doesNotContain("hdr:rcpt-in-subject");
    }

    @Test
    void linkCarryingTheRecipientInItsFragmentOrElsewhere() throws Exception {
        String head = "From: IT Desk <desk@stranger.example>\r\nTo: Jo <Jo.Smith@Corp.example>\r\nSubject: Mailbox\r\n"
                + "MIME-Version: 1.0\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n";
        // the kits' ways: the address after '#', as is, with %40, in base64 and in base64url, in any case
        for (String link : List.of(
                "https://pub-1.r2.dev/index.html#jo.smith@corp.example",
                "https://x.example/a?b=c#JO.SMITH%40CORP.EXAMPLE",
                "https://x.example/#email=jo.smith@corp.example&x=1",
                "https://x.example/p#" + b64("jo.smith@corp.example", false),
                "https://x.example/p#e=" + b64("jo.smith@corp.example", false),
                "https://x.example/p#" + b64("jo.smith@corp.example?>>", true),
                "https://x.example/p#" + b64("jo.smith@corp.example?>>", true) + "/x+y",
                "https://x.example/app#/" + b64("jo.smith@corp.example", false),
                "https://x.example/#jo.smith&#64;corp.example")) {
            assertThat(tokens(head + "<a href=\"" + link + "\">Open</a>"))
                    .as(link)
                    .contains("url-rcpt-fragment")
                    .doesNotContain("url-rcpt");
        }
        // in the query or path: an unsubscribe link does that too, a separate token
        assertThat(tokens(head + "<a href=\"https://news.example/unsub?email=jo.smith%40corp.example\">x</a>"))
                .contains("url-rcpt")
                .doesNotContain("url-rcpt-fragment");
        assertThat(tokens(head + "Visit https://x.example/login?u=jo.smith@corp.example now"))
                .contains("url-rcpt");
        // a '#' of an HTML character reference in a query is not a fragment
        assertThat(tokens(head + "<a href=\"https://x.example/u?a=1&#38;email=jo.smith@corp.example\">x</a>"))
                .contains("url-rcpt")
                .doesNotContain("url-rcpt-fragment");
        assertThat(tokens(head + "<a href=\"https://x.example/u?email=jo.smith&#x40;corp.example\">x</a>"))
                .contains("url-rcpt");
        // another address, a longer one that ends with the recipient's, the address outside any link, a fragment
        // naming only the domain: none
        for (String body : List.of(
                "<a href=\"https://x.example/#ann@corp.example\">x</a>",
                "<a href=\"https://x.example/#xjo.smith@corp.example\">x</a>",
                "<a href=\"https://x.example/#jo.smith@corp.example.evil\">x</a>",
                "(https://x.example/login) jo.smith@corp.example",
                "https://x.example/login\u00a0jo.smith@corp.example",
                "<a href=\"https://x.example/#\">x</a> jo.smith@corp.example",
                "<a href=\"https://x.example/#corp.example\">x</a>",
                "<a href=\"https://x.example/#" + b64("ann@corp.example", false) + "\">x</a>")) {
            assertThat(tokens(head + body)).as(body).doesNotContain("url-rcpt-fragment", "url-rcpt");
        }
        // without a To or Cc field there is no one to compare with
        assertThat(tokens("From: a@b.example\r\nSubject: x\r\n\r\nhttps://x.example/#jo@corp.example\r\n"))
                .doesNotContain("url-rcpt-fragment", "url-rcpt");
    }

    private static String b64(String s, boolean url) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return (url ? java.util.Base64.getUrlEncoder() : java.util.Base64.getEncoder())
                .withoutPadding()
                .encodeToString(b);
    }

    @Test
    void recipientLinksStayLinear() {
        List<String> rcpt = List.of("jo@corp.example", "a".repeat(60) + "@b.example");
        String ats = "http://x.example/" + "a@".repeat(150_000);
        String percents = "http://x.example/#" + "a%40".repeat(80_000);
        String links = "http://#".repeat(60_000);
        String base64 = "http://x.example/#" + "QUFB".repeat(70_000);
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(20), () -> {
            for (String text : List.of(ats, percents, links, base64)) {
                Set<String> out = new LinkedHashSet<>();
                Tokenizer.recipientLinks(text, rcpt, out);
                assertThat(out).isEmpty();
            }
        });
    }

    @Test
    void recipientLinkTokensOnlyWhenTheAddressIsInALink() {
        List<String> pieces = List.of(
                "http://", "x.example/", "#", "?e=", "jo@corp.example", "jo%40corp.example", " ", "\"", "a", "@", ".");
        qt().withExamples(500)
                .forAll(lists().of(integers().between(0, pieces.size() - 1)).ofSizeBetween(0, 30))
                .checkAssert(ps -> {
                    StringBuilder sb = new StringBuilder();
                    ps.forEach(i -> sb.append(pieces.get(i)));
                    String text = sb.toString();
                    Set<String> out = new LinkedHashSet<>();
                    Tokenizer.recipientLinks(text, List.of("jo@corp.example"), out);
                    assertThat(out).isSubsetOf("url-rcpt", "url-rcpt-fragment");
                    if (!out.isEmpty()) {
                        // some link (from "http" to a blank or quote) holds the address, in one of its forms
                        assertThat(java.util.Arrays.stream(text.split("[ \"]"))
                                        .filter(w -> w.contains("http"))
                                        .map(w -> w.substring(w.indexOf("http")))
                                        .anyMatch(w -> java.util.regex.Pattern.compile(
                                                        "(^|[^a-z0-9._+-])jo(@|%40)corp\\.example(?!\\.*[a-z0-9-])")
                                                .matcher(w)
                                                .find()))
                                .as(text)
                                .isTrue();
                    }
                    if (!text.contains("#")) {
                        assertThat(out).doesNotContain("url-rcpt-fragment");
                    }
                });
    }

    @Test
    void eightBitTextWithoutDeclaredCharset() throws Exception {
        assertThat(tokens("From: a@b.example\r\nSubject: x\r\n\r\ncaf\u00e9 cr\u00e8me\r\n"))
                .contains("charset:undeclared-8bit");
        assertThat(
                        tokens(
                                "From: a@b.example\r\nSubject: x\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\ncaf\u00e9\r\n"))
                .doesNotContain("charset:undeclared-8bit");
    }

    private static final List<String> PIECES = List.of(
            "<a href=\"", "http://", "www.", "x.example", "\">", "</a>", "<form", "<", ">", "text ", "1.2.3.4", "'");

    @Test
    void htmlStructureNeverFailsOnFragments() {
        qt().withExamples(300)
                .forAll(lists().of(integers().between(0, PIECES.size() - 1)).ofSizeBetween(0, 60))
                .checkAssert(ps -> {
                    StringBuilder sb = new StringBuilder();
                    ps.forEach(i -> sb.append(PIECES.get(i)));
                    Set<String> out = new LinkedHashSet<>();
                    Tokenizer.htmlStructure(sb.toString(), out);
                    assertThat(out).allMatch(t -> t.startsWith("html:"));
                    // deterministic: the same input gives the same tokens
                    Set<String> again = new LinkedHashSet<>();
                    Tokenizer.htmlStructure(sb.toString(), again);
                    assertThat(again).isEqualTo(out);
                });
    }
}
