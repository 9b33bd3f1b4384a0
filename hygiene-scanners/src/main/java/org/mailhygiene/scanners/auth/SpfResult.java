package org.mailhygiene.scanners.auth;

import java.util.Objects;

/**
 * The result of an SPF check (RFC 7208 section 2.6).
 *
 * <p>Immutable and thread-safe.
 *
 * @param status pass, fail, softfail, neutral, none, temperror or permerror
 * @param identity what was checked: {@code mailfrom} or {@code helo}
 * @param domain the domain whose record was evaluated first
 * @param sender the checked identity as a mailbox ({@code postmaster@helo} for the HELO check)
 * @param reason why, in one line (the mechanism that matched, the limit exceeded, the DNS failure)
 * @param dnsLookups how many DNS-querying terms were evaluated (at most 10 allowed)
 * @param voidLookups how many of them found nothing (at most 2 allowed)
 */
public record SpfResult(
        AuthStatus status,
        String identity,
        String domain,
        String sender,
        String reason,
        int dnsLookups,
        int voidLookups) {

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public SpfResult {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(reason, "reason");
    }
}
