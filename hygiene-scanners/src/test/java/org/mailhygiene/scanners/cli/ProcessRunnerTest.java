package org.mailhygiene.scanners.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.testkit.junit.RealBinaries;

/**
 * A program that double-forks a {@code sleep} holding its stdout (so the sleep is no longer its descendant): the
 * escaped process is killed and the output reader stops, after a timeout, an interrupt and a normal exit alike.
 */
class ProcessRunnerTest {
    @TempDir
    Path dir;

    private Path sh;
    private Path pidFile;

    @BeforeEach
    void findShell() throws Exception {
        sh = RealBinaries.require("sh", "dash");
        RealBinaries.require("sleep", "coreutils");
        pidFile = dir.resolve("escaped.pid");
    }

    @AfterEach
    void killLeftovers() throws Exception {
        escaped().ifPresent(ProcessHandle::destroyForcibly);
    }

    /** A script that leaves {@code sleep 300} behind, re-parented away from it, with stdout still open. */
    private List<String> doubleForking(String thenDo) {
        return doubleForking("", thenDo);
    }

    /** As {@link #doubleForking(String)}, with redirections for the escaped {@code sleep}. */
    private List<String> doubleForking(String redirect, String thenDo) {
        String script = "( sleep 300 " + redirect + " & echo $! > '" + pidFile + "' ) ; " + "while [ ! -s '" + pidFile
                + "' ]; do sleep 0.01; done; echo started; " + thenDo;
        return List.of(sh.toString(), "-c", script);
    }

    private boolean pidWritten() throws IOException {
        return Files.exists(pidFile)
                && !Files.readString(pidFile, StandardCharsets.US_ASCII).isBlank();
    }

    private Optional<ProcessHandle> escaped() throws Exception {
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        String text = Files.readString(pidFile, StandardCharsets.US_ASCII).strip();
        return text.isEmpty() ? Optional.empty() : ProcessHandle.of(Long.parseLong(text));
    }

    /** The escaped {@code sleep} was killed (see {@link KilledProcesses} for what that means and why). */
    private void assertEscapedProcessIsGone() throws Exception {
        assertThat(pidFile).exists();
        Optional<ProcessHandle> h = escaped();
        if (h.isPresent()) {
            KilledProcesses.assertKilled(h.get().pid());
        }
    }

    private static boolean readerThreadsLeft() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.isAlive() && t.getName().startsWith("cli-output"));
    }

    private static void assertNoReaderThreadLeft() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (readerThreadsLeft() && System.nanoTime() < deadline) {
            Thread.sleep(25);
        }
        assertThat(readerThreadsLeft()).as("the output reader ended").isFalse();
    }

    /**
     * The time limit must fire after the script has left its {@code sleep} behind, which takes longer on a busy
     * machine: a run whose limit came first proves nothing and is repeated with twice the limit.
     */
    @Test
    void timeoutKillsTheEscapedProcessAndStopsTheReader() throws Exception {
        for (Duration limit = Duration.ofSeconds(1); !pidWritten(); limit = limit.multipliedBy(2)) {
            assertThat(limit).as("the script left its sleep behind in time").isLessThan(Duration.ofMinutes(2));
            Duration l = limit;
            assertThatThrownBy(() -> ProcessRunner.run(doubleForking("sleep 300"), dir, Map.of(), l, 4096))
                    .isInstanceOf(ProcessRunner.TimedOut.class);
        }
        assertEscapedProcessIsGone();
        assertNoReaderThreadLeft();
    }

    @Test
    void interruptKillsTheEscapedProcessAndStopsTheReader() throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                ProcessRunner.run(doubleForking("sleep 300"), dir, Map.of(), Duration.ofSeconds(120), 4096);
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        t.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (escaped().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(25);
        }
        assertThat(escaped()).as("the script started its sleep").isPresent();
        t.interrupt();
        t.join(TimeUnit.SECONDS.toMillis(30));
        assertThat(t.isAlive()).isFalse();
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
        assertEscapedProcessIsGone();
        assertNoReaderThreadLeft();
    }

    /**
     * The program exits while the reader is blocked on the pipe (the {@code sleep 1} lets it get there; had the JDK
     * seen the exit first, it would have drained and closed the pipe itself).
     */
    @Test
    void normalExitWithAnEscapedHolderGivesTheCompleteOutput() throws Exception {
        ProcessRunner.Result r = ProcessRunner.run(
                doubleForking("sleep 1; echo done; exit 3"), dir, Map.of(), Duration.ofSeconds(60), 4096);
        assertThat(r.exitStatus()).isEqualTo(3);
        assertThat(new String(r.output(), StandardCharsets.US_ASCII)).isEqualTo("started\ndone\n");
        assertThat(r.truncated())
                .as("the output ended once the holder was gone")
                .isFalse();
        assertEscapedProcessIsGone();
        assertNoReaderThreadLeft();
    }

    /**
     * The root cause of the flaky {@link #normalExitWithAnEscapedHolderGivesTheCompleteOutput}: the runner hunted
     * escaped processes only while the output stayed open after the exit. When the output ends anyway (here the
     * escapee does not hold stdout; there the JDK drained and closed the pipe on seeing the exit before the reader was
     * back in {@code read}, which a busy machine makes likely) the escapee was left running: a leaked process per
     * scan. Deterministic: failed on every run before the fix.
     */
    @Test
    void normalExitKillsAnEscapedProcessEvenWhenTheOutputEnded() throws Exception {
        ProcessRunner.Result r = ProcessRunner.run(
                doubleForking(">/dev/null 2>&1", "echo done; exit 0"), dir, Map.of(), Duration.ofSeconds(60), 4096);
        assertThat(r.exitStatus()).isZero();
        assertThat(new String(r.output(), StandardCharsets.US_ASCII)).isEqualTo("started\ndone\n");
        assertThat(r.truncated()).isFalse();
        assertEscapedProcessIsGone();
        assertNoReaderThreadLeft();
    }

    /**
     * A killed escapee that nobody reaps stays a zombie, which the JDK counts as alive: the runner waited the whole
     * {@link ProcessRunner#GRACE} (5 s) for it after every run. That is every scan of a program that leaves a process
     * behind when the JVM is PID 1 in a container (it reaps no process it did not start), and about 2 s a scan where
     * init reaps slowly (a clamscan wrapper leaving a helper behind took 4 to 8 s per message here, 0.05 s without
     * it). The escapee here is the child of a process of the run that does not carry the run's marker (so it is not
     * killed) and never waits for it, so its corpse is never reaped, whatever init does.
     */
    @Test
    void aKilledEscapeeNobodyReapsDoesNotHoldTheRunForTheGrace() throws Exception {
        Path parentPid = dir.resolve("parent.pid");
        String m = ProcessRunner.RUN_MARKER;
        String script = "env -u " + m + " MARK=\"$" + m + "\" sh -c '" + m + "=$MARK sleep 300 >/dev/null 2>&1 &"
                + " echo $! > \"" + pidFile + "\"; echo $$ > \"" + parentPid + "\"; exec sleep 301' >/dev/null 2>&1 &"
                + " while [ ! -s '" + pidFile + "' ] || [ ! -s '" + parentPid + "' ]; do sleep 0.01; done; echo done";
        try {
            long t0 = System.nanoTime();
            ProcessRunner.Result r = ProcessRunner.run(
                    List.of(sh.toString(), "-c", script), dir, Map.of(), Duration.ofSeconds(60), 4096);
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            assertThat(new String(r.output(), StandardCharsets.US_ASCII)).isEqualTo("done\n");
            assertEscapedProcessIsGone();
            assertThat(took).as("the run ended without waiting for the corpse").isLessThan(ProcessRunner.GRACE);
        } finally {
            String text = Files.exists(parentPid)
                    ? Files.readString(parentPid, StandardCharsets.US_ASCII).strip()
                    : "";
            if (!text.isEmpty()) {
                ProcessHandle.of(Long.parseLong(text)).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    @Test
    void ordinaryProgramIsUnaffectedAndSeesTheMarkerOnlyAsAnExtraVariable() throws Exception {
        ProcessRunner.Result r = ProcessRunner.run(
                List.of(sh.toString(), "-c", "echo \"$FOO\"; test -n \"$" + ProcessRunner.RUN_MARKER + "\""),
                dir,
                Map.of("FOO", "bar"),
                Duration.ofSeconds(60),
                4096);
        assertThat(r.exitStatus()).isZero();
        assertThat(new String(r.output(), StandardCharsets.US_ASCII)).isEqualTo("bar\n");
        assertThat(r.truncated()).isFalse();
    }
}
