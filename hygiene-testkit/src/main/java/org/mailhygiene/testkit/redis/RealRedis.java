package org.mailhygiene.testkit.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.mailhygiene.testkit.tls.PrivateCa;

/**
 * A private {@code redis-server} on 127.0.0.1 for tests: its own port, directory and config, no persistence, started
 * and stopped by the test. Faults are real: {@link #kill()} ends the process (SIGKILL), {@link #restart()} starts it
 * again on the same port, {@link #pause()} stops it with SIGSTOP so calls time out, {@link #resume()} continues it.
 * A port found free but taken before the server bound it ({@code Address already in use}) is replaced by another (up
 * to five ports).
 *
 * <p>With TLS ({@link #startTls}, {@link #startTlsSentinel}) the server has a {@code tls-port} and no plain port
 * ({@code port 0}), presents the {@link PrivateCa}'s server certificate, asks clients for none
 * ({@code tls-auth-clients no}) and connects to other servers (its master, the monitored servers of a Sentinel) over
 * TLS ({@code tls-replication yes}); for a cluster node the caller adds {@code tls-cluster yes} and a free
 * {@code cluster-port} to {@code extraConfig} (the default bus port, the TLS port + 10000, may be past 65535).
 *
 * <p>A config line that names a port of its own (a {@code cluster-port}) has the same race as the server's port: give
 * such lines as a {@link Supplier} ({@link #start(Path, Path, Supplier)}, {@link #startTls(Path, Path, PrivateCa,
 * Supplier)}), which is asked again for every attempt, so that a port taken before the server bound it is replaced as
 * well.
 *
 * <p>Not thread-safe: one test drives one instance. {@link #close()} kills the server (and resumes it first if paused).
 */
public final class RealRedis implements AutoCloseable {
    /** How long {@link #start} and {@link #restart()} wait for the server to answer PING. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    /**
     * How many ports a start tries: a port found free is closed again before {@code redis-server} binds it, and may be
     * taken meanwhile (by another program, or as the source port of one of the test JVM's own connections).
     */
    static final int PORT_ATTEMPTS = 5;

    private final Path binary;
    private final Path workDir;
    private final int port;
    private final List<String> extraConfig;
    private final boolean sentinel;
    private final PrivateCa tls;
    private Process process;
    private boolean paused;

    private RealRedis(Path binary, Path workDir, int port, List<String> extraConfig, boolean sentinel, PrivateCa tls) {
        this.sentinel = sentinel;
        this.tls = tls;
        this.binary = binary;
        this.workDir = workDir;
        this.port = port;
        this.extraConfig = List.copyOf(extraConfig);
    }

    /**
     * Starts a server on a free loopback port.
     *
     * @param redisServer the {@code redis-server} binary (see {@code RealBinaries.require("redis-server", ...)})
     * @param workDir an empty directory the server may use (config, log, working directory)
     * @param extraConfig further {@code redis.conf} lines, e.g. {@code requirepass secret}
     * @return the running server
     * @throws IOException if it cannot be started or does not answer within {@link #START_TIMEOUT}
     * @throws InterruptedException if interrupted while waiting
     */
    public static RealRedis start(Path redisServer, Path workDir, List<String> extraConfig)
            throws IOException, InterruptedException {
        Objects.requireNonNull(redisServer, "redisServer");
        List<String> config = List.copyOf(extraConfig);
        return start(redisServer, workDir, () -> config, RealRedis::freePort);
    }

    /**
     * Starts a server on a free loopback port, with config lines that may name ports of their own: {@code extraConfig}
     * is asked for the lines again at every attempt, so when the server could not bind a port one of them named
     * ({@code Address already in use}), the next attempt has fresh lines (a {@code cluster-port} found free again).
     *
     * @param redisServer the {@code redis-server} binary
     * @param workDir an empty directory the server may use (config, log, working directory)
     * @param extraConfig gives further {@code redis.conf} lines, once per attempt (up to five); the lines of the
     *     attempt that started are the ones {@link #restart()} uses
     * @return the running server
     * @throws IOException if it cannot be started or does not answer within {@link #START_TIMEOUT}
     * @throws java.io.UncheckedIOException if {@code extraConfig} throws it (no free port left)
     * @throws InterruptedException if interrupted while waiting
     */
    public static RealRedis start(Path redisServer, Path workDir, Supplier<List<String>> extraConfig)
            throws IOException, InterruptedException {
        Objects.requireNonNull(redisServer, "redisServer");
        Objects.requireNonNull(extraConfig, "extraConfig");
        return start(redisServer, workDir, extraConfig, RealRedis::freePort);
    }

    /** {@link #start(Path, Path, List)} on the ports {@code ports} offers (a test offers a taken one first). */
    static RealRedis start(Path redisServer, Path workDir, List<String> extraConfig, IntSupplier ports)
            throws IOException, InterruptedException {
        List<String> config = List.copyOf(extraConfig);
        return start(redisServer, workDir, () -> config, ports);
    }

    private static RealRedis start(
            Path redisServer, Path workDir, Supplier<List<String>> extraConfig, IntSupplier ports)
            throws IOException, InterruptedException {
        Objects.requireNonNull(redisServer, "redisServer");
        Files.createDirectories(workDir);
        return launchOnAFreePort(
                workDir, ports, port -> new RealRedis(redisServer, workDir, port, extraConfig.get(), false, null));
    }

    /**
     * Starts a server that speaks TLS only, on a free loopback port.
     *
     * @param redisServer the {@code redis-server} binary (built with TLS, as Debian's is)
     * @param workDir an empty directory the server may use
     * @param ca the CA whose server certificate it presents
     * @param extraConfig further {@code redis.conf} lines, e.g. {@code replicaof 127.0.0.1 PORT}
     * @return the running server; {@link #url()} is {@code rediss://127.0.0.1:PORT}
     * @throws IOException if it cannot be started or does not answer within {@link #START_TIMEOUT}
     * @throws InterruptedException if interrupted while waiting
     */
    public static RealRedis startTls(Path redisServer, Path workDir, PrivateCa ca, List<String> extraConfig)
            throws IOException, InterruptedException {
        List<String> config = List.copyOf(extraConfig);
        return startTls(redisServer, workDir, ca, () -> config);
    }

    /**
     * Starts a server that speaks TLS only, on a free loopback port, with config lines that may name ports of their
     * own (a cluster node's {@code cluster-port}): {@code extraConfig} is asked for the lines again at every attempt,
     * as in {@link #start(Path, Path, Supplier)}.
     *
     * @param redisServer the {@code redis-server} binary (built with TLS, as Debian's is)
     * @param workDir an empty directory the server may use
     * @param ca the CA whose server certificate it presents
     * @param extraConfig gives further {@code redis.conf} lines, once per attempt (up to five)
     * @return the running server; {@link #url()} is {@code rediss://127.0.0.1:PORT}
     * @throws IOException if it cannot be started or does not answer within {@link #START_TIMEOUT}
     * @throws java.io.UncheckedIOException if {@code extraConfig} throws it (no free port left)
     * @throws InterruptedException if interrupted while waiting
     */
    public static RealRedis startTls(Path redisServer, Path workDir, PrivateCa ca, Supplier<List<String>> extraConfig)
            throws IOException, InterruptedException {
        Objects.requireNonNull(redisServer, "redisServer");
        Objects.requireNonNull(ca, "ca");
        Objects.requireNonNull(extraConfig, "extraConfig");
        Files.createDirectories(workDir);
        return launchOnAFreePort(
                workDir,
                RealRedis::freePort,
                port -> new RealRedis(redisServer, workDir, port, extraConfig.get(), false, ca));
    }

    /**
     * Starts a Sentinel that speaks TLS only, and monitors its servers over TLS, on a free loopback port.
     *
     * @param redisServer the {@code redis-server} binary
     * @param workDir an empty directory for its config and log
     * @param ca the CA whose server certificate it presents and whose servers it trusts
     * @param extraConfig the {@code sentinel monitor ...} lines and any others
     * @return the running Sentinel
     * @throws IOException if it cannot be started or does not answer within {@link #START_TIMEOUT}
     * @throws InterruptedException if interrupted while waiting
     */
    public static RealRedis startTlsSentinel(Path redisServer, Path workDir, PrivateCa ca, List<String> extraConfig)
            throws IOException, InterruptedException {
        Objects.requireNonNull(redisServer, "redisServer");
        Objects.requireNonNull(ca, "ca");
        Files.createDirectories(workDir);
        return launchOnAFreePort(
                workDir, RealRedis::freePort, port -> new RealRedis(redisServer, workDir, port, extraConfig, true, ca));
    }

    /**
     * Starts a Sentinel ({@code redis-server --sentinel}) on a free loopback port.
     *
     * @param redisServer the {@code redis-server} binary
     * @param workDir an empty directory for its config (Sentinel rewrites it) and log
     * @param extraConfig the {@code sentinel monitor ...} lines and any others
     * @return the running Sentinel; {@link #url()} is its address
     * @throws IOException if it cannot be started or does not answer within {@link #START_TIMEOUT}
     * @throws InterruptedException if interrupted while waiting
     */
    public static RealRedis startSentinel(Path redisServer, Path workDir, List<String> extraConfig)
            throws IOException, InterruptedException {
        Objects.requireNonNull(redisServer, "redisServer");
        Files.createDirectories(workDir);
        return launchOnAFreePort(
                workDir,
                RealRedis::freePort,
                port -> new RealRedis(redisServer, workDir, port, extraConfig, true, null));
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("no free loopback port", e);
        }
    }

    /**
     * Launches the server {@code at} builds on a port {@code ports} offers; when the server could not bind it ("Address
     * already in use": taken since it was found free), on another, up to {@link #PORT_ATTEMPTS} ports. Any other
     * failure is thrown at once.
     */
    private static RealRedis launchOnAFreePort(Path workDir, IntSupplier ports, IntFunction<RealRedis> at)
            throws IOException, InterruptedException {
        IOException taken = null;
        for (int attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
            RealRedis r = at.apply(ports.getAsInt());
            try {
                r.launch();
                return r;
            } catch (IOException e) {
                r.close();
                if (!String.valueOf(e.getMessage()).contains("Address already in use")) {
                    throw e;
                }
                if (taken == null) {
                    taken = e;
                } else {
                    taken.addSuppressed(e);
                }
                // the next attempt's log must not show this one's bind failure
                Files.deleteIfExists(workDir.resolve("redis.log"));
            }
        }
        throw taken;
    }

    private void launch() throws IOException, InterruptedException {
        Path conf = workDir.resolve("redis.conf");
        List<String> lines = new ArrayList<>(List.of(
                "bind 127.0.0.1",
                tls == null ? "port " + port : "port 0",
                "dir " + workDir,
                "logfile " + workDir.resolve("redis.log"),
                "daemonize no",
                "protected-mode yes"));
        if (tls != null) {
            lines.addAll(List.of(
                    "tls-port " + port,
                    "tls-cert-file " + tls.serverCertificate(),
                    "tls-key-file " + tls.serverKey(),
                    "tls-ca-cert-file " + tls.caCertificate(),
                    "tls-auth-clients no",
                    "tls-replication yes"));
        }
        if (!sentinel) {
            lines.addAll(List.of("save \"\"", "appendonly no", "databases 16"));
        }
        lines.addAll(extraConfig);
        Files.write(conf, lines, StandardCharsets.UTF_8);
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), conf.toString()));
        if (sentinel) {
            cmd.add("--sentinel");
        }
        process = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(workDir.resolve("redis.stdout").toFile())
                .start();
        paused = false;
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("redis-server exited with " + process.exitValue() + ": " + logTail());
            }
            try {
                if (ping(Duration.ofSeconds(2))) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            Thread.sleep(20);
        }
        process.destroyForcibly();
        throw new IOException("redis-server did not answer PING within " + START_TIMEOUT + ": " + logTail(), last);
    }

    /**
     * Sends {@code PING} on a new connection (without authentication: a server with {@code requirepass} answers
     * {@code -NOAUTH}, which also counts as up), over TLS for a TLS server (trusting its CA, any host name).
     *
     * @param timeout connect and read bound
     * @return {@code true} if it answered
     * @throws IOException if it could not be reached
     */
    public boolean ping(Duration timeout) throws IOException {
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress("127.0.0.1", port), (int) timeout.toMillis());
            plain.setSoTimeout((int) timeout.toMillis());
            Socket s = tls == null ? plain : tlsOver(plain);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            int c = in.read();
            return c == '+' || c == '-';
        }
    }

    private SSLSocket tlsOver(Socket plain) throws IOException {
        try {
            java.security.KeyStore ks = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
            ks.load(null, null);
            try (InputStream in = Files.newInputStream(tls.caCertificate())) {
                ks.setCertificateEntry(
                        "ca",
                        java.security.cert.CertificateFactory.getInstance("X.509")
                                .generateCertificate(in));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, "127.0.0.1", port, false);
            s.startHandshake();
            return s;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot trust " + tls.caCertificate() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The server's URL.
     *
     * @return {@code redis://127.0.0.1:PORT}, or {@code rediss://127.0.0.1:PORT} for a TLS server (a client adds
     *     {@code ?cacert=} and reaches it by a name its certificate holds)
     */
    public String url() {
        return (tls == null ? "redis" : "rediss") + "://127.0.0.1:" + port;
    }

    /**
     * The port.
     *
     * @return the TCP port on 127.0.0.1
     */
    public int port() {
        return port;
    }

    /**
     * The directory the server runs in: its {@code redis.conf}, {@code redis.log} and working directory.
     *
     * @return the directory given to {@code start}
     */
    public Path workDir() {
        return workDir;
    }

    /**
     * Whether the process is running (paused counts as running).
     *
     * @return {@code true} while alive
     */
    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /**
     * Kills the server with SIGKILL and waits for it to end. Its data is gone (no persistence).
     *
     * @throws InterruptedException if interrupted while waiting
     */
    public void kill() throws InterruptedException {
        if (process == null) {
            return;
        }
        if (paused) {
            resume();
        }
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /**
     * Starts the server again on the same port, after {@link #kill()}.
     *
     * @throws IOException if it cannot be started
     * @throws InterruptedException if interrupted while waiting
     */
    public void restart() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) {
            kill();
        }
        launch();
    }

    /**
     * Stops the process with SIGSTOP: connections stay open, calls time out.
     *
     * @throws IOException if the signal cannot be sent
     * @throws InterruptedException if interrupted while waiting for {@code kill}
     */
    public void pause() throws IOException, InterruptedException {
        signal("STOP");
        paused = true;
    }

    /**
     * Continues a paused server with SIGCONT.
     *
     * @throws InterruptedException if interrupted while waiting for {@code kill}
     */
    public void resume() throws InterruptedException {
        try {
            signal("CONT");
        } catch (IOException e) {
            throw new IllegalStateException("cannot resume redis-server " + process.pid(), e);
        }
        paused = false;
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process k = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
                .redirectErrorStream(true)
                .start();
        if (!k.waitFor(30, TimeUnit.SECONDS) || k.exitValue() != 0) {
            throw new IOException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    /**
     * The last lines of the server's log, for failure messages.
     *
     * @return up to 2,000 characters
     */
    public String logTail() {
        try {
            Path log = workDir.resolve("redis.log");
            String s = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
            return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** Kills the server. Idempotent. */
    @Override
    public void close() {
        try {
            kill();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "RealRedis[" + url() + "]";
    }
}
