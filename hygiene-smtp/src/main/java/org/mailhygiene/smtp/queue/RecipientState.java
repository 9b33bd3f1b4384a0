package org.mailhygiene.smtp.queue;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.internal.Checks;

/**
 * Where one recipient of a queued message stands.
 *
 * <p>Immutable and thread-safe.
 *
 * @param address the forward path without angle brackets
 * @param status the recipient's state
 * @param attempts how many delivery attempts were made for it, {@code >= 0}
 * @param nextAttempt when the next attempt is due ({@link Status#PENDING} only); empty means "now"
 * @param lastReply the last reply or error text from an attempt, empty before the first attempt
 * @param remoteMta the next hop whose SMTP reply {@code lastReply} reports, as the delivery agent names an endpoint
 *     ({@code mx.example.org[192.0.2.1]:25}, {@code 192.0.2.1:25}); empty when {@code lastReply} is the relay's own
 *     text (no server replied: a DNS failure, a refused connection, an expiry without a reply). A bounce reports it
 *     as {@code Remote-MTA} and labels the diagnostic {@code smtp} only when it is present (RFC 3464 §2.3.5, §2.3.6)
 * @param lastAttempt when the last delivery attempt for it was made (reported as {@code Last-Attempt-Date}, RFC 3464
 *     §2.3.7); empty before the first attempt, and for a record written by a version that did not keep it
 */
public record RecipientState(
        String address,
        Status status,
        int attempts,
        Optional<Instant> nextAttempt,
        Optional<String> lastReply,
        Optional<String> remoteMta,
        Optional<Instant> lastAttempt) {

    /**
     * The life cycle of a recipient: {@code PENDING -> DELIVERED}, or {@code PENDING -> FAILED -> BOUNCED}. No
     * delivery is attempted in any state but PENDING.
     */
    public enum Status {
        /** Still to deliver: never tried, or tried and temporarily refused. */
        PENDING,
        /** Accepted by the next hop with a 2xx reply; final. */
        DELIVERED,
        /** Refused permanently (5xx) or out of queue lifetime; a bounce is due. */
        FAILED,
        /** Failed, and the bounce (or double bounce) reporting it is stored in the spool; final. */
        BOUNCED;

        /**
         * Whether no further delivery attempt follows.
         *
         * @return {@code true} for every state but PENDING
         */
        public boolean isFinal() {
            return this != PENDING;
        }
    }

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException if the address is blank or holds CR/LF, attempts is negative, a final state
     *     carries a next attempt time, the last reply holds CR or LF, or the remote MTA is not one word of printable
     *     characters
     */
    public RecipientState {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(nextAttempt, "nextAttempt");
        Objects.requireNonNull(lastReply, "lastReply");
        Objects.requireNonNull(remoteMta, "remoteMta");
        Objects.requireNonNull(lastAttempt, "lastAttempt");
        if (address.isBlank() || address.indexOf('\r') >= 0 || address.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("recipient address must be non-blank without CR/LF");
        }
        Checks.requireAtLeast(attempts, 0, "attempts");
        if (status.isFinal() && nextAttempt.isPresent()) {
            throw new IllegalArgumentException("a " + status + " recipient has no next attempt");
        }
        lastReply.ifPresent(r -> {
            if (r.indexOf('\r') >= 0 || r.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("lastReply must not contain CR or LF");
            }
        });
        remoteMta.ifPresent(r -> {
            if (r.isBlank() || r.chars().anyMatch(c -> c <= 0x20 || c == 0x7f)) {
                throw new IllegalArgumentException("remoteMta must be one word: '" + r + "'");
            }
        });
    }

    /**
     * A state without the time of its last attempt; the form before that time was recorded.
     *
     * @param address the forward path without angle brackets
     * @param status the recipient's state
     * @param attempts how many delivery attempts were made for it, {@code >= 0}
     * @param nextAttempt when the next attempt is due ({@link Status#PENDING} only); empty means "now"
     * @param lastReply the last reply or error text from an attempt, empty before the first attempt
     * @param remoteMta the next hop whose reply {@code lastReply} reports, empty for the relay's own text
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException as the canonical constructor
     */
    public RecipientState(
            String address,
            Status status,
            int attempts,
            Optional<Instant> nextAttempt,
            Optional<String> lastReply,
            Optional<String> remoteMta) {
        this(address, status, attempts, nextAttempt, lastReply, remoteMta, Optional.empty());
    }

    /**
     * A state whose last reply, if any, is the relay's own text (no {@link #remoteMta()}); the form before remote
     * MTAs were recorded.
     *
     * @param address the forward path without angle brackets
     * @param status the recipient's state
     * @param attempts how many delivery attempts were made for it, {@code >= 0}
     * @param nextAttempt when the next attempt is due ({@link Status#PENDING} only); empty means "now"
     * @param lastReply the last reply or error text from an attempt, empty before the first attempt
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException as the canonical constructor
     */
    public RecipientState(
            String address, Status status, int attempts, Optional<Instant> nextAttempt, Optional<String> lastReply) {
        this(address, status, attempts, nextAttempt, lastReply, Optional.empty(), Optional.empty());
    }

    /**
     * A new, never tried recipient.
     *
     * @param address the forward path
     * @return a pending state with no attempts
     */
    public static RecipientState pending(String address) {
        return new RecipientState(
                address, Status.PENDING, 0, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    /**
     * The state after a successful attempt.
     *
     * @param reply the next hop's reply
     * @return a DELIVERED state with one more attempt
     * @throws IllegalStateException if this state is already final
     */
    public RecipientState delivered(String reply) {
        return delivered(reply, Optional.empty());
    }

    /**
     * The state after a successful attempt, with the next hop that replied.
     *
     * @param reply the next hop's reply
     * @param remote the next hop that gave it (see {@link #remoteMta()})
     * @return a DELIVERED state with one more attempt
     * @throws IllegalStateException if this state is already final
     */
    public RecipientState delivered(String reply, Optional<String> remote) {
        requirePending();
        return new RecipientState(
                address, Status.DELIVERED, attempts + 1, Optional.empty(), Optional.of(reply), remote, lastAttempt);
    }

    /**
     * The state after a temporary failure.
     *
     * @param reply the reply or error
     * @param next when to try again
     * @return a PENDING state with one more attempt
     * @throws IllegalStateException if this state is already final
     */
    public RecipientState deferred(String reply, Instant next) {
        return deferred(reply, next, Optional.empty());
    }

    /**
     * The state after a temporary failure, with the next hop whose reply it was.
     *
     * @param reply the reply or error
     * @param next when to try again
     * @param remote the next hop that gave the reply, empty for the relay's own text (see {@link #remoteMta()})
     * @return a PENDING state with one more attempt
     * @throws IllegalStateException if this state is already final
     */
    public RecipientState deferred(String reply, Instant next, Optional<String> remote) {
        return deferred(reply, next, remote, true);
    }

    /**
     * The state after a temporary failure, counting an attempt only when one was made: a pass that found every next
     * hop of the route in back-off connected to none, and is not an attempt.
     *
     * @param reply the reply or error
     * @param next when to try again
     * @param remote the next hop that gave the reply, empty for the relay's own text (see {@link #remoteMta()})
     * @param countsAsAttempt whether a delivery attempt was made
     * @return a PENDING state, with one more attempt if {@code countsAsAttempt}
     * @throws IllegalStateException if this state is already final
     */
    public RecipientState deferred(String reply, Instant next, Optional<String> remote, boolean countsAsAttempt) {
        requirePending();
        return new RecipientState(
                address,
                Status.PENDING,
                attempts + (countsAsAttempt ? 1 : 0),
                Optional.of(next),
                Optional.of(reply),
                remote,
                lastAttempt);
    }

    /**
     * The state after a permanent failure (or expiry, with {@code countsAsAttempt == false}).
     *
     * @param reply the reply or the reason
     * @param countsAsAttempt whether a delivery attempt was made
     * @return a FAILED state
     * @throws IllegalStateException if this state is already final
     */
    public RecipientState failed(String reply, boolean countsAsAttempt) {
        return failed(reply, countsAsAttempt, Optional.empty());
    }

    /**
     * The state after a permanent failure, with the next hop whose reply it reports.
     *
     * @param reply the reply or the reason
     * @param countsAsAttempt whether a delivery attempt was made
     * @param remote the next hop whose reply {@code reply} reports, empty for the relay's own text (see
     *     {@link #remoteMta()})
     * @return a FAILED state
     * @throws IllegalStateException if this state is already final
     */
    public RecipientState failed(String reply, boolean countsAsAttempt, Optional<String> remote) {
        requirePending();
        return new RecipientState(
                address,
                Status.FAILED,
                attempts + (countsAsAttempt ? 1 : 0),
                Optional.empty(),
                Optional.of(reply),
                remote,
                lastAttempt);
    }

    /**
     * The state once the bounce reporting this failure is stored.
     *
     * @return a BOUNCED state, same attempts, reply, remote MTA and last attempt time
     * @throws IllegalStateException if this state is not FAILED
     */
    public RecipientState bounced() {
        if (status != Status.FAILED) {
            throw new IllegalStateException("only a FAILED recipient can be bounced; " + address + " is " + status);
        }
        return new RecipientState(
                address, Status.BOUNCED, attempts, Optional.empty(), lastReply, remoteMta, lastAttempt);
    }

    /**
     * A copy recording when the last delivery attempt was made (the transition methods keep the time they find; the
     * delivery agent sets it with the outcome of an attempt).
     *
     * @param at when the attempt was made
     * @return a new value, all else unchanged
     */
    public RecipientState withLastAttempt(Instant at) {
        return new RecipientState(
                address, status, attempts, nextAttempt, lastReply, remoteMta, Optional.of(Objects.requireNonNull(at)));
    }

    /**
     * A copy due now: the next attempt time cleared, all else unchanged (a flush).
     *
     * @return a new value
     */
    public RecipientState dueNow() {
        return new RecipientState(address, status, attempts, Optional.empty(), lastReply, remoteMta, lastAttempt);
    }

    private void requirePending() {
        if (status.isFinal()) {
            throw new IllegalStateException("recipient " + address + " is already " + status);
        }
    }
}
