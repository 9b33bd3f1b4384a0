package org.mailhygiene.scanners.bayes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.MessageContent;

/** Bounce, backscatter and auto-reply detection on messages written here (no corpus text). */
class BounceDetectorTest {
    private final BounceDetector detector = BounceDetector.create();
    private final BounceDetector ours = BounceDetector.withLocalDomains(List.of("dept-a.example", ".dept-b.example"));

    static final String SPAMMY_ORIGINAL = "From: \"Pharmacy\" <sales@cheap-pills.example>\r\n"
            + "To: someone@victim.example\r\n"
            + "Message-ID: <abc@cheap-pills.example>\r\n"
            + "Subject: FREE VIAGRA!!! Click now $$$\r\n\r\n"
            + "Buy cheap viagra cialis now, limited offer, click here http://cheap-pills.example/buy\r\n";

    static String rfc3464(String originalFrom) {
        return "Return-Path: <>\r\n"
                + "From: MAILER-DAEMON@mx.remote.example (Mail Delivery System)\r\n"
                + "To: alice@dept-a.example\r\n"
                + "Subject: Undelivered Mail Returned to Sender\r\n"
                + "MIME-Version: 1.0\r\n"
                + "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n"
                + "--b1\r\nContent-Type: text/plain\r\n\r\nThe mail system could not deliver your message.\r\n"
                + "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
                + "Reporting-MTA: dns; mx.remote.example\r\n\r\nFinal-Recipient: rfc822; bob@remote.example\r\n"
                + "Action: failed\r\nStatus: 5.1.1\r\n"
                + "--b1\r\nContent-Type: message/rfc822\r\n\r\n"
                + SPAMMY_ORIGINAL.replace("sales@cheap-pills.example", originalFrom)
                + "--b1--\r\n";
    }

    private MailKind kind(BounceDetector d, String message) throws Exception {
        return d.detect(MessageContent.ofBytes(message.getBytes(StandardCharsets.ISO_8859_1)));
    }

    private MailKind kind(BounceDetector d, byte[] message) throws Exception {
        return d.detect(MessageContent.ofBytes(message));
    }

    @Test
    void standardDsnIsABounceWhateverItQuotes() throws Exception {
        MailKind k = kind(detector, rfc3464("sales@cheap-pills.example"));
        assertThat(k.kind()).isEqualTo(MailKind.Kind.BOUNCE);
        assertThat(k.evidence()).contains("dsn:multipart/report", "dsn:message/delivery-status");
    }

    @Test
    void rfc822HeadersPartAloneIsABounce() throws Exception {
        String m = "From: someone@remote.example\r\nSubject: report\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
                + "--x\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: a@b.example\r\nSubject: hi\r\n--x--\r\n";
        assertThat(kind(detector, m).evidence()).contains("dsn:text/rfc822-headers");
    }

    @Test
    void qmailStyleBounce() throws Exception {
        String m = "Return-Path: <>\r\nFrom: MAILER-DAEMON@mail.remote.example\r\nTo: alice@dept-a.example\r\n"
                + "Subject: failure notice\r\n\r\nHi. This is the qmail-send program at mail.remote.example.\r\n"
                + "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n\r\n"
                + "--- Below this line is a copy of the message.\r\n\r\n" + SPAMMY_ORIGINAL;
        MailKind k = kind(detector, m);
        assertThat(k.kind()).isEqualTo(MailKind.Kind.BOUNCE);
        assertThat(k.evidence()).contains("return-path:<>", "from:mailer-daemon", "subject:failure notice");
    }

    @Test
    void exchangeStyleBounceFoundByItsWording() throws Exception {
        String m = "From: Microsoft Outlook <postmaster@corp.example>\r\nTo: alice@dept-a.example\r\n"
                + "Subject: Re: your order\r\nContent-Type: text/plain\r\n\r\n"
                + "Delivery has failed to these recipients or groups:\r\n\r\nbob@corp.example\r\n";
        MailKind k = kind(detector, m);
        assertThat(k.kind()).isEqualTo(MailKind.Kind.BOUNCE);
        assertThat(k.evidence()).anyMatch(e -> e.startsWith("text:"));
    }

    @Test
    void japaneseBounceInIso2022Jp() throws Exception {
        Charset jis = Charset.forName("ISO-2022-JP");
        String subject = "=?ISO-2022-JP?B?" + Base64.getEncoder().encodeToString("配信不能のお知らせ".getBytes(jis)) + "?=";
        byte[] head = ("Return-Path: <>\r\nFrom: postmaster@mail.remote.example\r\nSubject: " + subject
                        + "\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] body = "次の宛先にメールを配信できませんでした。\r\n".getBytes(jis);
        byte[] m = new byte[head.length + body.length];
        System.arraycopy(head, 0, m, 0, head.length);
        System.arraycopy(body, 0, m, head.length, body.length);
        MailKind k = kind(detector, m);
        assertThat(k.kind()).isEqualTo(MailKind.Kind.BOUNCE);
        assertThat(k.evidence()).contains("subject:配信不能");
    }

    @Test
    void bounceSubjectFromAnOrdinarySenderIsNotABounce() throws Exception {
        String m = "From: \"Support\" <support@shop.example>\r\nSubject: Undeliverable parcel - verify your address\r\n"
                + "\r\nYour parcel could not be delivered to you. Click here.\r\n";
        assertThat(kind(detector, m)).isEqualTo(MailKind.ORDINARY);
    }

    @Test
    void nullSenderWithoutBounceWordingIsNotABounce() throws Exception {
        String m = "Return-Path: <>\r\nFrom: news@list.example\r\nSubject: Weekly digest\r\n\r\nhello world\r\n";
        assertThat(kind(detector, m)).isEqualTo(MailKind.ORDINARY);
    }

    @Test
    void backscatterOnlyWithLocalDomains() throws Exception {
        String forged = rfc3464("sales@cheap-pills.example");
        assertThat(kind(detector, forged).kind()).isEqualTo(MailKind.Kind.BOUNCE);
        MailKind k = kind(ours, forged);
        assertThat(k.kind()).isEqualTo(MailKind.Kind.BACKSCATTER);
        assertThat(k.evidence()).anyMatch(e -> e.startsWith("original-not-ours:cheap-pills.example"));
    }

    @Test
    void bounceOfOurOwnMailIsABounce() throws Exception {
        assertThat(kind(ours, rfc3464("alice@dept-a.example")).kind()).isEqualTo(MailKind.Kind.BOUNCE);
        assertThat(kind(ours, rfc3464("carol@lab.dept-b.example")).kind()).isEqualTo(MailKind.Kind.BOUNCE);
    }

    @Test
    void bounceWithoutQuotedOriginalStaysABounce() throws Exception {
        String m =
                "Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.remote.example\r\nSubject: Returned mail: see transcript\r\n"
                        + "\r\nThe original message was received at Mon, 1 Dec 2026\r\nUser unknown\r\n";
        MailKind k = kind(ours, m);
        assertThat(k.kind()).isEqualTo(MailKind.Kind.BOUNCE);
        assertThat(k.evidence()).contains("original:not-found");
    }

    @Test
    void autoReplies() throws Exception {
        assertThat(kind(detector, "From: a@b.example\r\nAuto-Submitted: auto-replied\r\nSubject: x\r\n\r\nbody\r\n")
                        .evidence())
                .containsExactly("auto-submitted:auto-replied");
        assertThat(kind(detector, "From: a@b.example\r\nAuto-Submitted: no\r\nSubject: x\r\n\r\nbody\r\n"))
                .isEqualTo(MailKind.ORDINARY);
        assertThat(kind(
                                detector,
                                "From: a@b.example\r\nIn-Reply-To: <1@c.example>\r\nSubject: Out of Office: meeting\r\n\r\nI am away.\r\n")
                        .kind())
                .isEqualTo(MailKind.Kind.AUTO_REPLY);
        // a subject that opens like an automatic reply is enough on its own (Lotus Notes sends no other sign)
        assertThat(kind(
                                detector,
                                "From: j@b.example\r\nSubject: AUTO: Smith, John is out of the office\r\n\r\nback soon\r\n")
                        .evidence())
                .containsExactly("subject-starts:auto:");
        assertThat(kind(
                                detector,
                                "From: staff@hotmail.example\r\nSubject: complaint about message from 192.0.2.1\r\n\r\nx\r\n")
                        .evidence())
                .containsExactly("report:complaint");
        // the subject alone, on a message that replies to nothing, is not enough
        assertThat(kind(detector, "From: a@b.example\r\nSubject: Vacation deals for you\r\n\r\ncheap\r\n"))
                .isEqualTo(MailKind.ORDINARY);
        assertThat(kind(
                                detector,
                                "From: a@b.example\r\nContent-Type: multipart/report; report-type=disposition-notification; boundary=z\r\n\r\n--z--\r\n")
                        .evidence())
                .containsExactly("report:disposition-notification");
    }

    @Test
    void localDomainsAreValidated() {
        assertThatThrownBy(() -> BounceDetector.withLocalDomains(List.of("a@b")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BounceDetector.withLocalDomains(List.of(" ")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(BounceDetector.withLocalDomains(List.of(".Dept-A.Example")).localDomains())
                .containsExactly("dept-a.example");
    }

    @Test
    void contentTypeParameter() {
        assertThat(BounceDetector.parameter(
                        "multipart/report; report-type=\"delivery-status\"; boundary=x", "report-type"))
                .contains("delivery-status");
        assertThat(BounceDetector.parameter("multipart/report;report-type=delivery-status", "report-type"))
                .contains("delivery-status");
        assertThat(BounceDetector.parameter("multipart/mixed; x-report-type=a", "report-type"))
                .isEmpty();
    }

    private static final List<String> WORDS =
            List.of("hello", "meeting", "invoice", "cheap", "offer", "project", "free", "click", "schedule", "team");

    @Test
    void ordinaryMailFromPeopleIsNeverABounceOrAutoReply() {
        qt().withExamples(200)
                .forAll(lists().of(integers().between(0, WORDS.size() - 1)).ofSizeBetween(0, 40))
                .checkAssert(ws -> {
                    StringBuilder body = new StringBuilder();
                    ws.forEach(i -> body.append(WORDS.get(i)).append(' '));
                    String m = "From: Bob <bob@remote.example>\r\nSubject: "
                            + body.substring(0, Math.min(30, body.length())) + "\r\n\r\n" + body + "\r\n";
                    try {
                        assertThat(kind(ours, m)).isEqualTo(MailKind.ORDINARY);
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
    }

    @Test
    void whateverADsnQuotesItStaysABounce() {
        qt().withExamples(100)
                .forAll(lists().of(integers().between(0, WORDS.size() - 1)).ofSizeBetween(0, 60))
                .checkAssert(ws -> {
                    StringBuilder quoted = new StringBuilder();
                    ws.forEach(i -> quoted.append(WORDS.get(i)).append(i % 3 == 0 ? "\r\n" : " "));
                    String m = rfc3464("sales@cheap-pills.example").replace("Buy cheap viagra", quoted + " viagra");
                    try {
                        assertThat(kind(detector, m).kind()).isEqualTo(MailKind.Kind.BOUNCE);
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
    }
}
