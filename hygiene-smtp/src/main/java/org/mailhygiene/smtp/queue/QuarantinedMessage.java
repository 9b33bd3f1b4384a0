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
 */
public record QuarantinedMessage(
        QueueId id,
        Envelope envelope,
        Instant quarantinedAt,
        String action,
        String reason,
        List<String> details,
        long size,
        Path file) {

    /**
     * Validates and copies the components.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public QuarantinedMessage {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(quarantinedAt, "quarantinedAt");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(file, "file");
        details = List.copyOf(Objects.requireNonNull(details, "details"));
    }

    /**
     * The held bytes, exactly as they were stored.
     *
     * @return content reading the quarantine file
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
                return new BufferedInputStream(Files.newInputStream(f), 64 * 1024);
            }
        };
    }
}
