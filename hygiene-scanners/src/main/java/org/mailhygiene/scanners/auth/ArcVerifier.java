package org.mailhygiene.scanners.auth;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.scanners.auth.dns.DnsResolver;

/**
 * Validates an ARC chain (RFC 8617 section 5.2): every instance 1..N has exactly one ARC-Authentication-Results,
 * ARC-Message-Signature and ARC-Seal; N is at most {@value #MAX_INSTANCES}; the first seal says {@code cv=none}
 * and the others {@code cv=pass}; the newest ARC-Message-Signature verifies like a DKIM signature; and every seal
 * verifies over the ARC sets up to its own. Any violation is {@code fail}; a key lookup failure is
 * {@code temperror}. Never throws for malformed fields.
 *
 * <p>Thread-safe: instances hold only the resolver and the DKIM verifier.
 */
public final class ArcVerifier {
    /** The most ARC sets a chain may have. */
    public static final int MAX_INSTANCES = 50;

    private final DnsResolver dns;
    private final DkimVerifier dkim;

    /**
     * Creates a verifier.
     *
     * @param dns where keys are looked up
     * @param dkim the DKIM verifier whose rules the message signature follows
     */
    public ArcVerifier(DnsResolver dns, DkimVerifier dkim) {
        this.dns = Objects.requireNonNull(dns, "dns");
        this.dkim = Objects.requireNonNull(dkim, "dkim");
    }

    /**
     * Validates the ARC chain of a message.
     *
     * @param headers the message's header section
     * @param body the body, read to its end if the newest message signature needs it (not closed)
     * @return the result: pass, fail (with the reason), none or temperror
     * @throws IOException if reading the body fails
     */
    public ArcResult verify(HeaderSection headers, InputStream body) throws IOException {
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(body, "body");
        DkimVerifier.Bodies bodies = new DkimVerifier.Bodies();
        Prepared p = prepare(headers, bodies);
        if (!bodies.isEmpty()) {
            bodies.consume(body);
        }
        return finish(headers, p, bodies);
    }

    /** The chain's fields sorted by instance, and the newest AMS to verify; or an early result. */
    static final class Prepared {
        final ArcResult early;
        final List<HeaderField[]> sets;
        final SignatureSpec newestAms;

        Prepared(ArcResult early, List<HeaderField[]> sets, SignatureSpec newestAms) {
            this.early = early;
            this.sets = sets;
            this.newestAms = newestAms;
        }
    }

    Prepared prepare(HeaderSection headers, DkimVerifier.Bodies bodies) {
        List<HeaderField> aar = headers.all("ARC-Authentication-Results");
        List<HeaderField> ams = headers.all("ARC-Message-Signature");
        List<HeaderField> as = headers.all("ARC-Seal");
        if (aar.isEmpty() && ams.isEmpty() && as.isEmpty()) {
            return new Prepared(new ArcResult(AuthStatus.NONE, 0, "no ARC fields"), null, null);
        }
        int n = as.size();
        if (n > MAX_INSTANCES) {
            return fail(n, "more than " + MAX_INSTANCES + " ARC sets");
        }
        if (aar.size() != n || ams.size() != n) {
            return fail(n, "incomplete ARC sets");
        }
        HeaderField[][] sets = new HeaderField[n][3];
        for (int k = 0; k < 3; k++) {
            for (HeaderField f : k == 0 ? aar : k == 1 ? ams : as) {
                int i = instance(f);
                if (i < 1 || i > n) {
                    return fail(n, "ARC instance out of range in " + f.name());
                }
                if (sets[i - 1][k] != null) {
                    return fail(n, "duplicate ARC instance " + i + " in " + f.name());
                }
                sets[i - 1][k] = f;
            }
        }
        SignatureSpec.Parsed p = SignatureSpec.parse(sets[n - 1][1], true);
        if (p.spec().isEmpty()) {
            return fail(n, "ARC-Message-Signature i=" + n + ": " + p.error());
        }
        bodies.register(p.spec().get().bodyCanon(), p.spec().get().length());
        List<HeaderField[]> list = new ArrayList<>();
        for (HeaderField[] s : sets) {
            list.add(s);
        }
        return new Prepared(null, list, p.spec().get());
    }

    ArcResult finish(HeaderSection headers, Prepared p, DkimVerifier.Bodies bodies) {
        if (p.early != null) {
            return p.early;
        }
        int n = p.sets.size();
        List<TagList> seals = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            TagList.Parsed t = TagList.parse(p.sets.get(i)[2].rawValue());
            if (!t.valid()) {
                return new ArcResult(AuthStatus.FAIL, n, "ARC-Seal i=" + (i + 1) + ": " + t.error());
            }
            String cv = t.list().orElseThrow().get("cv").orElse("").toLowerCase(Locale.ROOT);
            if (i == n - 1 && cv.equals("fail")) {
                return new ArcResult(AuthStatus.FAIL, n, "the newest seal says cv=fail");
            }
            if (!cv.equals(i == 0 ? "none" : "pass")) {
                return new ArcResult(AuthStatus.FAIL, n, "ARC-Seal i=" + (i + 1) + " has cv=" + cv);
            }
            seals.add(t.list().orElseThrow());
        }
        DkimResult ams = dkim.check(p.newestAms, headers, bodies);
        if (ams.status() == AuthStatus.TEMPERROR) {
            return new ArcResult(AuthStatus.TEMPERROR, n, "ARC-Message-Signature i=" + n + ": " + ams.reason());
        }
        if (ams.status() != AuthStatus.PASS) {
            return new ArcResult(AuthStatus.FAIL, n, "ARC-Message-Signature i=" + n + ": " + ams.reason());
        }
        for (int i = n; i >= 1; i--) {
            String why = verifySeal(p.sets, seals.get(i - 1), i);
            if (why != null) {
                return new ArcResult(
                        why.startsWith("temp:") ? AuthStatus.TEMPERROR : AuthStatus.FAIL,
                        n,
                        "ARC-Seal i=" + i + ": " + why.replaceFirst("^temp:", ""));
            }
        }
        return new ArcResult(AuthStatus.PASS, n, "chain of " + n + " verified");
    }

    private String verifySeal(List<HeaderField[]> sets, TagList t, int i) {
        String a = t.get("a").orElse("").toLowerCase(Locale.ROOT);
        String keyType = a.equals("rsa-sha256") ? "rsa" : a.equals("ed25519-sha256") ? "ed25519" : null;
        if (keyType == null) {
            return "unsupported algorithm a=" + TagList.abbreviate(a);
        }
        Optional<String> d = t.get("d");
        Optional<String> s = t.get("s");
        Optional<String> b = t.get("b");
        if (d.isEmpty() || s.isEmpty() || b.isEmpty() || t.get("h").isPresent()) {
            return "missing d=, s= or b=, or an h= tag";
        }
        byte[] sig;
        try {
            sig = Base64.getDecoder().decode(TagList.noWhitespace(b.get()));
        } catch (IllegalArgumentException e) {
            return "invalid base64 in b=";
        }
        StringBuilder data = new StringBuilder();
        for (int j = 1; j <= i; j++) {
            HeaderField[] set = sets.get(j - 1);
            data.append(Canonicalization.RELAXED.header(set[0].raw())).append("\r\n");
            data.append(Canonicalization.RELAXED.header(set[1].raw())).append("\r\n");
            if (j < i) {
                data.append(Canonicalization.RELAXED.header(set[2].raw())).append("\r\n");
            } else {
                data.append(Canonicalization.RELAXED.header(SignatureSpec.withoutSignatureValue(set[2].raw())));
            }
        }
        SignatureSpec keySpec = new SignatureSpec(
                sets.get(i - 1)[2],
                a,
                keyType,
                sig,
                new byte[32],
                Canonicalization.RELAXED,
                Canonicalization.RELAXED,
                d.get().toLowerCase(Locale.ROOT),
                s.get(),
                Integer.toString(i),
                List.of(),
                -1,
                -1,
                -1,
                "");
        DkimVerifier.KeyLookup key = DkimVerifier.lookupKey(dns, keySpec, true);
        if (key.failure().isPresent()) {
            DkimResult f = key.failure().get();
            return (f.status() == AuthStatus.TEMPERROR ? "temp:" : "") + f.reason();
        }
        PublicKey k = key.key().orElseThrow();
        if (!DkimVerifier.verifySignature(keyType, k, data.toString().getBytes(StandardCharsets.ISO_8859_1), sig)) {
            return "seal did not verify";
        }
        return null;
    }

    private static Prepared fail(int n, String why) {
        return new Prepared(new ArcResult(AuthStatus.FAIL, n, why), null, null);
    }

    static int instance(HeaderField f) {
        String v = f.rawValue();
        // the i= tag; for ARC-Authentication-Results it comes first, before the authserv-id
        int semi = v.indexOf(';');
        String first = f.is("ARC-Authentication-Results") && semi >= 0 ? v.substring(0, semi) : null;
        if (first != null) {
            String t = TagList.noWhitespace(first);
            return t.startsWith("i=") ? parse(t.substring(2)) : -1;
        }
        TagList.Parsed p = TagList.parse(v);
        if (!p.valid()) {
            return -1;
        }
        return p.list().orElseThrow().get("i").map(ArcVerifier::parse).orElse(-1);
    }

    private static int parse(String s) {
        return s.matches("[0-9]{1,3}") ? Integer.parseInt(s) : -1;
    }
}
