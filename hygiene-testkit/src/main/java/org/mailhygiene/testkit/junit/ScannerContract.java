package org.mailhygiene.testkit.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Health;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.testkit.SampleMessages;

/**
 * The behaviour every {@link Scanner} must show, as JUnit 5 tests. A test class implements this interface, returns
 * the scanner under test from {@link #scanner()}, and overrides the hooks that differ from the defaults:
 *
 * <pre>{@code
 * class ClamdScannerContractTest implements ScannerContract {
 *     public Scanner scanner() { return clamdScannerForTheDaemonStartedInBeforeAll; }
 *     public boolean detectsSpam() { return false; }
 * }
 * }</pre>
 *
 * <p>The same contract runs against a fake and against the real program it imitates, which keeps fakes honest. The
 * tests check that the name is not blank; that the clean sample is {@link Outcome#CLEAN}; that the infected sample is
 * {@link Outcome#INFECTED} with a threat name (when {@link #detectsViruses()}); that the spam sample is
 * {@link Outcome#SPAM} (when {@link #detectsSpam()}); that verdicts name the scanner and report an elapsed time no
 * longer than the call took; that concurrent scans agree with sequential ones; that an empty (0-byte) message yields a
 * verdict or a {@link ScanException}, never a runtime exception; that a message whose content cannot be read yields a
 * {@link ScanException}, never a verdict (when {@link #readsContent()}: a scanner that calls mail it could not read
 * clean lets it through unscanned); that a scan on an interrupted thread throws {@link InterruptedException} or keeps
 * the thread's interrupt status, and the scanner works for the next scan; and that {@link Scanner#health()} does not
 * throw.
 *
 * <p>{@link #scanner()} is called once per test; returning the same instance each time is fine, since scanners are
 * thread-safe. Closing what the scanner holds is the implementing class's job (for example in an {@code @AfterAll}).
 * Every test fails rather than hangs when a call takes longer than {@link #callTimeout()}.
 */
public interface ScannerContract {

    /**
     * The scanner under test.
     *
     * @return a ready scanner
     * @throws Exception if it cannot be created; the test then fails
     */
    Scanner scanner() throws Exception;

    /**
     * A message the scanner must find nothing in. Default: {@link SampleMessages#clean()}.
     *
     * @return the clean sample
     */
    default Message cleanSample() {
        return SampleMessages.cleanMessage();
    }

    /**
     * A message the scanner must call {@link Outcome#INFECTED}. Default: {@link SampleMessages#eicarAttachment()}, the
     * EICAR test file as a base64 attachment.
     *
     * @return the infected sample
     */
    default Message infectedSample() {
        return SampleMessages.eicarAttachmentMessage();
    }

    /**
     * A message the scanner must call {@link Outcome#SPAM}. Default: {@link SampleMessages#gtube()}.
     *
     * @return the spam sample
     */
    default Message spamSample() {
        return SampleMessages.gtubeMessage();
    }

    /**
     * Whether the scanner detects viruses, so {@link #infectedSample()} must be infected. Default {@code true}.
     *
     * @return {@code false} to skip the virus tests
     */
    default boolean detectsViruses() {
        return true;
    }

    /**
     * Whether the scanner detects spam, so {@link #spamSample()} must be spam. Default {@code false}.
     *
     * @return {@code true} to run the spam test
     */
    default boolean detectsSpam() {
        return false;
    }

    /**
     * Whether the scanner reads the message content, so content that cannot be read must make it fail. Default
     * {@code true}; a scanner that judges the envelope alone returns {@code false} to skip that test.
     *
     * @return {@code false} to skip the unreadable-content test
     */
    default boolean readsContent() {
        return true;
    }

    /**
     * How many scans the concurrency test runs at once. Default 8.
     *
     * @return a number {@code >= 2}
     */
    default int concurrentScans() {
        return 8;
    }

    /**
     * The longest any single test may take before it fails as hung. Default 60 seconds.
     *
     * @return a positive duration
     */
    default Duration callTimeout() {
        return Duration.ofSeconds(60);
    }

    /** The scanner's name is not blank. */
    @Test
    default void nameIsNotBlank() throws Exception {
        String name = scanner().name();
        assertNotNull(name, "name()");
        assertFalse(name.isBlank(), "name() must not be blank");
    }

    /** The clean sample is clean and the verdict names this scanner. */
    @Test
    default void cleanSampleIsClean() throws Exception {
        Scanner scanner = scanner();
        Verdict v = timedScan(scanner, cleanSample());
        assertEquals(Outcome.CLEAN, v.outcome(), () -> "clean sample: " + v);
        assertEquals(scanner.name(), v.scanner(), "the verdict must name the scanner that produced it");
    }

    /** The infected sample is infected, with at least one threat, and the verdict names this scanner. */
    @Test
    default void infectedSampleIsInfectedWithAThreat() throws Exception {
        Assumptions.assumeTrue(detectsViruses(), "this scanner does not detect viruses");
        Scanner scanner = scanner();
        Verdict v = timedScan(scanner, infectedSample());
        assertEquals(Outcome.INFECTED, v.outcome(), () -> "infected sample: " + v);
        assertFalse(v.threats().isEmpty(), "an infected verdict names a threat");
        assertEquals(scanner.name(), v.scanner(), "the verdict must name the scanner that produced it");
    }

    /** The spam sample is spam and the verdict names this scanner; a score, if given, reaches its threshold. */
    @Test
    default void spamSampleIsSpam() throws Exception {
        Assumptions.assumeTrue(detectsSpam(), "this scanner does not detect spam");
        Scanner scanner = scanner();
        Verdict v = timedScan(scanner, spamSample());
        assertEquals(Outcome.SPAM, v.outcome(), () -> "spam sample: " + v);
        assertEquals(scanner.name(), v.scanner(), "the verdict must name the scanner that produced it");
        if (v.score().isPresent() && v.threshold().isPresent()) {
            assertTrue(v.scoreReachedThreshold(), () -> "a SPAM verdict's score reaches its threshold: " + v);
        }
    }

    /** The reported elapsed time is non-negative and no longer than the call took. */
    @Test
    default void elapsedIsWithinTheCall() throws Exception {
        Scanner scanner = scanner();
        Message sample = detectsViruses() ? infectedSample() : cleanSample();
        long start = System.nanoTime();
        Verdict v = timedScan(scanner, sample);
        Duration wall = Duration.ofNanos(System.nanoTime() - start);
        assertFalse(v.elapsed().isNegative(), "elapsed must not be negative");
        assertTrue(
                v.elapsed().compareTo(wall) <= 0,
                () -> "elapsed " + v.elapsed() + " is longer than the call itself took (" + wall + ")");
    }

    /** Concurrent scans of the clean and the infected sample give the same outcomes and threats as sequential ones. */
    @Test
    default void concurrentScansAreConsistent() throws Exception {
        Scanner scanner = scanner();
        List<Message> samples = new ArrayList<>();
        samples.add(cleanSample());
        if (detectsViruses()) {
            samples.add(infectedSample());
        }
        if (detectsSpam()) {
            samples.add(spamSample());
        }
        List<Verdict> expected = new ArrayList<>();
        for (Message m : samples) {
            expected.add(timedScan(scanner, m));
        }
        int n = Math.max(2, concurrentScans());
        assertTimeoutPreemptively(callTimeout(), () -> {
            ExecutorService pool = Executors.newFixedThreadPool(n);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Verdict>> futures = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    Message m = samples.get(i % samples.size());
                    futures.add(pool.submit(() -> {
                        start.await();
                        return scanner.scan(m);
                    }));
                }
                start.countDown();
                for (int i = 0; i < n; i++) {
                    Verdict want = expected.get(i % samples.size());
                    Verdict got = futures.get(i).get();
                    int index = i;
                    assertEquals(want.outcome(), got.outcome(), () -> "concurrent scan " + index + ": " + got);
                    assertEquals(want.threats(), got.threats(), () -> "concurrent scan " + index + ": " + got);
                    assertEquals(scanner.name(), got.scanner(), "the verdict must name the scanner");
                }
            } finally {
                pool.shutdownNow();
            }
        });
    }

    /** An empty (0-byte) message yields a verdict or a {@link ScanException}, never a runtime exception. */
    @Test
    default void emptyMessageGivesVerdictOrScanException() throws Exception {
        Scanner scanner = scanner();
        assertTimeoutPreemptively(callTimeout(), () -> {
            try {
                Verdict v = scanner.scan(Message.of(new byte[0]));
                assertNotNull(v, "scan must not return null");
                assertEquals(scanner.name(), v.scanner(), "the verdict must name the scanner");
            } catch (ScanException e) {
                assertNotNull(e.failure(), "a ScanException carries its failure");
                assertEquals(scanner.name(), e.failure().scanner(), "the failure must name the scanner");
            } catch (RuntimeException e) {
                fail("an empty message must give a verdict or a ScanException, not " + e, e);
            }
        });
    }

    /**
     * A message whose content cannot be read (every {@link MessageContent#openStream()} throws an
     * {@link IOException}, as a spool file on a failing disk does) yields a {@link ScanException} naming the scanner:
     * never a verdict, since the content was not scanned, and never a runtime exception.
     */
    @Test
    default void unreadableContentIsAScanExceptionNeverAVerdict() throws Exception {
        Assumptions.assumeTrue(readsContent(), "this scanner does not read the content");
        Scanner scanner = scanner();
        long size = cleanSample().content().size();
        Message unreadable = Message.of(new MessageContent() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public InputStream openStream() throws IOException {
                throw new IOException("ScannerContract: this message's content cannot be read");
            }
        });
        assertTimeoutPreemptively(callTimeout(), () -> {
            Verdict v;
            try {
                v = scanner.scan(unreadable);
            } catch (ScanException e) {
                assertNotNull(e.failure(), "a ScanException carries its failure");
                assertEquals(scanner.name(), e.failure().scanner(), "the failure must name the scanner");
                return;
            } catch (RuntimeException e) {
                fail("content that cannot be read must give a ScanException, not " + e, e);
                return;
            }
            fail("content that cannot be read must give a ScanException, never a verdict (a scanner that calls mail"
                    + " it could not read clean lets it through unscanned), but the scan returned " + v);
        });
    }

    /**
     * A scan of the clean sample on a thread that is already interrupted (a pipeline cancelling a scan whose deadline
     * passed or whose result is no longer needed) ends with {@link InterruptedException}, or with a verdict or a
     * {@link ScanException} while the thread stays interrupted; a scanner that swallows the interrupt keeps cancelled
     * work running. The next scan, on a thread that is not interrupted, calls the clean sample clean again.
     */
    @Test
    default void interruptedScanKeepsTheInterruptAndTheScannerStillWorks() throws Exception {
        Scanner scanner = scanner();
        assertTimeoutPreemptively(callTimeout(), () -> {
            Thread.currentThread().interrupt();
            String ending;
            try {
                ending = "returned " + scanner.scan(cleanSample());
            } catch (InterruptedException e) {
                return;
            } catch (ScanException e) {
                ending = "failed with " + e.failure();
            } catch (RuntimeException e) {
                fail(RUNTIME + e, e);
                return;
            }
            String how = ending;
            assertTrue(
                    Thread.interrupted(),
                    () -> "a scan on an interrupted thread " + how + " and cleared the interrupt status: throw"
                            + " InterruptedException, or call Thread.currentThread().interrupt() after catching it");
        });
        Verdict again = timedScan(scanner, cleanSample());
        assertEquals(Outcome.CLEAN, again.outcome(), () -> "the clean sample after an interrupted scan: " + again);
    }

    /** {@link Scanner#health()} returns a result and does not throw. */
    @Test
    default void healthDoesNotThrow() throws Exception {
        Scanner scanner = scanner();
        Health h = assertTimeoutPreemptively(callTimeout(), () -> {
            try {
                return scanner.health();
            } catch (RuntimeException e) {
                return fail("health() must not throw, but threw " + e, e);
            }
        });
        assertNotNull(h, "health() must not return null");
    }

    /**
     * Scans with the {@link #callTimeout()}; a verdict is returned, a {@link ScanException} fails the test with its
     * failure.
     *
     * @param scanner the scanner
     * @param message the message
     * @return the verdict
     */
    private Verdict timedScan(Scanner scanner, Message message) {
        return assertTimeoutPreemptively(callTimeout(), () -> {
            try {
                Verdict v = scanner.scan(message);
                assertNotNull(v, "scan must not return null");
                return v;
            } catch (ScanException e) {
                return fail("the scan failed: " + e.failure(), e);
            } catch (RuntimeException e) {
                return fail(RUNTIME + e, e);
            }
        });
    }

    /** How a contract test fails on a scan that threw a runtime exception (it was a test error, naming nothing). */
    String RUNTIME = "the scan threw instead of giving a verdict or a ScanException (a pipeline counts that as a"
            + " scanner failure, and the scanner's users see a stack trace): ";
}
