package org.mailhygiene.smtp;

import java.util.Optional;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.policy.SmtpReply;
import org.mailhygiene.scanners.ScanReport;
import org.mailhygiene.smtp.queue.QueueId;

/**
 * Observes each message a {@link Relay} scanned, once the reply to its final dot is decided (statistics and the
 * per-message log line are built on it). Called on the SMTP session's thread before the reply is sent; must be fast
 * and must not throw (an exception is logged and ignored). A message kept for delivery is handed to the delivery
 * agent only after this call returns, so a delivery listener never reports an attempt for a message this listener
 * has not seen yet. Does nothing by default.
 */
public interface RelayListener {
    /** A listener that ignores everything. */
    RelayListener NONE = new RelayListener() {};

    /**
     * A scanned message was answered.
     *
     * @param envelope the envelope
     * @param content the content as received (with this relay's Received header)
     * @param report the scan report with the disposition
     * @param reply the reply sent for it (a 451 when the spool or quarantine could not be written)
     * @param queueId the spool id (ACCEPT, TAG) or quarantine id (QUARANTINE) when the message was kept
     */
    default void handled(
            Envelope envelope, MessageContent content, ScanReport report, SmtpReply reply, Optional<QueueId> queueId) {}
}
