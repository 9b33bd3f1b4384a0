package org.mailhygiene.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.policy.DefaultPolicy;
import org.mailhygiene.api.routing.NextHop;
import org.mailhygiene.api.routing.StaticRouter;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.builtin.SignatureScanner;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.smtp.delivery.Endpoint;
import org.mailhygiene.smtp.delivery.RecipientResult;
import org.mailhygiene.smtp.delivery.SmtpClient;
import org.mailhygiene.smtp.delivery.TlsPolicy;
import org.mailhygiene.smtp.delivery.TransactionResult;
import org.mailhygiene.smtp.queue.Quarantine;
import org.mailhygiene.smtp.queue.Spool;
import org.mailhygiene.testkit.smtp.SinkMessage;
import org.mailhygiene.testkit.smtp.SmtpSink;

/**
 * Our client into our own relays, end to end, as in the paper's topology: client &rarr; edge relay &rarr; (a dead next
 * hop, then) gateway relay &rarr; internal server (a sink). Each relay prepends one Received header; every other
 * byte arrives as the client sent it.
 */
class RelayChainEndToEndTest {
    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private <T extends AutoCloseable> T keep(T t) {
        open.add(t);
        return t;
    }

    private Relay relay(String name, InetAddress bind, String routes) throws Exception {
        Spool spool = keep(Spool.open(dir.resolve(name + "-spool")));
        Quarantine quarantine =
                Quarantine.builder(dir.resolve(name + "-quarantine")).build();
        ScanPipeline pipeline = keep(ScanPipeline.builder()
                .scanner(SignatureScanner.create())
                .policy(DefaultPolicy.defaults())
                .noCache()
                .build());
        Relay r = keep(Relay.builder()
                .server(b -> b.bindAddress(bind)
                        .port(0)
                        .hostname(name + ".example.ac.jp")
                        .acceptedDomains(AcceptedDomains.of("example.ac.jp")))
                .delivery(b -> b.hostname(name + ".example.ac.jp")
                        .client(SmtpClient.builder()
                                .heloName(name + ".example.ac.jp")
                                .localAddress(bind)
                                .tls(TlsPolicy.disabled())
                                .build()))
                .pipeline(pipeline)
                .spool(spool)
                .quarantine(quarantine)
                .router(StaticRouter.parse(routes))
                .build());
        r.start();
        return r;
    }

    @Test
    void clientToEdgeToGatewayToInternalServerKeepsEveryByte() throws Exception {
        SmtpSink internal =
                keep(SmtpSink.builder().hostname("dept-a.example.ac.jp").start());
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort();
        }
        Relay gateway = relay("gateway", InetAddress.getByName("127.0.0.1"), ":127.0.0.1:" + internal.port());
        Relay edge = relay(
                "edge",
                InetAddress.getByName("127.0.0.1"),
                "example.ac.jp:127.0.0.1:" + dead + ",127.0.0.1:" + gateway.port());

        String original = "From: someone@example.net\r\nTo: user@example.ac.jp\r\nSubject: chain\r\n"
                + "Message-ID: <chain-1@example.net>\r\n\r\n.a line starting with a dot\r\n..and two\r\n.\r\n"
                + "8-bit: caf\u00e9\r\n";
        SmtpClient client = SmtpClient.builder()
                .heloName("client.example.net")
                .tls(TlsPolicy.disabled())
                .build();
        for (int i = 0; i < 3; i++) {
            TransactionResult r = client.deliver(
                    Endpoint.literal(new NextHop("127.0.0.1", edge.port())),
                    "someone@example.net",
                    List.of("user@example.ac.jp"),
                    MessageContent.ofString(original, StandardCharsets.UTF_8),
                    Duration.ofSeconds(60));
            assertThat(r.recipients())
                    .extracting(RecipientResult::outcome)
                    .containsExactly(RecipientResult.Outcome.DELIVERED);
        }

        List<SinkMessage> got = internal.awaitMessages(3, Duration.ofSeconds(60));
        assertThat(got).hasSize(3);
        for (SinkMessage m : got) {
            String text = m.text();
            assertThat(m.sender()).isEqualTo("someone@example.net");
            assertThat(m.recipients()).containsExactly("user@example.ac.jp");
            assertThat(m.helo()).isEqualTo("gateway.example.ac.jp");
            assertThat(text).startsWith("Received: from edge.example.ac.jp");
            int second = text.indexOf("\r\nReceived: from client.example.net");
            assertThat(second).isPositive();
            assertThat(text).endsWith(original);
            assertThat(text.split("\r\nReceived: ", -1)).hasSize(2);
        }
    }
}
