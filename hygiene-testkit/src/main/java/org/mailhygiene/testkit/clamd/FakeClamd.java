package org.mailhygiene.testkit.clamd;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A fake clamd for tests: a real server on 127.0.0.1 (TCP, and optionally a unix-domain socket) that speaks the clamd
 * protocol as ClamAV 1.4 does, scripted like OkHttp's MockWebServer.
 *
 * <p>Protocol: {@code z} (NUL-terminated) and {@code n} (newline-terminated) framing, and unprefixed old-style
 * commands where clamd accepts them. Commands: {@code PING} → {@code PONG}; {@code VERSION} → the configured version;
 * {@code RELOAD} → {@code RELOADING} and staged signatures become active; {@code STATS}; {@code INSTREAM} (4-byte
 * big-endian chunk lengths, a zero length ends the stream; over the stream limit → {@code INSTREAM size limit
 * exceeded. ERROR} and the connection closes); {@code IDSESSION} ... {@code END} with {@code N: } reply prefixes
 * (answered in order); anything else → {@code UNKNOWN COMMAND}. One command per connection outside a session.
 *
 * <p>Detection: EICAR and scripted signatures (a byte marker and a name), searched in the raw stream and, like
 * clamd's ScanMail and ScanArchive, inside base64 blocks (MIME attachments) and zip archives, nested up to 5 levels.
 * Reply {@code stream: NAME FOUND} names the first signature that matches.
 *
 * <p>Faults, consumed one per connection in the order enqueued ({@link #enqueue(Fault)}): stall, close mid-stream,
 * size-limit error, a scripted or garbage reply, slow reply, refuse. Every command received is recorded
 * ({@link #requests()}).
 *
 * <p>Defaults: TCP on an ephemeral port of 127.0.0.1, no unix socket, version {@code ClamAV 1.4.6}, stream limit
 * 25 MiB, EICAR reported as {@code Eicar-Test-Signature}, recorded stream bytes capped at 1 MiB per request.
 *
 * <p>Thread-safe: one thread per listener and per connection. {@link #close()} closes every connection.
 */
public final class FakeClamd implements AutoCloseable {

    /**
     * A fault injected into one connection.
     *
     * @param type what goes wrong
     * @param afterBytes for stream faults: how many stream bytes are accepted first
     * @param reply for {@link Type#REPLY}: the text sent (a terminator is added)
     * @param delay for {@link Type#SLOW_REPLY}: how long the reply is held back
     */
    public record Fault(Type type, long afterBytes, String reply, Duration delay) {

        /** Fault types. */
        public enum Type {
            /** Read the command (and stream), then never answer; hold the connection until the client closes it. */
            STALL,
            /** Close the connection after {@code afterBytes} stream bytes, without a reply. */
            CLOSE_MID_STREAM,
            /** After {@code afterBytes} stream bytes send {@code INSTREAM size limit exceeded. ERROR} and close. */
            SIZE_LIMIT,
            /** Answer the command with a fixed text (garbage, an error, a chosen FOUND line). */
            REPLY,
            /** Answer normally, but only after {@code delay}. */
            SLOW_REPLY,
            /** Close the connection as soon as it is accepted. */
            REFUSE
        }

        /**
         * Validates.
         *
         * @throws NullPointerException if a component is {@code null}
         */
        public Fault {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(reply, "reply");
            Objects.requireNonNull(delay, "delay");
        }

        /**
         * Never answer.
         *
         * @return the fault
         */
        public static Fault stall() {
            return new Fault(Type.STALL, 0, "", Duration.ZERO);
        }

        /**
         * Close after some stream bytes.
         *
         * @param afterBytes stream bytes accepted first
         * @return the fault
         */
        public static Fault closeMidStream(long afterBytes) {
            return new Fault(Type.CLOSE_MID_STREAM, afterBytes, "", Duration.ZERO);
        }

        /**
         * Send clamd's size-limit error after some stream bytes, then close (the client's next write breaks).
         *
         * @param afterBytes stream bytes accepted first
         * @return the fault
         */
        public static Fault sizeLimitError(long afterBytes) {
            return new Fault(Type.SIZE_LIMIT, afterBytes, "", Duration.ZERO);
        }

        /**
         * Answer with a fixed text, e.g. garbage or {@code stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND}.
         *
         * @param text the reply without terminator
         * @return the fault
         */
        public static Fault reply(String text) {
            return new Fault(Type.REPLY, 0, text, Duration.ZERO);
        }

        /**
         * Answer with bytes that are no clamd reply.
         *
         * @return the fault
         */
        public static Fault garbage() {
            return reply("HTTP/1.1 400 Bad Request");
        }

        /**
         * Answer normally after a delay.
         *
         * @param delay the delay
         * @return the fault
         */
        public static Fault slowReply(Duration delay) {
            return new Fault(Type.SLOW_REPLY, 0, "", delay);
        }

        /**
         * Close at once.
         *
         * @return the fault
         */
        public static Fault refuse() {
            return new Fault(Type.REFUSE, 0, "", Duration.ZERO);
        }
    }

    /**
     * One command received.
     *
     * @param transport {@code tcp} or {@code unix}
     * @param framing {@code z}, {@code n} or {@code -} (unprefixed)
     * @param command the command name, e.g. {@code INSTREAM}
     * @param session whether it came inside IDSESSION
     * @param streamBytes for INSTREAM: stream bytes received
     * @param stream for INSTREAM: the first (up to 1 MiB) stream bytes
     * @param reply the reply sent, empty if none was sent
     */
    public record Request(
            String transport,
            char framing,
            String command,
            boolean session,
            long streamBytes,
            byte[] stream,
            Optional<String> reply) {
        /**
         * Validates.
         *
         * @throws NullPointerException if a component is {@code null}
         */
        public Request {
            Objects.requireNonNull(transport, "transport");
            Objects.requireNonNull(command, "command");
            Objects.requireNonNull(stream, "stream");
            Objects.requireNonNull(reply, "reply");
        }
    }

    private static final int RECORD_LIMIT = 1 << 20;
    private static final Set<String> OLD_STYLE =
            Set.of("PING", "VERSION", "RELOAD", "STATS", "SCAN", "QUIT", "CONTSCAN", "SHUTDOWN", "MULTISCAN");
    private static final Set<String> IN_SESSION = Set.of("PING", "VERSION", "INSTREAM", "STATS", "VERSIONCOMMANDS");

    private volatile String version;
    private final long streamMaxLength;
    private final Map<String, String> signatures = Collections.synchronizedMap(new LinkedHashMap<>());
    private final Map<String, String> staged = Collections.synchronizedMap(new LinkedHashMap<>());
    private final ConcurrentLinkedQueue<Fault> faults = new ConcurrentLinkedQueue<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger reloads = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final List<Thread> acceptors = new CopyOnWriteArrayList<>();
    private final ServerSocketChannel tcp;
    private final ServerSocketChannel unix;
    private final Path socketPath;
    private volatile boolean closed;

    private FakeClamd(Builder b) throws IOException {
        this.version = b.version;
        this.streamMaxLength = b.streamMaxLength;
        signatures.put(Eicar.string(), b.eicarName);
        signatures.putAll(b.signatures);
        ServerSocketChannel t = ServerSocketChannel.open();
        ServerSocketChannel u = null;
        try {
            t.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
            if (b.socketPath != null) {
                Files.deleteIfExists(b.socketPath);
                u = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                u.bind(UnixDomainSocketAddress.of(b.socketPath), 200);
            }
        } catch (IOException | RuntimeException e) {
            t.close();
            if (u != null) {
                u.close();
            }
            throw e;
        }
        this.tcp = t;
        this.unix = u;
        this.socketPath = b.socketPath;
        startAcceptor(tcp, "tcp");
        if (unix != null) {
            startAcceptor(unix, "unix");
        }
    }

    /**
     * Starts a fake with the defaults (TCP only).
     *
     * @return the running fake
     * @throws IOException if it cannot listen
     */
    public static FakeClamd start() throws IOException {
        return builder().start();
    }

    /**
     * Starts a builder.
     *
     * @return a builder with the defaults in the class description
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The TCP port on 127.0.0.1.
     *
     * @return the port
     */
    public int port() {
        return ((InetSocketAddress) localAddress()).getPort();
    }

    private java.net.SocketAddress localAddress() {
        try {
            return tcp.getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException("fake clamd is closed", e);
        }
    }

    /**
     * The TCP address as {@code HOST:PORT}.
     *
     * @return e.g. {@code 127.0.0.1:40211}
     */
    public String tcpAddress() {
        return InetAddress.getLoopbackAddress().getHostAddress() + ":" + port();
    }

    /**
     * The unix socket, when configured.
     *
     * @return the socket path
     */
    public Optional<Path> socketPath() {
        return Optional.ofNullable(socketPath);
    }

    /**
     * The unix socket address as {@code unix:/path}.
     *
     * @return the address
     * @throws IllegalStateException if no unix socket was configured
     */
    public String unixAddress() {
        if (socketPath == null) {
            throw new IllegalStateException("this fake clamd has no unix socket; set Builder.unixSocket");
        }
        return "unix:" + socketPath;
    }

    /**
     * Adds a signature that is active at once.
     *
     * @param marker bytes (as ISO-8859-1 text) whose presence means a hit
     * @param name the name reported, e.g. {@code Local.Marker.NDB.UNOFFICIAL}
     */
    public void addSignature(String marker, String name) {
        signatures.put(requireMarker(marker), Objects.requireNonNull(name, "name"));
    }

    /**
     * Stages a signature that becomes active with the next {@code RELOAD}, as a new database file does for clamd.
     *
     * @param marker the marker text
     * @param name the name reported
     */
    public void stageSignature(String marker, String name) {
        staged.put(requireMarker(marker), Objects.requireNonNull(name, "name"));
    }

    /**
     * Reloads the database by itself, as clamd does when freshclam's {@code NotifyClamd} or {@code SelfCheck} finds
     * new files: staged signatures become active and {@code VERSION} answers {@code newVersion} from then on, at
     * once and together. No {@code RELOAD} command is counted.
     *
     * @param newVersion the new VERSION reply, e.g. {@code ClamAV 1.4.6/27002/Sat Nov 28 09:00:00 2026}
     * @throws IllegalArgumentException if it does not start with {@code ClamAV }
     */
    public void selfReload(String newVersion) {
        if (!Objects.requireNonNull(newVersion, "newVersion").startsWith("ClamAV ")) {
            throw new IllegalArgumentException("a clamd version starts with 'ClamAV ', was " + newVersion);
        }
        synchronized (signatures) {
            signatures.putAll(staged);
            staged.clear();
            version = newVersion;
        }
    }

    /**
     * The current VERSION reply.
     *
     * @return e.g. {@code ClamAV 1.4.6}
     */
    public String version() {
        return version;
    }

    private static String requireMarker(String marker) {
        Objects.requireNonNull(marker, "marker");
        if (marker.isEmpty()) {
            throw new IllegalArgumentException("a signature marker must not be empty");
        }
        return marker;
    }

    /**
     * Queues a fault for the next connection that has none.
     *
     * @param fault the fault
     * @return this fake
     */
    public FakeClamd enqueue(Fault fault) {
        faults.add(Objects.requireNonNull(fault, "fault"));
        return this;
    }

    /**
     * Every command received so far, in arrival order.
     *
     * @return a snapshot
     */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /**
     * How many RELOAD commands were received.
     *
     * @return the count
     */
    public int reloadCount() {
        return reloads.get();
    }

    /**
     * How many connections were accepted.
     *
     * @return the count
     */
    public int connectionCount() {
        return connections.get();
    }

    /**
     * Scans bytes as this fake would scan a stream.
     *
     * @param content the bytes
     * @return the first matching signature's name, or empty when clean
     */
    public Optional<String> detect(byte[] content) {
        Map<String, String> sigs;
        synchronized (signatures) {
            sigs = new LinkedHashMap<>(signatures);
        }
        return detect(content, sigs, 0);
    }

    private static Optional<String> detect(byte[] content, Map<String, String> sigs, int depth) {
        String text = new String(content, StandardCharsets.ISO_8859_1);
        for (Map.Entry<String, String> s : sigs.entrySet()) {
            if (text.contains(s.getKey())) {
                return Optional.of(s.getValue());
            }
        }
        if (depth >= 5) {
            return Optional.empty();
        }
        int zip = text.indexOf("PK\u0003\u0004");
        while (zip >= 0) {
            try (ZipInputStream z = new ZipInputStream(new ByteArrayInputStream(content, zip, content.length - zip))) {
                ZipEntry e;
                while ((e = z.getNextEntry()) != null) {
                    Optional<String> hit = detect(z.readNBytes(64 << 20), sigs, depth + 1);
                    if (hit.isPresent()) {
                        return hit;
                    }
                    if (e.isDirectory()) {
                        continue;
                    }
                }
            } catch (IOException | RuntimeException ignored) {
                // not a readable archive: keep looking
            }
            zip = text.indexOf("PK\u0003\u0004", zip + 4);
        }
        for (byte[] decoded : base64Blocks(text)) {
            Optional<String> hit = detect(decoded, sigs, depth + 1);
            if (hit.isPresent()) {
                return hit;
            }
        }
        return Optional.empty();
    }

    /** Runs of lines that look like base64 (as in MIME bodies), decoded. */
    private static List<byte[]> base64Blocks(String text) {
        List<byte[]> out = new ArrayList<>();
        StringBuilder run = new StringBuilder();
        for (String line : text.split("\r?\n", -1)) {
            String l = line.strip();
            if (l.length() >= 4
                    && l.chars()
                            .allMatch(
                                    c -> Character.isLetterOrDigit(c) && c < 128 || c == '+' || c == '/' || c == '=')) {
                run.append(l);
            } else {
                flush(run, out);
            }
        }
        flush(run, out);
        return out;
    }

    private static void flush(StringBuilder run, List<byte[]> out) {
        if (run.length() >= 16) {
            try {
                out.add(Base64.getMimeDecoder().decode(run.toString()));
            } catch (IllegalArgumentException ignored) {
                // not base64 after all
            }
        }
        run.setLength(0);
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    private void startAcceptor(ServerSocketChannel server, String transport) {
        Thread t = new Thread(
                () -> {
                    while (!closed) {
                        SocketChannel ch;
                        try {
                            ch = server.accept();
                        } catch (IOException e) {
                            return;
                        }
                        if (closed) {
                            closeQuietly(ch);
                            return;
                        }
                        connections.incrementAndGet();
                        open.add(ch);
                        Thread c = new Thread(() -> serve(ch, transport), "fake-clamd-conn");
                        c.setDaemon(true);
                        c.start();
                    }
                },
                "fake-clamd-" + transport);
        t.setDaemon(true);
        acceptors.add(t);
        t.start();
    }

    private void serve(SocketChannel ch, String transport) {
        Fault fault = faults.poll();
        try (ch) {
            if (fault != null && fault.type() == Fault.Type.REFUSE) {
                return;
            }
            DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(ch), 65536));
            OutputStream out = Channels.newOutputStream(ch);
            CURRENT_INPUT.set(in);
            Command first = readCommand(in);
            if (first == null) {
                return;
            }
            if (first.name.equals("IDSESSION") && first.framing != '-') {
                record(transport, first, false, 0, new byte[0], null);
                session(in, out, transport, fault);
                return;
            }
            handle(first, in, out, transport, fault, false, "");
        } catch (IOException e) {
            // client went away
        } finally {
            CURRENT_INPUT.remove();
            open.remove(ch);
        }
    }

    private void session(DataInputStream in, OutputStream out, String transport, Fault fault) throws IOException {
        int id = 0;
        while (true) {
            Command c = readCommand(in);
            if (c == null) {
                return;
            }
            if (c.name.equals("END")) {
                record(transport, c, true, 0, new byte[0], null);
                return;
            }
            id++;
            if (c.framing == '-') {
                record(transport, c, true, 0, new byte[0], null);
                return; // clamd gives no reply to an unprefixed command inside a session
            }
            if (!IN_SESSION.contains(c.name)) {
                String reply = id + ": Command invalid inside IDSESSION. ERROR";
                record(transport, c, true, 0, new byte[0], reply);
                send(out, reply, c.framing);
                return;
            }
            if (!handle(c, in, out, transport, fault, true, id + ": ")) {
                return;
            }
            fault = null;
        }
    }

    /** Handles one command; returns whether the connection may carry on (sessions only). */
    private boolean handle(
            Command c,
            DataInputStream in,
            OutputStream out,
            String transport,
            Fault fault,
            boolean session,
            String prefix)
            throws IOException {
        if (c.framing == '-' && !OLD_STYLE.contains(c.name) || c.framing != '-' && c.name.isEmpty()) {
            reply(out, c, transport, session, 0, new byte[0], "UNKNOWN COMMAND", fault, true);
            return false;
        }
        switch (c.name) {
            case "PING":
                reply(out, c, transport, session, 0, new byte[0], prefix + "PONG", fault, false);
                return true;
            case "VERSION":
                reply(out, c, transport, session, 0, new byte[0], prefix + version, fault, false);
                return true;
            case "VERSIONCOMMANDS":
                reply(
                        out,
                        c,
                        transport,
                        session,
                        0,
                        new byte[0],
                        prefix + version
                                + "| COMMANDS: SCAN QUIT RELOAD PING CONTSCAN VERSIONCOMMANDS VERSION END SHUTDOWN"
                                + " MULTISCAN FILDES STATS IDSESSION INSTREAM DETSTATSCLEAR DETSTATS ALLMATCHSCAN",
                        fault,
                        false);
                return true;
            case "RELOAD":
                synchronized (signatures) {
                    signatures.putAll(staged);
                    staged.clear();
                }
                reloads.incrementAndGet();
                reply(out, c, transport, session, 0, new byte[0], "RELOADING", fault, false);
                return true;
            case "STATS":
                reply(
                        out,
                        c,
                        transport,
                        session,
                        0,
                        new byte[0],
                        prefix + "POOLS: 1\n\nSTATE: VALID PRIMARY\n"
                                + "THREADS: live 1  idle 0 max 10 idle-timeout 30\nQUEUE: 0 items\n\tSTATS 0.000010 \n\n"
                                + "MEMSTATS: heap N/A mmap N/A used N/A free N/A releasable N/A pools 1 pools_used N/A"
                                + " pools_total N/A\nEND",
                        fault,
                        false);
                return true;
            case "INSTREAM":
                return instream(c, in, out, transport, fault, session, prefix);
            default:
                reply(out, c, transport, session, 0, new byte[0], "UNKNOWN COMMAND", fault, true);
                return false;
        }
    }

    private boolean instream(
            Command c,
            DataInputStream in,
            OutputStream out,
            String transport,
            Fault fault,
            boolean session,
            String prefix)
            throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        long total = 0;
        long cut =
                fault != null && (fault.type() == Fault.Type.CLOSE_MID_STREAM || fault.type() == Fault.Type.SIZE_LIMIT)
                        ? fault.afterBytes()
                        : Long.MAX_VALUE;
        while (true) {
            long len;
            try {
                len = Integer.toUnsignedLong(in.readInt());
            } catch (EOFException e) {
                record(transport, c, session, total, recorded(all), null);
                return false;
            }
            if (len == 0) {
                break;
            }
            if (total + len > streamMaxLength || total + len > cut) {
                long accept = Math.min(len, Math.min(streamMaxLength, cut) - total);
                byte[] part = in.readNBytes((int) Math.max(0, accept));
                all.write(part, 0, part.length);
                total += part.length;
                if (fault != null && fault.type() == Fault.Type.CLOSE_MID_STREAM) {
                    record(transport, c, session, total, recorded(all), null);
                    return false;
                }
                String reply = prefix + "INSTREAM size limit exceeded. ERROR";
                record(transport, c, session, total, recorded(all), reply);
                send(out, reply, c.framing);
                return false;
            }
            byte[] chunk = in.readNBytes((int) len);
            if (chunk.length < len) {
                record(transport, c, session, total + chunk.length, recorded(all), null);
                return false;
            }
            all.write(chunk, 0, chunk.length);
            total += len;
        }
        byte[] content = all.toByteArray();
        Optional<String> hit = detect(content);
        String reply = prefix + "stream: " + hit.map(n -> n + " FOUND").orElse("OK");
        reply(out, c, transport, session, total, recorded(all), reply, fault, false);
        return true;
    }

    private static byte[] recorded(ByteArrayOutputStream all) {
        byte[] b = all.toByteArray();
        return b.length <= RECORD_LIMIT ? b : java.util.Arrays.copyOf(b, RECORD_LIMIT);
    }

    private void reply(
            OutputStream out,
            Command c,
            String transport,
            boolean session,
            long streamBytes,
            byte[] stream,
            String normal,
            Fault fault,
            boolean always)
            throws IOException {
        if (fault != null && !always) {
            switch (fault.type()) {
                case STALL:
                    record(transport, c, session, streamBytes, stream, null);
                    awaitClose();
                    throw new EOFException("stalled");
                case REPLY:
                    record(transport, c, session, streamBytes, stream, fault.reply());
                    send(out, fault.reply(), c.framing);
                    return;
                case SLOW_REPLY:
                    try {
                        Thread.sleep(fault.delay().toMillis());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new EOFException("interrupted");
                    }
                    break;
                default:
                    break;
            }
        }
        record(transport, c, session, streamBytes, stream, normal);
        send(out, normal, c.framing);
    }

    private static final ThreadLocal<InputStream> CURRENT_INPUT = new ThreadLocal<>();

    private void awaitClose() {
        // Hold the connection open, like a clamd whose threads are all busy, until the client or close() ends it.
        InputStream in = CURRENT_INPUT.get();
        byte[] sink = new byte[8192];
        try {
            while (!closed && in.read(sink) >= 0) {
                // discard whatever else the client sends
            }
        } catch (IOException e) {
            // closed
        }
    }

    private static void send(OutputStream out, String reply, char framing) throws IOException {
        out.write(reply.getBytes(StandardCharsets.UTF_8));
        out.write(framing == 'z' ? 0 : '\n');
        out.flush();
    }

    private void record(String transport, Command c, boolean session, long streamBytes, byte[] stream, String reply) {
        requests.add(
                new Request(transport, c.framing, c.name, session, streamBytes, stream, Optional.ofNullable(reply)));
    }

    private record Command(char framing, String name) {}

    /** Reads one command; returns {@code null} at end of stream. */
    private static Command readCommand(DataInputStream in) throws IOException {
        int first = in.read();
        if (first < 0) {
            return null;
        }
        char framing;
        int terminator;
        ByteArrayOutputStream name = new ByteArrayOutputStream();
        if (first == 'z') {
            framing = 'z';
            terminator = 0;
        } else if (first == 'n') {
            framing = 'n';
            terminator = '\n';
        } else {
            framing = '-';
            terminator = '\n';
            name.write(first);
        }
        int b;
        while ((b = in.read()) >= 0 && b != terminator) {
            if (name.size() > 4096) {
                throw new IOException("command too long");
            }
            name.write(b);
        }
        String n = name.toString(StandardCharsets.ISO_8859_1);
        if (framing == '-' && n.endsWith("\r")) {
            n = n.substring(0, n.length() - 1);
        }
        return new Command(framing, n);
    }

    /** Stops listening, closes every connection and removes the unix socket file. Idempotent. */
    @Override
    public void close() {
        closed = true;
        for (ServerSocketChannel s : new ServerSocketChannel[] {tcp, unix}) {
            if (s != null) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
        for (Thread t : acceptors) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (SocketChannel c : open) {
            closeQuietly(c);
        }
        if (socketPath != null) {
            try {
                Files.deleteIfExists(socketPath);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    /** Builds a {@link FakeClamd}; setters validate at once. Not thread-safe. */
    public static final class Builder {
        private String version = "ClamAV 1.4.6";
        private long streamMaxLength = 25L * 1024 * 1024;
        private String eicarName = "Eicar-Test-Signature";
        private final Map<String, String> signatures = new LinkedHashMap<>();
        private Path socketPath;

        private Builder() {}

        /**
         * Also listen on a unix-domain socket (keep the path short: Linux allows about 107 bytes).
         *
         * @param path the socket file; an existing file there is replaced
         * @return this builder
         */
        public Builder unixSocket(Path path) {
            socketPath = Objects.requireNonNull(path, "path");
            return this;
        }

        /**
         * The VERSION reply. Default {@code ClamAV 1.4.6}.
         *
         * @param value e.g. {@code ClamAV 1.4.6/27000/Thu Nov 26 09:27:01 2026}
         * @return this builder
         * @throws IllegalArgumentException if it does not start with {@code ClamAV }
         */
        public Builder version(String value) {
            if (!Objects.requireNonNull(value, "version").startsWith("ClamAV ")) {
                throw new IllegalArgumentException("a clamd version starts with 'ClamAV ', was " + value);
            }
            version = value;
            return this;
        }

        /**
         * The stream limit (clamd's StreamMaxLength). Default 25 MiB.
         *
         * @param bytes positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder streamMaxLength(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("streamMaxLength must be positive, was " + bytes);
            }
            streamMaxLength = bytes;
            return this;
        }

        /**
         * The name EICAR is reported as. Default {@code Eicar-Test-Signature}.
         *
         * @param name e.g. {@code Local.Eicar.NDB.UNOFFICIAL}
         * @return this builder
         */
        public Builder eicarName(String name) {
            eicarName = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * A signature active from the start.
         *
         * @param marker the marker text (ISO-8859-1 bytes)
         * @param name the name reported
         * @return this builder
         */
        public Builder signature(String marker, String name) {
            signatures.put(requireMarker(marker), Objects.requireNonNull(name, "name"));
            return this;
        }

        /**
         * Starts the fake.
         *
         * @return the running fake
         * @throws IOException if it cannot listen
         */
        public FakeClamd start() throws IOException {
            return new FakeClamd(this);
        }
    }
}
