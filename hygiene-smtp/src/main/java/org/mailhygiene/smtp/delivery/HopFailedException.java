package org.mailhygiene.smtp.delivery;

import java.io.IOException;
import java.util.Objects;
import java.util.Optional;

/**
 * A next hop failed before it took responsibility for the message: it could not be reached, refused the session
 * or the transaction temporarily, timed out, or dropped the connection mid-transaction. The message stays queued;
 * a {@link org.mailhygiene.api.failover.FailoverGroup} moves on to the next member.
 *
 * <p>When the connection broke after the final dot was sent but before its reply arrived, the next hop may have
 * accepted the message; delivering it again may then duplicate it (RFC 1047). That is the only duplicate the relay
 * can produce, and it never loses the message.
 */
public final class HopFailedException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Where in the session the next hop failed. */
    public enum Stage {
        /** TCP connect. */
        CONNECT,
        /** The greeting. */
        GREETING,
        /** EHLO/HELO. */
        EHLO,
        /** STARTTLS and the handshake (with {@link TlsPolicy.Mode#REQUIRED}). */
        STARTTLS,
        /** MAIL FROM. */
        MAIL,
        /** RCPT TO. */
        RCPT,
        /** DATA and the content. */
        DATA,
        /** The reply after the final dot. */
        DATA_END
    }

    private final transient Endpoint endpoint;
    private final Stage stage;
    private final transient SmtpResponse reply;

    /**
     * Creates the exception.
     *
     * @param endpoint the next hop
     * @param stage where it failed
     * @param reply the reply that ended it, or {@code null} for an I/O failure
     * @param message the description
     * @param cause the I/O failure, or {@code null}
     */
    public HopFailedException(Endpoint endpoint, Stage stage, SmtpResponse reply, String message, Throwable cause) {
        super(endpoint + " failed at " + stage + ": " + message, cause);
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.stage = Objects.requireNonNull(stage, "stage");
        this.reply = reply;
    }

    /**
     * The next hop.
     *
     * @return the endpoint
     */
    public Endpoint endpoint() {
        return endpoint;
    }

    /**
     * Where it failed.
     *
     * @return the stage
     */
    public Stage stage() {
        return stage;
    }

    /**
     * The reply that ended it, empty for a connection failure or timeout.
     *
     * @return the reply
     */
    public Optional<SmtpResponse> reply() {
        return Optional.ofNullable(reply);
    }
}
