package org.mailhygiene.smtp.delivery;

import java.util.List;
import java.util.Optional;
import org.mailhygiene.smtp.queue.QueuedMessage;

/**
 * Observes what a {@link DeliveryAgent} does with each message: statistics and per-message log lines are built on it.
 *
 * <p>Order for one message: {@link #recovered} when it was found in the spool at start, then zero or more
 * {@link #transaction} calls (one per destination per pass), then
 * {@link #bounced} when failed recipients were bounced, and {@link #completed} once nothing is left to do for it.
 * Methods are called on delivery threads, possibly concurrently for different messages; they must be fast and must
 * not throw (an exception is logged and ignored). Every method does nothing by default.
 */
public interface DeliveryListener {
    /** A listener that ignores everything. */
    DeliveryListener NONE = new DeliveryListener() {};

    /**
     * A message was found in the spool when the agent {@linkplain DeliveryAgent#recover() recovered} it (at start):
     * stored by an earlier run, which saw its scan ({@link QueuedMessage#scan()} keeps what the log line said of it,
     * for a message stored since session 42). Called once per message, before any
     * {@link #transaction} for it.
     *
     * @param message the message as recovered
     */
    default void recovered(QueuedMessage message) {}

    /**
     * One delivery attempt for some recipients of a message ended.
     *
     * @param message the message as it was before the attempt
     * @param endpoint the next hop that answered, or empty when no next hop took the transaction
     * @param results one result per recipient of the attempt
     */
    default void transaction(QueuedMessage message, Optional<Endpoint> endpoint, List<RecipientResult> results) {}

    /**
     * A bounce (or a double bounce to the postmaster) was stored for failed recipients of a message.
     *
     * @param message the original message
     * @param bounce the bounce message, now in the spool
     */
    default void bounced(QueuedMessage message, QueuedMessage bounce) {}

    /**
     * A notice other than a failure report was stored for a message and handed over for delivery: a {@code relayed}
     * notice (recipients asking for a success notice were delivered to a next hop without DSN) or a {@code delayed}
     * notice (a delay warning), RFC 3464. Like a bounce, the notice is written by the node and not scanned.
     *
     * @param message the original message
     * @param notice the notice, now in the spool
     */
    default void notified(QueuedMessage message, QueuedMessage notice) {}

    /**
     * Nothing is left to do for a message: it was removed from the spool.
     *
     * @param message the message in its final state
     */
    default void completed(QueuedMessage message) {}
}
