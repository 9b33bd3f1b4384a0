package org.mailhygiene.milter;

import static org.mailhygiene.internal.Closeables.closeQuietly;
import static org.mailhygiene.milter.protocol.MilterProtocol.*;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.SpooledContent;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.Disposition;
import org.mailhygiene.api.policy.SmtpReply;
import org.mailhygiene.internal.BulkInputStream;
import org.mailhygiene.internal.LogText;
import org.mailhygiene.milter.protocol.MilterCodec;
import org.mailhygiene.milter.protocol.MilterPacket;
import org.mailhygiene.milter.protocol.MilterProtocolException;
import org.mailhygiene.milter.protocol.OptionNegotiation;
import org.mailhygiene.scanners.ScanReport;
import org.mailhygiene.scanners.tagging.MessageTagger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One MTA connection: option negotiation, then any number of SMTP connections' worth of events (Postfix: one) and
 * messages. Package-private; runs on its own thread; see {@link MilterServer} for the behaviour.
 */
final class MilterSession implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(MilterServer.class);

    /** What this server asks to skip (when the MTA offers it). */
    static final int WANTED_SKIPS = SMFIP_NOUNKNOWN | SMFIP_NODATA;

    /** Steps whose replies this server does not need to send (version 6). */
    static final int WANTED_NO_REPLIES = SMFIP_NR_CONN
            | SMFIP_NR_HELO
            | SMFIP_NR_MAIL
            | SMFIP_NR_RCPT
            | SMFIP_NR_DATA
            | SMFIP_NR_UNKN
            | SMFIP_NR_HDR
            | SMFIP_NR_EOH
            | SMFIP_NR_BODY;

    /** The actions this server may need. */
    static final int WANTED_ACTIONS = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE;

    private static final SmtpReply BACKSTOP =
            new SmtpReply(451, "4.4.5", "Scan did not finish in time, try again later");
    private static final SmtpReply INTERRUPTED = new SmtpReply(451, "4.3.0", "Scan interrupted, try again later");
    private static final SmtpReply PIPELINE_FAILED =
            new SmtpReply(451, "4.3.0", "Message could not be scanned, try again later");

    /**
     * A scan at least this long (1 s) is followed by a look whether the MTA is still waiting for its reply; a shorter
     * one is answered without looking (the look may wait a millisecond).
     */
    static final long LATE_CHECK_AFTER_NANOS = 1_000_000_000L;

    /** The most recipients of one message recorded (for the verdict's log line and the scanners' context). */
    static final int MAX_RECIPIENTS = 100_000;

    /** The most characters of recipients of one message recorded: 1 MiB (an address is a few dozen). */
    static final long MAX_RECIPIENT_CHARS = 1L << 20;

    /** The most macros kept for a connection: 1,000 (Postfix sends a few dozen). */
    static final int MAX_MACROS = 1000;

    /** The most characters of macro names and values kept for a connection: 64 KiB. */
    static final long MAX_MACRO_CHARS = 64L * 1024;

    private final MilterServer.Settings cfg;
    private final Socket socket;
    /** The peer as the log writes it ({@code 127.0.0.1:40112}, {@code [::1]:40112}), not {@code /127.0.0.1:40112}. */
    private final String peer;

    private final Runnable onClose;
    /** When the write in progress started ({@code System.nanoTime() | 1}), 0 when none is. */
    private volatile long writingSince;
    /** The scan in progress, if any. */
    private volatile ScanWatch watch;

    private InputStream in;
    private OutputStream out;

    private int version;
    private int protocol;
    private int actions;
    private boolean leadingSpace;

    private Optional<InetAddress> client = Optional.empty();
    private Optional<String> helo = Optional.empty();
    private String sender;
    /** Whether a MAIL has come since the last message ended or was aborted (message packets need one). */
    private boolean inTransaction;
    /** Whether the socket's read timeout is now the transaction's rather than the idle one. */
    private boolean transactionWait;

    private final List<String> recipients = new ArrayList<>();
    /** Characters of {@link #recipients}, bounded by {@link #MAX_RECIPIENT_CHARS}. */
    private long recipientChars;

    private Instant receivedAt;
    private final MacroTable macros = new MacroTable(MAX_MACROS, MAX_MACRO_CHARS);

    MilterSession(MilterServer.Settings cfg, Socket socket, Runnable onClose) {
        this.cfg = cfg;
        this.socket = socket;
        this.peer = org.mailhygiene.internal.HostPorts.peer(socket);
        this.onClose = onClose;
    }

    @Override
    public void run() {
        MilterListener.Close closed = MilterListener.Close.NORMAL;
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(millis(cfg.readTimeout()));
            in = new BufferedInputStream(QuickAcks.input(socket), 64 * 1024);
            out = new BufferedOutputStream(new GuardedOutput(socket.getOutputStream()), 8 * 1024);
            MilterPacket first = next();
            if (first == null) {
                return;
            }
            negotiate(first);
            loop();
        } catch (Ended e) {
            LOG.debug("milter connection from {} ended", peer);
        } catch (MilterProtocolException e) {
            closed = MilterListener.Close.PROTOCOL_ERROR;
            LOG.warn("milter connection from {} closed: {}", peer, e.getMessage());
        } catch (SocketTimeoutException e) {
            closed = MilterListener.Close.IDLE_TIMEOUT;
            LOG.info("milter connection from {} idle too long, closed", peer);
        } catch (IOException e) {
            closed = MilterListener.Close.IO_ERROR;
            LOG.debug("milter connection from {} failed: {}", peer, e.toString());
        } catch (RuntimeException e) {
            closed = MilterListener.Close.INTERNAL_ERROR;
            LOG.warn("milter session failed", e);
        } finally {
            closeQuietly(socket);
            onClose.run();
            try {
                cfg.listener().connectionClosed(closed);
            } catch (RuntimeException e) {
                LOG.warn("milter listener failed", e);
            }
        }
    }

    private MilterPacket next() throws IOException {
        // Inside a message the MTA is silent while its client sends DATA, for as long as that takes: the idle timeout
        // cut a slow client off (Postfix then answered 451 4.7.1 at the final dot, at every retry).
        boolean longWait = inTransaction;
        if (longWait != transactionWait) {
            socket.setSoTimeout(millis(longWait ? cfg.transactionTimeout() : cfg.readTimeout()));
            transactionWait = longWait;
        }
        return MilterCodec.read(in, cfg.maxPacketSize());
    }

    private static int millis(java.time.Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, d.toMillis());
    }

    private MilterPacket expect() throws IOException {
        MilterPacket p = next();
        if (p == null) {
            throw new Ended();
        }
        return p;
    }

    private void negotiate(MilterPacket first) throws IOException {
        OptionNegotiation mta = OptionNegotiation.decode(first);
        if (mta.version() < MIN_VERSION) {
            throw new MilterProtocolException(
                    "MTA offers milter protocol version " + mta.version() + "; at least " + MIN_VERSION + " is needed");
        }
        version = Math.min(mta.version(), VERSION);
        int offered = mta.protocol() & protocolMask(version);
        protocol = offered & (WANTED_SKIPS | WANTED_NO_REPLIES | SMFIP_HDR_LEADSPC);
        actions = mta.actions() & WANTED_ACTIONS;
        leadingSpace = (protocol & SMFIP_HDR_LEADSPC) != 0;
        if (actions != WANTED_ACTIONS) {
            LOG.warn(
                    "MTA at {} allows milter actions 0x{} only: messages that need header changes or quarantine"
                            + " will be tempfailed",
                    peer,
                    Integer.toHexString(mta.actions()));
        }
        send(new OptionNegotiation(version, actions, protocol).toPacket());
        out.flush();
        LOG.debug(
                "milter negotiated version {} actions 0x{} protocol 0x{}",
                version,
                Integer.toHexString(actions),
                Integer.toHexString(protocol));
    }

    private void loop() throws IOException {
        while (true) {
            MilterPacket p = next();
            if (p == null) {
                return;
            }
            switch (p.code()) {
                case SMFIC_MACRO -> macro(p);
                case SMFIC_CONNECT -> {
                    // the connection's macros came just before: kept
                    resetTransaction();
                    macros.startConnection();
                    client = Optional.empty();
                    helo = Optional.empty();
                    MilterPacket.ConnectInfo info = p.connectInfo();
                    client = info.ip();
                    continueUnlessNoReply(p.code());
                }
                case SMFIC_HELO -> {
                    List<String> s = p.strings();
                    helo = s.isEmpty() || s.get(0).isEmpty() ? Optional.empty() : Optional.of(utf8(clean(s.get(0))));
                    continueUnlessNoReply(p.code());
                }
                case SMFIC_MAIL -> {
                    List<String> s = p.strings();
                    if (s.isEmpty()) {
                        throw new MilterProtocolException("SMFIC_MAIL without a sender");
                    }
                    resetEnvelope();
                    // the transaction's macros (Sendmail's queue id among them) came just before: kept
                    macros.startTransaction();
                    sender = path(s.get(0));
                    inTransaction = true;
                    receivedAt = cfg.clock().instant();
                    continueUnlessNoReply(p.code());
                }
                case SMFIC_RCPT -> {
                    List<String> s = p.strings();
                    if (s.isEmpty()) {
                        throw new MilterProtocolException("SMFIC_RCPT without a recipient");
                    }
                    String r = path(s.get(0));
                    // a count and a size bound: one packet may hold a megabyte, so a count alone let one
                    // connection hold 100,000 of them
                    if (!r.isBlank()
                            && recipients.size() < MAX_RECIPIENTS
                            && recipientChars + r.length() <= MAX_RECIPIENT_CHARS) {
                        recipients.add(r);
                        recipientChars += r.length();
                    }
                    continueUnlessNoReply(p.code());
                }
                case SMFIC_DATA, SMFIC_UNKNOWN -> continueUnlessNoReply(p.code());
                case SMFIC_HEADER, SMFIC_EOH, SMFIC_BODY, SMFIC_BODYEOB -> {
                    if (!inTransaction) {
                        outOfTransaction(p);
                    }
                    message(p);
                }
                case SMFIC_ABORT -> resetTransaction();
                case SMFIC_QUIT -> {
                    return;
                }
                case SMFIC_QUIT_NC -> resetConnection();
                default -> throw new MilterProtocolException("unexpected " + name(p.code()));
            }
        }
    }

    private void macro(MilterPacket p) throws MilterProtocolException {
        MilterPacket.Macros m = p.macros();
        // bounded entry by entry (one packet may carry 160,000 macros): a whole packet kept tens of megabytes for the
        // life of the connection
        macros.put(m.command(), m.values());
    }

    private void continueUnlessNoReply(byte command) throws IOException {
        int flag = noReplyFlag(command);
        if (flag != 0 && (protocol & flag) != 0) {
            return;
        }
        send(MilterPacket.of(SMFIR_CONTINUE));
        out.flush();
    }

    private void resetConnection() {
        resetTransaction();
        client = Optional.empty();
        helo = Optional.empty();
        macros.clear();
    }

    /** Ends a transaction: its envelope and the macros sent for MAIL and after. */
    private void resetTransaction() {
        resetEnvelope();
        macros.endTransaction();
    }

    private void resetEnvelope() {
        inTransaction = false;
        sender = null;
        recipients.clear();
        recipientChars = 0;
        receivedAt = null;
    }

    /**
     * A message packet with no MAIL since the last message ended or was aborted (a second end of message, say).
     * Until session 41 it started a message: an empty one was scanned and answered {@code SMFIR_ACCEPT}, a clean
     * verdict on a message the milter never saw. libmilter ignores such a command without a reply (the MTA waits for
     * its timeout, then applies its default action, which may be {@code accept}); Postfix never sends one. Answered
     * {@code SMFIR_TEMPFAIL} at once, so the MTA tempfails whatever it meant whatever its default action, and the
     * connection is closed as a protocol error (the MTA's view of the transaction and ours disagree).
     */
    private void outOfTransaction(MilterPacket p) throws IOException {
        if (p.code() == SMFIC_HEADER) {
            p.exactly(2); // a malformed packet is closed without a reply, as everywhere
        }
        send(MilterPacket.of(SMFIR_TEMPFAIL));
        out.flush();
        throw new MilterProtocolException(name(p.code())
                + " without a MAIL since the last message ended or was aborted: answered SMFIR_TEMPFAIL, nothing"
                + " scanned");
    }

    /** One message, from its first header (or body, or end) packet to the reply at end of message. */
    private void message(MilterPacket first) throws IOException {
        HeaderEdits headers = new HeaderEdits();
        MessageStream stream = new MessageStream(first, headers);
        SpooledContent content;
        org.mailhygiene.internal.ReadFailureInputStream in =
                new org.mailhygiene.internal.ReadFailureInputStream(stream);
        try {
            content = SpooledContent.spool(in, cfg.memoryThreshold(), cfg.spoolDirectory());
        } catch (Aborted a) {
            if (a.newConnection) {
                resetConnection();
            } else {
                resetTransaction();
            }
            return;
        } catch (IOException e) {
            if (in.failure() == null) {
                // not the MTA's connection but the copy of a large message (a full disk, a temporary directory a
                // cleaner removed): the connection is closed and the MTA tempfails the message (its
                // milter_default_action), which was logged nowhere but at DEBUG
                LOG.warn(
                        "milter connection from {}: message from <{}> not scanned, the copy of it past {} bytes could"
                                + " not be written to {}: {} (the connection is closed: the MTA tempfails it)",
                        peer,
                        LogText.printable(sender),
                        cfg.memoryThreshold(),
                        cfg.spoolDirectory() == null ? "the temporary directory" : cfg.spoolDirectory(),
                        e.toString());
            }
            throw e;
        }
        try (content) {
            endOfMessage(content, headers);
        } finally {
            resetTransaction();
        }
    }

    private void endOfMessage(SpooledContent content, HeaderEdits headers) throws IOException {
        Envelope envelope = envelope();
        Optional<String> queueId = macros.get("i").filter(s -> !s.isEmpty());
        int[] progress = new int[1];
        SmtpReply[] unscanned = new SmtpReply[1];
        long scanStarted = System.nanoTime();
        ScanReport report = scan(new Message(envelope, content), progress, unscanned);
        if (System.nanoTime() - scanStarted >= LATE_CHECK_AFTER_NANOS && mtaGone()) {
            // The MTA stopped waiting for this reply (Postfix's milter_content_timeout: it closes the connection and
            // applies its milter_default_action, tempfail by default). The verdict reaches no one: until session 49
            // it was counted in the statistics all the same (and again when the message came back).
            LOG.warn(
                    "milter connection from {}: the MTA closed the connection during the {} ms scan of message {} from"
                            + " <{}> (its own timeout): no reply sent, the verdict ({}) not counted",
                    peer,
                    (System.nanoTime() - scanStarted) / 1_000_000,
                    queueId.orElse("-"),
                    LogText.printable(envelope.sender()),
                    report == null ? "not scanned" : report.disposition().action());
            throw new Ended();
        }
        Action action;
        SmtpReply reply;
        int edits = 0;
        if (report == null) {
            action = Action.TEMPFAIL;
            reply = unscanned[0] != null ? unscanned[0] : PIPELINE_FAILED;
            replyCode(reply);
        } else {
            Disposition d = report.disposition();
            action = d.action();
            reply = d.reply();
            switch (action) {
                case REJECT, TEMPFAIL -> replyCode(reply);
                case DISCARD -> {
                    LOG.warn(
                            "message {} from <{}> to {} discarded by policy: {}",
                            queueId.orElse("-"),
                            LogText.printable(envelope.sender()),
                            LogText.printable(envelope.recipients().toString()),
                            d.reason());
                    send(MilterPacket.of(SMFIR_DISCARD));
                }
                case ACCEPT, TAG, QUARANTINE -> {
                    SmtpReply refusal = null;
                    List<MilterPacket> plan = List.of();
                    if (HeaderEdits.needed(d)) {
                        if (headers.overflowed()) {
                            refusal = new SmtpReply(451, "4.7.0", "Header section too large to mark, try again later");
                        } else {
                            plan = headers.plan(d, leadingSpace, version >= 4);
                            if (!allowed(plan)) {
                                refusal = new SmtpReply(
                                        451, "4.7.0", "The MTA does not let the milter mark this message");
                            }
                        }
                    }
                    if (refusal != null && MessageTagger.onlyCleanStatus(d)) {
                        // a clean message's status is information, not a mark it must carry
                        LOG.debug(
                                "message {}: {}: delivered without its spam status",
                                queueId.orElse("-"),
                                refusal.text());
                        refusal = null;
                        plan = List.of();
                    }
                    if (action == Action.QUARANTINE && (actions & SMFIF_QUARANTINE) == 0) {
                        refusal =
                                new SmtpReply(451, "4.7.0", "The MTA does not let the milter quarantine this message");
                    }
                    if (refusal != null) {
                        LOG.warn("message {}: {} ({}): tempfailed", queueId.orElse("-"), refusal.text(), d.reason());
                        action = Action.TEMPFAIL;
                        reply = refusal;
                        replyCode(reply);
                    } else {
                        for (MilterPacket e : plan) {
                            send(e);
                        }
                        edits = plan.size();
                        if (d.action() == Action.QUARANTINE) {
                            send(MilterPacket.ofStrings(SMFIR_QUARANTINE, quarantineReason(d.reason())));
                        }
                        send(MilterPacket.of(SMFIR_ACCEPT));
                    }
                }
                default -> throw new IllegalStateException("unknown action " + action);
            }
        }
        // The listener runs before the reply leaves the buffer, so that whoever sees the reply also sees the
        // statistics it caused; it must be fast.
        try {
            cfg.listener()
                    .handled(
                            envelope,
                            content,
                            report,
                            new MilterOutcome(action, reply.toString(), queueId, progress[0], edits));
        } catch (RuntimeException e) {
            LOG.warn("milter listener failed", e);
        }
        out.flush();
    }

    /**
     * Whether the MTA has closed its side of the connection (or reset it): a look at the socket that waits at most a
     * millisecond and consumes nothing (a byte that came is pushed back). Only used after a long scan.
     */
    private boolean mtaGone() throws IOException {
        try {
            socket.setSoTimeout(1);
            in.mark(1);
            if (in.read() < 0) {
                return true;
            }
            in.reset();
            return false;
        } catch (SocketTimeoutException e) {
            return false; // still connected and waiting: the usual case
        } catch (IOException e) {
            LOG.debug("milter connection from {}: looking for the MTA failed: {}", peer, e.toString());
            return true;
        } finally {
            if (!socket.isClosed()) {
                socket.setSoTimeout(millis(transactionWait ? cfg.transactionTimeout() : cfg.readTimeout()));
            }
        }
    }

    private boolean allowed(List<MilterPacket> plan) {
        for (MilterPacket p : plan) {
            int need = p.code() == SMFIR_ADDHEADER || p.code() == SMFIR_INSHEADER ? SMFIF_ADDHDRS : SMFIF_CHGHDRS;
            if ((actions & need) == 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Runs the scan on this thread while the watchdog sends progress every interval and, at the backstop, interrupts
     * the scan; {@code null} at the backstop, when interrupted (the server stopping) or when the pipeline threw, with
     * the tempfail reply for that case in {@code unscanned[0]}. (The scan used to run on a thread of its own with
     * this thread waiting for it: one more hand-off per message for nothing.)
     */
    private ScanReport scan(Message message, int[] progress, SmtpReply[] unscanned) throws IOException {
        ScanWatch w = new ScanWatch(Thread.currentThread(), System.nanoTime());
        watch = w;
        ScanReport report = null;
        try {
            report = cfg.pipeline().scan(message);
        } catch (InterruptedException e) {
            // The backstop or the server stopping; the flag, set again, tells the backstop's interrupt (cleared
            // below) from the server's (kept). Until session 35 it stayed cleared here, so a scan cut short by a
            // SIGTERM was answered and logged as the backstop's "Scan did not finish in time".
            Thread.currentThread().interrupt();
            unscanned[0] = INTERRUPTED;
        } catch (RuntimeException e) {
            LOG.warn("scan pipeline failed", e);
            unscanned[0] = PIPELINE_FAILED;
        } finally {
            watch = null;
            if (!w.finish()) {
                // The backstop interrupted this thread: clear its interrupt, keep a server's.
                Thread.interrupted();
                if (!w.stopping) {
                    LOG.warn(
                            "scan still running after the backstop of {}: tempfailed",
                            org.mailhygiene.internal.Durations.format(cfg.scanTimeout()));
                    report = null;
                    unscanned[0] = BACKSTOP;
                } else {
                    Thread.currentThread().interrupt();
                }
            }
            progress[0] = w.progressSent();
        }
        if (w.failed != null) {
            throw w.failed;
        }
        return report;
    }

    /**
     * Called by the server's watchdog every few hundred milliseconds (see {@code MilterServer}): closes the connection
     * when a write has been blocked longer than the write timeout, sends {@code SMFIR_PROGRESS} when a scan has run
     * another progress interval, and interrupts a scan at the backstop. Nothing is scheduled per message.
     */
    void tick(long now) {
        checkWriteDeadline(now);
        ScanWatch w = watch;
        if (w != null) {
            w.tick(now);
        }
    }

    /**
     * One scan's progress and backstop, driven by {@link #tick}. {@code SMFIR_PROGRESS} is written on a thread of the
     * server's progress writers, never on the watchdog's: an MTA that stopped reading (its socket buffers full of
     * earlier replies) blocks that write, and the one watchdog thread blocked in it served no session's progress,
     * backstop or write deadline any more, and held this watch's lock, so the session thread hung in
     * {@link #finish()} after its scan too (found by fuzzing from outside, session 40). Now the watchdog only hands the
     * write off (one at a time per scan) and goes on; a blocked one is ended by the write deadline like any other
     * write. A connection that fails on it is remembered and ends the session after the scan.
     */
    private final class ScanWatch {
        private final Thread scanning;
        private final long startedAt;
        private final java.util.concurrent.atomic.AtomicInteger state = new java.util.concurrent.atomic.AtomicInteger();
        private final Object writeLock = new Object();
        private long lastProgress;
        private int sent; // guarded by writeLock
        private volatile boolean writing;
        private volatile boolean stopping;
        private volatile IOException failed;

        ScanWatch(Thread scanning, long startedAt) {
            this.scanning = scanning;
            this.startedAt = startedAt;
            this.lastProgress = startedAt;
        }

        synchronized void tick(long now) {
            if (state.get() != 0) {
                return;
            }
            if (now - startedAt >= cfg.scanTimeout().toNanos()) {
                if (state.compareAndSet(0, 2)) {
                    stopping = scanning.isInterrupted();
                    scanning.interrupt();
                }
                return;
            }
            if (failed == null
                    && !writing
                    && now - lastProgress >= cfg.progressInterval().toNanos()) {
                lastProgress = now;
                writing = true;
                try {
                    cfg.progressWriters().execute(this::writeProgress);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    writing = false; // the server is stopping
                }
            }
        }

        /** On a progress writer: one {@code SMFIR_PROGRESS}, unless the scan finished meanwhile. */
        private void writeProgress() {
            synchronized (writeLock) {
                try {
                    if (state.get() == 0) {
                        writeNow(MilterPacket.of(SMFIR_PROGRESS));
                        sent++;
                    }
                } catch (IOException e) {
                    failed = e;
                } finally {
                    writing = false;
                }
            }
        }

        /**
         * Whether the scan finished before the backstop; after this returns, no progress packet is being written (it
         * waits for one under way, which the write deadline bounds) and no interrupt is coming.
         */
        boolean finish() {
            boolean done;
            synchronized (this) {
                done = state.compareAndSet(0, 1);
            }
            synchronized (writeLock) {
                return done;
            }
        }

        int progressSent() {
            synchronized (writeLock) {
                return sent;
            }
        }
    }

    private Envelope envelope() {
        List<String> rcpts = new ArrayList<>(recipients);
        String from = sender == null ? Envelope.NULL_SENDER : sender;
        Instant at = receivedAt == null ? cfg.clock().instant() : receivedAt;
        try {
            return new Envelope(client, helo, from, rcpts, at);
        } catch (IllegalArgumentException e) {
            return new Envelope(client, Optional.empty(), Envelope.NULL_SENDER, List.of(), at);
        }
    }

    private void replyCode(SmtpReply r) throws IOException {
        String text = r.code() + " " + (r.enhancedStatus().isEmpty() ? "" : r.enhancedStatus() + " ")
                + SmtpReply.sanitize(r.text()).replace("%", "%%");
        send(MilterPacket.ofStrings(SMFIR_REPLYCODE, text));
    }

    private static String quarantineReason(String reason) {
        String r = SmtpReply.sanitize(reason);
        return r.length() > 100 ? r.substring(0, 100) : r;
    }

    /**
     * {@code <addr>} to {@code addr}; the null sender {@code <>} to the empty string. The MTA passes an SMTPUTF8
     * address as its UTF-8 bytes (the packet's strings are read byte for byte): such an address is decoded, so SPF
     * finds its domain and the logs and quarantine name it as sent ({@code jörg}, not {@code jÃ¶rg}); bytes that are
     * not UTF-8 stay as they came.
     */
    static String path(String arg) {
        String s = clean(arg.trim());
        if (s.startsWith("<") && s.endsWith(">") && s.length() >= 2) {
            s = s.substring(1, s.length() - 1);
        }
        return utf8(s);
    }

    /**
     * A packet string (read byte for byte) decoded from UTF-8 when it is UTF-8, else as it came. The MTA passes an
     * SMTPUTF8 address, and the HELO name as the client sent it (Postfix takes {@code EHLO client.bücher.example} with
     * {@code smtputf8_enable}), as their UTF-8 bytes: read byte for byte, SPF asked for the A-labels of a garbled name
     * ({@code client.xn--b14cher-xwa2143e.example}) and found no record.
     */
    static String utf8(String s) {
        if (s.chars().allMatch(c -> c < 0x80)) {
            return s;
        }
        return org.mailhygiene.scanners.mime.TextDecoding.utf8(s).orElse(s);
    }

    private static String clean(String s) {
        return s.indexOf('\r') < 0 && s.indexOf('\n') < 0
                ? s
                : s.replace('\r', ' ').replace('\n', ' ');
    }

    private void send(MilterPacket p) throws IOException {
        MilterCodec.write(out, p);
    }

    /** Writes and flushes one packet (from the watchdog, during a scan). */
    private void writeNow(MilterPacket p) throws IOException {
        MilterCodec.write(out, p);
        out.flush();
    }

    /**
     * The message as an input stream that pulls packets from the MTA: header fields become their lines (CRLF), the
     * end of headers an empty line, body chunks their bytes; end of message ends the stream. Macros are recorded on
     * the way; an abort ends the message with {@link Aborted}, a quit with {@link Ended}.
     */
    private final class MessageStream extends BulkInputStream {
        private final HeaderEdits headers;
        private MilterPacket pending;
        private byte[] buf = new byte[0];
        private int pos;
        private boolean inBody;
        private boolean eof;

        MessageStream(MilterPacket first, HeaderEdits headers) {
            this.pending = first;
            this.headers = headers;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (pos >= buf.length) {
                if (eof) {
                    return -1;
                }
                fill();
            }
            int n = Math.min(len, buf.length - pos);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            return n;
        }

        private void fill() throws IOException {
            MilterPacket p = pending != null ? pending : expect();
            pending = null;
            pos = 0;
            buf = new byte[0];
            switch (p.code()) {
                case SMFIC_MACRO -> macro(p);
                case SMFIC_HEADER -> {
                    if (inBody) {
                        throw new MilterProtocolException("SMFIC_HEADER after the body started");
                    }
                    List<String> s = p.exactly(2);
                    headers.record(s.get(0), s.get(1));
                    buf = headerLine(s.get(0), s.get(1));
                    continueUnlessNoReply(p.code());
                }
                case SMFIC_EOH -> {
                    buf = separator(new byte[0]);
                    continueUnlessNoReply(p.code());
                }
                case SMFIC_BODY -> {
                    buf = separator(p.payload());
                    continueUnlessNoReply(p.code());
                }
                case SMFIC_BODYEOB -> {
                    buf = separator(p.payload());
                    eof = true;
                }
                case SMFIC_ABORT -> throw new Aborted(false);
                case SMFIC_QUIT_NC -> throw new Aborted(true);
                case SMFIC_QUIT -> throw new Ended();
                default -> throw new MilterProtocolException("unexpected " + name(p.code()) + " inside a message");
            }
        }

        /** The bytes, after the empty line that ends the header section if the body starts here. */
        private byte[] separator(byte[] body) {
            if (inBody) {
                return body;
            }
            inBody = true;
            byte[] b = new byte[body.length + 2];
            b[0] = '\r';
            b[1] = '\n';
            System.arraycopy(body, 0, b, 2, body.length);
            return b;
        }

        private byte[] headerLine(String name, String value) {
            ByteArrayOutputStream line = new ByteArrayOutputStream(name.length() + value.length() + 8);
            line.writeBytes(name.getBytes(StandardCharsets.ISO_8859_1));
            line.write(':');
            if (!leadingSpace) {
                line.write(' '); // without SMFIP_HDR_LEADSPC the MTA ate one space after the colon
            }
            char prev = 0;
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c == '\n' && prev != '\r') {
                    line.write('\r');
                }
                line.write(c);
                prev = c;
            }
            line.write('\r');
            line.write('\n');
            return line.toByteArray();
        }
    }

    /** The MTA aborted the message (or, with {@code newConnection}, the whole SMTP connection). */
    private static final class Aborted extends IOException {
        private static final long serialVersionUID = 1L;
        final boolean newConnection;

        Aborted(boolean newConnection) {
            super("message aborted by the MTA");
            this.newConnection = newConnection;
        }
    }

    /** The MTA quit or closed the connection. */
    private static final class Ended extends EOFException {
        private static final long serialVersionUID = 1L;

        Ended() {
            super("connection ended");
        }
    }

    /** Closes the connection if a write or flush has been blocked longer than the write timeout. */
    private void checkWriteDeadline(long now) {
        long since = writingSince;
        if (since != 0 && now - since > cfg.writeTimeout().toNanos()) {
            LOG.info("milter connection from {}: write blocked too long, closed", peer);
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing is all we can do
            }
        }
    }

    /**
     * Marks every write and flush with its start time for {@link #checkWriteDeadline}: two volatile stores per call
     * (this used to schedule and cancel a watchdog task around every write).
     */
    private final class GuardedOutput extends OutputStream {
        private final OutputStream raw;

        GuardedOutput(OutputStream raw) {
            this.raw = raw;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            writingSince = System.nanoTime() | 1;
            try {
                raw.write(b, off, len);
            } finally {
                writingSince = 0;
            }
        }

        @Override
        public void flush() throws IOException {
            writingSince = System.nanoTime() | 1;
            try {
                raw.flush();
            } finally {
                writingSince = 0;
            }
        }
    }
}
