package org.mailhygiene.scanners.auth;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed SPF record (RFC 7208 sections 4.6, 5 and 6): its mechanisms in order and its {@code redirect} and
 * {@code exp} modifiers. Parsing checks the whole record, so a syntax error anywhere is a permerror even if an earlier
 * mechanism would match. Never throws for bad input.
 *
 * <p>Immutable and thread-safe.
 *
 * @param mechanisms the mechanisms in order
 * @param redirect the {@code redirect=} domain-spec, if any
 * @param exp the {@code exp=} domain-spec, if any
 */
public record SpfRecord(List<Mechanism> mechanisms, Optional<String> redirect, Optional<String> exp) {

    /**
     * Copies the components.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public SpfRecord {
        mechanisms = List.copyOf(mechanisms);
        java.util.Objects.requireNonNull(redirect, "redirect");
        java.util.Objects.requireNonNull(exp, "exp");
    }

    /** The mechanism kinds. */
    public enum Kind {
        /** Always matches. */
        ALL,
        /** Matches if the included domain's check passes. */
        INCLUDE,
        /** Matches the domain's A/AAAA addresses. */
        A,
        /** Matches the addresses of the domain's MX hosts. */
        MX,
        /** Matches if a validated reverse name is the domain or under it (discouraged). */
        PTR,
        /** Matches an IPv4 network. */
        IP4,
        /** Matches an IPv6 network. */
        IP6,
        /** Matches if the domain has an A record. */
        EXISTS
    }

    /**
     * One mechanism.
     *
     * @param qualifier {@code +}, {@code -}, {@code ~} or {@code ?}
     * @param kind the kind
     * @param domainSpec the domain-spec (macros unexpanded), if given
     * @param network the network address for ip4/ip6, if that kind
     * @param cidr4 the IPv4 prefix length (32 when not given)
     * @param cidr6 the IPv6 prefix length (128 when not given)
     * @param text the term as written, for explanations
     */
    public record Mechanism(
            char qualifier,
            Kind kind,
            Optional<String> domainSpec,
            Optional<InetAddress> network,
            int cidr4,
            int cidr6,
            String text) {}

    /**
     * A parse outcome: the record, or why it is invalid.
     *
     * @param record the record when valid
     * @param error the reason when invalid, else empty
     */
    public record Parsed(Optional<SpfRecord> record, String error) {}

    private static final Pattern MODIFIER = Pattern.compile("([A-Za-z][A-Za-z0-9_.\\-]*)=(.*)", Pattern.DOTALL);
    private static final Pattern DUAL_CIDR = Pattern.compile("^(.*?)(?:/([0-9]+))?(?://([0-9]+))?$", Pattern.DOTALL);

    /**
     * Whether TXT text is an SPF version 1 record: {@code v=spf1} (any case) followed by a space or the end.
     *
     * @param text TXT data
     * @return {@code true} for an SPF record
     */
    public static boolean isSpf(String text) {
        return text.regionMatches(true, 0, "v=spf1", 0, 6) && (text.length() == 6 || text.charAt(6) == ' ');
    }

    /**
     * Parses a record.
     *
     * @param text the TXT data, starting with {@code v=spf1}
     * @return the record, or the reason it is invalid
     */
    public static Parsed parse(String text) {
        if (!isSpf(text)) {
            return err("not an SPF record");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return err("character outside printable ASCII at position " + i);
            }
        }
        List<Mechanism> mechs = new ArrayList<>();
        Optional<String> redirect = Optional.empty();
        Optional<String> exp = Optional.empty();
        for (String term : text.substring(6).split(" +")) {
            if (term.isEmpty()) {
                continue;
            }
            Matcher mod = MODIFIER.matcher(term);
            if (mod.matches() && !isMechanismName(mod.group(1))) {
                String name = mod.group(1).toLowerCase(Locale.ROOT);
                String value = mod.group(2);
                if (!Macros.validMacroString(value)) {
                    return err("invalid macro in " + term);
                }
                boolean targetsDomain = name.equals("redirect") || name.equals("exp");
                if (targetsDomain && (!validDomainSpec(value) || Macros.hasExplanationOnlyMacro(value))) {
                    return err("invalid domain in " + term);
                }
                if (name.equals("redirect")) {
                    if (redirect.isPresent()) {
                        return err("more than one redirect=");
                    }
                    if (!validDomainSpec(value)) {
                        return err("invalid domain in " + term);
                    }
                    redirect = Optional.of(value);
                } else if (name.equals("exp")) {
                    if (exp.isPresent()) {
                        return err("more than one exp=");
                    }
                    exp = Optional.of(value);
                }
                continue;
            }
            Optional<Mechanism> m = mechanism(term);
            if (m.isEmpty()) {
                return err("invalid term " + TagList.abbreviate(term));
            }
            mechs.add(m.get());
        }
        return new Parsed(Optional.of(new SpfRecord(mechs, redirect, exp)), "");
    }

    private static boolean isMechanismName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists" -> true;
            default -> false;
        };
    }

    private static Parsed err(String why) {
        return new Parsed(Optional.empty(), why);
    }

    private static Optional<Mechanism> mechanism(String term) {
        char q = '+';
        String t = term;
        if ("+-~?".indexOf(t.charAt(0)) >= 0) {
            q = t.charAt(0);
            t = t.substring(1);
        }
        int sep = indexOfAny(t, ":/");
        String name = (sep < 0 ? t : t.substring(0, sep)).toLowerCase(Locale.ROOT);
        String rest = sep < 0 ? "" : t.substring(sep);
        switch (name) {
            case "all":
                return rest.isEmpty() ? mech(q, Kind.ALL, null, null, 32, 128, term) : Optional.empty();
            case "include":
            case "exists": {
                if (!rest.startsWith(":")) {
                    return Optional.empty();
                }
                String spec = rest.substring(1);
                if (!Macros.validMacroString(spec) || !validDomainSpec(spec) || Macros.hasExplanationOnlyMacro(spec)) {
                    return Optional.empty();
                }
                return mech(q, name.equals("include") ? Kind.INCLUDE : Kind.EXISTS, spec, null, 32, 128, term);
            }
            case "a":
            case "mx":
            case "ptr": {
                String spec = null;
                String cidrs = rest;
                if (rest.startsWith(":")) {
                    Matcher m = DUAL_CIDR.matcher(rest.substring(1));
                    if (!m.matches()) {
                        return Optional.empty();
                    }
                    spec = m.group(1);
                    cidrs = rest.substring(1 + spec.length());
                    if (!Macros.validMacroString(spec)
                            || !validDomainSpec(spec)
                            || Macros.hasExplanationOnlyMacro(spec)) {
                        return Optional.empty();
                    }
                }
                int[] c = {32, 128};
                if (!cidrs.isEmpty()) {
                    if (name.equals("ptr") || !parseDualCidr(cidrs, c)) {
                        return Optional.empty();
                    }
                }
                Kind k = name.equals("a") ? Kind.A : name.equals("mx") ? Kind.MX : Kind.PTR;
                return mech(q, k, spec, null, c[0], c[1], term);
            }
            case "ip4":
            case "ip6": {
                if (!rest.startsWith(":")) {
                    return Optional.empty();
                }
                String net = rest.substring(1);
                int max = name.equals("ip4") ? 32 : 128;
                int len = max;
                int slash = net.indexOf('/');
                if (slash >= 0) {
                    OptionalCidr oc = cidr(net.substring(slash + 1), max);
                    if (!oc.valid) {
                        return Optional.empty();
                    }
                    len = oc.value;
                    net = net.substring(0, slash);
                }
                Optional<InetAddress> addr = literal(net, name.equals("ip4"));
                if (addr.isEmpty()) {
                    return Optional.empty();
                }
                return name.equals("ip4")
                        ? mech(q, Kind.IP4, null, addr.get(), len, 128, term)
                        : mech(q, Kind.IP6, null, addr.get(), 32, len, term);
            }
            default:
                return Optional.empty();
        }
    }

    private record OptionalCidr(boolean valid, int value) {}

    private static OptionalCidr cidr(String digits, int max) {
        if (digits.isEmpty() || digits.length() > 3 || !digits.chars().allMatch(Character::isDigit)) {
            return new OptionalCidr(false, 0);
        }
        if (digits.length() > 1 && digits.charAt(0) == '0') {
            return new OptionalCidr(false, 0);
        }
        int v = Integer.parseInt(digits);
        return v > max ? new OptionalCidr(false, 0) : new OptionalCidr(true, v);
    }

    private static boolean parseDualCidr(String s, int[] out) {
        Matcher m = Pattern.compile("^(?:/([0-9]+))?(?://([0-9]+))?$").matcher(s);
        if (!m.matches()) {
            return false;
        }
        if (m.group(1) != null) {
            OptionalCidr c = cidr(m.group(1), 32);
            if (!c.valid) {
                return false;
            }
            out[0] = c.value;
        }
        if (m.group(2) != null) {
            OptionalCidr c = cidr(m.group(2), 128);
            if (!c.valid) {
                return false;
            }
            out[1] = c.value;
        }
        return true;
    }

    /**
     * An ip4 or ip6 network address. A dotted quad, alone or at the end of an IPv6 address, has RFC 7208's qnum octets:
     * 0 to 255 without a leading zero ({@code 192.0.010.5} is a syntax error, as in pyspf; the JDK
     * read it as 10, the BSD inet_aton as octal 8).
     */
    static Optional<InetAddress> literal(String s, boolean v4) {
        if (v4) {
            if (!s.matches(QNUM + "(\\." + QNUM + "){3}")) {
                return Optional.empty();
            }
        } else if (!s.contains(":") || !s.matches("[0-9A-Fa-f:]+|[0-9A-Fa-f:]*:" + QNUM + "(\\." + QNUM + "){3}")) {
            return Optional.empty();
        }
        try {
            InetAddress a = InetAddress.getByName(s);
            if (!v4 && a.getAddress().length != 16) {
                // an IPv4-mapped literal written in IPv6 syntax: keep it as the IPv6 form
                byte[] m = new byte[16];
                m[10] = (byte) 0xff;
                m[11] = (byte) 0xff;
                System.arraycopy(a.getAddress(), 0, m, 12, 4);
                return Optional.of(InetAddress.getByAddress(m));
            }
            return Optional.of(a);
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    /** RFC 7208's qnum: a decimal octet 0-255 without a leading zero. */
    private static final String QNUM = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])";

    private static Optional<Mechanism> mech(char q, Kind k, String spec, InetAddress net, int c4, int c6, String text) {
        return Optional.of(new Mechanism(q, k, Optional.ofNullable(spec), Optional.ofNullable(net), c4, c6, text));
    }

    private static int indexOfAny(String s, String chars) {
        for (int i = 0; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }

    /**
     * RFC 7208 section 7.1: a domain-spec ends in a macro or in a valid top label (alphanumerics and hyphens, not all
     * digits), optionally followed by a dot.
     */
    static boolean validDomainSpec(String spec) {
        if (spec.isEmpty()) {
            return false;
        }
        if (spec.endsWith("}")
                || (spec.length() >= 2
                        && spec.charAt(spec.length() - 2) == '%'
                        && "%_-".indexOf(spec.charAt(spec.length() - 1)) >= 0)) {
            return true;
        }
        String s = spec.endsWith(".") ? spec.substring(0, spec.length() - 1) : spec;
        int dot = s.lastIndexOf('.');
        if (dot < 0) {
            return false;
        }
        String top = s.substring(dot + 1);
        if (top.isEmpty() || top.startsWith("-") || top.endsWith("-")) {
            return false;
        }
        boolean alpha = false;
        for (int i = 0; i < top.length(); i++) {
            char c = top.charAt(i);
            if (Character.isLetter(c)) {
                alpha = true;
            } else if (!Character.isDigit(c) && c != '-') {
                return false;
            }
        }
        return alpha;
    }
}
