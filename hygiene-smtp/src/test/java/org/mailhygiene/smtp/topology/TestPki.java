package org.mailhygiene.smtp.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.mailhygiene.smtp.server.TlsConfig;
import org.mailhygiene.testkit.junit.RealBinaries;

/**
 * A private CA and a server certificate for {@code localhost} (DNS name only, no IP address entry), made with openssl
 * at run time (skips without openssl, except under CI). Files: {@code ca.pem}, {@code chain.pem} (server then CA),
 * {@code srv.key} (unencrypted PKCS#8).
 *
 * @param dir where the files are
 */
record TestPki(Path dir) {

    static TestPki create(Path dir) throws Exception {
        Path openssl = RealBinaries.require("openssl", "openssl");
        Files.writeString(dir.resolve("ext.cnf"), "subjectAltName = DNS:localhost\n");
        run(
                dir,
                openssl,
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-subj",
                "/CN=Test CA",
                "-days",
                "2",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign");
        run(
                dir,
                openssl,
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "srv.key",
                "-out",
                "srv.csr",
                "-subj",
                "/CN=localhost");
        run(
                dir,
                openssl,
                "x509",
                "-req",
                "-in",
                "srv.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "srv.pem",
                "-days",
                "2",
                "-extfile",
                "ext.cnf");
        Files.writeString(
                dir.resolve("chain.pem"),
                Files.readString(dir.resolve("srv.pem")) + Files.readString(dir.resolve("ca.pem")));
        return new TestPki(dir);
    }

    Path ca() {
        return dir.resolve("ca.pem");
    }

    Path chain() {
        return dir.resolve("chain.pem");
    }

    Path key() {
        return dir.resolve("srv.key");
    }

    /** A server context presenting the chain. */
    SSLContext serverContext() throws Exception {
        return TlsConfig.fromPem(chain(), key()).context();
    }

    private static void run(Path dir, Path program, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(program.toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("openssl finished").isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + "\n" + out).isZero();
    }
}
