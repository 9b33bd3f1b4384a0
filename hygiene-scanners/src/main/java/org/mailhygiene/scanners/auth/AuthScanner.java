package org.mailhygiene.scanners.auth;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntSupplier;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.mailhygiene.api.Health;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.Header;
import org.mailhygiene.scanners.auth.dns.DnsResolver;
import org.mailhygiene.scanners.auth.dns.StubResolver;

/**
 * The sender-authentication scanner, {@code auth}: SPF for the SMTP client and MAIL FROM (or HELO), every DKIM
 * signature, the ARC chain, and DMARC from those, reported in one {@code Authentication-Results} header field (RFC
 * 8601) with this host's authserv-id.
 *
 * <p>The SMTP context comes from the message's {@link org.mailhygiene.api.Envelope}: client address, HELO name and
 * reverse path. Without a client address (a file scanned from disk) SPF is {@code none} and DMARC relies on DKIM
 * alone.
 *
 * <p>The verdict is {@link Outcome#CLEAN} unless DMARC fails under a {@code quarantine} or {@code reject} policy (after
 * {@code pct} sampling): then it is {@link Outcome#SUSPICIOUS} with the rule {@code DMARC_QUARANTINE} or
 * {@code DMARC_REJECT}, which the policy maps to an action ({@link org.mailhygiene.api.policy.DefaultPolicy.Builder#onRule}).
 * With {@link Builder#deferOnDmarcTemperror} a DMARC {@code temperror} is {@link Outcome#SUSPICIOUS} too, with the
 * rule {@value #DMARC_DEFER_RULE}. Mail from an {@linkplain Builder#exemptClients exempt client} (the organisation's own servers) is checked the same
 * way but stays {@link Outcome#CLEAN}, with the rule {@value #EXEMPT_RULE} naming what was not applied.
 * Every result is also a rule ({@code SPF_PASS}, {@code DKIM_FAIL}, {@code DMARC_NONE}, {@code ARC_PASS}, ...) whose
 * description says why, so {@code hygiene scan --json} explains each. The verdict carries the
 * {@code Authentication-Results} field; the tagger renames any field of that name that arrived with the message, so
 * no outside field can claim our authserv-id.
 *
 * <p>Malformed records, keys and signatures are results, never failures; only an unreadable message is a
 * {@link ScanException}. Verdicts are never cached (they depend on DNS and the envelope). Thread-safe.
 */
public final class AuthScanner implements Scanner {
    /** The scanner's name. */
    public static final String NAME = "auth";

    /**
     * The rule of a message whose header section is larger than the scanner reads (1 MiB by default): its From domain
     * and signatures cannot be checked, so the verdict is {@link Outcome#SUSPICIOUS} (held, by default, as a DMARC
     * failure is), never clean; SPF, which reads the envelope alone, is checked as usual.
     */
    public static final String HEADER_TOO_LARGE_RULE = "AUTH_HEADER_TOO_LARGE";

    /**
     * The rule of a message from an {@linkplain Builder#exemptClients exempt client} that would otherwise have been
     * {@link Outcome#SUSPICIOUS} (a DMARC {@code quarantine} or {@code reject} failure, a header section past the
     * limit): the verdict is {@link Outcome#CLEAN} and this rule says what was not applied and why.
     */
    public static final String EXEMPT_RULE = "DMARC_EXEMPT";

    /**
     * The rule of a message whose From domain's DMARC policy could not be looked up for now ({@code dmarc=temperror}: a
     * DNS timeout or SERVFAIL) when the scanner {@linkplain Builder#deferOnDmarcTemperror defers} such mail: the
     * verdict is {@link Outcome#SUSPICIOUS} with this rule, which {@link org.mailhygiene.api.policy.DefaultPolicy}
     * answers with a temporary failure by default (RFC 7489 sections 6.6.2 and 6.7 let a receiver defer), so the
     * sender retries when the domain's DNS answers again.
     */
    public static final String DMARC_DEFER_RULE = "DMARC_DEFER";

    private final DnsResolver dns;
    private final String authservId;
    private final PublicSuffixList psl;
    private final Clock clock;
    private final int maxHeaderBytes;
    private final DkimVerifier dkim;
    private final SpfVerifier spf;
    private final DmarcVerifier dmarc;
    private final ArcVerifier arc;
    private final boolean checkHelo;
    private final Predicate<InetAddress> exempt;
    private final boolean deferTemperror;

    private AuthScanner(Builder b) {
        this.dns = b.dns != null ? b.dns : StubResolver.builder().build();
        this.authservId = b.authservId != null ? b.authservId : b.defaultAuthservId;
        this.psl = b.psl != null ? b.psl : PublicSuffixList.system();
        this.clock = b.clock;
        this.maxHeaderBytes = b.maxHeaderBytes;
        this.dkim = new DkimVerifier(dns, clock);
        this.spf = new SpfVerifier(dns, b.receiver != null ? b.receiver : authservId);
        // every default that depends on another setting is resolved here, after all setters ran
        this.checkHelo = b.checkHelo;
        this.exempt = b.exempt;
        this.deferTemperror = b.deferTemperror;
        this.dmarc = new DmarcVerifier(dns, psl, b.percent);
        this.arc = new ArcVerifier(dns, dkim);
    }

    private static String localHostName() {
        try {
            String name = InetAddress.getLocalHost().getHostName();
            return validAuthservId(name) ? name : "localhost";
        } catch (IOException e) {
            return "localhost";
        }
    }

    private static boolean validAuthservId(String value) {
        return !value.isBlank() && value.matches("[!-~&&[^;()\\\\]]+");
    }

    /**
     * Starts a builder: the system's resolver ({@link StubResolver} defaults), this host's name as authserv-id, the
     * system's public suffix list, the system clock, random {@code pct} sampling, header sections up to 1 MiB.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * The authserv-id written into {@code Authentication-Results}.
     *
     * @return the id
     */
    public String authservId() {
        return authservId;
    }

    @Override
    public Health health() {
        return psl.isFallback()
                ? Health.up(
                        "no public suffix list at " + PublicSuffixList.SYSTEM_FILE
                                + ": organizational domains are the last two labels",
                        Duration.ZERO)
                : Health.up("public suffix list " + PublicSuffixList.SYSTEM_FILE, Duration.ZERO);
    }

    /** Everything the scanner found for one message. */
    record Results(
            Optional<SpfResult> spf,
            Optional<SpfResult> helo,
            List<DkimResult> dkim,
            ArcResult arc,
            DmarcResult dmarc,
            String header,
            boolean headerTooLarge) {}

    @Override
    public Verdict scan(Message message) throws ScanException, InterruptedException {
        long start = System.nanoTime();
        Results r;
        try {
            r = check(message);
        } catch (IOException e) {
            throw new ScanException(
                    new ScanFailure(
                            NAME,
                            ScanFailure.Kind.SCANNER_ERROR,
                            "cannot read the message: " + e.getMessage(),
                            Duration.ofNanos(System.nanoTime() - start)),
                    e);
        }
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        List<Rule> held = new ArrayList<>(); // what makes the verdict SUSPICIOUS
        if (r.headerTooLarge()) {
            // the From domain and the signatures were never read: a spoof padded past the limit was CLEAN, its
            // domain's p=reject unapplied (audit, session 32); held as suspicious, as a DMARC failure is
            held.add(Rule.of(
                    HEADER_TOO_LARGE_RULE,
                    0,
                    "header section larger than " + maxHeaderBytes
                            + " bytes: the From domain and the signatures cannot be checked"));
        }
        if (r.dmarc().status() == AuthStatus.FAIL && !r.dmarc().disposition().equals("none")) {
            String rule = "DMARC_" + r.dmarc().disposition().toUpperCase(Locale.ROOT);
            held.add(Rule.of(
                    rule,
                    0,
                    "DMARC " + r.dmarc().reason() + " (From domain " + r.dmarc().fromDomain() + ")"));
        }
        if (deferTemperror && r.dmarc().status() == AuthStatus.TEMPERROR) {
            // the policy that would apply is unknown for now: a spoof of a p=reject domain whose DNS is down (or made
            // to fail) passed (session 51); deferred, the sender retries when the domain's DNS answers
            held.add(Rule.of(
                    DMARC_DEFER_RULE,
                    0,
                    "the DMARC policy of the From domain " + r.dmarc().fromDomain()
                            + " could not be looked up for now: " + r.dmarc().reason()));
        }
        List<Rule> rules = new ArrayList<>();
        Outcome outcome = Outcome.CLEAN;
        Optional<InetAddress> client = message.envelope().clientAddress();
        if (!held.isEmpty() && client.isPresent() && exempt.test(client.get())) {
            // the organisation's own servers (OpenDMARC's IgnoreHosts): their outbound mail is checked and reported,
            // but not held; a node signs it only after the scan (audit, session 48)
            String notApplied = " not applied: the client " + client.get().getHostAddress() + " is exempt";
            rules.add(Rule.of(
                    EXEMPT_RULE, 0, held.stream().map(Rule::name).collect(Collectors.joining(", ")) + notApplied));
            DmarcResult d = r.dmarc();
            if (d.status() == AuthStatus.FAIL && !d.disposition().equals("none")) {
                // the header said dis=reject and "policy reject" for mail delivered (session 50, through Postfix)
                d = new DmarcResult(d.status(), d.fromDomain(), d.policy(), "none", d.reason() + notApplied);
                r = new Results(
                        r.spf(),
                        r.helo(),
                        r.dkim(),
                        r.arc(),
                        d,
                        header(r.spf(), r.helo(), r.dkim(), r.arc(), d),
                        false);
            }
        } else if (!held.isEmpty()) {
            outcome = Outcome.SUSPICIOUS;
            rules.addAll(held);
        }
        r.spf()
                .ifPresentOrElse(
                        s -> rules.add(Rule.of("SPF_" + upper(s.status()), 0, describe(s))),
                        () -> rules.add(Rule.of("SPF_NONE", 0, "spf=none: no SMTP client address to check")));
        r.helo().ifPresent(s -> rules.add(Rule.of("SPF_HELO_" + upper(s.status()), 0, describe(s))));
        if (r.dkim().isEmpty()) {
            rules.add(Rule.of("DKIM_NONE", 0, "dkim=none: no signature"));
        }
        for (DkimResult d : r.dkim()) {
            rules.add(Rule.of(
                    "DKIM_" + upper(d.status()),
                    0,
                    "dkim=" + d.status().token() + " d=" + d.domain() + " s=" + d.selector() + ": " + d.reason()));
        }
        rules.add(Rule.of(
                "ARC_" + upper(r.arc().status()),
                0,
                "arc=" + r.arc().status().token() + ": " + r.arc().reason()));
        rules.add(Rule.of(
                "DMARC_" + upper(r.dmarc().status()),
                0,
                "dmarc=" + r.dmarc().status().token() + " header.from="
                        + r.dmarc().fromDomain() + ": " + r.dmarc().reason()));
        return Verdict.builder(NAME, outcome)
                .rules(rules)
                .header(new Header("Authentication-Results", r.header()))
                .elapsed(Duration.ofNanos(System.nanoTime() - start))
                .build();
    }

    /**
     * The {@code Authentication-Results} value (without the field name) of an {@code auth} verdict, as an ARC sealer
     * copies it into {@code ARC-Authentication-Results}.
     *
     * @param verdict a verdict of this scanner
     * @return the value, or empty if the verdict is not this scanner's or carries none
     */
    public static Optional<String> authenticationResults(Verdict verdict) {
        if (!verdict.scanner().equals(NAME)) {
            return Optional.empty();
        }
        return verdict.headers().stream()
                .filter(h -> h.name().equalsIgnoreCase("Authentication-Results"))
                .map(Header::value)
                .findFirst();
    }

    /**
     * The result of validating the ARC chain the message arrived with, from an {@code auth} verdict (its
     * {@code ARC_<STATUS>} rule), as an ARC sealer needs it for {@code cv=}.
     *
     * @param verdict a verdict of this scanner
     * @return the status, or empty if the verdict is not this scanner's
     */
    public static Optional<AuthStatus> arcStatus(Verdict verdict) {
        if (!verdict.scanner().equals(NAME)) {
            return Optional.empty();
        }
        for (Rule r : verdict.rules()) {
            if (r.name().startsWith("ARC_")) {
                for (AuthStatus s : AuthStatus.values()) {
                    if (r.name().equals("ARC_" + upper(s))) {
                        return Optional.of(s);
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static String describe(SpfResult s) {
        return "spf=" + s.status().token() + " " + s.identity() + "=" + s.sender() + ": " + s.reason()
                + s.explanation().map(e -> "; explanation: " + e).orElse("");
    }

    private static String upper(AuthStatus s) {
        return s.name();
    }

    /**
     * Runs every check on a message.
     *
     * @throws IOException if the content cannot be read
     */
    Results check(Message message) throws IOException {
        HeaderSection headers;
        DkimVerifier.Bodies bodies = new DkimVerifier.Bodies();
        List<Object> pending;
        ArcVerifier.Prepared arcPrepared;
        try (InputStream in = new BufferedInputStream(message.content().openStream(), 16384)) {
            try {
                headers = HeaderSection.read(in, maxHeaderBytes);
            } catch (HeaderSection.TooLargeException e) {
                return tooLarge(spfResults(message));
            }
            pending = dkim.prepare(headers, bodies);
            arcPrepared = arc.prepare(headers, bodies);
            if (!bodies.isEmpty()) {
                bodies.consume(in);
            }
        }
        List<DkimResult> dkimResults = dkim.finish(headers, pending, bodies);
        ArcResult arcResult = arc.finish(headers, arcPrepared, bodies);
        Spf spf = spfResults(message);
        DmarcResult dmarcResult = dmarc.evaluate(headers, dkimResults, spf.mailFrom());
        return new Results(
                spf.mailFrom(),
                spf.helo(),
                dkimResults,
                arcResult,
                dmarcResult,
                header(spf.mailFrom(), spf.helo(), dkimResults, arcResult, dmarcResult),
                false);
    }

    /** The SPF results of one message: MAIL FROM's (HELO's for the null sender) and, when asked, HELO's beside it. */
    private record Spf(Optional<SpfResult> mailFrom, Optional<SpfResult> helo) {}

    /** SPF from the envelope alone (never the header), so also for a header section past the limit. */
    private Spf spfResults(Message message) {
        Optional<SpfResult> heloResult = checkHelo
                        && !message.envelope().sender().isEmpty()
                        && message.envelope().heloName().isPresent()
                ? message.envelope()
                        .clientAddress()
                        .map(ip ->
                                spf.checkHelo(ip, message.envelope().heloName().get()))
                : Optional.empty();
        Optional<SpfResult> spfResult = message.envelope()
                .clientAddress()
                .map(ip -> spf.check(
                        ip,
                        message.envelope().sender(),
                        message.envelope().heloName().orElse("")));
        return new Spf(spfResult, heloResult);
    }

    /** The results of a message whose header section is past the limit: SPF as usual, nothing of the header. */
    private Results tooLarge(Spf spf) {
        String why = "header section larger than " + maxHeaderBytes + " bytes";
        DmarcResult d = new DmarcResult(AuthStatus.PERMERROR, "", "none", "none", why);
        ArcResult a = new ArcResult(AuthStatus.NONE, 0, why);
        List<DkimResult> k = List.of(new DkimResult(AuthStatus.PERMERROR, "", "", "", "", "", why, 0));
        return new Results(spf.mailFrom(), spf.helo(), k, a, d, header(spf.mailFrom(), spf.helo(), k, a, d), true);
    }

    private String header(
            Optional<SpfResult> spfResult,
            Optional<SpfResult> heloResult,
            List<DkimResult> dkimResults,
            ArcResult a,
            DmarcResult d) {
        StringBuilder sb = new StringBuilder(authservId);
        for (Optional<SpfResult> o : List.of(spfResult, heloResult)) {
            if (o.isEmpty()) {
                continue;
            }
            SpfResult s = o.get();
            sb.append("; spf=")
                    .append(s.status().token())
                    .append(" (")
                    .append(comment(s.reason()))
                    .append(')');
            if (s.explanation().isPresent()) {
                sb.append(" reason=").append(quoted(s.explanation().get()));
            }
            sb.append(" smtp.")
                    .append(s.identity())
                    .append('=')
                    .append(property(s.identity().equals("helo") ? s.domain() : mailFrom(s)));
        }
        if (dkimResults.isEmpty()) {
            sb.append("; dkim=none");
        }
        for (DkimResult k : dkimResults) {
            sb.append("; dkim=")
                    .append(k.status().token())
                    .append(" (")
                    .append(comment(k.reason()))
                    .append(')');
            if (!k.domain().isEmpty()) {
                sb.append(" header.d=").append(property(k.domain()));
            }
            if (!k.selector().isEmpty()) {
                sb.append(" header.s=").append(property(k.selector()));
            }
            if (!k.signaturePrefix().isEmpty()) {
                sb.append(" header.b=").append(property(k.signaturePrefix()));
            }
        }
        sb.append("; arc=")
                .append(a.status().token())
                .append(" (")
                .append(comment(a.reason()))
                .append(')');
        sb.append("; dmarc=").append(d.status().token());
        sb.append(" (p=")
                .append(d.policy())
                .append(" dis=")
                .append(d.disposition())
                .append(' ');
        sb.append(comment(d.reason())).append(')');
        if (!d.fromDomain().isEmpty()) {
            sb.append(" header.from=").append(property(d.fromDomain()));
        }
        return sb.toString();
    }

    /**
     * The {@code smtp.mailfrom} value: the checked mailbox, or its domain alone when the local part is not ASCII
     * (SMTPUTF8). The header field is 7-bit and RFC 8601 allows the domain alone; the local part's characters written
     * as {@code _} named another mailbox ({@code j_rg@...} for {@code jörg@...}).
     */
    private static String mailFrom(SpfResult s) {
        String sender = s.sender();
        return sender.chars().allMatch(c -> c < 0x80) ? sender : s.domain();
    }

    /** Text safe inside an RFC 8601 comment: printable ASCII without parentheses or backslashes. */
    private static String comment(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length() && sb.length() < 200; i++) {
            char c = s.charAt(i);
            sb.append(c >= 0x20 && c < 0x7f && c != '(' && c != ')' && c != '\\' ? c : '_');
        }
        return sb.toString();
    }

    /** An RFC 2045 quoted-string of printable ASCII, at most 200 characters. */
    private static String quoted(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length() && i < 200; i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\');
            }
            sb.append(c >= 0x20 && c < 0x7f ? c : '_');
        }
        return sb.append('"').toString();
    }

    /** A property value: a token, or a quoted string when it holds other characters. */
    private static String property(String s) {
        boolean token = !s.isEmpty();
        for (int i = 0; i < s.length() && token; i++) {
            char c = s.charAt(i);
            token = c > 0x20 && c < 0x7f && "()<>,;:\\\"[]?= ".indexOf(c) < 0 || c == '@' || c == '.';
        }
        if (token) {
            return s;
        }
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\');
            }
            sb.append(c >= 0x20 && c < 0x7f ? c : '_');
        }
        return sb.append('"').toString();
    }

    /**
     * Builds an {@link AuthScanner}. Not thread-safe. Setters validate their own values; {@link #build()} resolves the
     * defaults that depend on other settings, so the order of the calls does not matter.
     */
    public static final class Builder {
        private DnsResolver dns;
        private String authservId;
        private PublicSuffixList psl;
        private Clock clock = Clock.systemUTC();
        private IntSupplier percent = () -> ThreadLocalRandom.current().nextInt(100);
        private int maxHeaderBytes = 1 << 20;
        private boolean checkHelo;
        private String receiver;
        private Predicate<InetAddress> exempt = a -> false;
        private boolean deferTemperror;

        private Builder() {}

        /**
         * Whether mail whose DMARC result is {@code temperror} (the From domain's policy could not be looked up for
         * now: a DNS timeout or SERVFAIL) is deferred: {@link Outcome#SUSPICIOUS} with the rule
         * {@value AuthScanner#DMARC_DEFER_RULE}, which {@link org.mailhygiene.api.policy.DefaultPolicy} answers
         * {@code 451 4.7.0} by default, so the sender retries. RFC 7489 sections 6.6.2 and 6.7 let a receiver defer.
         * Default {@code false}: such mail is {@link Outcome#CLEAN}, as when the domain has no policy, and its
         * {@code Authentication-Results} say {@code dmarc=temperror}. Mail from an
         * {@linkplain #exemptClients exempt client} is never deferred.
         *
         * @param value whether to defer on a DMARC temperror
         * @return this builder
         */
        public Builder deferOnDmarcTemperror(boolean value) {
            this.deferTemperror = value;
            return this;
        }

        /**
         * The SMTP clients whose mail is never {@link Outcome#SUSPICIOUS} for DMARC (as OpenDMARC's {@code IgnoreHosts}):
         * the organisation's own servers, whose outbound mail is often neither listed in the From domain's SPF record
         * nor signed yet when it is scanned. Their mail is still checked and the results written to
         * {@code Authentication-Results} and the rules; a {@code DMARC_REJECT} or {@code DMARC_QUARANTINE} failure,
         * or a header section past the limit, becomes {@link Outcome#CLEAN} with the rule {@value AuthScanner#EXEMPT_RULE}
         * instead. Mail without a client address (a file from disk) is never exempt. Default: no client is exempt.
         *
         * @param value tells whether a client address is exempt; called from scanning threads, so it must be
         *     thread-safe
         * @return this builder
         */
        public Builder exemptClients(Predicate<InetAddress> value) {
            this.exempt = Objects.requireNonNull(value, "exemptClients");
            return this;
        }

        /**
         * Whether the HELO identity is checked with SPF also when the reverse path is not null (RFC 7208 section 2.3
         * recommends it), reported as a second {@code spf=... smtp.helo=} result and the rule {@code SPF_HELO_<RESULT>};
         * DMARC still uses the MAIL FROM result. Default {@code false}: HELO is checked only for the null reverse path,
         * where it is the SPF identity.
         *
         * @param value whether to check HELO as well
         * @return this builder
         */
        public Builder checkHelo(boolean value) {
            this.checkHelo = value;
            return this;
        }

        /**
         * This host's domain name for the {@code %{r}} macro of SPF explanations (default the {@link #authservId}).
         *
         * @param value a domain name of printable ASCII
         * @return this builder
         * @throws IllegalArgumentException if blank or holding whitespace or other characters outside printable ASCII
         */
        public Builder receiver(String value) {
            if (value.isBlank() || !value.matches("[!-~]+")) {
                throw new IllegalArgumentException("invalid receiver name: " + value);
            }
            this.receiver = value;
            return this;
        }

        /**
         * The resolver (default a {@link StubResolver} with its defaults: the system's name servers).
         *
         * @param value the resolver
         * @return this builder
         */
        public Builder dns(DnsResolver value) {
            this.dns = Objects.requireNonNull(value, "dns");
            return this;
        }

        /**
         * The authserv-id (default this host's name).
         *
         * @param value a host name, without whitespace or semicolons
         * @return this builder
         * @throws IllegalArgumentException if blank or holding whitespace, semicolons or parentheses
         */
        public Builder authservId(String value) {
            if (!validAuthservId(value)) {
                throw new IllegalArgumentException("invalid authserv-id: " + value);
            }
            this.authservId = value;
            return this;
        }

        /**
         * The public suffix list (default {@link PublicSuffixList#system()}).
         *
         * @param value the list
         * @return this builder
         */
        public Builder publicSuffixList(PublicSuffixList value) {
            this.psl = Objects.requireNonNull(value, "psl");
            return this;
        }

        /**
         * The clock for signature expiry (default the system clock).
         *
         * @param value the clock
         * @return this builder
         */
        public Builder clock(Clock value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * The source of numbers 0-99 for DMARC {@code pct} sampling (default random).
         *
         * @param value the source
         * @return this builder
         */
        public Builder percentSource(IntSupplier value) {
            this.percent = Objects.requireNonNull(value, "percent");
            return this;
        }

        /**
         * The largest header section read (default 1 MiB); beyond it every check is a permerror.
         *
         * @param value at least 1024
         * @return this builder
         * @throws IllegalArgumentException if below 1024
         */
        public Builder maxHeaderBytes(int value) {
            if (value < 1024) {
                throw new IllegalArgumentException("maxHeaderBytes must be at least 1024: " + value);
            }
            this.maxHeaderBytes = value;
            return this;
        }

        private String defaultAuthservId;

        /**
         * Builds the scanner. Defaults that depend on other settings are resolved here, so the order of the setter
         * calls does not matter: the authserv-id (this host's name, {@code localhost} if that is not a valid id) and
         * the {@link #receiver} (the authserv-id).
         *
         * @return a new scanner
         */
        public AuthScanner build() {
            if (authservId == null) {
                defaultAuthservId = localHostName();
            }
            return new AuthScanner(this);
        }
    }
}
