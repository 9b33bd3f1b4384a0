package org.mailhygiene.scanners.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.scanners.auth.dns.StubResolver;
import org.mailhygiene.testkit.dns.FakeDnsExtension;
import org.mailhygiene.testkit.dns.FakeDnsServer;
import org.mailhygiene.testkit.junit.RealBinaries;

/**
 * DKIM against an independent implementation, Debian's dkimpy: what it signs we verify (and reject once tampered
 * with), what we sign it verifies. Keys are published on a {@link FakeDnsServer}.
 */
@ExtendWith(FakeDnsExtension.class)
class DkimInteropTest {
    static final String MESSAGE = "From: Alice <alice@example.com>\r\n"
            + "To: bob@example.net\r\n"
            + "Subject: Interop test\r\n"
            + "Date: Wed, 2 Dec 2026 06:00:00 +0000\r\n"
            + "Message-ID: <interop-1@example.com>\r\n"
            + "\r\n"
            + "Hello Bob,\r\n"
            + "  with  some   spaces \t\r\n"
            + "\r\n"
            + "and trailing empty lines.\r\n"
            + "\r\n"
            + "\r\n";

    @TempDir
    Path dir;

    static Path python() {
        Path p = RealBinaries.require("python3", "python3");
        Path debian = Path.of("/usr/bin/python3");
        return Files.isExecutable(debian) ? debian : p;
    }

    static void requireDkimpy() throws Exception {
        Path py = python();
        Process proc = new ProcessBuilder(py.toString(), "-c", "import dkim, nacl")
                .redirectErrorStream(true)
                .start();
        proc.getInputStream().readAllBytes();
        if (!proc.waitFor(60, TimeUnit.SECONDS) || proc.exitValue() != 0) {
            RealBinaries.require("dkimpy-module-missing", "python3-dkim python3-nacl");
        }
    }

    String dkimpy(byte[] stdin, String... args) throws Exception {
        Path script = dir.resolve("dkimpy_tool.py");
        if (!Files.exists(script)) {
            try (InputStream in = getClass().getResourceAsStream("dkimpy_tool.py")) {
                Files.write(script, in.readAllBytes());
            }
        }
        List<String> cmd = new ArrayList<>(List.of(python().toString(), script.toString()));
        cmd.addAll(List.of(args));
        Process proc = new ProcessBuilder(cmd)
                .redirectError(dir.resolve("stderr.txt").toFile())
                .start();
        proc.getOutputStream().write(stdin);
        proc.getOutputStream().close();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        assertThat(proc.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(proc.exitValue())
                .as("dkimpy failed: %s", Files.readString(dir.resolve("stderr.txt")))
                .isZero();
        return out;
    }

    static List<DkimResult> verify(FakeDnsServer dns, byte[] message) throws IOException {
        StubResolver resolver = StubResolver.builder()
                .server(dns.address())
                .timeout(Duration.ofSeconds(5))
                .build();
        try (InputStream in = new ByteArrayInputStream(message)) {
            HeaderSection h = HeaderSection.read(in, 1 << 20);
            return new DkimVerifier(resolver, Clock.systemUTC()).verify(h, in);
        }
    }

    static byte[] pkcs1(PrivateKey rsa) {
        byte[] der = rsa.getEncoded();
        // PKCS#8: SEQUENCE { INTEGER 0, AlgorithmIdentifier, OCTET STRING { RSAPrivateKey } }
        int p = 2 + ((der[1] & 0x80) != 0 ? der[1] & 0x7f : 0);
        p += 3; // INTEGER 0
        p += 2 + (der[p + 1] & 0xff); // AlgorithmIdentifier
        assertThat(der[p]).isEqualTo((byte) 0x04);
        int lenBytes = (der[p + 1] & 0x80) != 0 ? der[p + 1] & 0x7f : 0;
        int start = p + 2 + lenBytes;
        byte[] out = new byte[der.length - start];
        System.arraycopy(der, start, out, 0, out.length);
        return out;
    }

    @Test
    void weVerifyWhatDkimpySignsAndRejectTampering(FakeDnsServer dns) throws Exception {
        requireDkimpy();
        KeyPair kp = DkimKeys.generate("rsa", 2048);
        Path key = dir.resolve("rsa.pem");
        Files.writeString(
                key,
                "-----BEGIN RSA PRIVATE KEY-----\n"
                        + Base64.getMimeEncoder().encodeToString(pkcs1(kp.getPrivate()))
                        + "\n-----END RSA PRIVATE KEY-----\n");
        dns.txt("py._domainkey.example.com", "v=DKIM1; k=rsa; p=" + DkimKeys.publicKeyTag(kp.getPublic()));
        for (String canon : List.of("relaxed/relaxed", "simple/simple", "relaxed/simple", "simple/relaxed")) {
            byte[] msg = MESSAGE.getBytes(StandardCharsets.ISO_8859_1);
            String sig = dkimpy(msg, "sign", key.toString(), "py", "example.com", "rsa-sha256", canon);
            byte[] signed = (sig + new String(msg, StandardCharsets.ISO_8859_1)).getBytes(StandardCharsets.ISO_8859_1);
            assertThat(verify(dns, signed)).as(canon).singleElement().satisfies(r -> {
                assertThat(r.status()).isEqualTo(AuthStatus.PASS);
                assertThat(r.domain()).isEqualTo("example.com");
            });
            String s = new String(signed, StandardCharsets.ISO_8859_1);
            byte[] bodyChanged = s.replace("Hello Bob", "Hello Eve").getBytes(StandardCharsets.ISO_8859_1);
            assertThat(verify(dns, bodyChanged))
                    .singleElement()
                    .satisfies(r -> assertThat(r.status()).isEqualTo(AuthStatus.FAIL));
            byte[] subjectChanged =
                    s.replace("Subject: Interop", "Subject: [SPAM] Interop").getBytes(StandardCharsets.ISO_8859_1);
            assertThat(verify(dns, subjectChanged))
                    .singleElement()
                    .satisfies(r -> assertThat(r.reason()).contains("signature did not verify"));
        }
    }

    @Test
    void weVerifyDkimpyEd25519AndLengthLimitedSignatures(FakeDnsServer dns) throws Exception {
        requireDkimpy();
        byte[] seed = new byte[32];
        new java.security.SecureRandom().nextBytes(seed);
        PrivateKey priv = DkimKeys.ed25519FromSeed(seed);
        Path key = dir.resolve("ed.key");
        Files.writeString(key, Base64.getEncoder().encodeToString(seed));
        // dkimpy takes the seed; the JDK derives the public key only when generating, so generate from the seed
        java.security.KeyPair pair = edPairFromSeed(priv, seed);
        dns.txt("ed._domainkey.example.com", "v=DKIM1; k=ed25519; p=" + DkimKeys.publicKeyTag(pair.getPublic()));
        byte[] msg = MESSAGE.getBytes(StandardCharsets.ISO_8859_1);
        String sig = dkimpy(msg, "sign", key.toString(), "ed", "example.com", "ed25519-sha256", "relaxed/relaxed");
        byte[] signed = (sig + MESSAGE).getBytes(StandardCharsets.ISO_8859_1);
        assertThat(verify(dns, signed))
                .singleElement()
                .satisfies(r -> assertThat(r.status()).as(r.reason()).isEqualTo(AuthStatus.PASS));

        KeyPair rsa = DkimKeys.generate("rsa", 1024);
        Path rsaKey = dir.resolve("rsa.pem");
        Files.writeString(
                rsaKey,
                "-----BEGIN RSA PRIVATE KEY-----\n"
                        + Base64.getMimeEncoder().encodeToString(pkcs1(rsa.getPrivate()))
                        + "\n-----END RSA PRIVATE KEY-----\n");
        dns.txt("len._domainkey.example.com", "v=DKIM1; p=" + DkimKeys.publicKeyTag(rsa.getPublic()));
        String lsig =
                dkimpy(msg, "sign", rsaKey.toString(), "len", "example.com", "rsa-sha256", "relaxed/simple", "length");
        byte[] appended =
                (lsig + MESSAGE + "Click http://phish.example/ now\r\n").getBytes(StandardCharsets.ISO_8859_1);
        assertThat(verify(dns, appended)).singleElement().satisfies(r -> {
            assertThat(r.status()).isEqualTo(AuthStatus.POLICY);
            // the two empty lines that ended the signed body are now inside it, plus the appended line
            assertThat(r.unsignedBodyBytes()).isEqualTo(4 + "Click http://phish.example/ now\r\n".length());
        });
        assertThat(verify(dns, (lsig + MESSAGE).getBytes(StandardCharsets.ISO_8859_1)))
                .singleElement()
                .satisfies(r -> assertThat(r.status()).isEqualTo(AuthStatus.PASS));
    }

    /** The key pair of an Ed25519 seed: the JDK's generator takes its 32 seed bytes from the SecureRandom given. */
    static KeyPair edPairFromSeed(PrivateKey priv, byte[] seed) throws Exception {
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("Ed25519");
        g.initialize(255, new FixedRandom(seed));
        KeyPair kp = g.generateKeyPair();
        assertThat(kp.getPrivate().getEncoded()).isEqualTo(priv.getEncoded());
        return kp;
    }

    /** A SecureRandom that returns the given bytes once. */
    static final class FixedRandom extends java.security.SecureRandom {
        private static final long serialVersionUID = 1L;
        private final byte[] bytes;

        FixedRandom(byte[] bytes) {
            this.bytes = bytes.clone();
        }

        @Override
        public void nextBytes(byte[] out) {
            System.arraycopy(bytes, 0, out, 0, out.length);
        }
    }

    @Test
    void dkimpyVerifiesWhatWeSign(FakeDnsServer dns) throws Exception {
        requireDkimpy();
        for (String type : List.of("rsa", "ed25519")) {
            KeyPair kp = DkimKeys.generate(type, 2048);
            Path txt = dir.resolve(type + ".txt");
            Files.writeString(txt, "v=DKIM1; k=" + type + "; p=" + DkimKeys.publicKeyTag(kp.getPublic()));
            for (Canonicalization hc : Canonicalization.values()) {
                for (Canonicalization bc : Canonicalization.values()) {
                    DkimSigner signer = DkimSigner.builder("example.com", "java", kp.getPrivate())
                            .canonicalization(hc, bc)
                            .build();
                    byte[] msg = MESSAGE.getBytes(StandardCharsets.ISO_8859_1);
                    HeaderField f = signer.sign(msg);
                    byte[] signed = (f.raw() + "\r\n" + MESSAGE).getBytes(StandardCharsets.ISO_8859_1);
                    assertThat(dkimpy(signed, "verify", txt.toString()).strip())
                            .as(type + " " + hc + "/" + bc)
                            .isEqualTo("pass");
                    dns.txt("java._domainkey.example.com", Files.readString(txt));
                    assertThat(verify(dns, signed))
                            .singleElement()
                            .satisfies(r -> assertThat(r.status()).isEqualTo(AuthStatus.PASS));
                    dns.clear();
                    byte[] tampered =
                            (f.raw() + "\r\n" + MESSAGE.replace("Bob", "Eve")).getBytes(StandardCharsets.ISO_8859_1);
                    assertThat(dkimpy(tampered, "verify", txt.toString()).strip())
                            .isEqualTo("fail");
                }
            }
        }
    }
}
