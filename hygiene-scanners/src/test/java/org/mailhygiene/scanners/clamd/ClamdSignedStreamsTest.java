package org.mailhygiene.scanners.clamd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.scanners.TestMessages;
import org.mailhygiene.testkit.clamd.FakeClamd.Command;
import org.mailhygiene.testkit.junit.FakeClamdExtension;
import org.mailhygiene.testkit.server.Fault;

/**
 * The signed letters the clamd scanner streams beside a message (clamd does not open S/MIME signatures): they share
 * the scan deadline, and what the walk could not open is never clean. Found by review (session 27): each stream had a
 * deadline of its own (16 signatures could take 17 deadlines), and a signature past the walker's limits, or one that
 * could not be decoded, passed as clean.
 */
class ClamdSignedStreamsTest {
    @RegisterExtension
    final FakeClamdExtension clamd = FakeClamdExtension.create();

    private static final String SIGNED = "Content-Type: application/pkcs7-mime; smime-type=signed-data\r\n";

    private static byte[] signatures(int count) {
        StringBuilder m = new StringBuilder("From: a@example.org\r\nTo: b@example.org\r\nSubject: s\r\n"
                + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n");
        for (int i = 0; i < count; i++) {
            byte[] cms = TestMessages.signedData(
                    ("Content-Type: text/plain\r\n\r\nhello " + i + "\r\n").getBytes(StandardCharsets.US_ASCII));
            m.append("--B\r\n")
                    .append(SIGNED)
                    .append("Content-Transfer-Encoding: base64\r\n\r\n")
                    .append(Base64.getMimeEncoder().encodeToString(cms))
                    .append("\r\n");
        }
        m.append("--B--\r\n");
        return m.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private ClamdScanner scanner(Duration deadline) {
        return ClamdScanner.builder()
                .address(clamd.get().tcpAddress())
                .connectTimeout(Duration.ofSeconds(1))
                .readTimeout(deadline)
                .scanDeadline(deadline)
                .build();
    }

    @Test
    void theSignedLettersShareTheScanDeadline() {
        // five streams of 0.7 s each cannot fit in 2 s: the scan fails, whatever the machine's load
        clamd.get().always(Command.INSTREAM, Fault.delay(Duration.ofMillis(700)));
        assertThatThrownBy(() -> scanner(Duration.ofSeconds(2)).scan(Message.of(signatures(4))))
                .isInstanceOf(ScanException.class);
    }

    @Test
    void eachSignedLetterIsStreamedOnce() throws Exception {
        assertThat(scanner(Duration.ofSeconds(20))
                        .scan(Message.of(signatures(3)))
                        .outcome())
                .isEqualTo(org.mailhygiene.api.Outcome.CLEAN);
        assertThat(clamd.get().requests())
                .filteredOn(r -> r.command().equals("INSTREAM"))
                .extracting(r -> new String(r.stream(), StandardCharsets.US_ASCII))
                .hasSize(4)
                .last()
                .isEqualTo("MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nhello 2\r\n");
    }

    @Test
    void aSignatureTheWalkCouldNotOpenIsNeverClean() {
        // the seventeenth signature is past the walker's limit of 16
        assertThatThrownBy(() -> scanner(Duration.ofSeconds(20)).scan(Message.of(signatures(17))))
                .isInstanceOfSatisfying(ScanException.class, e -> {
                    assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
                    assertThat(e.failure().detail()).contains("more than 16 S/MIME signatures");
                });
        // four inside one another: the fourth is past the depth limit
        byte[] nested = "Content-Type: text/plain\r\n\r\nthe letter\r\n".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < 4; i++) {
            nested = ("MIME-Version: 1.0\r\n" + SIGNED + "Content-Transfer-Encoding: base64\r\n\r\n"
                            + Base64.getMimeEncoder().encodeToString(TestMessages.signedData(nested)) + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
        }
        byte[] deep = nested;
        assertThatThrownBy(() -> scanner(Duration.ofSeconds(20)).scan(Message.of(deep)))
                .isInstanceOfSatisfying(
                        ScanException.class,
                        e -> assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE));
        // a signature with data behind it: OpenSSL and NSS read on past the structure, this walker does not open it
        byte[] cms = TestMessages.signedData(
                "Content-Type: text/plain\r\n\r\nthe letter\r\n".getBytes(StandardCharsets.US_ASCII));
        byte[] behind = java.util.Arrays.copyOf(cms, cms.length + 4);
        System.arraycopy("JUNK".getBytes(StandardCharsets.US_ASCII), 0, behind, cms.length, 4);
        byte[] junk = ("From: a@example.org\r\nMIME-Version: 1.0\r\n" + SIGNED
                        + "Content-Transfer-Encoding: base64\r\n\r\n"
                        + Base64.getMimeEncoder().encodeToString(behind)
                        + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> scanner(Duration.ofSeconds(20)).scan(Message.of(junk)))
                .isInstanceOfSatisfying(
                        ScanException.class,
                        e -> assertThat(e.failure().detail())
                                .contains("starts as an S/MIME signature but cannot be read as one"));
        // a uuencoded signature without its end line: mail clients decode it, Jakarta Mail's decoder gives nothing
        byte[] uu = ("From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime\r\n"
                        + "Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 smime.p7m\r\nM,(\"`\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> scanner(Duration.ofSeconds(20)).scan(Message.of(uu)))
                .isInstanceOfSatisfying(
                        ScanException.class,
                        e -> assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE));
    }
}
