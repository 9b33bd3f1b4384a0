package org.mailhygiene.scanners.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mailhygiene.testkit.dns.FakeDnsExtension;
import org.mailhygiene.testkit.dns.FakeDnsServer;

/**
 * A selector published as several TXT records (RFC 6376 3.6.2.2 lets a verifier try each): a record that does not fit
 * the signature (another key type, h= without sha256, s= without email, a revoked or unusable key, a malformed record)
 * is passed over for the next one, in either order. Until session 53 every one of those but the malformed record ended
 * the lookup with a permerror, so a domain publishing an Ed25519 and an RSA key under one selector failed DKIM for
 * whichever came second.
 */
@ExtendWith(FakeDnsExtension.class)
class DkimKeyRecordsTest {
    private static final String NAME = "two._domainkey.example.com";

    @Test
    void aRecordThatDoesNotFitIsPassedOverForTheNext(FakeDnsServer dns) throws Exception {
        KeyPair rsa = DkimKeys.generate("rsa", 2048);
        KeyPair ed = DkimKeys.generate("ed25519", 0);
        String good = "v=DKIM1; k=rsa; p=" + DkimKeys.publicKeyTag(rsa.getPublic());
        List<String> unfit = List.of(
                "v=DKIM1; k=ed25519; p=" + DkimKeys.publicKeyTag(ed.getPublic()),
                "v=DKIM1; k=rsa; h=sha1; p=" + DkimKeys.publicKeyTag(rsa.getPublic()),
                "v=DKIM1; k=rsa; s=tlsrpt; p=" + DkimKeys.publicKeyTag(rsa.getPublic()),
                "v=DKIM1; k=rsa; p=",
                "v=DKIM1; k=rsa; p=bm90IGEga2V5",
                "v=DKIM1; k=rsa; p=" + DkimKeys.publicKeyTag(rsa.getPublic()) + "; ;=");
        DkimSigner signer =
                DkimSigner.builder("example.com", "two", rsa.getPrivate()).build();
        byte[] msg = DkimInteropTest.MESSAGE.getBytes(StandardCharsets.ISO_8859_1);
        byte[] signed =
                (signer.sign(msg).raw() + "\r\n" + DkimInteropTest.MESSAGE).getBytes(StandardCharsets.ISO_8859_1);
        for (String other : unfit) {
            for (boolean otherFirst : List.of(true, false)) {
                dns.clear();
                if (otherFirst) {
                    dns.txt(NAME, other).txt(NAME, good);
                } else {
                    dns.txt(NAME, good).txt(NAME, other);
                }
                assertThat(DkimInteropTest.verify(dns, signed))
                        .singleElement()
                        .satisfies(r -> assertThat(r.status())
                                .as("%s %s: %s", other, otherFirst ? "first" : "second", r.reason())
                                .isEqualTo(AuthStatus.PASS));
            }
        }
        // none fits: a permerror that says why for each record
        dns.clear();
        dns.txt(NAME, unfit.get(0)).txt(NAME, unfit.get(3));
        assertThat(DkimInteropTest.verify(dns, signed)).singleElement().satisfies(r -> {
            assertThat(r.status()).isEqualTo(AuthStatus.PERMERROR);
            assertThat(r.reason())
                    .isEqualTo("key type k=ed25519 does not match a=rsa-sha256; key revoked (empty p=) at " + NAME);
        });
    }
    /**
     * A review (session 53): with every record tried, a permerror gave the reason of each record that did not fit,
     * however many the answer held; a domain's owner (or a sender's DNS) publishing dozens of records under a selector
     * made one reason of kilobytes, logged with each message and kept in its verdict. Now the first reasons and how
     * many more records there were.
     */
    @Test
    void aPermerrorNamesAFewRecordsAndCountsTheRest(FakeDnsServer dns) throws Exception {
        KeyPair rsa = DkimKeys.generate("rsa", 2048);
        DkimSigner signer =
                DkimSigner.builder("example.com", "two", rsa.getPrivate()).build();
        byte[] msg = DkimInteropTest.MESSAGE.getBytes(StandardCharsets.ISO_8859_1);
        byte[] signed =
                (signer.sign(msg).raw() + "\r\n" + DkimInteropTest.MESSAGE).getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < 12; i++) {
            dns.txt(NAME, "v=DKIM1; k=x" + i + "; p=a");
        }
        assertThat(DkimInteropTest.verify(dns, signed)).singleElement().satisfies(r -> {
            assertThat(r.status()).isEqualTo(AuthStatus.PERMERROR);
            assertThat(r.reason())
                    .isEqualTo("key type k=x0 does not match a=rsa-sha256; key type k=x1 does not match a=rsa-sha256;"
                            + " key type k=x2 does not match a=rsa-sha256; and 9 more records at " + NAME
                            + " that do not fit");
        });
        // a record's own text is abbreviated, as the signature's is
        dns.clear();
        dns.txt(NAME, "v=DKIM1; k=" + "x".repeat(300) + "; p=a");
        assertThat(DkimInteropTest.verify(dns, signed))
                .singleElement()
                .satisfies(r -> assertThat(r.reason())
                        .isEqualTo("key type k=" + "x".repeat(40) + "... does not match a=rsa-sha256"));
    }
}
