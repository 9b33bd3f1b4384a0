package org.mailhygiene.testkit.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The private CA signs a certificate for localhost alone, and the chain is the server's then the CA's. */
class PrivateCaTest {
    @TempDir
    Path dir;

    @Test
    void theServerCertificateIsTheCasForLocalhostOnly() throws Exception {
        PrivateCa ca = PrivateCa.create(dir);
        X509Certificate root = load(ca.caCertificate()).get(0);
        X509Certificate server = load(ca.serverCertificate()).get(0);
        server.verify(root.getPublicKey());
        root.verify(root.getPublicKey());
        assertThat(root.getBasicConstraints()).isNotNegative();
        List<String> names = new java.util.ArrayList<>();
        for (List<?> entry : server.getSubjectAlternativeNames()) {
            names.add(String.valueOf(entry.get(1)));
        }
        assertThat(names).containsExactly("localhost");
        assertThat(load(ca.chain())).containsExactly(server, root);
        assertThat(Files.readString(ca.serverKey())).startsWith("-----BEGIN PRIVATE KEY-----");
    }

    @SuppressWarnings("unchecked")
    private static List<X509Certificate> load(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return (List<X509Certificate>) (List<?>)
                    List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(in));
        }
    }
}
