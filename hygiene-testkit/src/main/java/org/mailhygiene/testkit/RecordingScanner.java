package org.mailhygiene.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.Health;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.Verdict;

/**
 * Wraps a {@link Scanner} and records every call and how it ended, without changing any answer: verdicts, exceptions
 * and interrupts pass through unchanged. Use it to assert how often and with what a pipeline called a real scanner
 * (for example that a verdict cache spared the second call).
 *
 * <p>{@link #name()}, {@link #health()}, both {@code cacheIdentity} methods, {@link #awaitCacheIdentity} and
 * {@link #sharesCachedVerdicts()} delegate to the wrapped scanner.
 *
 * <p>Thread-safe when the wrapped scanner is; calls are recorded in the order they finish.
 */
public final class RecordingScanner implements Scanner {
    private final Scanner delegate;
    private final List<Call> calls = new ArrayList<>();

    private RecordingScanner(Scanner delegate) {
        this.delegate = delegate;
    }

    /**
     * Wraps a scanner.
     *
     * @param delegate the scanner whose calls are recorded
     * @return a new recording scanner with no calls recorded
     */
    public static RecordingScanner wrap(Scanner delegate) {
        return new RecordingScanner(Objects.requireNonNull(delegate, "delegate"));
    }

    /** How a recorded call ended. */
    public enum Ending {
        /** {@code scan} returned a verdict. */
        VERDICT,
        /** {@code scan} threw a {@link ScanException}. */
        FAILURE,
        /** {@code scan} threw a runtime exception or an error. */
        UNCHECKED_EXCEPTION,
        /** {@code scan} threw {@link InterruptedException}. */
        INTERRUPTED
    }

    /**
     * One finished call to the wrapped scanner.
     *
     * @param message the message passed in
     * @param ending how the call ended
     * @param verdict the verdict, present only for {@link Ending#VERDICT}
     * @param failure the failure, present only for {@link Ending#FAILURE}
     * @param thrown whatever was thrown, present for every ending except {@link Ending#VERDICT}
     * @param elapsed the wall time of the call, measured here
     */
    public record Call(
            Message message,
            Ending ending,
            Optional<Verdict> verdict,
            Optional<ScanFailure> failure,
            Optional<Throwable> thrown,
            Duration elapsed) {

        /**
         * Validates the components.
         *
         * @throws NullPointerException if a component is {@code null}
         */
        public Call {
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(ending, "ending");
            Objects.requireNonNull(verdict, "verdict");
            Objects.requireNonNull(failure, "failure");
            Objects.requireNonNull(thrown, "thrown");
            Objects.requireNonNull(elapsed, "elapsed");
        }
    }

    /**
     * The wrapped scanner.
     *
     * @return the delegate
     */
    public Scanner delegate() {
        return delegate;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    /**
     * Calls the wrapped scanner, records the call, and returns or rethrows exactly what it did.
     *
     * @throws ScanException as the wrapped scanner
     * @throws InterruptedException as the wrapped scanner
     */
    @Override
    public Verdict scan(Message message) throws ScanException, InterruptedException {
        long start = System.nanoTime();
        try {
            Verdict v = delegate.scan(message);
            record(new Call(message, Ending.VERDICT, Optional.of(v), Optional.empty(), Optional.empty(), since(start)));
            return v;
        } catch (ScanException e) {
            record(new Call(
                    message, Ending.FAILURE, Optional.empty(), Optional.of(e.failure()), Optional.of(e), since(start)));
            throw e;
        } catch (InterruptedException e) {
            record(new Call(
                    message, Ending.INTERRUPTED, Optional.empty(), Optional.empty(), Optional.of(e), since(start)));
            throw e;
        } catch (RuntimeException | Error e) {
            record(new Call(
                    message,
                    Ending.UNCHECKED_EXCEPTION,
                    Optional.empty(),
                    Optional.empty(),
                    Optional.of(e),
                    since(start)));
            throw e;
        }
    }

    @Override
    public Health health() {
        return delegate.health();
    }

    @Override
    public Optional<String> cacheIdentity() {
        return delegate.cacheIdentity();
    }

    @Override
    public Optional<String> cacheIdentity(Envelope envelope) {
        return delegate.cacheIdentity(envelope);
    }

    /**
     * The wrapped scanner's, so that a node starting with a wrapped clamd scanner waits for its identity as for the
     * scanner itself (until session 51 the interface's default answered at once).
     */
    @Override
    public Optional<String> awaitCacheIdentity(java.time.Duration bound) throws InterruptedException {
        return delegate.awaitCacheIdentity(bound);
    }

    @Override
    public boolean sharesCachedVerdicts() {
        return delegate.sharesCachedVerdicts();
    }

    /**
     * Every finished call, in the order they finished.
     *
     * @return an immutable snapshot
     */
    public List<Call> calls() {
        synchronized (calls) {
            return List.copyOf(calls);
        }
    }

    /**
     * How many calls have finished.
     *
     * @return the number of recorded calls
     */
    public int callCount() {
        synchronized (calls) {
            return calls.size();
        }
    }

    /**
     * The verdicts returned so far, in the order the calls finished.
     *
     * @return an immutable list
     */
    public List<Verdict> verdicts() {
        return calls().stream().flatMap(c -> c.verdict().stream()).toList();
    }

    /**
     * The failures thrown so far, in the order the calls finished.
     *
     * @return an immutable list
     */
    public List<ScanFailure> failures() {
        return calls().stream().flatMap(c -> c.failure().stream()).toList();
    }

    /**
     * The most recent finished call.
     *
     * @return the last call
     * @throws IllegalStateException if no call has finished yet
     */
    public Call lastCall() {
        synchronized (calls) {
            if (calls.isEmpty()) {
                throw new IllegalStateException("no call to " + delegate.name() + " has finished yet");
            }
            return calls.get(calls.size() - 1);
        }
    }

    /** Forgets all recorded calls. */
    public void clear() {
        synchronized (calls) {
            calls.clear();
        }
    }

    private void record(Call call) {
        synchronized (calls) {
            calls.add(call);
        }
    }

    private static Duration since(long startNanos) {
        return Duration.ofNanos(Math.max(0, System.nanoTime() - startNanos));
    }

    @Override
    public String toString() {
        return "RecordingScanner[" + delegate + ", calls=" + callCount() + "]";
    }
}
