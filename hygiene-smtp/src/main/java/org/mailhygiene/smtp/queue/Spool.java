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
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.internal.Durations;
import org.mailhygiene.smtp.dsn.DsnRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's durable message queue: a directory that holds every accepted message until each of its recipients is
 * delivered or bounced.
 *
 * <h2>Durability</h2>
 * Each message is one file, {@code queue/ID.q} (format: {@link SpoolFile}): the envelope record, the message bytes
 * and a commit mark carrying a CRC-32C of everything before it. {@link #store} writes the file and forces it, and
 * returns only when the file and its directory entry are on disk: the server may answer 250. At {@link #recover()} a
 * file without a valid commit mark is moved aside as {@code ID.q.incomplete}, not delivered: it was never acknowledged,
 * unless damage cut a committed file short (see {@link #recover()}); {@link #removeIncomplete(Duration)} deletes such
 * files once they have been set aside long enough for an administrator to look at them.
 *
 * <h2>Spare files</h2>
 * A new file's directory entry needs a directory force of its own (one more disk flush per message). To keep that off
 * the 250's path the spool keeps a few {@linkplain Builder#spareFiles(int) spare files}: empty files with their final
 * names, created ahead of time by a background thread in batches whose directory is forced once per batch. A store
 * takes a spare and needs one file force only (Postfix, the reference, also forces one file per message). When no spare
 * is left (a burst) it creates its file and forces the directory itself. Spare files are empty, so recovery removes
 * those of an earlier run like any file that was never committed; queue ids come from the spare's creation time, so
 * arrival order is kept within the spares but not strictly between spares and files created during a burst.
 *
 * <p>Recipient outcomes ({@link #update(QueuedMessage)}) are appended to the message's file as checksummed records and
 * forced; the last intact one is the message's state, so after a crash a recipient's state is either the old one or
 * the new one. {@link #complete(QueueId)} deletes the file <em>without</em> forcing the directory: if the machine
 * crashes before the deletion reaches the disk, the message comes back at recovery and is delivered again. That is
 * the one duplicate the spool allows (the message was in flight); it never loses an acknowledged message. The delivery
 * agent relies on this to complete a message delivered in one pass with no state update at all.
 *
 * <h2>Group commit</h2>
 * With {@link Builder#groupCommit(boolean) group commit}, concurrent callers share directory forces: a caller that
 * finds a force running waits for the next one, which covers every file created before it started. Each file is
 * still forced by its writer. It is off by default (numbers in benchmarks/README.md).
 *
 * <h2>Recovery cost</h2>
 * {@link #recover()} reads every file whole to check its checksum: its time grows with the bytes queued.
 *
 * <h2>Layout</h2>
 * {@code DIR/lock} (an exclusive lock held while the spool is open, so two processes cannot share a spool) and
 * {@code DIR/queue/ID.q}. Files with other names in {@code queue/} are left alone and logged (a spool written by
 * format 1, with {@code ID.msg} and {@code ID.env} pairs, must be drained by the version that wrote it).
 *
 * <p>Thread-safe: {@link #store} may be called concurrently, also with {@link #recover()} (a file being written is
 * not touched by it). Different messages may be updated concurrently; callers must not update or complete the
 * <em>same</em> message from two threads at once (the delivery agent owns a message while it delivers it).
 */
public final class Spool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Spool.class);
    static final String SUFFIX = ".q";
    /** Appended to the name of a file that ends before its commit mark, which recovery moves aside. */
    static final String INCOMPLETE = ".incomplete";

    private final Path root;
    private final Path queue;
    private final Clock clock;
    private final boolean groupCommit;
    private final DirectorySync queueSync;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Set<QueueId> writing = ConcurrentHashMap.newKeySet();
    private final int spareTarget;
    /** Spare files ready for a store: empty, named, their directory entries forced. */
    private final java.util.concurrent.ConcurrentLinkedQueue<QueueId> spares =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** The same ids as {@link #spares} plus those being created, so recovery and size() leave them alone. */
    private final Set<QueueId> spareIds = ConcurrentHashMap.newKeySet();

    private final Object spareSignal = new Object();
    private final Thread spareMaker;
    private volatile boolean closed;

    private Spool(Builder b) throws IOException {
        this.root = b.directory;
        this.clock = b.clock;
        this.groupCommit = b.groupCommit;
        this.queue = root.resolve("queue");
        Files.createDirectories(queue);
        this.lockChannel = FileChannel.open(root.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = lockChannel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lockChannel.close();
            throw new InUseException("spool " + root + " is already open in this JVM", e);
        } catch (IOException | RuntimeException e) {
            lockChannel.close();
            throw e;
        }
        if (l == null) {
            lockChannel.close();
            throw new InUseException("spool " + root + " is in use by another process", null);
        }
        this.lock = l;
        this.queueSync = new DirectorySync(queue, groupCommit);
        DurableFiles.forceDirectory(root);
        this.spareTarget = b.spareFiles;
        if (spareTarget > 0) {
            try {
                makeSpares(); // the first batch now, so the first messages find spares
            } catch (IOException e) {
                LOG.warn("spool {}: cannot create spare files ({}); stores create their own", root, e.toString());
            }
            spareMaker = new Thread(this::spareLoop, "spool-spares");
            spareMaker.setDaemon(true);
            spareMaker.start();
        } else {
            spareMaker = null;
        }
    }

    /** Tops the spares up to the target: creates the missing files, forces the directory once, then offers them. */
    private void makeSpares() throws IOException {
        int missing = spareTarget - spares.size();
        if (missing <= 0) {
            return;
        }
        List<QueueId> made = new ArrayList<>(missing);
        try {
            for (int i = 0; i < missing && !closed; i++) {
                QueueId id = QueueId.generate(clock);
                spareIds.add(id);
                made.add(id);
                Files.newByteChannel(file(id), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)
                        .close();
            }
            DurableFiles.forceDirectory(queue);
        } catch (IOException | RuntimeException e) {
            for (QueueId id : made) {
                DurableFiles.deleteQuietly(file(id), e);
                spareIds.remove(id);
            }
            throw e;
        }
        spares.addAll(made);
    }

    private void spareLoop() {
        while (!closed) {
            synchronized (spareSignal) {
                while (!closed && spares.size() > spareTarget / 2) {
                    try {
                        spareSignal.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
            if (closed) {
                return;
            }
            try {
                makeSpares();
            } catch (IOException | RuntimeException e) {
                LOG.warn("spool {}: cannot create spare files ({}); retrying in 1 s", root, e.toString());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private QueueId takeSpare() {
        QueueId id = spares.poll();
        if (spareMaker != null && spares.size() <= spareTarget / 2) {
            synchronized (spareSignal) {
                spareSignal.notifyAll();
            }
        }
        return id;
    }

    /**
     * Opens (creating if needed) a spool with the defaults: system UTC clock, group commit off, 64 spare files.
     *
     * @param directory the spool directory
     * @return the open spool
     * @throws InUseException if another spool (of this JVM or another process) has the directory open
     * @throws IOException if the directory cannot be created
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
        return store(envelope, prefix, content, DsnRequest.NONE);
    }

    /**
     * As {@link #store(Envelope, byte[], MessageContent)}, with the DSN parameters (RFC 3461) the message was received
     * with; they are stored with it (see {@link QueuedMessage#dsn()}) in lines a version without DSN support skips.
     *
     * @param envelope the envelope; it must have at least one recipient
     * @param prefix bytes to write first; may be empty
     * @param content the bytes to store after the prefix, unchanged
     * @param dsn the DSN parameters, {@link DsnRequest#NONE} for none; per-recipient entries (if any) one per envelope
     *     recipient, in envelope order
     * @return the queued message; its size is {@code prefix.length + content.size()}
     * @throws IOException if anything could not be written or forced; nothing is left behind
     * @throws IllegalArgumentException if the envelope has no recipients, or {@code dsn} does not match them
     * @throws IllegalStateException if the spool is closed
     */
    public QueuedMessage store(Envelope envelope, byte[] prefix, MessageContent content, DsnRequest dsn)
            throws IOException {
        return store(envelope, prefix, content, dsn, Optional.empty());
    }

    /**
     * As {@link #store(Envelope, byte[], MessageContent, DsnRequest)}, with what the node's log line says of the
     * message's scan ({@link QueuedMessage#scan()}, e.g. {@link ScanNote#of}), kept in the record so that a delivery
     * after a restart still says it instead of {@code verdicts=?}.
     *
     * @param envelope the envelope; it must have at least one recipient
     * @param prefix bytes to write first; may be empty
     * @param content the bytes to store after the prefix, unchanged
     * @param dsn the DSN parameters, {@link DsnRequest#NONE} for none
     * @param scan the scan's log text, empty for none
     * @return the queued message; its size is {@code prefix.length + content.size()}
     * @throws IOException if anything could not be written or forced; nothing is left behind
     * @throws IllegalArgumentException if the envelope has no recipients, or {@code dsn} does not match them
     * @throws IllegalStateException if the spool is closed
     */
    public QueuedMessage store(
            Envelope envelope, byte[] prefix, MessageContent content, DsnRequest dsn, Optional<String> scan)
            throws IOException {
        Objects.requireNonNull(scan, "scan");
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(dsn, "dsn");
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(content, "content");
        if (envelope.recipients().isEmpty()) {
            throw new IllegalArgumentException("a message needs at least one recipient to be queued");
        }
        ensureOpen();
        QueueId spare = takeSpare();
        QueueId id = spare != null ? spare : QueueId.generate(clock);
        writing.add(id);
        if (spare != null) {
            spareIds.remove(spare);
        }
        try {
            return write(id, spare != null, envelope, prefix, content, dsn, scan);
        } finally {
            writing.remove(id);
        }
    }

    /**
     * Writes and forces a new message's file under {@code id} (the caller has marked it as being written): into a
     * spare file whose directory entry was forced when it was made, or a new file whose entry is forced here. A failure
     * leaves nothing behind.
     */
    private QueuedMessage write(
            QueueId id,
            boolean intoSpare,
            Envelope envelope,
            byte[] prefix,
            MessageContent content,
            DsnRequest dsn,
            Optional<String> scan)
            throws IOException {
        Path file = file(id);
        List<RecipientState> states = new ArrayList<>();
        for (String r : envelope.recipients()) {
            states.add(RecipientState.pending(r));
        }
        long size = prefix.length + content.size();
        QueuedMessage draft = new QueuedMessage(
                id, envelope, clock.instant(), states, size, file, 0, dsn, QueuedMessage.Notices.NONE, scan);
        byte[] record = RecordCodec.encodeQueued(draft);
        try (InputStream in = content.openStream()) {
            SpoolFile.write(file, intoSpare, record, size, prefix, in);
            if (!intoSpare) {
                queueSync.sync(); // a new directory entry: force it (a spare's was forced when it was made)
            }
        } catch (IOException | RuntimeException e) {
            DurableFiles.deleteQuietly(file, e);
            throw e;
        }
        return new QueuedMessage(
                id,
                envelope,
                draft.queuedAt(),
                states,
                size,
                file,
                SpoolFile.contentOffset(record.length),
                dsn,
                QueuedMessage.Notices.NONE,
                scan);
    }

    /**
     * Stores a message under an id the caller chose, once: when a committed message with that id is already in the
     * spool, nothing is written. A caller that derives the id from what it reports (the delivery agent derives a
     * bounce's id from the failed message and its recipients) can so repeat a store a crash interrupted without
     * storing the message twice. Durable as {@link #store(Envelope, MessageContent)}; the file is created, so its
     * directory entry is forced too.
     *
     * @param id the id; it must not be one the spool generates (derive it so it cannot collide)
     * @param envelope the envelope; it must have at least one recipient
     * @param content the bytes to store, unchanged
     * @return the queued message, or empty when a message with that id was already stored
     * @throws IOException if anything could not be written or forced; nothing is left behind
     * @throws IllegalArgumentException if the envelope has no recipients
     * @throws IllegalStateException if the spool is closed, or the id is being stored by another call right now
     */
    public Optional<QueuedMessage> storeOnce(QueueId id, Envelope envelope, MessageContent content) throws IOException {
        return storeOnce(id, envelope, content, Optional.empty());
    }

    /**
     * As {@link #storeOnce(QueueId, Envelope, MessageContent)}, with the text the node's log line gives for the
     * message's scan ({@link QueuedMessage#scan()}: {@link ScanNote#BOUNCE} for a bounce the node wrote), kept in its
     * record so that a delivery after a restart still says it.
     *
     * @param id the id; it must not be one the spool generates (derive it so it cannot collide)
     * @param envelope the envelope; it must have at least one recipient
     * @param content the bytes to store, unchanged
     * @param scan the scan's log text, empty for none
     * @return the queued message, or empty when a message with that id was already stored
     * @throws IOException if anything could not be written or forced; nothing is left behind
     * @throws IllegalArgumentException if the envelope has no recipients
     * @throws IllegalStateException if the spool is closed, or the id is being stored by another call right now
     */
    public Optional<QueuedMessage> storeOnce(
            QueueId id, Envelope envelope, MessageContent content, Optional<String> scan) throws IOException {
        Objects.requireNonNull(scan, "scan");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(content, "content");
        if (envelope.recipients().isEmpty()) {
            throw new IllegalArgumentException("a message needs at least one recipient to be queued");
        }
        ensureOpen();
        if (spareIds.contains(id) || !writing.add(id)) {
            throw new IllegalStateException("queue id " + id + " is in use");
        }
        Path file = file(id);
        try {
            if (Files.exists(file)) {
                SpoolFile.Contents c = SpoolFile.read(file);
                if (c != null) {
                    return Optional.empty(); // stored before (and committed)
                }
                Files.delete(file); // a store of it that a crash cut short: never committed
            }
            return Optional.of(write(id, false, envelope, new byte[0], content, DsnRequest.NONE, scan));
        } finally {
            writing.remove(id);
        }
    }

    /**
     * Records new recipient states durably: appends them to the message's file and forces it.
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
        Path file = file(message.id());
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "message " + message.id() + " is not in the spool");
        }
        SpoolFile.append(file, RecordCodec.encodeQueued(message));
        return message;
    }

    /**
     * Removes a message for good by deleting its file. The deletion is not forced (see the class description: after a
     * crash the message may come back and be delivered again). Call it when every recipient is final and any bounce
     * it needed is itself {@linkplain #store stored}.
     *
     * @param id the message
     * @return {@code true} if the message was in the spool
     * @throws IOException if the file could not be deleted
     * @throws IllegalStateException if the spool is closed
     */
    public boolean complete(QueueId id) throws IOException {
        Objects.requireNonNull(id, "id");
        ensureOpen();
        return Files.deleteIfExists(file(id));
    }

    /**
     * Removes a message at an administrator's request ({@code hygiene queue delete}): deletes its file and forces the
     * directory, so that, unlike {@link #complete(QueueId)}, a deleted message does not come back after a crash. The
     * caller must own the message (no delivery of it in progress).
     *
     * @param id the message
     * @return {@code true} if the message was in the spool
     * @throws IOException if the file could not be deleted or the directory not forced (the deletion may then not
     *     survive a crash)
     * @throws IllegalStateException if the spool is closed
     */
    public boolean discard(QueueId id) throws IOException {
        boolean was = discardUnforced(id);
        if (was) {
            forceQueueDirectory();
        }
        return was;
    }

    /**
     * As {@link #discard(QueueId)}, without forcing the directory: for removing many messages at once ({@code hygiene
     * queue delete --all} on a stopped node), which then forces it once per batch. A message removed so may come back
     * after a crash until {@link #forceQueueDirectory()} has returned. The caller must own the message.
     *
     * @param id the message
     * @return {@code true} if the message was in the spool
     * @throws IOException if the file could not be deleted
     * @throws IllegalStateException if the spool is closed
     */
    public boolean discardUnforced(QueueId id) throws IOException {
        Objects.requireNonNull(id, "id");
        ensureOpen();
        return Files.deleteIfExists(file(id));
    }

    /**
     * Forces the queue directory's entries to disk: every removal made before it survives a crash once it returns
     * (see {@link #discardUnforced(QueueId)}). Costs one disk flush (about 2 ms on this project's test machine).
     *
     * @throws IOException if the directory could not be forced
     * @throws IllegalStateException if the spool is closed
     */
    public void forceQueueDirectory() throws IOException {
        ensureOpen();
        DurableFiles.forceDirectory(queue);
    }

    /**
     * Whether a message's file is there but was never committed: it ends before its commit mark (a receipt a crash cut
     * short, never acknowledged with 250, or a committed file damage cut short), so {@link #get} does not find it and
     * {@link #recover()} would set it aside as {@code ID.q.incomplete}. A file being stored right now and an empty
     * spare file are not.
     *
     * @param id the message
     * @return {@code true} for such a file
     * @throws IOException if the file exists but cannot be read
     * @throws IllegalStateException if the spool is closed
     */
    public boolean isUncommitted(QueueId id) throws IOException {
        ensureOpen();
        if (writing.contains(id) || spareIds.contains(id)) {
            return false;
        }
        Path p = file(id);
        try {
            return SpoolFile.read(p) == null && Files.size(p) > 0;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /**
     * Removes a file {@link #isUncommitted} says was never committed, at an administrator's request ({@code hygiene
     * queue delete} on a stopped node), and forces the directory, as {@link #discard} does.
     *
     * @param id the message
     * @return {@code true} if such a file was removed; {@code false} if there was none (or it is committed)
     * @throws IOException if it could not be deleted or the directory not forced
     * @throws IllegalStateException if the spool is closed
     */
    public boolean discardUncommitted(QueueId id) throws IOException {
        if (!isUncommitted(id)) {
            return false;
        }
        boolean was = Files.deleteIfExists(file(id));
        if (was) {
            DurableFiles.forceDirectory(queue);
        }
        return was;
    }

    /**
     * Removes a message's file that {@link #get} cannot read (not a spool file, a checksum that no longer matches, a
     * record that does not parse), at an administrator's request ({@code hygiene queue delete} on a stopped node, of a
     * file {@code hygiene queue list} shows as damaged), and forces the directory, as {@link #discard} does. A file
     * that reads, one being stored, a spare and a missing one are left alone, and so is one the process may not read.
     *
     * @param id the message
     * @return {@code true} if such a file was removed
     * @throws IOException if it could not be deleted or the directory not forced
     * @throws IllegalStateException if the spool is closed
     */
    public boolean discardUnreadable(QueueId id) throws IOException {
        ensureOpen();
        if (writing.contains(id) || spareIds.contains(id)) {
            return false;
        }
        try {
            get(id);
            return false;
        } catch (NoSuchFileException | java.nio.file.AccessDeniedException e) {
            return false;
        } catch (IOException e) {
            // damaged: removed below
        }
        boolean was = Files.deleteIfExists(file(id));
        if (was) {
            LOG.warn("spool file {} deleted by the administrator: it could not be read", file(id));
            DurableFiles.forceDirectory(queue);
        }
        return was;
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
        return get(id, true);
    }

    /**
     * Reads one message's current record, reading its message to verify the file's checksum or not. Without verifying,
     * only the envelope record (with its own checksum), the commit mark and the updates are read, a few kilobytes
     * whatever the message's size (see {@link #inspect(Path, boolean, Consumer, Consumer)}): for an administrator's
     * action that does not need the message, such as removing or holding every queued message of a stopped node.
     *
     * @param id the message
     * @param verify whether to read the message and verify its checksum
     * @return the message, empty if it is not in the spool
     * @throws IOException if the record exists but cannot be read or parsed, or (when verifying) the checksum does not
     *     match
     * @throws IllegalStateException if the spool is closed
     */
    public Optional<QueuedMessage> get(QueueId id, boolean verify) throws IOException {
        ensureOpen();
        Path file = file(id);
        SpoolFile.Contents c;
        try {
            c = SpoolFile.read(file, verify);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (c == null) {
            return Optional.empty(); // being written, or never committed
        }
        return Optional.of(decode(c, file));
    }

    /** Whether a file is empty (a spare never used); a file that vanished meanwhile counts as not empty. */
    private static boolean isEmpty(Path p) {
        try {
            return Files.size(p) == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Lists every message in the spool, in id (arrival) order, after removing files that were never committed (no or
     * a bad commit mark) and cutting torn updates off the end of the others. Call it at start and hand the result to
     * delivery; a message with no pending recipient still needs its bounce (if any recipient
     * {@link RecipientState.Status#FAILED}) and {@link #complete(QueueId)}. Files being stored at the time are skipped.
     *
     * <p>A committed file whose record cannot be parsed is not deleted: it is renamed to {@code ID.q.corrupt}, logged,
     * and skipped, so an operator can look at it. A file that ends before its commit mark is not deleted either: it is
     * renamed to {@code ID.q.incomplete}, dated now and logged. A crash while a message was received leaves such a
     * file (never acknowledged with 250), but so does damage that cut a committed file short, and the two cannot be
     * told apart: it is kept for an administrator to look at, and {@link #removeIncomplete(Duration)} deletes it later.
     *
     * @return the messages still in the spool
     * @throws IOException if the directory cannot be read
     * @throws IllegalStateException if the spool is closed
     */
    public List<QueuedMessage> recover() throws IOException {
        ensureOpen();
        List<QueuedMessage> out = new ArrayList<>();
        List<Path> uncommitted = new ArrayList<>();
        List<Path> leftoverSpares = new ArrayList<>();
        List<Path> unknown = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(queue)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (!name.endsWith(SUFFIX)) {
                    if (!name.endsWith(SUFFIX + ".corrupt") && !name.endsWith(SUFFIX + INCOMPLETE)) {
                        unknown.add(p);
                    }
                    continue;
                }
                QueueId id;
                try {
                    id = new QueueId(name.substring(0, name.length() - SUFFIX.length()));
                } catch (IllegalArgumentException e) {
                    unknown.add(p);
                    continue;
                }
                if (writing.contains(id) || spareIds.contains(id)) {
                    continue;
                }
                SpoolFile.Contents c;
                try {
                    c = SpoolFile.read(p);
                } catch (NoSuchFileException e) {
                    continue; // completed meanwhile
                } catch (IOException e) {
                    moveAside(p, e);
                    continue;
                }
                if (c == null) {
                    if (!writing.contains(id)) {
                        if (isEmpty(p)) {
                            leftoverSpares.add(p);
                        } else {
                            uncommitted.add(p);
                        }
                    }
                    continue;
                }
                try {
                    QueuedMessage m = decode(c, p);
                    if (c.validEnd() < c.fileLength()) {
                        LOG.warn("spool file {}: cutting a torn update ({} bytes)", p, c.fileLength() - c.validEnd());
                        SpoolFile.truncate(p, c.validEnd());
                    }
                    out.add(m);
                } catch (IOException e) {
                    moveAside(p, e);
                }
            }
        }
        if (!unknown.isEmpty()) {
            LOG.warn("spool {} holds files it does not own; left alone: {}", queue, unknown);
        }
        if (!leftoverSpares.isEmpty()) {
            // an earlier run's spare files, empty and never used: no message is in them
            LOG.info("removing {} empty spare files of an earlier run", leftoverSpares.size());
            DurableFiles.deleteAll(leftoverSpares);
        }
        if (!uncommitted.isEmpty()) {
            // Most are messages whose data was cut off by a crash while they were stored (never acknowledged with 250:
            // the client still has them and sends them again). But a committed file that lost its end afterwards (cut
            // short by damage) looks the same, and that message was acknowledged: so none is deleted here.
            List<Path> kept = new ArrayList<>();
            for (Path p : uncommitted) {
                Path aside = p.resolveSibling(p.getFileName() + INCOMPLETE);
                DurableFiles.moveAtomic(p, aside);
                markSetAside(aside);
                kept.add(aside);
            }
            LOG.warn(
                    "spool {}: {} spool files end before their commit mark, moved aside as *{}: {} (a crash while a"
                            + " message was received, never acknowledged with 250, leaves such a file; so does damage"
                            + " that cut a committed file short: inspect them, then delete them; the node deletes"
                            + " them itself once they are older than its incomplete-retention)",
                    queue,
                    kept.size(),
                    INCOMPLETE,
                    kept);
        }
        if (!leftoverSpares.isEmpty() || !uncommitted.isEmpty()) {
            DurableFiles.forceDirectory(queue);
        }
        out.sort((a, b) -> a.id().compareTo(b.id()));
        return out;
    }

    /**
     * Dates a file recovery just set aside as {@code ID.q.incomplete} to now, so that
     * {@link #removeIncomplete(Duration)} counts its age from the moment it was set aside (and named in the log), not
     * from its last write, which may be long before a node that was down starts again. A failure is logged: the file
     * then keeps its older date.
     */
    private void markSetAside(Path aside) {
        try {
            Files.setLastModifiedTime(aside, FileTime.from(clock.instant()));
        } catch (IOException e) {
            LOG.warn(
                    "spool file {}: cannot set its date to now ({}); its age counts from its last write",
                    aside,
                    e.toString());
        }
    }

    /**
     * Deletes the files {@link #recover()} set aside as {@code ID.q.incomplete} (files that end before their commit
     * mark) once they are older than {@code retention}: their modification time, which recovery sets to the moment it
     * set them aside, is at least {@code retention} before the clock's now (a file set aside by a version that did not
     * date it keeps the date of its last write). Only names recovery gives are deleted ({@code ID.q.incomplete} with a
     * well-formed {@link QueueId}: an administrator's copy under another name stays); a symbolic link or a directory
     * of that name is left alone. Each deletion is logged at WARN with the file's name, size and date. {@code ID.q.corrupt} files (committed, so acknowledged with 250, but unreadable) are
     * never deleted, and neither is any file a store is writing: those are named {@code ID.q}, never
     * {@code .incomplete}, which only recovery gives to a file no store is writing. The node calls this at start,
     * after recovery, and then every hour. Thread-safe; may run concurrently with stores and deliveries.
     *
     * @param retention how long a set-aside file is kept; positive
     * @return the files deleted, in name order; empty when none was old enough
     * @throws IOException if the queue directory cannot be read (a file that cannot be deleted is logged and skipped)
     * @throws IllegalArgumentException if {@code retention} is not positive
     * @throws IllegalStateException if the spool is closed
     */
    public List<Path> removeIncomplete(Duration retention) throws IOException {
        Objects.requireNonNull(retention, "retention");
        if (retention.isNegative() || retention.isZero()) {
            throw new IllegalArgumentException("retention must be positive, was " + retention);
        }
        ensureOpen();
        java.time.Instant cutoff = clock.instant().minus(retention);
        List<Path> candidates = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(queue, "*" + SUFFIX + INCOMPLETE)) {
            for (Path p : ds) {
                // only a name recovery gives (ID.q.incomplete): an administrator's copy under another name stays
                String name = p.getFileName().toString();
                if (QueueId.isValid(name.substring(0, name.length() - SUFFIX.length() - INCOMPLETE.length()))) {
                    candidates.add(p);
                }
            }
        }
        candidates.sort(null);
        List<Path> removed = new ArrayList<>();
        for (Path p : candidates) {
            try {
                java.nio.file.attribute.BasicFileAttributes a = Files.readAttributes(
                        p, java.nio.file.attribute.BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                if (!a.isRegularFile() || a.lastModifiedTime().toInstant().isAfter(cutoff)) {
                    continue;
                }
                Files.delete(p);
                removed.add(p);
                LOG.warn(
                        "spool {}: deleted {} ({} bytes, dated {}): set aside longer ago than the"
                                + " incomplete-retention of {}",
                        queue,
                        p.getFileName(),
                        a.size(),
                        a.lastModifiedTime(),
                        Durations.format(retention));
            } catch (NoSuchFileException e) {
                // deleted meanwhile (by an administrator)
            } catch (IOException e) {
                LOG.warn("spool {}: cannot delete {}: {}", queue, p.getFileName(), e.toString());
            }
        }
        return removed;
    }

    /**
     * Removes a file handed over through {@link Incoming} and not picked up yet that holds no message {@link
     * #pickUpIncoming} would take (not a spool file, a checksum or record that does not read, no commit mark), at an
     * administrator's request ({@code hygiene queue delete} on a stopped node, of a file {@code hygiene queue list} shows
     * as damaged), and forces the directory. Call it before {@link #pickUpIncoming}, which would set the file aside
     * instead. A file that reads, a missing one and one the process may not read are left alone. A file in {@code
     * incoming/} is whole once there (it is written under {@code incoming/tmp/} and moved in), so one without its commit
     * mark is damaged, not being written.
     *
     * @param id the message
     * @return why the removed file could not be read (its message names the file), empty if nothing was removed
     * @throws IOException if it could not be deleted or the directory not forced
     * @throws IllegalStateException if the spool is closed
     */
    public synchronized Optional<IOException> discardUnreadableHandedOver(QueueId id) throws IOException {
        ensureOpen();
        Path in = Incoming.directory(root);
        Path f = in.resolve(id.value() + SUFFIX);
        IOException why;
        try {
            SpoolFile.Contents c = SpoolFile.read(f);
            if (c != null) {
                decode(c, f);
                return Optional.empty();
            }
            if (Files.size(f) == 0) {
                return Optional.empty();
            }
            why = new IOException(f + " is not a committed spool file (it ends before its commit mark)");
        } catch (NoSuchFileException | java.nio.file.AccessDeniedException e) {
            return Optional.empty();
        } catch (IOException e) {
            why = e;
        }
        if (!Files.deleteIfExists(f)) {
            return Optional.empty();
        }
        LOG.warn("handed-over spool file {} deleted by the administrator: it could not be read", f);
        DurableFiles.forceDirectory(in);
        return Optional.of(why);
    }

    /**
     * Moves messages handed over through {@link Incoming} (by another process, e.g. a quarantine release) into the
     * queue and returns them, for delivery. Call it at start before {@link #recover()} and then from one thread only:
     * the node does so every second. Each file is linked into {@code queue/}, the queue directory is forced, and only
     * then is the incoming name removed, so a crash leaves the message in one place or (between the two) in both under
     * the same name, which the next call resolves without a second copy. An incoming file that is not a committed
     * spool file is renamed to {@code ID.q.corrupt} and logged.
     *
     * @return the messages moved into the queue, in id order
     * @throws IOException if the directories cannot be read or forced
     * @throws IllegalStateException if the spool is closed
     */
    public synchronized List<QueuedMessage> pickUpIncoming() throws IOException {
        ensureOpen();
        Path in = Incoming.directory(root);
        List<QueuedMessage> out = new ArrayList<>();
        List<Path> done = new ArrayList<>();
        for (QueueId id : Incoming.ids(in)) {
            Path src = in.resolve(id.value() + SUFFIX);
            SpoolFile.Contents c;
            try {
                c = SpoolFile.read(src);
            } catch (NoSuchFileException e) {
                continue;
            } catch (IOException e) {
                moveAside(src, e);
                continue;
            }
            if (c == null) {
                moveAside(src, new IOException("not a committed spool file"));
                continue;
            }
            Path dst = file(id);
            boolean already = Files.exists(dst);
            QueuedMessage m;
            try {
                m = decode(c, dst);
            } catch (IOException e) {
                moveAside(src, e);
                continue;
            }
            if (!already && Incoming.link(src, dst)) {
                out.add(m);
            }
            done.add(src);
        }
        if (!done.isEmpty()) {
            DurableFiles.forceDirectory(queue);
            DurableFiles.deleteAll(done);
            DurableFiles.forceDirectory(in);
            LOG.info(
                    "spool {}: picked up {} handed-over messages: {}",
                    root,
                    out.size(),
                    QueueId.forLog(out.stream().map(QueuedMessage::id).toList()));
        }
        return out;
    }

    /**
     * Reads a spool's messages without opening it (no lock, nothing changed), for {@code hygiene queue list} while the
     * node runs: every committed file in {@code queue/} and in {@code incoming/} (handed over, not yet picked up).
     * Files being written, spare files and damaged files are skipped. Holds every message in memory: a list of a large
     * queue uses {@link #inspect(Path, Consumer, Consumer)}.
     *
     * @param spoolDirectory the spool's directory
     * @return the messages in id order, each with its latest recipient states
     * @throws IOException if {@code spoolDirectory/queue} cannot be read
     */
    public static List<QueuedMessage> inspect(Path spoolDirectory) throws IOException {
        List<QueuedMessage> out = new ArrayList<>();
        inspect(spoolDirectory, out::add, d -> {});
        return out;
    }

    /**
     * How long after its last write a file that ends before its commit mark is taken for one being stored at the
     * moment by {@link #inspect(Path, Consumer, Consumer)}, not for a damaged one. A store writes a whole message
     * received before it starts, so it lasts well under this.
     */
    static final Duration STORING = Duration.ofMinutes(1);

    /**
     * Reads a spool's messages one at a time without opening it (no lock, nothing changed), for {@code hygiene queue
     * list}, running node or not: every file in {@code queue/} and in {@code incoming/} (handed over, not yet picked
     * up), in id order, which is arrival order. Only the file names are held in memory (to order them, about a hundred
     * bytes per message); each message is handed to {@code messages} as soon as it is read and not kept, so memory does
     * not grow with the messages' size or number of recipients, and the first message comes as soon as the directories
     * are listed.
     *
     * <p>A file that holds no message the node delivers, and that the node's recovery has not set aside yet, is handed
     * to {@code damaged} in its place in the order: a file that is not a spool file, whose checksum or record does not
     * read, or that ends before its commit mark (a crash while it was stored, or a committed file cut short) and was
     * last written {@link #STORING} ago or more; one written to since then is taken for a store in progress and skipped,
     * as are empty (spare) files and files deleted while the listing runs.
     *
     * @param spoolDirectory the spool's directory
     * @param messages receives each message, with its latest recipient states
     * @param damaged receives each damaged file
     * @throws IOException if {@code spoolDirectory/queue} cannot be read, or a spool file cannot be read for lack of
     *     permission (every file would look damaged)
     */
    public static void inspect(
            Path spoolDirectory, Consumer<QueuedMessage> messages, Consumer<DamagedSpoolFile> damaged)
            throws IOException {
        inspect(spoolDirectory, true, messages, damaged);
    }

    /**
     * As {@link #inspect(Path, Consumer, Consumer)}, reading every message's bytes to verify its checksum or not.
     * Without verifying, each file's header, envelope record, commit mark and updates are read, never the message
     * itself: a few kilobytes per file whatever the messages' size (a queue of 2,000 messages of 1 MB was 2 GB to read
     * before {@code hygiene queue list} printed its last line). A file damaged inside its message after it was committed
     * then lists as a message; it is found by a verifying listing ({@code hygiene queue list --verify}) and by the
     * node's recovery at its next start, which sets it aside.
     *
     * @param spoolDirectory the spool's directory
     * @param verify whether to read each message and verify its checksum
     * @param messages receives each message, with its latest recipient states
     * @param damaged receives each damaged file
     * @throws IOException as {@link #inspect(Path, Consumer, Consumer)}
     */
    public static void inspect(
            Path spoolDirectory, boolean verify, Consumer<QueuedMessage> messages, Consumer<DamagedSpoolFile> damaged)
            throws IOException {
        Objects.requireNonNull(messages, "messages");
        Objects.requireNonNull(damaged, "damaged");
        Path queued = spoolDirectory.resolve("queue");
        Path handed = Incoming.directory(spoolDirectory);
        List<QueueId> inQueue = Incoming.ids(queued);
        List<QueueId> inHanded = Incoming.ids(handed);
        java.time.Instant storingSince = java.time.Instant.now().minus(STORING);
        int i = 0;
        int j = 0;
        while (i < inQueue.size() || j < inHanded.size()) {
            boolean fromQueue = j >= inHanded.size()
                    || (i < inQueue.size() && inQueue.get(i).compareTo(inHanded.get(j)) <= 0);
            QueueId id = fromQueue ? inQueue.get(i++) : inHanded.get(j++);
            inspectOne(
                    (fromQueue ? queued : handed).resolve(id.value() + SUFFIX),
                    id,
                    storingSince,
                    verify,
                    messages,
                    damaged);
        }
    }

    private static void inspectOne(
            Path f,
            QueueId id,
            java.time.Instant storingSince,
            boolean verify,
            Consumer<QueuedMessage> messages,
            Consumer<DamagedSpoolFile> damaged)
            throws IOException {
        try {
            SpoolFile.Contents c = SpoolFile.read(f, verify);
            if (c != null) {
                QueuedMessage m;
                try {
                    m = decode(c, f);
                } catch (IOException e) {
                    damaged.accept(new DamagedSpoolFile(id, f, c.fileLength(), withoutPath(e, f)));
                    return;
                }
                messages.accept(m);
                return;
            }
            BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
            if (a.size() > 0 && a.lastModifiedTime().toInstant().isBefore(storingSince)) {
                damaged.accept(new DamagedSpoolFile(
                        id,
                        f,
                        a.size(),
                        "ends before its commit mark (a receipt a crash cut short, never acknowledged with 250, or a"
                                + " damaged file)"));
            }
        } catch (NoSuchFileException e) {
            // delivered meanwhile
        } catch (java.nio.file.AccessDeniedException e) {
            throw e;
        } catch (IOException e) {
            long size;
            try {
                size = Files.size(f);
            } catch (IOException gone) {
                return; // deleted meanwhile (or unreadable with its directory): nothing to name
            }
            damaged.accept(new DamagedSpoolFile(id, f, size, withoutPath(e, f)));
        }
    }

    /** An exception's message without the file's name in front, which a damaged file's line names already. */
    private static String withoutPath(IOException e, Path f) {
        String text = String.valueOf(e.getMessage());
        String name = f.toString();
        if (text.startsWith(name) && text.length() > name.length() + 1) {
            text = text.substring(name.length() + (text.charAt(name.length()) == ':' ? 1 : 0))
                    .strip();
        }
        return text;
    }

    /**
     * The files a spool's recovery moved aside and does not deliver ({@code ID.q.corrupt}: a committed record that
     * could not be read; {@code ID.q.incomplete}: a file that ends before its commit mark), for an administrator to
     * inspect and delete: {@code hygiene queue list} names them. Those of {@code queue/} come first, then the handed-over
     * files {@link #pickUpIncoming} set aside in {@code incoming/} (until session 50 these were named nowhere). Read
     * without opening the spool; thread-safe.
     *
     * @param spoolDirectory the spool's directory
     * @return the files, each directory's in name order, empty when there are none (or no {@code queue/} yet)
     * @throws IOException if {@code spoolDirectory/queue} or {@code spoolDirectory/incoming} exists but cannot be read
     */
    public static List<Path> setAside(Path spoolDirectory) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path dir : List.of(spoolDirectory.resolve("queue"), Incoming.directory(spoolDirectory))) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (java.util.stream.Stream<Path> files = Files.list(dir)) {
                files.filter(f -> {
                            String n = f.getFileName().toString();
                            return n.endsWith(SUFFIX + ".corrupt") || n.endsWith(SUFFIX + INCOMPLETE);
                        })
                        .sorted()
                        .forEach(out::add);
            }
        }
        return out;
    }

    /**
     * Asks the process that owns a spool to retry every deferred message now ({@code hygiene queue flush}): creates
     * the file {@code flush} in the spool directory. The node looks for it every second (and at start).
     *
     * @param spoolDirectory the spool's directory
     * @throws IOException if the file cannot be created
     */
    public static void requestFlush(Path spoolDirectory) throws IOException {
        Path f = spoolDirectory.resolve("flush");
        try {
            Files.createFile(f);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // already requested
        }
    }

    /**
     * Takes a flush request made by {@link #requestFlush(Path)}, if there is one.
     *
     * @return {@code true} if a request was there (it is removed)
     * @throws IOException if the file cannot be removed
     */
    public boolean takeFlushRequest() throws IOException {
        return Files.deleteIfExists(root.resolve("flush"));
    }

    private void moveAside(Path p, IOException e) throws IOException {
        LOG.error("spool file {} is unreadable; moved aside: {}", p, e.getMessage());
        DurableFiles.moveAtomic(p, p.resolveSibling(p.getFileName() + ".corrupt"));
    }

    private static QueuedMessage decode(SpoolFile.Contents c, Path file) throws IOException {
        QueuedMessage m = RecordCodec.decodeQueued(c.record(), file, file, c.contentOffset());
        if (m.size() != c.contentLength()) {
            throw new IOException(file + " holds " + c.contentLength() + " message bytes, its record says " + m.size());
        }
        return m;
    }

    private Path file(QueueId id) {
        return queue.resolve(id.value() + SUFFIX);
    }

    /**
     * How many messages the spool holds: its message files, including any being stored at the moment (spare files
     * are not messages and are not counted).
     *
     * @return the count
     * @throws IOException if the directory cannot be read
     */
    public int size() throws IOException {
        int n = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(queue, "*" + SUFFIX)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                String stem = name.substring(0, name.length() - SUFFIX.length());
                boolean spare;
                try {
                    spare = spareIds.contains(new QueueId(stem));
                } catch (IllegalArgumentException e) {
                    spare = false;
                }
                if (!spare) {
                    n++;
                }
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
        if (spareMaker != null) {
            synchronized (spareSignal) {
                spareSignal.notifyAll();
            }
            try {
                spareMaker.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        QueueId id;
        while ((id = spares.poll()) != null) {
            try {
                Files.deleteIfExists(file(id)); // unused spares; the next recovery would remove them anyway
            } catch (IOException e) {
                LOG.debug("cannot remove spare file {}: {}", file(id), e.toString());
            }
            spareIds.remove(id);
        }
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
        private int spareFiles = 64;

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
         * How many spare files the spool keeps ready (see the class description). Default 64; 0 turns them off, so
         * every store creates its file and forces the directory.
         *
         * @param value 0 to 10,000
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder spareFiles(int value) {
            if (value < 0 || value > 10_000) {
                throw new IllegalArgumentException("spareFiles must be 0..10000, was " + value);
            }
            spareFiles = value;
            return this;
        }

        /**
         * Opens the spool: creates the directories, takes the lock and makes the first spare files.
         *
         * @return the open spool
         * @throws IOException if the directory cannot be created or is locked by another process or this JVM
         */
        public Spool build() throws IOException {
            return new Spool(this);
        }
    }

    /**
     * The spool directory is locked by another open spool, of this JVM or another process: two nodes were given one
     * data directory. A subclass of {@link IOException}, so callers that catch that still do; a caller that knows
     * which setting named the directory can say so.
     */
    public static final class InUseException extends IOException {
        private static final long serialVersionUID = 1L;

        /**
         * A new exception.
         *
         * @param message what is in use
         * @param cause the underlying exception, or {@code null}
         */
        public InUseException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
