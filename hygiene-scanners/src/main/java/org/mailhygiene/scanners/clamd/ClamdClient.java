package org.mailhygiene.scanners.clamd;

import static org.mailhygiene.internal.Closeables.closeQuietly;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.mailhygiene.api.ScanFailure.Kind;
import org.mailhygiene.internal.Checks;
import org.mailhygiene.internal.Durations;

/**
 * A low-level clamd client: one connection per command, {@code z}-framed commands (NUL-terminated, the form clamd
 * recommends), over TCP or a unix-domain socket.
 *
 * <p>Commands: {@link #ping}, {@link #version}, {@link #reload}, {@link #stats} and {@link #instream}, which streams
 * content in chunks of {@link Builder#chunkSize} bytes (each a 4-byte big-endian length and the bytes, then a zero
 * length), so a message is never held in heap. Every I/O wait is bounded: connecting by the connect timeout, each
 * read or write by the read timeout (no progress for that long fails), and the whole command by the deadline passed
 * to it. A connection is opened for each command: the measurement in {@code benchmarks/README.md} found no gain from
 * IDSESSION pipelining or pooling on loopback, and clamd closes a connection after each reply outside IDSESSION. The
 * selector that bounds each connection's waits is reused: up to 32 idle selectors are kept, shared by every client, so
 * a command does not open and close an epoll instance of its own.
 *
 * <p>Failures are {@link ClamdException}s whose {@link ClamdException#kind()} says what a scanner must report. When
 * clamd stops reading in the middle of a stream (StreamMaxLength), the client usually sees a broken pipe or reset
 * first; it then still reads the reply clamd sent, so the size-limit error is reported as
 * {@link Kind#TOO_LARGE}, not as a lost connection.
 *
 * <p>Defaults: connect timeout {@value #DEFAULT_CONNECT_TIMEOUT_SECONDS} s, read timeout
 * {@value #DEFAULT_READ_TIMEOUT_SECONDS} s, chunk size {@value #DEFAULT_CHUNK_SIZE} bytes, longest reply accepted
 * {@value #MAX_REPLY_BYTES} bytes.
 *
 * <p>Immutable and thread-safe: concurrent commands use separate connections.
 */
public final class ClamdClient {
    /** Default connect timeout in seconds. */
    public static final int DEFAULT_CONNECT_TIMEOUT_SECONDS = 5;
    /** Default read timeout (longest wait without progress) in seconds. */
    public static final int DEFAULT_READ_TIMEOUT_SECONDS = 30;
    /** Default INSTREAM chunk size in bytes. */
    public static final int DEFAULT_CHUNK_SIZE = 65536;
    /** The longest reply accepted; longer replies are protocol errors. */
    public static final int MAX_REPLY_BYTES = 1 << 20;

    /**
     * Idle selectors kept for later commands: opening one per command costs an epoll instance and an eventfd (five
     * system calls and their closing). At most this many are kept, shared by every client in this class loader; a
     * selector goes back only with no key registered and no wake-up pending.
     */
    private static final int MAX_IDLE_SELECTORS = 32;

    private static final ConcurrentLinkedQueue<Selector> IDLE_SELECTORS = new ConcurrentLinkedQueue<>();
    private static final AtomicInteger IDLE_SELECTOR_COUNT = new AtomicInteger();

    private final ClamdAddress address;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final int chunkSize;

    private ClamdClient(Builder b) {
        this.address = b.address;
        this.connectTimeout = b.connectTimeout;
        this.readTimeout = b.readTimeout;
        this.chunkSize = b.chunkSize;
    }

    /**
     * Starts a builder.
     *
     * @param address where clamd listens
     * @return a new builder with the defaults in the class description
     */
    public static Builder builder(ClamdAddress address) {
        return new Builder(address);
    }

    /**
     * A client with default settings.
     *
     * @param address where clamd listens
     * @return the client
     */
    public static ClamdClient of(ClamdAddress address) {
        return builder(address).build();
    }

    /**
     * Where this client connects.
     *
     * @return the address
     */
    public ClamdAddress address() {
        return address;
    }

    /**
     * The connect timeout.
     *
     * @return the timeout
     */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /**
     * The read timeout: the longest wait for any progress (a reply byte, or room to write).
     *
     * @return the timeout
     */
    public Duration readTimeout() {
        return readTimeout;
    }

    /**
     * The INSTREAM chunk size.
     *
     * @return bytes per chunk
     */
    public int chunkSize() {
        return chunkSize;
    }

    /**
     * Sends {@code PING}.
     *
     * <p>A server that is not clamd is named by its first line as soon as it says something other than
     * {@code PONG} (an SMTP or SSH greeting, an HTTP error page), without waiting for the deadline; one that says
     * nothing is waited for until the deadline or the read timeout.
     *
     * @param deadline the most time the whole command may take
     * @return the reply, {@code PONG}
     * @throws ClamdException UNAVAILABLE if clamd cannot be reached; TIMED_OUT if nothing answers within the deadline
     *     or the read timeout; PROTOCOL_ERROR naming the address and the first line of the answer if it is anything
     *     but {@code PONG}
     * @throws InterruptedException if the thread is interrupted
     */
    public String ping(Duration deadline) throws ClamdException, InterruptedException {
        Objects.requireNonNull(deadline, "deadline");
        long end = deadlineNanos(deadline);
        String reply;
        try (Connection c = connect(end)) {
            c.writeFully(ByteBuffer.wrap("zPING\0".getBytes(StandardCharsets.US_ASCII)), false);
            // the first byte that is not PONG's ends the wait: another kind of server on the port (an SMTP or SSH
            // greeting, an HTTP error page) is named at once instead of after the read timeout
            reply = c.readReply("PING", "PONG");
        } catch (ClamdException e) {
            if (e.kind() == Kind.TIMED_OUT) {
                throw new ClamdException(
                        Kind.TIMED_OUT,
                        address + ": no answer to PING within " + deadline.toMillis() + " ms (the port accepted the"
                                + " connection but said nothing: not clamd, or a clamd too busy to answer)",
                        e);
            }
            throw e;
        }
        if (!reply.equals("PONG")) {
            throw new ClamdException(
                    Kind.PROTOCOL_ERROR,
                    address + ": not clamd: PING answered '" + abbreviate(reply) + "' (clamd answers PONG)",
                    null);
        }
        return reply;
    }

    /**
     * Sends {@code VERSION}.
     *
     * @param deadline the most time the whole command may take
     * @return the parsed version (with or without the database part)
     * @throws ClamdException if clamd cannot be reached, times out or does not answer with a version
     * @throws InterruptedException if the thread is interrupted
     */
    public ClamdVersion version(Duration deadline) throws ClamdException, InterruptedException {
        String reply = command("VERSION", deadline);
        try {
            return ClamdVersion.parse(reply);
        } catch (IllegalArgumentException e) {
            throw new ClamdException(Kind.PROTOCOL_ERROR, address + ": " + e.getMessage(), e);
        }
    }

    /**
     * Sends {@code RELOAD}. clamd reloads its databases asynchronously; scans keep working on the old databases until
     * the new ones are loaded.
     *
     * @param deadline the most time the whole command may take
     * @return the reply, {@code RELOADING}
     * @throws ClamdException if clamd cannot be reached, times out or answers anything but {@code RELOADING}
     * @throws InterruptedException if the thread is interrupted
     */
    public String reload(Duration deadline) throws ClamdException, InterruptedException {
        String reply = command("RELOAD", deadline);
        if (!reply.equals("RELOADING")) {
            throw new ClamdException(
                    Kind.PROTOCOL_ERROR, address + ": RELOAD answered '" + abbreviate(reply) + "'", null);
        }
        return reply;
    }

    /**
     * Sends {@code STATS}.
     *
     * @param deadline the most time the whole command may take
     * @return the parsed statistics
     * @throws ClamdException if clamd cannot be reached, times out or answers without the {@code END} line
     * @throws InterruptedException if the thread is interrupted
     */
    public ClamdStats stats(Duration deadline) throws ClamdException, InterruptedException {
        String reply = command("STATS", deadline);
        try {
            return ClamdStats.parse(reply);
        } catch (IllegalArgumentException e) {
            throw new ClamdException(Kind.PROTOCOL_ERROR, address + ": " + e.getMessage(), e);
        }
    }

    /**
     * Sends a command without arguments ({@code zNAME\0}) and returns its reply without terminator.
     *
     * @param name the command, e.g. {@code PING}
     * @param deadline the most time the whole command may take
     * @return the reply text
     * @throws ClamdException if clamd cannot be reached, times out, or the reply is too long or unterminated
     * @throws InterruptedException if the thread is interrupted
     */
    public String command(String name, Duration deadline) throws ClamdException, InterruptedException {
        Objects.requireNonNull(name, "name");
        long end = deadlineNanos(deadline);
        try (Connection c = connect(end)) {
            c.writeFully(ByteBuffer.wrap(("z" + name + "\0").getBytes(StandardCharsets.US_ASCII)), false);
            return c.readReply(name);
        }
    }

    /**
     * Streams content with {@code INSTREAM} and returns clamd's classified reply.
     *
     * <p>The stream is read in chunks and is not closed. If it delivers more than {@code maxLength} bytes, streaming
     * stops at once and {@link Kind#TOO_LARGE} is thrown without waiting for clamd (the client-side cut-off that
     * makes "too large" deterministic). If clamd rejects the stream itself, {@link ClamdScanReply.Status#SIZE_LIMIT}
     * is returned. The reply is returned as classified; the caller decides what each status means, except that a
     * clean reply that arrives before the whole message was sent (clamd stopped reading, or something else answers on
     * its port) is a {@link Kind#PROTOCOL_ERROR}: nothing unread can have been judged clean. (Only detectable while
     * the socket's buffers are full; a reply to a message that fits them is read after the message.)
     *
     * @param content the bytes to scan
     * @param maxLength the most bytes to send, {@code >= 0}; set it to clamd's StreamMaxLength
     * @param deadline the most time the whole scan may take
     * @return the classified reply
     * @throws ClamdException UNAVAILABLE, TIMED_OUT, TOO_LARGE (client-side cut-off) or PROTOCOL_ERROR (a reply
     *     that is too long, see {@link #command}; a clean reply before the message was sent, without its terminating
     *     NUL, or followed by more data: a clean verdict needs clamd's whole and single reply; a reply line ended by a
     *     line end, which no z-mode INSTREAM reply of clamd's is, such as an SMTP server's greeting on a mistyped
     *     port, at once rather than after the read timeout)
     * @throws InterruptedException if the thread is interrupted
     * @throws IllegalArgumentException if {@code maxLength} is negative
     */
    public ClamdScanReply instream(InputStream content, long maxLength, Duration deadline)
            throws ClamdException, InterruptedException {
        Objects.requireNonNull(content, "content");
        if (maxLength < 0) {
            throw new IllegalArgumentException("maxLength must not be negative, was " + maxLength);
        }
        long end = deadlineNanos(deadline);
        try (Connection c = connect(end)) {
            // One write per chunk: the command travels with the first chunk and the terminating zero length with
            // the last, so no small segment waits on a delayed ACK.
            byte[] cmd = "zINSTREAM\0".getBytes(StandardCharsets.US_ASCII);
            ByteBuffer buf = ByteBuffer.allocate(cmd.length + 4 + chunkSize + 4);
            byte[] a = buf.array();
            long total = 0;
            boolean first = true;
            boolean done = false;
            boolean sent = false; // the terminating chunk written whole before any reply
            while (!done) {
                buf.clear();
                if (first) {
                    buf.put(cmd);
                    first = false;
                }
                int header = buf.position();
                int n = readChunk(content, a, header + 4, chunkSize);
                if (n < 0) {
                    buf.putInt(0);
                    done = true;
                } else {
                    total += n;
                    if (total > maxLength) {
                        throw new ClamdException(
                                Kind.TOO_LARGE,
                                address + ": message exceeds the stream limit of " + maxLength
                                        + " bytes (clamd StreamMaxLength); not scanned",
                                null);
                    }
                    buf.putInt(header, n).position(header + 4 + n);
                    if (n < chunkSize) { // readChunk fills whole chunks until the end of the stream
                        buf.putInt(0);
                        done = true;
                    }
                }
                buf.flip();
                if (!c.writeFully(buf, true)) {
                    break; // clamd answered (or closed) early: read what it said
                }
                sent = done;
            }
            ClamdScanReply reply = ClamdScanReply.parse(c.readReply("INSTREAM", true));
            if (reply.status() == ClamdScanReply.Status.CLEAN && (!c.terminated || c.trailing)) {
                // clamd ends every INSTREAM reply with a NUL and then says nothing more: a clean reply cut off by the
                // end of the connection, or followed by another reply, comes from something that is not clamd or
                // did not finish; a clean verdict needs a whole and single reply
                throw new ClamdException(
                        Kind.PROTOCOL_ERROR,
                        address + ": clamd's reply '" + reply.raw() + "' "
                                + (c.terminated ? "was followed by more data" : "ended without its terminating NUL")
                                + "; not scanned",
                        null);
            }
            if (!sent && reply.status() == ClamdScanReply.Status.CLEAN) {
                // clamd cannot have judged bytes it never read: a threat found early is believed, a clean one is not
                throw new ClamdException(
                        Kind.PROTOCOL_ERROR,
                        address + ": clamd answered '" + reply.raw() + "' before the whole message was sent (" + total
                                + " bytes read so far); not scanned",
                        null);
            }
            return reply;
        } catch (ClamdException e) {
            throw e;
        } catch (IOException e) {
            throw new ClamdException(Kind.UNAVAILABLE, address + ": reading the message failed: " + e, e);
        }
    }

    private static int readChunk(InputStream in, byte[] b, int off, int len) throws IOException {
        int n = 0;
        while (n < len) {
            int r = in.read(b, off + n, len - n);
            if (r < 0) {
                return n == 0 ? -1 : n;
            }
            n += r;
        }
        return n;
    }

    private long deadlineNanos(Duration deadline) {
        Checks.requirePositive(deadline, "deadline");
        long now = System.nanoTime();
        long d = deadline.compareTo(Duration.ofDays(365)) > 0
                ? Duration.ofDays(365).toNanos()
                : deadline.toNanos();
        return now + d;
    }

    private Connection connect(long endNanos) throws ClamdException, InterruptedException {
        SocketChannel ch = null;
        Selector sel = null;
        try {
            ch = address.isUnix() ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
            if (!address.isUnix()) {
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            ch.configureBlocking(false);
            sel = takeSelector();
            boolean connected = ch.connect(address.toSocketAddress());
            if (!connected) {
                SelectionKey key = ch.register(sel, SelectionKey.OP_CONNECT);
                long wait = Math.min(connectTimeout.toNanos(), endNanos - System.nanoTime());
                while (!ch.finishConnect()) {
                    if (wait <= 0) {
                        throw new ClamdException(
                                Kind.TIMED_OUT,
                                address + ": connect timed out after " + Durations.format(connectTimeout),
                                null);
                    }
                    long t0 = System.nanoTime();
                    sel.select(Math.max(1, wait / 1_000_000));
                    sel.selectedKeys().clear();
                    checkInterrupt();
                    wait -= System.nanoTime() - t0;
                }
                key.cancel();
                sel.selectNow();
            }
            Connection c = new Connection(ch, sel, endNanos);
            ch = null;
            sel = null;
            return c;
        } catch (ClamdException | InterruptedException e) {
            throw e;
        } catch (SocketException e) {
            // ConnectException over TCP ("Connection refused"); over a unix socket the system's reason comes as a
            // plain SocketException ("No such file or directory" when clamd is stopped), said the same way
            // (one without a message read "connect failed: null"; its type says at least what failed)
            String reason = e.getMessage() != null && !e.getMessage().isBlank()
                    ? e.getMessage()
                    : e.getClass().getName() + " (no reason given)";
            // a directory or regular file at a socket path is refused as if clamd were only stopped: say what it is
            String notASocket = address.notASocket()
                    .map(why -> " (" + address.socketPath() + " " + why + ")")
                    .orElse("");
            throw new ClamdException(Kind.UNAVAILABLE, address + ": connect failed: " + reason + notASocket, e);
        } catch (IOException | RuntimeException e) {
            throw new ClamdException(Kind.UNAVAILABLE, address + ": connect failed: " + e, e);
        } finally {
            closeQuietly(sel, ch);
        }
    }

    /** The number of idle selectors kept now (for tests). */
    static int idleSelectors() {
        return IDLE_SELECTOR_COUNT.get();
    }

    private static Selector takeSelector() throws IOException {
        Selector s;
        while ((s = IDLE_SELECTORS.poll()) != null) {
            IDLE_SELECTOR_COUNT.decrementAndGet();
            if (s.isOpen()) {
                return s;
            }
        }
        return Selector.open();
    }

    /**
     * Keeps {@code sel} for a later command when its keys are all cancelled (they are deregistered here) and the pool
     * has room; otherwise closes it. An interrupted thread may leave a wake-up pending, so its selector is closed.
     */
    private static void releaseSelector(Selector sel) {
        try {
            if (sel.isOpen() && !Thread.currentThread().isInterrupted()) {
                sel.selectNow();
                sel.selectedKeys().clear();
                if (sel.keys().isEmpty()) {
                    if (IDLE_SELECTOR_COUNT.incrementAndGet() <= MAX_IDLE_SELECTORS) {
                        IDLE_SELECTORS.offer(sel);
                        return;
                    }
                    IDLE_SELECTOR_COUNT.decrementAndGet();
                }
            }
        } catch (IOException | RuntimeException e) {
            // closed below
        }
        closeQuietly(sel);
    }

    private static void checkInterrupt() throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException("clamd command interrupted");
        }
    }

    static String abbreviate(String s) {
        return ClamdStats.abbreviate(s);
    }

    /** One open connection with a deadline; all waits go through the selector. */
    private final class Connection implements AutoCloseable {
        private final SocketChannel ch;
        private final Selector sel;
        private final SelectionKey key;
        private final long endNanos;
        private final ByteArrayOutputStream early = new ByteArrayOutputStream();
        private boolean eof;
        /** Whether the last reply read ended with its NUL terminator (not at the end of the stream). */
        private boolean terminated;
        /** Whether bytes other than NULs and line ends followed the last reply's terminator in the same read. */
        private boolean trailing;

        Connection(SocketChannel ch, Selector sel, long endNanos) throws IOException {
            this.ch = ch;
            this.sel = sel;
            this.endNanos = endNanos;
            this.key = ch.register(sel, 0);
        }

        /**
         * Writes the whole buffer. When {@code watchReply} is set and clamd sends something (or closes) before the
         * buffer is written, stops and returns {@code false}: clamd has replied early (size limit) and the caller
         * should read the reply. A broken pipe or reset while writing also returns {@code false}, because clamd may
         * have sent its reply before closing.
         */
        boolean writeFully(ByteBuffer buf, boolean watchReply) throws ClamdException, InterruptedException {
            try {
                while (buf.hasRemaining()) {
                    int n = ch.write(buf);
                    if (n > 0) {
                        continue;
                    }
                    int ops = SelectionKey.OP_WRITE | (watchReply ? SelectionKey.OP_READ : 0);
                    int ready = await(ops, "writing");
                    if ((ready & SelectionKey.OP_READ) != 0) {
                        return false;
                    }
                }
                return true;
            } catch (ClamdException | InterruptedException e) {
                throw e;
            } catch (ClosedByInterruptException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedException("clamd command interrupted");
            } catch (IOException e) {
                if (watchReply) {
                    return false;
                }
                throw new ClamdException(Kind.UNAVAILABLE, address + ": connection lost while writing: " + e, e);
            }
        }

        /** Waits until one of {@code ops} is ready; returns the ready set. */
        private int await(int ops, String what) throws ClamdException, InterruptedException, IOException {
            key.interestOps(ops);
            long now = System.nanoTime();
            long untilDeadline = endNanos - now;
            long wait = Math.min(readTimeout.toNanos(), untilDeadline);
            if (wait <= 0) {
                throw new ClamdException(Kind.TIMED_OUT, address + ": scan deadline passed while " + what, null);
            }
            int selected = sel.select(Math.max(1, (wait + 999_999) / 1_000_000));
            checkInterrupt();
            if (selected == 0) {
                sel.selectedKeys().clear();
                if (System.nanoTime() - now >= wait) {
                    boolean deadline = untilDeadline <= readTimeout.toNanos();
                    throw new ClamdException(
                            Kind.TIMED_OUT,
                            address + ": "
                                    + (deadline
                                            ? "scan deadline passed"
                                            : "no progress for " + Durations.format(readTimeout))
                                    + " while " + what,
                            null);
                }
                return 0;
            }
            sel.selectedKeys().clear();
            return key.readyOps();
        }

        /** Reads up to the NUL terminator (or end of stream) and returns the text without terminator. */
        String readReply(String command) throws ClamdException, InterruptedException {
            return readReply(command, false);
        }

        /**
         * Reads up to the NUL terminator (or end of stream) and returns the text without terminator; with
         * {@code lineEnds}, also up to a line end, which ends no z-mode reply of clamd's but a line of a server that
         * is not clamd (an SMTP server's greeting on a mistyped port): its text is returned at once, unterminated, for
         * the caller to refuse, instead of waiting for a NUL that never comes until the read timeout.
         */
        String readReply(String command, boolean lineEnds) throws ClamdException, InterruptedException {
            return readReply(command, lineEnds, null);
        }

        /**
         * Reads the reply of a command whose only right answer is {@code expected} (PING's PONG): as soon as a byte
         * arrives that {@code expected} (followed by its NUL) does not have at that place, what has arrived by then is
         * returned, up to its first line end, for the caller to refuse, without waiting for a terminator.
         */
        String readReply(String command, String expected) throws ClamdException, InterruptedException {
            return readReply(command, false, expected.getBytes(StandardCharsets.US_ASCII));
        }

        private String readReply(String command, boolean lineEnds, byte[] expected)
                throws ClamdException, InterruptedException {
            ByteBuffer buf = ByteBuffer.allocate(8192);
            ByteArrayOutputStream out = early;
            if (lineEnds) {
                byte[] so = out.toByteArray();
                for (int i = 0; i < so.length; i++) {
                    if (so[i] == 0) {
                        break;
                    }
                    if (so[i] == '\n') {
                        return stripCr(new String(so, 0, i, StandardCharsets.UTF_8));
                    }
                }
            }
            try {
                while (!eof) {
                    buf.clear();
                    int n;
                    try {
                        n = ch.read(buf);
                    } catch (IOException e) {
                        if (out.size() > 0) {
                            break; // reset after a complete-looking reply: use what arrived
                        }
                        throw new ClamdException(
                                Kind.UNAVAILABLE,
                                address + ": connection lost awaiting the " + command + " reply: " + e,
                                e);
                    }
                    if (n < 0) {
                        eof = true;
                        break;
                    }
                    if (n == 0) {
                        await(SelectionKey.OP_READ, "awaiting the " + command + " reply");
                        continue;
                    }
                    byte[] a = buf.array();
                    for (int i = 0; i < n; i++) {
                        if (a[i] == 0) {
                            out.write(a, 0, i);
                            terminated = true;
                            for (int j = i + 1; j < n; j++) {
                                trailing |= a[j] != 0 && a[j] != '\n' && a[j] != '\r';
                            }
                            return out.toString(StandardCharsets.UTF_8);
                        }
                        if (lineEnds && a[i] == '\n') {
                            out.write(a, 0, i);
                            return stripCr(out.toString(StandardCharsets.UTF_8));
                        }
                    }
                    out.write(a, 0, n);
                    if (expected != null && diverges(out, expected)) {
                        return firstLine(drainAvailable(buf, out));
                    }
                    if (out.size() > MAX_REPLY_BYTES) {
                        throw new ClamdException(
                                Kind.PROTOCOL_ERROR,
                                address + ": " + command + " reply longer than " + MAX_REPLY_BYTES + " bytes",
                                null);
                    }
                }
            } catch (ClamdException | InterruptedException e) {
                throw e;
            } catch (IOException e) {
                throw new ClamdException(Kind.UNAVAILABLE, address + ": " + e, e);
            }
            if (out.size() == 0) {
                throw new ClamdException(
                        Kind.UNAVAILABLE, address + ": connection closed without a reply to " + command, null);
            }
            // clamd ends some replies (COMMAND READ TIMED OUT) with a newline even in z mode, then closes.
            return ClamdScanReply.stripTerminators(out.toString(StandardCharsets.UTF_8));
        }

        /** Whether the bytes read so far differ from {@code expected} (then its NUL) at some place. */
        private static boolean diverges(ByteArrayOutputStream out, byte[] expected) {
            byte[] got = out.toByteArray();
            for (int i = 0; i < got.length; i++) {
                byte want = i < expected.length ? expected[i] : 0;
                if (got[i] != want) {
                    return true;
                }
            }
            return false;
        }

        /** Adds the bytes that have arrived already (no wait), up to the reply limit, and returns all as text. */
        private String drainAvailable(ByteBuffer buf, ByteArrayOutputStream out) {
            try {
                while (!eof && out.size() < MAX_REPLY_BYTES) {
                    buf.clear();
                    int n = ch.read(buf);
                    if (n < 0) {
                        eof = true;
                    } else if (n == 0) {
                        break;
                    } else {
                        out.write(buf.array(), 0, n);
                    }
                }
            } catch (IOException e) {
                // what arrived before is enough to name the server
            }
            return out.toString(StandardCharsets.UTF_8);
        }

        /** The text up to its first line end or NUL. */
        private static String firstLine(String text) {
            int cut = text.length();
            for (int i = 0; i < text.length(); i++) {
                char ch = text.charAt(i);
                if (ch == '\n' || ch == '\r' || ch == 0) {
                    cut = i;
                    break;
                }
            }
            return text.substring(0, cut);
        }

        private static String stripCr(String line) {
            return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
        }

        /** Closes the connection; the selector goes back to the pool when it is clean. */
        @Override
        public void close() {
            key.cancel();
            releaseSelector(sel);
            closeQuietly(ch);
        }
    }

    /** Builds a {@link ClamdClient}; each setter validates at once. Not thread-safe. */
    public static final class Builder {
        private final ClamdAddress address;
        private Duration connectTimeout = Duration.ofSeconds(DEFAULT_CONNECT_TIMEOUT_SECONDS);
        private Duration readTimeout = Duration.ofSeconds(DEFAULT_READ_TIMEOUT_SECONDS);
        private int chunkSize = DEFAULT_CHUNK_SIZE;

        private Builder(ClamdAddress address) {
            this.address = Objects.requireNonNull(address, "address");
        }

        /**
         * The connect timeout. Default {@value #DEFAULT_CONNECT_TIMEOUT_SECONDS} s.
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
         * The read timeout: the longest wait for progress on a read or write. Default
         * {@value #DEFAULT_READ_TIMEOUT_SECONDS} s.
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
         * The INSTREAM chunk size. Default {@value #DEFAULT_CHUNK_SIZE} bytes.
         *
         * @param bytes 1 KiB to 16 MiB
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder chunkSize(int bytes) {
            if (bytes < 1024 || bytes > (16 << 20)) {
                throw new IllegalArgumentException("chunkSize must be 1024..16777216 bytes, was " + bytes);
            }
            chunkSize = bytes;
            return this;
        }

        /**
         * Builds the client.
         *
         * @return a new client
         */
        public ClamdClient build() {
            return new ClamdClient(this);
        }
    }
}
