/**
 * Observability for Mail Hygiene: {@link org.mailhygiene.metrics.ScanMetrics} (a
 * {@link org.mailhygiene.api.events.HygieneListener} and Micrometer {@code MeterBinder} for any scan pipeline, e.g. a
 * milter's), {@link org.mailhygiene.metrics.RelayMetrics} (the relay node's queue, deliveries, TLS sessions and
 * refusals; needs hygiene-smtp), and {@link org.mailhygiene.metrics.AdminServer}, which serves {@code /metrics} and
 * {@code /health} over HTTP.
 */
package org.mailhygiene.metrics;
