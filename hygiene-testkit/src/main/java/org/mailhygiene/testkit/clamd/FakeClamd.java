package org.mailhygiene.testkit.clamd;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.mailhygiene.testkit.server.FakeConnection;
import org.mailhygiene.testkit.server.FakeServer;
import org.mailhygiene.testkit.server.FaultScript;
import org.mailhygiene.testkit.server.Recorded;
import org.mailhygiene.testkit.server.RequestLog;

/**
 * A fake clamd for tests: a real server on 127.0.0.1 (TCP, and optionally a unix-domain socket) that speaks the clamd
 * protocol as ClamAV 1.4 does, scripted like OkHttp's MockWebServer. Built on the testkit's shared
 * {@link FakeServer}.
 *
 * <p>Protocol: {@code z} (NUL-terminated) and {@code n} (newline-terminated) framing, and unprefixed old-style
 * commands where clamd accepts them. Commands: {@code PING} → {@code PONG}; {@code VERSION} → the configured version;
 * {@code RELOAD} → {@code RELOADING} and staged signatures become active; {@code STATS}; {@code INSTREAM} (4-byte
 * big-endian chunk lengths, a zero length ends the stream; over the stream limit → {@code INSTREAM size limit
 * exceeded. ERROR} and the connection closes); {@code IDSESSION} ... {@code END} with {@code N: } reply prefixes
 * (answered in order); {@code VERSIONCOMMANDS} → the version and these commands only; anything else →
 * {@code UNKNOWN COMMAND}. One command per connection outside a session.
 *
 * <p>Detection: EICAR and scripted signatures (a byte marker and a name), searched in the raw stream and, like
 * clamd's ScanMail and ScanArchive, inside base64 blocks (MIME attachments) and zip archives, nested as deep as
 * clamd's default MaxRecursion lets clamd look ({@value #MAX_RECURSION} levels, a base64 block or a zip entry each);
 * a zip deeper than that is reported as {@value #MAX_RECURSION_EXCEEDED}, as clamd with {@code AlertExceedsMax yes}
 * reports it;
 * like clamd, not inside a CMS structure (an S/MIME signature's letter is unseen, only its bytes as they are).
 * Reply {@code stream: NAME FOUND} names the first signature that matches.
 *
 * <p>Where detection differs from clamd (ClamAV 1.4.6 with {@code ScanMail} and {@code ScanArchive}, compared on the
 * same streams): a base64 block is any run of lines made of base64 characters, wherever it stands, so base64 in a
 * part without {@code Content-Transfer-Encoding: base64} (or in a message without MIME), which clamd leaves encoded,
 * is decoded and found here; a blank line ends a block, where clamd decodes the part on across it; the 5 levels
 * count base64 blocks and zip archives together (an attachment allows 4 nested zips; clamd's {@code MaxRecursion}
 * is 17 by default); quoted-printable and gzip are not decoded (clamd finds a marker in both), nor is any archive
 * format but zip. A test that needs those cases decided as clamd decides them runs against {@link RealClamd}.
 *
 * <p>Protocol: requests inside {@code IDSESSION} are answered in the order they were sent; clamd answers each as
 * its scan finishes, so a quick {@code PING} after an {@code INSTREAM} may be answered first (a client must match
 * replies by their {@code N: } prefix). A command without its terminator at the end of the input is still executed
 * here; clamd ignores it.
 *
 * <p>Faults target a command ({@link #enqueue(Command, org.mailhygiene.testkit.server.Fault)},
 * {@link #always(Command, org.mailhygiene.testkit.server.Fault)}), so they are deterministic however many other
 * connections the code under test opens:
 *
 * <pre>{@code
 * clamd.enqueue(FakeClamd.Command.INSTREAM, Fault.refuse());   // the next scan finds clamd down
 * ... scan through a ScanPipeline (its background VERSION check is answered normally) ...
 * assertThat(clamd.takeRequest(FakeClamd.Command.INSTREAM, Duration.ofSeconds(5)).reply()).isEmpty();
 * }</pre>
 *
 * <p>Every command received is recorded ({@link #requests()}, {@link #takeRequest(Duration)}).
 *
 * <p>Defaults: TCP on an ephemeral port of 127.0.0.1, no unix socket, version {@code ClamAV 1.4.6}, stream limit
 * 25 MiB, EICAR reported as {@code Eicar-Test-Signature}, recorded stream bytes capped at 1 MiB per request.
 *
 * <p>Thread-safe: one thread per listener and per connection. {@link #close()} closes every connection.
 */
public final class FakeClamd implements AutoCloseable {

    /** The commands a fault can target (the ones this fake serves). */
    public enum Command {
        /** {@code PING}: health probes. */
        PING,
        /** {@code VERSION}: version (signature database) checks. */
        VERSION,
        /** {@code VERSIONCOMMANDS}. */
        VERSIONCOMMANDS,
        /** {@code RELOAD}. */
        RELOAD,
        /** {@code STATS}. */
        STATS,
        /** {@code INSTREAM}: a scan. */
        INSTREAM;

        static Optional<Command> of(String name) {
            for (Command c : values()) {
                if (c.name().equals(name)) {
                    return Optional.of(c);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * How deep the fake opens containers (a base64 block or a zip entry is one level), as clamd's default
     * {@code MaxRecursion 17} does for mail (ClamAV 1.4.6 finds EICAR under 15 zips in a base64 attachment, not 16).
     */
    public static final int MAX_RECURSION = 16;

    /** What the fake, like clamd with {@code AlertExceedsMax yes}, reports for a zip nested deeper. */
    public static final String MAX_RECURSION_EXCEEDED = "Heuristics.Limits.Exceeded.MaxRecursion";

    /** clamd's reply when a stream passes StreamMaxLength. */
    public static final String SIZE_LIMIT_ERROR = "INSTREAM size limit exceeded. ERROR";

    /**
     * A fault injected into one connection (the older fault model of this fake).
     *
     * <p>Deprecated: use {@link org.mailhygiene.testkit.server.Fault}, the fault model shared by every fake, with
     * {@link FakeClamd#enqueue(Command, org.mailhygiene.testkit.server.Fault)}; {@link #toFault()} converts.
     *
     * @param type what goes wrong
     * @param afterBytes for stream faults: how many stream bytes are accepted first
     * @param reply for {@link Type#REPLY}: the text sent (a terminator is added)
     * @param delay for {@link Type#SLOW_REPLY}: how long the reply is held back
     */
    @Deprecated(since = "0.2.0")
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

        /**
         * The same fault in the shared model: STALL is {@code Stall}, CLOSE_MID_STREAM {@code CloseAfter},
         * SIZE_LIMIT {@code ReplyAfter} with clamd's size-limit error, REPLY {@code Reply}, SLOW_REPLY {@code Delay},
         * REFUSE {@code Refuse}.
         *
         * @return the shared fault
         */
        public org.mailhygiene.testkit.server.Fault toFault() {
            return switch (type) {
                case STALL -> org.mailhygiene.testkit.server.Fault.stall();
                case CLOSE_MID_STREAM -> org.mailhygiene.testkit.server.Fault.closeAfter(afterBytes);
                case SIZE_LIMIT -> org.mailhygiene.testkit.server.Fault.replyAfter(afterBytes, SIZE_LIMIT_ERROR);
                case REPLY -> org.mailhygiene.testkit.server.Fault.reply(reply);
                case SLOW_REPLY -> org.mailhygiene.testkit.server.Fault.delay(delay);
                case REFUSE -> org.mailhygiene.testkit.server.Fault.refuse();
            };
        }

        boolean streamOnly() {
            return type == Type.CLOSE_MID_STREAM
                    || type == Type.SIZE_LIMIT
                    || type == Type.REPLY && (reply.startsWith("stream:") || reply.startsWith("INSTREAM"));
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
     * @param connection the connection it came on (1 for the fake's first)
     */
    public record Request(
            String transport,
            char framing,
            String command,
            boolean session,
            long streamBytes,
            byte[] stream,
            Optional<String> reply,
            long connection)
            implements Recorded {
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

        /**
         * The request without a connection number (0), as records were made before connections were numbered.
         *
         * @param transport {@code tcp} or {@code unix}
         * @param framing {@code z}, {@code n} or {@code -}
         * @param command the command name
         * @param session whether it came inside IDSESSION
         * @param streamBytes stream bytes received
         * @param stream the first stream bytes
         * @param reply the reply sent
         * @deprecated use the canonical constructor
         */
        @Deprecated(since = "0.2.0")
        public Request(
                String transport,
                char framing,
                String command,
                boolean session,
                long streamBytes,
                byte[] stream,
                Optional<String> reply) {
            this(transport, framing, command, session, streamBytes, stream, reply, 0);
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
    private final FaultScript<Command> script = new FaultScript<>();
    private final RequestLog<Request> log = new RequestLog<>("clamd");
    private final AtomicInteger reloads = new AtomicInteger();
    private final FakeServer server;

    private FakeClamd(Builder b) throws IOException {
        this.version = b.version;
        this.streamMaxLength = b.streamMaxLength;
        signatures.put(Eicar.string(), b.eicarName);
        signatures.putAll(b.signatures);
        FakeServer.Builder sb = FakeServer.builder("fake-clamd", this::serve);
        sb.port(b.port);
        if (b.socketPath != null) {
            sb.unixSocket(b.socketPath);
        }
        this.server = sb.start();
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
        return server.port();
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
        return server.unixSocket();
    }

    /**
     * The unix socket address as {@code unix:/path}.
     *
     * @return the address
     * @throws IllegalStateException if no unix socket was configured
     */
    public String unixAddress() {
        return "unix:"
                + server.unixSocket()
                        .orElseThrow(() -> new IllegalStateException(
                                "this fake clamd has no unix socket; set Builder.unixSocket"));
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
     * Queues a one-shot fault for the next request of {@code command} (see {@link FaultScript} for the order in which
     * faults apply). Use this rather than {@link #enqueue(Fault)}: a background {@code VERSION} or {@code PING}
     * connection of the code under test cannot take a fault meant for {@code INSTREAM}.
     *
     * <p>How each {@link org.mailhygiene.testkit.server.Fault} plays out here: {@code Refuse} closes the connection
     * right after the command line (before any stream chunk is read); {@code StallReading} reads nothing more and
     * holds the connection until the fake is closed; {@code Stall} reads the whole request (every chunk) and never
     * answers; {@code Close} reads it and closes without a reply; {@code CloseAfter(n)} closes after {@code n}
     * stream bytes (like {@code Close} for other commands); {@code Reply(text)} answers {@code text} with the
     * request's terminator (inside IDSESSION, add the {@code N: } prefix to {@code text} yourself);
     * {@code ReplyAfter(n, text)} stops reading after {@code n} stream bytes, answers {@code text} and closes;
     * {@code Delay(d)} answers normally after {@code d}.
     *
     * @param command the command it targets
     * @param fault the fault
     * @return this fake
     */
    public FakeClamd enqueue(Command command, org.mailhygiene.testkit.server.Fault fault) {
        script.enqueue(command, fault);
        return this;
    }

    /**
     * Sets the standing fault for every request of {@code command} until {@link #clearFaults()} (e.g. "clamd is
     * down" for every INSTREAM, while VERSION and PING still answer).
     *
     * @param command the command
     * @param fault the fault, or {@code null} to remove it
     * @return this fake
     */
    public FakeClamd always(Command command, org.mailhygiene.testkit.server.Fault fault) {
        script.always(command, fault);
        return this;
    }

    /**
     * Removes every queued and standing fault.
     *
     * @return this fake
     */
    public FakeClamd clearFaults() {
        script.clear();
        return this;
    }

    /**
     * Queues a fault in the older model: it applies to the first command of the next connection, whatever that
     * command is; except that the faults only an INSTREAM can carry ({@link Fault#closeMidStream},
     * {@link Fault#sizeLimitError}, and a {@link Fault#reply} whose text starts with {@code stream:} or
     * {@code INSTREAM}) wait for the next INSTREAM (before, a VERSION connection could use them up and be answered
     * normally).
     *
     * @param fault the fault
     * @return this fake
     * @deprecated racy when the code under test opens connections of its own (a {@code ClamdScanner} in a
     *     {@code ScanPipeline} checks {@code VERSION} in the background, which can take the fault meant for the scan);
     *     use {@link #enqueue(Command, org.mailhygiene.testkit.server.Fault)}
     */
    @Deprecated(since = "0.2.0")
    public FakeClamd enqueue(Fault fault) {
        Objects.requireNonNull(fault, "fault");
        if (fault.streamOnly()) {
            script.enqueue(Command.INSTREAM, fault.toFault());
        } else {
            script.enqueueConnection(fault.toFault());
        }
        return this;
    }

    /**
     * Every command received so far, in arrival order (taken by {@link #takeRequest} or not).
     *
     * @return a snapshot
     */
    public List<Request> requests() {
        return log.all();
    }

    /**
     * Waits for the next request not yet taken, in arrival order, like MockWebServer's {@code takeRequest}.
     *
     * @param timeout how long to wait at most
     * @return the request
     * @throws InterruptedException if interrupted
     * @throws AssertionError if none arrived in time
     */
    public Request takeRequest(Duration timeout) throws InterruptedException {
        return log.take(timeout);
    }

    /**
     * Waits for the next request of {@code command} not yet taken; requests of other commands before it (a background
     * VERSION check) are taken and skipped.
     *
     * @param command the command
     * @param timeout how long to wait at most
     * @return the request
     * @throws InterruptedException if interrupted
     * @throws AssertionError if none arrived in time
     */
    public Request takeRequest(Command command, Duration timeout) throws InterruptedException {
        return log.take(command.name(), timeout);
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
        return (int) server.connectionCount();
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
        if (depth >= MAX_RECURSION && !isCms(content)) {
            // clamd with AlertExceedsMax reports the archive it may not open, rather than calling the message clean
            return text.contains("PK\u0003\u0004") ? Optional.of(MAX_RECURSION_EXCEEDED) : Optional.empty();
        }
        if (isCms(content)) {
            // clamd does not unwrap a CMS structure (an S/MIME signature or encrypted message): it matches its bytes
            // as they are, and finds nothing base64-encoded or zipped inside (checked with ClamAV 1.4, on signed
            // content
            // that starts with its Content-Type as mailers write it; content that starts with a From line clamd takes
            // for an embedded message, which this fake does not model)
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

    /** The DER of the PKCS #7 object identifiers 1.2.840.113549.1.7 (data, signedData, envelopedData...). */
    private static final byte[] PKCS7_OID_PREFIX = {
        0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x07
    };

    /** Whether bytes start as a CMS ContentInfo: a SEQUENCE whose first element is a PKCS #7 content type. */
    private static boolean isCms(byte[] content) {
        if (content.length < 16 || content[0] != 0x30) {
            return false;
        }
        int at = (content[1] & 0x80) == 0 ? 2 : 2 + (content[1] & 0x7f);
        return at + PKCS7_OID_PREFIX.length <= content.length
                && java.util.Arrays.equals(
                        content, at, at + PKCS7_OID_PREFIX.length, PKCS7_OID_PREFIX, 0, PKCS7_OID_PREFIX.length);
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

    private void serve(FakeConnection conn) throws IOException, InterruptedException {
        Optional<org.mailhygiene.testkit.server.Fault> connectionFault = script.pollConnection();
        if (connectionFault.isPresent()
                && connectionFault.get() instanceof org.mailhygiene.testkit.server.Fault.Refuse) {
            return;
        }
        DataInputStream in = new DataInputStream(new BufferedInputStream(conn.input(), 65536));
        OutputStream out = conn.output();
        Line first = readCommand(in);
        if (first == null) {
            return;
        }
        if (first.name.equals("IDSESSION") && first.framing != '-') {
            record(conn, first, false, 0, new byte[0], null);
            session(conn, in, out, connectionFault);
            return;
        }
        handle(conn, first, in, out, faultFor(first, connectionFault), false, "");
    }

    /** The fault for a command: the connection's (older model) for its first command, else the script's. */
    private Optional<org.mailhygiene.testkit.server.Fault> faultFor(
            Line c, Optional<org.mailhygiene.testkit.server.Fault> connectionFault) {
        if (connectionFault.isPresent()) {
            return connectionFault;
        }
        if (c.framing == '-' && !OLD_STYLE.contains(c.name)) {
            return Optional.empty(); // UNKNOWN COMMAND
        }
        return Command.of(c.name).flatMap(script::next);
    }

    private void session(
            FakeConnection conn,
            DataInputStream in,
            OutputStream out,
            Optional<org.mailhygiene.testkit.server.Fault> connectionFault)
            throws IOException, InterruptedException {
        int id = 0;
        Optional<org.mailhygiene.testkit.server.Fault> pending = connectionFault;
        while (true) {
            Line c = readCommand(in);
            if (c == null) {
                return;
            }
            if (c.name.equals("END")) {
                record(conn, c, true, 0, new byte[0], null);
                return;
            }
            id++;
            if (c.framing == '-') {
                record(conn, c, true, 0, new byte[0], null);
                return; // clamd gives no reply to an unprefixed command inside a session
            }
            if (!IN_SESSION.contains(c.name)) {
                String reply = id + ": Command invalid inside IDSESSION. ERROR";
                record(conn, c, true, 0, new byte[0], reply);
                send(out, reply, c.framing);
                return;
            }
            if (!handle(conn, c, in, out, faultFor(c, pending), true, id + ": ")) {
                return;
            }
            pending = Optional.empty();
        }
    }

    /** Handles one command; returns whether the connection may carry on (sessions only). */
    private boolean handle(
            FakeConnection conn,
            Line c,
            DataInputStream in,
            OutputStream out,
            Optional<org.mailhygiene.testkit.server.Fault> fault,
            boolean session,
            String prefix)
            throws IOException, InterruptedException {
        if (c.framing == '-' && !OLD_STYLE.contains(c.name) || c.framing != '-' && c.name.isEmpty()) {
            String reply = "UNKNOWN COMMAND";
            record(conn, c, session, 0, new byte[0], reply);
            send(out, reply, c.framing);
            return false;
        }
        if (fault.isPresent()) {
            org.mailhygiene.testkit.server.Fault f = fault.get();
            if (f instanceof org.mailhygiene.testkit.server.Fault.Refuse) {
                record(conn, c, session, 0, new byte[0], null);
                return false;
            }
            if (f instanceof org.mailhygiene.testkit.server.Fault.StallReading) {
                record(conn, c, session, 0, new byte[0], null);
                conn.holdWithoutReading();
                return false;
            }
        }
        String normal;
        switch (c.name) {
            case "PING":
                normal = prefix + "PONG";
                break;
            case "VERSION":
                normal = prefix + version;
                break;
            case "VERSIONCOMMANDS":
                // the commands this fake serves, in real clamd's order (clamd also lists SCAN, CONTSCAN, MULTISCAN,
                // FILDES, SHUTDOWN and others, which this fake answers UNKNOWN COMMAND: a client that chose commands
                // by this list was told of commands it then could not use)
                normal = prefix + version
                        + "| COMMANDS: RELOAD PING VERSIONCOMMANDS VERSION END STATS IDSESSION INSTREAM";
                break;
            case "RELOAD":
                if (fault.isEmpty() || fault.get() instanceof org.mailhygiene.testkit.server.Fault.Delay) {
                    synchronized (signatures) {
                        signatures.putAll(staged);
                        staged.clear();
                    }
                }
                reloads.incrementAndGet();
                normal = "RELOADING";
                break;
            case "STATS":
                normal = prefix + "POOLS: 1\n\nSTATE: VALID PRIMARY\n"
                        + "THREADS: live 1  idle 0 max 10 idle-timeout 30\nQUEUE: 0 items\n\tSTATS 0.000010 \n\n"
                        + "MEMSTATS: heap N/A mmap N/A used N/A free N/A releasable N/A pools 1 pools_used N/A"
                        + " pools_total N/A\nEND";
                break;
            case "INSTREAM":
                return instream(conn, c, in, out, fault, session, prefix);
            default:
                String reply = "UNKNOWN COMMAND";
                record(conn, c, session, 0, new byte[0], reply);
                send(out, reply, c.framing);
                return false;
        }
        return reply(conn, out, c, session, 0, new byte[0], normal, fault);
    }

    private boolean instream(
            FakeConnection conn,
            Line c,
            DataInputStream in,
            OutputStream out,
            Optional<org.mailhygiene.testkit.server.Fault> fault,
            boolean session,
            String prefix)
            throws IOException, InterruptedException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        long total = 0;
        long cut = Long.MAX_VALUE;
        Optional<String> cutReply = Optional.of(prefix + SIZE_LIMIT_ERROR);
        if (fault.isPresent() && fault.get() instanceof org.mailhygiene.testkit.server.Fault.CloseAfter ca) {
            cut = ca.bytes();
            cutReply = Optional.empty();
        } else if (fault.isPresent() && fault.get() instanceof org.mailhygiene.testkit.server.Fault.ReplyAfter ra) {
            cut = ra.bytes();
            cutReply = Optional.of(ra.text());
        }
        while (true) {
            long len;
            try {
                len = Integer.toUnsignedLong(in.readInt());
            } catch (EOFException e) {
                record(conn, c, session, total, recorded(all), null);
                return false;
            }
            if (len == 0) {
                break;
            }
            if (total + len > streamMaxLength || total + len > cut) {
                boolean byFault = cut < streamMaxLength;
                long accept = Math.min(len, Math.min(streamMaxLength, cut) - total);
                byte[] part = in.readNBytes((int) Math.max(0, accept));
                all.write(part, 0, part.length);
                total += part.length;
                String reply = byFault ? cutReply.orElse(null) : prefix + SIZE_LIMIT_ERROR;
                record(conn, c, session, total, recorded(all), reply);
                if (reply != null) {
                    send(out, reply, c.framing);
                }
                return false;
            }
            byte[] chunk = in.readNBytes((int) len);
            if (chunk.length < len) {
                record(conn, c, session, total + chunk.length, recorded(all), null);
                return false;
            }
            all.write(chunk, 0, chunk.length);
            total += len;
        }
        if (cut != Long.MAX_VALUE) {
            // the stream ended before the cut: the fault behaves as Close / Reply
            if (fault.get() instanceof org.mailhygiene.testkit.server.Fault.CloseAfter) {
                record(conn, c, session, total, recorded(all), null);
                return false;
            }
            String reply = cutReply.orElseThrow();
            record(conn, c, session, total, recorded(all), reply);
            send(out, reply, c.framing);
            return false;
        }
        Optional<String> hit = detect(all.toByteArray());
        String normal = prefix + "stream: " + hit.map(n -> n + " FOUND").orElse("OK");
        return reply(conn, out, c, session, total, recorded(all), normal, fault);
    }

    private static byte[] recorded(ByteArrayOutputStream all) {
        byte[] b = all.toByteArray();
        return b.length <= RECORD_LIMIT ? b : java.util.Arrays.copyOf(b, RECORD_LIMIT);
    }

    /** Answers a fully read request, as its fault says; returns whether the connection may carry on. */
    private boolean reply(
            FakeConnection conn,
            OutputStream out,
            Line c,
            boolean session,
            long streamBytes,
            byte[] stream,
            String normal,
            Optional<org.mailhygiene.testkit.server.Fault> fault)
            throws IOException, InterruptedException {
        if (fault.isPresent()) {
            org.mailhygiene.testkit.server.Fault f = fault.get();
            if (f instanceof org.mailhygiene.testkit.server.Fault.Stall) {
                record(conn, c, session, streamBytes, stream, null);
                conn.holdUntilClosed();
                return false;
            }
            if (f instanceof org.mailhygiene.testkit.server.Fault.Close
                    || f instanceof org.mailhygiene.testkit.server.Fault.CloseAfter) {
                record(conn, c, session, streamBytes, stream, null);
                return false;
            }
            if (f instanceof org.mailhygiene.testkit.server.Fault.Reply r) {
                record(conn, c, session, streamBytes, stream, r.text());
                send(out, r.text(), c.framing);
                return true;
            }
            if (f instanceof org.mailhygiene.testkit.server.Fault.ReplyAfter r) {
                record(conn, c, session, streamBytes, stream, r.text());
                send(out, r.text(), c.framing);
                return false;
            }
            if (f instanceof org.mailhygiene.testkit.server.Fault.Delay d && !conn.pause(d.delay())) {
                record(conn, c, session, streamBytes, stream, null);
                return false;
            }
        }
        record(conn, c, session, streamBytes, stream, normal);
        send(out, normal, c.framing);
        return true;
    }

    private static void send(OutputStream out, String reply, char framing) throws IOException {
        byte[] text = reply.getBytes(StandardCharsets.UTF_8);
        byte[] b = java.util.Arrays.copyOf(text, text.length + 1);
        b[text.length] = (byte) (framing == 'z' ? 0 : '\n');
        out.write(b);
        out.flush();
    }

    private void record(FakeConnection conn, Line c, boolean session, long streamBytes, byte[] stream, String reply) {
        log.record(new Request(
                conn.transport(),
                c.framing,
                c.name,
                session,
                streamBytes,
                stream,
                Optional.ofNullable(reply),
                conn.id()));
    }

    private record Line(char framing, String name) {}

    /** Reads one command; returns {@code null} at end of stream. */
    private static Line readCommand(DataInputStream in) throws IOException {
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
        return new Line(framing, n);
    }

    /** Stops listening, closes every connection and removes the unix socket file. Idempotent. */
    @Override
    public void close() {
        server.close();
    }

    @Override
    public String toString() {
        return "FakeClamd[" + tcpAddress() + "]";
    }

    /** Configures and starts a {@link FakeClamd}. Not thread-safe. */
    public static final class Builder {
        private int port;
        private String version = "ClamAV 1.4.6";
        private long streamMaxLength = 25L * 1024 * 1024;
        private String eicarName = "Eicar-Test-Signature";
        private final Map<String, String> signatures = new LinkedHashMap<>();
        private Path socketPath;

        private Builder() {}

        /**
         * The TCP port on 127.0.0.1. Default 0: an ephemeral port (read it with {@link FakeClamd#port()}). A fixed
         * port is for environments that allow only some ports.
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
