package org.mailhygiene.scanners.clamd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanResult;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.VerdictCache;
import org.mailhygiene.testkit.FakeClock;
import org.mailhygiene.testkit.clamd.FakeClamd;
import org.mailhygiene.testkit.clamd.FakeClamd.Command;
import org.mailhygiene.testkit.junit.FakeClamdExtension;
import org.mailhygiene.testkit.server.Fault;

/**
 * The cache identity follows signature reloads clamd does by itself (freshclam NotifyClamd, SelfCheck) within
 * {@link ClamdScanner.Builder#versionCheckInterval}, against {@link FakeClamd}.
 */
class ClamdVersionTrackingTest {
    static final String V1 = "ClamAV 1.4.6/27001/Fri Nov 27 09:00:00 2026";
    static final String V2 = "ClamAV 1.4.6/27002/Sat Nov 28 09:00:00 2026";

    @RegisterExtension
    final FakeClamdExtension primary = FakeClamdExtension.create(b -> b.version(V1));

    @RegisterExtension
    final FakeClamdExtension backup = FakeClamdExtension.create(b -> b.version(V1));

    private final FakeClock clock = FakeClock.start();

    private ClamdScanner.Builder single() {
        return ClamdScanner.builder()
                .address(primary.get().tcpAddress())
                .clock(clock)
                .probeTimeout(Duration.ofSeconds(2))
                .versionCheckExecutor(Runnable::run);
    }

    private static long versionRequests(FakeClamd fake) {
        return fake.requests().stream()
                .filter(r -> r.command().equals("VERSION"))
                .count();
    }

    private static Verdict verdict(ScanPipeline p, byte[] m) throws InterruptedException {
        ScanResult r = p.scan(Message.of(m)).results().get(0);
        assertThat(r).isInstanceOf(Verdict.class);
        return (Verdict) r;
    }

    @Test
    void cachedCleanVerdictIsNotServedOnceTheIntervalPassedAfterClamdReloadedByItself() throws Exception {
        String marker = "MH-SELF-RELOAD-" + UUID.randomUUID().toString().toUpperCase();
        byte[] m = ClamdTestMessages.marker(marker);
        VerdictCache cache = VerdictCache.create();
        ClamdScanner s = single().versionCheckInterval(Duration.ofSeconds(60)).build();
        try (ScanPipeline p = ScanPipeline.builder().scanner(s).cache(cache).build()) {
            assertThat(verdict(p, m).outcome()).isEqualTo(Outcome.CLEAN);
            primary.get().stageSignature(marker, "Local.SelfReload.UNOFFICIAL");
            primary.get().selfReload(V2);

            clock.advance(Duration.ofSeconds(59));
            assertThat(verdict(p, m).outcome())
                    .as("within the interval the old answer may still be served from the cache")
                    .isEqualTo(Outcome.CLEAN);
            assertThat(cache.stats().hits()).isEqualTo(1);

            clock.advance(Duration.ofSeconds(1));
            Verdict after = verdict(p, m);
            assertThat(after.outcome()).isEqualTo(Outcome.INFECTED);
            assertThat(after.threats()).containsExactly("Local.SelfReload.UNOFFICIAL");
        }
    }

    @Test
    void identityContainsEveryInstancesVersionAndChangesWhenOneChanges() throws Exception {
        ClamdScanner s = single().address(backup.get().tcpAddress()).build();
        String before = s.cacheIdentity().orElseThrow();
        assertThat(before)
                .contains(primary.get().tcpAddress() + "=" + V1)
                .contains(backup.get().tcpAddress() + "=" + V1);
        backup.get().selfReload(V2);
        clock.advance(Duration.ofSeconds(30));
        assertThat(s.cacheIdentity())
                .as("not checked again before the interval")
                .contains(before);
        clock.advance(Duration.ofSeconds(30));
        assertThat(s.cacheIdentity())
                .hasValueSatisfying(id -> assertThat(id)
                        .isNotEqualTo(before)
                        .contains(backup.get().tcpAddress() + "=" + V2));
    }

    @Test
    void versionIsAskedOncePerIntervalNotPerScan() throws Exception {
        ClamdScanner s = single().versionCheckInterval(Duration.ofSeconds(10)).build();
        for (int i = 0; i < 50; i++) {
            assertThat(s.cacheIdentity()).isPresent();
            clock.advance(Duration.ofMillis(100));
        }
        assertThat(versionRequests(primary.get())).isEqualTo(1);
        clock.advance(Duration.ofSeconds(5));
        assertThat(s.cacheIdentity()).isPresent();
        assertThat(versionRequests(primary.get())).isEqualTo(2);
    }

    @Test
    void unknownVersionMeansNothingIsCachedUntilAnswered() throws Exception {
        String marker = "MH-UNKNOWN-" + UUID.randomUUID().toString().toUpperCase();
        byte[] m = ClamdTestMessages.marker(marker);
        VerdictCache cache = VerdictCache.create();
        ClamdScanner s = single().address(backup.get().tcpAddress()).build();
        try (ScanPipeline p = ScanPipeline.builder().scanner(s).cache(cache).build()) {
            assertThat(verdict(p, m).outcome()).isEqualTo(Outcome.CLEAN);
            clock.advance(Duration.ofSeconds(60));
            backup.get()
                    .enqueue(
                            Command.VERSION,
                            Fault.reply(
                                    "HTTP/1.1 400 Bad Request")); // the backup's next VERSION answer is not a version
            primary.get().stageSignature(marker, "Local.Unknown.UNOFFICIAL");
            primary.get().selfReload(V2);
            assertThat(s.cacheIdentity())
                    .as("one instance's signatures are unknown")
                    .isEmpty();
            assertThat(verdict(p, m).outcome()).isEqualTo(Outcome.INFECTED);
            assertThat(cache.stats().hits()).isZero();
            clock.advance(Duration.ofSeconds(60));
            assertThat(s.cacheIdentity()).as("every instance answered again").isPresent();
        }
    }

    @Test
    void aDaemonThatDoesNotAnswerNeverBlocksTheIdentity() throws Exception {
        List<Runnable> queued = new ArrayList<>();
        ClamdScanner s = ClamdScanner.builder()
                .address(primary.get().tcpAddress())
                .clock(clock)
                .versionCheckExecutor(queued::add)
                .build();
        for (int i = 0; i < 5; i++) {
            assertThat(s.cacheIdentity()).as("no answer yet: not cached").isEmpty();
        }
        assertThat(queued).as("one check at a time").hasSize(1);
        assertThat(versionRequests(primary.get())).isZero();
    }

    /**
     * A clamd stand-in whose VERSION answer waits until the test releases it: "the answer is still on its way" for
     * exactly as long as the test needs, whatever the machine's load. RELOAD is answered at once.
     */
    private static final class GatedClamd implements AutoCloseable {
        final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final CountDownLatch versionAsked = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        GatedClamd() throws IOException {
            Thread t = new Thread(this::serve, "gated-clamd");
            t.setDaemon(true);
            t.start();
        }

        String address() {
            return InetAddress.getLoopbackAddress().getHostAddress() + ":" + server.getLocalPort();
        }

        private void serve() {
            while (true) {
                try {
                    Socket s = server.accept();
                    Thread h = new Thread(() -> answer(s), "gated-clamd-conn");
                    h.setDaemon(true);
                    h.start();
                } catch (IOException closed) {
                    return;
                }
            }
        }

        private void answer(Socket s) {
            try (s) {
                InputStream in = s.getInputStream();
                int end = in.read() == 'z' ? 0 : '\n';
                StringBuilder command = new StringBuilder();
                for (int c = in.read(); c != -1 && c != end; c = in.read()) {
                    command.append((char) c);
                }
                String reply;
                if (command.toString().equals("VERSION")) {
                    versionAsked.countDown();
                    release.await();
                    reply = V1;
                } else {
                    reply = command.toString().equals("RELOAD") ? "RELOADING" : "UNKNOWN COMMAND";
                }
                s.getOutputStream().write((reply + (char) end).getBytes(StandardCharsets.US_ASCII));
            } catch (IOException | InterruptedException e) {
                // the client gave up, or the test is over
            }
        }

        @Override
        public void close() throws IOException {
            release.countDown();
            server.close();
        }
    }

    @Test
    void checkOvertakenByAReloadIsDiscarded() throws Exception {
        try (GatedClamd clamd = new GatedClamd()) {
            List<Runnable> queued = new ArrayList<>();
            ClamdScanner s = ClamdScanner.builder()
                    .address(clamd.address())
                    .clock(clock)
                    .reloadSettle(Duration.ZERO)
                    .versionCheckExecutor(queued::add)
                    .build();
            assertThat(s.cacheIdentity()).isEmpty();
            assertThat(queued).hasSize(1);
            Thread check = new Thread(queued.remove(0));
            check.start();
            assertThat(clamd.versionAsked.await(60, TimeUnit.SECONDS))
                    .as("the check asked VERSION")
                    .isTrue();
            assertThat(s.reloadAll().success()).isTrue(); // while the VERSION answer is held back
            clamd.release.countDown();
            check.join(TimeUnit.SECONDS.toMillis(60));
            assertThat(check.isAlive()).isFalse();
            assertThat(s.cacheIdentity())
                    .as("the answer from before the reload was not used")
                    .isEmpty();
            assertThat(queued).as("a new check was started instead").hasSize(1);
            queued.remove(0).run();
            assertThat(s.cacheIdentity()).isPresent();
        }
    }

    @Test
    void refreshVersionsReportsChanges() throws Exception {
        ClamdScanner s = single().build();
        assertThat(s.refreshVersions()).as("first look").isFalse();
        String id = s.cacheIdentity().orElseThrow();
        primary.get().selfReload(V2);
        assertThat(s.refreshVersions()).isTrue();
        assertThat(s.cacheIdentity()).isPresent().get().isNotEqualTo(id);
    }

    @Test
    void intervalIsValidated() {
        ClamdScanner.Builder b = ClamdScanner.builder();
        assertThatThrownBy(() -> b.versionCheckInterval(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("versionCheckInterval");
        assertThatThrownBy(() -> b.versionCheckInterval(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.versionCheckInterval(Duration.ofHours(25)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most 24 h");
        assertThatThrownBy(() -> b.versionCheckExecutor(null)).isInstanceOf(NullPointerException.class);
        assertThat(b.versionCheckInterval(Duration.ofHours(24))).isSameAs(b);
    }
}
