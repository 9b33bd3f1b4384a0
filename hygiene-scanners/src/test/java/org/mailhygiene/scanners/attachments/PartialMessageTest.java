package org.mailhygiene.scanners.attachments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mailhygiene.scanners.TestMessages.ascii;
import static org.mailhygiene.scanners.TestMessages.base64;
import static org.mailhygiene.scanners.TestMessages.crlf;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.Verdict;

/**
 * A message split into {@code message/partial} fragments (RFC 2046 5.2.2) with a program attached (session 48's MIME
 * audit): no fragment holds a whole part, so until session 49 each was clean for the attachment policy, while a client
 * that puts fragments together (Outlook Express) shows the program. A BinHex part that holds no BinHex file likewise.
 */
class PartialMessageTest {

    private static String fragment(int number, int total, String body) {
        return crlf(
                "From: a@example.org",
                "Subject: part " + number,
                "MIME-Version: 1.0",
                "Content-Type: message/partial; id=\"f1@example.org\"; number=" + number + "; total=" + total,
                "",
                body);
    }

    private static String whole() {
        byte[] program = new byte[64];
        program[0] = 'M';
        program[1] = 'Z';
        return crlf(
                "MIME-Version: 1.0",
                "Content-Type: multipart/mixed; boundary=\"IN\"",
                "",
                "--IN",
                "Content-Type: application/octet-stream; name=\"run.exe\"",
                "Content-Transfer-Encoding: base64",
                "",
                base64(program),
                "--IN--");
    }

    /**
     * A BinHex 4.0 part without a BinHex file in it (no banner line): clamd and BinHex tools may read it otherwise, so it
     * is broken MIME (until session 50 every BinHex part was, undecoded; {@link BinHexTest} for those decoded).
     */
    @Test
    void aBinHexPartWithoutABinHexFileIsBrokenMime() throws Exception {
        String message = crlf(
                "From: a@example.org",
                "MIME-Version: 1.0",
                "Content-Type: multipart/mixed; boundary=\"B\"",
                "",
                "--B",
                "Content-Type: text/plain",
                "",
                "hi",
                "--B",
                "Content-Type: application/mac-binhex40; name=\"notes.hqx\"",
                "",
                ":#@0KCfKPE!\"$4%4&8%0%9%3!!!!!8!!!!!!!!!!!!!!:",
                "--B--");
        Verdict v = AttachmentPolicyScanner.create().scan(Message.of(ascii(message)));
        assertThat(v.outcome()).isEqualTo(Outcome.SUSPICIOUS);
        assertThat(v.rules()).extracting(Rule::name).containsExactly(AttachmentPolicyScanner.MIME_BROKEN);
        assertThat(v.rules().get(0).description())
                .startsWith("part 2 \"notes.hqx\": BinHex 4.0 part in which no BinHex file");
    }

    @Test
    void aFragmentIsBrokenMimeAndWithTheCheckOffNotInspected() throws Exception {
        String whole = whole();
        int half = whole.length() / 2;
        for (String fragment : List.of(
                fragment(1, 2, whole.substring(0, half)),
                fragment(2, 2, whole.substring(half)),
                fragment(1, 1, whole))) {
            Verdict v = AttachmentPolicyScanner.create().scan(Message.of(ascii(fragment)));
            assertThat(v.outcome()).isEqualTo(Outcome.SUSPICIOUS);
            assertThat(v.rules()).extracting(Rule::name).containsExactly(AttachmentPolicyScanner.MIME_BROKEN);
            assertThat(v.rules().get(0).description()).startsWith("message body: message/partial (a fragment");
        }
        AttachmentPolicyScanner off = AttachmentPolicyScanner.builder()
                .policy(AttachmentPolicy.builder().brokenMimeCheck(false).build())
                .build();
        List<AttachmentFinding> findings =
                off.inspect(org.mailhygiene.api.MessageContent.ofBytes(ascii(fragment(1, 1, whole))));
        assertThat(findings).extracting(AttachmentFinding::rule).containsExactly(AttachmentPolicyScanner.NOT_INSPECTED);
    }
}
