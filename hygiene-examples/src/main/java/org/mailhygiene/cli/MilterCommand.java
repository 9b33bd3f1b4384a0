package org.mailhygiene.cli;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.events.HygieneListener;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.Disposition;
import org.mailhygiene.api.policy.Policy;
import org.mailhygiene.api.policy.SmtpReply;
import org.mailhygiene.internal.IoErrors;
import org.mailhygiene.internal.LockedDirectory;
import org.mailhygiene.internal.LogText;
import org.mailhygiene.metrics.AdminServer;
import org.mailhygiene.metrics.MilterMetrics;
import org.mailhygiene.metrics.ScanMetrics;
import org.mailhygiene.milter.MilterListener;
import org.mailhygiene.milter.MilterOutcome;
import org.mailhygiene.milter.MilterServer;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.ScanReport;
import org.mailhygiene.smtp.config.ConfigException;
import org.mailhygiene.smtp.config.ConfigFile;
import org.mailhygiene.smtp.queue.ScanNote;
import org.mailhygiene.smtp.stats.Counter;
import org.mailhygiene.smtp.stats.NodeStatistics;
import org.mailhygiene.smtp.topology.Node;
import org.mailhygiene.smtp.topology.NodeConfig;
import org.mailhygiene.smtp.topology.NodeService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code hygiene milter}: runs the milter server ({@link MilterServer}) for Postfix ({@code smtpd_milters =
 * inet:HOST:PORT}) or Sendmail, scanning with the same scanner options as {@code hygiene scan}, or with the scanner,
 * policy and statistics keys of a node configuration file ({@code --config}). Prints {@code milter inet:HOST:PORT}
 * once it accepts connections and runs until SIGTERM or Ctrl-C (SIGHUP is logged and ignored). With a data directory, statistics are kept as a relay
 * node keeps them, for {@code hygiene report --data DIR}; every message gets one log line. With {@code --admin IP:PORT}
 * (or {@code admin-listen}) {@code /metrics} and {@code /health} are served as by a relay node ({@link MilterMetrics},
 * {@link ScanMetrics}).
 */
public final class MilterCommand implements Command {
    /**
     * The logger, made on first use: {@link Main#commands()} creates every command, and a logger made then would set
     * up logging before {@code hygiene demo} can send its lines to {@code DIR/demo.log}.
     */
    /** How the milter's private directory of spilled messages under {@code java.io.tmpdir} starts its name. */
    static final String SPILL_PREFIX = "hygiene-milter-";

    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger("org.mailhygiene.milter");

        private Log() {}
    }

    private final List<ScannerOption> options;

    /**
     * Creates the command with the given scanner options.
     *
     * @param options the scanner options to offer, e.g. {@link ScannerOptions#standard()}
     */
    public MilterCommand(List<ScannerOption> options) {
        this.options = List.copyOf(options);
    }

    @Override
    public String name() {
        return "milter";
    }

    @Override
    public String summary() {
        return "run a milter for Postfix or Sendmail (smtpd_milters = inet:HOST:PORT) until stopped";
    }

    @Override
    public String usage() {
        StringBuilder sb = new StringBuilder();
        sb.append("usage: hygiene milter --listen HOST:PORT SCANNER... [options]\n");
        sb.append("       hygiene milter --config FILE [--listen HOST:PORT] [options]\n\n");
        sb.append("Runs a milter (Sendmail mail filter protocol 6, or lower as the MTA offers) that scans every\n");
        sb.append("message Postfix or Sendmail receives: viruses are refused at DATA with our reply\n");
        sb.append("(554 5.7.1 Virus found: NAME), spam is delivered with the Subject tag and X-Spam-* headers,\n");
        sb.append("a scanner failure is a 451, quarantine uses the MTA's hold queue. Postfix main.cf:\n");
        sb.append("  smtpd_milters = inet:HOST:PORT\n  milter_default_action = tempfail\n");
        sb.append("Prints 'milter inet:HOST:PORT' once it accepts connections; runs until SIGTERM or Ctrl-C\n"
                + "(SIGHUP is logged and ignored: restart the milter to apply a changed file).\n\n");
        sb.append("scanners (at least one, unless --config gives them):\n");
        for (ScannerOption o : options) {
            String left = o.flag() + o.argumentName().map(a -> " " + a).orElse("");
            sb.append(String.format("  %-24s %s\n", left, o.description()));
        }
        sb.append("\noptions:\n");
        sb.append(String.format(
                "  %-24s %s\n", "--listen HOST:PORT", "address to listen on (an IP address; port 0 = any free port)"));
        sb.append(String.format(
                "  %-24s %s\n", "--config FILE", "a node configuration file: its scanner keys (with the per-scanner"));
        sb.append(String.format(
                "  %-24s %s\n",
                "", "ones, e.g. spamd.size-limit), on-failure (and on-failure.KIND, SCANNER.on-failure),"));
        sb.append(String.format(
                "  %-24s %s\n", "", "spam-threshold, spam-tag, spam-status, spam-reject-score, virus-action,"));
        sb.append(String.format("  %-24s %s\n", "", "not-read-action (with"));
        sb.append(String.format(
                "  %-24s %s\n", "", "scanner = auth: dns, dmarc-reject, dmarc-exempt, dmarc-temperror, spf-helo and"));
        sb.append(String.format("  %-24s %s\n", "", "hostname), name,"));
        sb.append(String.format("  %-24s %s\n", "", "data, listen, admin-listen and stats-flush (docs/milter.md)"));
        sb.append(String.format(
                "  %-24s %s\n", "--data DIR", "keep statistics under DIR/stats (for hygiene report --data DIR)"));
        sb.append(String.format(
                "  %-24s %s\n", "--admin IP:PORT", "serve /metrics (Prometheus) and /health there (or admin-listen)"));
        sb.append(String.format(
                "  %-24s %s\n", "--dns IP:PORT", "the DNS server --auth asks (default /etc/resolv.conf's)"));
        sb.append(String.format(
                "  %-24s %s\n",
                "--local-domains D,...",
                "our mail domains: --bayes calls a bounce for mail not from them backscatter"));
        sb.append(String.format(
                "  %-24s %s\n",
                "--no-brand-check", "the classifier leaves a brand's name over a stranger's address to its score"));
        sb.append(String.format("  %-24s %s\n", "--name NAME", "name in statistics and log lines (default: milter)"));
        sb.append(String.format(
                "  %-24s %s\n",
                "--scan-timeout DURATION",
                "deadline of one scan; past it the policy decides (default 2m, longer when a scanner's own bound in"
                        + " --config is longer)"));
        sb.append(String.format(
                "  %-24s %s\n", "--progress DURATION", "how often SMFIR_PROGRESS is sent during a scan (default 10s)"));
        sb.append(String.format("  %-24s %s\n", "--check", "with --config: validate the file and exit"));
        sb.append(String.format("  %-24s %s\n", "-h, --help", "show this help"));
        return sb.toString();
    }

    @Override
    public int run(List<String> args, Io io) throws UsageException, InterruptedException {
        String listen = null;
        // where an address came from, for a bind failure: the flag, or the file and line of its key
        String listenWhere = "--listen";
        String adminWhere = "--admin";
        Path config = null;
        Path data = null;
        String name = null;
        InetSocketAddress admin = null;
        Optional<InetSocketAddress> dns = Optional.empty();
        List<String> localDomains = List.of();
        Duration scanTimeout = null; // --scan-timeout, else the file's (a scanner's longer bound), else 2m
        Duration progress = Duration.ofSeconds(10);
        boolean check = false;
        boolean brandCheck = true;
        Map<ScannerOption, List<Optional<String>>> chosen = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "-h", "--help" -> {
                    io.out().print(usage());
                    return EXIT_OK;
                }
                case "--listen" -> listen = value(args, ++i, a);
                case "--config" -> config = Path.of(value(args, ++i, a));
                case "--data" -> data = Path.of(value(args, ++i, a));
                case "--admin" -> admin = adminAddress(value(args, ++i, a));
                case "--dns" -> dns = Optional.of(ScanSettings.parseIpPort(a, value(args, ++i, a)));
                case "--local-domains" -> localDomains = ScanSettings.parseDomains(a, value(args, ++i, a));
                case "--name" -> name = value(args, ++i, a);
                case "--scan-timeout" -> scanTimeout = duration(value(args, ++i, a), a);
                case "--progress" -> progress = duration(value(args, ++i, a), a);
                case "--check" -> check = true;
                case "--no-brand-check" -> brandCheck = false;
                default -> {
                    int eq = a.indexOf('=');
                    String flag = eq < 0 ? a : a.substring(0, eq);
                    ScannerOption option = options.stream()
                            .filter(o -> o.flag().equals(flag))
                            .findFirst()
                            .orElseThrow(() -> new UsageException("unknown argument '" + a + "'"));
                    Optional<String> v = Optional.empty();
                    if (option.argumentName().isPresent()) {
                        v = Optional.of(eq >= 0 ? a.substring(eq + 1) : value(args, ++i, flag));
                    } else if (eq >= 0) {
                        throw new UsageException(flag + " takes no argument");
                    }
                    chosen.computeIfAbsent(option, o -> new ArrayList<>()).add(v);
                }
            }
        }
        if (config != null && !brandCheck) {
            throw new UsageException("with --config, turn the brand check off with the 'bayes.brand-check = off' key");
        }
        if (config != null && !chosen.isEmpty()) {
            throw new UsageException("give scanners either on the command line or in --config, not both");
        }
        if (config == null && chosen.isEmpty()) {
            throw new UsageException("choose at least one scanner ("
                    + String.join(
                            ", ", options.stream().map(ScannerOption::flag).toList()) + ") or --config FILE");
        }
        if (check && config == null) {
            throw new UsageException("--check needs --config FILE");
        }
        List<Scanner> scanners = new ArrayList<>();
        List<NodeService> services = new ArrayList<>();
        Policy policy = null;
        Optional<Duration> flush = Optional.empty();
        if (config != null) {
            NodeConfig.Scanning s;
            try {
                s = NodeConfig.readScanning(config);
            } catch (ConfigException e) {
                io.err().println("hygiene milter: " + e.getMessage());
                return EXIT_ERROR;
            } catch (IOException e) {
                io.err().println("hygiene milter: cannot read " + IoErrors.describe(config, e));
                return EXIT_ERROR;
            }
            if (check) {
                // a daemon on a wrong port or socket (or a silent member of a group): the milter would start with it
                // marked down and the MTA get 451 for every message, or unscanned mail with on-failure = accept; the
                // relay's --check says the same (Node.probeScanners)
                for (String down : Node.probeScanners(s.scanners())) {
                    io.err()
                            .println("hygiene milter: " + CheckLocations.scannerLine(config, down)
                                    + ": warning: scanner "
                                    + down
                                    + " (the milter would start, and scans through it would fail while it does not"
                                    + " answer; check its address in the scanner line)");
                }
                // clamd answering OK for what it stopped reading at a limit, a command-line scanner calling the EICAR
                // test file clean: such mail would pass as clean
                for (String w : Node.checkScannerLimits(s.scanners())) {
                    io.err()
                            .println("hygiene milter: " + CheckLocations.scannerLine(config, w) + ": warning: scanner "
                                    + w);
                }
                // the admin endpoint has no authentication: as the relay's --check says (NodeConfig)
                Optional<String> exposed = s.adminListen().flatMap(NodeConfig::adminExposure);
                if (exposed.isPresent()) {
                    io.err()
                            .println("hygiene milter: " + CheckLocations.line(config, "admin-listen")
                                    + ": admin-listen: warning: " + exposed.get());
                }
                // the milter protocol has no authentication either (docs/milter.md)
                if (s.listen().isPresent()) {
                    Optional<String> open =
                            NodeConfig.milterExposure(listenAddress(s.listen().get()));
                    if (open.isPresent()) {
                        io.err()
                                .println("hygiene milter: " + CheckLocations.line(config, "listen")
                                        + ": listen: warning: " + open.get());
                    }
                }
                io.out().println(config + ": OK");
                return EXIT_OK;
            }
            scanners.addAll(s.scanners());
            services.addAll(s.services()); // the bayes: model's reload check, probes, updates, as a node runs them
            policy = s.policy();
            flush = s.statisticsFlush();
            if (scanTimeout == null) {
                scanTimeout = s.scanDeadline();
            }
            if (listen == null && s.listen().isPresent()) {
                listen = s.listen().get();
                listenWhere = CheckLocations.line(config, "listen") + ": listen";
            }
            data = data != null ? data : s.data().orElse(null);
            name = name != null ? name : s.name().orElse(null);
            if (admin == null && s.adminListen().isPresent()) {
                admin = s.adminListen().get();
                adminWhere = CheckLocations.line(config, "admin-listen") + ": admin-listen";
            }
        } else {
            if (!localDomains.isEmpty() && chosen.keySet().stream().noneMatch(o -> o instanceof BayesScannerOption)) {
                throw new UsageException("--local-domains goes with --bayes (e.g. --builtin --bayes default"
                        + " --local-domains example.org)");
            }
            if (!brandCheck
                    && chosen.keySet().stream()
                            .noneMatch(o -> o instanceof BayesScannerOption || o instanceof BuiltinScannerOption)) {
                throw new UsageException("--no-brand-check goes with --bayes or --builtin (their classifier)");
            }
            ScanSettings settings = new ScanSettings(
                    dns, Optional.empty(), Optional.empty(), Optional.empty(), localDomains, brandCheck);
            for (Map.Entry<ScannerOption, List<Optional<String>>> e : chosen.entrySet()) {
                scanners.addAll(
                        e.getKey() instanceof BuiltinScannerOption builtin
                                ? builtin.createBeside(e.getValue(), chosen.keySet(), settings)
                                : e.getKey().createAll(e.getValue(), settings));
            }
            services.addAll(probes(scanners));
        }
        if (config != null && !localDomains.isEmpty()) {
            throw new UsageException("with --config, give our mail domains with the 'bayes.local-domains' key");
        }
        if (config != null && dns.isPresent()) {
            throw new UsageException("with --config, give the DNS server with the 'dns' key");
        }
        if (scanTimeout == null) {
            scanTimeout = ScanPipeline.DEFAULT_DEADLINE;
        }
        if (listen == null) {
            throw new UsageException("--listen HOST:PORT is required (or 'listen' in the configuration file)");
        }
        InetSocketAddress at = listenAddress(listen);
        String node = name == null ? "milter" : name;
        return serve(
                io,
                at.getAddress(),
                at.getPort(),
                listenWhere,
                adminWhere,
                node,
                data,
                admin,
                scanners,
                services,
                policy,
                scanTimeout,
                progress,
                flush.orElse(Duration.ofSeconds(5)));
    }

    private static int serve(
            Io io,
            InetAddress ip,
            int port,
            String listenWhere,
            String adminWhere,
            String node,
            Path data,
            InetSocketAddress adminAt,
            List<Scanner> scanners,
            List<NodeService> services,
            Policy policy,
            Duration scanTimeout,
            Duration progress,
            Duration flushEvery)
            throws InterruptedException {
        Clock clock = Clock.systemDefaultZone();
        NodeStatistics statistics = null;
        ScheduledExecutorService flusher = null;
        ScanPipeline pipeline = null;
        MilterServer server = null;
        AdminServer admin = null;
        LockedDirectory spill = null;
        try {
            // Messages past the memory threshold are written here while they are scanned: a private directory, locked
            // while this milter runs, so that one killed outright (kill -9, the OOM killer) leaves them only until the
            // next milter or scan starts, not for good.
            Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
            try {
                spill = LockedDirectory.create(tmp, SPILL_PREFIX);
            } catch (IOException e) {
                io.err()
                        .println("hygiene milter: cannot make a temporary directory in " + tmp + ": "
                                + IoErrors.describe(e));
                return EXIT_ERROR;
            }
            LockedDirectory.deleteAbandoned(tmp, SPILL_PREFIX, ScanCommand.ABANDONED_AFTER);
            List<HygieneListener> listeners = new ArrayList<>();
            PrometheusMeterRegistry registry = null;
            MilterMetrics milterMetrics = null;
            if (adminAt != null) {
                registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
                ScanMetrics scanMetrics = new ScanMetrics();
                // bound first: meters published before the registry is bound made Micrometer log a WARN at every start
                scanMetrics.bindTo(registry);
                // the milter's scanners are fixed until a restart: their counters are published at 0 at once
                scanMetrics.expectScanners(
                        scanners.stream().map(org.mailhygiene.api.Scanner::name).toList());
                milterMetrics = new MilterMetrics();
                milterMetrics.bindTo(registry);
                listeners.add(scanMetrics);
            }
            if (data != null) {
                statistics = NodeStatistics.open(data, node, clock);
                listeners.add(statistics);
            }
            ScanPipeline.Builder pb = ScanPipeline.builder().scanners(scanners).deadline(scanTimeout);
            if (policy != null) {
                pb.policy(policy);
            }
            // Dispositions are counted once the milter has answered (perMessage): a message the policy tagged but the
            // MTA would not let the milter mark is answered 451, and counts as tempfailed, as a relay counts it.
            HygieneListener all = HygieneListener.composite(listeners);
            if (!listeners.isEmpty()) {
                pb.listener(HygieneListener.withoutDispositions(all));
            }
            pipeline = pb.build();
            NodeStatistics stats = statistics;
            MilterMetrics metrics = milterMetrics;
            MilterListener log = perMessage(node, stats, metrics, all);
            MilterListener listener = metrics == null
                    ? log
                    : new MilterListener() {
                        @Override
                        public void handled(
                                Envelope envelope, MessageContent content, ScanReport report, MilterOutcome outcome) {
                            log.handled(envelope, content, report, outcome);
                        }

                        @Override
                        public void connectionClosed(Close reason) {
                            metrics.connectionClosed(reason);
                        }
                    };
            server = MilterServer.builder()
                    .bindAddress(ip)
                    .port(port)
                    .pipeline(pipeline)
                    .listener(listener)
                    .progressInterval(progress)
                    .scanTimeout(scanTimeout.plusSeconds(60))
                    .spoolDirectory(spill.path())
                    .build();
            try {
                server.start();
            } catch (java.net.BindException e) {
                io.err().println(cannotListen(listenWhere, e));
                close(admin, server, pipeline, flusher, statistics, services, scanners, spill);
                return EXIT_ERROR;
            }
            // no authentication: said at start, as --check says it (and as for admin-listen below)
            NodeConfig.milterExposure(new InetSocketAddress(ip, server.address().getPort()))
                    .ifPresent(w -> io.err().println("hygiene milter: " + listenWhere + ": warning: " + w));
            for (NodeService service : services) {
                service.start();
            }
            if (metrics != null) {
                metrics.watch(server);
                MilterServer srv = server;
                ScanPipeline pip = pipeline;
                // no authentication: said at start, as --check says it (the relay prints its configuration warnings)
                String where = adminWhere;
                NodeConfig.adminExposure(adminAt)
                        .ifPresent(w -> io.err().println("hygiene milter: " + where + ": warning: " + w));
                try {
                    admin = AdminServer.start(adminAt, registry, () -> MilterMetrics.health(srv, pip));
                } catch (java.net.BindException e) {
                    io.err()
                            .println(cannotListen(
                                    adminWhere,
                                    org.mailhygiene.internal.HostPorts.cannotListen(
                                            adminAt.getAddress(), adminAt.getPort(), e)));
                    close(admin, server, pipeline, flusher, statistics, services, scanners, spill);
                    return EXIT_ERROR;
                }
            }
            if (statistics != null) {
                NodeStatistics s = statistics;
                flusher = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, node + "-stats");
                    t.setDaemon(true);
                    return t;
                });
                long ms = flushEvery.toMillis();
                flusher.scheduleWithFixedDelay(
                        () -> {
                            try {
                                s.flush();
                            } catch (IOException e) {
                                Log.LOG.warn("statistics flush failed", e);
                            }
                        },
                        ms,
                        ms,
                        TimeUnit.MILLISECONDS);
            }
        } catch (IOException | RuntimeException e) {
            io.err().println("hygiene milter: cannot start: " + e);
            close(admin, server, pipeline, flusher, statistics, services, scanners, spill);
            return EXIT_ERROR;
        }
        // SIGHUP: the JVM's default stops the process, and Postfix then answers every message 451 until a restart;
        // an administrator's kill -HUP (the relay reloads on it, clamav-milter reopens its log) must not do that.
        String noSignal = ReloadSignal.install(
                "milter-hup",
                () -> Log.LOG.warn(
                        "{}: SIGHUP ignored: the milter does not reload its configuration, restart it to apply a"
                                + " changed file (a bayes: model is re-read by its reload check without one)",
                        node));
        // ignored since the start (nohup): a SIGHUP does nothing to the milter, which is what the handler is for
        if (noSignal != null && !noSignal.equals(ReloadSignal.IGNORED)) {
            io.err().println("hygiene milter: " + noSignal + "; a SIGHUP stops the milter");
        }
        AdminServer adm = admin;
        CountDownLatch stopped = new CountDownLatch(1);
        MilterServer srv = server;
        ScanPipeline pip = pipeline;
        ScheduledExecutorService fl = flusher;
        NodeStatistics st = statistics;
        LockedDirectory sp = spill;
        Thread hook = new Thread(
                () -> {
                    close(adm, srv, pip, fl, st, services, scanners, sp);
                    stopped.countDown();
                },
                "milter-shutdown");
        // Both before the ready line: a SIGHUP or SIGTERM sent once it is printed must find them in place (a SIGHUP
        // in between stopped the milter; a SIGTERM failed the registration with "Shutdown in progress").
        try {
            Runtime.getRuntime().addShutdownHook(hook);
        } catch (IllegalStateException e) {
            close(adm, srv, pip, fl, st, services, scanners, sp);
            io.err().println("hygiene milter: stopped as it started");
            return EXIT_OK;
        }
        io.out().println("milter " + server.socketSpec());
        if (admin != null) {
            io.out().println(node + " admin http://" + DemoTopology.hostPort(admin.address()) + "/metrics");
        }
        io.out().flush();
        try {
            stopped.await();
        } finally {
            if (stopped.getCount() > 0) {
                Runtime.getRuntime().removeShutdownHook(hook);
                close(adm, srv, pip, fl, st, services, scanners, sp);
            }
        }
        return EXIT_OK;
    }

    /**
     * The address of {@code --listen} or the {@code listen} key: {@code IP:PORT}, an IPv6 address in brackets, the
     * other address options' reading of IPv4 (four numbers without leading zeros).
     *
     * @throws UsageException if it is not {@code IP:PORT}
     */
    static InetSocketAddress listenAddress(String listen) throws UsageException {
        int colon = listen.lastIndexOf(':');
        ScanSettings.requireBrackets("--listen", listen);
        try {
            if (colon <= 0) {
                throw new IllegalArgumentException();
            }
            String host = listen.substring(0, colon).replace("[", "").replace("]", "");
            if (!host.matches("[0-9.]+|[0-9a-fA-F:]+")) {
                throw new IllegalArgumentException();
            }
            // the other address options' reading: four numbers without leading zeros for IPv4 (127.1, 127.0.0.010)
            InetAddress ip = ScanSettings.parseIp("--listen", host);
            int port = Integer.parseInt(listen.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException();
            }
            return new InetSocketAddress(ip, port);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--listen expects IP:PORT, e.g. 127.0.0.1:8891, was '" + listen + "'");
        }
    }

    /**
     * A taken address said as the relay says it ({@code RelayCommand.startFailure}): where it was given (the flag, or
     * the file and line of its key) and the address. Until session 47 the milter said only {@code cannot start:
     * java.net.BindException: Address already in use}, for its listener and its admin endpoint alike.
     */
    static String cannotListen(String where, java.net.BindException e) {
        return "hygiene milter: cannot start: " + where + ": " + e.getMessage()
                + " (another milter or program listens there)";
    }

    /**
     * Stops what {@code serve} started, in this order: the milter server (it stops accepting and ends its sessions,
     * waiting up to 5 s for them, while {@code /health} answers 503 "not running"), the admin endpoint, the services,
     * the statistics flusher, the statistics (written once more), the pipeline, the scanners and the directory of
     * spilled messages. Package-private for
     * {@code MilterShutdownOrderTest}; any argument may be {@code null} (never started). Never throws.
     */
    static void close(
            AdminServer admin,
            MilterServer server,
            ScanPipeline pipeline,
            ScheduledExecutorService flusher,
            NodeStatistics statistics,
            List<NodeService> services,
            List<Scanner> scanners,
            LockedDirectory spill) {
        // The server first: while it ends its sessions /health answers 503 ("not running") instead of refusing
        // connections; the admin endpoint closes before the pipeline its health reads.
        if (server != null) {
            server.close();
        }
        if (admin != null) {
            admin.close();
        }
        for (NodeService service : services) {
            service.close(); // idempotent, and safe when never started
        }
        if (flusher != null) {
            flusher.shutdownNow();
        }
        if (statistics != null) {
            try {
                statistics.close();
            } catch (IOException e) {
                Log.LOG.warn("statistics could not be written", e);
            }
        }
        if (pipeline != null) {
            pipeline.close();
        }
        for (Scanner s : scanners) {
            if (s instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    Log.LOG.warn("closing scanner {} failed", s.name(), e);
                }
            }
        }
        if (spill != null) {
            try {
                spill.close();
            } catch (IOException e) {
                Log.LOG.warn("cannot remove the directory of spilled messages {}: {}", spill.path(), e.toString());
            }
        }
    }

    /**
     * What {@code serve} does for each answered message: the milter's meters (if any), the statistics (if any: a
     * message the MTA accepted counts as received; one answered without a scan report, the backstop's {@code 451
     * 4.4.5} or a stop's {@code 451 4.3.0}, counts as tempfailed, since the pipeline recorded no disposition for it;
     * until session 35 such messages were missing from {@code hygiene report}) and the log line ({@link #logLine}).
     *
     * @param node the name in log lines
     * @param stats the statistics, or {@code null}
     * @param metrics the meters, or {@code null}
     * @param dispositions the pipeline's listeners, told each scanned message's disposition as carried out
     *     ({@link #carriedOut}): the pipeline itself tells them none
     * @return the listener; as fast and thread-safe as its parts
     */
    static MilterListener perMessage(
            String node, NodeStatistics stats, MilterMetrics metrics, HygieneListener dispositions) {
        return (env, content, report, outcome) -> {
            if (metrics != null) {
                metrics.handled(env, content, report, outcome);
            }
            if (report != null) {
                dispositions.disposition(carriedOut(report.disposition(), outcome), new Message(env, content));
            }
            if (stats != null) {
                if (outcome.action().acceptsMessage()) {
                    stats.received();
                } else if (report == null) {
                    stats.add(Counter.TEMPFAILED, 1);
                }
            }
            if (Log.LOG.isInfoEnabled()) {
                Log.LOG.info(logLine(node, env, content, report, outcome));
            }
        };
    }

    /**
     * The policy's disposition as the milter carried it out: the same, or, when the milter could not carry it out (the
     * MTA refused the header changes or the quarantine a disposition needs) and answered 451 instead, a
     * {@code TEMPFAIL} on the same scan results.
     */
    static Disposition carriedOut(Disposition d, MilterOutcome outcome) {
        if (outcome.action() == d.action() || outcome.action() != Action.TEMPFAIL) {
            return d;
        }
        return new Disposition(
                Action.TEMPFAIL,
                new SmtpReply(451, "4.7.0", "not carried out"),
                d.reason() + " (not carried out: " + outcome.reply() + ")",
                Optional.empty(),
                List.of(),
                d.basis());
    }

    /**
     * The one log line per message: {@code NODE id=QUEUEID client=IP from=<S> to=[<R>, ...] size=N verdicts=[...]
     * disposition=ACTION result=accepted|REPLY[ progress=N]}. Built in one buffer: it runs for every message.
     */
    static String logLine(String node, Envelope env, MessageContent content, ScanReport report, MilterOutcome outcome) {
        StringBuilder sb = new StringBuilder(256)
                .append(node)
                .append(" id=")
                .append(outcome.mtaQueueId().orElse("-"))
                .append(" client=")
                .append(env.clientAddress().map(InetAddress::getHostAddress).orElse("-"))
                .append(" from=<")
                .append(LogText.printable(env.sender()))
                .append("> to=[");
        List<?> recipients = env.recipients();
        for (int i = 0; i < recipients.size(); i++) {
            sb.append(i == 0 ? "<" : ", <")
                    .append(LogText.printable(String.valueOf(recipients.get(i))))
                    .append('>');
        }
        sb.append("] size=").append(content.size()).append(" verdicts=");
        if (report == null) {
            sb.append("[]");
        } else {
            sb.append(ScanNote.verdicts(report.results())); // as the relay's log lines say them
        }
        sb.append(" disposition=")
                .append(outcome.action())
                .append(" result=")
                .append(outcome.action().acceptsMessage() ? "accepted" : outcome.reply());
        if (outcome.progressReplies() > 0) {
            sb.append(" progress=").append(outcome.progressReplies());
        }
        return sb.toString();
    }

    /** {@code IP:PORT} for {@code --admin}; port 0 picks a free port. */
    private static InetSocketAddress adminAddress(String text) throws UsageException {
        ScanSettings.requireBrackets("--admin", text);
        int colon = text.lastIndexOf(':');
        try {
            if (colon <= 0) {
                throw new IllegalArgumentException();
            }
            InetAddress ip = ScanSettings.parseIp(
                    "--admin", text.substring(0, colon).replace("[", "").replace("]", ""));
            int port = Integer.parseInt(text.substring(colon + 1));
            return new InetSocketAddress(ip, port);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--admin expects IP:PORT, e.g. 127.0.0.1:9101, was '" + text + "'");
        }
    }

    private static String value(List<String> args, int i, String flag) throws UsageException {
        if (i >= args.size() || args.get(i).isBlank()) {
            throw new UsageException(flag + " needs a value");
        }
        return args.get(i);
    }

    /** A positive duration given with {@code flag} ({@code 30s}, {@code 2m}), or a usage error naming the flag. */
    static Duration duration(String text, String flag) throws UsageException {
        try {
            Duration d = ConfigFile.parseDuration(Objects.requireNonNull(text));
            if (d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException("not positive");
            }
            return d;
        } catch (IllegalArgumentException e) {
            throw new UsageException(flag + " expects a duration such as 30s or 2m, was '" + text + "'");
        }
    }

    /** How often the daemon members marked down of scanners given by flags are PINGed: a node's default. */
    static final Duration FLAG_PROBE_INTERVAL = Duration.ofSeconds(1);

    /**
     * The probes of scanners given by flags ({@code --clamd}, {@code --spamd}), as a node runs them for its
     * {@code scanner} lines at the default {@code *.probe-interval}: every member marked down is PINGed every second
     * and comes back as soon as it answers. Without them (until session 43) a member of a {@code --clamd A --clamd B}
     * group, or a lone {@code --spamd}, stayed out for its whole back-off (30 s, doubling) after its daemon was back,
     * and a lone spamd's messages were answered 451 meanwhile (measured: 23 s after a spamd restart).
     */
    static List<NodeService> probes(List<Scanner> scanners) {
        List<NodeService> probes = new ArrayList<>();
        for (Scanner s : scanners) {
            if (s instanceof org.mailhygiene.scanners.clamd.ClamdScanner clamd) {
                probes.add(NodeService.every(s.name() + "-probe", FLAG_PROBE_INTERVAL, clamd::probeDown));
            } else if (s instanceof org.mailhygiene.scanners.spamd.SpamdScanner spamd) {
                probes.add(NodeService.every(s.name() + "-probe", FLAG_PROBE_INTERVAL, spamd::probeDown));
            }
        }
        return probes;
    }
}
