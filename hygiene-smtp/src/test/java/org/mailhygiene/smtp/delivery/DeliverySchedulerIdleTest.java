package org.mailhygiene.smtp.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.routing.NextHop;
import org.mailhygiene.api.routing.Route;
import org.mailhygiene.api.routing.StaticRouter;
import org.mailhygiene.smtp.queue.Spool;
import org.mailhygiene.testkit.Await;

/**
 * The delivery scheduler sleeps while a due message is being delivered. Seen from outside: a relay whose deliveries
 * hung on a next hop that never greeted spent 40% of a core doing nothing, since every pass found the message in
 * flight still due and scheduled the next pass at once; under load every delivery in flight did the same.
 */
class DeliverySchedulerIdleTest {
    @TempDir
    Path dir;

    private final List<Socket> accepted = new ArrayList<>();
    private ServerSocket silent;
    private DeliveryAgent agent;
    private Spool spool;
    private CountingScheduler scheduler;

    /** Counts the passes scheduled. */
    static final class CountingScheduler extends ScheduledThreadPoolExecutor {
        final AtomicLong scheduled = new AtomicLong();

        CountingScheduler() {
            super(1, r -> {
                Thread t = new Thread(r, "test-delivery-scheduler");
                t.setDaemon(true);
                return t;
            });
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            scheduled.incrementAndGet();
            return super.schedule(command, delay, unit);
        }
    }

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (spool != null) {
            spool.close();
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (silent != null) {
            silent.close();
        }
        synchronized (accepted) {
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    @Test
    void aPassIsNotScheduledAgainAndAgainWhileADueMessageIsInFlight() throws Exception {
        silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            try {
                while (true) {
                    Socket s = silent.accept(); // and never greets
                    synchronized (accepted) {
                        accepted.add(s);
                    }
                }
            } catch (java.io.IOException e) {
                // closed: the test is over
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        spool = Spool.builder(dir.resolve("spool")).build();
        scheduler = new CountingScheduler();
        agent = DeliveryAgent.builder(
                        spool,
                        StaticRouter.builder()
                                .defaultRoute(Route.Relay.to(new NextHop("127.0.0.1", silent.getLocalPort())))
                                .build())
                .hostname("relay.test")
                .postmaster("postmaster@x.org")
                .scheduler(scheduler)
                .client(SmtpClient.builder()
                        .heloName("relay.test")
                        .tls(TlsPolicy.disabled())
                        .timeouts(SmtpTimeouts.uniform(Duration.ofMinutes(5)))
                        .build())
                .build();
        agent.start();
        agent.submit(spool.store(
                new Envelope(Optional.empty(), Optional.of("c"), "a@x.org", List.of("b@y.org"), Instant.now()),
                MessageContent.ofString("Subject: x\r\n\r\nx\r\n", StandardCharsets.US_ASCII)));
        Await.until(Duration.ofSeconds(60), "the delivery connected", () -> {
            synchronized (accepted) {
                return !accepted.isEmpty();
            }
        });
        long before = scheduler.scheduled.get();
        // A window, not a wait for a condition: what is measured is how many passes are scheduled in it.
        Thread.sleep(2_000);
        long passes = scheduler.scheduled.get() - before;
        // One pass per poll interval (a minute) at most, and none for the message in flight; the bug made thousands.
        assertThat(passes).isLessThan(20);
        assertThat(agent.queued()).isEqualTo(1);
        // what a flush's log line names beside the deferred ones it retried (it said "0 retried" alone)
        assertThat(agent.deliveriesInProgress()).isEqualTo(1);
        assertThat(agent.flush()).isZero();
    }

    /**
     * Every message submitted while the next pass waits minutes ahead (a retry, a held next hop) cancels that pass for
     * one now, and the pass after it is scheduled minutes ahead again. Until session 44 the agent's own scheduler kept
     * each cancelled pass queued until its time would have come: at a message rate R and a retry D minutes ahead, R x
     * 60 x D dead entries (100 a second with a retry an hour ahead: 360,000).
     */
    @Test
    void aCancelledPassLeavesTheOwnSchedulersQueue() throws Exception {
        int refusing;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            refusing = free.getLocalPort(); // closed again: connections to it are refused
        }
        spool = Spool.builder(dir.resolve("spool")).build();
        agent = DeliveryAgent.builder(
                        spool,
                        StaticRouter.builder()
                                .defaultRoute(Route.Relay.to(new NextHop("127.0.0.1", refusing)))
                                .build())
                .hostname("relay.test")
                .postmaster("postmaster@x.org")
                .client(SmtpClient.builder()
                        .heloName("relay.test")
                        .tls(TlsPolicy.disabled())
                        .build())
                .build();
        agent.start();
        ScheduledThreadPoolExecutor own = (ScheduledThreadPoolExecutor) agent.scheduler;
        for (int i = 0; i < 50; i++) {
            agent.submit(spool.store(
                    new Envelope(Optional.empty(), Optional.of("c"), "a@x.org", List.of("b@y.org"), Instant.now()),
                    MessageContent.ofString("Subject: " + i + "\r\n\r\nx\r\n", StandardCharsets.US_ASCII)));
            int queued = i + 1;
            Await.until(
                    Duration.ofSeconds(60),
                    "message " + queued + " deferred and the next pass scheduled ahead",
                    () -> agent.queued() == queued
                            && agent.deliveriesInProgress() == 0
                            && own.getQueue().stream()
                                    .anyMatch(t -> ((ScheduledFuture<?>) t).getDelay(TimeUnit.SECONDS) > 10));
        }
        assertThat(own.getQueue()).as("passes queued after 50 submissions").hasSizeLessThanOrEqualTo(2);
    }
}
