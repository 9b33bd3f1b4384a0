package org.mailhygiene.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostPortsTest {
    private static InetAddress ip(String text) throws UnknownHostException {
        return InetAddress.getByName(text);
    }

    /** The JDK writes {@code 0:0:0:0:0:0:0:1}; a Received: header and a log line write what Postfix writes. */
    @Test
    void ipv6IsWrittenInTheRfc5952Form() throws UnknownHostException {
        assertThat(HostPorts.address(ip("0:0:0:0:0:0:0:1"))).isEqualTo("::1");
        assertThat(HostPorts.address(ip("::"))).isEqualTo("::");
        assertThat(HostPorts.address(ip("2001:0DB8:0:0:0:0:0:1"))).isEqualTo("2001:db8::1");
        assertThat(HostPorts.address(ip("2001:db8:0:1:1:1:1:1"))).isEqualTo("2001:db8:0:1:1:1:1:1"); // one zero: 0
        assertThat(HostPorts.address(ip("2001:0:0:1:0:0:0:1"))).isEqualTo("2001:0:0:1::1"); // the longest run
        assertThat(HostPorts.address(ip("2001:db8:0:0:1:0:0:1"))).isEqualTo("2001:db8::1:0:0:1"); // the first of two
        assertThat(HostPorts.address(ip("1:0:0:0:0:0:0:0"))).isEqualTo("1::");
        assertThat(HostPorts.address(ip("fe80:0:0:0:0:0:0:1%1"))).isEqualTo("fe80::1%1");
        assertThat(HostPorts.address(ip("192.0.2.1"))).isEqualTo("192.0.2.1");
        assertThat(HostPorts.address(ip("::ffff:192.0.2.1"))).isEqualTo("192.0.2.1"); // the JDK makes it IPv4
        // the property below met one such once in a while (session 47): groups of 0 and 1 as an IPv4-mapped address
        assertThat(HostPorts.address(ip("::ffff:1:1"))).isEqualTo("0.1.0.1");
    }

    @Test
    void aSocketAddressIsBracketedWhenIpv6() throws UnknownHostException {
        assertThat(HostPorts.of(new InetSocketAddress(ip("::1"), 2525))).isEqualTo("[::1]:2525");
        assertThat(HostPorts.of(new InetSocketAddress(ip("127.0.0.1"), 25))).isEqualTo("127.0.0.1:25");
        assertThat(HostPorts.of(InetSocketAddress.createUnresolved("mx.example", 25)))
                .isEqualTo("mx.example:25");
    }

    /** A connection's peer without the JDK's slash; an unconnected socket does not make it throw. */
    @Test
    void aPeerIsWrittenWithoutASlashAndNeverThrows() throws Exception {
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                java.net.Socket client = new java.net.Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                java.net.Socket accepted = server.accept()) {
            assertThat(HostPorts.peer(accepted)).isEqualTo("127.0.0.1:" + client.getLocalPort());
        }
        assertThat(HostPorts.peer(new java.net.Socket())).isEqualTo("null");
    }

    /** Any IPv6 address: read back the same, never longer than the JDK's form, at most one {@code ::}. */
    @Test
    void everyAddressReadsBackTheSame() {
        qt().withExamples(2000)
                .forAll(
                        lists().of(integers().between(0, 3)).ofSize(8),
                        lists().of(integers().between(1, 0xffff)).ofSize(8))
                .checkAssert((kinds, values) -> {
                    byte[] b = new byte[16];
                    for (int i = 0; i < 8; i++) {
                        int v = kinds.get(i) == 0 ? values.get(i) : 0; // zero groups three times in four
                        b[2 * i] = (byte) (v >> 8);
                        b[2 * i + 1] = (byte) v;
                    }
                    InetAddress a;
                    try {
                        a = InetAddress.getByAddress(b);
                        String text = HostPorts.address(a);
                        assertThat(InetAddress.getByName(text)).isEqualTo(a);
                        assertThat(text.length())
                                .isLessThanOrEqualTo(a.getHostAddress().length());
                        assertThat(text.indexOf("::")).isEqualTo(text.lastIndexOf("::"));
                        assertThat(text).doesNotContain(":::").isEqualTo(text.toLowerCase(java.util.Locale.ROOT));
                        if (a instanceof java.net.Inet6Address) { // ::ffff:a.b.c.d is IPv4 to the JDK: 0.1.0.1
                            assertThat(List.of(text.split(":"))).noneMatch(g -> g.length() > 1 && g.startsWith("0"));
                        }
                    } catch (UnknownHostException e) {
                        throw new AssertionError(e);
                    }
                });
    }
}
