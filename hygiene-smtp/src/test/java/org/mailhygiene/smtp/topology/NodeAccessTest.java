package org.mailhygiene.smtp.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.routing.StaticRouter;
import org.mailhygiene.scanners.builtin.SignatureScanner;
import org.mailhygiene.smtp.access.AcceptedDomains;

/** The default access rules: only configured relay clients relay; the node's own listen address is no exception. */
class NodeAccessTest {
    @TempDir
    Path dir;

    /** Sends EHLO, MAIL, RCPT from a local address and returns the RCPT reply. */
    private static String rcptReply(InetSocketAddress server, String localIp, String rcpt) throws Exception {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(localIp), 0));
            s.connect(server, 10_000);
            s.setSoTimeout(30_000);
            BufferedReader in =
                    new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            String greeting = in.readLine();
            if (!greeting.startsWith("220")) {
                return greeting;
            }
            out.write("HELO client.example\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            in.readLine();
            out.write("MAIL FROM:<s@example.net>\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            in.readLine();
            out.write(("RCPT TO:<" + rcpt + ">\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return in.readLine();
        }
    }

    @Test
    void theNodesOwnListenAddressIsNotAnOpenRelayButRelayClientsRelay() throws Exception {
        try (Node node = Node.builder(Role.EDGE, "edge")
                .listen(InetAddress.getByName("127.0.0.1"), 0)
                .acceptedDomains(AcceptedDomains.of("dept-a.example"))
                .relayClients("127.0.0.13")
                .router(StaticRouter.parse(":127.0.0.1:9"))
                .scanners(List.of(SignatureScanner.create()))
                .dataDirectory(dir)
                .build()) {
            node.start();

            assertThat(rcptReply(node.address(), "127.0.0.1", "victim@elsewhere.example"))
                    .startsWith("554 5.7.1");
            assertThat(rcptReply(node.address(), "127.0.0.1", "alice@dept-a.example"))
                    .startsWith("250");
            assertThat(rcptReply(node.address(), "127.0.0.13", "victim@elsewhere.example"))
                    .startsWith("250");
        }
    }

    @Test
    void aGatewayRefusesEveryoneButItsRelayClientsAtConnect() throws Exception {
        try (Node node = Node.builder(Role.GATEWAY, "gw")
                .listen(InetAddress.getByName("127.0.0.1"), 0)
                .acceptedDomains(AcceptedDomains.of("dept-a.example"))
                .relayClients("127.0.0.11")
                .router(StaticRouter.parse(":127.0.0.1:9"))
                .scanners(List.of(SignatureScanner.create()))
                .dataDirectory(dir)
                .build()) {
            node.start();

            assertThat(rcptReply(node.address(), "127.0.0.1", "alice@dept-a.example"))
                    .startsWith("554 5.7.1");
            assertThat(rcptReply(node.address(), "127.0.0.11", "bob@elsewhere.example"))
                    .startsWith("250");
        }
    }
}
