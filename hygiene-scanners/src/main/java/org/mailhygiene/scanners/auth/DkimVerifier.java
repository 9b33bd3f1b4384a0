package org.mailhygiene.scanners.auth;

import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.scanners.auth.dns.DnsRecord;
import org.mailhygiene.scanners.auth.dns.DnsResolver;
import org.mailhygiene.scanners.auth.dns.DnsResult;
import org.mailhygiene.scanners.auth.dns.DnsType;

/**
 * Verifies the DKIM signatures of a message (RFC 6376 section 6, rsa-sha256 and ed25519-sha256 per RFC 8463).
 *
 * <p>Every {@code DKIM-Signature} field, up to {@link #MAX_SIGNATURES} (those of a From domain first, then the others
 * top first; the rest are reported as {@code permerror}), gets one {@link DkimResult}; the body is read once for all
 * of them. Malformed signatures, keys
 * and records are results ({@code permerror}), DNS failures are {@code temperror}, never exceptions. Signatures of a
 * From domain (or a parent or subdomain of one) are checked first; after {@link #MAX_FAILED_KEY_LOOKUPS} key lookups
 * that failed with a temporary error, the remaining signatures are {@code temperror} without a lookup. rsa-sha1 and RSA
 * keys under 1024 bits are refused (RFC 8301). A signature with {@code l=} that leaves body content unsigned verifies
 * as {@link AuthStatus#POLICY} with the unsigned byte count, so nobody trusts content the signer did not sign. An
 * expired signature ({@code x=} in the past by the clock) fails.
 *
 * <p>Thread-safe: instances hold only the resolver and the clock.
 */
public final class DkimVerifier {
    /** The most signatures verified per message. */
    public static final int MAX_SIGNATURES = 10;

    private final DnsResolver dns;
    private final Clock clock;

    /**
     * Creates a verifier.
     *
     * @param dns where keys are looked up
     * @param clock the clock for expiry checks
     */
    public DkimVerifier(DnsResolver dns, Clock clock) {
        this.dns = Objects.requireNonNull(dns, "dns");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Verifies all DKIM signatures.
     *
     * @param headers the message's header section
     * @param body the body, read to its end (not closed)
     * @return one result per signature field, top first; empty when the message has none
     * @throws IOException if reading the body fails
     */
    public List<DkimResult> verify(HeaderSection headers, InputStream body) throws IOException {
        Bodies bodies = new Bodies();
        List<Object> pending = prepare(headers, bodies);
        bodies.consume(body);
        return finish(headers, pending, bodies);
    }

    /**
     * Parsed signatures or early results, one per signature field, top first; body hashers registered in
     * {@code bodies}. Of more than {@link #MAX_SIGNATURES} fields, those whose d= is related to a From domain are the
     * ones kept: cutting off by position let ten signatures of other domains on top hide the author's own below them.
     */
    List<Object> prepare(HeaderSection headers, Bodies bodies) {
        List<SignatureSpec.Parsed> parsed = new ArrayList<>();
        for (HeaderField f : headers.fields()) {
            if (f.is("DKIM-Signature")) {
                parsed.add(SignatureSpec.parse(f, false));
            }
        }
        boolean[] kept = new boolean[parsed.size()];
        if (parsed.size() <= MAX_SIGNATURES) {
            java.util.Arrays.fill(kept, true);
        } else {
            List<String> from = fromDomains(headers);
            int n = 0;
            for (int i = 0; i < parsed.size() && n < MAX_SIGNATURES; i++) {
                if (parsed.get(i).spec().isPresent()
                        && related(parsed.get(i).spec().get().domain(), from)) {
                    kept[i] = true;
                    n++;
                }
            }
            for (int i = 0; i < parsed.size() && n < MAX_SIGNATURES; i++) {
                if (!kept[i]) {
                    kept[i] = true;
                    n++;
                }
            }
        }
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < parsed.size(); i++) {
            SignatureSpec.Parsed p = parsed.get(i);
            if (!kept[i]) {
                out.add(new DkimResult(
                        AuthStatus.PERMERROR, "", "", "", "", "", "more than " + MAX_SIGNATURES + " signatures", 0));
            } else if (p.spec().isEmpty()) {
                out.add(new DkimResult(
                        AuthStatus.PERMERROR, p.domain(), p.selector(), "", p.algorithm(), "", p.error(), 0));
            } else {
                SignatureSpec s = p.spec().get();
                bodies.register(s.bodyCanon(), s.length());
                out.add(s);
            }
        }
        return out;
    }

    /** The domains of every address in every From field. */
    private static List<String> fromDomains(HeaderSection headers) {
        List<String> from = new ArrayList<>();
        for (HeaderField f : headers.fields()) {
            if (f.is("From")) {
                from.addAll(DmarcVerifier.fromDomains(f.value()));
            }
        }
        return from;
    }

    List<DkimResult> finish(HeaderSection headers, List<Object> pending, Bodies bodies) {
        // Signatures whose d= is, or is related to, a From domain first: they decide DMARC, and they must not wait
        // behind (or be cut off by) signatures of other domains whose key lookups time out.
        List<String> from = fromDomains(headers);
        List<Integer> order = new ArrayList<>(pending.size());
        boolean[] first = new boolean[pending.size()];
        for (int i = 0; i < pending.size(); i++) {
            if (pending.get(i) instanceof SignatureSpec s && related(s.domain(), from)) {
                order.add(i);
                first[i] = true;
            }
        }
        for (int i = 0; i < pending.size(); i++) {
            if (!first[i]) {
                order.add(i);
            }
        }
        DkimResult[] results = new DkimResult[pending.size()];
        int failedLookups = 0;
        for (int i : order) {
            Object o = pending.get(i);
            if (o instanceof DkimResult r) {
                results[i] = r;
            } else if (failedLookups >= MAX_FAILED_KEY_LOOKUPS) {
                SignatureSpec s = (SignatureSpec) o;
                results[i] = new DkimResult(
                        AuthStatus.TEMPERROR,
                        s.domain(),
                        s.selector(),
                        s.identity(),
                        s.algorithm(),
                        s.signaturePrefix(),
                        "not checked: " + MAX_FAILED_KEY_LOOKUPS + " key lookups of this message failed already",
                        0);
            } else {
                results[i] = check((SignatureSpec) o, headers, bodies);
                if (results[i].status() == AuthStatus.TEMPERROR) {
                    failedLookups++;
                }
            }
        }
        return List.of(results);
    }

    /**
     * The most key lookups of one message that may fail with a temporary error (a timeout, SERVFAIL) before its
     * remaining signatures are {@code temperror} without a lookup: ten signatures of domains whose DNS never answers
     * held the session for 40 s (2 s per attempt, 2 attempts each).
     */
    public static final int MAX_FAILED_KEY_LOOKUPS = 2;

    /** Whether a signing domain equals a From domain or one is a subdomain of the other (any case). */
    private static boolean related(String signer, List<String> from) {
        String d = signer.toLowerCase(Locale.ROOT);
        for (String f : from) {
            String a = f.toLowerCase(Locale.ROOT);
            if (!a.isEmpty() && (a.equals(d) || a.endsWith("." + d) || d.endsWith("." + a))) {
                return true;
            }
        }
        return false;
    }

    DkimResult check(SignatureSpec s, HeaderSection headers, Bodies bodies) {
        java.util.function.BiFunction<AuthStatus, String, DkimResult> r = (status, why) -> new DkimResult(
                status, s.domain(), s.selector(), s.identity(), s.algorithm(), s.signaturePrefix(), why, 0);
        if (s.expiry() >= 0 && clock.instant().getEpochSecond() > s.expiry()) {
            return r.apply(AuthStatus.FAIL, "signature expired (x=" + s.expiry() + ")");
        }
        BodyHasher h = bodies.get(s.bodyCanon(), s.length());
        if (s.length() >= 0 && h.canonicalLength() < s.length()) {
            return r.apply(AuthStatus.FAIL, "l=" + s.length() + " is longer than the body");
        }
        if (!MessageDigest.isEqual(h.finish(), s.bodyHash())) {
            return r.apply(AuthStatus.FAIL, "body hash mismatch (the body was changed)");
        }
        boolean arc = s.field().is("ARC-Message-Signature");
        KeyLookup key = lookupKey(dns, s, arc);
        if (key.failure().isPresent()) {
            return r.apply(key.failure().get().status(), key.failure().get().reason());
        }
        byte[] data = SignatureSpec.headerData(
                headers.fields(), s.signedHeaders(), s.headerCanon(), s.field().raw());
        if (!verifySignature(s.keyType(), key.key().orElseThrow(), data, s.signature())) {
            return r.apply(AuthStatus.FAIL, "signature did not verify (a signed header was changed)");
        }
        long unsigned = s.length() >= 0 ? h.canonicalLength() - s.length() : 0;
        if (unsigned > 0) {
            return new DkimResult(
                    AuthStatus.POLICY,
                    s.domain(),
                    s.selector(),
                    s.identity(),
                    s.algorithm(),
                    s.signaturePrefix(),
                    "signature verified, but " + unsigned + " body bytes beyond l=" + s.length() + " are unsigned",
                    unsigned);
        }
        return r.apply(AuthStatus.PASS, "signature verified");
    }

    /** A key, or why there is none. */
    record KeyLookup(Optional<PublicKey> key, Optional<DkimResult> failure) {}

    static KeyLookup lookupKey(DnsResolver dns, SignatureSpec s, boolean arc) {
        String name = s.selector() + "._domainkey." + s.domain();
        java.util.function.BiFunction<AuthStatus, String, KeyLookup> fail = (status, why) -> new KeyLookup(
                Optional.empty(),
                Optional.of(new DkimResult(
                        status, s.domain(), s.selector(), s.identity(), s.algorithm(), s.signaturePrefix(), why, 0)));
        if (!SignatureSpec.validDomain(s.selector().toLowerCase(Locale.ROOT))) {
            return fail.apply(AuthStatus.PERMERROR, "invalid selector s=" + TagList.abbreviate(s.selector()));
        }
        DnsResult res = dns.query(name, DnsType.TXT);
        if (res.status() == DnsResult.Status.TEMPERROR) {
            return fail.apply(AuthStatus.TEMPERROR, "key lookup " + name + " failed: " + res.detail());
        }
        if (res.records().isEmpty()) {
            return fail.apply(AuthStatus.PERMERROR, "no key record at " + name);
        }
        // RFC 6376 3.6.2.2: a selector may hold several records; one that does not fit this signature is passed over
        // for the next (until session 53 all but a malformed one ended the lookup), and with none left the reasons
        // of each are the permerror's (the first few: an answer may hold hundreds of records)
        Reasons whys = new Reasons();
        for (DnsRecord rec : res.records()) {
            TagList.Parsed p = TagList.parse(rec.text());
            if (!p.valid()) {
                whys.add("malformed key record at " + name + ": " + p.error());
                continue;
            }
            TagList t = p.list().orElseThrow();
            Optional<String> v = t.get("v");
            if (v.isPresent()
                    && (!v.get().equals("DKIM1")
                            || !t.asMap().keySet().iterator().next().equals("v"))) {
                whys.add("key record v= is not DKIM1 or not first");
                continue;
            }
            Optional<String> p64 = t.get("p");
            if (p64.isEmpty()) {
                whys.add("key record without p=");
                continue;
            }
            String k = t.get("k").orElse("rsa").toLowerCase(Locale.ROOT);
            if (!k.equals(s.keyType())) {
                whys.add("key type k=" + TagList.abbreviate(k) + " does not match a=" + s.algorithm());
                continue;
            }
            Optional<String> hashes = t.get("h");
            if (hashes.isPresent()
                    && !List.of(TagList.noWhitespace(hashes.get())
                                    .toLowerCase(Locale.ROOT)
                                    .split(":"))
                            .contains("sha256")) {
                whys.add("key record h= does not allow sha256");
                continue;
            }
            Optional<String> service = t.get("s");
            if (service.isPresent()) {
                List<String> svc = List.of(TagList.noWhitespace(service.get()).split(":"));
                if (!svc.contains("*") && !svc.contains("email")) {
                    whys.add("key record s= excludes email");
                    continue;
                }
            }
            if (!arc) {
                Optional<String> flags = t.get("t");
                if (flags.isPresent()
                        && List.of(TagList.noWhitespace(flags.get()).split(":")).contains("s")) {
                    String id = s.identity();
                    String idDomain = id.substring(id.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
                    if (!idDomain.equals(s.domain())) {
                        whys.add("key t=s forbids subdomains in i=");
                        continue;
                    }
                }
            }
            String b64 = TagList.noWhitespace(p64.get());
            if (b64.isEmpty()) {
                whys.add("key revoked (empty p=) at " + name);
                continue;
            }
            Optional<PublicKey> key = DkimKeys.decodePublicKey(k, b64);
            if (key.isEmpty()) {
                whys.add("unusable " + k + " key at " + name + " (bad encoding, or RSA under " + DkimKeys.MIN_RSA_BITS
                        + " bits)");
                continue;
            }
            return new KeyLookup(key, Optional.empty());
        }
        return fail.apply(AuthStatus.PERMERROR, whys.text(name));
    }

    /**
     * Why the key records of a selector did not fit a signature: the first {@value #SHOWN} distinct reasons, and how
     * many records had another (a DNS answer may hold hundreds of records, and the reason is logged with each message
     * and kept in its verdict). Not thread-safe (one lookup's).
     */
    private static final class Reasons {
        static final int SHOWN = 3;
        private final java.util.Set<String> shown = new java.util.LinkedHashSet<>();
        private int more;

        void add(String reason) {
            if (shown.contains(reason)) {
                return;
            }
            if (shown.size() < SHOWN) {
                shown.add(reason);
            } else {
                more++;
            }
        }

        String text(String name) {
            String text = String.join("; ", shown);
            return more == 0 ? text : text + "; and " + more + " more records at " + name + " that do not fit";
        }
    }

    static boolean verifySignature(String keyType, PublicKey key, byte[] data, byte[] signature) {
        try {
            if (keyType.equals("ed25519")) {
                Signature sig = Signature.getInstance("Ed25519");
                sig.initVerify(key);
                sig.update(MessageDigest.getInstance("SHA-256").digest(data));
                return sig.verify(signature);
            }
            Signature sig = Signature.getInstance("SHA256withRSA");
            sig.initVerify(key);
            sig.update(data);
            return sig.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    static byte[] sign(java.security.PrivateKey key, byte[] data) throws GeneralSecurityException {
        if (DkimKeys.keyType(key).equals("ed25519")) {
            Signature sig = Signature.getInstance("Ed25519");
            sig.initSign(key);
            sig.update(MessageDigest.getInstance("SHA-256").digest(data));
            return sig.sign();
        }
        Signature sig = Signature.getInstance("SHA256withRSA");
        sig.initSign(key);
        sig.update(data);
        return sig.sign();
    }

    /** Body hashers by canonicalization and length limit, fed in one pass. Not thread-safe. */
    static final class Bodies {
        private final Map<String, BodyHasher> hashers = new HashMap<>();

        void register(Canonicalization canon, long limit) {
            hashers.computeIfAbsent(canon + "/" + limit, k -> new BodyHasher(canon, "SHA-256", limit));
        }

        BodyHasher get(Canonicalization canon, long limit) {
            return hashers.get(canon + "/" + limit);
        }

        void consume(InputStream body) throws IOException {
            byte[] buf = new byte[16384];
            int n;
            while ((n = body.read(buf)) > 0) {
                update(buf, 0, n);
            }
        }

        void update(byte[] buf, int off, int n) {
            for (BodyHasher h : hashers.values()) {
                h.update(buf, off, n);
            }
        }

        boolean isEmpty() {
            return hashers.isEmpty();
        }
    }
}
