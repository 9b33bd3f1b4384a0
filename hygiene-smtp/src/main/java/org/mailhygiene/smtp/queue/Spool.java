package org.mailhygiene.smtp.queue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.MessageContent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's durable message queue: a directory that holds every accepted message until each of its recipients is
 * delivered or bounced.
 *
 * <h2>Durability</h2>
 * {@link #store} returns only when the message is safe: the message bytes and an envelope record are written to
 * temporary files, each is {@link FileChannel#force(boolean) forced}, both are renamed atomically into
 * {@code queue/}, and the {@code queue/} directory is forced. Only then may the server answer 250. The envelope
 * record's rename is the commit point: at {@link #recover()} an envelope record without its message file, or a message
 * file without its envelope record, was never acknowledged and is removed. Recipient outcomes
 * ({@link #update(QueuedMessage)}) replace the envelope record the same way (temporary file, force, atomic rename,
 * directory force), so after a crash a recipient's state is either the old one or the new one; a delivery that
 * succeeded but whose update was lost is repeated (at most the messages in flight are duplicated; none is lost).
 * {@link #complete(QueueId)} deletes the envelope record first, then the message file.
 *
 * <h2>Group commit</h2>
 * With {@link Builder#groupCommit(boolean) group commit}, concurrent callers share directory forces: a caller that
 * finds a force running waits for the next one, which covers every rename made before it started. Each file is still
 * forced by its writer. It is off by default because it did not beat per-message forces in our measurement (ext4's
 * journal already batches concurrent fsyncs, and two of the three forces per store are file forces it cannot share;
 * numbers in benchmarks/README.md).
 *
 * <h2>Layout</h2>
 * {@code DIR/lock} (an exclusive lock held while the spool is open, so two processes cannot share a spool),
 * {@code DIR/tmp/} (files being written; emptied at open), {@code DIR/queue/ID.msg} (the bytes) and
 * {@code DIR/queue/ID.env} (envelope and recipient states, UTF-8 text).
 *
 * <p>Thread-safe: {@link #store} may be called concurrently. Different messages may be updated concurrently; callers
 * must not update or complete the <em>same</em> message from two threads at once (the delivery agent owns a message
 * while it delivers it).
 */
public final class Spool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Spool.class);
    static final String MSG = ".msg";
    static final String ENV = ".env";

    private final Path root;
    private final Path tmp;
    private final Path queue;
    private final Clock clock;
    private final boolean groupCommit;
    private final DirectorySync queueSync;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final AtomicLong tmpCounter = new AtomicLong();
    private volatile boolean closed;

    private Spool(Builder b) throws IOException {
        this.root = b.directory;
        this.clock = b.clock;
        this.groupCommit = b.groupCommit;
        this.tmp = root.resolve("tmp");
        this.queue = root.resolve("queue");
        Files.createDirectories(tmp);
        Files.createDirectories(queue);
        this.lockChannel = FileChannel.open(root.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = lockChannel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lockChannel.close();
            throw new IOException("spool " + root + " is already open in this JVM", e);
        } catch (IOException | RuntimeException e) {
            lockChannel.close();
            throw e;
        }
        if (l == null) {
            lockChannel.close();
            throw new IOException("spool " + root + " is in use by another process");
        }
        this.lock = l;
        this.queueSync = new DirectorySync(queue, groupCommit);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(tmp)) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
            }
        }
        DurableFiles.forceDirectory(root);
    }

    /**
     * Opens (creating if needed) a spool with the defaults: system UTC clock, group commit off.
     *
     * @param directory the spool directory
     * @return the open spool
     * @throws IOException if the directory cannot be created or is locked by another process
     */
    public static Spool open(Path directory) throws IOException {
        return builder(directory).build();
    }

    /**
     * Starts a builder.
     *
     * @param directory the spool directory, created if missing
     * @return a new builder
     */
    public static Builder builder(Path directory) {
        return new Builder(directory);
    }

    /**
     * The spool directory.
     *
     * @return the directory given at open
     */
    public Path directory() {
        return root;
    }

    /**
     * Stores a message durably (see the class description) with every recipient {@link RecipientState.Status#PENDING}.
     *
     * @param envelope the envelope; it must have at least one recipient
     * @param content the bytes to store, unchanged
     * @return the queued message
     * @throws IOException if anything could not be written or forced; nothing is left behind and the message must not
     *     be acknowledged (answer 451 4.3.0)
     * @throws IllegalArgumentException if the envelope has no recipients
     * @throws IllegalStateException if the spool is closed
     */
    public QueuedMessage store(Envelope envelope, MessageContent content) throws IOException {
        return store(envelope, new byte[0], content);
    }

    /**
     * As {@link #store(Envelope, MessageContent)}, with {@code prefix} (for example the relay's own {@code Received}
     * header line, CRLF-terminated) written before the content.
     *
     * @param envelope the envelope; it must have at least one recipient
     * @param prefix bytes to write first; may be empty
     * @param content the bytes to store after the prefix, unchanged
     * @return the queued message; its size is {@code prefix.length + content.size()}
     * @throws IOException if anything could not be written or forced; nothing is left behind
     * @throws IllegalArgumentException if the envelope has no recipients
     * @throws IllegalStateException if the spool is closed
     */
    public QueuedMessage store(Envelope envelope, byte[] prefix, MessageContent content) throws IOException {
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(content, "content");
        if (envelope.recipients().isEmpty()) {
            throw new IllegalArgumentException("a message needs at least one recipient to be queued");
        }
        ensureOpen();
        QueueId id = QueueId.generate(clock);
        Path msgTmp = tmp.resolve(id.value() + MSG);
        Path envTmp = tmp.resolve(id.value() + ENV);
        Path msg = queue.resolve(id.value() + MSG);
        Path env = queue.resolve(id.value() + ENV);
        long size;
        try (InputStream in = content.openStream()) {
            size = DurableFiles.writeForced(msgTmp, prefix, in, new byte[0]);
        }
        long expected = prefix.length + content.size();
        if (size != expected) {
            DurableFiles.deleteQuietly(msgTmp, null);
            throw new IOException("content delivered " + size + " bytes but declared " + expected);
        }
        List<RecipientState> states = new ArrayList<>();
        for (String r : envelope.recipients()) {
            states.add(RecipientState.pending(r));
        }
        QueuedMessage qm = new QueuedMessage(id, envelope, clock.instant(), states, size, msg);
        try {
            DurableFiles.writeForced(envTmp, RecordCodec.encodeQueued(qm));
            DurableFiles.moveAtomicNoReplace(msgTmp, msg);
            DurableFiles.moveAtomicNoReplace(envTmp, env);
            queueSync.sync();
        } catch (IOException | RuntimeException e) {
            DurableFiles.deleteQuietly(env, e);
            DurableFiles.deleteQuietly(msg, e);
            DurableFiles.deleteQuietly(envTmp, e);
            DurableFiles.deleteQuietly(msgTmp, e);
            throw e;
        }
        return qm;
    }

    /**
     * Records new recipient states durably (temporary file, force, atomic rename, directory force).
     *
     * @param message the message with its new states; its id, envelope, size and file must be the spool's
     * @return {@code message}
     * @throws IOException if the record could not be written; the previous states stay in force
     * @throws NoSuchFileException if the message is not (any longer) in the spool
     * @throws IllegalStateException if the spool is closed
     */
    public QueuedMessage update(QueuedMessage message) throws IOException {
        Objects.requireNonNull(message, "message");
        ensureOpen();
        Path env = queue.resolve(message.id().value() + ENV);
        if (!Files.exists(env)) {
            throw new NoSuchFileException(env.toString(), null, "message " + message.id() + " is not in the spool");
        }
        Path envTmp = tmp.resolve(message.id().value() + "." + tmpCounter.incrementAndGet() + ENV);
        try {
            DurableFiles.writeForced(envTmp, RecordCodec.encodeQueued(message));
            DurableFiles.moveAtomic(envTmp, env);
            queueSync.sync();
        } catch (IOException | RuntimeException e) {
            DurableFiles.deleteQuietly(envTmp, e);
            throw e;
        }
        return message;
    }

    /**
     * Removes a message for good: its envelope record first (durably), then its bytes. Call it when every recipient is
     * final and any bounce it needed is itself {@linkplain #store stored}.
     *
     * @param id the message
     * @return {@code true} if the message was in the spool
     * @throws IOException if the record could not be removed durably
     * @throws IllegalStateException if the spool is closed
     */
    public boolean complete(QueueId id) throws IOException {
        Objects.requireNonNull(id, "id");
        ensureOpen();
        Path env = queue.resolve(id.value() + ENV);
        Path msg = queue.resolve(id.value() + MSG);
        boolean existed = Files.deleteIfExists(env);
        queueSync.sync();
        Files.deleteIfExists(msg);
        return existed;
    }

    /**
     * Reads one message's current record.
     *
     * @param id the message
     * @return the message, empty if it is not in the spool
     * @throws IOException if the record exists but cannot be read or parsed
     * @throws IllegalStateException if the spool is closed
     */
    public Optional<QueuedMessage> get(QueueId id) throws IOException {
        ensureOpen();
        Path env = queue.resolve(id.value() + ENV);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(env);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        return Optional.of(RecordCodec.decodeQueued(bytes, env, queue.resolve(id.value() + MSG)));
    }

    /**
     * Lists every message in the spool, in id (arrival) order, after removing what was never committed: message files
     * without an envelope record, envelope records without a message file, and temporary files. Call it at start and
     * hand the result to delivery; a message with no pending recipient still needs its bounce (if any recipient
     * {@link RecipientState.Status#FAILED}) and {@link #complete(QueueId)}.
     *
     * <p>A record that cannot be parsed is not deleted: it is renamed to {@code ID.env.corrupt}, logged, and skipped,
     * so an operator can look at it; its message file is kept too.
     *
     * @return the messages still in the spool
     * @throws IOException if the directory cannot be read
     * @throws IllegalStateException if the spool is closed
     */
    public List<QueuedMessage> recover() throws IOException {
        ensureOpen();
        List<QueuedMessage> out = new ArrayList<>();
        List<Path> orphans = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(queue)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.endsWith(MSG)) {
                    if (!Files.exists(queue.resolve(stem(name) + ENV))
                            && !Files.exists(queue.resolve(stem(name) + ENV + ".corrupt"))) {
                        orphans.add(p);
                    }
                } else if (name.endsWith(ENV)) {
                    Path msg = queue.resolve(stem(name) + MSG);
                    if (!Files.exists(msg)) {
                        orphans.add(p);
                        continue;
                    }
                    try {
                        QueuedMessage m = RecordCodec.decodeQueued(Files.readAllBytes(p), p, msg);
                        if (Files.size(msg) != m.size()) {
                            throw new IOException(msg + " has " + Files.size(msg) + " bytes, record says " + m.size());
                        }
                        out.add(m);
                    } catch (IOException e) {
                        LOG.error("spool record {} is unreadable; moved aside: {}", p, e.getMessage());
                        DurableFiles.moveAtomic(p, queue.resolve(name + ".corrupt"));
                    }
                }
            }
        }
        if (!orphans.isEmpty()) {
            LOG.warn("removing {} uncommitted spool files: {}", orphans.size(), orphans);
            DurableFiles.deleteAll(orphans);
            DurableFiles.forceDirectory(queue);
        }
        out.sort((a, b) -> a.id().compareTo(b.id()));
        return out;
    }

    /**
     * How many messages the spool holds (committed envelope records).
     *
     * @return the count
     * @throws IOException if the directory cannot be read
     */
    public int size() throws IOException {
        int n = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(queue, "*" + ENV)) {
            for (Path ignored : ds) {
                n++;
            }
        }
        return n;
    }

    /**
     * Whether this spool shares directory forces between concurrent callers.
     *
     * @return the group commit setting
     */
    public boolean groupCommit() {
        return groupCommit;
    }

    /**
     * How many times the queue directory was forced since open (for benchmarks: fewer than stores means group commit
     * shared forces).
     *
     * @return the count
     */
    public long directoryForces() {
        return queueSync.forces();
    }

    private static String stem(String name) {
        return name.substring(0, name.length() - 4);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("spool " + root + " is closed");
        }
    }

    /** Releases the spool's lock. Idempotent. Messages stay on disk for the next {@link #open}. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            lock.release();
        } finally {
            lockChannel.close();
        }
    }

    /** Builds a {@link Spool}. Not thread-safe. */
    public static final class Builder {
        private final Path directory;
        private Clock clock = Clock.systemUTC();
        private boolean groupCommit;

        private Builder(Path directory) {
            this.directory = Objects.requireNonNull(directory, "directory");
        }

        /**
         * The clock for queue ids and {@link QueuedMessage#queuedAt()}. Default {@link Clock#systemUTC()}.
         *
         * @param value the clock
         * @return this builder
         */
        public Builder clock(Clock value) {
            clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * Whether concurrent callers share directory forces. Default {@code false} (see the class description).
         * Either way every store is durable before it returns.
         *
         * @param value the setting
         * @return this builder
         */
        public Builder groupCommit(boolean value) {
            groupCommit = value;
            return this;
        }

        /**
         * Opens the spool: creates the directories, takes the lock, empties {@code tmp/}.
         *
         * @return the open spool
         * @throws IOException if the directory cannot be created or is locked by another process or this JVM
         */
        public Spool build() throws IOException {
            return new Spool(this);
        }
    }
}
