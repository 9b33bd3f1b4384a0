package org.mailhygiene.scanners.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mailhygiene.scanners.TestMessages.ascii;
import static org.mailhygiene.scanners.TestMessages.base64;
import static org.mailhygiene.scanners.TestMessages.crlf;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.scanners.attachments.AttachmentPolicyScanner;

/**
 * A multipart boundary given twice in one Content-Type (session 48's MIME audit): the walker splits at the last, as
 * Jakarta Mail reads it; CPython's email package at the first. Until session 49 {@code boundary="B"; boundary="A"} with
 * a program in the {@code --B} parts was one text part here and clean for the attachment policy, while CPython showed
 * the program.
 */
class MimeWalkerBoundaryTwiceTest {

    private static byte[] message(String parameters) {
        byte[] program = new byte[64];
        program[0] = 'M';
        program[1] = 'Z';
        return ascii(crlf(
                "From: a@example.org",
                "MIME-Version: 1.0",
                "Content-Type: multipart/mixed; " + parameters,
                "",
                "--A",
                "Content-Type: text/plain",
                "",
                "hi",
                "--B",
                "Content-Type: application/octet-stream; name=\"run.exe\"",
                "Content-Transfer-Encoding: base64",
                "",
                base64(program),
                "--B--",
                "--A--"));
    }

    private static MimeWalkResult walk(byte[] message) throws IOException {
        return MimeWalker.defaults().walk(MessageContent.ofBytes(message), (p, in) -> {
            in.transferTo(OutputStream.nullOutputStream());
            return true;
        });
    }

    @Test
    void aBoundaryGivenTwiceWithDifferentValuesIsAConflictingHeaderWhicheverComesFirst() throws Exception {
        for (String parameters : List.of("boundary=\"A\"; boundary=\"B\"", "boundary=\"B\"; boundary=\"A\"")) {
            MimeWalkResult r = walk(message(parameters));
            assertThat(r.findings()).as(parameters).hasSize(1);
            MimeFinding f = r.findings().get(0);
            assertThat(f.kind()).isEqualTo(MimeFinding.Kind.CONFLICTING_HEADER);
            assertThat(f.path()).isEmpty();
            assertThat(f.detail())
                    .contains("boundary 2 times", "split at \"" + parameters.charAt(parameters.length() - 2) + "\"");
            Verdict v = AttachmentPolicyScanner.create().scan(Message.of(message(parameters)));
            assertThat(v.outcome()).as(parameters).isNotEqualTo(Outcome.CLEAN);
            assertThat(v.rules()).extracting(Rule::name).contains("MIME_BROKEN");
        }
    }

    @Test
    void theSameBoundaryGivenTwiceIsNoFinding() throws IOException {
        assertThat(walk(message("boundary=\"A\"; boundary=\"A\"")).findings()).isEmpty();
    }
}
