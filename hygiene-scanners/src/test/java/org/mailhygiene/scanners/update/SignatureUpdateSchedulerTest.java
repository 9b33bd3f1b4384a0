package org.mailhygiene.scanners.update;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.events.HygieneListener;
import org.mailhygiene.testkit.FakeClock;

class SignatureUpdateSchedulerTest {

    /** Records what is scheduled instead of running it; tests run the task by hand. */
    static final class ManualExecutor extends ScheduledThreadPoolExecutor {
        final List<Long> delaysMillis = Collections.synchronizedList(new ArrayList<>());
        final List<Runnable> tasks = Collections.synchronizedList(new ArrayList<>());

        ManualExecutor() {
            super(1);
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            delaysMillis.add(unit.toMillis(delay));
            tasks.add(command);
            return super.schedule(() -> {}, 1, TimeUnit.DAYS);
        }

        void runLast() {
            tasks.get(tasks.size() - 1).run();
        }
    }

    record Event(String updater, boolean success, String detail) {}

    final ManualExecutor executor = new ManualExecutor();
    final List<Event> events = Collections.synchronizedList(new ArrayList<>());
    final HygieneListener listener = new HygieneListener() {
        @Override
        public void signatureUpdate(String updater, boolean success, String detail, Duration elapsed) {
            events.add(new Event(updater, success, detail));
        }
    };

    @AfterEach
    void stop() {
        executor.shutdownNow();
    }

    /** A generator that always returns the same bounded value (jitter = max). */
    static RandomGenerator fixed(long value) {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                return value;
            }

            @Override
            public long nextLong(long bound) {
                return Math.min(value, bound - 1);
            }
        };
    }

    @Test
    void runsStepsInOrderOnScheduleWithJitterAndReportsEachRun() {
        List<String> ran = Collections.synchronizedList(new ArrayList<>());
        FakeClock clock = FakeClock.start();
        SignatureUpdateScheduler s = SignatureUpdateScheduler.builder("clamav")
                .step(UpdateStep.of("freshclam", () -> {
                    ran.add("freshclam");
                    clock.advance(Duration.ofSeconds(7));
                    return "exit 0";
                }))
                .step(UpdateStep.of("clamd-reload", () -> {
                    ran.add("reload");
                    return "RELOADING on 2 instance(s)";
                }))
                .clock(clock)
                .executor(executor)
                .listener(listener)
                .random(fixed(90_000))
                .build();
        s.start();
        assertThat(executor.delaysMillis)
                .containsExactly(Duration.ofHours(1).plusSeconds(90).toMillis());
        assertThat(s.nextRunAt())
                .contains(clock.instant().plus(Duration.ofHours(1).plusSeconds(90)));

        executor.runLast();

        assertThat(ran).containsExactly("freshclam", "reload");
        assertThat(events)
                .containsExactly(new Event(
                        "clamav", true, "freshclam ok (exit 0); clamd-reload ok (RELOADING on 2 instance(s))"));
        assertThat(s.lastRun().orElseThrow().elapsed()).isEqualTo(Duration.ofSeconds(7));
        assertThat(executor.delaysMillis)
                .hasSize(2)
                .last()
                .isEqualTo(Duration.ofHours(1).plusSeconds(90).toMillis());
        s.close();
        assertThat(s.nextRunAt()).isEmpty();
    }

    @Test
    void aFailingStepEndsTheRunReportsFailureAndTheScheduleGoesOn() {
        AtomicInteger reloads = new AtomicInteger();
        SignatureUpdateScheduler s = SignatureUpdateScheduler.builder("clamav")
                .step(UpdateStep.of("freshclam", () -> {
                    throw new java.io.IOException("freshclam failed with exit 2: mirror unreachable");
                }))
                .step(UpdateStep.of("clamd-reload", () -> "RELOADING " + reloads.incrementAndGet()))
                .executor(executor)
                .listener(listener)
                .jitter(Duration.ZERO)
                .build();
        s.start();
        executor.runLast();
        assertThat(reloads).hasValue(0);
        assertThat(events)
                .containsExactly(new Event(
                        "clamav", false, "freshclam FAILED (freshclam failed with exit 2: mirror unreachable)"));
        assertThat(executor.tasks).hasSize(2);
        assertThat(executor.delaysMillis).containsOnly(Duration.ofHours(1).toMillis());
        s.close();
    }

    @Test
    void runsNeverOverlap() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger runs = new AtomicInteger();
        SignatureUpdateScheduler s = SignatureUpdateScheduler.builder("vexira")
                .step(UpdateStep.of("vexira-update", () -> {
                    runs.incrementAndGet();
                    inside.countDown();
                    release.await();
                    return "done";
                }))
                .executor(executor)
                .listener(listener)
                .build();
        Thread t = new Thread(() -> {
            try {
                s.runNow();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        inside.await();
        assertThat(s.runNow()).isEmpty(); // a second run while the first is in progress is not started
        release.countDown();
        t.join(10_000);
        assertThat(runs).hasValue(1);
        assertThat(events).hasSize(1);
        assertThat(s.runNow()).isPresent();
        assertThat(runs).hasValue(2);
        s.close();
    }

    @Test
    void commandStepRunsArgumentListsAndTimesOut() throws Exception {
        CommandStep ok = CommandStep.builder("echo", List.of("sh", "-c", "echo updated 3 databases; exit 0"))
                .build();
        assertThat(ok.run()).isEqualTo("exit 0: updated 3 databases");
        CommandStep fail = CommandStep.builder("false", List.of("sh", "-c", "echo no mirror >&2; exit 2"))
                .build();
        assertThatThrownBy(fail::run).hasMessageContaining("exit 2").hasMessageContaining("no mirror");
        CommandStep upToDate = CommandStep.builder("fc", List.of("sh", "-c", "exit 1"))
                .successExitCodes(java.util.Set.of(0, 1))
                .build();
        assertThat(upToDate.run()).isEqualTo("exit 1");
        CommandStep slow = CommandStep.builder("slow", List.of("sleep", "30"))
                .timeout(Duration.ofMillis(300))
                .build();
        long t0 = System.nanoTime();
        assertThatThrownBy(slow::run).hasMessageContaining("did not finish within");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
        assertThatThrownBy(() -> CommandStep.builder("x", List.of("/no/such/program"))
                        .build()
                        .run())
                .isInstanceOf(java.io.IOException.class);
    }

    @Test
    void builderRejectsBadSettings() {
        assertThatThrownBy(() -> SignatureUpdateScheduler.builder(" ")).hasMessageContaining("blank");
        assertThatThrownBy(() -> SignatureUpdateScheduler.builder("x").build())
                .hasMessageContaining("at least one step");
        assertThatThrownBy(() -> SignatureUpdateScheduler.builder("x").interval(Duration.ofMillis(10)))
                .hasMessageContaining("at least 1 s");
        assertThatThrownBy(() -> SignatureUpdateScheduler.builder("x")
                        .step(UpdateStep.of("a", () -> ""))
                        .interval(Duration.ofMinutes(1))
                        .jitter(Duration.ofMinutes(2))
                        .build())
                .hasMessage("jitter PT2M is longer than the interval PT1M");
        // Checked in build(), so the order of the calls does not matter: a jitter above the default interval is
        // fine once the interval is raised, before or after.
        assertThat(SignatureUpdateScheduler.builder("x")
                        .step(UpdateStep.of("a", () -> ""))
                        .jitter(Duration.ofHours(2))
                        .interval(Duration.ofHours(3))
                        .build()
                        .jitter())
                .isEqualTo(Duration.ofHours(2));
        assertThatThrownBy(() -> SignatureUpdateScheduler.builder("x")
                        .step(UpdateStep.of("a", () -> ""))
                        .jitter(Duration.ofHours(2))
                        .build())
                .hasMessage("jitter PT2H is longer than the interval PT1H (the default)");
        // The default jitter yields to a shorter interval.
        assertThat(SignatureUpdateScheduler.builder("x")
                        .step(UpdateStep.of("a", () -> ""))
                        .interval(Duration.ofMinutes(1))
                        .build()
                        .jitter())
                .isEqualTo(Duration.ofMinutes(1));
        assertThatThrownBy(() -> SignatureUpdateScheduler.builder("x")
                        .step(UpdateStep.of("a", () -> ""))
                        .step(UpdateStep.of("a", () -> "")))
                .hasMessageContaining("used twice");
        assertThatThrownBy(() -> CommandStep.builder("x", List.of())).hasMessageContaining("needs a program");
        assertThatThrownBy(() -> CommandStep.builder("x", List.of("a")).timeout(Duration.ZERO))
                .hasMessageContaining("positive");
        SignatureUpdateScheduler s = SignatureUpdateScheduler.builder("x")
                .step(UpdateStep.of("a", () -> ""))
                .executor(executor)
                .build();
        s.start();
        assertThatThrownBy(s::start).hasMessageContaining("already started");
        s.close();
        assertThat(s.lastRun()).isEqualTo(Optional.empty());
    }
}
