package org.mailhygiene.smtp.delivery;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.internal.Checks;
import org.mailhygiene.smtp.delivery.SmtpConnection.StaleConnection;
import org.mailhygiene.smtp.delivery.SmtpConnection.TlsFailed;
import org.mailhygiene.smtp.delivery.SmtpTransaction.LocalReadFailed;
import org.mailhygiene.smtp.dsn.DsnRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An SMTP client that hands one stored message to one next hop in one transaction, sending the stored bytes
 * unchanged (only line ends are made canonical CRLF, then dot-stuffed; see {@link DotStuffer}), except that 8-bit
 * content for a next hop without 8BITMIME is converted to 7 bit (below).
 *
 * <p>Per transaction: connect (bound to the configured {@linkplain Builder#localAddress local address}), greeting,
 * EHLO (HELO if EHLO is refused), STARTTLS per the {@link TlsPolicy} and EHLO again, then MAIL FROM with
 * {@code SIZE=} when the server offers SIZE, {@code BODY=8BITMIME} when the content has 8-bit bytes and the server
 * offers 8BITMIME, {@code SMTPUTF8} when an address is not ASCII; RCPT TO per recipient; DATA; QUIT. With
 * PIPELINING offered, MAIL, every RCPT and DATA go out in one write (RFC 2920) and the replies are read in order.
 *
 * <p>Results: a 2xx after the data makes every accepted recipient DELIVERED; a 4xx to RCPT is TEMPORARY for that
 * recipient (a 421, which ends the session, excepted: below; recipients refused {@code 452 4.5.3}, too many
 * recipients, are sent again at once in another transaction while each takes at least one), a 5xx PERMANENT; a 5xx to
 * MAIL, DATA or the data makes every remaining recipient PERMANENT; content larger than the server's SIZE, or non-ASCII
 * addresses with a server lacking SMTPUTF8, are PERMANENT without sending. A
 * failure of the next hop itself (no connection, a non-2xx greeting or EHLO, a 4xx to MAIL, DATA or the data, a
 * 421 to RCPT, a timeout, a dropped connection) throws {@link HopFailedException} so that failover moves on and the
 * message stays queued. Content that is 8-bit for a server without 8BITMIME is converted to 7 bit by default (RFC 6152 §3, as Postfix
 * does unless {@code disable_mime_output_conversion = yes}): each 8-bit leaf part becomes quoted-printable (text) or
 * base64 (other types), multipart and {@code message/rfc822} entities are converted part by part, and {@code SIZE=}
 * gives the converted size; see {@link Builder#mimeOutputConversion} for what stays 8-bit and how to switch it off.
 * The conversion reads the content two or three more times (analysis, the converted size when the server offers SIZE,
 * sending), each pass linear and in bounded memory.
 *
 * <p>Every step has a timeout ({@link SmtpTimeouts}, RFC 5321 defaults), capped by the budget given to
 * {@link #deliver}. A reply (all of its lines) must arrive within its step's timeout and before the deadline, however
 * slowly the server sends it; writes and the STARTTLS handshake as a whole are guarded by a watchdog that closes the
 * socket when they take too long.
 *
 * <h2>Connection reuse</h2>
 * After a transaction that ended cleanly (the reply to the data was read, so client and server are in step), the
 * connection is kept for the next transaction to the same endpoint instead of being closed with QUIT, for at most
 * the {@linkplain Builder#connectionReuse(Duration, int) idle limit} (default 2 s, as Postfix's
 * {@code smtp_connection_cache_time_limit}) and a bounded number of transactions (default 100). The next transaction
 * starts with MAIL FROM at once; a transaction that took no message (every recipient or DATA refused) is ended with
 * RSET first, as the server still holds it open (without, Postfix answers the next MAIL {@code 503 nested MAIL
 * command}), and a connection whose RSET is not answered 2xx is closed. A kept connection that the server has closed
 * meanwhile (or that answers MAIL with 421, or 503 as out of step) is noticed at the first reply;
 * nothing was handed over then, so the transaction is retried once on a new connection, invisibly to the caller. Idle
 * connections get QUIT and are closed by the idle limit or by {@link #closeIdleConnections()}.
 *
 * <p>Thread-safe: one client serves concurrent deliveries, each on its own connection (a kept connection is used by
 * one transaction at a time).
 *
 * <p>Inside, as OkHttp separates them: an {@link SmtpConnection} is one socket and the session on it (connect,
 * greeting, EHLO, STARTTLS), an {@link SmtpTransaction} one mail transaction on a connection, and the
 * {@link SmtpConnectionPool} keeps connections between transactions. This class ties them together: the TLS fallback,
 * the retry of a transaction whose kept connection turned out closed, and the public API.
 */
public final class SmtpClient {
    private static final Logger LOG = LoggerFactory.getLogger(SmtpClient.class);

    private final SmtpTimeouts timeouts;
    private final TlsPolicy tls;
    private final SmtpConnection.Settings settings;
    private final SmtpConnectionPool pool;
    private final boolean mimeOutputConversion;

    private SmtpClient(Builder b) {
        this.mimeOutputConversion = b.mimeOutputConversion;
        this.timeouts = b.timeouts;
        this.tls = b.tls;
        this.settings = new SmtpConnection.Settings(b.heloName, b.localAddress, b.timeouts);
        this.pool = new SmtpConnectionPool(b.reuseIdle, b.reuseCount);
    }

    /**
     * Starts a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The timeouts in use.
     *
     * @return the timeouts
     */
    public SmtpTimeouts timeouts() {
        return timeouts;
    }

    /**
     * Whether 8-bit content is converted to 7 bit for a next hop without 8BITMIME ({@link Builder#mimeOutputConversion}).
     *
     * @return {@code true} when converting (the default)
     */
    public boolean mimeOutputConversion() {
        return mimeOutputConversion;
    }

    /**
     * Says QUIT to and closes every connection kept for reuse (connections in use are not touched). Call it when
     * delivery stops; idle connections are closed by the idle limit anyway.
     */
    public void closeIdleConnections() {
        pool.closeIdle();
    }

    /**
     * How many connections are kept for reuse right now (for tests and monitoring).
     *
     * @return the count
     */
    public int idleConnections() {
        return pool.idleCount();
    }

    /** The client's own TLS policy, for callers in this package that pass it on explicitly. */
    TlsPolicy tlsPolicy() {
        return tls;
    }

    /**
     * Runs one transaction with the client's own {@linkplain Builder#tls TLS policy}.
     *
     * @param endpoint where to connect
     * @param sender the reverse path, {@code ""} for the null sender
     * @param recipients the forward paths, at least one
     * @param content the bytes to send
     * @param budget the time left for the whole transaction; every step's timeout is capped by it
     * @return one result per recipient
     * @throws HopFailedException if the next hop failed before taking responsibility (see the class description)
     * @throws IOException if the content could not be read (a local problem, not the next hop's)
     * @throws IllegalArgumentException if there are no recipients or the budget is not positive
     */
    public TransactionResult deliver(
            Endpoint endpoint, String sender, List<String> recipients, MessageContent content, Duration budget)
            throws IOException {
        return deliver(endpoint, tls, sender, recipients, content, budget);
    }

    /**
     * Runs one transaction under the given TLS policy (a route's own, see {@link RouteTlsPolicies}). With
     * {@link TlsPolicy.Mode#REQUIRED}, a next hop that does not offer STARTTLS, refuses it, or fails the handshake or
     * the verification throws {@link HopFailedException} at {@link HopFailedException.Stage#STARTTLS} whose message
     * says why; nothing is sent in the clear. With {@link TlsPolicy.Mode#OPPORTUNISTIC}, a failed handshake (an
     * alert, a reset, the STARTTLS timeout) is logged and the transaction runs on a new plaintext connection.
     *
     * @param endpoint where to connect
     * @param tls the TLS policy for this transaction
     * @param sender the reverse path, {@code ""} for the null sender
     * @param recipients the forward paths, at least one
     * @param content the bytes to send
     * @param budget the time left for the whole transaction; every step's timeout is capped by it
     * @return one result per recipient
     * @throws HopFailedException if the next hop failed before taking responsibility (see the class description)
     * @throws IOException if the content could not be read (a local problem, not the next hop's)
     * @throws IllegalArgumentException if there are no recipients or the budget is not positive
     */
    public TransactionResult deliver(
            Endpoint endpoint,
            TlsPolicy tls,
            String sender,
            List<String> recipients,
            MessageContent content,
            Duration budget)
            throws IOException {
        return deliver(endpoint, tls, sender, recipients, content, budget, DsnRequest.NONE);
    }

    /**
     * As {@link #deliver(Endpoint, TlsPolicy, String, List, MessageContent, Duration)}, passing the DSN parameters the
     * message was received with (RFC 3461) on to a next hop that offers DSN: {@code RET} and {@code ENVID} on MAIL,
     * {@code NOTIFY} and {@code ORCPT} on each RCPT, xtext-encoded. A next hop without DSN gets none of them; the
     * result's {@link TransactionResult#dsn()} tells the caller, which then owes the sender any success notice.
     *
     * @param endpoint where to connect
     * @param tls the TLS policy for this transaction
     * @param sender the reverse path, {@code ""} for the null sender
     * @param recipients the forward paths, at least one
     * @param content the bytes to send
     * @param budget the time left for the whole transaction; every step's timeout is capped by it
     * @param dsn the DSN parameters; its per-recipient entries (if any) one per element of {@code recipients}, in
     *     that order; {@link DsnRequest#NONE} for none
     * @return one result per recipient
     * @throws HopFailedException if the next hop failed before taking responsibility (see the class description)
     * @throws IOException if the content could not be read (a local problem, not the next hop's)
     * @throws IllegalArgumentException if there are no recipients, the budget is not positive, or {@code dsn} holds
     *     per-recipient entries but not one per recipient
     */
    public TransactionResult deliver(
            Endpoint endpoint,
            TlsPolicy tls,
            String sender,
            List<String> recipients,
            MessageContent content,
            Duration budget,
            DsnRequest dsn)
            throws IOException {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(dsn, "dsn");
        if (!dsn.recipients().isEmpty() && dsn.recipients().size() != recipients.size()) {
            throw new IllegalArgumentException(
                    "DSN parameters for " + dsn.recipients().size() + " recipients, not " + recipients.size());
        }
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(content, "content");
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("no recipients");
        }
        Checks.requirePositive(budget, "budget");
        long deadline = System.nanoTime() + budget.toNanos();
        TransactionResult first = once(endpoint, tls, sender, List.copyOf(recipients), content, dsn, deadline);
        return rest(first, endpoint, tls, sender, content, dsn, deadline);
    }

    /**
     * RFC 5321 §4.5.3.1.10: a next hop that takes fewer recipients per transaction than a message has answers the rest
     * {@code 452 4.5.3} (too many recipients) and expects them in another transaction. They are sent again at once, on
     * the same connection, for as long as each transaction takes at least one recipient, rather than waiting out their
     * retry schedule (Postfix does the same). A failure of a later transaction leaves its recipients with their 452:
     * what the earlier ones took stands.
     */
    private TransactionResult rest(
            TransactionResult first,
            Endpoint endpoint,
            TlsPolicy tls,
            String sender,
            MessageContent content,
            DsnRequest dsn,
            long deadline) {
        List<RecipientResult> results = new java.util.ArrayList<>(first.recipients());
        TransactionResult last = first;
        while (true) {
            List<Integer> again = new java.util.ArrayList<>();
            boolean progress = false;
            for (int i = 0; i < results.size(); i++) {
                if (tooManyRecipients(results.get(i))) {
                    again.add(i);
                }
            }
            for (RecipientResult r : last.recipients()) {
                progress |= r.outcome() != RecipientResult.Outcome.TEMPORARY;
            }
            if (again.isEmpty() || !progress) {
                break;
            }
            List<String> rcpts =
                    again.stream().map(i -> results.get(i).recipient()).toList();
            try {
                last = once(
                        endpoint,
                        tls,
                        sender,
                        rcpts,
                        content,
                        dsn.recipients().isEmpty() ? dsn : dsn.select(again),
                        deadline);
            } catch (IOException e) {
                LOG.info(
                        "{}: {} recipient(s) the next hop deferred as too many were not sent again: {}",
                        endpoint,
                        rcpts.size(),
                        e.getMessage());
                break;
            }
            for (int j = 0; j < again.size(); j++) {
                results.set(again.get(j), last.recipients().get(j));
            }
        }
        return last == first ? first : new TransactionResult(first.endpoint(), first.tls(), results, first.dsn());
    }

    /** A {@code 452} that says "too many recipients" (RFC 5321 §4.5.3.1.10): {@code 4.5.3}, or in its words. */
    private static boolean tooManyRecipients(RecipientResult r) {
        return r.outcome() == RecipientResult.Outcome.TEMPORARY
                && r.diagnostic().startsWith("452")
                && (r.status().equals("4.5.3")
                        || r.diagnostic().toLowerCase(java.util.Locale.ROOT).contains("too many recipients"));
    }

    /** One transaction, falling back to plain text once when opportunistic TLS fails. */
    private TransactionResult once(
            Endpoint endpoint,
            TlsPolicy tls,
            String sender,
            List<String> recipients,
            MessageContent content,
            DsnRequest dsn,
            long deadline)
            throws IOException {
        try {
            return attempt(
                    endpoint,
                    tls,
                    sender,
                    List.copyOf(recipients),
                    content,
                    dsn,
                    deadline,
                    tls.mode() != TlsPolicy.Mode.DISABLED);
        } catch (TlsFailed e) {
            if (tls.mode() == TlsPolicy.Mode.REQUIRED) {
                throw new HopFailedException(
                        endpoint,
                        HopFailedException.Stage.STARTTLS,
                        null,
                        "TLS required but the handshake or verification failed: " + e.getMessage(),
                        e);
            }
            LOG.info("{}: TLS handshake failed ({}); delivering without TLS", endpoint, e.getMessage());
            try {
                return attempt(endpoint, tls, sender, List.copyOf(recipients), content, dsn, deadline, false);
            } catch (TlsFailed impossible) {
                throw new IllegalStateException("TLS failure on a connection that did not try TLS", impossible);
            }
        }
    }

    private TransactionResult attempt(
            Endpoint endpoint,
            TlsPolicy tls,
            String sender,
            List<String> rcpts,
            MessageContent content,
            DsnRequest dsn,
            long deadline,
            boolean tryTls)
            throws IOException, TlsFailed {
        SmtpConnectionPool.Key key = new SmtpConnectionPool.Key(endpoint, tls, tryTls);
        SmtpConnection kept = pool.take(key);
        if (kept != null) {
            kept.deadline = deadline;
            boolean keep = false;
            try {
                TransactionResult r =
                        SmtpTransaction.run(kept, timeouts, sender, rcpts, content, dsn, mimeOutputConversion);
                keep = true;
                return r;
            } catch (StaleConnection e) {
                LOG.debug("{}: kept connection was closed by the server; using a new one", endpoint);
            } catch (HopFailedException | LocalReadFailed e) {
                throw e;
            } catch (IOException e) {
                throw kept.fail(e);
            } finally {
                pool.release(key, kept, keep);
            }
        }
        SmtpConnection c = new SmtpConnection(settings, endpoint, deadline);
        boolean keep = false;
        try {
            c.open(tls, tryTls);
            TransactionResult r = SmtpTransaction.run(c, timeouts, sender, rcpts, content, dsn, mimeOutputConversion);
            keep = true;
            return r;
        } catch (HopFailedException | LocalReadFailed e) {
            throw e;
        } catch (IOException e) {
            throw c.fail(e);
        } finally {
            pool.release(key, c, keep);
        }
    }

    /** Builds an {@link SmtpClient}. Setters validate at once. Not thread-safe. */
    public static final class Builder {
        private String heloName = "localhost";
        private Optional<InetAddress> localAddress = Optional.empty();
        private SmtpTimeouts timeouts = SmtpTimeouts.defaults();
        private TlsPolicy tls;
        private Duration reuseIdle = Duration.ofSeconds(2);
        private int reuseCount = 100;
        private boolean mimeOutputConversion = true;

        private Builder() {}

        /**
         * Whether 8-bit content is converted to 7 bit for a next hop that does not offer 8BITMIME (RFC 6152 §3, RFC 1652's
         * downgrade). Default {@code true}, as Postfix's {@code disable_mime_output_conversion = no}. When on, a leaf
         * part with 8-bit octets and no transfer encoding (or {@code 7bit}, {@code 8bit}, {@code binary}) becomes
         * quoted-printable ({@code text/*}, {@code message/*} leaves) or base64 (other types, and text holding NUL
         * octets); {@code multipart/*} and {@code message/rfc822} are converted part by part and relabelled
         * {@code 7bit}; a message without MIME fields gets {@code MIME-Version: 1.0},
         * {@code Content-Type: text/plain; charset=unknown-8bit} and quoted-printable (RFC 1428). 8-bit header fields
         * (which need SMTPUTF8), a multipart preamble or epilogue, and parts already labelled base64 or
         * quoted-printable are sent as they are, logged at INFO. Conversion changes the body, so it breaks DKIM
         * signatures over it, as in Postfix. When off, 8-bit content goes to such a hop unchanged, without
         * {@code BODY=8BITMIME}.
         *
         * @param on whether to convert
         * @return this builder
         */
        public Builder mimeOutputConversion(boolean on) {
            mimeOutputConversion = on;
            return this;
        }

        /**
         * Connection reuse (see the class description): how long a connection may wait idle for the next transaction
         * to its endpoint, and how many transactions one connection may carry. Default 2 seconds and 100.
         * {@code maxTransactions} 1 turns reuse off (one connection per transaction, closed with QUIT).
         *
         * @param idleLimit how long an idle connection is kept; positive, at most 5 minutes (RFC 5321's server
         *     timeout for a new command)
         * @param maxTransactions transactions per connection, at least 1
         * @return this builder
         * @throws IllegalArgumentException if a value is out of range
         */
        public Builder connectionReuse(Duration idleLimit, int maxTransactions) {
            Objects.requireNonNull(idleLimit, "idleLimit");
            if (idleLimit.isNegative() || idleLimit.isZero() || idleLimit.compareTo(Duration.ofMinutes(5)) > 0) {
                throw new IllegalArgumentException("idleLimit must be > 0 and <= 5 minutes, was " + idleLimit);
            }
            Checks.requireAtLeast(maxTransactions, 1, "maxTransactions");
            reuseIdle = idleLimit;
            reuseCount = maxTransactions;
            return this;
        }

        /**
         * The name sent in EHLO/HELO. Default {@code localhost}; set it to the relay's host name.
         *
         * @param value a domain name or address literal without spaces
         * @return this builder
         * @throws IllegalArgumentException if blank or holding white space or control characters
         */
        public Builder heloName(String value) {
            Objects.requireNonNull(value, "heloName");
            if (value.isBlank() || value.chars().anyMatch(ch -> ch <= 0x20 || ch == 0x7f)) {
                throw new IllegalArgumentException("heloName must be one word without control characters: " + value);
            }
            heloName = value;
            return this;
        }

        /**
         * The local address outgoing connections are bound to. Default none (the OS chooses).
         *
         * @param value a local address, e.g. 127.0.0.2 for a demo node
         * @return this builder
         */
        public Builder localAddress(InetAddress value) {
            localAddress = Optional.of(Objects.requireNonNull(value, "localAddress"));
            return this;
        }

        /**
         * The per-step timeouts. Default {@link SmtpTimeouts#defaults()}.
         *
         * @param value the timeouts
         * @return this builder
         */
        public Builder timeouts(SmtpTimeouts value) {
            timeouts = Objects.requireNonNull(value, "timeouts");
            return this;
        }

        /**
         * The TLS policy of {@link #deliver(Endpoint, String, List, MessageContent, Duration)} (routes with their own
         * policy pass it to the other {@code deliver}). Default {@link TlsPolicy#opportunistic()}.
         *
         * @param value the policy
         * @return this builder
         */
        public Builder tls(TlsPolicy value) {
            tls = Objects.requireNonNull(value, "tls");
            return this;
        }

        /**
         * Builds the client.
         *
         * @return the client
         */
        public SmtpClient build() {
            if (tls == null) {
                tls = TlsPolicy.opportunistic();
            }
            return new SmtpClient(this);
        }
    }
}
