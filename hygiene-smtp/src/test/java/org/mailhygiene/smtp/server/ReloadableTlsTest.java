package org.mailhygiene.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
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
}
