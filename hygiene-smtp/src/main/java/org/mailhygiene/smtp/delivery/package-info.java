/**
 * Delivery from the spool to next hops.
 *
 * <p>{@link org.mailhygiene.smtp.delivery.SmtpClient} runs one SMTP transaction, sending the stored bytes with
 * canonical line ends and dot-stuffing, PIPELINING, opportunistic STARTTLS ({@link
 * org.mailhygiene.smtp.delivery.TlsPolicy}) and a timeout on every step ({@link
 * org.mailhygiene.smtp.delivery.SmtpTimeouts}). {@link org.mailhygiene.smtp.delivery.DeliveryAgent} is the queue
 * runner: routes from the {@link org.mailhygiene.api.routing.Router}, next hops through a
 * {@link org.mailhygiene.api.failover.FailoverGroup}, MX lookups through a {@link
 * org.mailhygiene.smtp.delivery.DnsResolver} (the JDK's JNDI provider by default), retries per a {@link
 * org.mailhygiene.smtp.delivery.RetrySchedule}, RFC 3464 bounces.
 */
package org.mailhygiene.smtp.delivery;
