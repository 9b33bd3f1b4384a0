package org.mailhygiene.scanners.auth.dns;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The DNS message format (RFC 1035 section 4) as far as a stub resolver needs it. Stateless. */
final class DnsWire {
    static final int MAX_UDP = 1232;

    private DnsWire() {}

    /** A decoded reply: id, flags and the answer records of known types. */
    record Reply(int id, boolean truncated, int rcode, List<DnsRecord> answers) {}

    /** Thrown for a reply that cannot be decoded. */
    static final class MalformedException extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedException(String message) {
            super(message);
        }
    }

    static String normalize(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        while (n.endsWith(".")) {
            n = n.substring(0, n.length() - 1);
        }
        return n;
    }

    /**
     * Encodes a recursive query with an EDNS0 OPT record advertising {@link #MAX_UDP} bytes.
     *
     * @throws IllegalArgumentException if the name is not a valid DNS name (a label empty or over 63 bytes, the name
     *     over 253 bytes)
     */
    static byte[] query(int id, String name, DnsType type) {
        byte[] qname = encodeName(normalize(name));
        byte[] out = new byte[12 + qname.length + 4 + 11];
        out[0] = (byte) (id >>> 8);
        out[1] = (byte) id;
        out[2] = 0x01; // RD
        out[5] = 1; // QDCOUNT
        out[11] = 1; // ARCOUNT (OPT)
        System.arraycopy(qname, 0, out, 12, qname.length);
        int p = 12 + qname.length;
        out[p++] = (byte) (type.code() >>> 8);
        out[p++] = (byte) type.code();
        out[p++] = 0;
        out[p++] = 1; // IN
        out[p++] = 0; // root
        out[p++] = 0;
        out[p++] = 41; // OPT
        out[p++] = (byte) (MAX_UDP >>> 8);
        out[p++] = (byte) MAX_UDP;
        // extended rcode, version, flags, rdlen: all zero
        return out;
    }

    static byte[] encodeName(String name) {
        if (name.isEmpty()) {
            return new byte[] {0};
        }
        byte[] ascii = name.getBytes(StandardCharsets.ISO_8859_1);
        if (ascii.length > 253) {
            throw new IllegalArgumentException("name longer than 253 bytes");
        }
        byte[] out = new byte[ascii.length + 2];
        int o = 0;
        int start = 0;
        for (int i = 0; i <= ascii.length; i++) {
            if (i == ascii.length || ascii[i] == '.') {
                int len = i - start;
                if (len == 0 || len > 63) {
                    throw new IllegalArgumentException("empty label or label over 63 bytes in " + name);
                }
                out[o++] = (byte) len;
                System.arraycopy(ascii, start, out, o, len);
                o += len;
                start = i + 1;
            }
        }
        out[o] = 0;
        return out;
    }

    static Reply decode(byte[] m, int length) throws MalformedException {
        if (length < 12) {
            throw new MalformedException("reply shorter than a header");
        }
        int id = u16(m, 0, length);
        int flags = u16(m, 2, length);
        if ((flags & 0x8000) == 0) {
            throw new MalformedException("not a reply (QR=0)");
        }
        boolean tc = (flags & 0x0200) != 0;
        int rcode = flags & 0x0f;
        int qd = u16(m, 4, length);
        int an = u16(m, 6, length);
        int[] pos = {12};
        for (int i = 0; i < qd; i++) {
            readName(m, length, pos);
            pos[0] += 4;
        }
        List<DnsRecord> answers = new ArrayList<>();
        for (int i = 0; i < an; i++) {
            String owner = readName(m, length, pos);
            int p = pos[0];
            int type = u16(m, p, length);
            long ttl = u32(m, p + 4, length);
            int rdlen = u16(m, p + 8, length);
            int rd = p + 10;
            if (rd + rdlen > length) {
                throw new MalformedException("record data beyond the end of the reply");
            }
            pos[0] = rd + rdlen;
            DnsType t = DnsType.ofCode(type);
            if (t == null) {
                continue;
            }
            Duration d = Duration.ofSeconds(ttl > Integer.MAX_VALUE ? 0 : ttl);
            answers.add(
                    switch (t) {
                        case A, AAAA -> {
                            if (rdlen != (t == DnsType.A ? 4 : 16)) {
                                throw new MalformedException(t + " record of " + rdlen + " bytes");
                            }
                            byte[] a = new byte[rdlen];
                            System.arraycopy(m, rd, a, 0, rdlen);
                            try {
                                yield new DnsRecord(
                                        owner, t, d, "", java.util.Optional.of(InetAddress.getByAddress(a)), 0);
                            } catch (UnknownHostException e) {
                                throw new MalformedException("bad address");
                            }
                        }
                        case CNAME, PTR -> {
                            int[] q = {rd};
                            yield new DnsRecord(owner, t, d, readName(m, length, q), java.util.Optional.empty(), 0);
                        }
                        case MX -> {
                            int pref = u16(m, rd, length);
                            int[] q = {rd + 2};
                            yield new DnsRecord(owner, t, d, readName(m, length, q), java.util.Optional.empty(), pref);
                        }
                        case TXT -> {
                            StringBuilder sb = new StringBuilder(rdlen);
                            int q = rd;
                            while (q < rd + rdlen) {
                                int l = m[q] & 0xff;
                                if (q + 1 + l > rd + rdlen) {
                                    throw new MalformedException("TXT string beyond its record");
                                }
                                sb.append(new String(m, q + 1, l, StandardCharsets.ISO_8859_1));
                                q += 1 + l;
                            }
                            yield new DnsRecord(owner, t, d, sb.toString(), java.util.Optional.empty(), 0);
                        }
                    });
        }
        return new Reply(id, tc, rcode, answers);
    }

    private static String readName(byte[] m, int length, int[] pos) throws MalformedException {
        StringBuilder sb = new StringBuilder();
        int p = pos[0];
        int end = -1;
        int jumps = 0;
        while (true) {
            if (p >= length) {
                throw new MalformedException("name beyond the end of the reply");
            }
            int len = m[p] & 0xff;
            if ((len & 0xc0) == 0xc0) {
                if (p + 1 >= length) {
                    throw new MalformedException("truncated compression pointer");
                }
                int target = ((len & 0x3f) << 8) | (m[p + 1] & 0xff);
                if (end < 0) {
                    end = p + 2;
                }
                if (target >= p || ++jumps > 64) {
                    throw new MalformedException("compression pointer loop");
                }
                p = target;
                continue;
            }
            if ((len & 0xc0) != 0) {
                throw new MalformedException("unknown label type");
            }
            if (len == 0) {
                p++;
                break;
            }
            if (p + 1 + len > length) {
                throw new MalformedException("label beyond the end of the reply");
            }
            if (sb.length() > 0) {
                sb.append('.');
            }
            sb.append(new String(m, p + 1, len, StandardCharsets.ISO_8859_1));
            if (sb.length() > 255) {
                throw new MalformedException("name longer than 255 bytes");
            }
            p += 1 + len;
        }
        pos[0] = end < 0 ? p : end;
        return sb.toString().toLowerCase(Locale.ROOT);
    }

    private static int u16(byte[] m, int p, int length) throws MalformedException {
        if (p + 2 > length) {
            throw new MalformedException("reply ends inside a field");
        }
        return ((m[p] & 0xff) << 8) | (m[p + 1] & 0xff);
    }

    private static long u32(byte[] m, int p, int length) throws MalformedException {
        return ((long) u16(m, p, length) << 16) | u16(m, p + 2, length);
    }
}
