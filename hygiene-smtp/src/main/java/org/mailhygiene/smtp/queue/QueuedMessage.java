package org.mailhygiene.smtp.queue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.smtp.dsn.DsnRequest;

/**
 * A message in the {@link Spool}: its id, the envelope it was received with, the state of each recipient, and its
 * stored bytes.
 *
 * <p>A value: it is a snapshot of the spool's record at one moment. Changing a recipient's state makes a new value
 * ({@link #withRecipients(List)}, {@link #withRecipient(String, UnaryOperator)}) that becomes durable only through
 * {@link Spool#update(QueuedMessage)}. Immutable and thread-safe; {@link #content()} reads the spool's message file,
 * which stays unchanged until the message is {@linkplain Spool#complete(QueueId) completed}.
 *
 * @param id the queue id
 * @param envelope the envelope as received (its recipient list is the original one)
 * @param queuedAt when the message was committed to the spool; the queue lifetime counts from here
 * @param recipients one state per recipient, in envelope order
 * @param size the number of stored bytes
 * @param file the spool file holding the message (read-only by convention); besides the message bytes it holds the
 *     spool's own framing, so read the message through {@link #content()}
 * @param contentOffset where the message bytes start in {@code file}
 * @param dsn the DSN parameters the message was received with (RFC 3461); {@link DsnRequest#NONE} when none, its
 *     per-recipient entries (if any) in the order of {@code recipients}
 * @param notices the delivery status notifications owed or sent for this message that the delivery agent keeps in
 *     the record ({@link Notices#NONE} for a new message)
 * @param scan what the node's per-message log line says of the message's scan ({@code verdicts=[...]
 *     disposition=TAG}; {@code verdicts=- disposition=BOUNCE} for a bounce the node wrote), kept in the record so
 *     that a delivery after a restart can still say it; empty for a message stored without it (by a caller that
 *     gave none, or by a version before session 42), in a line an older version skips
 * @param heldSince when an administrator put the message on hold ({@code hygiene queue hold}, Postfix's {@code
 *     postsuper -h}), empty when it is not on hold: a held message stays queued but no delivery pass runs on it (no
 *     attempt, no bounce, no delay notice) until it is released; its queue lifetime still counts from {@link
 *     #queuedAt()} (held time counts, as in Postfix), but it cannot expire while held, since a recipient expires only
 *     when an attempt fails temporarily. Kept in a line of its own, which a version before session 49 skips (it
 *     delivers the message)
 */
public record QueuedMessage(
        QueueId id,
        Envelope envelope,
        Instant queuedAt,
        List<RecipientState> recipients,
        long size,
        Path file,
        long contentOffset,
        DsnRequest dsn,
        Notices notices,
        Optional<String> scan,
        Optional<Instant> heldSince) {

    /**
     * The delivery agent's bookkeeping of notices (RFC 3464 reports other than bounces, whose bookkeeping is the
     * {@link RecipientState.Status#BOUNCED} state) for one message, kept in its spool record so that a restart
     * neither loses a notice nor sends one twice. An older version reading the record skips these lines.
     *
     * <p>Immutable and thread-safe.
     *
     * @param relayedOwed positions (in {@link QueuedMessage#recipients()}) of recipients handed to a next hop without
     *     DSN that asked for a success notice, whose {@code relayed} notice is not stored yet; copied, sorted
     * @param delayNotified when the one {@code delayed} notice of the message was stored, empty while none was
     */
    public record Notices(java.util.SortedSet<Integer> relayedOwed, Optional<Instant> delayNotified) {
        /** No notice owed, no delay notice sent. */
        public static final Notices NONE = new Notices(new java.util.TreeSet<>(), Optional.empty());

        /**
         * Validates and copies the components.
         *
         * @throws NullPointerException if a component or a position is {@code null}
         * @throws IllegalArgumentException if a position is negative
         */
        public Notices {
            java.util.TreeSet<Integer> copy =
                    new java.util.TreeSet<>(Objects.requireNonNull(relayedOwed, "relayedOwed"));
            if (!copy.isEmpty() && copy.first() < 0) {
                throw new IllegalArgumentException("negative recipient position " + copy.first());
            }
            relayedOwed = java.util.Collections.unmodifiableSortedSet(copy);
            Objects.requireNonNull(delayNotified, "delayNotified");
        }

        /**
         * A copy with other owed relayed notices.
         *
         * @param owed the positions
         * @return a new value
         */
        public Notices withRelayedOwed(java.util.Set<Integer> owed) {
            return new Notices(new java.util.TreeSet<>(owed), delayNotified);
        }

        /**
         * A copy recording the delay notice.
         *
         * @param at when it was stored
         * @return a new value
         */
        public Notices withDelayNotified(Instant at) {
            return new Notices(relayedOwed, Optional.of(at));
        }
    }

    /**
     * Validates and copies the components.
     *
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException if {@code recipients} is empty, {@code size} or {@code contentOffset} is
     *     negative, {@code dsn} holds per-recipient entries but not one per recipient, or {@code notices} names a
     *     position that is not a recipient's
     */
    public QueuedMessage {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(queuedAt, "queuedAt");
        Objects.requireNonNull(file, "file");
        recipients = List.copyOf(Objects.requireNonNull(recipients, "recipients"));
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("a queued message needs at least one recipient");
        }
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0");
        }
        if (contentOffset < 0) {
            throw new IllegalArgumentException("contentOffset must be >= 0");
        }
        Objects.requireNonNull(dsn, "dsn");
        if (!dsn.recipients().isEmpty() && dsn.recipients().size() != recipients.size()) {
            throw new IllegalArgumentException(
                    "DSN parameters for " + dsn.recipients().size() + " recipients, not " + recipients.size());
        }
        Objects.requireNonNull(notices, "notices");
        Objects.requireNonNull(scan, "scan");
        Objects.requireNonNull(heldSince, "heldSince");
        if (!notices.relayedOwed().isEmpty() && notices.relayedOwed().last() >= recipients.size()) {
            throw new IllegalArgumentException(
                    "a notice is owed for recipient " + notices.relayedOwed().last() + " of " + recipients.size());
        }
    }

    /**
     * A message not on hold ({@link #heldSince()} empty); the form before the hold was stored.
     *
     * @param id the queue id
     * @param envelope the envelope as received
     * @param queuedAt when the message was committed to the spool
     * @param recipients one state per recipient, in envelope order
     * @param size the number of stored bytes
     * @param file the spool file holding the message
     * @param contentOffset where the message bytes start in {@code file}
     * @param dsn the DSN parameters the message was received with
     * @param notices the notices owed or sent
     * @param scan the scan's log text, empty for none
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException as the canonical constructor
     */
    public QueuedMessage(
            QueueId id,
            Envelope envelope,
            Instant queuedAt,
            List<RecipientState> recipients,
            long size,
            Path file,
            long contentOffset,
            DsnRequest dsn,
            Notices notices,
            Optional<String> scan) {
        this(id, envelope, queuedAt, recipients, size, file, contentOffset, dsn, notices, scan, Optional.empty());
    }

    /**
     * A message stored without what its scan said ({@link #scan()} empty); the form before it was stored.
     *
     * @param id the queue id
     * @param envelope the envelope as received
     * @param queuedAt when the message was committed to the spool
     * @param recipients one state per recipient, in envelope order
     * @param size the number of stored bytes
     * @param file the spool file holding the message
     * @param contentOffset where the message bytes start in {@code file}
     * @param dsn the DSN parameters the message was received with
     * @param notices the notices owed or sent
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException as the canonical constructor
     */
    public QueuedMessage(
            QueueId id,
            Envelope envelope,
            Instant queuedAt,
            List<RecipientState> recipients,
            long size,
            Path file,
            long contentOffset,
            DsnRequest dsn,
            Notices notices) {
        this(id, envelope, queuedAt, recipients, size, file, contentOffset, dsn, notices, Optional.empty());
    }

    /**
     * A message with no notice bookkeeping ({@link Notices#NONE}); the form before it was stored.
     *
     * @param id the queue id
     * @param envelope the envelope as received
     * @param queuedAt when the message was committed to the spool
     * @param recipients one state per recipient, in envelope order
     * @param size the number of stored bytes
     * @param file the spool file holding the message
     * @param contentOffset where the message bytes start in {@code file}
     * @param dsn the DSN parameters the message was received with
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException as the canonical constructor
     */
    public QueuedMessage(
            QueueId id,
            Envelope envelope,
            Instant queuedAt,
            List<RecipientState> recipients,
            long size,
            Path file,
            long contentOffset,
            DsnRequest dsn) {
        this(id, envelope, queuedAt, recipients, size, file, contentOffset, dsn, Notices.NONE, Optional.empty());
    }

    /**
     * A message received without DSN parameters ({@link DsnRequest#NONE}); the form before they were stored.
     *
     * @param id the queue id
     * @param envelope the envelope as received
     * @param queuedAt when the message was committed to the spool
     * @param recipients one state per recipient, in envelope order
     * @param size the number of stored bytes
     * @param file the spool file holding the message
     * @param contentOffset where the message bytes start in {@code file}
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException as the canonical constructor
     */
    public QueuedMessage(
            QueueId id,
            Envelope envelope,
            Instant queuedAt,
            List<RecipientState> recipients,
            long size,
            Path file,
            long contentOffset) {
        this(
                id,
                envelope,
                queuedAt,
                recipients,
                size,
                file,
                contentOffset,
                DsnRequest.NONE,
                Notices.NONE,
                Optional.empty());
    }

    /**
     * The DSN parameters of the recipient at {@code index}.
     *
     * @param index a position in {@link #recipients()}
     * @return its parameters, {@link DsnRequest.Recipient#NONE} when it gave none
     * @throws IndexOutOfBoundsException if {@code index} is not a recipient's position
     */
    public DsnRequest.Recipient dsn(int index) {
        Objects.checkIndex(index, recipients.size());
        return dsn.recipient(index);
    }

    /**
     * The stored bytes: exactly what {@link Spool#store} wrote (the prefix, then the content).
     *
     * @return content reading the spool's message file
     */
    public MessageContent content() {
        Path f = file;
        long n = size;
        long offset = contentOffset;
        return new MessageContent() {
            @Override
            public long size() {
                return n;
            }

            @Override
            public InputStream openStream() throws IOException {
                return SpoolFile.openContent(f, offset, n);
            }

            @Override
            public String toString() {
                return "QueuedMessage.content[" + f.getFileName() + ", bytes=" + n + "]";
            }
        };
    }

    /**
     * Whether any recipient is still {@link RecipientState.Status#PENDING}.
     *
     * @return {@code true} while there is something to deliver
     */
    public boolean hasPending() {
        return recipients.stream().anyMatch(r -> r.status() == RecipientState.Status.PENDING);
    }

    /**
     * The recipients in a given state.
     *
     * @param status the state
     * @return their states, in envelope order
     */
    public List<RecipientState> recipients(RecipientState.Status status) {
        return recipients.stream().filter(r -> r.status() == status).toList();
    }

    /**
     * A copy with other recipient states (same addresses, same order).
     *
     * @param newStates the states
     * @return a new value
     * @throws IllegalArgumentException if the addresses differ from this message's
     */
    public QueuedMessage withRecipients(List<RecipientState> newStates) {
        if (newStates.size() != recipients.size()) {
            throw new IllegalArgumentException("expected " + recipients.size() + " recipient states");
        }
        for (int i = 0; i < newStates.size(); i++) {
            if (!newStates.get(i).address().equals(recipients.get(i).address())) {
                throw new IllegalArgumentException(
                        "recipient " + i + " is " + recipients.get(i).address() + ", not "
                                + newStates.get(i).address());
            }
        }
        return new QueuedMessage(
                id, envelope, queuedAt, newStates, size, file, contentOffset, dsn, notices, scan, heldSince);
    }

    /**
     * A copy with other notice bookkeeping.
     *
     * @param value the bookkeeping
     * @return a new value
     * @throws IllegalArgumentException as the canonical constructor
     */
    public QueuedMessage withNotices(Notices value) {
        return new QueuedMessage(
                id, envelope, queuedAt, recipients, size, file, contentOffset, dsn, value, scan, heldSince);
    }

    /**
     * A copy put on hold or released ({@link #heldSince()}).
     *
     * @param since when it was put on hold; empty to release it
     * @return a new value
     */
    public QueuedMessage withHeldSince(Optional<Instant> since) {
        return new QueuedMessage(
                id, envelope, queuedAt, recipients, size, file, contentOffset, dsn, notices, scan, since);
    }

    /**
     * A copy whose pending recipients are due now ({@link RecipientState#dueNow()}), the others unchanged: a release
     * from hold, or a flush of this message.
     *
     * @return a new value
     */
    public QueuedMessage withPendingDueNow() {
        List<RecipientState> now = new java.util.ArrayList<>(recipients.size());
        for (RecipientState r : recipients) {
            now.add(r.status() == RecipientState.Status.PENDING ? r.dueNow() : r);
        }
        return withRecipients(now);
    }

    /**
     * Whether an administrator put the message on hold ({@link #heldSince()} present).
     *
     * @return {@code true} while no delivery pass may run on it
     */
    public boolean held() {
        return heldSince.isPresent();
    }

    /**
     * A copy with one recipient's state changed (the first with that address still pending, else the first with it).
     *
     * @param address the recipient
     * @param change computes the new state
     * @return a new value
     * @throws IllegalArgumentException if no recipient has that address
     */
    public QueuedMessage withRecipient(String address, UnaryOperator<RecipientState> change) {
        List<RecipientState> out = new ArrayList<>(recipients);
        int index = -1;
        for (int i = 0; i < out.size(); i++) {
            if (out.get(i).address().equals(address)) {
                if (index < 0
                        || out.get(i).status() == RecipientState.Status.PENDING
                                && out.get(index).status() != RecipientState.Status.PENDING) {
                    index = i;
                }
            }
        }
        if (index < 0) {
            throw new IllegalArgumentException("no recipient " + address + " in " + id);
        }
        out.set(index, change.apply(out.get(index)));
        return withRecipients(out);
    }

    /**
     * A copy with several recipients changed at once.
     *
     * @param changes new state per address
     * @return a new value
     * @throws IllegalArgumentException if an address is not a recipient of this message
     */
    public QueuedMessage withRecipients(Map<String, RecipientState> changes) {
        QueuedMessage m = this;
        for (Map.Entry<String, RecipientState> e : changes.entrySet()) {
            m = m.withRecipient(e.getKey(), old -> e.getValue());
        }
        return m;
    }
}
