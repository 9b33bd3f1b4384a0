package org.mailhygiene.scanners.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.testkit.dns.FakeDnsExtension;
import org.mailhygiene.testkit.dns.FakeDnsServer;

/**
 * The signed example of RFC 8463 Appendix A (an ed25519-sha256 and an rsa-sha256 signature over the RFC 6376 example
 * message; (c) IETF Trust, code components under the Simplified BSD License), with its keys served from a zone file.
 */
@ExtendWith(FakeDnsExtension.class)
class Rfc8463ExampleTest {
    @TempDir
    Path dir;

    byte[] resource(String name) throws Exception {
        try (InputStream in = getClass().getResourceAsStream(name)) {
            return in.readAllBytes();
        }
    }

    void zone(FakeDnsServer dns) throws Exception {
        Path zone = dir.resolve("rfc8463.zone");
        Files.write(zone, resource("rfc8463-appendix-a.zone"));
        dns.load(zone);
    }

    @Test
    void bothSignaturesOfTheExampleVerify(FakeDnsServer dns) throws Exception {
        zone(dns);
        byte[] msg = resource("rfc8463-appendix-a.eml");
        assertThat(DkimInteropTest.verify(dns, msg)).hasSize(2).allSatisfy(r -> {
            assertThat(r.status()).as(r.reason()).isEqualTo(AuthStatus.PASS);
            assertThat(r.domain()).isEqualTo("football.example.com");
        });
        assertThat(DkimInteropTest.verify(dns, msg))
                .extracting(DkimResult::algorithm)
                .containsExactly("ed25519-sha256", "rsa-sha256");
    }

    @Test
    void theExampleFailsOnceChanged(FakeDnsServer dns) throws Exception {
        zone(dns);
        String msg = new String(resource("rfc8463-appendix-a.eml"), StandardCharsets.ISO_8859_1);
        byte[] body = msg.replace("We lost the game", "We won the game").getBytes(StandardCharsets.ISO_8859_1);
        assertThat(DkimInteropTest.verify(dns, body)).hasSize(2).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(AuthStatus.FAIL);
            assertThat(r.reason()).contains("body hash");
        });
        // an added second Subject: oversigned, so both signatures break
        byte[] header = msg.replace("Subject: Is dinner ready?\r\n", "Subject: Is dinner ready?\r\nSubject: Win!\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        assertThat(DkimInteropTest.verify(dns, header))
                .hasSize(2)
                .allSatisfy(r -> assertThat(r.status()).isEqualTo(AuthStatus.FAIL));
    }

    @Test
    void aMissingKeyIsAPermerrorAndAnUnreachableServerATemperror(FakeDnsServer dns) throws Exception {
        byte[] msg = resource("rfc8463-appendix-a.eml");
        assertThat(DkimInteropTest.verify(dns, msg))
                .allSatisfy(r -> assertThat(r.status()).isEqualTo(AuthStatus.PERMERROR));
        dns.fault("brisbane._domainkey.football.example.com", FakeDnsServer.Fault.SERVFAIL);
        assertThat(DkimInteropTest.verify(dns, msg).get(0).status()).isEqualTo(AuthStatus.TEMPERROR);
    }
}
