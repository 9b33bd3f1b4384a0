package org.mailhygiene.scanners.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.scanners.auth.dns.DnsResult;
import org.mailhygiene.scanners.auth.dns.DnsType;
import org.mailhygiene.scanners.auth.dns.StubResolver;
import org.mailhygiene.testkit.dns.FakeDnsExtension;
import org.mailhygiene.testkit.dns.FakeDnsServer;

/** The stub resolver against the fake server: record types, faults, TCP fallback and the cache. */
@ExtendWith(FakeDnsExtension.class)
class StubResolverTest {
    static StubResolver.Builder resolver(FakeDnsServer dns) {
        return StubResolver.builder().server(dns.address()).timeout(Duration.ofSeconds(5));
    }

    @Test
    void answersEveryTypeAndFollowsCnames(FakeDnsServer dns) {
        String longText = "v=spf1 " + "ip4:192.0.2.1 ".repeat(40) + "-all";
        dns.txt("example.org", longText)
                .a("example.org", "192.0.2.1")
                .aaaa("example.org", "2001:db8::1")
                .mx("example.org", 10, "mx.example.org")
                .cname("alias.example.org", "example.org")
                .ptr("1.2.0.192.in-addr.arpa", "example.org");
        StubResolver r = resolver(dns).build();
        assertThat(r.query("example.org", DnsType.TXT).records())
                .singleElement()
                .satisfies(x -> assertThat(x.text()).isEqualTo(longText));
        assertThat(r.query("EXAMPLE.org.", DnsType.A)
                        .records()
                        .get(0)
                        .address()
                        .orElseThrow()
                        .getHostAddress())
                .isEqualTo("192.0.2.1");
        assertThat(r.query("example.org", DnsType.AAAA).records()).hasSize(1);
        assertThat(r.query("example.org", DnsType.MX).records().get(0).text()).isEqualTo("mx.example.org");
        assertThat(r.query("example.org", DnsType.MX).records().get(0).preference())
                .isEqualTo(10);
        assertThat(r.query("alias.example.org", DnsType.A).records()).hasSize(1);
        assertThat(r.query("1.2.0.192.in-addr.arpa", DnsType.PTR)
                        .records()
                        .get(0)
                        .text())
                .isEqualTo("example.org");
        assertThat(r.query("nowhere.example.org", DnsType.A).status()).isEqualTo(DnsResult.Status.NXDOMAIN);
        assertThat(r.query("example.org", DnsType.PTR).isVoid()).isTrue();
    }

    @Test
    void faultsBecomeTemporaryErrorsAndTruncationFallsBackToTcp(FakeDnsServer dns) {
        dns.txt("tc.example", "hello").fault("tc.example", FakeDnsServer.Fault.TRUNCATE);
        dns.fault("sf.example", FakeDnsServer.Fault.SERVFAIL);
        dns.fault("to.example", FakeDnsServer.Fault.TIMEOUT);
        // Answers that come are awaited generously (a busy machine); only the scripted timeout uses a short one.
        StubResolver r = resolver(dns).attempts(2).build();
        assertThat(r.query("tc.example", DnsType.TXT).records().get(0).text()).isEqualTo("hello");
        assertThat(dns.questions()).contains("tc.example 16", "tc.example 16/tcp");
        DnsResult sf = r.query("sf.example", DnsType.TXT);
        assertThat(sf.status()).isEqualTo(DnsResult.Status.TEMPERROR);
        assertThat(sf.detail()).contains("SERVFAIL");
        DnsResult to = resolver(dns)
                .timeout(Duration.ofMillis(200))
                .attempts(2)
                .build()
                .query("to.example", DnsType.TXT);
        assertThat(to.status()).isEqualTo(DnsResult.Status.TEMPERROR);
        assertThat(dns.questions().stream().filter(q -> q.startsWith("to.example")))
                .hasSize(2);
    }

    /**
     * Session 42, from outside: {@code hygiene scan --auth --dns 127.0.0.1:PORT} with nothing listening there said
     * {@code spf=temperror ... DNS error looking up example.com: /127.0.0.1:PORT: null} (the ICMP port unreachable
     * the kernel reports has no message). The reason is now said, and the server without the slash.
     */
    @Test
    void aServerThatIsNotListeningIsNamedWithTheReason() throws Exception {
        int closed;
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        DnsResult r = StubResolver.builder()
                .server(new java.net.InetSocketAddress("127.0.0.1", closed))
                .timeout(Duration.ofSeconds(5))
                .attempts(1)
                .build()
                .query("example.com", DnsType.TXT);
        assertThat(r.status()).isEqualTo(DnsResult.Status.TEMPERROR);
        assertThat(r.detail())
                .startsWith("127.0.0.1:" + closed + ": ")
                .doesNotContain("null")
                .containsAnyOf("port unreachable", "no reply within");
    }

    @Test
    void theCacheHonoursTtlSizeAndNeverKeepsFailures(FakeDnsServer dns) {
        dns.txt("a.example", "one").txt("b.example", "two");
        dns.fault("sf.example", FakeDnsServer.Fault.SERVFAIL);
        AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-02T06:00:00Z"));
        java.time.Clock clock = new java.time.Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public java.time.Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        };
        StubResolver r = resolver(dns)
                .clock(clock)
                .cacheSize(1)
                .maxTtl(Duration.ofSeconds(60))
                .build();
        r.query("a.example", DnsType.TXT);
        r.query("a.example", DnsType.TXT);
        assertThat(dns.questions()).containsExactly("a.example 16");
        now.set(now.get().plusSeconds(61)); // past maxTtl (the record's TTL is 300)
        r.query("a.example", DnsType.TXT);
        assertThat(dns.questions()).hasSize(2);
        r.query("b.example", DnsType.TXT); // evicts a (size 1)
        r.query("a.example", DnsType.TXT);
        assertThat(dns.questions()).hasSize(4);
        r.query("sf.example", DnsType.TXT);
        r.query("sf.example", DnsType.TXT);
        assertThat(dns.questions().stream().filter(q -> q.startsWith("sf."))).hasSize(4); // 2 attempts, twice
    }

    @Test
    void resolvConfServersAreReadAndLoopbackIsTheDefault(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("resolv.conf");
        Files.writeString(conf, "# comment\nsearch example\nnameserver 192.0.2.53\nnameserver fe80::1%eth0\n");
        assertThat(StubResolver.systemServers(conf))
                .extracting(a -> a.getAddress().getHostAddress())
                .containsExactly("192.0.2.53", "fe80:0:0:0:0:0:0:1");
        assertThat(StubResolver.systemServers(dir.resolve("missing")))
                .singleElement()
                .satisfies(a -> assertThat(a.getPort()).isEqualTo(53));
    }
}
