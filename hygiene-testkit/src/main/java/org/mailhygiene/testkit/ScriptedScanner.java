package org.mailhygiene.testkit;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.mailhygiene.api.Health;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.internal.Checks;

/**
 * A {@link Scanner} that answers from a script, in the manner of OkHttp's MockWebServer: enqueue one {@link Reply} per
 * expected call (a verdict, a failure, a runtime exception, optionally after a delay or a gate, or a hang), run the code
 * under test, then assert which messages it was asked to scan.
 *
 * <pre>{@code
 * ScriptedScanner scanner = ScriptedScanner.builder().name("av").build();
 * scanner.enqueue(Reply.infected("Eicar-Signature"));
 * scanner.enqueue(Reply.failure(ScanFailure.Kind.TIMED_OUT, "read timed out").after(Duration.ofMillis(50)));
 * ... code under test ...
 * assertThat(scanner.scanCount()).isEqualTo(2);
 * }</pre>
 *
 * <p>Each call to {@link #scan(Message)} first records the message, then takes the next queued reply. When the queue is
 * empty it asks the {@linkplain Builder#dispatcher(Function) dispatcher}; the default dispatcher answers with a
 * {@link ScanFailure.Kind#SCANNER_ERROR SCANNER_ERROR} failure naming the unscripted call, so a
 * forgotten reply shows up as a failure and never as "clean".
 *
 * <p>Verdicts built by {@link Reply#clean()}, {@link Reply#infected(String...)}, {@link Reply#spam(double, double,
 * Rule...)}, {@link Reply#suspicious(String...)} and {@link Reply#like(Verdict)} carry this scanner's name and the wall time the call
 * took; failures carry the same. {@link Reply#verdict(Verdict)} returns the given verdict exactly as it is.
 *
 * <p>Thread-safe: concurrent scans take replies in the order they reach the queue, and recording, enqueueing and
 * inspection may happen from any thread.
 */
public final class ScriptedScanner implements Scanner {
    private final String name;
    private final Health health;
    private final Optional<String> cacheIdentity;
    private final Function<Message, Reply> dispatcher;
    /** Placeholder scanner name inside reply templates; replaced by the scanner's own name when answering. */
    private static final String TEMPLATE_NAME = "template";

    private final Object lock = new Object();
    private final Deque<Reply> replies = new ArrayDeque<>();
    private final List<Message> messages = new ArrayList<>();

    private ScriptedScanner(Builder b) {
        this.name = b.name;
        this.health = b.health;
        this.cacheIdentity = b.cacheIdentity;
        this.dispatcher = b.dispatcher;
    }

    /**
     * Starts a builder: name {@code scripted}, {@link Health#unknown()} health, no cache identity, and a dispatcher that
     * fails unscripted calls.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A scanner named {@code scripted} that answers every call with {@code reply} unless replies are enqueued.
     *
     * @param reply the answer to every unscripted call
     * @return a new scanner
     */
    public static ScriptedScanner always(Reply reply) {
        Objects.requireNonNull(reply, "reply");
        return builder().dispatcher(m -> reply).build();
    }

    /**
     * Adds a reply to the end of the queue.
     *
     * @param reply the answer to a future call
     * @return this scanner
     */
    public ScriptedScanner enqueue(Reply reply) {
        Objects.requireNonNull(reply, "reply");
        synchronized (lock) {
            replies.addLast(reply);
        }
        return this;
    }

    /**
     * Adds the same reply {@code times} times.
     *
     * @param reply the answer
     * @param times how many calls get it, {@code >= 1}
     * @return this scanner
     * @throws IllegalArgumentException if {@code times < 1}
     */
    public ScriptedScanner enqueue(Reply reply, int times) {
        Objects.requireNonNull(reply, "reply");
        Checks.requireAtLeast(times, 1, "times");
        synchronized (lock) {
            for (int i = 0; i < times; i++) {
                replies.addLast(reply);
            }
        }
        return this;
    }

    /**
     * How many enqueued replies have not been used yet.
     *
     * @return the queue length
     */
    public int remainingReplies() {
        synchronized (lock) {
            return replies.size();
        }
    }

    /**
     * How many times {@link #scan(Message)} was called.
     *
     * @return the number of calls so far, including those still running
     */
    public int scanCount() {
        synchronized (lock) {
            return messages.size();
        }
    }

    /**
     * The messages this scanner was asked to scan, in call order.
     *
     * @return an immutable snapshot
     */
    public List<Message> messages() {
        synchronized (lock) {
            return List.copyOf(messages);
        }
    }

    /**
     * Waits until at least {@code count} calls have started, for tests that need a scan to be under way before they
     * act (for example before interrupting or timing out a hung call).
     *
     * @param count the number of calls to wait for
     * @param timeout the longest time to wait
     * @return {@code true} if the count was reached, {@code false} on timeout
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean awaitScanCount(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (messages.size() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return true;
        }
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * Records the message, then answers with the next queued reply, or the dispatcher's reply when the queue is empty.
     *
     * @throws ScanException when the reply is a failure
     * @throws InterruptedException when interrupted during a delay, a gate or a hang
     * @throws RuntimeException when the reply is {@link Reply#exception(RuntimeException)}
     */
    @Override
    public Verdict scan(Message message) throws ScanException, InterruptedException {
        Objects.requireNonNull(message, "message");
        long start = System.nanoTime();
        Reply reply;
        synchronized (lock) {
            messages.add(message);
            lock.notifyAll();
            reply = replies.pollFirst();
        }
        if (reply == null) {
            reply = Objects.requireNonNull(dispatcher.apply(message), "dispatcher returned null");
        }
        return reply.answer(name, start);
    }

    @Override
    public Health health() {
        return health;
    }

    @Override
    public Optional<String> cacheIdentity() {
        return cacheIdentity;
    }

    @Override
    public String toString() {
        return "ScriptedScanner[" + name + ", queued=" + remainingReplies() + ", calls=" + scanCount() + "]";
    }

    /** Configures a {@link ScriptedScanner}. Not thread-safe. Each setter validates its argument. */
    public static final class Builder {
        private String name = "scripted";
        private Health health = Health.unknown();
        private Optional<String> cacheIdentity = Optional.empty();
        private Function<Message, Reply> dispatcher =
                m -> Reply.failure(ScanFailure.Kind.SCANNER_ERROR, "ScriptedScanner: no reply scripted for this call");

        private Builder() {}

        /**
         * Sets the scanner's name, default {@code scripted}.
         *
         * @param value a non-blank name
         * @return this builder
         * @throws IllegalArgumentException if blank
         */
        public Builder name(String value) {
            Objects.requireNonNull(value, "name");
            if (value.isBlank()) {
                throw new IllegalArgumentException("scanner name must not be blank");
            }
            this.name = value;
            return this;
        }

        /**
         * Sets what {@link Scanner#health()} returns, default {@link Health#unknown()}.
         *
         * @param value the probe result
         * @return this builder
         */
        public Builder health(Health value) {
            this.health = Objects.requireNonNull(value, "health");
            return this;
        }

        /**
         * Sets the {@linkplain Scanner#cacheIdentity() cache identity}, default none (verdicts are never cached).
         *
         * @param value a non-blank identity
         * @return this builder
         * @throws IllegalArgumentException if blank
         */
        public Builder cacheIdentity(String value) {
            Objects.requireNonNull(value, "cacheIdentity");
            if (value.isBlank()) {
                throw new IllegalArgumentException("cache identity must not be blank");
            }
            this.cacheIdentity = Optional.of(value);
            return this;
        }

        /**
         * Sets how calls are answered when the queue is empty, like MockWebServer's dispatcher. The function is called
         * on the scanning thread, possibly concurrently, and must not return {@code null}. Default: a
         * {@code SCANNER_ERROR} failure.
         *
         * @param value the dispatcher
         * @return this builder
         */
        public Builder dispatcher(Function<Message, Reply> value) {
            this.dispatcher = Objects.requireNonNull(value, "dispatcher");
            return this;
        }

        /**
         * Builds the scanner, with an empty queue.
         *
         * @return a new scanner
         */
        public ScriptedScanner build() {
            return new ScriptedScanner(this);
        }
    }

    /**
     * One scripted answer: a verdict, a failure, a runtime exception or a hang, optionally preceded by a gate (wait
     * for a latch) and a delay. Immutable and thread-safe; one reply may be enqueued many times or shared between
     * scanners.
     */
    public static final class Reply {
        private enum Type {
            VERDICT,
            TEMPLATE,
            FAILURE,
            EXCEPTION,
            HANG
        }

        private final Type type;
        private final Verdict verdict;
        private final ScanFailure.Kind failureKind;
        private final String detail;
        private final RuntimeException exception;
        private final Duration delay;
        private final Optional<CountDownLatch> gate;

        private Reply(
                Type type,
                Verdict verdict,
                ScanFailure.Kind failureKind,
                String detail,
                RuntimeException exception,
                Duration delay,
                Optional<CountDownLatch> gate) {
            this.type = type;
            this.verdict = verdict;
            this.failureKind = failureKind;
            this.detail = detail;
            this.exception = exception;
            this.delay = delay;
            this.gate = gate;
        }

        private static Reply template(Verdict template) {
            return new Reply(Type.TEMPLATE, template, null, null, null, Duration.ZERO, Optional.empty());
        }

        /**
         * A clean verdict.
         *
         * @return a new reply
         */
        public static Reply clean() {
            return template(Verdict.clean(TEMPLATE_NAME, Duration.ZERO));
        }

        /**
         * An infected verdict naming the given threats.
         *
         * @param threats at least one non-blank threat name
         * @return a new reply
         * @throws IllegalArgumentException if no threat is given or one is blank
         */
        public static Reply infected(String... threats) {
            return template(Verdict.infected(TEMPLATE_NAME, List.of(threats), Duration.ZERO));
        }

        /**
         * A spam verdict with a score, a threshold and the rules that fired.
         *
         * @param score the finite score
         * @param threshold the finite threshold
         * @param rules the rules that fired
         * @return a new reply
         * @throws IllegalArgumentException if score or threshold is not finite
         */
        public static Reply spam(double score, double threshold, Rule... rules) {
            return template(Verdict.builder(TEMPLATE_NAME, Outcome.SPAM)
                    .score(score)
                    .threshold(threshold)
                    .rules(List.of(rules))
                    .build());
        }

        /**
         * A suspicious verdict with the rules that made it so.
         *
         * @param ruleNames names of the rules that fired
         * @return a new reply
         * @throws IllegalArgumentException if a name is blank
         */
        public static Reply suspicious(String... ruleNames) {
            Verdict.Builder b = Verdict.builder(TEMPLATE_NAME, Outcome.SUSPICIOUS);
            for (String r : ruleNames) {
                b.rule(Rule.of(r));
            }
            return template(b.build());
        }

        /**
         * A verdict with the outcome, threats, score, threshold, rules and header fields of {@code template}, but this
         * scanner's name and the measured time.
         *
         * @param template the verdict to copy from
         * @return a new reply
         */
        public static Reply like(Verdict template) {
            return template(Objects.requireNonNull(template, "template"));
        }

        /**
         * Exactly the given verdict, whatever scanner name and elapsed time it holds; for testing how callers treat
         * inconsistent scanners.
         *
         * @param verdict the verdict to return
         * @return a new reply
         */
        public static Reply verdict(Verdict verdict) {
            return new Reply(
                    Type.VERDICT,
                    Objects.requireNonNull(verdict, "verdict"),
                    null,
                    null,
                    null,
                    Duration.ZERO,
                    Optional.empty());
        }

        /**
         * A {@link ScanException} carrying a failure of the given kind, this scanner's name and the measured time.
         *
         * @param kind the failure class
         * @param detail the explanation
         * @return a new reply
         */
        public static Reply failure(ScanFailure.Kind kind, String detail) {
            return new Reply(
                    Type.FAILURE,
                    null,
                    Objects.requireNonNull(kind, "kind"),
                    Objects.requireNonNull(detail, "detail"),
                    null,
                    Duration.ZERO,
                    Optional.empty());
        }

        /**
         * Throws the given runtime exception from {@code scan}, as a buggy adapter would. The same instance is thrown
         * each time the reply is used.
         *
         * @param exception what to throw
         * @return a new reply
         */
        public static Reply exception(RuntimeException exception) {
            return new Reply(
                    Type.EXCEPTION,
                    null,
                    null,
                    null,
                    Objects.requireNonNull(exception, "exception"),
                    Duration.ZERO,
                    Optional.empty());
        }

        /**
         * Blocks until the scanning thread is interrupted, then throws {@link InterruptedException} (with the
         * interrupt consumed, as {@link Object#wait()} does); a scanner that never answers, for deadline tests.
         *
         * @return a new reply
         */
        public static Reply hang() {
            return new Reply(Type.HANG, null, null, null, null, Duration.ZERO, Optional.empty());
        }

        /**
         * This reply, given only after sleeping for {@code value} (after the gate, if any). The sleep is
         * interruptible.
         *
         * @param value a non-negative delay
         * @return a new reply
         * @throws IllegalArgumentException if negative
         */
        public Reply after(Duration value) {
            Checks.requireNonNegative(value, "delay");
            return new Reply(type, verdict, failureKind, detail, exception, value, gate);
        }

        /**
         * This reply, given only once {@code latch} is open; lets a test hold scans in flight without sleeping, for
         * example to start many identical scans at once. The wait is interruptible.
         *
         * @param latch the latch to wait for
         * @return a new reply
         */
        public Reply afterGate(CountDownLatch latch) {
            return new Reply(
                    type,
                    verdict,
                    failureKind,
                    detail,
                    exception,
                    delay,
                    Optional.of(Objects.requireNonNull(latch, "latch")));
        }

        Verdict answer(String scannerName, long startNanos) throws ScanException, InterruptedException {
            if (gate.isPresent()) {
                gate.get().await();
            }
            if (!delay.isZero()) {
                TimeUnit.NANOSECONDS.sleep(delay.toNanos());
            }
            Duration elapsed = Duration.ofNanos(Math.max(0, System.nanoTime() - startNanos));
            switch (type) {
                case VERDICT:
                    return verdict;
                case TEMPLATE:
                    return new Verdict(
                            scannerName,
                            verdict.outcome(),
                            verdict.threats(),
                            verdict.score(),
                            verdict.threshold(),
                            verdict.rules(),
                            elapsed,
                            verdict.headers());
                case FAILURE:
                    throw new ScanException(new ScanFailure(scannerName, failureKind, detail, elapsed));
                case EXCEPTION:
                    throw exception;
                case HANG:
                    new CountDownLatch(1).await();
                    throw new AssertionError("a latch nobody counts down opened");
                default:
                    throw new AssertionError(type);
            }
        }

        @Override
        public String toString() {
            String what = switch (type) {
                case VERDICT, TEMPLATE ->
                    verdict.outcome() + (verdict.threats().isEmpty() ? "" : " " + verdict.threats());
                case FAILURE -> "failure " + failureKind + ": " + detail;
                case EXCEPTION -> "exception " + exception;
                case HANG -> "hang";
            };
            return "Reply[" + what + (delay.isZero() ? "" : " after " + delay) + (gate.isPresent() ? " after gate" : "")
                    + "]";
        }
    }
}
