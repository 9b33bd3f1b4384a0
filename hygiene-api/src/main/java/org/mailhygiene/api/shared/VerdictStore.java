package org.mailhygiene.api.shared;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.api.Verdict;

/**
 * Verdicts shared between nodes, keyed by a scanner's cache identity and the SHA-256 of the content it scanned, with
 * leases so that concurrent scans of the same content on different nodes produce one scan.
 *
 * <p>Protocol used by the verdict cache: {@link #get} first; on a miss, {@link #tryLease}; the lease holder scans,
 * {@link #put}s a verdict (never a failure) and {@link #release}s; a node that did not get the lease polls {@link #get}
 * and {@link #leaseHeld} until a verdict appears, the lease disappears (the holder failed: scan yourself) or its own
 * wait bound passes. A lease expires by itself after its duration, so a node that dies while scanning delays the others
 * by at most that long; a holder keeps a short lease alive with {@link #renewLease} while its scan runs, so that a
 * node that dies or freezes (a long pause, a stopped process) delays the others by that short time only.
 *
 * <p>Implementations are thread-safe. Every method may block for at most the implementation's configured call timeout.
 */
public interface VerdictStore {
    /**
     * Looks a verdict up.
     *
     * @param identity the scanner's cache identity (non-empty)
     * @param sha256 the content digest, lower-case hex
     * @return the verdict, or empty on a miss
     * @throws SharedStateException if the store did not answer
     */
    Optional<Verdict> get(String identity, String sha256) throws SharedStateException;

    /**
     * A verdict found in the store, with how long the store still believes it.
     *
     * @param verdict the verdict
     * @param timeLeft how long from the lookup the verdict stays valid in the store (the rest of the expiry it was
     *     stored with), positive; empty when the store does not know. A cache that keeps the verdict locally keeps it
     *     no longer than this, so that a verdict is never believed past the expiry its writer gave it.
     */
    record Found(Verdict verdict, Optional<Duration> timeLeft) {
        /**
         * Checks the parts.
         *
         * @throws NullPointerException if a part is null
         * @throws IllegalArgumentException if {@code timeLeft} is zero or negative
         */
        public Found {
            Objects.requireNonNull(verdict, "verdict");
            Objects.requireNonNull(timeLeft, "timeLeft");
            if (timeLeft.isPresent()
                    && (timeLeft.get().isZero() || timeLeft.get().isNegative())) {
                throw new IllegalArgumentException("timeLeft must be positive, was " + timeLeft.get());
            }
        }
    }

    /**
     * Looks a verdict up, with the time it has left in the store. The verdict cache calls this, not {@link #get}, and
     * keeps a verdict found here locally for at most that time. The default calls {@link #get} and knows no time
     * left; a store that knows the expiry of what it holds overrides it.
     *
     * @param identity the scanner's cache identity (non-empty)
     * @param sha256 the content digest, lower-case hex
     * @return the verdict and its time left, or empty on a miss
     * @throws SharedStateException if the store did not answer
     */
    default Optional<Found> find(String identity, String sha256) throws SharedStateException {
        return get(identity, sha256).map(v -> new Found(v, Optional.empty()));
    }

    /**
     * Stores a verdict for {@code ttl}.
     *
     * @param identity the scanner's cache identity
     * @param sha256 the content digest
     * @param verdict the verdict
     * @param ttl how long it stays, positive
     * @throws SharedStateException if the store did not answer
     */
    void put(String identity, String sha256, Verdict verdict, Duration ttl) throws SharedStateException;

    /**
     * Tries to take the lease that entitles one node to scan this content.
     *
     * @param identity the scanner's cache identity
     * @param sha256 the content digest
     * @param owner a token unique to the caller (node and scan), used to release only its own lease
     * @param lease how long the lease lasts unless released, positive
     * @return {@code true} if the caller now holds the lease
     * @throws SharedStateException if the store did not answer
     */
    boolean tryLease(String identity, String sha256, String owner, Duration lease) throws SharedStateException;

    /**
     * Whether some node holds the lease right now.
     *
     * @param identity the scanner's cache identity
     * @param sha256 the content digest
     * @return {@code true} while a lease is held
     * @throws SharedStateException if the store did not answer
     */
    boolean leaseHeld(String identity, String sha256) throws SharedStateException;

    /**
     * Releases the lease if {@code owner} still holds it; otherwise does nothing.
     *
     * @param identity the scanner's cache identity
     * @param sha256 the content digest
     * @param owner the token given to {@link #tryLease}
     * @throws SharedStateException if the store did not answer
     */
    void release(String identity, String sha256, String owner) throws SharedStateException;

    /**
     * Extends the lease to {@code lease} from now if {@code owner} still holds it; otherwise does nothing. A holder
     * calls this while its scan runs, so that its lease can be short and a holder that stops (dies, freezes) is
     * noticed soon. The default does nothing and returns {@code false}: a store without renewal keeps each lease for
     * the time it was taken for.
     *
     * @param identity the scanner's cache identity
     * @param sha256 the content digest
     * @param owner the token given to {@link #tryLease}
     * @param lease the new time the lease lasts from now, positive
     * @return {@code true} if the lease was extended; {@code false} if {@code owner} does not hold it (it expired or
     *     was released) or the store cannot renew leases
     * @throws SharedStateException if the store did not answer
     */
    default boolean renewLease(String identity, String sha256, String owner, Duration lease)
            throws SharedStateException {
        return false;
    }
}
