package org.mailhygiene.smtp.queue;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A spool file that holds no message the node delivers, as {@link Spool#inspect(Path, java.util.function.Consumer,
 * java.util.function.Consumer)} finds it before the node's recovery has set it aside: a file that ends before its
 * commit mark (a receipt a crash cut short, or a committed file cut short by damage), one that is not a spool file,
 * or one whose checksum or record no longer reads. {@code hygiene queue list} shows it among the messages.
 *
 * <p>Immutable and thread-safe.
 *
 * @param id the queue id its name gives
 * @param file the file
 * @param size its length in bytes when it was read
 * @param reason why it holds no message, one line of text
 */
public record DamagedSpoolFile(QueueId id, Path file, long size, String reason) {
    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException if {@code size} is negative
     */
    public DamagedSpoolFile {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(reason, "reason");
        if (size < 0) {
            throw new IllegalArgumentException("size " + size + " is negative");
        }
    }
}
