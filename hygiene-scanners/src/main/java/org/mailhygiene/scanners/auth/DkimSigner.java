package org.mailhygiene.scanners.auth;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Signs messages with DKIM (RFC 6376), rsa-sha256 or ed25519-sha256 (RFC 8463) by the key's type, relaxed/relaxed
 * canonicalization by default.
 *
 * <p>The signed header fields default to those a careful signer covers ({@link #DEFAULT_HEADERS}): each present
 * instance is signed, and the fields in {@link #DEFAULT_OVERSIGNED} are signed once more than present ("oversigned")
 * so that nobody can add another From, Subject, ... later without breaking the signature. Sign after every change
 * the gateway makes to the message: a changed signed field or body breaks the signature.
 *
 * <p>Immutable and thread-safe.
 */
public final class DkimSigner {
    /** The fields signed when present. */
    public static final List<String> DEFAULT_HEADERS = List.of(
            "from",
            "reply-to",
            "subject",
            "date",
            "to",
            "cc",
            "message-id",
            "in-reply-to",
            "references",
            "mime-version",
            "content-type",
            "content-transfer-encoding",
            "content-id",
            "content-description",
            "resent-date",
            "resent-from",
            "resent-to",
            "resent-cc",
            "list-id",
            "list-help",
            "list-unsubscribe",
            "list-unsubscribe-post",
            "list-subscribe",
            "list-post",
            "list-owner",
            "list-archive");

    /** The fields signed once more than present, so that adding one breaks the signature. */
    public static final List<String> DEFAULT_OVERSIGNED =
            List.of("from", "reply-to", "subject", "date", "to", "cc", "message-id", "mime-version", "content-type");

    private final String domain;
    private final String selector;
    private final PrivateKey key;
    private final String algorithm;
    private final Canonicalization headerCanon;
    private final Canonicalization bodyCanon;
    private final List<String> headers;
    private final List<String> oversigned;
    private final Clock clock;

    private DkimSigner(Builder b) {
        this.domain = b.domain;
        this.selector = b.selector;
        this.key = b.key;
        this.algorithm = DkimKeys.keyType(b.key) + "-sha256";
        this.headerCanon = b.headerCanon;
        this.bodyCanon = b.bodyCanon;
        this.headers = List.copyOf(b.headers);
        this.oversigned = b.oversigned != null
                ? List.copyOf(b.oversigned)
                : DEFAULT_OVERSIGNED.stream().filter(b.headers::contains).toList();
        this.clock = b.clock;
    }

    /**
     * Starts a builder.
     *
     * @param domain the signing domain {@code d=}; an internationalised one is signed as its A-labels
     * @param selector the selector {@code s=}
     * @param key an RSA (at least 1024 bits) or Ed25519 private key
     * @return a new builder with the defaults in the class description
     * @throws IllegalArgumentException if the domain or selector is not a valid domain name, or the key type is
     *     unsupported
     */
    public static Builder builder(String domain, String selector, PrivateKey key) {
        return new Builder(domain, selector, key);
    }

    /**
     * The signing domain.
     *
     * @return {@code d=}
     */
    public String domain() {
        return domain;
    }

    /**
     * Signs a message held in memory.
     *
     * @param message the whole message
     * @return the {@code DKIM-Signature} field to put on top of the message (folded, without the final CRLF)
     * @throws GeneralSecurityException if signing fails
     */
    public HeaderField sign(byte[] message) throws GeneralSecurityException {
        try (InputStream in = new ByteArrayInputStream(message)) {
            HeaderSection h = HeaderSection.read(in, Integer.MAX_VALUE);
            return sign(h, in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Signs a message.
     *
     * @param section the header section
     * @param body the body, read to its end (not closed)
     * @return the {@code DKIM-Signature} field to put on top of the message (folded, without the final CRLF)
     * @throws IOException if reading the body fails
     * @throws GeneralSecurityException if signing fails
     */
    public HeaderField sign(HeaderSection section, InputStream body) throws IOException, GeneralSecurityException {
        BodyHasher bh = new BodyHasher(bodyCanon, "SHA-256", -1);
        byte[] buf = new byte[16384];
        int n;
        while ((n = body.read(buf)) > 0) {
            bh.update(buf, 0, n);
        }
        return sign(section, bh.finish());
    }

    HeaderField sign(HeaderSection section, byte[] bodyHash) throws GeneralSecurityException {
        List<String> h = signedNames(section, headers, oversigned);
        return signedField(
                "DKIM-Signature",
                "v=1",
                algorithm,
                headerCanon,
                bodyCanon,
                domain,
                selector,
                clock.instant().getEpochSecond(),
                h,
                bodyHash,
                key,
                section);
    }

    /** The h= list: each listed name once per present instance, plus once more if oversigned; From always. */
    static List<String> signedNames(HeaderSection section, List<String> headers, List<String> oversigned) {
        List<String> h = new ArrayList<>();
        for (String name : headers) {
            int present = section.all(name).size();
            int times = present + (oversigned.contains(name) ? 1 : 0);
            for (int i = 0; i < times; i++) {
                h.add(name);
            }
        }
        if (!h.contains("from")) {
            h.add(0, "from");
        }
        return h;
    }

    /**
     * A DKIM-style signature field ({@code DKIM-Signature} or {@code ARC-Message-Signature}): the leading tag
     * ({@code v=1} or {@code i=N}), then a, c, d, s, t, h, bh and b, folded to lines of about 78 characters.
     */
    static HeaderField signedField(
            String fieldName,
            String leadingTag,
            String algorithm,
            Canonicalization headerCanon,
            Canonicalization bodyCanon,
            String domain,
            String selector,
            long timestamp,
            List<String> h,
            byte[] bodyHash,
            PrivateKey key,
            HeaderSection section)
            throws GeneralSecurityException {
        StringBuilder sb = new StringBuilder(fieldName)
                .append(": ")
                .append(leadingTag)
                .append("; a=")
                .append(algorithm)
                .append("; c=")
                .append(headerCanon.tagValue())
                .append('/')
                .append(bodyCanon.tagValue())
                .append(";\r\n\td=")
                .append(domain)
                .append("; s=")
                .append(selector)
                .append("; t=")
                .append(timestamp)
                .append(";\r\n\th=");
        int col = 3;
        for (int i = 0; i < h.size(); i++) {
            String item = h.get(i) + (i + 1 < h.size() ? ":" : ";");
            if (col + item.length() > 72) {
                sb.append("\r\n\t ");
                col = 2;
            }
            sb.append(item);
            col += item.length();
        }
        sb.append("\r\n\tbh=")
                .append(Base64.getEncoder().encodeToString(bodyHash))
                .append(";\r\n\tb=");
        String prefix = sb.toString();
        byte[] data = SignatureSpec.headerData(section.fields(), h, headerCanon, prefix);
        return new HeaderField(
                fieldName, prefix + fold(Base64.getEncoder().encodeToString(DkimVerifier.sign(key, data))));
    }

    /** A base64 signature value in lines of 70 characters. */
    static String fold(String b) {
        StringBuilder out = new StringBuilder(b.length() + b.length() / 35);
        for (int i = 0; i < b.length(); i += 70) {
            if (i > 0) {
                out.append("\r\n\t ");
            }
            out.append(b, i, Math.min(b.length(), i + 70));
        }
        return out.toString();
    }

    /** Lower-cased field names, each checked (RFC 5322 field-name characters). */
    static List<String> fieldNames(List<String> names, boolean allowEmpty) {
        if (names.isEmpty() && !allowEmpty) {
            throw new IllegalArgumentException("no field names");
        }
        List<String> out = new ArrayList<>();
        for (String n : names) {
            if (!n.matches("[!-9;-~]+")) {
                throw new IllegalArgumentException("not a header field name: '" + n + "'");
            }
            out.add(n.toLowerCase(Locale.ROOT));
        }
        return List.copyOf(out);
    }

    /** Throws unless every oversigned name is also a signed one. */
    static void checkOversigned(List<String> headers, List<String> oversigned) {
        for (String n : oversigned) {
            if (!headers.contains(n)) {
                throw new IllegalArgumentException(
                        "oversigned field " + n + " is not among the signed fields " + headers);
            }
        }
    }

    /**
     * Builds a {@link DkimSigner}. Not thread-safe. Setters check their own value; {@link #build()} checks the
     * settings against each other, so the order of the calls does not matter.
     */
    public static final class Builder {
        private final String domain;
        private final String selector;
        private final PrivateKey key;
        private Canonicalization headerCanon = Canonicalization.RELAXED;
        private Canonicalization bodyCanon = Canonicalization.RELAXED;
        private List<String> headers = DEFAULT_HEADERS;
        private List<String> oversigned;
        private Clock clock = Clock.systemUTC();

        private Builder(String domain, String selector, PrivateKey key) {
            this.domain = org.mailhygiene.internal.Domains.ascii(Objects.requireNonNull(domain, "domain"));
            this.selector = Objects.requireNonNull(selector, "selector");
            this.key = Objects.requireNonNull(key, "key");
            if (!SignatureSpec.validDomain(this.domain)) {
                throw new IllegalArgumentException("invalid signing domain: " + domain);
            }
            if (!SignatureSpec.validDomain(selector.toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("invalid selector: " + selector);
            }
            DkimKeys.keyType(key);
        }

        /**
         * The canonicalizations (default relaxed/relaxed).
         *
         * @param header for header fields
         * @param body for the body
         * @return this builder
         */
        public Builder canonicalization(Canonicalization header, Canonicalization body) {
            this.headerCanon = Objects.requireNonNull(header, "header");
            this.bodyCanon = Objects.requireNonNull(body, "body");
            return this;
        }

        /**
         * The fields to sign when present (default {@link #DEFAULT_HEADERS}); From is always signed.
         *
         * @param names field names
         * @return this builder
         * @throws IllegalArgumentException if the list is empty or a name is not a field name
         */
        public Builder headers(List<String> names) {
            this.headers = fieldNames(names, false);
            return this;
        }

        /**
         * The fields to oversign (default those of {@link #DEFAULT_OVERSIGNED} that are in {@link #headers}).
         *
         * @param names field names, each also in {@link #headers} (checked by {@link #build()}); empty for none
         * @return this builder
         * @throws IllegalArgumentException if a name is not a field name
         */
        public Builder oversigned(List<String> names) {
            this.oversigned = fieldNames(names, true);
            return this;
        }

        /**
         * The clock for {@code t=} (default the system clock).
         *
         * @param value the clock
         * @return this builder
         */
        public Builder clock(Clock value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * Builds the signer.
         *
         * @return a new signer
         * @throws IllegalArgumentException if an oversigned field is not among the signed ones
         */
        public DkimSigner build() {
            if (oversigned != null) {
                checkOversigned(headers, oversigned);
            }
            return new DkimSigner(this);
        }
    }
}
