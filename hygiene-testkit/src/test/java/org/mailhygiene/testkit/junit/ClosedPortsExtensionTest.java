package org.mailhygiene.testkit.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;

class ClosedPortsExtensionTest {
    /** A reserved port refuses connections and cannot be listened on until the test ends; then it can. */
    @Test
    void aReservedPortIsClosedUntilTheTestEnds() throws Exception {
        ClosedPortsExtension ports = new ClosedPortsExtension();
        int port = ports.reserve();
        try (Socket s = new Socket()) {
            assertThatThrownBy(() -> s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000))
                    .isInstanceOf(ConnectException.class);
        }
        try (ServerSocket listener = new ServerSocket()) {
            assertThatThrownBy(() -> listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)))
                    .isInstanceOf(java.net.BindException.class);
        }
        ports.afterEach(null);
        try (ServerSocket listener = new ServerSocket()) {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            assertThat(listener.getLocalPort()).isEqualTo(port);
        }
    }
}
