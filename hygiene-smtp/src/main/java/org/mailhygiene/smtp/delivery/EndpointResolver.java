package org.mailhygiene.smtp.delivery;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.mailhygiene.api.routing.NextHop;
import org.mailhygiene.api.routing.Route;

/**
 * Turns a {@link Route} into endpoints in preference order, each with a failover priority.
 *
 * <p>{@link Route.Relay}: the hops in order (priorities 0, 1, ...); an IP literal is used as it is, without DNS; a host
 * name is looked up for A/AAAA only (never MX, as qmail's {@code smtproutes}), {@code localhost} is 127.0.0.1 without
 * DNS (RFC 6761), and a name that does not exist is a temporary failure (the configuration's mistake: the mail
 * waits, as Postfix defers for a relayhost it cannot find). {@link Route.Mx}: the domain's MX
 * records by preference (equal preferences share a priority); a domain without MX records is its own mail host
 * (RFC 5321 §5.1); a null MX (RFC 7505) and a domain that does not exist are permanent failures; an address literal
 * domain ({@code [192.0.2.1]}) is used directly. An internationalised domain is looked up by its A-labels (RFC 6531
 * section 3.7.3: {@code bücher.example} as {@code xn--bcher-kva.example}); a domain no DNS name can be is a permanent
 * failure, an MX host that is none is skipped as one without addresses. Thread-safe.
 */
final class EndpointResolver {
    /** An endpoint with its failover priority. */
    record Ranked(Endpoint endpoint, int priority) {}

    private final DnsResolver dns;
    private final int mxPort;

    EndpointResolver(DnsResolver dns, int mxPort) {
        this.dns = Objects.requireNonNull(dns, "dns");
        this.mxPort = mxPort;
    }

    List<Ranked> resolve(Route route, String domain) throws DnsException {
        if (route instanceof Route.Relay relay) {
            List<Ranked> out = new ArrayList<>();
            DnsException last = null;
            int prio = 0;
            for (NextHop hop : relay.hops()) {
                try {
                    for (Endpoint e : endpoints(hop)) {
                        out.add(new Ranked(e, prio));
                    }
                } catch (DnsException e) {
                    last = e;
                }
                prio++;
            }
            if (out.isEmpty()) {
                if (last == null) {
                    throw new DnsException("relay hops have no addresses: " + relay, false, null);
                }
                // the route's host names are the configuration's, not the sender's: a name that does not exist is a
                // mistake to mend (as Postfix defers for a relayhost it cannot find), never a reason to bounce mail
                throw last.isPermanent()
                        ? new DnsException(
                                last.getMessage() + " (a host of the configured route " + relay
                                        + "; the mail waits until the configuration or DNS is mended)",
                                false,
                                last)
                        : last;
            }
            return out;
        }
        return mx(domain);
    }

    private List<Endpoint> endpoints(NextHop hop) throws DnsException {
        if (hop.isIpLiteral()) {
            return List.of(Endpoint.literal(hop));
        }
        List<Endpoint> out = new ArrayList<>();
        for (InetAddress a : isLocalhost(hop.host()) ? loopback(hop.host()) : dns.addresses(hop.host())) {
            out.add(new Endpoint(hop, new InetSocketAddress(a, hop.port())));
        }
        if (out.isEmpty()) {
            throw new DnsException(hop.host() + " has no A/AAAA records", false, null);
        }
        return out;
    }

    /**
     * Whether a configured host is a localhost name (RFC 6761 section 6.3: {@code localhost} and names under it), which
     * is the loopback address whatever DNS says: many resolvers do not answer for it, and a route to a filter on this
     * machine is written so. Only for the hops of a configured route; an MX host so named is looked up as any other.
     */
    static boolean isLocalhost(String host) {
        String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        return h.equalsIgnoreCase("localhost")
                || h.toLowerCase(java.util.Locale.ROOT).endsWith(".localhost");
    }

    /**
     * 127.0.0.1 alone: a service on this machine listens there (::1 as well, if at all), and a second endpoint on ::1
     * made a machine without IPv6 report "Address family not supported" instead of the first endpoint's failure.
     */
    private static List<InetAddress> loopback(String host) {
        try {
            return List.of(InetAddress.getByAddress(host, new byte[] {127, 0, 0, 1}));
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e); // a length of 4 is valid
        }
    }

    private List<Ranked> mx(String domain) throws DnsException {
        if (domain.isEmpty()) {
            throw new DnsException("recipient has no domain to look up", true, null);
        }
        if (domain.startsWith("[") && domain.endsWith("]")) {
            String lit = domain.substring(1, domain.length() - 1);
            if (lit.regionMatches(true, 0, "IPv6:", 0, 5)) {
                lit = lit.substring(5);
            }
            try {
                return List.of(new Ranked(Endpoint.literal(new NextHop(lit, mxPort)), 0));
            } catch (IllegalArgumentException e) {
                throw new DnsException("bad address literal " + domain, true, e);
            }
        }
        NextHop self;
        try {
            self = new NextHop(domain, mxPort);
        } catch (IllegalArgumentException e) {
            // a recipient domain no DNS name can be (127.0.0.300, a character no host name holds): never deliverable
            throw new DnsException(domain + " is no domain name: " + e.getMessage(), true, e);
        }
        List<MxRecord> records = new ArrayList<>(dns.mx(self.host()));
        if (records.isEmpty()) {
            List<Ranked> out = new ArrayList<>();
            for (Endpoint e : endpoints(self)) {
                out.add(new Ranked(e, 0));
            }
            return out;
        }
        if (records.stream().anyMatch(MxRecord::isNullMx)) {
            throw new DnsException(domain + " accepts no mail (null MX)", true, null);
        }
        records.sort(Comparator.comparingInt(MxRecord::preference));
        List<Ranked> out = new ArrayList<>();
        DnsException last = null;
        for (MxRecord r : records) {
            try {
                NextHop exchange;
                try {
                    exchange = new NextHop(r.exchange(), mxPort);
                } catch (IllegalArgumentException e) {
                    throw new DnsException(domain + ": MX host '" + r.exchange() + "' is no host name", false, e);
                }
                for (Endpoint e : endpoints(exchange)) {
                    out.add(new Ranked(e, r.preference()));
                }
            } catch (DnsException e) {
                last = e;
            }
        }
        if (out.isEmpty()) {
            throw new DnsException(
                    domain + ": no MX host has an address" + (last != null ? " (" + last.getMessage() + ")" : ""),
                    false,
                    last);
        }
        return out;
    }
}
