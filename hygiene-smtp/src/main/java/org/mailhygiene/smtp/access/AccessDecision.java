package org.mailhygiene.smtp.access;

import java.util.Map;
import java.util.Objects;

/**
 * What the access rules say about one client address.
 *
 * <p>Immutable and thread-safe.
 *
 * @param allowed whether the client may open an SMTP session at all ({@code deny} rules say no)
 * @param relay whether the client may send to any domain, not only the accepted ones (qmail's {@code RELAYCLIENT})
 * @param variables the {@code VAR="value"} pairs of the matching rule, in rule order; copied
 * @param rule the address part of the matching rule as written ({@code ""} for the default rule), for logs
 */
public record AccessDecision(boolean allowed, boolean relay, Map<String, String> variables, String rule) {

    /**
     * Validates and copies.
     *
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException if a denied client is marked as a relay client
     */
    public AccessDecision {
        variables = Map.copyOf(Objects.requireNonNull(variables, "variables"));
        Objects.requireNonNull(rule, "rule");
        if (!allowed && relay) {
            throw new IllegalArgumentException("a denied client cannot be a relay client");
        }
    }

    /** Allowed, no relay rights, no variables: what a client gets when no rule matches and no default rule exists. */
    public static final AccessDecision ALLOW = new AccessDecision(true, false, Map.of(), "");
}
