package org.mailhygiene.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class VirtualThreadsTest {

    @Test
    void threadsAreNamedByPrefixAndAreVirtualExactlyWhereTheRuntimeHasThem() throws Exception {
        Thread t = VirtualThreads.factory("unit").newThread(() -> {});
        assertThat(t.getName()).isEqualTo("unit-0");
        assertThat(VirtualThreads.isVirtual(t)).isEqualTo(VirtualThreads.available());
        assertThat(VirtualThreads.available()).isEqualTo(Runtime.version().feature() >= 21);
        if (!VirtualThreads.available()) {
            assertThat(t.isDaemon()).isTrue();
        }
        assertThat(VirtualThreads.isVirtual(Thread.currentThread())).isFalse();
    }

    @Test
    void thePerTaskExecutorRunsTasksAtOnceUpToItsPlatformLimit() throws Exception {
        ExecutorService executor = VirtualThreads.newPerTaskExecutor("unit-exec", 2);
        try {
            CountDownLatch both = new CountDownLatch(2);
            Future<String> a = executor.submit(() -> {
                both.countDown();
                both.await(1, TimeUnit.MINUTES);
                return Thread.currentThread().getName();
            });
            Future<String> b = executor.submit(() -> {
                both.countDown();
                both.await(1, TimeUnit.MINUTES);
                return Thread.currentThread().getName();
            });
            assertThat(a.get(1, TimeUnit.MINUTES)).startsWith("unit-exec-");
            assertThat(b.get(1, TimeUnit.MINUTES)).startsWith("unit-exec-");
            assertThat(both.getCount()).isZero();
        } finally {
            executor.shutdown();
            assertThat(executor.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
        }
    }

    @Test
    void aPlatformLimitBelowOneIsRefused() {
        assertThatThrownBy(() -> VirtualThreads.newPerTaskExecutor("x", 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("platformMaxThreads");
    }
}
