package org.mailhygiene.testkit.spamd;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.DataFormatException;
import java.util.zip.InflaterInputStream;
import org.mailhygiene.api.Rule;
import org.mailhygiene.testkit.server.FakeConnection;
import org.mailhygiene.testkit.server.FakeServer;
import org.mailhygiene.testkit.server.FaultScript;
import org.mailhygiene.testkit.server.RequestLog;

/**
 * A fake spamd: a real TCP server on 127.0.0.1 (an ephemeral port) speaking SPAMC/1.5 the way spamd 4.0.1 does, for
 * tests of spamd clients.
 *
 * <p>Behaviour, matching spamd where it matters to a client:
 * <ul>
 *   <li>Methods CHECK, SYMBOLS, REPORT, REPORT_IFSPAM, PROCESS, HEADERS, PING, SKIP and TELL; anything else gets
 *       {@code SPAMD/1.0 76 Bad header line: <line>}. One request per connection.
 *   <li>Request headers are read as spamd reads them: a line is {@code Name:value} (blanks after the colon optional),
 *       the header block ends only at an empty line ending in CRLF (a bare LF there is {@code 76 Bad header line:
 *       (header not in 'Name: value' format)}), a request cut before that line is {@code (EOF during headers)} and one
 *       cut before its first line {@code (closed before headers)}; a {@code Content-length} of anything but digits is
 *       {@code (Content-Length contains non-numeric bytes)}.
 *   <li>Header names are matched case-sensitively: {@code Content-length} (not {@code Content-Length}), {@code User},
 *       {@code Compress}, {@code Message-class}, {@code Set}, {@code Remove}; others are ignored. Without
 *       {@code Content-length} the body is read until the client half-closes; a shorter body gets
 *       {@code 76 Bad header line: (Content-Length mismatch: Expected N bytes, got M bytes)}. {@code Compress: zlib}
 *       bodies are inflated (and need {@code Content-length}).
 *   <li>Scoring: a message holding the GTUBE string where SpamAssassin's body rules look for it (the Subject, its
 *       RFC 2047 encoded words decoded, the
 *       decoded text of a text part: base64 and quoted-printable decoded, multipart and {@code message/rfc822} parts
 *       opened; not the bytes of a binary attachment) scores 1000.0 with rule {@code GTUBE}; a message holding a
 *       {@linkplain #script(String, double, Rule...) scripted marker} gets that score and those rules (the first
 *       matching script wins, GTUBE before any script); everything else gets the {@linkplain #defaultScore default}
 *       (0.0, no rules). Spam means {@code score >= threshold} (default 5.0).
 *   <li>Replies have spamd's exact shapes: status {@code SPAMD/1.1 0 EX_OK} ({@code SPAMD/1.5 0 PONG} for PING),
 *       {@code Spam: True ; 1000.0 / 5.0} (REPORT_IFSPAM says {@code Yes}/{@code No}), {@code Content-length} for
 *       replies with a body, a SYMBOLS list without trailing newline, a REPORT with spamd's rule table (scores of 10
 *       points or more as whole numbers, others to one decimal, descriptions in UTF-8 as from a site's UTF-8 rule
 *       file), PROCESS and
 *       HEADERS with {@code X-Spam-*} headers added as with {@code report_safe 0}.
 *   <li>TELL is refused with {@code 69} unless {@link Builder#allowTell(boolean)}; learned messages are kept per class
 *       and can be queried with {@link #learned(String)}.
 * </ul>
 *
 * <p>Scripting and faults: faults of the testkit's shared model ({@link org.mailhygiene.testkit.server.Fault}) target
 * a method ({@link #enqueue(Method, org.mailhygiene.testkit.server.Fault)},
 * {@link #always(Method, org.mailhygiene.testkit.server.Fault)}), so a health PING of the code under test cannot take
 * a fault meant for a CHECK. Every request that was read is recorded ({@link #takeRequest(Duration)},
 * {@link #requests()}). Built on the shared {@link FakeServer}.
 *
 * <p>Thread-safe: scripting may happen while connections are served. {@link #close()} stops the server, releases
 * stalled connections and closes every open socket.
 */
public final class FakeSpamd implements AutoCloseable {
    /** The GTUBE test string; a message containing it scores 1000. */
    public static final String GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

    private static final Pattern REQUEST_LINE = Pattern.compile("([A-Z_]+) SPAMC/(\\d+\\.\\d+)");
    private static final Set<String> METHODS =
            Set.of("CHECK", "SYMBOLS", "REPORT", "REPORT_IFSPAM", "PROCESS", "HEADERS", "PING", "SKIP", "TELL");

    private record Script(String marker, double score, List<Rule> rules) {}

    /** The methods a fault can target. */
    public enum Method {
        /** {@code CHECK}. */
        CHECK,
        /** {@code SYMBOLS}. */
        SYMBOLS,
        /** {@code REPORT}. */
        REPORT,
        /** {@code REPORT_IFSPAM}. */
        REPORT_IFSPAM,
        /** {@code PROCESS}. */
        PROCESS,
        /** {@code HEADERS}. */
        HEADERS,
        /** {@code PING}: health probes. */
        PING,
        /** {@code SKIP}. */
        SKIP,
        /** {@code TELL}: learning. */
        TELL
    }

    private final FakeServer server;
    private final double threshold;
    private final boolean allowTell;
    private final List<Script> scripts = new CopyOnWriteArrayList<>();
    private volatile Script defaultScript = new Script("", 0.0, List.of());
    private final FaultScript<Method> faults = new FaultScript<>();
    private final RequestLog<RecordedRequest> log = new RequestLog<>("spamd");
    private final Map<String, List<String>> learned = new ConcurrentHashMap<>();

    private FakeSpamd(Builder b) throws IOException {
        this.threshold = b.threshold;
        this.allowTell = b.allowTell;
        this.server = FakeServer.builder("fake-spamd", this::serve)
                .backlog(50)
                .port(b.port)
                .start();
    }

    /**
     * Starts a fake with the defaults (threshold 5.0, TELL refused).
     *
     * @return a running fake
     * @throws IOException if no port can be bound
     */
    public static FakeSpamd start() throws IOException {
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
     * The host to connect to.
     *
     * @return {@code 127.0.0.1}
     */
    public String host() {
        return server.address().getAddress().getHostAddress();
    }

    /**
     * The port the fake listens on.
     *
     * @return the port
     */
    public int port() {
        return server.port();
    }

    /**
     * {@code host:port}, as accepted by {@code --spamd} and {@code SpamdClient.builder(String)}.
     *
     * @return the address
     */
    public String address() {
        return host() + ":" + port();
    }

    /**
     * The threshold ({@code required_score}) the fake reports.
     *
     * @return the threshold
     */
    public double threshold() {
        return threshold;
    }

    /**
     * Scripts a score: a message whose bytes (read as ISO-8859-1) contain {@code marker} gets {@code score} and
     * {@code rules}. Scripts are tried in the order added.
     *
     * @param marker a non-empty marker
     * @param score the score to report
     * @param rules the rules to report, with scores and descriptions where given
     * @return this fake
     * @throws IllegalArgumentException if the marker is empty
     */
    public FakeSpamd script(String marker, double score, Rule... rules) {
        Objects.requireNonNull(marker, "marker");
        if (marker.isEmpty()) {
            throw new IllegalArgumentException("marker must not be empty");
        }
        scripts.add(new Script(marker, score, List.of(rules)));
        return this;
    }

    /**
     * The score and rules for messages that match neither GTUBE nor a script. Default 0.0 and no rules.
     *
     * @param score the score
     * @param rules the rules
     * @return this fake
     */
    public FakeSpamd defaultScore(double score, Rule... rules) {
        defaultScript = new Script("", score, List.of(rules));
        return this;
    }

    /**
     * Queues a one-shot fault for the next request of {@code method} (see {@link FaultScript} for the order in which
     * faults apply); requests of other methods (a health {@code PING}) cannot take it.
     *
     * <p>How each fault plays out: {@code Refuse} closes right after the request line; {@code StallReading} reads
     * nothing more and holds the connection until the fake is closed; {@code Stall} reads the whole request and never
     * answers; {@code Close} reads it and closes without a reply; {@code CloseAfter(n)} closes after {@code n} body
     * bytes; {@code Reply(text)} reads the request and sends {@code text} exactly as given (ISO-8859-1, no line end
     * added: a whole spamd reply, an error line such as {@code SPAMD/1.0 76 Bad header line: x\r\n}, or garbage),
     * then closes; {@code ReplyAfter(n, text)} does so after {@code n} body bytes; {@code Delay(d)} answers normally
     * after {@code d}. A partly read request is recorded with the body bytes read.
     *
     * @param method the method it targets
     * @param fault the fault
     * @return this fake
     */
    public FakeSpamd enqueue(Method method, org.mailhygiene.testkit.server.Fault fault) {
        faults.enqueue(method, fault);
        return this;
    }

    /**
     * Sets the standing fault for every request of {@code method} until {@link #clearFaults()}.
     *
     * @param method the method
     * @param fault the fault, or {@code null} to remove it
     * @return this fake
     */
    public FakeSpamd always(Method method, org.mailhygiene.testkit.server.Fault fault) {
        faults.always(method, fault);
        return this;
    }

    /**
     * Applies a fault to the next connection, whatever it carries.
     *
     * @param fault the fault
     * @return this fake
     * @deprecated racy when the code under test opens connections of its own (a health PING can take it); use
     *     {@link #enqueue(Method, org.mailhygiene.testkit.server.Fault)}
     */
    @Deprecated(since = "0.2.0")
    public FakeSpamd enqueue(Fault fault) {
        faults.enqueueConnection(Objects.requireNonNull(fault, "fault").toFault());
        return this;
    }

    /**
     * Applies a fault to every request (after queued ones are used up) until {@link #clearFaults()}.
     *
     * @param fault the fault
     * @return this fake
     * @deprecated use {@link #always(Method, org.mailhygiene.testkit.server.Fault)} per method
     */
    @Deprecated(since = "0.2.0")
    public FakeSpamd failAll(Fault fault) {
        faults.alwaysAny(Objects.requireNonNull(fault, "fault").toFault());
        return this;
    }

    /**
     * Removes queued and standing faults.
     *
     * @return this fake
     */
    public FakeSpamd clearFaults() {
        faults.clear();
        return this;
    }

    /**
     * Waits for the next recorded request, in arrival order.
     *
     * @param timeout how long to wait
     * @return the request
     * @throws InterruptedException if interrupted
     * @throws AssertionError if no request arrived in time
     */
    public RecordedRequest takeRequest(Duration timeout) throws InterruptedException {
        return log.take(timeout);
    }

    /**
     * Waits for the next request of {@code method} not yet taken; requests of other methods before it are taken and
     * skipped.
     *
     * @param method the method
     * @param timeout how long to wait
     * @return the request
     * @throws InterruptedException if interrupted
     * @throws AssertionError if none arrived in time
     */
    public RecordedRequest takeRequest(Method method, Duration timeout) throws InterruptedException {
        return log.take(method.name(), timeout);
    }

    /**
     * Every request recorded so far, in arrival order.
     *
     * @return a snapshot
     */
    public List<RecordedRequest> requests() {
        return log.all();
    }

    /**
     * How many connections were accepted (including ones that sent nothing).
     *
     * @return the count
     */
    public int connectionCount() {
        return (int) server.connectionCount();
    }

    /**
     * The message bodies learned as the given class through TELL (and not forgotten).
     *
     * @param messageClass {@code spam} or {@code ham}
     * @return the bodies as ISO-8859-1 text, in learning order
     */
    public List<String> learned(String messageClass) {
        return List.copyOf(learned.getOrDefault(messageClass, List.of()));
    }

    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30); // spamd's --timeout-tcp default

    private void serve(FakeConnection conn) throws IOException, InterruptedException {
        conn.readTimeout(READ_TIMEOUT);
        Optional<org.mailhygiene.testkit.server.Fault> connectionFault = faults.pollConnection();
        if (connectionFault.isPresent()
                && connectionFault.get() instanceof org.mailhygiene.testkit.server.Fault.StallReading) {
            conn.holdWithoutReading(); // the older model: not even the request line is read
            return;
        }
        InputStream in = new BufferedInputStream(conn.input());
        OutputStream out = conn.output();
        String line = readLine(in);
        if (line == null) {
            reply(out, "SPAMD/1.0 76 Bad header line: (closed before headers)\r\n");
            return;
        }
        Matcher m = REQUEST_LINE.matcher(line);
        if (!m.matches() || !METHODS.contains(m.group(1))) {
            reply(out, "SPAMD/1.0 76 Bad header line: " + line + "\r\n");
            return;
        }
        String method = m.group(1);
        String version = m.group(2);
        org.mailhygiene.testkit.server.Fault fault =
                (connectionFault.isPresent() ? connectionFault : faults.next(Method.valueOf(method))).orElse(null);
        if (fault instanceof org.mailhygiene.testkit.server.Fault.Refuse) {
            record(conn, method, version, List.of(), new byte[0], new byte[0], false);
            return;
        }
        if (fault instanceof org.mailhygiene.testkit.server.Fault.StallReading) {
            record(conn, method, version, List.of(), new byte[0], new byte[0], false);
            conn.holdWithoutReading();
            return;
        }
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        while (true) {
            // as spamd: only CRLF is taken off a header line, so a bare LF line is no end of the header block
            String h = readRawLine(in);
            if (h == null || !h.endsWith("\n")) {
                reply(out, "SPAMD/1.0 76 Bad header line: (EOF during headers)\r\n");
                return;
            }
            if (h.endsWith("\r\n")) {
                h = h.substring(0, h.length() - 2);
            }
            if (h.isEmpty()) {
                break;
            }
            // spamd splits at the first colon and the blanks after it: "Name:value" is a header too
            int colon = h.indexOf(':');
            if (colon < 0) {
                reply(out, "SPAMD/1.0 76 Bad header line: (header not in 'Name: value' format)\r\n");
                return;
            }
            int value = colon + 1;
            while (value < h.length() && Character.isWhitespace(h.charAt(value))) {
                value++;
            }
            String v = h.substring(value);
            headers.add(new AbstractMap.SimpleImmutableEntry<>(
                    h.substring(0, colon), v.endsWith("\n") ? v.substring(0, v.length() - 1) : v));
            if (headers.size() > 255) {
                reply(out, "SPAMD/1.0 76 Bad header line: (too many headers)\r\n");
                return;
            }
        }
        long cut = -1;
        Optional<String> cutReply = Optional.empty();
        if (fault instanceof org.mailhygiene.testkit.server.Fault.CloseAfter ca) {
            cut = ca.bytes();
        } else if (fault instanceof org.mailhygiene.testkit.server.Fault.ReplyAfter ra) {
            cut = ra.bytes();
            cutReply = Optional.of(ra.text());
        }
        String length = find(headers, "Content-length");
        String compress = find(headers, "Compress");
        boolean halfClosed;
        byte[] wire;
        if (method.equals("PING") || method.equals("SKIP")) {
            wire = new byte[0];
            halfClosed = false;
        } else if (length != null) {
            long expected;
            try {
                // spamd takes digits only (no sign, no blanks); an empty value is a length of zero
                if (!length.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    throw new NumberFormatException(length);
                }
                expected = length.isEmpty() ? 0 : Long.parseLong(length);
            } catch (NumberFormatException e) {
                reply(out, "SPAMD/1.0 76 Bad header line: (Content-Length contains non-numeric bytes)\r\n");
                return;
            }
            if (cut >= 0 && cut < expected) {
                wire = readUpTo(in, cut);
                record(conn, method, version, headers, wire, wire, false);
                if (cutReply.isPresent()) {
                    reply(out, cutReply.get());
                }
                return;
            }
            wire = readUpTo(in, expected);
            halfClosed = wire.length < expected || sawEof(conn, in);
            if (wire.length != expected) {
                record(conn, method, version, headers, wire, wire, halfClosed);
                reply(
                        out,
                        "SPAMD/1.0 76 Bad header line: (Content-Length mismatch: Expected " + expected + " bytes, got "
                                + wire.length + " bytes)\r\n");
                return;
            }
        } else if (cut >= 0) {
            wire = readUpTo(in, cut);
            record(conn, method, version, headers, wire, wire, false);
            if (cutReply.isPresent()) {
                reply(out, cutReply.get());
            }
            return;
        } else {
            wire = in.readAllBytes();
            halfClosed = true;
        }
        byte[] body = wire;
        if (compress != null) {
            if (!compress.equals("zlib")) {
                reply(out, "SPAMD/1.0 76 Bad header line: (compression type not supported: " + compress + ")\r\n");
                return;
            }
            if (length == null) {
                reply(out, "SPAMD/1.0 69 Service Unavailable: Compress requires Content-length header\r\n");
                return;
            }
            try {
                body = inflate(wire);
            } catch (IOException e) {
                reply(out, "SPAMD/1.0 76 Bad header line: (zlib inflate failed)\r\n");
                return;
            }
        }
        record(conn, method, version, headers, body, wire, halfClosed);
        if (fault instanceof org.mailhygiene.testkit.server.Fault.Stall) {
            conn.holdUntilClosed();
            return;
        }
        if (fault instanceof org.mailhygiene.testkit.server.Fault.Close
                || fault instanceof org.mailhygiene.testkit.server.Fault.CloseAfter) {
            return;
        }
        if (fault instanceof org.mailhygiene.testkit.server.Fault.Reply r) {
            reply(out, r.text());
            return;
        }
        if (fault instanceof org.mailhygiene.testkit.server.Fault.ReplyAfter r) {
            reply(out, r.text());
            return;
        }
        if (fault instanceof org.mailhygiene.testkit.server.Fault.Delay d && !conn.pause(d.delay())) {
            return;
        }
        answer(out, method, headers, body);
    }

    private void record(
            FakeConnection conn,
            String method,
            String version,
            List<Map.Entry<String, String>> headers,
            byte[] body,
            byte[] wire,
            boolean halfClosed) {
        log.record(new RecordedRequest(method, version, headers, body, wire, halfClosed, conn.id()));
    }

    private void answer(OutputStream out, String method, List<Map.Entry<String, String>> headers, byte[] body)
            throws IOException {
        switch (method) {
            case "PING" -> reply(out, "SPAMD/1.5 0 PONG\r\n");
            case "SKIP" -> {} // no reply, just close
            case "TELL" -> tell(out, headers, body);
            default -> scored(out, method, body);
        }
    }

    private void tell(OutputStream out, List<Map.Entry<String, String>> headers, byte[] body) throws IOException {
        if (!allowTell) {
            reply(
                    out,
                    "SPAMD/1.0 69 Service Unavailable: TELL commands are not enabled, set the --allow-tell "
                            + "switch.\r\n");
            return;
        }
        String cls = find(headers, "Message-class");
        String set = find(headers, "Set");
        String remove = find(headers, "Remove");
        boolean setLocal = set != null && set.contains("local");
        boolean removeLocal = remove != null && remove.contains("local");
        if (setLocal && removeLocal) {
            reply(
                    out,
                    "SPAMD/1.0 76 Bad header line: Unable to set local and remove local in the same "
                            + "operation.\r\n");
            return;
        }
        if (setLocal && (cls == null || !(cls.equals("spam") || cls.equals("ham")))) {
            reply(out, "SPAMD/1.0 76 Bad header line: (Invalid Message-class: " + cls + ")\r\n");
            return;
        }
        String text = new String(body, StandardCharsets.ISO_8859_1);
        StringBuilder sb = new StringBuilder("SPAMD/1.1 0 EX_OK\r\n");
        if (removeLocal) {
            boolean removed = false;
            for (List<String> list : learned.values()) {
                synchronized (list) {
                    removed |= list.remove(text);
                }
            }
            if (removed) {
                sb.append("DidRemove: local\r\n");
            }
        }
        if (setLocal) {
            List<String> list = learned.computeIfAbsent(cls, k -> Collections.synchronizedList(new ArrayList<>()));
            if (!list.contains(text)) {
                list.add(text);
                sb.append("DidSet: local\r\n");
            }
        }
        sb.append("\r\n\r\n");
        reply(out, sb.toString());
    }

    private void scored(OutputStream out, String method, byte[] body) throws IOException {
        String text = new String(body, StandardCharsets.ISO_8859_1);
        Script s = scriptFor(text);
        boolean spam = s.score() >= threshold;
        String scoreText = formatScore(s.score(), spam);
        String flag = method.equals("REPORT_IFSPAM") ? (spam ? "Yes" : "No") : (spam ? "True" : "False");
        String spamHeader = "Spam: " + flag + " ; " + scoreText + " / " + format(threshold) + "\r\n";
        byte[] replyBody = switch (method) {
            case "CHECK" -> null;
            case "SYMBOLS" -> String.join(",", sortedNames(s.rules())).getBytes(StandardCharsets.US_ASCII);
            case "REPORT" -> report(s, text).getBytes(StandardCharsets.ISO_8859_1);
            case "REPORT_IFSPAM" -> spam ? report(s, text).getBytes(StandardCharsets.ISO_8859_1) : new byte[0];
            case "PROCESS" -> rewrite(body, s, spam, false);
            case "HEADERS" -> rewrite(body, s, spam, true);
            default -> throw new IllegalStateException(method);
        };
        ByteArrayOutputStream r = new ByteArrayOutputStream();
        r.writeBytes("SPAMD/1.1 0 EX_OK\r\n".getBytes(StandardCharsets.US_ASCII));
        if (replyBody != null) {
            r.writeBytes(("Content-length: " + replyBody.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        }
        r.writeBytes(spamHeader.getBytes(StandardCharsets.US_ASCII));
        r.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        if (replyBody != null) {
            r.writeBytes(replyBody);
        }
        out.write(r.toByteArray());
        out.flush();
    }

    private Script scriptFor(String text) {
        if (bodyRuleText(text).contains(GTUBE)) {
            return new Script(
                    GTUBE, 1000.0, List.of(Rule.of("GTUBE", 1000.0, "BODY: Generic Test for Unsolicited Bulk Email")));
        }
        for (Script s : scripts) {
            if (text.contains(s.marker())) {
                return s;
            }
        }
        return defaultScript;
    }

    /** How deep {@link #bodyRuleText} opens nested multiparts and messages. */
    private static final int MAX_MIME_DEPTH = 20;

    /**
     * What SpamAssassin's body rules (GTUBE is one) read of a message: its Subject and the decoded text of its text
     * parts (a part without a Content-Type is text), opening multiparts and attached messages; a binary attachment's
     * bytes are not read. Characters are bytes (ISO-8859-1), as the message arrived.
     */
    static String bodyRuleText(String message) {
        StringBuilder out = new StringBuilder();
        int[] split = headerEnd(message);
        String header = message.substring(0, split[0]);
        field(header, "subject")
                .map(FakeSpamd::decodeEncodedWords)
                .ifPresent(v -> out.append(v).append('\n'));
        part(header, message.substring(split[1]), 0, out);
        return out.toString();
    }

    private static void part(String header, String body, int depth, StringBuilder out) {
        String type = field(header, "content-type").orElse("text/plain");
        String mediaType = type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (mediaType.startsWith("multipart/") && depth < MAX_MIME_DEPTH) {
            Optional<String> boundary = parameter(type, "boundary");
            if (boundary.isEmpty()) {
                out.append(body).append('\n');
                return;
            }
            String delimiter = "--" + boundary.get();
            List<String> parts = new ArrayList<>();
            StringBuilder current = null;
            for (String line : body.split("\r?\n", -1)) {
                String rest = line.startsWith(delimiter) ? line.substring(delimiter.length()) : null;
                // a delimiter line is the boundary alone (RFC 2046: then blanks), or closes with "--": an inner
                // boundary that extends the outer one ("--b" and "--b2") is no delimiter of the outer part
                if (rest != null && (rest.isBlank() || rest.startsWith("--"))) {
                    if (current != null) {
                        parts.add(current.toString());
                    }
                    if (rest.startsWith("--")) {
                        current = null;
                        break;
                    }
                    current = new StringBuilder();
                } else if (current != null) {
                    current.append(line).append("\r\n");
                }
            }
            if (current != null) {
                parts.add(current.toString());
            }
            for (String p : parts) {
                int[] split = headerEnd(p);
                part(p.substring(0, split[0]), p.substring(split[1]), depth + 1, out);
            }
        } else if (mediaType.equals("message/rfc822") && depth < MAX_MIME_DEPTH) {
            int[] split = headerEnd(body);
            String inner = body.substring(0, split[0]);
            field(inner, "subject")
                    .map(FakeSpamd::decodeEncodedWords)
                    .ifPresent(v -> out.append(v).append('\n'));
            part(inner, body.substring(split[1]), depth + 1, out);
        } else if (mediaType.startsWith("text/")) {
            String encoding = field(header, "content-transfer-encoding")
                    .orElse("")
                    .strip()
                    .toLowerCase(Locale.ROOT);
            out.append(decode(body, encoding)).append('\n');
        }
    }

    private static String decode(String body, String encoding) {
        if (encoding.equals("base64")) {
            StringBuilder clean = new StringBuilder(body.length());
            for (int i = 0; i < body.length(); i++) {
                char c = body.charAt(i);
                if ((c >= 'A' && c <= 'Z')
                        || (c >= 'a' && c <= 'z')
                        || (c >= '0' && c <= '9')
                        || c == '+'
                        || c == '/') {
                    clean.append(c);
                }
            }
            if (clean.length() % 4 == 1) {
                clean.setLength(clean.length() - 1); // a lone sextet carries no byte
            }
            try {
                return new String(
                        java.util.Base64.getDecoder().decode(pad(clean).toString()), StandardCharsets.ISO_8859_1);
            } catch (IllegalArgumentException e) {
                return "";
            }
        }
        if (encoding.equals("quoted-printable")) {
            StringBuilder d = new StringBuilder(body.length());
            for (int i = 0; i < body.length(); i++) {
                char c = body.charAt(i);
                if (c == '=' && i + 1 < body.length() && (body.charAt(i + 1) == '\n' || body.charAt(i + 1) == '\r')) {
                    i += body.charAt(i + 1) == '\r' && i + 2 < body.length() && body.charAt(i + 2) == '\n' ? 2 : 1;
                } else if (c == '='
                        && i + 2 < body.length()
                        && Character.digit(body.charAt(i + 1), 16) >= 0
                        && Character.digit(body.charAt(i + 2), 16) >= 0) {
                    d.append((char) Integer.parseInt(body.substring(i + 1, i + 3), 16));
                    i += 2;
                } else {
                    d.append(c);
                }
            }
            return d.toString();
        }
        return body;
    }

    private static StringBuilder pad(StringBuilder b64) {
        while (b64.length() % 4 != 0) {
            b64.append('=');
        }
        return b64;
    }

    /** Where the header ends and the body begins (after the first empty line; the whole text is header without one). */
    private static int[] headerEnd(String m) {
        if (m.startsWith("\r\n")) {
            return new int[] {0, 2};
        }
        if (m.startsWith("\n")) {
            return new int[] {0, 1};
        }
        int crlf = m.indexOf("\r\n\r\n");
        int lf = m.indexOf("\n\n");
        if (crlf >= 0 && (lf < 0 || crlf < lf)) {
            return new int[] {crlf + 2, crlf + 4};
        }
        if (lf >= 0) {
            return new int[] {lf + 1, lf + 2};
        }
        return new int[] {m.length(), m.length()};
    }

    /** The first field named {@code name} (lower case) of a header, unfolded. */
    private static Optional<String> field(String header, String name) {
        String[] lines = header.split("\r?\n");
        for (int i = 0; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0
                    && lines[i].substring(0, colon)
                            .strip()
                            .toLowerCase(Locale.ROOT)
                            .equals(name)) {
                StringBuilder v =
                        new StringBuilder(lines[i].substring(colon + 1).strip());
                while (i + 1 < lines.length
                        && !lines[i + 1].isEmpty()
                        && (lines[i + 1].charAt(0) == ' ' || lines[i + 1].charAt(0) == '\t')) {
                    v.append(' ').append(lines[++i].strip());
                }
                return Optional.of(v.toString());
            }
        }
        return Optional.empty();
    }

    /** An RFC 2047 encoded word: charset, Q or B, encoded text. */
    private static final Pattern ENCODED_WORD = Pattern.compile("=\\?[^?\\s]+\\?([QqBb])\\?([^?\\s]*)\\?=");

    /**
     * A header value with its RFC 2047 encoded words decoded, as SpamAssassin decodes the Subject before its body rules
     * read it: each word's bytes as ISO-8859-1 characters (enough for the ASCII test strings), blanks between two
     * encoded words dropped, a word that does not decode left as it is. One pass, linear in the value.
     */
    static String decodeEncodedWords(String value) {
        Matcher m = ENCODED_WORD.matcher(value);
        StringBuilder out = new StringBuilder(value.length());
        int last = 0;
        boolean previousWasEncoded = false;
        while (m.find()) {
            String between = value.substring(last, m.start());
            Optional<String> decoded = decodeWord(m.group(1), m.group(2));
            if (!(previousWasEncoded && decoded.isPresent() && between.isBlank())) {
                out.append(between);
            }
            out.append(decoded.orElse(m.group()));
            previousWasEncoded = decoded.isPresent();
            last = m.end();
        }
        return out.append(value, last, value.length()).toString();
    }

    private static Optional<String> decodeWord(String encoding, String text) {
        if (encoding.equalsIgnoreCase("B")) {
            try {
                return Optional.of(new String(java.util.Base64.getDecoder().decode(text), StandardCharsets.ISO_8859_1));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }
        StringBuilder d = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '_') {
                d.append(' ');
            } else if (c == '='
                    && i + 2 < text.length()
                    && Character.digit(text.charAt(i + 1), 16) >= 0
                    && Character.digit(text.charAt(i + 2), 16) >= 0) {
                d.append((char) Integer.parseInt(text.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                d.append(c);
            }
        }
        return Optional.of(d.toString());
    }

    /** A Content-Type parameter's value, quotes removed. */
    private static Optional<String> parameter(String type, String name) {
        for (String p : type.split(";")) {
            int eq = p.indexOf('=');
            if (eq > 0 && p.substring(0, eq).strip().toLowerCase(Locale.ROOT).equals(name)) {
                String v = p.substring(eq + 1).strip();
                if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                    v = v.substring(1, v.length() - 1);
                }
                return v.isEmpty() ? Optional.empty() : Optional.of(v);
            }
        }
        return Optional.empty();
    }

    /**
     * spamd's rule: one decimal; ham whose rounded score reaches the rounded threshold shows that threshold - 0.1
     * (compared with the unrounded threshold, ham at 6.80 under 6.84 printed {@code False ; 6.8 / 6.8}).
     */
    private String formatScore(double score, boolean spam) {
        String s = format(score);
        double shown = Double.parseDouble(format(threshold));
        if (!spam && Double.parseDouble(s) >= shown) {
            return format(shown - 0.1);
        }
        return s;
    }

    private static String format(double d) {
        return String.format(Locale.ROOT, "%.1f", d);
    }

    private static List<String> sortedNames(List<Rule> rules) {
        List<String> names = new ArrayList<>();
        rules.forEach(r -> names.add(r.name()));
        Collections.sort(names);
        return names;
    }

    private String report(Script s, String text) {
        StringBuilder sb = new StringBuilder();
        sb.append("Spam detection software, running on the system \"fake-spamd\",\n");
        sb.append("has identified this incoming email as possible spam.\n\n");
        String preview = text.length() > 60 ? text.substring(0, 60) : text;
        sb.append("Content preview:  ")
                .append(preview.replaceAll("\\s+", " ").strip())
                .append("\n\n");
        sb.append("Content analysis details:   (")
                .append(format(s.score()))
                .append(" points, ")
                .append(format(threshold))
                .append(" required)\n\n");
        sb.append(" pts rule name              description\n");
        sb.append("---- ---------------------- --------------------------------------------------\n");
        List<Rule> rules = new ArrayList<>(s.rules());
        rules.sort(Comparator.comparing(Rule::name));
        for (Rule r : rules) {
            // as SpamAssassin's PerMsgStatus prints a row: 10 points or more (either sign) as a whole number, others
            // to one decimal (it cut "12.0" to four characters and "-20.0" to "-20.", where spamd prints "  12" and
            // " -20")
            double score = r.score().orElse(0.0);
            String pts = Math.abs(score) >= 10
                    ? String.format(Locale.ROOT, "%4.0f", score)
                    : String.format(Locale.ROOT, "%4.1f", score);
            // the description goes out as UTF-8, as spamd copies a site's UTF-8 rule file byte for byte (the report
            // is written as ISO-8859-1 below, one char per byte, for the message text in its preview); it was "?"
            String description =
                    new String(r.description().getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
            sb.append(String.format(Locale.ROOT, "%4s %-22s %s%n", pts, r.name(), description)
                    .replace("\r", ""));
        }
        sb.append("\n");
        return sb.toString();
    }

    private byte[] rewrite(byte[] body, Script s, boolean spam, boolean headersOnly) {
        int end = headerEnd(body);
        String eol = end >= 2 && body[end - 2] == '\r' ? "\r\n" : "\n";
        StringBuilder added = new StringBuilder();
        added.append("X-Spam-Checker-Version: FakeSpamd").append(eol);
        if (spam) {
            added.append("X-Spam-Flag: YES").append(eol);
        }
        added.append("X-Spam-Status: ")
                .append(spam ? "Yes" : "No")
                .append(", score=")
                .append(format(s.score()))
                .append(" required=")
                .append(format(threshold))
                .append(" tests=")
                .append(s.rules().isEmpty() ? "none" : String.join(",", sortedNames(s.rules())))
                .append(eol);
        int headerBlock = end < 0 ? body.length : end;
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + added.length());
        out.write(body, 0, headerBlock);
        if (headerBlock > 0 && body[headerBlock - 1] != '\n') {
            out.writeBytes(eol.getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes(added.toString().getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(eol.getBytes(StandardCharsets.US_ASCII));
        if (!headersOnly && end >= 0) {
            int bodyStart = end + eol.length();
            out.write(body, bodyStart, body.length - bodyStart);
        }
        return out.toByteArray();
    }

    /** Index just after the last header line's line end (where the blank line starts), or -1 without one. */
    private static int headerEnd(byte[] b) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == '\n' && i + 1 < b.length) {
                if (b[i + 1] == '\n') {
                    return i + 1;
                }
                if (b[i + 1] == '\r' && i + 2 < b.length && b[i + 2] == '\n') {
                    return i + 1;
                }
            }
        }
        return -1;
    }

    private static byte[] inflate(byte[] wire) throws IOException {
        try (InputStream z = new InflaterInputStream(new ByteArrayInputStream(wire))) {
            return z.readAllBytes();
        } catch (java.util.zip.ZipException e) {
            throw new IOException(new DataFormatException(e.getMessage()));
        }
    }

    private static String find(List<Map.Entry<String, String>> headers, String name) {
        for (Map.Entry<String, String> e : headers) {
            if (e.getKey().equals(name)) {
                return e.getValue();
            }
        }
        return null;
    }

    /** Whether the client half-closed after the body; waits at most 200 ms, as the reply must not depend on it. */
    private static boolean sawEof(FakeConnection c, InputStream in) throws IOException {
        c.readTimeout(Duration.ofMillis(200));
        try {
            return in.read() < 0;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } finally {
            c.readTimeout(READ_TIMEOUT);
        }
    }

    private static byte[] readUpTo(InputStream in, long n) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(n, 1 << 20));
        byte[] buf = new byte[16 * 1024];
        long left = n;
        while (left > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                break;
            }
            out.write(buf, 0, r);
            left -= r;
        }
        return out.toByteArray();
    }

    /** A line with its terminator (LF, and the CR before it if one was sent); at the end of the input, what is left. */
    private static String readRawLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int c = in.read();
            if (c < 0) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
            }
            line.write(c);
            if (c == '\n') {
                return line.toString(StandardCharsets.ISO_8859_1);
            }
            if (line.size() > 8192) {
                throw new SocketException("request line too long");
            }
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int c = in.read();
            if (c < 0) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
            }
            if (c == '\n') {
                String s = line.toString(StandardCharsets.ISO_8859_1);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            line.write(c);
            if (line.size() > 8192) {
                throw new SocketException("request line too long");
            }
        }
    }

    private static void reply(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Stops the server, releases stalled connections, and closes every open socket. Idempotent. */
    @Override
    public void close() {
        server.close();
    }

    @Override
    public String toString() {
        return "FakeSpamd[" + address() + "]";
    }

    /** Builds a {@link FakeSpamd}. Not thread-safe. */
    public static final class Builder {
        private int port;
        private double threshold = 5.0;
        private boolean allowTell;

        private Builder() {}

        /**
         * The TCP port on 127.0.0.1. Default 0: an ephemeral port (read it with {@link FakeSpamd#port()}). A fixed
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
         * The {@code required_score} to report and decide with. Default 5.0.
         *
         * @param value a finite threshold
         * @return this builder
         * @throws IllegalArgumentException if not finite
         */
        public Builder threshold(double value) {
            if (!Double.isFinite(value)) {
                throw new IllegalArgumentException("threshold must be finite");
            }
            threshold = value;
            return this;
        }

        /**
         * Whether TELL is served (spamd's {@code --allow-tell}). Default {@code false}: TELL gets code 69.
         *
         * @param value the setting
         * @return this builder
         */
        public Builder allowTell(boolean value) {
            allowTell = value;
            return this;
        }

        /**
         * Starts the fake.
         *
         * @return a running fake
         * @throws IOException if no port can be bound
         */
        public FakeSpamd start() throws IOException {
            return new FakeSpamd(this);
        }
    }
}
