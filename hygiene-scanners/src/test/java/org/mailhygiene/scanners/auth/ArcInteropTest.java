package org.mailhygiene.scanners.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.scanners.auth.dns.StubResolver;
import org.mailhygiene.testkit.dns.FakeDnsExtension;
import org.mailhygiene.testkit.dns.FakeDnsServer;
import org.mailhygiene.testkit.junit.RealBinaries;

/**
 * ARC against an independent implementation, Debian's dkimpy ({@code dkim.arc_sign}, {@code dkim.arc_verify}): it
 * verifies our seals (first and second instance), we verify its seals, and each seals on top of the other's chain.
 * Our keys are served by a {@link FakeDnsServer}; dkimpy reads the same records from a file through its
 * {@code dnsfunc}.
 */
@ExtendWith(FakeDnsExtension.class)
class ArcInteropTest {
    static final String MESSAGE = DkimInteropTest.MESSAGE;

    @TempDir
    Path dir;

    FakeDnsServer dns;
    StubResolver resolver;
    KeyPair ours;
    KeyPair theirs;
    Path theirKey;
    Path zone;

    @BeforeEach
    void setUp(FakeDnsServer dns) throws Exception {
        requireDkimpyArc();
        this.dns = dns;
        ours = DkimKeys.generate("rsa", 2048);
        theirs = DkimKeys.generate("rsa", 2048);
        theirKey = dir.resolve("theirs.pem");
        Files.writeString(
                theirKey,
                "-----BEGIN RSA PRIVATE KEY-----\n"
                        + Base64.getMimeEncoder().encodeToString(DkimInteropTest.pkcs1(theirs.getPrivate()))
                        + "\n-----END RSA PRIVATE KEY-----\n");
        String ourTxt = "v=DKIM1; k=rsa; p=" + DkimKeys.publicKeyTag(ours.getPublic());
        String theirTxt = "v=DKIM1; k=rsa; p=" + DkimKeys.publicKeyTag(theirs.getPublic());
        dns.txt("java._domainkey.gw.example.org", ourTxt);
        dns.txt("py._domainkey.list.example.net", theirTxt);
        zone = dir.resolve("zone.txt");
        Files.writeString(
                zone,
                "java._domainkey.gw.example.org\t" + ourTxt + "\npy._domainkey.list.example.net\t" + theirTxt + "\n");
        resolver = StubResolver.builder()
                .server(dns.address())
                .timeout(Duration.ofSeconds(5))
                .build();
    }

    static void requireDkimpyArc() throws Exception {
        DkimInteropTest.requireDkimpy();
        Process proc = new ProcessBuilder(DkimInteropTest.python().toString(), "-c", "import authres")
                .redirectErrorStream(true)
                .start();
        proc.getInputStream().readAllBytes();
        if (!proc.waitFor(60, TimeUnit.SECONDS) || proc.exitValue() != 0) {
            // dkimpy's arc_sign parses Authentication-Results with the authres module
            RealBinaries.require("authres-module-missing", "python3-authres");
        }
    }

    String dkimpy(byte[] stdin, String... args) throws Exception {
        Path script = dir.resolve("dkimpy_tool.py");
        if (!Files.exists(script)) {
            try (InputStream in = getClass().getResourceAsStream("dkimpy_tool.py")) {
                Files.write(script, in.readAllBytes());
            }
        }
        List<String> cmd = new ArrayList<>(List.of(DkimInteropTest.python().toString(), script.toString()));
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

    /** dkimpy's verdict on a chain: pass, fail or none, then its reason. */
    String[] theyVerify(byte[] message) throws Exception {
        return dkimpy(message, "arc-verify", zone.toString()).strip().split("\n", 2);
    }

    byte[] weSeal(byte[] message, String ar, AuthStatus chain) throws Exception {
        ArcSealer sealer =
                ArcSealer.builder("gw.example.org", "java", ours.getPrivate()).build();
        try (InputStream in = new ByteArrayInputStream(message)) {
            ArcSealer.Sealing s = sealer.seal(in, ar, chain);
            return ArcSealerTest.sealed(s, message);
        }
    }

    byte[] theySeal(byte[] message, String ar) throws Exception {
        byte[] withAr = ArcSealerTest.bytes("Authentication-Results: " + ar + "\r\n" + ArcSealerTest.text(message));
        String set = dkimpy(withAr, "arc-sign", theirKey.toString(), "py", "list.example.net", "mx.list.example.net");
        assertThat(set).as("dkimpy sealed nothing").contains("ARC-Seal:");
        return ArcSealerTest.bytes(set + ArcSealerTest.text(withAr));
    }

    @Test
    void dkimpyVerifiesOurFirstAndSecondSeal() throws Exception {
        byte[] msg = ArcSealerTest.bytes(MESSAGE);
        byte[] first =
                weSeal(msg, "gw.example.org; spf=pass smtp.mailfrom=alice@example.com; arc=none", AuthStatus.NONE);
        assertThat(theyVerify(first)[0]).as(String.join(" ", theyVerify(first))).isEqualTo("pass");
        byte[] tagged =
                ArcSealerTest.bytes(ArcSealerTest.text(first).replace("Subject: Interop", "Subject: [SPAM] Interop"));
        assertThat(theyVerify(tagged)[0]).isEqualTo("fail");
        byte[] second = weSeal(
                tagged,
                "gw.example.org; arc=pass",
                ArcSealerTest.verify(resolver, first).status());
        assertThat(theyVerify(second)[0])
                .as(String.join(" ", theyVerify(second)))
                .isEqualTo("pass");
        assertThat(ArcSealerTest.verify(resolver, second).status()).isEqualTo(AuthStatus.PASS);
        // and a tampered body fails for dkimpy too
        byte[] tampered = ArcSealerTest.bytes(ArcSealerTest.text(second).replace("Hello Bob", "Hello Eve"));
        assertThat(theyVerify(tampered)[0]).isEqualTo("fail");
    }

    @Test
    void weVerifyDkimpySealsAndRejectTampering() throws Exception {
        byte[] sealed =
                theySeal(ArcSealerTest.bytes(MESSAGE), "mx.list.example.net; spf=pass smtp.mailfrom=alice@example.com");
        assertThat(ArcSealerTest.text(sealed)).contains("cv=none");
        ArcResult r = ArcSealerTest.verify(resolver, sealed);
        assertThat(r.status()).as(r.reason()).isEqualTo(AuthStatus.PASS);
        assertThat(r.instances()).isEqualTo(1);
        byte[] tampered = ArcSealerTest.bytes(ArcSealerTest.text(sealed).replace("Hello Bob", "Hello Eve"));
        assertThat(ArcSealerTest.verify(resolver, tampered).status()).isEqualTo(AuthStatus.FAIL);
    }

    @Test
    void weSealOnTopOfADkimpyChainAndBothAccept() throws Exception {
        byte[] theirChain = theySeal(ArcSealerTest.bytes(MESSAGE), "mx.list.example.net; spf=pass smtp.mailfrom=a@b.c");
        ArcResult incoming = ArcSealerTest.verify(resolver, theirChain);
        assertThat(incoming.status()).isEqualTo(AuthStatus.PASS);
        byte[] tagged = ArcSealerTest.bytes(
                ArcSealerTest.text(theirChain).replace("Subject: Interop", "Subject: [SPAM] Interop"));
        byte[] ours2 = weSeal(tagged, "gw.example.org; arc=pass", incoming.status());
        assertThat(ArcSealerTest.text(ours2)).contains("ARC-Seal: i=2; a=rsa-sha256; cv=pass");
        ArcResult r = ArcSealerTest.verify(resolver, ours2);
        assertThat(r.status()).as(r.reason()).isEqualTo(AuthStatus.PASS);
        assertThat(r.instances()).isEqualTo(2);
        assertThat(theyVerify(ours2)[0]).as(String.join(" ", theyVerify(ours2))).isEqualTo("pass");
        // a broken dkimpy chain gets our cv=fail, which dkimpy reads as the end of the chain
        byte[] broken = ArcSealerTest.bytes(ArcSealerTest.text(theirChain).replace("Hello Bob", "Hello Eve"));
        ArcResult brokenResult = ArcSealerTest.verify(resolver, broken);
        assertThat(brokenResult.status()).isEqualTo(AuthStatus.FAIL);
        byte[] failed = weSeal(broken, "gw.example.org; arc=fail", brokenResult.status());
        assertThat(ArcSealerTest.text(failed)).contains("cv=fail");
        assertThat(theyVerify(failed)[0]).isEqualTo("fail");
    }

    @Test
    void dkimpySealsOnTopOfOurChainAndWeAccept() throws Exception {
        byte[] first =
                weSeal(ArcSealerTest.bytes(MESSAGE), "gw.example.org; spf=pass smtp.mailfrom=a@b.c", AuthStatus.NONE);
        byte[] second = theySeal(first, "mx.list.example.net; arc=pass");
        assertThat(ArcSealerTest.text(second)).contains("i=2");
        ArcResult r = ArcSealerTest.verify(resolver, second);
        assertThat(r.status()).as(r.reason()).isEqualTo(AuthStatus.PASS);
        assertThat(r.instances()).isEqualTo(2);
    }
}
