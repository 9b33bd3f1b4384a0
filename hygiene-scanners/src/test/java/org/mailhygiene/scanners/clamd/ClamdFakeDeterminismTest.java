package org.mailhygiene.scanners.clamd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure.Kind;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.ScanReport;
import org.mailhygiene.testkit.clamd.FakeClamd;
import org.mailhygiene.testkit.clamd.FakeClamd.Command;
import org.mailhygiene.testkit.server.Fault;

/**
 * Issue 12: a fault scripted for the scan must hit the scan, however many other connections the scanner opens (a
 * {@link ClamdScanner} in a {@link ScanPipeline} with a cache checks {@code VERSION} in the background). Before the fix
 * the fake's only fault queue was "the next connection", and a downstream "clamd down means TEMPFAIL" test passed 16
 * of 20 runs.
 */
class ClamdFakeDeterminismTest {

    private static ClamdScanner scanner(FakeClamd clamd) {
        return ClamdScanner.builder()
                .address(clamd.tcpAddress())
                .connectTimeout(Duration.ofSeconds(5))
                .readTimeout(Duration.ofSeconds(10))
                .scanDeadline(Duration.ofSeconds(20))
                .build();
    }

    /** The downstream test, as a user writes it, run 20 times: every run must see TEMPFAIL. */
    @Test
    void clamdDownMeansTempfailInEveryRun() throws Exception {
        for (int run = 0; run < 20; run++) {
            try (FakeClamd clamd = FakeClamd.start()) {
                clamd.enqueue(Command.INSTREAM, Fault.refuse());
                try (ScanPipeline pipeline =
                        ScanPipeline.builder().scanner(scanner(clamd)).build()) {
                    ScanReport report = pipeline.scan(Message.of(ClamdTestMessages.clean()));
                    assertThat(report.disposition().action())
                            .as("run %d: %s", run, report)
                            .isEqualTo(Action.TEMPFAIL);
                }
                assertThat(clamd.takeRequest(Command.INSTREAM, Duration.ofSeconds(10))
                                .reply())
                        .as("the scan got the fault")
                        .isEmpty();
            }
        }
    }

    /** The interleaving that made the downstream test fail, forced: a VERSION connection comes first. */
    @Test
    void aFaultForTheScanIsNotTakenByAVersionCheckThatComesFirst() throws Exception {
        try (FakeClamd clamd = FakeClamd.start()) {
            clamd.enqueue(Command.INSTREAM, Fault.refuse());
            assertThat(exchange(clamd, "zVERSION\0")).isEqualTo("ClamAV 1.4.6\0");
            assertThat(failure(scanner(clamd))).isEqualTo(Kind.UNAVAILABLE);
            assertThat(clamd.takeRequest(Duration.ofSeconds(5)).command()).isEqualTo("VERSION");
            FakeClamd.Request scan = clamd.takeRequest(Duration.ofSeconds(5));
            assertThat(scan.command()).isEqualTo("INSTREAM");
            assertThat(scan.connection()).isEqualTo(2);
        }
    }

    /**
     * The older fault model, kept for compatibility: a fault only a scan can carry (here clamd's size-limit error)
     * waits for the scan. Before the fix the VERSION connection used it up and the scan came back clean.
     */
    @Test
    @SuppressWarnings("deprecation")
    void aLegacyStreamFaultWaitsForTheScan() throws Exception {
        try (FakeClamd clamd = FakeClamd.start()) {
            clamd.enqueue(FakeClamd.Fault.sizeLimitError(10));
            assertThat(exchange(clamd, "zVERSION\0")).isEqualTo("ClamAV 1.4.6\0");
            assertThat(failure(scanner(clamd))).isEqualTo(Kind.TOO_LARGE);
        }
    }

    private static Kind failure(ClamdScanner s) throws InterruptedException {
        try {
            throw new AssertionError("expected a failure, got " + s.scan(Message.of(ClamdTestMessages.clean())));
        } catch (ScanException e) {
            return e.failure().kind();
        }
    }

    private static String exchange(FakeClamd clamd, String command) throws Exception {
        try (Socket s = new Socket("127.0.0.1", clamd.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(command.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            in.transferTo(b);
            return b.toString(StandardCharsets.US_ASCII);
        }
    }
}
