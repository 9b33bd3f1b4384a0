package org.mailhygiene.api.events;

import java.time.Duration;
import java.util.List;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.Disposition;

/**
 * Receives events from scanners, pipelines, failover groups and update jobs. Statistics and logs are built on it.
 *
 * <p>Order, per message and scanner: {@link #scanStarted} then exactly one of {@link #scanFinished} or
 * {@link #scanFailed}; or, when a verdict cache answered, {@link #cacheHit} alone. After every scanner of a message,
 * {@link #disposition} once. {@link #failover}, {@link #memberDown} and {@link #memberUp} may come between a scan's
 * start and end, on the scanning thread. {@link #signatureUpdate} comes from the update job's thread.
 *
 * <p>Implementations must be fast, thread-safe (events arrive concurrently from many threads) and must not throw;
 * callers that use {@link #composite(List)} are protected from one that does. Every method has an empty default.
 */
public interface HygieneListener {

    /** A listener that ignores everything. */
    HygieneListener NOOP = new HygieneListener() {};

    /**
     * A scanner is about to scan a message.
     *
     * @param scanner the scanner's name
     * @param message the message
     */
    default void scanStarted(String scanner, Message message) {}

    /**
     * A scanner produced a verdict.
     *
     * @param verdict the verdict
     * @param message the message
     */
    default void scanFinished(Verdict verdict, Message message) {}

    /**
     * A scanner failed.
     *
     * @param failure the failure
     * @param message the message
     */
    default void scanFailed(ScanFailure failure, Message message) {}

    /**
     * A cached verdict was used instead of scanning.
     *
     * @param verdict the cached verdict
     * @param message the message
     */
    default void cacheHit(Verdict verdict, Message message) {}

    /**
     * The policy decided about a message.
     *
     * @param disposition the decision
     * @param message the message
     */
    default void disposition(Disposition disposition, Message message) {}

    /**
     * A failover group moved a call from one member to the next.
     *
     * @param group the group's name
     * @param from the member that failed
     * @param to the member tried next
     * @param reason why {@code from} failed
     */
    default void failover(String group, String from, String to, String reason) {}

    /**
     * A member was marked down and will be skipped until its back-off ends.
     *
     * @param group the group's name
     * @param member the member's name
     * @param reason why
     * @param backoff how long it is skipped
     */
    default void memberDown(String group, String member, String reason, Duration backoff) {}

    /**
     * A member that was down succeeded again (a call or a probe).
     *
     * @param group the group's name
     * @param member the member's name
     */
    default void memberUp(String group, String member) {}

    /**
     * A signature update run ended.
     *
     * @param updater the update job's name, e.g. {@code freshclam} or {@code clamd-reload}
     * @param success whether it succeeded
     * @param detail what happened
     * @param elapsed how long it took
     */
    default void signatureUpdate(String updater, boolean success, String detail, Duration elapsed) {}

    /**
     * A listener that forwards every event to each of the given listeners in order. A listener that throws a
     * {@link RuntimeException} is skipped for that event; the others still receive it.
     *
     * @param listeners the listeners; copied
     * @return a composite listener
     */
    static HygieneListener composite(List<HygieneListener> listeners) {
        return new CompositeListener(List.copyOf(listeners));
    }

    /**
     * A listener that forwards every event to {@code listener} except {@link #disposition}: for a pipeline's listener
     * when its caller reports each disposition itself once it has carried it out. A relay whose quarantine cannot
     * store a message, or a milter whose MTA refuses the header changes, answers 451, and statistics should count
     * that {@code TEMPFAIL}, not the policy's {@code QUARANTINE} or {@code TAG}.
     *
     * @param listener where the other events go
     * @return the filtering listener; as thread-safe as {@code listener}
     */
    static HygieneListener withoutDispositions(HygieneListener listener) {
        java.util.Objects.requireNonNull(listener, "listener");
        return new HygieneListener() {
            @Override
            public void scanStarted(String scanner, Message message) {
                listener.scanStarted(scanner, message);
            }

            @Override
            public void scanFinished(Verdict verdict, Message message) {
                listener.scanFinished(verdict, message);
            }

            @Override
            public void scanFailed(ScanFailure failure, Message message) {
                listener.scanFailed(failure, message);
            }

            @Override
            public void cacheHit(Verdict verdict, Message message) {
                listener.cacheHit(verdict, message);
            }

            @Override
            public void failover(String group, String from, String to, String reason) {
                listener.failover(group, from, to, reason);
            }

            @Override
            public void memberDown(String group, String member, String reason, Duration backoff) {
                listener.memberDown(group, member, reason, backoff);
            }

            @Override
            public void memberUp(String group, String member) {
                listener.memberUp(group, member);
            }

            @Override
            public void signatureUpdate(String updater, boolean success, String detail, Duration elapsed) {
                listener.signatureUpdate(updater, success, detail, elapsed);
            }
        };
    }
}
