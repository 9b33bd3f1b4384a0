package org.mailhygiene.smtp.delivery;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.NanoClock;
import org.mailhygiene.api.events.HygieneListener;
import org.mailhygiene.api.failover.FailoverException;
import org.mailhygiene.api.failover.FailoverGroup;
import org.mailhygiene.api.routing.Route;
import org.mailhygiene.api.routing.Router;
import org.mailhygiene.internal.Checks;
import org.mailhygiene.internal.Durations;
import org.mailhygiene.internal.LogText;
import org.mailhygiene.internal.Timers;
import org.mailhygiene.internal.VirtualThreads;
import org.mailhygiene.smtp.dsn.DsnRequest;
import org.mailhygiene.smtp.queue.QueueId;
import org.mailhygiene.smtp.queue.QueueRequests;
import org.mailhygiene.smtp.queue.QueuedMessage;
import org.mailhygiene.smtp.queue.RecipientState;
import org.mailhygiene.smtp.queue.ScanNote;
import org.mailhygiene.smtp.queue.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue runner: delivers what is in the {@link Spool}, retries temporary failures on a schedule, and bounces
 * permanent failures and messages past the queue lifetime.
 *
 * <h2>One pass over a message</h2>
 * <ol>
 *   <li>The recipients that are {@link RecipientState.Status#PENDING} and due are grouped by destination (the
 *       {@link Router}'s route; for MX routes, the recipient domain). Each group is one SMTP transaction through a
 *       {@link FailoverGroup} of the route's endpoints: when a next hop fails before taking responsibility (a
 *       {@link HopFailedException}: no connection, a 4xx to MAIL/DATA/the data, a 421 to RCPT, a dropped connection, a
 *       timeout) the group moves on to the next endpoint, with the recipients that endpoint did not refuse with a
 *       5xx before it failed ({@link HopFailedException#refusedRecipients()}: those answers are final). Groups for a route are kept, so a dead hop stays in back-off
 *       across messages (the software form of a shared VRRP address).</li>
 *   <li>Per recipient: 2xx &rarr; DELIVERED; 5xx &rarr; FAILED; 4xx or every next hop failing &rarr; PENDING with
 *       the next attempt from the {@link RetrySchedule} (default {@link RetrySchedule#qmail()}), never later than the
 *       end of the queue lifetime (default 7 days). Recipients deferred because no next hop of their route took
 *       them are tried again as soon as those next hops take another message, not at their own retry time (in
 *       memory: after a restart the spool's schedule applies). An attempt at or after the end of the lifetime that fails
 *       temporarily makes the recipient FAILED ({@code 554 5.4.7}). The new states are written to the spool after
 *       each group, before the next group or anything else happens; the one write skipped is after the last group
 *       when the message is then finished (every recipient DELIVERED or BOUNCED): it is completed at once.</li>
 *   <li>FAILED recipients (every one that failed in the pass, whatever its next hop) get one RFC 3464 bounce, stored in the spool from {@code <>} to the sender, and become
 *       BOUNCED. A message with the null sender is never bounced to its sender: its failures go to the postmaster (a
 *       double bounce); a failed double bounce (null sender, to the postmaster) is logged and dropped, as qmail
 *       does. The DSN parameters the message came with ({@link QueuedMessage#dsn()}, RFC 3461) shape the bounce: a
 *       recipient whose {@code NOTIFY} leaves out {@code FAILURE} (or is {@code NEVER}) is not reported (but still
 *       becomes BOUNCED), {@code RET=HDRS} returns only the header, {@code ENVID} and {@code ORCPT} appear as
 *       {@code Original-Envelope-Id} and {@code Original-Recipient}.</li>
 *   <li>DSN: each transaction passes the DSN parameters on to a next hop that offers DSN. When one without DSN took
 *       recipients that asked for success notices ({@code NOTIFY=SUCCESS}), they are recorded as owed a
 *       {@code relayed} notice (RFC 3464 §2.3.3) with their DELIVERED states; at the end of the pass one notice from
 *       {@code <>} to the sender, with a per-recipient block for each recipient relayed in the pass, is stored under
 *       an id derived from the message and the first of them, then they are recorded as notified, and only then is
 *       the notice delivered. After a crash between the store and that record, {@link #recover()} finds the notice
 *       and records them; after one before the store, the next pass stores it: neither the message nor the notice
 *       goes out twice, and the notice is not lost. Mail from the null sender gets no notice.</li>
 *   <li>Delay: with a {@link Builder#delayWarning delay warning} set (default none), a message still queued that
 *       long after it was queued gets one {@code delayed} notice for its PENDING recipients whose {@code NOTIFY}
 *       permits it, stored under an id derived from the message and recorded in the spool
 *       ({@link QueuedMessage.Notices#delayNotified()}) before it is delivered; the warning time makes the message
 *       due on its own.</li>
 *   <li>When no recipient is PENDING or FAILED, the message is {@linkplain Spool#complete completed}.</li>
 * </ol>
 * A crash at any point repeats at most the step in flight: a delivery whose 2xx was not yet recorded (or whose
 * completion had not reached the disk, see {@link Spool#complete}) is delivered again; nothing is lost. A crash
 * does not make a second bounce: a bounce is stored under an id derived from the message and its failures
 * ({@link Spool#storeOnce}), its failures are then recorded as BOUNCED (also when the message is completed at once),
 * and only then is the bounce delivered; a crash between the store and that record is found by {@link #recover()}
 * (or the next pass), which records it without a second bounce. (A delivered bounce, like any delivered message, may
 * go out again when the machine stops before its deletion reached the disk.)
 *
 * <h2>Failover after the final dot</h2>
 * A next hop that drops the connection or times out after the message's final dot, before its reply, may or may not
 * have taken the message (RFC 1047). The agent treats it like any other failed hop and offers the message to the
 * next endpoint in the same pass; deferring instead would carry the same risk of a duplicate (the retry goes to the
 * same hops) and only delay the mail. This is the one case where a next hop's failure can duplicate a message, as
 * with every MTA; it never loses one.
 *
 * <h2>Running</h2>
 * {@link #start()} recovers the spool and schedules passes on the injected scheduler; {@link #submit} hands over a
 * newly stored message. {@link #runDue()} runs one pass synchronously over every due message; with a fake clock, tests
 * drive retries with it and never sleep. At most {@link Builder#maxConcurrent} messages are delivered at once, and
 * a message is never processed by two threads at once. A pass that fails locally (for example the spool cannot be
 * written) leaves the message as it was and holds it back for one poll interval. Failover groups are kept per list of
 * endpoints (at most 10,000; the cache is cleared beyond that).
 *
 * <p>Thread-safe.
 */
public final class DeliveryAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryAgent.class);
    private static final int MAX_GROUPS = 10_000;

    private final Spool spool;
    private final Router router;
    private final SmtpClient client;
    private final EndpointResolver resolver;
    private final Clock clock;
    /** The scheduler of passes; package-private for tests. */
    final ScheduledExecutorService scheduler;

    private final boolean ownScheduler;
    private final ExecutorService executor;
    private final boolean ownExecutor;
    private final Semaphore slots;
    private final RetrySchedule retry;
    private final Duration lifetime;
    /** After how long a delayed notice is sent, or {@code null}: none. */
    private final Duration delayWarning;

    private final String hostname;
    private final String postmaster;
    private final long returnLimit;
    private final Duration transactionDeadline;
    private final Duration hopInitialBackoff;
    private final Duration hopMaxBackoff;
    private final Duration pollInterval;
    /** The same processing failure for many messages (a full disk) logged in full once per 5 minutes. */
    private final RepeatedFailures processingFailures;

    private final DeliveryListener listener;
    /** Per-route TLS, or {@code null}: the client's own policy for every route. */
    private final RouteTlsPolicies tlsPolicies;

    private final Map<QueueId, QueuedMessage> known = new ConcurrentHashMap<>();
    private final Map<QueueId, Boolean> inFlight = new ConcurrentHashMap<>();
    /** Messages whose last pass failed locally (e.g. the spool could not be written): not retried before this. */
    private final Map<QueueId, Instant> holdUntil = new ConcurrentHashMap<>();
    /**
     * Requests an administrator made (delete, bounce, hold, release) that wait for the delivery in progress of their
     * message to end, in the order they came; changed only through {@link Map#compute} and {@link Map#remove}.
     */
    private final Map<QueueId, List<PendingRemoval>> removals = new ConcurrentHashMap<>();

    private record PendingRemoval(QueueRequests.Action action, CompletableFuture<Removal> result) {}

    /** Failover groups (with their back-off) per list of endpoints and TLS policy. */
    private final Map<GroupKey, FailoverGroup<Endpoint>> groups = new ConcurrentHashMap<>();

    /** The last failure seen per group, so a deferral while every hop is in back-off still says why. */
    private final Map<GroupKey, HopFailure> lastFailure = new ConcurrentHashMap<>();

    /**
     * Per group of next hops that failed: the messages it left deferred, with their recipients. When the group takes a
     * message again they are made due at once instead of waiting out their own retry (qmail's schedule reaches hours:
     * a gateway back after an outage left the edges' queued mail waiting up to that long). In memory only: after a
     * restart the spool's schedule applies ({@code hygiene queue flush} retries at once).
     */
    private final Map<GroupKey, Map<QueueId, Set<String>>> waiting = new ConcurrentHashMap<>();

    private record GroupKey(List<Endpoint> endpoints, Optional<TlsPolicy> tls) {}

    private final Object wakeLock = new Object();
    private ScheduledFuture<?> nextWake;
    private volatile boolean started;
    private volatile boolean closed;
    private final BiFunction<Envelope, byte[], byte[]> noticeSigner;

    private DeliveryAgent(Builder b) {
        this.spool = b.spool;
        this.router = b.router;
        this.client = b.client != null
                ? b.client
                : SmtpClient.builder().heloName(b.hostname).build();
        this.resolver = new EndpointResolver(b.dns != null ? b.dns : JndiDnsResolver.system(), b.mxPort);
        this.clock = b.clock;
        this.ownScheduler = b.scheduler == null;
        // a cancelled pass leaves the queue at once: each message submitted while the next pass waits minutes ahead (a
        // retry, a held next hop) cancels that one, which stayed queued until its time (until session 44)
        this.scheduler = b.scheduler != null ? b.scheduler : Timers.daemonScheduler("delivery-scheduler");
        this.ownExecutor = b.executor == null;
        this.executor =
                b.executor != null ? b.executor : VirtualThreads.newPerTaskExecutor("delivery-", b.maxConcurrent);
        this.slots = new Semaphore(b.maxConcurrent);
        this.retry = b.retry;
        this.lifetime = b.lifetime;
        this.delayWarning = b.delayWarning;
        this.hostname = b.hostname;
        this.postmaster = b.postmaster;
        this.returnLimit = b.returnLimit;
        this.transactionDeadline = b.transactionDeadline;
        // A default back-off yields to an explicit one it conflicts with (build() refuses two explicit ones).
        boolean crossed = b.hopInitialBackoff.compareTo(b.hopMaxBackoff) > 0;
        this.hopInitialBackoff = crossed && !b.hopInitialBackoffSet ? b.hopMaxBackoff : b.hopInitialBackoff;
        this.hopMaxBackoff = crossed && b.hopInitialBackoffSet ? b.hopInitialBackoff : b.hopMaxBackoff;
        this.pollInterval = b.pollInterval;
        this.processingFailures = new RepeatedFailures(NanoClock.of(b.clock), Duration.ofMinutes(5));
        this.listener = b.listener;
        this.tlsPolicies = b.tlsPolicies;
        this.noticeSigner = b.noticeSigner;
    }

    /**
     * Starts a builder.
     *
     * @param spool the spool to deliver from
     * @param router where recipients go
     * @return a new builder
     */
    public static Builder builder(Spool spool, Router router) {
        return new Builder(spool, router);
    }

    /**
     * Recovers the spool (see {@link Spool#recover()}) and starts scheduled passes: one now, then at the earliest
     * due retry or every poll interval, whichever comes first.
     *
     * @return the number of messages recovered
     * @throws IOException if the spool cannot be read
     * @throws IllegalStateException if already started or closed
     */
    public int start() throws IOException {
        if (started || closed) {
            throw new IllegalStateException(closed ? "closed" : "already started");
        }
        int n = recover();
        started = true;
        wake(Duration.ZERO);
        return n;
    }

    /**
     * Loads the spool's messages without starting the scheduler (for {@link #runDue()}-driven use and tests), and
     * tells the listener of each ({@link DeliveryListener#recovered}).
     *
     * @return the number of messages loaded
     * @throws IOException if the spool cannot be read
     */
    public int recover() throws IOException {
        List<QueuedMessage> all = spool.recover();
        Map<QueueId, QueuedMessage> ids = new java.util.HashMap<>();
        for (QueuedMessage m : all) {
            ids.put(m.id(), m);
        }
        for (QueuedMessage m : all) {
            QueuedMessage cur = m;
            // A crash after a bounce was stored and before its failures were recorded as BOUNCED: record them now,
            // before any pass, so neither a second bounce is stored nor the first one leaves the spool unnoticed.
            if (!m.recipients(RecipientState.Status.FAILED).isEmpty() && ids.containsKey(bounceId(m))) {
                try {
                    cur = spool.update(markBounced(m));
                    LOG.info("{}: its bounce {} was stored before a restart; not sent again", m.id(), bounceId(m));
                } catch (IOException e) {
                    // Not a reason to refuse the start (a full disk would keep the queue from draining): the first
                    // pass over the message bounces its failures before anything else, finds the bounce stored and
                    // writes this record then.
                    LOG.warn(
                            "{}: cannot record that its bounce {} was stored ({}); the first pass will",
                            m.id(),
                            bounceId(m),
                            e.toString());
                }
            }
            QueuedMessage before = cur;
            // A crash after a relayed notice was stored and before the record of its recipients as notified: the
            // notice is there (its id derives from the message and the first of them), so record them now.
            if (!cur.notices().relayedOwed().isEmpty() && ids.containsKey(relayedNoticeId(cur))) {
                LOG.info(
                        "{}: its relayed notice {} was stored before a restart; not sent again",
                        m.id(),
                        relayedNoticeId(cur));
                cur = cur.withNotices(cur.notices().withRelayedOwed(java.util.Set.of()));
            }
            // The same for a delay notice (there is one per message).
            if (cur.notices().delayNotified().isEmpty() && ids.containsKey(delayNoticeId(cur))) {
                LOG.info(
                        "{}: its delay notice {} was stored before a restart; not sent again",
                        m.id(),
                        delayNoticeId(cur));
                cur = cur.withNotices(cur.notices()
                        .withDelayNotified(ids.get(delayNoticeId(cur)).queuedAt()));
            }
            // A spool written by a version that stored one relayed notice per recipient before recording its
            // delivery: a crash between the two left the recipient PENDING with its notice stored. The next hop took
            // it (a notice was stored only after its 2xx), so record it as delivered rather than deliver it, and
            // notify, again. (This version records the delivery first, so it never leaves a spool like that.)
            for (int i = 0; i < before.recipients().size(); i++) {
                RecipientState r = cur.recipients().get(i);
                if (r.status() != RecipientState.Status.PENDING
                        || !before.dsn(i).wantsSuccess()) {
                    continue;
                }
                QueueId notice = relayedNoticeId(before, i);
                if (ids.containsKey(notice)) {
                    List<RecipientState> states = new ArrayList<>(cur.recipients());
                    states.set(i, r.delivered("relayed; its notice " + notice + " was stored before a restart"));
                    cur = cur.withRecipients(states);
                    LOG.info(
                            "{}: <{}> was relayed before a restart (notice {}); not sent again",
                            m.id(),
                            LogText.printable(r.address()),
                            notice);
                }
            }
            if (cur != before) {
                try {
                    cur = spool.update(cur);
                } catch (IOException e) {
                    // As for a bounce: not a reason to refuse the start. The recipients stay DELIVERED in memory, so
                    // no pass delivers them again; a later write of the record (or the next start) records it.
                    LOG.warn(
                            "{}: cannot record its deliveries relayed before a restart ({}); kept in memory",
                            m.id(),
                            e.toString());
                }
            }
            known.putIfAbsent(cur.id(), cur);
            QueuedMessage found = cur;
            tell(() -> listener.recovered(found));
        }
        return all.size();
    }

    /**
     * Hands over a message just stored in the spool; it is delivered on the next pass (at once when started).
     *
     * @param message the stored message
     */
    public void submit(QueuedMessage message) {
        Objects.requireNonNull(message, "message");
        known.putIfAbsent(message.id(), message);
        if (started && !closed) {
            wake(Duration.ZERO);
        }
    }

    /**
     * How many messages the agent holds (delivering, waiting for a retry, or waiting to be completed).
     *
     * @return the count
     */
    public int queued() {
        return known.size();
    }

    /**
     * How many messages are being delivered at this moment (a connection open or being opened). Thread-safe; a
     * snapshot.
     *
     * @return the count
     */
    public int deliveriesInProgress() {
        return inFlight.size();
    }

    /**
     * Makes every deferred recipient due now (qmail's {@code qmail-tcpok} plus ALRM, Postfix's {@code postqueue -f}):
     * clears the next-attempt times in memory (the spool keeps the schedule; after a restart it applies again), lifts
     * local-failure holds, forgets every next hop's back-off (as {@code qmail-tcpok} clears its table of hosts that
     * timed out, so a hop the administrator just brought back is tried at once), and schedules a pass at once when
     * started.
     *
     * @return how many messages had deferred recipients
     */
    public int flush() {
        int n = 0;
        for (QueuedMessage m : new ArrayList<>(known.values())) {
            if (m.held()) {
                continue; // on hold: a flush does not deliver it (Postfix's postqueue -f leaves the hold queue alone)
            }
            boolean deferred = false;
            List<RecipientState> now = new ArrayList<>();
            for (RecipientState r : m.recipients()) {
                if (r.status() == RecipientState.Status.PENDING
                        && r.nextAttempt().isPresent()) {
                    deferred = true;
                    now.add(r.dueNow());
                } else {
                    now.add(r);
                }
            }
            if (deferred) {
                n++;
                // Only a message not being delivered right now: its owner would overwrite this value anyway.
                known.computeIfPresent(m.id(), (id, cur) -> cur == m ? m.withRecipients(now) : cur);
            }
        }
        holdUntil.clear();
        waiting.clear();
        // Without this, a hop that failed within its back-off (30 s, doubling to 10 min) is skipped and the flush is
        // one more deferral ("every next hop is in back-off") that never opened a connection.
        groups.clear();
        lastFailure.clear();
        if (started && !closed) {
            wake(Duration.ZERO);
        }
        return n;
    }

    /** What {@link #remove} did with a message. */
    public enum Removal {
        /** Deleted from the spool, with no notice to anyone. */
        DELETED,
        /** Its recipients not yet delivered were reported to its sender in a bounce, then it left the spool. */
        RETURNED,
        /**
         * Returned to its sender, but no bounce was sent: none of its recipients not yet delivered asked for failure
         * notices ({@code NOTIFY=NEVER}, or {@code NOTIFY} without {@code FAILURE}); it left the spool.
         */
        RETURNED_WITHOUT_NOTICE,
        /** Not in the queue (never was, or delivered, bounced or removed before the request could be carried out). */
        ABSENT,
        /** Put on hold ({@link QueueRequests.Action#HOLD}), or on hold already: it stays queued, out of delivery. */
        HELD,
        /** Released from hold ({@link QueueRequests.Action#RELEASE}): its pending recipients are due at once. */
        RELEASED,
        /** Asked to release a message that was not on hold: nothing was changed. */
        NOT_HELD,
        /**
         * Asked to delete a message the agent does not hold whose spool file is damaged (it ends before its commit
         * mark, or it cannot be read; {@code hygiene queue list} shows it as damaged): the file was deleted.
         */
        DELETED_DAMAGED,
        /**
         * Asked to flush a message ({@link QueueRequests.Action#FLUSH}): its deferred recipients are due now, and the
         * back-off of every next hop is forgotten, as by {@link #flush()}.
         */
        FLUSHED
    }

    /**
     * Removes a message at an administrator's request ({@code hygiene queue delete|bounce}): {@link
     * QueueRequests.Action#DELETE} deletes it ({@link Spool#discard}, so it does not come back after a crash);
     * {@link QueueRequests.Action#BOUNCE} makes its pending recipients FAILED ({@link QueueRequests#returnToSender}),
     * bounces them and completes it, as a pass does after permanent failures (a message from the null sender is
     * deleted instead: a bounce of a bounce would go to the postmaster, who asked for it). A message being delivered
     * at this moment is removed when that attempt ends, and no pass starts on it meanwhile; recipients the attempt
     * delivered stay delivered (the attempt is not cut short: as Postfix's {@code postsuper -d} and Exim's
     * {@code -Mrm}, the agent waits for it, at most the transaction deadline). Works before {@link #start()} too.
     *
     * <p>Also the two requests that keep a message queued: {@link QueueRequests.Action#HOLD} records it as on hold
     * ({@link QueuedMessage#heldSince()}, forced to the spool, so it stays on hold after a restart or a crash): no pass
     * runs on it, {@link #flush()} included, until {@link QueueRequests.Action#RELEASE} records it released and makes
     * its pending recipients due at once ({@link Removal#NOT_HELD} for a message that was not on hold). Its queue
     * lifetime counts from when it was queued, held time included, as in Postfix; it does not expire while held (a
     * recipient expires when an attempt fails temporarily) but may at its first failed attempt after the release.
     * Requests for a message being delivered are carried out in the order they came when the attempt ends; a second
     * delete or bounce gets the first one's result.
     *
     * @param id the message
     * @param action what to do
     * @return completes with what was done once it is durable, or exceptionally with the {@link IOException} that
     *     kept it from being done (the message then stays queued, its recipients FAILED if only the bounce failed; a
     *     hold or release that failed leaves it as it was)
     */
    public CompletableFuture<Removal> remove(QueueId id, QueueRequests.Action action) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(action, "action");
        PendingRemoval mine = new PendingRemoval(action, new CompletableFuture<>());
        @SuppressWarnings("unchecked")
        CompletableFuture<Removal>[] decided = new CompletableFuture[1];
        removals.compute(id, (k, list) -> {
            List<PendingRemoval> out = list == null ? new ArrayList<>() : new ArrayList<>(list);
            for (PendingRemoval p : out) {
                if (action.removes() && p.action().removes()) {
                    decided[0] = p.result(); // asked twice while its delivery runs: the first removal decides
                    return out;
                }
            }
            out.add(mine); // a hold or release waits its turn: carried out in the order asked
            return out;
        });
        if (decided[0] != null) {
            return decided[0];
        }
        carryOutRemoval(id);
        return mine.result();
    }

    /**
     * The ids of the messages on hold ({@link QueuedMessage#held()}), in id order: what {@code hygiene queue release
     * --all} releases.
     *
     * @return a snapshot
     */
    public List<QueueId> heldIds() {
        List<QueueId> ids = new ArrayList<>();
        for (QueuedMessage m : known.values()) {
            if (m.held()) {
                ids.add(m.id());
            }
        }
        java.util.Collections.sort(ids);
        return ids;
    }

    /**
     * The ids of the messages the agent holds, in id (arrival) order: what {@code hygiene queue delete --all} removes.
     *
     * @return a snapshot
     */
    public List<QueueId> queuedIds() {
        List<QueueId> ids = new ArrayList<>(known.keySet());
        java.util.Collections.sort(ids);
        return ids;
    }

    /**
     * Carries out the removal asked for a message, if there is one and no delivery of it is in progress (the delivery
     * calls this again when it ends).
     */
    private void carryOutRemoval(QueueId id) {
        if (!removals.containsKey(id) || inFlight.putIfAbsent(id, Boolean.TRUE) != null) {
            return;
        }
        boolean released = false;
        try {
            List<PendingRemoval> ps = removals.remove(id);
            if (ps == null) {
                return;
            }
            for (PendingRemoval p : ps) {
                try {
                    Removal done = removeOwned(id, p.action());
                    released |= done == Removal.RELEASED || done == Removal.FLUSHED;
                    p.result().complete(done);
                } catch (IOException | RuntimeException e) {
                    LOG.error(
                            "{}: {} asked by the administrator failed; it stays as it was: {}",
                            id,
                            p.action().word(),
                            e.toString());
                    p.result().completeExceptionally(e);
                }
            }
        } finally {
            inFlight.remove(id);
        }
        if (released) {
            // only now that it is no longer marked in flight: a pass woken inside the release (on the scheduler's
            // thread, at once) skipped it as in flight, and it waited for the poll interval, a minute by default
            // (found under load in session 49's verification)
            wake(Duration.ZERO);
        }
        if (removals.containsKey(id)) {
            carryOutRemoval(id); // asked while the requests before it were carried out
        }
    }

    private Removal removeOwned(QueueId id, QueueRequests.Action action) throws IOException {
        QueuedMessage m = known.get(id);
        if (m == null) {
            // a damaged file the node never loaded, which 'hygiene queue list' shows: until session 50 a delete
            // answered 'not in the queue' and left it
            if (action == QueueRequests.Action.DELETE
                    && (spool.discardUnreadable(id) || spool.discardUncommitted(id))) {
                LOG.warn("{}: damaged spool file deleted by the administrator", id);
                return Removal.DELETED_DAMAGED;
            }
            return Removal.ABSENT;
        }
        if (action == QueueRequests.Action.HOLD || action == QueueRequests.Action.RELEASE) {
            return holdOwned(m, action == QueueRequests.Action.HOLD);
        }
        if (action == QueueRequests.Action.FLUSH) {
            if (m.held()) {
                return Removal.HELD; // a flush leaves the hold alone, as the flush of the whole queue does
            }
            known.put(id, m.withPendingDueNow());
            holdUntil.remove(id);
            groups.clear(); // as flush(): a hop in back-off would make the retry one more deferral
            lastFailure.clear();
            LOG.info("{}: flushed by the administrator: its deferred recipients are retried now", id);
            return Removal.FLUSHED; // carryOutRemoval wakes a pass once the message is not in flight
        }
        List<String> left = m.recipients().stream()
                .filter(r -> r.status() == RecipientState.Status.PENDING)
                .map(r -> "<" + r.address() + ">")
                .toList();
        if (action == QueueRequests.Action.DELETE || m.envelope().hasNullSender()) {
            if (!spool.discard(id)) {
                forget(m);
                return Removal.ABSENT;
            }
            forget(m);
            LOG.info(
                    "{}: deleted by the administrator{}; {} recipient(s) not delivered{}",
                    id,
                    action == QueueRequests.Action.DELETE ? "" : " (asked to bounce it; it is from the null sender)",
                    left.size(),
                    left.isEmpty() ? "" : ": " + LogText.printable(String.join(", ", left)));
            tell(() -> listener.completed(m));
            return Removal.DELETED;
        }
        QueuedMessage returned = spool.update(QueueRequests.returnToSender(m));
        known.put(id, returned);
        boolean notice = QueueRequests.bounceWanted(returned);
        LOG.info(
                "{}: returned to its sender <{}> by the administrator{}; {} recipient(s) not delivered{}",
                id,
                LogText.printable(m.envelope().sender()),
                notice ? "" : " without a bounce (their NOTIFY leaves out FAILURE)",
                left.size(),
                left.isEmpty() ? "" : ": " + LogText.printable(String.join(", ", left)));
        process(returned);
        // until session 49 this said RETURNED, and the command 'the bounce is queued', of a bounce never sent
        return notice ? Removal.RETURNED : Removal.RETURNED_WITHOUT_NOTICE;
    }

    /**
     * Puts a message on hold, durably (no pass runs on it from now on, also after a restart), or releases it: its
     * pending recipients are made due now, durably ({@link #carryOutRemoval} then wakes a pass).
     */
    private Removal holdOwned(QueuedMessage m, boolean hold) throws IOException {
        if (hold == m.held()) {
            return hold ? Removal.HELD : Removal.NOT_HELD;
        }
        QueuedMessage changed;
        if (hold) {
            changed = m.withHeldSince(Optional.of(clock.instant()));
        } else {
            changed = m.withHeldSince(Optional.empty()).withPendingDueNow();
        }
        spool.update(changed);
        known.put(m.id(), changed);
        holdUntil.remove(m.id());
        LOG.info(
                "{}: {} by the administrator{}",
                m.id(),
                hold ? "put on hold" : "released from hold",
                hold
                        ? "; no delivery until it is released"
                        : " (held since " + m.heldSince().get() + "); delivered at the next pass");
        return hold ? Removal.HELD : Removal.RELEASED; // a release wakes a pass once the message is not in flight
    }

    /** Drops a message that left the spool from every in-memory table. */
    private void forget(QueuedMessage m) {
        known.remove(m.id());
        holdUntil.remove(m.id());
        for (Map<QueueId, Set<String>> w : waiting.values()) {
            w.remove(m.id());
        }
    }

    /**
     * When the oldest message the agent holds was queued (for the queue's age in metrics). Linear in the queue length.
     *
     * @return the earliest {@link QueuedMessage#queuedAt()}, empty when nothing is queued
     */
    public Optional<Instant> oldestQueuedAt() {
        Instant oldest = null;
        for (QueuedMessage m : known.values()) {
            if (oldest == null || m.queuedAt().isBefore(oldest)) {
                oldest = m.queuedAt();
            }
        }
        return Optional.ofNullable(oldest);
    }

    /**
     * Runs one pass now over every due message and waits for it to finish.
     *
     * @return how many messages were processed: a message put on hold after the pass looked at it, and so left alone,
     *     is not counted (until session 50 it was)
     * @throws InterruptedException if interrupted while waiting
     */
    public int runDue() throws InterruptedException {
        List<Future<Boolean>> futures = new ArrayList<>();
        Instant now = clock.instant();
        for (QueuedMessage m : new ArrayList<>(known.values())) {
            if (m.held()
                    || !isDue(m, now)
                    || held(m, now)
                    || removals.containsKey(m.id())
                    || inFlight.putIfAbsent(m.id(), Boolean.TRUE) != null) {
                continue;
            }
            slots.acquire();
            try {
                futures.add(executor.submit(() -> runOne(m.id())));
            } catch (RuntimeException e) {
                slots.release();
                inFlight.remove(m.id());
                throw e;
            }
        }
        int processed = 0;
        for (Future<Boolean> f : futures) {
            try {
                if (f.get()) {
                    processed++;
                }
            } catch (ExecutionException e) {
                LOG.error("delivery task failed", e.getCause());
            }
        }
        return processed;
    }

    private void tick() {
        if (closed) {
            return;
        }
        synchronized (wakeLock) {
            // This pass is running, no longer pending: a wake() from now on (a message submitted after the snapshot
            // below, or this pass's own wake at the end) must schedule another pass instead of trusting this one.
            nextWake = null;
        }
        Instant now = clock.instant();
        boolean slotsFull = false;
        for (QueuedMessage m : new ArrayList<>(known.values())) {
            if (m.held() || !isDue(m, now) || held(m, now) || removals.containsKey(m.id())) {
                continue; // a removal waits for the delivery in progress, which carries it out when it ends
            }
            if (!slots.tryAcquire()) {
                slotsFull = true;
                break; // a finishing delivery wakes us again
            }
            if (inFlight.putIfAbsent(m.id(), Boolean.TRUE) != null) {
                slots.release();
                continue;
            }
            try {
                executor.execute(() -> {
                    runOne(m.id());
                    wake(Duration.ZERO);
                });
            } catch (RuntimeException e) {
                slots.release();
                inFlight.remove(m.id());
                LOG.error("cannot schedule delivery of {}", m.id(), e);
            }
        }
        wake(untilNextDue(clock.instant(), slotsFull));
    }

    /**
     * One pass over one message the caller marked in flight and took a slot for.
     *
     * @return whether the message was processed (a failed pass counts: it was tried); {@code false} when it left the
     *     queue, was put on hold or is no longer due (another pass tried it) since the pass looked at it
     */
    private boolean runOne(QueueId id) {
        try {
            QueuedMessage m = known.get(id);
            // Read again now that this task owns it: a hold carried out after the pass looked at the queue (while it
            // waited for a slot) is seen here; until session 49 the pass delivered the message said to be on hold. So
            // is an attempt another pass made meanwhile, after which the message waits for its next retry.
            Instant now = clock.instant();
            if (m == null || m.held() || !isDue(m, now) || held(m, now)) {
                return false;
            }
            process(m);
            return true;
        } catch (IOException | RuntimeException e) {
            holdUntil.put(id, clock.instant().plus(pollInterval));
            RepeatedFailures.Decision d = processingFailures.record(RepeatedFailures.describe(e));
            if (d.level() == RepeatedFailures.Level.QUIET) {
                LOG.debug(
                        "processing {} failed; it stays queued and is retried after {}: {}",
                        id,
                        Durations.format(pollInterval),
                        e);
            } else {
                LOG.error(
                        "processing {} failed; it stays queued and is retried after {}: {}{}",
                        id,
                        Durations.format(pollInterval),
                        e.toString(),
                        d.quietBefore() == 0
                                ? ""
                                : " (" + d.quietBefore() + " more failed the same way since this was last logged"
                                        + " in full; those at DEBUG; `hygiene queue list` shows them)",
                        e);
            }
            return true; // tried: its failure is logged and it is retried
        } finally {
            inFlight.remove(id);
            slots.release();
            carryOutRemoval(id); // asked while it was being delivered
        }
    }

    /**
     * How long the scheduler may sleep: until the earliest due message that a pass could start, at most the poll
     * interval. A message in flight is left out (its delivery wakes the scheduler when it ends), and so is every
     * message while no delivery slot is free (the delivery that frees one wakes it), and a held message counts from
     * the end of its hold: each of them is due, and counting it made every pass schedule the next at once, a busy
     * loop for as long as a delivery lasted (a core spent on a next hop that never greeted).
     */
    private Duration untilNextDue(Instant now, boolean slotsFull) {
        Instant earliest = now.plus(pollInterval);
        for (QueuedMessage m : slotsFull ? List.<QueuedMessage>of() : known.values()) {
            if (inFlight.containsKey(m.id()) || m.held()) {
                continue; // a held message is not due (a release schedules a pass)
            }
            Instant d = dueAt(m);
            Instant hold = holdUntil.get(m.id());
            if (hold != null && hold.isAfter(d)) {
                d = hold;
            }
            if (d.isBefore(earliest)) {
                earliest = d;
            }
        }
        Duration wait = Duration.between(now, earliest);
        return wait.isNegative() ? Duration.ZERO : wait;
    }

    private void wake(Duration delay) {
        if (!started || closed) {
            return;
        }
        synchronized (wakeLock) {
            if (nextWake != null && !nextWake.isDone()) {
                if (nextWake.getDelay(TimeUnit.NANOSECONDS) <= delay.toNanos()) {
                    return;
                }
                nextWake.cancel(false);
            }
            nextWake = scheduler.schedule(this::tick, Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
        }
    }

    private boolean held(QueuedMessage m, Instant now) {
        Instant until = holdUntil.get(m.id());
        if (until == null) {
            return false;
        }
        if (now.isBefore(until)) {
            return true;
        }
        holdUntil.remove(m.id(), until);
        return false;
    }

    private Instant dueAt(QueuedMessage m) {
        if (!m.notices().relayedOwed().isEmpty()) {
            return Instant.MIN;
        }
        Instant earliest = delayNoticeDue(m).orElse(Instant.MAX);
        for (RecipientState r : m.recipients()) {
            if (r.status() == RecipientState.Status.FAILED) {
                return Instant.MIN;
            }
            if (r.status() == RecipientState.Status.PENDING) {
                Instant t = r.nextAttempt().orElse(Instant.MIN);
                if (t.isBefore(earliest)) {
                    earliest = t;
                }
            }
        }
        return earliest == Instant.MAX && !m.hasPending() ? Instant.MIN : earliest;
    }

    private boolean isDue(QueuedMessage m, Instant now) {
        return !dueAt(m).isAfter(now);
    }

    /** One pass over one message; the caller owns it. */
    private void process(QueuedMessage given) throws IOException {
        Instant now = clock.instant();
        // Failures an earlier pass did not finish bouncing (its record of them as BOUNCED failed) are bounced before
        // anything is delivered: the bounce id derives from the FAILED recipients, so a recipient failing in this pass
        // must not join them and be recorded as BOUNCED under a bounce stored before it failed, which omits it.
        List<QueuedMessage> notices = new ArrayList<>();
        try {
            processNotifying(given, now, notices);
        } finally {
            // Stored, and their recording durable: they must not wait for a restart, even when the pass failed later.
            // Handed over only now, after the message's completion, so nothing reporting on it leaves the spool first.
            publish(notices);
        }
    }

    private void processNotifying(QueuedMessage given, Instant now, List<QueuedMessage> notices) throws IOException {
        // Relayed notices an earlier pass owed but did not store (a crash between the record of the deliveries and
        // the notice's store) go first, for the same reason as bounces.
        QueuedMessage m = bounceFailures(notifyRelayed(given, now, notices), now);
        Instant expiry = m.queuedAt().plus(lifetime);
        boolean expired = !now.isBefore(expiry);
        Map<String, List<String>> byDestination = new LinkedHashMap<>();
        Map<String, Route> routes = new LinkedHashMap<>();
        Map<String, String> domains = new LinkedHashMap<>();
        Map<String, Optional<TlsPolicy>> tls = new LinkedHashMap<>();
        for (RecipientState r : m.recipients()) {
            if (r.status() != RecipientState.Status.PENDING
                    || r.nextAttempt().map(now::isBefore).orElse(false)) {
                continue;
            }
            Route route = router.route(r.address());
            String domain = Router.domainOf(r.address());
            String key = route instanceof Route.Mx ? "mx:" + domain : route.toString();
            Optional<TlsPolicy> policy = Optional.empty();
            if (tlsPolicies != null) {
                // Recipients of one relay route under different TLS entries go in separate transactions.
                key += " tls:" + tlsPolicies.matchingEntry(domain).orElse("*");
                policy = Optional.of(tlsPolicies.policyFor(domain));
            }
            byDestination.computeIfAbsent(key, k -> new ArrayList<>()).add(r.address());
            routes.put(key, route);
            domains.put(key, domain);
            tls.put(key, policy);
        }
        QueuedMessage updated = m;
        int left = byDestination.size();
        for (Map.Entry<String, List<String>> e : byDestination.entrySet()) {
            Delivered d =
                    deliver(m, routes.get(e.getKey()), domains.get(e.getKey()), tls.get(e.getKey()), e.getValue());
            for (RecipientResult r : d.results()) {
                updated = updated.withRecipient(
                        r.recipient(), s -> apply(s, r, m.queuedAt(), now, expiry, expired, d.attempted()));
            }
            left--;
            // Recipients a next hop without DSN took that asked for success notices are owed a relayed notice,
            // recorded with their DELIVERED states; the pass stores one notice for all of them at its end.
            if (!d.nextHopDsn()) {
                updated = oweRelayedNotices(updated, d.results());
            }
            // Persist after every destination, so a local failure later in this pass cannot make us deliver to this
            // one again; the one write skipped is the last, when the message completes now (its file is deleted)
            // and owes no notice: owed notices are recorded before the notice is stored, so a crash between the two
            // leaves them owed (the next pass stores the notice) instead of the recipients PENDING (delivered again).
            if (left > 0
                    || !finished(updated)
                    || !updated.notices().relayedOwed().isEmpty()) {
                spool.update(updated);
                known.put(updated.id(), updated);
            }
        }
        updated = notifyRelayed(updated, now, notices);
        updated = bounceFailures(updated, now);
        if (finished(updated)) {
            spool.complete(updated.id());
            forget(updated);
            LOG.debug("{} completed", updated.id());
            QueuedMessage done = updated;
            tell(() -> listener.completed(done));
        } else {
            warnDelayed(updated, now, notices);
        }
    }

    /** Hands stored relayed notices to delivery, as {@link #submit} does. */
    private void publish(List<QueuedMessage> notices) {
        notices.forEach(this::submit);
    }

    /** Nothing left to deliver and no bounce owed: the message can leave the spool. */
    private static boolean finished(QueuedMessage m) {
        return !m.hasPending() && m.recipients(RecipientState.Status.FAILED).isEmpty();
    }

    private RecipientState apply(
            RecipientState s,
            RecipientResult r,
            Instant queuedAt,
            Instant now,
            Instant expiry,
            boolean expired,
            boolean attempted) {
        if (!attempted
                && r.outcome() == RecipientResult.Outcome.TEMPORARY
                && s.lastReply().isPresent()
                && s.remoteMta().isPresent()) {
            // a pass that found every hop in back-off tried none: a reply a server gave this recipient is still the
            // last thing a server said about it (the hops' back-off may come from another message's failure)
            String own = s.lastReply().get();
            r = new RecipientResult(
                    r.recipient(),
                    r.outcome(),
                    Dsn.status(own),
                    own,
                    s.remoteMta().get());
        }
        RecipientState next = applyOutcome(s, r, queuedAt, now, expiry, expired, attempted);
        // a pass that found every hop in back-off tried none: the last attempt is still the one before
        return attempted ? next.withLastAttempt(now) : next;
    }

    private RecipientState applyOutcome(
            RecipientState s,
            RecipientResult r,
            Instant queuedAt,
            Instant now,
            Instant expiry,
            boolean expired,
            boolean attempted) {
        // The reply stays apart from the next hop that gave it: a bounce reports that one as Remote-MTA, and the
        // relay's own texts (no server replied) carry no remote and are not labelled as SMTP replies.
        String reply = r.diagnostic();
        Optional<String> remote = r.remote().isEmpty() ? Optional.empty() : Optional.of(r.remote());
        switch (r.outcome()) {
            case DELIVERED:
                return s.delivered(reply, remote);
            case PERMANENT:
                return s.failed(reply, true, remote);
            default:
                // a pass that found every hop in back-off is no attempt: `hygiene queue list` counted such passes
                // (attempts=37 for a hop tried 6 times in 10 minutes; audit, session 48)
                if (expired) {
                    return s.failed(Dsn.EXPIRED + reply, attempted, remote);
                }
                Instant next = retry.next(queuedAt, now);
                if (!next.isAfter(now)) {
                    next = now.plusSeconds(1);
                }
                if (next.isAfter(expiry)) {
                    next = expiry;
                }
                return s.deferred(reply, next, remote, attempted);
        }
    }

    /**
     * The results of one transaction, whether its next hop offered DSN (so it got the DSN parameters), and whether an
     * attempt was made: not when every next hop was in back-off, so that no connection was tried (the recipients'
     * {@code Last-Attempt-Date} stays that of the attempt whose reply they keep).
     */
    private record Delivered(List<RecipientResult> results, boolean nextHopDsn, boolean attempted) {
        Delivered(List<RecipientResult> results, boolean nextHopDsn) {
            this(results, nextHopDsn, true);
        }
    }

    /**
     * Records a relayed notice as owed for each recipient of {@code results} just delivered to a next hop without DSN
     * that asked for success notices ({@code NOTIFY=SUCCESS}); never for a message from the null sender.
     */
    private static QueuedMessage oweRelayedNotices(QueuedMessage m, List<RecipientResult> results) {
        if (m.envelope().hasNullSender() || m.dsn().recipients().isEmpty()) {
            return m;
        }
        java.util.Set<Integer> owed = new java.util.TreeSet<>(m.notices().relayedOwed());
        for (RecipientResult r : results) {
            if (r.outcome() != RecipientResult.Outcome.DELIVERED) {
                continue;
            }
            int index = indexOf(m, r.recipient(), RecipientState.Status.DELIVERED);
            if (index >= 0 && m.dsn(index).wantsSuccess()) {
                owed.add(index);
            }
        }
        return owed.equals(m.notices().relayedOwed())
                ? m
                : m.withNotices(m.notices().withRelayedOwed(owed));
    }

    /**
     * Passes a bounce or notice through the {@linkplain Builder#noticeSigner notice signer}. One that the signer changed
     * (signed) and that holds 8-bit data (a returned 8-bit message) is converted to 7 bit ({@link SevenBitConverter},
     * as for a next hop without 8BITMIME) and signed again, so that the signature covers what every next hop gets: a
     * conversion on the way would change the body it signs. One the signer leaves as it is stays as written (8-bit
     * parts included).
     */
    private byte[] signNotice(Envelope env, byte[] notice) {
        byte[] signed = noticeSigner.apply(env, notice);
        if (signed == notice) {
            return signed;
        }
        try {
            if (!SmtpTransaction.hasEightBit(MessageContent.ofBytes(notice))) {
                return signed;
            }
            SevenBitConverter.Plan plan = SevenBitConverter.analyse(new ByteArrayInputStream(notice));
            if (plan.converted() == 0) {
                return signed;
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(notice.length + notice.length / 2);
            SevenBitConverter.convert(new ByteArrayInputStream(notice), plan, out);
            return noticeSigner.apply(env, out.toByteArray());
        } catch (IOException | RuntimeException e) {
            LOG.warn(
                    "a notice to <{}> stays 8-bit (converting it failed: {})",
                    LogText.printable(String.join(">, <", env.recipients())),
                    e.toString());
            return signed;
        }
    }

    /**
     * Stores one {@code relayed} notice (RFC 3464 §2.3.3) for every recipient the message owes one, under an id
     * derived from the message and the first of them ({@link #relayedNoticeId(QueuedMessage)}), then records them as
     * notified (written even when the message then completes, as for a bounce) and adds the notice to
     * {@code notices} for delivery. A notice already stored under that id (a crash came before the record) is not
     * stored again. A notice that cannot be stored is logged and given up: the deliveries it reports are recorded, and
     * keeping the message for it would hold the whole message back.
     *
     * @return the message as recorded now
     */
    private QueuedMessage notifyRelayed(QueuedMessage m, Instant now, List<QueuedMessage> notices) throws IOException {
        java.util.SortedSet<Integer> owed = m.notices().relayedOwed();
        if (owed.isEmpty()) {
            return m;
        }
        String to = m.envelope().sender();
        QueueId id = relayedNoticeId(m);
        List<RecipientState> reported = new ArrayList<>();
        for (int i : owed) {
            reported.add(m.recipients().get(i));
        }
        Optional<QueuedMessage> stored = Optional.empty();
        try {
            byte[] report = Dsn.report(Dsn.Kind.RELAYED, hostname, to, m, reported, now, returnLimit);
            Envelope env =
                    new Envelope(Optional.empty(), Optional.of(hostname), Envelope.NULL_SENDER, List.of(to), now);
            stored = spool.storeOnce(
                    id, env, MessageContent.ofBytes(signNotice(env, report)), Optional.of(ScanNote.NOTICE));
            if (stored.isEmpty()) {
                LOG.info("{}: relayed notice {} was stored before; not stored again", m.id(), id);
                if (!known.containsKey(id) && !inFlight.containsKey(id)) {
                    stored = spool.get(id);
                }
            } else {
                LOG.info(
                        "{}: relayed notice {} to <{}> for {} recipient(s)",
                        m.id(),
                        id,
                        LogText.printable(to),
                        reported.size());
            }
        } catch (IOException e) {
            LOG.error(
                    "{}: relayed notice {} to <{}> for {} recipient(s) could not be stored; the deliveries are "
                            + "recorded without it: {}",
                    m.id(),
                    id,
                    to,
                    reported.size(),
                    e.toString());
        }
        QueuedMessage out = m.withNotices(m.notices().withRelayedOwed(java.util.Set.of()));
        spool.update(out);
        known.put(out.id(), out);
        handOver(m, stored, notices);
        return out;
    }

    /**
     * When the message's delay notice is due: {@code delayWarning} after it was queued, if a delay warning is
     * configured, the message is not from the null sender, none was sent yet, that time is before the end of the
     * queue lifetime, and a PENDING recipient's {@code NOTIFY} permits it.
     */
    private Optional<Instant> delayNoticeDue(QueuedMessage m) {
        if (delayWarning == null
                || m.notices().delayNotified().isPresent()
                || m.envelope().hasNullSender()) {
            return Optional.empty();
        }
        Instant at = m.queuedAt().plus(delayWarning);
        if (!at.isBefore(m.queuedAt().plus(lifetime)) || delayed(m).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(at);
    }

    /** The PENDING recipients whose {@code NOTIFY} permits a delay notice. */
    private static List<RecipientState> delayed(QueuedMessage m) {
        List<RecipientState> out = new ArrayList<>();
        for (int i = 0; i < m.recipients().size(); i++) {
            RecipientState r = m.recipients().get(i);
            if (r.status() == RecipientState.Status.PENDING && m.dsn(i).wantsDelay()) {
                out.add(r);
            }
        }
        return out;
    }

    /**
     * Sends the message's one {@code delayed} notice (RFC 3464 §2.3.3) when it is due (see
     * {@link #delayNoticeDue}): stored under an id derived from the message ({@link #delayNoticeId}), then recorded in
     * the message's record, then added to {@code notices} for delivery, so that a crash between the store and the
     * record neither loses the notice nor sends it twice. A notice that cannot be stored (a full disk) is logged at
     * ERROR and given up, as a relayed notice is: it is recorded as sent, and the pass goes on.
     */
    private void warnDelayed(QueuedMessage m, Instant now, List<QueuedMessage> notices) throws IOException {
        Optional<Instant> due = delayNoticeDue(m);
        if (due.isEmpty() || now.isBefore(due.get())) {
            return;
        }
        List<RecipientState> reported = delayed(m);
        String to = m.envelope().sender();
        QueueId id = delayNoticeId(m);
        Optional<QueuedMessage> stored = Optional.empty();
        try {
            byte[] report =
                    Dsn.delayed(hostname, to, m, reported, now, m.queuedAt().plus(lifetime));
            Envelope env =
                    new Envelope(Optional.empty(), Optional.of(hostname), Envelope.NULL_SENDER, List.of(to), now);
            stored = spool.storeOnce(
                    id, env, MessageContent.ofBytes(signNotice(env, report)), Optional.of(ScanNote.NOTICE));
            if (stored.isEmpty()) {
                LOG.info("{}: delay notice {} was stored before; not stored again", m.id(), id);
                if (!known.containsKey(id) && !inFlight.containsKey(id)) {
                    stored = spool.get(id);
                }
            } else {
                LOG.info(
                        "{}: delay notice {} to <{}> for {} recipient(s)",
                        m.id(),
                        id,
                        LogText.printable(to),
                        reported.size());
            }
        } catch (IOException e) {
            // As for a relayed notice: the message's delivery must not fail, or wait, for its notice (the pass was
            // failed and retried, the notice due again at once). Recorded as notified, so it is not tried again.
            LOG.error(
                    "{}: delay notice {} to <{}> for {} recipient(s) could not be stored; the message is delivered"
                            + " without it, and it is not tried again: {}",
                    m.id(),
                    id,
                    to,
                    reported.size(),
                    e.toString());
        }
        QueuedMessage out = m.withNotices(m.notices().withDelayNotified(now));
        spool.update(out);
        known.put(out.id(), out);
        handOver(m, stored, notices);
    }

    /** Adds a stored notice to {@code notices} for delivery and tells the listener ({@link DeliveryListener#notified}). */
    private void handOver(QueuedMessage m, Optional<QueuedMessage> stored, List<QueuedMessage> notices) {
        if (stored.isPresent()) {
            QueuedMessage notice = stored.get();
            notices.add(notice);
            tell(() -> listener.notified(m, notice));
        }
    }

    /** The position of the recipient with that address (preferring one in {@code status}), or -1. */
    private static int indexOf(QueuedMessage m, String address, RecipientState.Status status) {
        int any = -1;
        for (int i = 0; i < m.recipients().size(); i++) {
            RecipientState r = m.recipients().get(i);
            if (r.address().equals(address)) {
                if (r.status() == status) {
                    return i;
                }
                any = any < 0 ? i : any;
            }
        }
        return any;
    }

    /**
     * The next hops logged DOWN and not yet UP, by name: a flush forgets the failover groups, and with them which
     * members were down, so a hop taking mail again after a flush would never be logged UP. At most {@link #MAX_GROUPS}
     * (then forgotten, as the groups are).
     */
    private final Set<String> hopsDown = ConcurrentHashMap.newKeySet();

    /**
     * Logs a next hop put in back-off (WARN, once per counted failure: its back-off and error) and one that takes a
     * message again (INFO, through {@link #hopUp}), as a failed scanner daemon is logged DOWN and UP. Until session 55
     * a next hop's failure was silent: a stopped edge was skipped for 30 s and more while no line, metric or health
     * component said so.
     */
    private final HygieneListener hopLog = new HygieneListener() {
        @Override
        public void memberDown(String group, String member, String reason, Duration backoff) {
            if (hopsDown.size() >= MAX_GROUPS) {
                hopsDown.clear();
            }
            hopsDown.add(member);
            LOG.warn(
                    "next hop {} DOWN for {}s (skipped meanwhile: its route's next host takes the mail, or it waits"
                            + " in the queue): {}",
                    member,
                    backoff.toSeconds(),
                    reason);
        }

        @Override
        public void memberUp(String group, String member) {
            hopUp(member);
        }
    };

    /** Logs once at INFO that a next hop logged DOWN took a message again. */
    private void hopUp(String member) {
        if (hopsDown.remove(member)) {
            LOG.info("next hop {} UP: it took a message again", member);
        }
    }

    private Delivered deliver(
            QueuedMessage m, Route route, String domain, Optional<TlsPolicy> tls, List<String> rcpts) {
        List<EndpointResolver.Ranked> ranked;
        try {
            ranked = resolver.resolve(route, domain);
        } catch (DnsException e) {
            String diag = e.isPermanent()
                    ? (e.getMessage().contains("null MX") ? "556 5.1.10 " : "550 5.1.2 ") + e.getMessage()
                    : "451 4.4.3 " + e.getMessage();
            return new Delivered(
                    all(
                            rcpts,
                            e.isPermanent() ? RecipientResult.Outcome.PERMANENT : RecipientResult.Outcome.TEMPORARY,
                            diag),
                    false);
        }
        GroupKey key = new GroupKey(
                ranked.stream().map(EndpointResolver.Ranked::endpoint).toList(), tls);
        if (groups.size() > MAX_GROUPS && !groups.containsKey(key)) {
            groups.clear(); // MX answers vary over time; forget old groups (and their back-off) rather than grow
            lastFailure.clear();
            waiting.clear(); // their messages wait their own retry
        }
        FailoverGroup<Endpoint> group = groups.computeIfAbsent(key, k -> {
            FailoverGroup.Builder<Endpoint> gb = FailoverGroup.<Endpoint>builder("next-hops " + route)
                    .clock(clock)
                    .deadline(transactionDeadline)
                    .maxBackoff(hopMaxBackoff)
                    .initialBackoff(hopInitialBackoff)
                    .failoverWhen(ex -> ex instanceof HopFailedException)
                    .listener(hopLog);
            for (EndpointResolver.Ranked r : ranked) {
                gb.member(r.endpoint().toString(), r.endpoint(), r.priority());
            }
            return gb.build();
        });
        MessageContent content = m.content();
        // The recipients still to offer: one a next hop refused for good before it failed (a 5xx to its RCPT, then a
        // 421) keeps that answer and is not offered to the next member.
        List<String> left = new ArrayList<>(rcpts);
        List<RecipientResult> refused = new ArrayList<>();
        try {
            TransactionResult tr = group.call((ep, remaining) -> {
                try {
                    return client.deliver(
                            ep,
                            tls.orElse(client.tlsPolicy()),
                            m.envelope().sender(),
                            List.copyOf(left),
                            content,
                            remaining,
                            dsnFor(m, left));
                } catch (HopFailedException e) {
                    for (RecipientResult r : e.refusedRecipients()) {
                        if (left.remove(r.recipient())) {
                            refused.add(r);
                        }
                    }
                    if (!e.refusedRecipients().isEmpty()) {
                        tell(() -> listener.transaction(m, Optional.of(ep), e.refusedRecipients()));
                    }
                    throw e;
                }
            });
            lastFailure.remove(key);
            hopUp(tr.endpoint().toString()); // also when a flush forgot the group that knew it was down
            LOG.info("{}: {} via {}{}", m.id(), summary(tr), tr.endpoint(), tr.tls() ? " (TLS)" : "");
            Map<QueueId, Set<String>> deferredHere = waiting.remove(key);
            if (deferredHere != null) {
                retryNow(route, tr.endpoint(), deferredHere, m.id());
            }
            tell(() -> listener.transaction(m, Optional.of(tr.endpoint()), tr.recipients()));
            List<RecipientResult> results = new ArrayList<>(refused);
            results.addAll(tr.recipients());
            return new Delivered(results, tr.dsn());
        } catch (FailoverException e) {
            HopFailure last;
            if (e.attempts().isEmpty()) {
                HopFailure before = lastFailure.get(key);
                last = before == null ? HopFailure.own("every next hop is in back-off") : before.inBackoff();
            } else {
                last = HopFailure.of(e.attempts().get(e.attempts().size() - 1).error());
                lastFailure.put(key, last);
            }
            LOG.info("{}: no next hop took it ({}): {}", m.id(), e.reason(), last.logText());
            waiting.computeIfAbsent(key, k -> new ConcurrentHashMap<>())
                    .computeIfAbsent(m.id(), id -> ConcurrentHashMap.newKeySet())
                    .addAll(left);
            List<RecipientResult> deferred = new ArrayList<>();
            for (String r : left) {
                deferred.add(new RecipientResult(
                        r,
                        RecipientResult.Outcome.TEMPORARY,
                        Dsn.status(last.diagnostic()),
                        last.diagnostic(),
                        last.remote()));
            }
            tell(() -> listener.transaction(m, Optional.empty(), deferred));
            List<RecipientResult> results = new ArrayList<>(refused);
            results.addAll(deferred);
            return new Delivered(results, false, !e.attempts().isEmpty());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Delivered(
                    all(rcpts, RecipientResult.Outcome.TEMPORARY, "451 4.3.0 delivery interrupted"), false);
        }
    }

    /** The DSN parameters of a message's PENDING recipients {@code rcpts}, in that order (none when it has none). */
    private static DsnRequest dsnFor(QueuedMessage m, List<String> rcpts) {
        DsnRequest dsn = m.dsn();
        if (dsn.recipients().isEmpty()) {
            return dsn;
        }
        List<Integer> indexes = new ArrayList<>(rcpts.size());
        for (String r : rcpts) {
            indexes.add(indexOf(m, r, RecipientState.Status.PENDING));
        }
        return dsn.select(indexes);
    }

    /**
     * A group of next hops that had failed took a message: the messages it left deferred are made due now (their
     * recipients it deferred, still PENDING), and a pass is scheduled. A message in flight is left to its delivery,
     * which writes its own schedule; so is the one whose delivery went through.
     */
    private void retryNow(Route route, Endpoint via, Map<QueueId, Set<String>> deferred, QueueId current) {
        int n = 0;
        for (Map.Entry<QueueId, Set<String>> e : deferred.entrySet()) {
            QueueId id = e.getKey();
            if (id.equals(current)) {
                continue;
            }
            boolean[] changed = {false};
            known.computeIfPresent(id, (k, cur) -> {
                if (inFlight.containsKey(k)) {
                    return cur;
                }
                List<RecipientState> now = new ArrayList<>(cur.recipients().size());
                for (RecipientState r : cur.recipients()) {
                    if (r.status() == RecipientState.Status.PENDING
                            && r.nextAttempt().isPresent()
                            && e.getValue().contains(r.address())) {
                        now.add(r.dueNow());
                        changed[0] = true;
                    } else {
                        now.add(r);
                    }
                }
                return changed[0] ? cur.withRecipients(now) : cur;
            });
            if (changed[0]) {
                n++;
            }
        }
        if (n > 0) {
            LOG.info(
                    "next hops of {} take mail again ({} did): {} deferred message{} retried now",
                    route,
                    via,
                    n,
                    n == 1 ? "" : "s");
            if (started && !closed) {
                wake(Duration.ZERO);
            }
        }
    }

    /**
     * How a route's next hops last failed, for the recipients of a transaction none of them took and for later attempts
     * that find every hop in back-off.
     *
     * @param diagnostic what the recipients' last reply becomes: the next hop's own reply when it gave one (a 451 to
     *     MAIL, a 554 greeting, a 451 after the data), else the relay's {@code 451 4.4.1} text
     * @param remote the next hop that gave {@code diagnostic}, empty text when it is the relay's own
     * @param logText the failure as the log line says it (the hop, the stage and the reply or error)
     */
    private record HopFailure(String diagnostic, String remote, String logText) {
        static HopFailure own(String text) {
            return new HopFailure("451 4.4.1 " + text, "", text);
        }

        /**
         * The failure an attempt ended with: a reply the next hop gave (but to STARTTLS) is kept as its reply, with the
         * hop's name.
         */
        static HopFailure of(Throwable error) {
            String text = String.valueOf(error.getMessage());
            // STARTTLS excepted: a hop that refuses it fails the relay's TLS policy, which the relay's text names
            if (error instanceof HopFailedException h
                    && h.reply().isPresent()
                    && h.stage() != HopFailedException.Stage.STARTTLS) {
                return new HopFailure(h.reply().get().oneLine(), h.endpoint().toString(), text);
            }
            return own(text);
        }

        /**
         * An attempt that found every hop in back-off and connected to none: a next hop's reply stands as it was (it
         * is still the last thing a server said, which a bounce at expiry reports); the relay's own text says so.
         */
        HopFailure inBackoff() {
            String text = "every next hop is in back-off; last error: " + logText;
            return remote.isEmpty() ? own(text) : new HopFailure(diagnostic, remote, text);
        }
    }

    private static String summary(TransactionResult tr) {
        Map<RecipientResult.Outcome, Integer> n = new LinkedHashMap<>();
        for (RecipientResult r : tr.recipients()) {
            n.merge(r.outcome(), 1, Integer::sum);
        }
        return n.toString();
    }

    private static List<RecipientResult> all(List<String> rcpts, RecipientResult.Outcome o, String diag) {
        List<RecipientResult> out = new ArrayList<>();
        for (String r : rcpts) {
            out.add(new RecipientResult(r, o, Dsn.status(diag), diag, ""));
        }
        return out;
    }

    private QueuedMessage bounceFailures(QueuedMessage m, Instant now) throws IOException {
        List<RecipientState> failed = m.recipients(RecipientState.Status.FAILED);
        if (failed.isEmpty()) {
            return m;
        }
        Envelope env = m.envelope();
        Optional<String> to;
        List<RecipientState> reported = failed;
        if (!env.hasNullSender()) {
            // NOTIFY=NEVER, or NOTIFY without FAILURE (RFC 3461 4.1): no bounce for that recipient
            reported = failed.stream()
                    .filter(r -> m.dsn(m.recipients().indexOf(r)).wantsFailure())
                    .toList();
            if (reported.size() < failed.size()) {
                LOG.info(
                        "{}: no bounce for {} failed recipient(s) whose NOTIFY leaves out FAILURE",
                        m.id(),
                        failed.size() - reported.size());
            }
        }
        if (reported.isEmpty()) {
            to = Optional.empty();
        } else if (!env.hasNullSender()) {
            to = Optional.of(env.sender());
        } else if (failed.stream().allMatch(r -> r.address().equalsIgnoreCase(postmaster))) {
            LOG.error(
                    "{}: double bounce to {} failed ({}); giving up",
                    m.id(),
                    postmaster,
                    failed.get(0).lastReply().orElse("?"));
            to = Optional.empty();
        } else {
            to = Optional.of(postmaster);
        }
        Optional<QueuedMessage> stored = Optional.empty();
        if (to.isPresent()) {
            byte[] dsn = Dsn.failure(hostname, to.get(), m, reported, now, returnLimit);
            Envelope bounceEnv =
                    new Envelope(Optional.empty(), Optional.of(hostname), Envelope.NULL_SENDER, List.of(to.get()), now);
            // Stored under an id derived from this message and these failures: if a crash came between this store and
            // the update below, the next pass (or recover()) finds the bounce there and does not send a second one.
            QueueId bounceId = bounceId(m);
            stored = spool.storeOnce(
                    bounceId,
                    bounceEnv,
                    MessageContent.ofBytes(signNotice(bounceEnv, dsn)),
                    Optional.of(ScanNote.BOUNCE));
            if (stored.isEmpty()) {
                LOG.info("{}: bounce {} was stored before; not stored again", m.id(), bounceId);
                // Stored by an earlier pass of this run whose record of the failures then failed (e.g. a full disk):
                // that pass never handed the bounce over, so it is queued here. One already known (recovered at
                // start, or being delivered) is left alone.
                if (!known.containsKey(bounceId) && !inFlight.containsKey(bounceId)) {
                    stored = spool.get(bounceId);
                }
            } else {
                LOG.info(
                        "{}: bounce {} to <{}> for {} recipient(s)",
                        m.id(),
                        bounceId,
                        LogText.printable(to.get()),
                        reported.size());
            }
        }
        QueuedMessage out = markBounced(m);
        // Written even when the message is then completed: its deletion is not forced, and a message that came back
        // after a crash with its failures still FAILED, while its bounce had already gone out and left the spool,
        // would be bounced again. Bounces are rare; the write is cheap next to them.
        spool.update(out);
        known.put(out.id(), out);
        // Only now may the bounce be delivered (and leave the spool): its failures are recorded as BOUNCED.
        if (stored.isPresent()) {
            QueuedMessage bounce = stored.get();
            known.putIfAbsent(bounce.id(), bounce);
            tell(() -> listener.bounced(m, bounce));
        }
        if (started) {
            wake(Duration.ZERO);
        }
        return out;
    }

    private static QueuedMessage markBounced(QueuedMessage m) {
        QueuedMessage out = m;
        for (RecipientState r : m.recipients(RecipientState.Status.FAILED)) {
            out = out.withRecipient(r.address(), s -> s.status() == RecipientState.Status.FAILED ? s.bounced() : s);
        }
        return out;
    }

    /**
     * The id of the bounce reporting a message's FAILED recipients: derived from the message's id and the position of
     * its first FAILED recipient (which is BOUNCED once the bounce is stored, so each bounce of a message has its own).
     * Its first 13 characters are the message's (time and counter), the last 7 a hash: it sorts next to the message
     * and cannot be an id the spool generates, whose last 7 characters are random, but with odds of 36^-7 per pair.
     */
    static QueueId bounceId(QueuedMessage m) {
        int first = 0;
        while (m.recipients().get(first).status() != RecipientState.Status.FAILED) {
            first++;
        }
        return derivedId(m, "#bounce#" + first);
    }

    /**
     * The id of the relayed notice whose first recipient is the one at {@code index} of a message, derived as
     * {@link #bounceId} is (a version that sent one notice per recipient used the same id for it).
     */
    static QueueId relayedNoticeId(QueuedMessage m, int index) {
        return derivedId(m, "#relayed#" + index);
    }

    /** The id of the relayed notice for the recipients a message owes one: derived from the first of them. */
    static QueueId relayedNoticeId(QueuedMessage m) {
        return relayedNoticeId(m, m.notices().relayedOwed().first());
    }

    /** The id of a message's one delay notice, derived as {@link #bounceId} is. */
    static QueueId delayNoticeId(QueuedMessage m) {
        return derivedId(m, "#delayed");
    }

    /** An id derived from a message's and a tag, as {@link #bounceId} describes. */
    private static QueueId derivedId(QueuedMessage m, String tag) {
        byte[] digest;
        try {
            digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest((m.id().value() + tag).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing", e);
        }
        long h = 0;
        for (int i = 0; i < 8; i++) {
            h = h << 8 | (digest[i] & 0xff);
        }
        String tail = Long.toString(h & Long.MAX_VALUE, 36).toUpperCase(java.util.Locale.ROOT);
        tail = ("0000000" + tail).substring(tail.length());
        return new QueueId(m.id().value().substring(0, 13) + tail.substring(tail.length() - 7));
    }

    private static void tell(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.warn("delivery listener failed", e);
        }
    }

    /**
     * Stops scheduling; waits up to 10 s for deliveries in progress, then closes the SMTP client's idle connections.
     * Messages stay in the spool. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        synchronized (wakeLock) {
            if (nextWake != null) {
                nextWake.cancel(false);
            }
        }
        if (ownScheduler) {
            scheduler.shutdownNow();
        }
        if (ownExecutor) {
            executor.shutdown();
            try {
                if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                    executor.shutdownNow();
                }
            } catch (InterruptedException e) {
                executor.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        client.closeIdleConnections();
    }

    /** Builds a {@link DeliveryAgent}. Setters validate at once. Not thread-safe. */
    public static final class Builder {
        private final Spool spool;
        private final Router router;
        private SmtpClient client;
        private DnsResolver dns;
        private Clock clock = Clock.systemUTC();
        private ScheduledExecutorService scheduler;
        private ExecutorService executor;
        private int maxConcurrent = 20;
        private RetrySchedule retry = RetrySchedule.qmail();
        private Duration lifetime = Duration.ofDays(7);
        private Duration delayWarning;
        private String hostname = "localhost";
        private String postmaster = "postmaster";
        private long returnLimit = 256 * 1024;
        private int mxPort = 25;
        private Duration transactionDeadline = Duration.ofMinutes(30);
        private Duration hopInitialBackoff = Duration.ofSeconds(30);
        private Duration hopMaxBackoff = Duration.ofMinutes(10);
        private boolean hopInitialBackoffSet;
        private boolean hopMaxBackoffSet;
        private Duration pollInterval = Duration.ofMinutes(1);
        private DeliveryListener listener = DeliveryListener.NONE;
        private RouteTlsPolicies tlsPolicies;
        private BiFunction<Envelope, byte[], byte[]> noticeSigner = (e, notice) -> notice;

        private Builder(Spool spool, Router router) {
            this.spool = Objects.requireNonNull(spool, "spool");
            this.router = Objects.requireNonNull(router, "router");
        }

        /**
         * The SMTP client. Default: {@code SmtpClient.builder().heloName(hostname).build()}.
         *
         * @param value the client
         * @return this builder
         */
        public Builder client(SmtpClient value) {
            client = Objects.requireNonNull(value, "client");
            return this;
        }

        /**
         * The outbound TLS policy per route. Default: the {@linkplain #client(SmtpClient) client's} own policy for
         * every route. Recipients whose domains fall under different policies go in separate transactions, and a
         * next hop's back-off is kept per policy (a hop failing a required-TLS route stays usable for a plaintext
         * one).
         *
         * @param value the policies
         * @return this builder
         */
        public Builder tlsPolicies(RouteTlsPolicies value) {
            tlsPolicies = Objects.requireNonNull(value, "tlsPolicies");
            return this;
        }

        /**
         * The DNS resolver for MX routes and relay host names. Default {@link JndiDnsResolver#system()}.
         *
         * @param value the resolver
         * @return this builder
         */
        public Builder dns(DnsResolver value) {
            dns = Objects.requireNonNull(value, "dns");
            return this;
        }

        /**
         * The clock for retry times, expiry and next-hop back-off. Default {@link Clock#systemUTC()}. With a system
         * clock, next-hop back-off and a transaction's deadline are measured with the system's monotonic time (a step
         * of the wall clock does not move them); retry times and expiry are wall-clock times, kept in the spool.
         *
         * @param value the clock
         * @return this builder
         */
        public Builder clock(Clock value) {
            clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * The scheduler for passes after {@link DeliveryAgent#start()}. Default a private single daemon thread, shut
         * down by {@link DeliveryAgent#close()}; a given scheduler is not shut down.
         *
         * @param value the scheduler
         * @return this builder
         */
        public Builder scheduler(ScheduledExecutorService value) {
            scheduler = Objects.requireNonNull(value, "scheduler");
            return this;
        }

        /**
         * Where deliveries run. Default virtual threads where available (a bounded platform pool on 17), shut down
         * by {@link DeliveryAgent#close()}; a given executor is not shut down.
         *
         * @param value the executor
         * @return this builder
         */
        public Builder executor(ExecutorService value) {
            executor = Objects.requireNonNull(value, "executor");
            return this;
        }

        /**
         * How many messages are delivered at once at most. Default 20.
         *
         * @param value 1 to 10000
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder maxConcurrent(int value) {
            if (value < 1 || value > 10_000) {
                throw new IllegalArgumentException("maxConcurrent must be 1..10000, was " + value);
            }
            maxConcurrent = value;
            return this;
        }

        /**
         * When temporary failures are retried. Default {@link RetrySchedule#qmail()}.
         *
         * @param value the schedule
         * @return this builder
         */
        public Builder retrySchedule(RetrySchedule value) {
            retry = Objects.requireNonNull(value, "retrySchedule");
            return this;
        }

        /**
         * How long a message may stay queued before temporary failures count as permanent. Default 7 days.
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder queueLifetime(Duration value) {
            lifetime = Checks.requirePositive(value, "queueLifetime");
            return this;
        }

        /**
         * Sends the sender one {@code delayed} notice (RFC 3464 §2.3.3, {@code Action: delayed}) when a message has
         * waited this long since it was queued and still has PENDING recipients whose {@code NOTIFY} permits it
         * (absent, or with {@code DELAY}; RFC 3461 §4.1), listing all of them with the Status of their last attempt
         * and {@code Will-Retry-Until} the end of the queue lifetime; once per message, also across restarts (the
         * spool records it). Never for mail from the null sender, and not when the delay reaches the queue lifetime.
         * Default: no delay notices (as Postfix's {@code delay_warning_time = 0h}).
         *
         * @param value a positive duration (sendmail's default is 4 h)
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder delayWarning(Duration value) {
            delayWarning = Checks.requirePositive(value, "delayWarning");
            return this;
        }

        /**
         * This relay's host name: EHLO name of the default client, {@code Reporting-MTA} and the
         * {@code MAILER-DAEMON@} address of bounces. Default {@code localhost}.
         *
         * @param value a host name
         * @return this builder
         * @throws IllegalArgumentException if blank or holding white space
         */
        public Builder hostname(String value) {
            Objects.requireNonNull(value, "hostname");
            if (value.isBlank() || value.chars().anyMatch(c -> c <= 0x20 || c == 0x7f)) {
                throw new IllegalArgumentException("hostname must be one word: '" + value + "'");
            }
            hostname = value;
            return this;
        }

        /**
         * Where double bounces go. Default {@code postmaster}.
         *
         * @param value an address
         * @return this builder
         * @throws IllegalArgumentException if blank
         */
        public Builder postmaster(String value) {
            Objects.requireNonNull(value, "postmaster");
            if (value.isBlank()) {
                throw new IllegalArgumentException("postmaster must not be blank");
            }
            postmaster = value;
            return this;
        }

        /**
         * Bounces return the whole message up to this size, else only its header. Default 256 KiB.
         *
         * @param bytes {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder returnLimit(long bytes) {
            Checks.requireAtLeast(bytes, 0, "returnLimit");
            returnLimit = bytes;
            return this;
        }

        /**
         * The port for MX hosts. Default 25 (tests point MX routes at a sink's ephemeral port).
         *
         * @param value 1 to 65535
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder mxPort(int value) {
            if (value < 1 || value > 65535) {
                throw new IllegalArgumentException("mxPort must be 1..65535, was " + value);
            }
            mxPort = value;
            return this;
        }

        /**
         * The whole-operation deadline for one transaction including failover. Default 30 min (it must leave room for
         * RFC 5321's 10 min wait after the data).
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder transactionDeadline(Duration value) {
            transactionDeadline = Checks.requirePositive(value, "transactionDeadline");
            return this;
        }

        /**
         * Back-off for a failed next hop (doubling per failure up to {@link #hopMaxBackoff}). Default 30 s, or the
         * maximum if that was set lower. {@link #build()} refuses it above an explicitly set maximum, whatever the
         * order of the calls.
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder hopInitialBackoff(Duration value) {
            hopInitialBackoff = Checks.requirePositive(value, "hopInitialBackoff");
            hopInitialBackoffSet = true;
            return this;
        }

        /**
         * The longest back-off for a failed next hop. Default 10 min, or the initial back-off if that was set higher.
         * {@link #build()} refuses it below an explicitly set initial back-off, whatever the order of the calls.
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder hopMaxBackoff(Duration value) {
            hopMaxBackoff = Checks.requirePositive(value, "hopMaxBackoff");
            hopMaxBackoffSet = true;
            return this;
        }

        /**
         * The longest pause between scheduled passes. Default 1 min.
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder pollInterval(Duration value) {
            pollInterval = Checks.requirePositive(value, "pollInterval");
            return this;
        }

        /**
         * Who is told about delivery attempts, bounces and completed messages. Default {@link DeliveryListener#NONE}.
         *
         * @param value the listener (fast, must not throw)
         * @return this builder
         */
        public Builder listener(DeliveryListener value) {
            listener = Objects.requireNonNull(value, "listener");
            return this;
        }

        /**
         * What the agent's own messages (bounces, {@code relayed} and {@code delayed} notices) pass through before
         * they are stored: given the notice's envelope (from {@code <>} to the one recipient) and its bytes, it
         * returns the bytes to store, such as the notice with a DKIM signature on top. It is called on a delivery
         * thread, from any number of them at once, so it must be thread-safe; it must not throw (a signer that
         * cannot sign returns the notice as it is: a bounce is never lost for want of a signature). A signer that
         * changes a notice holding 8-bit data is called a second time with the notice converted to 7 bit, and that
         * result is stored (a signature then holds on a next hop without 8BITMIME). Default: the notice as it is.
         *
         * @param value the signer
         * @return this builder
         */
        public Builder noticeSigner(BiFunction<Envelope, byte[], byte[]> value) {
            noticeSigner = Objects.requireNonNull(value, "noticeSigner");
            return this;
        }

        /**
         * Builds the agent (not yet started). Settings that depend on each other are checked here, so the order of
         * the calls never matters.
         *
         * @return the agent
         * @throws IllegalStateException if the explicit initial hop back-off exceeds the explicit maximum
         */
        public DeliveryAgent build() {
            if (hopInitialBackoffSet && hopMaxBackoffSet && hopInitialBackoff.compareTo(hopMaxBackoff) > 0) {
                throw new IllegalStateException(
                        "hopInitialBackoff " + hopInitialBackoff + " exceeds hopMaxBackoff " + hopMaxBackoff);
            }
            return new DeliveryAgent(this);
        }
    }
}
