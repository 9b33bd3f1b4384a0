package org.mailhygiene.scanners.clamd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure.Kind;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.events.HygieneListener;
import org.mailhygiene.testkit.Await;
import org.mailhygiene.testkit.clamd.RealClamd;
import org.mailhygiene.testkit.junit.RealBinaries;

/** Two real clamd instances as a failover group: one killed under load, then both. */
class RealClamdFailoverTest {
    private RealClamd a;
    private RealClamd b;

    @BeforeEach
    void start() throws Exception {
        Path bin = RealBinaries.require("clamd", "clamav-daemon");
        a = RealClamd.builder(bin).start();
        b = RealClamd.builder(bin).start();
    }

    @AfterEach
    void stop() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // long by design; see junit-platform.properties
    void killedUnderLoadTheGroupFailsOverAndNoMessageIsReportedClean() throws Exception {
        List<String> failovers = Collections.synchronizedList(new ArrayList<>());
        ClamdScanner s = ClamdScanner.builder()
                .address(a.tcpAddress())
                .address(b.unixAddress())
                .listener(new HygieneListener() {
                    @Override
                    public void failover(String group, String from, String to, String reason) {
                        failovers.add(from + " -> " + to + ": " + reason);
                    }
                })
                .build();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        AtomicInteger started = new AtomicInteger();
        try {
            List<Future<Verdict>> infected = new ArrayList<>();
            List<Future<Verdict>> clean = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                byte[] m =
                        i % 2 == 0 ? ClamdTestMessages.eicarZipInAttachment() : ClamdTestMessages.cleanOfSize(200_000);
                Future<Verdict> f = pool.submit(() -> {
                    started.incrementAndGet();
                    return s.scan(Message.of(m));
                });
                (i % 2 == 0 ? infected : clean).add(f);
            }
            Await.until("40 scans started", () -> started.get() >= 40);
            a.kill(); // SIGKILL in the middle of the load
            int failures = 0;
            for (Future<Verdict> f : infected) {
                try {
                    Verdict v = f.get(60, TimeUnit.SECONDS);
                    assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
                } catch (java.util.concurrent.ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(ScanException.class);
                    failures++;
                }
            }
            for (Future<Verdict> f : clean) {
                try {
                    assertThat(f.get(60, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.CLEAN);
                } catch (java.util.concurrent.ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(ScanException.class);
                    failures++;
                }
            }
            // Every scan cut off by the kill moved to the other instance: none failed, none was clean when infected.
            assertThat(failures).isZero();
            assertThat(failovers).isNotEmpty().allMatch(f -> f.startsWith(a.tcpAddress() + " -> " + b.unixAddress()));
            assertThat(s.group().members().get(0).available()).isFalse();
            assertThat(s.scan(Message.of(ClamdTestMessages.eicarPlain())).threats())
                    .containsExactly(RealClamd.EICAR_NDB_NAME + RealClamd.UNOFFICIAL);
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void bothDownIsAnUnavailableFailure() throws Exception {
        ClamdScanner s = ClamdScanner.builder()
                .address(a.tcpAddress())
                .address(b.tcpAddress())
                .scanDeadline(Duration.ofSeconds(30))
                .build();
        assertThat(s.scan(Message.of(ClamdTestMessages.clean())).outcome()).isEqualTo(Outcome.CLEAN);
        a.kill();
        b.kill();
        assertThatThrownBy(() -> s.scan(Message.of(ClamdTestMessages.eicarPlain())))
                .isInstanceOfSatisfying(
                        ScanException.class, e -> assertThat(e.failure().kind()).isEqualTo(Kind.UNAVAILABLE));
        assertThat(s.health().isUp()).isFalse();
    }
}
