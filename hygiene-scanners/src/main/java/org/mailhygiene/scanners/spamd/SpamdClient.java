package org.mailhygiene.scanners.spamd;

import static org.mailhygiene.internal.Closeables.closeQuietly;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.DeflaterOutputStream;
import javax.net.SocketFactory;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.internal.Checks;
import org.mailhygiene.internal.Durations;
import org.mailhygiene.internal.Timers;

/**
 * A client for one spamd instance speaking SPAMC/1.5 over TCP: {@link SpamdCommand#CHECK}, {@code SYMBOLS},
 * {@code REPORT}, {@code REPORT_IFSPAM}, {@code PROCESS}, {@code HEADERS}, {@code PING} and {@code TELL}.
 *
 * <p>Each request opens its own connection (spamd answers one request per connection). The client writes the request
 * line, {@code Content-length} spelled exactly so (spamd ignores {@code Content-Length}), the optional {@code User}
 * and {@code Compress: zlib} headers, streams the message from {@link MessageContent#openStream()} without holding it
 * in heap (unless compressing, which needs the compressed length first), and then half-closes the connection
 * ({@link Socket#shutdownOutput()}), so spamd never waits for a final line end. The reply is read up to
 * {@linkplain Builder#maxReplySize(long) a size limit}; a non-zero response code throws {@link SpamdException}
 * with the {@link ScanFailure.Kind} from {@link SpamdException#kindForCode(int)}. A reply whose connection closes
 * inside any of its lines (the status line too), before the empty line that ends its headers (spamd writes one after every reply's headers but PING's), or before
 * the {@code Content-length} bytes of its body arrived, was cut off (a spamd stopped or killed mid-reply), and is
 * {@link ScanFailure.Kind#UNAVAILABLE}, as a connection closed before any reply, whatever the headers that did arrive
 * said; the policy's {@code unavailable} setting decides. A reply spamd cannot send is a
 * {@link ScanFailure.Kind#PROTOCOL_ERROR}: a {@code Spam:} flag that contradicts its own score and threshold
 * ({@code False ; 9.0 / 5.0}), a score that is not a finite number, a {@code Content-length} that is not plain
 * digits, exceeds the size limit, or is less than the body that follows it (spamd closes the connection after the
 * body; the client reads to that close).
 *
 * <p>Defaults: connect timeout 5 s ({@link #DEFAULT_CONNECT_TIMEOUT}), read timeout 30 s
 * ({@link #DEFAULT_READ_TIMEOUT}, the longest spamd may stay silent), request deadline 60 s
 * ({@link #DEFAULT_DEADLINE}, the whole request from connect to the last reply byte, enforced by closing the socket,
 * so a peer that stops reading cannot block a write forever), no {@code User} header, no compression, largest reply
 * 16 MiB ({@link #DEFAULT_MAX_REPLY_SIZE}), plain TCP sockets from {@link SocketFactory#getDefault()}.
 *
 * <p>Thread-safe: one client serves concurrent requests. It holds no connection between requests, so there is
 * nothing to close.
 */
public final class SpamdClient {
    /** Default connect timeout: 5 s. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** Default read timeout (longest silence from spamd): 30 s. */
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(30);
    /** Default whole-request deadline: 60 s. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(60);
    /** Default largest reply accepted: 16 MiB. */
    public static final long DEFAULT_MAX_REPLY_SIZE = 16L * 1024 * 1024;
    /** The protocol version this client speaks. */
    public static final String PROTOCOL = "SPAMC/1.5";

    private static final int MAX_LINE = 8192;
    private static final int MAX_HEADERS = 255;

    /** How often a request checks whether its thread was interrupted, in milliseconds. */
    private static final int INTERRUPT_CHECK_MILLIS = 50;

    private final InetSocketAddress address;
    private final String label;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final Duration deadline;
    private final Optional<String> user;
    private final boolean compress;
    private final long maxReplySize;
    private final SocketFactory socketFactory;

    private SpamdClient(Builder b) {
        this.address = b.address;
        // [::1]:783 as clamd's addresses and the configuration write it; ::1:783 reads as one IPv6 address
        this.label = org.mailhygiene.internal.HostPorts.of(b.address.getHostString(), b.address.getPort());
        this.connectTimeout = b.connectTimeout;
        this.readTimeout = b.readTimeout;
        this.deadline = b.deadline;
        this.user = b.user;
        this.compress = b.compress;
        this.maxReplySize = b.maxReplySize;
        this.socketFactory = b.socketFactory;
    }

    /**
     * Starts a builder for the spamd at {@code host:port}. The host name is resolved at each connect.
     *
     * @param host a host name or IP literal
     * @param port the TCP port, 1..65535 (spamd's default is 783)
     * @return a new builder with the defaults in the class description
     * @throws IllegalArgumentException if the host is blank or an IPv4 address with a leading zero in a number
     *     ({@code 127.0.0.01}: octal to some programs), or the port out of range
     */
    public static Builder builder(String host, int port) {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("spamd host must not be blank");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("spamd port must be 1..65535, was " + port);
        }
        String leadingZero = org.mailhygiene.internal.Ipv4.leadingZeroProblem(host);
        if (leadingZero != null) {
            throw new IllegalArgumentException("spamd host " + leadingZero);
        }
        return new Builder(InetSocketAddress.createUnresolved(host, port));
    }

    /**
     * Parses {@code HOST:PORT} ({@code [v6addr]:PORT} for IPv6 literals) and starts a builder.
     *
     * @param hostPort the address
     * @return a new builder
     * @throws IllegalArgumentException if the text is not {@code HOST:PORT} with a valid port
     */
    public static Builder builder(String hostPort) {
        Objects.requireNonNull(hostPort, "hostPort");
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException("spamd address must be HOST:PORT, was " + hostPort);
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new IllegalArgumentException("write IPv6 spamd addresses as [addr]:PORT, was " + hostPort);
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("spamd port is not a number in " + hostPort, e);
        }
        return builder(host, port);
    }

    /**
     * The address, as {@code host:port}, an IPv6 address in brackets ({@code [::1]:783}).
     *
     * @return the address text used in messages and failover member names
     */
    public String address() {
        return label;
    }

    /**
     * The connect timeout.
     *
     * @return the configured value
     */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /**
     * The read timeout.
     *
     * @return the configured value
     */
    public Duration readTimeout() {
        return readTimeout;
    }

    /**
     * The whole-request deadline.
     *
     * @return the configured value
     */
    public Duration deadline() {
        return deadline;
    }

    /**
     * The {@code User} header value sent with every request that does not name its own.
     *
     * @return the user, or empty when none is sent
     */
    public Optional<String> user() {
        return user;
    }

    /**
     * Whether message bodies are sent with {@code Compress: zlib}.
     *
     * @return the setting
     */
    public boolean compress() {
        return compress;
    }

    /**
     * The largest reply accepted.
     *
     * @return bytes
     */
    public long maxReplySize() {
        return maxReplySize;
    }

    /**
     * Sends {@code PING} and waits for {@code PONG}.
     *
     * @return the round-trip time
     * @throws SpamdException if spamd cannot be reached, times out, or answers anything but {@code PONG}
     * @throws InterruptedException if the thread was interrupted before or during the request
     */
    public Duration ping() throws SpamdException, InterruptedException {
        return ping(deadline);
    }

    /**
     * Sends {@code PING} and waits for {@code PONG} within {@code budget} (or the client's deadline, if shorter): a
     * health check that must not wait the read timeout (30 s by default) for a spamd that accepts connections and
     * never answers (stopped, or every child busy).
     *
     * @param budget the longest the whole request may take, connect included; positive
     * @return the round-trip time
     * @throws SpamdException if spamd cannot be reached, times out, or answers anything but {@code PONG}
     * @throws InterruptedException if the thread was interrupted before or during the request
     * @throws IllegalArgumentException if {@code budget} is not positive
     */
    public Duration ping(Duration budget) throws SpamdException, InterruptedException {
        Checks.requirePositive(budget, "budget");
        long start = System.nanoTime();
        execute(SpamdRequest.ping(), budget);
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /**
     * {@code CHECK}: the verdict only.
     *
     * @param content the message
     * @return the reply, with {@link SpamdResponse#spam()}, score and threshold
     * @throws SpamdException as {@link #execute(SpamdRequest, Duration)}
     * @throws InterruptedException if the thread was interrupted before or during the request
     */
    public SpamdResponse check(MessageContent content) throws SpamdException, InterruptedException {
        return execute(SpamdRequest.of(SpamdCommand.CHECK, content));
    }

    /**
     * {@code SYMBOLS}: the verdict and the names of the rules that fired ({@link SpamdResponse#symbols()}).
     *
     * @param content the message
     * @return the reply
     * @throws SpamdException as {@link #execute(SpamdRequest, Duration)}
     * @throws InterruptedException if the thread was interrupted before or during the request
     */
    public SpamdResponse symbols(MessageContent content) throws SpamdException, InterruptedException {
        return execute(SpamdRequest.of(SpamdCommand.SYMBOLS, content));
    }

    /**
     * {@code REPORT}: the verdict and the text report ({@link SpamdResponse#reportRules()}).
     *
     * @param content the message
     * @return the reply
     * @throws SpamdException as {@link #execute(SpamdRequest, Duration)}
     * @throws InterruptedException if the thread was interrupted before or during the request
     */
    public SpamdResponse report(MessageContent content) throws SpamdException, InterruptedException {
        return execute(SpamdRequest.of(SpamdCommand.REPORT, content));
    }

    /**
     * {@code REPORT_IFSPAM}: the verdict, and the text report only when spamd thinks it is spam.
     *
     * @param content the message
     * @return the reply
     * @throws SpamdException as {@link #execute(SpamdRequest, Duration)}
     * @throws InterruptedException if the thread was interrupted before or during the request
     */
    public SpamdResponse reportIfSpam(MessageContent content) throws SpamdException, InterruptedException {
        return execute(SpamdRequest.of(SpamdCommand.REPORT_IFSPAM, content));
    }

    /**
     * {@code PROCESS}: the verdict and the message as spamd rewrote it.
     *
     * @param content the message
     * @return the reply; its body is the rewritten message
     * @throws SpamdException as {@link #execute(SpamdRequest, Duration)}
     * @throws InterruptedException if the thread was interrupted before or during the request
     */
    public SpamdResponse process(MessageContent content) throws SpamdException, InterruptedException {
        return execute(SpamdRequest.of(SpamdCommand.PROCESS, content));
    }

    /**
     * {@code HEADERS}: the verdict and the rewritten header block.
     *
     * @param content the message
     * @return the reply; its body is the header block
     * @throws SpamdException as {@link #execute(SpamdRequest, Duration)}
     * @throws InterruptedException if the thread was interrupted before or during the request
     */
    public SpamdResponse headers(MessageContent content) throws SpamdException, InterruptedException {
        return execute(SpamdRequest.of(SpamdCommand.HEADERS, content));
    }

    /**
     * {@code TELL}: learn or forget a message. spamd must run with {@code --allow-tell}, or it answers
     * {@code EX_UNAVAILABLE} (thrown as {@link ScanFailure.Kind#UNAVAILABLE}).
     *
     * @param content the message
     * @param tell what to do
     * @return the reply; see {@link SpamdResponse#didSet()} and {@link SpamdResponse#didRemove()}
     * @throws SpamdException as {@link #execute(SpamdRequest, Duration)}
     * @throws InterruptedException if the thread was interrupted before or during the request
     */
    public SpamdResponse tell(MessageContent content, TellRequest tell) throws SpamdException, InterruptedException {
        return execute(SpamdRequest.tell(content, tell));
    }

    /**
     * Sends a request within the client's own deadline.
     *
     * @param request the request
     * @return the reply
     * @throws SpamdException as {@link #execute(SpamdRequest, Duration)}
     * @throws InterruptedException if the thread was interrupted before or during the request
     */
    public SpamdResponse execute(SpamdRequest request) throws SpamdException, InterruptedException {
        return execute(request, deadline);
    }

    /**
     * Sends a request and reads the reply, within the smaller of the client's deadline and {@code budget}.
     *
     * @param request the request
     * @param budget time left to the caller (for example the remaining time of a failover group call)
     * @return the {@code EX_OK} reply
     * @throws SpamdException with {@link ScanFailure.Kind#UNAVAILABLE} when spamd cannot be reached or closes without
     *     a reply, {@link ScanFailure.Kind#TIMED_OUT} when a timeout or the deadline passes,
     *     {@link ScanFailure.Kind#PROTOCOL_ERROR} for an unparsable reply, {@link ScanFailure.Kind#SCANNER_ERROR} when
     *     the message cannot be read, and the mapped kind for a non-zero response code
     * @throws InterruptedException if the thread was interrupted before or during the request: an interrupt during
     *     it closes the socket within 50 ms, on platform threads (whose blocking socket
     *     reads the JDK does not interrupt) as on virtual ones, and is not reported as a failure of spamd
     */
    public SpamdResponse execute(SpamdRequest request, Duration budget) throws SpamdException, InterruptedException {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(budget, "budget");
        if (Thread.interrupted()) {
            throw new InterruptedException("interrupted before contacting spamd " + label);
        }
        Duration limit = budget.compareTo(deadline) < 0 ? budget : deadline;
        if (limit.isNegative() || limit.isZero()) {
            throw new SpamdException(ScanFailure.Kind.TIMED_OUT, "no time left to ask spamd " + label, -1, true, null);
        }
        byte[] compressed = compress && request.content().isPresent()
                ? deflate(request.content().get())
                : null;
        long end = System.nanoTime() + limit.toNanos();
        Socket socket;
        try {
            socket = socketFactory.createSocket();
        } catch (IOException e) {
            throw new SpamdException(
                    ScanFailure.Kind.SCANNER_ERROR,
                    "cannot create a socket for spamd " + label + ": " + e,
                    -1,
                    false,
                    e);
        }
        AtomicBoolean expired = new AtomicBoolean();
        ScheduledFuture<?> watchdog = Watchdog.EXECUTOR.schedule(
                () -> {
                    expired.set(true);
                    closeQuietly(socket);
                },
                limit.toNanos(),
                TimeUnit.NANOSECONDS);
        // A platform thread blocked in a socket read does not see its interrupt: watch for it and close the socket,
        // so that a cancelled scan (the pipeline's deadline, a pipeline closing) ends now, not at the read timeout.
        Thread caller = Thread.currentThread();
        AtomicBoolean interrupted = new AtomicBoolean();
        ScheduledFuture<?> interruptWatch = Watchdog.EXECUTOR.scheduleWithFixedDelay(
                () -> {
                    if (caller.isInterrupted() && interrupted.compareAndSet(false, true)) {
                        closeQuietly(socket);
                    }
                },
                INTERRUPT_CHECK_MILLIS,
                INTERRUPT_CHECK_MILLIS,
                TimeUnit.MILLISECONDS);
        boolean connected = false;
        try {
            InetSocketAddress resolved = new InetSocketAddress(address.getHostString(), address.getPort());
            if (resolved.isUnresolved()) {
                throw new SpamdException(
                        ScanFailure.Kind.UNAVAILABLE, "cannot resolve spamd host " + label, -1, true, null);
            }
            socket.connect(resolved, millis(min(connectTimeout, remaining(end))));
            connected = true;
            socket.setTcpNoDelay(true);
            IOException writeFailure = null;
            try {
                writeRequest(socket, request, compressed);
            } catch (ContentReadException e) {
                throw new SpamdException(
                        ScanFailure.Kind.SCANNER_ERROR,
                        "cannot read the message to send to spamd " + label + ": " + e.getMessage(),
                        -1,
                        false,
                        e.getCause());
            } catch (IOException e) {
                if (expired.get()) {
                    throw e;
                }
                writeFailure = e; // spamd may have answered an error and closed: read it below
            }
            return readReply(socket, request.command(), end, writeFailure);
        } catch (SpamdException e) {
            throwIfInterrupted(interrupted, e);
            if (expired.get()) {
                throw deadlineExceeded(limit, e);
            }
            throw e;
        } catch (SocketTimeoutException e) {
            throwIfInterrupted(interrupted, e);
            // The socket's timeout is the shorter of the connect or read timeout and the time left: when the time
            // left was shorter, the deadline passed (the watchdog may not have closed the socket yet), and naming the
            // 30 s read timeout after a 5 s probe timeout would send the reader to the wrong setting.
            if (expired.get() || end - System.nanoTime() <= DEADLINE_SLACK_NANOS) {
                throw deadlineExceeded(limit, e);
            }
            String what = connected
                    ? "no reply from spamd " + label + " within the read timeout " + Durations.format(readTimeout)
                    : "connect to spamd " + label + " timed out after " + Durations.format(connectTimeout);
            throw new SpamdException(ScanFailure.Kind.TIMED_OUT, what, -1, true, e);
        } catch (ConnectException | NoRouteToHostException | UnknownHostException e) {
            throwIfInterrupted(interrupted, e);
            if (expired.get()) {
                throw deadlineExceeded(limit, e);
            }
            throw new SpamdException(
                    ScanFailure.Kind.UNAVAILABLE,
                    "cannot connect to spamd " + label + ": " + e.getMessage(),
                    -1,
                    true,
                    e);
        } catch (IOException e) {
            throwIfInterrupted(interrupted, e);
            if (expired.get()) {
                throw deadlineExceeded(limit, e);
            }
            throw new SpamdException(
                    ScanFailure.Kind.UNAVAILABLE, "connection to spamd " + label + " failed: " + e, -1, true, e);
        } finally {
            interruptWatch.cancel(false);
            watchdog.cancel(false);
            closeQuietly(socket);
        }
    }

    /**
     * A request that failed because its thread was interrupted (the watch closed the socket, or the JDK did for a
     * virtual thread) ends with {@link InterruptedException}, the interrupt status cleared as its contract says, and
     * never as a failure of spamd, which would mark it down.
     */
    private void throwIfInterrupted(AtomicBoolean interrupted, Exception cause) throws InterruptedException {
        if (interrupted.get() || Thread.currentThread().isInterrupted()) {
            Thread.interrupted();
            InterruptedException e = new InterruptedException("interrupted while asking spamd " + label);
            e.initCause(cause);
            throw e;
        }
    }

    private SpamdException deadlineExceeded(Duration limit, Exception cause) {
        return new SpamdException(
                ScanFailure.Kind.TIMED_OUT,
                "spamd " + label + " request deadline of " + Durations.format(limit) + " passed",
                -1,
                true,
                cause);
    }

    private void writeRequest(Socket socket, SpamdRequest request, byte[] compressed) throws IOException {
        OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
        StringBuilder head = new StringBuilder(128);
        head.append(request.command().name()).append(' ').append(PROTOCOL).append("\r\n");
        long length = 0;
        if (request.content().isPresent()) {
            length = compressed != null
                    ? compressed.length
                    : request.content().get().size();
            head.append("Content-length: ").append(length).append("\r\n");
            Optional<String> u = request.user().isPresent() ? request.user() : user;
            u.ifPresent(name -> head.append("User: ").append(name).append("\r\n"));
            if (compressed != null) {
                head.append("Compress: zlib\r\n");
            }
            request.tell().ifPresent(t -> head.append(t.headerLines()));
        }
        head.append("\r\n");
        out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
        if (compressed != null) {
            out.write(compressed);
        } else if (request.content().isPresent()) {
            copyExactly(request.content().get(), out, length);
        }
        out.flush();
        socket.shutdownOutput();
    }

    private static void copyExactly(MessageContent content, OutputStream out, long length) throws IOException {
        InputStream in;
        try {
            in = content.openStream();
        } catch (IOException e) {
            throw new ContentReadException(e);
        }
        try (in) {
            byte[] buf = new byte[64 * 1024];
            long sent = 0;
            while (true) {
                int n;
                try {
                    n = in.read(buf);
                } catch (IOException e) {
                    throw new ContentReadException(e);
                }
                if (n < 0) {
                    break;
                }
                if (sent + n > length) {
                    throw new ContentReadException(
                            new IOException("message content is longer than its declared size " + length));
                }
                out.write(buf, 0, n);
                sent += n;
            }
            if (sent != length) {
                throw new ContentReadException(
                        new IOException("message content ended after " + sent + " of " + length + " bytes"));
            }
        }
    }

    private static byte[] deflate(MessageContent content) throws SpamdException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream((int) Math.min(content.size() / 3 + 64, 1 << 20));
        try (InputStream in = content.openStream();
                DeflaterOutputStream z = new DeflaterOutputStream(buf)) {
            in.transferTo(z);
        } catch (IOException e) {
            throw new SpamdException(
                    ScanFailure.Kind.SCANNER_ERROR, "cannot read the message to compress it: " + e, -1, false, e);
        }
        return buf.toByteArray();
    }

    private SpamdResponse readReply(Socket socket, SpamdCommand command, long end, IOException writeFailure)
            throws IOException, SpamdException {
        InputStream in = new BufferedInputStream(socket.getInputStream(), 8192);
        socket.setSoTimeout(millis(min(readTimeout, remaining(end))));
        String status;
        try {
            status = readLine(in);
        } catch (IOException e) {
            if (writeFailure != null) {
                writeFailure.addSuppressed(e);
                throw writeFailure;
            }
            if (e instanceof LineCutOff cut) {
                throw cutOff("in its status line (after " + cut.bytes + " bytes)");
            }
            throw e;
        }
        if (status == null) {
            if (writeFailure != null) {
                throw writeFailure;
            }
            throw new SpamdException(
                    ScanFailure.Kind.UNAVAILABLE,
                    "spamd " + label + " closed the connection without a reply",
                    -1,
                    true,
                    null);
        }
        SpamdReplies.StatusLine line;
        try {
            line = SpamdReplies.parseStatusLine(status);
        } catch (IllegalArgumentException e) {
            throw new SpamdException(
                    ScanFailure.Kind.PROTOCOL_ERROR, "spamd " + label + ": " + e.getMessage(), -1, true, e);
        }
        if (line.code() != 0) {
            throw SpamdException.forResponseCode(line.code(), line.text(), label);
        }
        if (writeFailure != null) {
            throw writeFailure; // an EX_OK status after a failed write cannot be trusted
        }
        if (command == SpamdCommand.PING && !line.text().equals("PONG")) {
            throw new SpamdException(
                    ScanFailure.Kind.PROTOCOL_ERROR,
                    "spamd " + label + " answered PING with " + SpamdReplies.printable(status),
                    -1,
                    true,
                    null);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        int count = 0;
        while (true) {
            socket.setSoTimeout(millis(min(readTimeout, remaining(end))));
            String h;
            try {
                h = readLine(in);
            } catch (LineCutOff cut) {
                throw cutOff("in header line " + (count + 1) + " (after " + cut.bytes + " bytes of it)");
            }
            if (h == null) {
                if (command == SpamdCommand.PING) {
                    break; // spamd's PONG is the status line alone
                }
                // spamd ends every other reply's headers with an empty line: without it the reply was cut off (the
                // connection closed mid-reply), and what the missing part said is unknown
                throw cutOff("before the empty line that ends its headers (after "
                        + (count == 0 ? "the status line" : count + " header line" + (count == 1 ? "" : "s"))
                        + ")");
            }
            if (h.isEmpty()) {
                break;
            }
            if (++count > MAX_HEADERS) {
                throw protocol("more than " + MAX_HEADERS + " reply headers");
            }
            int colon = h.indexOf(':');
            if (colon <= 0) {
                throw protocol("malformed reply header: " + SpamdReplies.printable(h));
            }
            String name = h.substring(0, colon).strip();
            String lower = name.toLowerCase(Locale.ROOT);
            if ((lower.equals("spam") || lower.equals("content-length")) && header(headers, name) != null) {
                // which of two verdicts or lengths would be spamd's? Neither is believed.
                throw protocol("reply header " + SpamdReplies.printable(name) + " given twice");
            }
            headers.put(name, h.substring(colon + 1).strip());
        }
        Optional<Boolean> spam = Optional.empty();
        OptionalDouble score = OptionalDouble.empty();
        OptionalDouble threshold = OptionalDouble.empty();
        String spamValue = header(headers, "Spam");
        if (spamValue != null) {
            try {
                SpamdReplies.SpamHeader sh = SpamdReplies.parseSpamHeader(spamValue);
                spam = Optional.of(sh.spam());
                score = sh.score();
                threshold = sh.threshold();
            } catch (IllegalArgumentException e) {
                throw protocol(e.getMessage());
            }
        }
        String lengthValue = header(headers, "Content-length");
        byte[] body;
        if (lengthValue != null) {
            long length;
            try {
                // spamd writes plain digits; Long.parseLong would also take a sign
                if (!lengthValue.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    throw new NumberFormatException();
                }
                length = Long.parseLong(lengthValue);
            } catch (NumberFormatException e) {
                throw protocol("malformed reply Content-length: " + SpamdReplies.printable(lengthValue));
            }
            if (length < 0 || length > maxReplySize) {
                throw protocol("reply Content-length " + length + " is outside 0.." + maxReplySize);
            }
            body = readBody(socket, in, end, length, true);
        } else {
            body = readBody(socket, in, end, maxReplySize, false);
        }
        return new SpamdResponse(command, line.version(), headers, spam, score, threshold, body);
    }

    private byte[] readBody(Socket socket, InputStream in, long end, long limit, boolean exact)
            throws IOException, SpamdException {
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(limit, 64 * 1024));
        byte[] buf = new byte[16 * 1024];
        long total = 0;
        while (!exact || total < limit) {
            socket.setSoTimeout(millis(min(readTimeout, remaining(end))));
            int want = exact ? (int) Math.min(buf.length, limit - total) : buf.length;
            int n = in.read(buf, 0, want);
            if (n < 0) {
                if (exact) {
                    throw cutOff("after " + total + " of the " + limit + " body bytes its Content-length announced");
                }
                break;
            }
            total += n;
            if (!exact && total > limit) {
                throw protocol("reply is larger than " + limit + " bytes");
            }
            out.write(buf, 0, n);
        }
        if (exact) {
            // spamd closes the connection after the body, as spamc checks ("failed sanity check, N bytes claimed, M
            // bytes seen"): bytes after it mean the Content-length lied, and the body read is not all spamd said
            socket.setSoTimeout(millis(min(readTimeout, remaining(end))));
            int more = in.read(buf);
            if (more > 0) {
                throw protocol("reply Content-length " + limit + " is less than the body: at least " + more
                        + " more byte" + (more == 1 ? "" : "s") + " followed it");
            }
        }
        return out.toByteArray();
    }

    /**
     * A reply whose connection closed before it was whole: spamd stopped, was killed or restarted mid-reply. It is
     * {@link ScanFailure.Kind#UNAVAILABLE}, as a connection closed before any reply byte, and never a verdict.
     */
    private SpamdException cutOff(String where) {
        return new SpamdException(
                ScanFailure.Kind.UNAVAILABLE,
                "spamd " + label + " closed the connection mid-reply, " + where + "; not scanned",
                -1,
                true,
                null);
    }

    private SpamdException protocol(String detail) {
        return new SpamdException(ScanFailure.Kind.PROTOCOL_ERROR, "spamd " + label + ": " + detail, -1, true, null);
    }

    private static String header(Map<String, String> headers, String name) {
        for (Map.Entry<String, String> e : headers.entrySet()) {
            if (e.getKey().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
                return e.getValue();
            }
        }
        return null;
    }

    /**
     * Thrown by {@link #readLine} for a line the connection closed inside (bytes, then the end before a line end): the
     * reply was cut off, which {@link #readReply} reports as {@link ScanFailure.Kind#UNAVAILABLE}.
     */
    private static final class LineCutOff extends EOFException {
        private static final long serialVersionUID = 1L;
        /** How many bytes of the line arrived. */
        private final int bytes;

        LineCutOff(int bytes) {
            super("the connection closed inside a reply line, after " + bytes + " bytes of it");
            this.bytes = bytes;
        }
    }

    /**
     * Reads one line without its CRLF or LF; null at EOF before any byte.
     *
     * @throws LineCutOff at EOF after some bytes of a line
     */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(80);
        while (true) {
            int c = in.read();
            if (c < 0) {
                if (line.size() == 0) {
                    return null;
                }
                // spamd ends every line with CRLF: the connection closed inside this one (until session 55 the part
                // was read as the whole line, so "SPAMD/1.1 " was a protocol error and "SPAMD/1.1 7" code 7)
                throw new LineCutOff(line.size());
            }
            if (c == '\n') {
                break;
            }
            if (line.size() >= MAX_LINE) {
                throw new EOFException("reply line longer than " + MAX_LINE + " bytes");
            }
            line.write(c);
        }
        String s = line.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    /**
     * A socket timeout set to the time left fires up to a millisecond early ({@link #millis} truncates): one that
     * fires this close to the deadline was the deadline's.
     */
    private static final long DEADLINE_SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private static Duration remaining(long end) {
        return Duration.ofNanos(Math.max(0, end - System.nanoTime()));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static int millis(Duration d) {
        long ms = d.toMillis();
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, ms));
    }

    @Override
    public String toString() {
        return "SpamdClient[" + label + "]";
    }

    /** Marks a failure to read the message being sent, as opposed to a failure of the connection. */
    private static final class ContentReadException extends IOException {
        private static final long serialVersionUID = 1L;

        ContentReadException(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** One daemon thread that closes sockets whose request deadline passed. */
    private static final class Watchdog {
        static final ScheduledExecutorService EXECUTOR = Timers.daemonScheduler("spamd-deadline");
    }

    /**
     * Builds a {@link SpamdClient}. Each setter validates its value at once. Not thread-safe.
     */
    public static final class Builder {
        private final InetSocketAddress address;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration readTimeout = DEFAULT_READ_TIMEOUT;
        private Duration deadline = DEFAULT_DEADLINE;
        private Optional<String> user = Optional.empty();
        private boolean compress;
        private long maxReplySize = DEFAULT_MAX_REPLY_SIZE;
        private SocketFactory socketFactory = SocketFactory.getDefault();

        private Builder(InetSocketAddress address) {
            this.address = address;
        }

        /**
         * The connect timeout. Default 5 s.
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder connectTimeout(Duration value) {
            connectTimeout = Checks.requirePositive(value, "connectTimeout");
            return this;
        }

        /**
         * The longest spamd may stay silent while we wait for its reply. Default 30 s.
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder readTimeout(Duration value) {
            readTimeout = Checks.requirePositive(value, "readTimeout");
            return this;
        }

        /**
         * The whole-request deadline, from connect to the last reply byte. Default 60 s.
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder deadline(Duration value) {
            deadline = Checks.requirePositive(value, "deadline");
            return this;
        }

        /**
         * The {@code User} header sent with each message, choosing spamd's per-user preferences. Default none.
         *
         * @param name printable ASCII without spaces
         * @return this builder
         * @throws IllegalArgumentException if blank or holding control characters, spaces or non-ASCII
         */
        public Builder user(String name) {
            SpamdRequest.checkUser(name);
            user = Optional.of(name);
            return this;
        }

        /**
         * Whether to send bodies zlib-compressed ({@code Compress: zlib}). Saves bandwidth to a remote spamd, costs
         * CPU and holds the compressed message in heap. Default {@code false}.
         *
         * @param value the setting
         * @return this builder
         */
        public Builder compress(boolean value) {
            compress = value;
            return this;
        }

        /**
         * The largest reply accepted; a bigger one is a protocol error. Default 16 MiB.
         *
         * @param bytes a positive size
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder maxReplySize(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("maxReplySize must be positive, was " + bytes);
            }
            maxReplySize = bytes;
            return this;
        }

        /**
         * Where sockets come from, e.g. an {@code SSLSocketFactory} for spamd's {@code --ssl}. Default
         * {@link SocketFactory#getDefault()}.
         *
         * @param value the factory; its {@code createSocket()} must return an unconnected socket
         * @return this builder
         */
        public Builder socketFactory(SocketFactory value) {
            socketFactory = Objects.requireNonNull(value, "socketFactory");
            return this;
        }

        /**
         * Builds the client.
         *
         * @return a new client
         */
        public SpamdClient build() {
            return new SpamdClient(this);
        }
    }
}
