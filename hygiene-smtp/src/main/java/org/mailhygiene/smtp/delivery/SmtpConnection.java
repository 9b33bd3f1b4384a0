package org.mailhygiene.smtp.delivery;

import static org.mailhygiene.internal.Closeables.closeQuietly;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.mailhygiene.internal.Durations;
import org.mailhygiene.internal.Timers;
import org.mailhygiene.internal.VirtualThreads;

/**
 * One connection of an {@link SmtpClient} to a next hop: the socket and its streams, reading replies and writing
 * commands within each step's timeout and the delivery's deadline, and opening the session ({@link #open}: connect,
 * greeting, EHLO, STARTTLS). What runs on it is an {@link SmtpTransaction}; between transactions the
 * {@link SmtpConnectionPool} keeps it.
 *
 * <p>Used by one transaction at a time and not thread-safe, except {@link #park}, {@link #claim}, {@link #expire},
 * {@link #retireInBackground}, {@link #retire} and {@link #abort}, which the pool's idle timer (on the watchdog
 * thread, handing the QUIT to a thread of its own) and the write watchdog call from their thread.
 */
final class SmtpConnection {
    /**
     * Closes sockets whose writes or TLS handshake take too long, and retires idle pooled connections. A timer that is
     * cancelled leaves the queue at once: every command, data block and final dot arms one for minutes (RFC 5321's
     * step timeouts) and cancels it a moment later, and until session 43 each cancelled timer stayed queued until its
     * time would have come: a number of queued timers proportional to the message rate times those minutes.
     */
    static final ScheduledThreadPoolExecutor WATCHDOG = Timers.daemonScheduler("smtp-client-watchdog");

    /** What every connection of one client shares. */
    record Settings(String heloName, Optional<InetAddress> localAddress, SmtpTimeouts timeouts) {}

    private final Settings settings;
    final Endpoint endpoint;
    long deadline;
    /** The connection: the TCP socket, after STARTTLS the TLS socket layered on it. */
    Socket socket;
    /** The TCP socket under {@link #socket}, which {@link #abort} closes. */
    private Socket tcp;
    /** The server's EHLO keywords (after STARTTLS, the second EHLO's). */
    Map<String, String> extensions = Map.of();
    /** Transactions run on this connection. */
    int transactions;
    /** Every command sent has had its reply read: QUIT or a new transaction may follow. */
    boolean inStep;
    /** Idle in the pool (true) or claimed by a transaction / retired (false). Guarded by this. */
    private boolean parked;
    /** The number of the latest {@link #park}: an idle timer of an earlier one does nothing. Guarded by this. */
    private long idleSpell;
    /** The spell whose idle timer last {@linkplain #expire expired} the connection, 0 if none. Guarded by this. */
    private long expiredSpell;
    /** The idle timer of the latest {@link #park}, until claimed or expired. Guarded by this. */
    private ScheduledFuture<?> idleTimer;

    InputStream in;
    OutputStream out;
    boolean secure;
    HopFailedException.Stage stage = HopFailedException.Stage.CONNECT;
    int soTimeout = -1;

    SmtpConnection(Settings settings, Endpoint endpoint, long deadline) {
        this.settings = settings;
        this.endpoint = endpoint;
        this.deadline = deadline;
    }

    int capped(Duration step) throws SocketTimeoutException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException("delivery deadline passed");
        }
        long ms = Math.min(step.toMillis(), TimeUnit.NANOSECONDS.toMillis(left));
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, ms));
    }

    /**
     * Puts the connection in the pool's idle state and arms its idle timer: {@code onIdle} runs after {@code idleMs}
     * unless a transaction {@linkplain #claim claims} the connection first, which cancels the timer (until session 43
     * it stayed queued, and a timer from an earlier idle spell could retire the connection early in a later one).
     * {@code onIdle} decides with {@link #expire(long)} and the spell number given to it.
     */
    synchronized long park(java.util.function.LongConsumer onIdle, long idleMs) {
        parked = true;
        long spell = ++idleSpell;
        idleTimer = WATCHDOG.schedule(() -> onIdle.accept(spell), idleMs, TimeUnit.MILLISECONDS);
        return spell;
    }

    /**
     * Whether the idle timer of spell {@code spell} {@linkplain #expire expired} the connection (it is retired, or
     * about to be): the pool then drops it from its idle queue, where it may have put it after the timer ran.
     */
    synchronized boolean expiredIn(long spell) {
        return expiredSpell == spell;
    }

    /** Takes the connection from the cache for a transaction; false if the idle limit retired it meanwhile. */
    synchronized boolean claim() {
        if (!parked) {
            return false;
        }
        parked = false;
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
        return true;
    }

    /**
     * The idle limit of idle spell {@code spell} passed: true if the connection is still parked in that spell (and is
     * now ours to retire).
     */
    synchronized boolean expire(long spell) {
        if (!parked || spell != idleSpell) {
            return false;
        }
        parked = false;
        idleTimer = null;
        expiredSpell = spell;
        return true;
    }

    /**
     * Says QUIT without waiting for the answer and closes, on the calling thread: the write is bounded by the
     * {@linkplain SmtpTimeouts#quit() QUIT timeout} (a next hop that answers without reading, its window full, blocks
     * it), then the TCP socket is closed. Never call it on the {@link #WATCHDOG} thread: {@link #retireInBackground}.
     */
    void retire() {
        ScheduledFuture<?> guard = WATCHDOG.schedule(
                this::abort, Math.max(1, settings.timeouts().quit().toMillis()), TimeUnit.MILLISECONDS);
        try {
            socket.setSoTimeout(1);
            out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException | RuntimeException ignored) {
            // closing anyway
        } finally {
            guard.cancel(false);
        }
        abort();
    }

    /** The threads {@link #retireInBackground} retires connections on: virtual where the JDK has them, else daemon. */
    private static final java.util.concurrent.ThreadFactory RETIRING = VirtualThreads.factory("smtp-client-retire");

    /**
     * {@link #retire} on a thread of its own, for the pool's idle timer, which runs on the {@link #WATCHDOG} thread
     * that every connection of every client shares: until session 51 the idle timer wrote QUIT itself, and a next hop
     * that had stopped reading held that one thread in the write, and with it every write guard and idle timer.
     */
    void retireInBackground() {
        RETIRING.newThread(this::retire).start();
    }

    /** As {@link #send}, but on a reused connection a failure means the server closed it while idle. */
    void sendFirst(byte[] bytes, int len, Duration timeout) throws IOException {
        try {
            send(bytes, len, timeout);
        } catch (IOException e) {
            if (transactions > 1) {
                throw new StaleConnection(e);
            }
            throw e;
        }
    }

    /** As {@link #read}, but on a reused connection a closed or reset connection is {@link StaleConnection}. */
    SmtpResponse readFirst(HopFailedException.Stage at, Duration timeout) throws IOException {
        try {
            return read(at, timeout);
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException e) {
            if (transactions > 1 && !(e instanceof HopFailedException)) {
                throw new StaleConnection(e);
            }
            throw e;
        }
    }

    void connect() throws IOException {
        socket = new Socket();
        tcp = socket;
        if (settings.localAddress().isPresent()) {
            socket.bind(new InetSocketAddress(settings.localAddress().get(), 0));
        }
        socket.setTcpNoDelay(true);
        socket.connect(endpoint.address(), capped(settings.timeouts().connect()));
        streams();
    }

    void streams() throws IOException {
        soTimeout = -1;
        in = new BufferedInputStream(socket.getInputStream(), 8192);
        out = new BufferedOutputStream(socket.getOutputStream(), 8192);
    }

    SmtpResponse read(HopFailedException.Stage at, Duration timeout) throws IOException {
        stage = at;
        capped(timeout); // fails at once when the deadline has passed
        // The whole reply (every line of it) must arrive within the step's timeout and before the delivery's
        // deadline: a server dribbling one continuation line at a time cannot stretch either.
        long now = System.nanoTime();
        long step = saturatedNanos(timeout);
        long until = step > deadline - now ? deadline : now + step;
        List<String> lines = new ArrayList<>();
        int code = -1;
        while (true) {
            String line = readLine(until, timeout, !lines.isEmpty());
            if (line.length() < 3 || !line.substring(0, 3).chars().allMatch(Character::isDigit)) {
                throw new IOException("malformed reply line: " + printable(line));
            }
            int c = Integer.parseInt(line.substring(0, 3));
            if (code >= 0 && c != code) {
                throw new IOException("reply code changed within a multi-line reply: " + printable(line));
            }
            code = c;
            boolean more = line.length() > 3 && line.charAt(3) == '-';
            lines.add(line.length() > 4 ? line.substring(4) : "");
            if (lines.size() > 200) {
                throw new IOException("reply with too many lines");
            }
            if (!more) {
                if (code < 100 || code > 599) {
                    throw new IOException("reply code out of range: " + code);
                }
                return new SmtpResponse(code, lines);
            }
        }
    }

    /**
     * Reads one reply line and decodes it as UTF-8 (RFC 6531 §3.7.4.2 lets an SMTPUTF8 server reply in UTF-8; ASCII is
     * a subset), bytes that are not UTF-8 becoming U+FFFD. Taking each byte for a character made {@code jörg} in a
     * reply {@code jÃ¶rg} in the bounce.
     */
    private String readLine(long until, Duration timeout, boolean started) throws IOException {
        java.io.ByteArrayOutputStream sb = new java.io.ByteArrayOutputStream(80);
        int c;
        while (true) {
            // Says which wait ran out and how long it was, so that the step's timeout can be told: a next hop that
            // never greets read "failed at GREETING: reply not complete in time" (audit, session 48)
            String late = until == deadline
                    ? "delivery deadline passed"
                    : (started || sb.size() > 0 ? "reply not complete within " : "no reply within ")
                            + Durations.format(timeout);
            long left = until - System.nanoTime();
            if (left <= 0) {
                throw new SocketTimeoutException(late);
            }
            // Only a read that blocks uses the timeout; set it when the millisecond value changed, which for
            // bytes already buffered is about once per reply.
            int ms = (int) Math.min(Integer.MAX_VALUE, Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            if (ms != soTimeout) {
                socket.setSoTimeout(ms);
                soTimeout = ms;
            }
            try {
                c = in.read();
            } catch (SocketTimeoutException e) {
                throw new SocketTimeoutException(late);
            }
            if (c < 0) {
                break;
            }
            if (c == '\n') {
                byte[] b = sb.toByteArray();
                int len = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
                return new String(b, 0, len, StandardCharsets.UTF_8);
            }
            if (sb.size() > 4096) {
                throw new IOException("reply line too long");
            }
            sb.write(c);
        }
        throw new IOException("connection closed by " + endpoint);
    }

    /** Writes and flushes under the watchdog. */
    void send(byte[] bytes, int len, Duration timeout) throws IOException {
        ScheduledFuture<?> guard = WATCHDOG.schedule(this::abort, capped(timeout), TimeUnit.MILLISECONDS);
        try {
            out.write(bytes, 0, len);
            out.flush();
        } finally {
            guard.cancel(false);
        }
        if (socket.isClosed()) {
            throw new SocketTimeoutException("write timed out");
        }
    }

    void command(String line, HopFailedException.Stage at, Duration timeout) throws IOException {
        stage = at;
        byte[] b = (line + "\r\n").getBytes(StandardCharsets.UTF_8);
        send(b, b.length, timeout);
    }

    /**
     * Closes the connection at once, from any thread (the write watchdog's too): it closes the TCP socket, never the TLS
     * socket layered on it. Closing an {@code SSLSocket} writes a close_notify, and waits for the lock that a blocked
     * write holds: the watchdog closing the TLS socket of a next hop that stopped reading hung with it (the one
     * watchdog thread of every connection), and the delivery was never cut (until session 51).
     */
    void abort() {
        closeQuietly(tcp != null ? tcp : socket);
    }

    /**
     * Closes the connection after its last exchange, on the delivery's thread: under TLS with a close_notify first,
     * bounded by the {@linkplain SmtpTimeouts#quit() QUIT timeout} (a next hop that reads nothing more cannot hold the
     * thread), then the TCP socket.
     */
    void close() {
        if (secure && !socket.isClosed()) {
            ScheduledFuture<?> guard = WATCHDOG.schedule(
                    this::abort, Math.max(1, settings.timeouts().quit().toMillis()), TimeUnit.MILLISECONDS);
            try {
                closeQuietly(socket);
            } finally {
                guard.cancel(false);
            }
        }
        abort();
    }

    void quietQuit() {
        try {
            command("QUIT", stage, settings.timeouts().quit());
            read(stage, settings.timeouts().quit());
        } catch (IOException | RuntimeException ignored) {
            // the transaction is over; QUIT is a courtesy
        }
    }

    HopFailedException fail(SmtpResponse reply, String what, Throwable cause) {
        return new HopFailedException(endpoint, stage, reply, what, cause);
    }

    /** {@link #fail(SmtpResponse, String, Throwable)} for an I/O failure, described as {@link #describe} does. */
    HopFailedException fail(IOException cause) {
        return fail(null, describe(cause), cause);
    }

    /**
     * A failed TLS handshake in an administrator's words, as {@link #describe} puts other I/O failures: the JDK's
     * message of an {@link SSLException} without the fully qualified names of the JDK's internal exceptions it may
     * quote ({@code PKIX path building failed: unable to find valid certification path to requested target}), other
     * failures as {@link #describe} gives them ({@code SocketException: Connection reset}). A certificate out of its
     * validity period says which and its date, which the JDK's message ({@code validity check failed}) leaves out.
     */
    static String describeTls(IOException e) {
        if (!(e instanceof SSLException)
                || e.getMessage() == null
                || e.getMessage().isBlank()) {
            return describe(e);
        }
        return QUALIFIED_EXCEPTION.matcher(e.getMessage()).replaceAll("") + validity(e);
    }

    /**
     * What the JDK's "validity check failed" leaves in a cause: {@code  (the certificate CN=mx.example has expired,
     * NotAfter: DATE)}, or {@code ""} when the failure was not about dates.
     */
    private static String validity(Throwable e) {
        String subject = null;
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof java.security.cert.CertPathValidatorException v
                    && v.getCertPath() != null
                    && v.getIndex() >= 0
                    && v.getIndex() < v.getCertPath().getCertificates().size()
                    && v.getCertPath().getCertificates().get(v.getIndex())
                            instanceof java.security.cert.X509Certificate x) {
                subject = x.getSubjectX500Principal().getName();
            }
            String what = t instanceof java.security.cert.CertificateExpiredException
                    ? "has expired"
                    : t instanceof java.security.cert.CertificateNotYetValidException ? "is not valid yet" : null;
            if (what != null) {
                return " (" + (subject == null ? "a certificate" : "the certificate " + subject) + " " + what
                        + (t.getMessage() == null ? "" : ", " + t.getMessage()) + ")";
            }
        }
        return "";
    }

    /** A quoted exception class with its package and the colon after it, {@code sun.security...Exception: }. */
    private static final java.util.regex.Pattern QUALIFIED_EXCEPTION =
            java.util.regex.Pattern.compile("\\b(?:[a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*(?:Exception|Error): ");

    /**
     * An I/O failure in words an administrator reads in a log or a bounce: the operating system's text for the common
     * network failures ({@code Connection refused}, {@code Connect timed out}, {@code No route to host}), the message of
     * a plain {@link IOException} (the client's own texts), and otherwise the exception's simple name before its
     * message ({@code SSLHandshakeException: ...}), never a class name with its package.
     */
    static String describe(IOException e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        boolean plain = e.getClass() == IOException.class
                || e instanceof java.net.ConnectException
                || e instanceof java.net.NoRouteToHostException
                || e instanceof java.net.SocketTimeoutException;
        return plain ? m : e.getClass().getSimpleName() + ": " + m;
    }

    /**
     * Opens the session: connects (bound to the configured local address), reads the greeting, says EHLO (HELO if
     * EHLO is refused), and with {@code tryTls} runs STARTTLS per the TLS policy and EHLO again. Leaves
     * {@link #extensions} set, ready for a transaction.
     *
     * @param tls the policy of this transaction's route
     * @param tryTls whether to send STARTTLS when offered (false for the plaintext retry of an opportunistic hop)
     * @throws TlsFailed if the TLS handshake failed (the caller decides: fail, or retry in plaintext)
     * @throws IOException if the next hop failed ({@link HopFailedException} where the stage and reply are known)
     */
    void open(TlsPolicy tls, boolean tryTls) throws IOException, TlsFailed {
        SmtpTimeouts timeouts = settings.timeouts();
        connect();
        SmtpResponse greeting = read(HopFailedException.Stage.GREETING, timeouts.greeting());
        if (!greeting.isPositive()) {
            quietQuit();
            throw fail(greeting, "greeting " + greeting, null);
        }
        Map<String, String> ext = ehlo();
        if (tryTls && ext.containsKey("STARTTLS")) {
            command("STARTTLS", HopFailedException.Stage.STARTTLS, timeouts.starttls());
            SmtpResponse r = read(HopFailedException.Stage.STARTTLS, timeouts.starttls());
            if (r.code() == 220) {
                try {
                    SSLSocket s = (SSLSocket) tls.context()
                            .getSocketFactory()
                            .createSocket(socket, hostName(), endpoint.address().getPort(), true);
                    s.setUseClientMode(true);
                    if (tls.verifyHostName()) {
                        // RFC 6125 via the JDK's HTTPS rules: the certificate must name the hop we were routed to
                        // (the relay host as configured, or the MX host), an IP literal hop an IP address entry.
                        SSLParameters p = s.getSSLParameters();
                        p.setEndpointIdentificationAlgorithm("HTTPS");
                        s.setSSLParameters(p);
                    }
                    s.setSoTimeout(capped(timeouts.starttls()));
                    // The socket timeout bounds each read; the watchdog bounds the handshake as a whole (a server
                    // dribbling its flight, or not reading ours).
                    ScheduledFuture<?> guard =
                            WATCHDOG.schedule(this::abort, capped(timeouts.starttls()), TimeUnit.MILLISECONDS);
                    try {
                        s.startHandshake();
                    } catch (IOException e) {
                        // Every way a handshake can end is a TLS failure, not only the JDK's SSLExceptions: a peer
                        // (or a middlebox) that resets the connection or never answers the ClientHello gets the
                        // plaintext retry of an opportunistic hop too, as Postfix's "may" level does.
                        // cancel() fails when the watchdog already ran: it closed the socket (at the STARTTLS
                        // timeout, or the delivery's deadline), and the exception only says the socket is closed
                        throw new TlsFailed(guard.cancel(false) ? describeTls(e) : "handshake timed out", e);
                    } finally {
                        guard.cancel(false);
                    }
                    socket = s;
                    streams();
                    secure = true;
                } catch (SSLException e) {
                    throw new TlsFailed(describeTls(e), e);
                }
                ext = ehlo();
            } else if (tls.mode() == TlsPolicy.Mode.REQUIRED) {
                quietQuit();
                throw fail(r, "TLS required but STARTTLS refused: " + r, null);
            }
        } else if (tls.mode() == TlsPolicy.Mode.REQUIRED) {
            quietQuit();
            stage = HopFailedException.Stage.STARTTLS;
            throw fail(null, "TLS required but STARTTLS not offered", null);
        }
        extensions = ext;
    }

    /** Says EHLO (HELO if EHLO is refused permanently) and returns the offered extensions, keywords upper case. */
    private Map<String, String> ehlo() throws IOException {
        String heloName = settings.heloName();
        SmtpTimeouts timeouts = settings.timeouts();
        command("EHLO " + heloName, HopFailedException.Stage.EHLO, timeouts.ehlo());
        SmtpResponse r = read(HopFailedException.Stage.EHLO, timeouts.ehlo());
        Map<String, String> ext = new HashMap<>();
        if (r.isPositive()) {
            for (int i = 1; i < r.lines().size(); i++) {
                String l = r.lines().get(i).trim();
                int sp = l.indexOf(' ');
                String key = (sp < 0 ? l : l.substring(0, sp)).toUpperCase(Locale.ROOT);
                ext.put(key, sp < 0 ? "" : l.substring(sp + 1).trim());
            }
            return ext;
        }
        if (r.isPermanent()) {
            command("HELO " + heloName, HopFailedException.Stage.EHLO, timeouts.ehlo());
            SmtpResponse h = read(HopFailedException.Stage.EHLO, timeouts.ehlo());
            if (h.isPositive()) {
                return ext;
            }
            r = h;
        }
        quietQuit();
        throw fail(r, "EHLO/HELO refused: " + r, null);
    }

    private String hostName() {
        return endpoint.hop().host();
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && i < 200; i++) {
            char ch = s.charAt(i);
            sb.append(ch >= 0x20 && ch < 0x7f ? ch : '?');
        }
        return sb.toString();
    }

    /** A failed handshake in opportunistic mode: retried in plaintext on a new connection. */
    static final class TlsFailed extends Exception {
        private static final long serialVersionUID = 1L;

        TlsFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A kept connection turned out to be closed before the first reply of a transaction: nothing was handed over. */
    static final class StaleConnection extends IOException {
        private static final long serialVersionUID = 1L;

        StaleConnection(IOException cause) {
            super("kept connection is gone: " + cause.getMessage(), cause);
        }
    }
}
