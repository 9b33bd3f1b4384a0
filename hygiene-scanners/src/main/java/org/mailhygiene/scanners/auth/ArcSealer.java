package org.mailhygiene.scanners.auth;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Seals messages with ARC (RFC 8617 section 5.1): adds the next ARC set, an {@code ARC-Authentication-Results} field
 * carrying this host's {@code Authentication-Results}, an {@code ARC-Message-Signature} over the message as it leaves
 * (a DKIM signature with {@code i=} instead of {@code v=}, relaxed/relaxed) and an {@code ARC-Seal} over the chain.
 *
 * <p>The chain validation status {@code cv=} comes from the caller, who validated the chain as it arrived (the
 * {@link AuthScanner}'s {@code arc=} result, see {@link AuthScanner#arcStatus}):
 * <ul>
 *   <li>no ARC set on the message: instance 1, {@code cv=none};
 *   <li>{@code pass}: instance N+1, {@code cv=pass}, the seal covering every set 1..N+1;
 *   <li>{@code fail}, {@code none} or {@code permerror} with sets present: instance N+1, {@code cv=fail}, the seal
 *       covering only its own set (section 5.1.2);
 *   <li>not sealed at all: when the newest seal present already says {@code cv=fail} (the chain is over, section
 *       5.1), when N is already {@value ArcVerifier#MAX_INSTANCES}, or when the validation was a {@code temperror}
 *       (a permanent {@code cv=fail} for a DNS hiccup would be wrong; the message leaves with its chain as it came).
 * </ul>
 *
 * <p>Seal after every change to the message, and after DKIM signing when both are done (the relay's order: tag,
 * DKIM-sign, seal), so that the message signature covers the new {@code DKIM-Signature} and the set sits on top.
 *
 * <p>Immutable and thread-safe.
 */
public final class ArcSealer {
    /** The fields the message signature covers when present: {@link DkimSigner#DEFAULT_HEADERS} and DKIM-Signature. */
    public static final List<String> DEFAULT_HEADERS;

    static {
        List<String> h = new ArrayList<>(DkimSigner.DEFAULT_HEADERS);
        h.add("dkim-signature");
        DEFAULT_HEADERS = List.copyOf(h);
    }

    private static final List<String> NEVER_SIGNED =
            List.of("arc-seal", "arc-message-signature", "arc-authentication-results", "authentication-results");

    private final String domain;
    private final String selector;
    private final PrivateKey key;
    private final String algorithm;
    private final List<String> headers;
    private final List<String> oversigned;
    private final Clock clock;

    private ArcSealer(Builder b) {
        this.domain = b.domain;
        this.selector = b.selector;
        this.key = b.key;
        this.algorithm = DkimKeys.keyType(b.key) + "-sha256";
        this.headers = List.copyOf(b.headers);
        this.oversigned = b.oversigned != null
                ? List.copyOf(b.oversigned)
                : DkimSigner.DEFAULT_OVERSIGNED.stream()
                        .filter(b.headers::contains)
                        .toList();
        this.clock = b.clock;
    }

    /**
     * Starts a builder.
     *
     * @param domain the sealing domain {@code d=} (need not be the From domain)
     * @param selector the selector {@code s=}
     * @param key an RSA (at least 1024 bits) or Ed25519 private key
     * @return a new builder: {@link #DEFAULT_HEADERS}, the system clock
     * @throws IllegalArgumentException if the domain or selector is not a valid domain name, or the key type is
     *     unsupported
     */
    public static Builder builder(String domain, String selector, PrivateKey key) {
        return new Builder(domain, selector, key);
    }

    /**
     * Parses a {@code DOMAIN:SELECTOR:KEY-FILE} specification (the node-config key {@code arc-seal}) and reads the key.
     *
     * @param spec the specification
     * @param base the directory a relative key file is resolved against
     * @return a sealer with the defaults
     * @throws IllegalArgumentException if the specification is malformed or the key unusable, naming the problem
     */
    public static ArcSealer parse(String spec, Path base) {
        String[] f = spec.split(":", 3);
        if (f.length != 3 || f[0].isBlank() || f[1].isBlank() || f[2].isBlank()) {
            throw new IllegalArgumentException("expected DOMAIN:SELECTOR:KEY-FILE, was '" + spec + "'");
        }
        Path file = base.resolve(f[2].strip());
        try {
            return builder(f[0].strip(), f[1].strip(), DkimKeys.readPrivateKey(file))
                    .build();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read key file " + file + ": " + DkimKeys.unreadable(e), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("unusable key in " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The sealing domain.
     *
     * @return {@code d=}
     */
    public String domain() {
        return domain;
    }

    /**
     * The selector.
     *
     * @return {@code s=}
     */
    public String selector() {
        return selector;
    }

    /**
     * One new ARC set, to be put on top of the message in the order of {@link #fields()}.
     *
     * @param instance its instance {@code i=}
     * @param chainValidation its {@code cv=} value: {@code none}, {@code pass} or {@code fail}
     * @param seal the {@code ARC-Seal} field
     * @param messageSignature the {@code ARC-Message-Signature} field
     * @param authenticationResults the {@code ARC-Authentication-Results} field
     */
    public record ArcSet(
            int instance,
            String chainValidation,
            HeaderField seal,
            HeaderField messageSignature,
            HeaderField authenticationResults) {

        /**
         * Validates the components.
         *
         * @throws NullPointerException if a component is {@code null}
         */
        public ArcSet {
            Objects.requireNonNull(chainValidation, "chainValidation");
            Objects.requireNonNull(seal, "seal");
            Objects.requireNonNull(messageSignature, "messageSignature");
            Objects.requireNonNull(authenticationResults, "authenticationResults");
        }

        /**
         * The three fields, top first: seal, message signature, authentication results.
         *
         * @return the fields
         */
        public List<HeaderField> fields() {
            return List.of(seal, messageSignature, authenticationResults);
        }

        /**
         * The bytes to put in front of the message: each field followed by CRLF.
         *
         * @return ISO-8859-1 bytes
         */
        public byte[] bytes() {
            StringBuilder sb = new StringBuilder();
            for (HeaderField f : fields()) {
                sb.append(f.raw()).append("\r\n");
            }
            return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        }
    }

    /**
     * What sealing did: the new set, or why there is none.
     *
     * @param set the new set, empty if the message is not to be sealed
     * @param reason why not, or which instance and cv were added
     */
    public record Sealing(Optional<ArcSet> set, String reason) {
        /**
         * Validates the components.
         *
         * @throws NullPointerException if a component is {@code null}
         */
        public Sealing {
            Objects.requireNonNull(set, "set");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * Seals a message.
     *
     * @param message the whole message as it will leave (read to its end, not closed)
     * @param authResults this host's {@code Authentication-Results} value ({@code authserv-id; method=result ...},
     *     without the field name)
     * @param chain the result of validating the ARC chain the message arrived with
     * @return the new set, or why there is none
     * @throws IOException if reading fails, or the header section exceeds 1 MiB
     * @throws GeneralSecurityException if signing fails
     * @throws IllegalArgumentException if {@code authResults} is blank or holds CR or LF
     */
    public Sealing seal(InputStream message, String authResults, AuthStatus chain)
            throws IOException, GeneralSecurityException {
        Objects.requireNonNull(chain, "chain");
        if (authResults.isBlank() || authResults.indexOf('\r') >= 0 || authResults.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("authResults must be one unfolded, non-blank value");
        }
        InputStream in = message instanceof BufferedInputStream ? message : new BufferedInputStream(message, 16384);
        HeaderSection section = HeaderSection.read(in, 1 << 20);
        List<HeaderField> seals = section.all("ARC-Seal");
        int n = 0;
        HeaderField newest = null;
        for (HeaderField s : seals) {
            int i = ArcVerifier.instance(s);
            if (i > n) {
                n = i;
                newest = s;
            }
        }
        if (!seals.isEmpty() && n == 0) {
            n = seals.size();
        }
        if (newest != null && cv(newest).equals("fail")) {
            return new Sealing(Optional.empty(), "the newest ARC-Seal says cv=fail: the chain ends there");
        }
        if (n >= ArcVerifier.MAX_INSTANCES) {
            return new Sealing(Optional.empty(), "the chain already has " + n + " ARC sets");
        }
        String cv;
        if (n == 0
                && seals.isEmpty()
                && section.all("ARC-Message-Signature").isEmpty()
                && section.all("ARC-Authentication-Results").isEmpty()) {
            cv = "none";
        } else if (chain == AuthStatus.TEMPERROR) {
            return new Sealing(Optional.empty(), "the chain could not be validated (temperror): not sealing");
        } else {
            cv = chain == AuthStatus.PASS ? "pass" : "fail";
        }
        int instance = n + 1;
        BodyHasher bh = new BodyHasher(Canonicalization.RELAXED, "SHA-256", -1);
        byte[] buf = new byte[16384];
        int r;
        while ((r = in.read(buf)) > 0) {
            bh.update(buf, 0, r);
        }
        byte[] bodyHash = bh.finish();
        long t = clock.instant().getEpochSecond();

        HeaderField aar = new HeaderField(
                "ARC-Authentication-Results", "ARC-Authentication-Results: i=" + instance + "; " + fold(authResults));
        HeaderField ams = DkimSigner.signedField(
                "ARC-Message-Signature",
                "i=" + instance,
                algorithm,
                Canonicalization.RELAXED,
                Canonicalization.RELAXED,
                domain,
                selector,
                t,
                DkimSigner.signedNames(section, headers, oversigned),
                bodyHash,
                key,
                section);

        String prefix = "ARC-Seal: i=" + instance + "; a=" + algorithm + "; cv=" + cv + ";\r\n\td=" + domain + "; s="
                + selector + "; t=" + t + ";\r\n\tb=";
        StringBuilder data = new StringBuilder();
        if (cv.equals("pass")) {
            List<HeaderField[]> sets = existingSets(section, n);
            if (sets == null) {
                return new Sealing(Optional.empty(), "the chain said pass but its sets are incomplete: not sealing");
            }
            for (HeaderField[] set : sets) {
                for (HeaderField f : set) {
                    data.append(Canonicalization.RELAXED.header(f.raw())).append("\r\n");
                }
            }
        }
        data.append(Canonicalization.RELAXED.header(aar.raw())).append("\r\n");
        data.append(Canonicalization.RELAXED.header(ams.raw())).append("\r\n");
        data.append(Canonicalization.RELAXED.header(prefix));
        byte[] sig = DkimVerifier.sign(key, data.toString().getBytes(StandardCharsets.ISO_8859_1));
        HeaderField as = new HeaderField(
                "ARC-Seal", prefix + DkimSigner.fold(Base64.getEncoder().encodeToString(sig)));
        return new Sealing(
                Optional.of(new ArcSet(instance, cv, as, ams, aar)), "sealed as i=" + instance + " with cv=" + cv);
    }

    /** The sets 1..n, each AAR, AMS, AS; null if one is missing or doubled. */
    private static List<HeaderField[]> existingSets(HeaderSection section, int n) {
        HeaderField[][] sets = new HeaderField[n][3];
        String[] names = {"ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal"};
        for (int k = 0; k < 3; k++) {
            for (HeaderField f : section.all(names[k])) {
                int i = ArcVerifier.instance(f);
                if (i < 1 || i > n || sets[i - 1][k] != null) {
                    return null;
                }
                sets[i - 1][k] = f;
            }
        }
        List<HeaderField[]> out = new ArrayList<>();
        for (HeaderField[] s : sets) {
            if (s[0] == null || s[1] == null || s[2] == null) {
                return null;
            }
            out.add(s);
        }
        return out;
    }

    private static String cv(HeaderField seal) {
        TagList.Parsed p = TagList.parse(seal.rawValue());
        return p.valid() ? p.list().orElseThrow().get("cv").orElse("").toLowerCase(Locale.ROOT) : "";
    }

    /** Folds an Authentication-Results value after each semicolon, so no line gets near 998 characters. */
    static String fold(String value) {
        StringBuilder sb = new StringBuilder(value.length() + 16);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            sb.append(c);
            if (c == ';' && i + 1 < value.length() && value.charAt(i + 1) == ' ') {
                sb.append("\r\n\t");
                i++;
            }
        }
        return sb.toString();
    }

    /**
     * Builds an {@link ArcSealer}. Not thread-safe. Setters check their own value; {@link #build()} checks the
     * settings against each other, so the order of the calls does not matter.
     */
    public static final class Builder {
        private final String domain;
        private final String selector;
        private final PrivateKey key;
        private List<String> headers = DEFAULT_HEADERS;
        private List<String> oversigned;
        private Clock clock = Clock.systemUTC();

        private Builder(String domain, String selector, PrivateKey key) {
            this.domain = Objects.requireNonNull(domain, "domain").toLowerCase(Locale.ROOT);
            this.selector = Objects.requireNonNull(selector, "selector");
            this.key = Objects.requireNonNull(key, "key");
            if (!SignatureSpec.validDomain(this.domain)) {
                throw new IllegalArgumentException("invalid sealing domain: " + domain);
            }
            if (!SignatureSpec.validDomain(selector.toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("invalid selector: " + selector);
            }
            DkimKeys.keyType(key);
        }

        /**
         * The fields the message signature covers when present (default {@link #DEFAULT_HEADERS}); From is always
         * covered.
         *
         * @param names field names; none of the ARC fields or Authentication-Results
         * @return this builder
         * @throws IllegalArgumentException if a name is an ARC field or Authentication-Results, or not a field name
         */
        public Builder headers(List<String> names) {
            List<String> lower = DkimSigner.fieldNames(names, false);
            for (String n : lower) {
                if (NEVER_SIGNED.contains(n)) {
                    throw new IllegalArgumentException("the ARC message signature must not cover " + n);
                }
            }
            this.headers = lower;
            return this;
        }

        /**
         * The fields covered once more than present, so that adding one breaks the signature (default those of
         * {@link DkimSigner#DEFAULT_OVERSIGNED} that are in {@link #headers}).
         *
         * @param names field names, each also in {@link #headers} (checked by {@link #build()}); empty for none
         * @return this builder
         * @throws IllegalArgumentException if a name is not a field name
         */
        public Builder oversigned(List<String> names) {
            this.oversigned = DkimSigner.fieldNames(names, true);
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
         * Builds the sealer.
         *
         * @return a new sealer
         * @throws IllegalArgumentException if an oversigned field is not among the covered ones
         */
        public ArcSealer build() {
            if (oversigned != null) {
                DkimSigner.checkOversigned(headers, oversigned);
            }
            return new ArcSealer(this);
        }
    }
}
