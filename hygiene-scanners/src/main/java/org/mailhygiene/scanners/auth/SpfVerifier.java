package org.mailhygiene.scanners.auth;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.scanners.auth.dns.DnsRecord;
import org.mailhygiene.scanners.auth.dns.DnsResolver;
import org.mailhygiene.scanners.auth.dns.DnsResult;
import org.mailhygiene.scanners.auth.dns.DnsType;

/**
 * Evaluates SPF (RFC 7208) for a client address and a MAIL FROM or HELO identity.
 *
 * <p>The processing limits of section 4.6.4 are enforced: at most {@value #MAX_LOOKUPS} DNS-querying terms
 * ({@code include}, {@code a}, {@code mx}, {@code ptr}, {@code exists}, {@code redirect}) in the whole evaluation,
 * at most {@value #MAX_VOID_LOOKUPS} of them finding nothing, at most 10 MX and 10 PTR names per term; exceeding one
 * is a permerror. Macros are expanded ({@code %{p}} expands to {@code unknown}, as the RFC allows). DNS failures are
 * temperror. Never throws for bad records or DNS problems.
 *
 * <p>Thread-safe: instances hold only the resolver.
 */
public final class SpfVerifier {
    /** The most DNS-querying terms per evaluation (RFC 7208 section 4.6.4). */
    public static final int MAX_LOOKUPS = 10;

    /** The most DNS-querying terms that find nothing (RFC 7208 section 4.6.4). */
    public static final int MAX_VOID_LOOKUPS = 2;

    private final DnsResolver dns;
    private final String receiver;

    /**
     * Creates a verifier whose {@code %{r}} macro (explanations only) expands to {@code unknown}.
     *
     * @param dns where records are looked up
     */
    public SpfVerifier(DnsResolver dns) {
        this(dns, "unknown");
    }

    /**
     * Creates a verifier.
     *
     * @param dns where records are looked up
     * @param receiver this host's domain name, the {@code %{r}} macro of explanations
     * @throws IllegalArgumentException if {@code receiver} is blank or holds characters outside printable ASCII
     */
    public SpfVerifier(DnsResolver dns, String receiver) {
        this.dns = Objects.requireNonNull(dns, "dns");
        if (receiver.isBlank() || !receiver.matches("[!-~]+")) {
            throw new IllegalArgumentException("invalid receiver name: " + receiver);
        }
        this.receiver = receiver;
    }

    /**
     * Checks the HELO identity alone (RFC 7208 section 2.3), as {@link #check} does for the null reverse path; a HELO
     * name that is not a domain name (an address literal, a bare word) is {@code none}.
     *
     * @param ip the client's address
     * @param helo the HELO/EHLO name
     * @return the result, identity {@code helo}
     */
    public SpfResult checkHelo(InetAddress ip, String helo) {
        Objects.requireNonNull(ip, "ip");
        String domain = aLabels(helo);
        return checkHost(ip, "helo", domain, "postmaster@" + domain, helo);
    }

    /**
     * Checks the MAIL FROM identity, or the HELO identity when the reverse path is null (RFC 7208 section 2.4).
     *
     * @param ip the client's address
     * @param mailFrom the reverse path without brackets, {@code ""} for the null sender
     * @param helo the HELO/EHLO name, {@code ""} if unknown
     * @return the result
     */
    public SpfResult check(InetAddress ip, String mailFrom, String helo) {
        Objects.requireNonNull(ip, "ip");
        if (mailFrom.isEmpty()) {
            return checkHelo(ip, helo);
        }
        int at = mailFrom.lastIndexOf('@');
        String domain = aLabels(at < 0 ? mailFrom : mailFrom.substring(at + 1));
        String sender = at <= 0 ? "postmaster@" + domain : mailFrom.substring(0, at + 1) + domain;
        return checkHost(ip, "mailfrom", domain, sender, helo);
    }

    /**
     * An internationalised domain (SMTPUTF8, RFC 6531) as DNS knows it: its A-labels ({@code bücher.example} ->
     * {@code xn--bcher-kva.example}, RFC 8616 section 3; {@code straße.example} -> {@code xn--strae-oqa.example}, not
     * {@code strasse.example}: see {@code org.mailhygiene.internal.Domains}). It was looked up as its raw UTF-8, so the domain's record was
     * never found and SPF could never align with DMARC's A-label From domain. A name that is no valid internationalised
     * name comes back unchanged and is checked as an invalid domain ({@code none}).
     */
    static String aLabels(String domain) {
        if (domain.chars().allMatch(c -> c < 0x80)) {
            return domain;
        }
        try {
            return org.mailhygiene.internal.Domains.aLabels(domain);
        } catch (IllegalArgumentException e) {
            return domain;
        }
    }

    /**
     * The check_host() function of RFC 7208 section 4.
     *
     * @param ip the client's address (an IPv4-mapped IPv6 address counts as IPv4)
     * @param identity {@code mailfrom} or {@code helo}, for the result
     * @param domain the domain to check
     * @param sender the sender mailbox for macros
     * @param helo the HELO name for macros
     * @return the result
     */
    public SpfResult checkHost(InetAddress ip, String identity, String domain, String sender, String helo) {
        InetAddress client = unmap(ip);
        State st = new State();
        Macros.Context ctx =
                new Macros.Context(client, sender, domain.toLowerCase(Locale.ROOT), helo, () -> "unknown", receiver);
        Outcome o = evaluate(client, domain, ctx, st, 0);
        return new SpfResult(
                o.status, identity, domain, sender, o.reason, st.lookups, st.voids, Optional.ofNullable(o.explanation));
    }

    private static final class State {
        int lookups;
        int voids;
    }

    private record Outcome(AuthStatus status, String reason, String explanation) {
        Outcome(AuthStatus status, String reason) {
            this(status, reason, null);
        }
    }

    private static final class Abort extends Exception {
        private static final long serialVersionUID = 1L;
        final transient Outcome outcome;

        Abort(AuthStatus status, String reason) {
            super(reason, null, false, false);
            this.outcome = new Outcome(status, reason);
        }
    }

    private Outcome evaluate(InetAddress ip, String domain, Macros.Context outer, State st, int depth) {
        String d = domain.toLowerCase(Locale.ROOT);
        if (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        if (!validCheckDomain(d)) {
            return new Outcome(AuthStatus.NONE, "invalid domain " + TagList.abbreviate(domain));
        }
        if (depth > 20) {
            return new Outcome(AuthStatus.PERMERROR, "include/redirect nesting too deep");
        }
        DnsResult txt = dns.query(d, DnsType.TXT);
        if (txt.status() == DnsResult.Status.TEMPERROR) {
            return new Outcome(AuthStatus.TEMPERROR, "DNS error looking up " + d + ": " + txt.detail());
        }
        List<String> records = new ArrayList<>();
        for (DnsRecord r : txt.records()) {
            if (SpfRecord.isSpf(r.text())) {
                records.add(r.text());
            }
        }
        if (records.isEmpty()) {
            return new Outcome(AuthStatus.NONE, "no SPF record at " + d);
        }
        if (records.size() > 1) {
            return new Outcome(AuthStatus.PERMERROR, "more than one SPF record at " + d);
        }
        SpfRecord.Parsed parsed = SpfRecord.parse(records.get(0));
        if (parsed.record().isEmpty()) {
            return new Outcome(AuthStatus.PERMERROR, "invalid SPF record at " + d + ": " + parsed.error());
        }
        SpfRecord rec = parsed.record().get();
        String current = d;
        Macros.Context ctx = new Macros.Context(
                ip, outer.sender(), d, outer.helo(), () -> validatedName(ip, current), outer.receiver());
        try {
            for (SpfRecord.Mechanism m : rec.mechanisms()) {
                if (matches(m, ip, ctx, st, depth)) {
                    AuthStatus s = switch (m.qualifier()) {
                        case '-' -> AuthStatus.FAIL;
                        case '~' -> AuthStatus.SOFTFAIL;
                        case '?' -> AuthStatus.NEUTRAL;
                        default -> AuthStatus.PASS;
                    };
                    String reason = "matched " + m.text() + " in the record of " + d;
                    if (s == AuthStatus.FAIL && rec.exp().isPresent()) {
                        return new Outcome(s, reason, explanation(rec.exp().get(), ctx));
                    }
                    return new Outcome(s, reason);
                }
            }
            if (rec.redirect().isPresent()) {
                count(st);
                String target = expandDomain(rec.redirect().get(), ctx);
                Outcome r = evaluate(ip, target, ctx, st, depth + 1);
                if (r.status == AuthStatus.NONE) {
                    return new Outcome(AuthStatus.PERMERROR, "redirect=" + target + " has no SPF record");
                }
                return r;
            }
        } catch (Abort a) {
            return a.outcome;
        }
        return new Outcome(AuthStatus.NEUTRAL, "no mechanism matched in the record of " + d);
    }

    /**
     * The explanation of a fail (RFC 7208 section 6.2): the TXT record at the expanded {@code exp=} domain, its macros
     * expanded. Null, as if there were no {@code exp=}, when the domain does not expand, the lookup fails or finds
     * not exactly one record, or the text is not a valid explanation string of printable ASCII. The lookup does not
     * count against the lookup limits.
     */
    private String explanation(String spec, Macros.Context ctx) {
        String target;
        try {
            target = expandDomain(spec, ctx);
        } catch (Abort a) {
            return null;
        }
        if (!validCheckDomain(target)) {
            return null;
        }
        DnsResult r = dns.query(target, DnsType.TXT);
        if (r.status() != DnsResult.Status.OK || r.records().size() != 1) {
            return null;
        }
        String text = r.records().get(0).text();
        if (text.isEmpty() || !Macros.validMacroString(text, true)) {
            return null;
        }
        String expanded = Macros.expand(text, ctx, true);
        if (expanded == null) {
            return null;
        }
        StringBuilder sb = new StringBuilder(Math.min(expanded.length(), 512));
        for (int i = 0; i < expanded.length() && sb.length() < 512; i++) {
            char c = expanded.charAt(i);
            sb.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return sb.toString();
    }

    private static void count(State st) throws Abort {
        if (++st.lookups > MAX_LOOKUPS) {
            throw new Abort(AuthStatus.PERMERROR, "more than " + MAX_LOOKUPS + " DNS-querying terms");
        }
    }

    private static void countVoid(State st, DnsResult r) throws Abort {
        if (r.isVoid() && ++st.voids > MAX_VOID_LOOKUPS) {
            throw new Abort(AuthStatus.PERMERROR, "more than " + MAX_VOID_LOOKUPS + " void DNS lookups");
        }
    }

    private boolean matches(SpfRecord.Mechanism m, InetAddress ip, Macros.Context ctx, State st, int depth)
            throws Abort {
        switch (m.kind()) {
            case ALL:
                return true;
            case IP4:
                return ip instanceof Inet4Address && inNetwork(ip, m.network().orElseThrow(), m.cidr4());
            case IP6:
                return ip instanceof Inet6Address && inNetwork(ip, m.network().orElseThrow(), m.cidr6());
            case INCLUDE: {
                count(st);
                String target = expandDomain(m.domainSpec().orElseThrow(), ctx);
                Outcome r = evaluate(ip, target, ctx, st, depth + 1);
                return switch (r.status) {
                    case PASS -> true;
                    case FAIL, SOFTFAIL, NEUTRAL -> false;
                    case TEMPERROR -> throw new Abort(AuthStatus.TEMPERROR, "include:" + target + ": " + r.reason);
                    default ->
                        throw new Abort(
                                AuthStatus.PERMERROR,
                                "include:" + target + " gave " + r.status.token() + ": " + r.reason);
                };
            }
            case A: {
                count(st);
                String target = target(m, ctx);
                if (target == null) {
                    return false;
                }
                DnsResult r = lookup(target, ip instanceof Inet4Address ? DnsType.A : DnsType.AAAA);
                countVoid(st, r);
                return anyInNetwork(r, ip, m);
            }
            case MX: {
                count(st);
                String target = target(m, ctx);
                if (target == null) {
                    return false;
                }
                DnsResult r = lookup(target, DnsType.MX);
                countVoid(st, r);
                if (r.records().size() > 10) {
                    throw new Abort(AuthStatus.PERMERROR, "more than 10 MX records at " + target);
                }
                for (DnsRecord mx : r.records()) {
                    DnsResult a = lookup(mx.text(), ip instanceof Inet4Address ? DnsType.A : DnsType.AAAA);
                    if (anyInNetwork(a, ip, m)) {
                        return true;
                    }
                }
                return false;
            }
            case PTR: {
                count(st);
                String target = target(m, ctx);
                if (target == null) {
                    return false;
                }
                DnsResult r = dns.query(Macros.reverseName(ip), DnsType.PTR);
                if (r.status() == DnsResult.Status.TEMPERROR) {
                    return false;
                }
                countVoid(st, r);
                int n = 0;
                for (DnsRecord ptr : r.records()) {
                    if (++n > 10) {
                        break;
                    }
                    String name = ptr.text();
                    if (!name.equals(target) && !name.endsWith("." + target)) {
                        continue;
                    }
                    DnsResult a = dns.query(name, ip instanceof Inet4Address ? DnsType.A : DnsType.AAAA);
                    for (DnsRecord ar : a.records()) {
                        if (ar.address().orElseThrow().equals(ip)) {
                            return true;
                        }
                    }
                }
                return false;
            }
            case EXISTS: {
                count(st);
                String target = expandDomain(m.domainSpec().orElseThrow(), ctx);
                if (!validCheckDomain(target)) {
                    return false;
                }
                DnsResult r = lookup(target, DnsType.A);
                countVoid(st, r);
                return !r.records().isEmpty();
            }
            default:
                return false;
        }
    }

    /**
     * The {@code %{p}} macro (RFC 7208 section 7.3): a reverse name of the address whose forward lookup gives the
     * address back, preferring the domain itself, then a subdomain of it, then any; {@code unknown} if none.
     */
    private String validatedName(InetAddress ip, String domain) {
        DnsResult r = dns.query(Macros.reverseName(ip), DnsType.PTR);
        String any = null;
        String sub = null;
        int n = 0;
        for (DnsRecord ptr : r.records()) {
            if (++n > 10) {
                break;
            }
            String name = ptr.text();
            DnsResult a = dns.query(name, ip instanceof Inet4Address ? DnsType.A : DnsType.AAAA);
            boolean ok =
                    a.records().stream().anyMatch(x -> x.address().orElseThrow().equals(ip));
            if (!ok) {
                continue;
            }
            if (name.equals(domain)) {
                return name;
            }
            if (sub == null && name.endsWith("." + domain)) {
                sub = name;
            }
            if (any == null) {
                any = name;
            }
        }
        return sub != null ? sub : any != null ? any : "unknown";
    }

    private DnsResult lookup(String name, DnsType type) throws Abort {
        DnsResult r = dns.query(name, type);
        if (r.status() == DnsResult.Status.TEMPERROR) {
            throw new Abort(AuthStatus.TEMPERROR, "DNS error looking up " + name + ": " + r.detail());
        }
        return r;
    }

    /** The target of a/mx/ptr: the expanded domain-spec or the current domain; null if not a valid name. */
    private static String target(SpfRecord.Mechanism m, Macros.Context ctx) throws Abort {
        String t = m.domainSpec().isPresent() ? expandDomain(m.domainSpec().get(), ctx) : ctx.domain();
        return validCheckDomain(t) ? t : null;
    }

    private static String expandDomain(String spec, Macros.Context ctx) throws Abort {
        String s = Macros.expand(spec, ctx, false);
        if (s == null) {
            throw new Abort(AuthStatus.PERMERROR, "macro not allowed in " + spec);
        }
        s = s.toLowerCase(Locale.ROOT);
        if (s.endsWith(".")) {
            s = s.substring(0, s.length() - 1);
        }
        while (s.length() > 253) {
            int dot = s.indexOf('.');
            if (dot < 0) {
                break;
            }
            s = s.substring(dot + 1);
        }
        return s;
    }

    private static boolean validCheckDomain(String d) {
        if (d.isEmpty() || d.length() > 253 || !d.contains(".") || d.chars().anyMatch(c -> c >= 0x80)) {
            return false;
        }
        for (String label : d.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63) {
                return false;
            }
        }
        return !(d.startsWith("[") || d.matches("[0-9.]+"));
    }

    private static boolean anyInNetwork(DnsResult r, InetAddress ip, SpfRecord.Mechanism m) {
        for (DnsRecord rec : r.records()) {
            InetAddress a = rec.address().orElseThrow();
            int len = a instanceof Inet4Address ? m.cidr4() : m.cidr6();
            if (a.getClass() == ip.getClass() && inNetwork(ip, a, len)) {
                return true;
            }
        }
        return false;
    }

    static boolean inNetwork(InetAddress ip, InetAddress net, int prefix) {
        byte[] a = ip.getAddress();
        byte[] b = net.getAddress();
        if (a.length != b.length) {
            return false;
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (a[full] & mask) == (b[full] & mask);
    }

    static InetAddress unmap(InetAddress ip) {
        byte[] a = ip.getAddress();
        if (a.length == 16) {
            boolean mapped = a[10] == (byte) 0xff && a[11] == (byte) 0xff;
            for (int i = 0; i < 10 && mapped; i++) {
                mapped = a[i] == 0;
            }
            if (mapped) {
                try {
                    return InetAddress.getByAddress(new byte[] {a[12], a[13], a[14], a[15]});
                } catch (java.net.UnknownHostException e) {
                    return ip;
                }
            }
        }
        return ip;
    }

    static Optional<String> domainOf(String mailbox) {
        int at = mailbox.lastIndexOf('@');
        return at < 0 ? Optional.empty() : Optional.of(mailbox.substring(at + 1).toLowerCase(Locale.ROOT));
    }
}
