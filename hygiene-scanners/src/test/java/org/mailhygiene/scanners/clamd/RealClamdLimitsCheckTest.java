package org.mailhygiene.scanners.clamd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.testkit.junit.RealClamdExtension;

/**
 * {@link ClamdScanner#checkLimits()} against real clamd instances configured as Debian ships clamd
 * ({@code AlertExceedsMax no}), as the walkthrough asks ({@code AlertExceedsMax yes}) and without archive scanning.
 * Found from outside in session 40: a private clamd with {@code AlertExceedsMax no} answered {@code stream: OK} for
 * EICAR in zip archives nested past its {@code MaxRecursion}, {@code hygiene scan --clamd} called the message
 * {@code OK}, and {@code hygiene relay --check} said nothing about it.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class RealClamdLimitsCheckTest {

    @RegisterExtension
    static final RealClamdExtension DEBIAN = RealClamdExtension.create(b -> b.configLine("AlertExceedsMax no"));

    @RegisterExtension
    static final RealClamdExtension ALERTING = RealClamdExtension.create();

    @RegisterExtension
    static final RealClamdExtension NO_ARCHIVES = RealClamdExtension.create(b -> b.configLine("ScanArchive no"));

    private static ClamdScanner scanner(String... addresses) {
        ClamdScanner.Builder b = ClamdScanner.builder().probeTimeout(Duration.ofMinutes(1));
        for (String a : addresses) {
            b.address(a);
        }
        return b.build();
    }

    @Test
    void aClamdThatAnswersOkPastItsLimitsOrSkipsArchivesIsNamedAndOneThatAlertsIsNot() {
        String debian = DEBIAN.get().tcpAddress();
        String noArchives = NO_ARCHIVES.get().tcpAddress();
        List<String> warnings =
                scanner(ALERTING.get().tcpAddress(), debian, noArchives).checkLimits();
        assertThat(warnings).hasSize(2);
        assertThat(warnings.get(0))
                .startsWith(debian + " answers OK for content it stopped reading at a scan limit")
                .contains(
                        "nested " + ClamdScanner.LIMITS_PROBE_DEPTH + " deep was 'stream: OK'", "AlertExceedsMax yes");
        assertThat(warnings.get(1))
                .startsWith(noArchives + " does not look into archives")
                .contains("ScanArchive yes");
        assertThat(scanner(ALERTING.get().tcpAddress()).checkLimits()).isEmpty();
    }

    @Test
    void anInstanceThatDoesNotAnswerIsLeftToTheProbes() throws Exception {
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0)) {
            int port = closed.getLocalPort();
            closed.close();
            assertThat(scanner("127.0.0.1:" + port).checkLimits()).isEmpty();
        }
    }

    /** What the warning is about: the message the check stands for is clean to the Debian-configured clamd. */
    @Test
    void theDebianConfiguredClamdCallsAMessagePastItsRecursionLimitClean() throws Exception {
        byte[] eicar = String.join("", "X5O!P%@AP[4\\PZX54(P^)7CC)7}$", "EICAR-STANDARD-ANTIVIRUS-", "TEST-FILE!$H+H*")
                .getBytes(StandardCharsets.US_ASCII);
        java.io.ByteArrayOutputStream deep = new java.io.ByteArrayOutputStream();
        byte[] nested = eicar;
        for (int i = 0; i < 30; i++) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(out)) {
                z.putNextEntry(new java.util.zip.ZipEntry(i == 0 ? "eicar.com" : "l" + i + ".zip"));
                z.write(nested);
            }
            nested = out.toByteArray();
        }
        deep.write(("Subject: nested\r\nMIME-Version: 1.0\r\nContent-Type: application/zip; name=a.zip\r\n"
                        + "Content-Transfer-Encoding: base64\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        deep.write(java.util.Base64.getMimeEncoder().encode(nested));
        deep.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        Message m = Message.of(deep.toByteArray());
        assertThat(scanner(DEBIAN.get().tcpAddress()).scan(m).outcome()).isEqualTo(Outcome.CLEAN);
    }
}
