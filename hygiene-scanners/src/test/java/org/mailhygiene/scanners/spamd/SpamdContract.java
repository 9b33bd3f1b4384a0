package org.mailhygiene.scanners.spamd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;

/**
 * What the adapter relies on, run against FakeSpamd and against the installed spamd, so that the fake stays honest.
 */
interface SpamdContract {

    /** {@code host:port} of the spamd under test. */
    String spamdAddress();

    default SpamdClient client() {
        return SpamdClient.builder(spamdAddress()).build();
    }

    default SpamdScanner scanner() {
        return SpamdScanner.builder().server(spamdAddress()).build();
    }

    @Test
    default void pingAnswersPong() throws Exception {
        assertThat(client().ping()).isPositive();
    }

    @Test
    default void gtubeIsSpamWithTheGtubeRule() throws Exception {
        Verdict v = scanner().scan(Message.of(TestMessages.gtube()));
        assertThat(v.outcome()).isEqualTo(Outcome.SPAM);
        assertThat(v.score().getAsDouble()).isGreaterThanOrEqualTo(990.0);
        assertThat(v.threshold()).hasValue(5.0);
        assertThat(v.rules().get(0).name()).isEqualTo("GTUBE");
        assertThat(v.rules().get(0).score()).hasValue(1000.0);
        assertThat(v.rules().get(0).description()).contains("Generic Test for Unsolicited Bulk Email");
    }

    /**
     * GTUBE is a body rule: SpamAssassin matches it in the decoded text of the message's text parts, and not in the
     * bytes of a binary attachment. A fake that searched the raw bytes called a base64-encoded GTUBE clean and an
     * attachment holding it spam, the reverse of spamd.
     */
    @Test
    default void gtubeCountsInDecodedTextNotInABinaryAttachment() throws Exception {
        String gtube = org.mailhygiene.testkit.spamd.FakeSpamd.GTUBE;
        String b64 = java.util.Base64.getMimeEncoder()
                .encodeToString(("Hello,\r\n" + gtube + "\r\n").getBytes(StandardCharsets.US_ASCII));
        String head = "From: a@example.net\r\nTo: b@example.org\r\nSubject: test\r\n"
                + "Date: Sat, 05 Dec 2026 10:00:00 +0000\r\nMessage-ID: <g1@example.net>\r\nMIME-Version: 1.0\r\n";
        byte[] encoded = (head
                        + "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                        + b64 + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        assertThat(client().check(MessageContent.ofBytes(encoded)).spam())
                .as("base64 text")
                .contains(true);
        byte[] attached = (head + "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
                        + "Content-Type: text/plain\r\n\r\nSee the file.\r\n--b\r\n"
                        + "Content-Type: application/octet-stream; name=\"x.bin\"\r\n"
                        + "Content-Disposition: attachment; filename=\"x.bin\"\r\n\r\n"
                        + gtube + "\r\n--b--\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        assertThat(client().check(MessageContent.ofBytes(attached)).spam())
                .as("binary attachment")
                .contains(false);
        byte[] qp = (head + "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                        + gtube.replace("*", "=2A") + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        assertThat(client().check(MessageContent.ofBytes(qp)).spam())
                .as("quoted-printable text")
                .contains(true);
        byte[] subject = ("From: a@example.net\r\nTo: b@example.org\r\nSubject: " + gtube + "\r\n"
                        + "Date: Sat, 05 Dec 2026 10:00:00 +0000\r\nMessage-ID: <g2@example.net>\r\n\r\nHello.\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        assertThat(client().check(MessageContent.ofBytes(subject)).spam())
                .as("Subject")
                .contains(true);
    }

    @Test
    default void hamIsClean() throws Exception {
        SpamdResponse r = client().check(MessageContent.ofBytes(TestMessages.ham()));
        assertThat(r.protocolVersion()).isEqualTo("1.1");
        assertThat(r.spam()).contains(false);
        assertThat(r.score().getAsDouble()).isLessThan(5.0);
        assertThat(r.body()).isEmpty();
    }

    @Test
    default void symbolsAndReportNameTheSameRules() throws Exception {
        MessageContent m = MessageContent.ofBytes(TestMessages.gtube());
        List<String> symbols = client().symbols(m).symbols();
        List<Rule> report = client().report(m).reportRules().orElseThrow();
        Set<String> fromReport = new TreeSet<>();
        report.forEach(r -> fromReport.add(r.name()));
        assertThat(new TreeSet<>(symbols)).isEqualTo(fromReport).contains("GTUBE");
    }

    @Test
    default void reportIfSpamOnHamSaysNoWithAnEmptyBody() throws Exception {
        SpamdResponse r = client().reportIfSpam(MessageContent.ofBytes(TestMessages.ham()));
        assertThat(r.spam()).contains(false);
        assertThat(r.body()).isEmpty();
        SpamdResponse s = client().reportIfSpam(MessageContent.ofBytes(TestMessages.gtube()));
        assertThat(s.spam()).contains(true);
        assertThat(s.reportRules().orElseThrow()).extracting(Rule::name).contains("GTUBE");
    }

    @Test
    default void headersAndProcessAddSpamHeaders() throws Exception {
        MessageContent m = MessageContent.ofBytes(TestMessages.ham());
        String headers = client().headers(m).bodyText();
        assertThat(headers).contains("X-Spam-Status: No").doesNotContain("minutes of yesterday");
        String processed = client().process(m).bodyText();
        assertThat(processed).contains("X-Spam-Status: No").contains("minutes of yesterday's meeting");
    }

    @Test
    default void compressedAndPlainRequestsScoreTheSame() throws Exception {
        MessageContent m = MessageContent.ofBytes(TestMessages.gtube());
        SpamdClient zlib = SpamdClient.builder(spamdAddress()).compress(true).build();
        assertThat(zlib.check(m).score()).isEqualTo(client().check(m).score());
    }

    @Test
    default void tellIsRefusedWithoutAllowTell() {
        assertThatThrownBy(() -> client().tell(MessageContent.ofBytes(TestMessages.ham()), TellRequest.forget()))
                .isInstanceOfSatisfying(SpamdException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ScanFailure.Kind.UNAVAILABLE);
                    assertThat(e.responseCode()).hasValue(SpamdException.EX_UNAVAILABLE);
                });
    }

    @Test
    default void unknownMethodAndShortBodyAreProtocolErrors() throws Exception {
        assertThat(raw("FROB SPAMC/1.5\r\n\r\n", true)).startsWith("SPAMD/1.0 76 Bad header line: FROB SPAMC/1.5");
        assertThat(raw("CHECK SPAMC/1.5\r\nContent-length: 100\r\n\r\nSubject: short\r\n\r\nx\r\n", true))
                .startsWith("SPAMD/1.0 76 Bad header line: (Content-Length mismatch: Expected 100 bytes, got ");
    }

    @Test
    default void capitalisedContentLengthIsIgnoredAndTheBodyReadToEof() throws Exception {
        String gtube = new String(TestMessages.gtube(), StandardCharsets.US_ASCII);
        String reply = raw("CHECK SPAMC/1.5\r\nContent-Length: 5\r\n\r\n" + gtube, true);
        assertThat(reply).startsWith("SPAMD/1.1 0 EX_OK\r\nSpam: True ; ");
    }

    /**
     * spamd ends a request's header block only at an empty line ending in CRLF (a bare LF line is a header without a
     * colon), reads {@code Name:value} without a blank after the colon, takes only digits as a Content-length, and
     * answers a request cut short before its header block ended or before its first line with a protocol error. The
     * fake answered the LF-only requests and the cut PING normally, refused {@code Content-length:5}, answered nothing
     * for {@code Content-length: -1}, and worded the non-numeric error without spamd's parentheses (spamd 4.0.1,
     * compared in session 46).
     */
    @Test
    default void requestFramingIsReadAsSpamdReadsIt() throws Exception {
        String notNameValue = "SPAMD/1.0 76 Bad header line: (header not in 'Name: value' format)\r\n";
        assertThat(raw("PING SPAMC/1.5\n\n", true)).isEqualTo(notNameValue);
        assertThat(raw("CHECK SPAMC/1.5\r\nContent-length: 5\r\n\nhello", true)).isEqualTo(notNameValue);
        assertThat(raw("PING SPAMC/1.5\r\n", true)).isEqualTo("SPAMD/1.0 76 Bad header line: (EOF during headers)\r\n");
        assertThat(raw("", true)).isEqualTo("SPAMD/1.0 76 Bad header line: (closed before headers)\r\n");
        String nonNumeric = "SPAMD/1.0 76 Bad header line: (Content-Length contains non-numeric bytes)\r\n";
        assertThat(raw("CHECK SPAMC/1.5\r\nContent-length: -1\r\n\r\nhello", true))
                .isEqualTo(nonNumeric);
        assertThat(raw("CHECK SPAMC/1.5\r\nContent-length: 5x\r\n\r\nhello", true))
                .isEqualTo(nonNumeric);
        String gtube = new String(TestMessages.gtube(), StandardCharsets.US_ASCII);
        assertThat(raw("CHECK SPAMC/1.5\r\nContent-length:" + gtube.length() + "\r\n\r\n" + gtube, true))
                .startsWith("SPAMD/1.1 0 EX_OK\r\nSpam: True ; ");
        // a header line ending in a bare LF is still a header; only the empty line must be CRLF
        assertThat(raw("CHECK SPAMC/1.5\nContent-length: " + gtube.length() + "\n\r\n" + gtube, true))
                .startsWith("SPAMD/1.1 0 EX_OK\r\nSpam: True ; ");
    }

    /**
     * SpamAssassin decodes RFC 2047 encoded words in the Subject before its body rules read it, so GTUBE encoded
     * there is spam (spamd 4.0.1: 1003.3 points); the fake searched the Subject as sent and called it clean.
     */
    @Test
    default void gtubeInAnEncodedSubjectIsSpam() throws Exception {
        String gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";
        String q = "=?us-ascii?Q?" + gtube.replace("*", "=2A") + "?=";
        String b = "=?UTF-8?B?"
                + java.util.Base64.getEncoder()
                        .encodeToString(gtube.substring(0, 20).getBytes(StandardCharsets.US_ASCII))
                + "?= =?utf-8?b?"
                + java.util.Base64.getEncoder()
                        .encodeToString(gtube.substring(20).getBytes(StandardCharsets.US_ASCII))
                + "?=";
        for (String subject : List.of(q, b)) {
            byte[] message = ("From: a@example.com\r\nTo: b@example.org\r\nSubject: " + subject
                            + "\r\nMessage-ID: <1@example.com>\r\n\r\nhello\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            Verdict v = scanner().scan(Message.of(message));
            assertThat(v.outcome()).as(subject).isEqualTo(Outcome.SPAM);
            assertThat(v.rules()).extracting(Rule::name).as(subject).contains("GTUBE");
        }
    }

    /** Sends raw request text, optionally half-closes, returns the whole reply. */
    private String raw(String request, boolean halfClose) throws IOException {
        String[] hp = spamdAddress().split(":");
        try (Socket s = new Socket(hp[0], Integer.parseInt(hp[1]))) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            if (halfClose) {
                s.shutdownOutput();
            }
            InputStream in = s.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toString(StandardCharsets.ISO_8859_1);
        }
    }
}
