package org.mailhygiene.smtp.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.routing.NextHop;
import org.mailhygiene.smtp.config.ConfigException;
import org.mailhygiene.smtp.config.ConfigFile;
import org.mailhygiene.smtp.delivery.DeliveryListener;
import org.mailhygiene.smtp.delivery.DnsException;
import org.mailhygiene.smtp.delivery.DnsResolver;
import org.mailhygiene.smtp.delivery.Endpoint;
import org.mailhygiene.smtp.delivery.MxRecord;
import org.mailhygiene.smtp.delivery.RecipientResult;
import org.mailhygiene.smtp.delivery.SmtpClient;
import org.mailhygiene.smtp.delivery.TlsPolicy;
import org.mailhygiene.smtp.queue.QueuedMessage;
import org.mailhygiene.smtp.queue.RecipientState;
import org.mailhygiene.smtp.queue.Spool;
import org.mailhygiene.testkit.smtp.SinkMessage;
import org.mailhygiene.testkit.smtp.SmtpSink;

/**
 * Outbound TLS per route, configured from a node file ({@code outbound-tls*}, {@code route-tls}), against our own SMTP
 * sinks: one without STARTTLS, one with STARTTLS and a certificate for {@code localhost} issued by a CA that openssl
 * makes in the test. The relay resolves {@code localhost} through a fake DNS resolver to 127.0.0.1.
 */
class OutboundTlsRoutesTest {
    @TempDir
    static Path certs;

    @TempDir
    Path dir;

    private static Path caPem;
    private static SSLContext serverContext;

    @BeforeAll
    static void makeCertificates() throws Exception {
        TestPki pki = TestPki.create(certs);
        caPem = pki.ca();
        serverContext = pki.serverContext();
    }

    /** {@code localhost} (and every other name) is 127.0.0.1; no MX records. */
    private static final DnsResolver LOOPBACK_DNS = new DnsResolver() {
        @Override
        public List<MxRecord> mx(String domain) {
            return List.of();
        }

        @Override
        public List<InetAddress> addresses(String host) throws DnsException {
            try {
                return List.of(InetAddress.getByAddress(host, new byte[] {127, 0, 0, 1}));
            } catch (java.net.UnknownHostException e) {
                throw new DnsException(e.getMessage(), true, e);
            }
        }
    };

    /** The first delivery outcome per recipient, as the node's delivery listener reported it. */
    private final Map<String, RecipientResult> outcomes = new ConcurrentHashMap<>();

    private Node start(String routes) throws Exception {
        String text = """
                role = edge
                name = tls-out
                listen = 127.0.0.1:0
                data = data
                accept-domain = .test
                scanner = builtin
                """ + routes;
        Files.copy(caPem, dir.resolve("ca.pem"));
        Node node = NodeConfig.parse(ConfigFile.parse("node.conf", text), dir)
                .delivery(d -> d.dns(LOOPBACK_DNS))
                .deliveryListener(new DeliveryListener() {
                    @Override
                    public void transaction(
                            QueuedMessage message, Optional<Endpoint> endpoint, List<RecipientResult> results) {
                        for (RecipientResult r : results) {
                            outcomes.putIfAbsent(r.recipient(), r);
                        }
                    }
                })
                .build();
        node.start();
        return node;
    }

    private static void send(Node node, String... recipients) throws Exception {
        SmtpClient c = SmtpClient.builder().tls(TlsPolicy.disabled()).build();
        c.deliver(
                Endpoint.literal(new NextHop("127.0.0.1", node.address().getPort())),
                "sender@example.net",
                List.of(recipients),
                MessageContent.ofBytes("Subject: tls\r\n\r\nhello\r\n".getBytes()),
                Duration.ofSeconds(60));
    }

    private RecipientResult await(String recipient) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < until) {
            RecipientResult r = outcomes.get(recipient);
            if (r != null) {
                return r;
            }
            Thread.sleep(20); // polling a map the delivery thread fills; the deadline is generous
        }
        throw new AssertionError("no delivery attempt for " + recipient + " in 120 s; seen " + outcomes);
    }

    /**
     * The recipient's state in the node's queue (the spool file) once an attempt is recorded there (the listener hears
     * of an attempt just before the spool is written).
     */
    private RecipientState queued(String recipient) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < until) {
            for (QueuedMessage m : Spool.inspect(dir.resolve("data/spool"))) {
                for (RecipientState r : m.recipients()) {
                    if (r.address().equals(recipient) && r.lastReply().isPresent()) {
                        return r;
                    }
                }
            }
            Thread.sleep(20); // polling the spool directory; the deadline is generous
        }
        throw new AssertionError(recipient + ": no attempt recorded in the queue in 120 s");
    }

    private static SmtpSink tlsSink() throws Exception {
        return SmtpSink.builder().tls(serverContext).start();
    }

    /**
     * An MX route under {@code required}: each MX host is verified by its own name, and one whose certificate does not
     * name it is a failure of that host only; the next MX takes the message (outside-in audit, session 40).
     */
    @Test
    void requiredOverMxVerifiesEachHostByItsNameAndFallsToTheNext() throws Exception {
        // Both MX hosts listen on one port (the MX port is one for all), on two loopback addresses; the certificate
        // names localhost, so mx1.mx.test (127.0.0.2) fails verification and localhost (127.0.0.1) passes.
        try (SmtpSink first = SmtpSink.builder()
                        .bindAddress(InetAddress.getByName("127.0.0.2"))
                        .tls(serverContext)
                        .start();
                SmtpSink second = SmtpSink.builder()
                        .bindAddress(InetAddress.getByName("127.0.0.1"))
                        .port(first.port())
                        .tls(serverContext)
                        .start()) {
            DnsResolver mxDns = new DnsResolver() {
                @Override
                public List<MxRecord> mx(String domain) {
                    return domain.equals("mx.test")
                            ? List.of(new MxRecord(10, "mx1.mx.test"), new MxRecord(20, "localhost"))
                            : List.of();
                }

                @Override
                public List<InetAddress> addresses(String host) throws DnsException {
                    try {
                        byte last = (byte) (host.equals("mx1.mx.test") ? 2 : 1);
                        return List.of(InetAddress.getByAddress(host, new byte[] {127, 0, 0, last}));
                    } catch (java.net.UnknownHostException e) {
                        throw new DnsException(e.getMessage(), true, e);
                    }
                }
            };
            String text = """
                    role = edge
                    name = tls-out
                    listen = 127.0.0.1:0
                    data = data
                    accept-domain = .test
                    scanner = builtin
                    route = mx.test:
                    route-tls = mx.test:required trust=ca.pem
                    """;
            Files.copy(caPem, dir.resolve("ca.pem"));
            try (Node node = NodeConfig.parse(ConfigFile.parse("node.conf", text), dir)
                    .delivery(d -> d.dns(mxDns).mxPort(first.port()))
                    .deliveryListener(new DeliveryListener() {
                        @Override
                        public void transaction(
                                QueuedMessage message, Optional<Endpoint> endpoint, List<RecipientResult> results) {
                            for (RecipientResult r : results) {
                                outcomes.putIfAbsent(r.recipient(), r);
                            }
                        }
                    })
                    .build()) {
                node.start();
                send(node, "u@mx.test");
                assertThat(second.awaitMessages(1, Duration.ofSeconds(60))
                                .get(0)
                                .tls())
                        .isTrue();
                assertThat(first.messages()).isEmpty();
                assertThat(first.transcript()).anyMatch(l -> l.startsWith("C: STARTTLS")); // tried first, refused
                assertThat(await("u@mx.test").outcome()).isEqualTo(RecipientResult.Outcome.DELIVERED);
            }
        }
    }

    @Test
    void opportunisticToAPeerWithoutStartTlsDeliversInClear() throws Exception {
        try (SmtpSink plain = SmtpSink.start();
                Node node = start(
                        "route = clear.test:127.0.0.1:" + plain.port() + "\nroute-tls = clear.test:opportunistic\n")) {
            send(node, "u@clear.test");
            assertThat(await("u@clear.test").outcome()).isEqualTo(RecipientResult.Outcome.DELIVERED);
            SinkMessage m = plain.awaitMessages(1, Duration.ofSeconds(60)).get(0);
            assertThat(m.tls()).isFalse();
        }
    }

    @Test
    void opportunisticUsesStartTlsWhenOfferedWithoutVerifying() throws Exception {
        // The CA is in no trust store the relay uses: opportunistic encrypts anyway.
        try (SmtpSink secure = tlsSink();
                Node node = start(
                        "route = opp.test:127.0.0.1:" + secure.port() + "\nroute-tls = opp.test:opportunistic\n")) {
            send(node, "u@opp.test");
            assertThat(await("u@opp.test").outcome()).isEqualTo(RecipientResult.Outcome.DELIVERED);
            assertThat(secure.awaitMessages(1, Duration.ofSeconds(60)).get(0).tls())
                    .isTrue();
        }
    }

    @Test
    void requiredToAPeerWithoutStartTlsDefersAndSaysWhy() throws Exception {
        try (SmtpSink plain = SmtpSink.start();
                Node node = start("route = strict.test:127.0.0.1:" + plain.port()
                        + "\nroute-tls = strict.test:required trust=ca.pem\n")) {
            send(node, "u@strict.test");
            RecipientResult r = await("u@strict.test");
            assertThat(r.outcome()).isEqualTo(RecipientResult.Outcome.TEMPORARY);
            assertThat(r.diagnostic()).startsWith("451 ").contains("TLS required but STARTTLS not offered");
            RecipientState q = queued("u@strict.test");
            assertThat(q.status()).isEqualTo(RecipientState.Status.PENDING);
            assertThat(q.nextAttempt()).isPresent();
            assertThat(q.lastReply().orElseThrow()).contains("TLS required but STARTTLS not offered");
            assertThat(plain.messages()).isEmpty();
            assertThat(plain.transcript()).noneMatch(l -> l.startsWith("C: MAIL"));
        }
    }

    @Test
    void requiredWithTheWrongHostNameDefersButChainOnlyDeliversWhenAskedFor() throws Exception {
        // The certificate names localhost; these routes reach the same server as 127.0.0.1.
        try (SmtpSink secure = tlsSink();
                Node node = start("route = wrong.test:127.0.0.1:" + secure.port()
                        + "\nroute = chain.test:127.0.0.1:" + secure.port()
                        + "\nroute-tls = wrong.test:required trust=ca.pem"
                        + "\nroute-tls = chain.test:required verify=chain trust=ca.pem\n")) {
            send(node, "u@wrong.test");
            RecipientResult r = await("u@wrong.test");
            assertThat(r.outcome()).isEqualTo(RecipientResult.Outcome.TEMPORARY);
            assertThat(r.diagnostic()).contains("TLS required but the handshake or verification failed");
            assertThat(queued("u@wrong.test").lastReply().orElseThrow()).contains("127.0.0.1");
            assertThat(secure.messages()).isEmpty();

            send(node, "u@chain.test");
            assertThat(await("u@chain.test").outcome()).isEqualTo(RecipientResult.Outcome.DELIVERED);
            SinkMessage m = secure.awaitMessages(1, Duration.ofSeconds(60)).get(0);
            assertThat(m.tls()).isTrue();
            assertThat(m.recipients()).containsExactly("u@chain.test");
        }
    }

    @Test
    void requiredWithTheRightNameAndCaDeliversAndAnUntrustedCaDefers() throws Exception {
        try (SmtpSink secure = tlsSink();
                Node node = start("route = good.test:localhost:" + secure.port()
                        + "\nroute = untrusted.test:localhost:" + secure.port()
                        + "\nroute-tls = good.test:required trust=ca.pem"
                        + "\nroute-tls = untrusted.test:required\n")) {
            send(node, "u@good.test");
            assertThat(await("u@good.test").outcome()).isEqualTo(RecipientResult.Outcome.DELIVERED);
            SinkMessage m = secure.awaitMessages(1, Duration.ofSeconds(60)).get(0);
            assertThat(m.tls()).isTrue();

            // Same host and name, but the JDK's trust store does not hold our CA.
            send(node, "u@untrusted.test");
            RecipientResult r = await("u@untrusted.test");
            assertThat(r.outcome()).isEqualTo(RecipientResult.Outcome.TEMPORARY);
            assertThat(r.diagnostic()).contains("TLS required but the handshake or verification failed");
            assertThat(secure.messages()).hasSize(1);
        }
    }

    @Test
    void aRouteOverridesTheNodeDefault() throws Exception {
        // Node default: TLS required (verified against ca.pem). clear.test says none; other.test has no entry.
        try (SmtpSink plain = SmtpSink.start();
                Node node = start("outbound-tls = required\noutbound-tls-trust = ca.pem"
                        + "\nroute = clear.test:127.0.0.1:" + plain.port()
                        + "\nroute = other.test:127.0.0.1:" + plain.port()
                        + "\nroute-tls = clear.test:none\n")) {
            send(node, "u@clear.test", "u@other.test");
            assertThat(await("u@clear.test").outcome()).isEqualTo(RecipientResult.Outcome.DELIVERED);
            RecipientResult other = await("u@other.test");
            assertThat(other.outcome()).isEqualTo(RecipientResult.Outcome.TEMPORARY);
            assertThat(other.diagnostic()).contains("TLS required but STARTTLS not offered");
            List<SinkMessage> got = plain.awaitMessages(1, Duration.ofSeconds(60));
            assertThat(got).hasSize(1);
            assertThat(got.get(0).recipients()).containsExactly("u@clear.test");
            assertThat(got.get(0).tls()).isFalse();
        }
    }

    private void fails(String lines, String message) {
        String text = """
                role = edge
                name = tls-out
                listen = 127.0.0.1:0
                data = data
                accept-domain = example.test
                scanner = builtin
                route = :127.0.0.1:2525
                """ + lines;
        assertThatThrownBy(() -> NodeConfig.parse(ConfigFile.parse("node.conf", text), dir))
                .isInstanceOf(ConfigException.class)
                .hasMessage(message);
    }

    @Test
    void everyKeyMistakeNamesTheFileAndLine() throws Exception {
        Files.copy(caPem, dir.resolve("ca.pem"));
        Function<Integer, String> at = n -> "node.conf line " + n + ": ";
        fails(
                "outbound-tls = sometimes\n",
                at.apply(8) + "outbound-tls: must be none, opportunistic or required, was 'sometimes'");
        fails(
                "outbound-tls = opportunistic\noutbound-tls-verify = chain\n",
                at.apply(9) + "outbound-tls-verify: only applies to outbound-tls = required (was opportunistic)");
        fails(
                "outbound-tls = required\noutbound-tls-verify = name\n",
                at.apply(9) + "outbound-tls-verify: must be host or chain, was 'name'");
        fails(
                "outbound-tls = opportunistic\noutbound-tls-trust = ca.pem\n",
                at.apply(9) + "outbound-tls-trust: only used to verify required TLS: set outbound-tls = required or a"
                        + " route-tls line with required (opportunistic TLS verifies nothing)");
        fails(
                "outbound-tls = required\noutbound-tls-trust = missing.pem\n",
                at.apply(9) + "outbound-tls-trust: cannot read " + dir.resolve("missing.pem") + ": "
                        + dir.resolve("missing.pem"));
        Files.writeString(dir.resolve("empty.pem"), "");
        fails(
                "outbound-tls = required\noutbound-tls-trust = empty.pem\n",
                at.apply(9) + "outbound-tls-trust: no certificate in " + dir.resolve("empty.pem"));
        fails(
                "route-tls = example.test\n",
                at.apply(8) + "route-tls: expected PATTERN:MODE [verify=host|chain] [trust=FILE], was 'example.test'");
        fails(
                "route-tls = example.test:always\n",
                at.apply(8) + "route-tls: mode must be none, opportunistic or required, was 'always'");
        fails(
                "route-tls = example.test:required\nroute-tls = EXAMPLE.test:none\n",
                at.apply(9) + "route-tls: 'example.test' given more than once (first on line 8)");
        fails(
                "route-tls = example.test:opportunistic verify=chain\n",
                at.apply(8) + "route-tls: verify= only applies to required (this route is opportunistic)");
        fails(
                "route-tls = example.test:required verify=maybe\n",
                at.apply(8) + "route-tls: verify must be host or chain, was 'maybe'");
        fails(
                "route-tls = example.test:required colour=blue\n",
                at.apply(8) + "route-tls: unknown option 'colour=blue'; expected PATTERN:MODE [verify=host|chain]"
                        + " [trust=FILE]");
        fails(
                "route-tls = example.test:required trust=nope.pem\n",
                at.apply(8) + "route-tls: trust: cannot read " + dir.resolve("nope.pem") + ": "
                        + dir.resolve("nope.pem"));
        fails(
                "route-tls = [192.0.2.1:required\n",
                at.apply(8) + "route-tls: missing ']' after address literal in '[192.0.2.1:required'");
        fails(
                "route-tls = a b.test:required\n",
                at.apply(8)
                        + "route-tls: expected PATTERN:MODE [verify=host|chain] [trust=FILE], was 'a b.test:required'");
        // Valid: the node trust file is used by a required route although the default is opportunistic.
        NodeConfig.parse(
                ConfigFile.parse(
                        "node.conf",
                        "role = edge\nname = n\nlisten = 127.0.0.1:0\ndata = data\naccept-domain = x.test\n"
                                + "scanner = builtin\nroute = :127.0.0.1:2525\noutbound-tls = opportunistic\n"
                                + "outbound-tls-trust = ca.pem\nroute-tls = [192.0.2.1]:required\n"
                                + "route-tls = :none\nroute-tls = .x.test:required verify=chain\n"),
                dir);
    }
}
