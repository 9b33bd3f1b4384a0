package org.mailhygiene.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.auth.AuthScanner;
import org.mailhygiene.scanners.auth.dns.StubResolver;
import org.mailhygiene.testkit.dns.FakeDnsExtension;
import org.mailhygiene.testkit.dns.FakeDnsServer;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.postfix.PrivatePostfix;
import org.mailhygiene.testkit.smtp.SinkMessage;
import org.mailhygiene.testkit.smtp.SmtpSink;

/**
 * The {@code auth} scanner in our milter inside a real private Postfix: SPF for the client Postfix reports at connect
 * (127.0.0.1), our Authentication-Results on top (Postfix puts index 0 above its own Received), a forged one with
 * our authserv-id gone.
 * Skipped without Postfix and swaks; mandatory under {@code CI=true}.
 */
@ExtendWith(FakeDnsExtension.class)
class PostfixMilterAuthTest {
    @TempDir
    Path tmp;

    /** What a test checks after swaks sent its message through the private Postfix. */
    private interface AfterSend {
        void check(Swaks.Result reply, PrivatePostfix postfix, SmtpSink sink) throws Exception;
    }

    /**
     * Sends {@code msg} from {@code from} through a private Postfix whose {@code smtpd_milters} is our milter with
     * {@code auth} alone, and hands swaks's result, the Postfix and the next hop to {@code check}.
     */
    private void viaPostfix(AuthScanner auth, String from, byte[] msg, AfterSend check) throws Exception {
        RealBinaries.require("postfix", "postfix");
        RealBinaries.require("swaks", "swaks");
        try (SmtpSink sink = SmtpSink.builder().maxSize(0).start();
                ScanPipeline pipeline = ScanPipeline.builder().scanner(auth).build();
                MilterServer milter = MilterServer.builder().pipeline(pipeline).build()) {
            milter.start();
            try (PrivatePostfix postfix = PrivatePostfix.startOnFreePorts(
                    sink.port(), Map.of(), List.of(List.of("smtpd_milters=" + milter.socketSpec())))) {
                check.check(Swaks.send(postfix.ports().get(0), from, "user@example.test", msg, tmp), postfix, sink);
            }
        }
    }

    /**
     * Sends {@code msg} from {@code from} through a private Postfix whose {@code smtpd_milters} is our milter with
     * {@code auth} alone; asserts that Postfix accepted it.
     *
     * @return the one message the next hop received
     */
    private String throughPostfix(AuthScanner auth, String from, byte[] msg) throws Exception {
        String[] delivered = new String[1];
        viaPostfix(auth, from, msg, (r, postfix, sink) -> {
            assertThat(r.accepted()).as(r.transcript() + postfix.log()).isTrue();
            List<SinkMessage> got = sink.awaitMessages(1, Duration.ofMinutes(3));
            assertThat(got).as(postfix.log()).hasSize(1);
            delivered[0] = got.get(0).text();
        });
        return delivered[0];
    }

    private static AuthScanner.Builder auth(FakeDnsServer dns) {
        return AuthScanner.builder()
                .dns(StubResolver.builder().server(dns.address()).build())
                .authservId("mx.example.test");
    }

    @Test
    void spfFromTheConnectAddressAndOurResultsOnTop(FakeDnsServer dns) throws Exception {
        dns.txt("sender.example", "v=spf1 ip4:127.0.0.0/8 -all");
        byte[] msg = ("From: Alice <alice@sender.example>\r\n"
                        + "To: user@example.test\r\n"
                        + "Authentication-Results: mx.example.test; spf=pass smtp.mailfrom=forged.example\r\n"
                        + "Authentication-Results: other.example; none\r\n"
                        + "Subject: auth through Postfix\r\n"
                        + "\r\n"
                        + "Hello.\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        String delivered = throughPostfix(auth(dns).build(), "alice@sender.example", msg);
        // Postfix inserts at index 0 above its own Received: (as OpenDKIM's and OpenDMARC's results appear).
        assertThat(delivered).startsWith("Authentication-Results: mx.example.test;");
        String ours = delivered.substring(0, delivered.indexOf("\r\nReceived:"));
        assertThat(ours).contains("spf=pass").contains("smtp.mailfrom=alice@sender.example");
        assertThat(delivered.substring(ours.length() + 2))
                .startsWith("Received: from ")
                .contains("by mta.example.test (Postfix)");
        assertThat(delivered).doesNotContain("forged.example").contains("Authentication-Results: other.example; none");
    }

    /**
     * An exempt client (here Postfix's client, 127.0.0.1, as Postfix reports it at connect) sending as a domain with
     * {@code p=reject} it fails: delivered, and the header says what was applied (session 50: it said
     * {@code dis=reject} of mail delivered).
     */
    @Test
    void anExemptClientsDmarcFailureIsDeliveredAndSaysSo(FakeDnsServer dns) throws Exception {
        dns.txt("corp.example", "v=spf1 ip4:192.0.2.1 -all");
        dns.txt("_dmarc.corp.example", "v=DMARC1; p=reject");
        byte[] msg = ("From: CEO <ceo@corp.example>\r\n"
                        + "To: user@example.test\r\n"
                        + "Subject: our own mail\r\n"
                        + "\r\n"
                        + "Hello.\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        String delivered = throughPostfix(
                        auth(dns)
                                .exemptClients(java.net.InetAddress::isLoopbackAddress)
                                .build(),
                        "ceo@corp.example",
                        msg)
                .replaceAll("\r\n\t", " ");
        assertThat(delivered)
                .contains("dmarc=fail (p=reject dis=none ")
                .contains("policy reject not applied: the client 127.0.0.1 is exempt)")
                .doesNotContain("dis=reject");
    }

    /**
     * The From domain's DMARC policy lookup answers SERVFAIL and the scanner defers: Postfix gives the client the
     * milter's {@code 451 4.7.0} and delivers nothing (checked at the milter alone by {@code MilterAuthTest}).
     */
    @Test
    void aDeferredDmarcTemperrorIsPostfixs451(FakeDnsServer dns) throws Exception {
        dns.txt("sender.example", "v=spf1 ip4:127.0.0.0/8 -all");
        dns.fault("_dmarc.sender.example", FakeDnsServer.Fault.SERVFAIL);
        byte[] msg = ("From: Alice <alice@sender.example>\r\n"
                        + "To: user@example.test\r\n"
                        + "Subject: policy unknown\r\n"
                        + "\r\n"
                        + "Hello.\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        viaPostfix(auth(dns).deferOnDmarcTemperror(true).build(), "alice@sender.example", msg, (r, postfix, sink) -> {
            assertThat(r.finalReply())
                    .as(r.transcript() + postfix.log())
                    .startsWith("451 4.7.0 Sender domain's DMARC policy could not be looked up");
            assertThat(sink.messages()).isEmpty();
        });
    }
}
