package org.mailhygiene.scanners.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Asserts that killed processes are gone, without racing the machine.
 *
 * <p>A killed process whose parent is gone stays a zombie until the init process reaps it, and the JDK counts zombies
 * as alive ({@link ProcessHandle#isAlive()}); how soon init reaps is up to init, not to the code under test (a
 * container's init may reap every 2 s or so, later on a busy machine). So "killed" here means: gone or a zombie,
 * read from {@code /proc/PID/stat} (Linux, as are the tests that use it), waited for up to a generous bound that only
 * a very busy machine comes near.
 */
final class KilledProcesses {
    static final Duration BOUND = Duration.ofSeconds(60);

    private KilledProcesses() {}

    /** Waits until the process is no longer running (gone or a zombie), failing after {@link #BOUND}. */
    static void assertKilled(long pid) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (running(pid) && System.nanoTime() < deadline) {
            Thread.sleep(25);
        }
        assertThat(running(pid)).as("process %d was killed", pid).isFalse();
    }

    /** Whether the process exists and is neither a zombie nor dead ({@code /proc/PID/stat}). */
    static boolean running(long pid) throws IOException {
        String text;
        try {
            text = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return false;
        }
        // pid (comm) state ...: comm may hold spaces and parentheses; the state follows the last ')'.
        String afterComm = text.substring(text.lastIndexOf(')') + 1).strip();
        return !afterComm.startsWith("Z") && !afterComm.startsWith("X");
    }
}
