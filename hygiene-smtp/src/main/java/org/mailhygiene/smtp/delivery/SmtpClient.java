package org.mailhygiene.smtp.delivery;

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
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.mailhygiene.api.MessageContent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An SMTP client that hands one stored message to one next hop in one transaction, sending the stored bytes
 * unchanged (only line ends are made canonical CRLF, then dot-stuffed; see {@link DotStuffer}).
 *
 * <p>Per transaction: connect (bound to the configured {@linkplain Builder#localAddress local address}), greeting,
 * EHLO (HELO if EHLO is refused), STARTTLS per the {@link TlsPolicy} and EHLO again, then MAIL FROM with
 * {@code SIZE=} when the server offers SIZE, {@code BODY=8BITMIME} when the content has 8-bit bytes and the server
 * offers 8BITMIME, {@code SMTPUTF8} when an address is not ASCII; RCPT TO per recipient; DATA; QUIT. With
 * PIPELINING offered, MAIL, every RCPT and DATA go out in one write (RFC 2920) and the replies are read in order.
 *
 * <p>Results: a 2xx after the data makes every accepted recipient DELIVERED; a 4xx to RCPT is TEMPORARY for that
 * recipient, a 5xx PERMANENT; a 5xx to MAIL, DATA or the data makes every remaining recipient PERMANENT; content larger
 * than the server's SIZE, or non-ASCII addresses with a server lacking SMTPUTF8, are PERMANENT without sending. A
 * failure of the next hop itself (no connection, a non-2xx greeting or EHLO, a 4xx to MAIL, DATA or the data, a
 * timeout, a dropped connection) throws {@link HopFailedException} so that failover moves on and the message stays
 * queued. Content that is 8-bit for a server without 8BITMIME is sent unchanged (as Postfix does), not re-encoded.
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
 * starts with MAIL FROM at once. A kept connection that the server has closed meanwhile is noticed at the first reply;
 * nothing was handed over then, so the transaction is retried once on a new connection, invisibly to the caller. Idle
 * connections get QUIT and are closed by the idle limit or by {@link #closeIdleConnections()}.
 *
 * <p>Thread-safe: one client serves concurrent deliveries, each on its own connection (a kept connection is used by
 * one transaction at a time).
 */
public final class SmtpClient {
    private static final Logger LOG = LoggerFactory.getLogger(SmtpClient.class);
    private static final byte[] CRLF = {'\r', '\n'};
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "smtp-client-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final String heloName;
    private final Optional<InetAddress> localAddress;
    private final SmtpTimeouts timeouts;
    private final TlsPolicy tls;
    private final Duration reuseIdle;
    private final int reuseCount;
    /** Idle connections per endpoint and TLS intent, most recently used first. */
    private final Map<ReuseKey, Deque<Conn>> idle = new ConcurrentHashMap<>();

    private SmtpClient(Builder b) {
        this.heloName = b.heloName;
        this.localAddress = b.localAddress;
        this.timeouts = b.timeouts;
        this.tls = b.tls;
        this.reuseIdle = b.reuseIdle;
        this.reuseCount = b.reuseCount;
    }

    private record ReuseKey(Endpoint endpoint, boolean tryTls) {}

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
     * Says QUIT to and closes every connection kept for reuse (connections in use are not touched). Call it when
     * delivery stops; idle connections are closed by the idle limit anyway.
     */
    public void closeIdleConnections() {
        for (Deque<Conn> q : idle.values()) {
            Conn c;
            while ((c = q.pollFirst()) != null) {
                c.retire();
            }
        }
    }

    /**
     * How many connections are kept for reuse right now (for tests and monitoring).
     *
     * @return the count
     */
    public int idleConnections() {
        int n = 0;
        for (Deque<Conn> q : idle.values()) {
            n += q.size();
        }
        return n;
    }

    /**
     * Runs one transaction.
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
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(content, "content");
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("no recipients");
        }
        if (budget.isNegative() || budget.isZero()) {
            throw new IllegalArgumentException("budget must be positive, was " + budget);
        }
        long deadline = System.nanoTime() + budget.toNanos();
        try {
            return attempt(
                    endpoint,
                    sender,
                    List.copyOf(recipients),
                    content,
                    deadline,
                    tls.mode() != TlsPolicy.Mode.DISABLED);
        } catch (TlsFailed e) {
            if (tls.mode() == TlsPolicy.Mode.REQUIRED) {
                throw new HopFailedException(
                        endpoint,
                        HopFailedException.Stage.STARTTLS,
                        null,
                        "TLS handshake failed: " + e.getMessage(),
                        e);
            }
            LOG.info("{}: TLS handshake failed ({}); delivering without TLS", endpoint, e.getMessage());
            try {
                return attempt(endpoint, sender, List.copyOf(recipients), content, deadline, false);
            } catch (TlsFailed impossible) {
                throw new IllegalStateException("TLS failure on a connection that did not try TLS", impossible);
            }
        }
    }

    /** A failed handshake in opportunistic mode: retried in plaintext on a new connection. */
    private static final class TlsFailed extends Exception {
        private static final long serialVersionUID = 1L;

        TlsFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Thrown for a local content read failure, to tell it apart from the next hop's I/O errors. */
    private static final class LocalReadFailed extends IOException {
        private static final long serialVersionUID = 1L;

        LocalReadFailed(IOException cause) {
            super("cannot read the message content: " + cause.getMessage(), cause);
        }
    }

    /** A kept connection turned out to be closed before the first reply of a transaction: nothing was handed over. */
    private static final class StaleConnection extends IOException {
        private static final long serialVersionUID = 1L;

        StaleConnection(IOException cause) {
            super("kept connection is gone: " + cause.getMessage(), cause);
        }
    }

    /** One connection. */
    private final class Conn {
        final Endpoint endpoint;
        long deadline;
        Socket socket;
        /** The server's EHLO keywords (after STARTTLS, the second EHLO's). */
        Map<String, String> extensions = Map.of();
        /** Transactions run on this connection. */
        int transactions;
        /** Every command sent has had its reply read: QUIT or a new transaction may follow. */
        boolean inStep;
        /** Idle in the cache (true) or claimed by a transaction / retired (false). */
        private final java.util.concurrent.atomic.AtomicBoolean parked =
                new java.util.concurrent.atomic.AtomicBoolean();

        InputStream in;
        OutputStream out;
        boolean secure;
        HopFailedException.Stage stage = HopFailedException.Stage.CONNECT;
        int soTimeout = -1;

        Conn(Endpoint endpoint, long deadline) {
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

        /** Puts the connection in the cache's idle state. */
        void park() {
            parked.set(true);
        }

        /** Takes the connection from the cache for a transaction; false if the idle limit retired it meanwhile. */
        boolean claim() {
            return parked.compareAndSet(true, false);
        }

        /** The idle limit passed: true if the connection was still parked (and is now ours to retire). */
        boolean expire() {
            return parked.compareAndSet(true, false);
        }

        /** Says QUIT without waiting for the answer (this may run on the watchdog thread) and closes. */
        void retire() {
            try {
                socket.setSoTimeout(1);
                out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException | RuntimeException ignored) {
                // closing anyway
            }
            abort();
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
            if (localAddress.isPresent()) {
                socket.bind(new InetSocketAddress(localAddress.get(), 0));
            }
            socket.setTcpNoDelay(true);
            socket.connect(endpoint.address(), capped(timeouts.connect()));
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
                String line = readLine(until);
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

        private String readLine(long until) throws IOException {
            StringBuilder sb = new StringBuilder(80);
            int c;
            while (true) {
                String late = until == deadline ? "delivery deadline passed" : "reply not complete in time";
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
                    int len = sb.length();
                    if (len > 0 && sb.charAt(len - 1) == '\r') {
                        sb.setLength(len - 1);
                    }
                    return sb.toString();
                }
                if (sb.length() > 4096) {
                    throw new IOException("reply line too long");
                }
                sb.append((char) c);
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

        void abort() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // already broken
            }
        }

        void quietQuit() {
            try {
                command("QUIT", stage, timeouts.quit());
                read(stage, timeouts.quit());
            } catch (IOException | RuntimeException ignored) {
                // the transaction is over; QUIT is a courtesy
            }
        }

        HopFailedException fail(SmtpResponse reply, String what, Throwable cause) {
            return new HopFailedException(endpoint, stage, reply, what, cause);
        }
    }

    private TransactionResult attempt(
            Endpoint endpoint, String sender, List<String> rcpts, MessageContent content, long deadline, boolean tryTls)
            throws IOException, TlsFailed {
        ReuseKey key = new ReuseKey(endpoint, tryTls);
        Conn kept = takeIdle(key);
        if (kept != null) {
            kept.deadline = deadline;
            boolean keep = false;
            try {
                TransactionResult r = transaction(kept, kept.extensions, sender, rcpts, content);
                keep = true;
                return r;
            } catch (StaleConnection e) {
                LOG.debug("{}: kept connection was closed by the server; using a new one", endpoint);
            } catch (HopFailedException | LocalReadFailed e) {
                throw e;
            } catch (IOException e) {
                throw kept.fail(null, e.toString(), e);
            } finally {
                finish(key, kept, keep);
            }
        }
        Conn c = new Conn(endpoint, deadline);
        boolean keep = false;
        try {
            TransactionResult r = session(c, sender, rcpts, content, tryTls);
            keep = true;
            return r;
        } catch (HopFailedException | LocalReadFailed e) {
            throw e;
        } catch (IOException e) {
            throw c.fail(null, e.toString(), e);
        } finally {
            finish(key, c, keep);
        }
    }

    private Conn takeIdle(ReuseKey key) {
        Deque<Conn> q = idle.get(key);
        if (q == null) {
            return null;
        }
        Conn c;
        while ((c = q.pollFirst()) != null) {
            if (c.claim()) {
                return c;
            }
        }
        return null;
    }

    /** After a transaction: keep the connection if it ended in step and may be reused, else QUIT and close it. */
    private void finish(ReuseKey key, Conn c, boolean clean) {
        if (!clean
                || !c.inStep
                || reuseCount <= 1
                || c.transactions >= reuseCount
                || c.socket == null
                || c.socket.isClosed()) {
            if (c.inStep) {
                c.quietQuit();
            }
            c.abort();
            return;
        }
        c.inStep = false;
        c.park();
        idle.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>()).offerFirst(c);
        WATCHDOG.schedule(
                () -> {
                    if (c.expire()) { // still parked: ours to close (a transaction that claimed it first keeps it)
                        Deque<Conn> q = idle.get(key);
                        if (q != null) {
                            q.remove(c);
                        }
                        c.retire();
                    }
                },
                reuseIdle.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private TransactionResult session(Conn c, String sender, List<String> rcpts, MessageContent content, boolean tryTls)
            throws IOException, TlsFailed {
        c.connect();
        SmtpResponse greeting = c.read(HopFailedException.Stage.GREETING, timeouts.greeting());
        if (!greeting.isPositive()) {
            c.quietQuit();
            throw c.fail(greeting, "greeting " + greeting, null);
        }
        Map<String, String> ext = ehlo(c);
        if (tryTls && ext.containsKey("STARTTLS")) {
            c.command("STARTTLS", HopFailedException.Stage.STARTTLS, timeouts.starttls());
            SmtpResponse r = c.read(HopFailedException.Stage.STARTTLS, timeouts.starttls());
            if (r.code() == 220) {
                try {
                    SSLSocket s = (SSLSocket) tls.context()
                            .getSocketFactory()
                            .createSocket(
                                    c.socket, endpoint(c), c.endpoint.address().getPort(), true);
                    s.setUseClientMode(true);
                    s.setSoTimeout(c.capped(timeouts.starttls()));
                    // The socket timeout bounds each read; the watchdog bounds the handshake as a whole (a server
                    // dribbling its flight, or not reading ours).
                    ScheduledFuture<?> guard =
                            WATCHDOG.schedule(c::abort, c.capped(timeouts.starttls()), TimeUnit.MILLISECONDS);
                    try {
                        s.startHandshake();
                    } finally {
                        guard.cancel(false);
                    }
                    c.socket = s;
                    c.streams();
                    c.secure = true;
                } catch (SSLException e) {
                    throw new TlsFailed(e.getMessage(), e);
                }
                ext = ehlo(c);
            } else if (tls.mode() == TlsPolicy.Mode.REQUIRED) {
                c.quietQuit();
                throw c.fail(r, "STARTTLS refused: " + r, null);
            }
        } else if (tls.mode() == TlsPolicy.Mode.REQUIRED) {
            c.quietQuit();
            c.stage = HopFailedException.Stage.STARTTLS;
            throw c.fail(null, "TLS required but STARTTLS not offered", null);
        }
        c.extensions = ext;
        return transaction(c, ext, sender, rcpts, content);
    }

    /**
     * One mail transaction on a connection that has been greeted: MAIL, RCPT, DATA, the data. Leaves the connection
     * {@linkplain Conn#inStep in step} when the server's last reply was read and nothing is outstanding, so it can be
     * reused or closed with QUIT by {@link #finish}.
     */
    private TransactionResult transaction(
            Conn c, Map<String, String> ext, String sender, List<String> rcpts, MessageContent content)
            throws IOException {
        c.transactions++;
        c.inStep = false;
        String remote = c.endpoint.toString();
        boolean utf8 = !isAscii(sender) || rcpts.stream().anyMatch(r -> !isAscii(r));
        if (utf8 && !ext.containsKey("SMTPUTF8")) {
            c.inStep = true;
            return all(
                    c,
                    rcpts,
                    RecipientResult.Outcome.PERMANENT,
                    "5.6.7",
                    "next hop " + remote + " does not support SMTPUTF8, needed for a non-ASCII address");
        }
        long limit = parseSize(ext.get("SIZE"));
        if (limit > 0 && content.size() > limit) {
            c.inStep = true;
            return all(
                    c,
                    rcpts,
                    RecipientResult.Outcome.PERMANENT,
                    "5.3.4",
                    "message of " + content.size() + " bytes exceeds the next hop's SIZE " + limit);
        }
        StringBuilder mail = new StringBuilder("MAIL FROM:<").append(sender).append('>');
        if (ext.containsKey("SIZE")) {
            mail.append(" SIZE=").append(content.size());
        }
        if (ext.containsKey("8BITMIME") && hasEightBit(content)) {
            mail.append(" BODY=8BITMIME");
        }
        if (utf8) {
            mail.append(" SMTPUTF8");
        }
        boolean pipelining = ext.containsKey("PIPELINING");
        List<RecipientResult> results = new ArrayList<>();
        List<String> accepted = new ArrayList<>();
        if (pipelining) {
            StringBuilder batch = new StringBuilder(mail).append("\r\n");
            for (String r : rcpts) {
                batch.append("RCPT TO:<").append(r).append(">\r\n");
            }
            batch.append("DATA\r\n");
            byte[] b = batch.toString().getBytes(StandardCharsets.UTF_8);
            c.stage = HopFailedException.Stage.MAIL;
            c.sendFirst(b, b.length, timeouts.mail());
        } else {
            byte[] b = (mail + "\r\n").getBytes(StandardCharsets.UTF_8);
            c.stage = HopFailedException.Stage.MAIL;
            c.sendFirst(b, b.length, timeouts.mail());
        }
        SmtpResponse mailReply = c.readFirst(HopFailedException.Stage.MAIL, timeouts.mail());
        if (mailReply.code() == 421 && c.transactions > 1) {
            throw new StaleConnection(new IOException("421 to MAIL on a kept connection: " + mailReply.oneLine()));
        }
        if (mailReply.isTransient() || (!mailReply.isPositive() && !mailReply.isPermanent())) {
            throw c.fail(mailReply, "MAIL refused: " + mailReply, null);
        }
        if (mailReply.isPermanent()) {
            // With PIPELINING the RCPT and DATA replies are still outstanding: the connection is not in step.
            c.inStep = !pipelining;
            return all(c, rcpts, RecipientResult.Outcome.PERMANENT, mailReply.status(), mailReply.oneLine());
        }
        for (String r : rcpts) {
            if (!pipelining) {
                c.command("RCPT TO:<" + r + ">", HopFailedException.Stage.RCPT, timeouts.rcpt());
            }
            SmtpResponse rr = c.read(HopFailedException.Stage.RCPT, timeouts.rcpt());
            if (rr.isPositive()) {
                accepted.add(r);
            } else {
                RecipientResult.Outcome o =
                        rr.isPermanent() ? RecipientResult.Outcome.PERMANENT : RecipientResult.Outcome.TEMPORARY;
                results.add(new RecipientResult(r, o, rr.status(), rr.oneLine(), remote));
            }
        }
        if (accepted.isEmpty()) {
            if (pipelining) {
                SmtpResponse d = c.read(HopFailedException.Stage.DATA, timeouts.dataInit());
                if (d.code() == 354) {
                    byte[] end = ".\r\n".getBytes(StandardCharsets.US_ASCII);
                    c.send(end, end.length, timeouts.dataBlock());
                    c.read(HopFailedException.Stage.DATA_END, timeouts.dataTermination());
                }
            }
            c.inStep = true;
            return new TransactionResult(c.endpoint, c.secure, ordered(rcpts, results));
        }
        if (!pipelining) {
            c.command("DATA", HopFailedException.Stage.DATA, timeouts.dataInit());
        }
        SmtpResponse dataReply = c.read(HopFailedException.Stage.DATA, timeouts.dataInit());
        if (dataReply.code() != 354) {
            if (dataReply.isPermanent()) {
                for (String r : accepted) {
                    results.add(new RecipientResult(
                            r, RecipientResult.Outcome.PERMANENT, dataReply.status(), dataReply.oneLine(), remote));
                }
                c.inStep = true;
                return new TransactionResult(c.endpoint, c.secure, ordered(rcpts, results));
            }
            throw c.fail(dataReply, "DATA refused: " + dataReply, null);
        }
        c.stage = HopFailedException.Stage.DATA;
        DotStuffer stuffer = new DotStuffer((buf, len) -> c.send(buf, len, timeouts.dataBlock()));
        byte[] buf = new byte[DotStuffer.BLOCK];
        try (InputStream body = content.openStream()) {
            int n;
            while (true) {
                try {
                    n = body.read(buf);
                } catch (IOException e) {
                    throw new LocalReadFailed(e);
                }
                if (n < 0) {
                    break;
                }
                stuffer.write(buf, 0, n);
            }
        } catch (LocalReadFailed e) {
            throw e;
        } catch (IOException e) {
            if (e instanceof HopFailedException) {
                throw e;
            }
            throw c.fail(null, e.toString(), e);
        }
        stuffer.finish();
        SmtpResponse end = c.read(HopFailedException.Stage.DATA_END, timeouts.dataTermination());
        if (end.isPositive()) {
            for (String r : accepted) {
                results.add(
                        new RecipientResult(r, RecipientResult.Outcome.DELIVERED, end.status(), end.oneLine(), remote));
            }
        } else if (end.isPermanent()) {
            for (String r : accepted) {
                results.add(
                        new RecipientResult(r, RecipientResult.Outcome.PERMANENT, end.status(), end.oneLine(), remote));
            }
        } else {
            throw c.fail(end, "message refused after data: " + end, null);
        }
        c.inStep = true;
        return new TransactionResult(c.endpoint, c.secure, ordered(rcpts, results));
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private static String endpoint(Conn c) {
        return c.endpoint.hop().host();
    }

    private Map<String, String> ehlo(Conn c) throws IOException {
        c.command("EHLO " + heloName, HopFailedException.Stage.EHLO, timeouts.ehlo());
        SmtpResponse r = c.read(HopFailedException.Stage.EHLO, timeouts.ehlo());
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
            c.command("HELO " + heloName, HopFailedException.Stage.EHLO, timeouts.ehlo());
            SmtpResponse h = c.read(HopFailedException.Stage.EHLO, timeouts.ehlo());
            if (h.isPositive()) {
                return ext;
            }
            r = h;
        }
        c.quietQuit();
        throw c.fail(r, "EHLO/HELO refused: " + r, null);
    }

    private static long parseSize(String v) {
        if (v == null || v.isEmpty()) {
            return 0;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static TransactionResult all(
            Conn c, List<String> rcpts, RecipientResult.Outcome o, String status, String diag) {
        List<RecipientResult> out = new ArrayList<>();
        for (String r : rcpts) {
            out.add(new RecipientResult(r, o, status, diag, c.endpoint.toString()));
        }
        return new TransactionResult(c.endpoint, c.secure, out);
    }

    private static List<RecipientResult> ordered(List<String> rcpts, List<RecipientResult> results) {
        List<RecipientResult> out = new ArrayList<>();
        List<RecipientResult> pool = new ArrayList<>(results);
        for (String r : rcpts) {
            for (int i = 0; i < pool.size(); i++) {
                if (pool.get(i).recipient().equals(r)) {
                    out.add(pool.remove(i));
                    break;
                }
            }
        }
        return out;
    }

    static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0x7f) {
                return false;
            }
        }
        return true;
    }

    private static boolean hasEightBit(MessageContent content) throws IOException {
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = content.openStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                int acc = 0;
                for (int i = 0; i < n; i++) {
                    acc |= buf[i]; // a byte >= 0x80 is negative: a branch-free loop the JIT can vectorise
                }
                if (acc < 0) {
                    return true;
                }
            }
        } catch (IOException e) {
            throw new LocalReadFailed(e);
        }
        return false;
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && i < 200; i++) {
            char ch = s.charAt(i);
            sb.append(ch >= 0x20 && ch < 0x7f ? ch : '?');
        }
        return sb.toString();
    }

    /** Builds an {@link SmtpClient}. Setters validate at once. Not thread-safe. */
    public static final class Builder {
        private String heloName = "localhost";
        private Optional<InetAddress> localAddress = Optional.empty();
        private SmtpTimeouts timeouts = SmtpTimeouts.defaults();
        private TlsPolicy tls;
        private Duration reuseIdle = Duration.ofSeconds(2);
        private int reuseCount = 100;

        private Builder() {}

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
            if (maxTransactions < 1) {
                throw new IllegalArgumentException("maxTransactions must be >= 1, was " + maxTransactions);
            }
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
         * The TLS policy. Default {@link TlsPolicy#opportunistic()}.
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
