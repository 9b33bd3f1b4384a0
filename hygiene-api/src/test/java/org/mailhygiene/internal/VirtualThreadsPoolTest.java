package org.mailhygiene.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The per-task executor's platform-thread pool (runtimes without virtual threads). */
class VirtualThreadsPoolTest {

    @Test
    void platformPoolRunsEveryTaskWithAtMostItsMaximumOfThreadsAndQueuesTheRest() throws Exception {
        assumeFalse(VirtualThreads.available(), "this runtime uses virtual threads");
        ExecutorService ex = VirtualThreads.newPerTaskExecutor("vt-test", 3);
        try {
            AtomicInteger running = new AtomicInteger();
            AtomicInteger most = new AtomicInteger();
            CountDownLatch threeStarted = new CountDownLatch(3);
            CountDownLatch release = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                done.add(ex.submit(() -> {
                    most.accumulateAndGet(running.incrementAndGet(), Math::max);
                    threeStarted.countDown();
                    release.await();
                    running.decrementAndGet();
                    return null;
                }));
            }
            assertThat(threeStarted.await(60, TimeUnit.SECONDS)).isTrue();
            ThreadPoolExecutor pool = (ThreadPoolExecutor) ex;
            assertThat(pool.getPoolSize()).isEqualTo(3);
            assertThat(pool.getQueue()).hasSize(7);
            release.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            assertThat(most.get()).isEqualTo(3);
            // A worker counts its task as completed only after the task's future is done: wait for the workers.
            ex.shutdown();
            assertThat(ex.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
            assertThat(pool.getCompletedTaskCount()).isEqualTo(10);
        } finally {
            ex.shutdownNow();
        }
        assertThatThrownBy(() -> ex.execute(() -> {})).isInstanceOf(RejectedExecutionException.class);
    }

    @Test
    void platformPoolStartsThreadsOnlyOnDemand() throws Exception {
        assumeFalse(VirtualThreads.available(), "this runtime uses virtual threads");
        ExecutorService ex = VirtualThreads.newPerTaskExecutor("vt-test", 50);
        try {
            ThreadPoolExecutor pool = (ThreadPoolExecutor) ex;
            assertThat(pool.getPoolSize()).isZero();
            ex.submit(() -> {}).get(60, TimeUnit.SECONDS);
            assertThat(pool.getPoolSize()).isEqualTo(1);
            // One task at a time never needs all 50 threads (a fixed pool would start a thread per task until 50).
            for (int i = 0; i < 20; i++) {
                ex.submit(() -> {}).get(60, TimeUnit.SECONDS);
            }
            assertThat(pool.getLargestPoolSize()).isLessThan(21);
        } finally {
            ex.shutdownNow();
        }
    }
}
