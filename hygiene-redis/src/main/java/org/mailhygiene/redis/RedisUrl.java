package org.mailhygiene.redis;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.internal.Checks;
import org.mailhygiene.internal.Urls;

/**
 * A parsed Redis address. Forms (user and password optional, percent-encoded where needed):
 *
 * <ul>
 *   <li>{@code redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]}: one server (port 6379, database 0 by default);
 *   <li>{@code rediss://...}: the same over TLS (the JVM's trust store, or {@code ?cacert=PEM-FILE}); the server's
 *       certificate must name the host as written in the URL (a DNS name, or an IP address entry for an address);
 *   <li>{@code redis-sentinel://[[USER]:PASSWORD@]HOST[:PORT][,HOST[:PORT]...]/MASTER[/DB]}: the master named
 *       {@code MASTER} as the Sentinels report it (Sentinel port 26379 by default); the password is the master's;
 *   <li>{@code redis-cluster://[[USER]:PASSWORD@]HOST[:PORT][,HOST[:PORT]...]}: a Redis Cluster, seeded by these
 *       nodes (database 0 only);
 *   <li>{@code rediss-sentinel://...} and {@code rediss-cluster://...}: the same over TLS, to every server the client
 *       reaches: the Sentinels, the master they name (and the server asked whether it is the master), every cluster
 *       node. The same trust ({@code ?cacert=} or the JVM's store) and the same host-name check as {@code rediss}
 *       apply to each, with the host as the URL writes it for the Sentinels and seeds, and as the Sentinels or the
 *       cluster report it for the others (an IP address, unless they are set to announce host names).
 * </ul>
 *
 * <p>Query parameters: {@code prefix=} the key prefix (default {@code mh:}; lets several clusters share one Redis),
 * {@code cacert=} a PEM file of trusted CA certificates for the TLS schemes; for the Sentinel schemes, the Sentinels'
 * own credentials when they have {@code requirepass} (or an ACL user): {@code sentinel-password=} and
 * {@code sentinel-user=}, percent-encoded (the URL's user and password are the master's; Sentinels are asked without
 * credentials unless these are given); {@code verdict-key=} a file holding the secret the node signs the verdicts it
 * stores with and checks those it reads against, and {@code verdict-key-previous=} one still accepted for reading
 * during a change of secret (docs/cluster.md, Access). IPv6 hosts are written in brackets, several of them too.
 *
 * @param scheme {@code redis}, {@code rediss}, {@code redis-sentinel}, {@code rediss-sentinel}, {@code redis-cluster}
 *     or {@code rediss-cluster}
 * @param hosts one or more {@code host:port} endpoints
 * @param user the ACL user, if given
 * @param password the password, if given
 * @param database the database number (0 for clusters)
 * @param master the Sentinel master name, for the Sentinel schemes
 * @param prefix the key prefix
 * @param caCertificates trusted CA certificates for TLS, if given
 * @param sentinelUser the ACL user the Sentinels are asked as, if given (Sentinel schemes only)
 * @param sentinelPassword the Sentinels' password, if given (Sentinel schemes only)
 * @param verdictKey the file of the secret verdicts are signed and checked with, if given
 * @param previousVerdictKey the file of a secret still accepted for reading verdicts, if given (needs {@code
 *     verdictKey})
 */
public record RedisUrl(
        String scheme,
        List<Endpoint> hosts,
        Optional<String> user,
        Optional<String> password,
        int database,
        Optional<String> master,
        String prefix,
        Optional<Path> caCertificates,
        Optional<String> sentinelUser,
        Optional<String> sentinelPassword,
        Optional<Path> verdictKey,
        Optional<Path> previousVerdictKey) {

    /** The default key prefix. */
    public static final String DEFAULT_PREFIX = "mh:";

    /** The query parameters this class reads, in the order error messages list them. */
    private static final List<String> PARAMETERS =
            List.of("prefix", "cacert", "sentinel-user", "sentinel-password", "verdict-key", "verdict-key-previous");

    /** The schemes this class reads, in the order error messages list them. */
    private static final List<String> SCHEMES =
            List.of("redis", "rediss", "redis-sentinel", "rediss-sentinel", "redis-cluster", "rediss-cluster");

    /**
     * One host and port.
     *
     * @param host a host name or address (IPv6 without brackets)
     * @param port the TCP port
     */
    public record Endpoint(String host, int port) {
        /**
         * Validates.
         *
         * @throws IllegalArgumentException if the host is blank or the port is out of range
         */
        public Endpoint {
            Objects.requireNonNull(host, "host");
            if (host.isBlank()) {
                throw new IllegalArgumentException("empty host");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
        }

        @Override
        public String toString() {
            return org.mailhygiene.internal.HostPorts.of(host, port);
        }
    }

    /**
     * Validates and copies.
     *
     * @throws IllegalArgumentException if the combination is invalid
     */
    public RedisUrl {
        Objects.requireNonNull(scheme, "scheme");
        hosts = List.copyOf(hosts);
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(master, "master");
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(caCertificates, "caCertificates");
        Objects.requireNonNull(sentinelUser, "sentinelUser");
        Objects.requireNonNull(sentinelPassword, "sentinelPassword");
        Objects.requireNonNull(verdictKey, "verdictKey");
        Objects.requireNonNull(previousVerdictKey, "previousVerdictKey");
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException("no host");
        }
        Checks.requireAtLeast(database, 0, "database");
        if ((sentinelUser.isPresent() || sentinelPassword.isPresent()) && !viaSentinel(scheme)) {
            throw new IllegalArgumentException(
                    "Sentinel credentials are for redis-sentinel and rediss-sentinel URLs only");
        }
        if (previousVerdictKey.isPresent() && verdictKey.isEmpty()) {
            throw new IllegalArgumentException("a previous verdict key needs the current one (verdict-key=)");
        }
    }

    /**
     * A URL without verdict keys (the form before they could be given).
     *
     * @param scheme one of the schemes of the class description
     * @param hosts one or more {@code host:port} endpoints
     * @param user the ACL user, if given
     * @param password the password, if given
     * @param database the database number (0 for clusters)
     * @param master the Sentinel master name, for the Sentinel schemes
     * @param prefix the key prefix
     * @param caCertificates trusted CA certificates for TLS, if given
     * @param sentinelUser the ACL user the Sentinels are asked as, if given (Sentinel schemes only)
     * @param sentinelPassword the Sentinels' password, if given (Sentinel schemes only)
     * @throws IllegalArgumentException if the combination is invalid
     */
    public RedisUrl(
            String scheme,
            List<Endpoint> hosts,
            Optional<String> user,
            Optional<String> password,
            int database,
            Optional<String> master,
            String prefix,
            Optional<Path> caCertificates,
            Optional<String> sentinelUser,
            Optional<String> sentinelPassword) {
        this(
                scheme,
                hosts,
                user,
                password,
                database,
                master,
                prefix,
                caCertificates,
                sentinelUser,
                sentinelPassword,
                Optional.empty(),
                Optional.empty());
    }

    /**
     * A URL without Sentinel credentials (the form before they could be given).
     *
     * @param scheme one of the schemes of the class description
     * @param hosts one or more {@code host:port} endpoints
     * @param user the ACL user, if given
     * @param password the password, if given
     * @param database the database number (0 for clusters)
     * @param master the Sentinel master name, for the Sentinel schemes
     * @param prefix the key prefix
     * @param caCertificates trusted CA certificates for TLS, if given
     * @throws IllegalArgumentException if the combination is invalid
     */
    public RedisUrl(
            String scheme,
            List<Endpoint> hosts,
            Optional<String> user,
            Optional<String> password,
            int database,
            Optional<String> master,
            String prefix,
            Optional<Path> caCertificates) {
        this(
                scheme,
                hosts,
                user,
                password,
                database,
                master,
                prefix,
                caCertificates,
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty());
    }

    /**
     * Whether this URL uses TLS (to every server the client reaches).
     *
     * @return {@code true} for {@code rediss}, {@code rediss-sentinel} and {@code rediss-cluster}
     */
    public boolean tls() {
        return scheme.startsWith("rediss");
    }

    /**
     * Whether this URL names a master through Sentinels.
     *
     * @return {@code true} for {@code redis-sentinel} and {@code rediss-sentinel}
     */
    public boolean viaSentinel() {
        return viaSentinel(scheme);
    }

    /**
     * Whether this URL names a Redis Cluster.
     *
     * @return {@code true} for {@code redis-cluster} and {@code rediss-cluster}
     */
    public boolean cluster() {
        return cluster(scheme);
    }

    private static boolean viaSentinel(String scheme) {
        return scheme.endsWith("-sentinel");
    }

    private static boolean cluster(String scheme) {
        return scheme.endsWith("-cluster");
    }

    /** The scheme without TLS or with it, as {@code tls} says: {@code redis-cluster} to {@code rediss-cluster}. */
    private static String withTls(String scheme, boolean tls) {
        String kind = scheme.startsWith("rediss") ? scheme.substring(6) : scheme.substring(5);
        return (tls ? "rediss" : "redis") + kind;
    }

    /**
     * The schemes this class reads.
     *
     * @return the six schemes in the class description, lower case, unmodifiable
     */
    public static java.util.Set<String> schemes() {
        return java.util.Set.copyOf(SCHEMES);
    }

    /**
     * Whether the scheme is one of this module's (any case).
     *
     * @param scheme a URL scheme
     * @return {@code true} for the six schemes in the class description
     */
    public static boolean handles(String scheme) {
        return scheme != null && SCHEMES.contains(scheme.toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * Parses a URL.
     *
     * @param url the text
     * @return the parsed address
     * @throws IllegalArgumentException with a sentence naming the problem
     */
    public static RedisUrl parse(String url) {
        Objects.requireNonNull(url, "url");
        try {
            return parseText(url);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("bad percent-encoding")) {
                throw new IllegalArgumentException(e.getMessage() + ": " + redact(url));
            }
            throw e;
        }
    }

    private static RedisUrl parseText(String url) {
        int colon = url.indexOf("://");
        if (colon <= 0) {
            throw new IllegalArgumentException("not a redis URL (expected redis://HOST[:PORT][/DB]): " + redact(url));
        }
        String scheme = url.substring(0, colon).toLowerCase(java.util.Locale.ROOT);
        if (!handles(scheme)) {
            throw new IllegalArgumentException("unknown scheme '" + scheme + "' (expected "
                    + String.join(", ", SCHEMES.subList(0, SCHEMES.size() - 1)) + " or "
                    + SCHEMES.get(SCHEMES.size() - 1) + "): " + redact(url));
        }
        boolean tls = scheme.startsWith("rediss");
        String rest = url.substring(colon + 3);
        Map<String, String> query = new LinkedHashMap<>();
        int q = rest.indexOf('?');
        if (q >= 0) {
            for (String kv : rest.substring(q + 1).split("&")) {
                if (kv.isEmpty()) {
                    continue;
                }
                int eq = kv.indexOf('=');
                String k = eq < 0 ? kv : kv.substring(0, eq);
                String v = eq < 0 ? "" : decode(kv.substring(eq + 1));
                if (!PARAMETERS.contains(k)) {
                    // A key holding '@' is the end of a password with an unencoded '?': not quoted.
                    throw new IllegalArgumentException((k.indexOf('@') >= 0
                                    ? "unknown parameter (a '?' in a password is written %3F)"
                                    : "unknown parameter '" + k + "'")
                            + " (known: " + String.join(", ", PARAMETERS) + "): " + redact(url));
                }
                if (query.put(k, v) != null) {
                    // the last one silently won: a node could sign with another secret than the one meant
                    throw new IllegalArgumentException("parameter '" + k + "' given twice: " + redact(url));
                }
            }
            rest = rest.substring(0, q);
        }
        Optional<String> user = Optional.empty();
        Optional<String> password = Optional.empty();
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String info = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int c = info.indexOf(':');
            if (c < 0) {
                password = Optional.of(decode(info));
            } else {
                String u = decode(info.substring(0, c));
                user = u.isEmpty() ? Optional.empty() : Optional.of(u);
                password = Optional.of(decode(info.substring(c + 1)));
            }
        }
        String hostPart = rest;
        String path = "";
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            hostPart = rest.substring(0, slash);
            path = rest.substring(slash + 1);
        }
        int defaultPort = viaSentinel(scheme) ? 26379 : 6379;
        List<Endpoint> hosts = new ArrayList<>();
        for (String h : hostPart.split(",", -1)) {
            hosts.add(endpoint(h.trim(), defaultPort, url));
        }
        boolean multi = viaSentinel(scheme) || cluster(scheme);
        if (!multi && hosts.size() > 1) {
            throw new IllegalArgumentException("several hosts need " + withTls("redis-sentinel", tls) + ":// or "
                    + withTls("redis-cluster", tls) + ":// (a failover list is not a cluster): " + redact(url));
        }
        Optional<String> master = Optional.empty();
        int database = 0;
        List<String> segments = path.isEmpty()
                ? List.of()
                : List.of(path.split("/", -1)).stream()
                        .filter(s -> !s.isEmpty())
                        .toList();
        if (viaSentinel(scheme)) {
            if (segments.isEmpty()) {
                throw new IllegalArgumentException(
                        scheme + " URLs name the master: " + scheme + "://HOST:PORT,.../MASTER[/DB]: " + redact(url));
            }
            master = Optional.of(decode(segments.get(0)));
            if (segments.size() > 1) {
                database = database(segments.get(1), url);
            }
            if (segments.size() > 2) {
                throw new IllegalArgumentException("too many path segments: " + redact(url));
            }
        } else {
            if (segments.size() > 1) {
                throw new IllegalArgumentException("too many path segments (expected /DB): " + redact(url));
            }
            if (segments.size() == 1) {
                database = database(segments.get(0), url);
            }
            if (cluster(scheme) && database != 0) {
                throw new IllegalArgumentException("Redis Cluster has database 0 only: " + redact(url));
            }
        }
        String prefix = query.getOrDefault("prefix", DEFAULT_PREFIX);
        if (query.containsKey("cacert") && query.get("cacert").isBlank()) {
            // Path.of("") is the working directory, read as a CA file
            throw new IllegalArgumentException("cacert= names no file: " + redact(url));
        }
        Optional<Path> ca = Optional.ofNullable(query.get("cacert")).map(Path::of);
        if (ca.isPresent() && !tls) {
            throw new IllegalArgumentException("cacert= is for TLS URLs only (" + withTls(scheme, true) + "://, not "
                    + scheme + "://): " + redact(url));
        }
        Optional<String> sentinelUser = Optional.ofNullable(query.get("sentinel-user"));
        Optional<String> sentinelPassword = Optional.ofNullable(query.get("sentinel-password"));
        if ((sentinelUser.isPresent() || sentinelPassword.isPresent()) && !viaSentinel(scheme)) {
            throw new IllegalArgumentException(
                    "sentinel-user= and sentinel-password= are for redis-sentinel and rediss-sentinel URLs only: "
                            + redact(url));
        }
        for (String k : List.of("verdict-key", "verdict-key-previous")) {
            if (query.containsKey(k) && query.get(k).isBlank()) {
                throw new IllegalArgumentException(k + "= names no file: " + redact(url));
            }
        }
        Optional<Path> verdictKey =
                Optional.ofNullable(query.get("verdict-key")).map(Path::of);
        Optional<Path> previousVerdictKey =
                Optional.ofNullable(query.get("verdict-key-previous")).map(Path::of);
        if (previousVerdictKey.isPresent() && verdictKey.isEmpty()) {
            throw new IllegalArgumentException(
                    "verdict-key-previous= needs verdict-key= (the secret that signs): " + redact(url));
        }
        return new RedisUrl(
                scheme,
                hosts,
                user,
                password,
                database,
                master,
                prefix,
                ca,
                sentinelUser,
                sentinelPassword,
                verdictKey,
                previousVerdictKey);
    }

    private static int database(String s, String url) {
        try {
            int d = Integer.parseInt(s);
            if (d < 0) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("database must be a number >= 0, was '" + s + "': " + redact(url));
        }
    }

    private static Endpoint endpoint(String h, int defaultPort, String url) {
        if (h.isEmpty()) {
            throw new IllegalArgumentException("empty host: " + redact(url));
        }
        String host;
        String port = null;
        if (h.startsWith("[")) {
            int close = h.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("unclosed '[' in host '" + h + "': " + redact(url));
            }
            host = h.substring(1, close);
            String after = h.substring(close + 1);
            if (!after.isEmpty()) {
                if (!after.startsWith(":")) {
                    throw new IllegalArgumentException("junk after ']' in host '" + h + "': " + redact(url));
                }
                port = after.substring(1);
            }
        } else {
            int c = h.indexOf(':');
            if (c >= 0 && h.indexOf(':', c + 1) >= 0) {
                throw new IllegalArgumentException("IPv6 addresses need brackets, e.g. [::1]:6379: " + redact(url));
            }
            host = c < 0 ? h : h.substring(0, c);
            port = c < 0 ? null : h.substring(c + 1);
        }
        int p = defaultPort;
        if (port != null) {
            try {
                p = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("port must be a number, was '" + port + "': " + redact(url));
            }
        }
        try {
            return new Endpoint(host, p);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + ": " + redact(url), e);
        }
    }

    /**
     * The text of a URL as error messages quote it: without its passwords ({@link Urls#withoutPasswords}; a config
     * error is printed, and logged at a reload).
     */
    static String redact(String url) {
        return Urls.withoutPasswords(url);
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            // URLDecoder's message quotes the characters after the '%' (a part of a password): never passed on.
            throw new IllegalArgumentException("bad percent-encoding ('%' not followed by two hex digits)");
        }
    }

    /**
     * The URL without its password, for logs.
     *
     * @return e.g. {@code redis://app:***@127.0.0.1:6379/0}
     */
    public String redacted() {
        StringBuilder b = new StringBuilder(scheme).append("://");
        if (user.isPresent() || password.isPresent()) {
            b.append(user.orElse("")).append(password.isPresent() ? ":***" : "").append('@');
        }
        for (int i = 0; i < hosts.size(); i++) {
            b.append(i == 0 ? "" : ",").append(hosts.get(i));
        }
        master.ifPresent(m -> b.append('/').append(m));
        if (!cluster()) {
            b.append('/').append(database);
        }
        List<String> query = new ArrayList<>();
        if (!prefix.equals(DEFAULT_PREFIX)) {
            query.add("prefix=" + prefix);
        }
        sentinelUser.ifPresent(u -> query.add("sentinel-user=" + u));
        sentinelPassword.ifPresent(p -> query.add("sentinel-password=***"));
        verdictKey.ifPresent(f -> query.add("verdict-key=" + f));
        previousVerdictKey.ifPresent(f -> query.add("verdict-key-previous=" + f));
        if (!query.isEmpty()) {
            b.append('?').append(String.join("&", query));
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return redacted();
    }
}
