package org.mailhygiene.scanners.auth;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.api.MessageContent;

/**
 * The DKIM signing a gateway does for its outbound mail: a set of signers, one per domain, and the choice among them
 * by the message's From domain (the signer of that domain, else of its nearest parent domain; none if no signer
 * covers it, or if From is missing or ambiguous, since a signature that does not align with From helps no one).
 *
 * <p>Call it after every change the gateway makes to the message (subject tag, added headers): the signature covers
 * the message as it leaves. Immutable and thread-safe.
 */
public final class DkimSigning {
    private final List<DkimSigner> signers;

    private DkimSigning(List<DkimSigner> signers) {
        this.signers = List.copyOf(signers);
    }

    /**
     * A signing set.
     *
     * @param signers the signers, at most one per domain
     * @return the set
     * @throws IllegalArgumentException if two signers have the same domain
     */
    public static DkimSigning of(List<DkimSigner> signers) {
        for (int i = 0; i < signers.size(); i++) {
            for (int j = i + 1; j < signers.size(); j++) {
                if (signers.get(i).domain().equals(signers.get(j).domain())) {
                    throw new IllegalArgumentException(
                            "two signers for " + signers.get(i).domain());
                }
            }
        }
        return new DkimSigning(signers);
    }

    /**
     * Parses a {@code DOMAIN:SELECTOR:KEY-FILE} specification (the node-config key {@code dkim-sign}) and reads the key.
     *
     * @param spec the specification
     * @param base the directory a relative key file is resolved against
     * @return a signer with the default signed headers and relaxed/relaxed canonicalization
     * @throws IllegalArgumentException if the specification is malformed or the key unusable, naming the problem
     */
    public static DkimSigner parseSigner(String spec, Path base) {
        String[] f = spec.split(":", 3);
        if (f.length != 3 || f[0].isBlank() || f[1].isBlank() || f[2].isBlank()) {
            throw new IllegalArgumentException("expected DOMAIN:SELECTOR:KEY-FILE, was '" + spec + "'");
        }
        Path key = base.resolve(f[2].strip());
        try {
            return DkimSigner.builder(f[0].strip(), f[1].strip(), DkimKeys.readPrivateKey(key))
                    .build();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read key file " + key + ": " + DkimKeys.unreadable(e), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("unusable key in " + key + ": " + e.getMessage(), e);
        }
    }

    /**
     * The signers.
     *
     * @return an unmodifiable list
     */
    public List<DkimSigner> signers() {
        return signers;
    }

    /**
     * The signer for a From domain: its own, else its nearest parent domain's; an internationalised domain by its
     * A-labels.
     *
     * @param fromDomain the From domain
     * @return the signer, if one covers the domain
     */
    public Optional<DkimSigner> signerFor(String fromDomain) {
        String d = org.mailhygiene.internal.Domains.ascii(fromDomain);
        DkimSigner best = null;
        for (DkimSigner s : signers) {
            if ((d.equals(s.domain()) || d.endsWith("." + s.domain()))
                    && (best == null || s.domain().length() > best.domain().length())) {
                best = s;
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * Signs a message if a signer covers its From domain.
     *
     * @param content the message as it will leave
     * @return the {@code DKIM-Signature} field to put on top (folded, no final CRLF), or empty if no signer applies
     * @throws IOException if the content cannot be read, or its header section exceeds 1 MiB
     * @throws GeneralSecurityException if signing fails
     */
    public Optional<HeaderField> sign(MessageContent content) throws IOException, GeneralSecurityException {
        Objects.requireNonNull(content, "content");
        try (InputStream in = new BufferedInputStream(content.openStream(), 16384)) {
            HeaderSection h = HeaderSection.read(in, 1 << 20);
            List<HeaderField> from = h.all("From");
            if (from.size() != 1) {
                return Optional.empty();
            }
            List<String> domains = DmarcVerifier.fromDomains(from.get(0).value());
            if (domains.size() != 1) {
                return Optional.empty();
            }
            Optional<DkimSigner> signer = signerFor(domains.get(0));
            if (signer.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(signer.get().sign(h, in));
        }
    }
}
