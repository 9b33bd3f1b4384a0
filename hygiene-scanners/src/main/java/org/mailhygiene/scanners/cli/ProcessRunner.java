package org.mailhygiene.scanners.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.mailhygiene.scanners.concurrent.VirtualThreads;

/**
 * Runs one program with an argument list (never a shell), stdin closed, stderr merged into stdout, keeping at most a
 * given number of output bytes (the rest is read and discarded so the program never blocks on a full pipe), and kills
 * the whole process tree when the time is up or the caller is interrupted. Stateless; thread-safe.
 */
final class ProcessRunner {

    /** How long to wait for killed processes to disappear, and for the output reader to see end of stream. */
    static final Duration GRACE = Duration.ofSeconds(5);

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
        Process process = pb.start();
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // the program may already have exited; nothing to send anyway
        }
        OutputCollector collector = new OutputCollector(process.getInputStream(), maxOutputBytes);
        Thread reader = VirtualThreads.factory("cli-output").newThread(collector);
        reader.start();
        boolean finished;
        try {
            finished = process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            killTree(process.toHandle());
            throw e;
        }
        if (!finished) {
            killTree(process.toHandle());
            throw new TimedOut("no exit within " + timeout + "; process tree killed");
        }
        reader.join(GRACE.toMillis());
        boolean complete = !reader.isAlive();
        return new Result(process.exitValue(), collector.head(), collector.total(), collector.truncated() || !complete);
    }

    /**
     * Kills a process and every descendant: descendants first, in rounds until no new one appears (a descendant may
     * fork while we kill), then the root, then waits up to {@link #GRACE} for all of them to end. Descendants must be
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
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            CompletableFuture<ProcessHandle> exit = h.onExit();
            try {
                exit.get(left, TimeUnit.NANOSECONDS);
            } catch (ExecutionException | TimeoutException e) {
                // a process that does not die within the grace period is left to the operating system
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
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
