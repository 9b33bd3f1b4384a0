package org.mailhygiene.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.scanners.auth.ArcSealer;
import org.mailhygiene.scanners.auth.AuthScanner;
import org.mailhygiene.scanners.auth.AuthStatus;
import org.mailhygiene.scanners.auth.DkimKeys;
import org.mailhygiene.scanners.auth.DkimResult;
import org.mailhygiene.scanners.auth.DkimVerifier;
import org.mailhygiene.scanners.auth.HeaderSection;
import org.mailhygiene.scanners.auth.dns.StubResolver;
import org.mailhygiene.smtp.config.ConfigFile;
import org.mailhygiene.smtp.topology.Node;
import org.mailhygiene.smtp.topology.NodeConfig;
import org.mailhygiene.testkit.dns.FakeDnsExtension;
import org.mailhygiene.testkit.dns.FakeDnsServer;
import org.mailhygiene.testkit.smtp.SinkAction;
import org.mailhygiene.testkit.smtp.SinkMessage;
import org.mailhygiene.testkit.smtp.SmtpSink;

/**
 * A gateway node configured with {@code scanner = auth}, {@code dns} and {@code dkim-sign}: outbound mail leaves with
 * our Authentication-Results (a forged one renamed) and a DKIM signature over the message as tagged; inbound mail is
 * not signed.
 */
@ExtendWith(FakeDnsExtension.class)
class RelayAuthTest {
    @TempDir
    Path dir;

    static final String MESSAGE = "From: Alice <alice@dept-a.example>\r\n"
            + "To: bob@remote.example\r\n"
            + "Subject: Quarterly numbers\r\n"
            + "Date: Wed, 2 Dec 2026 06:00:00 +0000\r\n"
            + "Message-ID: <q1@dept-a.example>\r\n"
            + "Authentication-Results: gw.example.net; dkim=pass header.d=bank.example\r\n"
            + "\r\n"
            + "See attached.\r\n";

    @Test
    void outboundMailIsSignedAfterTaggingAndCarriesOurResults(FakeDnsServer dns) throws Exception {
        dkimKey(dns);
        dns.txt("dept-a.example", "v=spf1 ip4:127.0.0.0/8 -all");
        try (SmtpSink sink = SmtpSink.builder().start()) {
            Node.Builder b = gateway(dns, sink, "gw.example.net", "");
            try (Node node = b.build()) {
                node.start();
                try (RelayTestClient c = new RelayTestClient(node.address().getPort())) {
                    assertThat(c.send(
                                    "alice@dept-a.example",
                                    List.of("bob@remote.example"),
                                    MESSAGE.getBytes(StandardCharsets.ISO_8859_1)))
                            .startsWith("250");
                }
                try (RelayTestClient c = new RelayTestClient(node.address().getPort())) {
                    assertThat(c.send(
                                    "alice@dept-a.example",
                                    List.of("carol@dept-a.example"),
                                    MESSAGE.getBytes(StandardCharsets.ISO_8859_1)))
                            .startsWith("250");
                }
                List<SinkMessage> got = sink.awaitMessages(2, Duration.ofSeconds(60));
                assertThat(got).hasSize(2);
                SinkMessage out = got.stream()
                        .filter(m -> m.recipients().contains("bob@remote.example"))
                        .findFirst()
                        .orElseThrow();
                SinkMessage in = got.stream()
                        .filter(m -> m.recipients().contains("carol@dept-a.example"))
                        .findFirst()
                        .orElseThrow();
                assertThat(out.text()).startsWith("DKIM-Signature: v=1; a=rsa-sha256;");
                assertThat(out.text())
                        .contains("X-Original-Authentication-Results: gw.example.net; dkim=pass header.d=bank.example")
                        .contains("Authentication-Results: gw.example.net; spf=pass");
                assertThat(in.text()).doesNotContain("DKIM-Signature");
                // a trace field (RFC 8601 section 5): on top, below only what signed the message after it
                assertThat(in.text()).startsWith("Authentication-Results: gw.example.net; spf=");
                assertThat(out.text().indexOf("\r\nAuthentication-Results: gw.example.net; spf="))
                        .isLessThan(out.text().indexOf("\r\nReceived: "));
                oneValidSignature(dns, out.data());
            }
        }
    }

    /**
     * A header section past what signing reads (1 MiB) is as large at every retry: it is refused for good, not given a
     * 451 that kept the sender retrying until its queue lifetime ran out (audit, session 32).
     */
    @Test
    void aHeaderSectionTooLargeToSignIsRefusedForGood(FakeDnsServer dns) throws Exception {
        KeyPair kp = DkimKeys.generate("rsa", 2048);
        Files.writeString(dir.resolve("dkim.key"), DkimKeys.toPem(kp.getPrivate()));
        try (SmtpSink sink = SmtpSink.builder().start()) {
            String conf = "role = gateway\n"
                    + "name = gw\n"
                    + "listen = 127.0.0.1:0\n"
                    + "data = gw\n"
                    + "accept-domain = dept-a.example\n"
                    + "relay-client = 127.0.0.1\n"
                    + "route = :127.0.0.1:" + sink.port() + "\n"
                    + "scanner = builtin\n"
                    + "dkim-sign = dept-a.example:gw1:dkim.key\n";
            Node.Builder b = NodeConfig.parse(ConfigFile.parse("gw.conf", conf), dir);
            try (Node node = b.build()) {
                node.start();
                String pad = ("X-Pad: " + "x".repeat(90) + "\r\n").repeat(11_000);
                try (RelayTestClient c = new RelayTestClient(node.address().getPort())) {
                    assertThat(c.send(
                                    "alice@dept-a.example",
                                    List.of("bob@remote.example"),
                                    (pad + MESSAGE).getBytes(StandardCharsets.ISO_8859_1)))
                            .startsWith("554 5.6.0");
                }
            }
        }
    }

    /**
     * A held message left, when released, as it had come: without the node's Authentication-Results and
     * X-Hygiene-Suspicious, and unsigned, so mail of the node's own domain released by an administrator then failed
     * DMARC at the next hop (session 36's leftovers). The node keeps the signatures it would have added with the held
     * message now, and the release adds the header fields and the signatures, which verify.
     */
    @Test
    void aReleasedMessageLeavesWithTheFieldsAndSignaturesItWouldHaveLeftWith(FakeDnsServer dns) throws Exception {
        signingAndSealingKeys(dns);
        // the sending server is not in the domain's SPF record: DMARC fails under p=quarantine, and the node holds it
        dns.txt("dept-a.example", "v=spf1 ip4:192.0.2.0/24 -all");
        dns.txt("_dmarc.dept-a.example", "v=DMARC1; p=quarantine");
        try (SmtpSink sink = SmtpSink.builder().start()) {
            Node.Builder b = signingAndSealingGateway(dns, sink);
            String reply;
            try (Node node = b.build()) {
                node.start();
                try (RelayTestClient c = new RelayTestClient(node.address().getPort())) {
                    reply = c.send(
                            "alice@dept-a.example",
                            List.of("bob@remote.example"),
                            MESSAGE.getBytes(StandardCharsets.ISO_8859_1));
                }
                assertThat(reply).startsWith("250").contains("held as");
                String id = reply.replaceAll(".*held as ([0-9A-Z]+).*", "$1");
                org.mailhygiene.smtp.queue.Quarantine q = org.mailhygiene.smtp.queue.Quarantine.builder(
                                dir.resolve("gw").resolve("quarantine"))
                        .build();
                assertThat(q.release(
                                new org.mailhygiene.smtp.queue.QueueId(id),
                                dir.resolve("gw").resolve("spool"),
                                "admin"))
                        .isPresent();
                List<SinkMessage> got = sink.awaitMessages(1, Duration.ofSeconds(60));
                assertThat(got).hasSize(1);
                String text = got.get(0).text();
                assertThat(text).startsWith("ARC-Seal: i=1; a=rsa-sha256; cv=none;");
                assertThat(text)
                        .contains("\r\nDKIM-Signature: v=1; a=rsa-sha256;")
                        .contains("\r\nAuthentication-Results: gw.example.net; spf=fail")
                        .contains("dmarc=fail")
                        .contains("\r\nX-Hygiene-Suspicious: ")
                        .contains("X-Original-Authentication-Results: gw.example.net; dkim=pass header.d=bank.example")
                        .endsWith("See attached.\r\n");
                oneValidSignature(dns, got.get(0).data());
                Verdict v = scan(dns, got.get(0).data());
                assertThat(AuthScanner.arcStatus(v)).as(v.rules().toString()).contains(AuthStatus.PASS);
            }
        }
    }

    /**
     * An internal server sending as its own domain under p=reject, not in the SPF record and not signed before the
     * scan, was refused or held by its own node (audit, session 48): a client in {@code dmarc-exempt} has its message
     * checked, reported and delivered signed; a client outside the list is still held.
     */
    @Test
    void anExemptClientsMailOfItsOwnDomainIsDeliveredSignedAndOthersHeld(FakeDnsServer dns) throws Exception {
        dkimKey(dns);
        dns.txt("dept-a.example", "v=spf1 ip4:192.0.2.0/24 -all");
        dns.txt("_dmarc.dept-a.example", "v=DMARC1; p=reject");
        byte[] message = MESSAGE.getBytes(StandardCharsets.ISO_8859_1);
        try (SmtpSink sink = SmtpSink.builder().start()) {
            try (Node node = gateway(dns, sink, "gw.example.net", "dmarc-exempt = 10.0.0.0/8, 127.0.0.0/8\n")
                    .build()) {
                node.start();
                try (RelayTestClient c = new RelayTestClient(node.address().getPort())) {
                    assertThat(c.send("alice@dept-a.example", List.of("bob@remote.example"), message))
                            .startsWith("250")
                            .doesNotContain("held");
                }
                List<SinkMessage> got = sink.awaitMessages(1, Duration.ofSeconds(60));
                assertThat(got).hasSize(1);
                assertThat(got.get(0).text())
                        .startsWith("DKIM-Signature: v=1; a=rsa-sha256;")
                        .contains("\r\nAuthentication-Results: gw.example.net; spf=fail")
                        .contains("dmarc=fail")
                        .doesNotContain("X-Hygiene-Suspicious");
                oneValidSignature(dns, got.get(0).data());
            }
            try (Node node = gateway(dns, sink, "gw.example.net", "dmarc-exempt = 10.0.0.0/8\n")
                    .build()) {
                node.start();
                try (RelayTestClient c = new RelayTestClient(node.address().getPort())) {
                    assertThat(c.send("alice@dept-a.example", List.of("bob@remote.example"), message))
                            .startsWith("250")
                            .contains("held as");
                }
            }
        }
    }

    /**
     * The From domain's DMARC policy could not be looked up (its DNS answers SERVFAIL): the message passed with
     * {@code dmarc=temperror} whatever the policy, a p=reject domain's spoof included. With {@code dmarc-temperror =
     * defer} it is deferred with {@code 451 4.7.0} and nothing is delivered; without the key it passes as before.
     */
    @Test
    void aDmarcTemperrorIsDeferredWhenTheNodeIsToldTo(FakeDnsServer dns) throws Exception {
        dkimKey(dns);
        dns.txt("dept-a.example", "v=spf1 ip4:127.0.0.0/8 -all");
        dns.fault("_dmarc.dept-a.example", FakeDnsServer.Fault.SERVFAIL);
        byte[] message = MESSAGE.getBytes(StandardCharsets.ISO_8859_1);
        try (SmtpSink sink = SmtpSink.builder().start()) {
            try (Node node = gateway(dns, sink, "gw.example.net", "dmarc-temperror = defer\n")
                    .build()) {
                node.start();
                try (RelayTestClient c = new RelayTestClient(node.address().getPort())) {
                    assertThat(c.send("alice@dept-a.example", List.of("bob@remote.example"), message))
                            .startsWith("451 4.7.0 Sender domain's DMARC policy could not be looked up (DNS temporary"
                                    + " failure), try again later");
                }
            }
            assertThat(sink.messages()).isEmpty();
            try (Node node = gateway(dns, sink, "gw.example.net", "").build()) {
                node.start();
                try (RelayTestClient c = new RelayTestClient(node.address().getPort())) {
                    assertThat(c.send("alice@dept-a.example", List.of("bob@remote.example"), message))
                            .startsWith("250");
                }
                List<SinkMessage> got = sink.awaitMessages(1, Duration.ofSeconds(60));
                assertThat(got.get(0).text()).contains("dmarc=temperror");
            }
            assertThatThrownBy(() -> gateway(dns, sink, "gw.example.net", "dmarc-temperror = maybe\n"))
                    .hasMessageContaining("dmarc-temperror: must be 'accept' or 'defer', was 'maybe'");
        }
    }

    /** Asserts that a message carries one DKIM signature, and that it verifies with the keys {@code dns} publishes. */
    static void oneValidSignature(FakeDnsServer dns, byte[] message) throws Exception {
        StubResolver resolver = StubResolver.builder().server(dns.address()).build();
        try (InputStream s = new ByteArrayInputStream(message)) {
            HeaderSection h = HeaderSection.read(s, 1 << 20);
            List<DkimResult> r = new DkimVerifier(resolver, Clock.systemUTC()).verify(h, s);
            assertThat(r)
                    .singleElement()
                    .satisfies(x -> assertThat(x.status()).as(x.reason()).isEqualTo(AuthStatus.PASS));
        }
    }

    /** Writes a DKIM key for dept-a.example (selector gw1), published in {@code dns}. */
    private void dkimKey(FakeDnsServer dns) throws Exception {
        KeyPair kp = DkimKeys.generate("rsa", 2048);
        Files.writeString(dir.resolve("dkim.key"), DkimKeys.toPem(kp.getPrivate()));
        dns.txt("gw1._domainkey.dept-a.example", "v=DKIM1; k=rsa; p=" + DkimKeys.publicKeyTag(kp.getPublic()));
    }

    /** {@link #dkimKey} and an ARC key for gw.example.net (selector arc1), published in {@code dns}. */
    private void signingAndSealingKeys(FakeDnsServer dns) throws Exception {
        dkimKey(dns);
        KeyPair arc = DkimKeys.generate("rsa", 2048);
        Files.writeString(dir.resolve("arc.key"), DkimKeys.toPem(arc.getPrivate()));
        dns.txt("arc1._domainkey.gw.example.net", "v=DKIM1; k=rsa; p=" + DkimKeys.publicKeyTag(arc.getPublic()));
    }

    /**
     * A gateway named {@code hostname} with {@code scanner = auth} that signs dept-a.example with {@link #dkimKey},
     * delivering everything to {@code sink}; {@code more} adds configuration lines.
     */
    private Node.Builder gateway(FakeDnsServer dns, SmtpSink sink, String hostname, String more) throws Exception {
        String conf = "role = gateway\n"
                + "name = gw\n"
                + "hostname = " + hostname + "\n"
                + "listen = 127.0.0.1:0\n"
                + "data = gw\n"
                + "accept-domain = dept-a.example\n"
                + "relay-client = 127.0.0.1\n"
                + "route = :127.0.0.1:" + sink.port() + "\n"
                + "scanner = auth\n"
                + "dns = " + dns.hostPort() + "\n"
                + "dkim-sign = dept-a.example:gw1:dkim.key\n"
                + more;
        return NodeConfig.parse(ConfigFile.parse("gw.conf", conf), dir);
    }

    /** {@link #gateway} as gw.example.net that also ARC-seals with {@link #signingAndSealingKeys}'s key. */
    private Node.Builder signingAndSealingGateway(FakeDnsServer dns, SmtpSink sink) throws Exception {
        return gateway(dns, sink, "gw.example.net", "arc-seal = gw.example.net:arc1:arc.key\n");
    }

    /** The auth scanner's view of a message as it left: its ARC result. */
    static Verdict scan(FakeDnsServer dns, byte[] message) throws Exception {
        AuthScanner scanner = AuthScanner.builder()
                .dns(StubResolver.builder().server(dns.address()).build())
                .authservId("receiver.example")
                .build();
        return scanner.scan(Message.of(MessageContent.ofString(
                new String(message, StandardCharsets.ISO_8859_1), StandardCharsets.ISO_8859_1)));
    }

    @Test
    void outboundMailIsSealedAfterSigningOnTopOfTheChainItCameWith(FakeDnsServer dns) throws Exception {
        signingAndSealingKeys(dns);
        KeyPair list = DkimKeys.generate("rsa", 2048);
        dns.txt("l._domainkey.list.example", "v=DKIM1; k=rsa; p=" + DkimKeys.publicKeyTag(list.getPublic()));
        dns.txt("dept-a.example", "v=spf1 ip4:127.0.0.0/8 -all");
        // a message that arrives with a valid ARC set of a mailing list
        ArcSealer listSealer =
                ArcSealer.builder("list.example", "l", list.getPrivate()).build();
        byte[] plain = MESSAGE.getBytes(StandardCharsets.ISO_8859_1);
        byte[] chained;
        try (InputStream in = new ByteArrayInputStream(plain)) {
            ArcSealer.Sealing s =
                    listSealer.seal(in, "mx.list.example; spf=pass smtp.mailfrom=a@dept-a.example", AuthStatus.NONE);
            chained = (new String(s.set().orElseThrow().bytes(), StandardCharsets.ISO_8859_1) + MESSAGE)
                    .getBytes(StandardCharsets.ISO_8859_1);
        }
        try (SmtpSink sink = SmtpSink.builder().start()) {
            Node.Builder b = signingAndSealingGateway(dns, sink);
            try (Node node = b.build()) {
                node.start();
                for (String[] m : List.of(
                        new String[] {"bob@remote.example", "plain"},
                        new String[] {"carol@dept-a.example", "plain"},
                        new String[] {"dave@remote.example", "chained"})) {
                    try (RelayTestClient c = new RelayTestClient(node.address().getPort())) {
                        assertThat(c.send(
                                        "alice@dept-a.example", List.of(m[0]), m[1].equals("plain") ? plain : chained))
                                .startsWith("250");
                    }
                }
                List<SinkMessage> got = sink.awaitMessages(3, Duration.ofSeconds(60));
                assertThat(got).hasSize(3);
                java.util.function.Function<String, SinkMessage> to = r -> got.stream()
                        .filter(m -> m.recipients().contains(r))
                        .findFirst()
                        .orElseThrow();
                String first = to.apply("bob@remote.example").text();
                // order on top: the ARC set (seal first), then the DKIM signature it covers
                assertThat(first).startsWith("ARC-Seal: i=1; a=rsa-sha256; cv=none;");
                assertThat(first.indexOf("ARC-Message-Signature: i=1;"))
                        .isLessThan(first.indexOf("ARC-Authentication-Results: i=1; gw.example.net;"));
                assertThat(first.indexOf("ARC-Authentication-Results: i=1;"))
                        .isLessThan(first.indexOf("DKIM-Signature: v=1;"));
                assertThat(first.substring(
                                first.indexOf("ARC-Message-Signature"), first.indexOf("ARC-Authentication-Results")))
                        .contains("dkim-signature");
                Verdict v1 = scan(dns, to.apply("bob@remote.example").data());
                assertThat(AuthScanner.arcStatus(v1)).contains(AuthStatus.PASS);
                assertThat(to.apply("carol@dept-a.example").text()).doesNotContain("ARC-Seal");
                String second = to.apply("dave@remote.example").text();
                assertThat(second).startsWith("ARC-Seal: i=2; a=rsa-sha256; cv=pass;");
                assertThat(second)
                        .contains("ARC-Authentication-Results: i=2; gw.example.net;")
                        .contains("arc=pass");
                Verdict v2 = scan(dns, to.apply("dave@remote.example").data());
                assertThat(AuthScanner.arcStatus(v2)).as(v2.rules().toString()).contains(AuthStatus.PASS);
                assertThat(v2.rules().toString()).contains("chain of 2 verified");
            }
        }
    }

    /**
     * The relay's own bounce to a sender outside its domains is outbound mail from {@code MAILER-DAEMON@HOSTNAME}: with
     * a {@code dkim-sign} line for the host name's domain it leaves signed, as every other outbound message from that
     * domain does (it was stored straight into the spool, past the signing, and left unsigned: a DSN from a domain
     * with {@code p=reject} failed DMARC at the sender's server; audit, session 37). A bounce to one of our own
     * domains is signed too: an edge's bounce to an internal sender, and its double bounce to the postmaster, were
     * refused by the gateway's DMARC check of the own domain and dropped.
     */
    @Test
    void theRelaysOwnBouncesAreSigned(FakeDnsServer dns) throws Exception {
        dkimKey(dns);
        try (SmtpSink sink = SmtpSink.builder().start()) {
            sink.onRecipient("nobody@dept-a.example", SinkAction.reply("550 5.1.1 no such user"));
            Node.Builder b = gateway(dns, sink, "gw.dept-a.example", "");
            try (Node node = b.build()) {
                node.start();
                byte[] msg = MESSAGE.replace("alice@dept-a.example", "bob@remote.example")
                        .replace("To: bob@remote.example", "To: nobody@dept-a.example")
                        .getBytes(StandardCharsets.ISO_8859_1);
                for (String sender : List.of("bob@remote.example", "carol@dept-a.example")) {
                    try (RelayTestClient c = new RelayTestClient(node.address().getPort())) {
                        assertThat(c.send(sender, List.of("nobody@dept-a.example"), msg))
                                .startsWith("250");
                    }
                }
                List<SinkMessage> got = sink.awaitMessages(2, Duration.ofSeconds(60));
                java.util.function.Function<String, SinkMessage> to = r -> got.stream()
                        .filter(m -> m.recipients().contains(r))
                        .findFirst()
                        .orElseThrow();
                SinkMessage out = to.apply("bob@remote.example");
                assertThat(out.sender()).isEmpty();
                assertThat(out.text()).startsWith("DKIM-Signature: v=1; a=rsa-sha256;");
                assertThat(out.text())
                        .contains("d=dept-a.example")
                        .contains("From: Mail Delivery System <MAILER-DAEMON@gw.dept-a.example>");
                oneValidSignature(dns, out.data());
                // to our own domain too: a gateway behind this node checks its DMARC with this node as the client
                assertThat(to.apply("carol@dept-a.example").text()).startsWith("DKIM-Signature: v=1; a=rsa-sha256;");
            }
        }
    }
    /**
     * A signed bounce of an 8-bit message to a next hop without 8BITMIME verifies where it arrives (session 43: it was
     * signed 8-bit and then converted to 7 bit on the way, which broke the body hash: DKIM failed at the sender's
     * server, and DMARC with it).
     */
    @Test
    void theRelaysSignedBounceOfAnEightBitMessageVerifiesAfterANextHopWithout8BitMime(FakeDnsServer dns)
            throws Exception {
        dkimKey(dns);
        try (SmtpSink sink = SmtpSink.builder().eightBitMime(false).start()) {
            sink.onRecipient("nobody@dept-a.example", SinkAction.reply("550 5.1.1 no such user"));
            Node.Builder b = gateway(dns, sink, "gw.dept-a.example", "");
            try (Node node = b.build()) {
                node.start();
                String eightBit = MESSAGE.replace("alice@dept-a.example", "bob@remote.example")
                        .replace("To: bob@remote.example", "To: nobody@dept-a.example")
                        .replace(
                                "\r\n\r\n",
                                "\r\nMIME-Version: 1.0\r\n"
                                        + "Content-Type: text/plain; charset=utf-8\r\n"
                                        + "Content-Transfer-Encoding: 8bit\r\n\r\nGr\u00fc\u00dfe aus K\u00f6ln\r\n");
                byte[] msg = eightBit.getBytes(StandardCharsets.UTF_8);
                try (RelayTestClient c = new RelayTestClient(node.address().getPort())) {
                    assertThat(c.send("bob@remote.example", List.of("nobody@dept-a.example"), msg))
                            .startsWith("250");
                }
                SinkMessage out = sink.awaitMessages(1, Duration.ofSeconds(60)).get(0);
                assertThat(out.recipients()).containsExactly("bob@remote.example");
                assertThat(out.text()).startsWith("DKIM-Signature: v=1; a=rsa-sha256;");
                for (byte x : out.data()) {
                    assertThat(x).as("7 bit").isNotNegative();
                }
                oneValidSignature(dns, out.data());
            }
        }
    }
}
