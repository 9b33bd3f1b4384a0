package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.PrivateKey;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.scanners.auth.DkimKeys;
import org.mailhygiene.scanners.auth.DkimSigner;
import org.mailhygiene.testkit.dns.FakeDnsExtension;
import org.mailhygiene.testkit.dns.FakeDnsServer;

/** {@code hygiene dkim keygen} and {@code hygiene scan --auth} as the docs show them. */
@ExtendWith(FakeDnsExtension.class)
class AuthCommandsTest {
    @TempDir
    Path dir;

    static final String MESSAGE = "From: Alice <alice@example.com>\r\n"
            + "To: bob@example.net\r\n"
            + "Subject: Hello\r\n"
            + "Date: Wed, 2 Dec 2026 06:00:00 +0000\r\n"
            + "\r\n"
            + "Hi Bob.\r\n";

    @Test
    void keygenWritesAPrivateKeyAndPrintsTheRecordAndScanVerifiesWithIt(FakeDnsServer dns) throws Exception {
        Path key = dir.resolve("example.com.key");
        Run gen = Run.main("dkim", "keygen", "--domain", "example.com", "--selector", "sel1", "--key", key.toString());
        assertThat(gen.status()).as(gen.err()).isZero();
        assertThat(gen.out()).startsWith("sel1._domainkey.example.com. IN TXT ( \"v=DKIM1; k=rsa; p=");
        assertThat(Files.getPosixFilePermissions(key))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        assertThat(Run.main("dkim", "keygen", "--domain", "example.com", "--selector", "sel1", "--key", key.toString())
                        .status())
                .isEqualTo(2);
        // publish the printed record: the quoted strings joined
        StringBuilder record = new StringBuilder();
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("\"([^\"]*)\"").matcher(gen.out());
        while (m.find()) {
            record.append(m.group(1));
        }
        dns.txt("sel1._domainkey.example.com", record.toString());
        dns.txt("example.com", "v=spf1 ip4:192.0.2.0/24 -all");
        dns.txt("_dmarc.example.com", "v=DMARC1; p=reject");
        PrivateKey pk = DkimKeys.readPrivateKey(key);
        String signed = DkimSigner.builder("example.com", "sel1", pk)
                        .build()
                        .sign(MESSAGE.getBytes(StandardCharsets.ISO_8859_1))
                        .raw()
                + "\r\n" + MESSAGE;
        Path eml = dir.resolve("signed.eml");
        Files.writeString(eml, signed, StandardCharsets.ISO_8859_1);
        Run scan = Run.main(
                "scan",
                "--auth",
                "--dns",
                dns.hostPort(),
                "--client-ip",
                "192.0.2.10",
                "--helo",
                "mta.example.com",
                "--mail-from",
                "bounce@example.com",
                "--json",
                eml.toString());
        assertThat(scan.status()).as(scan.out() + scan.err()).isZero();
        assertThat(scan.out()).contains("SPF_PASS").contains("DKIM_PASS").contains("DMARC_PASS");

        Path forged = dir.resolve("forged.eml");
        Files.writeString(forged, MESSAGE, StandardCharsets.ISO_8859_1);
        Run bad = Run.main("scan", "--auth", "--dns", dns.hostPort(), "--client-ip", "198.51.100.1", forged.toString());
        assertThat(bad.status()).isEqualTo(1);
        assertThat(bad.out()).contains("SUSPICIOUS").contains("DMARC_REJECT");
    }

    @Test
    void badOptionValuesAreUsageErrors() {
        assertThat(Run.main("scan", "--auth", "--dns", "nowhere", "x.eml").status())
                .isEqualTo(2);
        assertThat(Run.main("scan", "--auth", "--client-ip", "host.example", "x.eml")
                        .status())
                .isEqualTo(2);
        assertThat(Run.main("dkim", "keygen", "--domain", "example.com").status())
                .isEqualTo(2);
    }

    /**
     * An audit (session 53): a bad {@code --type} or {@code --bits} was refused in the key library's words, "unknown
     * key type dsa (rsa or ed25519)" and "RSA keys need at least 1024 bits", naming neither flag. Each now names its
     * flag and the value given, and no key file is written.
     */
    @Test
    void aBadKeyTypeOrSizeNamesItsFlag() {
        Path key = dir.resolve("k.pem");
        for (List<String> bad : List.of(
                List.of("--type", "dsa", "hygiene dkim: --type: unknown key type dsa (rsa or ed25519)"),
                List.of(
                        "--bits",
                        "512",
                        "hygiene dkim: --bits: RSA keys need at least 1024 bits (RFC 8301), was 512"))) {
            Run r = Run.main(
                    "dkim",
                    "keygen",
                    "--domain",
                    "example.com",
                    "--selector",
                    "s1",
                    "--key",
                    key.toString(),
                    bad.get(0),
                    bad.get(1));
            assertThat(r.status()).as(bad.get(0)).isEqualTo(2);
            assertThat(r.err()).startsWith(bad.get(2));
        }
        assertThat(key).doesNotExist();
    }

    /** A key file in a directory that does not exist: "cannot write FILE: FILE" (the exception's message is the name). */
    @Test
    void aKeyThatCannotBeWrittenIsSaidWhyInWords() {
        Path key = dir.resolve("missing/k.pem");
        Run r = Run.main("dkim", "keygen", "--domain", "example.com", "--selector", "s1", "--key", key.toString());
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("hygiene dkim: cannot write " + key + ": no such file\n");
    }

    /**
     * An internationalised domain's key record goes in DNS under its A-labels: keygen refused {@code bücher.example} as
     * "not a domain name" (audit, session 38).
     */
    @Test
    void keygenPrintsTheRecordOfAnInternationalisedDomainUnderItsALabels() throws Exception {
        Path key = dir.resolve("idn.key");
        Run gen = Run.main(
                "dkim", "keygen", "--domain", "B\u00fccher.example", "--selector", "sel1", "--key", key.toString());
        assertThat(gen.status()).as(gen.err()).isZero();
        assertThat(gen.out()).startsWith("sel1._domainkey.xn--bcher-kva.example. IN TXT ( \"v=DKIM1; k=rsa; p=");
    }
}
