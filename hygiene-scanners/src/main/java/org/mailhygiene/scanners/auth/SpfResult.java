package org.mailhygiene.scanners.auth;

import java.util.Objects;
import java.util.Optional;

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
 * @param explanation on {@code fail}, the domain's explanation (its {@code exp=} TXT record, macros expanded; RFC
 *     7208 section 6.2); empty otherwise, or when the record has none or it could not be used
 */
public record SpfResult(
        AuthStatus status,
        String identity,
        String domain,
        String sender,
        String reason,
        int dnsLookups,
        int voidLookups,
        Optional<String> explanation) {

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
        Objects.requireNonNull(explanation, "explanation");
    }

    /**
     * A result without explanation.
     *
     * @param status pass, fail, softfail, neutral, none, temperror or permerror
     * @param identity {@code mailfrom} or {@code helo}
     * @param domain the domain whose record was evaluated first
     * @param sender the checked identity as a mailbox
     * @param reason why, in one line
     * @param dnsLookups how many DNS-querying terms were evaluated
     * @param voidLookups how many of them found nothing
     * @throws NullPointerException if a component is {@code null}
     */
    public SpfResult(
            AuthStatus status,
            String identity,
            String domain,
            String sender,
            String reason,
            int dnsLookups,
            int voidLookups) {
        this(status, identity, domain, sender, reason, dnsLookups, voidLookups, Optional.empty());
    }
}
