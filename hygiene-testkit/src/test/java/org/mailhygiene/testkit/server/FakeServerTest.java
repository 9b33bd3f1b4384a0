package org.mailhygiene.testkit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared core of the fakes: listeners, connection numbering, close, fault order, the request log. */
class FakeServerTest {

    private record Req(long connection, String command) implements Recorded {}

    @Test
    void servesEachConnectionOnItsOwnThreadAndNumbersThem() throws Exception {
        RequestLog<Req> log = new RequestLog<>("echo");
        try (FakeServer server = FakeServer.builder("fake-echo", c -> {
                    int b = c.input().read();
                    log.record(new Req(c.id(), String.valueOf((char) b)));
                    c.output().write(b);
                })
                .start()) {
            for (char c : "abc".toCharArray()) {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
                    s.getOutputStream().write(c);
                    assertThat(s.getInputStream().read()).isEqualTo(c);
                }
            }
            assertThat(log.take(Duration.ofSeconds(60))).isEqualTo(new Req(1, "a"));
            assertThat(log.take("c", Duration.ofSeconds(60))).isEqualTo(new Req(3, "c"));
            assertThat(log.all()).hasSize(3);
            assertThat(server.connectionCount()).isEqualTo(3);
            assertThatThrownBy(() -> log.take(Duration.ofMillis(10)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("#1 a");
        }
    }

    @Test
    void closeEndsStalledConnectionsAndHandlersThatWait() throws Exception {
        CountDownLatch stalled = new CountDownLatch(2);
        FakeServer server = FakeServer.builder("fake-stall", c -> {
                    stalled.countDown();
                    if (c.id() == 1) {
                        c.holdUntilClosed();
                    } else {
                        c.pause(Duration.ofHours(1));
                    }
                })
                .start();
        try (Socket a = new Socket(InetAddress.getLoopbackAddress(), server.port());
                Socket b = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            assertThat(stalled.await(10, TimeUnit.SECONDS)).isTrue();
            server.close();
            a.setSoTimeout(10_000);
            b.setSoTimeout(10_000);
            assertThat(read(a.getInputStream())).isEqualTo(-1);
            assertThat(read(b.getInputStream())).isEqualTo(-1);
        }
        assertThat(server.isClosed()).isTrue();
        assertThat(server.handlerErrors()).isEmpty();
    }

    private static int read(InputStream in) {
        try {
            return in.read();
        } catch (IOException e) {
            return -1; // a reset is an end too
        }
    }

    @Test
    void listensOnLoopbackOnly() {
        assertThatThrownBy(() -> FakeServer.builder("x", c -> {}).bindAddress(InetAddress.getByName("192.0.2.1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("loopback");
    }

    @Test
    void unixSocketIsServedAndRemovedOnClose(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("f.sock");
        try (FakeServer server = FakeServer.builder(
                        "fake-unix", c -> c.output().write(c.transport().getBytes()))
                .unixSocket(sock)
                .start()) {
            try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
                ByteBuffer b = ByteBuffer.allocate(8);
                while (ch.read(b) >= 0) {
                    // until the server closes
                }
                assertThat(new String(b.array(), 0, b.position())).isEqualTo("unix");
            }
            assertThat(server.unixSocket()).contains(sock);
        }
        assertThat(Files.exists(sock)).isFalse();
    }

    @Test
    void faultsApplyInTheDocumentedOrder() {
        FaultScript<String> script = new FaultScript<>();
        script.always("SCAN", Fault.stall());
        script.alwaysAny(Fault.close());
        script.enqueueAny(Fault.refuse());
        script.enqueue("SCAN", Fault.reply("one"));
        script.enqueue("SCAN", Fault.reply("two"));
        assertThat(script.next("PING")).contains(Fault.refuse());
        assertThat(script.next("SCAN")).contains(Fault.reply("one"));
        assertThat(script.next("SCAN")).contains(Fault.reply("two"));
        assertThat(script.next("SCAN")).contains(Fault.stall());
        assertThat(script.next("PING")).contains(Fault.close());
        assertThat(script.pending()).isZero();
        script.clear();
        assertThat(script.next("SCAN")).isEmpty();
        assertThat(List.of(Fault.closeAfter(0), Fault.delay(Duration.ZERO))).hasSize(2);
        assertThatThrownBy(() -> Fault.closeAfter(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Fault.delay(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
    }
}
