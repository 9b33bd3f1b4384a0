package org.mailhygiene.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * The quick-ACK input ({@link QuickAcks}): on Linux the socket's reads go through it and bytes pass unchanged; what
 * it saves (about 40 ms per message behind Postfix) is measured in benchmarks/README.md, session 47, not here.
 */
class QuickAcksTest {
    @Test
    void bytesPassUnchangedAndLinuxSocketsGetQuickAcks() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                Socket accepted = server.accept()) {
            boolean linux =
                    System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux");
            assertThat(QuickAcks.supported(accepted)).isEqualTo(linux);
            InputStream in = QuickAcks.input(accepted);
            assertThat(in != accepted.getInputStream()).isEqualTo(linux);
            OutputStream out = client.getOutputStream();
            out.write(new byte[] {1, 2, 3, 4, 5, (byte) 0xff});
            out.flush();
            assertThat(in.read()).isEqualTo(1);
            byte[] rest = in.readNBytes(5);
            assertThat(rest).containsExactly(2, 3, 4, 5, (byte) 0xff);
            client.shutdownOutput();
            assertThat(in.read()).isEqualTo(-1);
        }
    }
}
