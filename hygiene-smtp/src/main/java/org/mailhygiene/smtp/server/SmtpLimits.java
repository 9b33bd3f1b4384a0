package org.mailhygiene.smtp.server;

import java.time.Duration;
import java.util.Objects;
import org.mailhygiene.internal.Checks;

/**
 * The limits an {@link SmtpServer} enforces so that one client cannot hurt the others, and the RFC 5321 size limits.
 *
 * <p>Defaults ({@link #defaults()}):
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>setting</th><th>default</th><th>what happens when exceeded</th></tr>
 *   <tr><td>{@code maxConnections}</td><td>200</td><td>{@code 421 4.7.0} and close</td></tr>
 *   <tr><td>{@code maxConnectionsPerIp}</td><td>20</td><td>{@code 421 4.7.0} and close</td></tr>
 *   <tr><td>{@code connectionRatePerIp}</td><td>300 per minute</td><td>{@code 421 4.7.0} and close</td></tr>
 *   <tr><td>{@code messageRatePerIp}</td><td>600 per minute</td><td>{@code 451 4.7.1} to MAIL</td></tr>
 *   <tr><td>{@code maxRecipients}</td><td>100 (the RFC 5321 minimum)</td><td>{@code 452 4.5.3} to RCPT</td></tr>
 *   <tr><td>{@code recipientOvershoot}</td><td>1000 per session (as Postfix's
 *       {@code smtpd_recipient_overshoot_limit})</td><td>each further {@code 452 4.5.3} counts toward
 *       {@code maxErrors}</td></tr>
 *   <tr><td>{@code maxMessageSize}</td><td>10,240,000 octets (advertised as SIZE)</td><td>{@code 552 5.3.4}</td></tr>
 *   <tr><td>{@code maxErrors}</td><td>20 error replies per session (every 4xx/5xx reply to a command counts,
 *       including {@code 452} for recipients past the overshoot, except temporary failures that are the server's
 *       own: a {@code 4xx} from the message handler, such as {@code 451} when a scanner failed, and {@code 452 4.3.1}
 *       for too little free space)</td><td>{@code 421 4.7.0} and close</td></tr>
 *   <tr><td>{@code maxHops}</td><td>50 {@code Received:} fields (as Postfix)</td><td>{@code 554 5.4.6}</td></tr>
 *   <tr><td>{@code idleTimeout}</td><td>5 minutes of silence</td><td>{@code 421 4.4.2} and close</td></tr>
 *   <tr><td>{@code commandTimeout}</td><td>5 minutes for one command line</td><td>{@code 421 4.4.2} and close</td></tr>
 *   <tr><td>{@code dataTimeout}</td><td>10 minutes for the whole DATA transfer, or for one BDAT chunk</td>
 *       <td>{@code 421 4.4.2} and close</td></tr>
 *   <tr><td>{@code writeTimeout}</td><td>5 minutes for one write of replies to the client (a client that sends
 *       but never reads)</td><td>the connection is closed</td></tr>
 *   <tr><td>{@code stressSessions}</td><td>3/4 of {@code maxConnections}: from this many open sessions on, the
 *       server is <em>under stress</em> (Postfix's {@code stress}) and applies the stress limits below</td><td>-</td></tr>
 *   <tr><td>{@code stressIdleTimeout}</td><td>10 seconds (Postfix's {@code smtpd_timeout = ${stress?10}:300s}):
 *       under stress, a session waiting this long for its next command (or for the rest of a command line it has
 *       begun, or for a STARTTLS handshake) is closed, including sessions that were already idle when the stress began;
 *       so is one whose write of replies stays blocked this long (a client that does not read; instead of
 *       {@code writeTimeout})</td><td>{@code 421 4.4.2} and close (a blocked write: close only)</td></tr>
 *   <tr><td>{@code stressMinDataRate}</td><td>500 octets per second (Postfix's {@code smtpd_min_data_rate} with
 *       {@code smtpd_per_request_deadline = ${stress?yes}}): under stress, a message's data (after DATA's
 *       {@code 354}, and from the first BDAT chunk of a transaction to its LAST, the waits for the next BDAT
 *       commands included) may keep the session waiting for input no longer than an allowance of
 *       {@code stressIdleTimeout}, which each octet received refills by 1/{@code stressMinDataRate} s up to
 *       {@code stressIdleTimeout}. A client that drips its message (a slowloris) is closed within about
 *       {@code stressIdleTimeout} of the stress, one that sends at 500 octets per second or faster never; the
 *       allowance is kept whether or not the server is under stress, so a client that dripped before the stress
 *       began is closed when it begins. Nothing of the message is accepted</td><td>{@code 421 4.4.2} and close</td>
 *       </tr>
 *   <tr><td>{@code stressConnectionsPerIp}</td><td>5: under stress, a new connection from an address that already
 *       has this many sessions is refused, so the slots left go to other clients</td>
 *       <td>{@code 421 4.7.0} and close</td></tr>
 *   <tr><td>{@code stressMaxErrors}</td><td>1 (Postfix's {@code smtpd_hard_error_limit = ${stress?1}:20}): under
 *       stress, the error replies a session may get in all (counted as for {@code maxErrors}, which still applies if
 *       lower)</td><td>{@code 421 4.7.0} and close</td></tr>
 *   <tr><td>{@code greetDelay}</td><td>0 (off): the server sends {@code 220-} at once and the final {@code 220}
 *       line only after this delay; a client that talks before the final line is an early talker (postscreen's
 *       pregreet test)</td><td>{@code 554 5.5.1} and close</td></tr>
 *   <tr><td>{@code memoryThreshold}</td><td>256 KiB of a message kept in heap, the rest in a temporary file</td>
 *       <td>-</td></tr>
 * </table>
 *
 * <p>Immutable and thread-safe; build with {@link #builder()}.
 */
public final class SmtpLimits {
    /** RFC 5321 §4.5.3.1.4: a command line including CRLF. */
    public static final int MAX_COMMAND_LINE = 512;

    /** RFC 5321 §4.5.3.1.6: a text line including CRLF, not counting a stuffed dot. */
    public static final int MAX_TEXT_LINE = 1000;

    private final int maxConnections;
    private final int maxConnectionsPerIp;
    private final int connectionRateCount;
    private final Duration connectionRateWindow;
    private final int messageRateCount;
    private final Duration messageRateWindow;
    private final int maxRecipients;
    private final long maxMessageSize;
    private final int maxErrors;
    private final int maxHops;
    private final Duration idleTimeout;
    private final Duration commandTimeout;
    private final Duration dataTimeout;
    private final Duration writeTimeout;
    private final int recipientOvershoot;
    private final long memoryThreshold;
    private final int stressSessions;
    private final int stressSessionsSet;
    private final Duration stressIdleTimeout;
    private final int stressMinDataRate;
    private final int stressConnectionsPerIp;
    private final int stressMaxErrors;
    private final Duration greetDelay;

    private SmtpLimits(Builder b) {
        maxConnections = b.maxConnections;
        maxConnectionsPerIp = b.maxConnectionsPerIp;
        connectionRateCount = b.connectionRateCount;
        connectionRateWindow = b.connectionRateWindow;
        messageRateCount = b.messageRateCount;
        messageRateWindow = b.messageRateWindow;
        maxRecipients = b.maxRecipients;
        maxMessageSize = b.maxMessageSize;
        maxErrors = b.maxErrors;
        maxHops = b.maxHops;
        idleTimeout = b.idleTimeout;
        commandTimeout = b.commandTimeout;
        dataTimeout = b.dataTimeout;
        writeTimeout = b.writeTimeout;
        recipientOvershoot = b.recipientOvershoot;
        memoryThreshold = b.memoryThreshold;
        stressSessionsSet = b.stressSessions;
        stressSessions = b.stressSessions > 0 ? b.stressSessions : Math.max(1, b.maxConnections * 3 / 4);
        stressIdleTimeout = b.stressIdleTimeout;
        stressMinDataRate = b.stressMinDataRate;
        stressConnectionsPerIp = b.stressConnectionsPerIp;
        stressMaxErrors = b.stressMaxErrors;
        greetDelay = b.greetDelay;
    }

    /**
     * The defaults listed in the class comment.
     *
     * @return default limits
     */
    public static SmtpLimits defaults() {
        return builder().build();
    }

    /**
     * A builder starting from the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder starting from these limits.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxConnections = maxConnections;
        b.maxConnectionsPerIp = maxConnectionsPerIp;
        b.connectionRateCount = connectionRateCount;
        b.connectionRateWindow = connectionRateWindow;
        b.messageRateCount = messageRateCount;
        b.messageRateWindow = messageRateWindow;
        b.maxRecipients = maxRecipients;
        b.maxMessageSize = maxMessageSize;
        b.maxErrors = maxErrors;
        b.maxHops = maxHops;
        b.idleTimeout = idleTimeout;
        b.commandTimeout = commandTimeout;
        b.dataTimeout = dataTimeout;
        b.writeTimeout = writeTimeout;
        b.recipientOvershoot = recipientOvershoot;
        b.memoryThreshold = memoryThreshold;
        b.stressSessions = stressSessionsSet;
        b.stressIdleTimeout = stressIdleTimeout;
        b.stressMinDataRate = stressMinDataRate;
        b.stressConnectionsPerIp = stressConnectionsPerIp;
        b.stressMaxErrors = stressMaxErrors;
        b.greetDelay = greetDelay;
        return b;
    }

    /** @return the number of open sessions from which on the server is under stress */
    public int stressSessions() {
        return stressSessions;
    }

    /** @return how long a session may wait for its next command while the server is under stress */
    public Duration stressIdleTimeout() {
        return stressIdleTimeout;
    }

    /**
     * @return the octets per second a message's data must arrive at while the server is under stress, on average over
     *     {@link #stressIdleTimeout()}
     */
    public int stressMinDataRate() {
        return stressMinDataRate;
    }

    /** @return the sessions one address may have before a new one is refused while the server is under stress */
    public int stressConnectionsPerIp() {
        return stressConnectionsPerIp;
    }

    /**
     * @return the error replies a session may get while the server is under stress before it is closed (the lower of
     *     this and {@link #maxErrors()} applies then)
     */
    public int stressMaxErrors() {
        return stressMaxErrors;
    }

    /** @return the delay of the final greeting line; zero when the pregreet test is off */
    public Duration greetDelay() {
        return greetDelay;
    }

    /** @return the maximum number of simultaneous sessions */
    public int maxConnections() {
        return maxConnections;
    }

    /** @return the maximum number of simultaneous sessions from one IP address */
    public int maxConnectionsPerIp() {
        return maxConnectionsPerIp;
    }

    /** @return how many connections one IP address may open per {@link #connectionRateWindow()} */
    public int connectionRateCount() {
        return connectionRateCount;
    }

    /** @return the window of the per-IP connection rate */
    public Duration connectionRateWindow() {
        return connectionRateWindow;
    }

    /** @return how many transactions (MAIL commands) one IP address may start per {@link #messageRateWindow()} */
    public int messageRateCount() {
        return messageRateCount;
    }

    /** @return the window of the per-IP message rate */
    public Duration messageRateWindow() {
        return messageRateWindow;
    }

    /** @return the maximum number of accepted recipients per transaction */
    public int maxRecipients() {
        return maxRecipients;
    }

    /** @return the maximum message size in octets (after dot-unstuffing, before our Received header) */
    public long maxMessageSize() {
        return maxMessageSize;
    }

    /** @return the number of error replies after which a session is closed */
    public int maxErrors() {
        return maxErrors;
    }

    /** @return the number of {@code Received:} fields at which a message is refused as looping */
    public int maxHops() {
        return maxHops;
    }

    /** @return the longest silence while a session waits for input */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** @return the longest time one command line may take to arrive */
    public Duration commandTimeout() {
        return commandTimeout;
    }

    /** @return the longest time the whole DATA transfer may take */
    public Duration dataTimeout() {
        return dataTimeout;
    }

    /**
     * @return the longest one write of replies (a flush) may stay blocked because the client does not read; then the
     *     connection is closed
     */
    public Duration writeTimeout() {
        return writeTimeout;
    }

    /**
     * @return how many {@code 452} replies for recipients past {@link #maxRecipients()} a session gets before each
     *     further one counts as an error toward {@link #maxErrors()}
     */
    public int recipientOvershoot() {
        return recipientOvershoot;
    }

    /** @return how many octets of a message stay in heap before it spills to a temporary file */
    public long memoryThreshold() {
        return memoryThreshold;
    }

    @Override
    public String toString() {
        return "SmtpLimits[maxConnections=" + maxConnections + ", perIp=" + maxConnectionsPerIp + ", connRate="
                + connectionRateCount + "/" + connectionRateWindow + ", msgRate=" + messageRateCount + "/"
                + messageRateWindow + ", maxRecipients=" + maxRecipients + ", maxMessageSize=" + maxMessageSize
                + ", maxErrors=" + maxErrors + ", maxHops=" + maxHops + ", idle=" + idleTimeout + ", command="
                + commandTimeout + ", data=" + dataTimeout + ", write=" + writeTimeout + ", recipientOvershoot="
                + recipientOvershoot
                + ", memoryThreshold=" + memoryThreshold + "]";
    }

    /** Builds {@link SmtpLimits}; each setter validates its value. Not thread-safe. */
    public static final class Builder {
        private int maxConnections = 200;
        private int maxConnectionsPerIp = 20;
        private int connectionRateCount = 300;
        private Duration connectionRateWindow = Duration.ofMinutes(1);
        private int messageRateCount = 600;
        private Duration messageRateWindow = Duration.ofMinutes(1);
        private int maxRecipients = 100;
        private long maxMessageSize = 10_240_000L;
        private int maxErrors = 20;
        private int maxHops = 50;
        private Duration idleTimeout = Duration.ofMinutes(5);
        private Duration commandTimeout = Duration.ofMinutes(5);
        private Duration dataTimeout = Duration.ofMinutes(10);
        private Duration writeTimeout = Duration.ofMinutes(5);
        private int recipientOvershoot = 1000;
        private long memoryThreshold = 256 * 1024L;
        private int stressSessions;
        private Duration stressIdleTimeout = Duration.ofSeconds(10);
        private int stressMinDataRate = 500;
        private int stressConnectionsPerIp = 5;
        private int stressMaxErrors = 1;
        private Duration greetDelay = Duration.ZERO;

        private Builder() {}

        /**
         * @param n simultaneous sessions, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code n < 1}
         */
        public Builder maxConnections(int n) {
            maxConnections = positive(n, "maxConnections");
            return this;
        }

        /**
         * @param n simultaneous sessions per IP address, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code n < 1}
         */
        public Builder maxConnectionsPerIp(int n) {
            maxConnectionsPerIp = positive(n, "maxConnectionsPerIp");
            return this;
        }

        /**
         * @param count connections per window per IP address, {@code >= 1}
         * @param window the window, positive
         * @return this builder
         * @throws IllegalArgumentException if a value is out of range
         */
        public Builder connectionRatePerIp(int count, Duration window) {
            connectionRateCount = positive(count, "connectionRatePerIp count");
            connectionRateWindow = positive(window, "connectionRatePerIp window");
            return this;
        }

        /**
         * @param count transactions per window per IP address, {@code >= 1}
         * @param window the window, positive
         * @return this builder
         * @throws IllegalArgumentException if a value is out of range
         */
        public Builder messageRatePerIp(int count, Duration window) {
            messageRateCount = positive(count, "messageRatePerIp count");
            messageRateWindow = positive(window, "messageRatePerIp window");
            return this;
        }

        /**
         * RFC 5321 §4.5.3.1.8 asks for at least 100; smaller values are allowed for tests and special listeners.
         *
         * @param n recipients per transaction, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code n < 1}
         */
        public Builder maxRecipients(int n) {
            maxRecipients = positive(n, "maxRecipients");
            return this;
        }

        /**
         * @param octets the maximum message size, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code octets < 1}
         */
        public Builder maxMessageSize(long octets) {
            Checks.requireAtLeast(octets, 1, "maxMessageSize");
            maxMessageSize = octets;
            return this;
        }

        /**
         * @param n error replies per session before it is closed, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code n < 1}
         */
        public Builder maxErrors(int n) {
            maxErrors = positive(n, "maxErrors");
            return this;
        }

        /**
         * @param n {@code Received:} fields at which a message counts as looping, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code n < 1}
         */
        public Builder maxHops(int n) {
            maxHops = positive(n, "maxHops");
            return this;
        }

        /**
         * @param d the longest silence, positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder idleTimeout(Duration d) {
            idleTimeout = positive(d, "idleTimeout");
            return this;
        }

        /**
         * @param d the longest time for one command line, positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder commandTimeout(Duration d) {
            commandTimeout = positive(d, "commandTimeout");
            return this;
        }

        /**
         * @param d the longest time for a whole DATA transfer, positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder dataTimeout(Duration d) {
            dataTimeout = positive(d, "dataTimeout");
            return this;
        }

        /**
         * How long one write of replies may block (the client sends but does not read what the server answers, so
         * the TCP buffers fill up). A watchdog closes the connection when it passes. (The STARTTLS handshake as a
         * whole is bounded by {@link TlsConfig#handshakeTimeout()}.)
         *
         * @param d the longest blocked write, positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder writeTimeout(Duration d) {
            writeTimeout = positive(d, "writeTimeout");
            return this;
        }

        /**
         * How many recipients past {@link #maxRecipients(int)} a session may be refused with {@code 452 4.5.3}
         * before each further refusal counts as an error toward {@link #maxErrors(int)}. The allowance lets a client
         * that pipelines a long recipient list take the 452s and send the rest later (RFC 5321 §4.5.3.1.10) without
         * losing its transaction to a {@code 421}; past it, a client that keeps sending RCPTs is disconnected.
         *
         * @param n free 452 replies per session, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder recipientOvershoot(int n) {
            Checks.requireAtLeast(n, 0, "recipientOvershoot");
            recipientOvershoot = n;
            return this;
        }

        /**
         * @param octets heap bytes per message before spilling to disk, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder memoryThreshold(long octets) {
            Checks.requireAtLeast(octets, 0, "memoryThreshold");
            memoryThreshold = octets;
            return this;
        }

        /**
         * @param n open sessions from which on the server is under stress, {@code >= 1}; by default 3/4 of
         *     {@link #maxConnections(int)}
         * @return this builder
         * @throws IllegalArgumentException if {@code n < 1}
         */
        public Builder stressSessions(int n) {
            stressSessions = positive(n, "stressSessions");
            return this;
        }

        /**
         * @param d how long a session may wait for its next command under stress, positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder stressIdleTimeout(Duration d) {
            stressIdleTimeout = positive(d, "stressIdleTimeout");
            return this;
        }

        /**
         * The least rate, in octets per second, at which a message's data must arrive while the server is under
         * stress: the data may keep its session waiting for input for {@link #stressIdleTimeout(Duration)}, and each
         * octet received gives it 1/{@code n} s more, up to that timeout again (Postfix's {@code smtpd_min_data_rate}).
         *
         * @param n octets per second, {@code >= 1}; default 500
         * @return this builder
         * @throws IllegalArgumentException if {@code n < 1}
         */
        public Builder stressMinDataRate(int n) {
            stressMinDataRate = positive(n, "stressMinDataRate");
            return this;
        }

        /**
         * @param n sessions per address from which new connections are refused under stress, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code n < 1}
         */
        public Builder stressConnectionsPerIp(int n) {
            stressConnectionsPerIp = positive(n, "stressConnectionsPerIp");
            return this;
        }

        /**
         * The error replies a session may get while the server is under stress (Postfix's
         * {@code smtpd_hard_error_limit = ${stress?1}:20}): at the error that reaches it the session is answered
         * {@code 421 4.7.0} and closed. Errors are counted over the session as for {@link #maxErrors(int)}, which
         * still applies under stress when lower.
         *
         * @param n error replies, {@code >= 1}; default 1
         * @return this builder
         * @throws IllegalArgumentException if {@code n < 1}
         */
        public Builder stressMaxErrors(int n) {
            stressMaxErrors = positive(n, "stressMaxErrors");
            return this;
        }

        /**
         * @param d the delay of the final greeting line, zero (off) or positive, at most 60 s
         * @return this builder
         * @throws IllegalArgumentException if negative or above 60 s
         */
        public Builder greetDelay(Duration d) {
            Objects.requireNonNull(d, "greetDelay");
            if (d.isNegative() || d.compareTo(Duration.ofSeconds(60)) > 0) {
                throw new IllegalArgumentException("greetDelay must be 0..60 s, was " + d);
            }
            greetDelay = d;
            return this;
        }

        /**
         * @return the limits
         */
        public SmtpLimits build() {
            return new SmtpLimits(this);
        }

        private static int positive(int n, String what) {
            Checks.requireAtLeast(n, 1, what);
            return n;
        }

        private static Duration positive(Duration d, String what) {
            Checks.requirePositive(d, what);
            if (d.toMillis() < 1) {
                throw new IllegalArgumentException(what + " must be at least 1 ms, was " + d);
            }
            return d;
        }
    }
}
