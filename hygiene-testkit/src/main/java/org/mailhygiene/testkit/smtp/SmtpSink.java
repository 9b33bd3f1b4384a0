package org.mailhygiene.testkit.smtp;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.mailhygiene.internal.Checks;
import org.mailhygiene.testkit.server.FakeConnection;
import org.mailhygiene.testkit.server.FakeServer;
import org.mailhygiene.testkit.server.Fault;
import org.mailhygiene.testkit.server.FaultScript;
import org.mailhygiene.testkit.server.RequestLog;

/**
 * A small real SMTP server for tests: it listens on a loopback address and an ephemeral port, accepts mail, records
 * each accepted message (envelope and exact bytes), and can be scripted to answer a command or a recipient with any
 * reply, to close the connection, or to stall. Modelled on MockWebServer: script first, run the code under test,
 * then assert on {@link #messages()} and {@link #transcript()}.
 *
 * <pre>{@code
 * try (SmtpSink sink = SmtpSink.start()) {
 *     sink.onRecipient("busy@example.org", SinkAction.reply("451 4.2.0 mailbox busy"));
 *     sink.enqueue(SinkCommand.DATA_END, SinkAction.close());   // the first transaction dies after the data
 *     ... deliver to sink.address() ...
 *     SinkMessage m = sink.awaitMessages(1, Duration.ofSeconds(5)).get(0);
 * }
 * }</pre>
 *
 * <p>Protocol: EHLO advertises {@code PIPELINING}, {@code 8BITMIME}, {@code SMTPUTF8}, {@code ENHANCEDSTATUSCODES},
 * {@code SIZE n} (0 when unlimited) and {@code STARTTLS} when an {@link SSLContext} is configured (not again after the
 * handshake). Each of these can be turned off. The end of data is only {@code CRLF.CRLF}; a leading dot is removed from
 * every other line that starts with one; bare CR and LF are recorded as they arrived, so tests can see whether a
 * client canonicalised its line ends. As Postfix, a transaction stays open after its MAIL until the data is taken,
 * RSET, EHLO, HELO or STARTTLS: a MAIL within it (after every recipient was refused, or DATA was) is answered
 * {@code 503 5.5.1 Error: nested MAIL command}. Commands are answered one by one in order, so a pipelining client works. A
 * connection idle for longer than the read timeout (default 60 s) is closed.
 *
 * <p>Scripts: one-shot actions {@linkplain #enqueue(SinkCommand, SinkAction) queued} per command are used first (in
 * order, by any connection); then a per-recipient action for RCPT; then a standing action set with
 * {@link #always(SinkCommand, SinkAction)}; then the
 * default. A message is recorded only when its DATA_END reply is 2xx; its recipients are those whose RCPT got a 2xx.
 *
 * <p>Actions are faults of the testkit's shared model ({@link Fault}; {@link SinkAction} is the SMTP-shaped way to
 * write a reply, a close or a stall), and every command line is recorded ({@link #takeRequest(Duration)},
 * {@link #requests()}). Built on the shared {@link FakeServer}.
 *
 * <p>Thread-safe. One platform thread per connection; {@link #close()} stops everything, also stalled connections.
 * Depends only on the JDK.
 */
public final class SmtpSink implements AutoCloseable {
    private static final int MAX_LINE = 64 * 1024;

    private final String hostname;
    private final SSLContext ssl;
    private final long maxSize;
    private final boolean pipelining;
    private final boolean eightBitMime;
    private final boolean smtpUtf8;
    private final Duration readTimeout;
    private final Clock clock;
    private final FakeServer server;
    private final FaultScript<SinkCommand> script = new FaultScript<>();
    private final RequestLog<SinkRequest> log = new RequestLog<>("SMTP");

    private final Object lock = new Object();
    private final Map<String, Fault> perRecipient = new HashMap<>();
    private final List<SinkMessage> messages = new ArrayList<>();
    private final List<String> transcript = new ArrayList<>();

    private SmtpSink(Builder b) throws IOException {
        this.hostname = b.hostname;
        this.ssl = b.ssl;
        this.maxSize = b.maxSize;
        this.pipelining = b.pipelining;
        this.eightBitMime = b.eightBitMime;
        this.smtpUtf8 = b.smtpUtf8;
        this.readTimeout = b.readTimeout;
        this.clock = b.clock;
        this.server = FakeServer.builder("smtp-sink", this::serve)
                .bindAddress(b.bindAddress)
                .port(b.port)
                .backlog(50)
                .start();
    }

    /**
     * Starts a sink with the defaults on 127.0.0.1 and an ephemeral port.
     *
     * @return the running sink
     * @throws IOException if the socket cannot be bound
     */
    public static SmtpSink start() throws IOException {
        return builder().start();
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
     * The address clients connect to.
     *
     * @return the bound address and port
     */
    public InetSocketAddress address() {
        return server.address();
    }

    /**
     * The bound port.
     *
     * @return the port
     */
    public int port() {
        return server.port();
    }

    /**
     * Queues a one-shot action for the next time any connection reaches {@code command}.
     *
     * @param command where
     * @param action what to do
     * @return this sink
     */
    public SmtpSink enqueue(SinkCommand command, SinkAction action) {
        script.enqueue(command, Objects.requireNonNull(action, "action").toFault());
        return this;
    }

    /**
     * Queues a one-shot fault of the testkit's shared model for the next time any connection reaches {@code command}.
     * {@code Reply(text)} is sent as an SMTP reply (lines separated by {@code \n}, written with CRLF and continuation
     * dashes; a 421 also closes); {@code Close} and {@code Refuse} close without a reply; {@code Stall} and
     * {@code StallReading} never answer (until the sink closes); {@code Delay(d)} gives the normal answer
     * after {@code d}; {@code CloseAfter(n)} and {@code ReplyAfter(n, text)} for {@link SinkCommand#DATA_END} read
     * only {@code n} bytes of the content, then close (after sending {@code text}); for other commands they act as
     * {@code Close} and {@code Reply}.
     *
     * @param command where
     * @param fault what to do
     * @return this sink
     */
    public SmtpSink enqueue(SinkCommand command, Fault fault) {
        script.enqueue(command, fault);
        return this;
    }

    /**
     * Sets a standing fault of the shared model for a command until changed (see {@link #enqueue(SinkCommand, Fault)}
     * for what each fault does).
     *
     * @param command where
     * @param fault what to do every time, or {@code null} to restore the default
     * @return this sink
     */
    public SmtpSink always(SinkCommand command, Fault fault) {
        script.always(command, fault);
        return this;
    }

    /**
     * Sets the standing action for a command (replacing the default) until changed; {@code null} restores the default.
     *
     * @param command where
     * @param action what to do every time, or {@code null}
     * @return this sink
     */
    public SmtpSink always(SinkCommand command, SinkAction action) {
        script.always(command, action == null ? null : action.toFault());
        return this;
    }

    /**
     * Sets the standing answer to {@code RCPT TO:<address>} (compared case-insensitively).
     *
     * @param address the recipient path without brackets
     * @param action what to do; {@code null} removes the script
     * @return this sink
     */
    public SmtpSink onRecipient(String address, SinkAction action) {
        synchronized (lock) {
            String key = address.toLowerCase(Locale.ROOT);
            if (action == null) {
                perRecipient.remove(key);
            } else {
                perRecipient.put(key, action.toFault());
            }
        }
        return this;
    }

    /**
     * The messages accepted so far, in the order their final dot was answered.
     *
     * @return a snapshot
     */
    public List<SinkMessage> messages() {
        synchronized (lock) {
            return List.copyOf(messages);
        }
    }

    /**
     * Waits until at least {@code count} messages were accepted.
     *
     * @param count how many
     * @param timeout how long to wait at most
     * @return a snapshot of all accepted messages
     * @throws InterruptedException if interrupted
     * @throws AssertionError if fewer arrived in time (the message says how many did)
     */
    public List<SinkMessage> awaitMessages(int count, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (messages.size() < count) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("expected " + count + " messages within " + timeout + ", got "
                            + messages.size() + "; transcript: " + transcript);
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return List.copyOf(messages);
        }
    }

    /**
     * Every command line received and reply sent, in order, prefixed {@code C: } or {@code S: } (content lines are
     * not included; a {@code C: <data n bytes>} line stands for them).
     *
     * @return a snapshot
     */
    public List<String> transcript() {
        synchronized (lock) {
            return List.copyOf(transcript);
        }
    }

    /**
     * How many connections were accepted so far.
     *
     * @return the count
     */
    public int connectionCount() {
        return (int) server.connectionCount();
    }

    /**
     * Waits for the next command line not yet taken, in arrival order over all connections, like MockWebServer's
     * {@code takeRequest}.
     *
     * @param timeout how long to wait at most
     * @return the command
     * @throws InterruptedException if interrupted
     * @throws AssertionError if none arrived in time
     */
    public SinkRequest takeRequest(Duration timeout) throws InterruptedException {
        return log.take(timeout);
    }

    /**
     * Every command line received so far (taken or not).
     *
     * @return a snapshot in arrival order
     */
    public List<SinkRequest> requests() {
        return log.all();
    }

    /** Forgets recorded messages and the transcript; scripts stay. */
    public void clear() {
        synchronized (lock) {
            messages.clear();
            transcript.clear();
        }
        log.clear();
    }

    /** Stops accepting, closes every connection (also stalled ones) and waits briefly for the threads. Idempotent. */
    @Override
    public void close() {
        server.close();
    }

    private void log(String line) {
        synchronized (lock) {
            transcript.add(line);
        }
    }

    private Fault action(Session s, SinkCommand command, Optional<String> recipient, SinkAction dflt)
            throws InterruptedIOException {
        Optional<Fault> once = script.pollOnce(command);
        if (once.isPresent()) {
            return resolve(s, once.get(), dflt);
        }
        if (recipient.isPresent()) {
            Fault a;
            synchronized (lock) {
                a = perRecipient.get(recipient.get().toLowerCase(Locale.ROOT));
            }
            if (a != null) {
                return resolve(s, a, dflt);
            }
        }
        return resolve(s, script.standing(command).orElse(dflt.toFault()), dflt);
    }

    /** A delay waits here and becomes the default reply (or a close, when the sink closes meanwhile). */
    private static Fault resolve(Session s, Fault f, SinkAction dflt) throws InterruptedIOException {
        if (!(f instanceof Fault.Delay d)) {
            return f;
        }
        try {
            return s.conn.pause(d.delay()) ? dflt.toFault() : Fault.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted during a scripted delay");
        }
    }

    /** The reply code of a reply fault, 0 for every other fault. */
    private static int code(Fault f) {
        if (f instanceof Fault.Reply r && r.text().length() >= 3) {
            try {
                return Integer.parseInt(r.text().substring(0, 3));
            } catch (NumberFormatException e) {
                return 0;
            }
        }
        return 0;
    }

    /** Per-connection state. */
    private final class Session {
        FakeConnection conn;
        Socket socket;
        InputStream in;
        OutputStream out;
        boolean tls;
        String helo = "";
        String sender;
        List<String> params = new ArrayList<>();
        List<String> rcpts = new ArrayList<>();

        void reset() {
            sender = null;
            params = new ArrayList<>();
            rcpts = new ArrayList<>();
        }
    }

    private void serve(FakeConnection conn) {
        Session s = new Session();
        s.conn = conn;
        s.socket = conn.socket().orElseThrow();
        try {
            conn.readTimeout(readTimeout);
            s.in = new BufferedInputStream(conn.input());
            s.out = new BufferedOutputStream(conn.output());
            if (!act(
                    s,
                    action(
                            s,
                            SinkCommand.GREETING,
                            Optional.empty(),
                            SinkAction.reply("220 " + hostname + " ESMTP mail-hygiene test sink")))) {
                return;
            }
            while (true) {
                String line = readLine(s.in);
                if (line == null) {
                    return;
                }
                log("C: " + line);
                log.record(new SinkRequest(conn.id(), line.split(" ", 2)[0].toUpperCase(Locale.ROOT), line));
                if (!command(s, line)) {
                    return;
                }
            }
        } catch (SocketTimeoutException | SocketException e) {
            // idle client, or closed by close(): nothing to record
        } catch (IOException e) {
            log("S: <connection error " + e + ">");
        }
    }

    /** Returns false when the connection is to end. */
    private boolean command(Session s, String line) throws IOException {
        String upper = line.toUpperCase(Locale.ROOT);
        String verb = upper.split(" ", 2)[0];
        switch (verb) {
            case "EHLO" -> {
                s.helo = line.length() > 5 ? line.substring(5).trim() : "";
                s.reset();
                StringBuilder sb = new StringBuilder("250-" + hostname + " hello " + s.helo);
                if (pipelining) {
                    sb.append("\n250-PIPELINING");
                }
                if (eightBitMime) {
                    sb.append("\n250-8BITMIME");
                }
                if (smtpUtf8) {
                    sb.append("\n250-SMTPUTF8");
                }
                sb.append("\n250-SIZE ").append(maxSize);
                if (ssl != null && !s.tls) {
                    sb.append("\n250-STARTTLS");
                }
                sb.append("\n250 ENHANCEDSTATUSCODES");
                return act(s, action(s, SinkCommand.EHLO, Optional.empty(), SinkAction.reply(sb.toString())));
            }
            case "HELO" -> {
                s.helo = line.length() > 5 ? line.substring(5).trim() : "";
                s.reset();
                return act(s, action(s, SinkCommand.HELO, Optional.empty(), SinkAction.reply("250 " + hostname)));
            }
            case "STARTTLS" -> {
                SinkAction dflt = ssl != null && !s.tls
                        ? SinkAction.reply("220 2.0.0 Ready to start TLS")
                        : SinkAction.reply("502 5.5.1 STARTTLS not available");
                Fault a = action(s, SinkCommand.STARTTLS, Optional.empty(), dflt);
                if (!act(s, a)) {
                    return false;
                }
                if (code(a) == 220 && ssl != null) {
                    // Forget anything pipelined after STARTTLS (RFC 3207, CVE-2011-0411 class).
                    SSLSocket t = (SSLSocket) ssl.getSocketFactory()
                            .createSocket(
                                    s.socket, s.socket.getInetAddress().getHostAddress(), s.socket.getPort(), true);
                    t.setUseClientMode(false);
                    t.startHandshake();
                    s.conn.track(t);
                    s.socket = t;
                    s.in = new BufferedInputStream(t.getInputStream());
                    s.out = new BufferedOutputStream(t.getOutputStream());
                    s.tls = true;
                    s.helo = "";
                    s.reset();
                }
                return true;
            }
            case "MAIL" -> {
                if (!upper.startsWith("MAIL FROM:")) {
                    return act(s, SinkAction.reply("501 5.5.2 syntax: MAIL FROM:<address>"));
                }
                if (s.sender != null) {
                    // as Postfix and the relay answer: a transaction whose recipients were all refused, or whose DATA
                    // was refused, is still open until RSET (this sink reset it, and hid a client that did not send
                    // RSET before its next MAIL on a kept connection)
                    return act(s, SinkAction.reply("503 5.5.1 Error: nested MAIL command"));
                }
                String[] pathAndParams = splitPath(line.substring(10));
                List<String> params = pathAndParams[1].isBlank()
                        ? List.of()
                        : List.of(pathAndParams[1].trim().split("\\s+"));
                SinkAction dflt = SinkAction.reply("250 2.1.0 Ok");
                for (String p : params) {
                    if (maxSize > 0 && p.toUpperCase(Locale.ROOT).startsWith("SIZE=")) {
                        try {
                            if (Long.parseLong(p.substring(5)) > maxSize) {
                                dflt = SinkAction.reply("552 5.3.4 Message size exceeds fixed limit");
                            }
                        } catch (NumberFormatException e) {
                            dflt = SinkAction.reply("501 5.5.4 Bad SIZE parameter");
                        }
                    }
                }
                Fault a = action(s, SinkCommand.MAIL, Optional.empty(), dflt);
                if (isPositive(a)) {
                    s.reset();
                    s.sender = pathAndParams[0];
                    s.params = new ArrayList<>(params);
                }
                return act(s, a);
            }
            case "RCPT" -> {
                if (!upper.startsWith("RCPT TO:")) {
                    return act(s, SinkAction.reply("501 5.5.2 syntax: RCPT TO:<address>"));
                }
                if (s.sender == null) {
                    return act(s, SinkAction.reply("503 5.5.1 need MAIL first"));
                }
                String rcpt = splitPath(line.substring(8))[0];
                Fault a = action(s, SinkCommand.RCPT, Optional.of(rcpt), SinkAction.reply("250 2.1.5 Ok"));
                if (isPositive(a)) {
                    s.rcpts.add(rcpt);
                }
                return act(s, a);
            }
            case "DATA" -> {
                if (s.sender == null || s.rcpts.isEmpty()) {
                    return act(s, SinkAction.reply("554 5.5.1 no valid recipients"));
                }
                Fault a = action(
                        s, SinkCommand.DATA, Optional.empty(), SinkAction.reply("354 End data with <CR><LF>.<CR><LF>"));
                if (!act(s, a)) {
                    return false;
                }
                if (code(a) != 354) {
                    return true;
                }
                SinkAction queuedReply = SinkAction.reply("250 2.0.0 Ok: queued");
                Optional<Fault> cutFault = script.pollOnce(SinkCommand.DATA_END);
                long limit = -1;
                if (cutFault.isPresent() && cutFault.get() instanceof Fault.CloseAfter ca) {
                    limit = ca.bytes();
                } else if (cutFault.isPresent() && cutFault.get() instanceof Fault.ReplyAfter ra) {
                    limit = ra.bytes();
                }
                byte[] data = readData(s.in, limit);
                if (data == null) {
                    log("C: <data cut after " + limit + " bytes>");
                    if (cutFault.get() instanceof Fault.ReplyAfter ra) {
                        act(s, Fault.reply(ra.text()));
                    }
                    log("S: <close>");
                    return false;
                }
                log("C: <data " + data.length + " bytes>");
                Fault end = cutFault.isPresent()
                        ? resolve(s, cutFault.get(), queuedReply)
                        : action(s, SinkCommand.DATA_END, Optional.empty(), queuedReply);
                if (isPositive(end)) {
                    SinkMessage m = new SinkMessage(
                            s.helo,
                            s.sender,
                            s.params,
                            s.rcpts,
                            data,
                            s.tls,
                            s.socket.getInetAddress().getHostAddress(),
                            clock.instant());
                    synchronized (lock) {
                        messages.add(m);
                        lock.notifyAll();
                    }
                }
                s.reset();
                return act(s, end);
            }
            case "RSET" -> {
                s.reset();
                return act(s, action(s, SinkCommand.RSET, Optional.empty(), SinkAction.reply("250 2.0.0 Ok")));
            }
            case "NOOP" -> {
                return act(s, action(s, SinkCommand.NOOP, Optional.empty(), SinkAction.reply("250 2.0.0 Ok")));
            }
            case "QUIT" -> {
                act(s, action(s, SinkCommand.QUIT, Optional.empty(), SinkAction.reply("221 2.0.0 Bye")));
                return false;
            }
            default -> {
                return act(s, SinkAction.reply("502 5.5.2 command not implemented"));
            }
        }
    }

    /** Splits {@code <path> params} into path (without brackets) and the rest. */
    private static String[] splitPath(String arg) {
        String a = arg.trim();
        if (a.startsWith("<")) {
            int close = a.indexOf('>');
            if (close > 0) {
                return new String[] {a.substring(1, close), a.substring(close + 1)};
            }
        }
        int sp = a.indexOf(' ');
        return sp < 0 ? new String[] {a, ""} : new String[] {a.substring(0, sp), a.substring(sp + 1)};
    }

    /** Carries out an action; returns false when the connection is to end. */
    private boolean act(Session s, SinkAction a) throws IOException {
        return act(s, a.toFault());
    }

    private static boolean isPositive(Fault f) {
        int code = code(f);
        return code >= 200 && code < 300;
    }

    /** Carries out a fault (a reply is one); returns false when the connection is to end. */
    private boolean act(Session s, Fault a) throws IOException {
        if (a instanceof Fault.Stall || a instanceof Fault.StallReading) {
            log("S: <stall>");
            if (a instanceof Fault.Stall) {
                s.conn.holdUntilClosed();
            } else {
                s.conn.holdWithoutReading();
            }
            return false;
        }
        String text;
        if (a instanceof Fault.Reply r) {
            text = r.text();
        } else if (a instanceof Fault.ReplyAfter r) {
            text = r.text();
        } else {
            log("S: <close>");
            return false;
        }
        String[] lines = text.split("\n");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i];
            if (i < lines.length - 1 && l.length() > 3 && l.charAt(3) == ' ') {
                l = l.substring(0, 3) + "-" + l.substring(4);
            }
            if (i == lines.length - 1 && l.length() > 3 && l.charAt(3) == '-') {
                l = l.substring(0, 3) + " " + l.substring(4);
            }
            sb.append(l).append("\r\n");
            log("S: " + l);
        }
        s.out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        s.out.flush();
        return a instanceof Fault.Reply && code(a) != 421;
    }

    /** Reads a command line ending in LF (CR before it dropped); null at end of stream. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(128);
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                byte[] bytes = b.toByteArray();
                int n = bytes.length;
                if (n > 0 && bytes[n - 1] == '\r') {
                    n--;
                }
                return new String(bytes, 0, n, StandardCharsets.UTF_8);
            }
            if (b.size() >= MAX_LINE) {
                throw new IOException("command line too long");
            }
            b.write(c);
        }
        return null;
    }

    /** Reads content up to CRLF.CRLF, removing dot-stuffing; bare CR/LF are kept as received. */
    static byte[] readData(InputStream in) throws IOException {
        return readData(in, -1);
    }

    /** As {@link #readData(InputStream)}, but returns {@code null} once {@code limit} bytes were read (-1: none). */
    static byte[] readData(InputStream in, long limit) throws IOException {
        long read = 0;
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        ByteArrayOutputStream line = new ByteArrayOutputStream(256);
        while (true) {
            line.reset();
            int prev = -1;
            int c;
            while ((c = in.read()) >= 0) {
                if (limit >= 0 && read++ >= limit) {
                    return null;
                }
                line.write(c);
                if (c == '\n' && prev == '\r') {
                    break;
                }
                prev = c;
            }
            byte[] l = line.toByteArray();
            if (c < 0) {
                throw new IOException("connection closed during DATA");
            }
            if (l.length == 3 && l[0] == '.') {
                return out.toByteArray();
            }
            int from = l.length > 0 && l[0] == '.' ? 1 : 0;
            out.write(l, from, l.length - from);
        }
    }

    /** Builds an {@link SmtpSink}. Setters validate at once. Not thread-safe. */
    public static final class Builder {
        private InetAddress bindAddress = InetAddress.getLoopbackAddress();
        private int port;
        private String hostname = "sink.test";
        private SSLContext ssl;
        private long maxSize;
        private boolean pipelining = true;
        private boolean eightBitMime = true;
        private boolean smtpUtf8 = true;
        private Duration readTimeout = Duration.ofSeconds(60);
        private Clock clock = Clock.systemUTC();

        private Builder() {}

        /**
         * The address to listen on. Default the loopback address (127.0.0.1). A test sink never listens on a network.
         *
         * @param value a loopback address (any of 127.0.0.0/8, or ::1)
         * @return this builder
         * @throws IllegalArgumentException if it is not a loopback address
         */
        public Builder bindAddress(InetAddress value) {
            Objects.requireNonNull(value, "bindAddress");
            if (!value.isLoopbackAddress()) {
                throw new IllegalArgumentException("a test sink listens on loopback only, not on " + value);
            }
            bindAddress = value;
            return this;
        }

        /**
         * The port. Default 0 (an ephemeral port; read it with {@link SmtpSink#port()}).
         *
         * @param value 0 to 65535
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder port(int value) {
            if (value < 0 || value > 65535) {
                throw new IllegalArgumentException("port must be 0..65535, was " + value);
            }
            port = value;
            return this;
        }

        /**
         * The name in the greeting and EHLO reply. Default {@code sink.test}.
         *
         * @param value a host name without spaces
         * @return this builder
         * @throws IllegalArgumentException if blank or holding white space
         */
        public Builder hostname(String value) {
            Objects.requireNonNull(value, "hostname");
            if (value.isBlank() || value.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("hostname must be a single word: '" + value + "'");
            }
            hostname = value;
            return this;
        }

        /**
         * Enables STARTTLS with this server context. Default none (STARTTLS not offered).
         *
         * @param value an initialised server-side context
         * @return this builder
         */
        public Builder tls(SSLContext value) {
            ssl = Objects.requireNonNull(value, "tls");
            return this;
        }

        /**
         * The SIZE limit advertised and enforced on {@code MAIL ... SIZE=}. Default 0 (no limit).
         *
         * @param value bytes, {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder maxSize(long value) {
            Checks.requireAtLeast(value, 0, "maxSize");
            maxSize = value;
            return this;
        }

        /**
         * Whether EHLO advertises PIPELINING. Default {@code true}.
         *
         * @param value the setting
         * @return this builder
         */
        public Builder pipelining(boolean value) {
            pipelining = value;
            return this;
        }

        /**
         * Whether EHLO advertises 8BITMIME. Default {@code true}.
         *
         * @param value the setting
         * @return this builder
         */
        public Builder eightBitMime(boolean value) {
            eightBitMime = value;
            return this;
        }

        /**
         * Whether EHLO advertises SMTPUTF8. Default {@code true}.
         *
         * @param value the setting
         * @return this builder
         */
        public Builder smtpUtf8(boolean value) {
            smtpUtf8 = value;
            return this;
        }

        /**
         * How long a connection may stay silent before the sink closes it. Default 60 s.
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder readTimeout(Duration value) {
            Checks.requirePositive(value, "readTimeout");
            readTimeout = value;
            return this;
        }

        /**
         * The clock for {@link SinkMessage#receivedAt()}. Default {@link Clock#systemUTC()}.
         *
         * @param value the clock
         * @return this builder
         */
        public Builder clock(Clock value) {
            clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * Binds and starts the sink.
         *
         * @return the running sink; close it
         * @throws IOException if the socket cannot be bound
         */
        public SmtpSink start() throws IOException {
            return new SmtpSink(this);
        }
    }
}
