package org.mailhygiene.testkit;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.mailhygiene.api.Health;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.Verdict;

/**
 * A {@link Scanner} that never reaches a verdict: every call either fails at once with a chosen
 * {@link ScanFailure.Kind}, or {@linkplain #hanging() hangs} until its thread is interrupted. Use it to check that the
 * code under test never treats a broken scanner as clean, tempfails as configured, and enforces its deadlines.
 *
 * <p>Its {@link #health()} is always {@link Health.Status#DOWN}. Immutable apart from the call counter; thread-safe.
 */
public final class FailingScanner implements Scanner {
    private final String name;
    private final ScanFailure.Kind kind;
    private final String detail;
    private final boolean hang;
    private final AtomicInteger calls = new AtomicInteger();

    private FailingScanner(String name, ScanFailure.Kind kind, String detail, boolean hang) {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("scanner name must not be blank");
        }
        this.name = name;
        this.kind = Objects.requireNonNull(kind, "kind");
        this.detail = Objects.requireNonNull(detail, "detail");
        this.hang = hang;
    }

    /**
     * A scanner named {@code failing} whose every scan throws a {@link ScanException} of the given kind.
     *
     * @param kind the failure class every call reports
     * @return a new scanner
     */
    public static FailingScanner failingWith(ScanFailure.Kind kind) {
        return new FailingScanner("failing", kind, "FailingScanner always fails with " + kind, false);
    }

    /**
     * A scanner named {@code hanging} whose every scan blocks until the calling thread is interrupted, then throws
     * {@link InterruptedException}. Code under test must bound it with a deadline and interrupt it.
     *
     * @return a new scanner
     */
    public static FailingScanner hanging() {
        return new FailingScanner(
                "hanging", ScanFailure.Kind.TIMED_OUT, "FailingScanner hangs until interrupted", true);
    }

    /**
     * A copy with another name.
     *
     * @param newName a non-blank name
     * @return a new scanner with a fresh call counter
     * @throws IllegalArgumentException if blank
     */
    public FailingScanner named(String newName) {
        return new FailingScanner(newName, kind, detail, hang);
    }

    /**
     * A copy with another failure detail text.
     *
     * @param newDetail the explanation the failures carry
     * @return a new scanner with a fresh call counter
     */
    public FailingScanner withDetail(String newDetail) {
        return new FailingScanner(name, kind, newDetail, hang);
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * Fails, or hangs until interrupted.
     *
     * @throws ScanException always, for a failing scanner
     * @throws InterruptedException for a hanging scanner, once its thread is interrupted
     */
    @Override
    public Verdict scan(Message message) throws ScanException, InterruptedException {
        Objects.requireNonNull(message, "message");
        calls.incrementAndGet();
        long start = System.nanoTime();
        if (hang) {
            new CountDownLatch(1).await();
            throw new AssertionError("a latch nobody counts down opened");
        }
        throw new ScanException(new ScanFailure(name, kind, detail, Duration.ofNanos(System.nanoTime() - start)));
    }

    /**
     * Always down.
     *
     * @return a {@link Health.Status#DOWN} result naming the failure
     */
    @Override
    public Health health() {
        return Health.down(hang ? "hangs" : kind + ": " + detail, Duration.ZERO);
    }

    /**
     * How many times {@link #scan(Message)} was called, including calls still hanging.
     *
     * @return the number of calls
     */
    public int scanCount() {
        return calls.get();
    }

    /**
     * The failure class this scanner reports ({@link ScanFailure.Kind#TIMED_OUT} for a hanging scanner, which
     * describes what a caller's deadline should turn it into).
     *
     * @return the kind
     */
    public ScanFailure.Kind kind() {
        return kind;
    }

    /**
     * Whether this scanner hangs instead of failing.
     *
     * @return {@code true} for {@link #hanging()}
     */
    public boolean hangs() {
        return hang;
    }

    @Override
    public String toString() {
        return "FailingScanner[" + name + ", " + (hang ? "hangs" : kind.toString()) + "]";
    }
}
