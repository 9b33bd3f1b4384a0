package org.mailhygiene.api.failover;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.mailhygiene.api.NanoClock;
import org.mailhygiene.api.events.HygieneListener;
import org.mailhygiene.internal.Checks;
import org.mailhygiene.internal.Durations;

/**
 * Members in priority order with health: a call goes to the best available member, round-robin among members of
 * equal priority, and moves on to the next when it fails. A failed member is marked down and skipped for a back-off
 * period that doubles with each consecutive failure (from {@link Builder#initialBackoff} up to
 * {@link Builder#maxBackoff}); when the back-off ends, the member is tried again by the next call at its own priority
 * (or earlier by {@link #probe(Predicate)} or {@link #probeDown(Predicate)}), and a success clears its failures.
 *
 * <p>Failures are counted once per <em>generation</em>, not once per caller: each member carries a generation number
 * that changes whenever its state changes (a counted failure, or coming back up). A call remembers the generation of
 * the member it chose; when it fails, the failure counts (and lengthens the back-off) only if the member is still in
 * that generation. So one outage seen by N scans in flight at once counts as one failure, not N consecutive ones
 * (which would push the back-off to {@code initialBackoff * 2^(N-1)}); the later failures of that generation only
 * update the member's last error. {@link HygieneListener#memberDown} is called once per counted failure and
 * {@link HygieneListener#memberUp} once when a member that was down comes back.
 *
 * <p>Priority: a <em>lower</em> number is preferred, as with MX preferences. A member in back-off is never chosen
 * while any other member is available; when every member is in back-off the call fails at once with
 * {@link FailoverException.Reason#ALL_DOWN} (callers turn that into a tempfail). The whole call, over every member,
 * is bounded by {@link Builder#deadline}; each member call is given the remaining time so its own timeouts can be
 * capped.
 *
 * <p>Time: back-off and the deadline are intervals. With a system clock ({@link Clock#systemUTC()} or any other
 * {@link Clock#system(java.time.ZoneId)}, the default) they are measured with {@link NanoClock#system()}, so a step of
 * the wall clock (NTP, a virtual machine resumed) neither stretches nor cuts them: a member marked down for 30 s is
 * not kept down for an hour by the clock going back an hour. With any other clock (a test's), they follow that clock.
 * The wall clock is read only to report {@link MemberState#downUntil()}.
 *
 * <p>Defaults: initial back-off 30 s, maximum back-off 10 min, deadline 2 min, the system UTC clock, every
 * {@link Exception} fails over, no listener. Thread-safe: one group serves concurrent calls.
 *
 * @param <T> the member type (a scanner, a next hop, an MX host)
 */
public final class FailoverGroup<T> {

    /**
     * The work done against one member.
     *
     * @param <T> the member type
     * @param <R> the result type
     */
    @FunctionalInterface
    public interface Call<T, R> {
        /**
         * Runs against a member.
         *
         * @param member the member's value
         * @param remaining time left before the group's deadline; cap timeouts with it
         * @return the result
         * @throws Exception on failure; the group's predicate decides whether the next member is tried
         */
        R apply(T member, Duration remaining) throws Exception;
    }

    /**
     * A member's state at one moment.
     *
     * @param name the member's name
     * @param priority its priority (lower is preferred)
     * @param available whether calls may choose it now (not in back-off)
     * @param downUntil when its back-off ends (by the group's clock, as read for this snapshot), empty when it is not
     *     marked down
     * @param consecutiveFailures failures since its last success
     * @param lastError the last failure's message, empty when none since the last success
     */
    public record MemberState(
            String name,
            int priority,
            boolean available,
            Optional<Instant> downUntil,
            int consecutiveFailures,
            Optional<String> lastError) {}

    private static final class Member<T> {
        final String name;
        final T value;
        final int priority;
        int failures;
        boolean down;
        long downUntil; // a reading of the group's ticker, meaningful while down
        String lastError;
        long generation;

        Member(String name, T value, int priority) {
            this.name = name;
            this.value = value;
            this.priority = priority;
        }
    }

    /** About 73 years: longer than any back-off or deadline anyone means, a quarter of the range of a long. */
    private static final Duration MAX_INTERVAL = Duration.ofNanos(Long.MAX_VALUE / 4);

    private final String name;
    private final List<Member<T>> members;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Duration deadline;
    private final Clock clock;
    private final NanoClock ticker;
    private final Predicate<? super Exception> failoverWhen;
    private final HygieneListener listener;
    private final AtomicLong roundRobin = new AtomicLong();

    private FailoverGroup(Builder<T> b) {
        this.name = b.name;
        this.members = List.copyOf(b.members);
        // A default yields to an explicit setting it conflicts with (build() refuses two conflicting explicit ones).
        boolean crossed = b.initialBackoff.compareTo(b.maxBackoff) > 0;
        this.initialBackoff = crossed && !b.initialBackoffSet ? b.maxBackoff : b.initialBackoff;
        this.maxBackoff = crossed && b.initialBackoffSet ? b.initialBackoff : b.maxBackoff;
        this.deadline = b.deadline;
        this.clock = b.clock;
        this.ticker = b.ticker != null ? b.ticker : NanoClock.of(b.clock);
        this.failoverWhen = b.failoverWhen;
        this.listener = b.listener;
    }

    /** Whether intervals are measured with the system's monotonic clock (for tests). */
    boolean monotonic() {
        return ticker == NanoClock.system();
    }

    /** A duration in nanoseconds, capped far beyond any real interval so that sums of two readings cannot overflow. */
    private static long nanos(Duration d) {
        return d.compareTo(MAX_INTERVAL) >= 0 ? MAX_INTERVAL.toNanos() : d.toNanos();
    }

    /**
     * Starts a builder.
     *
     * @param name the group's name, used in events and messages
     * @param <T> the member type
     * @return a new builder
     * @throws IllegalArgumentException if the name is blank
     */
    public static <T> Builder<T> builder(String name) {
        return new Builder<>(name);
    }

    /**
     * The group's name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Runs {@code call} against the best available member, moving on as members fail.
     *
     * @param call the work
     * @param <R> the result type
     * @return the first successful result
     * @throws FailoverException if no member succeeded (see {@link FailoverException.Reason})
     * @throws InterruptedException if the thread was interrupted; no further member is tried
     */
    public <R> R call(Call<? super T, R> call) throws FailoverException, InterruptedException {
        Objects.requireNonNull(call, "call");
        long start = ticker.nanoTime();
        long budget = nanos(deadline);
        List<FailoverException.Attempt> attempts = new ArrayList<>();
        Set<Member<T>> tried = new HashSet<>();
        Member<T> member = pick(tried, start);
        if (member == null) {
            throw new FailoverException(name, FailoverException.Reason.ALL_DOWN, attempts, downNotes(Set.of(), start));
        }
        while (true) {
            long left = budget - (ticker.nanoTime() - start);
            if (left <= 0) {
                throw new FailoverException(name, FailoverException.Reason.DEADLINE_EXCEEDED, attempts);
            }
            Duration remaining = Duration.ofNanos(left);
            tried.add(member);
            long generation = generationOf(member);
            try {
                R result = call.apply(member.value, remaining);
                succeeded(member);
                return result;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw e;
            } catch (Exception e) {
                attempts.add(new FailoverException.Attempt(member.name, e));
                if (!failoverWhen.test(e)) {
                    throw new FailoverException(name, FailoverException.Reason.NOT_RETRYABLE, attempts);
                }
                failed(member, String.valueOf(e.getMessage()), generation);
                Member<T> next = pick(tried, ticker.nanoTime());
                if (next == null) {
                    throw new FailoverException(
                            name, FailoverException.Reason.EXHAUSTED, attempts, downNotes(tried, ticker.nanoTime()));
                }
                listener.failover(name, member.name, next.name, String.valueOf(e.getMessage()));
                member = next;
            }
        }
    }

    /**
     * For a call that ends without trying every member (each one left was in back-off): each untried member's name,
     * the back-off left (rounded up to the second) and its last error, the way an attempt is named in the exception's
     * message.
     */
    private List<String> downNotes(Set<Member<T>> tried, long now) {
        List<String> notes = new ArrayList<>();
        for (Member<T> m : members) {
            if (tried.contains(m)) {
                continue;
            }
            long left;
            String error;
            synchronized (m) {
                left = m.down ? m.downUntil - now : 0;
                error = m.lastError;
            }
            String backoff = left > 0
                    ? "in back-off for " + Durations.format(Duration.ofSeconds((left + 999_999_999L) / 1_000_000_000L))
                            + " more"
                    : "back-off ending";
            if (error == null) {
                notes.add(m.name + " " + backoff);
            } else if (error.contains(m.name)) {
                notes.add(error + " (" + backoff + ")");
            } else {
                notes.add(m.name + ": " + error + " (" + backoff + ")");
            }
        }
        return notes;
    }

    /** The best available untried member: lowest priority number, round-robin among equals. */
    private Member<T> pick(Set<Member<T>> tried, long now) {
        List<Member<T>> best = new ArrayList<>();
        int bestPriority = Integer.MAX_VALUE;
        for (Member<T> m : members) {
            if (tried.contains(m) || !available(m, now)) {
                continue;
            }
            if (m.priority < bestPriority) {
                best.clear();
                bestPriority = m.priority;
            }
            if (m.priority == bestPriority) {
                best.add(m);
            }
        }
        if (best.isEmpty()) {
            return null;
        }
        return best.get((int) Math.floorMod(roundRobin.getAndIncrement(), (long) best.size()));
    }

    private boolean available(Member<T> m, long now) {
        synchronized (m) {
            return !m.down || now - m.downUntil >= 0;
        }
    }

    private long generationOf(Member<T> m) {
        synchronized (m) {
            return m.generation;
        }
    }

    private void succeeded(Member<T> m) {
        boolean wasDown;
        synchronized (m) {
            wasDown = m.failures > 0;
            m.failures = 0;
            m.down = false;
            m.lastError = null;
            if (wasDown) {
                m.generation++;
            }
        }
        if (wasDown) {
            listener.memberUp(name, m.name);
        }
    }

    /**
     * Records a failure seen by a call that chose the member in {@code generation}: counted (back-off lengthened,
     * listener told) only if no other failure or recovery was recorded since; otherwise only the last error is kept.
     */
    private void failed(Member<T> m, String error, long generation) {
        Duration backoff;
        synchronized (m) {
            m.lastError = error;
            if (m.generation != generation) {
                return; // the same outage, already counted by a call that chose the member in this generation
            }
            m.generation++;
            m.failures++;
            backoff = backoffFor(m.failures);
            m.down = true;
            m.downUntil = ticker.nanoTime() + nanos(backoff);
        }
        listener.memberDown(name, m.name, error, backoff);
    }

    private void failedNow(Member<T> m, String error) {
        failed(m, error, generationOf(m));
    }

    private Duration backoffFor(int failures) {
        Duration b = initialBackoff;
        for (int i = 1; i < failures && b.compareTo(maxBackoff) < 0; i++) {
            b = b.multipliedBy(2);
        }
        return b.compareTo(maxBackoff) > 0 ? maxBackoff : b;
    }

    /**
     * Probes every member that is marked down and whose back-off has ended. A member whose probe returns {@code true}
     * is marked up; one whose probe returns {@code false} or throws stays down with a longer back-off. Members that are
     * up, or still inside their back-off, are not probed. Meant to be called periodically by a scheduler, so that a
     * recovered member is found before a real call has to try it.
     *
     * @param probe the health probe, e.g. a clamd PING
     * @return the names of members that came back up
     */
    public List<String> probe(Predicate<? super T> probe) {
        Objects.requireNonNull(probe, "probe");
        List<String> up = new ArrayList<>();
        long now = ticker.nanoTime();
        for (Member<T> m : members) {
            boolean due;
            synchronized (m) {
                due = m.down && now - m.downUntil >= 0;
            }
            if (!due) {
                continue;
            }
            boolean ok;
            String error = "probe failed";
            try {
                ok = probe.test(m.value);
            } catch (RuntimeException e) {
                ok = false;
                error = "probe threw " + e;
            }
            if (ok) {
                succeeded(m);
                up.add(m.name);
            } else {
                failedNow(m, error);
            }
        }
        return up;
    }

    /**
     * Probes every member that is marked down, whether or not its back-off has ended, and marks those whose probe
     * returns {@code true} up at once. A failed probe (returns {@code false} or throws) changes nothing: the member
     * keeps its back-off and failure count, and no event is sent, so probing often (every second or two) is cheap and
     * quiet. Meant to be scheduled at a short interval with a cheap health check (a clamd or spamd {@code PING}), so
     * a member comes back within one interval of its daemon, instead of after a back-off that grew during the outage.
     * Members that are up are not probed.
     *
     * @param probe the health probe
     * @return the names of members that came back up
     */
    public List<String> probeDown(Predicate<? super T> probe) {
        Objects.requireNonNull(probe, "probe");
        List<String> up = new ArrayList<>();
        for (Member<T> m : members) {
            boolean down;
            synchronized (m) {
                down = m.down;
            }
            if (!down) {
                continue;
            }
            boolean ok;
            try {
                ok = probe.test(m.value);
            } catch (RuntimeException e) {
                ok = false;
            }
            if (ok) {
                succeeded(m);
                up.add(m.name);
            }
        }
        return up;
    }

    /**
     * Marks a member down now, as if a call had failed (for example when an external monitor says so).
     *
     * @param memberName the member's name
     * @param reason why
     * @throws IllegalArgumentException if no member has that name
     */
    public void markDown(String memberName, String reason) {
        failedNow(find(memberName), reason);
    }

    /**
     * Marks a member up now, clearing its failures.
     *
     * @param memberName the member's name
     * @throws IllegalArgumentException if no member has that name
     */
    public void markUp(String memberName) {
        succeeded(find(memberName));
    }

    private Member<T> find(String memberName) {
        for (Member<T> m : members) {
            if (m.name.equals(memberName)) {
                return m;
            }
        }
        throw new IllegalArgumentException("no member named " + memberName + " in group " + name);
    }

    /**
     * The members' states now, in configured order.
     *
     * @return a snapshot
     */
    public List<MemberState> members() {
        Instant wall = clock.instant();
        long now = ticker.nanoTime();
        List<MemberState> out = new ArrayList<>();
        for (Member<T> m : members) {
            synchronized (m) {
                long left = m.downUntil - now;
                out.add(new MemberState(
                        m.name,
                        m.priority,
                        !m.down || left <= 0,
                        m.down ? Optional.of(wall.plusNanos(left)) : Optional.empty(),
                        m.failures,
                        Optional.ofNullable(m.lastError)));
            }
        }
        return out;
    }

    /**
     * The members' values in priority order (configured order among equals).
     *
     * @return the values
     */
    public List<T> values() {
        List<Member<T>> sorted = new ArrayList<>(members);
        sorted.sort(Comparator.comparingInt(m -> m.priority));
        List<T> out = new ArrayList<>();
        sorted.forEach(m -> out.add(m.value));
        return out;
    }

    /**
     * Builds a {@link FailoverGroup}. Each setter checks its own value at once; settings that depend on each other are
     * checked in {@link #build()}, so the order of the calls never matters. Not thread-safe.
     *
     * @param <T> the member type
     */
    public static final class Builder<T> {
        private final String name;
        private final List<Member<T>> members = new ArrayList<>();
        private Duration initialBackoff = Duration.ofSeconds(30);
        private Duration maxBackoff = Duration.ofMinutes(10);
        private boolean initialBackoffSet;
        private boolean maxBackoffSet;
        private Duration deadline = Duration.ofMinutes(2);
        private Clock clock = Clock.systemUTC();
        private NanoClock ticker;
        private Predicate<? super Exception> failoverWhen = e -> true;
        private HygieneListener listener = HygieneListener.NOOP;

        private Builder(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("group name must not be blank");
            }
            this.name = name;
        }

        /**
         * Adds a member.
         *
         * @param memberName a unique name
         * @param value the member
         * @param priority lower is preferred; equal priorities share calls round-robin
         * @return this builder
         * @throws IllegalArgumentException if the name is blank or already used
         */
        public Builder<T> member(String memberName, T value, int priority) {
            Objects.requireNonNull(memberName, "memberName");
            Objects.requireNonNull(value, "value");
            if (memberName.isBlank()) {
                throw new IllegalArgumentException("member name must not be blank");
            }
            for (Member<T> m : members) {
                if (m.name.equals(memberName)) {
                    throw new IllegalArgumentException("duplicate member name " + memberName);
                }
            }
            members.add(new Member<>(memberName, value, priority));
            return this;
        }

        /**
         * The back-off after a member's first failure; it doubles with each consecutive failure. Default 30 s, or the
         * maximum back-off if that was set lower. Checked against {@link #maxBackoff} in {@link #build()}, so the
         * order of the two calls does not matter.
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder<T> initialBackoff(Duration value) {
            Checks.requirePositive(value, "initialBackoff");
            initialBackoff = value;
            initialBackoffSet = true;
            return this;
        }

        /**
         * The longest back-off. Default 10 min, or the initial back-off if that was set higher. Checked against
         * {@link #initialBackoff} in {@link #build()}, so the order of the two calls does not matter.
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder<T> maxBackoff(Duration value) {
            Checks.requirePositive(value, "maxBackoff");
            maxBackoff = value;
            maxBackoffSet = true;
            return this;
        }

        /**
         * The whole call's deadline, over every member tried. Default 2 min.
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder<T> deadline(Duration value) {
            Checks.requirePositive(value, "deadline");
            deadline = value;
            return this;
        }

        /**
         * The clock for back-off and deadline. Default {@link Clock#systemUTC()}. A system clock (of any zone) stands
         * for the system's monotonic time, which then measures back-off and deadline (see the class description);
         * any other clock measures them itself.
         *
         * @param value the clock
         * @return this builder
         */
        public Builder<T> clock(Clock value) {
            clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /** Measures intervals with this source instead of the one the clock implies (package-private, for tests). */
        Builder<T> ticker(NanoClock value) {
            ticker = Objects.requireNonNull(value, "ticker");
            return this;
        }

        /**
         * Which exceptions mean "this member failed, try the next". Others end the call at once with
         * {@link FailoverException.Reason#NOT_RETRYABLE} and leave the member up. Default: every exception.
         *
         * @param predicate the test
         * @return this builder
         */
        public Builder<T> failoverWhen(Predicate<? super Exception> predicate) {
            failoverWhen = Objects.requireNonNull(predicate, "predicate");
            return this;
        }

        /**
         * Receives failover, member-down and member-up events. Default none.
         *
         * @param value the listener
         * @return this builder
         */
        public Builder<T> listener(HygieneListener value) {
            listener = Objects.requireNonNull(value, "listener");
            return this;
        }

        /**
         * Builds the group. Settings that depend on each other are checked here, whatever order they were set in: an
         * explicitly set initial back-off above an explicitly set maximum is refused; when only one of the two was set
         * and it conflicts with the other's default, the default yields to it. The builder is not changed, so it can
         * be changed and built again.
         *
         * @return a new group, every member up
         * @throws IllegalStateException if no member was added, or the explicit initial back-off exceeds the explicit
         *     maximum back-off
         */
        public FailoverGroup<T> build() {
            if (members.isEmpty()) {
                throw new IllegalStateException("a failover group needs at least one member");
            }
            if (initialBackoffSet && maxBackoffSet && initialBackoff.compareTo(maxBackoff) > 0) {
                throw new IllegalStateException(
                        "initialBackoff " + initialBackoff + " exceeds maxBackoff " + maxBackoff);
            }
            return new FailoverGroup<>(this);
        }
    }
}
