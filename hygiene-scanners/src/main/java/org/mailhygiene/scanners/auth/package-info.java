/**
 * Sender authentication: SPF (RFC 7208), DKIM verification and signing (RFC 6376, RFC 8463), DMARC (RFC 7489) and ARC
 * (RFC 8617), reported in an {@code Authentication-Results} header (RFC 8601) by {@link
 * org.mailhygiene.scanners.auth.AuthScanner}.
 */
package org.mailhygiene.scanners.auth;
