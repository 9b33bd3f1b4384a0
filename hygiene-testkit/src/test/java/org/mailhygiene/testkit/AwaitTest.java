package org.mailhygiene.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AwaitTest {
    @Test
    void returnsTheFirstAcceptedValueWithoutWaitingForTheBound() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        int v = Await.value(Duration.ofDays(1), "the third call", calls::incrementAndGet, n -> n >= 3);
        assertThat(v).isEqualTo(3);
        assertThat(calls).hasValue(3);
    }

    @Test
    void seesAConditionThatAnotherThreadMakesTrue() throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        Thread t = new Thread(done::countDown);
        t.start();
        Await.until("the other thread ran", () -> done.getCount() == 0);
        t.join();
    }

    @Test
    void givingUpNamesWhatWasAwaitedAndTheLastValue() {
        assertThatThrownBy(() -> Await.value(Duration.ofMillis(20), "the answer", () -> 41, n -> n == 42))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("the answer")
                .hasMessageContaining("last seen: 41");
        assertThatThrownBy(() -> Await.until(Duration.ofMillis(1), "never", () -> false))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("never");
    }

    @Test
    void aFailingProbeEndsTheWaitWithItsException() {
        assertThatThrownBy(() -> Await.until("a file", () -> {
                    throw new IOException("gone");
                }))
                .isInstanceOf(IOException.class)
                .hasMessage("gone");
    }

    @Test
    void theBoundMustBePositive() {
        assertThatThrownBy(() -> Await.until(Duration.ZERO, "x", () -> true))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Await.until(Duration.ofSeconds(-1), "x", () -> true))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
