package org.mailhygiene.milter;

import static org.mailhygiene.internal.Closeables.closeQuietly;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.mailhygiene.internal.AcceptBackoff;
import org.mailhygiene.internal.Checks;
import org.mailhygiene.internal.Timers;
import org.mailhygiene.internal.VirtualThreads;
import org.mailhygiene.milter.protocol.MilterCodec;
import org.mailhygiene.scanners.ScanPipeline;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A milter server: Postfix ({@code smtpd_milters = inet:127.0.0.1:PORT}) or Sendmail connect to it, and every message
 * they receive goes through a {@link ScanPipeline} before the MTA answers the final dot of DATA.
 *
 * <p><b>Protocol.</b> Version 6 of the Sendmail milter protocol, or the MTA's lower version (2 to 5) when it offers
 * less. The server asks only for what it uses: CONNECT, HELO, MAIL and RCPT (for the envelope), header fields, body
 * and end of message; it asks the MTA not to send DATA and unknown commands, and (version 6) not to wait for replies
 * to anything before end of message, and for header values with their leading space ({@code SMFIP_HDR_LEADSPC}, so
 * the scanned bytes are the header section as received). Actions requested: add and change header fields, and
 * quarantine. One MTA connection carries any number of messages (Postfix keeps one per SMTP session); abort, quit and
 * quit-new-connection are handled.
 *
 * <p><b>The message.</b> Header fields and body chunks are streamed into a {@link org.mailhygiene.api.SpooledContent}
 * as the bytes the MTA will deliver (header fields with CRLF line ends, an empty line, the body exactly as sent),
 * in heap up to {@link Builder#memoryThreshold} and in a private temporary file beyond. Postfix does not show a milter
 * its own {@code Received:} header (Sendmail compatibility), so that header is not part of what is scanned.
 *
 * <p><b>Replies at end of message</b>, from the pipeline's disposition:
 * <ul>
 *   <li>REJECT and TEMPFAIL: {@code SMFIR_REPLYCODE} with the disposition's reply, e.g.
 *       {@code 554 5.7.1 Virus found: Eicar-Test-Signature}; the MTA gives it to its SMTP client at DATA.
 *   <li>ACCEPT and TAG: header edits (subject tag, {@code X-Spam-*} fields; see {@code HeaderEdits}), then
 *       {@code SMFIR_ACCEPT}.
 *   <li>QUARANTINE: header edits, {@code SMFIR_QUARANTINE} with the disposition's reason (Postfix puts the message in
 *       its hold queue and logs the reason), then {@code SMFIR_ACCEPT}.
 *   <li>DISCARD (only when a policy is configured to discard): {@code SMFIR_DISCARD}, with a WARN log line.
 * </ul>
 * An {@code Authentication-Results} field (the {@code auth} scanner's, which gets the client address, HELO name and
 * reverse path of these events as its SMTP context) is inserted at the top ({@code SMFIR_INSHEADER} index 0), and
 * incoming ones with our authserv-id are deleted (see {@code HeaderEdits}).
 * When the MTA did not allow an action the disposition needs (header changes, quarantine), the message is
 * tempfailed ({@code 451 4.7.0}) instead of passing unmarked or unheld; the one exception is a clean message whose
 * only change is its informational spam status ({@code X-Spam-Flag: NO}, {@code X-Spam-Score},
 * {@code X-Spam-Status}), which is accepted without it (also when its header section is too large to mark).
 *
 * <p><b>Slow scans.</b> The scan runs on the session's thread. While the pipeline works, the server's watchdog (one
 * sweep over all sessions, at most every second) sends {@code SMFIR_PROGRESS} every
 * {@link Builder#progressInterval} (default 10 s); each one restarts Postfix's {@code milter_content_timeout}
 * (default 300 s), so the MTA waits as long as the scan takes. The sweep hands each such write to a thread of its
 * own (one at a time per connection): an MTA that stopped reading holds that thread until the write timeout closes
 * its connection, never the sweep that enforces every connection's write timeout and backstop. The scan is bounded by the pipeline's own deadline
 * ({@link ScanPipeline.Builder#deadline}, default 2 min): a scanner still running then is a {@code TIMED_OUT} failure
 * and the policy decides (the default policy tempfails: {@code 451}). If the pipeline has not answered by
 * {@link Builder#scanTimeout} (a backstop, default 3 min), the message is tempfailed with
 * {@code 451 4.4.5 Scan did not finish in time}. If the milter is not reachable at all, or closes the connection,
 * Postfix applies {@code milter_default_action} (default {@code tempfail}: {@code 451 4.7.1}). An MTA that closed the
 * connection during a scan of more than a second (its own timeout) gets no reply and the message is not reported to
 * the {@link MilterListener} (so not counted in statistics); a WARN line names it.
 *
 * <p><b>Limits.</b> A packet longer than {@link Builder#maxPacketSize} (default 1 MiB), a packet length of 0, a
 * malformed payload or a command out of place closes the connection (the MTA applies its default action); nothing
 * is buffered beyond one packet. Reads are bounded by {@link Builder#readTimeout} between messages and by
 * {@link Builder#transactionTimeout} inside one (the MTA is silent while its client sends DATA), writes by
 * {@link Builder#writeTimeout}. At most {@link Builder#maxConnections} connections are served; more are closed at
 * once. When the process is out of file descriptors, a new connection is closed at once too (the server keeps one
 * spare descriptor for that), and failed accepts are retried after a pause of up to 1 s, logged once when they start,
 * once a minute and once when they end, never in a busy loop.
 *
 * <p>Sessions run on virtual threads on Java 21+, pooled platform threads on 17. Thread-safe.
 * {@link #start()} once, {@link #close()} once.
 */
public final class MilterServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MilterServer.class);

    /** What sessions need; immutable. */
    record Settings(
            ScanPipeline pipeline,
            MilterListener listener,
            long memoryThreshold,
            Path spoolDirectory,
            int maxPacketSize,
            Duration readTimeout,
            Duration transactionTimeout,
            Duration writeTimeout,
            Duration progressInterval,
            Duration scanTimeout,
            Clock clock,
            ScheduledExecutorService watchdog,
            java.util.concurrent.Executor progressWriters) {}

    private final Settings settings;
    private final InetAddress bindAddress;
    private final int requestedPort;
    private final int maxConnections;
    private final ExecutorService sessions;
    private final ExecutorService progressWriters;
    private final AtomicInteger active = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong accepted = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong acceptLoopErrors =
            new java.util.concurrent.atomic.AtomicLong();

    /**
     * Makes the accept loop's back-off (one per loop, on the accepting thread). A seam for tests, which give one whose
     * methods fail; set before {@link #start()}.
     */
    java.util.function.Supplier<AcceptBackoff> acceptBackoffs = AcceptBackoff::new;

    /** Makes a connection's session. */
    interface SessionMaker {
        MilterSession make(Settings settings, Socket connection, Runnable onClose);
    }

    /**
     * Makes the accept loop's sessions. A seam for tests, which give one that fails (as the constructor does when its
     * class cannot be loaded for want of a descriptor); set before {@link #start()}.
     */
    SessionMaker sessionMaker = MilterSession::new;

    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Set<MilterSession> live = ConcurrentHashMap.newKeySet();
    private volatile ServerSocket serverSocket;
    private volatile boolean running;
    private Thread acceptor;

    private MilterServer(Builder b) {
        this.bindAddress = b.bindAddress;
        this.requestedPort = b.port;
        this.maxConnections = b.maxConnections;
        ScheduledThreadPoolExecutor watchdog = Timers.daemonScheduler("milter-watchdog");
        // SMFIR_PROGRESS is written here, not on the watchdog: an MTA that stops reading blocks such a write until the
        // write deadline, which the watchdog must stay free to enforce. At most one per connection at a time.
        this.progressWriters = VirtualThreads.newPerTaskExecutor("milter-progress", b.maxConnections + 1);
        this.settings = new Settings(
                b.pipeline,
                b.listener,
                b.memoryThreshold,
                b.spoolDirectory,
                b.maxPacketSize,
                b.readTimeout,
                b.transactionTimeout,
                b.writeTimeout,
                b.progressInterval,
                b.scanTimeout,
                b.clock,
                watchdog,
                progressWriters);
        this.sessions = VirtualThreads.newPerTaskExecutor("milter-session", b.maxConnections + 1);
        // One periodic sweep drives write deadlines, progress replies and scan backstops of every session, so nothing
        // is
        // scheduled per message or per write.
        long sweep = Math.min(
                Math.min(1_000_000_000L, b.writeTimeout.toNanos() / 4),
                Math.min(b.progressInterval.toNanos() / 2, b.scanTimeout.toNanos() / 10));
        sweep = Math.max(5_000_000L, sweep);
        watchdog.scheduleWithFixedDelay(
                () -> {
                    long now = System.nanoTime();
                    for (MilterSession s : live) {
                        try {
                            s.tick(now);
                        } catch (RuntimeException e) {
                            LOG.warn("milter watchdog failed on a session", e);
                        }
                    }
                },
                sweep,
                sweep,
                TimeUnit.NANOSECONDS);
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
     *     port, e.g. {@code cannot listen on 127.0.0.1:8891: Address already in use})
     * @throws IllegalStateException if already started
     */
    public synchronized void start() throws IOException {
        if (serverSocket != null) {
            throw new IllegalStateException("already started");
        }
        ServerSocket ss = org.mailhygiene.internal.HostPorts.listen(bindAddress, requestedPort, 128);
        serverSocket = ss;
        running = true;
        acceptor = new Thread(this::acceptLoop, "milter-accept-" + ss.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
        LOG.info(
                "milter listening on inet:{}",
                org.mailhygiene.internal.HostPorts.of(new InetSocketAddress(bindAddress, ss.getLocalPort())));
    }

    /**
     * The bound address and port (useful with port 0).
     *
     * @return the socket address
     * @throws IllegalStateException if not started
     */
    public InetSocketAddress address() {
        ServerSocket ss = serverSocket;
        if (ss == null) {
            throw new IllegalStateException("not started");
        }
        return new InetSocketAddress(bindAddress, ss.getLocalPort());
    }

    /**
     * The Postfix/Sendmail socket specification of this server, {@code inet:HOST:PORT}, an IPv6 address in brackets.
     *
     * @return e.g. {@code inet:127.0.0.1:8891}, {@code inet:[::1]:8891}
     * @throws IllegalStateException if not started
     */
    public String socketSpec() {
        InetSocketAddress a = address();
        // an IPv6 address in brackets, inet:[::1]:8891: Postfix reads it (and the form without them, splitting at the
        // last colon), and it is the form --listen and the listen key take back (they refuse ::1:8891 as ambiguous)
        return "inet:" + org.mailhygiene.internal.HostPorts.of(a);
    }

    /**
     * The number of MTA connections accepted since start (Postfix opens one per SMTP session with milters).
     *
     * @return connections accepted
     */
    public long connectionsAccepted() {
        return accepted.get();
    }

    /**
     * The number of MTA connections the accept loop closed because admitting them failed unexpectedly (a
     * {@link RuntimeException} or {@link LinkageError}, such as a class that could not be loaded for want of a file
     * descriptor), since start. Each is logged at WARN; the MTA applies its {@code milter_default_action} to it, and
     * the loop goes on accepting.
     *
     * @return connections closed so; 0 normally
     */
    public long acceptLoopErrors() {
        return acceptLoopErrors.get();
    }

    /**
     * Whether the server is accepting connections: started and not closed.
     *
     * @return {@code true} between {@link #start()} and {@link #close()}
     */
    public boolean running() {
        ServerSocket ss = serverSocket;
        return running && ss != null && !ss.isClosed();
    }

    /**
     * The most MTA connections served at once ({@link Builder#maxConnections}); with that many open, a new one is
     * closed at once and the MTA applies its {@code milter_default_action}.
     *
     * @return the limit, at least 1
     */
    public int maxConnections() {
        return maxConnections;
    }

    /**
     * The number of MTA connections now open.
     *
     * @return open connections
     */
    public int activeConnections() {
        return active.get();
    }

    /**
     * Stops accepting, closes every open connection (a message being scanned gets no reply; the MTA applies its
     * {@code milter_default_action}) and waits up to 5 seconds for sessions to end. Idempotent. The pipeline is the
     * caller's and stays open.
     */
    @Override
    public void close() {
        running = false;
        ServerSocket ss = serverSocket;
        closeQuietly(ss);
        for (Socket s : sockets) {
            closeQuietly(s);
        }
        if (acceptor != null) {
            try {
                acceptor.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        sessions.shutdownNow();
        settings.watchdog().shutdownNow();
        progressWriters.shutdownNow();
        try {
            sessions.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Accepts until the server stops. A failed accept never spins: out of file descriptors, the one connection the
     * spare descriptor lets in is closed at once (the MTA applies its {@code milter_default_action} now rather than
     * after its connect timeout), and so is a connection accepted while the spare cannot be opened again (its
     * descriptor becomes the spare; one the spare let in after the shortage ended is admitted); any other failure (or
     * no spare) pauses the loop, 5 ms doubling up to 1 s, and a run of failures is logged at WARN when it starts and
     * once a minute, and at INFO when it ends (see {@link AcceptBackoff}).
     */
    private void acceptLoop() {
        AcceptBackoff.warmUp();
        try (AcceptBackoff backoff = acceptBackoffs.get()) {
            acceptLoop(backoff);
        }
    }

    private void acceptLoop(AcceptBackoff backoff) {
        ServerSocket ss = serverSocket;
        // made before they are needed: out of descriptors, making them might fail (see AcceptBackoff.warmUp)
        BooleanSupplier stillRunning = () -> running;
        Consumer<String> warn = line -> LOG.warn("milter: {}", line);
        AcceptBackoff.Refusal refusal = s -> {}; // closed at once: the MTA applies its default action
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
                    LOG.warn("milter: accept failure not handled: {}", unexpected.toString());
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
                    LOG.info("milter: {}", recovered);
                }
                if (active.get() >= maxConnections) {
                    LOG.warn(
                            "milter: {} connections open, closing one from {}",
                            maxConnections,
                            org.mailhygiene.internal.HostPorts.peer(s));
                    closeQuietly(s);
                    continue;
                }
                active.incrementAndGet();
                accepted.incrementAndGet();
                sockets.add(s);
                MilterSession[] session = new MilterSession[1];
                Socket connection = s;
                Runnable onClose = () -> {
                    sockets.remove(connection);
                    if (session[0] != null) { // none when making it failed (a concurrent set refuses null)
                        live.remove(session[0]);
                    }
                    active.decrementAndGet();
                };
                try {
                    session[0] = sessionMaker.make(settings, s, onClose);
                    live.add(session[0]);
                    sessions.execute(session[0]);
                } catch (RejectedExecutionException e) {
                    onClose.run();
                    closeQuietly(s);
                } catch (RuntimeException | LinkageError e) {
                    onClose.run(); // no session runs: it must not count as open
                    throw e;
                }
            } catch (RuntimeException | LinkageError unexpected) {
                // a class that could not be loaded for want of a descriptor: this connection is lost (the MTA applies
                // its milter_default_action), never the accept thread (it ended, and the port accepted connections
                // nobody answered)
                acceptLoopErrors.incrementAndGet();
                LOG.warn(
                        "milter: connection from {} closed: {}",
                        org.mailhygiene.internal.HostPorts.peer(s),
                        unexpected.toString());
                closeQuietly(s);
            }
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

    /** Builds a {@link MilterServer}. Each setter validates its argument. Not thread-safe. */
    public static final class Builder {
        /**
         * The default {@link #transactionTimeout}: 7210 s, libmilter's default read timeout, longer than Sendmail's
         * one-hour {@code Timeout.datablock}.
         */
        public static final Duration DEFAULT_TRANSACTION_TIMEOUT = Duration.ofSeconds(7210);

        private InetAddress bindAddress = InetAddress.getLoopbackAddress();
        private int port;
        private ScanPipeline pipeline;
        private MilterListener listener = MilterListener.NONE;
        private long memoryThreshold = 256 * 1024L;
        private Path spoolDirectory;
        private int maxPacketSize = MilterCodec.DEFAULT_MAX_PACKET;
        private int maxConnections = 200;
        private Duration readTimeout = Duration.ofMinutes(10);
        private Duration transactionTimeout = DEFAULT_TRANSACTION_TIMEOUT;
        private Duration writeTimeout = Duration.ofSeconds(60);
        private Duration progressInterval = Duration.ofSeconds(10);
        private Duration scanTimeout = Duration.ofMinutes(3);
        private Clock clock = Clock.systemUTC();

        private Builder() {}

        /**
         * The address to listen on. Default: the loopback address, so nothing is exposed by accident.
         *
         * @param address the address
         * @return this builder
         */
        public Builder bindAddress(InetAddress address) {
            this.bindAddress = Objects.requireNonNull(address, "address");
            return this;
        }

        /**
         * The port. Default 0: a free ephemeral port, see {@link MilterServer#address()}.
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
         * The scanners and policy every message goes through. Required. Its deadline bounds each scan.
         *
         * @param pipeline the pipeline (the caller closes it)
         * @return this builder
         */
        public Builder pipeline(ScanPipeline pipeline) {
            this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
            return this;
        }

        /**
         * Who is told about each answered message. Default {@link MilterListener#NONE}.
         *
         * @param listener the listener (fast, must not throw)
         * @return this builder
         */
        public Builder listener(MilterListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * How many octets of a message stay in heap; the rest goes to a private temporary file. Default 256 KiB.
         *
         * @param octets {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder memoryThreshold(long octets) {
            Checks.requireAtLeast(octets, 0, "memoryThreshold");
            this.memoryThreshold = octets;
            return this;
        }

        /**
         * Where messages over the memory threshold are written while scanned. Default: the process's own directory
         * under the JVM's temporary directory ({@code hygiene-jvm-*}, deleted at exit, or by a later process when
         * this one was killed).
         *
         * @param directory an existing, writable directory
         * @return this builder
         */
        public Builder spoolDirectory(Path directory) {
            this.spoolDirectory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /**
         * The largest packet accepted (length field: code plus payload). Default 1 MiB. A longer one closes the
         * connection before anything of it is buffered.
         *
         * @param octets at least 65536 (a full body chunk plus its code)
         * @return this builder
         * @throws IllegalArgumentException if smaller
         */
        public Builder maxPacketSize(int octets) {
            Checks.requireAtLeast(octets, 65536, "maxPacketSize");
            this.maxPacketSize = octets;
            return this;
        }

        /**
         * How many MTA connections are served at once. Default 200 (Postfix opens one per SMTP session).
         *
         * @param n {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code < 1}
         */
        public Builder maxConnections(int n) {
            Checks.requireAtLeast(n, 1, "maxConnections");
            this.maxConnections = n;
            return this;
        }

        /**
         * How long to wait for the next packet between messages (before {@code SMFIC_MAIL}, and after a message was
         * answered or aborted); inside a message {@link #transactionTimeout} applies. Default 10 minutes (Postfix
         * keeps the connection for the SMTP session, which may idle up to its {@code smtpd_timeout} between
         * commands). A connection idle longer is closed ({@code idle_timeout}).
         *
         * @param timeout positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder readTimeout(Duration timeout) {
            this.readTimeout = Checks.requirePositive(timeout, "readTimeout");
            return this;
        }

        /**
         * How long to wait for the next packet inside a message, from {@code SMFIC_MAIL} until the message is answered
         * or aborted. Default {@link #DEFAULT_TRANSACTION_TIMEOUT} (7210 s, libmilter's default). The MTA sends the
         * header and body only after its client has sent the whole message (Postfix and Sendmail alike), and nothing
         * while the client sends DATA, which has no time limit of its own in Postfix ({@code smtpd_timeout} bounds
         * each read); with the {@link #readTimeout} there, a client slower than it (10 MB at 16 KB/s) was cut off
         * and its message answered {@code 451 4.7.1} at the final dot, at every retry.
         *
         * @param timeout positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder transactionTimeout(Duration timeout) {
            this.transactionTimeout = Checks.requirePositive(timeout, "transactionTimeout");
            return this;
        }

        /**
         * How long one write may block on an MTA that does not read. Default 60 s.
         *
         * @param timeout positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder writeTimeout(Duration timeout) {
            this.writeTimeout = Checks.requirePositive(timeout, "writeTimeout");
            return this;
        }

        /**
         * How often {@code SMFIR_PROGRESS} is sent while a scan runs. Default 10 s; keep it well below Postfix's
         * {@code milter_content_timeout} (300 s) and Sendmail's {@code T=E:} timeout (5 min).
         *
         * @param interval positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder progressInterval(Duration interval) {
            this.progressInterval = Checks.requirePositive(interval, "progressInterval");
            return this;
        }

        /**
         * The backstop for one scan: if the pipeline has not answered by then (its own deadline normally answers
         * first, through the policy), the message is tempfailed with {@code 451 4.4.5}. Default 3 minutes (the
         * pipeline's default deadline is 2).
         *
         * @param timeout positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder scanTimeout(Duration timeout) {
            this.scanTimeout = Checks.requirePositive(timeout, "scanTimeout");
            return this;
        }

        /**
         * The clock for envelope times. Default: the system clock (UTC).
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Builds the server (not started).
         *
         * @return the server
         * @throws IllegalStateException if no pipeline was set
         */
        public MilterServer build() {
            if (pipeline == null) {
                throw new IllegalStateException("a scan pipeline is required");
            }
            return new MilterServer(this);
        }
    }
}
