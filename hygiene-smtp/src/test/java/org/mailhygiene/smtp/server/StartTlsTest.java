package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.testkit.junit.RealBinaries;

class StartTlsTest {
    private SmtpServer server;
    private final RecordingHandler handler = new RecordingHandler();

    @TempDir
    Path dir;

    private int start(TlsConfig tls, Consumer<SmtpServer.Builder> more) throws Exception {
        SmtpServer.Builder b = SmtpServer.builder()
                .port(0)
                .hostname("mx.test.example")
                .acceptedDomains(AcceptedDomains.of("example.org"))
                .tls(tls)
                .handler(handler);
        more.accept(b);
        server = b.build();
        server.start();
        return server.port();
    }

    private static TlsConfig keyStoreTls() throws Exception {
        return TlsConfig.fromKeyStore(
                TestCertificates.keyStore(), TestCertificates.PASSWORD, TestCertificates.PASSWORD);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
    }

    private static SSLSocket handshake(TestClient c) throws Exception {
        SSLSocket ssl = (SSLSocket) TestCertificates.trustAllClient()
                .getSocketFactory()
                .createSocket(c.socket, "localhost", c.socket.getPort(), true);
        ssl.setUseClientMode(true);
        ssl.startHandshake();
        c.useStreams(ssl.getInputStream(), ssl.getOutputStream());
        return ssl;
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // long by design; see junit-platform.properties
    void upgradesForgetsTheSessionAndNeedsEhloAgain() throws Exception {
        String negotiated;
        int port = start(keyStoreTls(), b -> {});
        try (TestClient c = new TestClient(port)) {
            c.reply();
            assertThat(c.cmd("EHLO client.example")).contains("250-STARTTLS");
            assertThat(c.cmd("MAIL FROM:<a@example.net>")).startsWith("250");
            assertThat(c.cmd("STARTTLS")).isEqualTo("220 2.0.0 Ready to start TLS");
            SSLSocket ssl = handshake(c);
            assertThat(ssl.getSession().getProtocol()).isIn("TLSv1.3", "TLSv1.2");
            negotiated = ssl.getSession().getProtocol() + " with cipher "
                    + ssl.getSession().getCipherSuite();
            assertThat(c.cmd("RCPT TO:<u@example.org>")).startsWith("503"); // MAIL was forgotten, as was EHLO
            assertThat(c.cmd("MAIL FROM:<a@example.net>")).startsWith("503 5.5.1 Send HELO");
            String ehlo = c.cmd("EHLO client.example");
            assertThat(ehlo).doesNotContain("STARTTLS");
            assertThat(c.cmd("STARTTLS")).startsWith("503");
            c.cmd("MAIL FROM:<a@example.net>");
            c.cmd("RCPT TO:<u@example.org>");
            c.cmd("DATA");
            assertThat(c.send("Subject: tls\r\n\r\nx\r\n.\r\n").reply()).startsWith("250");
        }
        // The Received field says how the hop was protected, as Postfix's "(using TLSv1.3 with cipher ...)".
        assertThat(handler.messages.get(0).receivedHeader())
                .contains("with ESMTPS id")
                .contains("]) (using " + negotiated + ") by mx.test.example (mail-hygiene) with ESMTPS");
    }

    @Test
    void commandsPipelinedAfterStartTlsAreDroppedNotExecuted() throws Exception {
        int port = start(keyStoreTls(), b -> {});
        try (TestClient c = new TestClient(port)) {
            c.reply();
            c.cmd("EHLO client.example");
            // CVE-2011-0411 class: plaintext injected behind STARTTLS in the same packet
            c.send("STARTTLS\r\nMAIL FROM:<injected@evil.test>\r\nRCPT TO:<u@example.org>\r\n");
            assertThat(c.reply()).isEqualTo("220 2.0.0 Ready to start TLS");
            handshake(c);
            // Had the injected lines run, the next replies would be 250 2.1.0 / 250 2.1.5 (or 503s).
            assertThat(c.cmd("EHLO client.example")).startsWith("250-mx.test.example");
            assertThat(c.cmd("RCPT TO:<u@example.org>")).startsWith("503 5.5.1 Need MAIL");
        }
    }

    @Test
    void aFailedHandshakeIsReportedWithItsReasonAndTheServerGoesOn() throws Exception {
        java.util.Queue<String> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.Queue<String> established = new java.util.concurrent.ConcurrentLinkedQueue<>();
        SessionListener listener = new SessionListener() {
            @Override
            public void tlsFailed(java.net.InetAddress client, String reason) {
                failures.add(client.getHostAddress() + " " + reason);
            }

            @Override
            public void tlsEstablished(java.net.InetAddress client, String protocol, String cipherSuite) {
                established.add(protocol);
            }
        };
        int port = start(keyStoreTls(), b -> b.sessionListener(listener));
        try (TestClient c = new TestClient(port).hello()) {
            assertThat(c.cmd("STARTTLS")).startsWith("220");
            // a client that talks plaintext where the ClientHello belongs (or speaks a protocol the server refuses)
            c.send("EHLO client.example\r\n");
            org.mailhygiene.testkit.Await.until("the failure is reported", () -> !failures.isEmpty());
        }
        assertThat(failures).singleElement().asString().startsWith("127.0.0.1 ").hasSizeGreaterThan(10);
        assertThat(established).isEmpty();
        try (TestClient c = new TestClient(port).hello()) {
            c.cmd("STARTTLS");
            handshake(c);
            assertThat(c.cmd("EHLO client.example")).startsWith("250-mx.test.example");
        }
        assertThat(established).hasSize(1);
        assertThat(failures).hasSize(1);
    }

    /**
     * After QUIT over TLS the server ends TLS with close_notify (RFC 8446 6.1, RFC 5246 7.2.1) before closing. Before,
     * it closed TCP under TLS, which Python's {@code ssl} (OpenSSL) reports as a truncation attack: "EOF occurred in
     * violation of protocol". The JDK's client does not tell the two apart, so a real client checks.
     */
    @Test
    void quitOverTlsEndsWithCloseNotify() throws Exception {
        Path python = RealBinaries.require("python3", "python3");
        int port = start(keyStoreTls(), b -> {});
        String script = String.join(
                "\n",
                "import socket, ssl, sys",
                "def reply(f):",
                "    while True:",
                "        l = f.readline()",
                "        if l[3:4] != b'-':",
                "            return l",
                "for ver in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):",
                "    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)",
                "    ctx.check_hostname = False",
                "    ctx.verify_mode = ssl.CERT_NONE",
                "    ctx.minimum_version = ctx.maximum_version = ver",
                "    s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=30)",
                "    f = s.makefile('rb')",
                "    reply(f); s.sendall(b'EHLO py.example\\r\\n'); reply(f)",
                "    s.sendall(b'STARTTLS\\r\\n'); assert reply(f).startswith(b'220')",
                "    t = ctx.wrap_socket(s, suppress_ragged_eofs=False)",
                "    tf = t.makefile('rb')",
                "    t.sendall(b'EHLO py.example\\r\\n'); reply(tf)",
                "    t.sendall(b'QUIT\\r\\n'); assert reply(tf).startswith(b'221')",
                "    try:",
                "        print(ver.name, 'end', repr(t.recv(100)))",
                "    except ssl.SSLError as e:",
                "        print(ver.name, 'error', e)",
                "");
        Processes.Result r =
                Processes.run(List.of(python.toString(), "-c", script, Integer.toString(port)), Duration.ofSeconds(60));
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("TLSv1_3 end b''", "TLSv1_2 end b''").doesNotContain("error");
    }

    /** HELO after STARTTLS: the Received field names a registered type (RFC 3848), not "SMTPS". */
    @Test
    void heloAfterStartTlsIsRecordedAsEsmtps() throws Exception {
        int port = start(keyStoreTls(), b -> {});
        try (TestClient c = new TestClient(port).hello()) {
            assertThat(c.cmd("STARTTLS")).startsWith("220");
            handshake(c);
            assertThat(c.cmd("HELO client.example")).startsWith("250");
            c.cmd("MAIL FROM:<a@example.net>");
            c.cmd("RCPT TO:<u@example.org>");
            c.cmd("DATA");
            assertThat(c.send("Subject: helo\r\n\r\nx\r\n.\r\n").reply()).startsWith("250");
        }
        assertThat(handler.messages.get(0).receivedHeader()).contains("with ESMTPS id");
    }

    @Test
    void requireTlsRefusesMailInPlaintext() throws Exception {
        int port = start(keyStoreTls(), b -> b.requireTls(true));
        try (TestClient c = new TestClient(port).hello()) {
            assertThat(c.cmd("MAIL FROM:<a@example.net>")).isEqualTo("530 5.7.0 Must issue a STARTTLS command first");
            c.cmd("STARTTLS");
            handshake(c);
            c.cmd("EHLO client.example");
            assertThat(c.cmd("MAIL FROM:<a@example.net>")).startsWith("250");
        }
    }

    @Test
    void swaksTlsWithPemCertificate() throws Exception {
        Path swaks = RealBinaries.require("swaks", "swaks");
        Path openssl = RealBinaries.require("openssl", "openssl");
        Path ks = TestCertificates.keyStore();
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        String pw = "pass:" + new String(TestCertificates.PASSWORD);
        assertThat(Processes.run(
                                List.of(
                                        openssl.toString(),
                                        "pkcs12",
                                        "-in",
                                        ks.toString(),
                                        "-passin",
                                        pw,
                                        "-nokeys",
                                        "-out",
                                        cert.toString()),
                                Duration.ofSeconds(30))
                        .exit())
                .isZero();
        assertThat(Processes.run(
                                List.of(
                                        openssl.toString(),
                                        "pkcs12",
                                        "-in",
                                        ks.toString(),
                                        "-passin",
                                        pw,
                                        "-nocerts",
                                        "-nodes",
                                        "-out",
                                        key.toString()),
                                Duration.ofSeconds(30))
                        .exit())
                .isZero();
        int port = start(TlsConfig.fromPem(cert, key), b -> b.requireTls(true));
        Processes.Result r = Processes.run(
                List.of(
                        swaks.toString(),
                        "--server",
                        "127.0.0.1",
                        "--port",
                        Integer.toString(port),
                        "--tls",
                        "--from",
                        "a@example.net",
                        "--to",
                        "u@example.org"),
                Duration.ofSeconds(60));
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("TLS started");
        assertThat(handler.messages).hasSize(1);
        assertThat(handler.messages.get(0).receivedHeader()).contains("with ESMTPS id");
    }

    @Test
    void pemWithoutPkcs8KeyIsRejectedWithAClearMessage() throws Exception {
        Path cert = dir.resolve("c.pem");
        Path key = dir.resolve("k.pem");
        java.nio.file.Files.writeString(key, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        java.nio.file.Files.writeString(cert, "");
        assertThatThrownBy(() -> TlsConfig.fromPem(cert, key))
                .isInstanceOf(java.security.GeneralSecurityException.class);
        assertThatThrownBy(() -> keyStoreTls().withHandshakeTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
