package org.mailhygiene.scanners.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.scanners.auth.dns.DnsResolver;
import org.mailhygiene.scanners.auth.dns.StubResolver;
import org.mailhygiene.testkit.dns.FakeDnsExtension;
import org.mailhygiene.testkit.dns.FakeDnsServer;

/**
 * ARC sealing checked by our own {@link ArcVerifier}: a first seal, a seal on top of a valid chain, a {@code cv=fail}
 * seal on a broken chain (covering only its own set), and no seal where the RFC says the chain is over.
 */
@ExtendWith(FakeDnsExtension.class)
class ArcSealerTest {
    static final String MESSAGE = DkimInteropTest.MESSAGE;
    static final String AR = "gw.example.org; spf=pass smtp.mailfrom=alice@example.com; dkim=none; arc=none";

    FakeDnsServer dns;
    DnsResolver resolver;
    KeyPair rsa;
    KeyPair ed;

    @BeforeEach
    void keys(FakeDnsServer dns) throws GeneralSecurityException {
        this.dns = dns;
        rsa = DkimKeys.generate("rsa", 2048);
        ed = DkimKeys.generate("ed25519", 0);
        dns.txt("arc._domainkey.example.org", "v=DKIM1; k=rsa; p=" + DkimKeys.publicKeyTag(rsa.getPublic()));
        dns.txt("arced._domainkey.example.org", "v=DKIM1; k=ed25519; p=" + DkimKeys.publicKeyTag(ed.getPublic()));
        dns.txt("hop2._domainkey.example.net", "v=DKIM1; k=rsa; p=" + DkimKeys.publicKeyTag(rsa.getPublic()));
        resolver = StubResolver.builder()
                .server(dns.address())
                .timeout(Duration.ofSeconds(5))
                .build();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    static ArcResult verify(DnsResolver dns, byte[] message) throws IOException {
        try (InputStream in = new ByteArrayInputStream(message)) {
            HeaderSection h = HeaderSection.read(in, 1 << 20);
            DkimVerifier.Bodies bodies = new DkimVerifier.Bodies();
            ArcVerifier v = new ArcVerifier(dns, new DkimVerifier(dns, Clock.systemUTC()));
            ArcVerifier.Prepared p = v.prepare(h, bodies);
            if (!bodies.isEmpty()) {
                bodies.consume(in);
            }
            return v.finish(h, p, bodies);
        }
    }

    static ArcSealer.Sealing seal(ArcSealer sealer, byte[] message, String ar, AuthStatus chain) throws Exception {
        try (InputStream in = new ByteArrayInputStream(message)) {
            return sealer.seal(in, ar, chain);
        }
    }

    static byte[] sealed(ArcSealer.Sealing s, byte[] message) {
        assertThat(s.set()).as(s.reason()).isPresent();
        return bytes(text(s.set().get().bytes()) + text(message));
    }

    ArcSealer sealer(String domain, String selector, KeyPair kp) {
        return ArcSealer.builder(domain, selector, kp.getPrivate()).build();
    }

    @Test
    void firstSealIsInstanceOneWithCvNoneAndVerifies() throws Exception {
        for (KeyPair kp : List.of(rsa, ed)) {
            String selector = kp == rsa ? "arc" : "arced";
            byte[] msg = bytes(MESSAGE);
            ArcSealer.Sealing s = seal(sealer("example.org", selector, kp), msg, AR, AuthStatus.NONE);
            assertThat(s.set().orElseThrow().instance()).isEqualTo(1);
            assertThat(s.set().get().chainValidation()).isEqualTo("none");
            assertThat(s.set().get().authenticationResults().raw())
                    .startsWith("ARC-Authentication-Results: i=1; gw.example.org;\r\n\tspf=pass");
            byte[] out = sealed(s, msg);
            ArcResult r = verify(resolver, out);
            assertThat(r.status()).as(r.reason()).isEqualTo(AuthStatus.PASS);
            assertThat(r.instances()).isEqualTo(1);
            // the seal is not decoration: a changed body or changed results fail; refolded whitespace does not
            assertThat(verify(resolver, bytes(text(out).replace("Hello Bob", "Hello Eve")))
                            .status())
                    .isEqualTo(AuthStatus.FAIL);
            assertThat(verify(resolver, bytes(text(out).replace("ARC-Seal: i=1; a=", "ARC-Seal: i=1;   a=")))
                            .status())
                    .isEqualTo(AuthStatus.PASS);
            assertThat(verify(resolver, bytes(text(out).replace("i=1; gw.example.org", "i=1; evil.example")))
                            .status())
                    .isEqualTo(AuthStatus.FAIL);
        }
    }

    @Test
    void secondSealOnAValidChainSaysPassAndCoversTheChangedMessage() throws Exception {
        byte[] first =
                sealed(seal(sealer("example.org", "arc", rsa), bytes(MESSAGE), AR, AuthStatus.NONE), bytes(MESSAGE));
        ArcResult incoming = verify(resolver, first);
        assertThat(incoming.status()).isEqualTo(AuthStatus.PASS);
        // the second hop tags the subject (which breaks AMS i=1), then seals
        byte[] tagged = bytes(text(first).replace("Subject: Interop", "Subject: [SPAM] Interop"));
        assertThat(verify(resolver, tagged).status()).isEqualTo(AuthStatus.FAIL);
        ArcSealer.Sealing s = seal(
                sealer("example.net", "hop2", rsa), tagged, "mx.example.net; arc=pass; dkim=none", incoming.status());
        assertThat(s.set().orElseThrow().instance()).isEqualTo(2);
        assertThat(s.set().get().chainValidation()).isEqualTo("pass");
        byte[] second = sealed(s, tagged);
        ArcResult r = verify(resolver, second);
        assertThat(r.status()).as(r.reason()).isEqualTo(AuthStatus.PASS);
        assertThat(r.instances()).isEqualTo(2);
        // the new seal covers the old sets: changing the i=1 results breaks it
        byte[] forged = bytes(text(second).replace("smtp.mailfrom=alice@example.com", "smtp.mailfrom=eve@example.com"));
        assertThat(verify(resolver, forged).reason()).contains("ARC-Seal i=2");
    }

    @Test
    void aBrokenIncomingChainGetsCvFailCoveringOnlyItsOwnSetAndThenNoMoreSeals() throws Exception {
        byte[] first =
                sealed(seal(sealer("example.org", "arc", rsa), bytes(MESSAGE), AR, AuthStatus.NONE), bytes(MESSAGE));
        byte[] broken = bytes(text(first).replace("Hello Bob", "Hello Eve"));
        ArcResult incoming = verify(resolver, broken);
        assertThat(incoming.status()).isEqualTo(AuthStatus.FAIL);
        ArcSealer.Sealing s =
                seal(sealer("example.net", "hop2", rsa), broken, "mx.example.net; arc=fail", incoming.status());
        ArcSealer.ArcSet set = s.set().orElseThrow();
        assertThat(set.instance()).isEqualTo(2);
        assertThat(set.chainValidation()).isEqualTo("fail");
        byte[] out = sealed(s, broken);
        ArcResult r = verify(resolver, out);
        assertThat(r.status()).isEqualTo(AuthStatus.FAIL);
        assertThat(r.reason()).contains("cv=fail");
        // RFC 8617 section 5.1.2: the cv=fail seal signs its own set alone
        String data =
                Canonicalization.RELAXED.header(set.authenticationResults().raw()) + "\r\n"
                        + Canonicalization.RELAXED.header(set.messageSignature().raw()) + "\r\n"
                        + Canonicalization.RELAXED.header(
                                SignatureSpec.withoutSignatureValue(set.seal().raw()));
        String b = TagList.noWhitespace(TagList.parse(set.seal().rawValue())
                .list()
                .orElseThrow()
                .get("b")
                .orElseThrow());
        assertThat(DkimVerifier.verifySignature(
                        "rsa", rsa.getPublic(), bytes(data), Base64.getDecoder().decode(b)))
                .isTrue();
        // section 5.1: once the newest seal says cv=fail, nobody seals again, whatever they were told
        for (AuthStatus told : AuthStatus.values()) {
            ArcSealer.Sealing again = seal(sealer("example.org", "arc", rsa), out, AR, told);
            assertThat(again.set()).as(told.name()).isEmpty();
            assertThat(again.reason()).contains("cv=fail");
        }
    }

    @Test
    void aTemporaryValidationFailureLeavesTheChainAsItCame() throws Exception {
        byte[] first =
                sealed(seal(sealer("example.org", "arc", rsa), bytes(MESSAGE), AR, AuthStatus.NONE), bytes(MESSAGE));
        ArcSealer.Sealing s = seal(sealer("example.net", "hop2", rsa), first, AR, AuthStatus.TEMPERROR);
        assertThat(s.set()).isEmpty();
        assertThat(s.reason()).contains("temperror");
        // without a chain there is nothing to doubt: cv=none
        assertThat(seal(sealer("example.net", "hop2", rsa), bytes(MESSAGE), AR, AuthStatus.TEMPERROR)
                        .set()
                        .orElseThrow()
                        .chainValidation())
                .isEqualTo("none");
    }

    @Test
    void sealsWhatTheAuthScannerFound() throws Exception {
        byte[] first =
                sealed(seal(sealer("example.org", "arc", rsa), bytes(MESSAGE), AR, AuthStatus.NONE), bytes(MESSAGE));
        AuthScanner scanner = AuthScanner.builder()
                .dns(resolver)
                .authservId("gw.example.net")
                .publicSuffixList(PublicSuffixList.parse(List.of("com", "net", "org")))
                .build();
        MessageContent content = MessageContent.ofString(text(first), StandardCharsets.ISO_8859_1);
        Verdict v = scanner.scan(Message.of(content));
        assertThat(AuthScanner.arcStatus(v)).contains(AuthStatus.PASS);
        String ar = AuthScanner.authenticationResults(v).orElseThrow();
        assertThat(ar).startsWith("gw.example.net;").contains("arc=pass");
        ArcSealer.Sealing s = seal(
                sealer("example.net", "hop2", rsa),
                first,
                ar,
                AuthScanner.arcStatus(v).get());
        byte[] out = sealed(s, first);
        assertThat(text(out)).contains("ARC-Authentication-Results: i=2; gw.example.net;");
        assertThat(verify(resolver, out).status()).isEqualTo(AuthStatus.PASS);
        Verdict other = Verdict.clean("clamd", Duration.ZERO);
        assertThat(AuthScanner.arcStatus(other)).isEmpty();
        assertThat(AuthScanner.authenticationResults(other)).isEqualTo(Optional.empty());
    }

    @Test
    void builderChecksSettingsAgainstEachOtherInBuildWhateverTheOrder() {
        // oversigning a field that is not signed is a conflict, found by build() in either order
        assertThatThrownBy(() -> ArcSealer.builder("example.org", "arc", rsa.getPrivate())
                        .oversigned(List.of("subject"))
                        .headers(List.of("from", "to"))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("subject");
        assertThatThrownBy(() -> ArcSealer.builder("example.org", "arc", rsa.getPrivate())
                        .headers(List.of("from", "to"))
                        .oversigned(List.of("subject"))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("subject");
        // the same two settings that fit pass in either order
        ArcSealer.builder("example.org", "arc", rsa.getPrivate())
                .oversigned(List.of("to"))
                .headers(List.of("from", "to"))
                .build();
        ArcSealer.builder("example.org", "arc", rsa.getPrivate())
                .headers(List.of("from", "to"))
                .oversigned(List.of("to"))
                .build();
        // setting only the headers narrows the default oversigned set instead of failing
        ArcSealer.builder("example.org", "arc", rsa.getPrivate())
                .headers(List.of("from", "to"))
                .build();
        assertThatThrownBy(() -> ArcSealer.builder("example.org", "arc", rsa.getPrivate())
                        .headers(List.of("from", "arc-seal")))
                .hasMessageContaining("arc-seal");
        assertThatThrownBy(() -> ArcSealer.builder("example.org", "arc", rsa.getPrivate())
                        .headers(List.of("from", "bad name")))
                .hasMessageContaining("bad name");
    }

    @Test
    void parseNamesTheProblem(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        assertThatThrownBy(() -> ArcSealer.parse("example.org:arc", dir))
                .hasMessageContaining("DOMAIN:SELECTOR:KEY-FILE");
        assertThatThrownBy(() -> ArcSealer.parse("example.org:arc:missing.pem", dir))
                .hasMessageContaining("missing.pem");
        java.nio.file.Files.writeString(dir.resolve("k.pem"), DkimKeys.toPem(rsa.getPrivate()));
        ArcSealer s = ArcSealer.parse("Example.ORG:arc:k.pem", dir);
        assertThat(s.domain()).isEqualTo("example.org");
        assertThat(s.selector()).isEqualTo("arc");
    }
}
