package org.mailhygiene.smtp.server;

import static org.mailhygiene.internal.Closeables.closeQuietly;

import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSocket;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.SpooledContent;
import org.mailhygiene.api.policy.SmtpReply;
import org.mailhygiene.internal.Durations;
import org.mailhygiene.internal.LogText;
import org.mailhygiene.smtp.access.AccessDecision;
import org.mailhygiene.smtp.dsn.DsnParameters;
import org.mailhygiene.smtp.dsn.DsnRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SMTP session: the RFC 5321 state machine for one client connection. Package-private; runs on one thread.
 *
 * <p>Pipelining (RFC 2920): replies are written in order and flushed when no more input is buffered. EHLO, HELO,
 * DATA, VRFY, EXPN, NOOP and HELP are synchronisation points: a client that has already sent more bytes when one of
 * them is processed (and, in a HELO session without PIPELINING, after any command) gets {@code 554 5.5.0} and is
 * disconnected, as Postfix's {@code smtpd_forbid_unauth_pipelining} does. The end of data is not a sync point, so
 * {@code .<CRLF>QUIT<CRLF>} in one packet is fine, and neither is BDAT (RFC 3030 allows pipelined chunks). STARTTLS
 * is answered 220 whatever follows it, and the plaintext pipelined after it is discarded unread (RFC 3207, the
 * CVE-2011-0411 class of command injection); the client must say EHLO again over TLS.
 *
 * <p>Under stress ({@link SmtpServer#underStress()}) the server's stress check, run on its watchdog executor, closes
 * a session that waits longer than {@link SmtpLimits#stressIdleTimeout()} for a command line ({@code 421 4.4.2 ...
 * Idle too long}) or for a STARTTLS handshake (closed without a plaintext reply), and one whose message data comes
 * slower than {@link SmtpLimits#stressMinDataRate()} ({@code 421
 * 4.4.2 ... Timeout: data too slow}, logged once at INFO): the data's reads are paced by {@link SmtpInput} from DATA's
 * {@code 354}, or a transaction's first BDAT chunk, until the data is complete, so a cut never falls on a message
 * whose data was complete. No thread per session: the session keeps the allowance, the server's check reads it.
 *
 * <p>Writes are guarded by a {@link Watchdog}: a client that sends but never reads the replies has its connection
 * closed after {@link SmtpLimits#writeTimeout()}; the whole STARTTLS handshake (its reads and writes together) is
 * bounded the same way by {@link TlsConfig#handshakeTimeout()}.
 *
 * <p>BDAT (RFC 3030 CHUNKING): each chunk is read exactly (never dot-unstuffed, never scanned for an end marker) into a
 * {@link ChunkStore} and checked by {@link RawContentRules}, which apply DATA's content rules: the total size ({@code
 * 552 5.3.4} as soon as a chunk would pass it; that chunk is still read to its end so the session stays in step, unless
 * it is larger than the whole limit: then none of it is read, and the {@code 552 5.3.4} closes the connection, so
 * {@code BDAT 999999999999999999 LAST} cannot keep a worker reading into nowhere until the data timeout; a refused or
 * discarded chunk is bounded the same way), and, as for DATA, a bare CR or LF ({@code 550 5.5.2}), a line over 1000
 * octets ({@code 554 5.6.0}) or too many hops ({@code 554 5.4.6}). Without BINARYMIME the content is text with CRLF
 * line ends, so refusing bare CR/LF refuses no valid message, and no BDAT content that could end DATA early at a later
 * hop is ever accepted (the delivery client also makes line ends canonical before dot-stuffing). After a failed chunk
 * the rest of that message's chunks already pipelined are read and discarded ({@code 503}, not counted as errors) up to
 * its LAST chunk or RSET. The LAST chunk hands the content to the handler through exactly DATA's path: the server's
 * Received header, then {@code SpooledContent}, then {@link MessageHandler#handle(Envelope,
 * org.mailhygiene.api.MessageContent, long, DsnRequest)} with the transaction's DSN parameters. DATA in a transaction
 * that has BDAT chunks gets {@code 503 5.5.1}, as does RCPT.
 */
final class SmtpSession implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(SmtpSession.class);
    /** How long a session that ends reads and discards what its client still sends ({@link #linger}). */
    static final Duration LINGER = Duration.ofSeconds(2);
    /** How many octets a session that ends reads and discards at most ({@link #linger}). */
    static final long LINGER_OCTETS = 64L * 1024 * 1024;

    private final SmtpServer.Settings cfg;
    private final InetAddress client;
    /** The client address as the log writes it ({@code 192.0.2.1}, {@code ::1}), not {@code /192.0.2.1}. */
    private final String clientText;

    private final AccessDecision access;
    private final Runnable onClose;
    private final Socket tcp;
    private final Watchdog watchdog;
    private Socket socket;
    private OutputStream out;
    /** Volatile: {@link #shutDown()} wakes it from the stopping thread. */
    private volatile SmtpInput input;

    private final SmtpInput.LineBuffer line = new SmtpInput.LineBuffer();

    /**
     * The longest MAIL or RCPT line taken, CRLF included: RFC 5321's 512 octets plus the 500 that RFC 3461 §4 lets the
     * DSN parameters add ({@code ORCPT} and {@code NOTIFY} on RCPT; {@code ENVID} and {@code RET} on MAIL take less).
     * Every other command keeps the 512.
     */
    static final int MAX_MAIL_RCPT_LINE = SmtpLimits.MAX_COMMAND_LINE + 500;

    private boolean tls;
    /** The TLS protocol and cipher suite for the Received field, {@code null} before STARTTLS. */
    private String tlsUsed;

    private String helo;
    private boolean esmtp;
    private int errors;
    private int overshoot;
    /** {@link System#nanoTime()} since which the session waits for a command; 0 while it works on one. */
    private volatile long idleSince;
    /** Set by the server under stress; the session then ends with {@code 421 4.4.2}. */
    private volatile boolean reaped;
    /** Whether a STARTTLS handshake failed (or a reap or stop ended it): no plaintext 421 is written into it then. */
    private boolean failedInHandshake;

    /**
     * Set while a STARTTLS handshake runs: its reads bypass {@link #input}, so {@link #shutDown()} must end it by
     * shutting the socket's input down, not by a {@linkplain SmtpInput#wake() wake}.
     */
    private volatile boolean inHandshake;
    /** Guards {@link #handlingId}, {@link #handlingSender} and the cut at stop against the session's own reply. */
    private final Object cutLock = new Object();

    /** The id of the message whose handler runs now, or {@code null}; guarded by {@link #cutLock}. */
    private String handlingId;

    private String handlingSender;

    /** Set when the server's stop grace ran out ({@link #cutAtStop}): the client was answered, nothing more is said. */
    private volatile boolean cutAtStop;

    /**
     * Set by the server under stress when a write of replies was blocked longer than {@link
     * SmtpLimits#stressIdleTimeout()} ({@link #cutIfWriteBlocked}); the session reports it as it ends.
     */
    private volatile boolean writeCut;

    /** Set when the server stops; the session then ends with {@code 421 4.3.2} instead of taking another command. */
    private volatile boolean stopping;

    // transaction
    private String sender;
    private boolean txUtf8;
    private Optional<DsnRequest.Ret> txRet = Optional.empty();
    private Optional<String> txEnvid = Optional.empty();
    private final List<String> recipients = new ArrayList<>();
    /** The DSN parameters of {@link #recipients}, one per recipient. */
    private final List<DsnRequest.Recipient> recipientDsn = new ArrayList<>();
    /** The recipients as compared for duplicates: the local part as given, the domain in lower case. */
    private final java.util.Set<String> recipientKeys = new java.util.HashSet<>();

    private ChunkStore chunks; // non-null once a BDAT chunk of this transaction was taken
    private RawContentRules chunkRules;
    private boolean bdatFailed; // discard pipelined chunks of a failed BDAT message until LAST or RSET

    SmtpSession(SmtpServer.Settings cfg, Socket socket, AccessDecision access, Runnable onClose) {
        this.cfg = cfg;
        this.socket = socket;
        this.tcp = socket;
        this.watchdog = new Watchdog(cfg.watchdog(), socket);
        this.client = socket.getInetAddress();
        this.clientText = org.mailhygiene.internal.HostPorts.address(client);
        this.access = access;
        this.onClose = onClose;
    }

    @Override
    public void run() {
        try {
            out = new BufferedOutputStream(
                    watchdog.guard(socket.getOutputStream(), cfg.limits().writeTimeout()), 4096);
            input = new SmtpInput(socket, cfg.limits().idleTimeout());
            serve();
        } catch (SmtpInput.TooSlowException e) {
            sayTooSlow(e);
        } catch (SmtpInput.TimeoutException e) {
            LOG.debug("{}: {}", clientText, e.getMessage());
            try {
                write(421, "4.4.2", cfg.hostname() + " Timeout, closing connection");
                out.flush();
            } catch (IOException ignored) {
                // the client is gone or stuck; the socket is closed below
            }
        } catch (IOException e) {
            if (failedInHandshake) {
                // nothing in plaintext: the client has started TLS and would read it as a broken record
            } else if (reaped) {
                sayReaped();
            } else if (stopping && !cutAtStop) {
                sayStopping();
            }
            LOG.debug("{}: session ended: {}", clientText, e.toString());
        } catch (RuntimeException e) {
            LOG.warn("{}: session failed", clientText, e);
        } finally {
            resetTransaction(); // deletes a BDAT temporary file
            linger();
            endTls();
            try {
                tcp.close();
                socket.close();
            } catch (IOException ignored) {
                // nothing to do
            }
            if (writeCut) {
                // reported here, on the session's thread, as every refusal
                LOG.info(
                        "{}: under stress: a write of replies was blocked for more than {} (the client does not read"
                                + " them); connection closed",
                        clientText,
                        Durations.format(cfg.limits().stressIdleTimeout()));
                cfg.refused(client, "stress-write-timeout", 421);
            } else if (reaped) {
                // idle too long under stress (421 4.4.2; in a STARTTLS handshake closed without it), counted as the
                // other stress cuts are (until session 45 it was not)
                cfg.refused(client, "stress-idle", 421);
            }
            onClose.run();
        }
    }

    /**
     * Lets the client read the last reply before the connection closes. A socket closed with input still unread sends a
     * TCP reset instead of a FIN, and a reset makes the client's pending write fail (a client that writes a whole BDAT
     * chunk, a message or pipelined commands before it reads never sees the {@code 552}, {@code 421} or {@code 554}
     * that ended the session) and may discard the reply still in flight. So the reply is flushed, the output shut down
     * (a FIN after the reply: the client reads it, then the end; under TLS a close_notify), and the input read and
     * discarded until the client closes, for at most {@link #LINGER} and {@link #LINGER_OCTETS} octets. Skipped when
     * the connection is already closed (the watchdog) or its input was shut down (a reap, a server stop under TLS:
     * Java then reads nothing more). The flush and the close_notify are writes, each bounded by the {@linkplain
     * SmtpLimits#writeTimeout() write timeout}.
     */
    private void linger() {
        if (tcp.isClosed() || tcp.isInputShutdown()) {
            return;
        }
        try {
            if (out != null) {
                out.flush();
            }
            if (tls) {
                // close_notify; TLS 1.3 half-closes, and a TLS 1.2 client closes on it. A write like any other: a
                // client that reads nothing (its window and our send buffer full) would block it for ever, holding the
                // thread and the connection slot (until session 51 it was not guarded, as endTls() was)
                Watchdog.Guard g = watchdog.arm(cfg.limits().writeTimeout());
                try {
                    socket.shutdownOutput();
                } catch (IOException e) {
                    throw watchdog.timedOut(e);
                } finally {
                    g.disarm();
                }
            } else {
                tcp.shutdownOutput();
            }
            if (tcp.isClosed()) {
                return;
            }
            InputStream in = tcp.getInputStream();
            byte[] buffer = new byte[16 * 1024];
            long until = System.nanoTime() + LINGER.toNanos();
            long discarded = 0;
            while (discarded < LINGER_OCTETS) {
                long left = TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime());
                if (left <= 0) {
                    break;
                }
                tcp.setSoTimeout((int) left);
                int n = in.read(buffer);
                if (n < 0) {
                    break;
                }
                discarded += n;
            }
            if (discarded > 0) {
                LOG.debug("{}: discarded {} octets sent after the last reply", clientText, discarded);
            }
        } catch (IOException e) {
            // the client is gone, reset the connection or sent for longer than LINGER: close now
            LOG.debug("{}: lingering close ended: {}", clientText, e.toString());
        }
    }

    /**
     * Ends TLS with close_notify (RFC 8446 6.1) before the connection closes, as a strict client expects: closing TCP
     * under TLS reads to it as a truncation attack. Bounded by the write timeout (closing an {@code SSLSocket} writes,
     * and a client that reads nothing must not hold the thread); skipped when the watchdog has already closed TCP.
     */
    private void endTls() {
        if (!tls || tcp.isClosed()) {
            return;
        }
        Watchdog.Guard g = watchdog.arm(cfg.limits().writeTimeout());
        try {
            socket.close();
        } catch (IOException e) {
            LOG.debug("{}: close_notify not sent: {}", clientText, e.toString());
        } finally {
            g.disarm();
        }
    }

    /**
     * Whether the session has waited for its next command for longer than {@code limitNanos} at {@code now}.
     *
     * @param limitNanos the idle limit
     * @param now {@link System#nanoTime()}
     * @return {@code true} if idle that long
     */
    boolean idleLongerThan(long limitNanos, long now) {
        long since = idleSince;
        return since != 0 && !reaped && now - since > limitNanos;
    }

    /** Ends the session from another thread: its pending read sees the end of input and it answers 421. */
    void reap() {
        reaped = true;
        try {
            tcp.shutdownInput();
        } catch (IOException e) {
            closeQuietly(tcp);
        }
    }

    /**
     * Ends the session for a server stop, from another thread. A session waiting for a command, or reading a
     * message's data, sees the end of its input within {@link SmtpInput#WAKE_SLICE_MILLIS} and answers
     * {@code 421 4.3.2} (a message whose data was not complete was never acknowledged: its client still holds it),
     * then closes as it does after any last reply ({@link #linger}): its output shut down, what the client still sends
     * read and discarded for up to {@link #LINGER}, so that a client in the middle of writing its message reads the
     * {@code 421} instead of failing its write on a TCP reset. Until session 43 the input was shut down instead, and
     * a close with unread input reset such a client's connection ("Broken pipe" before it read the reply). Under TLS
     * the pending read is still woken by shutting the input down. A session whose message is being scanned and stored
     * is left to answer that message first, so that no message is stored without its client hearing the {@code 250};
     * it then answers {@code 421 4.3.2} instead of its next command. A session in the middle of a STARTTLS handshake
     * (whose reads bypass the session's reader, so a wake does not reach them) has its input shut down: the handshake
     * ends at once, without a plaintext reply (until session 45 it waited for the client, the stop grace or the
     * handshake timeout, whichever came first, and the stop waited with it).
     */
    void shutDown() {
        stopping = true;
        SmtpInput in = input;
        if (!inHandshake && in != null && in.wake()) {
            return; // plain TCP: the pending read sees the wake within a slice
        }
        try {
            tcp.shutdownInput();
        } catch (IOException e) {
            closeQuietly(tcp);
        }
    }

    private void sayStopping() {
        try {
            write(421, "4.3.2", cfg.hostname() + " Service shutting down, closing connection");
            out.flush();
        } catch (IOException ignored) {
            // the client is gone; the socket is closed by run()
        }
    }

    /**
     * Whose message data a log line speaks of: {@code from <a@example.org>}, {@code from <>} for the null sender, and
     * {@code sent before any MAIL} for BDAT chunks without a transaction (read and discarded, paced all the same; until
     * session 45 they were logged {@code from <>}, as if from the null sender).
     */
    static String dataOrigin(String sender) {
        return sender == null ? "sent before any MAIL" : "from <" + LogText.printable(sender) + ">";
    }

    /**
     * Ends a session whose message data came too slowly while the server was under stress ({@link
     * SmtpServer#underStress()}, {@link SmtpLimits#stressMinDataRate()}): one INFO line naming the client, a refusal
     * {@code stress-slow-data} for the metrics, and {@code 421 4.4.2}. The message was not complete, so nothing of it
     * was accepted; its client keeps it.
     */
    private void sayTooSlow(SmtpInput.TooSlowException e) {
        LOG.info(
                "{}: under stress: message data {} came too slowly (under {} octets/s, with {} of allowance):"
                        + " {} octets in {} ms; answered 421 4.4.2 and closed, nothing accepted",
                clientText,
                dataOrigin(sender),
                cfg.limits().stressMinDataRate(),
                Durations.format(cfg.limits().stressIdleTimeout()),
                e.octets,
                TimeUnit.NANOSECONDS.toMillis(e.elapsedNanos));
        cfg.refused(client, "stress-slow-data", 421);
        try {
            write(
                    421,
                    "4.4.2",
                    cfg.hostname() + " Timeout: data too slow while the server is busy, closing connection");
            out.flush();
        } catch (IOException ignored) {
            // the client is gone or stuck; the socket is closed by run()
        }
    }

    /**
     * From the server's thread, under stress: ends the session when its message data has kept it waiting past the
     * allowance ({@link SmtpInput#cutIfTooSlow}); the session then answers {@code 421 4.4.2} ({@link #sayTooSlow}).
     *
     * @param now {@link System#nanoTime()}
     * @return whether this call ended it
     */
    boolean cutIfTooSlow(long now) {
        SmtpInput in = input;
        return in != null
                && !reaped
                && in.cutIfTooSlow(now, () -> {
                    try {
                        tcp.shutdownInput();
                    } catch (IOException e) {
                        closeQuietly(tcp);
                    }
                });
    }

    /**
     * From the server's thread, under stress: closes the connection when a write of replies has been blocked for longer
     * than {@code limitNanos} (a client that pipelines commands and does not read the replies, its receive window at
     * zero), as Postfix's {@code smtpd_timeout = ${stress?10}} bounds writes too; no reply can reach such a client.
     * Outside stress the {@linkplain SmtpLimits#writeTimeout() write timeout} bounds each write.
     *
     * @param limitNanos the stress idle timeout
     * @param now {@link System#nanoTime()}
     * @return whether this call closed it
     */
    boolean cutIfWriteBlocked(long limitNanos, long now) {
        if (writeCut || !watchdog.writingLongerThan(limitNanos, now)) {
            return false;
        }
        writeCut = true;
        closeQuietly(tcp);
        return true;
    }

    private void sayReaped() {
        try {
            write(421, "4.4.2", cfg.hostname() + " Idle too long while the server is busy, closing connection");
            out.flush();
        } catch (IOException ignored) {
            // the client is gone; the socket is closed by run()
        }
    }

    /**
     * The greeting; with a {@linkplain SmtpLimits#greetDelay() greet delay}, {@code 220-} at once and the final line
     * after the delay, unless the client talked first (postscreen's pregreet test).
     *
     * @return {@code false} when the client talked early and was told so
     */
    private boolean greet() throws IOException {
        java.time.Duration delay = cfg.limits().greetDelay();
        if (!delay.isZero()) {
            out.write(("220-" + cfg.hostname() + " ESMTP mail-hygiene\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            if (input.inputWithin(delay)) {
                LOG.info("{}: early talker: sent a command before the greeting; refused", clientText);
                cfg.refused(client, "early-talker", 554);
                write(554, "5.5.1", cfg.hostname() + " Protocol error: you talked before the greeting");
                out.flush();
                return false;
            }
        }
        write(220, null, cfg.hostname() + " ESMTP mail-hygiene");
        return true;
    }

    private void serve() throws IOException {
        if (!greet()) {
            return;
        }
        for (; ; ) {
            if (input.bufferEmpty()) {
                out.flush();
            }
            // Also when part of the next command is buffered already: a client that pipelined the start of a command
            // line and then dripped the rest was never idle for the stress check (until session 44).
            idleSince = System.nanoTime();
            if (stopping) {
                idleSince = 0;
                sayStopping();
                return;
            }
            input.deadlineIn(cfg.limits().commandTimeout());
            SmtpInput.LineStatus status;
            try {
                status = input.readLine(line, MAX_MAIL_RCPT_LINE);
                if (status == SmtpInput.LineStatus.OK
                        && line.length() + 2 > SmtpLimits.MAX_COMMAND_LINE
                        && !isMailOrRcpt(line)) {
                    status = SmtpInput.LineStatus.TOO_LONG;
                }
            } finally {
                idleSince = 0;
            }
            if (status == null) {
                if (reaped) {
                    sayReaped();
                } else if (stopping) {
                    sayStopping();
                }
                return; // client closed, or the server stops
            }
            boolean go;
            switch (status) {
                case TOO_LONG:
                    go = error(500, "5.5.0", "Line too long (512 octets at most, 1012 for MAIL and RCPT)");
                    break;
                case BARE_CR_OR_LF:
                    go = error(500, "5.5.2", "Bare CR or LF in command line; use CRLF");
                    break;
                case NUL:
                    go = error(500, "5.5.2", "NUL in command line");
                    break;
                default:
                    String text = line.toString(StandardCharsets.UTF_8);
                    go = text.indexOf('\uFFFD') >= 0
                            ? error(500, "5.5.2", "Invalid UTF-8 in command line")
                            : command(SmtpCommand.parse(text));
            }
            if (!go) {
                out.flush();
                return;
            }
        }
    }

    private boolean command(SmtpCommand c) throws IOException {
        switch (c.verb()) {
            case EHLO:
            case HELO:
                return hello(c);
            case MAIL:
                return mail(c);
            case RCPT:
                return rcpt(c);
            case DATA:
                return data(c);
            case BDAT:
                return bdat(c);
            case RSET:
                if (!c.argument().isEmpty()) {
                    return error(501, "5.5.4", "RSET takes no arguments");
                }
                resetTransaction();
                bdatFailed = false;
                return syncThen(250, "2.0.0", "Ok", !esmtp);
            case NOOP:
                return syncThen(250, "2.0.0", "Ok", true);
            case QUIT:
                if (!c.argument().isEmpty()) {
                    return error(501, "5.5.4", "QUIT takes no arguments");
                }
                write(221, "2.0.0", cfg.hostname() + " Bye");
                return false;
            case VRFY:
                if (c.argument().isEmpty()) {
                    return error(501, "5.5.4", "VRFY needs an argument");
                }
                return syncThen(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery", true);
            case EXPN:
                return syncError() ? false : error(502, "5.5.1", "EXPN not supported");
            case HELP:
                return syncThen(
                        214,
                        "2.0.0",
                        "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP"
                                + (cfg.tls() != null ? " STARTTLS" : ""),
                        true);
            case STARTTLS:
                return startTls(c);
            default:
                return error(500, "5.5.2", "Command unrecognized: " + SmtpReply.sanitize(c.name()));
        }
    }

    private boolean hello(SmtpCommand c) throws IOException {
        String arg = c.argument();
        if (arg.isEmpty()) {
            return error(501, "5.5.4", c.name() + " needs a domain or address literal");
        }
        if (!PathParser.isDomain(arg, false) && !PathParser.isAddressLiteral(arg)) {
            return error(501, "5.5.4", "Invalid domain or address literal in " + c.name());
        }
        if (syncError()) {
            return false;
        }
        resetTransaction();
        bdatFailed = false;
        helo = arg;
        esmtp = c.verb() == SmtpCommand.Verb.EHLO;
        if (!esmtp) {
            write(250, null, cfg.hostname() + " Hello " + arg + " " + ReceivedHeader.addressLiteral(client));
            return true;
        }
        List<String> lines = new ArrayList<>();
        lines.add(cfg.hostname() + " Hello " + arg + " " + ReceivedHeader.addressLiteral(client));
        lines.add("PIPELINING");
        lines.add("SIZE " + cfg.limits().maxMessageSize());
        lines.add("8BITMIME");
        lines.add("ENHANCEDSTATUSCODES");
        lines.add("CHUNKING");
        if (cfg.dsn()) {
            lines.add("DSN");
        }
        if (cfg.tls() != null && !tls) {
            lines.add("STARTTLS");
        }
        if (cfg.smtputf8()) {
            lines.add("SMTPUTF8");
        }
        lines.add("HELP");
        for (int i = 0; i < lines.size(); i++) {
            String sep = i == lines.size() - 1 ? " " : "-";
            out.write(("250" + sep + lines.get(i) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        }
        return true;
    }

    private boolean mail(SmtpCommand c) throws IOException {
        if (helo == null) {
            return error(503, "5.5.1", "Send HELO or EHLO first");
        }
        if (sender != null) {
            return error(503, "5.5.1", "Nested MAIL command");
        }
        bdatFailed = false;
        if ((cfg.requireTls() || (cfg.requireTlsForRelay() && access.relay())) && !tls) {
            cfg.refused(client, "tls-required", 530);
            return error(530, "5.7.0", "Must issue a STARTTLS command first");
        }
        PathParser.Parsed p;
        try {
            p = PathParser.parse(c.argument(), "FROM", true, false, cfg.smtputf8() && esmtp);
        } catch (PathParser.PathException e) {
            return error(e.code, e.status, e.getMessage());
        }
        boolean utf8 = false;
        Optional<DsnRequest.Ret> txRetDraft = Optional.empty();
        Optional<String> txEnvidDraft = Optional.empty();
        for (Map.Entry<String, String> e : p.params().entrySet()) {
            String key = e.getKey();
            String value = e.getValue();
            if (!esmtp) {
                return error(555, "5.5.4", "Parameters need EHLO");
            }
            switch (key) {
                case "SIZE":
                    if (value.isEmpty() || value.length() > 18 || !value.chars().allMatch(Character::isDigit)) {
                        return error(501, "5.5.4", "Bad SIZE value");
                    }
                    if (Long.parseLong(value) > cfg.limits().maxMessageSize()) {
                        // Counted as the same message refused at the end of DATA is (what a client without SIZE gets).
                        cfg.refused(client, "message-content", 552);
                        return error(
                                552,
                                "5.3.4",
                                "Message size exceeds fixed limit of "
                                        + cfg.limits().maxMessageSize() + " octets");
                    }
                    break;
                case "BODY":
                    String v = value.toUpperCase(Locale.ROOT);
                    if (!v.equals("7BIT") && !v.equals("8BITMIME")) {
                        return error(501, "5.5.4", "BODY must be 7BIT or 8BITMIME");
                    }
                    break;
                case "RET":
                    if (!cfg.dsn()) {
                        return error(555, "5.5.4", "Unsupported parameter RET");
                    }
                    try {
                        txRetDraft = Optional.of(DsnParameters.ret(value));
                    } catch (DsnParameters.InvalidParameterException ex) {
                        return error(ex.code(), ex.enhancedStatus(), ex.getMessage());
                    }
                    break;
                case "ENVID":
                    if (!cfg.dsn()) {
                        return error(555, "5.5.4", "Unsupported parameter ENVID");
                    }
                    try {
                        txEnvidDraft = Optional.of(DsnParameters.envelopeId(value));
                    } catch (DsnParameters.InvalidParameterException ex) {
                        return error(ex.code(), ex.enhancedStatus(), ex.getMessage());
                    }
                    break;
                case "SMTPUTF8":
                    if (!cfg.smtputf8() || !value.isEmpty()) {
                        return error(555, "5.5.4", "Unsupported parameter SMTPUTF8" + (value.isEmpty() ? "" : "=..."));
                    }
                    utf8 = true;
                    break;
                default:
                    return error(555, "5.5.4", "Unsupported parameter " + SmtpReply.sanitize(key));
            }
        }
        if (p.mailbox() != null && !utf8 && !isAscii(p.mailbox().address())) {
            return error(553, "5.6.7", "Non-ASCII address needs SMTPUTF8");
        }
        if (!access.relay() && !cfg.messageRate().tryAcquire(client)) { // relay clients: see SmtpServer.admit
            cfg.refused(client, "message-rate", 451);
            return error(451, "4.7.1", "Too many messages from your address, try again later");
        }
        if (cfg.minFreeSpace() > 0) {
            long declared =
                    p.params().containsKey("SIZE") ? Long.parseLong(p.params().get("SIZE")) : 0;
            long free;
            try {
                free = cfg.freeSpace().getAsLong();
            } catch (RuntimeException e) {
                // e.g. out of file descriptors (the probe reads /proc/mounts): the disk may be fine, so the reply
                // and the log say the check failed, not that storage is short (452 4.3.1 "0 bytes free" until
                // session 43)
                LOG.warn("{}: MAIL refused: the free space check failed: {}", clientText, e.toString());
                cfg.refused(client, "free-space", 451);
                write(451, "4.3.0", "Local error: cannot check free space, try again later");
                return true;
            }
            if (free < cfg.minFreeSpace() || free - cfg.minFreeSpace() < declared) {
                LOG.warn(
                        "{}: MAIL refused: {} bytes free, {} required",
                        clientText,
                        free,
                        cfg.minFreeSpace() + declared);
                cfg.refused(client, "free-space", 452);
                // Our problem, not the client's: not counted toward its error limit.
                write(452, "4.3.1", "Insufficient system storage, try again later");
                return true;
            }
        }
        if (!esmtp && input.hasPending()) {
            return syncErrorNow();
        }
        sender = p.mailbox() == null ? Envelope.NULL_SENDER : p.mailbox().address();
        txUtf8 = utf8;
        txRet = txRetDraft;
        txEnvid = txEnvidDraft;
        write(250, "2.1.0", "Ok");
        return true;
    }

    private boolean rcpt(SmtpCommand c) throws IOException {
        if (sender == null) {
            return error(503, "5.5.1", "Need MAIL before RCPT");
        }
        if (chunks != null) {
            return error(503, "5.5.1", "RCPT not allowed after BDAT; send RSET");
        }
        if (recipients.size() >= cfg.limits().maxRecipients()) {
            // RFC 5321 §4.5.3.1.10: 452, and the client sends the rest later. A session gets recipientOvershoot of
            // them free (a client pipelining a long list must not lose its transaction); past that each is an error,
            // so a client cannot send RCPTs without end.
            cfg.refused(client, "too-many-recipients", 452);
            if (overshoot < cfg.limits().recipientOvershoot()) {
                overshoot++;
                write(452, "4.5.3", "Too many recipients");
                return true;
            }
            return error(452, "4.5.3", "Too many recipients");
        }
        PathParser.Parsed p;
        try {
            p = PathParser.parse(c.argument(), "TO", false, true, txUtf8);
        } catch (PathParser.PathException e) {
            return error(e.code, e.status, e.getMessage());
        }
        Set<DsnRequest.Notify> notify = Set.of();
        Optional<DsnRequest.Orcpt> orcpt = Optional.empty();
        for (Map.Entry<String, String> e : p.params().entrySet()) {
            if (!esmtp) {
                return error(555, "5.5.4", "Parameters need EHLO");
            }
            if (!cfg.dsn() && (e.getKey().equals("NOTIFY") || e.getKey().equals("ORCPT"))) {
                return error(555, "5.5.4", "Unsupported parameter " + e.getKey());
            }
            try {
                switch (e.getKey()) {
                    case "NOTIFY":
                        notify = DsnParameters.notifyConditions(e.getValue());
                        break;
                    case "ORCPT":
                        orcpt = Optional.of(DsnParameters.orcpt(e.getValue(), txUtf8));
                        break;
                    default:
                        return error(555, "5.5.4", "Unsupported parameter " + SmtpReply.sanitize(e.getKey()));
                }
            } catch (DsnParameters.InvalidParameterException ex) {
                return error(ex.code(), ex.enhancedStatus(), ex.getMessage());
            }
        }
        Mailbox m = p.mailbox();
        Optional<SmtpReply> refusal = cfg.relayControl().check(m.localPart(), m.quoted(), m.domain(), access.relay());
        if (refusal.isPresent()) {
            SmtpReply r = refusal.get();
            cfg.refused(client, "relay-denied", r.code());
            return error(r.code(), r.enhancedStatus(), r.text());
        }
        if (!esmtp && input.hasPending()) {
            return syncErrorNow();
        }
        // a recipient given twice in one transaction is one recipient (the domain is case-blind, the local part not):
        // passed on twice, the next hop may deliver two copies
        String address = m.domain().isEmpty() && cfg.postmaster() != null ? cfg.postmaster() : m.address();
        int at = address.lastIndexOf('@');
        String key = at < 0
                ? address
                : address.substring(0, at) + address.substring(at).toLowerCase(Locale.ROOT);
        if (recipientKeys.add(key)) {
            recipients.add(address); // a repeated recipient keeps the DSN parameters it was first given
            recipientDsn.add(new DsnRequest.Recipient(notify, orcpt));
        }
        write(250, "2.1.5", "Ok");
        return true;
    }

    private boolean data(SmtpCommand c) throws IOException {
        if (!c.argument().isEmpty()) {
            return error(501, "5.5.4", "DATA takes no arguments");
        }
        if (sender == null) {
            return error(503, "5.5.1", "Need MAIL before DATA");
        }
        if (recipients.isEmpty()) {
            return error(554, "5.5.1", "No valid recipients");
        }
        if (syncError()) {
            return false;
        }
        if (chunks != null) {
            return error(503, "5.5.1", "DATA not allowed after BDAT in one transaction; send RSET");
        }
        write(354, null, "End data with <CR><LF>.<CR><LF>");
        out.flush();
        input.deadlineIn(cfg.limits().dataTimeout());
        input.startPacing(cfg.limits().stressIdleTimeout(), cfg.limits().stressMinDataRate());
        DataReader reader = new DataReader(
                input,
                cfg.limits().maxMessageSize(),
                SmtpLimits.MAX_TEXT_LINE,
                cfg.limits().maxHops());
        return finishMessage(reader, true, () -> reader.violation(), reader::hops);
    }

    /**
     * The one path from received content to the handler, for DATA and BDAT alike: prepends the Received header,
     * spools, refuses a content violation (known once {@code body} was read to its end) or asks the handler, ends the
     * transaction and sends the reply.
     */
    private boolean finishMessage(
            InputStream body, boolean fromClient, Supplier<DataReader.Violation> violation, IntSupplier hops)
            throws IOException {
        String id = cfg.nextId();
        String from = sender; // for the log line after the transaction is reset
        int to = recipients.size();
        ZonedDateTime now = ZonedDateTime.now(cfg.clock());
        // The registered WITH types (RFC 3848, RFC 6531): there is no "SMTPS"; STARTTLS is an ESMTP extension, so a
        // client that said HELO after it still used ESMTP.
        String protocol = (txUtf8 ? "UTF8SMTP" : esmtp || tls ? "ESMTP" : "SMTP") + (tls ? "S" : "");
        byte[] received = ReceivedHeader.format(helo, client, cfg.hostname(), tlsUsed, protocol, id, recipients, now)
                .getBytes(StandardCharsets.UTF_8);
        SmtpReply reply;
        boolean handled = false;
        org.mailhygiene.internal.ReadFailureInputStream source =
                new org.mailhygiene.internal.ReadFailureInputStream(body);
        SpooledContent spooled;
        try {
            spooled = SpooledContent.spool(
                    // a sender's own Return-Path is not passed on (ReturnPathRemover): the one that counts is written
                    // at final delivery from the envelope; until session 55 it went to the next hop
                    new SequenceInputStream(new ByteArrayInputStream(received), new ReturnPathRemover(source)),
                    cfg.limits().memoryThreshold(),
                    cfg.spoolDirectory());
        } catch (IOException e) {
            if (fromClient && source.failure() != null) {
                // the client's connection failed or timed out: nothing to answer (the session's own failure, for
                // run() to tell a timeout from a close)
                throw source.failure();
            }
            // Writing the data to the temporary directory failed (a full disk): the client gets a temporary failure
            // after the rest of its data, never a silent close; nothing was stored (the temporary file is deleted).
            if (fromClient) {
                source.transferTo(OutputStream.nullOutputStream()); // to the final dot, so the session stays in step
            }
            return refuseForStorage("the data of " + id, from, e);
        }
        input.stopPacing(); // the data is complete: from here on the session works, it does not wait for the client
        try (SpooledContent content = spooled) {
            DataReader.Violation v = violation.get();
            if (v != null) {
                reply = violationReply(v, hops.getAsInt());
            } else {
                Envelope env =
                        new Envelope(Optional.of(client), Optional.of(helo), sender, recipients, now.toInstant());
                reply = handle(env, content, id, received.length, dsnRequest());
                handled = true;
            }
        }
        resetTransaction();
        if (!reply.isPositive() && (!handled || reply.code() >= 500)) {
            return error(reply.code(), reply.enhancedStatus(), reply.text());
        }
        // A 4xx from the handler (a scanner failed: 451) is our failure, not the client's: it does not count toward
        // the client's error limit, or busy senders would be disconnected for a fault of ours.
        if (reply.isPositive()) {
            // the one place that knows both the id this server wrote into the Received field and the handler's reply
            // (a relay's names the queue id): without it the Received id led to nothing in the log
            LOG.info(
                    "{}: received {} from <{}> for {} recipient(s): {} {}",
                    clientText,
                    id,
                    LogText.printable(from),
                    to,
                    reply.code(),
                    reply.text());
        }
        write(reply.code(), reply.enhancedStatus(), reply.text());
        return true;
    }

    private static final Pattern BDAT_ARGS = Pattern.compile("([0-9]{1,18})(?: +(?i:(LAST)))?");

    private boolean bdat(SmtpCommand c) throws IOException {
        Matcher m = BDAT_ARGS.matcher(c.argument());
        if (!m.matches()) {
            // The chunk's length is unknown, so its bytes cannot be told from commands: stop here.
            write(501, "5.5.4", "Syntax: BDAT <octets> [LAST]; closing connection");
            return false;
        }
        long size = Long.parseLong(m.group(1));
        boolean last = m.group(2) != null;
        if (size > cfg.limits().maxMessageSize()) {
            // No message could hold it, so none of it is read: discarding it to stay in step (as Postfix does) read
            // whatever the client sent, up to a terabyte, into nowhere until the data timeout (until session 41).
            cfg.refused(client, "message-content", 552);
            LOG.info(
                    "{}: BDAT chunk of {} octets is over the message size limit of {}: refused, connection closed",
                    clientText,
                    size,
                    cfg.limits().maxMessageSize());
            write(
                    552,
                    "5.3.4",
                    "Chunk of " + size + " octets exceeds the fixed message size limit of "
                            + cfg.limits().maxMessageSize() + " octets; closing connection");
            return false;
        }
        input.deadlineIn(cfg.limits().dataTimeout());
        // from the first chunk of a message to its LAST, the waits for the next BDAT command included
        input.startPacing(cfg.limits().stressIdleTimeout(), cfg.limits().stressMinDataRate());
        if (bdatFailed) {
            discard(size);
            bdatFailed = !last;
            if (last) {
                input.stopPacing();
            }
            write(503, "5.5.1", "Chunk discarded: an earlier chunk of this message failed");
            return true;
        }
        String refusal = null;
        int code = 503;
        if (helo == null) {
            refusal = "Send EHLO first";
        } else if (!esmtp) {
            refusal = "BDAT needs EHLO";
        } else if (sender == null) {
            refusal = "Need MAIL before BDAT";
        } else if (recipients.isEmpty()) {
            code = 554;
            refusal = "No valid recipients";
        }
        if (refusal != null) {
            discard(size);
            return failChunk(last, new SmtpReply(code, "5.5.1", refusal));
        }
        if (chunks == null) {
            chunks = new ChunkStore(cfg.limits().memoryThreshold(), cfg.spoolDirectory());
            chunkRules = new RawContentRules(
                    cfg.limits().maxMessageSize(),
                    SmtpLimits.MAX_TEXT_LINE,
                    cfg.limits().maxHops());
        }
        if (size > cfg.limits().maxMessageSize() - chunkRules.size()) {
            discard(size);
            return failChunk(last, violationReply(DataReader.Violation.SIZE, 0));
        }
        byte[] buf = new byte[(int) Math.min(size, 64 * 1024)];
        long left = size;
        IOException storeFailure = null;
        while (left > 0) {
            int n = input.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new java.io.EOFException("connection closed inside a BDAT chunk");
            }
            chunkRules.update(buf, 0, n);
            if (storeFailure == null) {
                try {
                    chunks.write(buf, 0, n);
                } catch (IOException e) {
                    storeFailure = e; // the rest of the chunk is read and dropped, so the session stays in step
                }
            }
            left -= n;
        }
        if (storeFailure != null) {
            boolean refused = refuseForStorage("a BDAT chunk", sender, storeFailure); // deletes the chunks' file
            bdatFailed = !last;
            return refused;
        }
        if (last) {
            chunkRules.finish();
        }
        if (chunkRules.violation() != null) {
            return failChunk(last, violationReply(chunkRules.violation(), chunkRules.hops()));
        }
        if (!last) {
            write(250, "2.0.0", size + " octets received");
            return true;
        }
        RawContentRules rules = chunkRules;
        try (InputStream body = chunks.openStream()) {
            return finishMessage(body, false, rules::violation, rules::hops);
        }
    }

    /** Refuses a chunk: the transaction ends, and its chunks still in the pipeline are discarded up to LAST. */
    private boolean failChunk(boolean last, SmtpReply reply) throws IOException {
        resetTransaction();
        bdatFailed = !last;
        return error(reply.code(), reply.enhancedStatus(), reply.text());
    }

    private void discard(long size) throws IOException {
        byte[] buf = new byte[(int) Math.min(Math.max(size, 1), 64 * 1024)];
        long left = size;
        while (left > 0) {
            int n = input.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new java.io.EOFException("connection closed inside a BDAT chunk");
            }
            left -= n;
        }
    }

    /** The DSN parameters of the transaction: per recipient only when one gave any. */
    private DsnRequest dsnRequest() {
        boolean any = recipientDsn.stream().anyMatch(r -> !r.isEmpty());
        if (!any && txRet.isEmpty() && txEnvid.isEmpty()) {
            return DsnRequest.NONE;
        }
        return new DsnRequest(txRet, txEnvid, any ? recipientDsn : List.of());
    }

    /** Whether a command line is MAIL or RCPT, whose DSN parameters may take it past 512 octets (RFC 3461 §4). */
    private static boolean isMailOrRcpt(SmtpInput.LineBuffer l) {
        if (l.length() < 5) {
            return false;
        }
        String verb = l.toString(StandardCharsets.ISO_8859_1).substring(0, 5).toUpperCase(Locale.ROOT);
        return verb.equals("MAIL ") || verb.equals("RCPT ");
    }

    /**
     * Answers a transaction whose data could not be kept (see {@link #storageFailure}): logs it once, ends the
     * transaction (its temporary files are deleted) and sends the temporary failure, which is ours and not counted
     * toward the client's errors.
     *
     * @return {@code true}: the session goes on
     */
    private boolean refuseForStorage(String what, String from, IOException e) throws IOException {
        SmtpReply r = storageFailure(e);
        LOG.warn(
                "{}: cannot keep {} from <{}> in {} ({}); answering {} {}",
                client,
                what,
                LogText.printable(from),
                cfg.spoolDirectory() == null ? "the temporary directory" : cfg.spoolDirectory(),
                e.toString(),
                r.code(),
                r.enhancedStatus());
        resetTransaction();
        cfg.refused(client, "storage", r.code());
        write(r.code(), r.enhancedStatus(), r.text());
        return true;
    }

    /**
     * The reply to a message whose data could not be kept: {@code 452 4.3.1} when the file system is full (or a quota
     * reached), else {@code 451 4.3.0}; both temporary, so the client keeps the message and retries.
     */
    static SmtpReply storageFailure(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (m.contains("No space left on device") || m.contains("Disk quota exceeded")) {
                return new SmtpReply(452, "4.3.1", "Insufficient system storage, try again later");
            }
        }
        return new SmtpReply(451, "4.3.0", "Local error in processing, try again later");
    }

    /**
     * Runs the message handler (scan and store). When the server's stop {@linkplain #cutAtStop cut} the session
     * meanwhile, its client was already answered {@code 421}: nothing more is written, and the session ends.
     *
     * @throws IOException when the session was cut at stop while the handler ran
     */
    private SmtpReply handle(Envelope env, SpooledContent content, String id, long traceHeaderLength, DsnRequest dsn)
            throws IOException {
        synchronized (cutLock) {
            handlingId = id;
            handlingSender = env.sender();
        }
        SmtpReply r;
        try {
            r = cfg.handler().handle(env, content, traceHeaderLength, dsn);
            if (r == null) {
                LOG.warn("{}: message handler returned null for {}", clientText, id);
                r = new SmtpReply(451, "4.3.0", "Temporary failure, try again later");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            r = new SmtpReply(451, "4.3.0", "Temporary failure, try again later");
        } catch (Exception | Error e) {
            if (cutAtStop) {
                // The stop closed what the handler needed (the pipeline, the spool) after it cut this session: the
                // cut's line said what happened, so no stack trace.
                LOG.debug(
                        "{}: message handler for {} ended after the stop cut the session: {}",
                        clientText,
                        id,
                        e.toString());
            } else {
                LOG.warn("{}: message handler failed for {}", clientText, id, e);
            }
            r = new SmtpReply(451, "4.3.0", "Temporary failure, try again later");
        }
        synchronized (cutLock) {
            handlingId = null;
            if (cutAtStop) {
                if (r.isPositive()) {
                    LOG.warn(
                            "{}: {} from <{}> was accepted ({} {}) after the stop had answered its client 421: it is"
                                    + " delivered, and the client, which was not told, may send it again",
                            clientText,
                            id,
                            LogText.printable(env.sender()),
                            r.code(),
                            r.text());
                }
                throw new IOException("session cut at stop while its message was handled");
            }
        }
        return r;
    }

    /**
     * Ends the session for good when the server's stop grace is over, from the server's thread. A session whose message
     * is still being scanned and stored (its handler runs) answers {@code 421 4.3.2} now, and one WARN line says which
     * session and message: the message was not acknowledged, so its client keeps it and sends it again. The server
     * closes the connection right after. Any other session is left to the close.
     *
     * @param grace the stop grace that ran out, for the log line
     */
    void cutAtStop(Duration grace) {
        synchronized (cutLock) {
            cutAtStop = true;
            if (handlingId == null || out == null) {
                return;
            }
            LOG.warn(
                    "{}: stopping: message {} from <{}> was still being scanned when the stop grace of {} ran out;"
                            + " answered 421 4.3.2 and closed (not acknowledged: the client keeps it and sends it"
                            + " again)",
                    clientText,
                    handlingId,
                    LogText.printable(handlingSender),
                    Durations.format(grace));
            try { // bounded by the write timeout, as every write of the session
                write(421, "4.3.2", cfg.hostname() + " Service shutting down, closing connection");
                out.flush();
            } catch (IOException e) {
                LOG.debug("{}: 421 at stop not sent: {}", clientText, e.toString());
            }
        }
    }

    private SmtpReply violationReply(DataReader.Violation violation, int hops) {
        SmtpReply reply = violationReplyOf(violation, hops);
        // Labelled with the code the client is told (a bare CR or LF was counted as 554 while answered 550: audit,
        // session 39).
        cfg.refused(client, "message-content", reply.code());
        return reply;
    }

    private SmtpReply violationReplyOf(DataReader.Violation violation, int hops) {
        switch (violation) {
            case SIZE:
                return new SmtpReply(
                        552,
                        "5.3.4",
                        "Message size exceeds fixed limit of " + cfg.limits().maxMessageSize() + " octets");
            case BARE_CR_OR_LF:
                return new SmtpReply(550, "5.5.2", "Message contains a bare CR or LF; use CRLF line ends");
            case LINE_TOO_LONG:
                return new SmtpReply(554, "5.6.0", "Message has a line longer than 1000 octets");
            case TOO_MANY_HOPS:
                return new SmtpReply(
                        554, "5.4.6", "Too many hops (" + hops + " Received headers), " + "message is looping");
            case FOLDED_FIRST_LINE:
                return new SmtpReply(
                        554,
                        "5.6.0",
                        "Message starts with a space or tab: its first header line would be folded into the"
                                + " Received header");
            default:
                throw new IllegalStateException("unknown violation " + violation);
        }
    }

    private boolean startTls(SmtpCommand c) throws IOException {
        if (cfg.tls() == null) {
            return error(502, "5.5.1", "STARTTLS not available");
        }
        if (!c.argument().isEmpty()) {
            return error(501, "5.5.4", "STARTTLS takes no arguments");
        }
        if (tls) {
            return error(503, "5.5.1", "TLS already active");
        }
        write(220, "2.0.0", "Ready to start TLS");
        out.flush();
        // RFC 3207 §4.2 / CVE-2011-0411: anything the client pipelined after STARTTLS is dropped, never executed.
        input.discardBuffered();
        TlsConfig t = cfg.tls();
        SSLSocket ssl = (SSLSocket) t.context()
                .getSocketFactory()
                .createSocket(socket, socket.getInetAddress().getHostAddress(), socket.getPort(), true);
        ssl.setUseClientMode(false);
        ssl.setEnabledProtocols(t.protocols().stream()
                .filter(p -> List.of(ssl.getSupportedProtocols()).contains(p))
                .toArray(String[]::new));
        ssl.setSoTimeout((int) Math.min(Integer.MAX_VALUE, t.handshakeTimeout().toMillis()));
        // The socket timeout bounds each read only: a client dribbling a ClientHello, or not reading the server's
        // flight, must not hold the session either, so the watchdog bounds the handshake as a whole.
        Watchdog.Guard g = watchdog.arm(t.handshakeTimeout());
        // Under stress the handshake is a wait for the client like one for a command (Postfix's smtpd_starttls_timeout
        // = ${stress?10}): the stress check closes a session whose handshake takes longer than stressIdleTimeout
        // (until session 44 a client that stalled it kept its slot for the whole handshake timeout, 30 s by default).
        idleSince = System.nanoTime();
        // Set before stopping is read, as shutDown() sets stopping before it reads this: a stop either sees the
        // handshake and shuts the input down, or is seen here and the handshake is not started.
        inHandshake = true;
        try {
            if (stopping) {
                throw new IOException("the server stops");
            }
            ssl.startHandshake();
        } catch (IOException e) {
            IOException failure = watchdog.timedOut(e);
            failedInHandshake = true;
            if (stopping && !reaped) {
                // not the client's failure: no tlsFailed event
                LOG.info("{}: TLS handshake not completed: the server stops", clientText);
                throw failure;
            }
            // Postfix logs its "SSL_accept error" too: a client that cannot do TLS with us must be visible.
            String reason = reaped
                    ? "closed under stress: no handshake within "
                            + Durations.format(cfg.limits().stressIdleTimeout())
                    : failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
            LOG.info("{}: TLS handshake failed: {}", clientText, reason);
            try {
                cfg.listener().tlsFailed(client, reason);
            } catch (RuntimeException ex) {
                LOG.warn("session listener failed", ex);
            }
            throw failure;
        } finally {
            inHandshake = false;
            idleSince = 0;
            g.disarm();
        }
        socket = ssl;
        try {
            cfg.listener()
                    .tlsEstablished(
                            client,
                            ssl.getSession().getProtocol(),
                            ssl.getSession().getCipherSuite());
        } catch (RuntimeException e) {
            LOG.warn("session listener failed", e);
        }
        input.switchTo(ssl);
        out = new BufferedOutputStream(
                watchdog.guard(ssl.getOutputStream(), cfg.limits().writeTimeout()), 4096);
        tls = true;
        tlsUsed = ReceivedHeader.tlsComment(
                ssl.getSession().getProtocol(), ssl.getSession().getCipherSuite());
        helo = null; // the client must say EHLO again
        esmtp = false;
        resetTransaction();
        return true;
    }

    /** Replies after a sync-point check; {@code check} false skips the check. */
    private boolean syncThen(int code, String status, String text, boolean check) throws IOException {
        if (check && syncError()) {
            return false;
        }
        write(code, status, text);
        return true;
    }

    /** When the client sent more input before this reply: reports the error and returns {@code true}. */
    private boolean syncError() throws IOException {
        if (input.hasPending()) {
            syncErrorNow();
            return true;
        }
        return false;
    }

    private boolean syncErrorNow() throws IOException {
        write(554, "5.5.0", "SMTP protocol synchronization error (input sent before the reply)");
        return false;
    }

    private boolean error(int code, String status, String text) throws IOException {
        write(code, status, text);
        errors++;
        if (errors >= cfg.limits().maxErrors()) {
            cfg.refused(client, "too-many-errors", 421);
            write(421, "4.7.0", cfg.hostname() + " Too many errors, closing connection");
            return false;
        }
        if (errors >= cfg.limits().stressMaxErrors()
                && !access.relay()
                && cfg.stress().getAsBoolean()) {
            // Postfix's smtpd_hard_error_limit = ${stress?1}:20: a session making errors while the server is full
            // gives its slot to another client (until session 45 the limit was max-errors under stress too); a relay
            // client (an edge, an internal server) is spared, as from the other per-client stress limits
            cfg.refused(client, "stress-too-many-errors", 421);
            write(421, "4.7.0", cfg.hostname() + " Too many errors, closing connection");
            return false;
        }
        return true;
    }

    private void write(int code, String status, String text) throws IOException {
        String s = code + " " + (status == null ? "" : status + " ") + text + "\r\n";
        out.write(s.getBytes(StandardCharsets.UTF_8));
    }

    private void resetTransaction() {
        if (input != null) {
            input.stopPacing();
        }
        sender = null;
        txUtf8 = false;
        txRet = Optional.empty();
        txEnvid = Optional.empty();
        recipients.clear();
        recipientDsn.clear();
        recipientKeys.clear();
        if (chunks != null) {
            chunks.close();
            chunks = null;
        }
        chunkRules = null;
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 127) {
                return false;
            }
        }
        return true;
    }
}
