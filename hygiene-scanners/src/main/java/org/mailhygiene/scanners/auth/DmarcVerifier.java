package org.mailhygiene.scanners.auth;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.IntSupplier;
import org.mailhygiene.scanners.auth.dns.DnsRecord;
import org.mailhygiene.scanners.auth.dns.DnsResolver;
import org.mailhygiene.scanners.auth.dns.DnsResult;
import org.mailhygiene.scanners.auth.dns.DnsType;

/**
 * Evaluates DMARC (RFC 7489): finds the policy of the From domain (or, when it has no record, of its organizational
 * domain; more than one record at either is no policy, {@code none}), checks whether a
 * passing DKIM signature or a passing SPF check is aligned with the From domain (strict or relaxed, per {@code adkim}
 * and {@code aspf}), and applies {@code p}, {@code sp} and {@code pct}.
 *
 * <p>A DKIM result of {@link AuthStatus#POLICY} (content beyond {@code l=}) does not count as a pass. A message with
 * several From fields or several addresses in From has each domain checked: the strictest policy among those that
 * fail applies (RFC 7489 6.6.1); when none fails it is a temperror if a domain's policy could not be looked up,
 * else a permerror; more than {@value #MAX_AUTHOR_DOMAINS} distinct
 * domains fail as under {@code p=quarantine} without a lookup. Never throws for bad records.
 *
 * <p>Thread-safe if the percentage source is.
 */
public final class DmarcVerifier {
    private final DnsResolver dns;
    private final PublicSuffixList psl;
    private final IntSupplier percent;

    /**
     * Creates a verifier.
     *
     * @param dns where policies are looked up
     * @param psl the public suffix list for organizational domains
     * @param percent a source of numbers 0-99 for {@code pct} sampling (for example
     *     {@code () -> ThreadLocalRandom.current().nextInt(100)})
     */
    public DmarcVerifier(DnsResolver dns, PublicSuffixList psl, IntSupplier percent) {
        this.dns = Objects.requireNonNull(dns, "dns");
        this.psl = Objects.requireNonNull(psl, "psl");
        this.percent = Objects.requireNonNull(percent, "percent");
    }

    /**
     * The organizational domain of a domain, by this verifier's list.
     *
     * @param domain a domain
     * @return its organizational domain
     */
    public String organizationalDomain(String domain) {
        return psl.organizationalDomain(domain);
    }

    /**
     * Evaluates DMARC for a message.
     *
     * @param headers the header section (for From)
     * @param dkim the DKIM results
     * @param spf the SPF result, if SPF was checked
     * @return the result
     */
    public DmarcResult evaluate(HeaderSection headers, List<DkimResult> dkim, Optional<SpfResult> spf) {
        List<HeaderField> from = headers.all("From");
        if (from.isEmpty()) {
            return new DmarcResult(AuthStatus.PERMERROR, "", "none", "none", "no From field");
        }
        List<String> domains = new ArrayList<>();
        for (HeaderField f : from) {
            domains.addAll(fromDomains(f.value()));
        }
        if (from.size() == 1 && domains.size() == 1) {
            return evaluate(domains.get(0), dkim, spf);
        }
        String problem = from.size() > 1
                ? "more than one From field"
                : domains.isEmpty() ? "no address with a domain in From" : "more than one address in From";
        // RFC 7489 6.6.1: each author domain is checked and the strictest policy among the checks that fail applies.
        // A permerror alone let a forged address next to the attacker's own (a second field or address) pass clean
        // (audit, session 36).
        java.util.Set<String> distinct = new java.util.LinkedHashSet<>(domains);
        if (distinct.size() > MAX_AUTHOR_DOMAINS) {
            // Each domain costs a DNS lookup or two at DATA time: a From of hundreds of domains would hold the session
            // for minutes, and checking only some would let a forgery hide behind them. No real author list has so
            // many.
            return new DmarcResult(
                    AuthStatus.FAIL,
                    "",
                    "quarantine",
                    "quarantine",
                    problem + ": " + distinct.size() + " domains, more than the " + MAX_AUTHOR_DOMAINS
                            + " checked; held as if one of them failed under p=quarantine");
        }
        DmarcResult strictest = null;
        DmarcResult temporary = null;
        for (String domain : distinct) {
            DmarcResult r = evaluate(domain, dkim, spf);
            if (r.status() == AuthStatus.TEMPERROR && temporary == null) {
                temporary = r;
            }
            if (r.status() == AuthStatus.FAIL
                    && (strictest == null
                            || severity(r.disposition()) > severity(strictest.disposition())
                            || severity(r.disposition()) == severity(strictest.disposition())
                                    && severity(r.policy()) > severity(strictest.policy()))) {
                strictest = r;
            }
        }
        if (strictest != null) {
            return new DmarcResult(
                    AuthStatus.FAIL,
                    strictest.fromDomain(),
                    strictest.policy(),
                    strictest.disposition(),
                    problem + ", the strictest failing: " + strictest.reason());
        }
        if (temporary != null) {
            // a domain whose policy could not be looked up may fail once DNS answers: a temporary error, not the
            // permanent one the several addresses alone would be
            return new DmarcResult(
                    AuthStatus.TEMPERROR,
                    temporary.fromDomain(),
                    "none",
                    "none",
                    problem + ", not all checked: " + temporary.reason());
        }
        return new DmarcResult(AuthStatus.PERMERROR, "", "none", "none", problem);
    }

    /** The most author domains of one message that are checked; more are treated as a quarantine failure. */
    static final int MAX_AUTHOR_DOMAINS = 10;

    private static int severity(String policy) {
        return switch (policy) {
            case "reject" -> 2;
            case "quarantine" -> 1;
            default -> 0;
        };
    }

    /** DMARC for one author domain (as {@link #fromDomains} gives it). */
    private DmarcResult evaluate(String fromDomain, List<DkimResult> dkim, Optional<SpfResult> spf) {
        boolean ascii = fromDomain.chars().allMatch(c -> c < 0x80);
        if (!ascii || !SignatureSpec.validDomain(fromDomain)) {
            // a name left non-ASCII is not UTF-8 or no valid internationalised name (asciiDomain): not written into
            // the header field either
            return new DmarcResult(
                    AuthStatus.PERMERROR,
                    ascii ? fromDomain : "",
                    "none",
                    "none",
                    ascii ? "invalid From domain" : "invalid internationalised From domain");
        }
        String org = psl.organizationalDomain(fromDomain);
        Lookup l = lookup(fromDomain);
        boolean atOrg = false;
        if (l.kind == LookupKind.NONE && !org.equals(fromDomain)) {
            l = lookup(org);
            atOrg = true;
        }
        switch (l.kind) {
            case TEMPERROR:
                return new DmarcResult(AuthStatus.TEMPERROR, fromDomain, "none", "none", l.reason);
            case PERMERROR:
                return new DmarcResult(AuthStatus.PERMERROR, fromDomain, "none", "none", l.reason);
            case NONE:
                return new DmarcResult(AuthStatus.NONE, fromDomain, "none", "none", "no DMARC record");
            case SEVERAL:
                return new DmarcResult(AuthStatus.NONE, fromDomain, "none", "none", l.reason);
            default:
                break;
        }
        TagList t = l.tags;
        String p = t.get("p").map(v -> v.toLowerCase(Locale.ROOT)).orElse("");
        if (!isPolicy(p)) {
            if (t.get("rua").isPresent()) {
                p = "none"; // RFC 7489 6.6.3: an invalid p= with a valid rua= is p=none
            } else {
                return new DmarcResult(
                        AuthStatus.PERMERROR, fromDomain, "none", "none", "DMARC record without a valid p=");
            }
        }
        String policy = p;
        if (atOrg) {
            Optional<String> sp = t.get("sp").map(v -> v.toLowerCase(Locale.ROOT));
            if (sp.isPresent() && isPolicy(sp.get())) {
                policy = sp.get();
            }
        }
        boolean strictDkim = t.get("adkim").map(v -> v.equalsIgnoreCase("s")).orElse(false);
        boolean strictSpf = t.get("aspf").map(v -> v.equalsIgnoreCase("s")).orElse(false);
        int pct = 100;
        Optional<String> pctTag = t.get("pct");
        if (pctTag.isPresent()) {
            String v = pctTag.get();
            if (v.matches("[0-9]{1,3}") && Integer.parseInt(v) <= 100) {
                pct = Integer.parseInt(v);
            }
        }
        for (DkimResult d : dkim) {
            if (d.status() == AuthStatus.PASS && aligned(d.domain(), fromDomain, strictDkim)) {
                return new DmarcResult(
                        AuthStatus.PASS,
                        fromDomain,
                        policy,
                        "none",
                        "DKIM signature of " + d.domain() + " aligned (" + (strictDkim ? "strict" : "relaxed") + ")");
            }
        }
        if (spf.isPresent()
                && spf.get().status() == AuthStatus.PASS
                && aligned(spf.get().domain(), fromDomain, strictSpf)) {
            return new DmarcResult(
                    AuthStatus.PASS,
                    fromDomain,
                    policy,
                    "none",
                    "SPF " + spf.get().identity() + " domain " + spf.get().domain() + " aligned ("
                            + (strictSpf ? "strict" : "relaxed") + ")");
        }
        String disposition = policy;
        String sampled = "";
        if (pct < 100 && percent.getAsInt() >= pct) {
            disposition = policy.equals("reject") ? "quarantine" : "none";
            sampled = ", outside pct=" + pct + " so " + disposition;
        }
        return new DmarcResult(
                AuthStatus.FAIL,
                fromDomain,
                policy,
                disposition,
                "no aligned DKIM signature or SPF pass; policy " + policy + sampled);
    }

    /**
     * Whether an authenticated domain is aligned with the From domain; a trailing dot (the root's empty label, as in
     * {@code MAIL FROM:<b@bank.example.>}) names the same domain on either side.
     */
    private boolean aligned(String domain, String fromDomain, boolean strict) {
        String d = withoutRootDot(domain.toLowerCase(Locale.ROOT));
        String from = withoutRootDot(fromDomain);
        if (strict) {
            return d.equals(from);
        }
        return psl.organizationalDomain(d).equals(psl.organizationalDomain(from));
    }

    private static String withoutRootDot(String domain) {
        return domain.endsWith(".") ? domain.substring(0, domain.length() - 1) : domain;
    }

    private static boolean isPolicy(String p) {
        return p.equals("none") || p.equals("quarantine") || p.equals("reject");
    }

    private enum LookupKind {
        FOUND,
        NONE,
        /** More than one record: policy discovery ends here, without the organizational domain's (RFC 7489 6.6.3). */
        SEVERAL,
        TEMPERROR,
        PERMERROR
    }

    private record Lookup(LookupKind kind, TagList tags, String reason) {}

    private Lookup lookup(String domain) {
        DnsResult r = dns.query("_dmarc." + domain, DnsType.TXT);
        if (r.status() == DnsResult.Status.TEMPERROR) {
            return new Lookup(LookupKind.TEMPERROR, null, "DMARC lookup for " + domain + " failed: " + r.detail());
        }
        List<String> records = new ArrayList<>();
        for (DnsRecord rec : r.records()) {
            String txt = rec.text().stripLeading();
            if (txt.regionMatches(false, 0, "v=DMARC1", 0, 8)
                    && (txt.length() == 8 || txt.charAt(8) == ';' || txt.charAt(8) == ' ' || txt.charAt(8) == '\t')) {
                records.add(txt);
            }
        }
        if (records.isEmpty()) {
            return new Lookup(LookupKind.NONE, null, "");
        }
        if (records.size() > 1) {
            // RFC 7489 6.6.3 steps 3 and 5: only an empty set sends the lookup on to the organizational domain; several
            // records end it with no policy (the parent's sp=reject applied to a subdomain that was changing its
            // record)
            return new Lookup(
                    LookupKind.SEVERAL,
                    null,
                    "more than one DMARC record at _dmarc." + domain + ", so no policy (RFC 7489 6.6.3)");
        }
        TagList.Parsed p = TagList.parse(records.get(0));
        if (!p.valid()) {
            return new Lookup(
                    LookupKind.PERMERROR, null, "malformed DMARC record at _dmarc." + domain + ": " + p.error());
        }
        return new Lookup(LookupKind.FOUND, p.list().orElseThrow(), "");
    }

    /**
     * A From domain as DNS asks for it, lower case. The header is read byte for byte (ISO-8859-1), so an
     * internationalised domain (RFC 6532: UTF-8 in the header) arrives as its UTF-8 bytes: they are decoded and the
     * name converted to its A-labels ({@code bücher.example} -> {@code xn--bcher-kva.example}, {@code straße.example}
     * -> {@code xn--strae-oqa.example}, not {@code strasse.example}: see {@code org.mailhygiene.internal.Domains}). Lower-cased as it was,
     * the bytes were garbled and sent to DNS raw, so the domain's policy was never found (audit, session 32). A name
     * that is not UTF-8 or no valid internationalised name comes back unchanged, non-ASCII, and is refused as invalid.
     */
    static String asciiDomain(String raw) {
        boolean ascii = raw.chars().allMatch(c -> c < 0x80);
        if (ascii) {
            return raw.toLowerCase(Locale.ROOT);
        }
        Optional<String> unicode = org.mailhygiene.scanners.mime.TextDecoding.utf8(raw);
        if (unicode.isEmpty()) {
            return raw;
        }
        try {
            return org.mailhygiene.internal.Domains.aLabels(unicode.get());
        } catch (IllegalArgumentException e) {
            return raw;
        }
    }

    /**
     * The domains of the addresses in a From value: angle-addr or bare addr-spec, comments and quotes skipped, the
     * display name of a group ({@code Name: a@x, b@y;}) too, one trailing dot of a domain dropped ({@code a@x.} is
     * {@code x} in DNS).
     */
    static List<String> fromDomains(String value) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int depth = 0;
        boolean quoted = false;
        boolean angle = false;
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (quoted) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    quoted = false;
                }
                continue;
            }
            if (depth > 0) {
                if (c == '\\') {
                    i++;
                } else if (c == '(') {
                    depth++;
                } else if (c == ')') {
                    depth--;
                }
                continue;
            }
            if (angle) {
                // an angle address, an obsolete route (<@relay:user@domain>) included; a quoted local part or a comment
                // in it may hold '>' (skipped as outside)
                if (c == '"') {
                    quoted = true;
                } else if (c == '(') {
                    depth++;
                } else {
                    angle = c != '>';
                    cur.append(c);
                }
                continue;
            }
            switch (c) {
                case '"' -> quoted = true;
                case '(' -> depth++;
                case '<' -> {
                    angle = true;
                    cur.append(c);
                }
                // a group (display-name ":" mailbox-list ";"): the name before ':' is no address
                case ':' -> cur.setLength(0);
                case ',', ';' -> {
                    parts.add(cur.toString());
                    cur.setLength(0);
                }
                default -> cur.append(c);
            }
        }
        parts.add(cur.toString());
        for (String part : parts) {
            String s = part.strip();
            if (s.isEmpty()) {
                continue;
            }
            int lt = s.lastIndexOf('<');
            int gt = s.lastIndexOf('>');
            String addr = lt >= 0 && gt > lt ? s.substring(lt + 1, gt) : s;
            int at = addr.lastIndexOf('@');
            if (at >= 0) {
                String domain = addr.substring(at + 1).strip();
                if (domain.length() > 1 && domain.endsWith(".") && !domain.endsWith("..")) {
                    domain = domain.substring(0, domain.length() - 1); // the same name in DNS (a root label)
                }
                out.add(asciiDomain(domain));
            } else {
                out.add("");
            }
        }
        out.removeIf(String::isEmpty);
        return out;
    }
}
