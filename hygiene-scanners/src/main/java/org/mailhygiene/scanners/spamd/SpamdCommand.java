package org.mailhygiene.scanners.spamd;

/**
 * The SPAMC/1.5 request methods spamd understands, with what each one returns.
 *
 * <p>Every method except {@link #PING} sends a message body. spamd closes the connection after each reply.
 */
public enum SpamdCommand {
    /** Score only: the reply has a {@code Spam:} header and no body. */
    CHECK(true),
    /** Score plus the names of the rules that fired, comma-separated, in the body. */
    SYMBOLS(true),
    /** Score plus the plain-text report (with a table of rules and their scores) in the body. */
    REPORT(true),
    /** Like {@link #REPORT}, but the body is empty for ham and the {@code Spam:} header says {@code Yes}/{@code No}. */
    REPORT_IFSPAM(true),
    /** Score plus the whole message as spamd rewrote it (headers added, spam wrapped when {@code report_safe 1}). */
    PROCESS(true),
    /** Like {@link #PROCESS}, but only the rewritten header block. */
    HEADERS(true),
    /** Liveness probe; the reply is {@code SPAMD/1.5 0 PONG} and nothing else. */
    PING(false),
    /**
     * Learning: train or untrain the Bayes database (and report to or revoke from remote services). Needs spamd's
     * {@code --allow-tell}.
     */
    TELL(true);

    private final boolean sendsBody;

    SpamdCommand(boolean sendsBody) {
        this.sendsBody = sendsBody;
    }

    /**
     * Whether a request with this method carries a message body.
     *
     * @return {@code false} only for {@link #PING}
     */
    public boolean sendsBody() {
        return sendsBody;
    }
}
