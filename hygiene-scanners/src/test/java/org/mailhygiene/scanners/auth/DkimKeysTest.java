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
}
