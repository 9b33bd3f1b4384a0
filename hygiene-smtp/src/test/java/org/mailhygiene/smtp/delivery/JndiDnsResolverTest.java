package org.mailhygiene.smtp.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The JDK's JNDI DNS provider against a tiny UDP name server on 127.0.0.1 that answers MX, A and AAAA from maps. */
class JndiDnsResolverTest {
    static final int MX = 15;
    static final int A = 1;
    static final int AAAA = 28;

    /** name -> type -> RDATA list; a name not in the map is NXDOMAIN. */
    final Map<String, Map<Integer, List<byte[]>>> zone = new HashMap<>();

    DatagramSocket socket;
    Thread server;

    @BeforeEach
    void start() throws Exception {
        socket = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        server = new Thread(this::serve, "fake-dns");
        server.setDaemon(true);
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        socket.close();
        server.join(2000);
    }

    /** The fake answers every question: a generous timeout, so a busy machine cannot turn an answer into a failure. */
    JndiDnsResolver resolver() {
        return JndiDnsResolver.using("127.0.0.1:" + socket.getLocalPort(), Duration.ofSeconds(10), 1);
    }

    void add(String name, int type, byte[] rdata) {
        zone.computeIfAbsent(name, n -> new HashMap<>())
                .computeIfAbsent(type, t -> new ArrayList<>())
                .add(rdata);
    }

    static byte[] mx(int pref, String host) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(pref >> 8);
        b.write(pref & 255);
        writeName(b, host);
        return b.toByteArray();
    }

    static void writeName(ByteArrayOutputStream b, String name) {
        for (String label : name.split("\\.")) {
            if (label.isEmpty()) {
                continue;
            }
            byte[] l = label.getBytes(StandardCharsets.US_ASCII);
            b.write(l.length);
            b.write(l, 0, l.length);
        }
        b.write(0);
    }

    private void serve() {
        byte[] buf = new byte[512];
        while (!socket.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
                byte[] reply = answer(ByteBuffer.wrap(p.getData(), 0, p.getLength()));
                socket.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
            } catch (SocketException closed) {
                return;
            } catch (Exception e) {
                // a malformed query gets no answer; the client times out
            }
        }
    }

    private byte[] answer(ByteBuffer q) {
        int id = q.getShort() & 0xffff;
        q.position(12);
        StringBuilder name = new StringBuilder();
        int len;
        while ((len = q.get() & 0xff) != 0) {
            byte[] label = new byte[len];
            q.get(label);
            name.append(name.length() > 0 ? "." : "").append(new String(label, StandardCharsets.US_ASCII));
        }
        int type = q.getShort() & 0xffff;
        int qclass = q.getShort() & 0xffff;
        int questionEnd = q.position();
        Map<Integer, List<byte[]>> records = zone.get(name.toString().toLowerCase(Locale.ROOT));
        List<byte[]> answers = records == null ? List.of() : records.getOrDefault(type, List.of());
        ByteBuffer r = ByteBuffer.allocate(512);
        r.putShort((short) id);
        r.putShort((short) (0x8180 | (records == null ? 3 : 0))); // response, RD, RA; NXDOMAIN when unknown
        r.putShort((short) 1)
                .putShort((short) answers.size())
                .putShort((short) 0)
                .putShort((short) 0);
        r.put(q.array(), q.arrayOffset() + 12, questionEnd - 12);
        for (byte[] rdata : answers) {
            r.putShort((short) 0xC00C)
                    .putShort((short) type)
                    .putShort((short) qclass)
                    .putInt(60);
            r.putShort((short) rdata.length).put(rdata);
        }
        byte[] out = new byte[r.position()];
        r.flip();
        r.get(out);
        return out;
    }

    @Test
    void readsMxRecordsAndAddresses() throws Exception {
        add("mx.test", MX, mx(20, "b.mx.test"));
        add("mx.test", MX, mx(10, "a.mx.test"));
        add("a.mx.test", A, new byte[] {127, 0, 0, 3});
        add("a.mx.test", AAAA, InetAddress.getByName("::1").getAddress());
        add("nomx.test", A, new byte[] {127, 0, 0, 4});
        JndiDnsResolver dns = resolver();
        assertThat(dns.mx("mx.test"))
                .containsExactlyInAnyOrder(new MxRecord(10, "a.mx.test"), new MxRecord(20, "b.mx.test"));
        assertThat(dns.addresses("a.mx.test"))
                .extracting(InetAddress::getHostAddress)
                .containsExactlyInAnyOrder("127.0.0.3", "0:0:0:0:0:0:0:1");
        assertThat(dns.mx("nomx.test")).isEmpty();
        assertThat(dns.addresses("nomx.test"))
                .extracting(InetAddress::getHostAddress)
                .containsExactly("127.0.0.4");
    }

    @Test
    void nxdomainIsPermanent() {
        assertThatThrownBy(() -> resolver().mx("nowhere.test"))
                .isInstanceOfSatisfying(
                        DnsException.class, e -> assertThat(e.isPermanent()).isTrue());
        assertThatThrownBy(() -> resolver().addresses("nowhere.test"))
                .isInstanceOfSatisfying(
                        DnsException.class, e -> assertThat(e.isPermanent()).isTrue());
    }

    @Test
    void aSilentServerIsATemporaryFailureWithinTheTimeout() throws Exception {
        int silent;
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            silent = s.getLocalPort();
        }
        JndiDnsResolver dns = JndiDnsResolver.using("127.0.0.1:" + silent, Duration.ofMillis(200), 1);
        assertThatThrownBy(() -> dns.mx("mx.test"))
                .isInstanceOfSatisfying(
                        DnsException.class, e -> assertThat(e.isPermanent()).isFalse());
    }

    @Test
    void settingsAreValidated() {
        assertThatThrownBy(() -> JndiDnsResolver.using("127.0.0.1", Duration.ZERO, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JndiDnsResolver.using("127.0.0.1", Duration.ofSeconds(1), 11))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
