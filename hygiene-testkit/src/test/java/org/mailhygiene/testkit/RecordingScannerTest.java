package org.mailhygiene.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Health;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.testkit.RecordingScanner.Call;
import org.mailhygiene.testkit.RecordingScanner.Ending;
import org.mailhygiene.testkit.ScriptedScanner.Reply;

class RecordingScannerTest {

    @Test
    void recordsEveryEndingAndPassesItThroughUnchanged() throws Exception {
        IllegalStateException bug = new IllegalStateException("adapter bug");
        ScriptedScanner inner = ScriptedScanner.builder().name("inner").build();
        inner.enqueue(Reply.infected("Eicar-Signature"))
                .enqueue(Reply.failure(ScanFailure.Kind.UNAVAILABLE, "connection refused"))
                .enqueue(Reply.exception(bug));
        RecordingScanner rec = RecordingScanner.wrap(inner);
        Message a = SampleMessages.eicarAttachmentMessage();
        Message b = SampleMessages.cleanMessage();

        Verdict v = rec.scan(a);
        assertThat(v.threats()).containsExactly("Eicar-Signature");
        assertThatThrownBy(() -> rec.scan(b))
                .isInstanceOfSatisfying(
                        ScanException.class,
                        e -> assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNAVAILABLE));
        assertThatThrownBy(() -> rec.scan(b)).isSameAs(bug);

        assertThat(rec.callCount()).isEqualTo(3);
        assertThat(rec.calls())
                .extracting(Call::ending)
                .containsExactly(Ending.VERDICT, Ending.FAILURE, Ending.UNCHECKED_EXCEPTION);
        assertThat(rec.calls()).extracting(Call::message).containsExactly(a, b, b);
        assertThat(rec.calls().get(0).verdict()).containsSame(v);
        assertThat(rec.calls().get(0).thrown()).isEmpty();
        assertThat(rec.calls().get(2).thrown()).containsSame(bug);
        assertThat(rec.verdicts()).containsExactly(v);
        assertThat(rec.failures())
                .singleElement()
                .extracting(ScanFailure::detail)
                .isEqualTo("connection refused");
        assertThat(rec.lastCall().ending()).isEqualTo(Ending.UNCHECKED_EXCEPTION);
        assertThat(rec.calls()).allSatisfy(c -> assertThat(c.elapsed()).isGreaterThanOrEqualTo(Duration.ZERO));
    }

    @Test
    void recordsInterrupts() throws Exception {
        RecordingScanner rec = RecordingScanner.wrap(FailingScanner.hanging());
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Verdict> f = pool.submit(() -> rec.scan(SampleMessages.cleanMessage()));
            FailingScanner hanging = (FailingScanner) rec.delegate();
            while (hanging.scanCount() == 0) {
                Thread.onSpinWait();
            }
            f.cancel(true);
            pool.shutdown();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        } finally {
            pool.shutdownNow();
        }
        assertThat(rec.lastCall().ending()).isEqualTo(Ending.INTERRUPTED);
        assertThat(rec.lastCall().thrown()).get().isInstanceOf(InterruptedException.class);
    }

    @Test
    void delegatesNameHealthAndCacheIdentity() {
        ScriptedScanner inner = ScriptedScanner.builder()
                .name("spamd")
                .health(Health.down("refused", Duration.ZERO))
                .cacheIdentity("spamd@1")
                .build();
        RecordingScanner rec = RecordingScanner.wrap(inner);
        assertThat(rec.name()).isEqualTo("spamd");
        assertThat(rec.health().status()).isEqualTo(Health.Status.DOWN);
        assertThat(rec.cacheIdentity()).hasValue("spamd@1");
        assertThat(rec.delegate()).isSameAs(inner);
    }

    /** A node's start waits for a wrapped scanner's identity as for the scanner's own (session 51). */
    @Test
    void delegatesTheWaitForACacheIdentity() throws Exception {
        java.util.concurrent.atomic.AtomicReference<Duration> asked =
                new java.util.concurrent.atomic.AtomicReference<>();
        org.mailhygiene.api.Scanner waiting = new org.mailhygiene.api.Scanner() {
            @Override
            public String name() {
                return "waiting";
            }

            @Override
            public Verdict scan(Message message) {
                return Verdict.clean("waiting", Duration.ZERO);
            }

            @Override
            public org.mailhygiene.api.Health health() {
                return org.mailhygiene.api.Health.up("up", Duration.ZERO);
            }

            @Override
            public java.util.Optional<String> awaitCacheIdentity(Duration bound) {
                asked.set(bound);
                return java.util.Optional.of("after the wait");
            }
        };
        assertThat(RecordingScanner.wrap(waiting).awaitCacheIdentity(Duration.ofSeconds(2)))
                .hasValue("after the wait");
        assertThat(asked.get()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void lastCallBeforeAnyCallAndClear() throws Exception {
        RecordingScanner rec = RecordingScanner.wrap(ScriptedScanner.always(Reply.clean()));
        assertThatThrownBy(rec::lastCall)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("scripted");
        assertThat(rec.scan(SampleMessages.cleanMessage()).outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(rec.callCount()).isEqualTo(1);
        rec.clear();
        assertThat(rec.calls()).isEmpty();
    }

    @Test
    void recordsConcurrentCallsWithoutLosingAny() throws Exception {
        RecordingScanner rec = RecordingScanner.wrap(ScriptedScanner.always(Reply.clean()));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int i = 0; i < 400; i++) {
                pool.submit(() -> rec.scan(SampleMessages.cleanMessage()));
            }
            pool.shutdown();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            pool.shutdownNow();
        }
        assertThat(rec.callCount()).isEqualTo(400);
        assertThat(rec.verdicts()).hasSize(400);
    }
}
