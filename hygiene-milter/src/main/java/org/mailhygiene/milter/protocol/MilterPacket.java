package org.mailhygiene.milter.protocol;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One milter packet: a command or reply code and its payload. On the wire it is a 4-byte big-endian length (code plus
 * payload), the code, and the payload ({@link MilterCodec}).
 *
 * <p>Strings in payloads are NUL-terminated bytes. They are handled here as ISO-8859-1, which maps every byte to one
 * {@code char} and back, so 8-bit header values (raw UTF-8 under SMTPUTF8, legacy charsets) pass through unchanged.
 *
 * <p>Immutable: the payload is copied in and out. Thread-safe.
 *
 * @param code the command ({@code SMFIC_*}) or reply ({@code SMFIR_*}) code
 * @param payload the bytes after the code; copied
 */
public record MilterPacket(byte code, byte[] payload) {

    /**
     * Copies the payload.
     *
     * @throws NullPointerException if {@code payload} is {@code null}
     */
    public MilterPacket {
        payload = Objects.requireNonNull(payload, "payload").clone();
    }

    /**
     * A packet without payload.
     *
     * @param code the code
     * @return the packet
     */
    public static MilterPacket of(byte code) {
        return new MilterPacket(code, new byte[0]);
    }

    /**
     * A packet whose payload is the given strings, each NUL-terminated (ISO-8859-1).
     *
     * @param code the code
     * @param strings the strings; none may contain NUL
     * @return the packet
     * @throws IllegalArgumentException if a string contains NUL or a character above U+00FF
     */
    public static MilterPacket ofStrings(byte code, String... strings) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String s : strings) {
            writeString(out, s);
        }
        return new MilterPacket(code, out.toByteArray());
    }

    /**
     * A packet with a 4-byte big-endian number followed by NUL-terminated strings, as {@code SMFIR_CHGHEADER} and
     * {@code SMFIR_INSHEADER} use.
     *
     * @param code the code
     * @param number the number
     * @param strings the strings; none may contain NUL
     * @return the packet
     * @throws IllegalArgumentException if a string contains NUL or a character above U+00FF
     */
    public static MilterPacket ofIndexed(byte code, int number, String... strings) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(number >>> 24);
        out.write(number >>> 16);
        out.write(number >>> 8);
        out.write(number);
        for (String s : strings) {
            writeString(out, s);
        }
        return new MilterPacket(code, out.toByteArray());
    }

    private static void writeString(ByteArrayOutputStream out, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0 || c > 0xff) {
                throw new IllegalArgumentException(
                        "milter strings are NUL-free bytes; found U+" + String.format("%04X", (int) c) + " at " + i);
            }
            out.write(c);
        }
        out.write(0);
    }

    /**
     * The payload (a copy).
     *
     * @return the bytes after the code
     */
    @Override
    public byte[] payload() {
        return payload.clone();
    }

    /**
     * The payload length.
     *
     * @return the number of payload bytes
     */
    public int length() {
        return payload.length;
    }

    /**
     * Reads the payload as NUL-terminated strings. Every string must be terminated: a payload that does not end in
     * NUL is malformed (an empty payload is zero strings).
     *
     * @return the strings, ISO-8859-1
     * @throws MilterProtocolException if the last string is not NUL-terminated
     */
    public List<String> strings() throws MilterProtocolException {
        return strings(0);
    }

    /**
     * As {@link #strings()}, from a payload offset (after a fixed-size prefix).
     *
     * @param from the offset of the first string
     * @return the strings, ISO-8859-1
     * @throws MilterProtocolException if the last string is not NUL-terminated or {@code from} is past the end
     */
    public List<String> strings(int from) throws MilterProtocolException {
        if (from > payload.length) {
            throw new MilterProtocolException(MilterProtocol.name(code) + ": payload of " + payload.length
                    + " bytes is shorter than its " + from + "-byte prefix");
        }
        List<String> out = new ArrayList<>();
        int start = from;
        for (int i = from; i < payload.length; i++) {
            if (payload[i] == 0) {
                out.add(new String(payload, start, i - start, StandardCharsets.ISO_8859_1));
                start = i + 1;
            }
        }
        if (start != payload.length) {
            throw new MilterProtocolException(MilterProtocol.name(code) + ": string not NUL-terminated");
        }
        return out;
    }

    /**
     * Reads exactly {@code n} NUL-terminated strings.
     *
     * @param n how many strings the payload must hold
     * @return the strings
     * @throws MilterProtocolException if there are more or fewer, or the last is not terminated
     */
    public List<String> exactly(int n) throws MilterProtocolException {
        List<String> s = strings();
        if (s.size() != n) {
            throw new MilterProtocolException(
                    MilterProtocol.name(code) + ": expected " + n + " strings, found " + s.size());
        }
        return s;
    }

    /**
     * The 4-byte big-endian number at a payload offset.
     *
     * @param offset the offset
     * @return the number (unsigned values above {@code Integer.MAX_VALUE} come back negative)
     * @throws MilterProtocolException if the payload is too short
     */
    public int int32(int offset) throws MilterProtocolException {
        if (offset < 0 || payload.length - offset < 4) {
            throw new MilterProtocolException(
                    MilterProtocol.name(code) + ": payload too short for a number at " + offset);
        }
        return ((payload[offset] & 0xff) << 24)
                | ((payload[offset + 1] & 0xff) << 16)
                | ((payload[offset + 2] & 0xff) << 8)
                | (payload[offset + 3] & 0xff);
    }

    /**
     * Reads an {@code SMFIC_MACRO} payload: the code of the command the macros belong to, then name/value pairs.
     *
     * @return the macros in order; names as sent ({@code i}, <code>{mail_addr}</code>)
     * @throws MilterProtocolException if the payload is empty, a string is not terminated, or a name has no value
     */
    public Macros macros() throws MilterProtocolException {
        if (payload.length < 1) {
            throw new MilterProtocolException("SMFIC_MACRO without a command code");
        }
        List<String> s = strings(1);
        if (s.size() % 2 != 0) {
            throw new MilterProtocolException("SMFIC_MACRO: macro '" + s.get(s.size() - 1) + "' has no value");
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < s.size(); i += 2) {
            m.put(s.get(i), s.get(i + 1));
        }
        return new Macros(payload[0], m);
    }

    /**
     * Macros sent before one command.
     *
     * @param command the command they belong to
     * @param values name to value, in the order sent
     */
    public record Macros(byte command, Map<String, String> values) {
        /**
         * Copies the map (order kept).
         *
         * @throws NullPointerException if {@code values} is {@code null}
         */
        public Macros {
            values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
        }
    }

    /**
     * Reads an {@code SMFIC_CONNECT} payload: host name, address family ({@code '4'}, {@code '6'}, {@code 'L'} local,
     * {@code 'U'} unknown) and, unless unknown, a 2-byte port and the address text.
     *
     * @return the connection information
     * @throws MilterProtocolException if the payload is malformed
     */
    public ConnectInfo connectInfo() throws MilterProtocolException {
        int nul = indexOf((byte) 0, 0);
        if (nul < 0 || nul + 1 >= payload.length) {
            throw new MilterProtocolException("SMFIC_CONNECT: missing host name or family");
        }
        String host = new String(payload, 0, nul, StandardCharsets.ISO_8859_1);
        char family = (char) (payload[nul + 1] & 0xff);
        if (family == 'U') {
            if (nul + 2 != payload.length) {
                throw new MilterProtocolException("SMFIC_CONNECT: bytes after the unknown family");
            }
            return new ConnectInfo(host, family, 0, "", Optional.empty());
        }
        int p = nul + 2;
        if (payload.length - p < 3) {
            throw new MilterProtocolException("SMFIC_CONNECT: missing port or address");
        }
        int port = ((payload[p] & 0xff) << 8) | (payload[p + 1] & 0xff);
        int end = indexOf((byte) 0, p + 2);
        if (end != payload.length - 1) {
            throw new MilterProtocolException("SMFIC_CONNECT: address not NUL-terminated at the end");
        }
        String address = new String(payload, p + 2, end - p - 2, StandardCharsets.ISO_8859_1);
        Optional<InetAddress> ip = Optional.empty();
        if (family == '4' || family == '6') {
            ip = parseIp(address);
        }
        return new ConnectInfo(host, family, port, address, ip);
    }

    /** What {@link #parseIp} accepts as an address literal (compiled once: it runs for every MTA connection). */
    private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]{7,15}|[0-9A-Fa-f:.]{2,45}");

    private static Optional<InetAddress> parseIp(String text) {
        String t = text.startsWith("IPv6:") ? text.substring(5) : text;
        // Only literal addresses: InetAddress.getByName would resolve a name through DNS.
        if (!IP_LITERAL.matcher(t).matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByName(t));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    private int indexOf(byte b, int from) {
        for (int i = from; i < payload.length; i++) {
            if (payload[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /**
     * What {@code SMFIC_CONNECT} says about the SMTP client.
     *
     * @param hostName the client's name as the MTA knows it ({@code [192.0.2.1]} when unresolved)
     * @param family {@code '4'}, {@code '6'}, {@code 'L'} or {@code 'U'}
     * @param port the client's TCP port, 0 when unknown
     * @param address the address text as sent, empty when unknown
     * @param ip the address, when it is an IPv4 or IPv6 literal
     */
    public record ConnectInfo(String hostName, char family, int port, String address, Optional<InetAddress> ip) {}

    @Override
    public boolean equals(Object o) {
        return o instanceof MilterPacket p && p.code == code && Arrays.equals(p.payload, payload);
    }

    @Override
    public int hashCode() {
        return 31 * code + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        return MilterPacket.class.getSimpleName() + "[" + MilterProtocol.name(code) + ", " + payload.length + " bytes]";
    }
}
