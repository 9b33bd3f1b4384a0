package org.mailhygiene.testkit.dns;

import static org.mailhygiene.internal.Closeables.closeQuietly;

import java.io.Closeable;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake authoritative DNS server on 127.0.0.1, over UDP and TCP on the same port, for tests of code that looks up
 * SPF, DKIM and DMARC records. It serves a zone given in code ({@link #txt}, {@link #a}, {@link #aaaa}, {@link #mx},
 * {@link #cname}, {@link #ptr}) or read from a text file ({@link #load}), follows CNAMEs within its zone, answers
 * NXDOMAIN for names it does not know and an empty answer for known names without records of the asked type.
 *
 * <p>Faults per name ({@link #fault}): {@link Fault#TIMEOUT} (no reply at all), {@link Fault#SERVFAIL},
 * {@link Fault#TRUNCATE} (over UDP an empty answer with the TC bit, so the client must retry over TCP, where the real
 * answer comes). Every question received is recorded ({@link #questions()}), in order.
 *
 * <p>Thread-safe: the zone may change while the server runs. Close it to stop its two threads.
 */
public final class FakeDnsServer implements Closeable {
    /** Faults the server can play for a name. */
    public enum Fault {
        /** Never reply. */
        TIMEOUT,
        /** Reply with RCODE 2 (server failure). */
        SERVFAIL,
        /** Over UDP reply with TC=1 and no records; over TCP reply normally. */
        TRUNCATE
    }

    private record Rr(String name, int type, long ttl, byte[] rdata) {}

    private static final int A = 1;
    private static final int CNAME = 5;
    private static final int PTR = 12;
    private static final int MX = 15;
    private static final int TXT = 16;
    private static final int AAAA = 28;

    private final Map<String, List<Rr>> zone = new ConcurrentHashMap<>();
    private final Map<String, Fault> faults = new ConcurrentHashMap<>();
    private final List<String> questions = new CopyOnWriteArrayList<>();
    private final AtomicInteger tcpQuestions = new AtomicInteger();
    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final Thread udpThread;
    private final Thread tcpThread;
    private volatile boolean closed;

    private FakeDnsServer(DatagramSocket udp, ServerSocket tcp) {
        this.udp = udp;
        this.tcp = tcp;
        this.udpThread = new Thread(this::serveUdp, "fake-dns-udp");
        this.tcpThread = new Thread(this::serveTcp, "fake-dns-tcp");
        udpThread.setDaemon(true);
        tcpThread.setDaemon(true);
        udpThread.start();
        tcpThread.start();
    }

    /**
     * Starts a server on 127.0.0.1 with an empty zone, on a free port that is free for both UDP and TCP.
     *
     * @return the running server
     * @throws IOException if no port could be bound
     */
    public static FakeDnsServer start() throws IOException {
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        IOException last = null;
        for (int i = 0; i < 20; i++) {
            DatagramSocket u = new DatagramSocket(new InetSocketAddress(lo, 0));
            try {
                ServerSocket t = new ServerSocket();
                try {
                    t.bind(new InetSocketAddress(lo, u.getLocalPort()));
                    return new FakeDnsServer(u, t);
                } catch (IOException e) {
                    t.close();
                    throw e;
                }
            } catch (IOException e) {
                u.close();
                last = e;
            }
        }
        throw last;
    }

    /**
     * The address clients send questions to (UDP and TCP).
     *
     * @return 127.0.0.1 and the port
     */
    public InetSocketAddress address() {
        return new InetSocketAddress(udp.getLocalAddress(), udp.getLocalPort());
    }

    /**
     * The address as {@code IP:PORT}, as the {@code --dns} option and the {@code dns} node-config key take it.
     *
     * @return for example {@code 127.0.0.1:40123}
     */
    public String hostPort() {
        return "127.0.0.1:" + udp.getLocalPort();
    }

    /**
     * Adds a TXT record. Text longer than 255 bytes is split into several character-strings, as DNS requires.
     *
     * @param name the owner name
     * @param text the text (ISO-8859-1 bytes)
     * @return this server
     */
    public FakeDnsServer txt(String name, String text) {
        byte[] b = text.getBytes(StandardCharsets.ISO_8859_1);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int p = 0;
        do {
            int l = Math.min(255, b.length - p);
            out.write(l);
            out.write(b, p, l);
            p += l;
        } while (p < b.length);
        return add(name, TXT, out.toByteArray());
    }

    /**
     * Adds an A record.
     *
     * @param name the owner name
     * @param ipv4 the address, dotted quad
     * @return this server
     * @throws IllegalArgumentException if it is not an IPv4 literal
     */
    public FakeDnsServer a(String name, String ipv4) {
        byte[] a = literal(ipv4);
        if (a.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + ipv4);
        }
        return add(name, A, a);
    }

    /**
     * Adds an AAAA record.
     *
     * @param name the owner name
     * @param ipv6 the address
     * @return this server
     * @throws IllegalArgumentException if it is not an IPv6 literal
     */
    public FakeDnsServer aaaa(String name, String ipv6) {
        byte[] a = literal(ipv6);
        if (a.length != 16) {
            throw new IllegalArgumentException("not an IPv6 address: " + ipv6);
        }
        return add(name, AAAA, a);
    }

    /**
     * Adds an MX record.
     *
     * @param name the owner name
     * @param preference the preference
     * @param host the exchanger's name
     * @return this server
     */
    public FakeDnsServer mx(String name, int preference, String host) {
        byte[] h = encodeName(host);
        byte[] r = new byte[h.length + 2];
        r[0] = (byte) (preference >>> 8);
        r[1] = (byte) preference;
        System.arraycopy(h, 0, r, 2, h.length);
        return add(name, MX, r);
    }

    /**
     * Adds a CNAME record; questions for the name of other types get the CNAME and, if the target is in the zone, its
     * records.
     *
     * @param name the alias
     * @param target the canonical name
     * @return this server
     */
    public FakeDnsServer cname(String name, String target) {
        return add(name, CNAME, encodeName(target));
    }

    /**
     * Adds a PTR record.
     *
     * @param name the owner name, e.g. {@code 1.2.0.192.in-addr.arpa}
     * @param target the name it points to
     * @return this server
     */
    public FakeDnsServer ptr(String name, String target) {
        return add(name, PTR, encodeName(target));
    }

    /**
     * Makes a name exist without records (questions get an empty answer, not NXDOMAIN).
     *
     * @param name the owner name
     * @return this server
     */
    public FakeDnsServer exists(String name) {
        zone.computeIfAbsent(normalize(name), k -> new CopyOnWriteArrayList<>());
        return this;
    }

    /**
     * Plays a fault for every question about a name (any type).
     *
     * @param name the owner name
     * @param fault the fault, or {@code null} to clear it
     * @return this server
     */
    public FakeDnsServer fault(String name, Fault fault) {
        if (fault == null) {
            faults.remove(normalize(name));
        } else {
            faults.put(normalize(name), fault);
        }
        return this;
    }

    /**
     * Plays a fault for questions of one type about a name; a fault for the whole name wins over it.
     *
     * @param name the owner name
     * @param type the type: {@code TXT}, {@code A}, {@code AAAA}, {@code MX}, {@code PTR} or {@code CNAME}
     * @param fault the fault, or {@code null} to clear it
     * @return this server
     * @throws IllegalArgumentException for another type
     */
    public FakeDnsServer fault(String name, String type, Fault fault) {
        String key = normalize(name) + " " + typeCode(type);
        if (fault == null) {
            faults.remove(key);
        } else {
            faults.put(key, fault);
        }
        return this;
    }

    private static int typeCode(String type) {
        return switch (type.toUpperCase(Locale.ROOT)) {
            case "A" -> A;
            case "AAAA" -> AAAA;
            case "TXT" -> TXT;
            case "MX" -> MX;
            case "PTR" -> PTR;
            case "CNAME" -> CNAME;
            default -> throw new IllegalArgumentException("unknown type " + type);
        };
    }

    /** Removes every record and fault, and forgets the questions. */
    public void clear() {
        zone.clear();
        faults.clear();
        questions.clear();
    }

    /**
     * Reads records from a text file, one per line: {@code NAME TYPE DATA}, with TYPE one of {@code TXT}, {@code A},
     * {@code AAAA}, {@code MX} (DATA is {@code PREFERENCE HOST}), {@code CNAME}, {@code PTR}; TXT data is the rest of
     * the line, in double quotes if it has leading or trailing spaces (several quoted strings are concatenated). Blank
     * lines and lines starting with {@code #} or {@code ;} are skipped.
     *
     * @param file the zone file (UTF-8)
     * @return this server
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException naming the line if a line is malformed
     */
    public FakeDnsServer load(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            String[] f = line.split("\\s+", 3);
            if (f.length < 3) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": expected NAME TYPE DATA");
            }
            try {
                switch (f[1].toUpperCase(Locale.ROOT)) {
                    case "TXT" -> txt(f[0], unquote(f[2]));
                    case "A" -> a(f[0], f[2]);
                    case "AAAA" -> aaaa(f[0], f[2]);
                    case "CNAME" -> cname(f[0], f[2]);
                    case "PTR" -> ptr(f[0], f[2]);
                    case "MX" -> {
                        String[] m = f[2].split("\\s+");
                        mx(f[0], Integer.parseInt(m[0]), m[1]);
                    }
                    default -> throw new IllegalArgumentException("unknown type " + f[1]);
                }
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return this;
    }

    private static String unquote(String data) {
        if (!data.startsWith("\"")) {
            return data;
        }
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < data.length()) {
            char c = data.charAt(i);
            if (c == '"') {
                int j = i + 1;
                while (j < data.length() && data.charAt(j) != '"') {
                    if (data.charAt(j) == '\\' && j + 1 < data.length()) {
                        j++;
                    }
                    sb.append(data.charAt(j));
                    j++;
                }
                if (j >= data.length()) {
                    throw new IllegalArgumentException("unterminated quoted string");
                }
                i = j + 1;
            } else if (Character.isWhitespace(c)) {
                i++;
            } else {
                throw new IllegalArgumentException("text outside quotes");
            }
        }
        return sb.toString();
    }

    /**
     * The questions received so far, in order, as {@code NAME TYPE} with the type's number (e.g.
     * {@code example.com 16}) and {@code /tcp} appended for those that came over TCP.
     *
     * @return a snapshot
     */
    public List<String> questions() {
        return List.copyOf(questions);
    }

    @Override
    public void close() {
        closed = true;
        udp.close();
        closeQuietly(tcp);
    }

    private FakeDnsServer add(String name, int type, byte[] rdata) {
        zone.computeIfAbsent(normalize(name), k -> new CopyOnWriteArrayList<>())
                .add(new Rr(normalize(name), type, 300, rdata));
        return this;
    }

    private static String normalize(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        while (n.endsWith(".")) {
            n = n.substring(0, n.length() - 1);
        }
        return n;
    }

    private static byte[] literal(String ip) {
        if (!ip.matches("[0-9a-fA-F:.]+")) {
            throw new IllegalArgumentException("not an IP literal: " + ip);
        }
        try {
            return InetAddress.getByName(ip).getAddress();
        } catch (IOException e) {
            throw new IllegalArgumentException("not an IP literal: " + ip, e);
        }
    }

    private static byte[] encodeName(String name) {
        String n = normalize(name);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        if (!n.isEmpty()) {
            for (String label : n.split("\\.", -1)) {
                byte[] l = label.getBytes(StandardCharsets.ISO_8859_1);
                if (l.length == 0 || l.length > 63) {
                    throw new IllegalArgumentException("bad label in " + name);
                }
                out.write(l.length);
                out.write(l, 0, l.length);
            }
        }
        out.write(0);
        return out.toByteArray();
    }

    private void serveUdp() {
        byte[] buf = new byte[65535];
        while (!closed) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                udp.receive(p);
                byte[] reply = answer(buf, p.getLength(), false);
                if (reply != null) {
                    udp.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
                }
            } catch (SocketException e) {
                return;
            } catch (IOException | RuntimeException e) {
                // a bad packet: ignore it, as a server would
            }
        }
    }

    private void serveTcp() {
        while (!closed) {
            try (Socket s = tcp.accept()) {
                s.setSoTimeout(10_000);
                DataInputStream in = new DataInputStream(s.getInputStream());
                OutputStream out = s.getOutputStream();
                while (true) {
                    int len;
                    try {
                        len = in.readUnsignedShort();
                    } catch (IOException e) {
                        break;
                    }
                    byte[] q = new byte[len];
                    in.readFully(q);
                    tcpQuestions.incrementAndGet();
                    byte[] reply = answer(q, len, true);
                    if (reply == null) {
                        break;
                    }
                    byte[] framed = new byte[reply.length + 2];
                    framed[0] = (byte) (reply.length >>> 8);
                    framed[1] = (byte) reply.length;
                    System.arraycopy(reply, 0, framed, 2, reply.length);
                    out.write(framed);
                    out.flush();
                }
            } catch (SocketException e) {
                if (closed) {
                    return;
                }
            } catch (IOException | RuntimeException e) {
                // next connection
            }
        }
    }

    /** Builds the reply to a query, or {@code null} to stay silent. */
    private byte[] answer(byte[] q, int len, boolean overTcp) {
        if (len < 12) {
            return null;
        }
        int qd = ((q[4] & 0xff) << 8) | (q[5] & 0xff);
        if (qd != 1 || (q[2] & 0x80) != 0) {
            return null;
        }
        int p = 12;
        StringBuilder name = new StringBuilder();
        while (p < len && q[p] != 0) {
            int l = q[p] & 0xff;
            if (l > 63 || p + 1 + l > len) {
                return null;
            }
            if (name.length() > 0) {
                name.append('.');
            }
            name.append(new String(q, p + 1, l, StandardCharsets.ISO_8859_1));
            p += 1 + l;
        }
        if (p + 5 > len) {
            return null;
        }
        int qEnd = p + 5;
        int type = ((q[p + 1] & 0xff) << 8) | (q[p + 2] & 0xff);
        String n = normalize(name.toString());
        questions.add(n + " " + type + (overTcp ? "/tcp" : ""));
        Fault fault = faults.get(n);
        if (fault == null) {
            fault = faults.get(n + " " + type);
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(q[0]);
        out.write(q[1]);
        int flags = 0x8400 | ((q[2] & 0x01) << 8) | 0x80; // QR AA, RD copied, RA
        List<Rr> answers = new ArrayList<>();
        int rcode = 0;
        if (fault == Fault.TIMEOUT) {
            return null;
        } else if (fault == Fault.SERVFAIL) {
            rcode = 2;
        } else if (fault == Fault.TRUNCATE && !overTcp) {
            flags |= 0x0200;
        } else {
            String current = n;
            boolean found = false;
            for (int hop = 0; hop < 8; hop++) {
                List<Rr> rrs = zone.get(current);
                if (rrs == null) {
                    break;
                }
                found = true;
                String next = null;
                for (Rr r : rrs) {
                    if (r.type() == type) {
                        answers.add(r);
                    } else if (r.type() == CNAME && type != CNAME) {
                        answers.add(r);
                        next = decodeName(r.rdata());
                    }
                }
                if (next == null) {
                    break;
                }
                current = next;
            }
            if (!found) {
                rcode = 3;
            }
        }
        flags |= rcode;
        out.write(flags >>> 8);
        out.write(flags);
        out.write(0);
        out.write(1);
        out.write(answers.size() >>> 8);
        out.write(answers.size());
        out.write(0);
        out.write(0);
        out.write(0);
        out.write(0);
        out.write(q, 12, qEnd - 12);
        for (Rr r : answers) {
            byte[] owner = encodeName(r.name());
            out.write(owner, 0, owner.length);
            out.write(r.type() >>> 8);
            out.write(r.type());
            out.write(0);
            out.write(1);
            out.write((int) (r.ttl() >>> 24));
            out.write((int) (r.ttl() >>> 16));
            out.write((int) (r.ttl() >>> 8));
            out.write((int) r.ttl());
            out.write(r.rdata().length >>> 8);
            out.write(r.rdata().length);
            out.write(r.rdata(), 0, r.rdata().length);
        }
        return out.toByteArray();
    }

    private static String decodeName(byte[] wire) {
        StringBuilder sb = new StringBuilder();
        int p = 0;
        while (wire[p] != 0) {
            if (sb.length() > 0) {
                sb.append('.');
            }
            sb.append(new String(wire, p + 1, wire[p], StandardCharsets.ISO_8859_1));
            p += 1 + wire[p];
        }
        return sb.toString();
    }
}
