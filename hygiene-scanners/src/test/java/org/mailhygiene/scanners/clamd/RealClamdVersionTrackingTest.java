package org.mailhygiene.scanners.clamd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanResult;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.VerdictCache;
import org.mailhygiene.testkit.FakeClock;
import org.mailhygiene.testkit.clamd.RealClamd;
import org.mailhygiene.testkit.junit.RealClamdExtension;

/**
 * The installed clamd reloads a new daily database without this scanner sending RELOAD (another client sends it, as
 * freshclam's NotifyClamd does): a message cached CLEAN under the old database is found INFECTED once the version
 * check interval has passed.
 */
class RealClamdVersionTrackingTest {
    @RegisterExtension
    static final RealClamdExtension CLAMD = RealClamdExtension.create();

    /** Sends RELOAD from another client and waits until VERSION reports the database version. */
    private static void reloadBehindTheScannersBack(long version) throws Exception {
        ClamdClient other = ClamdClient.of(ClamdAddress.parse(CLAMD.get().unixAddress()));
        assertThat(other.reload(Duration.ofSeconds(5))).isEqualTo("RELOADING");
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            ClamdVersion v = other.version(Duration.ofSeconds(5));
            if (v.databaseVersion().equals(java.util.Optional.of(Long.toString(version)))) {
                return;
            }
            assertThat(System.nanoTime())
                    .as("clamd still reports %s: %s", v.raw(), CLAMD.get().log())
                    .isLessThan(end);
            Thread.sleep(50);
        }
    }

    private static Verdict verdict(ScanPipeline p, byte[] m) throws InterruptedException {
        ScanResult r = p.scan(Message.of(m)).results().get(0);
        assertThat(r).as("%s", r).isInstanceOf(Verdict.class);
        return (Verdict) r;
    }

    @Test
    void cachedCleanBecomesInfectedAfterClamdReloadedANewDailyDatabaseByItself() throws Exception {
        String marker = "MH-DAILY-" + UUID.randomUUID().toString().toUpperCase();
        String base =
                RealClamd.ndbLine("Local.Daily.Base", "MH-DAILY-BASE-SIGNATURE".getBytes(StandardCharsets.US_ASCII));
        CLAMD.get().writeDailyDatabase(100, List.of(base));
        reloadBehindTheScannersBack(100);

        FakeClock clock = FakeClock.start();
        ClamdScanner s = ClamdScanner.builder()
                .address(CLAMD.get().tcpAddress())
                .clock(clock)
                .versionCheckInterval(Duration.ofSeconds(60))
                .versionCheckExecutor(Runnable::run)
                .build();
        VerdictCache cache = VerdictCache.create();
        byte[] m = ClamdTestMessages.marker(marker);
        try (ScanPipeline p = ScanPipeline.builder().scanner(s).cache(cache).build()) {
            assertThat(verdict(p, m).outcome()).isEqualTo(Outcome.CLEAN);
            assertThat(s.cacheIdentity())
                    .hasValueSatisfying(id -> assertThat(id).contains("/100/"));

            CLAMD.get()
                    .writeDailyDatabase(
                            101,
                            List.of(
                                    base,
                                    RealClamd.ndbLine("Local.Daily.New", marker.getBytes(StandardCharsets.US_ASCII))));
            reloadBehindTheScannersBack(101);
            assertThat(verdict(p, m).outcome())
                    .as("served from the cache while the version answer is younger than the interval")
                    .isEqualTo(Outcome.CLEAN);
            assertThat(cache.stats().hits()).isEqualTo(1);

            clock.advance(Duration.ofSeconds(60));
            Verdict after = verdict(p, m);
            assertThat(after.outcome()).isEqualTo(Outcome.INFECTED);
            assertThat(after.threats()).singleElement().asString().startsWith("Local.Daily.New");
            assertThat(s.cacheIdentity())
                    .hasValueSatisfying(id -> assertThat(id).contains("/101/"));
        }
    }
}
