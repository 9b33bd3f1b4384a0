package org.mailhygiene.smtp.topology;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.events.HygieneListener;
import org.mailhygiene.api.policy.Policy;
import org.mailhygiene.api.routing.Router;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.internal.Checks;
import org.mailhygiene.internal.Durations;
import org.mailhygiene.internal.IoErrors;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.VerdictCache;
import org.mailhygiene.scanners.auth.ArcSealer;
import org.mailhygiene.scanners.auth.DkimSigning;
import org.mailhygiene.scanners.bayes.BayesScanner;
import org.mailhygiene.scanners.bayes.SharedModelSync;
import org.mailhygiene.scanners.shared.GuardedSharedState;
import org.mailhygiene.smtp.Relay;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.smtp.access.AccessRules;
import org.mailhygiene.smtp.delivery.DeliveryAgent;
import org.mailhygiene.smtp.delivery.DeliveryListener;
import org.mailhygiene.smtp.delivery.Endpoint;
import org.mailhygiene.smtp.delivery.RecipientResult;
import org.mailhygiene.smtp.delivery.SmtpClient;
import org.mailhygiene.smtp.delivery.SmtpTimeouts;
import org.mailhygiene.smtp.delivery.TlsPolicy;
import org.mailhygiene.smtp.queue.Quarantine;
import org.mailhygiene.smtp.queue.QueueId;
import org.mailhygiene.smtp.queue.QueueRequests;
import org.mailhygiene.smtp.queue.QueuedMessage;
import org.mailhygiene.smtp.queue.Spool;
import org.mailhygiene.smtp.server.ReloadableTls;
import org.mailhygiene.smtp.server.SessionListener;
import org.mailhygiene.smtp.server.SmtpServer;
import org.mailhygiene.smtp.stats.DailyReportMailer;
import org.mailhygiene.smtp.stats.NodeStatistics;
import org.mailhygiene.smtp.stats.SharedStatistics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node of the topology (an edge relay or the gateway), assembled from code: a {@link Relay} with its own
 * {@link Spool} ({@code DATA/spool}), {@link Quarantine} ({@code DATA/quarantine}) and {@link NodeStatistics}
 * ({@code DATA/stats}), the role's access rules and policy, static routes, and an SMTP client bound to the node's
 * outgoing address.
 *
 * <pre>{@code
 * Node gateway = Node.builder(Role.GATEWAY, "gateway")
 *         .listen(InetAddress.getByName("127.0.0.13"), 2525)
 *         .acceptedDomains(AcceptedDomains.of("dept-a.example", "dept-b.example"))
 *         .relayClients("127.0.0.11", "127.0.0.12", "127.0.0.21", "127.0.0.22")
 *         .router(StaticRouter.parse("dept-a.example:127.0.0.21:25\n:127.0.0.11:25,127.0.0.12:25"))
 *         .scanners(List.of(SignatureScanner.create()))
 *         .dataDirectory(Path.of("/var/lib/hygiene/gateway"))
 *         .build();
 * gateway.start();
 * }</pre>
 *
 * <p>Statistics: a message answered with 2xx counts as received (quarantined ones included); a delivery attempt that
 * delivered at least one recipient counts as sent; a stored bounce counts as bounced; the pipeline's dispositions give
 * spam, tagged, rejected, quarantined, tempfailed, viruses by name and scanner failures. They are flushed every
 * {@linkplain Builder#statisticsFlushInterval flush interval} (default 5 s) and on {@link #close()}.
 *
 * <p>Logging: one INFO line per message per node on the logger {@code org.mailhygiene.smtp.topology.Node}, in the
 * form {@code NODE id=ID client=IP from=<S> to=<R>,... size=N verdicts=[...] disposition=ACTION hop=HOST:PORT
 * delay=0.123s result=...}; messages refused or quarantined at DATA are logged when answered, messages kept in the
 * spool when a delivery attempt ends (a message released from quarantine with {@code verdicts=- disposition=RELEASED},
 * a bounce the node wrote with {@code verdicts=- disposition=BOUNCE}, a relayed or delay notice with {@code verdicts=-
 * disposition=NOTICE}; one recovered from the spool at start, whose scan
 * an earlier run saw, with what its spool record kept of the scan and {@code recovered=yes}, e.g. {@code
 * verdicts=[builtin:CLEAN] disposition=ACCEPT recovered=yes}, or {@code verdicts=? disposition=? recovered=yes} for a
 * message stored by a version before session 42).
 *
 * <p>Reload: {@link #reload(Builder)} applies a new configuration to a running node without dropping sessions or
 * messages in progress ({@link NodeReloader} does it from the configuration file, for {@code SIGHUP}).
 *
 * <p>Ownership: the node owns everything it builds and closes it in {@link #close()}; scanners passed in are closed
 * with the pipeline only if the pipeline closes them (it does not: close your scanners yourself when they need it).
 * Thread-safe.
 */
public final class Node implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Node.class);

    /**
     * How long a spool file set aside as {@code ID.q.incomplete} is kept before the node deletes it, by default: 7
     * days (see {@link Builder#incompleteRetention(Duration)}).
     */
    public static final Duration DEFAULT_INCOMPLETE_RETENTION = Duration.ofDays(7);

    /** Under the data directory: partly received and rewritten messages (see {@link Builder#temporaryDirectory()}). */
    static final String TEMPORARY_DIRECTORY = "tmp";

    private final String name;
    private final Role role;
    private final Path dataDirectory;
    private final Spool spool;
    private final Quarantine quarantine;
    private final NodeEvents events;
    private final NodeStatistics statistics;
    private final HygieneListener pipelineListener;
    /** {@link #pipelineListener} without dispositions: what the scan pipelines report to. */
    private final HygieneListener scanEvents;

    private final SwitchableRouter router;
    private final InetAddress listenAddress;
    private final int listenPort;
    private final String hostname;
    private final InetAddress outgoingAddress;
    private final Relay relay;
    private final ScheduledExecutorService flusher;
    private final Duration flushInterval;
    private final Duration incompleteRetention;
    private final String reportTo;
    private final String reportFrom;
    private final String postmaster;
    private final LocalTime reportAt;
    private final Clock clock;
    private volatile Duration tlsExpiryWarning;
    private volatile List<NodeService> services;
    private volatile ReloadableTls tls;
    private DailyReportMailer dailyReport;
    private final GuardedSharedState shared;
    private volatile LocalDate publishedDay;
    /** Whether the last statistics flush failed (logged once per run of failures). */
    private volatile boolean statisticsFailing;

    private volatile List<SharedModelSync> modelSyncs = List.of();
    private final Duration modelRefresh;
    private volatile boolean started;
    /** Set at the start of {@link #close()}: volatile, so that {@link #running()} answers during a stop at once. */
    private volatile boolean closed;

    private Node(Builder b, Spool spool, Quarantine quarantine, NodeStatistics statistics) {
        this.name = b.name;
        this.role = b.role;
        this.dataDirectory = b.dataDirectory;
        this.spool = spool;
        this.quarantine = quarantine;
        this.statistics = statistics;
        this.flushInterval = b.flushInterval;
        this.incompleteRetention = b.incompleteRetention;
        Policy policy = b.policy != null ? b.policy : b.role.defaultPolicy();
        List<HygieneListener> listeners = new ArrayList<>();
        listeners.add(statistics);
        listeners.addAll(b.listeners);
        this.shared = b.sharedState == null ? null : new GuardedSharedState(b.sharedState, b.clock);
        this.modelRefresh = b.modelRefresh;
        this.pipelineListener = HygieneListener.composite(listeners);
        // dispositions are counted once the relay has carried them out (NodeEvents): the policy's decision is not what
        // the client is told when the quarantine or the spool cannot be written
        this.scanEvents = HygieneListener.withoutDispositions(pipelineListener);
        this.sharedModelName = b.sharedModelName;
        this.listenAddress = b.listenAddress;
        this.listenPort = b.port;
        this.outgoingAddress = b.outgoingAddress;
        this.reportConfigured = b.reportTo != null;
        ScanPipeline pipeline = buildPipeline(b);
        this.modelSyncs = modelSyncs(b.scanners);
        NodeEvents events = new NodeEvents(b.name, statistics, pipelineListener, b.clock);
        this.events = events;
        String hostname = b.hostname();
        this.hostname = hostname;
        String postmaster = b.postmaster();
        this.postmaster = postmaster;
        SmtpClient client = b.client();
        Relay.Builder rb = Relay.builder().tempDirectory(b.temporaryDirectory());
        if (b.dkimSigning != null) {
            rb.dkimSigning(b.dkimSigning, outbound(b.acceptedDomains));
        }
        if (b.arcSealer != null) {
            rb.arcSealing(b.arcSealer, outbound(b.acceptedDomains));
        }
        this.router = new SwitchableRouter(b.router);
        this.relay = rb.server(sb -> {
                    b.applyServer(sb);
                    if (shared != null) {
                        sb.sharedLimiter(shared.limiter());
                    }
                    if (!b.sessionListeners.isEmpty()) {
                        sb.sessionListener(compositeSession(List.copyOf(b.sessionListeners)));
                    }
                })
                .delivery(db -> {
                    db.hostname(hostname).client(client).clock(b.clock).postmaster(postmaster);
                    b.deliverySettings.accept(db);
                    List<DeliveryListener> dl = new ArrayList<>();
                    dl.add(events);
                    dl.addAll(b.deliveryListeners);
                    db.listener(dl.size() == 1 ? events : compositeDelivery(List.copyOf(dl)));
                })
                .pipeline(pipeline)
                .spool(spool)
                .quarantine(quarantine)
                .router(router)
                .listener(events)
                .build();
        // the thread factory lives as long as the node: it takes the name, not the builder (whose scanners, a Bayes
        // model of 20 MB and more, it kept beside the reloaded ones after a reload until session 43)
        String statsThread = b.name + "-stats";
        this.flusher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, statsThread);
            t.setDaemon(true);
            return t;
        });
        this.reportTo = b.reportTo;
        this.reportFrom = b.reportFrom != null ? b.reportFrom : "postmaster@" + hostname;
        this.reportAt = b.reportAt;
        this.clock = b.clock;
        this.tlsExpiryWarning = b.tlsExpiryWarning;
        this.services = List.copyOf(b.services);
        this.tls = b.tls;
    }

    private final String sharedModelName;
    private final boolean reportConfigured;

    /**
     * How long a start or a reload waits, at most, for its scanners to know their cache identity (see
     * {@link #awaitCacheIdentities}): 2 s.
     */
    static final Duration IDENTITY_WAIT = Duration.ofSeconds(2);

    /**
     * Waits, up to {@code bound} in all, for the cache identity of each scanner of {@code pipeline} that is being
     * established now ({@link Scanner#awaitCacheIdentity}). A new clamd scanner's identity is empty (verdicts neither
     * looked up in the shared store nor stored) until its first {@code VERSION} check has answered in the background:
     * the first message after a reload (found in session 50) and the first messages after a start (session 51: about
     * the first 20 ms of mail) were scanned again although their verdicts were in the shared store. A start waits
     * before it takes mail, a reload before the new pipeline takes it (the running one takes it meanwhile). A scanner
     * whose daemon does not answer within the bound, or whose check throws, is left as it is, uncached until its
     * check answers, and the others are still waited for.
     */
    private void awaitCacheIdentities(ScanPipeline pipeline, Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        for (Scanner s : pipeline.scanners()) {
            try {
                s.awaitCacheIdentity(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                // this scanner stays uncached until it answers; the others are still waited for
                LOG.debug("{}: scanner {}'s cache identity check failed", name, s.name(), e);
            }
        }
    }

    /** The pipeline over a builder's scanners, policy and cache setting, with this node's listeners. */
    private ScanPipeline buildPipeline(Builder b) {
        Policy policy = b.policy != null ? b.policy : b.role.defaultPolicy();
        ScanPipeline.Builder pb = ScanPipeline.builder()
                .scanners(b.scanners)
                .policy(policy)
                .listener(scanEvents)
                .deadline(b.scanDeadline);
        if (!b.verdictCache) {
            pb.noCache();
        } else if (shared != null) {
            pb.cache(VerdictCache.builder().shared(shared.verdicts()).build());
        }
        return pb.build();
    }

    /** Shares what the Bayes scanners among these learn, when the node shares state. */
    private List<SharedModelSync> modelSyncs(List<Scanner> scanners) {
        List<SharedModelSync> syncs = new ArrayList<>();
        if (shared != null) {
            for (Scanner sc : scanners) {
                if (sc instanceof BayesScanner bayes) {
                    syncs.add(new SharedModelSync(bayes::model, sharedModelName, shared.tokens()));
                }
            }
        }
        return List.copyOf(syncs);
    }

    /** Messages with a recipient outside the accepted domains are outbound (DKIM-signed). */
    private static java.util.function.Predicate<org.mailhygiene.api.Envelope> outbound(AcceptedDomains accepted) {
        return envelope -> envelope.recipients().stream().anyMatch(r -> {
            int at = r.lastIndexOf('@');
            return at < 0 || !accepted.accepts(r.substring(at + 1));
        });
    }

    /** The router delivery asks; a reload replaces what it delegates to (queued mail then takes the new routes). */
    private static final class SwitchableRouter implements Router {
        volatile Router delegate;

        SwitchableRouter(Router first) {
            this.delegate = first;
        }

        @Override
        public org.mailhygiene.api.routing.Route route(String recipient) {
            return delegate.route(recipient);
        }

        @Override
        public String toString() {
            return delegate.toString();
        }
    }

    private static SessionListener compositeSession(List<SessionListener> all) {
        return new SessionListener() {
            @Override
            public void refused(InetAddress client, String reason, int code) {
                for (SessionListener l : all) {
                    try {
                        l.refused(client, reason, code);
                    } catch (RuntimeException e) {
                        LOG.warn("session listener failed", e);
                    }
                }
            }

            @Override
            public void tlsEstablished(InetAddress client, String protocol, String cipherSuite) {
                for (SessionListener l : all) {
                    try {
                        l.tlsEstablished(client, protocol, cipherSuite);
                    } catch (RuntimeException e) {
                        LOG.warn("session listener failed", e);
                    }
                }
            }

            @Override
            public void tlsFailed(InetAddress client, String reason) {
                for (SessionListener l : all) {
                    try {
                        l.tlsFailed(client, reason);
                    } catch (RuntimeException e) {
                        LOG.warn("session listener failed", e);
                    }
                }
            }
        };
    }

    static DeliveryListener compositeDelivery(List<DeliveryListener> all) {
        return new DeliveryListener() {
            @Override
            public void recovered(QueuedMessage message) {
                each(l -> l.recovered(message));
            }

            @Override
            public void transaction(QueuedMessage message, Optional<Endpoint> endpoint, List<RecipientResult> results) {
                each(l -> l.transaction(message, endpoint, results));
            }

            @Override
            public void bounced(QueuedMessage message, QueuedMessage bounce) {
                each(l -> l.bounced(message, bounce));
            }

            @Override
            public void notified(QueuedMessage message, QueuedMessage notice) {
                each(l -> l.notified(message, notice));
            }

            @Override
            public void completed(QueuedMessage message) {
                each(l -> l.completed(message));
            }

            /** Tells every listener; one that throws is logged and does not keep the others from hearing it. */
            private void each(java.util.function.Consumer<DeliveryListener> event) {
                for (DeliveryListener l : all) {
                    try {
                        event.accept(l);
                    } catch (RuntimeException e) {
                        LOG.warn("delivery listener failed", e);
                    }
                }
            }
        };
    }

    /**
     * Re-reads the STARTTLS certificate and key files (after a renewal); new handshakes use them, sessions already
     * encrypted keep the old ones. For a reload signal handler. Does nothing when the node has no TLS.
     *
     * @return whether the node has TLS (and the files were re-read)
     * @throws IOException if a file cannot be read; the old certificate stays in use
     * @throws java.security.GeneralSecurityException if the new files cannot be used; the old certificate stays in use
     */
    public boolean reloadTls() throws IOException, java.security.GeneralSecurityException {
        ReloadableTls tls = this.tls;
        if (tls == null) {
            return false;
        }
        tls.reload();
        LOG.info("{}: TLS certificate reloaded: {}", name, tls.certificate().getSubjectX500Principal());
        return true;
    }

    /**
     * The certificate STARTTLS presents now: the one the node started with, or the one a {@linkplain #reloadTls() TLS
     * reload} or a {@linkplain #reload configuration reload} put in its place. For monitoring its end of validity
     * (the {@code hygiene_smtp_tls_certificate_expiry_seconds} gauge of hygiene-metrics). Thread-safe.
     *
     * @return the server certificate (the first of the chain), or empty when the node offers no STARTTLS
     */
    public Optional<java.security.cert.X509Certificate> tlsCertificate() {
        ReloadableTls t = tls;
        return t == null ? Optional.empty() : Optional.of(t.certificate());
    }

    /**
     * Applies a new configuration without dropping anything in progress (the node config's {@code SIGHUP} reload; see
     * {@link NodeReloader}, which reads the file and logs what needs a restart).
     *
     * <p>Taken from {@code next}: the scanners, policy and verdict-cache setting (a new pipeline), the DKIM signers, the
     * router (routes), the accepted domains, relay clients or access rules, STARTTLS (certificate, key, expiry warning, required for
     * relay), the SMTP limits and other {@linkplain Builder#server server settings}, the free-space minimum, and the
     * services (scanner probes, signature updates, model watches). Sessions already open keep the SMTP settings they
     * started with; a message whose data ended before the reload is scanned, signed and answered with the old
     * pipeline, every later one with the new; the replaced pipeline is closed when its last message is answered. The
     * routes apply to every delivery attempt from now on, also of mail already queued. The old services are closed
     * and the new ones started (a signature-update schedule starts again from its first interval).
     *
     * <p>Kept from the start, whatever {@code next} says (they need a restart): the listen address and port, the data
     * directory, the host name, the postmaster, the outgoing address and outbound TLS, the delivery settings (retry schedule, queue
     * lifetime), the daily report, the statistics flush interval, the quarantine retention, the shared state and the
     * listeners. A shared state opened by {@code next} is closed.
     *
     * <p>Nothing is half-applied: everything {@code next} describes is validated and built before the first swap; a
     * refused configuration throws and the node goes on with the one it had.
     *
     * @param next a builder for the same node (same role and name), typically {@link NodeConfig#read} of the edited
     *     file; consumed (do not build it)
     * @throws IllegalArgumentException if {@code next} is for another role or name, or a setting is refused (nothing
     *     was changed)
     * @throws IllegalStateException if {@code next} lacks a required setting (nothing was changed), or the node is
     *     closed
     */
    public synchronized void reload(Builder next) {
        Objects.requireNonNull(next, "next");
        if (closed) {
            throw new IllegalStateException(name + " is closed");
        }
        try {
            if (next.role != role || !next.name.equals(name)) {
                throw new IllegalArgumentException("the role and the name cannot change without a restart (running "
                        + role.name().toLowerCase(java.util.Locale.ROOT) + " " + name + ", new "
                        + next.role.name().toLowerCase(java.util.Locale.ROOT) + " " + next.name + ")");
            }
            // What needs a restart keeps its running value.
            next.listenAddress = listenAddress;
            next.port = listenPort;
            next.dataDirectory = dataDirectory;
            next.hostname = hostname;
            if (!next.postmaster().equals(postmaster)) {
                // NodeReloader reports it (WARN, and in its result) as every other key that needs a restart
                LOG.debug(
                        "{}: the postmaster changes from {} to {} only with a restart; keeping {}",
                        name,
                        postmaster,
                        next.postmaster(),
                        postmaster);
            }
            next.postmaster = postmaster;
            next.outgoingAddress = outgoingAddress;
            next.reportTo = reportConfigured ? reportTo : null;
            next.requireSettings();
            ScanPipeline pipeline = buildPipeline(next); // two scanners with one name fail here
            awaitCacheIdentities(pipeline, IDENTITY_WAIT);
            try {
                relay.reconfigureServer(next::applyServer);
            } catch (RuntimeException e) {
                pipeline.close();
                throw e;
            }
            // From here on nothing can be refused: swap the rest.
            relay.replaceScanning(pipeline, next.dkimSigning, next.arcSealer, outbound(next.acceptedDomains), old -> {
                old.close();
                LOG.debug("{}: the replaced scan pipeline is closed", name);
            });
            router.delegate = next.router;
            tls = next.tls;
            tlsExpiryWarning = next.tlsExpiryWarning;
        } catch (RuntimeException e) {
            next.services.forEach(NodeService::close); // built for the refused configuration, never started
            throw e;
        } finally {
            if (next.sharedState != null) {
                try {
                    next.sharedState.close(); // the node keeps the store it started with
                } catch (Exception e) {
                    LOG.debug("{}: closing the reloaded configuration's shared state failed", name, e);
                }
            }
        }
        List<NodeService> oldServices = services;
        List<SharedModelSync> oldSyncs = modelSyncs;
        List<NodeService> newServices = List.copyOf(next.services);
        List<SharedModelSync> newSyncs = modelSyncs(next.scanners);
        services = newServices;
        modelSyncs = newSyncs;
        for (NodeService s : oldServices) {
            try {
                s.close();
            } catch (RuntimeException e) {
                LOG.warn("{}: closing {} failed", name, s.name(), e);
            }
        }
        oldSyncs.forEach(SharedModelSync::close);
        if (started) {
            for (SharedModelSync sync : newSyncs) {
                sync.start(modelRefresh);
            }
            for (NodeService s : newServices) {
                try {
                    s.start();
                } catch (RuntimeException e) {
                    LOG.warn("{}: starting {} failed", name, s.name(), e);
                }
            }
        }
    }

    /**
     * The role's access rules: relay rights only for the configured relay clients (never for the node's own address
     * by default: a node listening on 127.0.0.1 must not make every local process, or a proxy presenting that
     * address, an open relay). A gateway refuses everyone else at connect, except its own address when it mails its
     * daily report: that connection may send to the accepted domains only.
     */
    static AccessRules defaultAccess(Role role, List<String> relayClients, InetAddress self, boolean report) {
        AccessRules.Builder rules = AccessRules.builder();
        for (String c : relayClients) {
            rules.allow(c, true);
        }
        if (role == Role.GATEWAY) {
            if (report && !self.isAnyLocalAddress()) {
                rules.allow(self.getHostAddress(), false); // the daily report, to an accepted domain only
            }
            rules.deny("");
        }
        return rules.build();
    }

    /**
     * Starts a builder.
     *
     * @param role the node's role
     * @param name the node's name (used in logs, statistics files and as the default host name)
     * @return a new builder
     * @throws IllegalArgumentException if the name is blank or contains white space
     */
    public static Builder builder(Role role, String name) {
        return new Builder(role, name);
    }

    /**
     * Recovers the spool, starts delivering and accepting SMTP connections, and starts flushing statistics. First it
     * waits, at most 2 s, for the scanners' cache identities that are being established (a clamd scanner's first
     * {@code VERSION} check), so that the first messages are looked up in a shared verdict store.
     *
     * @throws IOException if the spool cannot be read or the server cannot bind
     * @throws IllegalStateException if already started or closed
     */
    public synchronized void start() throws IOException {
        if (started || closed) {
            throw new IllegalStateException(name + (closed ? " is closed" : " is already started"));
        }
        started = true;
        awaitCacheIdentities(relay.pipeline(), IDENTITY_WAIT); // before the first message: see there
        pickUpIncoming(false); // before delivery starts: see Spool.pickUpIncoming
        recoverReleases();
        relay.start();
        takeFlushRequest();
        takeQueueRequests(true);
        long ms = flushInterval.toMillis();
        flusher.scheduleWithFixedDelay(this::flushQuietly, ms, ms, TimeUnit.MILLISECONDS);
        for (SharedModelSync sync : modelSyncs) {
            sync.start(modelRefresh);
        }
        if (shared != null) {
            try {
                shared.ping();
                LOG.info("{}: sharing state through {}", name, shared.description());
            } catch (SharedStateException e) {
                // Logged by the guard; the node runs on its local state until the store answers.
            }
        }
        flusher.scheduleWithFixedDelay(this::expireQuarantine, 0, 1, TimeUnit.HOURS);
        flusher.scheduleWithFixedDelay(this::checkTlsCertificateQuietly, 0, 1, TimeUnit.DAYS);
        flusher.scheduleWithFixedDelay(this::removeIncomplete, 0, 1, TimeUnit.HOURS); // after relay.start() recovered
        flusher.scheduleWithFixedDelay(this::pollHandOvers, 1, 1, TimeUnit.SECONDS);
        if (reportTo != null) {
            dailyReport = new DailyReportMailer(
                    statistics, name, reportFrom, reportTo, relay.address(), reportAt, clock, flusher);
            dailyReport.start();
        }
        for (NodeService s : services) {
            s.start();
        }
        LOG.info(
                "{} ({}) listening on {}, data in {}",
                name,
                role,
                org.mailhygiene.internal.HostPorts.of(relay.address()),
                dataDirectory);
        LOG.info("{}: scanners {}", name, describeScanners(scanners()));
    }

    /**
     * Probes each scanner once, for a configuration check before a start ({@code hygiene relay --check}, {@code hygiene
     * milter --check}; {@link Builder#probeScanners()} for a node's): a daemon that does not answer (a wrong port or
     * socket, a daemon not started) is not an error, since a node or milter starts with it marked down, but the
     * administrator should hear of it before the start. A clamd or spamd failover group that answers through one
     * member is up, but each of its other members that does not answer is named too ({@code clamd: member
     * 127.0.0.1:3310 does not answer: ...}). Blocks up to the scanners' timeouts; never throws for a scanner that is
     * down.
     *
     * @param scanners the scanners, as built for the start
     * @return one line per scanner that is down (its name and what its probe saw) and per failover member that does
     *     not answer in a scanner that is up; empty when all answer or have no probe
     */
    public static List<String> probeScanners(List<Scanner> scanners) {
        List<String> down = new java.util.ArrayList<>();
        for (Scanner s : scanners) {
            org.mailhygiene.api.Health h = s.health();
            if (h.status() == org.mailhygiene.api.Health.Status.DOWN) {
                down.add(s.name() + ": " + h.detail());
            } else if (h.status() == org.mailhygiene.api.Health.Status.UP) {
                try {
                    down.addAll(Builder.silentMembers(s));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        return down;
    }

    /**
     * Checks what each scanner calls the EICAR test file, for a configuration check before a start ({@link
     * Builder#checkScannerLimits()} for a node's): clamd instances with settings under which clamd calls content it did
     * not read clean ({@link org.mailhygiene.scanners.clamd.ClamdScanner#checkLimits()}), and command-line scanners
     * that call it clean or fail on it ({@link org.mailhygiene.scanners.cli.CommandLineScanner#checkDetectsEicar()}).
     * Blocks up to the scanners' probe and scan timeouts; never throws.
     *
     * @param scanners the scanners, as built for the start
     * @return one line per finding, prefixed with its scanner's name; empty when none
     */
    public static List<String> checkScannerLimits(List<Scanner> scanners) {
        List<String> warnings = new java.util.ArrayList<>();
        for (Scanner s : scanners) {
            if (s instanceof org.mailhygiene.scanners.clamd.ClamdScanner clamd) {
                clamd.checkLimits().forEach(w -> warnings.add(s.name() + ": " + w));
            } else if (s instanceof org.mailhygiene.scanners.cli.CommandLineScanner cli) {
                try {
                    cli.checkDetectsEicar().ifPresent(w -> warnings.add(s.name() + ": " + w));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return warnings;
                }
            }
        }
        return warnings;
    }

    /**
     * The scanners in pipeline order for the start's log line, a Bayes classifier with the model it loaded (what its
     * health says: the messages it learned, its threshold, its file), so an administrator sees at start which model
     * a node classifies with. Asks no daemon.
     */
    static String describeScanners(List<Scanner> scanners) {
        if (scanners.isEmpty()) {
            return "none";
        }
        StringBuilder sb = new StringBuilder();
        for (Scanner s : scanners) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(s.name());
            if (s instanceof BayesScanner bayes) {
                sb.append(" (").append(bayes.health().detail()).append(')');
            }
        }
        return sb.toString();
    }

    /**
     * Every second: messages released into {@code spool/incoming/} by another process, flush requests, queue requests
     * ({@code hygiene queue delete|bounce|hold|release}) and reload requests.
     */
    private void pollHandOvers() {
        pickUpIncoming(true);
        takeFlushRequest();
        takeQueueRequests(false);
        takeReloadRequest();
    }

    /** The file {@link #requestReload} leaves in the data directory. */
    private static final String RELOAD_REQUEST = "reload-request";

    private volatile Runnable reloadHandler;
    private volatile Path reloadFile;

    /**
     * What runs when another process {@linkplain #requestReload asks} this node to reload (checked every second, on
     * the node's housekeeping thread); {@link NodeReloader#of} sets it. Without one, a request is logged and dropped.
     * A handler set this way takes every request, whatever file it names; {@link #onReloadRequest(Runnable, Path)}
     * refuses those naming another file.
     *
     * @param handler the reload, e.g. {@code reloader::reload}
     */
    public void onReloadRequest(Runnable handler) {
        this.reloadHandler = Objects.requireNonNull(handler, "handler");
        this.reloadFile = null;
    }

    /**
     * As {@link #onReloadRequest(Runnable)}, for a handler that reloads {@code file}: a request that names another
     * file ({@link #requestReload(Builder, Path)}, {@code hygiene relay --reload --config OTHER}) is refused with an
     * ERROR line naming both, since the handler would apply this file and not the one the request meant. Until session
     * 46 such a request reloaded this file (said by the request as a reload of the other).
     *
     * @param handler the reload, e.g. {@code reloader::reload}
     * @param file the configuration file the handler reads
     */
    public void onReloadRequest(Runnable handler, Path file) {
        Objects.requireNonNull(file, "file");
        this.reloadHandler = Objects.requireNonNull(handler, "handler");
        this.reloadFile = file.toAbsolutePath().normalize();
    }

    /**
     * Asks the node running with this builder's data directory to reload its configuration, from another process
     * ({@code hygiene relay --reload}): leaves a request file the node takes within a second.
     *
     * @param config a builder read from the node's configuration file
     * @return the data directory
     * @throws IOException if the data directory does not exist (no node ever ran there) or the request cannot be
     *     written
     * @throws IllegalStateException if the builder has no data directory
     */
    public static Path requestReload(Builder config) throws IOException {
        return writeReloadRequest(config, "reload\n");
    }

    /**
     * Leaves a request whole or not at all: written beside and renamed into place, so that the node, which reads it
     * every second, never takes a half-written one (a file named only in part, or none yet).
     */
    private static Path writeReloadRequest(Builder config, String text) throws IOException {
        Path dir = config.dataDirectory;
        if (dir == null) {
            throw new IllegalStateException(config.name + ": a data directory is required");
        }
        if (!Files.isDirectory(dir)) {
            throw new java.nio.file.NoSuchFileException(
                    dir.toString(), null, "no such data directory (has the node been started?)");
        }
        Path staged = Files.createTempFile(dir, RELOAD_REQUEST + ".", ".tmp");
        try {
            try { // readable by a node running as another user (root asking a service user's node), as before
                Files.setPosixFilePermissions(
                        staged, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException notPosix) {
                // the file system's default
            }
            Files.writeString(staged, text, java.nio.charset.StandardCharsets.UTF_8);
            Files.move(
                    staged,
                    dir.resolve(RELOAD_REQUEST),
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(staged);
        }
        return dir;
    }

    /**
     * As {@link #requestReload(Builder)}, naming the configuration file the request means: a node whose reload
     * handler reads another file ({@link #onReloadRequest(Runnable, Path)}) refuses the request and logs why, rather
     * than reload its own file.
     *
     * @param config a builder read from {@code file}
     * @param file the configuration file to reload
     * @return the data directory
     * @throws IOException if the data directory does not exist (no node ever ran there) or the request cannot be
     *     written
     * @throws IllegalStateException if the builder has no data directory
     */
    public static Path requestReload(Builder config, Path file) throws IOException {
        return writeReloadRequest(config, "reload " + file.toAbsolutePath().normalize() + "\n");
    }

    /** Whether a request's file (null: none named) is the file this node's handler reloads (null: any). */
    private static boolean sameFile(Path requested, Path own) {
        if (requested == null || own == null || requested.equals(own)) {
            return true;
        }
        try {
            return Files.isSameFile(requested, own);
        } catch (IOException e) {
            return false;
        }
    }

    /** The private name a request is renamed to before it is read, so that a newer one can take its place. */
    private static final String RELOAD_TAKEN = RELOAD_REQUEST + ".taken";

    /**
     * How old a requester's staged {@code reload-request.*.tmp} must be before the node removes it as left by a
     * requester that died between writing and renaming it: 10 minutes (a live one renames it within milliseconds).
     */
    static final Duration STALE_RELOAD_STAGING = Duration.ofMinutes(10);

    /** When the node next looks for staged requests a requester left ({@link System#nanoTime}); 0: at the next poll. */
    private long nextStagingSweep;

    private void takeReloadRequest() {
        sweepStaleReloadStaging();
        try {
            Path request = dataDirectory.resolve(RELOAD_REQUEST);
            if (!Files.exists(request)) {
                return; // the common case, every second: one look, no exception made and thrown away
            }
            // Taken by renaming it first: a request a requester renames into place while this one is read is the next
            // one, not overwritten and then deleted unread (until session 49 the node read, then deleted the name).
            Path taken = dataDirectory.resolve(RELOAD_TAKEN);
            try {
                Files.move(
                        request,
                        taken,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } catch (java.nio.file.NoSuchFileException gone) {
                return;
            }
            String text;
            try {
                text = Files.readString(taken, java.nio.charset.StandardCharsets.UTF_8)
                        .strip();
            } catch (IOException | RuntimeException unreadable) {
                // Until session 49 an unreadable request counted as one naming no file: the node reloaded its own
                // file, the mistake a request naming its file is there to prevent.
                LOG.error(
                        "{}: reload refused: the request {} cannot be read ({}); nothing reloaded (ask again)",
                        name,
                        request,
                        unreadable instanceof IOException io ? IoErrors.reason(io) : unreadable.toString());
                return;
            } finally {
                Files.deleteIfExists(taken);
            }
            Runnable handler = reloadHandler;
            Path own = reloadFile;
            if (!text.equals("reload") && !text.startsWith("reload ")) {
                LOG.error(
                        "{}: reload refused: the request {} says '{}', not 'reload' or 'reload FILE'; nothing reloaded",
                        name,
                        request,
                        text.length() > 200 ? text.substring(0, 200) + "..." : text);
                return;
            }
            Path requested = text.startsWith("reload ") ? Path.of(text.substring("reload ".length())) : null;
            if (handler != null && !sameFile(requested, own)) {
                LOG.error(
                        "{}: reload refused: it was requested for {}, but this node runs {} and reloads only that"
                                + " file (edit it, or restart the node with the other one)",
                        name,
                        requested,
                        own);
            } else if (handler == null) {
                LOG.warn("{}: a reload was requested, but nothing reloads this node (no NodeReloader)", name);
            } else {
                handler.run();
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: cannot take the reload request", name, e);
        }
    }

    /**
     * Removes staged requests ({@code reload-request.*.tmp}) older than {@link #STALE_RELOAD_STAGING}: a requester
     * that died between writing and renaming one left it forever (until session 49). At the first poll and then every
     * {@link #STALE_RELOAD_STAGING}; each removal is logged at INFO.
     */
    private void sweepStaleReloadStaging() {
        long now = System.nanoTime();
        if (nextStagingSweep != 0 && now - nextStagingSweep < 0) {
            return;
        }
        nextStagingSweep = (now + STALE_RELOAD_STAGING.toNanos()) | 1;
        java.time.Instant before = java.time.Instant.now().minus(STALE_RELOAD_STAGING);
        try (DirectoryStream<Path> staged = Files.newDirectoryStream(dataDirectory, RELOAD_REQUEST + ".*.tmp")) {
            for (Path p : staged) {
                try {
                    if (Files.getLastModifiedTime(p).toInstant().isBefore(before) && Files.deleteIfExists(p)) {
                        LOG.info("{}: removed {}, a reload request its requester never finished", name, p);
                    }
                } catch (java.nio.file.NoSuchFileException gone) {
                    // renamed into place or removed meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: cannot look for unfinished reload requests in {}: {}", name, dataDirectory, e.toString());
        }
    }

    private void pickUpIncoming(boolean submit) {
        try {
            for (QueuedMessage m : spool.pickUpIncoming()) {
                if (submit) {
                    events.released(m.id());
                    relay.delivery().submit(m);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: cannot pick up handed-over messages (will retry)", name, e);
        }
    }

    private void recoverReleases() {
        try {
            quarantine.recoverReleases(spool.directory());
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: cannot finish interrupted quarantine releases (the next release retries)", name, e);
        }
    }

    private void takeFlushRequest() {
        try {
            if (spool.takeFlushRequest()) {
                int n = relay.delivery().flush();
                int busy = relay.delivery().deliveriesInProgress();
                // "0 retried" while `queue list` showed messages pending read as a flush that did nothing, when they
                // were being delivered at that moment (audit, session 37)
                LOG.info(
                        "{}: queue flush requested: {} messages with deferred recipients retried now{}",
                        name,
                        n,
                        busy == 0 ? "" : "; " + busy + " being delivered at the moment, left to finish");
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: cannot take the queue flush request", name, e);
        }
    }

    /**
     * Carries out the administrator's queue requests ({@link QueueRequests}): each message is removed, held or released
     * by the delivery agent (after its delivery in progress, if any; {@code release --all} names the held ones), and
     * the request is answered once every message of it is done, from the thread that finishes the last one; the
     * messages it waits for are listed for the command meanwhile ({@link QueueRequests#waiting}).
     */
    private void takeQueueRequests(boolean leftOver) {
        List<QueueRequests.Request> requests;
        try {
            requests = QueueRequests.take(spool.directory(), leftOver, clock.instant());
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: cannot take the queue requests", name, e);
            return;
        }
        DeliveryAgent agent = relay.delivery();
        for (QueueRequests.Request r : requests) {
            if (r.problem().isPresent()) {
                LOG.warn(
                        "{}: queue request {} refused: {}",
                        name,
                        r.name(),
                        r.problem().get());
                answerQueueRequest(r, List.of("- error " + r.problem().get()));
                continue;
            }
            List<QueueId> ids = !r.all()
                    ? r.ids()
                    : r.action() == QueueRequests.Action.RELEASE ? agent.heldIds() : agent.queuedIds();
            LOG.info(
                    "{}: queue request {}: {} {} message(s){}",
                    name,
                    r.name(),
                    r.action().word(),
                    ids.size(),
                    r.all() ? " (all)" : ": " + QueueId.forLog(ids));
            List<java.util.concurrent.CompletableFuture<String>> lines = new ArrayList<>();
            for (QueueId id : ids) {
                lines.add(agent.remove(id, r.action())
                        .handle((done, failed) -> id.value() + " "
                                + (failed == null
                                        ? done.name().toLowerCase(java.util.Locale.ROOT)
                                        : "error " + oneLine(failed))));
            }
            // the command says what it waits for: the messages whose delivery in progress the request waits for (one
            // lock per request, so that the list is not written after the answer)
            java.util.concurrent.atomic.AtomicBoolean answered = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.CompletableFuture.allOf(
                            lines.toArray(new java.util.concurrent.CompletableFuture<?>[0]))
                    .whenComplete((v, e) -> {
                        synchronized (answered) {
                            answered.set(true);
                            answerQueueRequest(
                                    r,
                                    lines.stream()
                                            .map(java.util.concurrent.CompletableFuture::join)
                                            .toList());
                        }
                    });
            List<QueueId> busy = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                if (!lines.get(i).isDone()) {
                    busy.add(ids.get(i));
                }
            }
            synchronized (answered) {
                if (!busy.isEmpty() && !answered.get()) {
                    try {
                        QueueRequests.waiting(spool.directory(), r.name(), busy);
                    } catch (IOException | RuntimeException e) {
                        LOG.warn("{}: cannot say which messages queue request {} waits for", name, r.name(), e);
                    }
                }
            }
        }
    }

    private static String oneLine(Throwable t) {
        Throwable c = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
        return String.valueOf(c.getMessage() == null ? c.toString() : c.getMessage())
                .replaceAll("[\\r\\n]+", " ");
    }

    private void answerQueueRequest(QueueRequests.Request r, List<String> lines) {
        try {
            QueueRequests.answer(spool.directory(), r.name(), lines);
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: cannot answer queue request {} (it was carried out)", name, r.name(), e);
        }
    }

    /** Deletes spool files set aside as incomplete longer ago than the retention (each logged by the spool). */
    private void removeIncomplete() {
        try {
            spool.removeIncomplete(incompleteRetention);
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: cannot remove old incomplete spool files (retried in an hour): {}", name, e.toString());
        }
    }

    /** How long before its end of validity the STARTTLS certificate is warned of by default: 14 days. */
    static final Duration TLS_EXPIRY_WARNING = Duration.ofDays(14);

    /**
     * Checks the STARTTLS certificate in use against the node's clock, at start and then every day (the start and
     * reload checks of the configuration said nothing while a relay that ran for months saw its certificate run out).
     * From {@link Builder#tlsExpiryWarning} (14 days) before its end of validity, and once it has expired (or is not
     * yet valid),
     * logs one WARN line a day and returns it.
     *
     * @return the warning, or empty when the certificate is valid for longer or the node has no TLS
     */
    Optional<String> checkTlsCertificate() {
        ReloadableTls t = tls;
        if (t == null) {
            return Optional.empty();
        }
        java.security.cert.X509Certificate cert = t.certificate();
        java.time.Instant now = clock.instant();
        Optional<String> problem = LimitsConfig.validityWarning(cert, now);
        if (problem.isEmpty()) {
            java.time.Instant notAfter = cert.getNotAfter().toInstant();
            Duration left = Duration.between(now, notAfter);
            if (left.compareTo(tlsExpiryWarning) >= 0) {
                return Optional.empty();
            }
            long days = left.toDays();
            problem = Optional.of("expires on " + notAfter + ", in "
                    + (days == 0 ? "less than a day" : days == 1 ? "1 day" : days + " days")
                    + " (renew it and reload)");
        }
        String line = name + ": the TLS certificate in " + t.certificateFile() + " (" + cert.getSubjectX500Principal()
                + ") " + problem.get();
        LOG.warn("{}", line);
        return Optional.of(line);
    }

    private void checkTlsCertificateQuietly() {
        try {
            checkTlsCertificate();
        } catch (RuntimeException e) {
            // a scheduled task that throws is never run again
            LOG.warn("{}: TLS certificate check failed", name, e);
        }
    }

    private void expireQuarantine() {
        try {
            List<org.mailhygiene.smtp.queue.QueueId> gone = quarantine.expire();
            if (!gone.isEmpty()) {
                // one line of bounded length: the ids of 12,469 expired messages made a line of 274 KB (audit,
                // session 39); every id is logged at DEBUG
                LOG.info(
                        "{}: {} quarantined messages older than {} deleted: {}",
                        name,
                        gone.size(),
                        Durations.format(quarantine.retention()),
                        org.mailhygiene.smtp.queue.QueueId.forLog(gone));
                if (LOG.isDebugEnabled()) {
                    for (org.mailhygiene.smtp.queue.QueueId id : gone) {
                        LOG.debug("{}: expired from the quarantine: {}", name, id);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: quarantine expiry failed (will retry in an hour)", name, e);
        }
    }

    private void flushQuietly() {
        try {
            statistics.flush();
            if (statisticsFailing) {
                statisticsFailing = false;
                LOG.info("{}: statistics written again", name);
            }
        } catch (IOException | RuntimeException e) {
            // A full disk fails every flush until space returns: one line when it starts and one when it ends, not a
            // stack trace every few seconds.
            if (!statisticsFailing) {
                statisticsFailing = true;
                LOG.warn(
                        "{}: cannot write statistics ({}); kept in memory and retried every {} (logged again once"
                                + " written)",
                        name,
                        e.toString(),
                        flushInterval);
            } else {
                LOG.debug("{}: cannot write statistics yet", name, e);
            }
        }
        if (shared != null) {
            try {
                LocalDate day = statistics.today().day();
                // Today's totals come from memory; the previous day's file is read only when the day changed.
                SharedStatistics.publish(statistics, name, shared.counters(), !day.equals(publishedDay));
                publishedDay = day;
            } catch (SharedStateException e) {
                // The guard logged it; the totals are published again at the next flush.
            } catch (IOException | RuntimeException e) {
                LOG.warn("{}: cannot publish statistics to {} (will retry)", name, shared.description(), e);
            }
        }
    }

    /**
     * The shared state this node uses, guarded (see {@link Builder#sharedState}).
     *
     * @return the guarded state, or empty for a node that shares nothing
     */
    public Optional<GuardedSharedState> sharedState() {
        return Optional.ofNullable(shared);
    }

    /**
     * The scanning pipeline.
     *
     * @return the pipeline (live)
     */
    public ScanPipeline pipeline() {
        return relay.pipeline();
    }

    /**
     * The host name the node runs with (greeting, {@code Received}, the {@code auth} scanner's authserv-id), which a
     * reload keeps.
     *
     * @return the host name
     */
    String hostname() {
        return hostname;
    }

    /**
     * The postmaster's mailbox the node runs with (set, or defaulted from the accepted domains and the host name),
     * which a reload keeps.
     *
     * @return the mailbox
     */
    String postmaster() {
        return postmaster;
    }

    /**
     * The node's name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * The node's role.
     *
     * @return the role
     */
    public Role role() {
        return role;
    }

    /**
     * The SMTP listening address (the bound port when 0 was configured).
     *
     * @return the address
     * @throws IllegalStateException if not started
     */
    public InetSocketAddress address() {
        return relay.address();
    }

    /**
     * The node's statistics.
     *
     * @return the statistics (live)
     */
    public NodeStatistics statistics() {
        return statistics;
    }

    /**
     * The node's quarantine.
     *
     * @return the quarantine
     */
    public Quarantine quarantine() {
        return quarantine;
    }

    /**
     * The daily report mailer, when {@link Builder#dailyReport} was set and the node is started.
     *
     * @return the mailer (its {@link DailyReportMailer#sendNow()} sends a report at once)
     */
    public synchronized Optional<DailyReportMailer> dailyReport() {
        return Optional.ofNullable(dailyReport);
    }

    /**
     * The scanners every message goes through (for health probes).
     *
     * @return the scanners, in pipeline order
     */
    public List<Scanner> scanners() {
        return relay.pipeline().scanners();
    }

    /**
     * The node's spool (for queue tools and metrics).
     *
     * @return the spool
     */
    public Spool spool() {
        return spool;
    }

    /**
     * Whether the node is started and not closed: it accepts SMTP connections. {@code false} as soon as
     * {@link #close()} begins, without waiting for the stop to end (a reload asked for during the stop reads it).
     *
     * @return {@code true} while running
     */
    public boolean running() {
        return started && !closed;
    }

    /**
     * The node's relay (for its delivery agent's queue length).
     *
     * @return the relay
     */
    public Relay relay() {
        return relay;
    }

    /**
     * Stops accepting connections (open sessions are told {@code 421}; a message whose data was complete is answered
     * first, one whose data was not stays with its client; see {@code SmtpServer.stop()}), stops delivering (what is in the spool stays there for the next start), closes the pipeline and the
     * spool, and flushes the statistics. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (NodeService s : services) {
            try {
                s.close();
            } catch (RuntimeException e) {
                LOG.warn("{}: closing {} failed", name, s.name(), e);
            }
        }
        if (dailyReport != null) {
            dailyReport.close();
        }
        relay.close();
        // A task running now (a statistics flush writing its file) ends first: interrupted, its file channel would be
        // closed under it and the flush logged as failed; the final flush below writes what it had. Bounded: a long
        // housekeeping task (quarantine expiry) is interrupted after 2 s.
        flusher.shutdown();
        try {
            if (!flusher.awaitTermination(2, TimeUnit.SECONDS)) {
                flusher.shutdownNow();
            }
        } catch (InterruptedException e) {
            flusher.shutdownNow();
            Thread.currentThread().interrupt();
        }
        modelSyncs.forEach(SharedModelSync::close);
        relay.pipeline().close();
        try {
            spool.close();
        } catch (IOException e) {
            LOG.warn("{}: closing the spool failed", name, e);
        }
        try {
            statistics.close();
        } catch (IOException e) {
            LOG.warn("{}: cannot write statistics on close", name, e);
        }
        if (shared != null) {
            try {
                SharedStatistics.publish(statistics, name, shared.counters());
            } catch (SharedStateException | IOException | RuntimeException e) {
                LOG.debug("{}: last statistics publication failed", name, e);
            }
            shared.close();
        }
        LOG.info("{} stopped", name);
    }

    /**
     * Creates the node's temporary directory, or removes from it what a run that ended without closing (kill -9, a
     * crash, power loss) left there: partial messages no client was ever told were accepted. Only files named as the
     * relay names its own ({@link #isLeftover}) are removed: {@code DATA/tmp} may be a directory that others use too
     * ({@code data = /var} makes it {@code /var/tmp}, {@code data = /} makes it {@code /tmp}), and their files are not
     * the node's to delete.
     */
    private static void clearTemporaryDirectory(Path dir) throws IOException {
        Files.createDirectories(dir);
        int removed = 0;
        try (java.nio.file.DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (isLeftover(p) && Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(p);
                    removed++;
                }
            }
        }
        if (removed > 0) {
            LOG.info("removed {} temporary files of an earlier run from {}", removed, dir);
        }
    }

    /**
     * Whether a file in the temporary directory is one the relay writes there: a spilled message
     * ({@code hygiene-*.eml}, {@code SpooledContent}) or a BDAT chunk file ({@code hygiene-bdat-*.part}).
     */
    static boolean isLeftover(Path file) {
        String n = file.getFileName().toString();
        return n.startsWith("hygiene-") && (n.endsWith(".eml") || n.endsWith(".part"));
    }

    /** Builds a {@link Node}. Each setter validates its argument at once. Not thread-safe. */
    public static final class Builder {
        private final Role role;
        private final String name;
        private InetAddress listenAddress = InetAddress.getLoopbackAddress();
        private int port;
        private InetAddress outgoingAddress;
        private String hostname;
        private AcceptedDomains acceptedDomains = AcceptedDomains.none();
        private DkimSigning dkimSigning;
        private ArcSealer arcSealer;

        /**
         * ARC-seals outbound mail (a recipient outside the {@linkplain #acceptedDomains accepted domains}) that the
         * node changed, after every change and after DKIM signing, with the {@code auth} scanner's results (see
         * {@link org.mailhygiene.smtp.Relay.Builder#arcSealing}). Default: no sealing.
         *
         * @param value the sealer
         * @return this builder
         */
        public Builder arcSealer(ArcSealer value) {
            this.arcSealer = Objects.requireNonNull(value, "arcSealer");
            return this;
        }

        /**
         * DKIM-signs outbound mail: messages with a recipient outside the {@linkplain #acceptedDomains accepted
         * domains} whose From domain a signer covers, after every change the node makes. Default: no signing.
         *
         * @param value the signers
         * @return this builder
         */
        public Builder dkimSigning(DkimSigning value) {
            this.dkimSigning = Objects.requireNonNull(value, "dkimSigning");
            return this;
        }

        private List<String> relayClients = List.of();
        private AccessRules accessRules;
        private Router router;
        private List<Scanner> scanners = List.of();
        private Duration scanDeadline = ScanPipeline.DEFAULT_DEADLINE;
        private Policy policy;
        private List<String> configurationWarnings = List.of();
        private Path dataDirectory;
        private Clock clock = Clock.systemDefaultZone();
        private Duration tlsExpiryWarning = TLS_EXPIRY_WARNING;
        private Duration tlsHandshakeTimeout; // null: TlsConfig's default, 30 s
        private Duration flushInterval = Duration.ofSeconds(5);
        private final List<HygieneListener> listeners = new ArrayList<>();
        private String reportTo;
        private String reportFrom;
        private String postmaster;
        private LocalTime reportAt;
        private Consumer<SmtpServer.Builder> serverSettings = sb -> {};
        private Consumer<DeliveryAgent.Builder> deliverySettings = db -> {};
        private final List<NodeService> services = new ArrayList<>();
        private long minFreeSpace;
        private ReloadableTls tls;
        private boolean requireTlsForRelay;
        private TlsPolicy outboundTls = TlsPolicy.disabled();
        private SmtpTimeouts deliveryTimeouts = SmtpTimeouts.defaults();
        private boolean mimeOutputConversion = true;
        private SharedState sharedState;
        private String sharedModelName = SharedModelSync.DEFAULT_MODEL_NAME;
        private Duration modelRefresh = Duration.ofSeconds(10);
        private final List<SessionListener> sessionListeners = new ArrayList<>();
        private final List<DeliveryListener> deliveryListeners = new ArrayList<>();
        private InetSocketAddress adminListen;
        private Duration quarantineRetention = Quarantine.DEFAULT_RETENTION;
        private Duration incompleteRetention = DEFAULT_INCOMPLETE_RETENTION;
        private boolean verdictCache = true;

        private Builder(Role role, String name) {
            this.role = Objects.requireNonNull(role, "role");
            Objects.requireNonNull(name, "name");
            if (name.isBlank() || name.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("node name must be non-blank without white space: '" + name + "'");
            }
            this.name = name;
        }

        /**
         * Shares state with the other nodes of a cluster through this store (node config key {@code redis}): verdicts
         * of identical content (so a storm spread over several edges is scanned once), per-client rate limits,
         * statistics per node and day (for {@code hygiene report --redis URL}) and what the Bayes classifier learns.
         * The node wraps it in a {@link GuardedSharedState}: while the store is down or slow the node works on its
         * local state (logged once) and resumes sharing when it answers. The node closes it. Default: nothing shared.
         *
         * @param value the store, e.g. {@code SharedStates.open(URI.create("redis://10.0.0.5:6379"), timeout)}
         * @return this builder
         */
        public Builder sharedState(SharedState value) {
            this.sharedState = Objects.requireNonNull(value, "sharedState");
            return this;
        }

        /**
         * The name under which this node's Bayes classifier shares learned counts (all nodes that should learn
         * together use the same name), and how often the local model is refreshed from the store. Defaults
         * {@code bayes}, 10 s. Only used with {@link #sharedState}.
         *
         * @param modelName the shared model's name
         * @param refresh the refresh period, positive
         * @return this builder
         * @throws IllegalArgumentException if the name is blank or the period not positive
         */
        public Builder sharedModel(String modelName, Duration refresh) {
            Objects.requireNonNull(modelName, "modelName");
            Objects.requireNonNull(refresh, "refresh");
            if (modelName.isBlank()) {
                throw new IllegalArgumentException("shared model name must not be blank");
            }
            Checks.requirePositive(refresh, "model refresh");
            this.sharedModelName = modelName;
            this.modelRefresh = refresh;
            return this;
        }

        /**
         * Where the node accepts SMTP. Default: the loopback address, port 0 (ephemeral).
         *
         * @param address the local address to bind (e.g. {@code 127.0.0.11})
         * @param port the port, 0 for an ephemeral one
         * @return this builder
         * @throws IllegalArgumentException if the port is outside 0..65535
         */
        public Builder listen(InetAddress address, int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0..65535, was " + port);
            }
            this.listenAddress = Objects.requireNonNull(address, "address");
            this.port = port;
            return this;
        }

        /**
         * The local address outgoing SMTP connections bind, so the next hop's access rules see this node. Default:
         * the listen address.
         *
         * @param address a local address
         * @return this builder
         */
        public Builder outgoingAddress(InetAddress address) {
            this.outgoingAddress = Objects.requireNonNull(address, "address");
            return this;
        }

        /**
         * The host name in the greeting, Received headers, EHLO and bounces. Default: the node's name. An
         * internationalised name is used as its A-labels ({@code mail.bücher.example} as
         * {@code mail.xn--bcher-kva.example}).
         *
         * @param value the host name
         * @return this builder
         * @throws IllegalArgumentException if blank
         */
        public Builder hostname(String value) {
            Objects.requireNonNull(value, "hostname");
            if (value.isBlank()) {
                throw new IllegalArgumentException("hostname must not be blank");
            }
            this.hostname = org.mailhygiene.internal.Domains.hostName(value);
            return this;
        }

        /**
         * The postmaster's mailbox: mail to the bare {@code <postmaster>} (which the node accepts from anyone, as RFC
         * 5321 asks) is passed on to it, routed like any other recipient, and double bounces (failures of mail with
         * the null sender, bounces among them) are sent to it. Default {@code postmaster@} the first plain domain of
         * the {@linkplain #acceptedDomains accepted domains} in the order given (not a {@code .subdomain} entry nor
         * an address literal), else {@code postmaster@} the {@linkplain #hostname host name}, the first of these that
         * is an ASCII mailbox (with none, the bare {@code postmaster}: such mail is bounced for want of a route and a
         * failed double bounce is logged and dropped). Needs a restart to change ({@link Node#reload} keeps the
         * running one, with a warning when the new configuration names another).
         *
         * @param address a mailbox {@code LOCAL@DOMAIN}; an internationalised domain is used as its A-labels
         * @return this builder
         * @throws IllegalArgumentException if the address is not an ASCII mailbox once so converted (a dot-atom local part, a domain name
         *     or an address literal)
         */
        public Builder postmaster(String address) {
            // an internationalised domain as its A-labels, which any next hop takes
            String a = org.mailhygiene.internal.Domains.mailbox(Objects.requireNonNull(address, "address"));
            SmtpServer.builder().postmaster(a); // the server's validation, named as the server names it
            this.postmaster = a;
            return this;
        }

        /** The postmaster as set, or as defaulted from the accepted domains and the host name. */
        String postmaster() {
            if (postmaster != null) {
                return postmaster;
            }
            List<String> candidates = new ArrayList<>();
            for (String d : acceptedDomains.entries()) {
                if (!d.startsWith(".") && !d.startsWith("[")) {
                    candidates.add("postmaster@" + d);
                }
            }
            candidates.add("postmaster@" + hostname());
            for (String c : candidates) {
                if (SmtpServer.Builder.isMailbox(c)) { // an IDN domain or a host name with _ makes none
                    return c;
                }
            }
            return "postmaster"; // as before nodes had one: double bounces to it are logged and dropped
        }

        /**
         * The domains the node accepts mail for from clients without relay rights (qmail's {@code rcpthosts}).
         * Default: none.
         *
         * @param domains the domains
         * @return this builder
         */
        public Builder acceptedDomains(AcceptedDomains domains) {
            this.acceptedDomains = Objects.requireNonNull(domains, "domains");
            return this;
        }

        /**
         * The clients that may relay through this node (tcprules address patterns: {@code 127.0.0.13},
         * {@code 10.1.}, {@code 10.0.0.0/8}). On a {@link Role#GATEWAY} they are also the only clients allowed to
         * connect; on an {@link Role#EDGE} everybody may connect and send to the accepted domains. Nobody else may
         * relay, not even the node's own listen address (a node listening on 127.0.0.1 would otherwise be an open
         * relay for every local process). A gateway with a {@linkplain #dailyReport daily report} lets its own
         * address connect (without relay rights) to submit the report to an accepted domain. Ignored when
         * {@link #accessRules} is set (such rules must then allow the node's own address for the daily report).
         * Default: none.
         *
         * @param patterns address patterns
         * @return this builder
         * @throws IllegalArgumentException if a pattern is malformed (checked at once)
         */
        public Builder relayClients(String... patterns) {
            List<String> list = List.of(patterns);
            AccessRules.Builder check = AccessRules.builder();
            for (String p : list) {
                check.allow(p, true);
            }
            this.relayClients = list;
            return this;
        }

        /**
         * Explicit access rules (for example read from a tcprules file), replacing the ones the role derives from
         * {@link #relayClients}.
         *
         * @param rules the rules
         * @return this builder
         */
        public Builder accessRules(AccessRules rules) {
            this.accessRules = Objects.requireNonNull(rules, "rules");
            return this;
        }

        /**
         * Where recipients go; a route with several next hops is a failover group. Required.
         *
         * @param value the router (typically a {@link org.mailhygiene.api.routing.StaticRouter})
         * @return this builder
         */
        public Builder router(Router value) {
            this.router = Objects.requireNonNull(value, "router");
            return this;
        }

        /**
         * The scanners every message goes through. Required, at least one.
         *
         * @param value the scanners
         * @return this builder
         * @throws IllegalArgumentException if empty
         */
        public Builder scanners(List<Scanner> value) {
            if (value.isEmpty()) {
                throw new IllegalArgumentException("a node needs at least one scanner");
            }
            this.scanners = List.copyOf(value);
            return this;
        }

        /**
         * The bound of one message's scan over every scanner; past it the scanners still running fail as
         * {@code TIMED_OUT} and the policy decides (a temporary failure by default). Give it longer than any scanner's
         * own bound ({@code clamd.deadline}, a command-line scanner's timeout), as a node file does by itself. Default
         * {@link ScanPipeline#DEFAULT_DEADLINE} (two minutes).
         *
         * @param value the deadline
         * @return this builder
         * @throws NullPointerException if {@code value} is {@code null}
         * @throws IllegalArgumentException if {@code value} is not positive
         */
        public Builder scanDeadline(Duration value) {
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException("scanDeadline must be positive, was " + value);
            }
            this.scanDeadline = value;
            return this;
        }

        /**
         * The policy. Default: the role's {@linkplain Role#defaultPolicy() default policy}.
         *
         * @param value the policy
         * @return this builder
         */
        public Builder policy(Policy value) {
            this.policy = Objects.requireNonNull(value, "policy");
            return this;
        }

        /**
         * The node's data directory, holding {@code spool/}, {@code quarantine/} and {@code stats/}; created when
         * missing. Required.
         *
         * @param dir the directory
         * @return this builder
         */
        public Builder dataDirectory(Path dir) {
            this.dataDirectory = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /**
         * The clock for statistics days, the server and the delivery agent. Default: the system clock in the default
         * zone (a day ends at local midnight).
         *
         * @param value the clock
         * @return this builder
         */
        public Builder clock(Clock value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * How long before the STARTTLS certificate's end of validity the running node starts warning of it (one WARN
         * line at start and every day). Default 14 days.
         *
         * @param value from 1 day to 365 days
         * @return this builder
         * @throws IllegalArgumentException if out of that range
         */
        public Builder tlsExpiryWarning(Duration value) {
            Objects.requireNonNull(value, "tlsExpiryWarning");
            if (value.compareTo(Duration.ofDays(1)) < 0 || value.compareTo(Duration.ofDays(365)) > 0) {
                throw new IllegalArgumentException("tlsExpiryWarning must be 1 to 365 days: " + value);
            }
            this.tlsExpiryWarning = value;
            return this;
        }

        /**
         * How often statistics are written to disk. Default 5 s.
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder statisticsFlushInterval(Duration value) {
            Checks.requirePositive(value, "statisticsFlushInterval");
            this.flushInterval = value;
            return this;
        }

        /**
         * Mails the statistics report to an administrator every day at a local time, through this node itself (see
         * {@link DailyReportMailer}: submitted over SMTP to the node's listener from the node's own address). The
         * recipient's domain must be an accepted domain, or the node's own address a relay client ({@link #check()}
         * and {@link #build()} refuse the node otherwise). Default: no report.
         *
         * @param to the administrator's address (an internationalised domain is used as its A-labels, as in
         *     {@code from})
         * @param from the sender address, or {@code null} for {@code postmaster@HOSTNAME}
         * @param at the local time of day (in the node's clock's zone)
         * @return this builder
         * @throws IllegalArgumentException if {@code to} is blank
         */
        public Builder dailyReport(String to, String from, LocalTime at) {
            Objects.requireNonNull(to, "to");
            if (to.isBlank()) {
                throw new IllegalArgumentException("the report address must not be blank");
            }
            this.reportTo = org.mailhygiene.internal.Domains.mailbox(to);
            this.reportFrom = from == null ? null : org.mailhygiene.internal.Domains.mailbox(from);
            this.reportAt = Objects.requireNonNull(at, "at");
            return this;
        }

        /**
         * Sets the warnings {@link #configurationWarnings()} returns (the node configuration reader's findings).
         *
         * @param value one line per warning
         * @return this builder
         * @throws NullPointerException if {@code value} or a line is {@code null}
         */
        public Builder configurationWarnings(List<String> value) {
            configurationWarnings = List.copyOf(value);
            return this;
        }

        /**
         * Warnings about the configuration that are no errors (the node starts and works) but that hold or pass mail
         * as the administrator hardly meant: e.g. a scanner's size limit below {@code max-message-size} whose
         * {@code too-large} failures are answered 451 at every attempt. {@code hygiene relay} prints them on standard
         * error, with {@code --check} and at start. Default: none.
         *
         * @return the warnings, one line each, in the order found
         */
        public List<String> configurationWarnings() {
            return configurationWarnings;
        }

        /**
         * An extra pipeline listener (besides the statistics). Its {@link HygieneListener#disposition} is called once
         * per scanned message after the relay carried the decision out, with what the client was told: a message the
         * policy kept but the quarantine or spool could not store (answered 451) is a {@code TEMPFAIL}, not the
         * policy's {@code QUARANTINE}, {@code ACCEPT} or {@code TAG}.
         *
         * @param value the listener
         * @return this builder
         */
        public Builder listener(HygieneListener value) {
            listeners.add(Objects.requireNonNull(value, "listener"));
            return this;
        }

        /**
         * Whether identical message contents share one scan through the pipeline's verdict cache (the node config's
         * {@code verdict-cache}). Default {@code true}; benchmarks that send one body many times turn it off so that
         * every message is scanned.
         *
         * @param value the setting
         * @return this builder
         */
        public Builder verdictCache(boolean value) {
            this.verdictCache = value;
            return this;
        }

        /**
         * How long quarantined messages are kept: the node deletes older ones at start and then every hour (the node
         * config's {@code quarantine-retention}). Default {@link Quarantine#DEFAULT_RETENTION} (30 days).
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder quarantineRetention(Duration value) {
            Checks.requirePositive(value, "quarantine retention");
            this.quarantineRetention = value;
            return this;
        }

        /**
         * How long a spool file that ends before its commit mark ({@code ID.q.incomplete}, set aside at start: a
         * crash while a message was received, or damage that cut a committed file short) is kept for an
         * administrator to look at; older ones are deleted, each logged at WARN, at start and then every hour (the
         * node config's {@code incomplete-retention}; see {@link Spool#removeIncomplete(Duration)}). Default
         * {@link #DEFAULT_INCOMPLETE_RETENTION} (7 days).
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder incompleteRetention(Duration value) {
            Checks.requirePositive(value, "incomplete retention");
            this.incompleteRetention = value;
            return this;
        }

        /**
         * Adds a listener for the SMTP server's refusals and TLS sessions (for metrics). Repeatable.
         *
         * @param value the listener (fast, must not throw)
         * @return this builder
         */
        public Builder sessionListener(SessionListener value) {
            sessionListeners.add(Objects.requireNonNull(value, "listener"));
            return this;
        }

        /**
         * Adds a listener for the delivery agent's events (after the node's own statistics and log lines); for
         * metrics. Repeatable.
         *
         * @param value the listener (fast, must not throw)
         * @return this builder
         */
        public Builder deliveryListener(DeliveryListener value) {
            deliveryListeners.add(Objects.requireNonNull(value, "listener"));
            return this;
        }

        /**
         * Where the administrator's HTTP endpoint ({@code /metrics}, {@code /health}) should listen: the node config's
         * {@code admin-listen}. The node does not serve it itself (that needs the optional hygiene-metrics module);
         * {@code hygiene relay} reads it through {@link #adminListen()} and starts the server. Default: none.
         *
         * @param address the address (port 0: any free port)
         * @return this builder
         */
        public Builder adminListen(InetSocketAddress address) {
            this.adminListen = Objects.requireNonNull(address, "address");
            return this;
        }

        /**
         * The store set by {@link #sharedState(SharedState)}, if any (not yet wrapped in a guard; whoever takes it
         * from an unbuilt builder closes it, as {@code hygiene relay --check} does after asking it once).
         *
         * @return the store
         */
        public Optional<SharedState> sharedState() {
            return Optional.ofNullable(sharedState);
        }

        /**
         * The admin address set by {@link #adminListen(InetSocketAddress)}, if any.
         *
         * @return the address
         */
        public Optional<InetSocketAddress> adminListen() {
            return Optional.ofNullable(adminListen);
        }

        /**
         * Further SMTP server settings (limits, TLS, ...), applied after the node's own (bind address, port, host
         * name, access rules, accepted domains, clock, free-space check). Each call adds its settings after those of
         * earlier calls.
         *
         * @param settings the settings
         * @return this builder
         */
        public Builder server(Consumer<SmtpServer.Builder> settings) {
            this.serverSettings = this.serverSettings.andThen(Objects.requireNonNull(settings, "settings"));
            return this;
        }

        /**
         * STARTTLS with a certificate that {@link Node#reloadTls()} (or a {@linkplain Node#reload reload}) re-reads.
         * Default: no STARTTLS.
         *
         * @param value the certificate and key
         * @param requireForRelay whether clients with relay rights must use STARTTLS before MAIL ({@code 530})
         * @return this builder
         */
        public Builder tls(ReloadableTls value, boolean requireForRelay) {
            this.tls = Objects.requireNonNull(value, "tls");
            this.requireTlsForRelay = requireForRelay;
            return this;
        }

        /**
         * The longest an inbound STARTTLS handshake may take, its reads and writes together, before the connection is
         * closed ({@code tls-handshake-timeout}). Default 30 seconds. Applies to connections accepted after a
         * {@linkplain Node#reload reload}.
         *
         * @param value positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder tlsHandshakeTimeout(Duration value) {
            this.tlsHandshakeTimeout = Checks.requirePositive(value, "tlsHandshakeTimeout");
            return this;
        }

        /** The handshake bound set with {@link #tlsHandshakeTimeout}, empty for the default; for tests. */
        Optional<Duration> tlsHandshakeTimeoutSetting() {
            return Optional.ofNullable(tlsHandshakeTimeout);
        }

        /**
         * STARTTLS towards next hops. Default {@link TlsPolicy#disabled()} (the hops of the paper's topology are
         * private addresses; {@code outbound-tls} in the configuration file changes it).
         *
         * @param value the policy
         * @return this builder
         */
        public Builder outboundTls(TlsPolicy value) {
            this.outboundTls = Objects.requireNonNull(value, "outboundTls");
            return this;
        }

        /**
         * How long deliveries to next hops wait at each step (connect, greeting, each reply, each block of data).
         * Default {@link SmtpTimeouts#defaults()} (RFC 5321's: a next hop that accepts the connection and never greets
         * holds a delivery five minutes before the next host of its group is tried); the {@code delivery.*-timeout}
         * keys of the configuration file change it.
         *
         * @param value the timeouts
         * @return this builder
         * @throws NullPointerException if {@code value} is {@code null}
         */
        public Builder deliveryTimeouts(SmtpTimeouts value) {
            this.deliveryTimeouts = Objects.requireNonNull(value, "deliveryTimeouts");
            return this;
        }

        /**
         * Whether 8-bit content is converted to 7 bit for a next hop without 8BITMIME (see
         * {@link SmtpClient.Builder#mimeOutputConversion}); the {@code mime-output-conversion} key of the configuration
         * file sets it. Default {@code true}, as Postfix.
         *
         * @param on whether to convert
         * @return this builder
         */
        public Builder mimeOutputConversion(boolean on) {
            this.mimeOutputConversion = on;
            return this;
        }

        /**
         * The least usable space on the data directory's file system for a new transaction: below it (plus the size
         * a client declares), MAIL gets {@code 452 4.3.1} before any data is sent (see
         * {@link SmtpServer.Builder#freeSpace}). Default 0 (no check); {@code hygiene relay} sets 1.5 times the
         * message size limit unless {@code min-free-space} says otherwise.
         *
         * @param bytes the minimum, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder minFreeSpace(long bytes) {
            Checks.requireAtLeast(bytes, 0, "minFreeSpace");
            this.minFreeSpace = bytes;
            return this;
        }

        /**
         * Further delivery settings (retry schedule, next-hop back-off, poll interval, ...), applied after the
         * node's own (host name, SMTP client bound to the outgoing address, clock); the node's delivery listener is
         * set last. Each call adds its settings after those of earlier calls.
         *
         * @param settings the settings
         * @return this builder
         */
        public Builder delivery(Consumer<DeliveryAgent.Builder> settings) {
            this.deliverySettings = this.deliverySettings.andThen(Objects.requireNonNull(settings, "settings"));
            return this;
        }

        String hostname() {
            return hostname != null ? hostname : name;
        }

        AccessRules accessRules() {
            return accessRules != null
                    ? accessRules
                    : defaultAccess(role, relayClients, listenAddress, reportTo != null);
        }

        SmtpClient client() {
            InetAddress outgoing = outgoingAddress != null ? outgoingAddress : listenAddress;
            return SmtpClient.builder()
                    .heloName(hostname())
                    .localAddress(outgoing)
                    .tls(outboundTls)
                    .timeouts(deliveryTimeouts)
                    .mimeOutputConversion(mimeOutputConversion)
                    .build();
        }

        /**
         * {@code DATA/tmp}: messages being received (past the memory threshold) and rewritten are written here, on the
         * data directory's file system (so {@code min-free-space} covers them), never in the JVM's shared temporary
         * directory, where a crash would leave their content behind for good.
         */
        Path temporaryDirectory() {
            return dataDirectory.resolve(TEMPORARY_DIRECTORY);
        }

        void applyServer(SmtpServer.Builder sb) {
            sb.bindAddress(listenAddress)
                    .port(port)
                    .hostname(hostname())
                    .accessRules(accessRules())
                    .acceptedDomains(acceptedDomains)
                    .clock(clock);
            if (dataDirectory != null) {
                sb.spoolDirectory(temporaryDirectory());
            }
            String pm = postmaster();
            if (pm.indexOf('@') > 0) {
                sb.postmaster(pm);
            }
            if (tls != null) {
                sb.tls(
                                tlsHandshakeTimeout == null
                                        ? tls.config()
                                        : tls.config().withHandshakeTimeout(tlsHandshakeTimeout))
                        .requireTlsForRelay(requireTlsForRelay);
            }
            if (minFreeSpace > 0) {
                Path dir = dataDirectory;
                sb.freeSpace(
                        () -> {
                            try {
                                return Files.getFileStore(dir).getUsableSpace();
                            } catch (IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        },
                        minFreeSpace);
            }
            serverSettings.accept(sb);
        }

        /**
         * Validates everything {@link #build()} and {@link Node#start()} would build, without touching the data
         * directory and without binding: the required settings, the scan pipeline over the scanners (two scanners with
         * one name fail here), the SMTP server's and client's settings, and that the daily report can reach its
         * recipient (its domain is accepted, or the node's own address may relay). {@code hygiene relay --check} runs
         * this.
         *
         * @throws IllegalStateException naming the first problem
         * @throws IllegalArgumentException if a setting is refused by the object it configures
         */
        public void check() {
            requireSettings();
            try (ScanPipeline p = ScanPipeline.builder()
                    .scanners(scanners)
                    .policy(policy != null ? policy : role.defaultPolicy())
                    .build()) {
                // built and closed: the scanners are not the pipeline's to close
            }
            SmtpServer.Builder sb = SmtpServer.builder();
            applyServer(sb);
            sb.handler((envelope, content) -> {
                throw new IllegalStateException("a checked configuration does not receive mail");
            });
            sb.build().close();
            client();
        }

        /**
         * Probes every scanner once ({@link Scanner#health()}: clamd and spamd {@code PING}, bounded by their own
         * timeouts), for {@code hygiene relay --check}: a daemon that does not answer (a wrong port or socket, a
         * daemon not started) is not an error, since a node starts with it marked down, but the administrator should
         * hear of it before the start. Call after {@link #check()}. Blocks up to the scanners' timeouts; never
         * throws for a scanner that is down.
         *
         * <p>A clamd or spamd failover group that answers through one member is up, but each of its other members
         * that does not answer is named too ({@code clamd: member 127.0.0.1:3310 does not answer: ...}): a typo in a
         * second address, or a second daemon never started, would otherwise show only when the first one fails.
         *
         * @return one line per scanner that is down (its name and what its probe saw) and per failover member that
         *     does not answer in a scanner that is up; empty when all answer or have no probe
         */
        public List<String> probeScanners() {
            return Node.probeScanners(scanners);
        }

        /** The members of a clamd or spamd failover group of two or more that do not answer {@code PING}. */
        private static List<String> silentMembers(Scanner s) throws InterruptedException {
            List<String> silent = new java.util.ArrayList<>();
            if (s instanceof org.mailhygiene.scanners.clamd.ClamdScanner clamd
                    && clamd.clients().size() > 1) {
                for (org.mailhygiene.scanners.clamd.ClamdClient c : clamd.clients()) {
                    try {
                        c.ping(clamd.probeTimeout());
                    } catch (org.mailhygiene.scanners.clamd.ClamdException e) {
                        silent.add(memberLine(s, c.address().toString(), e.getMessage()));
                    }
                }
            } else if (s instanceof org.mailhygiene.scanners.spamd.SpamdScanner spamd
                    && spamd.group().values().size() > 1) {
                for (org.mailhygiene.scanners.spamd.SpamdClient c :
                        spamd.group().values()) {
                    try {
                        c.ping(spamd.probeTimeout());
                    } catch (org.mailhygiene.scanners.spamd.SpamdException e) {
                        silent.add(memberLine(s, c.address(), e.getMessage()));
                    }
                }
            }
            return silent;
        }

        private static String memberLine(Scanner s, String address, String problem) {
            String why = problem == null ? "no reason given" : problem;
            if (why.startsWith(address + ": ")) {
                why = why.substring(address.length() + 2);
            }
            return s.name() + ": member " + address + " does not answer: " + why;
        }

        /**
         * Checks every clamd scanner's instances for settings under which clamd calls content it did not read clean
         * ({@link org.mailhygiene.scanners.clamd.ClamdScanner#checkLimits()}: {@code AlertExceedsMax no},
         * {@code ScanArchive no}), for {@code hygiene relay --check}. Streams three small probes (the EICAR test file,
         * zipped and nested) to each instance that answers; clamd logs them as found. Also runs each command-line
         * scanner once on the EICAR test file ({@link
         * org.mailhygiene.scanners.cli.CommandLineScanner#checkDetectsEicar()}): a program that calls it clean, or
         * fails, is named. Call after {@link #check()}. Blocks up to the scanners' probe timeouts and scan timeouts;
         * never throws.
         *
         * @return one line per instance so configured, prefixed with its scanner's name; empty when none is
         */
        public List<String> checkScannerLimits() {
            return Node.checkScannerLimits(scanners);
        }

        private void requireSettings() {
            if (router == null) {
                throw new IllegalStateException(name + ": a router is required");
            }
            if (scanners.isEmpty()) {
                throw new IllegalStateException(name + ": at least one scanner is required");
            }
            if (dataDirectory == null) {
                throw new IllegalStateException(name + ": a data directory is required");
            }
            if (reportTo != null) {
                int at = reportTo.lastIndexOf('@');
                String domain = at < 0 ? "" : reportTo.substring(at + 1);
                if (!acceptedDomains.accepts(domain)
                        && !accessRules().decide(listenAddress).relay()) {
                    throw new IllegalStateException(name + ": the daily report to " + reportTo
                            + " could not be delivered: its domain is not an accepted domain and the node's own"
                            + " address " + listenAddress.getHostAddress() + " may not relay (add the domain to the"
                            + " accepted domains, or the address to the relay clients)");
                }
            }
        }

        /**
         * Adds background work the node starts after its relay and closes before it (scanner probes, signature
         * updates, model reloads; see {@link NodeService}). Default none.
         *
         * @param value the service
         * @return this builder
         */
        public Builder service(NodeService value) {
            services.add(Objects.requireNonNull(value, "service"));
            return this;
        }

        /**
         * Creates the data directories, opens the spool, quarantine and statistics, and builds the node (not
         * started).
         *
         * @return the node
         * @throws IllegalStateException naming the first missing required setting
         * @throws IOException if the data directory cannot be prepared
         */
        public Node build() throws IOException {
            requireSettings();
            Files.createDirectories(dataDirectory);
            Spool spool = Spool.open(dataDirectory.resolve("spool"));
            try {
                clearTemporaryDirectory(temporaryDirectory()); // the spool's lock says no other process uses it
                Quarantine quarantine = Quarantine.builder(dataDirectory.resolve("quarantine"))
                        .retention(quarantineRetention)
                        .clock(clock)
                        .build();
                NodeStatistics statistics = NodeStatistics.open(dataDirectory, name, clock);
                return new Node(this, spool, quarantine, statistics);
            } catch (IOException | RuntimeException e) {
                spool.close();
                throw e;
            }
        }
    }
}
