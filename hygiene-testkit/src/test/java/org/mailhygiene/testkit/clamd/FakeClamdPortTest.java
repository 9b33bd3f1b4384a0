package org.mailhygiene.testkit.clamd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.mailhygiene.testkit.spamd.FakeSpamd;

/** The protocol fakes listen on a port the test chooses, as SmtpSink and FakeServer already allow. */
class FakeClamdPortTest {

    /** A free port in 51000-51999 (environments that allow only some ports pick from a range). */
    private static int freePortInRange() throws IOException {
        for (int p = 51900; p < 52000; p++) {
            try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
                return p;
            } catch (IOException taken) {
                // try the next
            }
        }
        throw new IOException("no free port in 51900-51999");
    }

    @Test
    void fakeClamdListensOnTheChosenPort() throws Exception {
        int port = freePortInRange();
        try (FakeClamd clamd = FakeClamd.builder().port(port).start();
                Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            assertThat(clamd.port()).isEqualTo(port);
            assertThat(clamd.tcpAddress()).isEqualTo("127.0.0.1:" + port);
            s.getOutputStream().write("zPING\0".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(s.getInputStream().readNBytes(5), StandardCharsets.US_ASCII))
                    .isEqualTo("PONG\0");
        }
    }

    @Test
    void fakeSpamdListensOnTheChosenPort() throws Exception {
        int port = freePortInRange();
        try (FakeSpamd spamd = FakeSpamd.builder().port(port).start()) {
            assertThat(spamd.port()).isEqualTo(port);
        }
    }

    @Test
    void portOutOfRangeIsRefused() {
        assertThatThrownBy(() -> FakeClamd.builder().port(65536)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FakeSpamd.builder().port(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
