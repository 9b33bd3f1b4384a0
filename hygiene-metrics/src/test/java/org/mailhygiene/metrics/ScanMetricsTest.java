package org.mailhygiene.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;

/**
 * The counters of the scanners a node runs are published at 0 before their first event: an alert on
 * {@code increase(hygiene_scan_failures_total{kind="timed_out"}[5m])} missed the first timeout of a scanner, since its
 * counter appeared with it (session 36's leftovers).
 */
class ScanMetricsTest {
    @Test
    void theCountersOfExpectedScannersArePublishedAtZeroInRegistriesBoundBeforeAndAfter() {
        PrometheusMeterRegistry before = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        PrometheusMeterRegistry after = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ScanMetrics m = new ScanMetrics();
        m.bindTo(before);
        assertThat(before.scrape()).doesNotContain("scanner=\"clamd\"");
        m.expectScanners(List.of("clamd", "spamd"));
        m.bindTo(after);
        for (PrometheusMeterRegistry r : List.of(before, after)) {
            String text = r.scrape();
            assertThat(text)
                    .contains("hygiene_scan_failures_total{kind=\"timed_out\",scanner=\"clamd\"} 0.0")
                    .contains("hygiene_scan_failures_total{kind=\"unavailable\",scanner=\"spamd\"} 0.0")
                    .contains("hygiene_scan_verdicts_total{outcome=\"infected\",scanner=\"clamd\"} 0.0")
                    .contains("hygiene_scan_cache_hits_total{scanner=\"spamd\"} 0.0");
        }
        // the first event counts from there
        m.scanFailed(
                new ScanFailure("clamd", ScanFailure.Kind.TIMED_OUT, "read timed out", Duration.ofSeconds(2)),
                Message.of(new byte[0]));
        assertThat(after.scrape()).contains("hygiene_scan_failures_total{kind=\"timed_out\",scanner=\"clamd\"} 1.0");
    }

    /**
     * Audit, session 39: a virus storm of 50 copies showed {@code hygiene_scan_verdicts_total{outcome="infected"}} 1, as
     * the other 49 verdicts came from the cache, which counted them without their outcome.
     */
    @Test
    void verdictsAnsweredFromTheCacheCountWithTheirOutcome() {
        PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ScanMetrics m = new ScanMetrics();
        m.bindTo(r);
        Message msg = Message.of(new byte[0]);
        Verdict virus = Verdict.infected("clamd", List.of("Eicar-Test-Signature"), Duration.ofMillis(5));
        m.scanFinished(virus, msg);
        m.cacheHit(virus, msg);
        m.cacheHit(virus, msg);
        assertThat(r.scrape())
                .contains("hygiene_scan_verdicts_total{outcome=\"infected\",scanner=\"clamd\"} 3.0")
                .contains("hygiene_scan_cache_hits_total{scanner=\"clamd\"} 2.0")
                .contains("hygiene_scan_duration_seconds_count{result=\"infected\",scanner=\"clamd\"} 1");
    }
}
