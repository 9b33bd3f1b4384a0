package org.mailhygiene.testkit.smtp;

/** The points in an SMTP session where an {@link SmtpSink} can be scripted. */
public enum SinkCommand {
    /** The greeting sent when a client connects (default {@code 220}). */
    GREETING,
    /** {@code EHLO} (default: {@code 250} with the configured extensions). */
    EHLO,
    /** {@code HELO} (default {@code 250}). */
    HELO,
    /** {@code STARTTLS} (default {@code 220} when TLS is configured, else {@code 502}). */
    STARTTLS,
    /** {@code MAIL FROM} (default {@code 250}). */
    MAIL,
    /** {@code RCPT TO} (default {@code 250}; per-recipient scripts take precedence). */
    RCPT,
    /** {@code DATA}, the reply before the content (default {@code 354}). */
    DATA,
    /** The reply after the content's final dot (default {@code 250}); only a 2xx records the message. */
    DATA_END,
    /** {@code RSET} (default {@code 250}). */
    RSET,
    /** {@code NOOP} (default {@code 250}). */
    NOOP,
    /** {@code QUIT} (default {@code 221}, then close). */
    QUIT
}
