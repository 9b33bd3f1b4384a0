/**
 * The reference relay assembled from its parts: {@link org.mailhygiene.smtp.Relay} (SMTP server, in-line scanning,
 * tagging, quarantine, durable spool and delivery) and {@link org.mailhygiene.smtp.RelayMain}, a runnable entry for
 * tests and benchmarks.
 */
package org.mailhygiene.smtp;
