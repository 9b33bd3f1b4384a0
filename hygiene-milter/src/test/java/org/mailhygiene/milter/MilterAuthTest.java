package org.mailhygiene.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.auth.AuthScanner;
import org.mailhygiene.scanners.auth.dns.StubResolver;
import org.mailhygiene.testkit.dns.FakeDnsExtension;
import org.mailhygiene.testkit.dns.FakeDnsServer;
import org.mailhygiene.testkit.milter.MilterClient;
import org.mailhygiene.testkit.milter.MilterEdit;
import org.mailhygiene.testkit.milter.MilterResult;

/**
 * The {@code auth} scanner inside the milter: SPF is checked for the client address of {@code SMFIC_CONNECT}, the
 * HELO name and MAIL FROM; our {@code Authentication-Results} is inserted at the top and a forged one claiming our
 * authserv-id is deleted, while another host's stays.
 */
@ExtendWith(FakeDnsExtension.class)
class MilterAuthTest {
    private static final String OUR_ID = "mx.example.net";

    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<Envelope> envelopes = Collections.synchronizedList(new ArrayList<>());

    @TempDir
    Path tmp;

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(open);
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private MilterClient start(FakeDnsServer dns) throws IOException {
        return start(dns, false);
    }

    private MilterClient start(FakeDnsServer dns, boolean deferOnDmarcTemperror) throws IOException {
        AuthScanner auth = AuthScanner.builder()
                .dns(StubResolver.builder().server(dns.address()).build())
                .authservId(OUR_ID)
                .deferOnDmarcTemperror(deferOnDmarcTemperror)
                .build();
        ScanPipeline pipeline = ScanPipeline.builder().scanner(auth).build();
        open.add(pipeline);
        MilterServer s = MilterServer.builder()
                .pipeline(pipeline)
                .spoolDirectory(tmp)
                .listener((env, content, report, outcome) -> envelopes.add(env))
                .build();
        s.start();
        open.add(s);
        MilterClient c = MilterClient.connect(s.address());
        open.add(c);
        return c;
    }

    private static byte[] message(String extraHeaders) {
        return ("From: Alice <alice@sender.example>\r\n"
                        + "To: bob@example.net\r\n"
                        + extraHeaders
                        + "Subject: hello\r\n"
                        + "Message-ID: <a1@sender.example>\r\n"
                        + "\r\n"
                        + "Hello Bob.\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String authResults(MilterResult r) {
        return r.edits().stream()
                .filter(e -> e.name().equals("Authentication-Results") && e.kind() == MilterEdit.Kind.INSERT_HEADER)
                .map(e -> e.value().replace("\n", " ").replace("\t", " "))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no Authentication-Results inserted: " + r.edits()));
    }

    @Test
    void spfPassesForTheConnectAddressAndTheResultGoesOnTop(FakeDnsServer dns) throws IOException {
        dns.txt("sender.example", "v=spf1 ip4:192.0.2.0/24 -all");
        MilterClient mta = start(dns);
        mta.connect("mail.sender.example", InetAddress.getByName("192.0.2.25"), 40000);
        mta.helo("mail.sender.example");
        byte[] msg = message("");
        MilterResult r = mta.send("alice@sender.example", List.of("bob@example.net"), msg);

        assertThat(r.accepted()).isTrue();
        String ar = authResults(r);
        assertThat(ar).startsWith(" " + OUR_ID + ";").contains("spf=pass").contains("smtp.mailfrom=");
        assertThat(r.edits())
                .filteredOn(e -> e.kind() == MilterEdit.Kind.INSERT_HEADER)
                .singleElement()
                .satisfies(e -> assertThat(e.index()).isZero());
        // Applied as Postfix applies it: the first field of the delivered message.
        String delivered = new String(r.apply(msg), StandardCharsets.ISO_8859_1);
        assertThat(delivered).startsWith("Authentication-Results: " + OUR_ID + ";");
        assertThat(envelopes).singleElement().satisfies(e -> {
            assertThat(e.clientAddress()).contains(InetAddress.getByName("192.0.2.25"));
            assertThat(e.heloName()).contains("mail.sender.example");
            assertThat(e.sender()).isEqualTo("alice@sender.example");
        });
    }

    /**
     * The From domain's DMARC policy lookup answered SERVFAIL: a scanner told to defer makes the MTA answer the client
     * {@code 451 4.7.0} (the milter's reply code), one that is not accepts the message with {@code dmarc=temperror}.
     */
    @Test
    void aDmarcTemperrorIsATemporaryFailureWhenTheScannerDefers(FakeDnsServer dns) throws IOException {
        dns.txt("sender.example", "v=spf1 ip4:192.0.2.0/24 -all");
        dns.fault("_dmarc.sender.example", FakeDnsServer.Fault.SERVFAIL);
        MilterClient deferring = start(dns, true);
        deferring.connect("mail.sender.example", InetAddress.getByName("192.0.2.25"), 40000);
        deferring.helo("mail.sender.example");
        MilterResult r = deferring.send("alice@sender.example", List.of("bob@example.net"), message(""));
        assertThat(r.accepted()).isFalse();
        assertThat(r.smtpReply())
                .hasValueSatisfying(reply ->
                        assertThat(reply).startsWith("451 4.7.0 Sender domain's DMARC policy could not be looked up"));
        MilterClient accepting = start(dns, false);
        accepting.connect("mail.sender.example", InetAddress.getByName("192.0.2.25"), 40000);
        accepting.helo("mail.sender.example");
        MilterResult ok = accepting.send("alice@sender.example", List.of("bob@example.net"), message(""));
        assertThat(ok.accepted()).isTrue();
        assertThat(authResults(ok)).contains("dmarc=temperror");
    }

    @Test
    void spfFailsForAnotherConnectAddressOnTheSameRecord(FakeDnsServer dns) throws IOException {
        dns.txt("sender.example", "v=spf1 ip4:192.0.2.0/24 -all");
        MilterClient mta = start(dns);
        mta.connect("elsewhere.example", InetAddress.getByName("198.51.100.7"), 40000);
        mta.helo("elsewhere.example");
        MilterResult r = mta.send("alice@sender.example", List.of("bob@example.net"), message(""));

        assertThat(r.accepted()).isTrue();
        assertThat(authResults(r)).contains("spf=fail").doesNotContain("spf=pass");
    }

    @Test
    void aForgedResultClaimingOurIdIsDeletedAndAnotherHostsIsKept(FakeDnsServer dns) throws IOException {
        dns.txt("sender.example", "v=spf1 ip4:192.0.2.0/24 -all");
        MilterClient mta = start(dns);
        mta.connect("elsewhere.example", InetAddress.getByName("198.51.100.7"), 40000);
        mta.helo("elsewhere.example");
        byte[] msg = message("Authentication-Results: other.example; spf=pass smtp.mailfrom=sender.example\r\n"
                + "Authentication-Results: MX.example.net (forged);\r\n spf=pass smtp.mailfrom=sender.example\r\n"
                + "Authentication-Results: " + OUR_ID + " 1; dkim=pass header.d=sender.example\r\n");
        MilterResult r = mta.send("alice@sender.example", List.of("bob@example.net"), msg);

        assertThat(r.accepted()).isTrue();
        assertThat(r.edits())
                .filteredOn(e -> e.kind() == MilterEdit.Kind.CHANGE_HEADER)
                .extracting(MilterEdit::index, MilterEdit::value)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(3, ""), org.assertj.core.groups.Tuple.tuple(2, ""));
        String delivered = new String(r.apply(msg), StandardCharsets.ISO_8859_1);
        assertThat(delivered)
                .startsWith("Authentication-Results: " + OUR_ID + ";")
                .contains("Authentication-Results: other.example; spf=pass")
                .doesNotContain("forged")
                .doesNotContain("dkim=pass header.d=sender.example");
        assertThat(delivered.split("Authentication-Results:", -1)).hasSize(3);
        assertThat(authResults(r)).contains("spf=fail");
    }

    @Test
    void authservIdIsTheFirstTokenWithoutCommentsOrVersion() {
        assertThat(HeaderEdits.authservId(" mx.example.net; spf=pass")).isEqualTo("mx.example.net");
        assertThat(HeaderEdits.authservId("MX.Example.NET 1; none")).isEqualTo("mx.example.net");
        assertThat(HeaderEdits.authservId(" (a (nested) comment)\r\n\tmx.example.net(x); none"))
                .isEqualTo("mx.example.net");
        assertThat(HeaderEdits.authservId(" ; none")).isEmpty();
    }

    /**
     * RFC 8601 writes the authserv-id as a {@code value}: a token or a quoted string. A field from outside with our id
     * in quotes ({@code "mx.example.net"; dmarc=pass}) was kept (its id read as {@code "mx.example.net"}, quotes
     * included), so a reader that parses the field trusted the sender's claim as ours (audit, session 36, through a
     * private Postfix).
     */
    @Test
    void aQuotedAuthservIdIsOursToo() {
        assertThat(HeaderEdits.authservId(" \"mx.example.net\"; dmarc=pass")).isEqualTo("mx.example.net");
        assertThat(HeaderEdits.authservId(" (c) \"MX.Example.Net\" 1; dmarc=pass"))
                .isEqualTo("mx.example.net");
        assertThat(HeaderEdits.authservId(" \"mx\\.example.net\";dmarc=pass")).isEqualTo("mx.example.net");
        assertThat(HeaderEdits.authservId(" \"mx.example.net;x\"; none")).isEqualTo("mx.example.net;x");
    }
}
