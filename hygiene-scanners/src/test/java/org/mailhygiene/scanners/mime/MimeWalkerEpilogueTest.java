package org.mailhygiene.scanners.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mailhygiene.scanners.TestMessages.ascii;
import static org.mailhygiene.scanners.TestMessages.base64;
import static org.mailhygiene.scanners.TestMessages.crlf;
import static org.mailhygiene.scanners.TestMessages.eicar;

import java.io.IOException;
import java.io.OutputStream;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.scanners.attachments.AttachmentPolicyScanner;

/**
 * Parts after a multipart's close delimiter (session 48's MIME audit): clamd reads on and finds EICAR there; mail
 * clients and CPython's email package show none of it, nor does the walker walk it. Until session 49 such a message was
 * clean for the attachment policy and {@code --builtin}; now it is an {@link MimeFinding.Kind#AMBIGUOUS_MULTIPART}
 * (MIME_BROKEN). Text or base64 in the preamble or epilogue without a delimiter line is shown and scanned by none of
 * them (clamd included), and stays no finding.
 */
class MimeWalkerEpilogueTest {

    private static byte[] message(String epilogue) {
        return ascii(crlf(
                "From: a@example.org",
                "MIME-Version: 1.0",
                "Content-Type: multipart/mixed; boundary=\"B\"",
                "",
                "This is a multi-part message in MIME format.",
                "--B",
                "Content-Type: text/plain",
                "",
                "hi",
                "--B--",
                epilogue));
    }

    private static MimeWalkResult walk(byte[] message) throws IOException {
        return MimeWalker.defaults().walk(MessageContent.ofBytes(message), (p, in) -> {
            in.transferTo(OutputStream.nullOutputStream());
            return true;
        });
    }

    private static final String PART = crlf(
            "--B",
            "Content-Type: application/octet-stream; name=\"eicar.com\"",
            "Content-Transfer-Encoding: base64",
            "",
            base64(ascii(eicar())),
            "--B--");

    @Test
    void aDelimiterLineAfterTheCloseIsAnAmbiguousMultipartAndBrokenMime() throws Exception {
        MimeWalkResult r = walk(message(PART));
        assertThat(r.findings()).extracting(MimeFinding::kind).containsExactly(MimeFinding.Kind.AMBIGUOUS_MULTIPART);
        assertThat(r.findings().get(0).path()).isEmpty();
        Verdict v = AttachmentPolicyScanner.create().scan(Message.of(message(PART)));
        assertThat(v.outcome()).isEqualTo(Outcome.SUSPICIOUS);
        assertThat(v.rules()).extracting(Rule::name).containsExactly(AttachmentPolicyScanner.MIME_BROKEN);
        assertThat(v.rules().get(0).description()).contains("parts after the closing boundary");
    }

    @Test
    void anEpilogueWithoutADelimiterLineIsNoFinding() throws IOException {
        for (String epilogue : new String[] {"", "bye", base64(ascii(eicar())), "--B--", "--Bx", "--", "---"}) {
            assertThat(walk(message(epilogue)).findings()).as(epilogue).isEmpty();
        }
    }

    @Test
    void aNestedMultipartsEpilogueIsReadWithinItsPartOnly() throws IOException {
        byte[] nested = ascii(crlf(
                "From: a@example.org",
                "MIME-Version: 1.0",
                "Content-Type: multipart/mixed; boundary=\"OUT\"",
                "",
                "--OUT",
                "Content-Type: multipart/alternative; boundary=\"B\"",
                "",
                "--B",
                "Content-Type: text/plain",
                "",
                "hi",
                "--B--",
                "--OUT",
                "Content-Type: text/plain",
                "",
                "--B",
                "--OUT--"));
        assertThat(walk(nested).findings()).isEmpty();
    }
}
