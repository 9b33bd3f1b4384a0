package org.mailhygiene.scanners.auth;

import java.util.Objects;

/**
 * The result of a DMARC evaluation (RFC 7489).
 *
 * <p>Immutable and thread-safe.
 *
 * @param status pass, fail, none (no policy), temperror or permerror
 * @param fromDomain the RFC 5322 From domain, empty if there was none usable
 * @param policy the policy the domain asks for: {@code none}, {@code quarantine} or {@code reject} (from {@code sp=}
 *     for a subdomain when the record came from the organizational domain); {@code none} without a record
 * @param disposition what to apply after {@code pct=} sampling: the policy, or one step milder when the message fell
 *     outside the percentage; {@code none} unless the status is fail
 * @param reason why, in one line
 */
public record DmarcResult(AuthStatus status, String fromDomain, String policy, String disposition, String reason) {

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public DmarcResult {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(fromDomain, "fromDomain");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(disposition, "disposition");
        Objects.requireNonNull(reason, "reason");
    }
}
