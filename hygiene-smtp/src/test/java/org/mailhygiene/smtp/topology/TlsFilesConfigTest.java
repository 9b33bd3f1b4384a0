package org.mailhygiene.smtp.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.smtp.config.ConfigException;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.tls.PrivateCa;

/**
 * The certificate and key files of a node as an administrator writes them (outside-in audit, session 40): a file
 * holding the chain and the key together, keys in the forms the relay does not read, files swapped or missing. Every
 * error names the file and the line that named it; a certificate out of its validity period is a warning.
 */
class TlsFilesConfigTest {
    private static final String BASE = """
            role = edge
            name = edge-x
            listen = 127.0.0.1:0
            data = data/edge-x
            accept-domain = dept-a.example
            route = dept-a.example:127.0.0.13:2525
            scanner = builtin
            """;

    @TempDir
    Path dir;

    private PrivateCa ca;

    @BeforeEach
    void ca() throws Exception {
        ca = PrivateCa.create(dir);
    }

    private Node.Builder read(String cert, String key) throws Exception {
        Path f = dir.resolve("node.conf");
        Files.writeString(f, BASE + "tls-certificate = " + cert + "\ntls-key = " + key + "\n");
        return NodeConfig.read(f);
    }

    private void openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(RealBinaries.require("openssl", "openssl").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("openssl.log").toFile())
                .start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue())
                .as(Files.readString(dir.resolve("openssl.log")))
                .isZero();
    }

    /** Postfix's smtpd_tls_chain_files takes one file with the key and the chain; it was "signed fields invalid". */
    @Test
    void oneFileWithTheChainAndTheKeyServesAsBoth() throws Exception {
        Files.writeString(dir.resolve("both.pem"), Files.readString(ca.chain()) + Files.readString(ca.serverKey()));
        Files.writeString(
                dir.resolve("key-first.pem"), Files.readString(ca.serverKey()) + Files.readString(ca.chain()));
        read("both.pem", "both.pem");
        read("key-first.pem", "key-first.pem");
        read("key-first.pem", ca.serverKey().toString());
        // openssl x509 -text puts the decoded certificate before its PEM block
        Files.writeString(
                dir.resolve("text.pem"),
                "Certificate:\n    Data:\n        Subject: CN=localhost, O=Müller\n" + Files.readString(ca.chain()));
        read("text.pem", ca.serverKey().toString());
    }

    @Test
    void aKeyInAnotherFormIsNamedWithItsFileLineAndTheCommandThatConvertsIt() throws Exception {
        Path f = dir.resolve("node.conf");
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.key");
        openssl("rsa", "-in", "rsa.key", "-traditional", "-out", "pkcs1.key");
        assertThatThrownBy(() -> read(ca.chain().toString(), "pkcs1.key"))
                .isInstanceOf(ConfigException.class)
                .hasMessage(f + " line 9: tls-key: the key at line 1 of " + dir.resolve("pkcs1.key")
                        + " is a PKCS#1 RSA key (-----BEGIN RSA PRIVATE KEY-----); the relay reads unencrypted PKCS#8"
                        + " keys only: openssl pkcs8 -topk8 -nocrypt -in " + dir.resolve("pkcs1.key")
                        + " -out NEW-FILE converts it");
        openssl("pkcs8", "-topk8", "-in", ca.serverKey().toString(), "-passout", "pass:secret", "-out", "enc.key");
        assertThatThrownBy(() -> read(ca.chain().toString(), "enc.key"))
                .hasMessageStartingWith(f + " line 9: tls-key: the key at line 1 of " + dir.resolve("enc.key")
                        + " is encrypted (-----BEGIN ENCRYPTED PRIVATE KEY-----) and the relay cannot ask for a"
                        + " passphrase")
                .hasMessageEndingWith("(it asks for the passphrase)");
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "sec1.key");
        assertThatThrownBy(() -> read(ca.chain().toString(), "sec1.key"))
                .hasMessageStartingWith(f + " line 9: tls-key: the key at line 1 of " + dir.resolve("sec1.key")
                        + " is a SEC1 EC key (-----BEGIN EC PRIVATE KEY-----)");
    }

    @Test
    void swappedMissingAndWrongFilesNameTheLineThatNamedThem() throws Exception {
        Path f = dir.resolve("node.conf");
        String key = ca.serverKey().toString();
        String chain = ca.chain().toString();
        assertThatThrownBy(() -> read(key, chain))
                .hasMessage(f + " line 8: tls-certificate: " + key + " holds no certificate (-----BEGIN"
                        + " CERTIFICATE-----); it holds a private key: is it the tls-key file?");
        assertThatThrownBy(() -> read(chain, dir.toString()))
                .hasMessageStartingWith(f + " line 9: tls-key: cannot read " + dir + ": ");
        assertThatThrownBy(() -> read(chain, "missing.key"))
                .hasMessage(f + " line 9: tls-key: cannot read " + dir.resolve("missing.key") + ": no such file");
        assertThatThrownBy(() -> read("missing.pem", key))
                .hasMessage(
                        f + " line 8: tls-certificate: cannot read " + dir.resolve("missing.pem") + ": no such file");
        Files.writeString(dir.resolve("broken.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        assertThatThrownBy(() -> read("broken.pem", key))
                .hasMessageStartingWith(f + " line 8: tls-certificate: the certificate at line 1 of "
                        + dir.resolve("broken.pem") + " cannot be read: ");
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.key");
        assertThatThrownBy(() -> read(chain, "rsa.key"))
                .hasMessage(f + " line 8: tls-certificate: the private key in " + dir.resolve("rsa.key")
                        + " does not belong to the first certificate in " + chain
                        + " (an RSA key for an EC certificate)");
    }

    /**
     * The certificate's validity was checked at start and reload only: a relay that ran for months said nothing while
     * its certificate ran out, and verifying clients began refusing the handshake. The node now checks it at start and
     * every day against its clock: a WARN line from 14 days before notAfter, then once expired. The clock is the node's
     * (injected here), so nothing waits.
     */
    @Test
    void theRunningNodeWarnsOfACertificateAboutToExpire() throws Exception {
        X509Certificate cert;
        try (InputStream in = Files.newInputStream(ca.serverCertificate())) {
            cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        Instant notAfter = cert.getNotAfter().toInstant();
        String chain = ca.chain().toString();
        String key = ca.serverKey().toString();
        // the test certificates are valid for two days: a window of one day shows both sides of it
        java.util.function.BiFunction<Instant, java.time.Duration, java.util.Optional<String>> checkAt = (now, w) -> {
            try (Node node = read(chain, key)
                    .clock(java.time.Clock.fixed(now, java.time.ZoneOffset.UTC))
                    .tlsExpiryWarning(w)
                    .build()) {
                return node.checkTlsCertificate();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        java.time.Duration day = java.time.Duration.ofDays(1);
        java.time.Duration fortnight = java.time.Duration.ofDays(14); // the default
        assertThat(checkAt.apply(notAfter.minus(day).minusSeconds(60), day)).isEmpty();
        assertThat(checkAt.apply(notAfter.minus(day).plusSeconds(60), day))
                .hasValueSatisfying(w -> assertThat(w)
                        .startsWith("edge-x: the TLS certificate in " + ca.chain() + " (CN=localhost) expires on ")
                        .endsWith(" expires on " + notAfter + ", in less than a day (renew it and reload)"));
        assertThat(checkAt.apply(cert.getNotBefore().toInstant().plusSeconds(60), fortnight))
                .hasValueSatisfying(w -> assertThat(w).endsWith(", in 1 day (renew it and reload)"));
        assertThat(checkAt.apply(notAfter.plusSeconds(1), fortnight))
                .hasValueSatisfying(w -> assertThat(w)
                        .endsWith(" expired on " + notAfter
                                + " (clients that verify certificates refuse the handshake; renew it and reload)"));
    }

    /**
     * The 14 days of warning before a certificate's end of validity could be changed only by code
     * ({@code Node.Builder.tlsExpiryWarning}); a file said "unknown key". Now {@code tls-expiry-warning}, 1d to 365d,
     * needs a certificate, names its line when wrong, and a reload applies a changed value.
     */
    @Test
    void theExpiryWarningIsAKeyWithBoundsAndAReloadAppliesIt() throws Exception {
        X509Certificate cert;
        try (InputStream in = Files.newInputStream(ca.serverCertificate())) {
            cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        // the test certificates are valid for two days: 36 hours before their end, inside 14 days, outside one
        Instant now = cert.getNotAfter().toInstant().minus(java.time.Duration.ofHours(36));
        java.time.Clock clock = java.time.Clock.fixed(now, java.time.ZoneOffset.UTC);
        Path f = dir.resolve("node.conf");
        String tls = "tls-certificate = " + ca.chain() + "\ntls-key = " + ca.serverKey() + "\n";
        Files.writeString(f, BASE + tls + "tls-expiry-warning = 1d\n");
        try (Node node = NodeConfig.read(f).clock(clock).build()) {
            assertThat(node.checkTlsCertificate()).as("1 day").isEmpty();
            Files.writeString(f, BASE + tls);
            node.reload(NodeConfig.read(f).clock(clock));
            assertThat(node.checkTlsCertificate())
                    .as("the default, 14 days, after the reload")
                    .hasValueSatisfying(w -> assertThat(w).endsWith(", in 1 day (renew it and reload)"));
            Files.writeString(f, BASE + tls + "tls-expiry-warning = 1d\n");
            node.reload(NodeConfig.read(f).clock(clock));
            assertThat(node.checkTlsCertificate())
                    .as("1 day again after a reload")
                    .isEmpty();
        }
        Files.writeString(f, BASE + tls + "tls-expiry-warning = 366d\n");
        assertThatThrownBy(() -> NodeConfig.read(f))
                .isInstanceOf(ConfigException.class)
                .hasMessage(f + " line 10: tls-expiry-warning: must be between 1d and 365d, was 366d");
        Files.writeString(f, BASE + tls + "tls-expiry-warning = 12h\n");
        assertThatThrownBy(() -> NodeConfig.read(f))
                .hasMessage(f + " line 10: tls-expiry-warning: must be between 1d and 365d, was 12h");
        Files.writeString(f, BASE + tls + "tls-expiry-warning = soon\n");
        assertThatThrownBy(() -> NodeConfig.read(f)).hasMessageStartingWith(f + " line 10: tls-expiry-warning: ");
        Files.writeString(f, BASE + "tls-expiry-warning = 30d\n");
        assertThatThrownBy(() -> NodeConfig.read(f))
                .hasMessage(f + " line 8: tls-expiry-warning: needs tls-certificate and tls-key");
    }

    /**
     * The inbound STARTTLS handshake was bounded by a fixed 30 seconds with no key to change it. Now
     * {@code tls-handshake-timeout}, a duration from 1s to 10m, named with the other timeouts; an error names the
     * file and line (before: "unknown key 'tls-handshake-timeout'").
     */
    @Test
    void theHandshakeTimeoutIsAKeyWithBoundsAndNeedsACertificate() throws Exception {
        Path f = dir.resolve("node.conf");
        String tls = "tls-certificate = " + ca.chain() + "\ntls-key = " + ca.serverKey() + "\n";
        Files.writeString(f, BASE + tls + "tls-handshake-timeout = 5s\n");
        assertThat(NodeConfig.read(f).tlsHandshakeTimeoutSetting()).hasValue(java.time.Duration.ofSeconds(5));
        Files.writeString(f, BASE + tls);
        assertThat(NodeConfig.read(f).tlsHandshakeTimeoutSetting()).isEmpty(); // TlsConfig's 30 s
        Files.writeString(f, BASE + tls + "tls-handshake-timeout = 11m\n");
        assertThatThrownBy(() -> NodeConfig.read(f))
                .isInstanceOf(ConfigException.class)
                .hasMessage(f + " line 10: tls-handshake-timeout: must be between 1s and 10m, was 11m");
        Files.writeString(f, BASE + tls + "tls-handshake-timeout = 500ms\n");
        assertThatThrownBy(() -> NodeConfig.read(f))
                .hasMessage(f + " line 10: tls-handshake-timeout: must be between 1s and 10m, was 500ms");
        Files.writeString(f, BASE + "tls-handshake-timeout = 5s\n");
        assertThatThrownBy(() -> NodeConfig.read(f))
                .hasMessage(f + " line 8: tls-handshake-timeout: needs tls-certificate and tls-key");
    }

    @Test
    void aCertificateOutOfItsValidityPeriodIsAWarning() throws Exception {
        assertThat(read(ca.chain().toString(), ca.serverKey().toString()).configurationWarnings())
                .isEmpty();
        X509Certificate cert;
        try (InputStream in = Files.newInputStream(ca.serverCertificate())) {
            cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        Instant notAfter = cert.getNotAfter().toInstant();
        Instant notBefore = cert.getNotBefore().toInstant();
        assertThat(LimitsConfig.validityWarning(cert, notAfter.minusSeconds(1))).isEmpty();
        assertThat(LimitsConfig.validityWarning(cert, notAfter.plusSeconds(1)))
                .hasValue("expired on " + notAfter
                        + " (clients that verify certificates refuse the handshake; renew it and reload)");
        assertThat(LimitsConfig.validityWarning(cert, notBefore.minusSeconds(1)).orElseThrow())
                .startsWith("is not valid before " + notBefore);
    }
}
