package org.mailhygiene.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class TimersTest {
    @Test
    void aCancelledTimerLeavesTheQueueAndTheThreadIsANamedDaemon() throws Exception {
        ScheduledThreadPoolExecutor s = Timers.daemonScheduler("test-timer");
        try {
            ScheduledFuture<?> f = s.schedule(() -> {}, 1, TimeUnit.HOURS);
            assertThat(s.getQueue()).hasSize(1);
            f.cancel(false);
            assertThat(s.getQueue()).isEmpty();
            AtomicReference<Thread> ran = new AtomicReference<>();
            s.submit(() -> ran.set(Thread.currentThread())).get(30, TimeUnit.SECONDS);
            assertThat(ran.get().getName()).isEqualTo("test-timer");
            assertThat(ran.get().isDaemon()).isTrue();
        } finally {
            s.shutdownNow();
        }
    }
}
