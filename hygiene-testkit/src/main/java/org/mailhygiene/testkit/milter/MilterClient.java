package org.mailhygiene.testkit.milter;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.mailhygiene.internal.Checks;

/**
 * A milter client that plays the MTA, the way Postfix's {@code smtpd_milters} do (Postfix {@code src/milter/milter8.c}
 * is the model): it negotiates options, reports the connection, HELO, sender and recipients, sends the message's
 * header fields, end of headers, the body in chunks of at most 65535 bytes and end of message, and collects the
 * milter's header edits, progress packets and final reply. It honours what the milter negotiated: steps it asked to
 * skip are not sent, steps it will not reply to are not waited for, and header values keep their leading space only
 * with {@code SMFIP_HDR_LEADSPC}. Like Postfix, it does not send a Received header of its own.
 *
 * <pre>{@code
 * try (MilterClient mta = MilterClient.connect(milterAddress)) {
 *     MilterResult r = mta.send("sender@example.net", List.of("rcpt@example.org"), messageBytes);
 *     assertThat(r.smtpReply()).contains("554 5.7.1 Virus found: Eicar-Test-Signature");
 * }
 * }</pre>
 *
 * <p>One connection carries any number of messages ({@link #send} repeatedly). Reads wait at most the
 * {@linkplain Builder#timeout timeout} for each packet (a progress packet restarts it, as in Postfix). A packet longer
 * than {@link #MAX_PACKET} is an {@link IOException}. Not thread-safe: one connection, one thread.
 */
public final class MilterClient implements AutoCloseable {
    /** The largest reply packet accepted: 1 MiB. */
    public static final int MAX_PACKET = 1 << 20;

    /** The body chunk size Postfix uses: 65535. */
    public static final int CHUNK = 65535;

    /** Every action Postfix allows ({@code SMFIF_*} 0x1FF). */
    public static final int ALL_ACTIONS = 0x1FF;

    private static final AtomicLong QUEUE_IDS = new AtomicLong();

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final Negotiated negotiated;
    private boolean connected;

    /**
     * What the milter answered to option negotiation.
     *
     * @param version the protocol version it chose
     * @param actions the {@code SMFIF_*} actions it asked for
     * @param protocol the {@code SMFIP_*} flags it asked for
     */
    public record Negotiated(int version, int actions, int protocol) {
        /**
         * Whether a protocol flag was negotiated.
         *
         * @param flag an {@code SMFIP_*} value
         * @return whether its bits are set
         */
        public boolean has(int flag) {
            return (protocol & flag) == flag;
        }
    }

    private MilterClient(Builder b) throws IOException {
        socket = new Socket();
        try {
            socket.connect(b.address, (int) b.timeout.toMillis());
            socket.setSoTimeout((int) b.timeout.toMillis());
            socket.setTcpNoDelay(true);
            in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
            byte[] opt = new byte[12];
            putInt(opt, 0, b.version);
            putInt(opt, 4, b.actions);
            putInt(opt, 8, b.offeredProtocol());
            write('O', opt);
            out.flush();
            Packet reply = read();
            if (reply.code != 'O' || reply.payload.length < 12) {
                throw new IOException("milter answered option negotiation with " + reply);
            }
            negotiated = new Negotiated(getInt(reply.payload, 0), getInt(reply.payload, 4), getInt(reply.payload, 8));
            if (negotiated.version() > b.version || negotiated.version() < 2) {
                throw new IOException(
                        "milter chose protocol version " + negotiated.version() + ", offered " + b.version);
            }
            if ((negotiated.actions() & ~b.actions) != 0) {
                throw new IOException("milter asked for actions 0x" + Integer.toHexString(negotiated.actions())
                        + " beyond the offered 0x" + Integer.toHexString(b.actions));
            }
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * Connects with the defaults: protocol version 6, every action, every protocol flag, 60 s timeout.
     *
     * @param address the milter's address
     * @return a client after option negotiation
     * @throws IOException if the connection or negotiation fails
     */
    public static MilterClient connect(InetSocketAddress address) throws IOException {
        return builder(address).connect();
    }

    /**
     * A builder, to offer another protocol version, fewer actions or flags, or another timeout.
     *
     * @param address the milter's address
     * @return the builder
     */
    public static Builder builder(InetSocketAddress address) {
        return new Builder(address);
    }

    /**
     * What was negotiated.
     *
     * @return the milter's choices
     */
    public Negotiated negotiated() {
        return negotiated;
    }

    /**
     * Reports an SMTP client connection ({@code SMFIC_CONNECT}), unless the milter asked to skip it.
     *
     * @param hostName the client's host name
     * @param address the client's address
     * @param port the client's port
     * @return the milter's reply ({@code 'c'} continue when it does not reply)
     * @throws IOException if the connection fails
     */
    public MilterResult.Reply connect(String hostName, InetAddress address, int port) throws IOException {
        connected = true;
        macros(
                'C',
                "j",
                "mta.example.test",
                "{daemon_name}",
                "testkit",
                "_",
                hostName + " [" + address.getHostAddress() + "]");
        if (negotiated.has(0x01)) {
            return new MilterResult.Reply('c', "");
        }
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        string(p, hostName);
        p.write(address instanceof Inet6Address ? '6' : '4');
        p.write(port >>> 8);
        p.write(port);
        string(p, address.getHostAddress());
        write('C', p.toByteArray());
        return reply(0x1000);
    }

    /**
     * Reports HELO/EHLO ({@code SMFIC_HELO}), unless skipped.
     *
     * @param name the HELO argument; sent as UTF-8, as Postfix passes on a name the client sent in UTF-8
     * @return the milter's reply
     * @throws IOException if the connection fails
     */
    public MilterResult.Reply helo(String name) throws IOException {
        if (negotiated.has(0x02)) {
            return new MilterResult.Reply('c', "");
        }
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.writeBytes(name.getBytes(StandardCharsets.UTF_8));
        p.write(0);
        write('H', p.toByteArray());
        return reply(0x2000);
    }

    /**
     * Sends one message: MAIL, RCPT per recipient, then header, end of header, body chunks and end of message. A
     * connection and HELO are reported first ({@code client.example.test [127.0.0.1]}) if none was.
     *
     * @param sender the reverse path without brackets ({@code ""} for the null sender); sent as UTF-8, as an MTA
     *     passes an SMTPUTF8 address on
     * @param recipients the forward paths, sent as UTF-8
     * @param message the message bytes (CRLF line ends), as the MTA would store them without its Received header
     * @return the result; when the milter refused at MAIL or RCPT, that reply with no edits
     * @throws IOException if the connection fails or the milter breaks the protocol
     */
    public MilterResult send(String sender, List<String> recipients, byte[] message) throws IOException {
        boolean leadSpace = negotiated.has(0x100000);
        if (!connected) {
            MilterResult.Reply r = connect("client.example.test", InetAddress.getLoopbackAddress(), 40000);
            if (!isContinue(r)) {
                return new MilterResult(r, List.of(), 0, leadSpace);
            }
            r = helo("client.example.test");
            if (!isContinue(r)) {
                return new MilterResult(r, List.of(), 0, leadSpace);
            }
        }
        String queueId = "TK" + Long.toString(QUEUE_IDS.incrementAndGet(), 36).toUpperCase(java.util.Locale.ROOT);
        macros('M', "i", queueId, "{mail_addr}", sender);
        if (!negotiated.has(0x04)) {
            write('M', address(sender));
            MilterResult.Reply r = reply(0x4000);
            if (!isContinue(r)) {
                abort();
                return new MilterResult(r, List.of(), 0, leadSpace);
            }
        }
        for (String rcpt : recipients) {
            macros('R', "{rcpt_addr}", rcpt);
            if (!negotiated.has(0x08)) {
                write('R', address(rcpt));
                MilterResult.Reply r = reply(0x8000);
                if (!isContinue(r)) {
                    abort();
                    return new MilterResult(r, List.of(), 0, leadSpace);
                }
            }
        }
        macros('T', "i", queueId);
        if (!negotiated.has(0x200)) {
            write('T', new byte[0]);
            MilterResult.Reply r = reply(0x10000);
            if (!isContinue(r)) {
                abort();
                return new MilterResult(r, List.of(), 0, leadSpace);
            }
        }
        Parsed m = parse(message);
        if (!negotiated.has(0x20)) {
            for (String[] h : m.headers()) {
                macros('L', "i", queueId);
                String value = h[1];
                if (!leadSpace && value.startsWith(" ")) {
                    value = value.substring(1); // Sendmail compatibility: one space after the colon is eaten
                }
                write('L', strings(h[0], value));
                MilterResult.Reply r = reply(0x80);
                if (!isContinue(r)) {
                    abort();
                    return new MilterResult(r, List.of(), 0, leadSpace);
                }
            }
        }
        if (!negotiated.has(0x40)) {
            macros('N', "i", queueId);
            write('N', new byte[0]);
            MilterResult.Reply r = reply(0x40000);
            if (!isContinue(r)) {
                abort();
                return new MilterResult(r, List.of(), 0, leadSpace);
            }
        }
        byte[] body = m.body();
        if (!negotiated.has(0x10)) {
            for (int off = 0; off < body.length; off += CHUNK) {
                write('B', Arrays.copyOfRange(body, off, Math.min(body.length, off + CHUNK)));
                MilterResult.Reply r = reply(0x80000);
                if (!isContinue(r)) {
                    abort();
                    return new MilterResult(r, List.of(), 0, leadSpace);
                }
            }
        }
        macros('E', "i", queueId);
        write('E', new byte[0]);
        out.flush();
        List<MilterEdit> edits = new ArrayList<>();
        int progress = 0;
        while (true) {
            Packet p = read();
            switch (p.code) {
                case 'p' -> progress++;
                case 'h' -> {
                    List<String> s = split(p.payload, 0);
                    edits.add(new MilterEdit(MilterEdit.Kind.ADD_HEADER, 0, s.get(0), s.get(1)));
                }
                case 'i', 'm' -> {
                    List<String> s = split(p.payload, 4);
                    edits.add(new MilterEdit(
                            p.code == 'i' ? MilterEdit.Kind.INSERT_HEADER : MilterEdit.Kind.CHANGE_HEADER,
                            getInt(p.payload, 0),
                            s.get(0),
                            s.get(1)));
                }
                case 'q' -> edits.add(new MilterEdit(MilterEdit.Kind.QUARANTINE, 0, first(p.payload), ""));
                case '+', '2' -> edits.add(new MilterEdit(MilterEdit.Kind.ADD_RECIPIENT, 0, first(p.payload), ""));
                case '-' -> edits.add(new MilterEdit(MilterEdit.Kind.DELETE_RECIPIENT, 0, first(p.payload), ""));
                case 'e' -> edits.add(new MilterEdit(MilterEdit.Kind.CHANGE_SENDER, 0, first(p.payload), ""));
                case 'b' ->
                    edits.add(new MilterEdit(
                            MilterEdit.Kind.REPLACE_BODY, 0, "", new String(p.payload, StandardCharsets.ISO_8859_1)));
                case 'a', 'c', 'r', 't', 'd', '4', 'f' -> {
                    return new MilterResult(new MilterResult.Reply((char) p.code, ""), edits, progress, leadSpace);
                }
                case 'y' -> {
                    return new MilterResult(new MilterResult.Reply('y', first(p.payload)), edits, progress, leadSpace);
                }
                default -> throw new IOException("unexpected reply at end of message: " + p);
            }
        }
    }

    /**
     * Aborts the current message ({@code SMFIC_ABORT}); no reply.
     *
     * @throws IOException if the connection fails
     */
    public void abort() throws IOException {
        write('A', new byte[0]);
        out.flush();
    }

    /**
     * Sends {@code SMFIC_QUIT} and closes the connection. Idempotent through {@link #close()}.
     *
     * @throws IOException if sending fails
     */
    public void quit() throws IOException {
        try {
            write('Q', new byte[0]);
            out.flush();
        } finally {
            socket.close();
        }
    }

    /**
     * Sends {@code SMFIC_QUIT_NC}: this SMTP connection ends and the next {@link #send} reports a new one.
     *
     * @throws IOException if sending fails
     */
    public void quitNewConnection() throws IOException {
        write('K', new byte[0]);
        out.flush();
        connected = false;
    }

    /** Quits (best effort) and closes the connection. */
    @Override
    public void close() {
        if (!socket.isClosed()) {
            try {
                quit();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    /**
     * Sends raw bytes on the connection, for tests of a milter's handling of broken MTAs (bad lengths, malformed
     * packets).
     *
     * @param bytes the bytes
     * @throws IOException if writing fails
     */
    public void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /**
     * Whether the milter closed the connection: waits up to the timeout for end of stream.
     *
     * @return {@code true} when the milter closed it (or reset it)
     */
    public boolean closedByMilter() {
        try {
            return in.read() < 0;
        } catch (IOException e) {
            return !(e instanceof java.net.SocketTimeoutException);
        }
    }

    private static boolean isContinue(MilterResult.Reply r) {
        return r.code() == 'c';
    }

    private MilterResult.Reply reply(int noReplyFlag) throws IOException {
        if (negotiated.has(noReplyFlag) && negotiated.version() >= 6) {
            return new MilterResult.Reply('c', "");
        }
        out.flush();
        while (true) {
            Packet p = read();
            switch (p.code) {
                case 'p' -> {
                    // still working
                }
                case 'y' -> {
                    return new MilterResult.Reply('y', first(p.payload));
                }
                default -> {
                    return new MilterResult.Reply((char) p.code, "");
                }
            }
        }
    }

    private void macros(char stage, String... nameValues) throws IOException {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(stage);
        for (String s : nameValues) {
            string(p, s);
        }
        write('D', p.toByteArray());
    }

    private void write(char code, byte[] payload) throws IOException {
        int n = payload.length + 1;
        out.write(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n, (byte) code});
        out.write(payload);
    }

    private record Packet(int code, byte[] payload) {
        @Override
        public String toString() {
            return "'" + (char) code + "' (" + payload.length + " bytes)";
        }
    }

    private Packet read() throws IOException {
        byte[] len = in.readNBytes(4);
        if (len.length < 4) {
            throw new EOFException("milter closed the connection");
        }
        long n = getInt(len, 0) & 0xFFFF_FFFFL;
        if (n < 1 || n > MAX_PACKET) {
            throw new IOException("milter sent a packet length of " + n);
        }
        int code = in.read();
        byte[] payload = in.readNBytes((int) n - 1);
        if (code < 0 || payload.length != n - 1) {
            throw new EOFException("milter closed the connection inside a packet");
        }
        return new Packet(code, payload);
    }

    private static byte[] strings(String... s) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        for (String x : s) {
            string(p, x);
        }
        return p.toByteArray();
    }

    /** An envelope address as an MTA sends it: in angle brackets, its UTF-8 bytes (SMTPUTF8), NUL-terminated. */
    private static byte[] address(String path) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.writeBytes(("<" + path + ">").getBytes(StandardCharsets.UTF_8));
        p.write(0);
        return p.toByteArray();
    }

    private static void string(ByteArrayOutputStream p, String s) {
        p.writeBytes(s.getBytes(StandardCharsets.ISO_8859_1));
        p.write(0);
    }

    private static List<String> split(byte[] payload, int from) throws IOException {
        List<String> out = new ArrayList<>();
        int start = from;
        for (int i = from; i < payload.length; i++) {
            if (payload[i] == 0) {
                out.add(new String(payload, start, i - start, StandardCharsets.ISO_8859_1));
                start = i + 1;
            }
        }
        if (out.size() < 2) {
            throw new IOException("malformed header edit");
        }
        return out;
    }

    private static String first(byte[] payload) {
        int end = 0;
        while (end < payload.length && payload[end] != 0) {
            end++;
        }
        return new String(payload, 0, end, StandardCharsets.ISO_8859_1);
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    private static int getInt(byte[] b, int at) {
        return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }

    /** A message split as an MTA sends it: header fields (name, value after the colon, LF between folded lines). */
    record Parsed(List<String[]> headers, byte[] body, byte[] separatorAndBody) {}

    /** Splits at the first empty line; folded lines are joined with LF (no CR), as Postfix passes them. */
    static Parsed parse(byte[] message) {
        List<String[]> headers = new ArrayList<>();
        int pos = 0;
        String[] current = null;
        StringBuilder value = null;
        int separatorAt = message.length;
        while (pos < message.length) {
            int eol = pos;
            while (eol < message.length && message[eol] != '\n') {
                eol++;
            }
            int lineEnd = eol > pos && message[eol - 1] == '\r' ? eol - 1 : eol;
            if (eol >= message.length) {
                lineEnd = message.length;
            }
            String line = new String(message, pos, lineEnd - pos, StandardCharsets.ISO_8859_1);
            if (line.isEmpty()) {
                separatorAt = pos;
                break;
            }
            if ((line.startsWith(" ") || line.startsWith("\t")) && current != null) {
                value.append('\n').append(line);
            } else {
                if (current != null) {
                    current[1] = value.toString();
                }
                int colon = line.indexOf(':');
                String name = colon < 0 ? line : line.substring(0, colon);
                current = new String[] {name, ""};
                headers.add(current);
                value = new StringBuilder(colon < 0 ? "" : line.substring(colon + 1));
            }
            pos = Math.min(message.length, eol + 1);
            separatorAt = pos;
        }
        if (current != null) {
            current[1] = value.toString();
        }
        byte[] separatorAndBody = Arrays.copyOfRange(message, separatorAt, message.length);
        int bodyStart = separatorAt;
        if (bodyStart < message.length && message[bodyStart] == '\r') {
            bodyStart++;
        }
        if (bodyStart < message.length && message[bodyStart] == '\n') {
            bodyStart++;
        }
        return new Parsed(headers, Arrays.copyOfRange(message, bodyStart, message.length), separatorAndBody);
    }

    /**
     * Builds a {@link MilterClient}. The protocol flags offered are the ones set with {@link #protocol(int)}, else the
     * default flags of the version, whatever order the two were set in. Not thread-safe.
     */
    public static final class Builder {
        private final InetSocketAddress address;
        private int version = 6;
        private int actions = ALL_ACTIONS;
        private Integer protocol; // null: the version's flags
        private Duration timeout = Duration.ofSeconds(60);

        private Builder(InetSocketAddress address) {
            this.address = Objects.requireNonNull(address, "address");
        }

        /**
         * The protocol version offered, with the protocol flags of that version (Postfix's masks) unless
         * {@link #protocol(int)} sets others, before or after this call. Default 6.
         *
         * @param v 2 to 6
         * @return this builder
         * @throws IllegalArgumentException if outside 2..6
         */
        public Builder version(int v) {
            if (v < 2 || v > 6) {
                throw new IllegalArgumentException("version must be 2..6, was " + v);
            }
            this.version = v;
            return this;
        }

        /**
         * The actions offered ({@code SMFIF_*}). Default: all ({@code 0x1FF}).
         *
         * @param mask the bit set
         * @return this builder
         */
        public Builder actions(int mask) {
            this.actions = mask;
            return this;
        }

        /**
         * The protocol flags offered ({@code SMFIP_*}), whatever {@link #version(int)} is set to. Default: all of the
         * version's.
         *
         * @param mask the bit set
         * @return this builder
         */
        public Builder protocol(int mask) {
            this.protocol = mask;
            return this;
        }

        /**
         * How long to wait to connect and for each packet. Default 60 s.
         *
         * @param value positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder timeout(Duration value) {
            this.timeout = Checks.requirePositive(value, "timeout");
            return this;
        }

        /**
         * Connects and negotiates.
         *
         * @return the client
         * @throws IOException if connecting or negotiating fails
         */
        public MilterClient connect() throws IOException {
            return new MilterClient(this);
        }

        /** The protocol flags to offer: the explicit ones, else the version's. */
        int offeredProtocol() {
            if (protocol != null) {
                return protocol;
            }
            return version == 2 ? 0x7F : version == 3 ? 0x17F : version < 6 ? 0x37F : 0x1FFFFF;
        }
    }
}
