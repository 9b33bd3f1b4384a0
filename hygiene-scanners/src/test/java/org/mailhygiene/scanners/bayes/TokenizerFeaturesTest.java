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
