package org.mailhygiene.milter;

import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.scanners.ScanReport;

/**
 * Told about every message the milter answered at end of message, for statistics and logs. Called on the session's
 * thread after the reply was sent; must be fast and must not throw (an exception is logged and ignored). A message
 * whose MTA closed the connection while it was scanned (a scan longer than a second that outlasted the MTA's own
 * timeout, Postfix's {@code milter_content_timeout}) is answered to no one and not reported: the MTA applied its
 * {@code milter_default_action} and, if that was tempfail, the message comes back; the milter logs it at WARN.
 */
@FunctionalInterface
public interface MilterListener {
    /** A listener that does nothing. */
    MilterListener NONE = (envelope, content, report, outcome) -> {};

    /**
     * One message was answered.
     *
     * @param envelope the envelope as the MTA reported it (client, HELO, sender, recipients)
     * @param content the message as scanned; readable only during the call
     * @param report the pipeline's results and disposition; {@code null} when the scan did not finish before the
     *     milter's own backstop ({@link MilterServer.Builder#scanTimeout})
     * @param outcome what was sent to the MTA
     */
    void handled(Envelope envelope, MessageContent content, ScanReport report, MilterOutcome outcome);

    /** Why an MTA connection ended; see {@link #connectionClosed}. */
    enum Close {
        /** The MTA quit or closed the connection. */
        NORMAL,
        /** The MTA broke the protocol: oversized or malformed packet, command out of place, too low a version. */
        PROTOCOL_ERROR,
        /** The MTA sent nothing for the read timeout. */
        IDLE_TIMEOUT,
        /** A read or write failed (including a write blocked past the write timeout, or the server stopping). */
        IO_ERROR,
        /** An unexpected error in the milter (logged at WARN). */
        INTERNAL_ERROR
    }

    /**
     * An MTA connection ended (called once per connection, on its thread, after the socket was closed). Default: does
     * nothing.
     *
     * @param reason why
     */
    default void connectionClosed(Close reason) {}
}
