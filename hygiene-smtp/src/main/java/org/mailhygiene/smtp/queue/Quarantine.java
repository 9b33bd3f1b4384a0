package org.mailhygiene.smtp.queue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.ScanResult;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.Disposition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Messages held back from delivery by policy, with the verdicts that put them there: listed, released into a
 * {@link Spool} for delivery, deleted, or expired after the retention period.
 *
 * <p>Holding is as durable as {@link Spool#store}: message and record are written, forced, renamed into
 * {@code DIR/held/} and the directory is forced before {@link #hold} returns, so the relay may answer 250 for a
 * quarantined message. {@link #release} stores the message in the spool first and only then removes it here, so a
 * crash in between leaves it in both places (a duplicate), never in neither.
 *
 * <p>Defaults: retention 30 days, the system UTC clock. Expiry happens only when {@link #expire()} is called (the relay
 * calls it periodically). Thread-safe for different messages; do not release and delete the same message from two
 * threads at once.
 */
public final class Quarantine {
    private static final Logger LOG = LoggerFactory.getLogger(Quarantine.class);
    private static final String MSG = ".msg";
    private static final String META = ".meta";

    /** The default retention: 30 days. */
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(30);

    private final Path root;
    private final Path tmp;
    private final Path held;
    private final Duration retention;
    private final Clock clock;
    private final DirectorySync sync;
    private final AtomicLong counter = new AtomicLong();

    private Quarantine(Builder b) throws IOException {
        this.root = b.directory;
        this.retention = b.retention;
        this.clock = b.clock;
        this.tmp = root.resolve("tmp");
        this.held = root.resolve("held");
        Files.createDirectories(tmp);
        Files.createDirectories(held);
        this.sync = new DirectorySync(held, true);
    }

    /**
     * Starts a builder.
     *
     * @param directory the quarantine directory, created if missing (not the spool's directory)
     * @return a new builder
     */
    public static Builder builder(Path directory) {
        return new Builder(directory);
    }

    /**
     * The retention period.
     *
     * @return how long a message is kept before {@link #expire()} removes it
     */
    public Duration retention() {
        return retention;
    }

    /**
     * Holds a message because of a policy disposition; the record keeps the disposition's action and reason and one
     * line per scan result it rested on.
     *
     * @param envelope the envelope
     * @param content the bytes, stored unchanged
     * @param disposition the decision
     * @return the held message
     * @throws IOException if it could not be stored durably; nothing is left behind and the message must not be
     *     acknowledged
     */
    public QuarantinedMessage hold(Envelope envelope, MessageContent content, Disposition disposition)
            throws IOException {
        List<String> details = new ArrayList<>();
        for (ScanResult r : disposition.basis()) {
            details.add(describe(r));
        }
        return hold(envelope, content, disposition.action().name(), disposition.reason(), details);
    }

    /**
     * Holds a message for a reason given directly (for example an administrator's manual hold).
     *
     * @param envelope the envelope
     * @param content the bytes, stored unchanged
     * @param action a short label of what put it here, e.g. {@code MANUAL}
     * @param reason a one-line reason
     * @param details further lines; may be empty
     * @return the held message
     * @throws IOException if it could not be stored durably; nothing is left behind
     */
    public QuarantinedMessage hold(
            Envelope envelope, MessageContent content, String action, String reason, List<String> details)
            throws IOException {
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(content, "content");
        QueueId id = QueueId.generate(clock);
        Path msgTmp = tmp.resolve(id.value() + MSG);
        Path metaTmp = tmp.resolve(id.value() + META);
        Path msg = held.resolve(id.value() + MSG);
        Path meta = held.resolve(id.value() + META);
        long size;
        try (InputStream in = content.openStream()) {
            size = DurableFiles.writeForced(msgTmp, new byte[0], in, new byte[0]);
        }
        QuarantinedMessage q =
                new QuarantinedMessage(id, envelope, clock.instant(), action, reason, details, size, msg);
        try {
            DurableFiles.writeForced(metaTmp, encode(q));
            DurableFiles.moveAtomicNoReplace(msgTmp, msg);
            DurableFiles.moveAtomicNoReplace(metaTmp, meta);
            sync.sync();
        } catch (IOException | RuntimeException e) {
            for (Path p : List.of(meta, msg, metaTmp, msgTmp)) {
                DurableFiles.deleteQuietly(p, e);
            }
            throw e;
        }
        return q;
    }

    static String describe(ScanResult r) {
        if (r instanceof Verdict v) {
            StringBuilder sb = new StringBuilder(v.scanner()).append(' ').append(v.outcome());
            if (!v.threats().isEmpty()) {
                sb.append(" threats=").append(v.threats());
            }
            v.score().ifPresent(s -> sb.append(" score=").append(s));
            v.threshold().ifPresent(s -> sb.append(" threshold=").append(s));
            if (!v.rules().isEmpty()) {
                sb.append(" rules=")
                        .append(v.rules().stream().map(x -> x.name()).toList());
            }
            return sb.toString();
        }
        ScanFailure f = (ScanFailure) r;
        return f.scanner() + " FAILED " + f.kind() + ": " + f.detail();
    }

    /**
     * Every held message, oldest first.
     *
     * @return the messages; records that cannot be read are logged and skipped
     * @throws IOException if the directory cannot be read
     */
    public List<QuarantinedMessage> list() throws IOException {
        List<QuarantinedMessage> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(held, "*" + META)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                String idText = name.substring(0, name.length() - META.length());
                if (!QueueId.isValid(idText)) {
                    continue;
                }
                try {
                    get(new QueueId(idText)).ifPresent(out::add);
                } catch (IOException e) {
                    LOG.error("quarantine record {} is unreadable: {}", p, e.getMessage());
                }
            }
        }
        out.sort((a, b) -> a.id().compareTo(b.id()));
        return out;
    }

    /**
     * One held message.
     *
     * @param id its id
     * @return the message, empty if it is not held (any more)
     * @throws IOException if the record exists but cannot be read
     */
    public Optional<QuarantinedMessage> get(QueueId id) throws IOException {
        Path meta = held.resolve(id.value() + META);
        Path msg = held.resolve(id.value() + MSG);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(meta);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (!Files.exists(msg)) {
            return Optional.empty();
        }
        return Optional.of(decode(bytes, meta, msg));
    }

    /**
     * Releases a message for delivery: stores it in the spool with its original envelope, then removes it here.
     *
     * @param id the held message
     * @param spool where to queue it
     * @return the queued message, empty if no such message is held
     * @throws IOException if storing or removing fails; if storing failed the message is still held
     */
    public Optional<QueuedMessage> release(QueueId id, Spool spool) throws IOException {
        Objects.requireNonNull(spool, "spool");
        Optional<QuarantinedMessage> q = get(id);
        if (q.isEmpty()) {
            return Optional.empty();
        }
        QueuedMessage queued = spool.store(q.get().envelope(), q.get().content());
        delete(id);
        LOG.info("released {} from quarantine as {}", id, queued.id());
        return Optional.of(queued);
    }

    /**
     * Deletes a held message for good.
     *
     * @param id the message
     * @return {@code true} if it was held
     * @throws IOException if the files cannot be deleted
     */
    public boolean delete(QueueId id) throws IOException {
        boolean existed = Files.deleteIfExists(held.resolve(id.value() + META));
        sync.sync();
        Files.deleteIfExists(held.resolve(id.value() + MSG));
        return existed;
    }

    /**
     * Deletes every message held at least {@link #retention()} ago (by the clock), and leftover files of incomplete
     * holds.
     *
     * @return the ids deleted
     * @throws IOException if the directory cannot be read or a file cannot be deleted
     */
    public List<QueueId> expire() throws IOException {
        Instant cutoff = clock.instant().minus(retention);
        List<QueueId> gone = new ArrayList<>();
        for (QuarantinedMessage q : list()) {
            if (!q.quarantinedAt().isAfter(cutoff)) {
                if (delete(q.id())) {
                    gone.add(q.id());
                }
            }
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(held, "*" + MSG)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                String stem = name.substring(0, name.length() - MSG.length());
                if (!Files.exists(held.resolve(stem + META))) {
                    Files.deleteIfExists(p);
                }
            }
        }
        return gone;
    }

    private static byte[] encode(QuarantinedMessage q) {
        RecordCodec.Writer w = new RecordCodec.Writer();
        w.line("id", q.id().value());
        w.line("quarantined", q.quarantinedAt().toString());
        w.line("size", Long.toString(q.size()));
        w.line("action", RecordCodec.escape(q.action()));
        w.line("reason", RecordCodec.escape(q.reason()));
        for (String d : q.details()) {
            w.line("detail", RecordCodec.escape(d));
        }
        RecordCodec.writeEnvelope(w, q.envelope());
        return w.finish();
    }

    private static QuarantinedMessage decode(byte[] bytes, Path source, Path msg) throws IOException {
        RecordCodec.Parsed p = RecordCodec.parse(bytes, source);
        try {
            List<String> details = new ArrayList<>();
            for (String[] l : p.all("detail")) {
                details.add(RecordCodec.unescape(l[1]));
            }
            return new QuarantinedMessage(
                    new QueueId(p.require("id", 2)[1]),
                    RecordCodec.readEnvelope(p),
                    Instant.parse(p.require("quarantined", 2)[1]),
                    RecordCodec.unescape(p.require("action", 2)[1]),
                    RecordCodec.unescape(p.require("reason", 2)[1]),
                    details,
                    Long.parseLong(p.require("size", 2)[1]),
                    msg);
        } catch (RuntimeException e) {
            throw new IOException(source + ": malformed quarantine record: " + e.getMessage(), e);
        }
    }

    /** Builds a {@link Quarantine}. Setters validate at once. Not thread-safe. */
    public static final class Builder {
        private final Path directory;
        private Duration retention = DEFAULT_RETENTION;
        private Clock clock = Clock.systemUTC();

        private Builder(Path directory) {
            this.directory = Objects.requireNonNull(directory, "directory");
        }

        /**
         * How long messages are kept. Default {@link Quarantine#DEFAULT_RETENTION} (30 days).
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder retention(Duration value) {
            Objects.requireNonNull(value, "retention");
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException("retention must be positive, was " + value);
            }
            retention = value;
            return this;
        }

        /**
         * The clock for hold times and expiry. Default {@link Clock#systemUTC()}.
         *
         * @param value the clock
         * @return this builder
         */
        public Builder clock(Clock value) {
            clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * Opens the quarantine, creating its directories.
         *
         * @return the quarantine
         * @throws IOException if the directories cannot be created
         */
        public Quarantine build() throws IOException {
            return new Quarantine(this);
        }
    }
}
