package org.mailhygiene.testkit;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/**
 * Waits for an observable condition with a generous bound, for tests that must pass on a busy machine: the one
 * place where tests poll, instead of a {@code Thread.sleep} followed by an assertion.
 *
 * <p>The condition is checked at once and then again after short pauses (1 ms, doubling up to 50 ms), so a wait
 * ends as soon as the condition holds; the bound only decides when to give up, and is meant to be far longer than
 * the condition ever takes on a loaded machine ({@link #BOUND}, 60 s, by default). Giving up is an
 * {@link AssertionError} naming what was awaited and the last value seen.
 *
 * <p>Use it for "eventually" only. "Nothing happened" is shown by an event or a state that proves nothing can
 * happen any more (an empty queue, a listener that saw the decision), never by waiting a while and looking.
 *
 * <p>Stateless and thread-safe.
 */
public final class Await {
    /** The default bound: 60 seconds, far beyond what any awaited condition takes on a busy machine. */
    public static final Duration BOUND = Duration.ofSeconds(60);

    private static final long FIRST_PAUSE_NANOS = 1_000_000L;
    private static final long MAX_PAUSE_NANOS = 50_000_000L;

    private Await() {}

    /**
     * A condition that may throw (reading a file, asking a server).
     */
    @FunctionalInterface
    public interface Condition {
        /**
         * Whether the awaited state is reached.
         *
         * @return {@code true} when it is
         * @throws Exception if checking failed; the wait ends with this exception
         */
        boolean holds() throws Exception;
    }

    /**
     * Waits up to {@link #BOUND} until the condition holds.
     *
     * @param what what is awaited, for the failure message
     * @param condition the condition, called on this thread
     * @throws AssertionError if it did not hold within the bound
     * @throws Exception what the condition threw, or {@link InterruptedException} if interrupted
     */
    public static void until(String what, Condition condition) throws Exception {
        until(BOUND, what, condition);
    }

    /**
     * Waits up to {@code bound} until the condition holds.
     *
     * @param bound when to give up, positive
     * @param what what is awaited, for the failure message
     * @param condition the condition, called on this thread
     * @throws AssertionError if it did not hold within the bound
     * @throws IllegalArgumentException if the bound is not positive
     * @throws Exception what the condition threw, or {@link InterruptedException} if interrupted
     */
    public static void until(Duration bound, String what, Condition condition) throws Exception {
        Objects.requireNonNull(condition, "condition");
        value(bound, what, condition::holds, Boolean::booleanValue);
    }

    /**
     * Reads a value until it is accepted, up to {@link #BOUND}, and returns it.
     *
     * @param <T> the value type
     * @param what what is awaited, for the failure message
     * @param probe reads the value, called on this thread
     * @param accept whether a value is the awaited one
     * @return the first accepted value
     * @throws AssertionError if no value was accepted within the bound (the message shows the last one)
     * @throws Exception what the probe threw, or {@link InterruptedException} if interrupted
     */
    public static <T> T value(String what, Callable<T> probe, Predicate<? super T> accept) throws Exception {
        return value(BOUND, what, probe, accept);
    }

    /**
     * Reads a value until it is accepted, up to {@code bound}, and returns it.
     *
     * @param <T> the value type
     * @param bound when to give up, positive
     * @param what what is awaited, for the failure message
     * @param probe reads the value, called on this thread
     * @param accept whether a value is the awaited one
     * @return the first accepted value
     * @throws AssertionError if no value was accepted within the bound (the message shows the last one)
     * @throws IllegalArgumentException if the bound is not positive
     * @throws Exception what the probe threw, or {@link InterruptedException} if interrupted
     */
    public static <T> T value(Duration bound, String what, Callable<T> probe, Predicate<? super T> accept)
            throws Exception {
        Objects.requireNonNull(bound, "bound");
        Objects.requireNonNull(what, "what");
        Objects.requireNonNull(probe, "probe");
        Objects.requireNonNull(accept, "accept");
        if (bound.isNegative() || bound.isZero()) {
            throw new IllegalArgumentException("bound must be positive, was " + bound);
        }
        long deadline = System.nanoTime() + bound.toNanos();
        long pause = FIRST_PAUSE_NANOS;
        while (true) {
            T v = probe.call();
            if (accept.test(v)) {
                return v;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("not within " + bound + ": " + what + " (last seen: " + v + ")");
            }
            long nanos = Math.min(pause, left);
            Thread.sleep(nanos / 1_000_000L, (int) (nanos % 1_000_000L));
            pause = Math.min(pause * 2, MAX_PAUSE_NANOS);
        }
    }
}
