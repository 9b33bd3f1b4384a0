package org.mailhygiene.smtp.server;

import static org.mailhygiene.internal.Closeables.closeQuietly;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.mailhygiene.api.shared.RateLimiter;
import org.mailhygiene.internal.AcceptBackoff;
import org.mailhygiene.internal.Checks;
import org.mailhygiene.internal.Durations;
import org.mailhygiene.internal.Timers;
import org.mailhygiene.internal.VirtualThreads;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.smtp.access.AccessDecision;
import org.mailhygiene.smtp.access.AccessRules;
import org.mailhygiene.smtp.access.RelayControl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An RFC 5321 SMTP server that hands each received message to a {@link MessageHandler}.
 *
 * <p>Commands: EHLO, HELO, MAIL, RCPT, DATA, BDAT, RSET, NOOP, QUIT, VRFY ({@code 252}), EXPN ({@code 502}), HELP
 * and STARTTLS. Extensions advertised after EHLO: PIPELINING, SIZE, 8BITMIME, ENHANCEDSTATUSCODES, CHUNKING (BDAT, RFC
 * 3030; BINARYMIME is not offered, so chunks carry the same CRLF text as DATA and are held to the same content rules;
 * DATA and BDAT cannot be mixed in one transaction, {@code 503}), STARTTLS (when {@linkplain Builder#tls TLS is
 * configured} and not yet active), SMTPUTF8 (unless {@linkplain Builder#smtputf8 switched off}), DSN (RFC 3461:
 * {@code RET} and {@code ENVID} on MAIL, {@code NOTIFY} and {@code ORCPT} on RCPT, checked and handed to
 * {@link MessageHandler#handle(org.mailhygiene.api.Envelope, org.mailhygiene.api.MessageContent, long,
 * org.mailhygiene.smtp.dsn.DsnRequest)};
 * a malformed or repeated one gets {@code 501 5.5.4}, an unknown one {@code 555 5.5.4}) and HELP. Command lines are
 * limited to 512 octets, MAIL and RCPT to 1012 (the 500 more RFC 3461 §4 allows for DSN parameters), and text lines to
 * 1000 (RFC 5321 §4.5.3.1); longer lines get an error reply. Only {@code <CRLF>.<CRLF>} ends the data, and a message with a bare CR or LF is refused
 * with {@code 550 5.5.2} after its end (see {@code DataReader}: this shuts out SMTP smuggling, CERT VU#302671, at the
 * price of refusing the rare broken client that sends bare LF; Postfix's {@code smtpd_forbid_bare_newline=reject}
 * makes the same choice).
 *
 * <p>Connection handling, in order, for each accepted connection: the {@linkplain Builder#accessRules access rules}
 * ({@code deny} gets {@code 554 5.7.1} and is closed: unlike tcpserver, which drops silently, the client learns why);
 * the global and per-IP concurrency caps and the per-IP connection rate ({@code 421 4.7.0} and close; a client the
 * access rules give relay rights is held to the global cap only, and to no per-address message rate either, as
 * Postfix exempts {@code $mynetworks}: it forwards many senders' mail). When the process is out of file descriptors
 * ({@code ulimit -n}), a new connection is answered {@code 421 4.3.2 Out of system resources} and closed (the server
 * keeps one spare descriptor to accept it with), and failed accepts are retried after a pause of up to 1 s, logged
 * once when they start, once a minute and once when they end, never in a busy loop. Then the
 * session runs on its own thread (a virtual thread on Java 21+, a pooled platform thread on
 * 17). A client that does not read the replies loses its connection after {@link SmtpLimits#writeTimeout()}, and
 * a STARTTLS handshake is bounded as a whole by {@link TlsConfig#handshakeTimeout()}. Recipients must be in the {@linkplain Builder#acceptedDomains accepted domains} unless the access rules give
 * the client relay rights; see {@link RelayControl}. Limits and timeouts: {@link SmtpLimits}.
 *
 * <p>Each message gets a {@code Received:} header (RFC 5321 §4.4) prepended before the handler sees it. Messages are
 * streamed to a {@link org.mailhygiene.api.SpooledContent}: at most {@link SmtpLimits#memoryThreshold()} bytes of
 * each stay in heap.
 *
 * <p>Thread-safe. {@link #start()} once, {@link #stop()} (or {@link #close()}) once.
 */
public final class SmtpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SmtpServer.class);

    /** What a reload may replace, swapped as one: sessions and admissions read it once. */
    private record Current(Settings settings, AccessRules accessRules, PerIpLimiter connectionRate) {}

    private volatile Current current;
    private final InetAddress bindAddress;
    private final int requestedPort;
    private final int backlog;
    private final RateLimiter sharedLimiter;
    /** Sessions the owned platform-thread executor can run at once (Java 17); unbounded otherwise. */
    private final int sessionCapacity;

    private final ExecutorService executor;
    private final boolean ownsExecutor;
    private final Duration stopGrace;
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong acceptLoopErrors = new AtomicLong();
    private volatile long scheduledStressCheckMillis;

    /**
     * Makes the accept loop's back-off (one per loop, on the accepting thread). A seam for tests, which give one whose
     * methods fail; set before {@link #start()}.
     */
    java.util.function.Supplier<AcceptBackoff> acceptBackoffs = AcceptBackoff::new;

    private final ConcurrentHashMap<InetAddress, AtomicInteger> perIp = new ConcurrentHashMap<>();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Set<SmtpSession> sessions = ConcurrentHashMap.newKeySet();
    private volatile ServerSocket serverSocket;
    private volatile boolean running;
    private Thread acceptor;

    /** What sessions need; immutable. */
    record Settings(
            String hostname,
            SmtpLimits limits,
            TlsConfig tls,
            boolean requireTls,
            boolean requireTlsForRelay,
            boolean smtputf8,
            boolean dsn,
            RelayControl relayControl,
            MessageHandler handler,
            Clock clock,
            Path spoolDirectory,
            PerIpLimiter messageRate,
            String idPrefix,
            AtomicLong idCounter,
            ScheduledExecutorService watchdog,
            LongSupplier freeSpace,
            long minFreeSpace,
            SessionListener listener,
            String postmaster,
            BooleanSupplier stress) {
        String nextId() {
            return idPrefix + Long.toString(idCounter.incrementAndGet(), 36).toUpperCase(Locale.ROOT);
        }

        void refused(InetAddress client, String reason, int code) {
            try {
                listener.refused(client, reason, code);
            } catch (RuntimeException e) {
                LOG.warn("session listener failed", e);
            }
        }
    }

    private SmtpServer(Builder b) {
        this.bindAddress = b.bindAddress;
        this.stopGrace = b.stopGrace;
        this.requestedPort = b.port;
        this.backlog = b.backlog;
        this.sharedLimiter = b.sharedLimiter;
        PerIpLimiter connectionRate = new PerIpLimiter(
                b.limits.connectionRateCount(), b.limits.connectionRateWindow(), b.clock, b.sharedLimiter, "conn:");
        PerIpLimiter messageRate = new PerIpLimiter(
                b.limits.messageRateCount(), b.limits.messageRateWindow(), b.clock, b.sharedLimiter, "msg:");
        String prefix = Long.toString(b.clock.millis(), 36).toUpperCase(Locale.ROOT) + "-";
        Settings settings = new Settings(
                b.hostname,
                b.limits,
                b.tls,
                b.requireTls,
                b.requireTlsForRelay,
                b.smtputf8,
                b.dsn,
                new RelayControl(b.acceptedDomains),
                b.handler,
                b.clock,
                b.spoolDirectory,
                messageRate,
                prefix,
                new AtomicLong(),
                newWatchdog(),
                b.freeSpace,
                b.minFreeSpace,
                b.listener,
                b.postmaster,
                this::underStress);
        this.current = new Current(settings, b.accessRules, connectionRate);
        if (b.executor != null) {
            this.executor = b.executor;
            this.ownsExecutor = false;
            this.sessionCapacity = Integer.MAX_VALUE;
        } else {
            this.executor = VirtualThreads.newPerTaskExecutor("smtp-session", b.limits.maxConnections() + 1);
            this.ownsExecutor = true;
            this.sessionCapacity = VirtualThreads.available() ? Integer.MAX_VALUE : b.limits.maxConnections();
        }
    }

    /**
     * Replaces the settings new sessions get, for a configuration reload: sessions already open finish with the
     * settings they started with (their access decision, accepted domains, limits, TLS offer and host name), and every
     * connection accepted after this call gets the new ones. Nothing is dropped.
     *
     * <p>The settings are applied to a fresh {@link #builder()} and validated as {@link Builder#build()} does; then the
     * host name, limits and timeouts, TLS and its requirements, SMTPUTF8, access rules, accepted domains and the
     * free-space check are swapped in at once (a refused change leaves everything as it was). These are kept from the
     * start, whatever the settings say: the bind address, port and backlog (the socket stays bound), the executor, the
     * message handler, the clock, the spool directory, the shared limiter and the session listener. The per-IP rate
     * buckets are kept unless their limits changed. With the server's own executor on Java 17 (platform threads, sized
     * at start), a higher {@link SmtpLimits#maxConnections()} than at start admits only as many sessions as the pool
     * has threads until a restart (logged).
     *
     * @param settings settings for the server, as given to a builder
     * @throws IllegalStateException if the settings are inconsistent (TLS required but not configured)
     * @throws IllegalArgumentException if a setting is refused
     */
    public void reconfigure(java.util.function.Consumer<Builder> settings) {
        Objects.requireNonNull(settings, "settings");
        Builder b = new Builder();
        settings.accept(b);
        if ((b.requireTls || b.requireTlsForRelay) && b.tls == null) {
            throw new IllegalStateException("requireTls needs tls(...)");
        }
        synchronized (this) {
            Current old = current;
            Settings o = old.settings();
            SmtpLimits l = b.limits;
            PerIpLimiter messageRate = l.messageRateCount() == o.limits().messageRateCount()
                            && l.messageRateWindow().equals(o.limits().messageRateWindow())
                    ? o.messageRate()
                    : new PerIpLimiter(l.messageRateCount(), l.messageRateWindow(), o.clock(), sharedLimiter, "msg:");
            SmtpLimits ol = o.limits();
            PerIpLimiter connectionRate = l.connectionRateCount() == ol.connectionRateCount()
                            && l.connectionRateWindow().equals(ol.connectionRateWindow())
                    ? old.connectionRate()
                    : new PerIpLimiter(
                            l.connectionRateCount(), l.connectionRateWindow(), o.clock(), sharedLimiter, "conn:");
            Settings next = new Settings(
                    b.hostname,
                    l,
                    b.tls,
                    b.requireTls,
                    b.requireTlsForRelay,
                    b.smtputf8,
                    b.dsn,
                    new RelayControl(b.acceptedDomains),
                    o.handler(),
                    o.clock(),
                    o.spoolDirectory(),
                    messageRate,
                    o.idPrefix(),
                    o.idCounter(),
                    o.watchdog(),
                    b.freeSpace,
                    b.minFreeSpace,
                    o.listener(),
                    b.postmaster,
                    o.stress());
            if (l.maxConnections() > sessionCapacity) {
                LOG.warn(
                        "max connections {} exceeds the {} session threads sized at start: {} apply until a restart",
                        l.maxConnections(),
                        sessionCapacity,
                        sessionCapacity);
            }
            current = new Current(next, b.accessRules, connectionRate);
        }
    }

    private static ScheduledExecutorService newWatchdog() {
        return Timers.daemonScheduler("smtp-server-watchdog");
    }

    /**
     * A new builder.
     *
     * @return a builder with the defaults listed on its setters
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds the listening socket and starts accepting connections.
     *
     * @throws IOException if the address cannot be bound (a {@link java.net.BindException} naming the address and
     *     port, e.g. {@code cannot listen on 127.0.0.1:25: Address already in use})
     * @throws IllegalStateException if already started
     */
    public synchronized void start() throws IOException {
        if (serverSocket != null) {
            throw new IllegalStateException("already started");
        }
        ServerSocket ss = org.mailhygiene.internal.HostPorts.listen(bindAddress, requestedPort, backlog);
        serverSocket = ss;
        running = true;
        acceptor = new Thread(this::acceptLoop, "smtp-accept-" + ss.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
        Settings settings = current.settings();
        scheduleStressCheck();
        LOG.info(
                "SMTP server {} listening on {}",
                settings.hostname(),
                org.mailhygiene.internal.HostPorts.of((InetSocketAddress) ss.getLocalSocketAddress()));
    }

    /**
     * The bound port: useful after {@linkplain Builder#port(int) port 0}.
     *
     * @return the local port
     * @throws IllegalStateException if not started
     */
    public int port() {
        ServerSocket ss = serverSocket;
        if (ss == null) {
            throw new IllegalStateException("not started");
        }
        return ss.getLocalPort();
    }

    /**
     * The bound address and port.
     *
     * @return the socket address
     * @throws IllegalStateException if not started
     */
    public InetSocketAddress address() {
        return new InetSocketAddress(bindAddress, port());
    }

    /**
     * The number of sessions now open.
     *
     * @return open sessions
     */
    public int activeSessions() {
        return active.get();
    }

    /**
     * The number of connections the accept loop closed because refusing or admitting them failed unexpectedly (a
     * {@link RuntimeException} or an {@link Error}: a session listener's {@code AssertionError}, a class that could not
     * be loaded for want of a file descriptor), since start. Each is closed without a reply and logged at WARN, and the
     * loop goes on accepting.
     *
     * @return connections closed so; 0 normally
     */
    public long acceptLoopErrors() {
        return acceptLoopErrors.get();
    }

    /**
     * How long {@link #stop()} waits for open sessions to end by themselves before it cuts their connections, by
     * default ({@link Builder#stopGrace(Duration)}): time for a message whose data was complete to be scanned, stored
     * and answered.
     */
    public static final Duration STOP_GRACE = Duration.ofSeconds(10);

    /** The longest {@link Builder#stopGrace(Duration) stop grace}: a supervisor's stop timeout is shorter anyway. */
    public static final Duration MAX_STOP_GRACE = Duration.ofMinutes(10);

    /**
     * Stops accepting and ends every open session: a session waiting for a command, or still reading a message's
     * data, is answered {@code 421 4.3.2} within half a second (a message whose data was not complete was
     * never acknowledged: its client still holds it and sends it again), and then closes as after any last reply:
     * output shut down, what the client still sends read and discarded for up to 2 s, so that a client in the middle
     * of writing its message reads the {@code 421} instead of a TCP reset (not under TLS, where such a session is still
     * closed at once); a session in the middle of a STARTTLS handshake is closed at once, without a plaintext reply; a
     * session whose message is being scanned and stored answers that
     * message first ({@code 250} once it is stored), then {@code 421 4.3.2}. Sessions still open after the
     * {@linkplain Builder#stopGrace(Duration) stop grace} (default {@link #STOP_GRACE}) have their connections closed;
     * one whose message is still being scanned is answered {@code 421 4.3.2} first and logged in one WARN line (the
     * message was not acknowledged: its client keeps it and sends it again). Then waits up to 5 seconds for session
     * threads to end. Idempotent.
     */
    public void stop() {
        running = false;
        ServerSocket ss = serverSocket;
        closeQuietly(ss);
        if (acceptor != null) {
            try {
                acceptor.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (SmtpSession session : sessions) {
            session.shutDown();
        }
        long deadline = System.nanoTime() + stopGrace.toNanos();
        while (active.get() > 0
                && System.nanoTime() - deadline < 0
                && !Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (SmtpSession session : sessions) {
            session.cutAtStop(stopGrace);
        }
        for (Socket s : sockets) {
            closeQuietly(s);
        }
        current.settings().watchdog().shutdownNow();
        if (ownsExecutor) {
            executor.shutdownNow();
            try {
                executor.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    /**
     * Accepts until the server stops. A failed accept never spins: out of file descriptors, the one connection the
     * spare descriptor lets in is answered {@code 421 4.3.2} and closed (and so is a connection accepted while the spare
     * cannot be opened again: its descriptor becomes the spare; one the spare let in after the shortage ended is
     * admitted); any other failure (or no spare) pauses the loop, 5 ms doubling up to 1 s, and a run of failures is
     * logged at WARN when it starts and once a minute, and at INFO when it ends (see {@link AcceptBackoff}).
     */
    private void acceptLoop() {
        ServerSocket ss = serverSocket;
        AcceptBackoff.warmUp();
        // made before they are needed: out of descriptors, making them might fail (see AcceptBackoff.warmUp)
        BooleanSupplier stillRunning = () -> running;
        Consumer<String> warn = line -> LOG.warn("{}: {}", current.settings().hostname(), line);
        AcceptBackoff.Refusal refusal = s -> {
            Settings settings = current.settings();
            settings.refused(s.getInetAddress(), "out-of-descriptors", 421);
            refuse(s, "421 4.3.2 " + settings.hostname() + " Out of system resources, try again later");
        };
        try (AcceptBackoff backoff = acceptBackoffs.get()) {
            while (running) {
                Socket s;
                try {
                    s = ss.accept();
                } catch (IOException e) {
                    if (!running) {
                        return;
                    }
                    Socket late = null;
                    try {
                        late = backoff.handleFailure(ss, e, stillRunning, warn, refusal);
                    } catch (InterruptedException interrupted) {
                        Thread.currentThread().interrupt();
                        running = false;
                    } catch (RuntimeException | LinkageError unexpected) {
                        // a class that could not be loaded for want of a descriptor: never end accepting for it
                        LOG.warn("accept failure not handled: {}", unexpected.toString());
                        pause(1000);
                    }
                    if (late == null) {
                        continue;
                    }
                    s = late; // it came after the shortage ended: admitted as any other
                }
                try {
                    if (backoff.refusedToKeepSpare(s, refusal)) {
                        continue;
                    }
                    String recovered = backoff.succeeded();
                    if (recovered != null) {
                        LOG.info("{}: {}", current.settings().hostname(), recovered);
                    }
                    try {
                        admit(s);
                    } catch (IOException | RuntimeException e) {
                        LOG.debug(
                                "could not admit {}: {}",
                                org.mailhygiene.internal.HostPorts.address(s.getInetAddress()),
                                e.toString());
                        closeQuietly(s);
                    }
                } catch (RuntimeException | Error unexpected) {
                    // a listener's Error (an AssertionError as much as a LinkageError), a class that could not be
                    // loaded for want of a descriptor: this connection is lost, never the accept thread (it ended, and
                    // the port accepted connections nobody answered)
                    acceptLoopErrors.incrementAndGet();
                    closeQuietly(s);
                    lost(s, unexpected);
                }
            }
        }
    }

    /** Logs a connection the accept loop lost; nothing it throws (a throwable's own toString) leaves it. */
    private void lost(Socket s, Throwable unexpected) {
        try {
            LOG.warn(
                    "{}: connection from {} closed: {}",
                    current.settings().hostname(),
                    org.mailhygiene.internal.HostPorts.peer(s),
                    unexpected.toString());
        } catch (RuntimeException | Error notLogged) {
            // the count (acceptLoopErrors) has it; the accept thread must go on
        }
    }

    private void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /**
     * Whether the server is under stress: at least {@link SmtpLimits#stressSessions()} sessions open.
     *
     * @return {@code true} under stress
     */
    public boolean underStress() {
        return active.get() >= current.settings().limits().stressSessions();
    }

    /**
     * How long the stress check waits before its next run: a quarter of {@code stressIdleTimeout}, at least 100 ms and
     * at most 1 s.
     */
    static long stressCheckMillis(Duration stressIdleTimeout) {
        return Math.max(100, Math.min(1000, stressIdleTimeout.toMillis() / 4));
    }

    /**
     * The delay of the stress check scheduled last ({@link #stressCheckMillis(Duration)} of the stress idle timeout in
     * force then), 0 before {@link #start()}: for tests.
     */
    long scheduledStressCheckMillis() {
        return scheduledStressCheckMillis;
    }

    /**
     * Schedules the next run of the stress check on the watchdog, after {@link #stressCheckMillis(Duration)} of the
     * stress idle timeout in force now: each run schedules the next, so a reload's {@code stress-idle-timeout} sets the
     * interval from the next run on (scheduled once at a fixed rate at start, the interval stayed that of the start).
     * Nothing once the server stops (the watchdog is shut down).
     */
    private void scheduleStressCheck() {
        Settings settings = current.settings();
        long delay = stressCheckMillis(settings.limits().stressIdleTimeout());
        scheduledStressCheckMillis = delay;
        try {
            settings.watchdog().schedule(this::stressCheck, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopped) {
            // the server stopped: no more checks
        }
    }

    private void stressCheck() {
        try {
            reapIdleUnderStress();
        } catch (RuntimeException e) {
            // the next run must come all the same (at a fixed rate, one failure ended the checks for good, silently)
            LOG.warn("stress check failed", e);
        } finally {
            if (running) {
                scheduleStressCheck();
            }
        }
    }

    /**
     * Under stress, closes sessions that have waited longer than the stress idle timeout for their next command, those
     * whose write of replies has been blocked that long (a client that does not read), and those whose message data
     * came too slowly ({@link SmtpLimits#stressMinDataRate()}; each of the last two logs its own line). Runs on the
     * watchdog executor, every quarter of {@code stress-idle-timeout} (at least every second, at most every 100 ms),
     * with the value in force at the run before (a reload changes the interval from the next run on).
     */
    private void reapIdleUnderStress() {
        if (!underStress()) {
            return;
        }
        Settings settings = current.settings();
        long limit = settings.limits().stressIdleTimeout().toNanos();
        long now = System.nanoTime();
        int reaped = 0;
        for (SmtpSession session : sessions) {
            if (session.idleLongerThan(limit, now)) {
                session.reap();
                reaped++;
            } else if (!session.cutIfWriteBlocked(limit, now)) {
                session.cutIfTooSlow(now);
            }
        }
        if (reaped > 0) {
            LOG.info(
                    "under stress ({} sessions): closed {} sessions idle for more than {}",
                    active.get(),
                    reaped,
                    Durations.format(settings.limits().stressIdleTimeout()));
        }
    }

    private void admit(Socket s) throws IOException {
        s.setTcpNoDelay(true);
        InetAddress ip = s.getInetAddress();
        Current now = current; // one configuration for the whole admission and the session
        Settings settings = now.settings();
        AccessDecision decision = now.accessRules().decide(ip);
        if (!decision.allowed()) {
            settings.refused(ip, "access-denied", 554);
            refuse(s, "554 5.7.1 Access denied");
            return;
        }
        if (active.get() >= Math.min(settings.limits().maxConnections(), sessionCapacity)) {
            settings.refused(ip, "connections", 421);
            refuse(s, "421 4.7.0 " + settings.hostname() + " Too many connections, try again later");
            return;
        }
        AtomicInteger mine = perIp.compute(ip, (k, v) -> v == null ? new AtomicInteger() : v);
        int fromHere = mine.incrementAndGet();
        // This admission holds one of the address's count until a session's onClose owns it: released in finally on
        // every other way out, also when a check throws (a clock or a limiter failing: until session 49 the count then
        // stayed raised for good, and the address was refused "Too many connections from your address" after as many
        // such failures as its limit)
        boolean handedOver = false;
        try {
            // A relay client (the access rules' RELAYCLIENT: a gateway's edges and internal servers, an edge's
            // gateway) is a known host that forwards many people's mail: the per-address limits, meant for one client
            // flooding, do not apply to it (Postfix exempts $mynetworks the same way), or a busy edge's deliveries
            // would be refused by its own gateway and wait out a back-off
            boolean relay = decision.relay();
            if (!relay && fromHere > settings.limits().maxConnectionsPerIp()) {
                settings.refused(ip, "connections-per-ip", 421);
                refuse(s, "421 4.7.0 " + settings.hostname() + " Too many connections from your address");
                return;
            }
            if (!relay && fromHere > settings.limits().stressConnectionsPerIp() && underStress()) {
                settings.refused(ip, "stress-connections-per-ip", 421);
                refuse(
                        s,
                        "421 4.7.0 " + settings.hostname()
                                + " Too many connections from your address while the server is busy, try again later");
                return;
            }
            // With a shared limiter (a cluster's Redis) the connection rate is a call to that store, which may take up
            // to its timeout: it is made on the session's own thread, before the greeting. Made here, on the one
            // accept thread, every connection waited for the one before it: a Redis answering in 100 ms (under the
            // timeout, so never marked down) held each node to 10 connections a second, and the clients' delay grew
            // without bound (measured: two relay nodes offered 15 messages a second each, delay 2 s after 5 s, 10.5 s
            // after 15 s).
            boolean sharedRate = !relay && sharedLimiter != null;
            if (!relay && !sharedRate && !now.connectionRate().tryAcquire(ip)) {
                refuseRate(settings, ip, s);
                return;
            }
            SmtpSession[] self = new SmtpSession[1];
            Runnable onClose = () -> {
                sockets.remove(s);
                if (self[0] != null) {
                    sessions.remove(self[0]);
                }
                active.decrementAndGet();
                release(ip);
            };
            active.incrementAndGet();
            sockets.add(s);
            handedOver = true; // onClose releases it from here on
            try {
                SmtpSession session = new SmtpSession(settings, s, decision, onClose);
                self[0] = session;
                sessions.add(session);
                executor.execute(
                        sharedRate
                                ? () -> runWithinRate(now.connectionRate(), settings, s, session, onClose)
                                : session);
            } catch (RejectedExecutionException e) {
                onClose.run();
                settings.refused(ip, "shutting-down", 421);
                refuse(s, "421 4.3.2 " + settings.hostname() + " Shutting down");
            } catch (RuntimeException | Error e) {
                onClose.run(); // no session runs: it must not count as open
                throw e;
            }
        } finally {
            if (!handedOver) {
                release(ip);
            }
        }
    }

    /**
     * Runs {@code session} if its client is within the connection rate of the shared limiter, asked on this (the
     * session's) thread; otherwise answers 421 and closes, the session never started.
     */
    private static void runWithinRate(
            PerIpLimiter rate, Settings settings, Socket s, SmtpSession session, Runnable onClose) {
        InetAddress ip = s.getInetAddress();
        boolean admitted = false;
        try {
            if (!rate.tryAcquire(ip)) {
                refuseRate(settings, ip, s);
                return;
            }
            admitted = true;
        } finally {
            if (!admitted) {
                closeQuietly(s);
                onClose.run();
            }
        }
        session.run();
    }

    private static void refuseRate(Settings settings, InetAddress ip, Socket s) {
        settings.refused(ip, "connection-rate", 421);
        refuse(s, "421 4.7.0 " + settings.hostname() + " Connection rate limit exceeded, try again later");
    }

    private void release(InetAddress ip) {
        perIp.computeIfPresent(ip, (k, v) -> v.decrementAndGet() <= 0 ? null : v);
    }

    private static void refuse(Socket s, String reply) {
        try {
            s.setSoTimeout(1000);
            OutputStream out = s.getOutputStream();
            out.write((reply + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            s.shutdownOutput();
        } catch (SocketException ignored) {
            // the client went away first
        } catch (IOException ignored) {
            // same
        } finally {
            closeQuietly(s);
        }
    }

    /** Builds an {@link SmtpServer}. Each setter validates its argument. Not thread-safe. */
    public static final class Builder {
        private InetAddress bindAddress = InetAddress.getLoopbackAddress();
        private int port = 25;
        private int backlog = 100;
        private String hostname = "localhost";
        private SmtpLimits limits = SmtpLimits.defaults();
        private TlsConfig tls;
        private boolean requireTls;
        private boolean requireTlsForRelay;
        private boolean smtputf8 = true;
        private boolean dsn = true;
        private AccessRules accessRules = AccessRules.allowAll();
        private AcceptedDomains acceptedDomains = AcceptedDomains.none();
        private MessageHandler handler;
        private Clock clock = Clock.systemDefaultZone();
        private LongSupplier freeSpace = () -> Long.MAX_VALUE;
        private long minFreeSpace;
        private RateLimiter sharedLimiter;
        private Path spoolDirectory;
        private ExecutorService executor;
        private SessionListener listener = SessionListener.NONE;
        private String postmaster;
        private Duration stopGrace = STOP_GRACE;

        private Builder() {}

        /**
         * How long {@link SmtpServer#stop()} lets open sessions finish before it cuts them: a message whose data was
         * complete is scanned, stored and answered within it, or its client is answered {@code 421 4.3.2} and keeps
         * it. Make it longer than the scanners' deadline when a scan may take that long (a busy spamd). Default
         * {@link SmtpServer#STOP_GRACE} (10 s).
         *
         * @param value positive, at most {@link SmtpServer#MAX_STOP_GRACE}
         * @return this builder
         * @throws IllegalArgumentException if not positive or longer than {@link SmtpServer#MAX_STOP_GRACE}
         */
        public Builder stopGrace(Duration value) {
            Checks.requirePositive(value, "stop grace");
            if (value.compareTo(MAX_STOP_GRACE) > 0) {
                throw new IllegalArgumentException("stop grace must be at most " + MAX_STOP_GRACE + ", was " + value);
            }
            this.stopGrace = value;
            return this;
        }

        /**
         * The mailbox that mail to the bare {@code <postmaster>} (RFC 5321 §4.5.1: accepted from anyone, without a
         * domain) is recorded for, e.g. {@code postmaster@example.com}: the message handler sees that recipient, so
         * a relay routes it like any other. Default none: the recipient is passed on as the bare {@code postmaster},
         * for a handler that delivers it itself. A reload ({@link SmtpServer#reconfigure}) may change it.
         *
         * @param address a mailbox {@code LOCAL@DOMAIN}
         * @return this builder
         * @throws IllegalArgumentException if the address is not an ASCII mailbox: a dot-atom local part (no quotes,
         *     comments or lists) and a domain name or an address literal
         */
        public Builder postmaster(String address) {
            Objects.requireNonNull(address, "address");
            if (!isMailbox(address)) {
                throw new IllegalArgumentException("postmaster must be LOCAL@DOMAIN (ASCII, a dot-atom local part,"
                        + " a domain name or an address literal), was '" + address + "'");
            }
            this.postmaster = address;
            return this;
        }

        /**
         * Whether an address is a mailbox {@link #postmaster} takes: RFC 5321's Mailbox in ASCII with a dot-atom local
         * part (no quotes, comments or lists) and a domain name or an address literal. Stateless.
         *
         * @param address the address
         * @return whether it is such a mailbox
         * @throws NullPointerException if {@code address} is {@code null}
         */
        public static boolean isMailbox(String address) {
            return MAILBOX.matcher(address).matches();
        }

        /** RFC 5321's Mailbox in ASCII with a dot-atom local part: a domain name or an address literal. */
        private static final java.util.regex.Pattern MAILBOX =
                java.util.regex.Pattern.compile("[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@"
                        + "([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
                        + "|\\[[A-Za-z0-9:.]{2,60}])");

        /**
         * Who is told about refusals and TLS sessions (for metrics). Default {@link SessionListener#NONE}.
         *
         * @param value the listener (fast, must not throw)
         * @return this builder
         */
        public Builder sessionListener(SessionListener value) {
            this.listener = Objects.requireNonNull(value, "listener");
            return this;
        }

        /**
         * The address to listen on. Default: the loopback address (127.0.0.1), so nothing is exposed by accident.
         *
         * @param address the address; {@code 0.0.0.0} or {@code ::} for all
         * @return this builder
         */
        public Builder bindAddress(InetAddress address) {
            bindAddress = Objects.requireNonNull(address, "address");
            return this;
        }

        /**
         * The port. Default 25; 0 picks a free ephemeral port, see {@link SmtpServer#port()}.
         *
         * @param port 0..65535
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0..65535, was " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * The listen backlog. Default 100.
         *
         * @param backlog {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code < 1}
         */
        public Builder backlog(int backlog) {
            Checks.requireAtLeast(backlog, 1, "backlog");
            this.backlog = backlog;
            return this;
        }

        /**
         * The name in the greeting, the EHLO reply and the Received header. Default {@code localhost}.
         *
         * @param hostname a domain name or address literal
         * @return this builder
         * @throws IllegalArgumentException if it is not a syntactically valid domain or address literal
         */
        public Builder hostname(String hostname) {
            Objects.requireNonNull(hostname, "hostname");
            if (!PathParser.isDomain(hostname, false) && !PathParser.isAddressLiteral(hostname)) {
                throw new IllegalArgumentException("hostname is not a domain or address literal: " + hostname);
            }
            this.hostname = hostname;
            return this;
        }

        /**
         * Limits and timeouts. Default {@link SmtpLimits#defaults()}.
         *
         * @param limits the limits
         * @return this builder
         */
        public Builder limits(SmtpLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /**
         * Offers STARTTLS with this configuration. Default: no TLS.
         *
         * @param tls the TLS configuration
         * @return this builder
         */
        public Builder tls(TlsConfig tls) {
            this.tls = Objects.requireNonNull(tls, "tls");
            return this;
        }

        /**
         * Whether MAIL is refused ({@code 530 5.7.0}) before STARTTLS. Default {@code false}. Needs {@link #tls}.
         *
         * @param require whether TLS is required
         * @return this builder
         */
        public Builder requireTls(boolean require) {
            this.requireTls = require;
            return this;
        }

        /**
         * Whether MAIL from a client with relay rights is refused ({@code 530 5.7.0}) before STARTTLS, so relaying
         * (outbound mail from the internal servers, say) is never in the clear while other clients may still send
         * plaintext to the accepted domains. Default {@code false}. Needs {@link #tls}.
         *
         * @param require whether relay clients must use TLS
         * @return this builder
         */
        public Builder requireTlsForRelay(boolean require) {
            this.requireTlsForRelay = require;
            return this;
        }

        /**
         * Whether SMTPUTF8 (RFC 6531) is offered. Default {@code true}.
         *
         * @param enabled whether to offer it
         * @return this builder
         */
        public Builder smtputf8(boolean enabled) {
            this.smtputf8 = enabled;
            return this;
        }

        /**
         * Whether the DSN extension (RFC 3461) is offered. Default {@code true}, as Postfix offers it. Off, EHLO does
         * not list {@code DSN} and {@code RET}, {@code ENVID}, {@code NOTIFY} and {@code ORCPT} get {@code 555 5.5.4}
         * like any unknown parameter: a site that does not want to send success notices to senders it cannot check
         * (one per recipient that asks) switches it off, as Postfix sites do with {@code smtpd_discard_ehlo_keywords}.
         *
         * @param enabled whether to offer it
         * @return this builder
         */
        public Builder dsn(boolean enabled) {
            this.dsn = enabled;
            return this;
        }

        /**
         * Client address rules. Default {@link AccessRules#allowAll()}: everyone may connect, nobody may relay.
         *
         * @param rules the rules
         * @return this builder
         */
        public Builder accessRules(AccessRules rules) {
            this.accessRules = Objects.requireNonNull(rules, "rules");
            return this;
        }

        /**
         * Domains anyone may send to. Default {@link AcceptedDomains#none()}.
         *
         * @param domains the accepted domains
         * @return this builder
         */
        public Builder acceptedDomains(AcceptedDomains domains) {
            this.acceptedDomains = Objects.requireNonNull(domains, "domains");
            return this;
        }

        /**
         * What to do with each message. Required.
         *
         * @param handler the handler
         * @return this builder
         */
        public Builder handler(MessageHandler handler) {
            this.handler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * Keeps the per-IP connection and message rates in a limiter shared by every node of a cluster (for example
         * Redis), so a client that spreads its connections over several nodes gets each limit once, not once per node.
         * If the shared limiter fails, the node's own buckets decide. Its connection-rate call is made on the new
         * session's thread before the greeting, never on the accepting thread, so a slow limiter delays only the
         * session that asks it. Default: the node's own buckets only.
         *
         * @param limiter the shared limiter (wrap it so that it fails fast while down, e.g. {@code GuardedSharedState})
         * @return this builder
         */
        public Builder sharedLimiter(RateLimiter limiter) {
            this.sharedLimiter = Objects.requireNonNull(limiter, "limiter");
            return this;
        }

        /**
         * The clock for Received dates, rate limits and ids. Default: the system clock in the default zone.
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Where messages larger than the memory threshold are spooled while received. Default: the process's own
         * directory under the JVM's temporary directory ({@code hygiene-jvm-*}, deleted at exit, or by a later process
         * when this one was killed).
         *
         * @param directory an existing, writable directory
         * @return this builder
         */
        public Builder spoolDirectory(Path directory) {
            this.spoolDirectory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /**
         * The executor sessions run on; the server does not shut it down. Default: a thread-per-task executor (virtual threads on
         * Java 21+) owned by the server.
         *
         * @param executor the executor
         * @return this builder
         */
        public Builder executor(ExecutorService executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * A free-space check at MAIL: when {@code probe} reports fewer than {@code minimum} usable bytes (plus the
         * size the client declared with {@code SIZE=}), MAIL gets {@code 452 4.3.1 Insufficient system storage}
         * (Postfix's {@code queue_minfree}), before any data is received; the reply does not count toward the
         * client's error limit. A probe that throws (a {@link RuntimeException}, such as an
         * {@link java.io.UncheckedIOException} when the process is out of file descriptors) is not taken for a full
         * disk: MAIL gets {@code 451 4.3.0 Local error: cannot check free space}, logged at WARN with the reason, also
         * not counted. Default: no check.
         *
         * @param probe usable bytes now, e.g. {@code () -> Files.getFileStore(spool).getUsableSpace()}; called once per
         *     MAIL, from session threads
         * @param minimum the least usable space to accept a transaction, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if {@code minimum} is negative
         */
        public Builder freeSpace(LongSupplier probe, long minimum) {
            Objects.requireNonNull(probe, "probe");
            Checks.requireAtLeast(minimum, 0, "minimum free space");
            this.freeSpace = probe;
            this.minFreeSpace = minimum;
            return this;
        }

        /**
         * Builds the server (not started).
         *
         * @return the server
         * @throws IllegalStateException if no handler was set, or TLS is required but not configured
         */
        public SmtpServer build() {
            if (handler == null) {
                throw new IllegalStateException("a message handler is required");
            }
            if ((requireTls || requireTlsForRelay) && tls == null) {
                throw new IllegalStateException("requireTls needs tls(...)");
            }
            return new SmtpServer(this);
        }
    }
}
