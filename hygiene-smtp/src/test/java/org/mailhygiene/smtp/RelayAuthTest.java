package org.mailhygiene.smtp;

import static org.assertj.core.api.Assertions.assertThat;

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
        KeyPair kp = DkimKeys.generate("rsa", 2048);
        Files.writeString(dir.resolve("dkim.key"), DkimKeys.toPem(kp.getPrivate()));
        dns.txt("gw1._domainkey.dept-a.example", "v=DKIM1; k=rsa; p=" + DkimKeys.publicKeyTag(kp.getPublic()));
        dns.txt("dept-a.example", "v=spf1 ip4:127.0.0.0/8 -all");
        try (SmtpSink sink = SmtpSink.builder().start()) {
            String conf = "role = gateway\n"
                    + "name = gw\n"
                    + "hostname = gw.example.net\n"
                    + "listen = 127.0.0.1:0\n"
                    + "data = gw\n"
                    + "accept-domain = dept-a.example\n"
                    + "relay-client = 127.0.0.1\n"
                    + "route = :127.0.0.1:" + sink.port() + "\n"
                    + "scanner = auth\n"
                    + "dns = " + dns.hostPort() + "\n"
                    + "dkim-sign = dept-a.example:gw1:dkim.key\n";
            Node.Builder b = NodeConfig.parse(ConfigFile.parse("gw.conf", conf), dir);
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
                StubResolver resolver =
                        StubResolver.builder().server(dns.address()).build();
                try (InputStream s = new ByteArrayInputStream(out.data())) {
                    HeaderSection h = HeaderSection.read(s, 1 << 20);
                    List<DkimResult> r = new DkimVerifier(resolver, Clock.systemUTC()).verify(h, s);
                    assertThat(r)
                            .singleElement()
                            .satisfies(
                                    x -> assertThat(x.status()).as(x.reason()).isEqualTo(AuthStatus.PASS));
                }
            }
        }
    }
}
