package org.mailhygiene.smtp.queue;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.smtp.dsn.DsnRequest;

/**
 * A message held in the {@link Quarantine}, with why it is there.
 *
 * <p>Immutable and thread-safe; {@link #content()} reads the quarantine's file, which stays until the message is
 * released, deleted or expired.
 *
 * @param id the quarantine id
 * @param envelope the envelope the message arrived with
 * @param quarantinedAt when it was put in quarantine; retention counts from here
 * @param action the policy action that put it there, e.g. {@code QUARANTINE}, or {@code MANUAL}
 * @param reason the one-line reason (the disposition's reason, e.g. {@code clamd: Eicar-Signature})
 * @param details one line per scan result the decision rested on, e.g. {@code spamd SPAM score=7.1 threshold=5.0
 *     rules=[GTUBE]}
 * @param size the number of stored bytes
 * @param file the stored message file
 * @param dsn the DSN parameters (RFC 3461) the message came with, {@link DsnRequest#NONE} when none (and for a
 *     record written before they were kept); a release queues the message with them
 */
public record QuarantinedMessage(
        QueueId id,
        Envelope envelope,
        Instant quarantinedAt,
        String action,
        String reason,
        List<String> details,
        long size,
        Path file,
        DsnRequest dsn) {

    /**
     * Validates and copies the components.
     *
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException if {@code dsn} holds per-recipient entries but not one per envelope recipient
     */
    public QuarantinedMessage {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(quarantinedAt, "quarantinedAt");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(file, "file");
        details = List.copyOf(Objects.requireNonNull(details, "details"));
        Objects.requireNonNull(dsn, "dsn");
        if (!dsn.recipients().isEmpty()
                && dsn.recipients().size() != envelope.recipients().size()) {
            throw new IllegalArgumentException(
                    "DSN parameters for " + dsn.recipients().size() + " recipients, not "
                            + envelope.recipients().size());
        }
    }

    /**
     * A held message without DSN parameters ({@link DsnRequest#NONE}); the form before they were kept.
     *
     * @param id the quarantine id
     * @param envelope the envelope the message arrived with
     * @param quarantinedAt when it was put in quarantine
     * @param action the policy action that put it there
     * @param reason the one-line reason
     * @param details one line per scan result the decision rested on
     * @param size the number of stored bytes
     * @param file the stored message file
     * @throws NullPointerException if a component is {@code null}
     */
    public QuarantinedMessage(
            QueueId id,
            Envelope envelope,
            Instant quarantinedAt,
            String action,
            String reason,
            List<String> details,
            long size,
            Path file) {
        this(id, envelope, quarantinedAt, action, reason, details, size, file, DsnRequest.NONE);
    }

    /**
     * The held bytes, exactly as they were stored.
     *
     * @return content reading the quarantine file; its read failures name the file
     */
    public MessageContent content() {
        Path f = file;
        long n = size;
        return new MessageContent() {
            @Override
            public long size() {
                return n;
            }

            @Override
            public InputStream openStream() throws IOException {
                // a read failure names the held file (an I/O error said only "Input/output error")
                // a buffer no larger than the message: a release reads a held message twice or three times
                return new BufferedInputStream(
                        org.mailhygiene.internal.IoErrors.naming(f, Files.newInputStream(f)),
                        DurableFiles.bufferFor(n + 1));
            }
        };
    }
}
