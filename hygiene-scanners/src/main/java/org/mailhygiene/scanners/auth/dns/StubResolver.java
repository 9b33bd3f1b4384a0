package org.mailhygiene.scanners.auth.dns;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

/**
 * A stub resolver: asks a recursive DNS server over UDP (falling back to TCP when the answer is truncated), with a
 * timeout per attempt, a number of attempts spread over the configured servers, and a cache bounded in entries and in
 * time to live.
 *
 * <p>Defaults: the servers of {@code /etc/resolv.conf} (127.0.0.1:53 if it names none), 2 s per attempt, 2 attempts
 * per server, 10,000 cache entries, TTLs capped at 1 hour, negative answers (NXDOMAIN, no data) cached for 5 minutes
 * at most, temporary failures never cached.
 *
 * <p>Thread-safe; one instance serves concurrent questions. Queries block the calling thread (virtual threads are
 * fine).
 */
public final class StubResolver implements DnsResolver {
    private final List<InetSocketAddress> servers;
    private final Duration timeout;
    private final int attempts;
    private final Duration maxTtl;
    private final Duration negativeTtl;
    private final Clock clock;
    private final Random ids = new SecureRandom();
    private final Map<String, Cached> cache;
    private long hits;
    private long misses;

    // Not named Entry: in the body of the cache's anonymous LinkedHashMap subclass that simple name means the inherited
    // Map.Entry, which javac 25 applies (it refused this class: "name clash ... removeEldestEntry"); javac 17 took the
    // enclosing record.
    private record Cached(DnsResult result, Instant expires) {}

    private StubResolver(Builder b) {
        this.servers = List.copyOf(b.servers.isEmpty() ? systemServers(Path.of("/etc/resolv.conf")) : b.servers);
        this.timeout = b.timeout;
        this.attempts = b.attempts;
        this.maxTtl = b.maxTtl;
        this.negativeTtl = b.negativeTtl;
        this.clock = b.clock;
        int max = b.cacheSize;
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
                return size() > max;
            }
        };
    }

    /**
     * Starts a builder with the defaults in the class description.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The name servers a {@code resolv.conf} file lists ({@code nameserver} lines), port 53; 127.0.0.1:53 when the
     * file is missing, unreadable or lists none.
     *
     * @param resolvConf the file
     * @return at least one server address
     */
    public static List<InetSocketAddress> systemServers(Path resolvConf) {
        List<InetSocketAddress> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(resolvConf, java.nio.charset.StandardCharsets.ISO_8859_1)) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 2 && f[0].equals("nameserver")) {
                    try {
                        String host = f[1];
                        int pct = host.indexOf('%');
                        if (pct >= 0) {
                            host = host.substring(0, pct);
                        }
                        if (host.matches("[0-9a-fA-F:.]+")) {
                            out.add(new InetSocketAddress(InetAddress.getByName(host), 53));
                        }
                    } catch (IOException e) {
                        // not an address: skip the line
                    }
                }
            }
        } catch (IOException e) {
            // fall through to the default
        }
        if (out.isEmpty()) {
            out.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), 53));
        }
        return out;
    }

    /**
     * The servers asked, in order.
     *
     * @return the server addresses
     */
    public List<InetSocketAddress> servers() {
        return servers;
    }

    /**
     * Cache hits and misses so far, as {@code {hits, misses}}.
     *
     * @return a new two-element array
     */
    public synchronized long[] cacheStats() {
        return new long[] {hits, misses};
    }

    /** Empties the cache. */
    public synchronized void clearCache() {
        cache.clear();
    }

    @Override
    public DnsResult query(String name, DnsType type) {
        Objects.requireNonNull(type, "type");
        String n = DnsWire.normalize(Objects.requireNonNull(name, "name"));
        String key = type.name() + ' ' + n;
        Instant now = clock.instant();
        synchronized (this) {
            Cached e = cache.get(key);
            if (e != null && now.isBefore(e.expires())) {
                hits++;
                return e.result();
            }
            misses++;
        }
        DnsResult r = ask(n, type);
        Duration ttl = switch (r.status()) {
            case TEMPERROR -> Duration.ZERO;
            case NXDOMAIN -> negativeTtl;
            case OK ->
                r.records().isEmpty()
                        ? negativeTtl
                        : r.records().stream()
                                .map(DnsRecord::ttl)
                                .min(Duration::compareTo)
                                .orElse(Duration.ZERO);
        };
        if (ttl.compareTo(maxTtl) > 0) {
            ttl = maxTtl;
        }
        if (!ttl.isZero() && !ttl.isNegative()) {
            synchronized (this) {
                cache.put(key, new Cached(r, now.plus(ttl)));
            }
        }
        return r;
    }

    private DnsResult ask(String name, DnsType type) {
        byte[] q;
        try {
            q = DnsWire.query(0, name, type);
        } catch (IllegalArgumentException e) {
            // RFC 7208 4.3 and others: an invalid name is not a DNS problem; it has no records
            return new DnsResult(DnsResult.Status.NXDOMAIN, List.of(), "invalid name: " + e.getMessage());
        }
        String last = "no server";
        for (int attempt = 0; attempt < attempts; attempt++) {
            for (InetSocketAddress server : servers) {
                if (Thread.currentThread().isInterrupted()) {
                    return DnsResult.tempError("interrupted");
                }
                int id;
                synchronized (ids) {
                    id = ids.nextInt(0x10000);
                }
                q[0] = (byte) (id >>> 8);
                q[1] = (byte) id;
                try {
                    DnsWire.Reply reply = udp(server, q, id);
                    if (reply.truncated()) {
                        reply = tcp(server, q, id);
                    }
                    switch (reply.rcode()) {
                        case 0:
                            List<DnsRecord> rs = new ArrayList<>();
                            for (DnsRecord r : reply.answers()) {
                                if (r.type() == type) {
                                    rs.add(r);
                                }
                            }
                            return DnsResult.ok(rs);
                        case 3:
                            return new DnsResult(DnsResult.Status.NXDOMAIN, List.of(), "");
                        default:
                            last = hostPort(server) + ": RCODE " + rcodeName(reply.rcode());
                    }
                } catch (SocketTimeoutException e) {
                    last = hostPort(server) + ": no reply within " + timeout.toMillis() + " ms";
                } catch (java.net.PortUnreachableException e) {
                    // the kernel's ICMP port unreachable has no message: say what it means
                    last = hostPort(server) + ": port unreachable (no DNS server listens there)";
                } catch (IOException | DnsWire.MalformedException e) {
                    last = hostPort(server) + ": "
                            + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
                }
            }
        }
        return DnsResult.tempError(last);
    }

    /** {@code 127.0.0.1:53}, {@code [::1]:53}: the server as a user writes it (no leading slash). */
    private static String hostPort(InetSocketAddress server) {
        String host = server.getAddress() != null ? server.getAddress().getHostAddress() : server.getHostString();
        return org.mailhygiene.internal.HostPorts.of(host, server.getPort());
    }

    private static String rcodeName(int rcode) {
        return switch (rcode) {
            case 1 -> "FORMERR";
            case 2 -> "SERVFAIL";
            case 4 -> "NOTIMP";
            case 5 -> "REFUSED";
            default -> Integer.toString(rcode);
        };
    }

    private DnsWire.Reply udp(InetSocketAddress server, byte[] q, int id)
            throws IOException, DnsWire.MalformedException {
        try (DatagramSocket s = new DatagramSocket()) {
            s.connect(server);
            s.send(new DatagramPacket(q, q.length));
            long deadline = System.nanoTime() + timeout.toNanos();
            byte[] buf = new byte[65535];
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new SocketTimeoutException();
                }
                s.setSoTimeout((int) Math.max(1, left / 1_000_000));
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                s.receive(p);
                DnsWire.Reply r;
                try {
                    r = DnsWire.decode(buf, p.getLength());
                } catch (DnsWire.MalformedException e) {
                    continue; // spoofed or garbled: keep waiting for the real one
                }
                if (r.id() == id) {
                    return r;
                }
            }
        }
    }

    private DnsWire.Reply tcp(InetSocketAddress server, byte[] q, int id)
            throws IOException, DnsWire.MalformedException {
        try (Socket s = new Socket()) {
            int ms = (int) Math.max(1, timeout.toMillis());
            s.connect(server, ms);
            s.setSoTimeout(ms);
            OutputStream out = s.getOutputStream();
            byte[] framed = new byte[q.length + 2];
            framed[0] = (byte) (q.length >>> 8);
            framed[1] = (byte) q.length;
            System.arraycopy(q, 0, framed, 2, q.length);
            out.write(framed);
            out.flush();
            InputStream in = s.getInputStream();
            DataInputStream d = new DataInputStream(in);
            int len = d.readUnsignedShort();
            byte[] buf = new byte[len];
            d.readFully(buf);
            DnsWire.Reply r = DnsWire.decode(buf, len);
            if (r.id() != id) {
                throw new DnsWire.MalformedException("TCP reply with another id");
            }
            return r;
        }
    }

    /**
     * Builds a {@link StubResolver}. Not thread-safe. Each setter validates its own value; {@link #build()} checks the
     * settings against each other, so the order of the calls does not matter.
     */
    public static final class Builder {
        private final List<InetSocketAddress> servers = new ArrayList<>();
        private Duration timeout = Duration.ofSeconds(2);
        private int attempts = 2;
        private int cacheSize = 10_000;
        private Duration maxTtl = Duration.ofHours(1);
        private Duration negativeTtl = Duration.ofMinutes(5);
        private Clock clock = Clock.systemUTC();
        private boolean maxTtlSet;
        private boolean negativeTtlSet;

        private Builder() {}

        /**
         * Adds a server to ask (repeat for more, asked in order); without any, {@code /etc/resolv.conf}'s.
         *
         * @param address the server's address and port
         * @return this builder
         */
        public Builder server(InetSocketAddress address) {
            servers.add(Objects.requireNonNull(address, "address"));
            return this;
        }

        /**
         * The time to wait for one reply (default 2 s).
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder timeout(Duration value) {
            if (value.isZero() || value.isNegative()) {
                throw new IllegalArgumentException("timeout must be positive: " + value);
            }
            this.timeout = value;
            return this;
        }

        /**
         * How often each server is asked before the question is a temporary failure (default 2).
         *
         * @param value 1 or more
         * @return this builder
         * @throws IllegalArgumentException if below 1
         */
        public Builder attempts(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("attempts must be at least 1: " + value);
            }
            this.attempts = value;
            return this;
        }

        /**
         * The most answers kept (least recently used go first; default 10,000; 0 disables the cache).
         *
         * @param value 0 or more
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder cacheSize(int value) {
            if (value < 0) {
                throw new IllegalArgumentException("cacheSize must not be negative: " + value);
            }
            this.cacheSize = value;
            return this;
        }

        /**
         * The longest an answer stays cached, whatever its TTL (default 1 hour).
         *
         * @param value zero (no caching) or more
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder maxTtl(Duration value) {
            if (value.isNegative()) {
                throw new IllegalArgumentException("maxTtl must not be negative: " + value);
            }
            this.maxTtl = value;
            this.maxTtlSet = true;
            return this;
        }

        /**
         * How long NXDOMAIN and empty answers stay cached (default 5 minutes; the default is capped by {@link #maxTtl},
         * an explicit value above an explicit {@code maxTtl} is a conflict found by {@link #build()}).
         *
         * @param value zero or more
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder negativeTtl(Duration value) {
            if (value.isNegative()) {
                throw new IllegalArgumentException("negativeTtl must not be negative: " + value);
            }
            this.negativeTtl = value;
            this.negativeTtlSet = true;
            return this;
        }

        /**
         * The clock the cache expires by (default the system clock).
         *
         * @param value the clock
         * @return this builder
         */
        public Builder clock(Clock value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * Builds the resolver, after checking the settings against each other.
         *
         * @return a new resolver
         * @throws IllegalArgumentException if a server is given twice, an explicit {@code negativeTtl} exceeds an
         *     explicit {@code maxTtl}, or a TTL is set explicitly (above zero) while {@code cacheSize(0)} disables
         *     the cache
         */
        public StubResolver build() {
            for (int i = 0; i < servers.size(); i++) {
                if (servers.subList(0, i).contains(servers.get(i))) {
                    throw new IllegalArgumentException("server " + servers.get(i) + " given twice");
                }
            }
            if (maxTtlSet && negativeTtlSet && negativeTtl.compareTo(maxTtl) > 0) {
                throw new IllegalArgumentException(
                        "negativeTtl " + negativeTtl + " exceeds maxTtl " + maxTtl + ": no answer is kept that long");
            }
            if (cacheSize == 0 && (maxTtlSet && !maxTtl.isZero() || negativeTtlSet && !negativeTtl.isZero())) {
                throw new IllegalArgumentException(
                        "cacheSize 0 disables the cache, but a TTL for cached answers was set");
            }
            return new StubResolver(this);
        }
    }
}
