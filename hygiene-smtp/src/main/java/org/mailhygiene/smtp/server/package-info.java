/**
 * The SMTP server of the reference relay: {@link org.mailhygiene.smtp.server.SmtpServer} (RFC 5321 with PIPELINING,
 * SIZE, 8BITMIME, ENHANCEDSTATUSCODES, CHUNKING/BDAT, STARTTLS, SMTPUTF8 and DSN), its {@link org.mailhygiene.smtp.server.SmtpLimits},
 * {@link org.mailhygiene.smtp.server.TlsConfig} and the {@link org.mailhygiene.smtp.server.MessageHandler} hook.
 */
package org.mailhygiene.smtp.server;
