/**
 * The ClamAV clamd adapter: {@link org.mailhygiene.scanners.clamd.ClamdScanner} (a scanner over one clamd or a
 * failover group of several) and the lower-level {@link org.mailhygiene.scanners.clamd.ClamdClient} (PING, VERSION,
 * RELOAD, STATS, INSTREAM over TCP or a unix-domain socket) with its reply types.
 */
package org.mailhygiene.scanners.clamd;
