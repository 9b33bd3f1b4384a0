package org.mailhygiene.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.mailhygiene.api.Health;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;

class FailingScannerTest {

    @ParameterizedTest
    @EnumSource(ScanFailure.Kind.class)
    void alwaysFailsWithTheChosenKind(ScanFailure.Kind kind) {
        FailingScanner s = FailingScanner.failingWith(kind);
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> s.scan(SampleMessages.cleanMessage()))
                    .isInstanceOfSatisfying(ScanException.class, e -> {
                        assertThat(e.failure().kind()).isEqualTo(kind);
                        assertThat(e.failure().scanner()).isEqualTo("failing");
                        assertThat(e.failure().elapsed()).isGreaterThanOrEqualTo(Duration.ZERO);
                    });
        }
        assertThat(s.scanCount()).isEqualTo(3);
        assertThat(s.kind()).isEqualTo(kind);
        assertThat(s.hangs()).isFalse();
        assertThat(s.health().status()).isEqualTo(Health.Status.DOWN);
    }

    @Test
    void nameAndDetailCanBeChosen() {
        FailingScanner s = FailingScanner.failingWith(ScanFailure.Kind.UNAVAILABLE)
                .named("clamd")
                .withDetail("connect to 127.0.0.1:3310 refused");
        assertThatThrownBy(() -> s.scan(SampleMessages.cleanMessage()))
                .isInstanceOfSatisfying(ScanException.class, e -> {
                    assertThat(e.failure().scanner()).isEqualTo("clamd");
                    assertThat(e.failure().detail()).isEqualTo("connect to 127.0.0.1:3310 refused");
                });
        assertThat(s.name()).isEqualTo("clamd");
        assertThatThrownBy(() -> s.named("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void hangingScannerBlocksUntilInterrupted() throws Exception {
        FailingScanner s = FailingScanner.hanging();
        assertThat(s.hangs()).isTrue();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Verdict> f = pool.submit(() -> s.scan(SampleMessages.cleanMessage()));
            Await.until("the scan started", () -> s.scanCount() > 0);
            assertThat(f.isDone()).isFalse();
            f.cancel(true);
            pool.shutdown();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void hangingScannerThrowsInterruptedExceptionWhenAlreadyInterrupted() {
        FailingScanner s = FailingScanner.hanging();
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> s.scan(SampleMessages.cleanMessage())).isInstanceOf(InterruptedException.class);
        assertThat(Thread.interrupted()).isFalse();
    }
}
