/**
 * Micrometer meters for Mail Hygiene (the scan pipeline, the relay when hygiene-smtp is present, the milter when
 * hygiene-milter is) and a small admin HTTP server for {@code /metrics} (Prometheus text format) and {@code /health}.
 */
module org.mailhygiene.metrics {
    requires transitive org.mailhygiene.api;
    requires static org.mailhygiene.smtp;
    requires static org.mailhygiene.milter;
    requires static org.mailhygiene.scanners;
    requires transitive micrometer.core;
    requires transitive micrometer.registry.prometheus;
    requires org.slf4j;

    exports org.mailhygiene.metrics;
}
