package org.mailhygiene.testkit.postfix;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.mailhygiene.internal.FileTrees;
import org.mailhygiene.testkit.junit.RealBinaries;

/**
 * A private Postfix instance on 127.0.0.1 with its own configuration directory, queue and log (as
 * {@code benchmarks/scripts/relay-vs-postfix.sh} runs one), relaying everything for {@code example.test} to a sink.
 * Each listener is an smtpd on its own port with its own {@code -o} overrides (its milter, its timeouts, its TLS
 * files). The instance's {@code myhostname} is {@code mta.example.test}, its greeting names the instance, it accepts
 * mail from 127.0.0.0/8, offers SMTPUTF8, has a {@code message_size_limit} of 60000000 and {@code milter_protocol}
 * 6; settings passed as {@code main} override these.
 *
 * <p>Needs root (Postfix's master runs as root and drops to user {@code postfix}); {@link #start} skips the calling test
 * without the {@code postfix} package outside CI and fails it under {@code CI=true} ({@link RealBinaries#require}).
 * Files it must read (maps, certificates) may live anywhere root can read. Start with {@link #start} or
 * {@link #startOnFreePorts}, stop with {@link #close}. Thread-safe: its state does not change after the start.
 */
public final class PrivatePostfix implements AutoCloseable {
    /** How often {@link #startOnFreePorts} tries, each time with new ports. */
    public static final int START_ATTEMPTS = 3;

    private final Path root;
    private final Path etc;
    private final Path postfix;
    private List<Integer> ports = List.of();

    private PrivatePostfix(Path root, Path postfix) {
        this.root = root;
        this.etc = root.resolve("etc");
        this.postfix = postfix;
    }

    /**
     * Starts an instance whose listeners get ports chosen here, trying up to {@value #START_ATTEMPTS} times with new
     * ports: a port found free can be taken by another process before Postfix binds it (two builds on one machine),
     * and then {@code postfix start} fails.
     *
     * @param sinkPort where mail for example.test goes
     * @param main extra main.cf settings
     * @param options each listener's {@code -o name=value} overrides, in order ({@link #ports()} in the same order)
     * @return the running instance
     * @throws IOException if Postfix does not start on any attempt (the mail log in the message; earlier attempts'
     *     failures suppressed)
     * @throws InterruptedException if interrupted while waiting for it
     * @throws org.opentest4j.TestAbortedException (skip) without Postfix outside CI
     */
    public static PrivatePostfix startOnFreePorts(int sinkPort, Map<String, String> main, List<List<String>> options)
            throws IOException, InterruptedException {
        IOException last = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            Map<Integer, List<String>> listeners = new LinkedHashMap<>();
            for (List<String> o : options) {
                int port = freePort();
                while (listeners.containsKey(port)) {
                    port = freePort();
                }
                listeners.put(port, o);
            }
            try {
                PrivatePostfix pf = start(sinkPort, main, listeners);
                pf.ports = List.copyOf(listeners.keySet());
                return pf;
            } catch (IOException e) {
                if (last != null) {
                    e.addSuppressed(last);
                }
                last = e;
            }
        }
        throw last;
    }

    /**
     * The listener ports {@link #startOnFreePorts} chose.
     *
     * @return the ports in the order of its options (empty for an instance from {@link #start})
     */
    public List<Integer> ports() {
        return ports;
    }

    /**
     * Starts an instance on the given ports (see {@link #startOnFreePorts} for ports chosen here, with retries).
     *
     * @param sinkPort where mail for example.test goes
     * @param main extra main.cf settings
     * @param listeners port to its {@code -o name=value} overrides
     * @return the running instance, each listener greeting as this instance
     * @throws IOException if a {@code postfix} or {@code postconf} command fails (its output, and for the start the
     *     mail log, in the message), or a listener port answers as another process
     * @throws InterruptedException if interrupted while waiting for it
     * @throws org.opentest4j.TestAbortedException (skip) without Postfix outside CI
     */
    public static PrivatePostfix start(int sinkPort, Map<String, String> main, Map<Integer, List<String>> listeners)
            throws IOException, InterruptedException {
        Path postfix = RealBinaries.require("postfix", "postfix");
        RealBinaries.require("postconf", "postfix");
        Path root = Files.createTempDirectory(Path.of("/var/tmp"), "hygiene-pf.");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        PrivatePostfix pf = new PrivatePostfix(root, postfix);
        try {
            pf.configure(sinkPort, main, listeners);
            run(List.of(postfix.toString(), "-c", pf.etc.toString(), "check"));
            try {
                run(List.of(postfix.toString(), "-c", pf.etc.toString(), "start"));
            } catch (IOException e) {
                // postfix start says why in its log, not on its output
                throw new IOException(e.getMessage() + "\nmaillog:\n" + pf.log(), e);
            }
            Path pid = root.resolve("spool/pid/master.pid");
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!(Files.exists(pid) && Files.size(pid) > 0) && System.nanoTime() < until) {
                Thread.sleep(100);
            }
            for (int port : listeners.keySet()) {
                pf.awaitListening(port, until);
            }
            return pf;
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            pf.close();
            throw e;
        }
    }

    private void configure(int sinkPort, Map<String, String> main, Map<Integer, List<String>> listeners)
            throws IOException, InterruptedException {
        Files.createDirectories(etc);
        Files.createDirectories(root.resolve("spool"));
        Files.createDirectories(root.resolve("data"));
        Files.writeString(etc.resolve("main.cf"), "");
        Files.copy(Path.of("/etc/postfix/master.cf"), etc.resolve("master.cf"));
        Map<String, String> cf = new LinkedHashMap<>();
        cf.put("queue_directory", root.resolve("spool").toString());
        cf.put("data_directory", root.resolve("data").toString());
        cf.put("maillog_file", root.resolve("maillog").toString());
        cf.put("maillog_file_prefixes", root.toString());
        cf.put("myhostname", "mta.example.test");
        // names this instance in its greeting, so that a listener port another process took between freePort() and
        // Postfix's bind (two builds on one machine: the other build's Postfix then answered this one's tests) is
        // told from ours by awaitListening
        cf.put("smtpd_banner", "$myhostname ESMTP " + instance());
        cf.put("inet_interfaces", "127.0.0.1");
        cf.put("inet_protocols", "ipv4");
        cf.put("mydestination", "");
        cf.put("relay_domains", "example.test");
        cf.put("mynetworks", "127.0.0.0/8");
        cf.put("alias_maps", "");
        cf.put("alias_database", "");
        cf.put("smtpd_relay_restrictions", "permit_mynetworks reject_unauth_destination");
        cf.put("transport_maps", "inline:{example.test=smtp:[127.0.0.1]:" + sinkPort + "}");
        cf.put("relayhost", "[127.0.0.1]:" + sinkPort);
        cf.put("smtp_dns_support_level", "disabled");
        cf.put("compatibility_level", "3.6");
        cf.put("message_size_limit", "60000000");
        cf.put("smtputf8_enable", "yes");
        cf.put("milter_default_action", "tempfail");
        cf.put("milter_protocol", "6");
        cf.putAll(main);
        List<String> cmd = new ArrayList<>(List.of("postconf", "-c", etc.toString(), "-e"));
        cf.forEach((k, v) -> cmd.add(k + "=" + v));
        run(cmd);
        run(List.of("postconf", "-c", etc.toString(), "-M#", "smtp/inet"));
        for (Map.Entry<Integer, List<String>> l : listeners.entrySet()) {
            StringBuilder entry = new StringBuilder("127.0.0.1:" + l.getKey() + " inet n - n - - smtpd");
            for (String o : l.getValue()) {
                entry.append(" -o ").append(o);
            }
            run(List.of("postconf", "-c", etc.toString(), "-Me", "127.0.0.1:" + l.getKey() + "/inet=" + entry));
        }
        run(List.of("postconf", "-c", etc.toString(), "-F", "*/*/chroot = n"));
        run(List.of("chown", "postfix", root.resolve("data").toString()));
    }

    /** This instance's name in its SMTP greeting: its directory's, unique on the machine. */
    private String instance() {
        return root.getFileName().toString();
    }

    /**
     * Waits until this instance greets on {@code port}; a greeting without its name is another process's listener on
     * a port taken before Postfix could bind it, and fails the start ({@link #startOnFreePorts} tries new ports).
     */
    private void awaitListening(int port, long until) throws InterruptedException, IOException {
        while (System.nanoTime() < until) {
            String greeting;
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                s.setSoTimeout(10_000);
                greeting = new java.io.BufferedReader(
                                new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1))
                        .readLine();
            } catch (IOException e) {
                Thread.sleep(100);
                continue;
            }
            if (greeting != null && greeting.contains(instance())) {
                return;
            }
            throw new IOException("port " + port + " answers, but not as this Postfix (" + instance()
                    + "): another process took it: " + greeting);
        }
        throw new IOException("postfix did not listen on port " + port);
    }

    /**
     * The mail log so far, for assertions and failure messages.
     *
     * @return the log's text, or a note that it is missing or unreadable (never throws)
     */
    public String log() {
        try {
            Path f = root.resolve("maillog");
            return Files.exists(f) ? Files.readString(f, StandardCharsets.ISO_8859_1) : "(no maillog)";
        } catch (IOException e) {
            return "(maillog unreadable: " + e + ")";
        }
    }

    /**
     * The queue ids in the hold queue.
     *
     * @return the ids, in no particular order
     * @throws IOException if the hold queue cannot be listed
     */
    public List<String> held() throws IOException {
        Path hold = root.resolve("spool/hold");
        List<String> ids = new ArrayList<>();
        if (Files.isDirectory(hold)) {
            try (var s = Files.list(hold)) {
                s.forEach(p -> ids.add(p.getFileName().toString()));
            }
        }
        return ids;
    }

    /** Stops the instance ({@code postfix stop}) and deletes its directory, best effort; never throws. */
    @Override
    public void close() {
        try {
            run(List.of(postfix.toString(), "-c", etc.toString(), "stop"));
        } catch (IOException | InterruptedException | RuntimeException e) {
            // best effort: fall through to removing the directory
        }
        FileTrees.deleteTreeQuietly(root); // best effort: a postfix process may still have had a file open
    }

    /**
     * A loopback port held bound but not listening, so that connections to it are refused and no other process can
     * bind it while it is held (a port found free and let go could be taken by another build's server, which would
     * then answer for "nothing listens here"). Close it to let the port go.
     *
     * @return the bound socket; its port is {@code getLocalPort()}
     * @throws IOException if no loopback port can be bound
     */
    public static java.net.Socket deadPort() throws IOException {
        java.net.Socket s = new java.net.Socket();
        try {
            s.bind(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Runs a command, failing with its output when it does not exit 0 within two minutes. */
    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + cmd);
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(cmd + " exited " + p.exitValue() + ": " + text);
        }
        return text;
    }
}
