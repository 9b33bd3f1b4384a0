package org.mailhygiene.testkit.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.mailhygiene.testkit.junit.RealBinaries;

/**
 * A private certificate authority and one server certificate it signed, by default for {@code localhost} (a DNS name
 * only, no IP address entry: a client that reaches the server as {@code 127.0.0.1} and checks the host name must refuse
 * it; {@link #create(Path, List)} takes other names), made
 * with the installed {@code openssl} at run time: P-256 keys, valid for two days. {@link #create(Path)} skips the
 * calling
 * test without openssl, and fails it under CI ({@link RealBinaries#require}).
 *
 * <p>Files in {@link #dir()}: {@code ca.pem} (the CA's certificate), {@code srv.pem} (the server's certificate),
 * {@code chain.pem} (the server's certificate, then the CA's), {@code srv.key} (the server's key, unencrypted PKCS#8),
 * and the CA's key and openssl's working files.
 *
 * <p>Immutable; the files are the caller's (in a test's temporary directory).
 *
 * @param dir the directory holding the files
 */
public record PrivateCa(Path dir) {

    /**
     * Validates.
     *
     * @throws NullPointerException if {@code dir} is {@code null}
     */
    public PrivateCa {
        Objects.requireNonNull(dir, "dir");
    }

    /**
     * Makes the CA and the server certificate in {@code dir} (an existing directory), for {@code localhost} only.
     *
     * @param dir where the files go
     * @return the CA
     * @throws IOException if openssl fails (its output in the message) or a file cannot be written
     * @throws InterruptedException if interrupted while openssl runs
     * @throws org.opentest4j.TestAbortedException (skip) without openssl outside CI
     */
    public static PrivateCa create(Path dir) throws IOException, InterruptedException {
        return create(dir, List.of("DNS:localhost"));
    }

    /**
     * Makes the CA and a server certificate for the given names in {@code dir} (an existing directory). Servers that
     * others name by address (Sentinels report a master's IP address, cluster nodes their own) need an address entry:
     * {@code List.of("DNS:localhost", "IP:127.0.0.1")}.
     *
     * @param dir where the files go
     * @param subjectAltNames the certificate's subject alternative names, in openssl's form ({@code DNS:NAME},
     *     {@code IP:ADDRESS}); at least one
     * @return the CA
     * @throws IOException if openssl fails (its output in the message) or a file cannot be written
     * @throws InterruptedException if interrupted while openssl runs
     * @throws IllegalArgumentException if no name is given
     * @throws org.opentest4j.TestAbortedException (skip) without openssl outside CI
     */
    public static PrivateCa create(Path dir, List<String> subjectAltNames) throws IOException, InterruptedException {
        if (subjectAltNames.isEmpty()) {
            throw new IllegalArgumentException("no subject alternative name");
        }
        Path openssl = RealBinaries.require("openssl", "openssl");
        Files.writeString(dir.resolve("ext.cnf"), "subjectAltName = " + String.join(", ", subjectAltNames) + "\n");
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
        return new PrivateCa(dir);
    }

    /**
     * The CA's certificate, PEM: what a client trusts.
     *
     * @return {@code dir/ca.pem}
     */
    public Path caCertificate() {
        return dir.resolve("ca.pem");
    }

    /**
     * The server's certificate alone, PEM.
     *
     * @return {@code dir/srv.pem}
     */
    public Path serverCertificate() {
        return dir.resolve("srv.pem");
    }

    /**
     * The server's certificate followed by the CA's, PEM: what a server presents.
     *
     * @return {@code dir/chain.pem}
     */
    public Path chain() {
        return dir.resolve("chain.pem");
    }

    /**
     * The server's private key, unencrypted PKCS#8 PEM.
     *
     * @return {@code dir/srv.key}
     */
    public Path serverKey() {
        return dir.resolve("srv.key");
    }

    private static void run(Path dir, Path openssl, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(openssl.toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " did not finish in 120 s");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed with exit " + p.exitValue() + ":\n" + out);
        }
    }
}
