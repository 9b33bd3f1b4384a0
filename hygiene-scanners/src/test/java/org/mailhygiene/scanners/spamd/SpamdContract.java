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
