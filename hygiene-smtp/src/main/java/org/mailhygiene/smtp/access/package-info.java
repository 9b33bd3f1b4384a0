/**
 * Who may talk to the relay and where they may send: client address rules with tcpserver/tcprules semantics
 * ({@link org.mailhygiene.smtp.access.AccessRules}), the domains the relay accepts mail for with qmail
 * {@code rcpthosts} semantics ({@link org.mailhygiene.smtp.access.AcceptedDomains}), and the recipient check that
 * combines them ({@link org.mailhygiene.smtp.access.RelayControl}).
 */
package org.mailhygiene.smtp.access;
