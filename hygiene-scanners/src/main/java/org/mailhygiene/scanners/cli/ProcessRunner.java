package org.mailhygiene.scanners.cli;

import static org.mailhygiene.internal.Closeables.closeQuietly;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.mailhygiene.internal.Durations;
import org.mailhygiene.internal.VirtualThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one program with an argument list (never a shell), stdin closed, stderr merged into stdout, keeping at most a
 * given number of output bytes (the rest is read and discarded so the program never blocks on a full pipe), and kills
 * the whole process tree when the time is up or the caller is interrupted. Stateless; thread-safe.
 *
 * <p>Escaped processes: a program may leave a process behind that is no longer its descendant (it double-forked, so
 * the process was re-parented) and still holds the output pipe; the output reader would then never see end of stream.
 * Every run therefore puts a unique {@value #RUN_MARKER} variable into the program's environment, which every
 * process it starts inherits. After every run (a normal exit, a timeout or an interrupt alike), processes carrying
 * this run's marker are found through {@code /proc/PID/environ} (Linux; elsewhere only descendants are found) and
 * killed with their descendants. The output pipe is always closed and the reader is waited for at most
 * {@link #GRACE}, so nothing of a run outlives it.
 *
 * <p>The sweep after a normal exit is unconditional on purpose: the end of the output says nothing about escaped
 * processes. One may have closed or redirected its stdout, and the JDK itself drains and closes the pipe when it
 * notices the exit before the reader is blocked in {@code read} (which a busy machine makes likely), so the reader
 * sees end of stream while the holder lives on. A process the program started just before it exited may still be in
 * the middle of {@code execve}, when its environment reads as empty; such a process (alive, not a kernel thread,
 * started since the run began) is read again a few milliseconds later (at most 20 ms in all), so that it is not missed.
 */
final class ProcessRunner {

    /** How long to wait for killed processes to disappear, and for the output reader to see end of stream. */
    static final Duration GRACE = Duration.ofSeconds(5);
    /** How often a killed process is looked at while it has not ended. */
    private static final Duration EXIT_POLL = Duration.ofMillis(5);
    /** The environment variable that marks every process of one run. */
    static final String RUN_MARKER = "MAILHYGIENE_RUN_ID";

    private static final Logger LOG = LoggerFactory.getLogger(ProcessRunner.class);
    private static final Path PROC = Path.of("/proc");

    private ProcessRunner() {}

    /** What a finished run produced. */
    record Result(int exitStatus, byte[] output, long outputBytes, boolean truncated) {}

    /** The program ran past its time limit; its process tree was killed. */
    static final class TimedOut extends Exception {
        private static final long serialVersionUID = 1L;

        TimedOut(String message) {
            super(message);
        }
    }

    static Result run(
            List<String> argv, Path workDir, Map<String, String> environment, Duration timeout, int maxOutputBytes)
            throws IOException, TimedOut, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(argv).directory(workDir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(environment);
        String runId = UUID.randomUUID().toString();
        pb.environment().put(RUN_MARKER, runId);
        // a process of this run starts after this instant (less a margin for the coarse start times of /proc)
        Instant since = Instant.now().minusSeconds(1);
        Process process = pb.start();
        closeQuietly(process.getOutputStream());
        OutputCollector collector = new OutputCollector(process.getInputStream(), maxOutputBytes);
        Thread reader = VirtualThreads.factory("cli-output").newThread(collector);
        reader.start();
        boolean finished;
        try {
            finished = process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            stop(process, reader, runId, since);
            throw e;
        }
        if (!finished) {
            stop(process, reader, runId, since);
            throw new TimedOut("no exit within " + Durations.format(timeout) + "; process tree killed");
        }
        try {
            // Whatever of this run outlived the program: killed whether or not the output has ended (see above).
            int n = killMarked(runId, since);
            if (n > 0) {
                LOG.debug("{} exited and left {} process(es) behind; killed them", argv.get(0), n);
            }
            reader.join(GRACE.toMillis());
        } catch (InterruptedException e) {
            stop(process, reader, runId, since);
            throw e;
        }
        boolean complete = !reader.isAlive();
        closeOutput(process, reader);
        return new Result(process.exitValue(), collector.head(), collector.total(), collector.truncated() || !complete);
    }

    /**
     * Kills the process tree and every process carrying this run's marker, then closes the output pipe and waits for
     * the reader at most {@link #GRACE}. Keeps the caller's interrupt status.
     */
    private static void stop(Process process, Thread reader, String runId, Instant since) {
        boolean interrupted = Thread.interrupted();
        try {
            killTree(process.toHandle());
            killMarked(runId, since);
            reader.join(GRACE.toMillis());
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            closeOutput(process, reader);
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void closeOutput(Process process, Thread reader) {
        closeQuietly(process.getInputStream());
        if (reader.isAlive()) {
            LOG.warn(
                    "output reader {} still blocked after {}; a process outside this JVM's reach holds the pipe",
                    reader.getName(),
                    GRACE);
            reader.interrupt();
        }
    }

    /**
     * Kills (with their descendants) the processes whose environment carries {@code RUN_MARKER=runId}, in rounds
     * until none is left (one may fork meanwhile). Linux only: without {@code /proc} nothing is found.
     *
     * @param runId the run's marker value
     * @param since when the run started: only a process started since then may be one of its own caught in
     *     {@code execve}, whose environment is read again when it reads as empty
     * @return how many processes were killed
     */
    static int killMarked(String runId, Instant since) {
        if (!Files.isDirectory(PROC)) {
            return 0;
        }
        byte[] entry = ("\0" + RUN_MARKER + "=" + runId + "\0").getBytes(StandardCharsets.US_ASCII);
        long self = ProcessHandle.current().pid();
        int killed = 0;
        for (int round = 0; round < 20; round++) {
            List<ProcessHandle> marked = new ArrayList<>();
            ProcessHandle.allProcesses()
                    .filter(h -> h.pid() != self && carries(h, entry, since))
                    .forEach(marked::add);
            if (marked.isEmpty()) {
                break;
            }
            for (ProcessHandle h : marked) {
                killTree(h);
                killed++;
            }
        }
        return killed;
    }

    /**
     * How many times an empty {@code environ} of a live user process started since the run began is read again,
     * {@link #EXEC_PAUSE_MILLIS} apart: a process in the middle of {@code execve} shows an empty environment until the
     * new program's stack is set up, and a process that a run started just before it exited may be exactly there when
     * the sweep looks.
     */
    private static final int EXEC_RETRIES = 10;

    private static final int EXEC_PAUSE_MILLIS = 2;
    /** {@code PF_KTHREAD} in the flags of {@code /proc/PID/stat}: kernel threads have no environment at all. */
    private static final long PF_KTHREAD = 0x00200000L;

    private static boolean carries(ProcessHandle h, byte[] entry, Instant since) {
        long pid = h.pid();
        byte[] env = null;
        for (int attempt = 0; env == null; attempt++) {
            try {
                env = Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("environ"));
            } catch (IOException | SecurityException e) {
                return false; // gone, or another user's process: not ours
            }
            if (env.length == 0 && attempt < EXEC_RETRIES && startedSince(h, since) && mayBeExecuting(pid)) {
                env = null;
                try {
                    Thread.sleep(EXEC_PAUSE_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        // environ is NUL-separated without a leading NUL; match the first entry too.
        byte[] padded = new byte[env.length + 1];
        System.arraycopy(env, 0, padded, 1, env.length);
        outer:
        for (int i = 0; i + entry.length <= padded.length; i++) {
            for (int j = 0; j < entry.length; j++) {
                if (padded[i + j] != entry[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** Whether the process started at or after {@code since} (an unknown start time counts as yes). */
    private static boolean startedSince(ProcessHandle h, Instant since) {
        return h.info().startInstant().map(t -> !t.isBefore(since)).orElse(true);
    }

    /** Whether the process lives and is not a kernel thread ({@code /proc/PID/stat}: state, and flags). */
    private static boolean mayBeExecuting(long pid) {
        String[] f = stat(pid);
        if (f == null || f.length < 7 || f[0].equals("Z") || f[0].equals("X")) {
            return false;
        }
        try {
            return (Long.parseLong(f[6]) & PF_KTHREAD) == 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * The fields of {@code /proc/PID/stat} after the command name, the state first; {@code null} when it cannot be
     * read (gone, or no {@code /proc}).
     */
    private static String[] stat(long pid) {
        String text;
        try {
            text = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.US_ASCII);
        } catch (IOException | SecurityException e) {
            return null;
        }
        // pid (comm) state ppid pgrp session tty_nr tpgid flags ...: comm may hold spaces; fields follow the last ')'.
        return text.substring(text.lastIndexOf(')') + 1).strip().split(" ");
    }

    /**
     * Whether a process has ended: it is gone, or a zombie (dead, holding nothing, waiting for its parent to reap it),
     * as {@code /proc/PID/stat} says. The JDK counts a zombie as alive until it is reaped, and a killed process whose
     * parent does not reap it (an init that reaps every few seconds; a JVM that is itself PID 1 in a container, which
     * reaps no process it did not start) stays one, for seconds or for good.
     */
    private static boolean ended(ProcessHandle h) {
        if (!h.isAlive()) {
            return true;
        }
        String[] f = stat(h.pid());
        return f != null && f.length > 0 && (f[0].equals("Z") || f[0].equals("X"));
    }

    /**
     * Kills a process and every descendant: descendants first, in rounds until no new one appears (a descendant may
     * fork while we kill), then the root, then waits up to {@link #GRACE} for all of them to end (a zombie has ended:
     * see {@link #ended}, otherwise every kill of a process nobody reaps cost the whole grace). Descendants must be
     * killed while the root lives, because once it dies they are re-parented and no longer found through it.
     */
    static void killTree(ProcessHandle root) {
        Set<ProcessHandle> killed = new HashSet<>();
        for (int round = 0; round < 20; round++) {
            List<ProcessHandle> fresh = new ArrayList<>();
            root.descendants().filter(h -> !killed.contains(h)).forEach(fresh::add);
            if (fresh.isEmpty()) {
                break;
            }
            for (ProcessHandle h : fresh) {
                h.destroyForcibly();
                killed.add(h);
            }
        }
        root.destroyForcibly();
        killed.add(root);
        long deadline = System.nanoTime() + GRACE.toNanos();
        for (ProcessHandle h : killed) {
            CompletableFuture<ProcessHandle> exit = h.onExit(); // completes at once for a reaped child of this JVM
            while (!ended(h)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return; // a process that does not die within the grace period is left to the operating system
                }
                try {
                    exit.get(Math.min(left, EXIT_POLL.toNanos()), TimeUnit.NANOSECONDS);
                } catch (ExecutionException | TimeoutException e) {
                    // look again
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Reads a stream to its end, keeping the first {@code max} bytes. */
    private static final class OutputCollector implements Runnable {
        private final InputStream in;
        private final int max;
        private final ByteArrayOutputStream head = new ByteArrayOutputStream();
        private long total;
        private boolean failed;

        OutputCollector(InputStream in, int max) {
            this.in = in;
            this.max = max;
        }

        @Override
        public void run() {
            byte[] buf = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(buf)) != -1) {
                    synchronized (this) {
                        int keep = (int) Math.max(0, Math.min(n, max - total));
                        head.write(buf, 0, keep);
                        total += n;
                    }
                }
            } catch (IOException e) {
                synchronized (this) {
                    failed = true;
                }
            }
        }

        synchronized byte[] head() {
            return head.toByteArray();
        }

        synchronized long total() {
            return total;
        }

        synchronized boolean truncated() {
            return failed || total > max;
        }
    }
}
