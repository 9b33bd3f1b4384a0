package org.mailhygiene.testkit.server;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The faults scripted for a fake, by the command they target. A fault targets a command ({@code INSTREAM},
 * {@code CHECK}, {@code DATA}), so a connection the test did not think of (a background {@code VERSION} check, a
 * health {@code PING}) can never take it: the fault waits for a request of its command.
 *
 * <p>Which fault a request of command {@code c} gets, in this order:
 * <ol>
 *   <li>the oldest one-shot fault {@linkplain #enqueue(Object, Fault) enqueued} for {@code c} (then it is used up);
 *   <li>the oldest one-shot fault {@linkplain #enqueueAny(Fault) enqueued for any command};
 *   <li>the standing fault set for {@code c} with {@link #always(Object, Fault)};
 *   <li>the standing fault for every command ({@link #alwaysAny(Fault)});
 *   <li>none: the normal answer.
 * </ol>
 * Faults for "the next connection" (the older, racy model, kept for compatibility) are separate:
 * {@link #enqueueConnection(Fault)} and {@link #pollConnection()}.
 *
 * <p>Thread-safe: scripting may happen while requests are served.
 *
 * @param <C> the command type of the fake (an enum, or a name)
 */
public final class FaultScript<C> {
    private final Object lock = new Object();
    private final Map<C, Deque<Fault>> once = new HashMap<>();
    private final Deque<Fault> onceAny = new ArrayDeque<>();
    private final Deque<Fault> connection = new ArrayDeque<>();
    private final Map<C, Fault> standing = new HashMap<>();
    private Fault standingAny;

    /** Creates an empty script: every request gets the normal answer. */
    public FaultScript() {}

    /**
     * Queues a one-shot fault for the next request of {@code command} that has no older one queued.
     *
     * @param command the command it targets
     * @param fault the fault
     */
    public void enqueue(C command, Fault fault) {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(fault, "fault");
        synchronized (lock) {
            once.computeIfAbsent(command, c -> new ArrayDeque<>()).add(fault);
        }
    }

    /**
     * Queues a one-shot fault for the next request of any command (after faults queued for that command).
     *
     * @param fault the fault
     */
    public void enqueueAny(Fault fault) {
        Objects.requireNonNull(fault, "fault");
        synchronized (lock) {
            onceAny.add(fault);
        }
    }

    /**
     * Queues a one-shot fault for the next connection, whatever it carries (the older model: a background connection
     * of the code under test can take it).
     *
     * @param fault the fault
     */
    public void enqueueConnection(Fault fault) {
        Objects.requireNonNull(fault, "fault");
        synchronized (lock) {
            connection.add(fault);
        }
    }

    /**
     * Sets the standing fault for every request of {@code command}, until changed or {@linkplain #clear() cleared}.
     *
     * @param command the command
     * @param fault the fault, or {@code null} to remove it
     */
    public void always(C command, Fault fault) {
        Objects.requireNonNull(command, "command");
        synchronized (lock) {
            if (fault == null) {
                standing.remove(command);
            } else {
                standing.put(command, fault);
            }
        }
    }

    /**
     * Sets the standing fault for every request of every command (after command-specific ones).
     *
     * @param fault the fault, or {@code null} to remove it
     */
    public void alwaysAny(Fault fault) {
        synchronized (lock) {
            standingAny = fault;
        }
    }

    /** Removes every queued and standing fault. */
    public void clear() {
        synchronized (lock) {
            once.clear();
            onceAny.clear();
            connection.clear();
            standing.clear();
            standingAny = null;
        }
    }

    /**
     * The fault for a request of {@code command} (using up a one-shot fault), in the order in the class description.
     *
     * @param command the command of the request
     * @return the fault, or empty for the normal answer
     */
    public Optional<Fault> next(C command) {
        Optional<Fault> f = pollOnce(command);
        return f.isPresent() ? f : standing(command);
    }

    /**
     * Only the one-shot part of {@link #next}: a fault queued for {@code command}, else one queued for any command.
     * For fakes that consult other scripts (per-recipient replies) before standing faults.
     *
     * @param command the command of the request
     * @return the fault, used up, or empty
     */
    public Optional<Fault> pollOnce(C command) {
        synchronized (lock) {
            Deque<Fault> q = once.get(command);
            Fault f = q == null ? null : q.poll();
            if (f == null) {
                f = onceAny.poll();
            }
            return Optional.ofNullable(f);
        }
    }

    /**
     * Only the standing part of {@link #next}: the fault set for {@code command}, else the one for every command.
     *
     * @param command the command of the request
     * @return the fault, or empty
     */
    public Optional<Fault> standing(C command) {
        synchronized (lock) {
            Fault f = standing.get(command);
            return Optional.ofNullable(f != null ? f : standingAny);
        }
    }

    /**
     * The fault queued for the next connection, used up.
     *
     * @return the fault, or empty
     */
    public Optional<Fault> pollConnection() {
        synchronized (lock) {
            return Optional.ofNullable(connection.poll());
        }
    }

    /**
     * How many one-shot faults are still queued (for any target).
     *
     * @return the count
     */
    public int pending() {
        synchronized (lock) {
            int n = onceAny.size() + connection.size();
            for (Deque<Fault> q : once.values()) {
                n += q.size();
            }
            return n;
        }
    }
}
