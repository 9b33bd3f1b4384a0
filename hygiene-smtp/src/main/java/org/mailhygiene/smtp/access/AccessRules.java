package org.mailhygiene.smtp.access;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Client address rules with the semantics of ucspi-tcp's {@code tcpserver -x} rule files (written with
 * {@code tcprules}), extended with CIDR prefixes and IPv6.
 *
 * <p>Text form: one rule per line, {@code address:instructions}. Blank lines and {@code #} comments are ignored. The
 * address is one of
 *
 * <ul>
 *   <li>an exact IPv4 address ({@code 192.0.2.7});
 *   <li>a dotted prefix ending in a dot ({@code 10.} or {@code 192.168.1.});
 *   <li>a range in the last written octet ({@code 192.0.2.37-53}, {@code 10.2-3.});
 *   <li>a CIDR prefix ({@code 10.0.0.0/8}, {@code [2001:db8::]/32}) or an exact IPv6 address in brackets
 *       ({@code [::1]});
 *   <li>empty: the default rule.
 * </ul>
 *
 * The instructions start with {@code allow} or {@code deny}, followed by optional {@code ,VAR="value"} pairs (any
 * character may quote the value, as in tcprules). A rule that sets {@code RELAYCLIENT} gives relay rights.
 *
 * <p>The most specific matching rule wins, as in tcpserver: specificity is the number of address bits the rule fixes
 * (an exact address fixes all; {@code 10.} fixes 8; a range counts as its written octets); among equally specific
 * rules the first one written wins. IPv4-mapped IPv6 clients ({@code ::ffff:192.0.2.7}) match IPv4 rules. When no rule
 * matches, the client is {@linkplain AccessDecision#ALLOW allowed without relay rights}; write an empty rule
 * ({@code :deny}) to change that.
 *
 * <p>Immutable and thread-safe.
 */
public final class AccessRules {
    private final List<Rule> rules;

    private AccessRules(List<Rule> rules) {
        List<Rule> sorted = new ArrayList<>(rules);
        // stable sort: file order breaks ties
        sorted.sort(Comparator.comparingInt(Rule::specificity).reversed());
        this.rules = List.copyOf(sorted);
    }

    /**
     * No rules: every client is allowed and none may relay.
     *
     * @return the empty rule set
     */
    public static AccessRules allowAll() {
        return new AccessRules(List.of());
    }

    /**
     * Parses tcprules-style text (see the class comment).
     *
     * @param text the rules
     * @return the rule set
     * @throws IllegalArgumentException naming the line number and the problem of a malformed rule
     */
    public static AccessRules parse(String text) {
        List<Rule> rules = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                rules.add(parseRule(line));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return new AccessRules(rules);
    }

    /**
     * Reads and {@linkplain #parse(String) parses} a rule file (UTF-8).
     *
     * @param file the file
     * @return the rule set
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException if a rule is malformed
     */
    public static AccessRules parse(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8));
    }

    /**
     * A builder for rules written in code.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Decides for one client address.
     *
     * @param client the connecting address
     * @return the decision of the most specific matching rule, or {@link AccessDecision#ALLOW}
     */
    public AccessDecision decide(InetAddress client) {
        byte[] addr = canonical(client);
        for (Rule r : rules) {
            if (r.pattern.matches(addr)) {
                return r.decision;
            }
        }
        return AccessDecision.ALLOW;
    }

    /**
     * The number of rules.
     *
     * @return how many rules there are
     */
    public int size() {
        return rules.size();
    }

    private static byte[] canonical(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 16) {
            boolean mapped = true;
            for (int i = 0; i < 10; i++) {
                mapped &= b[i] == 0;
            }
            mapped &= b[10] == (byte) 0xff && b[11] == (byte) 0xff;
            if (mapped) {
                return new byte[] {b[12], b[13], b[14], b[15]};
            }
        }
        return b;
    }

    private static Rule parseRule(String line) {
        String address;
        String instructions;
        if (line.startsWith("[")) {
            int close = line.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("missing ']' in " + line);
            }
            int colon = line.indexOf(':', close);
            if (colon < 0) {
                throw new IllegalArgumentException("missing ':' after the address in " + line);
            }
            address = line.substring(0, colon);
            instructions = line.substring(colon + 1);
        } else {
            int colon = line.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("missing ':' after the address in " + line);
            }
            address = line.substring(0, colon);
            instructions = line.substring(colon + 1);
        }
        Pattern pattern = Pattern.parse(address.strip());
        return new Rule(pattern, parseInstructions(instructions.strip(), address.strip()));
    }

    private static AccessDecision parseInstructions(String text, String address) {
        boolean allow;
        int pos;
        if (text.startsWith("allow")) {
            allow = true;
            pos = 5;
        } else if (text.startsWith("deny")) {
            allow = false;
            pos = 4;
        } else {
            throw new IllegalArgumentException("instructions must start with allow or deny: " + text);
        }
        Map<String, String> vars = new LinkedHashMap<>();
        while (pos < text.length()) {
            if (text.charAt(pos) != ',') {
                throw new IllegalArgumentException("expected ',' at column " + (pos + 1) + " of " + text);
            }
            pos++;
            int eq = text.indexOf('=', pos);
            if (eq < 0) {
                throw new IllegalArgumentException("expected VAR=value after ',' in " + text);
            }
            String name = text.substring(pos, eq).strip();
            if (name.isEmpty() || !name.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '_')) {
                throw new IllegalArgumentException("invalid variable name '" + name + "' in " + text);
            }
            if (eq + 1 >= text.length()) {
                throw new IllegalArgumentException("missing quoted value for " + name);
            }
            char quote = text.charAt(eq + 1);
            int end = text.indexOf(quote, eq + 2);
            if (end < 0) {
                throw new IllegalArgumentException("unterminated value for " + name + " (quote " + quote + ")");
            }
            vars.put(name, text.substring(eq + 2, end));
            pos = end + 1;
        }
        boolean relay = allow && vars.containsKey("RELAYCLIENT");
        return new AccessDecision(allow, relay, vars, address);
    }

    private record Rule(Pattern pattern, AccessDecision decision) {
        int specificity() {
            return pattern.specificity();
        }
    }

    /** An address pattern: a prefix (bytes + bit count) with an optional range on its last octet. */
    private record Pattern(byte[] prefix, int bits, int rangeLow, int rangeHigh, int specificity) {
        static final Pattern ANY = new Pattern(new byte[0], 0, -1, -1, -1);

        boolean matches(byte[] addr) {
            if (bits == 0 && rangeLow < 0) {
                return prefix.length == 0 || prefix.length == addr.length;
            }
            if (addr.length != prefix.length) {
                return false;
            }
            int full = bits / 8;
            for (int i = 0; i < full; i++) {
                if (addr[i] != prefix[i]) {
                    return false;
                }
            }
            int rem = bits % 8;
            if (rem != 0) {
                int mask = (0xff << (8 - rem)) & 0xff;
                if ((addr[full] & mask) != (prefix[full] & mask)) {
                    return false;
                }
            }
            if (rangeLow >= 0) {
                int v = addr[full] & 0xff;
                return v >= rangeLow && v <= rangeHigh;
            }
            return true;
        }

        static Pattern parse(String a) {
            if (a.isEmpty()) {
                return ANY;
            }
            if (a.startsWith("[")) {
                int close = a.indexOf(']');
                if (close < 0) {
                    throw new IllegalArgumentException("missing ']' in " + a);
                }
                String ip = a.substring(1, close);
                String rest = a.substring(close + 1);
                byte[] b = literal(ip, true);
                int bits = b.length * 8;
                if (!rest.isEmpty()) {
                    if (!rest.startsWith("/")) {
                        throw new IllegalArgumentException("expected '/bits' after ']' in " + a);
                    }
                    bits = prefixBits(rest.substring(1), b.length * 8, a);
                }
                return new Pattern(b, bits, -1, -1, bits);
            }
            int slash = a.indexOf('/');
            if (slash >= 0) {
                byte[] b = literal(a.substring(0, slash), false);
                int bits = prefixBits(a.substring(slash + 1), b.length * 8, a);
                return new Pattern(b, bits, -1, -1, bits);
            }
            if (a.indexOf(':') >= 0) {
                throw new IllegalArgumentException("write IPv6 addresses in brackets: [" + a + "]");
            }
            // tcprules dotted forms: exact, prefix "10.0.", ranges "1.2.3.37-53", "10.2-3."
            boolean isPrefix = a.endsWith(".");
            String body = isPrefix ? a.substring(0, a.length() - 1) : a;
            String[] parts = body.split("\\.", -1);
            if (parts.length > 4 || (!isPrefix && parts.length != 4)) {
                throw new IllegalArgumentException(
                        "not an IPv4 address, dotted prefix (ending in '.'), range or CIDR prefix: " + a);
            }
            byte[] prefix = new byte[4];
            int lo = -1;
            int hi = -1;
            for (int i = 0; i < parts.length; i++) {
                String p = parts[i];
                int dash = p.indexOf('-');
                if (dash >= 0) {
                    if (i != parts.length - 1) {
                        throw new IllegalArgumentException("a range is allowed only in the last octet: " + a);
                    }
                    lo = octet(p.substring(0, dash), a);
                    hi = octet(p.substring(dash + 1), a);
                    if (lo > hi) {
                        throw new IllegalArgumentException("empty range " + p + " in " + a);
                    }
                } else {
                    prefix[i] = (byte) octet(p, a);
                }
            }
            int bits = (lo >= 0 ? parts.length - 1 : parts.length) * 8;
            return new Pattern(prefix, bits, lo, hi, parts.length * 8);
        }

        private static int octet(String p, String a) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException("invalid octet '" + p + "' in " + a);
            }
            int v = Integer.parseInt(p);
            if (v > 255) {
                throw new IllegalArgumentException("octet " + v + " > 255 in " + a);
            }
            if (p.length() > 1 && p.charAt(0) == '0') {
                // read as decimal here, while tcprules compares the text (127.0.0.013 matched no client) and
                // inet_aton reads octal: ambiguous
                throw new IllegalArgumentException("octet '" + p + "' in " + a + " has a leading zero, which some"
                        + " programs read as octal (010 as 8): write " + v + " if it is decimal");
            }
            return v;
        }

        private static int prefixBits(String s, int max, String a) {
            try {
                int n = Integer.parseInt(s);
                if (n < 0 || n > max) {
                    throw new IllegalArgumentException("prefix length " + n + " outside 0.." + max + " in " + a);
                }
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid prefix length '" + s + "' in " + a, e);
            }
        }

        private static byte[] literal(String ip, boolean v6Allowed) {
            boolean v6 = ip.indexOf(':') >= 0;
            if (v6 && !v6Allowed) {
                throw new IllegalArgumentException("write IPv6 addresses in brackets: [" + ip + "]");
            }
            // Only literal characters reach InetAddress.getByName, so it never does a DNS lookup.
            boolean ok = v6
                    ? ip.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':')
                    : ip.split("\\.", -1).length == 4 && ip.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.');
            if (!ok) {
                throw new IllegalArgumentException("not an IP address: " + ip);
            }
            String leadingZero = v6 ? null : org.mailhygiene.internal.Ipv4.leadingZeroProblem(ip);
            if (leadingZero != null) {
                throw new IllegalArgumentException(leadingZero);
            }
            try {
                return canonical(InetAddress.getByName(ip));
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("not an IP address: " + ip, e);
            }
        }
    }

    /**
     * Builds rules in code with the same semantics as the text form. Not thread-safe.
     */
    public static final class Builder {
        private final List<Rule> rules = new ArrayList<>();

        private Builder() {}

        /**
         * Allows clients matching {@code address} (any address form of the text syntax, e.g. {@code 10.0.0.0/8}).
         *
         * @param address the address pattern; {@code ""} for the default rule
         * @param relay whether these clients may relay
         * @return this builder
         * @throws IllegalArgumentException if the pattern is malformed
         */
        public Builder allow(String address, boolean relay) {
            Objects.requireNonNull(address, "address");
            Map<String, String> vars = relay ? Map.of("RELAYCLIENT", "") : Map.of();
            rules.add(new Rule(Pattern.parse(address.strip()), new AccessDecision(true, relay, vars, address)));
            return this;
        }

        /**
         * Denies clients matching {@code address}.
         *
         * @param address the address pattern; {@code ""} for the default rule
         * @return this builder
         * @throws IllegalArgumentException if the pattern is malformed
         */
        public Builder deny(String address) {
            Objects.requireNonNull(address, "address");
            rules.add(new Rule(Pattern.parse(address.strip()), new AccessDecision(false, false, Map.of(), address)));
            return this;
        }

        /**
         * The rule set.
         *
         * @return the rules added so far
         */
        public AccessRules build() {
            return new AccessRules(rules);
        }
    }
}
