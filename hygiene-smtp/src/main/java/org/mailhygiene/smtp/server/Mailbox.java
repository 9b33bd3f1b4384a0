package org.mailhygiene.smtp.server;

/**
 * A mailbox from a MAIL or RCPT path, after any source route was removed.
 *
 * @param localPart the local part; for a quoted string its content with the quoting and escapes removed
 * @param quoted whether the local part was a quoted string
 * @param domain the domain (or address literal with brackets) as written; empty only for the bare {@code postmaster}
 * @param address the mailbox as the client wrote it (local part, {@code @}, domain), used in the envelope
 */
record Mailbox(String localPart, boolean quoted, String domain, String address) {}
