package org.mailhygiene.api.routing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A router with qmail {@code smtproutes} semantics.
 *
 * <p>For a recipient domain {@code a.b.example}, the first of these entries that exists wins: the exact domain
 * {@code a.b.example}; the suffix entries {@code .b.example}, then {@code .example} (a leading dot matches every
 * subdomain, never the domain itself); the default entry (empty domain). With no matching entry the route is
 * {@link Route.Mx}. Domains compare case-insensitively and internationalised ones by their A-labels
 * ({@code bücher.example} and {@code xn--bcher-kva.example} are one entry); an address literal ({@code user@[192.0.2.1]}) matches only an
 * exact entry for its literal text.
 *
 * <p>File format ({@link #parse(String)}), one entry per line: {@code domain:relay[:port]}, where an empty
 * {@code domain} is the default route and an empty relay ({@code domain:}) means "use MX" explicitly; an address-literal
 * domain keeps its brackets ({@code [192.0.2.1]:relay}, {@code [IPv6:2001:db8::1]:relay}). As an extension,
 * several relays separated by commas form a failover list: {@code example.com:10.0.0.1:25,10.0.0.2:25}. IPv6 relays go in
 * brackets: {@code :[2001:db8::1]:25} (without them, {@code ::1:2526}, the line is refused: its last colon could be the
 * port's or the address's). Blank lines and lines starting with {@code #} are ignored.
 *
 * <p>Immutable and thread-safe.
 */
public final class StaticRouter implements Router {
    private final Map<String, Route> entries;

    private StaticRouter(Map<String, Route> entries) {
        this.entries = Map.copyOf(entries);
    }

    /**
     * Starts an empty builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Parses {@code smtproutes} text (see the class description).
     *
     * @param text the file's content
     * @return a router
     * @throws IllegalArgumentException naming the line number and the problem, for a malformed line or a duplicate
     *     domain
     */
    public static StaticRouter parse(String text) {
        Builder b = builder();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                // An address-literal domain ([IPv6:2001:db8::1]) holds colons: its separator comes after the ']'.
                int from = 0;
                if (line.startsWith("[")) {
                    from = line.indexOf(']');
                    if (from < 0) {
                        throw new IllegalArgumentException("missing ']' after address literal");
                    }
                }
                int colon = line.indexOf(':', from);
                if (colon < 0) {
                    throw new IllegalArgumentException("expected domain:relay[:port]");
                }
                String domain = line.substring(0, colon);
                String relays = line.substring(colon + 1).strip();
                if (relays.isEmpty()) {
                    b.route(domain, Route.mx());
                } else {
                    List<NextHop> hops = new ArrayList<>();
                    for (String r : relays.split(",", -1)) {
                        if (r.isBlank()) {
                            // "relay," or "a,,b": a hop forgotten or a stray comma, never meant as nothing
                            throw new IllegalArgumentException("empty next hop in '" + relays + "'");
                        }
                        try {
                            String hop = r.strip();
                            int first = hop.indexOf(':');
                            if (!hop.startsWith("[")
                                    && hop.indexOf(']') < 0
                                    && first >= 0
                                    && hop.indexOf(':', first + 1) >= 0) {
                                // ::1:2526 reads as the address 0:0:0:0:0:0:1:2526 on port 25, where the port
                                // was likely meant: brackets say which
                                int last = hop.lastIndexOf(':');
                                String address = hop.substring(0, last);
                                if (address.endsWith(":")) {
                                    address += ":"; // the port's colon ended a '::' (::1 is [::]:1 that way)
                                }
                                throw new IllegalArgumentException("write an IPv6 next hop in brackets: [" + address
                                        + "]" + hop.substring(last) + " for port " + hop.substring(last + 1) + ", ["
                                        + hop + "] for port 25");
                            }
                            hops.add(NextHop.parse(hop, NextHop.SMTP_PORT));
                        } catch (IllegalArgumentException e) {
                            String what = domain.isBlank() ? "the default route" : "'" + domain.strip() + "'";
                            throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
                        }
                    }
                    b.route(domain, new Route.Relay(hops));
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("smtproutes line " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return b.build();
    }

    @Override
    public Route route(String recipient) {
        String domain = Router.domainOf(Objects.requireNonNull(recipient, "recipient"));
        return lookup(domain).orElse(Route.mx());
    }

    /**
     * The entry that decides a domain's route, if any: the exact key, suffix key or {@code ""} for the default.
     *
     * @param domain a domain
     * @return the matching entry's key, empty when the MX fallback applies
     */
    public Optional<String> matchingEntry(String domain) {
        return matchingKey(entries.keySet(), domain);
    }

    /**
     * The {@code smtproutes} matching rule over any set of patterns, for tables keyed like this router's (such as the
     * relay's per-route TLS policies): the domain itself, then its {@code .suffix} patterns from the longest (not for
     * an address literal {@code [..]}), then {@code ""}.
     *
     * @param keys the patterns: domains, {@code .suffix} entries and possibly {@code ""}, lower case, internationalised
     *     labels as A-labels
     * @param domainOrAddress a domain or an address (the part after the last {@code @} is used)
     * @return the matching pattern, empty when none matches
     * @throws NullPointerException if an argument is {@code null}
     */
    public static Optional<String> matchingKey(java.util.Set<String> keys, String domainOrAddress) {
        Objects.requireNonNull(keys, "keys");
        String d = Router.domainOf(Objects.requireNonNull(domainOrAddress, "domainOrAddress"));
        if (keys.contains(d)) {
            return Optional.of(d);
        }
        if (!d.startsWith("[")) {
            for (int dot = d.indexOf('.'); dot >= 0; dot = d.indexOf('.', dot + 1)) {
                String suffix = d.substring(dot);
                if (keys.contains(suffix)) {
                    return Optional.of(suffix);
                }
            }
        }
        return keys.contains("") ? Optional.of("") : Optional.empty();
    }

    private Optional<Route> lookup(String domain) {
        return matchingEntry(domain).map(entries::get);
    }

    /**
     * The configured entries, keyed by domain pattern ({@code ""} for the default), lower case, internationalised
     * labels as A-labels.
     *
     * @return an unmodifiable map
     */
    public Map<String, Route> entries() {
        return entries;
    }

    /** Builds a {@link StaticRouter}. Not thread-safe. */
    public static final class Builder {
        private final Map<String, Route> entries = new LinkedHashMap<>();

        private Builder() {}

        /**
         * Adds an entry: an exact domain, a suffix pattern starting with a dot, or {@code ""} for the default.
         *
         * @param domainPattern the pattern
         * @param route the route
         * @return this builder
         * @throws IllegalArgumentException if the pattern is malformed or already present
         */
        public Builder route(String domainPattern, Route route) {
            Objects.requireNonNull(domainPattern, "domainPattern");
            Objects.requireNonNull(route, "route");
            String p = domainPattern.strip().toLowerCase(Locale.ROOT);
            if (p.equals(".")
                    || p.contains("..")
                    || p.contains("@")
                    || p.contains(" ")
                    || (p.endsWith(".") && p.length() > 1)) {
                throw new IllegalArgumentException("malformed domain pattern '" + domainPattern + "'");
            }
            p = org.mailhygiene.internal.Domains.ascii(p);
            if (entries.putIfAbsent(p, route) != null) {
                throw new IllegalArgumentException("duplicate route for '" + p + "'");
            }
            return this;
        }

        /**
         * Sets the default route, used when no domain entry matches.
         *
         * @param route the route
         * @return this builder
         * @throws IllegalArgumentException if a default route is already set
         */
        public Builder defaultRoute(Route route) {
            return route("", route);
        }

        /**
         * Builds the router.
         *
         * @return a new router
         */
        public StaticRouter build() {
            return new StaticRouter(entries);
        }
    }
}
