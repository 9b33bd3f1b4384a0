package org.mailhygiene.scanners.clamd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mailhygiene.testkit.junit.FakeClamdExtension;

/**
 * The client keeps a few idle selectors instead of opening one per command: commands in a row reuse them, and neither
 * commands nor failures leave file descriptors behind.
 */
class ClamdClientSelectorReuseTest {
    private static final Duration DEADLINE = Duration.ofSeconds(10);

    @RegisterExtension
    final FakeClamdExtension clamd = FakeClamdExtension.create();

    @Test
    void commandsInARowReuseSelectorsAndLeakNoDescriptors() throws Exception {
        Path fds = Path.of("/proc/self/fd");
        assumeThat(Files.isDirectory(fds)).as("needs /proc/self/fd (Linux)").isTrue();
        ClamdClient client = ClamdClient.of(ClamdAddress.parse(clamd.get().tcpAddress()));
        ClamdClient refused = ClamdClient.builder(ClamdAddress.tcp("127.0.0.1", unusedPort()))
                .connectTimeout(Duration.ofSeconds(2))
                .build();
        byte[] message = "Subject: hi\r\n\r\nclean\r\n".getBytes(StandardCharsets.US_ASCII);
        // warm: the first commands may open the selectors this thread will reuse
        client.ping(DEADLINE);
        client.instream(new ByteArrayInputStream(message), Long.MAX_VALUE, DEADLINE);
        long before = count(fds);
        for (int i = 0; i < 300; i++) {
            assertThat(client.ping(DEADLINE)).isEqualTo("PONG");
            assertThat(client.instream(new ByteArrayInputStream(message), Long.MAX_VALUE, DEADLINE)
                            .status())
                    .isEqualTo(ClamdScanReply.Status.CLEAN);
            if (i % 30 == 0) {
                try {
                    refused.ping(DEADLINE);
                } catch (ClamdException expected) {
                    // connection refused: its selector and socket are closed or kept, never leaked
                }
            }
        }
        assertThat(ClamdClient.idleSelectors()).isBetween(1, 32);
        // 900 commands without reuse would have opened 1,800 descriptors (an epoll instance and an eventfd each);
        // other tests of this JVM may hold a few more at the second count
        assertThat(count(fds) - before).isLessThan(40);
    }

    private static long count(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    private static int unusedPort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
