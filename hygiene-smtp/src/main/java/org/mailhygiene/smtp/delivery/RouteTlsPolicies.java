package org.mailhygiene.smtp.delivery;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.api.routing.StaticRouter;

/**
 * The outbound TLS policy per route: a default for every destination and entries keyed by the same domain patterns
 * as {@code smtproutes} lines, matched the same way (see {@link org.mailhygiene.api.routing.StaticRouter}): the exact
 * recipient domain, then the suffix entries {@code .b.example}, {@code .example} (a leading dot matches every
 * subdomain, never the domain itself), then the default entry {@code ""}, then the default policy. An address-literal
 * domain ({@code [192.0.2.1]}) matches only its exact entry. Domains compare case-insensitively.
 *
 * <p>Immutable and thread-safe.
 */
public final class RouteTlsPolicies {
    private final TlsPolicy defaultPolicy;
    private final Map<String, TlsPolicy> entries;

    private RouteTlsPolicies(TlsPolicy defaultPolicy, Map<String, TlsPolicy> entries) {
        this.defaultPolicy = defaultPolicy;
        this.entries = Map.copyOf(entries);
    }

    /**
     * Every route under one policy.
     *
     * @param policy the policy
     * @return the policies
     */
    public static RouteTlsPolicies of(TlsPolicy policy) {
        return new RouteTlsPolicies(Objects.requireNonNull(policy, "policy"), Map.of());
    }

    /**
     * Starts a builder.
     *
     * @param defaultPolicy the policy of destinations without an entry
     * @return a new builder
     */
    public static Builder builder(TlsPolicy defaultPolicy) {
        return new Builder(Objects.requireNonNull(defaultPolicy, "defaultPolicy"));
    }

    /**
     * The policy for a recipient domain (or an address: the part after the last {@code @} is used).
     *
     * @param domainOrAddress a domain or an address
     * @return the policy of the matching entry, or the default
     */
    public TlsPolicy policyFor(String domainOrAddress) {
        return matchingEntry(domainOrAddress).map(entries::get).orElse(defaultPolicy);
    }

    /**
     * The entry that decides a domain's policy, if any: the exact key, a suffix key, or {@code ""}.
     *
     * @param domainOrAddress a domain or an address
     * @return the key, empty when the default policy applies
     */
    public Optional<String> matchingEntry(String domainOrAddress) {
        return StaticRouter.matchingKey(entries.keySet(), domainOrAddress);
    }

    /**
     * The default policy.
     *
     * @return the policy of destinations without an entry
     */
    public TlsPolicy defaultPolicy() {
        return defaultPolicy;
    }

    /**
     * The entries, keyed by domain pattern ({@code ""} for the default route), lower case, internationalised labels
     * as A-labels.
     *
     * @return an unmodifiable map
     */
    public Map<String, TlsPolicy> entries() {
        return entries;
    }

    /** Builds {@link RouteTlsPolicies}. Setters validate at once. Not thread-safe. */
    public static final class Builder {
        private final TlsPolicy defaultPolicy;
        private final Map<String, TlsPolicy> entries = new LinkedHashMap<>();

        private Builder(TlsPolicy defaultPolicy) {
            this.defaultPolicy = defaultPolicy;
        }

        /**
         * Adds an entry.
         *
         * @param domainPattern an exact domain, a suffix starting with a dot, an address literal in brackets, or
         *     {@code ""} for the default route; an internationalised domain is kept as its A-labels and matches
         *     recipients in either form
         * @param policy the policy
         * @return this builder
         * @throws IllegalArgumentException if the pattern is malformed or already has an entry
         */
        public Builder route(String domainPattern, TlsPolicy policy) {
            Objects.requireNonNull(domainPattern, "domainPattern");
            Objects.requireNonNull(policy, "policy");
            String p = domainPattern.strip().toLowerCase(Locale.ROOT);
            if (p.equals(".") || p.chars().anyMatch(ch -> ch <= 0x20 || ch == '@' || ch == ':' && !p.startsWith("["))) {
                throw new IllegalArgumentException("bad domain pattern '" + domainPattern + "'");
            }
            String key = org.mailhygiene.internal.Domains.ascii(p); // as the router compares: A-labels
            if (entries.containsKey(key)) {
                throw new IllegalArgumentException("a TLS policy for '" + key + "' is already given");
            }
            entries.put(key, policy);
            return this;
        }

        /**
         * Builds the policies.
         *
         * @return the policies
         */
        public RouteTlsPolicies build() {
            return new RouteTlsPolicies(defaultPolicy, entries);
        }
    }
}
