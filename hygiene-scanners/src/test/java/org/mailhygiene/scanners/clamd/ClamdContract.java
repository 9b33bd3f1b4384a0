package org.mailhygiene.scanners.clamd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.testkit.Await;

/**
 * The clamd contract: the same tests run against {@link org.mailhygiene.testkit.clamd.FakeClamd} and a real clamd,
 * which keeps the fake honest. Implementations provide a daemon whose stream limit is {@link #DAEMON_STREAM_LIMIT}.
 */
interface ClamdContract {
    /** The StreamMaxLength both the fake and the real clamd are configured with. */
    long DAEMON_STREAM_LIMIT = 1L << 20;

    /** The daemon's TCP address. */
    String tcpAddress();

    /** The daemon's unix socket address. */
    String unixAddress();

    /** The name the daemon reports for EICAR. */
    String eicarName();

    /** The name the daemon reports for {@link org.mailhygiene.testkit.clamd.RealClamd#TEST_MARKER}. */
    String markerName();

    /**
     * Puts a new signature in place so that it becomes active with the next RELOAD.
     *
     * @return the name the daemon will report for it
     */
    String stageSignature(String name, String marker);

    default ClamdScanner.Builder scannerBuilder() {
        return ClamdScanner.builder()
                .address(tcpAddress())
                .connectTimeout(Duration.ofSeconds(5))
                .readTimeout(Duration.ofSeconds(20))
                .scanDeadline(Duration.ofSeconds(30))
                .streamMaxLength(100L << 20)
                .reloadSettle(Duration.ZERO)
                .versionCheckExecutor(Runnable::run);
    }

    default Verdict scan(byte[] message) throws Exception {
        return scannerBuilder().build().scan(Message.of(message));
    }

    @Test
    default void cleanMailIsClean() throws Exception {
        Verdict v = scan(ClamdTestMessages.clean());
        assertThat(v.outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(v.scanner()).isEqualTo("clamd");
        assertThat(v.threats()).isEmpty();
    }

    @Test
    default void eicarInTheBodyIsInfected() throws Exception {
        Verdict v = scan(ClamdTestMessages.eicarPlain());
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.threats()).containsExactly(eicarName());
    }

    @Test
    default void eicarZipped() throws Exception {
        assertThat(scan(ClamdTestMessages.eicarZip()).threats()).containsExactly(eicarName());
    }

    @Test
    default void eicarDoubleZipped() throws Exception {
        assertThat(scan(ClamdTestMessages.eicarDoubleZip()).threats()).containsExactly(eicarName());
    }

    @Test
    default void eicarAsBase64Attachment() throws Exception {
        assertThat(scan(ClamdTestMessages.eicarBase64Attachment()).threats()).containsExactly(eicarName());
    }

    @Test
    default void eicarZippedInsideAnAttachment() throws Exception {
        assertThat(scan(ClamdTestMessages.eicarZipInAttachment()).threats()).containsExactly(eicarName());
    }

    /**
     * clamd opens nested archives down to its MaxRecursion (17 by default: EICAR under 15 zips in an attachment is
     * found, ClamAV 1.4.6), and with AlertExceedsMax reports a message nested deeper as a scan limit, which the scanner
     * turns into an UNSCANNABLE failure. (The fake opened 5 levels and called everything deeper clean.)
     */
    @Test
    default void nestedArchivesAreOpenedToTheRecursionLimitAndDeeperIsNeverClean() throws Exception {
        assertThat(scan(ClamdTestMessages.eicarNestedZipsInAttachment(6)).threats())
                .containsExactly(eicarName());
        assertThat(scan(ClamdTestMessages.eicarNestedZipsInAttachment(15)).threats())
                .containsExactly(eicarName());
        assertThatThrownBy(() -> scan(ClamdTestMessages.eicarNestedZipsInAttachment(16)))
                .isInstanceOfSatisfying(ScanException.class, e -> {
                    assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
                    assertThat(e.failure().detail()).contains("Heuristics.Limits.Exceeded.MaxRecursion");
                });
    }

    /**
     * clamd itself does not open an opaque S/MIME signature (checked with ClamAV 1.4: a signed letter with EICAR
     * attached is {@code stream: OK}); the scanner streams the signed letter too, and finds it.
     */
    @Test
    default void eicarInsideAnOpaqueSignatureIsFound() throws Exception {
        byte[] signed = ClamdTestMessages.eicarSigned();
        ClamdClient c = ClamdClient.of(ClamdAddress.parse(tcpAddress()));
        assertThat(c.instream(new java.io.ByteArrayInputStream(signed), 100L << 20, Duration.ofSeconds(20))
                        .status())
                .isEqualTo(ClamdScanReply.Status.CLEAN);
        Verdict v = scan(signed);
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.threats()).containsExactly(eicarName());
    }

    /**
     * clamd does not decode yEnc (checked with ClamAV 1.4: EICAR yEnc-encoded into a letter's text is
     * {@code stream: OK}), while Thunderbird shows such a file as an attachment; the scanner decodes it and streams it
     * too, and finds it.
     */
    @Test
    default void eicarYEncodedIntoTheTextIsFound() throws Exception {
        byte[] yEnc = ClamdTestMessages.eicarYEncoded();
        ClamdClient c = ClamdClient.of(ClamdAddress.parse(tcpAddress()));
        assertThat(c.instream(new java.io.ByteArrayInputStream(yEnc), 100L << 20, Duration.ofSeconds(20))
                        .status())
                .isEqualTo(ClamdScanReply.Status.CLEAN);
        Verdict v = scan(yEnc);
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.threats()).containsExactly(eicarName());
    }

    @Test
    default void customTestMarkerIsReportedWithItsExactName() throws Exception {
        Verdict v = scan(ClamdTestMessages.marker(org.mailhygiene.testkit.clamd.RealClamd.TEST_MARKER));
        assertThat(v.threats()).containsExactly(markerName());
    }

    @Test
    default void unixSocketGivesTheSameAnswers() throws Exception {
        ClamdScanner s = scannerBuilder().build();
        ClamdScanner u = ClamdScanner.builder().address(unixAddress()).build();
        assertThat(u.scan(Message.of(ClamdTestMessages.eicarPlain())).threats()).containsExactly(eicarName());
        assertThat(u.scan(Message.of(ClamdTestMessages.clean())).outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(u.health().isUp()).isTrue();
        assertThat(s.health().isUp()).isTrue();
    }

    @Test
    default void overTheDaemonsStreamLimitIsTooLargeNeverClean() {
        // The client limit is above the daemon's: clamd itself rejects the stream (the client usually sees a broken
        // pipe first and must still read the reply).
        byte[] big = ClamdTestMessages.cleanOfSize((int) DAEMON_STREAM_LIMIT + 300_000);
        assertThatThrownBy(() -> scan(big))
                .isInstanceOfSatisfying(
                        ScanException.class, e -> assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.TOO_LARGE));
    }

    @Test
    default void exactlyAtTheDaemonsStreamLimitIsScanned() throws Exception {
        byte[] m = ClamdTestMessages.cleanOfSize((int) DAEMON_STREAM_LIMIT - 2000);
        byte[] exact = java.util.Arrays.copyOf(m, (int) DAEMON_STREAM_LIMIT);
        java.util.Arrays.fill(exact, m.length, exact.length, (byte) 'x');
        assertThat(scan(exact).outcome()).isEqualTo(Outcome.CLEAN);
    }

    @Test
    default void overTheClientLimitIsTooLargeDeterministically() throws Exception {
        ClamdScanner s = scannerBuilder().streamMaxLength(1000).build();
        byte[] m = ClamdTestMessages.cleanOfSize(5000);
        assertThatThrownBy(() -> s.scan(Message.of(m))).isInstanceOfSatisfying(ScanException.class, e -> {
            assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.TOO_LARGE);
            assertThat(e.failure().detail()).contains("1000");
        });
    }

    @Test
    default void pingVersionAndStats() throws Exception {
        ClamdClient c = ClamdClient.of(ClamdAddress.parse(tcpAddress()));
        assertThat(c.ping(Duration.ofSeconds(5))).isEqualTo("PONG");
        ClamdVersion v = c.version(Duration.ofSeconds(5));
        assertThat(v.engine()).startsWith("ClamAV ");
        ClamdStats st = c.stats(Duration.ofSeconds(5));
        assertThat(st.raw()).contains("POOLS:");
        assertThat(st.maxThreads()).isPresent();
    }

    @Test
    default void newSignatureIsDetectedAfterReload() throws Exception {
        String marker = "MH-RELOAD-" + UUID.randomUUID().toString().toUpperCase();
        String sigName = "Local.Reload" + marker.substring(10, 18);
        ClamdScanner s = scannerBuilder().build();
        byte[] m = ClamdTestMessages.marker(marker);
        assertThat(s.scan(Message.of(m)).outcome()).isEqualTo(Outcome.CLEAN);
        String expected = stageSignature(sigName, marker);
        String before = s.cacheIdentity().orElseThrow();

        ClamdScanner.ReloadResult r = s.reloadAll();

        assertThat(r.success()).as("reload replies %s", r.replies()).isTrue();
        assertThat(s.cacheIdentity()).isPresent().get().isNotEqualTo(before);
        // clamd reloads in the background and keeps scanning meanwhile: no scan fails, and the new signature
        // is in force within a few seconds.
        Verdict v = Await.value(
                "the reloaded signature is in force", () -> s.scan(Message.of(m)), x -> x.outcome() != Outcome.CLEAN);
        assertThat(v.threats()).containsExactly(expected);
    }
}
