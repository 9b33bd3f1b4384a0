package org.mailhygiene.cli;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.internal.IoErrors;
import org.mailhygiene.metrics.AdminServer;
import org.mailhygiene.metrics.HealthReport;
import org.mailhygiene.metrics.RelayMetrics;
import org.mailhygiene.metrics.ScanMetrics;
import org.mailhygiene.smtp.config.ConfigException;
import org.mailhygiene.smtp.topology.Node;
import org.mailhygiene.smtp.topology.NodeConfig;
import org.mailhygiene.smtp.topology.NodeReloader;

/**
 * {@code hygiene relay --config FILE}: runs one node (edge or gateway) described by a configuration file (see
 * {@link NodeConfig} and {@code docs/node-config.md}) until the process is stopped. The file is validated before
 * anything starts; an error names the line and the problem and exits 2. On start it prints
 * {@code NAME smtp://HOST:PORT}. On SIGTERM (or Ctrl-C) it stops accepting connections (a session cut before its
 * final dot was answered was not acknowledged, so its client keeps the message; sessions get the node's
 * {@code stop-grace}, 10 s by default), lets deliveries in progress finish for up to 10 s, leaves everything else in
 * the spool for the next start, and flushes the statistics.
 *
 * <p>On SIGHUP it reloads the configuration file ({@link NodeReloader}: routes, access files, TLS files, scanners and
 * models, limits; sessions in progress are not dropped; a broken file is refused with its line and the running
 * configuration kept). {@code hygiene relay --reload --config FILE} asks the node using FILE's data directory to do
 * the same, for platforms or supervisors without signals; a node started with another file refuses the request (in its
 * log).
 */
public final class RelayCommand implements Command {

    /** How long the shutdown hook waits for a start in progress to end before it stops without it. */
    static final java.time.Duration START_WAIT_AT_STOP = java.time.Duration.ofSeconds(60);

    /** Registers the shutdown hook: {@link Runtime#addShutdownHook}, or a test's stand-in. */
    private final java.util.function.Consumer<Thread> shutdownHooks;

    /** Creates the command. */
    public RelayCommand() {
        this(Runtime.getRuntime()::addShutdownHook);
    }

    /**
     * Creates the command with a stand-in for {@link Runtime#addShutdownHook} (tests).
     *
     * @param shutdownHooks registers the shutdown hook; throws {@link IllegalStateException} when the JVM is already
     *     shutting down, as {@link Runtime#addShutdownHook} does
     */
    RelayCommand(java.util.function.Consumer<Thread> shutdownHooks) {
        this.shutdownHooks = shutdownHooks;
    }

    /** How long {@code --check} waits for a next hop to connect and greet: 5 s, as the scanner probes. */
    static final java.time.Duration PROBE_TIMEOUT = java.time.Duration.ofSeconds(5);

    @Override
    public String name() {
        return "relay";
    }

    @Override
    public String summary() {
        return "run one relay node (edge or gateway) from a configuration file until stopped";
    }

    @Override
    public String usage() {
        return """
                usage: hygiene relay --config FILE [--check | --reload]

                Runs the edge relay or gateway described by FILE (format: docs/node-config.md;
                samples: hygiene-examples/config/) until SIGTERM or Ctrl-C, then shuts down cleanly:
                messages not yet acknowledged stay with their senders, accepted ones stay in the spool.
                SIGHUP re-reads FILE and the files it names and applies them without dropping
                sessions; an invalid file is refused (its line is logged) and the running
                configuration stays (docs/node-config.md, "Reload").

                options:
                  --config FILE   the node's configuration file (required)
                  --check         validate the file and build everything start would (scanners,
                                  pipeline, server settings) without binding or touching the data
                                  directory, and try what it names: a check key written to Redis,
                                  each scanner daemon, each static next hop's greeting; exit 0 when
                                  valid, 2 with the line and problem
                  --reload        validate FILE, then ask the node running with FILE's data
                                  directory to reload it (within a second; like SIGHUP; a node
                                  started with another file refuses it); exit 2 without that
                                  directory
                  -h, --help      show this help
                """;
    }

    @Override
    public int run(List<String> args, Io io) throws UsageException, InterruptedException {
        Path config = null;
        boolean check = false;
        boolean reload = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "-h", "--help" -> {
                    io.out().print(usage());
                    return EXIT_OK;
                }
                case "--config" -> {
                    if (++i >= args.size()) {
                        throw new UsageException("--config needs a value");
                    }
                    config = Path.of(args.get(i));
                }
                case "--check" -> check = true;
                case "--reload" -> reload = true;
                default -> throw new UsageException("unknown argument '" + a + "'");
            }
        }
        if (config == null) {
            throw new UsageException("--config FILE is required");
        }
        if (check && reload) {
            throw new UsageException("--check and --reload exclude each other");
        }
        Node.Builder builder;
        try {
            builder = NodeConfig.read(config);
        } catch (ConfigException e) {
            io.err().println("hygiene relay: " + e.getMessage());
            return EXIT_ERROR;
        } catch (IOException e) {
            io.err().println("hygiene relay: cannot read " + IoErrors.describe(config, e));
            return EXIT_ERROR;
        }
        try {
            // Everything start builds, except the data directory and the listening socket.
            builder.check();
        } catch (RuntimeException e) {
            io.err().println("hygiene relay: " + config + ": " + e.getMessage());
            return EXIT_ERROR;
        }
        for (String warning : builder.configurationWarnings()) {
            io.err().println("hygiene relay: " + config + ": warning: " + warning);
        }
        if (check) {
            boolean failed = false;
            Optional<SharedState> shared = builder.sharedState();
            if (shared.isPresent()) {
                String at = CheckLocations.line(config, "redis");
                try (SharedState store = shared.get()) {
                    // A harmless write, not PING: a read-only replica, a full Redis under noeviction, an ACL user
                    // without write permission and a wrong password all answer PING, and the running node would have
                    // failed at every write (its first WARN line said so, not --check).
                    Optional<String> refusal = store.writeRefusal();
                    if (refusal.isPresent()) {
                        io.err()
                                .println("hygiene relay: " + at
                                        + ": redis: the shared store refuses the node's writes: " + refusal.get());
                        failed = true;
                    }
                } catch (SharedStateException | RuntimeException e) {
                    // The node starts whether or not the store answers (it works on its own state meanwhile), so
                    // this is a warning, not an error: a wrong Sentinel master name or a cluster seed without
                    // cluster support shows here instead of only in the running node's log.
                    io.err()
                            .println("hygiene relay: " + at + ": warning: redis: the shared store does not answer now"
                                    + " (the node would start and work on its own state until it does): "
                                    + e.getMessage());
                }
            }
            // A daemon on a wrong port or socket: the node would start and mark it down (and hold or pass mail by
            // its on-failure setting), so a warning, as for the shared store.
            for (String down : builder.probeScanners()) {
                io.err()
                        .println("hygiene relay: " + CheckLocations.scannerLine(config, down) + ": warning: scanner "
                                + down
                                + " (the node would start, and scans through it would fail while it does not answer;"
                                + " check its address in the scanner line)");
            }
            // clamd answering OK for what it stopped reading at a limit: the node would deliver such mail as clean
            for (String w : builder.checkScannerLimits()) {
                io.err().println("hygiene relay: " + CheckLocations.scannerLine(config, w) + ": warning: scanner " + w);
            }
            // The static next hops: one that speaks another protocol would hold every message for it in the queue
            // until the queue lifetime ends (before, --check never looked at them).
            for (NextHopProbe.Finding f : NextHopProbe.probe(config, PROBE_TIMEOUT)) {
                io.err().println("hygiene relay: " + f.text());
                failed |= f.error();
            }
            if (failed) {
                return EXIT_ERROR;
            }
            io.out().println(config + ": OK");
            return EXIT_OK;
        }
        if (reload) {
            try {
                Path data = Node.requestReload(builder, config);
                io.out()
                        .println("reload requested: a node running with " + data + " reloads " + config
                                + " within a second (its log says whether it was applied; a node started with"
                                + " another file refuses it there); no running node is checked for: a stopped one"
                                + " reads the file when it starts");
                return EXIT_OK;
            } catch (IOException e) {
                io.err().println("hygiene relay: cannot request a reload: " + e.getMessage());
                return EXIT_ERROR;
            }
        }
        Optional<InetSocketAddress> adminAt = builder.adminListen();
        PrometheusMeterRegistry registry = null;
        RelayMetrics relayMetrics = null;
        ScanMetrics scanMetrics = null;
        if (adminAt.isPresent()) {
            registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            scanMetrics = new ScanMetrics();
            relayMetrics = new RelayMetrics();
            scanMetrics.bindTo(registry);
            relayMetrics.bindTo(registry);
            builder.listener(scanMetrics).sessionListener(relayMetrics).deliveryListener(relayMetrics);
        }
        Node node;
        AdminServer admin = null;
        // The admin endpoint is bound before the node starts: a node whose admin-listen address was taken used to
        // accept mail and start delivering, then stop again for the admin endpoint it could not bind. Until the node
        // runs, /health says it is starting (503).
        AtomicReference<Node> running = new AtomicReference<>();
        // While the node stops (up to its stop-grace, 10 s by default, and the delivery agent's end), /health says so
        // (503) rather than refusing connections: the admin endpoint closes after the node.
        AtomicBoolean stopping = new AtomicBoolean();
        if (adminAt.isPresent()) {
            try {
                admin = AdminServer.start(adminAt.get(), registry, () -> {
                    Node n = running.get();
                    if (stopping.get()) {
                        return down("stopping");
                    }
                    return n != null ? RelayMetrics.health(n) : down("starting");
                });
            } catch (IOException | RuntimeException e) {
                io.err().println("hygiene relay: cannot listen on admin-listen " + adminAt.get() + ": " + e);
                return EXIT_ERROR;
            }
        }
        // The shutdown hook is registered before the node starts: registered after, a SIGTERM that came between the
        // start and the registration (a supervisor stopping a node it had just started) halted the JVM without closing
        // the node (no statistics written, sessions cut without 421) and failed the registration with "Shutdown in
        // progress". The hook waits for the start to end, then closes whatever started.
        CountDownLatch stopped = new CountDownLatch(1);
        CountDownLatch startEnded = new CountDownLatch(1);
        AtomicReference<Node> startedNode = new AtomicReference<>();
        AdminServer adminServer = admin;
        Thread hook = new Thread(
                () -> {
                    stopping.set(true);
                    try {
                        // bounded: a start stuck (a huge spool being recovered) must not keep the JVM from stopping;
                        // what it stored is durable in the spool, and the next start recovers it
                        if (!startEnded.await(START_WAIT_AT_STOP.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
                            System.err.println(
                                    "hygiene relay: the node's start had not ended " + START_WAIT_AT_STOP.toSeconds()
                                            + " s after SIGTERM; stopping without it (the spool keeps what it"
                                            + " stored)");
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    Node n = startedNode.get();
                    if (n != null) {
                        n.close();
                    }
                    if (adminServer != null) {
                        adminServer.close();
                    }
                    stopped.countDown();
                },
                "relay-shutdown");
        try {
            shutdownHooks.accept(hook);
        } catch (IllegalStateException e) {
            // "Shutdown in progress": a SIGTERM came before anything started (a supervisor's stop right after its
            // start); nothing to close but the admin endpoint. Before, this was a stack trace from thread main.
            if (admin != null) {
                admin.close();
            }
            io.err().println("hygiene relay: stopped before the node started");
            return EXIT_OK;
        }
        try {
            node = builder.build();
            // This frame lives as long as the node, and the builder holds the scanners it was built with (the Bayes
            // model: 20 MB for the shipped one): after a reload they stayed in memory beside the reloaded ones (a
            // second model for the life of the process; session 43's soak)
            builder = null;
            try {
                node.start();
            } finally {
                startedNode.set(node); // closed by the hook (or below) even when its start failed half-way
            }
        } catch (IOException | RuntimeException e) {
            io.err().println("hygiene relay: " + startFailure(config, e));
            Node half = startedNode.get();
            if (half != null) {
                half.close();
            }
            startEnded.countDown();
            removeHook(hook);
            if (admin != null) {
                admin.close();
            }
            return EXIT_ERROR;
        } finally {
            startEnded.countDown();
        }
        if (adminAt.isPresent()) {
            relayMetrics.watch(node);
            expectScanners(scanMetrics, node);
            running.set(node);
        }
        try {
            NodeReloader reloader = NodeReloader.of(node, config);
            Node reloaded = node;
            ScanMetrics metrics = scanMetrics;
            Runnable reloadNow = () -> {
                reloader.reload();
                expectScanners(metrics, reloaded); // a scanner the reload added is published at 0 as well
            };
            node.onReloadRequest(reloadNow, config);
            String noSignal = ReloadSignal.install("relay-reload", reloadNow);
            if (noSignal != null) {
                io.err()
                        .println("hygiene relay: " + noSignal + "; reload with hygiene relay --reload --config "
                                + config);
            }
        } catch (IOException | ConfigException e) {
            io.err()
                    .println("hygiene relay: " + config + " changed while starting (" + e.getMessage()
                            + "); running without reload");
        }
        io.out().println(node.name() + " " + DemoTopology.url(node.address()));
        if (admin != null) {
            io.out().println(node.name() + " admin http://" + DemoTopology.hostPort(admin.address()) + "/metrics");
        }
        io.out().flush();
        try {
            stopped.await();
        } finally {
            if (stopped.getCount() > 0 && removeHook(hook)) {
                stopping.set(true);
                node.close();
                if (adminServer != null) {
                    adminServer.close();
                }
            }
        }
        return EXIT_OK;
    }

    /**
     * Removes the shutdown hook; {@code false} when the JVM is already shutting down (the hook then runs and stops the
     * node itself).
     */
    /**
     * Why a valid file's node could not start, naming the line to fix when the cause is an administrator's: the
     * {@code listen} address taken (another node or program on it) or the {@code data} directory in use by another
     * node. Anything else is said as it was.
     */
    static String startFailure(Path config, Exception e) {
        String key = null;
        String why = null;
        for (Throwable t = e; t != null && key == null; t = t.getCause()) {
            if (t instanceof java.net.BindException) {
                key = "listen";
                why = t.getMessage() + " (another node or program listens there)";
            } else if (t instanceof org.mailhygiene.smtp.queue.Spool.InUseException) {
                key = "data";
                why = " is in use by another node (" + t.getMessage() + "): two nodes cannot share a data directory";
            }
        }
        if (key == null) {
            return "cannot start: " + e;
        }
        int line = 0;
        String value = "";
        try {
            org.mailhygiene.smtp.config.ConfigFile file = org.mailhygiene.smtp.config.ConfigFile.read(config);
            line = file.lineOf(key);
            value = file.string(key).orElse("");
        } catch (IOException | org.mailhygiene.smtp.config.ConfigException | RuntimeException ignored) {
            // read a moment ago; if it cannot be read now, the message goes without its line
        }
        String where = config + (line > 0 ? " line " + line : "") + ": " + key + ": ";
        if (key.equals("data")) {
            Path dir = config.toAbsolutePath().getParent() == null
                    ? Path.of(value)
                    : config.toAbsolutePath().getParent().resolve(value).normalize();
            return "cannot start: " + where + dir + why;
        }
        return "cannot start: " + where + why;
    }

    private static boolean removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    /** Publishes the counters of the node's scanners at 0 (ScanMetrics#expectScanners), when metrics are on. */
    private static void expectScanners(ScanMetrics metrics, Node node) {
        if (metrics != null) {
            metrics.expectScanners(node.scanners().stream()
                    .map(org.mailhygiene.api.Scanner::name)
                    .toList());
        }
    }

    /** The health of a node that is not running (yet, or any more): 503 with the reason. */
    private static HealthReport down(String why) {
        return new HealthReport(false, List.of(new HealthReport.Component("smtp", HealthReport.State.DOWN, why)));
    }
}
