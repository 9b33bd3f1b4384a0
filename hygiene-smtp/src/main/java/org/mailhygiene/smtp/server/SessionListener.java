package org.mailhygiene.smtp.server;

import java.net.InetAddress;

/**
 * Observes an {@link SmtpServer}'s sessions for metrics: refusals by reason, TLS sessions and failed handshakes. Called on the accepting
 * or session thread; must be fast and must not throw (an exception is logged and ignored). Does nothing by default.
 */
public interface SessionListener {
    /** A listener that ignores everything. */
    SessionListener NONE = new SessionListener() {};

    /**
     * The server refused something: a connection, a sender, a recipient or a message.
     *
     * @param client the client's address
     * @param reason a short stable label: {@code access-denied}, {@code connections}, {@code connections-per-ip},
     *     {@code connection-rate}, {@code shutting-down}, {@code out-of-descriptors} (the process had no file descriptor
     *     left: {@code 421 4.3.2}) (at connect); {@code tls-required}, {@code message-rate},
     *     {@code relay-denied} (a recipient the client may not send to), {@code too-many-recipients},
     *     {@code too-many-errors}, {@code stress-slow-data} (under stress, a message's data came slower than
     *     {@link SmtpLimits#stressMinDataRate()}: {@code 421 4.4.2}, the session closed), {@code stress-idle} (under stress, idle
     *     longer than {@link SmtpLimits#stressIdleTimeout()}: {@code 421 4.4.2}, the session closed),
     *     {@code stress-write-timeout}
     *     (under stress, a write of replies was blocked for {@link SmtpLimits#stressIdleTimeout()}: the connection
     *     closed, reported with 421 though no reply can reach a client that does not read), {@code message-content} (bare CR/LF, long lines, loops or size at the end of
     *     data), {@code free-space} (MAIL below the free-space minimum), {@code storage} (the data could not be kept
     *     in the temporary directory, a full disk: 452 or 451); replies to the final dot decided by the message
     *     handler are not reported here
     * @param code the SMTP reply code sent
     */
    default void refused(InetAddress client, String reason, int code) {}

    /**
     * A STARTTLS handshake completed.
     *
     * @param client the client's address
     * @param protocol the negotiated protocol, e.g. {@code TLSv1.3}
     * @param cipherSuite the negotiated cipher suite
     */
    default void tlsEstablished(InetAddress client, String protocol, String cipherSuite) {}

    /**
     * A STARTTLS handshake failed (the client was told 220 and then did not complete the handshake: a protocol or
     * cipher the server does not offer, plaintext where the ClientHello belongs, a reset, or the handshake timeout);
     * the session is closed. Also logged (INFO, {@code SmtpSession}) with the reason.
     *
     * @param client the client's address
     * @param reason the reason in words, e.g. {@code Client requested protocol TLSv1.1 is not enabled or supported in
     *     server context}
     */
    default void tlsFailed(InetAddress client, String reason) {}
}
