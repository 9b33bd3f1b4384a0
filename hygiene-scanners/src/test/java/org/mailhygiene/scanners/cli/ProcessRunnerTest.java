package org.mailhygiene.scanners.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
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
        String script = "( sleep 300 & echo $! > '" + pidFile + "' ) ; " + "while [ ! -s '" + pidFile
                + "' ]; do sleep 0.01; done; echo started; " + thenDo;
        return List.of(sh.toString(), "-c", script);
    }

    private Optional<ProcessHandle> escaped() throws Exception {
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        String text = Files.readString(pidFile, StandardCharsets.US_ASCII).strip();
        return text.isEmpty() ? Optional.empty() : ProcessHandle.of(Long.parseLong(text));
    }

    private void assertEscapedProcessIsGone() throws Exception {
        Optional<ProcessHandle> h = escaped();
        assertThat(pidFile).exists();
        if (h.isPresent()) {
            CompletableFuture<ProcessHandle> exit = h.get().onExit();
            exit.get(10, TimeUnit.SECONDS);
            assertThat(h.get().isAlive())
                    .as("the double-forked sleep was killed")
                    .isFalse();
        }
    }

    private static boolean readerThreadsLeft() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.isAlive() && t.getName().startsWith("cli-output"));
    }

    private static void assertNoReaderThreadLeft() throws InterruptedException {
        for (int i = 0; i < 200 && readerThreadsLeft(); i++) {
            Thread.sleep(25);
        }
        assertThat(readerThreadsLeft()).as("the output reader ended").isFalse();
    }

    @Test
    void timeoutKillsTheEscapedProcessAndStopsTheReader() throws Exception {
        assertThatThrownBy(
                        () -> ProcessRunner.run(doubleForking("sleep 300"), dir, Map.of(), Duration.ofSeconds(2), 4096))
                .isInstanceOf(ProcessRunner.TimedOut.class);
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
        for (int i = 0; i < 400 && escaped().isEmpty(); i++) {
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
