package org.mailhygiene.smtp.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.routing.NextHop;
import org.mailhygiene.smtp.config.ConfigException;
import org.mailhygiene.smtp.config.ConfigFile;
import org.mailhygiene.smtp.delivery.Endpoint;
import org.mailhygiene.smtp.delivery.SmtpClient;
import org.mailhygiene.smtp.delivery.TlsPolicy;
import org.mailhygiene.testkit.smtp.SinkMessage;
import org.mailhygiene.testkit.smtp.SmtpSink;

/**
 * The {@code delivery.*-timeout} keys. Before them a next hop that accepted connections and never greeted held every
 * delivery for RFC 5321's five minutes before the next host of its route was tried, and nothing in the file could
 * shorten it (an audit's finding, session 37).
 */
class DeliveryTimeoutsConfigTest {
    private static final String BASE = """
            role = edge
            name = timeouts
            listen = 127.0.0.1:0
            data = data
            accept-domain = dept-a.example
            scanner = attachments
            """;

    @TempDir
    Path dir;

    private Node.Builder parse(String text) throws Exception {
        return NodeConfig.parse(ConfigFile.parse("node.conf", text), dir);
    }

    @Test
    void everyStepHasAKeyThatTakesAPositiveDurationOfAtMostThirtyMinutes() throws Exception {
        for (String key : LimitsConfig.DELIVERY_TIMEOUT_KEYS) {
            parse(BASE + "route = :127.0.0.1:2525\n" + key + " = 20s\n");
            assertThatThrownBy(() -> parse(BASE + "route = :127.0.0.1:2525\n" + key + " = 0s\n"))
                    .isInstanceOf(ConfigException.class)
                    .hasMessage("node.conf line 8: " + key + ": must be positive");
            assertThatThrownBy(() -> parse(BASE + "route = :127.0.0.1:2525\n" + key + " = soon\n"))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("node.conf line 8: " + key + ": not a duration");
            assertThatThrownBy(() -> parse(BASE + "route = :127.0.0.1:2525\n" + key + " = 31m\n"))
                    .isInstanceOf(ConfigException.class)
                    .hasMessage(
                            "node.conf line 8: " + key
                                    + ": must be at most 30m (a delivery's whole transaction is bounded by 30 minutes), was 31m");
        }
        assertThat(NodeReloader.RESTART_KEYS).containsAll(LimitsConfig.DELIVERY_TIMEOUT_KEYS);
    }

    @Test
    void aNextHopThatNeverGreetsIsLeftForTheNextHostAfterTheGreetingTimeout() throws Exception {
        List<Socket> held = new CopyOnWriteArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                SmtpSink sink = SmtpSink.start()) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept()); // accepted, never greeted
                    }
                } catch (java.io.IOException closed) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            String text = BASE
                    + "route = dept-a.example:127.0.0.1:" + silent.getLocalPort() + ",127.0.0.1:" + sink.port() + "\n"
                    + "delivery.greeting-timeout = 2s\n";
            Files.createDirectories(dir);
            try (Node node = parse(text).build()) {
                node.start();
                SmtpClient.builder()
                        .tls(TlsPolicy.disabled())
                        .build()
                        .deliver(
                                Endpoint.literal(
                                        new NextHop("127.0.0.1", node.address().getPort())),
                                "sender@example.net",
                                List.of("alice@dept-a.example"),
                                MessageContent.ofBytes("Subject: t\r\n\r\nhello\r\n".getBytes()),
                                Duration.ofSeconds(60));
                // With RFC 5321's five minutes the first host would hold the delivery far beyond this bound.
                List<SinkMessage> got = sink.awaitMessages(1, Duration.ofSeconds(120));
                assertThat(got).hasSize(1);
                assertThat(got.get(0).recipients()).containsExactly("alice@dept-a.example");
                assertThat(held).isNotEmpty();
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
        }
    }
}
