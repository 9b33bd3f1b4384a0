/**
 * The SpamAssassin adapter: {@link org.mailhygiene.scanners.spamd.SpamdClient} speaks the SPAMC/1.5 protocol to
 * {@code spamd} (every command, one connection per request, the message streamed with an exact {@code Content-length}
 * and a half-close after the body), and {@link org.mailhygiene.scanners.spamd.SpamdScanner} turns its replies into
 * {@link org.mailhygiene.api.Verdict}s over a {@link org.mailhygiene.api.failover.FailoverGroup} of spamd instances.
 *
 * <p>What a scanner failure becomes (tempfail, or fail-open with a marking header) is policy, set with
 * {@link org.mailhygiene.scanners.spamd.SpamdFailureMode} on a {@link org.mailhygiene.api.policy.DefaultPolicy}
 * builder; nothing in this package ever turns a failure into a clean verdict.
 */
package org.mailhygiene.scanners.spamd;
