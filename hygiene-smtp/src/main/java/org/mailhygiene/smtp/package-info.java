/**
 * The reference relay assembled from its parts: {@link org.mailhygiene.smtp.Relay} (SMTP server, in-line scanning,
 * tagging, quarantine, durable spool and delivery). The runnable harness for crash tests and benchmarks
 * ({@code RelayMain}) is in this module's test sources, not in its API; the {@code hygiene relay} command runs a relay
 * from configuration files.
 */
package org.mailhygiene.smtp;
