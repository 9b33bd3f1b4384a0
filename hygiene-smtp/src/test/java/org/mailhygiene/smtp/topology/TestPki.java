package org.mailhygiene.smtp.topology;

import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import org.mailhygiene.smtp.server.TlsConfig;
import org.mailhygiene.testkit.tls.PrivateCa;

/**
 * A private CA and a server certificate for {@code localhost} (DNS name only, no IP address entry), made with openssl
 * at run time ({@link PrivateCa}; skips without openssl, except under CI). Files: {@code ca.pem}, {@code chain.pem}
 * (server then CA), {@code srv.key} (unencrypted PKCS#8).
 *
 * @param dir where the files are
 */
record TestPki(Path dir) {

    static TestPki create(Path dir) throws Exception {
        return new TestPki(PrivateCa.create(dir).dir());
    }

    Path ca() {
        return new PrivateCa(dir).caCertificate();
    }

    Path chain() {
        return new PrivateCa(dir).chain();
    }

    Path key() {
        return new PrivateCa(dir).serverKey();
    }

    /** A server context presenting the chain. */
    SSLContext serverContext() throws Exception {
        return TlsConfig.fromPem(chain(), key()).context();
    }
}
