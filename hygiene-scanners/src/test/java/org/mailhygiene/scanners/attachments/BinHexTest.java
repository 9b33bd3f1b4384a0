package org.mailhygiene.scanners.attachments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mailhygiene.scanners.TestMessages.ascii;
import static org.mailhygiene.scanners.TestMessages.crlf;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.scanners.mime.BinHexFixtures;

/**
 * BinHex 4.0 files (RFC 1741), in an {@code application/mac-binhex40} part or written into a text body as Macintosh
 * mailers did: the data fork is inspected as an attachment under the name in the BinHex header. Until session 50 the
 * part was broken MIME without being decoded and the text was not looked into (a program BinHex-encoded into a letter
 * passed as clean).
 */
class BinHexTest {
    private static final byte[] PROGRAM = "MZ\u0090\u0000\u0003 hello program".getBytes(StandardCharsets.ISO_8859_1);

    private static String inPart(String hqx) {
        return crlf(
                "From: a@example.org",
                "MIME-Version: 1.0",
                "Content-Type: multipart/mixed; boundary=\"B\"",
                "",
                "--B",
                "Content-Type: text/plain",
                "",
                "see attached",
                "--B",
                "Content-Type: application/mac-binhex40; name=\"file.hqx\"",
                "Content-Disposition: attachment; filename=\"file.hqx\"",
                "",
                hqx,
                "--B--");
    }

    private static String inText(String hqx) {
        return crlf("From: a@example.org", "MIME-Version: 1.0", "Content-Type: text/plain", "", "Here it is:", "", hqx)
                + "bye\r\n";
    }

    @Test
    void aProgramInABinHexPartIsAnExecutableAttachmentUnderItsRealName() throws Exception {
        String hqx = BinHexFixtures.encode("invoice.exe", PROGRAM, new byte[0], 3, 64, false);
        Verdict v = AttachmentPolicyScanner.create().scan(Message.of(ascii(inPart(hqx))));
        assertThat(v.outcome()).isEqualTo(Outcome.SUSPICIOUS);
        assertThat(v.rules()).extracting(Rule::name).contains(AttachmentPolicyScanner.EXECUTABLE);
        assertThat(v.rules()).extracting(Rule::name).doesNotContain(AttachmentPolicyScanner.MIME_BROKEN);
        assertThat(v.rules())
                .extracting(Rule::description)
                .anyMatch(d -> d.startsWith("part 2 \"file.hqx\" > BinHex \"invoice.exe\""));
    }

    @Test
    void aProgramBinHexEncodedIntoTheTextIsFound() throws Exception {
        String hqx = BinHexFixtures.encode("invoice.exe", PROGRAM, new byte[0], 3, 64, false);
        Verdict v = AttachmentPolicyScanner.create().scan(Message.of(ascii(inText(hqx))));
        assertThat(v.outcome()).isEqualTo(Outcome.SUSPICIOUS);
        assertThat(v.rules()).extracting(Rule::name).contains(AttachmentPolicyScanner.EXECUTABLE);
        assertThat(v.rules()).extracting(Rule::description).anyMatch(d -> d.contains("> BinHex \"invoice.exe\""));
    }

    @Test
    void aHarmlessFileInBinHexIsClean() throws Exception {
        byte[] text = "Meeting notes, nothing else.\n".getBytes(StandardCharsets.US_ASCII);
        String hqx = BinHexFixtures.encode("notes.txt", text, new byte[12], 3, 64, false);
        assertThat(AttachmentPolicyScanner.create()
                        .scan(Message.of(ascii(inPart(hqx))))
                        .outcome())
                .isEqualTo(Outcome.CLEAN);
        assertThat(AttachmentPolicyScanner.create()
                        .scan(Message.of(ascii(inText(hqx))))
                        .outcome())
                .isEqualTo(Outcome.CLEAN);
    }

    @Test
    void aBrokenBinHexFileIsBrokenMimeWithItsReason() throws Exception {
        String damaged = BinHexFixtures.encode(
                "notes.txt", "plain words".getBytes(StandardCharsets.US_ASCII), new byte[0], 3, 64, true);
        for (String message : new String[] {inPart(damaged), inText(damaged)}) {
            Verdict v = AttachmentPolicyScanner.create().scan(Message.of(ascii(message)));
            assertThat(v.outcome()).isEqualTo(Outcome.SUSPICIOUS);
            assertThat(v.rules()).extracting(Rule::name).containsExactly(AttachmentPolicyScanner.MIME_BROKEN);
            assertThat(v.rules().get(0).description())
                    .contains("BinHex file \"notes.txt\": the data fork's CRC does not match");
        }
        String good = BinHexFixtures.encode(
                "notes.txt", "plain words".getBytes(StandardCharsets.US_ASCII), new byte[0], 3, 64, false);
        String cut = good.substring(0, good.length() - 10);
        Verdict v = AttachmentPolicyScanner.create().scan(Message.of(ascii(inPart(cut))));
        assertThat(v.outcome()).isEqualTo(Outcome.SUSPICIOUS);
        assertThat(v.rules().get(0).description()).contains("BinHex file \"notes.txt\": cut short in the data fork");
        // cut short in a letter, the line after it is read on as BinHex
        v = AttachmentPolicyScanner.create().scan(Message.of(ascii(inText(cut))));
        assertThat(v.outcome()).isEqualTo(Outcome.SUSPICIOUS);
        assertThat(v.rules().get(0).description())
                .contains("BinHex file \"notes.txt\": byte 0x79 is not a BinHex character");
    }
}
