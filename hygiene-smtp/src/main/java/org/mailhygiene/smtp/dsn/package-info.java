/**
 * The SMTP DSN extension (RFC 3461) as the relay uses it: the parameters a client may give ({@code RET}, {@code ENVID}
 * on MAIL; {@code NOTIFY}, {@code ORCPT} on RCPT), their parsing and the xtext encoding they travel in.
 *
 * <p>{@link org.mailhygiene.smtp.dsn.DsnParameters} parses and checks the values the server receives;
 * {@link org.mailhygiene.smtp.dsn.DsnRequest} holds what a transaction asked for, is stored with a message in the
 * spool and is passed on to a next hop that offers DSN; {@link org.mailhygiene.smtp.dsn.Xtext} encodes and decodes.
 */
package org.mailhygiene.smtp.dsn;
