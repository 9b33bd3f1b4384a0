package org.mailhygiene.smtp.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.mailhygiene.testkit.junit.RealBinaries;

/** A keytool-made self-signed certificate for localhost, made once per JVM (keytool takes about 1.5 s). */
final class TestCertificates {
    static final char[] PASSWORD = "changeit".toCharArray();
    private static Path keyStore;

    private TestCertificates() {}

    static synchronized Path keyStore() throws IOException, InterruptedException {
        if (keyStore == null) {
            Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
            if (!Files.isExecutable(keytool)) {
                keytool = RealBinaries.require("keytool", "openjdk-17-jdk-headless");
            }
            Path dir = Files.createTempDirectory("smtp-tls-");
            dir.toFile().deleteOnExit();
            Path ks = dir.resolve("server.p12");
            Processes.Result r = Processes.run(
                    List.of(
                            keytool.toString(),
                            "-genkeypair",
                            "-alias",
                            "server",
                            "-keyalg",
                            "EC",
                            "-groupname",
                            "secp256r1",
                            "-dname",
                            "CN=localhost",
                            "-ext",
                            "SAN=dns:localhost,ip:127.0.0.1",
                            "-validity",
                            "2",
                            "-storetype",
                            "PKCS12",
                            "-keystore",
                            ks.toString(),
                            "-storepass",
                            new String(PASSWORD),
                            "-keypass",
                            new String(PASSWORD)),
                    Duration.ofSeconds(60));
            if (r.exit() != 0) {
                throw new IOException("keytool failed: " + r.output());
            }
            ks.toFile().deleteOnExit();
            keyStore = ks;
        }
        return keyStore;
    }

    /** A client context that trusts any certificate: tests only. */
    static SSLContext trustAllClient() throws Exception {
        TrustManager tm = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {tm}, new SecureRandom());
        return ctx;
    }
}
