package org.mailhygiene.smtp.topology;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.DefaultPolicy;
import org.mailhygiene.api.policy.Policy;
import org.mailhygiene.api.routing.StaticRouter;
import org.mailhygiene.api.shared.SharedStates;
import org.mailhygiene.internal.IoErrors;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.auth.ArcSealer;
import org.mailhygiene.scanners.auth.AuthScanner;
import org.mailhygiene.scanners.auth.DkimSigner;
import org.mailhygiene.scanners.auth.DkimSigning;
import org.mailhygiene.scanners.bayes.SharedModelSync;
import org.mailhygiene.smtp.access.AcceptedDomains;
import org.mailhygiene.smtp.access.AccessRules;
import org.mailhygiene.smtp.config.ConfigException;
import org.mailhygiene.smtp.config.ConfigFile;

/**
 * Reads one node's configuration file into a {@link Node.Builder}. The format is documented in
 * {@code docs/node-config.md}; in short, {@code key = value} lines ({@link ConfigFile}), {@code #} comments:
 *
 * <table>
 *   <caption>Keys</caption>
 *   <tr><th>key</th><th>meaning</th><th>default</th></tr>
 *   <tr><td>{@code role}</td><td>{@code edge} or {@code gateway}</td><td>required</td></tr>
 *   <tr><td>{@code name}</td><td>node name (logs, statistics)</td><td>required</td></tr>
 *   <tr><td>{@code listen}</td><td>{@code IP:PORT} to accept SMTP on</td><td>required</td></tr>
 *   <tr><td>{@code data}</td><td>data directory (spool, quarantine, stats); relative to the file's directory</td>
 *       <td>required</td></tr>
 *   <tr><td>{@code outgoing-address}</td><td>local IP outgoing connections bind</td><td>the listen IP</td></tr>
 *   <tr><td>{@code hostname}</td><td>greeting, Received, EHLO name</td><td>the name</td></tr>
 *   <tr><td>{@code accept-domain}</td><td>accepted domains, repeatable, comma lists allowed</td><td>none</td></tr>
 *   <tr><td>{@code rcpthosts}</td><td>a qmail {@code rcpthosts} file, added to {@code accept-domain}</td>
 *       <td>none</td></tr>
 *   <tr><td>{@code postmaster}</td><td>where mail to the bare {@code <postmaster>} and double bounces go</td>
 *       <td>{@code postmaster@} the first plain accepted domain, else {@code postmaster@HOSTNAME}</td></tr>
 *   <tr><td>{@code relay-client}</td><td>address patterns that may relay, repeatable</td><td>none</td></tr>
 *   <tr><td>{@code tcprules}</td><td>a tcprules text file replacing the role's access rules</td><td>none</td></tr>
 *   <tr><td>{@code route}</td><td>one {@code smtproutes} line, repeatable</td><td>none</td></tr>
 *   <tr><td>{@code smtproutes}</td><td>a qmail {@code smtproutes} file, read before the {@code route} lines</td>
 *       <td>none</td></tr>
 *   <tr><td>{@code scanner}</td><td>{@code builtin}, {@code clamd:A[,B...]}, {@code spamd:A[,B...]},
 *       {@code vexira:PATH}, {@code command:PROFILE[:PATH]}, {@code bayes:MODEL|default}, {@code attachments[:FILE]},
 *       {@code auth} (SPF, DKIM, ARC, DMARC), repeatable; their settings ({@code clamd.deadline}, ...) and the failure
 *       policy ({@code on-failure[.KIND]}) as in the document</td><td>required, at least one</td></tr>
 *   <tr><td>{@code dns}</td><td>{@code IP:PORT} of the DNS server the {@code auth} scanner asks (needs
 *       {@code scanner = auth})</td>
 *       <td>{@code /etc/resolv.conf}'s</td></tr>
 *   <tr><td>{@code dmarc-reject}</td><td>{@code reject} or {@code quarantine}: what a DMARC {@code p=reject} failure
 *       becomes</td><td>edge: reject; gateway: quarantine</td></tr>
 *   <tr><td>{@code dmarc-temperror}</td><td>{@code accept} or {@code defer}: what mail whose From domain's DMARC
 *       policy could not be looked up for now ({@code dmarc=temperror}) becomes; {@code defer} answers
 *       {@code 451 4.7.0} (needs {@code scanner = auth})</td><td>accept</td></tr>
 *   <tr><td>{@code dmarc-exempt}</td><td>address patterns, repeatable: SMTP clients whose DMARC failures are reported
 *       but never held (the organisation's own servers; needs {@code scanner = auth})</td><td>none</td></tr>
 *   <tr><td>{@code dkim-sign}</td><td>{@code DOMAIN:SELECTOR:KEY-FILE}, repeatable: sign outbound mail from DOMAIN
 *       (and its subdomains) with the key; relative to the file's directory</td><td>no signing</td></tr>
 *   <tr><td>{@code arc-seal}</td><td>{@code DOMAIN:SELECTOR:KEY-FILE}, once: ARC-seal outbound mail the node
 *       changed, after DKIM signing, with the {@code auth} scanner's results (needs {@code scanner = auth}); key file
 *       relative to the file's directory</td><td>no sealing</td></tr>
 *   <tr><td>{@code spf-helo}</td><td>{@code on}/{@code off}: SPF-check HELO as well when MAIL FROM is not null
 *       (needs {@code scanner = auth})</td><td>off</td></tr>
 *   <tr><td>{@code spam-tag}</td><td>Subject tag for spam</td><td>{@code [SPAM]}</td></tr>
 *   <tr><td>{@code spam-reject-score}</td><td>spam whose score reaches this is refused ({@code 554 5.7.1}) instead
 *       of tagged, e.g. {@code 0.99} for the Bayes classifier's sure spam; compared with the score of each scanner
 *       that called it spam and has no reject score of its own; 0 or more</td><td>never rejected</td></tr>
 *   <tr><td>{@code bayes.reject-score}, {@code spamd.reject-score}</td><td>the same for one scanner on its own scale
 *       (the classifier's, also the {@code builtin} set's, in (0, 1]; spamd's in SpamAssassin points), taking
 *       precedence over {@code spam-reject-score}</td><td>{@code spam-reject-score}</td></tr>
 *   <tr><td>{@code spam-status}</td><td>{@code all}: every message a scoring scanner (Bayes, spamd) judged gets
 *       {@code X-Spam-Flag}, {@code X-Spam-Score} and {@code X-Spam-Status}, clean ones with {@code NO}; {@code spam}:
 *       only spam gets them</td><td>{@code all}</td></tr>
 *   <tr><td>{@code virus-action}</td><td>{@code reject} or {@code quarantine}</td>
 *       <td>edge: reject; gateway: quarantine</td></tr>
 *   <tr><td>{@code not-read-action}</td><td>{@code ignore}, {@code accept} (delivered with an
 *       {@code X-Hygiene-Not-Read} header), {@code quarantine}, {@code reject} or {@code tempfail}: what a message
 *       becomes when the built-in signature scanner names what it could not search (a RAR's compressed files; needs
 *       {@code scanner = builtin})</td><td>{@code ignore}</td></tr>
 *   <tr><td>{@code report-to}</td><td>administrator address for the daily statistics report</td><td>no report</td></tr>
 *   <tr><td>{@code report-from}</td><td>sender of the report</td><td>{@code postmaster@HOSTNAME}</td></tr>
 *   <tr><td>{@code report-time}</td><td>local time of day to send it, {@code HH:MM} (no seconds)</td>
 *       <td>06:00</td></tr>
 *   <tr><td>{@code stats-flush}</td><td>statistics flush interval, 1s to 1h</td><td>5s</td></tr>
 *   <tr><td>{@code redis}</td><td>share state with the cluster's other nodes through this Redis
 *       ({@code redis://[:PASSWORD@]HOST[:PORT][/DB]}, {@code redis-sentinel://}, {@code redis-cluster://}, and
 *       over TLS {@code rediss://}, {@code rediss-sentinel://}, {@code rediss-cluster://}; needs hygiene-redis on the
 *       class path)</td><td>nothing shared</td></tr>
 *   <tr><td>{@code redis-timeout}</td><td>bound on each call to Redis, 1ms to 10s</td><td>250ms</td></tr>
 *   <tr><td>{@code redis-model}</td><td>name of the shared Bayes model</td><td>{@code bayes}</td></tr>
 *   <tr><td>{@code redis-model-refresh}</td><td>how often the local model takes in the cluster's learning</td>
 *       <td>10s</td></tr>
 *   <tr><td>{@code redis-verdict-key}</td><td>a file holding a secret (one line, at least 32 characters, not
 *       readable by other users): the node signs the verdicts it stores in Redis with it and believes only verdicts
 *       whose signature verifies (others are a miss: it scans)</td><td>verdicts unsigned</td></tr>
 *   <tr><td>{@code redis-verdict-key-previous}</td><td>a file holding the secret being replaced, still accepted for
 *       reading during a change (docs/cluster.md, Access)</td><td>none</td></tr>
 *   <tr><td>{@code admin-listen}</td><td>{@code IP:PORT} for {@code /metrics} and {@code /health} (served by
 *       {@code hygiene relay})</td><td>none</td></tr>
 *   <tr><td>{@code verdict-cache}</td><td>{@code on} or {@code off}: identical contents share one scan</td>
 *       <td>on</td></tr>
 *   <tr><td>{@code quarantine-retention}</td><td>how long quarantined messages are kept, 1h to 3650d</td>
 *       <td>30d</td></tr>
 *   <tr><td>{@code stop-grace}</td><td>how long a stop lets open sessions finish (a message being scanned is
 *       answered within it, or its client gets 421)</td><td>10s</td></tr>
 *   <tr><td>{@code delivery.connect-timeout}, {@code delivery.greeting-timeout}, {@code delivery.ehlo-timeout},
 *       {@code delivery.starttls-timeout}, {@code delivery.mail-timeout}, {@code delivery.rcpt-timeout},
 *       {@code delivery.data-init-timeout}, {@code delivery.data-block-timeout}, {@code delivery.data-done-timeout},
 *       {@code delivery.quit-timeout}</td><td>how long deliveries to next hops wait at each step, at most 30m</td>
 *       <td>RFC 5321's ({@link org.mailhygiene.smtp.delivery.SmtpTimeouts#defaults()})</td></tr>
 *   <tr><td>{@code incomplete-retention}</td><td>how long a spool file set aside as {@code ID.q.incomplete} is kept
 *       before the node deletes it</td><td>7d</td></tr>
 * </table>
 *
 * Every error is a {@link ConfigException} naming the file, the line and the problem (a value longer than
 * {@link ConfigFile#QUOTE_LIMIT} characters shortened, {@link ConfigFile#shorten}); unknown keys are errors. An IPv4
 * address with a leading zero in a number ({@code 127.0.0.01}) is an error: some programs read it as octal.
 * Stateless.
 */
public final class NodeConfig {
    private NodeConfig() {}

    /**
     * Reads and validates a configuration file.
     *
     * @param file the file
     * @return a builder for the node it describes (not built: building opens the data directory)
     * @throws IOException if the file (or a file it names) cannot be read
     * @throws ConfigException naming the line and the problem
     */
    public static Node.Builder read(Path file) throws IOException, ConfigException {
        Path base = file.toAbsolutePath().getParent();
        return parse(ConfigFile.read(file), base);
    }

    /**
     * Validates parsed configuration text.
     *
     * @param c the parsed file
     * @param base the directory relative paths are resolved against
     * @return a builder for the node
     * @throws IOException if a file it names cannot be read
     * @throws ConfigException naming the line and the problem
     */
    public static Node.Builder parse(ConfigFile c, Path base) throws IOException, ConfigException {
        return parse(c, base, null);
    }

    /**
     * As {@link #parse(ConfigFile, Path)} for a reload: the {@code auth} scanner's authserv-id is the host name the
     * node runs with, since a changed {@code hostname} needs a restart (it named the new host in
     * {@code Authentication-Results} while the greeting and {@code Received} kept the old one).
     *
     * @param runningHostname the running node's host name, or {@code null} to take the file's
     */
    static Node.Builder parse(ConfigFile c, Path base, String runningHostname) throws IOException, ConfigException {
        try {
            return parseFile(c, base, runningHostname);
        } catch (ConfigException e) {
            throw shortened(c, e);
        }
    }

    /** The error with the file's long values shortened ({@link ConfigFile#shorten}), the same one when none is. */
    private static ConfigException shortened(ConfigFile c, ConfigException e) {
        String message = c.shorten(e.getMessage());
        return message.equals(e.getMessage()) ? e : new ConfigException(message, e.getCause());
    }

    private static Node.Builder parseFile(ConfigFile c, Path base, String runningHostname)
            throws IOException, ConfigException {
        String roleText = c.required("role");
        Role role;
        try {
            role = Role.valueOf(roleText.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw error(c, "role", "must be 'edge' or 'gateway', was " + ConfigFile.quote(roleText));
        }
        String name = c.required("name");
        Node.Builder b;
        try {
            b = Node.builder(role, name);
        } catch (IllegalArgumentException e) {
            throw error(c, "name", e.getMessage());
        }
        c.required("listen");
        InetSocketAddress listen = socketAddress(c, "listen").orElseThrow();
        b.listen(listen.getAddress(), listen.getPort());
        c.required("data");
        b.dataDirectory(dataDirectory(c, base).orElseThrow());
        Optional<String> out = c.string("outgoing-address");
        if (out.isPresent()) {
            b.outgoingAddress(ip(c, "outgoing-address", out.get()));
        }
        Optional<String> hostname = c.string("hostname");
        if (hostname.isPresent()) {
            try {
                b.hostname(hostname.get());
                hostSyntax(org.mailhygiene.internal.Domains.hostName(hostname.get()));
            } catch (IllegalArgumentException e) {
                throw error(c, "hostname", e.getMessage());
            }
        } else {
            try {
                hostSyntax(org.mailhygiene.internal.Domains.hostName(name));
            } catch (IllegalArgumentException e) {
                // checked by the SMTP server at start, which named no line (the host name defaults to the name)
                throw error(
                        c,
                        "name",
                        "'" + name + "' is no host name, which the name is when 'hostname' is not given: give a"
                                + " hostname");
            }
        }
        // each line on its own first, so that an error names its line (the combined check names the first line)
        eachLine(c, "accept-domain", AcceptedDomains::of);
        List<String> domains = new ArrayList<>(c.list("accept-domain"));
        Optional<String> rcpthosts = c.string("rcpthosts");
        if (rcpthosts.isPresent()) {
            Path f = base.resolve(rcpthosts.get());
            try {
                domains.addAll(AcceptedDomains.parse(f).entries());
            } catch (IllegalArgumentException e) {
                throw error(c, "rcpthosts", f + " " + e.getMessage());
            } catch (IOException e) {
                throw error(c, "rcpthosts", IoErrors.describe(f, e));
            }
        }
        try {
            b.acceptedDomains(AcceptedDomains.of(domains));
        } catch (IllegalArgumentException e) {
            throw error(c, "accept-domain", e.getMessage());
        }
        Optional<String> postmaster = c.string("postmaster");
        if (postmaster.isPresent()) {
            try {
                b.postmaster(postmaster.get());
            } catch (IllegalArgumentException e) {
                throw error(c, "postmaster", e.getMessage());
            }
        }
        eachLine(c, "relay-client", patterns -> {
            AccessRules.Builder check = AccessRules.builder();
            patterns.forEach(p -> check.allow(p, true));
        });
        List<String> relay = c.list("relay-client");
        try {
            b.relayClients(relay.toArray(String[]::new));
        } catch (IllegalArgumentException e) {
            throw error(c, "relay-client", e.getMessage());
        }
        Optional<String> tcprules = c.string("tcprules");
        if (tcprules.isPresent()) {
            Path f = base.resolve(tcprules.get());
            try {
                b.accessRules(AccessRules.parse(f));
            } catch (IllegalArgumentException e) {
                throw error(c, "tcprules", f + ": " + e.getMessage());
            } catch (IOException e) {
                throw error(c, "tcprules", IoErrors.describe(f, e));
            }
        }
        StringBuilder routes = new StringBuilder();
        // Where each domain pattern was first given, so that a duplicate names both places (the routes are joined
        // into one smtproutes text below, whose own line numbers would name neither).
        Map<String, String> routeOrigins = new HashMap<>();
        Optional<String> smtproutes = c.string("smtproutes");
        if (smtproutes.isPresent()) {
            Path f = base.resolve(smtproutes.get());
            String text;
            try {
                text = ConfigFile.decode(f.toString(), Files.readAllBytes(f));
            } catch (IOException e) {
                throw error(c, "smtproutes", IoErrors.describe(f, e));
            } catch (ConfigException e) {
                throw error(c, "smtproutes", e.getMessage());
            }
            try {
                StaticRouter.parse(text);
            } catch (IllegalArgumentException e) {
                throw error(c, "smtproutes", f + ": " + e.getMessage());
            }
            routes.append(text).append('\n');
            String[] fileLines = text.split("\r?\n", -1);
            for (int i = 0; i < fileLines.length; i++) {
                StaticRouter lineRoutes = StaticRouter.parse(fileLines[i]);
                for (String key : lineRoutes.entries().keySet()) {
                    routeOrigins.putIfAbsent(key, f + " line " + (i + 1));
                }
                String loop = selfRoute(lineRoutes, listen);
                if (loop != null) {
                    throw error(c, "smtproutes", f + " line " + (i + 1) + ": " + loop);
                }
            }
        }
        for (Map.Entry<String, Integer> line : c.lines("route")) {
            String origin = c.source() + " line " + line.getValue();
            StaticRouter one;
            try {
                one = StaticRouter.parse(line.getKey());
            } catch (IllegalArgumentException e) {
                throw new ConfigException(
                        origin + ": route: " + e.getMessage().replaceFirst("^smtproutes line 1: ", ""));
            }
            String loop = selfRoute(one, listen);
            if (loop != null) {
                throw new ConfigException(origin + ": route: " + loop);
            }
            for (String key : one.entries().keySet()) {
                String first = routeOrigins.putIfAbsent(key, origin);
                if (first != null) {
                    String what = key.isEmpty() ? "a second default route" : "duplicate route for '" + key + "'";
                    throw new ConfigException(origin + ": route: " + what + " (the first at " + first + ")");
                }
            }
            routes.append(line.getKey()).append('\n');
        }
        if (routes.isEmpty()) {
            throw new ConfigException(c.source() + ": no routes: give 'route' lines or an 'smtproutes' file");
        }
        try {
            b.router(StaticRouter.parse(routes.toString()));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(c.source() + ": routes: " + e.getMessage());
        }
        Scanning scanning = scannersAndPolicy(
                c,
                base,
                name,
                runningHostname != null ? runningHostname : b.hostname(),
                role == Role.GATEWAY,
                b::service);
        b.scanners(scanning.scanners());
        b.policy(scanning.policy());
        b.scanDeadline(scanning.scanDeadline());
        List<DkimSigner> signers = new ArrayList<>();
        for (Map.Entry<String, Integer> line : c.lines("dkim-sign")) {
            try {
                signers.add(DkimSigning.parseSigner(line.getKey(), base));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(c.source() + " line " + line.getValue() + ": dkim-sign: " + e.getMessage());
            }
        }
        if (!signers.isEmpty()) {
            try {
                b.dkimSigning(DkimSigning.of(signers));
            } catch (IllegalArgumentException e) {
                throw error(c, "dkim-sign", e.getMessage());
            }
        }
        Optional<String> arcSeal = c.string("arc-seal");
        if (arcSeal.isPresent()) {
            if (scanning.scanners().stream().noneMatch(s -> s.name().equals(AuthScanner.NAME))) {
                throw error(c, "arc-seal", "needs 'scanner = auth' (the seal carries its results)");
            }
            try {
                b.arcSealer(ArcSealer.parse(arcSeal.get(), base));
            } catch (IllegalArgumentException e) {
                throw error(c, "arc-seal", e.getMessage());
            }
        }
        Optional<String> reportTo = c.string("report-to");
        Optional<String> reportFrom = c.string("report-from");
        Optional<String> reportTime = c.string("report-time");
        if (reportTo.isPresent()) {
            LocalTime at;
            try {
                // HH:MM as documented: LocalTime also took seconds and fractions (07:30:15.5), which the daily
                // report's schedule has no use for
                if (!reportTime.orElse("06:00").matches("[0-9]{2}:[0-9]{2}")) {
                    throw new DateTimeParseException("not HH:MM", reportTime.orElse(""), 0);
                }
                at = LocalTime.parse(reportTime.orElse("06:00"));
            } catch (DateTimeParseException e) {
                throw error(
                        c,
                        "report-time",
                        "expected HH:MM (00:00 to 23:59, no seconds), was " + ConfigFile.quote(reportTime.orElse("")));
            }
            try {
                b.dailyReport(reportTo.get(), reportFrom.orElse(null), at);
            } catch (IllegalArgumentException e) {
                throw error(c, "report-to", e.getMessage());
            }
        } else if (reportTime.isPresent() || reportFrom.isPresent()) {
            throw error(c, reportTime.isPresent() ? "report-time" : "report-from", "needs report-to");
        }
        Optional<Duration> flush = c.duration("stats-flush", MIN_STATS_FLUSH, MAX_STATS_FLUSH);
        if (flush.isPresent()) {
            try {
                b.statisticsFlushInterval(flush.get());
            } catch (IllegalArgumentException e) {
                throw error(c, "stats-flush", e.getMessage());
            }
        }
        sharedState(c, b, base);
        socketAddress(c, "admin-listen").ifPresent(b::adminListen);
        // as every other switch: on/off, yes/no, true/false ('yes' was refused here while dsn took 'on')
        c.bool("verdict-cache").ifPresent(b::verdictCache);
        Optional<Duration> retention =
                c.duration("quarantine-retention", MIN_QUARANTINE_RETENTION, MAX_QUARANTINE_RETENTION);
        if (retention.isPresent()) {
            try {
                b.quarantineRetention(retention.get());
            } catch (IllegalArgumentException e) {
                throw error(c, "quarantine-retention", e.getMessage());
            }
        }
        Optional<Duration> grace = c.duration("stop-grace");
        if (grace.isPresent()) {
            if (grace.get().compareTo(org.mailhygiene.smtp.server.SmtpServer.MAX_STOP_GRACE) > 0) {
                // in the file's own units, not the builder's PT10M
                throw error(
                        c,
                        "stop-grace",
                        "must be at most 10m, was " + c.string("stop-grace").orElseThrow());
            }
            try {
                org.mailhygiene.smtp.server.SmtpServer.builder()
                        .stopGrace(grace.get()); // validated here, with its line
            } catch (IllegalArgumentException e) {
                throw error(c, "stop-grace", e.getMessage());
            }
            Duration g = grace.get();
            b.server(sb -> sb.stopGrace(g));
        }
        Optional<Duration> incomplete = c.duration("incomplete-retention");
        if (incomplete.isPresent()) {
            try {
                b.incompleteRetention(incomplete.get());
            } catch (IllegalArgumentException e) {
                throw error(c, "incomplete-retention", e.getMessage());
            }
        }
        List<String> warnings = new ArrayList<>();
        org.mailhygiene.smtp.server.SmtpLimits limits = LimitsConfig.read(c, b, base, warnings);
        warnings.addAll(ScannerConfig.sizeWarnings(scanning.scanners(), scanning.policy(), limits.maxMessageSize()));
        b.adminListen()
                .flatMap(NodeConfig::adminExposure)
                .ifPresent(w ->
                        warnings.add("admin-listen (" + c.source() + " line " + c.lineOf("admin-listen") + "): " + w));
        b.configurationWarnings(warnings);
        c.rejectUnknownKeys();
        return b;
    }

    /**
     * The scanning part of a configuration file, as a milter uses it: the {@code scanner}, {@code spam-threshold},
     * {@code spam-tag}, {@code spam-status}, {@code spam-reject-score}, {@code virus-action} and {@code not-read-action} keys give the scanners and the policy; {@code name}, {@code listen},
     * {@code data}, {@code stats-flush} and {@code admin-listen} are optional. Every other key is an error (a milter has no routes, spool
     * or access rules).
     *
     * @param scanners the scanners, in file order
     * @param policy the policy (viruses rejected unless {@code virus-action = quarantine})
     * @param name the {@code name} key
     * @param listen the {@code listen} key, {@code IP:PORT} as written
     * @param data the {@code data} key, resolved against the file's directory
     * @param statisticsFlush the {@code stats-flush} key
     * @param adminListen the {@code admin-listen} key: where {@code /metrics} and {@code /health} are served
     * @param services what the scanners need running beside them, as a node runs them ({@link NodeService}): the
     *     {@code bayes:} model file's reload check ({@code bayes.reload-check}), health probes, signature updates;
     *     not started. Whoever runs the scanners starts them and closes them afterwards
     * @param scanDeadline the bound of one message's scan over every scanner: two minutes
     *     ({@link ScanPipeline#DEFAULT_DEADLINE}), or a little longer than the longest bound given to a scanner
     *     ({@code clamd.deadline}, {@code spamd.deadline}, a command-line scanner's {@code timeout}) when that is longer
     */
    public record Scanning(
            List<Scanner> scanners,
            Policy policy,
            Optional<String> name,
            Optional<String> listen,
            Optional<Path> data,
            Optional<Duration> statisticsFlush,
            Optional<InetSocketAddress> adminListen,
            List<NodeService> services,
            Duration scanDeadline) {
        /**
         * Copies the scanner and service lists.
         *
         * @throws NullPointerException if a component is {@code null}
         * @throws IllegalArgumentException if {@code scanDeadline} is not positive
         */
        public Scanning {
            scanners = List.copyOf(scanners);
            java.util.Objects.requireNonNull(policy, "policy");
            services = List.copyOf(services);
            if (scanDeadline.isNegative() || scanDeadline.isZero()) {
                throw new IllegalArgumentException("scanDeadline must be positive, was " + scanDeadline);
            }
        }

        /**
         * The scanning part with the default scan deadline ({@link ScanPipeline#DEFAULT_DEADLINE}).
         *
         * @param scanners the scanners, in file order
         * @param policy the policy
         * @param name the {@code name} key
         * @param listen the {@code listen} key
         * @param data the {@code data} key
         * @param statisticsFlush the {@code stats-flush} key
         * @param adminListen the {@code admin-listen} key
         * @param services what the scanners need running beside them
         * @throws NullPointerException if a component is {@code null}
         */
        public Scanning(
                List<Scanner> scanners,
                Policy policy,
                Optional<String> name,
                Optional<String> listen,
                Optional<Path> data,
                Optional<Duration> statisticsFlush,
                Optional<InetSocketAddress> adminListen,
                List<NodeService> services) {
            this(
                    scanners,
                    policy,
                    name,
                    listen,
                    data,
                    statisticsFlush,
                    adminListen,
                    services,
                    ScanPipeline.DEFAULT_DEADLINE);
        }

        /**
         * The scanning part without services (scanners that need nothing running beside them).
         *
         * @param scanners the scanners, in file order
         * @param policy the policy
         * @param name the {@code name} key
         * @param listen the {@code listen} key
         * @param data the {@code data} key
         * @param statisticsFlush the {@code stats-flush} key
         * @param adminListen the {@code admin-listen} key
         * @throws NullPointerException if a component is {@code null}
         */
        public Scanning(
                List<Scanner> scanners,
                Policy policy,
                Optional<String> name,
                Optional<String> listen,
                Optional<Path> data,
                Optional<Duration> statisticsFlush,
                Optional<InetSocketAddress> adminListen) {
            this(scanners, policy, name, listen, data, statisticsFlush, adminListen, List.of());
        }
    }

    /**
     * What an administrator's HTTP endpoint ({@code /metrics} and {@code /health}, no authentication) bound to {@code
     * address} exposes that the documentation does not expect: bound to the wildcard address, every interface of the
     * host (a public one too); bound to a public address, that address. A loopback address, a private network's
     * (RFC 1918, RFC 4193 unique local) or a link-local one is the "loopback or management network" the documentation
     * asks for and gives no warning. Stateless and thread-safe.
     *
     * @param address the address {@code admin-listen} or {@code --admin} names
     * @return the warning (without the key and line), or empty when the address is loopback or private
     * @throws NullPointerException if {@code address} is {@code null}
     */
    public static Optional<String> adminExposure(InetSocketAddress address) {
        return exposure(address, "/metrics and /health are served", "a management network's address");
    }

    /**
     * What a milter bound to {@code address} ({@code listen} or {@code --listen}) exposes: the milter protocol has no
     * authentication, so whoever reaches the port can have mail scanned and read the verdicts (and tie up scanners).
     * Bound to the wildcard address ({@code 0.0.0.0}, {@code [::]}), every interface of the host, a public one too;
     * bound to a public address, that address. A loopback, private-network or link-local address gives no warning, as
     * for {@link #adminExposure}. (A relay's own {@code listen} gives none: an SMTP relay is meant to be reached, and
     * has its access rules.) Stateless and thread-safe.
     *
     * @param address the address the milter listens on
     * @return the warning (without the key and line), or empty when the address is loopback or private
     * @throws NullPointerException if {@code address} is {@code null}
     */
    public static Optional<String> milterExposure(InetSocketAddress address) {
        return exposure(address, "the milter protocol is served", "the private address the MTA reaches the milter at");
    }

    /** The warning of {@link #adminExposure} and {@link #milterExposure}: what is served, and the address to use. */
    private static Optional<String> exposure(InetSocketAddress address, String served, String instead) {
        InetAddress a = address.getAddress();
        String where;
        if (a == null || a.isAnyLocalAddress()) {
            where = "on every interface of this host, public ones included";
        } else if (a.isLoopbackAddress()
                || a.isSiteLocalAddress()
                || a.isLinkLocalAddress()
                || (a instanceof java.net.Inet6Address && (a.getAddress()[0] & 0xfe) == 0xfc)) {
            return Optional.empty();
        } else {
            where = "on a public address";
        }
        return Optional.of(org.mailhygiene.internal.HostPorts.of(address)
                + ": " + served + " without authentication " + where
                + ", to anyone who can reach the port (bind it to loopback, 127.0.0.1:" + address.getPort()
                + ", or " + instead + ", or firewall the port)");
    }

    /**
     * Reads the scanning keys of a configuration file (see {@link Scanning}), for {@code hygiene milter --config}.
     *
     * @param file the file
     * @return the scanners, policy, optional settings and the services the scanners need (not started)
     * @throws IOException if the file cannot be read
     * @throws ConfigException naming the line and the problem, or an unknown key
     */
    public static Scanning readScanning(Path file) throws IOException, ConfigException {
        ConfigFile c = ConfigFile.read(file);
        Path base = file.toAbsolutePath().getParent();
        // the services too (the bayes: model's reload check, probes, updates): dropped, a milter's model file was
        // never read again after start
        List<NodeService> services = new java.util.ArrayList<>();
        try {
            Scanning s = scannersAndPolicy(c, base, c.string("name").orElse("milter"), null, false, services::add);
            Optional<String> name = c.string("name");
            if (name.isPresent() && (name.get().isBlank() || name.get().chars().anyMatch(Character::isWhitespace))) {
                // as a node's name: an empty one named the statistics and the log lines '' (session 40)
                throw error(c, "name", "must be non-blank without white space, was " + ConfigFile.quote(name.get()));
            }
            if (c.lineOf("hostname") > 0
                    && s.scanners().stream().noneMatch(x -> x.name().equals(AuthScanner.NAME))) {
                // said "a relay node's key, which a milter does not take", though a milter takes it with auth
                throw error(
                        c,
                        "hostname",
                        "no auth scanner is configured (a milter uses hostname only as the auth scanner's"
                                + " authserv-id; the MTA names itself)");
            }
            socketAddress(c, "listen"); // checked here, so that --check refuses what cannot start (audit, session 31)
            Optional<String> listen = c.string("listen");
            if (c.string("data").isPresent()) {
                c.required("data"); // "data =" was the configuration file's own directory (session 40)
            }
            Optional<Path> data = dataDirectory(c, base);
            Optional<Duration> flush = c.duration("stats-flush", MIN_STATS_FLUSH, MAX_STATS_FLUSH);
            Optional<InetSocketAddress> admin = socketAddress(c, "admin-listen");
            Optional<Map.Entry<String, Integer>> unknown = c.firstUnknownKey();
            if (unknown.isPresent() && relayKeys().contains(unknown.get().getKey())) {
                // said as "unknown key 'route'" before, as if it were a typo
                throw new ConfigException(c.source() + " line " + unknown.get().getValue() + ": "
                        + unknown.get().getKey()
                        + ": a relay node's key, which a milter does not take (it has no routes, access rules, spool or"
                        + " limits of its own: the MTA has them)");
            }
            c.rejectUnknownKeys();
            return new Scanning(s.scanners(), s.policy(), name, listen, data, flush, admin, services, s.scanDeadline());
        } catch (ConfigException e) {
            throw shortened(c, e);
        }
    }

    /**
     * The keys a relay node's file takes (those {@link #parse(ConfigFile, Path)} asks for, whether given or not), read
     * off a minimal file; empty if that cannot be read, so that the caller falls back to "unknown key".
     */
    static java.util.Set<String> relayKeys() {
        ConfigFile minimal;
        try {
            minimal = ConfigFile.parse(
                    "relay keys",
                    "role = edge\nname = keys\nlisten = 127.0.0.1:0\ndata = data\nroute = :127.0.0.1:1\n"
                            + "scanner = attachments\n");
            parse(minimal, Path.of(".").toAbsolutePath());
        } catch (IOException | ConfigException | RuntimeException e) {
            return java.util.Set.of();
        }
        return minimal.keysAskedFor();
    }

    private static Scanning scannersAndPolicy(
            ConfigFile c,
            Path base,
            String node,
            String authservId,
            boolean quarantineViruses,
            Consumer<NodeService> services)
            throws ConfigException {
        dnsServer(c); // checked whether or not a scanner asks it
        ScannerConfig.Result result = ScannerConfig.read(c, base, node, authservId);
        result.services().forEach(services);
        List<Scanner> scanners = result.scanners();
        DefaultPolicy.Builder policy = DefaultPolicy.builder();
        if (quarantineViruses) {
            policy.onVirus(Action.QUARANTINE);
        }
        ScannerConfig.failurePolicy(c, result.scannersByFamily(), policy);
        Optional<String> tag = c.string("spam-tag");
        if (tag.isPresent()) {
            try {
                policy.spamTag(tag.get());
            } catch (IllegalArgumentException e) {
                throw error(c, "spam-tag", e.getMessage());
            }
        }
        Optional<Double> rejectAt = c.decimal("spam-reject-score");
        if (rejectAt.isPresent() && rejectAt.get() < 0) {
            // every scorer's spam verdict scores at least its threshold, which is positive (the classifier's in
            // (0, 1], spamd's in points): a negative reject score rejected every spam as 0 does, reading as if it
            // meant something else
            throw error(
                    c,
                    "spam-reject-score",
                    "must be 0 or more (spam scores are at least their positive threshold: 0 already rejects every"
                            + " spam), was " + c.string("spam-reject-score").orElseThrow());
        }
        if (rejectAt.isPresent()) {
            policy.rejectSpamAtScore(rejectAt.get());
        }
        ScannerConfig.rejectScores(c, result.scannersByFamily(), policy);
        Optional<String> status = c.string("spam-status");
        if (status.isPresent()) {
            switch (status.get().toLowerCase(Locale.ROOT)) {
                case "all" -> policy.spamHeadersOnClean(true);
                case "spam" -> policy.spamHeadersOnClean(false);
                default -> throw error(c, "spam-status", "must be 'all' or 'spam', was '" + status.get() + "'");
            }
        }
        Optional<String> virus = c.string("virus-action");
        if (virus.isPresent()) {
            switch (virus.get().toLowerCase(Locale.ROOT)) {
                case "reject" -> policy.onVirus(Action.REJECT);
                case "quarantine" -> policy.onVirus(Action.QUARANTINE);
                default ->
                    throw error(c, "virus-action", "must be 'reject' or 'quarantine', was '" + virus.get() + "'");
            }
        }
        notReadAction(c, result.scannersByFamily(), policy);
        Optional<String> dmarcReject = c.string("dmarc-reject");
        policy.onRule("DMARC_REJECT", quarantineViruses ? Action.QUARANTINE : Action.REJECT);
        if (dmarcReject.isPresent()) {
            switch (dmarcReject.get().toLowerCase(Locale.ROOT)) {
                case "reject" -> policy.onRule("DMARC_REJECT", Action.REJECT);
                case "quarantine" -> policy.onRule("DMARC_REJECT", Action.QUARANTINE);
                default ->
                    throw error(c, "dmarc-reject", "must be 'reject' or 'quarantine', was '" + dmarcReject.get() + "'");
            }
            if (!result.scannersByFamily().containsKey("auth")) {
                // accepted and never used before (session 40), as dns was: only the auth scanner judges DMARC
                throw error(
                        c,
                        "dmarc-reject",
                        "no auth scanner is configured (only scanner = auth checks DMARC, whose failures this decides)");
            }
        }

        return new Scanning(
                scanners,
                policy.build(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                List.of(),
                result.scanDeadline());
    }

    /**
     * The {@code not-read-action} key: what a message becomes when the built-in signature scanner's clean verdict names
     * what it could not search ({@link DefaultPolicy#NOT_READ_RULE}): {@code ignore} (the default: delivered as if all
     * of it had been searched), {@code accept} (delivered with an {@value DefaultPolicy#NOT_READ_HEADER} header),
     * {@code quarantine}, {@code reject} or {@code tempfail}. An error names the line for another value, and for the
     * key without {@code scanner = builtin}, the only scanner that says what it did not search.
     */
    private static void notReadAction(ConfigFile c, Map<String, List<String>> byFamily, DefaultPolicy.Builder policy)
            throws ConfigException {
        Optional<String> value = c.string(NOT_READ_ACTION);
        if (value.isEmpty()) {
            return;
        }
        switch (value.get().toLowerCase(Locale.ROOT)) {
            case "ignore" -> {}
            case "accept" -> policy.onNotRead(Action.ACCEPT);
            case "quarantine" -> policy.onNotRead(Action.QUARANTINE);
            case "reject" -> policy.onNotRead(Action.REJECT);
            case "tempfail" -> policy.onNotRead(Action.TEMPFAIL);
            default ->
                throw error(
                        c,
                        NOT_READ_ACTION,
                        "must be 'ignore', 'accept', 'quarantine', 'reject' or 'tempfail', was '" + value.get() + "'");
        }
        if (!byFamily.containsKey("builtin")) {
            throw error(
                    c,
                    NOT_READ_ACTION,
                    "no builtin scanner is configured (only scanner = builtin says what it could not search, which"
                            + " this decides)");
        }
    }

    /** The key of {@link #notReadAction}. */
    private static final String NOT_READ_ACTION = "not-read-action";

    /**
     * An {@code IP:PORT} key ({@code listen}, {@code admin-listen}, {@code dns}), checked (an error names the file and
     * line): empty when absent.
     */
    private static Optional<InetSocketAddress> socketAddress(ConfigFile c, String key) throws ConfigException {
        Optional<String> value = c.string(key);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        String a = value.get();
        String host;
        String portText;
        if (a.startsWith("[")) {
            int close = a.indexOf(']');
            if (close < 0 || close + 1 >= a.length() || a.charAt(close + 1) != ':') {
                throw error(c, key, "expected [IPV6]:PORT, was " + ConfigFile.quote(a));
            }
            host = a.substring(1, close);
            portText = a.substring(close + 2);
        } else {
            int ac = a.lastIndexOf(':');
            if (ac <= 0) {
                throw error(c, key, "expected IP:PORT, was " + ConfigFile.quote(a));
            }
            host = a.substring(0, ac);
            portText = a.substring(ac + 1);
            if (host.indexOf(']') >= 0) {
                // ::1]:2525: no suggestion with brackets added ([::1]]:2525 is no IP:PORT either)
                throw error(c, key, "expected [IPV6]:PORT, was " + ConfigFile.quote(a));
            }
            if (host.indexOf(':') >= 0) {
                // ::1:2525 is itself an IPv6 address: which colon starts the port is a guess
                throw error(c, key, "write an IPv6 address in brackets: [" + host + "]:" + portText);
            }
        }
        InetAddress ip = ip(c, key, host);
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw error(c, key, "bad port in '" + a + "'");
        }
        if (port < 0 || port > 65535) {
            throw error(c, key, "bad port in '" + a + "'");
        }
        return Optional.of(new InetSocketAddress(ip, port));
    }

    /**
     * Keys {@code redis}, {@code redis-timeout}, {@code redis-model}, {@code redis-model-refresh}, {@code
     * redis-verdict-key} and {@code redis-verdict-key-previous} (given to the store as the URL's {@code verdict-key=}
     * and {@code verdict-key-previous=}, resolved against the file's directory; the store reads them at open, so a bad
     * key file is an error of this line).
     */
    private static void sharedState(ConfigFile c, Node.Builder b, Path base) throws ConfigException {
        Optional<String> url = c.string("redis");
        Optional<Duration> timeout = c.duration("redis-timeout", MIN_REDIS_TIMEOUT, MAX_REDIS_TIMEOUT);
        Optional<String> model = c.string("redis-model");
        Optional<Duration> refresh = c.duration("redis-model-refresh");
        Optional<String> verdictKey = c.string(VERDICT_KEY);
        Optional<String> previousVerdictKey = c.string(PREVIOUS_VERDICT_KEY);
        if (url.isEmpty()) {
            for (String k :
                    List.of("redis-timeout", "redis-model", "redis-model-refresh", VERDICT_KEY, PREVIOUS_VERDICT_KEY)) {
                if (c.string(k).isPresent()) {
                    throw error(c, k, "needs redis");
                }
            }
            return;
        }
        Duration t = timeout.orElse(DEFAULT_REDIS_TIMEOUT);
        if (t.isNegative() || t.isZero()) {
            throw error(c, "redis-timeout", "must be positive, was " + t);
        }
        String u = withFilesResolved(url.get(), base);
        // each key line and its URL parameter are one setting: given in both places it is given twice; the previous
        // secret needs the signing one, from the line or from the URL
        for (String[] k : List.of(
                new String[] {VERDICT_KEY, "verdict-key"},
                new String[] {PREVIOUS_VERDICT_KEY, "verdict-key-previous"})) {
            if (c.string(k[0]).isPresent() && urlParameter(u, k[1])) {
                throw error(c, k[0], "given twice: here and as " + k[1] + "= in the redis URL");
            }
        }
        if (previousVerdictKey.isPresent() && verdictKey.isEmpty() && !urlParameter(u, "verdict-key")) {
            throw error(
                    c,
                    PREVIOUS_VERDICT_KEY,
                    "needs " + VERDICT_KEY + " (the secret that signs; or verdict-key= in the redis URL)");
        }
        for (String[] k : List.of(
                new String[] {VERDICT_KEY, "verdict-key"},
                new String[] {PREVIOUS_VERDICT_KEY, "verdict-key-previous"})) {
            Optional<String> file = c.string(k[0]);
            if (file.isPresent()) {
                if (file.get().isBlank()) {
                    throw error(c, k[0], "names no file");
                }
                u += (u.indexOf('?') < 0 ? "?" : "&") + k[1] + "="
                        + parameterValue(base.resolve(file.get()).toString());
            }
        }
        try {
            b.sharedState(SharedStates.open(u, t));
        } catch (IllegalArgumentException e) {
            // the store names the parameter of the key file it could not read: the line is the key's
            String m = String.valueOf(e.getMessage());
            String key = m.startsWith("cannot read verdict-key-previous file") && previousVerdictKey.isPresent()
                    ? PREVIOUS_VERDICT_KEY
                    : m.startsWith("cannot read verdict-key file") && verdictKey.isPresent() ? VERDICT_KEY : "redis";
            throw error(c, key, m);
        }
        try {
            b.sharedModel(model.orElse(SharedModelSync.DEFAULT_MODEL_NAME), refresh.orElse(Duration.ofSeconds(10)));
        } catch (IllegalArgumentException e) {
            throw error(c, model.isPresent() ? "redis-model" : "redis-model-refresh", e.getMessage());
        }
    }

    /** The URL parameters that name files: a relative one is resolved against the configuration file's directory. */
    private static final List<String> FILE_PARAMETERS = List.of("cacert", "verdict-key", "verdict-key-previous");

    /** Whether the URL's query has the parameter {@code name} (given with a value or without). */
    private static boolean urlParameter(String url, String name) {
        int q = url.indexOf('?');
        if (q < 0) {
            return false;
        }
        for (String p : url.substring(q + 1).split("&", -1)) {
            if (p.equals(name) || p.startsWith(name + "=")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The URL with a relative {@code cacert=}, {@code verdict-key=} or {@code verdict-key-previous=} file resolved
     * against the configuration file's directory, as every other path in the file is (they were resolved against the
     * working directory: {@code --check} run beside the file found them, the node started by systemd from {@code /}
     * did not). Anything it cannot read is left for the URL's parser to report.
     */
    static String withFilesResolved(String url, Path base) {
        int q = url.indexOf('?');
        if (q < 0) {
            return url;
        }
        String[] params = url.substring(q + 1).split("&", -1);
        for (int i = 0; i < params.length; i++) {
            int eq = params[i].indexOf('=');
            if (eq < 0 || !FILE_PARAMETERS.contains(params[i].substring(0, eq))) {
                continue;
            }
            try {
                // decoded as the URL's parser decodes it ('+' is a plus sign)
                String file = java.net.URLDecoder.decode(
                        params[i].substring(eq + 1).replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
                if (file.isBlank() || Path.of(file).isAbsolute()) {
                    continue;
                }
                params[i] = params[i].substring(0, eq + 1)
                        + parameterValue(base.resolve(file).toString());
            } catch (IllegalArgumentException e) { // bad percent-encoding or an invalid path: the parser says which
                return url;
            }
        }
        return url.substring(0, q + 1) + String.join("&", params);
    }

    /** A URL query parameter's value, encoded as the URL's parser decodes it. */
    private static String parameterValue(String value) {
        return value.replace("%", "%25").replace("&", "%26").replace("+", "%2B");
    }

    /** The key naming the file of the secret verdicts in Redis are signed and checked with. */
    static final String VERDICT_KEY = "redis-verdict-key";

    /** The key naming the file of a secret still accepted for reading verdicts, during a change of secret. */
    static final String PREVIOUS_VERDICT_KEY = "redis-verdict-key-previous";

    /** The default bound on each call to the shared store ({@code redis-timeout}). */
    public static final Duration DEFAULT_REDIS_TIMEOUT = Duration.ofMillis(250);

    /**
     * The bounds of {@code redis-timeout}: a call is bounded in whole milliseconds (a shorter one became 1 ms
     * silently), and it is made on the mail path, where Redis down or slow must not hold a session for long.
     */
    static final Duration MIN_REDIS_TIMEOUT = Duration.ofMillis(1);

    /** See {@link #MIN_REDIS_TIMEOUT}. */
    static final Duration MAX_REDIS_TIMEOUT = Duration.ofSeconds(10);

    /**
     * The bounds of {@code stats-flush}: from one write a second to one an hour (what a crash loses is counted since
     * the last write, and a day's file is finished at the first flush after midnight).
     */
    static final Duration MIN_STATS_FLUSH = Duration.ofSeconds(1);

    /** See {@link #MIN_STATS_FLUSH}. */
    static final Duration MAX_STATS_FLUSH = Duration.ofHours(1);

    /**
     * The bounds of {@code quarantine-retention}: expiry runs hourly, so a shorter retention is not kept to; ten years
     * at most.
     */
    static final Duration MIN_QUARANTINE_RETENTION = Duration.ofHours(1);

    /** See {@link #MIN_QUARANTINE_RETENTION}. */
    static final Duration MAX_QUARANTINE_RETENTION = Duration.ofDays(3650);

    /** Throws when the SMTP server would refuse the host name (at start, without naming the line). */
    private static void hostSyntax(String host) {
        org.mailhygiene.smtp.server.SmtpServer.builder().hostname(host);
    }

    /**
     * The {@code dns} key: the DNS server the {@code auth} scanner asks, {@code IP:PORT} (an IPv6 address in brackets),
     * the address as {@link #ip} takes it. One reading for the check and for the scanner ({@link ScannerConfig}).
     *
     * @return the server, empty when the key is absent
     * @throws ConfigException naming the line when the value is no such address
     */
    static Optional<InetSocketAddress> dnsServer(ConfigFile c) throws ConfigException {
        // read as the other IP:PORT keys (until session 46 its own reading took ::1:53 as ::1 port 53, a guess)
        return socketAddress(c, "dns");
    }

    private static InetAddress ip(ConfigFile c, String key, String text) throws ConfigException {
        // IPv4 as four numbers: InetAddress also takes 127.1 (127.0.0.1) and 1.2.3 (1.2.0.3), which routes refuse
        if (!text.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}|\\[?[0-9a-fA-F:]+]?")) {
            throw error(c, key, "expected an IP address, was " + ConfigFile.quote(text));
        }
        String leadingZero = org.mailhygiene.internal.Ipv4.leadingZeroProblem(text);
        if (leadingZero != null) {
            // Java reads 127.0.0.010 as 127.0.0.10, inet_aton (ping, the BSD tools) as 127.0.0.8: ambiguous
            throw error(c, key, leadingZero);
        }
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw error(c, key, "expected an IP address, was '" + text + "'");
        }
    }

    /**
     * What is wrong with a route, or {@code null}: a next hop that goes back to this node (its own {@code listen} address, or any loopback address on its port when it
     * listens on all of them), whose mail would come back and go round until the hop limit refused it, scanned at
     * every turn.
     */
    private static String selfRoute(StaticRouter routes, InetSocketAddress listen) {
        for (Map.Entry<String, org.mailhygiene.api.routing.Route> e :
                routes.entries().entrySet()) {
            if (!(e.getValue() instanceof org.mailhygiene.api.routing.Route.Relay relay)) {
                continue;
            }
            for (org.mailhygiene.api.routing.NextHop hop : relay.hops()) {
                if (!hop.isIpLiteral() || hop.port() != listen.getPort()) {
                    continue;
                }
                InetAddress to;
                try {
                    to = InetAddress.getByName(hop.host().replaceAll("^\\[|\\]$", ""));
                } catch (UnknownHostException ex) {
                    continue;
                }
                boolean self = to.equals(listen.getAddress())
                        || (listen.getAddress().isAnyLocalAddress() && to.isLoopbackAddress());
                if (self) {
                    String what = e.getKey().isEmpty() ? "the default route" : "'" + e.getKey() + "'";
                    return what + " goes to " + hop + ", this node's own listen address: its mail would come back"
                            + " and loop";
                }
            }
        }
        return null;
    }

    /**
     * The {@code data} key resolved against the file's directory, empty when absent. A path that is (or lies under) an
     * existing file other than a directory is an error naming the line: it passed {@code --check} and the start failed
     * with {@code cannot start: java.nio.file.FileAlreadyExistsException: /etc/passwd}, naming neither (session 40).
     */
    private static Optional<Path> dataDirectory(ConfigFile c, Path base) throws ConfigException {
        Optional<String> value = c.string("data");
        if (value.isEmpty()) {
            return Optional.empty();
        }
        Path dir;
        try {
            dir = base.resolve(value.get());
        } catch (java.nio.file.InvalidPathException e) {
            throw error(c, "data", "not a path: " + e.getMessage());
        }
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                if (!Files.isDirectory(p)) {
                    throw error(
                            c,
                            "data",
                            p + " is not a directory"
                                    + (p.equals(dir)
                                            ? ""
                                            : " (the data directory " + dir + " would be" + " under it)"));
                }
                // a node started by this user (--check, or the start itself) could not create or write anything here;
                // before, --check said OK and the start failed with "cannot start: java.nio.file.AccessDeniedException"
                requireWritable(c, p, p.equals(dir) ? null : dir);
                break;
            }
        }
        if (Files.isDirectory(dir)) {
            // what a node keeps under its data directory: one of them replaced by a file (or made unwritable) passed
            // --check and failed the start with "cannot start: java.nio.file.FileSystemException: DIR/spool/queue:
            // Not a directory", naming no line (audit of --check, session 42)
            for (String sub : DATA_SUBDIRECTORIES) {
                Path p = dir.resolve(sub);
                if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) || Files.exists(p)) {
                    if (!Files.isDirectory(p)) {
                        throw error(
                                c,
                                "data",
                                p + " is not a directory (the node keeps its " + sub
                                        + " there: move the file away, or give another data directory)");
                    }
                    requireWritable(c, p, null);
                }
            }
        }
        return Optional.of(dir);
    }

    /**
     * The directories a node makes under its data directory, parents first: the spool and its queue, the quarantine
     * and its parts, the statistics and the temporary files.
     */
    private static final List<String> DATA_SUBDIRECTORIES = List.of(
            "spool",
            "spool/queue",
            "quarantine",
            "quarantine/held",
            "quarantine/released",
            "quarantine/tmp",
            "stats",
            "tmp");

    /**
     * An existing directory of the data path must be writable and searchable by the user who runs this (the node's
     * user when it starts; whoever runs {@code --check}, so run it as that user). A read-only file system fails here
     * too, whatever the user.
     *
     * @param under the data directory to be created under {@code p}, or {@code null} when {@code p} is in the data
     *     directory itself
     */
    private static void requireWritable(ConfigFile c, Path p, Path under) throws ConfigException {
        if (!Files.isWritable(p) || !Files.isExecutable(p)) {
            throw error(
                    c,
                    "data",
                    p + " is not writable for the user " + System.getProperty("user.name")
                            + (under == null
                                    ? " (the node writes its spool, quarantine and statistics there)"
                                    : " (the node would create the data directory " + under + " under it)")
                            + ": give the node's user write permission (chown or chmod), or check the mount;"
                            + " run --check as the node's user");
        }
    }

    /**
     * Checks each line of a repeatable key with comma lists on its own, so that an error names the line it is on: the
     * values of all lines checked together named the key's first line, whichever line the bad value was on.
     */
    static void eachLine(ConfigFile c, String key, Consumer<List<String>> check) throws ConfigException {
        for (Map.Entry<String, Integer> line : c.lines(key)) {
            List<String> parts = new ArrayList<>();
            for (String part : line.getKey().split(",")) {
                if (!part.isBlank()) {
                    parts.add(part.strip());
                }
            }
            try {
                check.accept(parts);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(c.source() + " line " + line.getValue() + ": " + key + ": " + e.getMessage());
            }
        }
    }

    private static ConfigException error(ConfigFile c, String key, String problem) {
        return new ConfigException(c.source() + " line " + c.lineOf(key) + ": " + key + ": " + problem);
    }
}
