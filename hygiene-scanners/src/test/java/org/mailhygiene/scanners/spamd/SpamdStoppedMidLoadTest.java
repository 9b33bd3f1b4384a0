package org.mailhygiene.scanners.spamd;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.ScanResult;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.DefaultPolicy;
import org.mailhygiene.api.policy.Disposition;
import org.mailhygiene.testkit.Await;
import org.mailhygiene.testkit.junit.RealSpamdExtension;
import org.mailhygiene.testkit.spamd.RealSpamd;

/**
 * spamd is stopped while scans are running: every unfinished scan is a failure (never a verdict without a score),
 * which the policy then decides.
 */
@ExtendWith(RealSpamdExtension.class)
@Timeout(value = 10, unit = TimeUnit.MINUTES) // long by design; see junit-platform.properties
class SpamdStoppedMidLoadTest {

    @Test
    void scansInFlightFailAndThePolicyDecides(RealSpamd spamd) throws Exception {
        SpamdScanner scanner = SpamdScanner.builder()
                .server(spamd.address())
                // Generous: on a loaded machine a spamd child can take many seconds per message. The stop ends the
                // scans in flight at once (their connections close), so these bounds never set the test's pace.
                .readTimeout(Duration.ofMinutes(2))
                .deadline(Duration.ofMinutes(3))
                .build();
        byte[] ham = TestMessages.ham();
        assertThat(scanner.scan(Message.of(ham)).score()).isPresent(); // warm: a child answers

        // Steady load: eight workers scan one message after another, each until its first failure. spamd is stopped
        // once answers are flowing (an event, not a pause), so scans are in flight on every worker when it goes.
        ExecutorService pool = Executors.newFixedThreadPool(8);
        AtomicInteger answered = new AtomicInteger();
        List<Future<List<ScanResult>>> workers = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                workers.add(pool.submit(() -> {
                    List<ScanResult> mine = new ArrayList<>();
                    while (true) {
                        try {
                            mine.add(scanner.scan(Message.of(ham)));
                            answered.incrementAndGet();
                        } catch (ScanException e) {
                            mine.add(e.failure());
                            return mine;
                        }
                    }
                }));
            }
            Await.until(Duration.ofMinutes(5), "spamd answered scans under load", () -> answered.get() >= 2);
            spamd.stop();
            List<ScanResult> results = new ArrayList<>();
            for (Future<List<ScanResult>> w : workers) {
                results.addAll(w.get(5, TimeUnit.MINUTES));
            }
            List<ScanFailure> failures = results.stream()
                    .filter(ScanResult::isFailure)
                    .map(ScanFailure.class::cast)
                    .toList();
            assertThat(failures).as("every worker ended with a failure").hasSize(8);
            assertThat(failures)
                    .allSatisfy(
                            f -> assertThat(f.kind()).isIn(ScanFailure.Kind.UNAVAILABLE, ScanFailure.Kind.TIMED_OUT));
            results.stream()
                    .filter(r -> r instanceof Verdict)
                    .map(Verdict.class::cast)
                    .forEach(v -> assertThat(v.score())
                            .as("a verdict is a real answer")
                            .isPresent());

            ScanFailure failure = failures.get(0);
            Disposition open = SpamdFailureMode.FAIL_OPEN
                    .applyTo(DefaultPolicy.builder(), "spamd")
                    .build()
                    .decide(List.of(failure));
            assertThat(open.action()).isEqualTo(Action.ACCEPT);
            assertThat(open.headers()).anySatisfy(h -> assertThat(h.name()).isEqualTo(DefaultPolicy.UNSCANNED_HEADER));
            Disposition closed = SpamdFailureMode.TEMPFAIL
                    .applyTo(DefaultPolicy.builder(), "spamd")
                    .build()
                    .decide(List.of(failure));
            assertThat(closed.action()).isEqualTo(Action.TEMPFAIL);
            assertThat(closed.reply().code()).isEqualTo(451);
        } finally {
            pool.shutdownNow();
        }
        ScanException after = null;
        try {
            scanner.scan(Message.of(ham));
        } catch (ScanException e) {
            after = e;
        }
        assertThat(after).as("a stopped spamd never gives a verdict").isNotNull();
        assertThat(after.failure().kind()).isEqualTo(ScanFailure.Kind.UNAVAILABLE);
    }
}
