package org.mailhygiene.smtp.delivery;

import java.io.IOException;
import java.util.List;
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
    private final String what;
    private final transient List<RecipientResult> refused;

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
        this(endpoint, stage, reply, message, cause, List.of());
    }

    private HopFailedException(
            Endpoint endpoint,
            Stage stage,
            SmtpResponse reply,
            String message,
            Throwable cause,
            List<RecipientResult> refused) {
        super(endpoint + " failed at " + stage + ": " + message, cause);
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.stage = Objects.requireNonNull(stage, "stage");
        this.reply = reply;
        this.what = message;
        this.refused = List.copyOf(refused);
    }

    /**
     * The same failure, after the next hop had refused some recipients of the transaction for good (a {@code 5xx} to
     * their RCPT, then a {@code 421} to a later one): those answers stand, whatever the next hop did after them.
     *
     * @param refusedRecipients the {@link RecipientResult.Outcome#PERMANENT} results the hop gave before it failed
     * @return a new exception carrying them
     */
    HopFailedException afterRefusing(List<RecipientResult> refusedRecipients) {
        HopFailedException e = new HopFailedException(endpoint, stage, reply, what, getCause(), refusedRecipients);
        e.setStackTrace(getStackTrace());
        return e;
    }

    /**
     * The recipients the next hop refused for good in this transaction before it failed (see {@link
     * #afterRefusing}); empty when it refused none. Their answers are final: the agent bounces them and offers only
     * the others to the next member.
     *
     * @return the permanent results, in the order given
     */
    public List<RecipientResult> refusedRecipients() {
        return refused;
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
