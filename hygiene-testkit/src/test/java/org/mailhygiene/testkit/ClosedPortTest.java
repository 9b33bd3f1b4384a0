package org.mailhygiene.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/**
 * A closed port stays closed while the test holds it. The helpers it replaces (find a free port with a
 * {@code ServerSocket} on port 0, close it, return the number) left a window in which another program could start
 * listening on the port, and the test then reached that program: {@link #aPortFoundFreeAndClosedCanBeTakenAtOnce()}
 * shows the window.
 */
class ClosedPortTest {
    @Test
    void aConnectionIsRefusedAndNoListenerCanTakeThePortWhileItIsHeld() throws IOException {
        try (ClosedPort closed = ClosedPort.reserve()) {
            assertThat(closed.address()).isEqualTo("127.0.0.1:" + closed.port());
            try (Socket client = new Socket()) {
                assertThatThrownBy(() -> client.connect(new InetSocketAddress("127.0.0.1", closed.port()), 10_000))
                        .isInstanceOf(ConnectException.class);
            }
            for (String host : new String[] {"127.0.0.1", "0.0.0.0"}) {
                try (ServerSocket other = new ServerSocket()) {
                    other.setReuseAddress(true); // as servers do
                    assertThatThrownBy(() -> other.bind(new InetSocketAddress(host, closed.port())))
                            .as(host)
                            .isInstanceOf(BindException.class);
                }
            }
        }
    }

    @Test
    void thePortIsFreeAgainAfterClose() throws IOException {
        ClosedPort closed = ClosedPort.reserve();
        int port = closed.port();
        closed.close();
        try (ServerSocket other = new ServerSocket()) {
            other.bind(new InetSocketAddress("127.0.0.1", port));
            assertThat(other.getLocalPort()).isEqualTo(port);
        }
    }

    /** The old helpers' window: the port they returned can be bound by anyone right after. */
    @Test
    void aPortFoundFreeAndClosedCanBeTakenAtOnce() throws IOException {
        int port;
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress("127.0.0.1", 0));
            port = probe.getLocalPort();
        }
        try (ServerSocket other = new ServerSocket()) {
            other.bind(new InetSocketAddress("127.0.0.1", port));
            try (Socket client = new Socket()) {
                client.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                assertThat(client.isConnected())
                        .as("the 'closed' port answered")
                        .isTrue();
            }
        }
    }
}
