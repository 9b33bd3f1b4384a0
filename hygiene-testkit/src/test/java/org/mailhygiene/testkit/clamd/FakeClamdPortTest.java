package org.mailhygiene.testkit.clamd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.mailhygiene.testkit.spamd.FakeSpamd;

/** The protocol fakes listen on a port the test chooses, as SmtpSink and FakeServer already allow. */
class FakeClamdPortTest {

    /** Starts a fake on a port it is given. */
    @FunctionalInterface
    private interface StartAt<T> {
        T start(int port) throws IOException;
    }

    /**
     * Starts a fake on a free port in 51900-51999 (environments that allow only some ports pick from a range). The
     * port is found free, then released and bound by the fake: another process (the suite run twice at once, which
     * runs this test with the same range) can take it in between, and until session 49 the test then failed with
     * "Address already in use". Such a start is tried again on the next free port.
     */
    private static <T> T onAFreePortInRange(StartAt<T> fake) throws IOException {
        IOException lost = null;
        for (int p = 51900; p < 52000; p++) {
            try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
                // free now
            } catch (IOException taken) {
                continue;
            }
            try {
                return fake.start(p);
            } catch (IOException e) {
                if (!(e instanceof BindException) && !(e.getCause() instanceof BindException)) {
                    throw e;
                }
                lost = e; // taken since: the next one
            }
        }
        throw new IOException("no free port in 51900-51999", lost);
    }

    @Test
    void fakeClamdListensOnTheChosenPort() throws Exception {
        int[] chosen = new int[1];
        try (FakeClamd clamd = onAFreePortInRange(p -> {
                    chosen[0] = p;
                    return FakeClamd.builder().port(p).start();
                });
                Socket s = new Socket(InetAddress.getLoopbackAddress(), clamd.port())) {
            assertThat(clamd.port()).isEqualTo(chosen[0]);
            assertThat(clamd.tcpAddress()).isEqualTo("127.0.0.1:" + clamd.port());
            s.getOutputStream().write("zPING\0".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(s.getInputStream().readNBytes(5), StandardCharsets.US_ASCII))
                    .isEqualTo("PONG\0");
        }
    }

    @Test
    void fakeSpamdListensOnTheChosenPort() throws Exception {
        int[] chosen = new int[1];
        try (FakeSpamd spamd = onAFreePortInRange(p -> {
            chosen[0] = p;
            return FakeSpamd.builder().port(p).start();
        })) {
            assertThat(spamd.port()).isEqualTo(chosen[0]);
        }
    }

    /** A port another process holds is a {@link BindException}, the failure the helper above moves on from. */
    @Test
    void aTakenPortFailsTheStartWithABindException() throws Exception {
        try (ServerSocket other = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(
                            () -> FakeClamd.builder().port(other.getLocalPort()).start())
                    .satisfiesAnyOf(
                            e -> assertThat(e).isInstanceOf(BindException.class),
                            e -> assertThat(e).hasCauseInstanceOf(BindException.class));
        }
    }

    @Test
    void portOutOfRangeIsRefused() {
        assertThatThrownBy(() -> FakeClamd.builder().port(65536)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FakeSpamd.builder().port(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
