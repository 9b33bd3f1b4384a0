package org.mailhygiene.scanners.spamd;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.atomic.AtomicReference;
import org.mailhygiene.api.Health;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.events.HygieneListener;
import org.mailhygiene.api.failover.FailoverException;
import org.mailhygiene.api.failover.FailoverGroup;
import org.mailhygiene.internal.Checks;

/**
 * A {@link Scanner} that asks SpamAssassin's spamd, through a {@link FailoverGroup} of {@link SpamdClient}s, and
 * returns {@link Outcome#SPAM} or {@link Outcome#CLEAN} verdicts with the score, the threshold and the rules that
 * fired.
 *
 * <p><b>Threshold.</b> By default the verdict follows spamd's own decision and carries spamd's threshold
 * ({@code required_score}, 5.0 unless spamd is configured otherwise). With {@link Builder#threshold(double)} (the
 * edge relays of the reference deployment used 6.8) the verdict is SPAM exactly when {@code score >= threshold}, and
 * the verdict's threshold is the configured one; spamd's own threshold stays available in {@link #check(Message)}.
 *
 * <p><b>Rules.</b> With the default {@link RuleDetail#REPORT} the scanner sends {@code REPORT} and reads the rule table,
 * so each rule carries its score and description (sorted by score, highest first; descriptions read as UTF-8 or, line
 * by line where that is invalid, ISO-8859-1, as SpamAssassin copies them from its configuration); a table without the
 * separator line (SpamAssassin's French template) is found by its scores adding up to spamd's; if the report has no
 * table (a custom report template) it asks again with {@code SYMBOLS} for the names. {@link RuleDetail#SYMBOLS} gives names only
 * (one request, no report text), {@link RuleDetail#NONE} sends {@code CHECK} and gives no rules.
 *
 * <p><b>Size limit.</b> Messages larger than {@link Builder#maxMessageSize(long)} (default 512000 bytes, spamc's
 * 500 KB) are not sent: the scan fails with {@link ScanFailure.Kind#TOO_LARGE}, which the policy decides about; never a
 * silent clean.
 *
 * <p><b>Unfinished scans.</b> spamd answers {@code EX_OK} with the score of the rules it ran when SpamAssassin's
 * {@code time_limit} passes mid-scan, naming the rule {@value #TIME_LIMIT_EXCEEDED}: a clean verdict from such a reply
 * would call a message clean that was not fully scanned, so it is an {@link ScanFailure.Kind#UNSCANNABLE} failure (a
 * spam verdict stands). Only a reply with rules shows it: {@link RuleDetail#NONE} cannot tell.
 *
 * <p><b>Failures.</b> Every failure is a {@link ScanException}, its kind given by the api's one rule for failover
 * groups, {@link ScanFailure.Kind#ofFailover}: {@link ScanFailure.Kind#UNAVAILABLE} when every instance is in back-off
 * or the instances failed in different ways, {@link ScanFailure.Kind#TIMED_OUT} when the deadline passes, the kind
 * every instance failed with when they agree (from each {@link SpamdException}), and the kind of a failure that is not
 * the instance's fault. What a failure becomes is policy: see
 * {@link SpamdFailureMode}.
 *
 * <p><b>Health.</b> {@link #health()} PINGs every instance and only observes: an instance that does not answer is
 * reported, not marked down (only a failed scan marks it down), so {@code /health} and {@code --check} never take an
 * instance out of the scans or log a member-down line. {@link #probeDown()}, which a node runs every
 * {@code spamd.probe-interval}, PINGs the instances marked down and marks up those that answer.
 *
 * <p>Defaults: name {@code spamd}; spamd's own threshold; {@link RuleDetail#REPORT}; size limit 512000 bytes
 * ({@link #DEFAULT_MAX_MESSAGE_SIZE}); scan deadline 60 s over every instance tried ({@link #DEFAULT_DEADLINE}); for
 * instances added by address the {@link SpamdClient} defaults (connect 5 s, read 30 s); the failover group's defaults
 * for back-off (30 s doubling to 10 min); probe timeout 5 s ({@link #DEFAULT_PROBE_TIMEOUT}). Verdicts are never cached ({@link #cacheIdentity()} is empty): spamd's
 * answers change as its Bayes database learns.
 *
 * <p>Thread-safe: one scanner serves concurrent scans.
 */
public final class SpamdScanner implements Scanner {
    /** Default scanner name. */
    public static final String DEFAULT_NAME = "spamd";
    /** Default size limit in bytes: spamc's 500 KB. */
    public static final long DEFAULT_MAX_MESSAGE_SIZE = 512_000;
    /**
     * The rule SpamAssassin adds when its {@code time_limit} (300 s by default) passed and it stopped running rules,
     * answering with the score of those that ran.
     */
    public static final String TIME_LIMIT_EXCEEDED = "TIME_LIMIT_EXCEEDED";
    /** Default deadline for one scan over every instance tried: 60 s. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(60);
    /** Default deadline of one {@code PING} of {@link #health()} or {@link #probeDown()}: 5 s, as clamd's. */
    public static final Duration DEFAULT_PROBE_TIMEOUT = Duration.ofSeconds(5);

    /** How much rule detail a scan asks spamd for. */
    public enum RuleDetail {
        /** {@code REPORT}: rule names, scores and descriptions. */
        REPORT,
        /** {@code SYMBOLS}: rule names only. */
        SYMBOLS,
        /** {@code CHECK}: no rules, score only. */
        NONE
    }

    /**
     * The full result of one check: the verdict, spamd's own decision and threshold, and which instance answered.
     *
     * @param verdict the verdict as {@link #scan(Message)} returns it
     * @param spamdSaysSpam spamd's own decision ({@code Spam: True} or {@code Yes})
     * @param spamdThreshold spamd's own threshold, when its reply had one
     * @param server the address of the instance that answered
     */
    public record Check(Verdict verdict, boolean spamdSaysSpam, OptionalDouble spamdThreshold, String server) {
        /**
         * Validates.
         *
         * @throws NullPointerException if a component is {@code null}
         */
        public Check {
            Objects.requireNonNull(verdict, "verdict");
            Objects.requireNonNull(spamdThreshold, "spamdThreshold");
            Objects.requireNonNull(server, "server");
        }
    }

    private final String name;
    private final FailoverGroup<SpamdClient> group;
    private final OptionalDouble threshold;
    private final RuleDetail ruleDetail;
    private final long maxMessageSize;
    private final Duration probeTimeout;

    private SpamdScanner(Builder b, FailoverGroup<SpamdClient> group) {
        this.name = b.name;
        this.group = group;
        this.threshold = b.threshold;
        this.ruleDetail = b.ruleDetail;
        this.maxMessageSize = b.maxMessageSize;
        this.probeTimeout = b.probeTimeout;
    }

    /**
     * Starts a builder.
     *
     * @return a new builder with the defaults in the class description and no instances yet
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * The configured threshold.
     *
     * @return the threshold, or empty when spamd's own decides
     */
    public OptionalDouble threshold() {
        return threshold;
    }

    /**
     * The size limit.
     *
     * @return the largest message, in bytes, that is sent to spamd
     */
    public long maxMessageSize() {
        return maxMessageSize;
    }

    /**
     * The rule detail asked for.
     *
     * @return the setting
     */
    public RuleDetail ruleDetail() {
        return ruleDetail;
    }

    /**
     * The failover group of spamd instances.
     *
     * @return the group (shared, live state)
     */
    public FailoverGroup<SpamdClient> group() {
        return group;
    }

    @Override
    public Verdict scan(Message message) throws ScanException, InterruptedException {
        return check(message).verdict();
    }

    /**
     * Scans a message and returns the verdict together with spamd's own decision and threshold.
     *
     * @param message the message
     * @return the check
     * @throws ScanException as described in the class description
     * @throws InterruptedException if the thread was interrupted
     */
    public Check check(Message message) throws ScanException, InterruptedException {
        Objects.requireNonNull(message, "message");
        long start = System.nanoTime();
        long size = message.content().size();
        if (size > maxMessageSize) {
            throw new ScanException(new ScanFailure(
                    name,
                    ScanFailure.Kind.TOO_LARGE,
                    "message of " + size + " bytes exceeds the spamd size limit of " + maxMessageSize
                            + " bytes; not scanned",
                    elapsed(start)));
        }
        AtomicReference<String> server = new AtomicReference<>("");
        Result r;
        try {
            r = group.call((client, remaining) -> {
                server.set(client.address());
                return ask(client, message, remaining);
            });
        } catch (FailoverException e) {
            throw failure(e, start);
        }
        SpamdResponse reply = r.reply;
        Optional<Boolean> spamdSpam = reply.spam();
        if (spamdSpam.isEmpty()) {
            throw new ScanException(new ScanFailure(
                    name,
                    ScanFailure.Kind.PROTOCOL_ERROR,
                    "spamd " + server.get() + " sent no Spam header",
                    elapsed(start)));
        }
        boolean spam;
        Verdict.Builder vb;
        if (threshold.isPresent()) {
            if (reply.score().isEmpty()) {
                throw new ScanException(new ScanFailure(
                        name,
                        ScanFailure.Kind.PROTOCOL_ERROR,
                        "spamd " + server.get() + " sent no score to compare with the threshold "
                                + threshold.getAsDouble(),
                        elapsed(start)));
            }
            spam = reply.score().getAsDouble() >= threshold.getAsDouble();
            vb = Verdict.builder(name, spam ? Outcome.SPAM : Outcome.CLEAN).threshold(threshold.getAsDouble());
        } else {
            spam = spamdSpam.get();
            vb = Verdict.builder(name, spam ? Outcome.SPAM : Outcome.CLEAN);
            reply.threshold().ifPresent(vb::threshold);
        }
        if (!spam && r.rules.stream().anyMatch(x -> x.name().equals(TIME_LIMIT_EXCEEDED))) {
            throw new ScanException(new ScanFailure(
                    name,
                    ScanFailure.Kind.UNSCANNABLE,
                    "spamd " + server.get() + " stopped at its time_limit (" + TIME_LIMIT_EXCEEDED
                            + ") before every rule ran; the score of the rules that did run"
                            + reply.score().stream()
                                    .mapToObj(x -> " (" + x + ")")
                                    .findFirst()
                                    .orElse("")
                            + " proves nothing; not fully scanned",
                    elapsed(start)));
        }
        reply.score().ifPresent(vb::score);
        vb.rules(r.rules).elapsed(elapsed(start));
        return new Check(vb.build(), spamdSpam.get(), reply.threshold(), server.get());
    }

    private static final class Result {
        final SpamdResponse reply;
        final List<Rule> rules;

        Result(SpamdResponse reply, List<Rule> rules) {
            this.reply = reply;
            this.rules = rules;
        }
    }

    private Result ask(SpamdClient client, Message message, Duration remaining)
            throws SpamdException, InterruptedException {
        long start = System.nanoTime();
        switch (ruleDetail) {
            case NONE -> {
                return new Result(
                        client.execute(SpamdRequest.of(SpamdCommand.CHECK, message.content()), remaining), List.of());
            }
            case SYMBOLS -> {
                SpamdResponse reply =
                        client.execute(SpamdRequest.of(SpamdCommand.SYMBOLS, message.content()), remaining);
                return new Result(reply, names(reply, client));
            }
            default -> {
                SpamdResponse reply =
                        client.execute(SpamdRequest.of(SpamdCommand.REPORT, message.content()), remaining);
                Optional<List<Rule>> table;
                try {
                    table = reply.reportRules();
                } catch (IllegalArgumentException e) {
                    throw new SpamdException(
                            ScanFailure.Kind.PROTOCOL_ERROR,
                            "spamd " + client.address() + ": " + e.getMessage(),
                            -1,
                            true,
                            e);
                }
                if (table.isPresent()) {
                    List<Rule> rules = new ArrayList<>(table.get());
                    rules.sort(Comparator.comparingDouble((Rule x) -> x.score().orElse(0))
                            .reversed());
                    return new Result(reply, rules);
                }
                Duration left = remaining.minusNanos(System.nanoTime() - start);
                SpamdResponse symbols = client.execute(SpamdRequest.of(SpamdCommand.SYMBOLS, message.content()), left);
                return new Result(reply, names(symbols, client));
            }
        }
    }

    private static List<Rule> names(SpamdResponse reply, SpamdClient client) throws SpamdException {
        try {
            return reply.symbols().stream().map(Rule::of).toList();
        } catch (IllegalArgumentException e) {
            throw new SpamdException(
                    ScanFailure.Kind.PROTOCOL_ERROR, "spamd " + client.address() + ": " + e.getMessage(), -1, true, e);
        }
    }

    private ScanException failure(FailoverException e, long start) {
        ScanFailure.Kind kind = ScanFailure.Kind.ofFailover(
                e, error -> error instanceof SpamdException se ? se.kind() : ScanFailure.Kind.SCANNER_ERROR);
        return new ScanException(new ScanFailure(name, kind, e.getMessage(), elapsed(start)), e);
    }

    private static Duration elapsed(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /**
     * PINGs every instance directly, each within the {@linkplain Builder#probeTimeout probe timeout}, for a health
     * check ({@code /health}, {@code hygiene relay --check}): it observes, and does not mark an instance down. An
     * instance that does not answer keeps its state (no back-off is counted and no
     * {@link HygieneListener#memberDown} event is sent: only a scan that failed marks an instance down), so a check
     * never logs a "DOWN for 30s" line of its own nor takes a working instance out of the scans. An instance marked
     * down that answers is marked up, as {@link #probeDown()} does.
     *
     * @return UP if at least one instance answered {@code PONG}, else DOWN; the detail names each instance and what
     *     it answered, e.g. {@code 1/2 up: 127.0.0.1:783 PONG; cannot connect to spamd 127.0.0.1:784: Connection
     *     refused}
     */
    @Override
    public Health health() {
        long start = System.nanoTime();
        StringBuilder detail = new StringBuilder();
        java.util.Set<SpamdClient> answered = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        List<SpamdClient> clients = group.values();
        for (SpamdClient c : clients) {
            if (detail.length() > 0) {
                detail.append("; ");
            }
            try {
                c.ping(probeTimeout);
                answered.add(c);
                detail.append(c.address()).append(" PONG");
            } catch (SpamdException e) {
                detail.append(e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                detail.append(c.address()).append(" interrupted");
                break;
            }
        }
        if (!answered.isEmpty()) {
            group.probeDown(answered::contains); // no further PING: those that answered just now come back
        }
        String text = answered.size() + "/" + clients.size() + " up: " + detail;
        return answered.isEmpty() ? Health.down(text, elapsed(start)) : Health.up(text, elapsed(start));
    }

    /**
     * PINGs every instance that is marked down (whether or not its back-off has ended), each within the
     * {@linkplain Builder#probeTimeout probe timeout}; those that answer are marked up at once, the others stay as
     * they were. Schedule it every second or two so an instance comes back within seconds of its daemon. Never throws.
     *
     * @return the addresses of instances that came back
     */
    public List<String> probeDown() {
        return group.probeDown(c -> {
            try {
                c.ping(probeTimeout);
                return true;
            } catch (SpamdException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        });
    }

    /**
     * The longest one {@code PING} of {@link #health()} or {@link #probeDown()} may take.
     *
     * @return the probe timeout
     */
    public Duration probeTimeout() {
        return probeTimeout;
    }

    @Override
    public String toString() {
        return "SpamdScanner[" + name + " " + group.values() + "]";
    }

    /**
     * Builds a {@link SpamdScanner}. Each setter checks its own value at once; settings that depend on each other (a
     * ready {@link #group} against servers and the settings of a group built here) are checked in {@link #build()}, so
     * the order of the calls never matters. Not thread-safe.
     */
    public static final class Builder {
        private String name = DEFAULT_NAME;
        /** An instance: a ready client, or an address whose client is made in build() with the final timeouts. */
        private record Server(String address, SpamdClient client, int priority) {}

        private final List<Server> servers = new ArrayList<>();
        /** Settings that only make sense without a ready group, in the order they were first set. */
        private final java.util.Set<String> ownGroupSettings = new java.util.LinkedHashSet<>();

        private FailoverGroup<SpamdClient> group;
        private OptionalDouble threshold = OptionalDouble.empty();
        private RuleDetail ruleDetail = RuleDetail.REPORT;
        private long maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
        private Duration deadline = DEFAULT_DEADLINE;
        private Duration connectTimeout = SpamdClient.DEFAULT_CONNECT_TIMEOUT;
        private Duration readTimeout = SpamdClient.DEFAULT_READ_TIMEOUT;
        private Duration probeTimeout = DEFAULT_PROBE_TIMEOUT;
        private Optional<Duration> initialBackoff = Optional.empty();
        private Optional<Duration> maxBackoff = Optional.empty();
        private Clock clock = Clock.systemUTC();
        private HygieneListener listener = HygieneListener.NOOP;

        private Builder() {}

        /**
         * The scanner's name, used in verdicts, failures and policy ({@code onFailureOf(name, ...)}). Default
         * {@code spamd}.
         *
         * @param value a non-blank name
         * @return this builder
         * @throws IllegalArgumentException if blank
         */
        public Builder name(String value) {
            Objects.requireNonNull(value, "name");
            if (value.isBlank()) {
                throw new IllegalArgumentException("scanner name must not be blank");
            }
            name = value;
            return this;
        }

        /**
         * Adds a spamd instance by address, with the client defaults and this builder's {@link #connectTimeout} and
         * {@link #readTimeout} (whenever those are set, before or after this call). Instances are preferred in the
         * order added.
         *
         * @param hostPort {@code HOST:PORT}
         * @return this builder
         * @throws IllegalArgumentException if the address is malformed or was added already
         */
        public Builder server(String hostPort) {
            String address = SpamdClient.builder(hostPort).build().address();
            add(new Server(hostPort, null, servers.size()), address);
            return this;
        }

        private void add(Server server, String address) {
            for (Server s : servers) {
                String other = s.client() != null
                        ? s.client().address()
                        : SpamdClient.builder(s.address()).build().address();
                if (other.equals(address)) {
                    throw new IllegalArgumentException("spamd " + address + " was added twice");
                }
            }
            servers.add(server);
        }

        /**
         * Adds a configured client. Instances are preferred in the order added.
         *
         * @param client the client
         * @return this builder
         * @throws IllegalArgumentException if an instance with the same address was added
         */
        public Builder server(SpamdClient client) {
            return server(client, servers.size());
        }

        /**
         * Adds a configured client with a priority: lower is preferred, equal priorities share the load round-robin.
         *
         * @param client the client
         * @param priority its priority
         * @return this builder
         * @throws IllegalArgumentException if an instance with the same address was added
         */
        public Builder server(SpamdClient client, int priority) {
            Objects.requireNonNull(client, "client");
            add(new Server(null, client, priority), client.address());
            return this;
        }

        /**
         * Uses a ready failover group instead of instances added one by one (for example one shared with other
         * scanners). The group's own deadline, back-off, clock and listener then apply, so {@link #build()} refuses
         * a builder that has a group and also servers or any of those settings, whatever the order of the calls.
         *
         * @param value the group
         * @return this builder
         */
        public Builder group(FailoverGroup<SpamdClient> value) {
            group = Objects.requireNonNull(value, "group");
            return this;
        }

        /**
         * The score at or above which the verdict is SPAM, e.g. 6.8. Default: spamd's own decision and threshold.
         *
         * @param value a finite score
         * @return this builder
         * @throws IllegalArgumentException if not finite
         */
        public Builder threshold(double value) {
            if (!Double.isFinite(value)) {
                throw new IllegalArgumentException("threshold must be finite, was " + value);
            }
            threshold = OptionalDouble.of(value);
            return this;
        }

        /**
         * How much rule detail to ask for. Default {@link RuleDetail#REPORT}.
         *
         * @param value the detail
         * @return this builder
         */
        public Builder ruleDetail(RuleDetail value) {
            ruleDetail = Objects.requireNonNull(value, "ruleDetail");
            return this;
        }

        /**
         * The largest message sent to spamd; larger ones fail with {@link ScanFailure.Kind#TOO_LARGE}. Default
         * 512000 bytes.
         *
         * @param bytes a positive size
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder maxMessageSize(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("maxMessageSize must be positive, was " + bytes);
            }
            maxMessageSize = bytes;
            return this;
        }

        /**
         * The deadline of one scan over every instance tried, which also bounds each request to an instance added by
         * address ({@link #server(String)}, before or after this call). Default 60 s.
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder deadline(Duration value) {
            deadline = Checks.requirePositive(value, "deadline");
            ownGroupSettings.add("deadline");
            return this;
        }

        /**
         * The connect timeout for instances added by address ({@link #server(String)}, before or after this call).
         * Default 5 s.
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder connectTimeout(Duration value) {
            connectTimeout = Checks.requirePositive(value, "connectTimeout");
            ownGroupSettings.add("connectTimeout");
            return this;
        }

        /**
         * The read timeout for instances added by address ({@link #server(String)}, before or after this call).
         * Default 30 s.
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder readTimeout(Duration value) {
            readTimeout = Checks.requirePositive(value, "readTimeout");
            ownGroupSettings.add("readTimeout");
            return this;
        }

        /**
         * The deadline of one {@code PING} of {@link SpamdScanner#health()} and {@link SpamdScanner#probeDown()},
         * connect included (capped by each instance's own deadline), so that a health check or probe of a spamd that
         * accepts connections and never answers (stopped, or every child busy) ends after this instead of the read
         * timeout. Applies with a ready {@link #group} too. Default 5 s.
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder probeTimeout(Duration value) {
            probeTimeout = Checks.requirePositive(value, "probeTimeout");
            return this;
        }

        /**
         * How long a failed instance is skipped at first (doubling with each further failure). Default: the failover
         * group's (30 s).
         *
         * @param value a positive duration, at most 10 minutes
         * @return this builder
         * @throws IllegalArgumentException if not positive or above 10 minutes
         */
        public Builder initialBackoff(Duration value) {
            Checks.requirePositive(value, "initialBackoff");
            if (value.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new IllegalArgumentException("initialBackoff must be at most 10 minutes, was " + value);
            }
            ownGroupSettings.add("initialBackoff");
            initialBackoff = Optional.of(value);
            return this;
        }

        /**
         * The longest an instance is skipped, however often it failed in a row (the back-off doubles from
         * {@link #initialBackoff} up to this). Default: the failover group's (10 min). A lone instance that should be
         * tried again by the next scan, as spamc does (nothing to fail over to), takes the least back-off there is for
         * both, e.g. {@code initialBackoff(Duration.ofNanos(1)).maxBackoff(Duration.ofNanos(1))}. Checked against an
         * explicit {@link #initialBackoff} in {@link #build()}.
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder maxBackoff(Duration value) {
            Checks.requirePositive(value, "maxBackoff");
            ownGroupSettings.add("maxBackoff");
            maxBackoff = Optional.of(value);
            return this;
        }

        /**
         * The clock for back-off and for the {@linkplain #deadline(Duration) scan deadline} over every instance tried
         * (the failover group measures both with it; a system clock stands for the system's monotonic time, so a step
         * of the wall clock does not move them). Default {@link Clock#systemUTC()}. A clock that does not
         * advance by itself, such as the testkit's {@code FakeClock}, leaves that deadline unenforced: a scan then
         * ends only by the connect and read timeouts of each instance it tries.
         *
         * @param value the clock
         * @return this builder
         */
        public Builder clock(Clock value) {
            clock = Objects.requireNonNull(value, "clock");
            ownGroupSettings.add("clock");
            return this;
        }

        /**
         * Receives failover and member up/down events. Default none.
         *
         * @param value the listener
         * @return this builder
         */
        public Builder listener(HygieneListener value) {
            listener = Objects.requireNonNull(value, "listener");
            ownGroupSettings.add("listener");
            return this;
        }

        /**
         * Builds the scanner.
         *
         * @return a new scanner
         * @throws IllegalStateException if no instance and no group was given, a group together with servers or
         *     settings that only apply without one (the message names them), or an explicit initial back-off above an
         *     explicit maximum back-off
         */
        public SpamdScanner build() {
            FailoverGroup<SpamdClient> g = group;
            if (g != null && (!servers.isEmpty() || !ownGroupSettings.isEmpty())) {
                List<String> conflicts = new ArrayList<>();
                if (!servers.isEmpty()) {
                    conflicts.add("servers");
                }
                conflicts.addAll(ownGroupSettings);
                throw new IllegalStateException(
                        "a failover group was set, so its own settings apply; remove " + String.join(", ", conflicts));
            }
            List<SpamdClient> clients = new ArrayList<>();
            for (Server s : servers) {
                clients.add(
                        s.client() != null
                                ? s.client()
                                : SpamdClient.builder(s.address())
                                        .connectTimeout(connectTimeout)
                                        .readTimeout(readTimeout)
                                        // the scan's deadline, not the client's own 60 s, bounds each request
                                        // (and the failover group's remaining time each one after the first)
                                        .deadline(deadline)
                                        .build());
            }
            if (g == null) {
                if (clients.isEmpty()) {
                    throw new IllegalStateException("a spamd scanner needs at least one server");
                }
                FailoverGroup.Builder<SpamdClient> gb = FailoverGroup.<SpamdClient>builder(name)
                        .deadline(deadline)
                        .clock(clock)
                        .listener(listener)
                        .failoverWhen(e -> !(e instanceof SpamdException se) || se.retryable());
                initialBackoff.ifPresent(gb::initialBackoff);
                maxBackoff.ifPresent(gb::maxBackoff);
                for (int i = 0; i < clients.size(); i++) {
                    gb.member(
                            clients.get(i).address(),
                            clients.get(i),
                            servers.get(i).priority());
                }
                g = gb.build();
            }
            return new SpamdScanner(this, g);
        }
    }
}
