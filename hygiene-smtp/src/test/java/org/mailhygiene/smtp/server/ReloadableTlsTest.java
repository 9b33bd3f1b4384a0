package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.testkit.junit.RealBinaries;

/** A certificate renewal: the files are re-read, a broken new file leaves the old certificate in use. */
class ReloadableTlsTest {
    @TempDir
    Path dir;

    private void certificate(String cn, Path cert, Path key) throws Exception {
        Path openssl = RealBinaries.require("openssl", "openssl");
        Process p = new ProcessBuilder(
                        openssl.toString(),
                        "req",
                        "-x509",
                        "-newkey",
                        "rsa:2048",
                        "-nodes",
                        "-days",
                        "2",
                        "-subj",
                        "/CN=" + cn,
                        "-keyout",
                        key.toString(),
                        "-out",
                        cert.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("openssl.log").toFile())
                .start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
    }

    @Test
    void reloadPresentsTheNewCertificateAndABrokenFileKeepsTheOld() throws Exception {
        Path cert = dir.resolve("server.crt");
        Path key = dir.resolve("server.key");
        certificate("first.example", cert, key);
        ReloadableTls tls = ReloadableTls.fromPem(cert, key);
        TlsConfig config = tls.config();
        assertThat(tls.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=first.example");

        certificate("second.example", cert, key);
        tls.reload();
        assertThat(tls.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=second.example");
        assertThat(tls.config()).isSameAs(config);

        Files.writeString(key, "not a key");
        assertThatThrownBy(tls::reload).hasMessageContaining("holds no unencrypted PKCS#8 key");
        assertThat(tls.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=second.example");
    }

    @Test
    void aKeyThatDoesNotBelongToTheCertificateIsRefusedAndTheOldPairKept() throws Exception {
        Path cert = dir.resolve("server.crt");
        Path key = dir.resolve("server.key");
        Path otherCert = dir.resolve("other.crt");
        Path otherKey = dir.resolve("other.key");
        certificate("first.example", cert, key);
        certificate("other.example", otherCert, otherKey);
        ReloadableTls tls = ReloadableTls.fromPem(cert, key);

        // A renewal caught half-way: the new certificate is written, the key is still the old one.
        Files.copy(otherCert, cert, StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(tls::reload)
                .isInstanceOf(GeneralSecurityException.class)
                .hasMessageContaining("does not belong to the first certificate in " + cert);
        assertThat(tls.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=first.example");
        assertThatThrownBy(() -> ReloadableTls.fromPem(cert, key)).hasMessageContaining("does not belong");
        assertThatThrownBy(() -> TlsConfig.fromPem(cert, key)).hasMessageContaining("does not belong");

        // The key follows: the pair is whole again and is taken.
        Files.copy(otherKey, key, StandardCopyOption.REPLACE_EXISTING);
        tls.reload();
        assertThat(tls.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=other.example");
    }

    @Test
    void aHandshakeThatChoseThePairBeforeAReloadGetsTheChainAndTheKeyOfThatPair() throws Exception {
        Path cert = dir.resolve("server.crt");
        Path key = dir.resolve("server.key");
        certificate("first.example", cert, key);
        ReloadableTls tls = ReloadableTls.fromPem(cert, key);
        X509ExtendedKeyManager km = tls.keyManager();
        String before = km.chooseServerAlias("RSA", null, null);
        PrivateKey oldKey = km.getPrivateKey(before);

        certificate("second.example", cert, key);
        tls.reload();
        String after = km.chooseServerAlias("RSA", null, null);

        assertThat(after).isNotEqualTo(before);
        assertThat(km.getCertificateChain(before)[0].getSubjectX500Principal().getName())
                .isEqualTo("CN=first.example");
        assertThat(km.getPrivateKey(before)).isEqualTo(oldKey);
        assertThat(km.getCertificateChain(after)[0].getSubjectX500Principal().getName())
                .isEqualTo("CN=second.example");
        assertThat(km.getPrivateKey(after)).isNotEqualTo(oldKey);
        assertThat(km.chooseServerAlias("EC", null, null)).isNull(); // an RSA pair is not offered for EC
    }

    @Test
    void handshakesDuringRepeatedReloadsAllSucceed() throws Exception {
        Path cert = dir.resolve("server.crt");
        Path key = dir.resolve("server.key");
        Path[] certs = {dir.resolve("a.crt"), dir.resolve("b.crt")};
        Path[] keys = {dir.resolve("a.key"), dir.resolve("b.key")};
        certificate("a.example", certs[0], keys[0]);
        certificate("b.example", certs[1], keys[1]);
        Files.copy(certs[0], cert);
        Files.copy(keys[0], key);
        ReloadableTls tls = ReloadableTls.fromPem(cert, key);
        SSLContext trustAll = SSLContext.getInstance("TLS");
        trustAll.init(null, new TrustManager[] {new TrustAll()}, null);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger reloads = new AtomicInteger();
        Thread reloader = new Thread(() -> {
            int i = 0;
            while (!stop.get()) {
                try {
                    // Both files of the pair are replaced together, so every reload presents a whole pair.
                    Path tmpCert = dir.resolve("next.crt");
                    Path tmpKey = dir.resolve("next.key");
                    Files.copy(certs[++i % 2], tmpCert, StandardCopyOption.REPLACE_EXISTING);
                    Files.copy(keys[i % 2], tmpKey, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(tmpCert, cert, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(tmpKey, key, StandardCopyOption.REPLACE_EXISTING);
                    tls.reload();
                    reloads.incrementAndGet();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
        });
        Set<String> seen = ConcurrentHashMap.newKeySet();
        try (SSLServerSocket server = (SSLServerSocket) tls.config()
                .context()
                .getServerSocketFactory()
                .createServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try (SSLSocket s = (SSLSocket) server.accept()) {
                        s.setSoTimeout(30_000);
                        s.startHandshake();
                        s.getOutputStream().write(1);
                        s.getOutputStream().flush();
                    } catch (IOException e) {
                        // a failed handshake shows on the client side
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            reloader.start();
            for (int n = 0; n < 30; n++) {
                try (SSLSocket c = (SSLSocket) trustAll.getSocketFactory()
                        .createSocket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                    c.setSoTimeout(30_000);
                    c.startHandshake(); // a chain and key from two pairs fails here (the signature does not verify)
                    seen.add(((X509Certificate) c.getSession().getPeerCertificates()[0])
                            .getSubjectX500Principal()
                            .getName());
                    assertThat(c.getInputStream().read()).isEqualTo(1);
                }
            }
        } finally {
            stop.set(true);
            reloader.join(60_000);
        }
        assertThat(reloads.get()).isPositive();
        assertThat(seen).isSubsetOf("CN=a.example", "CN=b.example");
    }

    /** Accepts any server certificate (the test checks the handshake's consistency, not the chain). */
    private static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
