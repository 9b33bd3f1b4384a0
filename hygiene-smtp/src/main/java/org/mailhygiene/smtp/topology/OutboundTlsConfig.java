package org.mailhygiene.smtp.topology;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.mailhygiene.smtp.config.ConfigException;
import org.mailhygiene.smtp.config.ConfigFile;
import org.mailhygiene.smtp.delivery.RouteTlsPolicies;
import org.mailhygiene.smtp.delivery.TlsPolicy;

/**
 * The outbound TLS keys of a node's configuration file: the node default ({@code outbound-tls},
 * {@code outbound-tls-verify}, {@code outbound-tls-trust}) and per-route entries ({@code route-tls}, repeatable):
 *
 * <pre>
 * route-tls = PATTERN:MODE [verify=host|chain] [trust=FILE]
 * </pre>
 *
 * where {@code PATTERN} is a domain pattern as in {@code smtproutes} ({@code partner.example}, {@code .partner.example}
 * for its subdomains, {@code [192.0.2.1]}, or nothing for the default route) and {@code MODE} is {@code none},
 * {@code opportunistic} or {@code required}. {@code verify} and {@code trust} apply to {@code required} only; a
 * required route without them verifies the host name and uses {@code outbound-tls-trust} (or the JDK's trust store).
 * Every value is validated here (files read, contexts built), so {@code --check} finds what start would refuse; errors
 * name the file, the line and the key. Documented in {@code docs/node-config.md}. Package-private; stateless.
 */
final class OutboundTlsConfig {
    private static final String USAGE = "expected PATTERN:MODE [verify=host|chain] [trust=FILE]";

    private OutboundTlsConfig() {}

    /**
     * Reads the outbound TLS keys into the node builder: the default policy as {@link Node.Builder#outboundTls}, the
     * per-route policies (when there are {@code route-tls} lines) as the delivery agent's
     * {@link org.mailhygiene.smtp.delivery.DeliveryAgent.Builder#tlsPolicies}.
     *
     * @param c the file
     * @param b the node builder
     * @param base the directory relative paths are resolved against
     * @throws ConfigException naming the line and the problem
     */
    static void read(ConfigFile c, Node.Builder b, Path base) throws ConfigException {
        Optional<String> mode = c.string("outbound-tls");
        Optional<String> verify = c.string("outbound-tls-verify");
        Optional<String> trust = c.string("outbound-tls-trust");
        List<Map.Entry<String, Integer>> routeLines = c.lines("route-tls");

        String m = mode.orElse("none").strip().toLowerCase(Locale.ROOT);
        if (!List.of("none", "opportunistic", "required").contains(m)) {
            throw error(c, "outbound-tls", "must be none, opportunistic or required, was '" + mode.get() + "'");
        }
        boolean checkHost = true;
        if (verify.isPresent()) {
            if (!m.equals("required")) {
                throw error(c, "outbound-tls-verify", "only applies to outbound-tls = required (was " + m + ")");
            }
            checkHost = verifyValue(verify.get())
                    .orElseThrow(
                            () -> error(c, "outbound-tls-verify", "must be host or chain, was '" + verify.get() + "'"));
        }
        SSLContext nodeTrust = null;
        if (trust.isPresent()) {
            nodeTrust = trustContext(base.resolve(trust.get()), p -> error(c, "outbound-tls-trust", p));
        }

        // Per-route lines: parsed before deciding whether the node's trust file is used at all.
        Map<String, Integer> seen = new HashMap<>();
        List<RouteLine> parsed = new ArrayList<>();
        boolean routeUsesNodeTrust = false;
        for (Map.Entry<String, Integer> line : routeLines) {
            int n = line.getValue();
            String v = line.getKey().strip();
            String[] words = v.split("\\s+");
            String head = words[0];
            int from = 0;
            if (head.startsWith("[")) {
                from = head.indexOf(']');
                if (from < 0) {
                    throw lineError(c, n, "missing ']' after address literal in '" + v + "'");
                }
            }
            int colon = head.indexOf(':', from);
            if (colon < 0) {
                throw lineError(c, n, USAGE + ", was '" + v + "'");
            }
            // an internationalised domain by its A-labels, as the router and the recipients compare
            String pattern = org.mailhygiene.internal.Domains.ascii(head.substring(0, colon));
            String rm = head.substring(colon + 1).toLowerCase(Locale.ROOT);
            if (!List.of("none", "opportunistic", "required").contains(rm)) {
                throw lineError(c, n, "mode must be none, opportunistic or required, was '" + rm + "'");
            }
            Integer first = seen.putIfAbsent(pattern, n);
            if (first != null) {
                throw lineError(
                        c,
                        n,
                        "'" + (pattern.isEmpty() ? ":" : pattern) + "' given more than once (first on line " + first
                                + ")");
            }
            boolean host = true;
            SSLContext own = null;
            for (int i = 1; i < words.length; i++) {
                String w = words[i];
                int eq = w.indexOf('=');
                String k = eq < 0 ? w : w.substring(0, eq);
                String val = eq < 0 ? "" : w.substring(eq + 1);
                if (!k.equals("verify") && !k.equals("trust")) {
                    throw lineError(c, n, "unknown option '" + w + "'; " + USAGE);
                }
                if (!rm.equals("required")) {
                    throw lineError(c, n, k + "= only applies to required (this route is " + rm + ")");
                }
                if (val.isEmpty()) {
                    throw lineError(c, n, k + "= needs a value");
                }
                if (k.equals("verify")) {
                    host = verifyValue(val)
                            .orElseThrow(() -> lineError(c, n, "verify must be host or chain, was '" + val + "'"));
                } else {
                    own = trustContext(base.resolve(val), p -> lineError(c, n, "trust: " + p));
                }
            }
            if (rm.equals("required") && own == null) {
                routeUsesNodeTrust = true;
            }
            parsed.add(new RouteLine(pattern, rm, host, Optional.ofNullable(own), n));
        }
        if (trust.isPresent() && !m.equals("required") && !routeUsesNodeTrust) {
            throw error(
                    c,
                    "outbound-tls-trust",
                    "only used to verify required TLS: set outbound-tls = required or a route-tls line with"
                            + " required (opportunistic TLS verifies nothing)");
        }
        SSLContext defaultTrust = nodeTrust != null ? nodeTrust : systemTrust();
        TlsPolicy nodePolicy = policy(m, defaultTrust, checkHost);
        b.outboundTls(nodePolicy);
        if (parsed.isEmpty()) {
            return;
        }
        RouteTlsPolicies.Builder rb = RouteTlsPolicies.builder(nodePolicy);
        for (RouteLine p : parsed) {
            try {
                rb.route(p.pattern(), policy(p.mode(), p.trust().orElse(defaultTrust), p.checkHost()));
            } catch (IllegalArgumentException e) {
                throw lineError(c, p.line(), e.getMessage());
            }
        }
        RouteTlsPolicies policies = rb.build();
        b.delivery(db -> db.tlsPolicies(policies));
    }

    /** One {@code route-tls} line, parsed. */
    private record RouteLine(String pattern, String mode, boolean checkHost, Optional<SSLContext> trust, int line) {}

    private static TlsPolicy policy(String mode, SSLContext trust, boolean checkHost) {
        return switch (mode) {
            case "none" -> TlsPolicy.disabled();
            case "opportunistic" -> TlsPolicy.opportunistic();
            default ->
                checkHost
                        ? TlsPolicy.required(trust)
                        : TlsPolicy.required(trust).withoutHostNameCheck();
        };
    }

    private static Optional<Boolean> verifyValue(String v) {
        return switch (v.strip().toLowerCase(Locale.ROOT)) {
            case "host" -> Optional.of(true);
            case "chain" -> Optional.of(false);
            default -> Optional.empty();
        };
    }

    private static SSLContext systemTrust() throws ConfigException {
        try {
            return SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
            throw new ConfigException("the JDK has no default TLS context: " + e.getMessage());
        }
    }

    /** Makes the error for a problem with a trust file. */
    private interface Problem {
        ConfigException at(String problem);
    }

    /** A client context trusting exactly the CA certificates in a PEM file. */
    private static SSLContext trustContext(Path f, Problem problem) throws ConfigException {
        try (InputStream in = Files.newInputStream(f)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            int i = 0;
            for (Certificate cc : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ks.setCertificateEntry("ca" + i++, cc);
            }
            if (i == 0) {
                throw problem.at("no certificate in " + f);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            throw problem.at("cannot read " + f + ": " + e.getMessage());
        } catch (GeneralSecurityException e) {
            throw problem.at(f + ": " + e.getMessage());
        }
    }

    private static ConfigException error(ConfigFile c, String key, String problem) {
        return new ConfigException(c.source() + " line " + c.lineOf(key) + ": " + key + ": " + problem);
    }

    private static ConfigException lineError(ConfigFile c, int line, String problem) {
        return new ConfigException(c.source() + " line " + line + ": route-tls: " + problem);
    }
}
