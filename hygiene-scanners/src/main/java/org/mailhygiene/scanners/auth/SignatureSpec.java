package org.mailhygiene.scanners.auth;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A parsed DKIM-Signature or ARC-Message-Signature field (RFC 6376 section 3.5, RFC 8617 section 4.1.2). Package
 * private: the verifiers and the signer share it.
 *
 * @param field the field as received
 * @param algorithm the {@code a=} value
 * @param keyType {@code rsa} or {@code ed25519}
 * @param signature the decoded {@code b=}
 * @param bodyHash the decoded {@code bh=}
 * @param headerCanon header canonicalization
 * @param bodyCanon body canonicalization
 * @param domain {@code d=}, lower case
 * @param selector {@code s=}
 * @param identity {@code i=} for DKIM (default {@code @d}); the instance number for ARC
 * @param signedHeaders {@code h=}, lower case, in order
 * @param length {@code l=}, or -1
 * @param timestamp {@code t=}, or -1
 * @param expiry {@code x=}, or -1
 * @param signaturePrefix the first 8 characters of {@code b=}
 */
record SignatureSpec(
        HeaderField field,
        String algorithm,
        String keyType,
        byte[] signature,
        byte[] bodyHash,
        Canonicalization headerCanon,
        Canonicalization bodyCanon,
        String domain,
        String selector,
        String identity,
        List<String> signedHeaders,
        long length,
        long timestamp,
        long expiry,
        String signaturePrefix) {

    /** A parse outcome: the spec, or a reason plus whatever identifying tags could be read. */
    record Parsed(Optional<SignatureSpec> spec, String error, String domain, String selector, String algorithm) {}

    static Parsed parse(HeaderField field, boolean arc) {
        TagList.Parsed p = TagList.parse(field.rawValue());
        if (!p.valid()) {
            return new Parsed(Optional.empty(), "malformed tag list: " + p.error(), "", "", "");
        }
        TagList t = p.list().orElseThrow();
        String d = t.get("d").map(v -> v.toLowerCase(Locale.ROOT)).orElse("");
        String s = t.get("s").orElse("");
        String a = t.get("a").orElse("");
        java.util.function.Function<String, Parsed> err = why -> new Parsed(Optional.empty(), why, d, s, a);
        if (!arc) {
            Optional<String> v = t.get("v");
            if (v.isEmpty()) {
                return err.apply("missing v=");
            }
            if (!v.get().equals("1")) {
                return err.apply("unsupported version v=" + TagList.abbreviate(v.get()));
            }
        }
        for (String required : new String[] {"a", "b", "bh", "d", "h", "s"}) {
            if (t.get(required).isEmpty()) {
                return err.apply("missing " + required + "=");
            }
        }
        if (arc && t.get("i").isEmpty()) {
            return err.apply("missing i=");
        }
        String keyType;
        switch (a.toLowerCase(Locale.ROOT)) {
            case "rsa-sha256" -> keyType = "rsa";
            case "ed25519-sha256" -> keyType = "ed25519";
            case "rsa-sha1" -> {
                return err.apply("rsa-sha1 is no longer accepted (RFC 8301)");
            }
            default -> {
                return err.apply("unknown algorithm a=" + TagList.abbreviate(a));
            }
        }
        byte[] b;
        byte[] bh;
        try {
            b = Base64.getDecoder().decode(TagList.noWhitespace(t.get("b").orElseThrow()));
            bh = Base64.getDecoder().decode(TagList.noWhitespace(t.get("bh").orElseThrow()));
        } catch (IllegalArgumentException e) {
            return err.apply("invalid base64 in b= or bh=");
        }
        if (b.length == 0 || bh.length != 32) {
            return err.apply("empty b= or bh= of the wrong length");
        }
        Canonicalization hc = Canonicalization.SIMPLE;
        Canonicalization bc = Canonicalization.SIMPLE;
        Optional<String> c = t.get("c");
        if (c.isPresent()) {
            String[] parts = c.get().split("/", -1);
            if (parts.length > 2) {
                return err.apply("invalid c=" + TagList.abbreviate(c.get()));
            }
            Optional<Canonicalization> h = Canonicalization.of(parts[0]);
            Optional<Canonicalization> bb = parts.length == 2 ? Canonicalization.of(parts[1]) : Optional.of(bc);
            if (h.isEmpty() || bb.isEmpty()) {
                return err.apply("unknown canonicalization c=" + TagList.abbreviate(c.get()));
            }
            hc = h.get();
            bc = bb.get();
        }
        if (!validDomain(d)) {
            return err.apply("invalid d=" + TagList.abbreviate(d));
        }
        List<String> h = new ArrayList<>();
        for (String name : TagList.noWhitespace(t.get("h").orElseThrow()).split(":", -1)) {
            if (name.isEmpty()) {
                return err.apply("empty name in h=");
            }
            h.add(name.toLowerCase(Locale.ROOT));
        }
        if (!arc && !h.contains("from")) {
            return err.apply("h= does not include From");
        }
        if (arc && h.contains("arc-seal")) {
            return err.apply("h= must not include ARC-Seal");
        }
        String identity;
        if (arc) {
            identity = t.get("i").orElseThrow();
            if (!identity.matches("[0-9]{1,2}")) {
                return err.apply("invalid instance i=" + TagList.abbreviate(identity));
            }
        } else {
            identity = t.get("i").orElse("@" + d);
            int at = identity.lastIndexOf('@');
            if (at < 0) {
                return err.apply("i= without @");
            }
            String idomain = identity.substring(at + 1).toLowerCase(Locale.ROOT);
            if (!idomain.equals(d) && !idomain.endsWith("." + d)) {
                return err.apply("i= domain is not d= or a subdomain of it");
            }
            Optional<String> q = t.get("q");
            if (q.isPresent()
                    && !TagList.noWhitespace(q.get()).toLowerCase(Locale.ROOT).contains("dns/txt")) {
                return err.apply("unsupported query method q=" + TagList.abbreviate(q.get()));
            }
        }
        long l = number(t.get("l"));
        long ts = number(t.get("t"));
        long x = number(t.get("x"));
        if (l == -2 || ts == -2 || x == -2) {
            return err.apply("invalid number in l=, t= or x=");
        }
        if (x >= 0 && ts >= 0 && x < ts) {
            return err.apply("x= before t=");
        }
        String bText = TagList.noWhitespace(t.get("b").orElseThrow());
        return new Parsed(
                Optional.of(new SignatureSpec(
                        field,
                        a.toLowerCase(Locale.ROOT),
                        keyType,
                        b,
                        bh,
                        hc,
                        bc,
                        d,
                        s,
                        identity,
                        List.copyOf(h),
                        l,
                        ts,
                        x,
                        bText.substring(0, Math.min(8, bText.length())))),
                "",
                d,
                s,
                a);
    }

    private static long number(Optional<String> v) {
        if (v.isEmpty()) {
            return -1;
        }
        String s = v.get();
        if (s.isEmpty() || s.length() > 18 || !s.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
            return -2;
        }
        return Long.parseLong(s);
    }

    static boolean validDomain(String d) {
        if (d.isEmpty() || d.length() > 253) {
            return false;
        }
        for (String label : d.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63) {
                return false;
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c >= 0x80)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * The header field with the {@code b=} value removed (everything after {@code b=} up to the next semicolon), as
     * the signature covers it.
     */
    static String withoutSignatureValue(String raw) {
        int colon = raw.indexOf(':');
        int i = colon + 1;
        int n = raw.length();
        while (i < n) {
            int semi = raw.indexOf(';', i);
            int end = semi < 0 ? n : semi;
            int k = i;
            while (k < end && isFws(raw.charAt(k))) {
                k++;
            }
            if (k < end && raw.charAt(k) == 'b') {
                int m = k + 1;
                while (m < end && isFws(raw.charAt(m))) {
                    m++;
                }
                if (m < end && raw.charAt(m) == '=') {
                    return raw.substring(0, m + 1) + raw.substring(end);
                }
            }
            i = end + 1;
        }
        return raw;
    }

    private static boolean isFws(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
    }

    /**
     * The bytes the header signature covers: the listed fields (each name picks the bottom-most instance not yet used,
     * a missing one adds nothing), then the signature field itself without its {@code b=} value and without CRLF.
     * Linear: the fields are grouped by name in one pass (scanning all fields for every name in {@code h=} took time
     * proportional to their product, minutes for a header section of 1 MB).
     */
    static byte[] headerData(
            List<HeaderField> fields, List<String> names, Canonicalization canon, String signatureFieldRaw) {
        StringBuilder sb = new StringBuilder(1024);
        java.util.Map<String, List<HeaderField>> bottomUp = new java.util.HashMap<>();
        for (int i = fields.size() - 1; i >= 0; i--) {
            HeaderField f = fields.get(i);
            bottomUp.computeIfAbsent(caseKey(f.name()), k -> new ArrayList<>()).add(f);
        }
        java.util.Map<String, Integer> used = new java.util.HashMap<>();
        for (String name : names) {
            int skip = used.getOrDefault(name, 0);
            List<HeaderField> instances = bottomUp.getOrDefault(caseKey(name), List.of());
            if (skip < instances.size()) {
                sb.append(canon.header(instances.get(skip).raw())).append("\r\n");
            }
            used.put(name, skip + 1);
        }
        sb.append(canon.header(withoutSignatureValue(signatureFieldRaw)));
        return sb.toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /**
     * A key equal for two names exactly when {@link String#equalsIgnoreCase} says they are equal: each code point
     * upper-cased, then lower-cased, as that comparison does.
     */
    static String caseKey(String name) {
        StringBuilder k = new StringBuilder(name.length());
        name.codePoints().forEach(c -> k.appendCodePoint(Character.toLowerCase(Character.toUpperCase(c))));
        return k.toString();
    }
}
