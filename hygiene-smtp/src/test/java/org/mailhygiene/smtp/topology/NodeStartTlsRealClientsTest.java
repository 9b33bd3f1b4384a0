package org.mailhygiene.smtp.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.smtp.SinkMessage;
import org.mailhygiene.testkit.smtp.SmtpSink;

/**
 * The STARTTLS keys of a node file ({@code tls-certificate}, {@code tls-key}, {@code tls-required-for-relay}) with real
 * clients: swaks ({@code --tls}) and curl ({@code smtp://}, {@code --ssl-reqd}, verifying the chain against the test
 * CA and the name {@code localhost}). The node is started from a configuration file on disk, as {@code hygiene relay
 * --config} does. Skips without swaks, curl or openssl, except under CI.
 */
class NodeStartTlsRealClientsTest {
    @TempDir
    static Path certs;

    @TempDir
    Path dir;

    private static TestPki pki;

    @BeforeAll
    static void makeCertificates() throws Exception {
        pki = TestPki.create(certs);
    }

    /**
     * A node from a file: 127.0.0.1 is a relay client, which with {@code tls-required-for-relay} must STARTTLS before
     * MAIL.
     */
    private Node start(SmtpSink sink, boolean tls) throws Exception {
        Path conf = dir.resolve("node.conf");
        String text = """
                role = edge
                name = tls-in
                listen = 127.0.0.1:0
                data = data
                accept-domain = example.test
                relay-client = 127.0.0.1
                scanner = builtin
                route = :127.0.0.1:%d
                """.formatted(sink.port());
        if (tls) {
            Files.copy(pki.chain(), dir.resolve("chain.pem"));
            Files.copy(pki.key(), dir.resolve("srv.key"));
            text += "tls-certificate = chain.pem\ntls-key = srv.key\ntls-required-for-relay = yes\n";
        }
        Files.writeString(conf, text);
        Node node = NodeConfig.read(conf).build();
        node.start();
        return node;
    }

    private record Result(int exit, String output) {}

    private Result run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(cmd + " finished").isTrue();
        return new Result(p.exitValue(), out);
    }

    private List<String> swaks(Node node, String to, boolean tls) {
        List<String> cmd = new ArrayList<>(List.of(
                RealBinaries.require("swaks", "swaks").toString(),
                "--server",
                "127.0.0.1",
                "--port",
                Integer.toString(node.address().getPort()),
                "--from",
                "a@example.net",
                "--to",
                to,
                "--timeout",
                "60"));
        if (tls) {
            cmd.add("--tls");
        }
        return cmd;
    }

    private List<String> curl(Node node, String to) throws Exception {
        Path msg = dir.resolve("msg.txt");
        Files.writeString(msg, "From: a@example.net\r\nTo: " + to + "\r\nSubject: curl\r\n\r\nover TLS\r\n");
        return List.of(
                RealBinaries.require("curl", "curl").toString(),
                "-sS",
                "--max-time",
                "60",
                "--ssl-reqd",
                "--cacert",
                pki.ca().toString(),
                "smtp://localhost:" + node.address().getPort(),
                "--mail-from",
                "a@example.net",
                "--mail-rcpt",
                to,
                "--upload-file",
                msg.toString());
    }

    @Test
    void swaksRelaysOnlyAfterStartTls() throws Exception {
        try (SmtpSink sink = SmtpSink.start();
                Node node = start(sink, true)) {
            Result plain = run(swaks(node, "u@elsewhere.example", false));
            assertThat(plain.exit()).as(plain.output()).isNotZero();
            assertThat(plain.output()).contains("530 5.7.0");

            Result tls = run(swaks(node, "u@elsewhere.example", true));
            assertThat(tls.exit()).as(tls.output()).isZero();
            assertThat(tls.output()).contains("TLS started");
            SinkMessage relayed = sink.awaitMessages(1, Duration.ofSeconds(120)).get(0);
            assertThat(relayed.recipients()).containsExactly("u@elsewhere.example");
            assertThat(relayed.text()).contains("with ESMTPS");
        }
    }

    @Test
    void curlWithSslReqdVerifiesTheNodesChainAndName() throws Exception {
        try (SmtpSink sink = SmtpSink.start();
                Node node = start(sink, true)) {
            Result r = run(curl(node, "u@elsewhere.example"));
            assertThat(r.exit()).as(r.output()).isZero();
            SinkMessage m = sink.awaitMessages(1, Duration.ofSeconds(120)).get(0);
            assertThat(m.recipients()).containsExactly("u@elsewhere.example");
            assertThat(m.text()).contains("over TLS").contains("with ESMTPS");
        }
    }

    @Test
    void withoutTheKeysNoStartTlsIsOfferedAndCurlRefusesToSend() throws Exception {
        try (SmtpSink sink = SmtpSink.start();
                Node node = start(sink, false)) {
            Result r = run(curl(node, "u@example.test"));
            // curl's CURLE_USE_SSL_FAILED: the server did not offer STARTTLS.
            assertThat(r.exit()).as(r.output()).isEqualTo(64);
            assertThat(sink.messages()).isEmpty();
        }
    }
}
