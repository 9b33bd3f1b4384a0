package org.mailhygiene.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Health;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.testkit.ScriptedScanner.Reply;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.SourceDSL;

class ScriptedScannerTest {
    private static final Message M = SampleMessages.cleanMessage();

    @Test
    void answersQueuedRepliesInOrderAndStampsNameAndTime() throws Exception {
        ScriptedScanner s = ScriptedScanner.builder().name("av").build();
        s.enqueue(Reply.infected("Eicar-Signature"));
        s.enqueue(Reply.clean());
        s.enqueue(Reply.spam(7.5, 5.0, Rule.of("BAYES_99", 3.5)));
        s.enqueue(Reply.suspicious("ENCRYPTED_ZIP"));

        Verdict v1 = s.scan(M);
        assertThat(v1.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v1.threats()).containsExactly("Eicar-Signature");
        assertThat(v1.scanner()).isEqualTo("av");
        assertThat(s.scan(M).outcome()).isEqualTo(Outcome.CLEAN);
        Verdict spam = s.scan(M);
        assertThat(spam.outcome()).isEqualTo(Outcome.SPAM);
        assertThat(spam.score()).hasValue(7.5);
        assertThat(spam.threshold()).hasValue(5.0);
        assertThat(spam.rules()).containsExactly(Rule.of("BAYES_99", 3.5));
        Verdict sus = s.scan(M);
        assertThat(sus.outcome()).isEqualTo(Outcome.SUSPICIOUS);
        assertThat(sus.rules()).extracting(Rule::name).containsExactly("ENCRYPTED_ZIP");
        assertThat(s.remainingReplies()).isZero();
        assertThat(s.scanCount()).isEqualTo(4);
    }

    @Test
    void unscriptedCallFailsAndIsNeverClean() throws Exception {
        ScriptedScanner s = ScriptedScanner.builder().build();
        assertThatThrownBy(() -> s.scan(M)).isInstanceOf(ScanException.class).satisfies(e -> {
            ScanFailure f = ((ScanException) e).failure();
            assertThat(f.kind()).isEqualTo(ScanFailure.Kind.SCANNER_ERROR);
            assertThat(f.scanner()).isEqualTo("scripted");
            assertThat(f.detail()).contains("no reply scripted");
        });
        assertThat(s.scanCount()).isEqualTo(1);
    }

    @Test
    void dispatcherAnswersWhenTheQueueIsEmpty() throws Exception {
        ScriptedScanner s = ScriptedScanner.builder()
                .dispatcher(m ->
                        m.content().size() == 0 ? Reply.failure(ScanFailure.Kind.UNSCANNABLE, "empty") : Reply.clean())
                .build();
        s.enqueue(Reply.infected("X"));
        assertThat(s.scan(M).outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(s.scan(M).outcome()).isEqualTo(Outcome.CLEAN);
        assertThatThrownBy(() -> s.scan(Message.of(new byte[0])))
                .isInstanceOf(ScanException.class)
                .extracting(e -> ((ScanException) e).failure().kind())
                .isEqualTo(ScanFailure.Kind.UNSCANNABLE);
    }

    @Test
    void alwaysRepliesTheSame() throws Exception {
        ScriptedScanner s = ScriptedScanner.always(Reply.infected("A", "B"));
        for (int i = 0; i < 3; i++) {
            assertThat(s.scan(M).threats()).containsExactly("A", "B");
        }
    }

    @Test
    void failureCarriesKindDetailAndName() {
        ScriptedScanner s = ScriptedScanner.builder().name("clamd").build();
        s.enqueue(Reply.failure(ScanFailure.Kind.TOO_LARGE, "INSTREAM size limit exceeded"));
        assertThatThrownBy(() -> s.scan(M)).isInstanceOfSatisfying(ScanException.class, e -> {
            assertThat(e.failure().scanner()).isEqualTo("clamd");
            assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.TOO_LARGE);
            assertThat(e.failure().detail()).isEqualTo("INSTREAM size limit exceeded");
            assertThat(e.getMessage()).contains("TOO_LARGE");
        });
    }

    @Test
    void exceptionReplyThrowsTheGivenInstance() {
        IllegalStateException boom = new IllegalStateException("boom");
        ScriptedScanner s = ScriptedScanner.builder().build().enqueue(Reply.exception(boom));
        assertThatThrownBy(() -> s.scan(M)).isSameAs(boom);
    }

    @Test
    void verdictReplyIsReturnedExactlyAndLikeReplyIsRestamped() throws Exception {
        Verdict foreign = Verdict.builder("someone-else", Outcome.SPAM)
                .score(9)
                .threshold(5)
                .elapsed(Duration.ofSeconds(3))
                .build();
        ScriptedScanner s = ScriptedScanner.builder().name("me").build();
        s.enqueue(Reply.verdict(foreign)).enqueue(Reply.like(foreign));
        assertThat(s.scan(M)).isSameAs(foreign);
        Verdict restamped = s.scan(M);
        assertThat(restamped.scanner()).isEqualTo("me");
        assertThat(restamped.outcome()).isEqualTo(Outcome.SPAM);
        assertThat(restamped.score()).hasValue(9.0);
        assertThat(restamped.elapsed()).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void likeReplyKeepsTheTemplatesHeaderFields() throws Exception {
        Verdict template = Verdict.builder("auth", Outcome.CLEAN)
                .header(new org.mailhygiene.api.policy.Header("Authentication-Results", "mx.example; spf=pass"))
                .build();
        ScriptedScanner s = ScriptedScanner.builder().name("me").build().enqueue(Reply.like(template));
        assertThat(s.scan(M).headers()).isEqualTo(template.headers());
    }

    @Test
    void delayedReplyTakesAtLeastTheDelay() throws Exception {
        ScriptedScanner s = ScriptedScanner.builder().build();
        s.enqueue(Reply.clean().after(Duration.ofMillis(30)));
        Verdict v = s.scan(M);
        assertThat(v.elapsed()).isGreaterThanOrEqualTo(Duration.ofMillis(30));
        assertThatThrownBy(() -> Reply.clean().after(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("negative");
    }

    @Test
    void gatedRepliesWaitForTheLatch() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        ScriptedScanner s = ScriptedScanner.always(Reply.clean().afterGate(gate));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Verdict>> futures = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                futures.add(pool.submit(() -> s.scan(M)));
            }
            assertThat(s.awaitScanCount(4, Duration.ofSeconds(10))).isTrue();
            assertThat(futures).noneMatch(Future::isDone);
            gate.countDown();
            for (Future<Verdict> f : futures) {
                assertThat(f.get(10, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.CLEAN);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void hangEndsOnlyByInterrupt() throws Exception {
        ScriptedScanner s = ScriptedScanner.builder().build().enqueue(Reply.hang());
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Verdict> f = pool.submit(() -> s.scan(M));
            assertThat(s.awaitScanCount(1, Duration.ofSeconds(10))).isTrue();
            assertThat(f.isDone()).isFalse();
            f.cancel(true);
            pool.shutdown();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void interruptDuringDelayThrowsInterruptedException() throws Exception {
        ScriptedScanner s = ScriptedScanner.always(Reply.clean().after(Duration.ofHours(1)));
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> s.scan(M)).isInstanceOf(InterruptedException.class);
        assertThat(Thread.interrupted()).isFalse();
    }

    @Test
    void awaitScanCountTimesOut() throws Exception {
        ScriptedScanner s = ScriptedScanner.builder().build();
        assertThat(s.awaitScanCount(1, Duration.ofMillis(10))).isFalse();
    }

    @Test
    void recordsMessagesInCallOrder() throws Exception {
        ScriptedScanner s = ScriptedScanner.always(Reply.clean());
        Message a = SampleMessages.cleanMessage();
        Message b = SampleMessages.gtubeMessage();
        s.scan(a);
        s.scan(b);
        assertThat(s.messages()).containsExactly(a, b);
    }

    @Test
    void builderAndEnqueueValidate() {
        assertThatThrownBy(() -> ScriptedScanner.builder().name(" "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("name");
        assertThatThrownBy(() -> ScriptedScanner.builder().cacheIdentity(""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cache identity");
        assertThatThrownBy(() -> ScriptedScanner.builder().build().enqueue(Reply.clean(), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("times");
        assertThatThrownBy(() -> Reply.infected()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void healthAndCacheIdentityAreConfigurable() {
        ScriptedScanner plain = ScriptedScanner.builder().build();
        assertThat(plain.health().status()).isEqualTo(Health.Status.UNKNOWN);
        assertThat(plain.cacheIdentity()).isEmpty();
        ScriptedScanner s = ScriptedScanner.builder()
                .health(Health.up("PONG", Duration.ZERO))
                .cacheIdentity("scripted/v1")
                .build();
        assertThat(s.health().isUp()).isTrue();
        assertThat(s.cacheIdentity()).hasValue("scripted/v1");
    }

    @Test
    void enqueueTimesAddsThatManyReplies() throws Exception {
        ScriptedScanner s = ScriptedScanner.builder().build().enqueue(Reply.infected("W32.Mydoom"), 3);
        assertThat(s.remainingReplies()).isEqualTo(3);
        for (int i = 0; i < 3; i++) {
            assertThat(s.scan(M).threats()).containsExactly("W32.Mydoom");
        }
        assertThatThrownBy(() -> s.scan(M)).isInstanceOf(ScanException.class);
    }

    /** Any script is played back in order, one reply per call, failures as ScanExceptions of the scripted kind. */
    @Test
    void anyScriptIsPlayedBackInOrder() {
        Gen<Integer> step = SourceDSL.integers().between(0, 2 + ScanFailure.Kind.values().length);
        qt().forAll(SourceDSL.lists().of(step).ofSizeBetween(0, 20)).checkAssert(script -> {
            ScriptedScanner s = ScriptedScanner.builder().name("p").build();
            script.forEach(code -> s.enqueue(reply(code)));
            for (int code : script) {
                try {
                    Verdict v = s.scan(M);
                    assertThat(code).as("verdict for script step %d", code).isLessThan(3);
                    assertThat(v.outcome())
                            .isEqualTo(List.of(Outcome.CLEAN, Outcome.INFECTED, Outcome.SPAM)
                                    .get(code));
                    assertThat(v.scanner()).isEqualTo("p");
                } catch (ScanException e) {
                    assertThat(code).isGreaterThanOrEqualTo(3);
                    assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.values()[code - 3]);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
            assertThat(s.scanCount()).isEqualTo(script.size());
            assertThat(s.remainingReplies()).isZero();
        });
    }

    private static Reply reply(int code) {
        return switch (code) {
            case 0 -> Reply.clean();
            case 1 -> Reply.infected("T" + code);
            case 2 -> Reply.spam(10, 5);
            default -> Reply.failure(ScanFailure.Kind.values()[code - 3], "step " + code);
        };
    }
}
