package org.mailhygiene.smtp;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.ScanResult;
import org.mailhygiene.api.SpooledContent;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.Disposition;
import org.mailhygiene.api.policy.SmtpReply;
import org.mailhygiene.api.routing.Router;
import org.mailhygiene.internal.Checks;
import org.mailhygiene.internal.LogText;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.ScanReport;
import org.mailhygiene.scanners.auth.ArcSealer;
import org.mailhygiene.scanners.auth.AuthScanner;
import org.mailhygiene.scanners.auth.AuthStatus;
import org.mailhygiene.scanners.auth.DkimSigning;
import org.mailhygiene.scanners.auth.HeaderField;
import org.mailhygiene.scanners.tagging.MessageTagger;
import org.mailhygiene.smtp.delivery.DeliveryAgent;
import org.mailhygiene.smtp.delivery.RepeatedFailures;
import org.mailhygiene.smtp.dsn.DsnRequest;
import org.mailhygiene.smtp.queue.Quarantine;
import org.mailhygiene.smtp.queue.QuarantinedMessage;
import org.mailhygiene.smtp.queue.QueueId;
import org.mailhygiene.smtp.queue.QueuedMessage;
import org.mailhygiene.smtp.queue.ScanNote;
import org.mailhygiene.smtp.queue.Spool;
import org.mailhygiene.smtp.server.MessageHandler;
import org.mailhygiene.smtp.server.SmtpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reference relay: an {@link SmtpServer} whose message handler scans each message while the client waits, carries
 * out the policy's disposition, and stores what it accepts in a durable {@link Spool} before saying 250; a
 * {@link DeliveryAgent} then forwards it along the {@link Router}'s routes, with failover between next hops.
 *
 * <p>What happens to a message after the end of data, in order:
 *
 * <ol>
 *   <li>The {@link ScanPipeline} scans it (with the server's Received header on top; the verdict cache is keyed by the
 *       message without that header, so identical copies in a virus storm share one scan). Scanning is always in-line, so a
 *       REJECT or TEMPFAIL disposition is the reply to the final dot and nothing is accepted unscanned. A scanner
 *       failure is a result, not an exception; the policy turns it into a disposition, by default TEMPFAIL
 *       ({@code 451}). An interrupted scan answers {@code 451 4.3.0}.
 *   <li>REJECT and TEMPFAIL: the disposition's reply is sent; nothing is kept.
 *   <li>QUARANTINE: the message is held in the {@link Quarantine} (durably) and the disposition's 2xx reply is sent.
 *   <li>DISCARD (only when a policy was configured to discard): the disposition's 2xx reply is sent and the message
 *       is dropped, with a log line.
 *   <li>ACCEPT and TAG: when the disposition carries a subject tag or header fields, {@link MessageTagger} applies
 *       them (every other byte unchanged); the result is {@linkplain Spool#store stored} (file and directory forced),
 *       handed to the delivery agent, and only then is the 2xx reply sent, with the queue id appended.
 * </ol>
 *
 * Any failure to hold or store answers {@code 451 4.3.0}: the client keeps the message and retries, nothing is lost.
 *
 * <p>Ownership: the relay starts and stops its server and delivery agent; the pipeline, spool and quarantine passed to
 * the builder belong to the caller and stay open after {@link #close()}.
 *
 * <p>Thread-safe.
 */
public final class Relay implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Relay.class);

    private final SmtpServer server;
    private final DeliveryAgent delivery;
    private volatile Scanning scanning;
    private final Spool spool;
    private final Quarantine quarantine;
    private final long memoryThreshold;
    private final Path tempDirectory;
    private final RelayListener listener;

    /**
     * The pipeline, DKIM signing and ARC sealing messages are handled with, replaced as one by {@link #replaceScanning}; counts
     * the messages in its hands, so the one replaced can be retired when the last of them is answered.
     */
    private static final class Scanning {
        final ScanPipeline pipeline;
        final DkimSigning dkimSigning;
        final Predicate<Envelope> signOutbound;
        final ArcSealer arcSealer;
        final Predicate<Envelope> sealOutbound;
        final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicBoolean retiredOnce = new java.util.concurrent.atomic.AtomicBoolean();
        volatile Runnable onRetired;

        Scanning(
                ScanPipeline pipeline,
                DkimSigning dkimSigning,
                Predicate<Envelope> signOutbound,
                ArcSealer arcSealer,
                Predicate<Envelope> sealOutbound) {
            this.pipeline = pipeline;
            this.dkimSigning = dkimSigning;
            this.signOutbound = signOutbound;
            this.arcSealer = arcSealer;
            this.sealOutbound = sealOutbound;
        }

        void release() {
            if (inFlight.decrementAndGet() == 0 && onRetired != null) {
                retire();
            }
        }

        void retire() {
            Runnable r = onRetired;
            if (r != null && retiredOnce.compareAndSet(false, true)) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    LOG.warn("retiring a replaced scan pipeline failed", e);
                }
            }
        }
    }

    private Relay(Builder b) {
        this.scanning = new Scanning(b.pipeline, b.dkimSigning, b.signOutbound, b.arcSealer, b.sealOutbound);
        this.spool = b.spool;
        this.quarantine = b.quarantine;
        this.memoryThreshold = b.memoryThreshold;
        this.tempDirectory = b.tempDirectory;
        this.listener = b.listener;
        DeliveryAgent.Builder db = DeliveryAgent.builder(b.spool, b.router);
        b.deliverySettings.accept(db);
        db.noticeSigner(this::signNotice);
        this.delivery = db.build();
        SmtpServer.Builder sb = SmtpServer.builder();
        b.serverSettings.accept(sb);
        sb.handler(new Handler());
        this.server = sb.build();
    }

    /**
     * The relay's own bounce or notice as it will leave: DKIM-signed when a signer covers its From domain
     * ({@code MAILER-DAEMON@HOSTNAME}), with the signing of the moment, whoever it goes to. Unlike relayed mail, also
     * when its recipient is in an accepted domain: an edge's bounce to an internal sender passes the gateway behind it,
     * which checks DMARC with the edge as the client, only with a signature (without one, a {@code p=reject} own
     * domain refused the bounce, and then the double bounce to the postmaster, and the sender never learnt that the
     * mail failed). Not ARC-sealed (the relay wrote it, it changed nothing). A signing failure leaves it unsigned,
     * logged: a bounce is not lost for want of a signature.
     */
    private byte[] signNotice(Envelope envelope, byte[] notice) {
        Scanning s = scanning;
        if (s.dkimSigning == null) {
            return notice;
        }
        try {
            byte[] field = dkimField(s.dkimSigning, MessageContent.ofBytes(notice));
            if (field.length == 0) {
                return notice;
            }
            byte[] out = new byte[field.length + notice.length];
            System.arraycopy(field, 0, out, 0, field.length);
            System.arraycopy(notice, 0, out, field.length, notice.length);
            return out;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            LOG.warn(
                    "DKIM signing failed for a notice to <{}>; it leaves unsigned",
                    LogText.printable(envelope.recipients().toString()),
                    e);
            return notice;
        }
    }

    /** The DKIM-Signature field (with its CRLF) for a message, or no bytes when no key covers its From domain. */
    private static byte[] dkimField(DkimSigning signing, MessageContent content)
            throws IOException, GeneralSecurityException {
        Optional<HeaderField> signature = signing.sign(content);
        return signature.isEmpty()
                ? new byte[0]
                : (signature.get().raw() + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * A new builder.
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Recovers the spool and starts delivering what it holds, then starts accepting SMTP connections.
     *
     * @return the number of messages found in the spool at start
     * @throws IOException if the spool cannot be read or the server cannot bind
     */
    public int start() throws IOException {
        int recovered = delivery.start();
        server.start();
        LOG.info(
                "relay started on {} with {} messages recovered from the spool",
                org.mailhygiene.internal.HostPorts.of(server.address()),
                recovered);
        return recovered;
    }

    /**
     * The SMTP port (useful with port 0).
     *
     * @return the bound port
     * @throws IllegalStateException if not started
     */
    public int port() {
        return server.port();
    }

    /**
     * The SMTP listening address.
     *
     * @return the bound address
     * @throws IllegalStateException if not started
     */
    public InetSocketAddress address() {
        return server.address();
    }

    /**
     * The number of SMTP sessions now open.
     *
     * @return open sessions
     */
    public int activeSessions() {
        return server.activeSessions();
    }

    /**
     * The pipeline messages are scanned with now (the one given to the builder, or the last
     * {@linkplain #replaceScanning replacement}).
     *
     * @return the pipeline
     */
    public ScanPipeline pipeline() {
        return scanning.pipeline;
    }

    /**
     * Replaces the settings of the SMTP server for connections accepted from now on (see
     * {@link SmtpServer#reconfigure}); open sessions keep theirs. For a configuration reload.
     *
     * @param settings applied to a fresh {@link SmtpServer#builder()}
     * @throws IllegalStateException if the settings are inconsistent (nothing is changed)
     * @throws IllegalArgumentException if a setting is refused (nothing is changed)
     */
    public void reconfigureServer(Consumer<SmtpServer.Builder> settings) {
        server.reconfigure(settings);
    }

    /**
     * Replaces the pipeline and the DKIM signing (and removes any ARC sealing) for messages whose data ends from now on; messages already being
     * scanned finish with the ones they started with. When the last of those is answered, {@code retired} runs once
     * (on that message's thread, or on this one when none is in flight) with the replaced pipeline, for example to
     * close it. For a configuration reload.
     *
     * @param pipeline the new pipeline
     * @param signing the new signers, or {@code null} for no signing
     * @param outbound which messages are outbound (ignored without signing)
     * @param retired what to do with the replaced pipeline once nothing uses it
     */
    public void replaceScanning(
            ScanPipeline pipeline, DkimSigning signing, Predicate<Envelope> outbound, Consumer<ScanPipeline> retired) {
        replaceScanning(pipeline, signing, null, outbound, retired);
    }

    /**
     * As {@link #replaceScanning(ScanPipeline, DkimSigning, Predicate, Consumer)}, replacing the ARC sealer as well
     * (both apply to the same outbound messages).
     *
     * @param pipeline the new pipeline
     * @param signing the new signers, or {@code null} for no signing
     * @param sealer the new ARC sealer, or {@code null} for no sealing
     * @param outbound which messages are outbound (ignored without signing and sealing)
     * @param retired what to do with the replaced pipeline once nothing uses it
     */
    public void replaceScanning(
            ScanPipeline pipeline,
            DkimSigning signing,
            ArcSealer sealer,
            Predicate<Envelope> outbound,
            Consumer<ScanPipeline> retired) {
        Objects.requireNonNull(pipeline, "pipeline");
        Objects.requireNonNull(outbound, "outbound");
        Objects.requireNonNull(retired, "retired");
        Scanning old;
        synchronized (this) {
            old = scanning;
            scanning = new Scanning(pipeline, signing, outbound, sealer, outbound);
        }
        old.onRetired = () -> retired.accept(old.pipeline);
        if (old.inFlight.get() == 0) {
            old.retire();
        }
    }

    /**
     * The delivery agent, for inspection ({@link DeliveryAgent#queued()}) and tests.
     *
     * @return the delivery agent
     */
    public DeliveryAgent delivery() {
        return delivery;
    }

    /**
     * Stops the server (open sessions are told {@code 421}; a message whose data was complete is answered first, see
     * {@link SmtpServer#stop()}), then the delivery agent.
     */
    @Override
    public void close() {
        server.stop();
        delivery.close();
    }

    /**
     * The content without its first {@code skip} bytes: the server prepends exactly one Received header, which differs
     * for every copy of a message, so the verdict cache is keyed by the rest (the message exactly as the client sent
     * it). The server tells the header's length; nothing the client sends can move the boundary.
     */
    static MessageContent withoutLeading(MessageContent content, long skip) {
        if (skip <= 0 || skip > content.size()) {
            return content;
        }
        return new MessageContent() {
            @Override
            public long size() {
                return content.size() - skip;
            }

            @Override
            public InputStream openStream() throws IOException {
                InputStream in = content.openStream();
                in.skipNBytes(skip);
                return in;
            }
        };
    }

    /** Messages the spool or the quarantine could not store, for {@code Handler#logWriteFailure}. */
    private final RepeatedFailures writeFailures =
            new RepeatedFailures(org.mailhygiene.api.NanoClock.system(), java.time.Duration.ofMinutes(5));

    private final class Handler implements MessageHandler {
        @Override
        public SmtpReply handle(Envelope envelope, MessageContent content) throws Exception {
            return handle(envelope, content, 0);
        }

        @Override
        public SmtpReply handle(Envelope envelope, MessageContent content, long traceHeaderLength) throws Exception {
            return handle(envelope, content, traceHeaderLength, DsnRequest.NONE);
        }

        @Override
        public SmtpReply handle(Envelope envelope, MessageContent content, long traceHeaderLength, DsnRequest dsn)
                throws Exception {
            Scanning s;
            while (true) {
                s = scanning;
                s.inFlight.incrementAndGet();
                if (s == scanning) {
                    break; // not replaced meanwhile: it cannot be retired before release()
                }
                s.release();
            }
            try {
                return handle(s, envelope, content, traceHeaderLength, dsn);
            } finally {
                s.release();
            }
        }

        private SmtpReply handle(
                Scanning s, Envelope envelope, MessageContent content, long traceHeaderLength, DsnRequest dsn)
                throws Exception {
            ScanReport report;
            try {
                report = s.pipeline.scan(new Message(envelope, content), withoutLeading(content, traceHeaderLength));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new SmtpReply(451, "4.3.0", "Scan interrupted, try again later");
            }
            Disposition d = report.disposition();
            Action action = d.action();
            QueueId[] kept = new QueueId[1];
            QueuedMessage[] stored = new QueuedMessage[1];
            SmtpReply reply;
            switch (action) {
                case REJECT:
                case TEMPFAIL:
                    LOG.info(
                            "{} from <{}> refused: {} ({})",
                            action,
                            LogText.printable(envelope.sender()),
                            d.reply(),
                            d.reason());
                    reply = d.reply();
                    break;
                case DISCARD:
                    LOG.warn(
                            "message from <{}> to {} discarded by policy: {}",
                            LogText.printable(envelope.sender()),
                            LogText.printable(envelope.recipients().toString()),
                            d.reason());
                    reply = d.reply();
                    break;
                case QUARANTINE:
                    reply = quarantine(s, envelope, content, d, kept, dsn);
                    break;
                case ACCEPT:
                case TAG:
                    // what the node's log line says of the scan, kept with the message so that a delivery after a
                    // restart (a crash included) can still say it
                    reply = store(s, envelope, content, d, kept, stored, dsn, ScanNote.of(report.results(), action));
                    break;
                default:
                    throw new IllegalStateException("unknown action " + action);
            }
            try {
                listener.handled(envelope, content, report, reply, Optional.ofNullable(kept[0]));
            } catch (RuntimeException e) {
                LOG.warn("relay listener failed", e);
            }
            // Handed to delivery only now: the listener (the node's per-message log line, which delivery completes)
            // has seen the scan before any delivery attempt can be reported.
            if (stored[0] != null) {
                submit(stored[0]);
            }
            return reply;
        }

        /**
         * Hands a durable message to delivery. A failed hand-over must not turn into a 4xx (the client would send it
         * again); the queue runner or the next start picks it up.
         */
        private void submit(QueuedMessage q) {
            try {
                delivery.submit(q);
            } catch (RuntimeException e) {
                LOG.warn("hand-over of {} to delivery failed; it stays queued for the next queue run", q.id(), e);
            }
        }

        /**
         * Logs a message the spool or quarantine could not store (answered 451): the first of a kind at WARN with the
         * stack trace, the same again within five minutes at DEBUG, counted in the next WARN line (an audit, session
         * 36: a full quarantine logged a stack trace for each of 416 viruses of a minute).
         */
        private void logWriteFailure(String what, Envelope envelope, Exception e) {
            RepeatedFailures.Decision d = writeFailures.record(RepeatedFailures.describe(e));
            if (d.level() == RepeatedFailures.Level.QUIET) {
                LOG.debug(
                        "{} failed for a message from <{}>: {}",
                        what,
                        LogText.printable(envelope.sender()),
                        e.toString());
                return;
            }
            LOG.warn(
                    "{} failed for a message from <{}>{}",
                    what,
                    LogText.printable(envelope.sender()),
                    d.quietBefore() == 0
                            ? ""
                            : " (" + d.quietBefore()
                                    + " more failed the same way since this was last logged, at DEBUG)",
                    e);
        }

        private SmtpReply quarantine(
                Scanning s, Envelope envelope, MessageContent content, Disposition d, QueueId[] kept, DsnRequest dsn) {
            try {
                // with the DSN parameters, so a released message is reported on as the sender asked, and with the
                // signatures it would have left with, so a released message leaves as it would have
                QuarantinedMessage q =
                        quarantine.hold(envelope, content, d, dsn, signaturesForRelease(s, envelope, content, d));
                LOG.info(
                        "message from <{}> quarantined as {}: {}",
                        LogText.printable(envelope.sender()),
                        q.id(),
                        d.reason());
                kept[0] = q.id();
                return withId(d.reply(), "held as " + q.id());
            } catch (IOException | RuntimeException e) {
                logWriteFailure("quarantine", envelope, e);
                return new SmtpReply(451, "4.3.0", "Quarantine write failed, try again later");
            }
        }

        private SmtpReply store(
                Scanning s,
                Envelope envelope,
                MessageContent content,
                Disposition d,
                QueueId[] kept,
                QueuedMessage[] stored,
                DsnRequest dsn,
                String scan) {
            boolean rewrite = d.subjectTag().isPresent() || !d.headers().isEmpty();
            QueuedMessage q;
            try {
                SpooledContent tagged = null;
                if (rewrite) {
                    try {
                        tagged = tag(d, content);
                    } catch (IOException | RuntimeException e) {
                        if (!MessageTagger.onlyCleanStatus(d)) {
                            throw e;
                        }
                        // the status explains a clean verdict; a message it cannot be written into goes without it
                        LOG.info(
                                "clean message from <{}> stored without its spam status: {}",
                                LogText.printable(envelope.sender()),
                                e.getMessage());
                    }
                }
                if (tagged != null) {
                    try (SpooledContent t = tagged) {
                        q = storeSigned(s, envelope, t, d, true, dsn, scan);
                    }
                } else {
                    q = storeSigned(s, envelope, content, d, false, dsn, scan);
                }
                kept[0] = q.id();
            } catch (GeneralSecurityException e) {
                LOG.warn(
                        "DKIM signing or ARC sealing failed for a message from <{}>",
                        LogText.printable(envelope.sender()),
                        e);
                return new SmtpReply(451, "4.3.0", "Signing failed, try again later");
            } catch (org.mailhygiene.scanners.auth.HeaderSection.TooLargeException e) {
                // a header section past what signing and sealing read will be as large at every retry: a 451 kept
                // the sender retrying until its queue lifetime ran out (audit, session 32)
                LOG.info(
                        "message from <{}> refused: {} (DKIM signing, ARC sealing)",
                        LogText.printable(envelope.sender()),
                        e.getMessage());
                return new SmtpReply(554, "5.6.0", "Header section too large to sign");
            } catch (IOException | RuntimeException e) {
                logWriteFailure("spool write", envelope, e);
                return new SmtpReply(451, "4.3.0", "Queue write failed, try again later");
            }
            // The message is durable now: it is ours whatever happens next. The caller hands it to delivery once the
            // listener has seen it (submit).
            stored[0] = q;
            return withId(d.reply(), "queued as " + q.id());
        }

        /**
         * Stores the message as it will leave. Outbound, in this order, each step seeing the result of the ones
         * before: the relay's changes (subject tag, added headers, done by the caller), a DKIM signature when a signer
         * covers the From domain, and an ARC set when the relay changed the message and the {@code auth} scanner gave
         * results (the seal's message signature covers the new DKIM-Signature; the set sits on top).
         */
        private QueuedMessage storeSigned(
                Scanning s,
                Envelope envelope,
                MessageContent content,
                Disposition d,
                boolean rewritten,
                DsnRequest dsn,
                String scan)
                throws IOException, GeneralSecurityException {
            byte[] prefix = signatures(s, envelope, content, d, rewritten);
            if (prefix.length == 0) {
                return spool.store(envelope, new byte[0], content, dsn, Optional.of(scan));
            }
            try (InputStream body = content.openStream();
                    SpooledContent signed = SpooledContent.spool(
                            new SequenceInputStream(new ByteArrayInputStream(prefix), body),
                            memoryThreshold,
                            tempDirectory)) {
                return spool.store(envelope, new byte[0], signed, dsn, Optional.of(scan));
            }
        }

        /** The DKIM signature and ARC set due for a message as it leaves (see storeSigned), empty for none. */
        private byte[] signatures(
                Scanning s, Envelope envelope, MessageContent content, Disposition d, boolean rewritten)
                throws IOException, GeneralSecurityException {
            byte[] prefix = s.dkimSigning != null && s.signOutbound.test(envelope)
                    ? dkimField(s.dkimSigning, content)
                    : new byte[0];
            if (s.arcSealer != null && rewritten && s.sealOutbound.test(envelope)) {
                prefix = sealed(s.arcSealer, envelope, content, d, prefix);
            }
            return prefix;
        }

        /**
         * The signatures a held message would have left with, computed now (the keys are the node's, the release runs
         * elsewhere): over the message with the disposition's header fields added, which the release adds again. A
         * failure holds the message without them (it then leaves unsigned, as every released message did before).
         */
        private Optional<Quarantine.Signatures> signaturesForRelease(
                Scanning s, Envelope envelope, MessageContent content, Disposition d) {
            boolean rewritten = !d.headers().isEmpty();
            if (!(s.dkimSigning != null && s.signOutbound.test(envelope)
                    || s.arcSealer != null && rewritten && s.sealOutbound.test(envelope))) {
                return Optional.empty();
            }
            try (SpooledContent tagged = rewritten ? tag(d, content) : null) {
                MessageContent leaving = tagged != null ? tagged : content;
                byte[] prefix = signatures(s, envelope, leaving, d, rewritten);
                if (prefix.length == 0) {
                    return Optional.empty();
                }
                return Optional.of(new Quarantine.Signatures(
                        new String(prefix, StandardCharsets.ISO_8859_1), Quarantine.sha256(leaving)));
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                LOG.info(
                        "message from <{}> held without signatures for its release: {}",
                        LogText.printable(envelope.sender()),
                        e.toString());
                return Optional.empty();
            }
        }

        /** The ARC set (if one is due) followed by {@code prefix}, over {@code prefix} + content. */
        private byte[] sealed(
                ArcSealer arcSealer, Envelope envelope, MessageContent content, Disposition d, byte[] prefix)
                throws IOException, GeneralSecurityException {
            Optional<String> results = Optional.empty();
            Optional<AuthStatus> chain = Optional.empty();
            for (ScanResult r : d.basis()) {
                if (r instanceof Verdict v && v.scanner().equals(AuthScanner.NAME)) {
                    results = AuthScanner.authenticationResults(v);
                    chain = AuthScanner.arcStatus(v);
                }
            }
            if (results.isEmpty() || chain.isEmpty()) {
                LOG.info(
                        "message from <{}> not ARC-sealed: no results of the auth scanner",
                        LogText.printable(envelope.sender()));
                return prefix;
            }
            ArcSealer.Sealing sealing;
            try (InputStream in = new SequenceInputStream(new ByteArrayInputStream(prefix), content.openStream())) {
                sealing = arcSealer.seal(in, results.get(), chain.get());
            }
            if (sealing.set().isEmpty()) {
                LOG.info(
                        "message from <{}> not ARC-sealed: {}", LogText.printable(envelope.sender()), sealing.reason());
                return prefix;
            }
            byte[] set = sealing.set().get().bytes();
            byte[] out = new byte[set.length + prefix.length];
            System.arraycopy(set, 0, out, 0, set.length);
            System.arraycopy(prefix, 0, out, set.length, prefix.length);
            return out;
        }

        private SpooledContent tag(Disposition d, MessageContent content) throws IOException {
            // MessageTagger pushes into SpooledContent's own stream (heap up to the threshold, then a temporary
            // file): no copy of a large message in heap, and no helper thread and pipe per message. A failure of
            // the tagger, checked or not, discards what was written: a truncated message is never stored.
            return SpooledContent.write(
                    out -> {
                        try (InputStream original = content.openStream()) {
                            MessageTagger.apply(d, original, out);
                        }
                    },
                    memoryThreshold,
                    tempDirectory);
        }
    }

    private static SmtpReply withId(SmtpReply reply, String suffix) {
        String text = SmtpReply.sanitize(reply.text() + " (" + suffix + ")");
        return new SmtpReply(reply.code(), reply.enhancedStatus(), text);
    }

    /** Builds a {@link Relay}. Each setter validates its argument. Not thread-safe. */
    public static final class Builder {
        private Consumer<SmtpServer.Builder> serverSettings = b -> {};
        private Consumer<DeliveryAgent.Builder> deliverySettings = b -> {};
        private ScanPipeline pipeline;
        private Spool spool;
        private Quarantine quarantine;
        private Router router;
        private long memoryThreshold = 256 * 1024L;
        private Path tempDirectory;
        private RelayListener listener = RelayListener.NONE;
        private DkimSigning dkimSigning;
        private Predicate<Envelope> signOutbound = e -> false;
        private ArcSealer arcSealer;
        private Predicate<Envelope> sealOutbound = e -> false;

        /**
         * ARC-seals (RFC 8617) outbound messages (those the predicate accepts) that the relay changed (subject tag or
         * added header fields, such as the {@code auth} scanner's Authentication-Results), after every change and
         * after DKIM signing, with the {@code auth} scanner's results and chain validation; without an {@code auth}
         * verdict nothing is sealed. A sealing failure tempfails the message (451). Default: no sealing.
         *
         * @param sealer the sealer
         * @param outbound which messages are outbound, e.g. those with a recipient outside the accepted domains
         * @return this builder
         */
        public Builder arcSealing(ArcSealer sealer, Predicate<Envelope> outbound) {
            this.arcSealer = Objects.requireNonNull(sealer, "sealer");
            this.sealOutbound = Objects.requireNonNull(outbound, "outbound");
            return this;
        }

        /**
         * DKIM-signs outbound messages (those the predicate accepts) whose From domain a signer covers, after every
         * change the relay makes; a signing failure tempfails the message (451). Default: no signing.
         *
         * @param signing the signers
         * @param outbound which messages are outbound, e.g. those with a recipient outside the accepted domains
         * @return this builder
         */
        public Builder dkimSigning(DkimSigning signing, Predicate<Envelope> outbound) {
            this.dkimSigning = Objects.requireNonNull(signing, "signing");
            this.signOutbound = Objects.requireNonNull(outbound, "outbound");
            return this;
        }

        private Builder() {}

        /**
         * Who is told about each scanned message and its reply. Default {@link RelayListener#NONE}.
         *
         * @param value the listener (fast, must not throw)
         * @return this builder
         */
        public Builder listener(RelayListener value) {
            this.listener = Objects.requireNonNull(value, "listener");
            return this;
        }

        /**
         * Settings for the SMTP server (bind address, port, hostname, limits, TLS, access rules, accepted domains,
         * clock, ...). The relay sets the message handler itself; a handler set here is replaced.
         *
         * @param settings applied to a fresh {@link SmtpServer#builder()}
         * @return this builder
         */
        public Builder server(Consumer<SmtpServer.Builder> settings) {
            this.serverSettings = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /**
         * Settings for the delivery agent (SMTP client, clock, retry schedule, queue lifetime, hostname, ...); it is
         * built over this relay's spool and router.
         *
         * @param settings applied to {@link DeliveryAgent#builder(Spool, Router)}
         * @return this builder
         */
        public Builder delivery(Consumer<DeliveryAgent.Builder> settings) {
            this.deliverySettings = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /**
         * The scanners and policy every message goes through. Required.
         *
         * @param pipeline the pipeline
         * @return this builder
         */
        public Builder pipeline(ScanPipeline pipeline) {
            this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
            return this;
        }

        /**
         * The durable queue. Required.
         *
         * @param spool an open spool
         * @return this builder
         */
        public Builder spool(Spool spool) {
            this.spool = Objects.requireNonNull(spool, "spool");
            return this;
        }

        /**
         * Where QUARANTINE dispositions put messages. Required, so that a policy that quarantines never has nowhere
         * to put a message.
         *
         * @param quarantine an open quarantine
         * @return this builder
         */
        public Builder quarantine(Quarantine quarantine) {
            this.quarantine = Objects.requireNonNull(quarantine, "quarantine");
            return this;
        }

        /**
         * Where recipients go (static routes with failover lists, or MX). Required.
         *
         * @param router the router
         * @return this builder
         */
        public Builder router(Router router) {
            this.router = Objects.requireNonNull(router, "router");
            return this;
        }

        /**
         * How many octets of a tagged message stay in heap while it is rewritten. Default 256 KiB.
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
         * Where a tagged message larger than the memory threshold is written while rewritten. Default: the process's
         * own directory under the JVM's temporary directory ({@code hygiene-jvm-*}, deleted at exit, or by a later
         * process when this one was killed).
         *
         * @param directory an existing, writable directory
         * @return this builder
         */
        public Builder tempDirectory(Path directory) {
            this.tempDirectory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /**
         * Builds the relay (not started).
         *
         * @return the relay
         * @throws IllegalStateException naming the first missing required setting
         */
        public Relay build() {
            if (pipeline == null) {
                throw new IllegalStateException("a scan pipeline is required");
            }
            if (spool == null) {
                throw new IllegalStateException("a spool is required");
            }
            if (quarantine == null) {
                throw new IllegalStateException("a quarantine is required");
            }
            if (router == null) {
                throw new IllegalStateException("a router is required");
            }
            return new Relay(this);
        }
    }
}
