package org.mailhygiene.scanners.auth;

import java.util.Objects;

/**
 * The result of verifying one DKIM signature (or one ARC-Message-Signature).
 *
 * <p>Immutable and thread-safe.
 *
 * @param status pass, fail, policy (verified, but content beyond {@code l=} is unsigned), neutral, temperror or
 *     permerror
 * @param domain the signing domain {@code d=}, empty if the signature could not be parsed that far
 * @param selector the selector {@code s=}, empty if unknown
 * @param identity the agent identity {@code i=} (default {@code @d}), empty if unknown
 * @param algorithm the {@code a=} value, empty if unknown
 * @param signaturePrefix the first 8 characters of {@code b=} (RFC 6008 {@code header.b}), empty if unknown
 * @param reason why, in one line ("signature verified", "body hash mismatch", ...)
 * @param unsignedBodyBytes canonical body bytes beyond {@code l=} that the signature does not cover
 */
public record DkimResult(
        AuthStatus status,
        String domain,
        String selector,
        String identity,
        String algorithm,
        String signaturePrefix,
        String reason,
        long unsignedBodyBytes) {

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public DkimResult {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(selector, "selector");
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(signaturePrefix, "signaturePrefix");
        Objects.requireNonNull(reason, "reason");
    }
}
