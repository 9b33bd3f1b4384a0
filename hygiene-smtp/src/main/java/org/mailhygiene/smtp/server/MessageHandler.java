package org.mailhygiene.smtp.server;

import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.policy.SmtpReply;
import org.mailhygiene.smtp.dsn.DsnRequest;

/**
 * What the server does with a message once the client sent the end of data: the hook where a relay scans, stores and
 * queues it.
 *
 * <p>Life cycle of one transaction, in order: MAIL and RCPT are checked by the server (syntax, limits, access and
 * relay rules); DATA is read and stored in a {@link MessageContent} whose first bytes are the server's own
 * {@code Received:} header; then {@link #handle} is called on the session's thread while the client waits; the server
 * sends exactly the reply it returns; then the content is closed (its temporary file deleted). A handler that keeps
 * the message (in a spool) must copy it before returning.
 *
 * <p>A handler that throws gets {@code 451 4.3.0} sent for it: the client keeps the message and retries. A handler may
 * be called from many sessions at once and must be thread-safe.
 */
@FunctionalInterface
public interface MessageHandler {

    /**
     * Handles one received message.
     *
     * @param envelope who sent it to whom, from where
     * @param content the message bytes as received, with the server's Received header prepended; valid until this
     *     method returns
     * @return the reply to send: 2xx accepts responsibility for the message (RFC 5321 §4.2.5), 4xx asks the client to
     *     retry, 5xx refuses it
     * @throws Exception for any failure; the client gets {@code 451 4.3.0}
     */
    SmtpReply handle(Envelope envelope, MessageContent content) throws Exception;

    /**
     * Handles one received message, knowing how many leading bytes of {@code content} are the server's own
     * {@code Received:} header. The server calls this method; the default forwards to
     * {@link #handle(Envelope, MessageContent)}.
     *
     * @param envelope who sent it to whom, from where
     * @param content the message bytes as received, with the server's Received header prepended
     * @param traceHeaderLength the exact length in bytes of that prepended header, CRLF included
     * @return the reply to send, as for {@link #handle(Envelope, MessageContent)}
     * @throws Exception for any failure; the client gets {@code 451 4.3.0}
     */
    default SmtpReply handle(Envelope envelope, MessageContent content, long traceHeaderLength) throws Exception {
        return handle(envelope, content);
    }

    /**
     * Handles one received message with the DSN parameters (RFC 3461) its transaction gave. The server calls this
     * method; the default forwards to {@link #handle(Envelope, MessageContent, long)}, dropping them (a handler that
     * queues the message should keep them, as the relay does, so that its notices honour them).
     *
     * @param envelope who sent it to whom, from where
     * @param content the message bytes as received, with the server's Received header prepended
     * @param traceHeaderLength the exact length in bytes of that prepended header, CRLF included
     * @param dsn the DSN parameters: {@code RET} and {@code ENVID} of MAIL, and (when any recipient gave one)
     *     {@code NOTIFY} and {@code ORCPT} per envelope recipient in envelope order; {@link DsnRequest#NONE} for none
     * @return the reply to send, as for {@link #handle(Envelope, MessageContent)}
     * @throws Exception for any failure; the client gets {@code 451 4.3.0}
     */
    default SmtpReply handle(Envelope envelope, MessageContent content, long traceHeaderLength, DsnRequest dsn)
            throws Exception {
        return handle(envelope, content, traceHeaderLength);
    }
}
