package org.mailhygiene.scanners.attachments;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.DefaultPolicy;
import org.mailhygiene.api.policy.Disposition;
import org.mailhygiene.scanners.ScanPipeline;

/**
 * With the encrypted-archive or broken-mime check off, content the scanner could not inspect is never reported as
 * clean: it is an UNSCANNABLE failure (a policy may accept it, marked), or a NOT_INSPECTED rule next to other
 * findings. Fully inspected content stays clean.
 */
class SwitchedOffChecksTest {
    private static final AttachmentPolicyScanner NO_BROKEN_MIME = AttachmentPolicyScanner.builder()
            .policy(AttachmentPolicy.builder().brokenMimeCheck(false).build())
            .build();
    private static final AttachmentPolicyScanner NO_ENCRYPTED = AttachmentPolicyScanner.builder()
            .policy(AttachmentPolicy.builder().encryptedArchiveCheck(false).build())
            .build();

    private static byte[] ascii(String... lines) {
        return (String.join("\r\n", lines) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static ScanFailure failure(AttachmentPolicyScanner s, byte[] m) {
        try {
            Verdict v = s.scan(Message.of(m));
            throw new AssertionError("expected UNSCANNABLE, got " + v);
        } catch (ScanException e) {
            return e.failure();
        }
    }

    /**
     * A multipart whose boundary no line starts: a lenient reader may split at the line that looks like a delimiter
     * (one without any "--" is one text to every reader, and no finding).
     */
    private static final byte[] UNSPLIT = ascii(
            "Subject: x", "Content-Type: multipart/mixed; boundary=b", "", "--x", "Content-Type: text/plain", "", "hi");

    @Test
    void multipartThatCannotBeSplitIsUnscannable() {
        ScanFailure f = failure(NO_BROKEN_MIME, UNSPLIT);
        assertThat(f.kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
        assertThat(f.detail()).contains("multipart cannot be split").contains("broken-mime check off");
    }

    @Test
    void bodyThatCannotBeDecodedIsUnscannable() {
        ScanFailure f = failure(
                NO_BROKEN_MIME,
                ascii(
                        "Subject: x",
                        "Content-Type: application/octet-stream",
                        "Content-Transfer-Encoding: x-uuencode",
                        "",
                        "no begin line, so no uuencoded data"));
        assertThat(f.kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
        assertThat(f.detail()).contains("body cannot be decoded").contains("rest of the body was not inspected");
    }

    @Test
    void sloppyBase64IsDecodedAsMailClientsDoNotUnscannable() throws Exception {
        // Padding in the middle and stray characters: readers show the bytes, so they are inspected (issue 12).
        byte[] m = ascii(
                "Subject: x",
                "Content-Type: application/octet-stream",
                "Content-Transfer-Encoding: base64",
                "",
                "QUJD",
                "QQ==QUJD====",
                "@@@@");
        assertThat(NO_BROKEN_MIME.scan(org.mailhygiene.api.Message.of(m)).outcome())
                .isEqualTo(org.mailhygiene.api.Outcome.CLEAN);
    }

    @Test
    void unknownTransferEncodingIsUnscannable() {
        ScanFailure f = failure(
                NO_BROKEN_MIME,
                ascii("Subject: x", "Content-Type: text/plain", "Content-Transfer-Encoding: x-rot13", "", "uryyb"));
        assertThat(f.kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
        assertThat(f.detail()).contains("unknown transfer encoding");
    }

    @Test
    void encodedContainerIsWalkedInFullSoItIsCleanWithTheCheckOff() throws Exception {
        String inner = "--IN\r\nContent-Type: text/plain\r\n\r\nhello\r\n--IN--\r\n";
        byte[] m = ascii(
                "Subject: x",
                "MIME-Version: 1.0",
                "Content-Type: multipart/mixed; boundary=IN",
                "Content-Transfer-Encoding: base64",
                "",
                Base64.getMimeEncoder().encodeToString(inner.getBytes(StandardCharsets.US_ASCII)));
        assertThat(NO_BROKEN_MIME.scan(Message.of(m)).outcome()).isEqualTo(Outcome.CLEAN);
    }

    @Test
    void otherFindingsStaySuspiciousAndListWhatWasNotInspected() throws Exception {
        byte[] zip = Samples.zip(
                "setup.exe",
                Samples.pe(),
                "inner.zip",
                Samples.encryptedZip("a.txt", "x".getBytes(StandardCharsets.US_ASCII)));
        Verdict v = NO_ENCRYPTED.scan(Message.of(Samples.attachment("bundle.zip", "application/zip", zip)));
        assertThat(v.outcome()).isEqualTo(Outcome.SUSPICIOUS);
        assertThat(v.rules())
                .extracting(Rule::name)
                .containsExactly(AttachmentPolicyScanner.EXECUTABLE, AttachmentPolicyScanner.NOT_INSPECTED);
    }

    @Test
    void policyDecidesWhatUnscannableBecomes() throws Exception {
        byte[] m = Samples.attachment(
                "Price.zip",
                "application/zip",
                Samples.encryptedZip("notes.txt", "x".getBytes(StandardCharsets.US_ASCII)));
        try (ScanPipeline strict =
                        ScanPipeline.builder().scanner(NO_ENCRYPTED).noCache().build();
                ScanPipeline open = ScanPipeline.builder()
                        .scanner(NO_ENCRYPTED)
                        .noCache()
                        .policy(DefaultPolicy.builder()
                                .onFailureOf(AttachmentPolicyScanner.NAME, ScanFailure.Kind.UNSCANNABLE, Action.ACCEPT)
                                .build())
                        .build()) {
            assertThat(strict.scan(Message.of(m)).disposition().action()).isEqualTo(Action.TEMPFAIL);
            Disposition d = open.scan(Message.of(m)).disposition();
            assertThat(d.action()).isEqualTo(Action.ACCEPT);
            assertThat(d.headers()).anySatisfy(h -> assertThat(h.name()).isEqualTo(DefaultPolicy.UNSCANNED_HEADER));
        }
    }

    @Test
    void checksOnStillFlagTheSameMessagesAsSuspicious() throws Exception {
        AttachmentPolicyScanner strict = AttachmentPolicyScanner.create();
        for (byte[] m : List.of(
                UNSPLIT,
                Samples.attachment(
                        "Price.zip",
                        "application/zip",
                        Samples.encryptedZip("notes.txt", "x".getBytes(StandardCharsets.US_ASCII))))) {
            assertThat(strict.scan(Message.of(m)).outcome()).isEqualTo(Outcome.SUSPICIOUS);
        }
        assertThat(NO_ENCRYPTED
                        .scan(Message.of(ascii("Subject: x", "", "plain")))
                        .outcome())
                .as("a fully inspected message is clean")
                .isEqualTo(Outcome.CLEAN);
    }
}
