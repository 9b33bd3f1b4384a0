package org.mailhygiene.testkit.spamd;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The installed SpamAssassin daemon ({@code /usr/sbin/spamd}), started for tests on 127.0.0.1 with a free port and a
 * private working directory, and stopped again.
 *
 * <p>Command line: {@code --listen=127.0.0.1:<port> --local --nouser-config --configpath=/usr/share/spamassassin}
 * (the shipped rules, pinned; {@code sa-update} is never run: offline it leaves an empty rules folder that disables
 * every rule), {@code --max-children}, {@code --min-children=1}, pid file, log file ({@code --syslog=<file>}) and
 * helper home directory inside the working directory, {@code --username=debian-spamd} when running as root (spamd
 * refuses to run its children as root), and {@code use_bayes 0}, {@code bayes_auto_learn 0},
 * {@code skip_rbl_checks 1}, {@code use_razor2 0}, {@code use_pyzor 0} so that no test touches the network or learns.
 * Extra options (e.g. {@code --allow-tell}, {@code --cf=required_score 6.8}) are appended.
 *
 * <p>{@link #start} waits until spamd answers {@code PING} with {@code PONG} (its listen socket accepts connections
 * before any child can answer). Start-up takes about 2 s. Thread-safe.
 */
public final class RealSpamd implements AutoCloseable {
    /** How long {@link #start} waits for the first PONG. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final int port;
    private final Path workDir;
    private final Path log;

    private RealSpamd(Process process, int port, Path workDir, Path log) {
        this.process = process;
        this.port = port;
        this.workDir = workDir;
        this.log = log;
    }

    /**
     * Starts spamd and waits for PONG. On a port clash (another process took the free port first) it retries with
     * another port, three times at most.
     *
     * @param spamd the spamd program
     * @param workDir an existing private directory for the pid file, log and helper home directory
     * @param maxChildren spamd's {@code --max-children}, at least 1
     * @param extraArgs further spamd options
     * @return the running daemon
     * @throws IOException if spamd cannot be started or does not answer within {@link #START_TIMEOUT}; the message
     *     holds the end of its log
     * @throws InterruptedException if interrupted while waiting; the process is stopped
     */
    public static RealSpamd start(Path spamd, Path workDir, int maxChildren, List<String> extraArgs)
            throws IOException, InterruptedException {
        Objects.requireNonNull(spamd, "spamd");
        Objects.requireNonNull(workDir, "workDir");
        Objects.requireNonNull(extraArgs, "extraArgs");
        if (maxChildren < 1) {
            throw new IllegalArgumentException("maxChildren must be at least 1");
        }
        IOException last = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            try {
                return startOnce(spamd, workDir, maxChildren, extraArgs, attempt);
            } catch (IOException e) {
                last = e;
            }
        }
        throw last;
    }

    private static RealSpamd startOnce(Path spamd, Path workDir, int maxChildren, List<String> extraArgs, int attempt)
            throws IOException, InterruptedException {
        int port = freePort();
        Path dir = workDir.resolve("spamd-" + attempt);
        Path home = dir.resolve("home");
        Files.createDirectories(home);
        setOpen(workDir);
        setOpen(dir);
        setOpen(home);
        Path log = dir.resolve("spamd.log");
        List<String> cmd = new ArrayList<>(List.of(
                spamd.toString(),
                "--ipv4-only",
                "--listen=127.0.0.1:" + port,
                "--local",
                "--nouser-config",
                "--configpath=/usr/share/spamassassin",
                "--max-children=" + maxChildren,
                "--min-children=1",
                "--pidfile=" + dir.resolve("spamd.pid"),
                "--syslog=" + log,
                "--helper-home-dir=" + home,
                "--cf=use_bayes 0",
                "--cf=bayes_auto_learn 0",
                "--cf=skip_rbl_checks 1",
                "--cf=use_razor2 0",
                "--cf=use_pyzor 0"));
        if ("root".equals(System.getProperty("user.name"))) {
            cmd.add("--username=debian-spamd");
        }
        cmd.addAll(extraArgs);
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("spamd.out").toFile())
                .start();
        RealSpamd daemon = new RealSpamd(p, port, dir, log);
        long end = System.nanoTime() + START_TIMEOUT.toNanos();
        try {
            while (System.nanoTime() < end) {
                if (!p.isAlive()) {
                    throw new IOException("spamd exited with status " + p.exitValue() + ": " + daemon.logTail());
                }
                // its own log must say it listens on the port: a PONG alone may come from another spamd (a second
                // test run) that took the port after it was found free, while this one, still loading its rules, is
                // about to fail to bind it and exit
                if (daemon.listening() && daemon.pingQuietly()) {
                    return daemon;
                }
                Thread.sleep(100);
            }
            throw new IOException("spamd did not answer PING within " + START_TIMEOUT + ": " + daemon.logTail());
        } catch (IOException | InterruptedException | RuntimeException e) {
            daemon.stop();
            throw e;
        }
    }

    private static void setOpen(Path p) {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException | UnsupportedOperationException ignored) {
            // spamd's children may then not see the helper home directory; spamd logs it
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return s.getLocalPort();
        }
    }

    /** Whether this spamd's log says it listens on its port ({@code server started on ... [127.0.0.1]:PORT}). */
    private boolean listening() {
        try {
            String text = Files.readString(log, StandardCharsets.ISO_8859_1);
            int at = text.indexOf("server started on ");
            return at >= 0 && text.indexOf("]:" + port + " ", at) >= 0;
        } catch (IOException e) {
            return false; // not written yet
        }
    }

    private boolean pingQuietly() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write("PING SPAMC/1.5\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String reply = new String(in.readNBytes(64), StandardCharsets.ISO_8859_1);
            return reply.startsWith("SPAMD/") && reply.contains(" 0 PONG");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The host to connect to.
     *
     * @return {@code 127.0.0.1}
     */
    public String host() {
        return "127.0.0.1";
    }

    /**
     * The port spamd listens on.
     *
     * @return the port
     */
    public int port() {
        return port;
    }

    /**
     * {@code host:port}.
     *
     * @return the address
     */
    public String address() {
        return host() + ":" + port;
    }

    /**
     * spamd's log file.
     *
     * @return the path
     */
    public Path log() {
        return log;
    }

    /**
     * The private working directory of this instance.
     *
     * @return the directory
     */
    public Path workDir() {
        return workDir;
    }

    /**
     * Whether the spamd parent process is running.
     *
     * @return {@code true} until stopped or crashed
     */
    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * The last lines of spamd's log, for failure messages.
     *
     * @return up to 2000 characters
     */
    public String logTail() {
        try {
            String text = Files.exists(log) ? Files.readString(log, StandardCharsets.ISO_8859_1) : "";
            Path out = workDir.resolve("spamd.out");
            if (Files.exists(out)) {
                text += Files.readString(out, StandardCharsets.ISO_8859_1);
            }
            return text.length() > 2000 ? text.substring(text.length() - 2000) : text;
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /**
     * Stops spamd: SIGTERM to the parent (which stops its children), then a forced kill of the parent and any child
     * still running after 10 s. Idempotent.
     *
     * @throws InterruptedException if interrupted while waiting
     */
    public void stop() throws InterruptedException {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        for (ProcessHandle c : children) {
            if (c.isAlive()) {
                c.destroy();
            }
        }
        for (ProcessHandle c : children) {
            try {
                c.onExit().get(5, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                c.destroyForcibly();
            }
        }
    }

    /** Stops spamd; see {@link #stop()}. */
    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "RealSpamd[" + address() + " pid " + process.pid() + "]";
    }
}
