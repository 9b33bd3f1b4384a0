package org.mailhygiene.smtp.queue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.internal.IoErrors;
import org.mailhygiene.internal.ReadFailureInputStream;
import org.mailhygiene.smtp.dsn.DsnRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hand-over of a message into a spool from outside the process that owns it (for example
 * {@code hygiene quarantine release} while the node runs): complete, committed spool files are written to
 * {@code SPOOL/incoming/tmp/}, moved into {@code SPOOL/incoming/} in one step, and the spool's owner moves them into
 * its queue ({@link Spool#pickUpIncoming()}).
 *
 * <p>Every move is a hard link followed by an unlink, so a name is never replaced: a message committed twice, or picked
 * up twice after a crash between the link and the unlink, stays one file. The spool's owner picks up incoming files at
 * start, before delivery begins, and then from one thread only; a crash at any step leaves the message in exactly one
 * of {@code incoming/tmp/} (not yet handed over), {@code incoming/} or {@code queue/}.
 *
 * <p>Stateless; the file system is the state.
 */
public final class Incoming {
    private static final Logger LOG = LoggerFactory.getLogger(Incoming.class);

    private Incoming() {}

    /**
     * The hand-over directory of a spool.
     *
     * @param spoolDirectory the spool's directory ({@code DATA/spool})
     * @return {@code spoolDirectory/incoming}
     */
    public static Path directory(Path spoolDirectory) {
        return spoolDirectory.resolve("incoming");
    }

    static Path staging(Path spoolDirectory) {
        return directory(spoolDirectory).resolve("tmp");
    }

    /**
     * Writes a committed spool file for a message into {@code incoming/tmp/ID.q} and forces it and its directory. It
     * is not handed over until {@link #commit}.
     *
     * @param spoolDirectory the spool's directory
     * @param id the id the message will have in the spool
     * @param envelope the envelope; at least one recipient
     * @param content the message bytes
     * @param clock the clock for the queued time
     * @return the staged file
     * @throws IOException if it cannot be written; nothing is left behind
     */
    public static Path stage(Path spoolDirectory, QueueId id, Envelope envelope, MessageContent content, Clock clock)
            throws IOException {
        return stage(spoolDirectory, id, envelope, content, DsnRequest.NONE, clock);
    }

    /**
     * Writes a committed spool file for a message with its DSN parameters (RFC 3461) into {@code incoming/tmp/ID.q},
     * as {@link #stage(Path, QueueId, Envelope, MessageContent, Clock)} does.
     *
     * @param spoolDirectory the spool's directory
     * @param id the id the message will have in the spool
     * @param envelope the envelope; at least one recipient
     * @param content the message bytes
     * @param dsn the DSN parameters, {@link DsnRequest#NONE} for none; per-recipient entries (if any) one per envelope
     *     recipient
     * @param clock the clock for the queued time
     * @return the staged file
     * @throws IOException if it cannot be written (naming the staged file); nothing is left behind
     * @throws IllegalArgumentException if {@code dsn} does not fit the envelope's recipients
     */
    public static Path stage(
            Path spoolDirectory, QueueId id, Envelope envelope, MessageContent content, DsnRequest dsn, Clock clock)
            throws IOException {
        return stage(spoolDirectory, id, envelope, content, dsn, Optional.empty(), clock);
    }

    /**
     * As {@link #stage(Path, QueueId, Envelope, MessageContent, DsnRequest, Clock)}, with the text the node's log
     * line gives for the message's scan ({@link QueuedMessage#scan()}; {@link ScanNote#RELEASED} for a release), kept
     * in its record so that a delivery after a restart still says it.
     *
     * @param spoolDirectory the spool's directory
     * @param id the id the message will have in the spool
     * @param envelope the envelope; at least one recipient
     * @param content the message bytes
     * @param dsn the DSN parameters, {@link DsnRequest#NONE} for none
     * @param scan the scan's log text, empty for none
     * @param clock the clock for the queued time
     * @return the staged file
     * @throws IOException if it cannot be written (naming the staged file); nothing is left behind
     * @throws IllegalArgumentException if {@code dsn} does not fit the envelope's recipients
     */
    public static Path stage(
            Path spoolDirectory,
            QueueId id,
            Envelope envelope,
            MessageContent content,
            DsnRequest dsn,
            Optional<String> scan,
            Clock clock)
            throws IOException {
        Objects.requireNonNull(scan, "scan");
        Path tmp = staging(spoolDirectory);
        Files.createDirectories(tmp);
        List<RecipientState> states = new ArrayList<>();
        for (String r : envelope.recipients()) {
            states.add(RecipientState.pending(r));
        }
        Path file = tmp.resolve(id.value() + Spool.SUFFIX);
        QueuedMessage draft = new QueuedMessage(
                id, envelope, clock.instant(), states, content.size(), file, 0, dsn, QueuedMessage.Notices.NONE, scan);
        byte[] record = RecordCodec.encodeQueued(draft);
        ReadFailureInputStream in = new ReadFailureInputStream(content.openStream());
        try (in) {
            SpoolFile.write(file, false, record, content.size(), new byte[0], in);
        } catch (IOException e) {
            // a read failure is the message's, passed on; a write on a full file system fails with a bare "No space
            // left on device", which names nothing
            throw in.failure() != null ? e : IoErrors.naming(file, e);
        }
        DurableFiles.forceDirectory(tmp);
        return file;
    }

    /**
     * Whether a message is staged (written by {@link #stage} and not yet committed).
     *
     * @param spoolDirectory the spool's directory
     * @param id the message
     * @return {@code true} if {@code incoming/tmp/ID.q} exists
     */
    public static boolean isStaged(Path spoolDirectory, QueueId id) {
        return Files.exists(staging(spoolDirectory).resolve(id.value() + Spool.SUFFIX));
    }

    /**
     * Hands a staged message over: moves it into {@code incoming/} and forces both directories. Idempotent: a message
     * already handed over is left alone.
     *
     * @param spoolDirectory the spool's directory
     * @param id the staged message
     * @throws IOException if the move fails; the message is then still staged
     */
    public static void commit(Path spoolDirectory, QueueId id) throws IOException {
        Path from = staging(spoolDirectory).resolve(id.value() + Spool.SUFFIX);
        Path to = directory(spoolDirectory).resolve(id.value() + Spool.SUFFIX);
        if (!Files.exists(from)) {
            return;
        }
        if (!link(from, to)) {
            return; // moved meanwhile
        }
        DurableFiles.forceDirectory(directory(spoolDirectory)); // the new name is durable before the old one goes
        Files.deleteIfExists(from);
        DurableFiles.forceDirectory(staging(spoolDirectory));
    }

    /**
     * Deletes a staged file that was never committed (a hand-over abandoned before it was recorded).
     *
     * @param spoolDirectory the spool's directory
     * @param id the message
     * @throws IOException if it cannot be deleted
     */
    public static void discardStaged(Path spoolDirectory, QueueId id) throws IOException {
        Files.deleteIfExists(staging(spoolDirectory).resolve(id.value() + Spool.SUFFIX));
    }

    /**
     * The ids of every staged file.
     *
     * @param spoolDirectory the spool's directory
     * @return the ids; empty if there is no staging directory
     * @throws IOException if the directory cannot be read
     */
    public static List<QueueId> staged(Path spoolDirectory) throws IOException {
        return ids(staging(spoolDirectory));
    }

    static List<QueueId> ids(Path dir) throws IOException {
        List<QueueId> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + Spool.SUFFIX)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                String stem = name.substring(0, name.length() - Spool.SUFFIX.length());
                if (QueueId.isValid(stem)) {
                    out.add(new QueueId(stem));
                }
            }
        }
        out.sort(null);
        return out;
    }

    /**
     * Links {@code to} to {@code from}'s file without ever replacing {@code to}. If {@code to} exists already (a move
     * interrupted between link and unlink), nothing is done.
     *
     * @return {@code false} if {@code from} does not exist
     */
    static boolean link(Path from, Path to) throws IOException {
        try {
            Files.createLink(to, from);
        } catch (FileAlreadyExistsException e) {
            LOG.debug("{} exists already; finishing an interrupted move", to);
        } catch (NoSuchFileException e) {
            return false;
        } catch (UnsupportedOperationException e) {
            throw new IOException("the spool needs hard links (a POSIX file system): " + e.getMessage(), e);
        }
        return true;
    }
}
