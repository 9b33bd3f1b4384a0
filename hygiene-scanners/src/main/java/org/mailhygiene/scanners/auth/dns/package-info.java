/**
 * A small DNS stub resolver for the sender-authentication checks: UDP with TCP fallback, timeouts, retries and a
 * bounded cache. Failures are {@link org.mailhygiene.scanners.auth.dns.DnsResult} values, never exceptions.
 */
package org.mailhygiene.scanners.auth.dns;
