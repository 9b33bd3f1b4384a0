package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.tls.PrivateCa;

/**
 * {@code hygiene relay} accepts STARTTLS from a client whatever server name (SNI) it sends: the JDK failed the
 * handshake with an {@code illegal_parameter} alert for {@code mx.example.org.} (absolute) and
 * {@code my_host.example}, which OpenSSL servers accept (outside-in audit, session 40, with {@code openssl s_client
 * -servername}).
 */
class RelayTlsServerNameTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // long by design; see junit-platform.properties
    void aServerNameTheJdkCallsIllegalDoesNotFailTheHandshake() throws Exception {
        Path openssl = RealBinaries.require("openssl", "openssl");
        PrivateCa ca = PrivateCa.create(dir);
        Path conf = dir.resolve("edge.conf");
        Files.writeString(
                conf,
                String.join(
                        "\n",
                        "role = edge",
                        "name = edge-sni",
                        "listen = 127.0.0.1:0",
                        "data = " + dir.resolve("data"),
                        "accept-domain = dept-a.example",
                        "route = dept-a.example:127.0.0.1:9",
                        "scanner = builtin",
                        "tls-certificate = " + ca.chain(),
                        "tls-key = " + ca.serverKey(),
                        ""));
        Process relay = MainProcess.of("relay", "--config", conf.toString())
                .redirectError(dir.resolve("relay.log").toFile())
                .start();
        try {
            BufferedReader out =
                    new BufferedReader(new InputStreamReader(relay.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertThat(line).as(Files.readString(dir.resolve("relay.log"))).startsWith("edge-sni smtp://127.0.0.1:");
            String port = line.substring(line.lastIndexOf(':') + 1);
            for (String name : new String[] {"localhost", "localhost.", "my_host.example"}) {
                Path output = dir.resolve("s_client.out");
                Process client = new ProcessBuilder(
                                openssl.toString(),
                                "s_client",
                                "-starttls",
                                "smtp",
                                "-connect",
                                "127.0.0.1:" + port,
                                "-servername",
                                name)
                        .redirectInput(
                                Files.writeString(dir.resolve("in"), "QUIT\n").toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(output.toFile())
                        .start();
                assertThat(client.waitFor(120, TimeUnit.SECONDS)).isTrue();
                String text = Files.readString(output);
                assertThat(text)
                        .as(
                                "s_client -servername %s:%n%s%nrelay log:%n%s",
                                name, text, Files.readString(dir.resolve("relay.log")))
                        .contains("Cipher is TLS_")
                        .doesNotContain("alert illegal parameter");
            }
        } finally {
            relay.destroy();
            if (!relay.waitFor(60, TimeUnit.SECONDS)) {
                relay.destroyForcibly();
            }
        }
    }
}
