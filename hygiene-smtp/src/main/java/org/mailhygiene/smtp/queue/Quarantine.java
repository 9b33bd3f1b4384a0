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
import org.mailhygiene.api.SpooledContent;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.Disposition;
import org.mailhygiene.internal.Checks;
import org.mailhygiene.scanners.tagging.MessageTagger;
import org.mailhygiene.smtp.dsn.DsnRequest;
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

    /** One lock per quarantine directory in this JVM (a file lock cannot be taken twice by one JVM). */
    private static final java.util.concurrent.ConcurrentHashMap<Path, java.util.concurrent.locks.ReentrantLock> LOCKS =
            new java.util.concurrent.ConcurrentHashMap<>();

    private static final String CLAIM = ".release";

    /** The default retention: 30 days. */
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(30);

    private final Path root;
    private final Path tmp;
    private final Path held;
    private final Path released;
    private final java.util.concurrent.locks.ReentrantLock jvmLock;
    private final Duration retention;
    private final Clock clock;
    private final DirectorySync sync;
    private final AtomicLong counter = new AtomicLong();
    /** Whether a full recovery of interrupted releases ran; read and written under the lock. */
    private boolean recovered;
    /** How many full recoveries listed {@code held/} for claims (for tests); under the lock. */
    private int claimScans;

    private Quarantine(Builder b) throws IOException {
        this.root = b.directory;
        this.retention = b.retention;
        this.clock = b.clock;
        this.tmp = root.resolve("tmp");
        this.held = root.resolve("held");
        Files.createDirectories(tmp);
        Files.createDirectories(held);
        this.released = root.resolve("released");
        Files.createDirectories(released);
        this.sync = new DirectorySync(held, true);
        this.jvmLock = LOCKS.computeIfAbsent(
                root.toAbsolutePath().normalize(), k -> new java.util.concurrent.locks.ReentrantLock());
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
     * The quarantine's directory, as given to {@link #builder}.
     *
     * @return the directory
     */
    public Path directory() {
        return root;
    }

    /**
     * Whether messages can be held now: the directory and its {@code held/} and {@code tmp/} subdirectories exist and
     * this process may write them (a read-only mount is not; a full file system is, and is found by {@link #hold}).
     * Cheap (a few {@code stat} and {@code access} calls); thread-safe.
     *
     * @return whether the directories are writable
     */
    public boolean writable() {
        for (Path d : List.of(root, held, tmp)) {
            if (!Files.isDirectory(d) || !Files.isWritable(d)) {
                return false;
            }
        }
        return true;
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
     * Holds a message because of a policy disposition; the record keeps the disposition's action and reason, one
     * line per scan result it rested on, and one line ({@code adds NAME: VALUE}) per header field the disposition adds
     * (the message itself is held unchanged).
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
        return hold(envelope, content, disposition, DsnRequest.NONE);
    }

    /**
     * Holds a message because of a policy disposition, with the DSN parameters (RFC 3461) it came with: kept in the
     * record, so that {@link #release} queues it with them and its notices are what the sender asked for.
     *
     * @param envelope the envelope
     * @param content the bytes, stored unchanged
     * @param disposition the decision
     * @param dsn the DSN parameters, {@link DsnRequest#NONE} for none; per-recipient entries (if any) one per envelope
     *     recipient
     * @return the held message
     * @throws IOException if it could not be stored durably; nothing is left behind and the message must not be
     *     acknowledged
     * @throws IllegalArgumentException if {@code dsn} does not fit the envelope's recipients
     */
    public QuarantinedMessage hold(Envelope envelope, MessageContent content, Disposition disposition, DsnRequest dsn)
            throws IOException {
        return hold(envelope, content, disposition, dsn, Optional.empty());
    }

    /**
     * The signature fields a node would have put on top of a held message had it delivered it: its
     * {@code DKIM-Signature} and ARC set, computed over the message with the disposition's header fields added (the
     * node's {@code Authentication-Results}, {@code X-Hygiene-Suspicious}). A release adds the same header fields
     * again and, when the message then comes out as it was signed, these fields on top, so a released message leaves
     * as it would have left (a message of the node's own domain signed, an inbound one sealed).
     *
     * <p>Immutable and thread-safe.
     *
     * @param fields the header fields, each ending in CRLF, printable ASCII (folded)
     * @param sha256 the SHA-256 of the message they were computed over (with the header fields added), 64 lower-case
     *     hexadecimal digits
     */
    public record Signatures(String fields, String sha256) {
        /**
         * Validates the components.
         *
         * @throws NullPointerException if a component is {@code null}
         * @throws IllegalArgumentException if {@code fields} is empty, not ASCII or does not end in CRLF, or
         *     {@code sha256} is not 64 lower-case hexadecimal digits
         */
        public Signatures {
            Objects.requireNonNull(fields, "fields");
            Objects.requireNonNull(sha256, "sha256");
            if (fields.isEmpty() || !fields.endsWith("\r\n") || fields.chars().anyMatch(c -> c > 0x7e)) {
                throw new IllegalArgumentException("signature fields must be ASCII header fields ending in CRLF");
            }
            if (!sha256.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("not a SHA-256 in hexadecimal: " + sha256);
            }
        }
    }

    /**
     * {@link #hold(Envelope, MessageContent, Disposition, DsnRequest)}, keeping also the signatures the node would have
     * put on the message, for its release.
     *
     * @param envelope the envelope
     * @param content the bytes, stored unchanged
     * @param disposition the decision; its header fields are added to the message at release
     * @param dsn the DSN parameters, {@link DsnRequest#NONE} for none
     * @param signatures the signature fields for the release, empty for none
     * @return the held message
     * @throws IOException if it could not be stored durably; nothing is left behind and the message must not be
     *     acknowledged
     * @throws IllegalArgumentException if {@code dsn} does not fit the envelope's recipients
     */
    public QuarantinedMessage hold(
            Envelope envelope,
            MessageContent content,
            Disposition disposition,
            DsnRequest dsn,
            Optional<Signatures> signatures)
            throws IOException {
        Objects.requireNonNull(signatures, "signatures");
        List<String> details = new ArrayList<>();
        for (ScanResult r : disposition.basis()) {
            details.add(describe(r));
        }
        // The message is held as it came; what the node would have added (the auth scanner's Authentication-Results
        // with the failing domain and why) is kept with the record, where hygiene quarantine show prints it.
        for (org.mailhygiene.api.policy.Header h : disposition.headers()) {
            details.add("adds " + h.name() + ": " + h.value());
        }
        return hold(
                envelope,
                content,
                disposition.action().name(),
                disposition.reason(),
                details,
                dsn,
                new Leaving(disposition.headers(), signatures));
    }

    /** The message a release hands over, and what to delete once it is stored. */
    private record Leaves(MessageContent content, Optional<SpooledContent> spooled) implements AutoCloseable {
        @Override
        public void close() {
            spooled.ifPresent(SpooledContent::close);
        }
    }

    /**
     * The message as the node would have delivered it: the held bytes with the header fields the disposition added
     * and, when the result is the message they were computed over, the signatures on top. A message held by an older
     * version, or by hand, leaves as it was held. Before session 37 every released message left without the node's
     * {@code Authentication-Results} and unsigned: a message of the node's own domain then failed its DMARC at the
     * next hop.
     */
    private Leaves leaves(QuarantinedMessage q) throws IOException {
        Leaving leaving;
        try {
            leaving = Leaving.read(
                    RecordCodec.parse(
                            Files.readAllBytes(held.resolve(q.id().value() + META)),
                            held.resolve(q.id().value() + META)),
                    q.id());
        } catch (IOException | RuntimeException e) {
            LOG.warn(
                    "release of {}: its header fields and signatures cannot be read ({}): it leaves as held",
                    q.id(),
                    e.getMessage());
            return new Leaves(q.content(), Optional.empty());
        }
        if (leaving.headers().isEmpty() && leaving.signatures().isEmpty()) {
            return new Leaves(q.content(), Optional.empty());
        }
        if (leaving.headers().isEmpty()) {
            // nothing added: the signatures were computed over the message as it was held
            if (!sha256(q.content()).equals(leaving.signatures().get().sha256())) {
                LOG.warn(
                        "release of {}: the held message {} is not the one signed (changed since the hold): it"
                                + " leaves without the node's signatures",
                        q.id(),
                        q.id().value() + MSG);
                return new Leaves(q.content(), Optional.empty());
            }
            return new Leaves(withFields(leaving.signatures().get(), q.content()), Optional.empty());
        }
        Disposition adds = new Disposition(
                org.mailhygiene.api.policy.Action.ACCEPT,
                new org.mailhygiene.api.policy.SmtpReply(250, "2.0.0", "released"),
                "released",
                Optional.empty(),
                leaving.headers(),
                List.of());
        java.security.MessageDigest sha = sha256();
        SpooledContent tagged;
        try {
            tagged = SpooledContent.write(
                    out -> {
                        try (InputStream in = q.content().openStream()) {
                            MessageTagger.apply(adds, in, new java.security.DigestOutputStream(out, sha));
                        }
                    },
                    1 << 20,
                    tmp);
        } catch (MessageTagger.FieldTooLongException e) {
            // a header field past what the tagger reads: it could never be released otherwise
            LOG.warn("release of {}: header fields not added ({}): it leaves as held", q.id(), e.getMessage());
            return new Leaves(q.content(), Optional.empty());
        }
        if (leaving.signatures().isEmpty()) {
            return new Leaves(tagged, Optional.of(tagged));
        }
        String digest = java.util.HexFormat.of().formatHex(sha.digest());
        if (!digest.equals(leaving.signatures().get().sha256())) {
            LOG.warn(
                    "release of {}: the message came out otherwise than when it was signed (the held message {} or"
                            + " its record changed since the hold, or another version releases it): it leaves"
                            + " without the node's signatures",
                    q.id(),
                    q.id().value() + MSG);
            return new Leaves(tagged, Optional.of(tagged));
        }
        return new Leaves(withFields(leaving.signatures().get(), tagged), Optional.of(tagged));
    }

    /** {@code content} with the signature fields on top. */
    private static MessageContent withFields(Signatures signatures, MessageContent content) {
        byte[] fields = signatures.fields().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        return new MessageContent() {
            @Override
            public long size() {
                return fields.length + content.size();
            }

            @Override
            public InputStream openStream() throws IOException {
                return new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(fields), content.openStream());
            }
        };
    }

    /**
     * The SHA-256 of a message, as {@link Signatures#sha256()} holds it.
     *
     * @param content the message
     * @return 64 lower-case hexadecimal digits
     * @throws IOException if the message cannot be read
     */
    public static String sha256(MessageContent content) throws IOException {
        java.security.MessageDigest sha = sha256();
        try (InputStream in = content.openStream()) {
            byte[] buf = new byte[DurableFiles.bufferFor(content.size() + 1)];
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
        }
        return java.util.HexFormat.of().formatHex(sha.digest());
    }

    /** The SHA-256 of header fields written in ASCII, as the record's {@code signatures} line holds it. */
    private static String sha256(String fields) {
        return java.util.HexFormat.of()
                .formatHex(sha256().digest(fields.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)));
    }

    private static java.security.MessageDigest sha256() {
        try {
            return java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** What a release adds to a held message: the disposition's header fields and the signatures over the result. */
    private record Leaving(List<org.mailhygiene.api.policy.Header> headers, Optional<Signatures> signatures) {
        static final Leaving NOTHING = new Leaving(List.of(), Optional.empty());

        void write(RecordCodec.Writer w) {
            // lines an older version skips: it releases the message as it was held
            for (org.mailhygiene.api.policy.Header h : headers) {
                w.line("add-header", RecordCodec.escape(h.name()), RecordCodec.escape(h.value()));
            }
            // the fields' own SHA-256 last, so a record whose fields were changed (by hand, on a bad disk) never
            // puts a wrong signature on the message; a record of session 37 has no such column
            signatures.ifPresent(
                    sg -> w.line("signatures", RecordCodec.escape(sg.fields()), sg.sha256(), sha256(sg.fields())));
        }

        static Leaving read(RecordCodec.Parsed p, QueueId id) throws IOException {
            List<org.mailhygiene.api.policy.Header> headers = new ArrayList<>();
            for (String[] l : p.all("add-header")) {
                headers.add(
                        new org.mailhygiene.api.policy.Header(RecordCodec.unescape(l[1]), RecordCodec.unescape(l[2])));
            }
            Optional<Signatures> sg = Optional.empty();
            Optional<String[]> l = p.first("signatures");
            if (l.isPresent()) {
                String fields = RecordCodec.unescape(l.get()[1]);
                if (l.get().length > 3 && !l.get()[3].equals(sha256(fields))) {
                    LOG.warn(
                            "release of {}: the signature fields in its record {} are not those the node computed"
                                    + " (changed since the hold): it leaves without the node's signatures",
                            id,
                            id.value() + META);
                } else {
                    sg = Optional.of(new Signatures(fields, l.get()[2]));
                }
            }
            return new Leaving(headers, sg);
        }
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
        return hold(envelope, content, action, reason, details, DsnRequest.NONE);
    }

    /**
     * Holds a message for a reason given directly, with the DSN parameters (RFC 3461) it came with (see
     * {@link #hold(Envelope, MessageContent, Disposition, DsnRequest)}).
     *
     * @param envelope the envelope
     * @param content the bytes, stored unchanged
     * @param action a short label of what put it here, e.g. {@code MANUAL}
     * @param reason a one-line reason
     * @param details further lines; may be empty
     * @param dsn the DSN parameters, {@link DsnRequest#NONE} for none
     * @return the held message
     * @throws IOException if it could not be stored durably; nothing is left behind
     * @throws IllegalArgumentException if {@code dsn} does not fit the envelope's recipients
     */
    public QuarantinedMessage hold(
            Envelope envelope,
            MessageContent content,
            String action,
            String reason,
            List<String> details,
            DsnRequest dsn)
            throws IOException {
        return hold(envelope, content, action, reason, details, dsn, Leaving.NOTHING);
    }

    private QuarantinedMessage hold(
            Envelope envelope,
            MessageContent content,
            String action,
            String reason,
            List<String> details,
            DsnRequest dsn,
            Leaving leaving)
            throws IOException {
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(dsn, "dsn");
        Objects.requireNonNull(content, "content");
        QueueId id = QueueId.generate(clock);
        Path msgTmp = tmp.resolve(id.value() + MSG);
        Path metaTmp = tmp.resolve(id.value() + META);
        Path msg = held.resolve(id.value() + MSG);
        Path meta = held.resolve(id.value() + META);
        long size;
        try (InputStream in = content.openStream()) {
            size = DurableFiles.writeForced(msgTmp, new byte[0], in, content.size(), new byte[0]);
        }
        QuarantinedMessage q =
                new QuarantinedMessage(id, envelope, clock.instant(), action, reason, details, size, msg, dsn);
        try {
            DurableFiles.writeForced(metaTmp, encode(q, leaving));
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
        for (QueueId id : heldIds()) {
            readable(id).ifPresent(out::add);
        }
        return out;
    }

    /**
     * One held message as {@link #list()} reads it: empty (and logged at ERROR) when its record cannot be read.
     *
     * @param id its id
     * @return the message, empty if it is not held (any more) or its record is unreadable
     */
    public Optional<QuarantinedMessage> readable(QueueId id) {
        try {
            return get(id);
        } catch (IOException e) {
            LOG.error("quarantine record {} is unreadable: {}", held.resolve(id.value() + META), e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * The ids of every held message, oldest first: what {@link #list()} holds in memory, without the records, so that a
     * quarantine of very many messages can be gone through one {@link #get} at a time (a message released or deleted
     * meanwhile is then simply not there).
     *
     * @return the ids, sorted
     * @throws IOException if the directory cannot be read
     */
    public List<QueueId> heldIds() throws IOException {
        List<QueueId> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(held, "*" + META)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                String idText = name.substring(0, name.length() - META.length());
                if (QueueId.isValid(idText)) {
                    out.add(new QueueId(idText));
                }
            }
        }
        out.sort(null);
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
        try (Locked l = lock()) {
            Optional<QuarantinedMessage> q = get(id);
            if (q.isEmpty()) {
                return Optional.empty();
            }
            QueuedMessage queued;
            try (Leaves out = leaves(q.get())) {
                queued = spool.store(
                        q.get().envelope(), new byte[0], out.content(), q.get().dsn(), Optional.of(ScanNote.RELEASED));
            }
            deleteLocked(id);
            LOG.info("released {} from quarantine as {}", id, queued.id());
            return Optional.of(queued);
        }
    }

    /**
     * Who released a message, when, and under which spool id; kept in {@code released/} until the retention period
     * has passed.
     *
     * @param id the quarantine id
     * @param releasedBy who released it (e.g. the operating-system user)
     * @param releasedAt when
     * @param queuedAs its id in the spool
     */
    public record Release(QueueId id, String releasedBy, Instant releasedAt, QueueId queuedAs) {
        /**
         * Validates the components.
         *
         * @throws NullPointerException if a component is {@code null}
         */
        public Release {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(releasedBy, "releasedBy");
            Objects.requireNonNull(releasedAt, "releasedAt");
            Objects.requireNonNull(queuedAs, "queuedAs");
        }
    }

    /**
     * Releases a message to the spool of a node that may be running in another process: hands it over through the
     * spool's {@linkplain Incoming incoming directory}, which the node picks up within a second (or at its next
     * start), and records who released it. Safe against a concurrent release or delete of the same message (in this or
     * another process: a lock file serialises them) and against a crash at any step:
     *
     * <ol>
     *   <li>the message is written as a committed spool file into {@code SPOOL/incoming/tmp/} (forced);
     *   <li>a claim {@code held/ID.release} naming releaser, time and spool id is written (forced): from here the
     *       release happens even after a crash, finished by {@link #recoverReleases(Path)};
     *   <li>the spool file moves into {@code SPOOL/incoming/} (the hand-over);
     *   <li>record and claim move to {@code released/}, the held bytes are deleted.
     * </ol>
     *
     * A crash before step 2 leaves the message held (the staged file is removed by the next recovery); after it, the
     * message is handed over exactly once. It is never delivered twice by this tool, and never lost.
     *
     * @param id the held message
     * @param spoolDirectory the node's spool directory ({@code DATA/spool})
     * @param releasedBy who releases it, for the record
     * @return the release record, empty if no such message is held
     * @throws IOException if a step fails; the message is then still held, or its release is recorded and finished
     *     by the next recovery
     */
    public Optional<Release> release(QueueId id, Path spoolDirectory, String releasedBy) throws IOException {
        return release(id, spoolDirectory, releasedBy, m -> {});
    }

    /**
     * Work done on a message that is still held, under the quarantine's lock, just before {@link #release(QueueId,
     * Path, String, BeforeRemoval)} or {@link #delete(QueueId, BeforeRemoval)} removes it: what the administrator's
     * decision teaches a spam classifier, say. Since the lock is held, no concurrent release, delete or expiry of the
     * same quarantine (in this or another process) can take the message in between, so the work is done exactly for
     * the removal that happens, never for one that then finds the message gone.
     */
    @FunctionalInterface
    public interface BeforeRemoval {
        /**
         * Called once with the held message; the lock is held meanwhile, so keep it short.
         *
         * @param message the held message
         * @throws IOException to leave the message held: the release or delete then throws this exception
         */
        void accept(QuarantinedMessage message) throws IOException;
    }

    /**
     * {@link #release(QueueId, Path, String)}, with {@code before} called on the held message under the lock first
     * (not at all when the message is not held).
     *
     * @param id the held message
     * @param spoolDirectory the node's spool directory ({@code DATA/spool})
     * @param releasedBy who releases it, for the record
     * @param before called with the message before anything is written; an exception it throws leaves the message
     *     held and is thrown
     * @return the release record, empty if no such message is held
     * @throws IOException if {@code before} or a step fails; the message is then still held, or its release is
     *     recorded and finished by the next recovery
     */
    public Optional<Release> release(QueueId id, Path spoolDirectory, String releasedBy, BeforeRemoval before)
            throws IOException {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(spoolDirectory, "spoolDirectory");
        Objects.requireNonNull(releasedBy, "releasedBy");
        Objects.requireNonNull(before, "before");
        try (Locked l = lock()) {
            // A full recovery lists all of held/ (two files per held message): once per instance, then only when a
            // release was interrupted (a staged spool file, or a claim of this very message). Before session 39
            // every release listed it: 1,000 ids given to one hygiene quarantine release over 14,000 held messages
            // read 28,000 names 1,000 times.
            if (!recovered
                    || Files.exists(held.resolve(id.value() + CLAIM))
                    || !Incoming.staged(spoolDirectory).isEmpty()) {
                recoverReleasesLocked(spoolDirectory);
            }
            Optional<QuarantinedMessage> q = get(id);
            if (q.isEmpty()) {
                return Optional.empty();
            }
            before.accept(q.get());
            QueueId queuedAs = QueueId.generate(clock);
            try (Leaves out = leaves(q.get())) {
                Incoming.stage(
                        spoolDirectory,
                        queuedAs,
                        q.get().envelope(),
                        out.content(),
                        q.get().dsn(),
                        Optional.of(ScanNote.RELEASED),
                        clock);
            }
            Release r = new Release(id, releasedBy, clock.instant(), queuedAs);
            Path claimTmp = tmp.resolve(id.value() + CLAIM);
            try {
                DurableFiles.writeForced(claimTmp, encodeRelease(r));
                DurableFiles.moveAtomicNoReplace(claimTmp, held.resolve(id.value() + CLAIM));
                sync.sync();
            } catch (IOException | RuntimeException e) {
                DurableFiles.deleteQuietly(claimTmp, e);
                DurableFiles.deleteQuietly(held.resolve(id.value() + CLAIM), e);
                try {
                    Incoming.discardStaged(spoolDirectory, queuedAs);
                } catch (IOException t) {
                    e.addSuppressed(t);
                }
                throw e;
            }
            finishRelease(spoolDirectory, r);
            LOG.info(
                    "released {} from quarantine by {}: handed over to {} as {}",
                    id,
                    releasedBy,
                    spoolDirectory,
                    queuedAs);
            return Optional.of(r);
        }
    }

    /**
     * Finishes releases interrupted by a crash (claims still in {@code held/}) and removes staged spool files that no
     * claim names. The node calls it at start; the first {@link #release(QueueId, Path, String)} of an instance calls it
     * first, and so does every later one that finds a staged spool file or a claim of the message it releases (a
     * release another process left unfinished for another message is then finished by the next command or node
     * start).
     *
     * @param spoolDirectory the node's spool directory
     * @return how many releases were finished
     * @throws IOException if a file cannot be read, moved or deleted
     */
    public int recoverReleases(Path spoolDirectory) throws IOException {
        try (Locked l = lock()) {
            return recoverReleasesLocked(spoolDirectory);
        }
    }

    private int recoverReleasesLocked(Path spoolDirectory) throws IOException {
        claimScans++;
        List<Release> claims = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(held, "*" + CLAIM)) {
            for (Path p : ds) {
                claims.add(decodeRelease(Files.readAllBytes(p), p));
            }
        }
        java.util.Set<QueueId> claimed = new java.util.HashSet<>();
        for (Release r : claims) {
            claimed.add(r.queuedAs());
            finishRelease(spoolDirectory, r);
            LOG.warn("finished the interrupted release of {} (spool id {})", r.id(), r.queuedAs());
        }
        for (QueueId staged : Incoming.staged(spoolDirectory)) {
            if (!claimed.contains(staged)) {
                LOG.warn("removing {} staged in {} by a release that was not recorded", staged, spoolDirectory);
                Incoming.discardStaged(spoolDirectory, staged);
            }
        }
        recovered = true;
        return claims.size();
    }

    private void finishRelease(Path spoolDirectory, Release r) throws IOException {
        Incoming.commit(spoolDirectory, r.queuedAs()); // no-op if done before a crash
        String stem = r.id().value();
        Path meta = held.resolve(stem + META);
        if (Files.exists(meta)) {
            DurableFiles.moveAtomic(meta, released.resolve(stem + META));
        }
        DurableFiles.moveAtomic(held.resolve(stem + CLAIM), released.resolve(stem + CLAIM));
        DurableFiles.forceDirectory(released);
        sync.sync();
        Files.deleteIfExists(held.resolve(stem + MSG));
    }

    /**
     * The release record of a message released earlier (kept until the retention period has passed).
     *
     * @param id the quarantine id
     * @return the record, empty if the message was not released (or its record expired)
     * @throws IOException if the record exists but cannot be read
     */
    public Optional<Release> releaseRecord(QueueId id) throws IOException {
        Path p = released.resolve(id.value() + CLAIM);
        try {
            return Optional.of(decodeRelease(Files.readAllBytes(p), p));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    private static byte[] encodeRelease(Release r) {
        RecordCodec.Writer w = new RecordCodec.Writer();
        w.line("id", r.id().value());
        w.line("released-by", RecordCodec.escape(r.releasedBy()));
        w.line("released-at", r.releasedAt().toString());
        w.line("queued-as", r.queuedAs().value());
        return w.finish();
    }

    private static Release decodeRelease(byte[] bytes, Path source) throws IOException {
        RecordCodec.Parsed p = RecordCodec.parse(bytes, source);
        try {
            return new Release(
                    new QueueId(p.require("id", 2)[1]),
                    RecordCodec.unescape(p.require("released-by", 2)[1]),
                    Instant.parse(p.require("released-at", 2)[1]),
                    new QueueId(p.require("queued-as", 2)[1]));
        } catch (RuntimeException e) {
            throw new IOException(source + ": malformed release record: " + e.getMessage(), e);
        }
    }

    /** The quarantine's lock: this JVM's lock for the directory, then the lock file against other processes. */
    private Locked lock() throws IOException {
        jvmLock.lock();
        java.nio.channels.FileChannel ch = null;
        try {
            ch = java.nio.channels.FileChannel.open(
                    root.resolve("lock"),
                    java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.WRITE);
            java.nio.channels.FileLock fl = ch.lock();
            return new Locked(ch, fl, jvmLock);
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                ch.close();
            }
            jvmLock.unlock();
            throw e;
        }
    }

    private record Locked(
            java.nio.channels.FileChannel channel,
            java.nio.channels.FileLock lock,
            java.util.concurrent.locks.ReentrantLock jvm)
            implements AutoCloseable {
        @Override
        public void close() throws IOException {
            try {
                lock.release();
                channel.close();
            } finally {
                jvm.unlock();
            }
        }
    }

    /**
     * Deletes a held message for good.
     *
     * @param id the message
     * @return {@code true} if it was held
     * @throws IOException if the files cannot be deleted
     */
    public boolean delete(QueueId id) throws IOException {
        try (Locked l = lock()) {
            return deleteLocked(id);
        }
    }

    /**
     * Deletes a held message for good, with {@code before} called on it under the lock first (not at all when it is
     * not held, or is being released).
     *
     * @param id the message
     * @param before called with the message before it is deleted; an exception it throws leaves the message held and
     *     is thrown
     * @return {@code true} if it was held (and is deleted now)
     * @throws IOException if {@code before} fails, the record cannot be read, or the files cannot be deleted
     */
    public boolean delete(QueueId id, BeforeRemoval before) throws IOException {
        Objects.requireNonNull(before, "before");
        try (Locked l = lock()) {
            if (Files.exists(held.resolve(id.value() + CLAIM))) {
                return false; // being released: recoverReleases finishes it
            }
            Optional<QuarantinedMessage> q = get(id);
            if (q.isEmpty()) {
                return false;
            }
            before.accept(q.get());
            return deleteLocked(id);
        }
    }

    /** How many times {@code held/} was listed for the claims of interrupted releases (for tests). */
    int claimScans() {
        return claimScans;
    }

    /** How many times the {@code held/} directory was forced since this instance was built (for tests). */
    long directoryForces() {
        return sync.forces();
    }

    private boolean deleteLocked(QueueId id) throws IOException {
        return !deleteLocked(List.of(id)).isEmpty();
    }

    /**
     * Deletes messages: their records, then (once that removal is durable, by one directory force) their bytes. A
     * message being released is left for {@code recoverReleases} to finish. Called with the lock held.
     *
     * @return the ids whose records were deleted, in the order given
     */
    private List<QueueId> deleteLocked(List<QueueId> ids) throws IOException {
        List<QueueId> deleted = new ArrayList<>();
        try {
            for (QueueId id : ids) {
                if (!Files.exists(held.resolve(id.value() + CLAIM)) // being released: recovery finishes it
                        && Files.deleteIfExists(held.resolve(id.value() + META))) {
                    deleted.add(id);
                }
            }
        } finally {
            if (!deleted.isEmpty()) {
                sync.sync();
                for (QueueId id : deleted) {
                    Files.deleteIfExists(held.resolve(id.value() + MSG));
                }
            }
        }
        return deleted;
    }

    /** How long a held message's bytes without a record are left before expiry takes them for a crashed hold's. */
    static final Duration ORPHAN_AGE = Duration.ofHours(1);

    private static Instant lastModified(Path p) throws IOException {
        try {
            return Files.getLastModifiedTime(p).toInstant();
        } catch (NoSuchFileException e) {
            return Instant.MAX; // gone meanwhile: nothing to delete
        }
    }

    /** How many expired messages {@link #expire()} deletes under one lock and one directory force. */
    static final int EXPIRY_BATCH = 1000;

    /**
     * Deletes every message held at least {@link #retention()} ago (by the clock), and leftover files of incomplete
     * holds (a message's bytes without its record, left alone for an hour by the file's time: a hold in progress
     * renames the bytes into place just before the record). The expired messages are deleted in batches of up to {@value #EXPIRY_BATCH}, each under the lock and with
     * one directory force (their records first, then, once that is durable, their bytes), and the lock is let go
     * between batches, so a release or delete by an administrator waits for one batch, not for the whole expiry. Before
     * session 39 every expired message cost a directory force under a lock held throughout: 12,469 expired messages
     * took 70 s, during which no release could run.
     *
     * @return the ids deleted, oldest first
     * @throws IOException if the directory cannot be read or a file cannot be deleted
     */
    public List<QueueId> expire() throws IOException {
        Instant cutoff = clock.instant().minus(retention);
        List<QueueId> gone = new ArrayList<>();
        List<QueueId> ids = heldIds(); // one record at a time below, as list() would hold them all
        for (int from = 0; from < ids.size(); from += EXPIRY_BATCH) {
            List<QueueId> batch = ids.subList(from, Math.min(ids.size(), from + EXPIRY_BATCH));
            try (Locked l = lock()) {
                expireLocked(batch, cutoff, gone);
            }
        }
        try (Locked l = lock()) {
            expireLeftoversLocked(cutoff);
        }
        return gone;
    }

    /** Deletes the expired messages among {@code batch}: their records, one directory force, then their bytes. */
    private void expireLocked(List<QueueId> batch, Instant cutoff, List<QueueId> gone) throws IOException {
        List<QueueId> expired = new ArrayList<>();
        for (QueueId id : batch) {
            Optional<QuarantinedMessage> q = readable(id);
            if (q.isPresent() && !q.get().quarantinedAt().isAfter(cutoff)) {
                expired.add(id);
            }
        }
        gone.addAll(deleteLocked(expired)); // one directory force for the batch
    }

    private void expireLeftoversLocked(Instant cutoff) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(held, "*" + MSG)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                String stem = name.substring(0, name.length() - MSG.length());
                // a hold renames its .msg into held/ just before its .meta, without the lock: a .msg alone may be a
                // message about to be acknowledged, so only one left alone for an hour is a crashed hold's
                if (!Files.exists(held.resolve(stem + META))
                        && !Files.exists(held.resolve(stem + CLAIM))
                        && lastModified(p).isBefore(clock.instant().minus(ORPHAN_AGE))) {
                    Files.deleteIfExists(p);
                }
            }
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(released, "*" + CLAIM)) {
            for (Path p : ds) {
                Release r;
                try {
                    r = decodeRelease(Files.readAllBytes(p), p);
                } catch (IOException e) {
                    LOG.warn("release record {} is unreadable: {}", p, e.getMessage());
                    continue;
                }
                if (!r.releasedAt().isAfter(cutoff)) {
                    Files.deleteIfExists(released.resolve(r.id().value() + META));
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static byte[] encode(QuarantinedMessage q, Leaving leaving) {
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
        RecordCodec.writeDsn(w, q.dsn()); // lines an older version skips, as in the spool
        leaving.write(w);
        return w.finish();
    }

    private static QuarantinedMessage decode(byte[] bytes, Path source, Path msg) throws IOException {
        RecordCodec.Parsed p = RecordCodec.parse(bytes, source);
        try {
            List<String> details = new ArrayList<>();
            for (String[] l : p.all("detail")) {
                details.add(RecordCodec.unescape(l[1]));
            }
            Envelope envelope = RecordCodec.readEnvelope(p);
            return new QuarantinedMessage(
                    new QueueId(p.require("id", 2)[1]),
                    envelope,
                    Instant.parse(p.require("quarantined", 2)[1]),
                    RecordCodec.unescape(p.require("action", 2)[1]),
                    RecordCodec.unescape(p.require("reason", 2)[1]),
                    details,
                    Long.parseLong(p.require("size", 2)[1]),
                    msg,
                    RecordCodec.readDsn(p, envelope.recipients().size()));
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
            Checks.requirePositive(value, "retention");
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
