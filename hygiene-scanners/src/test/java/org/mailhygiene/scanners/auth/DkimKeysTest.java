package org.mailhygiene.scanners.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading signing keys: an RSA key under 1024 bits is refused, as the Javadoc and RFC 8301 say. */
class DkimKeysTest {
    @TempDir
    Path dir;

    @Test
    void anRsaKeyUnder1024BitsIsRefusedAndLargerOnesAndEd25519AreRead() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(512);
        Path small = dir.resolve("small.key");
        Files.writeString(small, DkimKeys.toPem(g.generateKeyPair().getPrivate()));
        // dkim-sign took it and passed --check; every verifier, ours included, refuses what it signs
        assertThatThrownBy(() -> DkimKeys.readPrivateKey(small))
                .isInstanceOf(GeneralSecurityException.class)
                .hasMessageContaining("at least 1024 bits")
                .hasMessageContaining("512");
        for (String alg : new String[] {"rsa", "ed25519"}) {
            PrivateKey k = DkimKeys.generate(alg, 1024).getPrivate();
            Path f = dir.resolve(alg + ".key");
            Files.writeString(f, DkimKeys.toPem(k));
            assertThat(DkimKeys.readPrivateKey(f)).isEqualTo(k);
        }
    }
    /**
     * A key file cut short (a copy still in progress when the node reloaded), a file that is no PEM, an encrypted key,
     * a public key and a missing file each say what is wrong: they said "not a PEM key: Last unit does not have enough
     * valid bits", "neither an RSA nor an Ed25519 PKCS#8 key" and "cannot read key file F: F" (audit, session 36, a
     * reload under load).
     */
    @Test
    void aBrokenKeyFileSaysWhatIsWrongWithIt() throws Exception {
        String pem = DkimKeys.toPem(DkimKeys.generate("rsa", 2048).getPrivate());
        assertThatThrownBy(() -> DkimKeys.parsePrivateKey(pem.substring(0, 800)))
                .hasMessageContaining("no '-----END PRIVATE KEY-----' line")
                .hasMessageContaining("cut short");
        assertThatThrownBy(() -> DkimKeys.parsePrivateKey("garbage\n"))
                .hasMessageContaining("no '-----BEGIN PRIVATE KEY-----' line");
        assertThatThrownBy(() -> DkimKeys.parsePrivateKey(
                        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"))
                .hasMessageContaining("encrypted");
        assertThatThrownBy(
                        () -> DkimKeys.parsePrivateKey("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))
                .hasMessageContaining("'PUBLIC KEY'")
                .hasMessageContaining("a DKIM signing key is");
        assertThatThrownBy(() ->
                        DkimKeys.parsePrivateKey("-----BEGIN PRIVATE KEY-----\nAA*A\n-----END PRIVATE KEY-----\n"))
                .hasMessageContaining("base64");
        Path missing = dir.resolve("missing.key");
        assertThatThrownBy(() -> DkimSigning.parseSigner("example.com:sel:missing.key", dir))
                .hasMessage("cannot read key file " + missing + ": no such file");
        Path der = dir.resolve("der.key");
        Files.write(der, DkimKeys.generate("rsa", 2048).getPrivate().getEncoded());
        assertThatThrownBy(() -> DkimSigning.parseSigner("example.com:sel:der.key", dir))
                .hasMessageContaining("not a text (PEM) file");
        // a key in a PEM file with text around it (openssl's comments) is still read
        assertThat(DkimKeys.parsePrivateKey("a comment\n" + pem + "more\n")).isNotNull();
    }
}
