package org.mailhygiene.api;

import java.util.Optional;

/**
 * Scans one message and returns a {@link Verdict}, or throws {@link ScanException} when it cannot.
 *
 * <p>Contract for implementations:
 * <ul>
 *   <li>{@link #scan(Message)} may block (network, processes); callers run it on virtual threads where the JDK has
 *       them. It must honour its own timeouts and never block forever.
 *   <li>It must never return a {@link Outcome#CLEAN} verdict unless the content was actually scanned. Every
 *       problem becomes a {@link ScanException} with the right {@link ScanFailure.Kind}.
 *   <li>Implementations are thread-safe: one instance serves concurrent scans.
 *   <li>Runtime exceptions escaping {@code scan} are treated by pipelines as {@link ScanFailure.Kind#SCANNER_ERROR}.
 * </ul>
 */
public interface Scanner {

    /**
     * A short, stable name used in verdicts, logs, statistics and headers, e.g. {@code clamd} or {@code spamd}.
     *
     * @return a non-blank name
     */
    String name();

    /**
     * Scans a message. The content may be read any number of times; it is not closed by the scanner.
     *
     * @param message the message
     * @return the verdict
     * @throws ScanException if no verdict could be reached
     * @throws InterruptedException if the calling thread was interrupted while waiting
     */
    Verdict scan(Message message) throws ScanException, InterruptedException;

    /**
     * Probes the scanner. May block up to the scanner's connect/read timeouts. Never throws. A probe observes: it is
     * called by health endpoints and configuration checks, as often as they like, so it must not take a daemon out of
     * the scans when it does not answer (the daemon adapters never mark a failover member down from a probe, and log
     * no member-down event for it; only a failed scan does).
     *
     * @return the probe result; {@link Health#unknown()} by default
     */
    default Health health() {
        return Health.unknown();
    }

    /**
     * The identity under which verdicts of this scanner may be cached: the same identity and the same content must
     * give the same verdict. It includes every configuration setting that changes verdicts and changes when the
     * scanner's knowledge changes (for example after a signature reload). Empty means "never cache", the default,
     * which is right for scanners whose answers depend on more than the content.
     *
     * @return the cache identity, or empty to disable caching of this scanner's verdicts
     */
    default Optional<String> cacheIdentity() {
        return Optional.empty();
    }

    /**
     * {@link #cacheIdentity()}, waiting up to {@code bound} for one that is being established now: a scanner whose
     * identity comes from a check that runs in the background (the clamd scanner's first {@code VERSION} check) waits
     * for that check, so that a node about to take mail can look its first messages up in a shared verdict store
     * rather than scan them again. A scanner whose identity is empty for good, or for a reason no wait within the bound
     * changes (its daemon does not answer, a signature reload settles), returns at once.
     *
     * <p>The default returns {@link #cacheIdentity()} without waiting: right for a scanner that knows its identity at
     * once. Thread-safe as {@link #cacheIdentity()} is.
     *
     * @param bound the longest wait; zero or negative does not wait
     * @return the cache identity, or empty when verdicts must not be cached now
     * @throws InterruptedException if interrupted while waiting
     */
    default Optional<String> awaitCacheIdentity(java.time.Duration bound) throws InterruptedException {
        return cacheIdentity();
    }

    /**
     * The identity under which this scanner's verdict on content arriving with {@code envelope} may be cached: the
     * same identity and the same content must give the same verdict. By default {@link #cacheIdentity()}, for
     * scanners whose verdicts depend on the content alone. A scanner that also reads the envelope adds what it reads
     * (the Bayes scanner marks a null sender on the mail path, which its bounce detection counts as a bounce signal),
     * so that a verdict cached for one envelope is never served for content that another envelope would change.
     * Pipelines with a verdict cache call this, not {@link #cacheIdentity()}.
     *
     * @param envelope the envelope of the message about to be scanned
     * @return the cache identity, or empty to disable caching of this verdict
     */
    default Optional<String> cacheIdentity(Envelope envelope) {
        return cacheIdentity();
    }

    /**
     * Whether this scanner's cached verdicts may also be kept in a store shared with other processes (a cluster's
     * Redis), besides the pipeline's own cache. {@code true} by default: a cache identity names the scanner's
     * configuration and knowledge (a signature version), which another node with the same knowledge has too. A scanner
     * whose identity holds something only its own process has returns {@code false} (the Bayes scanner names its model
     * by a version drawn per process, so that nodes with different models never share verdicts): no other process
     * could ever read such a verdict, and storing it would cost each message round trips and the store its memory.
     * Its verdicts are then cached in this process only.
     *
     * @return {@code true} if a shared tier may store and serve this scanner's verdicts
     */
    default boolean sharesCachedVerdicts() {
        return true;
    }
}
