package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link NextHopProbe}: the bound on a hop's greeting. */
class NextHopProbeTest {
    @TempDir
    Path dir;

    /**
     * The timeout bounds the whole greeting, not each byte of it: a hop that sends its greeting a byte at a time (a
     * tarpit, as OpenBSD's spamd stutters at a client) held the probe for up to 512 times the timeout, each byte
     * restarting the socket timeout, and one that never ends its line was then judged on the first 512 bytes (review,
     * session 44: here 20 s and no finding instead of a warning after 1 s). The warning names the part that came: until
     * session 45 it said the hop sent no greeting, with the hint meant for a port for TLS from the first byte.
     */
    @Test
    void aGreetingTrickledAByteAtATimeIsBoundByTheTimeoutAsAWhole() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = server.accept()) {
                    OutputStream o = s.getOutputStream();
                    o.write("220 ".getBytes(StandardCharsets.US_ASCII));
                    for (int i = 0; i < 1200; i++) { // a line that never ends, one byte every 40 ms for 48 s
                        o.write('x');
                        o.flush();
                        Thread.sleep(40);
                    }
                } catch (IOException | InterruptedException e) {
                    // the probe went away
                }
            });
            t.setDaemon(true);
            t.start();
            Path conf = dir.resolve("edge.conf");
            assertThat(warningOnTheDefaultRoute(conf, server))
                    .startsWith(conf + " line 6: warning: route: the default route: next hop 127.0.0.1:"
                            + server.getLocalPort() + " sent only part of a greeting line within 1000 ms: '220 xxx")
                    .endsWith("' (a server that trickles its greeting, as a tarpit does, holds every delivery to it)");
        }
    }

    /** The one finding (a warning) of a probe of a node whose default route goes to {@code server}, timeout 1 s. */
    private static String warningOnTheDefaultRoute(Path conf, ServerSocket server) throws IOException {
        Files.writeString(
                conf,
                "role = edge\nname = e\nlisten = 127.0.0.1:0\ndata = d\nscanner = builtin\nroute = :127.0.0.1:"
                        + server.getLocalPort() + "\n");
        List<NextHopProbe.Finding> found = NextHopProbe.probe(conf, Duration.ofSeconds(1));
        assertThat(found).hasSize(1);
        assertThat(found.get(0).error()).isFalse();
        return found.get(0).text();
    }

    /** A hop that accepts and says nothing is warned of as one that sent no greeting (a port for TLS, 465). */
    @Test
    void aSilentHopSentNoGreeting() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = server.accept()) {
                    s.getInputStream().read(); // waits for the client, as TLS from the first byte does
                } catch (IOException e) {
                    // the probe went away
                }
            });
            t.setDaemon(true);
            t.start();
            Path conf = dir.resolve("edge.conf");
            assertThat(warningOnTheDefaultRoute(conf, server))
                    .isEqualTo(conf + " line 6: warning: route: the default route: next hop 127.0.0.1:"
                            + server.getLocalPort() + " accepted the connection but sent no greeting within 1000 ms"
                            + " (a port for TLS from the first byte, such as 465, waits for the client: the relay"
                            + " speaks SMTP with STARTTLS, port 25 or 587)");
        }
    }

    /**
     * A hop with {@code greet-delay} (another node of the topology: the paper's edges have 1 s) sends {@code 220-} at
     * once and the final {@code 220} later; the probe answered the first line with {@code QUIT}, so every
     * {@code --check} of the gateway made each edge log {@code early talker: sent a command before the greeting;
     * refused} and count an {@code early-talker} refusal (session 48, from outside). Now the probe says nothing to a
     * greeting that has not ended, and the hop is still judged an SMTP server.
     */
    @Test
    void aHopThatDelaysTheEndOfItsGreetingIsNotTalkedTo() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            java.util.concurrent.CompletableFuture<Integer> heard = new java.util.concurrent.CompletableFuture<>();
            Thread t = new Thread(() -> {
                try (Socket s = server.accept()) {
                    s.getOutputStream().write("220-hop ESMTP\r\n".getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    s.setSoTimeout(3000); // the greet delay: what the client sends meanwhile is early talk
                    heard.complete(s.getInputStream().read());
                } catch (IOException e) {
                    heard.complete(-2);
                }
            });
            t.setDaemon(true);
            t.start();
            Path conf = dir.resolve("edge.conf");
            Files.writeString(
                    conf,
                    "role = edge\nname = e\nlisten = 127.0.0.1:0\ndata = d\nscanner = builtin\nroute = :127.0.0.1:"
                            + server.getLocalPort() + "\n");
            assertThat(NextHopProbe.probe(conf, Duration.ofSeconds(1))).isEmpty();
            assertThat(heard.get(10, java.util.concurrent.TimeUnit.SECONDS))
                    .as("what the hop read during its greet delay (-1: the probe closed without a word)")
                    .isEqualTo(-1);
        }
    }
}
