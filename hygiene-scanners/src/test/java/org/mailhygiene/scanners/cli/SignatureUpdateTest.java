package org.mailhygiene.scanners.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.events.HygieneListener;
import org.mailhygiene.scanners.update.SignatureUpdateScheduler;
import org.mailhygiene.scanners.update.UpdateStep;
import org.mailhygiene.testkit.Await;
import org.mailhygiene.testkit.junit.RealBinaries;

/**
 * Profile update commands run by the shared {@link SignatureUpdateScheduler}: a real {@code clamscan} picks up a
 * signature installed by the update command; a failing command is reported; exclusive steps hold scans back.
 */
class SignatureUpdateTest {

    @TempDir
    Path root;

    Path db;
    Path clamscan;
    final List<String> reports = new CopyOnWriteArrayList<>();
    final HygieneListener listener = new HygieneListener() {
        @Override
        public void signatureUpdate(String updater, boolean success, String detail, Duration elapsed) {
            reports.add(updater + " " + success + " " + detail);
        }
    };

    @BeforeEach
    void setUp() throws Exception {
        clamscan = RealBinaries.require("clamscan", "clamav");
        db = Files.createDirectory(root.resolve("db"));
        Files.writeString(
                db.resolve("test.ndb"),
                ClamscanProfileTest.ndb("MailHygiene.Test.Eicar", "EICAR-STANDARD-ANTIVIRUS-TEST-FILE"));
    }

    private CommandLineScanner clamscan(List<String> update) {
        return clamscan(update, Duration.ofMillis(500));
    }

    private CommandLineScanner clamscan(List<String> update, Duration queueTimeout) {
        return CommandLineScanner.builder(Profiles.clamscan()
                        .withLeadingArguments(List.of("-d", db.toString()))
                        .withUpdateCommand(update))
                .executable(clamscan)
                .queueTimeout(queueTimeout)
                .build();
    }

    @Test
    void anUpdateCommandInstallsASignatureThatTheNextScanUses() throws Exception {
        Path incoming = Files.writeString(
                root.resolve("marker.ndb"),
                ClamscanProfileTest.ndb("MailHygiene.Test.Marker", "MAILHYGIENE-TEST-SIGNATURE"));
        CommandLineScanner s = clamscan(
                List.of("cp", incoming.toString(), db.resolve("marker.ndb").toString()));
        assertThat(s.scan(TestMessages.text("MAILHYGIENE-TEST-SIGNATURE")).outcome())
                .isEqualTo(Outcome.CLEAN);
        try (SignatureUpdateScheduler scheduler = SignatureUpdateScheduler.builder("clamscan-signatures")
                .step(s.updateStep(false))
                .listener(listener)
                .build()) {
            assertThat(scheduler.runNow())
                    .hasValueSatisfying(run -> assertThat(run.success()).isTrue());
        }
        assertThat(reports).singleElement().asString().startsWith("clamscan-signatures true");
        Verdict v = s.scan(TestMessages.text("MAILHYGIENE-TEST-SIGNATURE"));
        assertThat(v.threats()).containsExactly("MailHygiene.Test.Marker.UNOFFICIAL");
    }

    @Test
    void aFailingUpdateIsReportedAndScansGoOn() throws Exception {
        CommandLineScanner s = clamscan(List.of("false"));
        try (SignatureUpdateScheduler scheduler = SignatureUpdateScheduler.builder("clamscan-signatures")
                .step(s.updateStep(true))
                .listener(listener)
                .build()) {
            assertThat(scheduler.runNow())
                    .hasValueSatisfying(run -> assertThat(run.success()).isFalse());
        }
        assertThat(reports)
                .singleElement()
                .asString()
                .startsWith("clamscan-signatures false")
                .contains("clamscan-update");
        assertThat(s.scan(TestMessages.eicar()).outcome()).isEqualTo(Outcome.INFECTED);
    }

    @Test
    void aScanDuringAnExclusiveStepFailsAfterItsQueueTimeoutNeverClean() throws Exception {
        CommandLineScanner s = clamscan(List.of());
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        UpdateStep swap = s.exclusive(
                UpdateStep.of("swap", () -> {
                    inside.countDown();
                    release.await();
                    return "swapped";
                }),
                Duration.ofSeconds(10));
        ExecutorService pool = Executors.newFixedThreadPool(1);
        try {
            Future<String> update = pool.submit(swap::run);
            assertThat(inside.await(60, TimeUnit.SECONDS)).isTrue();
            // the swap holds until released: the scan waits for its queue timeout (500 ms), then fails
            assertThatThrownBy(() -> s.scan(TestMessages.text("hello")))
                    .isInstanceOfSatisfying(ScanException.class, e -> {
                        assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.TIMED_OUT);
                        assertThat(e.failure().detail()).contains("signature update still running after 500ms");
                    });
            release.countDown();
            assertThat(update.get(60, TimeUnit.SECONDS)).isEqualTo("swapped");
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void anExclusiveStepHoldsScansBackUntilItEnds() throws Exception {
        // A queue timeout far longer than the test: the held scan must wait for the release, however late it comes.
        CommandLineScanner s = clamscan(List.of(), Duration.ofMinutes(2));
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        UpdateStep swap = s.exclusive(
                UpdateStep.of("swap", () -> {
                    inside.countDown();
                    release.await();
                    return "swapped";
                }),
                Duration.ofSeconds(10));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<String> update = pool.submit(swap::run);
            assertThat(inside.await(60, TimeUnit.SECONDS)).isTrue();
            Future<Verdict> waiting = pool.submit(() -> s.scan(TestMessages.eicar()));
            Await.until("the scan waits for the swap", () -> s.threadsWaitingForSignatures() == 1);
            assertThat(waiting.isDone()).as("held back while the swap runs").isFalse();
            release.countDown();
            assertThat(update.get(60, TimeUnit.SECONDS)).isEqualTo("swapped");
            assertThat(waiting.get(60, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.INFECTED);
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void cachedVerdictsEndWithASuccessfulUpdateRunThroughTheScanner() throws Exception {
        assertThat(clamscan(List.of("true")).cacheIdentity())
                .as("default: never cache")
                .isEmpty();
        CommandLineScanner s = CommandLineScanner.builder(Profiles.clamscan().withUpdateCommand(List.of("true")))
                .cacheVerdicts(true)
                .build();
        String before = s.cacheIdentity().orElseThrow();
        s.updateStep(false).run();
        String afterOne = s.cacheIdentity().orElseThrow();
        assertThat(afterOne).isNotEqualTo(before).endsWith("generation=1");
        s.updateStep(true).run();
        assertThat(s.cacheIdentity()).hasValueSatisfying(id -> assertThat(id).endsWith("generation=2"));
        CommandLineScanner failing = CommandLineScanner.builder(
                        Profiles.clamscan().withUpdateCommand(List.of("false")))
                .cacheVerdicts(true)
                .build();
        String id = failing.cacheIdentity().orElseThrow();
        assertThatThrownBy(() -> failing.updateStep(true).run()).isInstanceOf(java.io.IOException.class);
        assertThat(failing.cacheIdentity()).hasValue(id);
    }

    @Test
    void aProfileWithoutUpdateCommandHasNoUpdateStep() {
        CommandLineScanner s = CommandLineScanner.builder(Profiles.vascan()).build();
        assertThatThrownBy(() -> s.updateStep(false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("vascan has no update command");
        assertThat(Profiles.clamscan().updateCommand()).containsExactly("freshclam", "--quiet");
        assertThat(Profiles.clamdscan().updateCommand()).containsExactly("freshclam", "--quiet");
    }
}
