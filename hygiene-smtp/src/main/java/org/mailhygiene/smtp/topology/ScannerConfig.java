package org.mailhygiene.smtp.topology;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.events.HygieneListener;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.DefaultPolicy;
import org.mailhygiene.api.policy.Policy;
import org.mailhygiene.internal.Domains;
import org.mailhygiene.internal.IoErrors;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.attachments.AttachmentPolicy;
import org.mailhygiene.scanners.attachments.AttachmentPolicyScanner;
import org.mailhygiene.scanners.auth.AuthScanner;
import org.mailhygiene.scanners.auth.dns.StubResolver;
import org.mailhygiene.scanners.bayes.BayesModels;
import org.mailhygiene.scanners.bayes.BayesScanner;
import org.mailhygiene.scanners.bayes.BounceDetector;
import org.mailhygiene.scanners.bayes.WatchedModelFile;
import org.mailhygiene.scanners.builtin.EmbeddedScanners;
import org.mailhygiene.scanners.clamd.ClamdAddress;
import org.mailhygiene.scanners.clamd.ClamdScanner;
import org.mailhygiene.scanners.cli.CommandLineScanner;
import org.mailhygiene.scanners.cli.CommandProfile;
import org.mailhygiene.scanners.cli.ProfileFormatException;
import org.mailhygiene.scanners.cli.ProfileParser;
import org.mailhygiene.scanners.cli.Profiles;
import org.mailhygiene.scanners.spamd.SpamdScanner;
import org.mailhygiene.scanners.update.CommandStep;
import org.mailhygiene.scanners.update.SignatureUpdateScheduler;
import org.mailhygiene.scanners.update.UpdateStep;
import org.mailhygiene.smtp.access.AccessRules;
import org.mailhygiene.smtp.config.ConfigException;
import org.mailhygiene.smtp.config.ConfigFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scanner part of a node's configuration file: {@code scanner} lines with the names of the {@code hygiene scan}
 * options, the per-scanner settings ({@code clamd.deadline}, {@code spamd.threshold}, ...), the failure policy keys
 * ({@code on-failure}, {@code on-failure.KIND}, {@code SCANNER.on-failure[.KIND]}) and the background work they need
 * (health probes, signature updates, model reloads). The format is documented in {@code docs/node-config.md}.
 *
 * <p>Everything is built here, at parse time, so {@code hygiene relay --check} validates exactly the objects the
 * node would run: an executable that does not exist, a profile file with an error, a model that does not load, two
 * scanners with one name, all fail with the file and line. Package-private; stateless.
 */
final class ScannerConfig {
    private static final Logger LOG = LoggerFactory.getLogger(ScannerConfig.class);

    /** The scanner families, as written before the colon of a {@code scanner} line. */
    static final List<String> FAMILIES =
            List.of("builtin", "clamd", "spamd", "vexira", "command", "bayes", "attachments", "auth");

    private static final Map<String, List<String>> SETTINGS = Map.of(
            "clamd",
            List.of(
                    "connect-timeout",
                    "read-timeout",
                    "deadline",
                    "size-limit",
                    "probe-interval",
                    "backoff",
                    "max-backoff",
                    "version-check",
                    "update",
                    "update-interval",
                    "update-jitter"),
            "spamd",
            List.of(
                    "connect-timeout",
                    "read-timeout",
                    "deadline",
                    "size-limit",
                    "threshold",
                    "probe-interval",
                    "backoff"),
            "vexira",
            List.of("timeout", "max-processes", "update", "update-interval", "update-jitter"),
            "command",
            List.of("timeout", "max-processes", "update", "update-interval", "update-jitter"),
            "bayes",
            List.of("threshold", "reload-check", "local-domains", "brand-check"));

    /** The longest {@code spamd.backoff}: {@code SpamdScanner.Builder.initialBackoff}'s bound. */
    private static final Duration SPAMD_MAX_BACKOFF = Duration.ofMinutes(10);

    /** Default interval of the PING probes of members marked down. */
    static final Duration DEFAULT_PROBE_INTERVAL = Duration.ofSeconds(1);
    /** Default interval of the Bayes model file check. */
    static final Duration DEFAULT_RELOAD_CHECK = Duration.ofSeconds(10);

    /**
     * What the scanner keys describe.
     *
     * @param scanners the scanners in file order
     * @param services probes, updates and reloads to run while the node runs
     * @param scannersByFamily the names of the scanners each family built, for the failure policy keys
     * @param scanDeadline the bound of one message's scan over every scanner: {@link ScanPipeline#DEFAULT_DEADLINE},
     *     or longer when a scanner is given a longer bound of its own ({@link #scanDeadline})
     */
    record Result(
            List<Scanner> scanners,
            List<NodeService> services,
            Map<String, List<String>> scannersByFamily,
            Duration scanDeadline) {}

    /** How much longer than the longest scanner bound a raised scan deadline is: the scanner's own timeout speaks. */
    static final Duration DEADLINE_MARGIN = Duration.ofSeconds(5);

    /**
     * The bound of one message's scan: the pipeline's default (two minutes), or, when a scanner is given a longer
     * bound of its own ({@code clamd.deadline}, {@code spamd.deadline}, a command-line scanner's {@code timeout}),
     * that bound and {@link #DEADLINE_MARGIN}. Until session 50 the node and the milter cut every scan at two minutes
     * whatever those keys said (a {@code command.timeout = 3m} tool answered {@code 451 ... still running after the
     * deadline of 2m} after 120 s).
     */
    private static Duration scanDeadline(Settings s, Map<String, List<String>> byFamily) throws ConfigException {
        Duration longest = Duration.ZERO;
        for (String family : byFamily.keySet()) {
            for (String key : List.of("deadline", "timeout")) {
                if (!SETTINGS.getOrDefault(family, List.of()).contains(key)) {
                    continue;
                }
                Optional<Duration> d = s.duration(family, key);
                if (d.isPresent() && d.get().compareTo(longest) > 0) {
                    longest = d.get();
                }
            }
        }
        Duration raised = longest.plus(DEADLINE_MARGIN);
        return raised.compareTo(ScanPipeline.DEFAULT_DEADLINE) > 0 ? raised : ScanPipeline.DEFAULT_DEADLINE;
    }

    private ScannerConfig() {}

    /**
     * Reads the {@code scanner} lines and the per-scanner keys, and builds the scanners.
     *
     * @param c the file
     * @param base the directory relative paths are resolved against
     * @param node the node's name (for log lines)
     * @return the scanners and services
     * @throws ConfigException naming the line and the problem
     */
    static Result read(ConfigFile c, Path base, String node) throws ConfigException {
        return read(c, base, node, null);
    }

    /**
     * As {@link #read(ConfigFile, Path, String)}, with the {@code auth} scanner's authserv-id given: a node's host name
     * as it runs (a reload keeps the running one), rather than the file's {@code hostname} key.
     */
    static Result read(ConfigFile c, Path base, String node, String authservId) throws ConfigException {
        Map<String, Integer> firstLine = new LinkedHashMap<>();
        List<Scanner> scanners = new ArrayList<>();
        List<NodeService> services = new ArrayList<>();
        Map<String, List<String>> byFamily = new LinkedHashMap<>();
        Map<String, Integer> nameLine = new LinkedHashMap<>();
        FailoverLog log = new FailoverLog(node);
        Settings settings = new Settings(c, base);
        // as in hygiene scan (--builtin --bayes FILE, --builtin --attachment-policy FILE): a bayes: line replaces the
        // embedded set's default classifier, an attachments line its default attachment policy
        boolean bayesLine = false;
        boolean attachmentsLine = false;
        for (Map.Entry<String, Integer> line : c.lines("scanner")) {
            String v = line.getKey();
            int colon = v.indexOf(':');
            String family = (colon < 0 ? v : v.substring(0, colon)).strip();
            bayesLine |= family.equalsIgnoreCase("bayes");
            attachmentsLine |= family.equalsIgnoreCase("attachments");
        }
        for (Map.Entry<String, Integer> line : c.lines("scanner")) {
            String value = line.getKey();
            int n = line.getValue();
            int colon = value.indexOf(':');
            String family =
                    (colon < 0 ? value : value.substring(0, colon)).strip().toLowerCase(Locale.ROOT);
            String arg = colon < 0 ? null : value.substring(colon + 1).strip();
            if (!FAMILIES.contains(family)) {
                throw at(
                        c,
                        n,
                        "expected builtin, clamd:ADDRESS[,ADDRESS...], spamd:HOST:PORT[,HOST:PORT...],"
                                + " vexira:PATH, command:PROFILE[:PATH], bayes:MODEL|default, attachments[:POLICY-FILE]"
                                + " or auth, was '"
                                + value + "'");
            }
            Integer earlier = firstLine.putIfAbsent(family, n);
            if (earlier != null && (family.equals("clamd") || family.equals("spamd"))) {
                throw at(
                        c,
                        n,
                        "a second " + family + " scanner (the first is on line " + earlier + "): list every "
                                + family + " in one line, " + family
                                + ":A,B, which makes them one failover group, tried"
                                + " in that order");
            }
            List<Scanner> built = new ArrayList<>();
            try {
                switch (family) {
                    case "builtin" -> {
                        noArgument(c, n, family, arg);
                        built.addAll(EmbeddedScanners.withoutClassifier(!attachmentsLine));
                        if (!bayesLine) {
                            built.add(BayesModels.scanner(BayesModels.DEFAULT)); // bayes.* keys go with a bayes: line
                        }
                    }
                    case "clamd" -> built.add(clamd(c, n, settings, argument(c, n, family, arg), log, services));
                    case "spamd" -> built.add(spamd(c, n, settings, argument(c, n, family, arg), log, services));
                    case "vexira" ->
                        built.add(command(
                                c,
                                n,
                                settings,
                                family,
                                Profiles.vascan(),
                                executable(c, n, base, argument(c, n, family, arg)),
                                services));
                    case "command" -> {
                        String spec = argument(c, n, family, arg);
                        int split = spec.indexOf(':');
                        String profileName = split < 0 ? spec : spec.substring(0, split);
                        Path program = split < 0 ? null : executable(c, n, base, spec.substring(split + 1));
                        built.add(command(c, n, settings, family, profile(c, n, base, profileName), program, services));
                    }
                    case "bayes" -> {
                        String spec = argument(c, n, family, arg);
                        built.add(
                                spec.equals(BayesModels.DEFAULT)
                                        ? defaultBayes(c, settings)
                                        : bayes(c, n, settings, base.resolve(spec), services));
                    }
                    case "auth" -> {
                        noArgument(c, n, family, arg);
                        built.add(auth(c, authservId));
                    }
                    case "attachments" -> built.add(attachments(c, n, base, arg));
                    default -> throw new IllegalStateException(family);
                }
            } catch (IOException e) {
                throw at(c, n, IoErrors.describe(e));
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw at(c, n, e.getMessage());
            }
            for (Scanner s : built) {
                Integer other = nameLine.putIfAbsent(s.name(), n);
                if (other != null) {
                    String hint = other == n ? "" : " (the scanner on line " + other + " has that name)";
                    throw at(c, n, "a second scanner named '" + s.name() + "'" + hint);
                }
                byFamily.computeIfAbsent(family, k -> new ArrayList<>()).add(s.name());
            }
            scanners.addAll(built);
        }
        if (scanners.isEmpty()) {
            throw new ConfigException(c.source() + ": required key 'scanner' is missing");
        }
        // The same check the node's pipeline makes at start, so --check cannot pass what start would refuse.
        try {
            ScanPipeline.builder().scanners(scanners);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(c.source() + ": scanner: " + e.getMessage());
        }
        settings.rejectUnused(byFamily.keySet());
        for (String key : List.of("spf-helo", "dmarc-exempt", "dmarc-temperror")) {
            if (c.lineOf(key) > 0) {
                requireFamily(c, key, byFamily, "auth");
            }
        }
        if (c.lineOf("dns") > 0 && !byFamily.containsKey("auth")) {
            // accepted silently before, though only the auth scanner asks it (the relay's MX lookups use the system's
            // resolver): an error, as spf-helo and arc-seal without the scanner are
            throw keyAt(
                    c,
                    "dns",
                    "no auth scanner is configured (only scanner = auth asks this server; a relay's deliveries"
                            + " use the system's resolver)");
        }
        return new Result(List.copyOf(scanners), List.copyOf(services), byFamily, scanDeadline(settings, byFamily));
    }

    /**
     * Applies {@code on-failure}, {@code on-failure.KIND}, {@code FAMILY.on-failure} and
     * {@code FAMILY.on-failure.KIND} (values {@code tempfail} or {@code accept}) to the policy.
     *
     * @param c the file
     * @param byFamily the scanners' names per family, from {@link #read}
     * @param policy the policy builder
     * @throws ConfigException naming the line and the problem
     */
    static void failurePolicy(ConfigFile c, Map<String, List<String>> byFamily, DefaultPolicy.Builder policy)
            throws ConfigException {
        Optional<Action> all = action(c, "on-failure");
        for (ScanFailure.Kind kind : ScanFailure.Kind.values()) {
            String key = "on-failure." + kindName(kind);
            Optional<Action> a = action(c, key);
            Optional<Action> effective = a.isPresent() ? a : all;
            if (effective.isPresent()) {
                policy.onFailure(kind, effective.get());
            }
        }
        for (String family : FAMILIES) {
            Optional<Action> forFamily = action(c, family + ".on-failure");
            List<String> names = byFamily.getOrDefault(family, List.of());
            if (forFamily.isPresent()) {
                requireFamily(c, family + ".on-failure", byFamily, family);
                for (String name : names) {
                    policy.onFailureOf(name, forFamily.get());
                }
            }
            for (ScanFailure.Kind kind : ScanFailure.Kind.values()) {
                String key = family + ".on-failure." + kindName(kind);
                Optional<Action> a = action(c, key);
                if (a.isPresent()) {
                    requireFamily(c, key, byFamily, family);
                    for (String name : names) {
                        policy.onFailureOf(name, kind, a.get());
                    }
                }
            }
        }
    }

    /**
     * Warnings about size limits that hold mail for ever: a {@code clamd} or {@code spamd} scanner whose size limit
     * ({@code size-limit}, default 25m and 512000) is below the node's {@code max-message-size} (default 10240000)
     * fails every message in between with {@code too-large}, a failure that no retry mends; where the policy answers
     * that failure {@code tempfail} (the default), such a message gets 451 at every attempt until the sender's queue
     * gives up days later. For spamd, {@code spamd.on-failure.too-large = accept} passes it unscanned (marked
     * {@code X-Hygiene-Unscanned}), as spamc and spamass-milter do with mail over their limit. The limits are the
     * scanners' own and the answer the policy's own, asked with such a failure, so the warning cannot disagree with
     * what the node does.
     *
     * @param scanners the node's scanners (others than clamd and spamd are passed over)
     * @param policy the node's policy
     * @param maxMessageSize the node's {@code max-message-size}
     * @return one line per such scanner family, naming the keys; empty when none
     */
    static List<String> sizeWarnings(List<Scanner> scanners, Policy policy, long maxMessageSize) {
        java.util.Map<String, String> warnings = new java.util.LinkedHashMap<>();
        for (Scanner s : scanners) {
            String family;
            long limit;
            if (s instanceof ClamdScanner clamd) {
                family = "clamd";
                limit = clamd.streamMaxLength();
            } else if (s instanceof SpamdScanner spamd) {
                family = "spamd";
                limit = spamd.maxMessageSize();
            } else {
                continue;
            }
            if (limit >= maxMessageSize || warnings.containsKey(family)) {
                continue;
            }
            ScanFailure tooLarge =
                    new ScanFailure(s.name(), ScanFailure.Kind.TOO_LARGE, "over its size limit", Duration.ZERO);
            if (policy.decide(List.of(tooLarge)).action() != Action.TEMPFAIL) {
                continue;
            }
            String fix = family.equals("spamd")
                    ? "set spamd.on-failure.too-large = accept (delivered unscanned with X-Hygiene-Unscanned, as spamc"
                            + " passes mail over its limit) or raise spamd.size-limit"
                    : "raise clamd.size-limit (and clamd's StreamMaxLength) or lower max-message-size";
            warnings.put(
                    family,
                    family + ".size-limit " + limit + " is below max-message-size " + maxMessageSize
                            + ": every message in between fails with too-large and is answered 451 at every attempt (a"
                            + " retry never mends it) until the sender gives up; " + fix);
        }
        return List.copyOf(warnings.values());
    }

    /** {@code TIMED_OUT} as written in keys: {@code timed-out}. */
    static String kindName(ScanFailure.Kind kind) {
        return kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * Applies {@code bayes.reject-score} (the classifier of a {@code bayes:} line or of the {@code builtin} set; in
     * (0, 1]) and {@code spamd.reject-score} (SpamAssassin points) to the policy: spam of that scanner whose score
     * reaches the value is refused, whatever the general {@code spam-reject-score} says.
     *
     * @param c the file
     * @param byFamily the scanners' names per family, from {@link #read}
     * @param policy the policy builder
     * @throws ConfigException naming the line and the problem (no such scanner configured, not a number, out of range)
     */
    static void rejectScores(ConfigFile c, Map<String, List<String>> byFamily, DefaultPolicy.Builder policy)
            throws ConfigException {
        for (String family : List.of("bayes", "spamd")) {
            String key = family + ".reject-score";
            Optional<Double> score = c.decimal(key);
            if (score.isEmpty()) {
                continue;
            }
            List<String> names = new ArrayList<>(byFamily.getOrDefault(family, List.of()));
            if (family.equals("bayes")) {
                for (String name : byFamily.getOrDefault("builtin", List.of())) {
                    if (name.equals(BayesScanner.NAME)) {
                        names.add(name);
                    }
                }
                if (!(score.get() > 0 && score.get() <= 1)) {
                    throw keyAt(c, key, "must be in (0, 1] (the classifier scores 0 to 1), was " + score.get());
                }
            } else if (score.get() < 0) {
                throw keyAt(
                        c,
                        key,
                        "must be 0 or more (spamd's spam scores at least its positive threshold: 0 already rejects"
                                + " every spam), was " + c.string(key).orElseThrow());
            }
            if (names.isEmpty()) {
                throw keyAt(c, key, "no " + family + " scanner is configured");
            }
            for (String name : names) {
                policy.rejectSpamAtScoreOf(name, score.get());
            }
        }
    }

    private static void requireFamily(ConfigFile c, String key, Map<String, List<String>> byFamily, String family)
            throws ConfigException {
        if (!byFamily.containsKey(family)) {
            throw keyAt(c, key, "no " + family + " scanner is configured");
        }
    }

    private static Optional<Action> action(ConfigFile c, String key) throws ConfigException {
        Optional<String> v = c.string(key);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        return switch (v.get().toLowerCase(Locale.ROOT)) {
            case "tempfail" -> Optional.of(Action.TEMPFAIL);
            case "accept" -> Optional.of(Action.ACCEPT);
            default ->
                throw keyAt(
                        c,
                        key,
                        "must be 'tempfail' (451, the client retries) or 'accept'"
                                + " (delivered with an X-Hygiene-Unscanned header), was '" + v.get() + "'");
        };
    }

    private static Scanner clamd(
            ConfigFile c, int n, Settings s, String arg, FailoverLog log, List<NodeService> services)
            throws ConfigException {
        ClamdScanner.Builder b = ClamdScanner.builder().listener(log);
        List<ClamdAddress> seen = new ArrayList<>();
        for (String part : arg.split(",", -1)) {
            ClamdAddress a = ClamdAddress.parse(part.strip());
            if (seen.contains(a)) {
                throw at(c, n, "clamd address " + a + " is given twice");
            }
            seen.add(a);
            // a directory or regular file there passed --check with "connect failed: Connection refused", as if clamd
            // were only stopped; a path with nothing there is fine (clamd makes the socket when it starts)
            a.notASocket().ifPresent(why -> {
                throw new IllegalArgumentException("clamd address " + a + ": " + why);
            });
            b.address(a);
        }
        s.duration("clamd", "connect-timeout").ifPresent(b::connectTimeout);
        s.duration("clamd", "read-timeout").ifPresent(b::readTimeout);
        s.duration("clamd", "deadline").ifPresent(b::scanDeadline);
        s.size("clamd", "size-limit").ifPresent(b::streamMaxLength);
        Optional<Duration> backoff = s.duration("clamd", "backoff");
        Optional<Duration> maxBackoff = s.duration("clamd", "max-backoff");
        if (backoff.isPresent() && maxBackoff.isPresent() && backoff.get().compareTo(maxBackoff.get()) > 0) {
            // checked here so that the error names the key's line in the file's units (it was the builder's
            // "clamd: initialBackoff PT20M exceeds maxBackoff PT5M"); one given alone moves the other's default
            throw keyAt(
                    s.c,
                    "clamd.backoff",
                    "must not be longer than clamd.max-backoff ("
                            + s.string("clamd", "max-backoff").orElseThrow() + "), was "
                            + s.string("clamd", "backoff").orElseThrow());
        }
        backoff.ifPresent(b::initialBackoff);
        maxBackoff.ifPresent(b::maxBackoff);
        Optional<Duration> versionCheck = s.duration("clamd", "version-check");
        versionCheck.ifPresent(b::versionCheckInterval);
        Duration probe = s.duration("clamd", "probe-interval").orElse(DEFAULT_PROBE_INTERVAL);
        ClamdScanner scanner = s.build("clamd", b::build);
        log.probedEvery(scanner.name(), probe);
        services.add(NodeService.every("clamd-probe", probe, scanner::probeDown));
        if (versionCheck.isPresent()) {
            services.add(NodeService.every("clamd-version-check", versionCheck.get(), () -> {
                try {
                    if (scanner.refreshVersions()) {
                        LOG.info(
                                "clamd: signature versions changed: {}",
                                scanner.cacheIdentity().orElse("?"));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        Optional<List<String>> update = s.command("clamd", "update");
        if (update.isPresent()) {
            UpdateStep fetch = CommandStep.builder("clamd-update", update.get()).build();
            services.add(scheduler(s, "clamd", List.of(fetch, scanner.reloadStep())));
        } else {
            s.noUpdate("clamd");
        }
        return scanner;
    }

    private static Scanner spamd(
            ConfigFile c, int n, Settings s, String arg, FailoverLog log, List<NodeService> services)
            throws ConfigException {
        SpamdScanner.Builder b = SpamdScanner.builder().listener(log);
        List<String> seen = new ArrayList<>();
        for (String part : arg.split(",", -1)) {
            String a = part.strip();
            if (seen.contains(a)) {
                throw at(c, n, "spamd address " + a + " is given twice");
            }
            seen.add(a);
            b.server(a);
        }
        s.duration("spamd", "connect-timeout").ifPresent(b::connectTimeout);
        s.duration("spamd", "read-timeout").ifPresent(b::readTimeout);
        s.duration("spamd", "deadline").ifPresent(b::deadline);
        s.size("spamd", "size-limit").ifPresent(b::maxMessageSize);
        // the builder's own bound, checked here so that the error names this key's line in the file's units (it
        // named the scanner line and said "initialBackoff must be at most 10 minutes, was PT11M")
        s.duration("spamd", "backoff", Duration.ofMillis(1), SPAMD_MAX_BACKOFF).ifPresent(b::initialBackoff);
        Optional<Double> threshold = s.decimal("spamd", "threshold");
        Optional<Double> legacy = c.decimal("spam-threshold");
        if (threshold.isPresent() && legacy.isPresent()) {
            throw keyAt(c, "spam-threshold", "give spamd.threshold only (spam-threshold is" + " its older name)");
        }
        String thresholdKey = threshold.isPresent() ? "spamd.threshold" : "spam-threshold";
        Optional<Double> given = threshold.isPresent() ? threshold : legacy;
        if (given.isPresent() && !(given.get() > 0)) {
            // a threshold of 0 or less (accepted until session 41) made every message spam, ham included
            throw keyAt(
                    c,
                    thresholdKey,
                    "must be more than 0 (spamd calls spam what scores at least this, and ham scores about 0;"
                            + " SpamAssassin's default is 5.0), was "
                            + c.string(thresholdKey).orElseThrow());
        }
        given.ifPresent(b::threshold);
        Duration probe = s.duration("spamd", "probe-interval").orElse(DEFAULT_PROBE_INTERVAL);
        SpamdScanner scanner = s.build("spamd", b::build);
        log.probedEvery(scanner.name(), probe);
        services.add(NodeService.every("spamd-probe", probe, scanner::probeDown));
        return scanner;
    }

    private static Scanner command(
            ConfigFile c,
            int n,
            Settings s,
            String family,
            CommandProfile profile,
            Path program,
            List<NodeService> services)
            throws ConfigException {
        CommandLineScanner.Builder b = CommandLineScanner.builder(profile);
        if (program != null) {
            b.executable(program);
        }
        s.duration(family, "timeout").ifPresent(b::timeout);
        s.integer(family, "max-processes", 1, 1024).ifPresent(b::maxConcurrentProcesses);
        CommandLineScanner scanner = s.build(family, b::build);
        Optional<List<String>> update = s.command(family, "update");
        if (update.isPresent()) {
            UpdateStep step = CommandStep.builder(scanner.name() + "-update", update.get())
                    .build();
            services.add(
                    scheduler(s, family, List.of(scanner.exclusive(step, CommandLineScanner.DEFAULT_QUEUE_TIMEOUT))));
        } else if (s.given(family, "update-interval")
                && !profile.updateCommand().isEmpty()) {
            services.add(scheduler(s, family, List.of(scanner.updateStep(true))));
        } else if (s.given(family, "update-interval")) {
            throw keyAt(
                    c,
                    family + ".update-interval",
                    "the profile " + profile.name() + " has no update command; give " + family + ".update = COMMAND");
        } else {
            s.noUpdate(family);
        }
        return scanner;
    }

    private static NodeService scheduler(Settings s, String family, List<UpdateStep> steps) throws ConfigException {
        SignatureUpdateScheduler.Builder b =
                SignatureUpdateScheduler.builder(family + "-update").steps(steps);
        // the scheduler's own bounds, checked here so that each error names its key's line in the file's units (they
        // named the scanner line or the family and said "jitter PT2H is longer than the interval PT1H")
        Optional<Duration> interval =
                s.duration(family, "update-interval", Duration.ofSeconds(1), ConfigFile.MAX_DURATION);
        Optional<Duration> jitter = s.durationOrZero(family, "update-jitter");
        Duration effective = interval.orElse(SignatureUpdateScheduler.DEFAULT_INTERVAL);
        if (jitter.isPresent() && jitter.get().compareTo(effective) > 0) {
            throw keyAt(
                    s.c,
                    family + ".update-jitter",
                    "must not be longer than " + family + ".update-interval (" + ConfigFile.format(effective)
                            + (interval.isEmpty() ? ", the default" : "") + "), was "
                            + s.string(family, "update-jitter").orElseThrow());
        }
        interval.ifPresent(b::interval);
        jitter.ifPresent(b::jitter);
        SignatureUpdateScheduler u = s.build(family, b::build);
        return NodeService.of(family + "-update", u::start, u::close);
    }

    /** The shipped default model ({@code bayes:default}), with its own threshold unless {@code bayes.threshold}. */
    private static Scanner defaultBayes(ConfigFile c, Settings s) throws ConfigException, IOException {
        Optional<Double> threshold = s.decimal("bayes", "threshold");
        if (threshold.isPresent() && !(threshold.get() > 0 && threshold.get() <= 1)) {
            throw keyAt(c, "bayes.threshold", "must be in (0, 1], was " + threshold.get());
        }
        if (s.string("bayes", "reload-check").isPresent()) {
            throw keyAt(
                    c,
                    "bayes.reload-check",
                    "bayes:default is the shipped model, which never changes; the setting is for a model file"
                            + " (bayes:MODEL)");
        }
        BayesScanner.Builder b = BayesScanner.builder(BayesModels.resolve(BayesModels.DEFAULT))
                .threshold(threshold.orElse(BayesModels.DEFAULT_MODEL_THRESHOLD));
        Optional<BounceDetector> detector = localDomains(c, s);
        detector.ifPresent(b::detector);
        s.bool("bayes", "brand-check").ifPresent(b::brandCheck);
        return b.build();
    }

    /**
     * {@code bayes.local-domains = example.org, example.net}: our domains, for telling backscatter (bounces for mail we
     * never sent) from our own bounces; absent means no backscatter detection.
     */
    private static Optional<BounceDetector> localDomains(ConfigFile c, Settings s) throws ConfigException {
        Optional<String> v = s.string("bayes", "local-domains");
        if (v.isEmpty()) {
            return Optional.empty();
        }
        List<String> domains;
        try {
            domains = BounceDetector.parseDomainList(v.get());
        } catch (IllegalArgumentException e) {
            throw keyAt(c, "bayes.local-domains", e.getMessage());
        }
        if (domains.isEmpty()) {
            throw keyAt(c, "bayes.local-domains", "give at least one domain, e.g. example.org");
        }
        return Optional.of(BounceDetector.withLocalDomains(domains));
    }

    /**
     * The sender-authentication scanner ({@code scanner = auth}), asking the {@code dns} server, checking HELO with SPF
     * alongside MAIL FROM when {@code spf-helo = on}, deferring mail whose DMARC policy could not be looked up when
     * {@code dmarc-temperror = defer}.
     */
    private static Scanner auth(ConfigFile c, String givenAuthservId) throws ConfigException {
        StubResolver.Builder dns = StubResolver.builder();
        NodeConfig.dnsServer(c).ifPresent(dns::server);
        String fromFile = c.string("hostname").orElse(c.string("name").orElse("localhost"));
        // a node's host name as it runs: the file's after a reload would name another host than the greeting does
        String authservId = givenAuthservId != null ? givenAuthservId : Domains.hostName(fromFile);
        boolean helo = c.bool("spf-helo").orElse(false);
        AuthScanner.Builder b =
                AuthScanner.builder().dns(dns.build()).authservId(authservId).checkHelo(helo);
        Optional<String> temperror = c.string("dmarc-temperror");
        if (temperror.isPresent()) {
            switch (temperror.get().toLowerCase(Locale.ROOT)) {
                case "accept" -> b.deferOnDmarcTemperror(false);
                case "defer" -> b.deferOnDmarcTemperror(true);
                default ->
                    throw keyAt(c, "dmarc-temperror", "must be 'accept' or 'defer', was '" + temperror.get() + "'");
            }
        }
        AccessRules.Builder exempt = AccessRules.builder();
        NodeConfig.eachLine(c, "dmarc-exempt", patterns -> patterns.forEach(p -> exempt.allow(p, true)));
        if (c.lineOf("dmarc-exempt") > 0) {
            AccessRules rules = exempt.build();
            b.exemptClients(client -> rules.decide(client).relay());
        }
        return b.build();
    }

    private static Scanner bayes(ConfigFile c, int n, Settings s, Path model, List<NodeService> services)
            throws ConfigException, IOException {
        Optional<Double> threshold = s.decimal("bayes", "threshold");
        if (threshold.isPresent() && !(threshold.get() > 0 && threshold.get() <= 1)) {
            throw keyAt(c, "bayes.threshold", "must be in (0, 1], was " + threshold.get());
        }
        // One reload mechanism: the file is re-read by the service below when it changes, and opened afresh (through
        // the same WatchedModelFile) when the node's configuration is reloaded.
        Optional<BounceDetector> detector = localDomains(c, s);
        WatchedModelFile file = WatchedModelFile.manual(model);
        BayesScanner.Builder b = BayesScanner.builder(file);
        threshold.ifPresent(b::threshold);
        detector.ifPresent(b::detector);
        s.bool("bayes", "brand-check").ifPresent(b::brandCheck);
        BayesScanner scanner = b.build();
        Duration every = s.duration("bayes", "reload-check").orElse(DEFAULT_RELOAD_CHECK);
        services.add(NodeService.every("bayes-reload", every, file::checkNow));
        return scanner;
    }

    private static Scanner attachments(ConfigFile c, int n, Path base, String file) throws ConfigException {
        if (file == null) {
            return AttachmentPolicyScanner.create();
        }
        if (file.isEmpty()) {
            throw at(c, n, "attachments: needs a policy file after the colon, or no colon for the default policy");
        }
        Path f = base.resolve(file);
        try (Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
            return AttachmentPolicyScanner.builder()
                    .policy(AttachmentPolicy.parse(r))
                    .build();
        } catch (IOException e) {
            throw at(c, n, "attachment policy " + IoErrors.describe(f, e));
        } catch (RuntimeException e) {
            throw at(c, n, "attachment policy " + f + ": " + e.getMessage());
        }
    }

    private static CommandProfile profile(ConfigFile c, int n, Path base, String name) throws ConfigException {
        Optional<CommandProfile> builtIn = Profiles.builtIn(name);
        if (builtIn.isPresent()) {
            return builtIn.get();
        }
        Path file = base.resolve(name);
        if (!Files.isRegularFile(file)) {
            throw at(
                    c,
                    n,
                    "command: '" + name + "' is neither a built-in profile (" + String.join(", ", Profiles.names())
                            + ") nor a profile file");
        }
        try {
            return ProfileParser.parse(file);
        } catch (ProfileFormatException e) {
            throw at(c, n, "command: " + e.getMessage());
        } catch (IOException e) {
            throw at(c, n, "command: cannot read profile file " + IoErrors.describe(e));
        }
    }

    private static Path executable(ConfigFile c, int n, Path base, String path) throws ConfigException {
        if (path.isEmpty()) {
            throw at(c, n, "an empty program path");
        }
        Path p = base.resolve(path);
        if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
            throw at(c, n, p + " is not an executable file");
        }
        return p;
    }

    private static String argument(ConfigFile c, int n, String family, String arg) throws ConfigException {
        if (arg == null || arg.isEmpty()) {
            String form = switch (family) {
                case "clamd" -> "clamd:ADDRESS[,ADDRESS...]";
                case "spamd" -> "spamd:HOST:PORT[,HOST:PORT...]";
                case "vexira" -> "vexira:PATH";
                case "command" -> "command:PROFILE[:PATH]";
                default -> "bayes:MODEL";
            };
            throw at(c, n, family + " needs an argument: " + form);
        }
        return arg;
    }

    private static void noArgument(ConfigFile c, int n, String family, String arg) throws ConfigException {
        if (arg != null) {
            throw at(c, n, family + " takes no argument, was '" + family + ":" + arg + "'");
        }
    }

    private static ConfigException keyAt(ConfigFile c, String key, String problem) {
        return new ConfigException(c.source() + " line " + c.lineOf(key) + ": " + key + ": " + problem);
    }

    private static ConfigException at(ConfigFile c, int line, String problem) {
        return new ConfigException(
                c.source() + " line " + line + ": scanner: " + problem.replaceFirst("^scanner: ", ""));
    }

    /** The per-family keys; each getter marks its key as read, and errors name the key's line. */
    private static final class Settings {
        private final ConfigFile c;
        private final Path base;

        Settings(ConfigFile c, Path base) {
            this.c = c;
            this.base = base;
        }

        private String key(String family, String setting) {
            if (!SETTINGS.getOrDefault(family, List.of()).contains(setting)) {
                throw new IllegalStateException("undeclared setting " + family + "." + setting);
            }
            return family + "." + setting;
        }

        boolean given(String family, String setting) {
            return c.lineOf(key(family, setting)) > 0;
        }

        int line(String family, String setting) {
            return c.lineOf(key(family, setting));
        }

        Optional<Duration> duration(String family, String setting) throws ConfigException {
            return c.duration(key(family, setting));
        }

        /** A duration between {@code min} and {@code max}; the error names the bounds as a file writes them. */
        Optional<Duration> duration(String family, String setting, Duration min, Duration max) throws ConfigException {
            return c.duration(key(family, setting), min, max);
        }

        /** A duration that may also be {@code 0}. */
        Optional<Duration> durationOrZero(String family, String setting) throws ConfigException {
            return c.durationOrZero(key(family, setting));
        }

        Optional<String> string(String family, String setting) throws ConfigException {
            return c.string(key(family, setting));
        }

        Optional<Boolean> bool(String family, String setting) throws ConfigException {
            return c.bool(key(family, setting));
        }

        Optional<Double> decimal(String family, String setting) throws ConfigException {
            return c.decimal(key(family, setting));
        }

        Optional<Integer> integer(String family, String setting, int min, int max) throws ConfigException {
            return c.integer(key(family, setting), min, max);
        }

        /** Bytes, with an optional {@code k}, {@code m} or {@code g} suffix (powers of 1024). */
        Optional<Long> size(String family, String setting) throws ConfigException {
            String k = key(family, setting);
            Optional<String> v = c.string(k);
            if (v.isEmpty()) {
                return Optional.empty();
            }
            try {
                return Optional.of(parseSize(v.get()));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(c.source() + " line " + c.lineOf(k) + ": " + k + ": " + e.getMessage());
            }
        }

        /** A command line, split at white space (no shell, no quoting). */
        Optional<List<String>> command(String family, String setting) throws ConfigException {
            Optional<String> v = c.string(key(family, setting));
            if (v.isEmpty()) {
                return Optional.empty();
            }
            List<String> argv = new ArrayList<>(Arrays.stream(v.get().strip().split("\\s+"))
                    .filter(a -> !a.isEmpty())
                    .toList());
            if (argv.isEmpty()) {
                throw new ConfigException(c.source() + " line " + line(family, setting) + ": " + family + "." + setting
                        + ": an empty command");
            }
            if (argv.get(0).contains("/") && !Path.of(argv.get(0)).isAbsolute()) {
                argv.set(0, base.resolve(argv.get(0)).toString()); // relative to the configuration file
            }
            return Optional.of(List.copyOf(argv));
        }

        /** Rejects the update timing keys when there is no update command. */
        void noUpdate(String family) throws ConfigException {
            for (String k : List.of("update-interval", "update-jitter")) {
                if (given(family, k)) {
                    throw new ConfigException(c.source() + " line " + line(family, k) + ": " + family + "." + k
                            + ": needs " + family + ".update = COMMAND");
                }
                c.string(key(family, k));
            }
        }

        <T> T build(String family, java.util.function.Supplier<T> builder) throws ConfigException {
            try {
                return builder.get();
            } catch (IllegalArgumentException | IllegalStateException e) {
                int line = 0;
                for (String s : SETTINGS.getOrDefault(family, List.of())) {
                    line = Math.max(line, c.lineOf(family + "." + s));
                }
                throw new ConfigException(
                        c.source() + (line > 0 ? " line " + line : "") + ": " + family + ": " + e.getMessage());
            }
        }

        /** Keys of families that have no scanner, and unread keys of families that have one. */
        void rejectUnused(Set<String> configured) throws ConfigException {
            for (Map.Entry<String, List<String>> e : SETTINGS.entrySet()) {
                for (String s : e.getValue()) {
                    String k = e.getKey() + "." + s;
                    int line = c.lineOf(k);
                    if (line > 0 && !configured.contains(e.getKey())) {
                        throw new ConfigException(c.source() + " line " + line + ": " + k + ": no " + e.getKey()
                                + " scanner is configured"
                                + (e.getKey().equals("bayes") && configured.contains("builtin")
                                        ? " (builtin's classifier takes no settings: add scanner = bayes:default, or"
                                                + " bayes:MODEL, which replaces it)"
                                        : ""));
                    }
                    c.string(k); // read: a setting of a configured family that no scanner used is still valid
                }
            }
            if (c.lineOf("spam-threshold") > 0 && !configured.contains("spamd")) {
                throw new ConfigException(c.source() + " line " + c.lineOf("spam-threshold")
                        + ": spam-threshold: no spamd scanner is configured");
            }
            c.string("spam-threshold");
        }
    }

    /**
     * Parses a size: bytes, or with a {@code k}, {@code m} or {@code g} suffix (KiB, MiB, GiB).
     *
     * @param text e.g. {@code 25m}
     * @return bytes
     * @throws IllegalArgumentException if malformed, not positive or too large
     */
    static long parseSize(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("k") || t.endsWith("m") || t.endsWith("g")) {
            unit = switch (t.charAt(t.length() - 1)) {
                case 'k' -> 1024L;
                case 'm' -> 1024L * 1024;
                default -> 1024L * 1024 * 1024;
            };
            t = t.substring(0, t.length() - 1);
        }
        if (!t.matches("[0-9]{1,12}")) {
            throw new IllegalArgumentException(
                    "expected a size in bytes, optionally with k, m or g (e.g. 25m), was '" + text + "'");
        }
        long n = Long.parseLong(t);
        if (n <= 0) {
            throw new IllegalArgumentException("must be positive, was '" + text + "'");
        }
        if (n > Long.MAX_VALUE / unit) {
            throw new IllegalArgumentException("too large: '" + text + "'");
        }
        return n * unit;
    }

    /**
     * Logs failover group state changes: one WARN when a member goes down, naming its back-off and how often it is
     * probed meanwhile (the group's {@code *.probe-interval}), one INFO when it comes back. Thread-safe.
     */
    static final class FailoverLog implements HygieneListener {
        private final String node;
        private final Map<String, Duration> probeIntervals = new ConcurrentHashMap<>();

        FailoverLog(String node) {
            this.node = node;
        }

        /** Records how often the node probes a group's members that are down (its probe service's interval). */
        void probedEvery(String group, Duration interval) {
            probeIntervals.put(group, interval);
        }

        @Override
        public void memberDown(String group, String member, String reason, Duration backoff) {
            LOG.warn("{}", downLine(group, member, reason, backoff));
        }

        /** The WARN line of {@link #memberDown}. */
        String downLine(String group, String member, String reason, Duration backoff) {
            Duration probe = probeIntervals.get(group);
            return node + ": " + group + " member " + member + " DOWN for " + backoff.toSeconds() + "s ("
                    + (probe == null ? "not probed" : "probed every " + ConfigFile.format(probe)) + " meanwhile): "
                    + reason;
        }

        @Override
        public void memberUp(String group, String member) {
            LOG.info("{}: {} member {} UP", node, group, member);
        }

        @Override
        public void failover(String group, String from, String to, String reason) {
            LOG.debug("{}: {} failed over from {} to {}: {}", node, group, from, to, reason);
        }
    }
}
