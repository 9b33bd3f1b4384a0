package org.mailhygiene.api.policy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.ScanResult;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.internal.Scores;

/**
 * The configurable standard policy. Decisions, in this order of precedence:
 *
 * <ol>
 *   <li>Any {@link Outcome#INFECTED} verdict: the virus action ({@link Action#REJECT} by default with
 *       {@code 554 5.7.1}; {@link Action#QUARANTINE}, or {@link Action#DISCARD} with {@link Builder#allowDiscard()},
 *       called before or after it).
 *   <li>Any {@link ScanFailure}: the failure action for that scanner and kind, else for that scanner, else for that
 *       failure kind, else
 *       {@link Action#TEMPFAIL} ({@code 451 4.3.0}; the text advises a retry, except for
 *       {@link ScanFailure.Kind#TOO_LARGE}, which a retry never mends: {@code Message too large for the SCANNER
 *       scanner's size limit: every retry fails the same way until the message is sent smaller or this site raises
 *       that limit}). A failure configured as {@link Action#ACCEPT} ("fail open") is
 *       never silent: the message gets an {@code X-Hygiene-Unscanned} header naming the scanner and the failure.
 *   <li>With {@link Builder#onNotRead(Action)} set (not by default), a clean verdict carrying a {@value
 *       #NOT_READ_RULE} rule (what a scanner could not search) is decided with the failures: the more severe of
 *       the two actions wins, and ACCEPT marks the message with an {@value #NOT_READ_HEADER} header.
 *   <li>Any {@link Outcome#SUSPICIOUS} verdict: the suspicious action ({@link Action#QUARANTINE} by default), or the
 *       action set for one of the verdict's rules with {@link Builder#onRule} (the most severe wins). Defaults:
 *       {@code DMARC_REJECT} (a DMARC {@code p=reject} failure) {@link Action#REJECT} and {@code DMARC_QUARANTINE}
 *       {@link Action#QUARANTINE}, honouring the sender domain's policy; {@code DMARC_DEFER} (the policy could not be
 *       looked up for now, from a scanner told to defer then) {@link Action#TEMPFAIL} with {@code 451 4.7.0 Sender
 *       domain's DMARC policy could not be looked up (DNS temporary failure), try again later}.
 *   <li>Any {@link Outcome#SPAM} verdict: {@link Action#REJECT} if the score of one of the spam verdicts reaches
 *       the spam reject score of its scanner ({@link Builder#rejectSpamAtScoreOf(String, double)}) or, for a scanner
 *       without one, the general one ({@link Builder#rejectSpamAtScore(double)}; both off by default), else the spam action ({@link Action#TAG} by default, with the subject tag {@code [SPAM]} and
 *       {@code X-Spam-Flag}, {@code X-Spam-Score} and {@code X-Spam-Status} headers).
 *   <li>Otherwise {@link Action#ACCEPT}. A clean message that a scoring scanner judged (the Bayes classifier,
 *       spamd) gets the same three spam headers with {@code X-Spam-Flag: NO} and {@code X-Spam-Status: No, ...}
 *       (the score, the threshold and the rules that decided it), from the scored verdict closest to its threshold,
 *       so that a miss can be explained from the delivered mail; {@link Builder#spamHeadersOnClean(boolean)} turns
 *       this off.
 *       Every disposition that accepts the message (ACCEPT, TAG, QUARANTINE, DISCARD) also carries the header fields
 *       the verdicts ask for ({@link Verdict#headers()}, e.g. {@code Authentication-Results}), after its own. An empty result list (nothing scanned) is treated as a failure
 *       ({@link Action#TEMPFAIL}), never as clean.
 * </ol>
 *
 * <p>Immutable and thread-safe. Build with {@link #builder()}; {@link #defaults()} gives the defaults above.
 */
public final class DefaultPolicy implements Policy {
    /** The rule of a message whose DMARC policy could not be looked up for now, when the auth scanner defers it. */
    private static final String DMARC_DEFER = "DMARC_DEFER";

    /** The reply text of a message deferred by {@link #DMARC_DEFER} ({@code 451 4.7.0}). */
    private static final String DMARC_DEFER_TEXT =
            "Sender domain's DMARC policy could not be looked up (DNS temporary failure), try again later";

    /** The header that marks a message accepted although a scanner failed (fail-open). */
    public static final String UNSCANNED_HEADER = "X-Hygiene-Unscanned";

    /**
     * The rule a scanner puts on a clean verdict to name what it could not search (the built-in signature scanner: a
     * RAR archive's compressed or encrypted files); what such a message becomes is {@link Builder#onNotRead(Action)}.
     */
    public static final String NOT_READ_RULE = "NOT_READ";

    /**
     * The header naming what a scanner could not search ({@code builtin: not searched: ...}, the {@value
     * #NOT_READ_RULE} rule's text), on a message accepted or held under {@link Builder#onNotRead(Action)}.
     */
    public static final String NOT_READ_HEADER = "X-Hygiene-Not-Read";

    /** The reply text of a message refused or deferred under {@link Builder#onNotRead(Action)}. */
    private static final String NOT_READ_TEXT = "Message holds content that could not be searched";

    private final Action virusAction;
    private final Action suspiciousAction;
    private final Action spamAction;
    private final String spamTag;
    private final Optional<Double> spamRejectScore;
    private final Map<String, Double> spamRejectScoreByScanner;
    private final Map<ScanFailure.Kind, Action> failureByKind;
    private final Map<String, Action> failureByScanner;
    private final Map<String, Action> failureByScannerAndKind;
    private final Map<String, Action> ruleActions;
    private final boolean spamHeadersOnClean;
    private final Optional<Action> notReadAction;

    private DefaultPolicy(Builder b) {
        this.notReadAction = b.notReadAction;
        this.spamHeadersOnClean = b.spamHeadersOnClean;
        this.ruleActions = Map.copyOf(b.ruleActions);
        this.virusAction = b.virusAction;
        this.suspiciousAction = b.suspiciousAction;
        this.spamAction = b.spamAction;
        this.spamTag = b.spamTag;
        this.spamRejectScore = b.spamRejectScore;
        this.spamRejectScoreByScanner = Map.copyOf(b.spamRejectScoreByScanner);
        this.failureByKind = Map.copyOf(b.failureByKind);
        this.failureByScanner = Map.copyOf(b.failureByScanner);
        this.failureByScannerAndKind = Map.copyOf(b.failureByScannerAndKind);
    }

    /**
     * The policy with every default.
     *
     * @return a new default policy
     */
    public static DefaultPolicy defaults() {
        return builder().build();
    }

    /**
     * Starts a builder holding the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Disposition decide(List<ScanResult> results) {
        Objects.requireNonNull(results, "results");
        if (results.isEmpty()) {
            return new Disposition(
                    Action.TEMPFAIL,
                    new SmtpReply(451, "4.3.0", "Message not scanned, try again later"),
                    "no scanner produced a result",
                    Optional.empty(),
                    List.of(),
                    results);
        }
        List<Verdict> infected = verdicts(results, Outcome.INFECTED);
        if (!infected.isEmpty()) {
            Set<String> names = new LinkedHashSet<>();
            infected.forEach(v -> names.addAll(v.threats()));
            String reason = infected.stream()
                    .map(v -> v.scanner() + ": " + String.join(", ", v.threats()))
                    .collect(Collectors.joining("; "));
            List<Header> headers = List.of(
                    new Header("X-Virus-Status", "Infected"),
                    new Header("X-Virus-Found", SmtpReply.sanitize(String.join(", ", names))));
            return decided(virusAction, "Virus found: " + String.join(", ", names), reason, headers, results);
        }
        List<ScanFailure> failures = new ArrayList<>();
        for (ScanResult r : results) {
            if (r instanceof ScanFailure f) {
                failures.add(f);
            }
        }
        List<Header> failOpenHeaders = new ArrayList<>();
        Action worst = null;
        ScanFailure worstFailure = null;
        for (ScanFailure f : failures) {
            Action a = failureAction(f);
            if (worst == null || severity(a) > severity(worst)) {
                worst = a;
                worstFailure = f;
            }
            if (a == Action.ACCEPT) {
                failOpenHeaders.add(new Header(
                        UNSCANNED_HEADER,
                        SmtpReply.sanitize(f.scanner() + " (" + f.kind().name().toLowerCase(Locale.ROOT) + ")")));
            }
        }
        boolean failedOpen = !failOpenHeaders.isEmpty();
        List<Verdict> notRead = notReadAction.isPresent() ? notRead(results) : List.of();
        for (Verdict v : notRead) {
            failOpenHeaders.add(notReadHeader(v));
        }
        if (!notRead.isEmpty() && (worst == null || severity(notReadAction.get()) > severity(worst))) {
            worst = notReadAction.get();
            worstFailure = null;
        }
        if (worst != null && worst != Action.ACCEPT && worstFailure == null) {
            String reason = notRead.stream()
                    .map(v -> v.scanner() + ": " + notReadDetail(v))
                    .collect(Collectors.joining("; "));
            // a retry never mends it: the same content is not searched the next time either
            return decided(
                    worst,
                    NOT_READ_TEXT,
                    NOT_READ_TEXT + ": every retry fails the same way until it is sent in a form this site can search",
                    reason,
                    failOpenHeaders,
                    results);
        }
        if (!failures.isEmpty()) {
            if (worst != Action.ACCEPT) {
                String reason = worstFailure.scanner() + ": " + worstFailure.kind() + ": " + worstFailure.detail();
                boolean tooLarge = worstFailure.kind() == ScanFailure.Kind.TOO_LARGE;
                String text = tooLarge ? "Message too large to scan" : "Message could not be scanned";
                // A retry never mends too-large: "try again later" (until session 41) had senders' queues retry for
                // days on that advice. The 451 stays (the administrator's choice); the text says what would help.
                String tempfailText = tooLarge
                        ? "Message too large for the " + worstFailure.scanner() + " scanner's size limit: every retry"
                                + " fails the same way until the message is sent smaller or this site raises that"
                                + " limit"
                        : text + ", try again later";
                // A fail-open failure stays marked when another failure quarantines (or discards) the message: a
                // quarantined message may be released and delivered, and must say which scanner never looked at it.
                return decided(worst, text, tempfailText, reason, failOpenHeaders, results);
            }
        }
        List<Verdict> suspicious = verdicts(results, Outcome.SUSPICIOUS);
        if (!suspicious.isEmpty()) {
            String reason = suspicious.stream().map(DefaultPolicy::explain).collect(Collectors.joining("; "));
            List<Header> headers = new ArrayList<>(failOpenHeaders);
            headers.add(new Header("X-Hygiene-Suspicious", SmtpReply.sanitize(reason)));
            Action action = null;
            String decidingRule = null;
            for (Verdict v : suspicious) {
                Action a = null;
                String by = null;
                for (Rule rule : v.rules()) {
                    Action mapped = ruleActions.get(rule.name());
                    if (mapped != null && (a == null || severity(mapped) > severity(a))) {
                        a = mapped;
                        by = rule.name();
                    }
                }
                if (a == null) {
                    a = suspiciousAction;
                }
                if (action == null || severity(a) > severity(action)) {
                    action = a;
                    decidingRule = by;
                }
            }
            if (action == Action.TEMPFAIL && DMARC_DEFER.equals(decidingRule)) {
                // not a refusal: the policy that applies could not be looked up, and a retry may find it
                return new Disposition(
                        Action.TEMPFAIL,
                        new SmtpReply(451, "4.7.0", DMARC_DEFER_TEXT),
                        reason,
                        Optional.empty(),
                        List.of(),
                        results);
            }
            // The sender's bounce should say why: a domain's own DMARC policy is no content judgement of ours.
            String text = decidingRule != null && decidingRule.startsWith("DMARC_")
                    ? "Message refused by its sender domain's DMARC policy"
                    : "Message refused by content policy";
            return decided(action, text, reason, headers, results);
        }
        List<Verdict> spam = verdicts(results, Outcome.SPAM);
        if (!spam.isEmpty()) {
            Verdict top = spam.get(0);
            for (Verdict v : spam) {
                if (v.score().orElse(Double.NEGATIVE_INFINITY) > top.score().orElse(Double.NEGATIVE_INFINITY)) {
                    top = v;
                }
            }
            String reason = explain(top);
            List<Header> headers = new ArrayList<>(failOpenHeaders);
            headers.addAll(spamHeaders(top));
            Action action = spamAction;
            for (Verdict v : spam) {
                Optional<Double> rejectAt = Optional.ofNullable(spamRejectScoreByScanner.get(v.scanner()))
                        .or(() -> spamRejectScore);
                if (rejectAt.isPresent() && v.score().isPresent() && v.score().getAsDouble() >= rejectAt.get()) {
                    action = Action.REJECT;
                }
            }
            return decided(action, "Message classified as spam", reason, headers, results);
        }
        String reason = failedOpen
                ? "accepted although a scanner failed (fail-open)"
                : notRead.isEmpty() ? "clean" : "accepted although part of it was not searched";
        List<Header> headers = new ArrayList<>(failOpenHeaders);
        if (spamHeadersOnClean) {
            closestToSpam(results).ifPresent(v -> headers.addAll(spamHeaders(v)));
        }
        return new Disposition(
                Action.ACCEPT, SmtpReply.OK, reason, Optional.empty(), withVerdictHeaders(headers, results), results);
    }

    /**
     * The clean verdict with a score and a positive threshold whose score is the largest share of its threshold (the
     * first of equals), if any.
     */
    private static Optional<Verdict> closestToSpam(List<ScanResult> results) {
        Verdict best = null;
        double bestShare = Double.NEGATIVE_INFINITY;
        for (ScanResult r : results) {
            if (r instanceof Verdict v
                    && v.outcome() == Outcome.CLEAN
                    && v.score().isPresent()
                    && v.threshold().isPresent()
                    && v.threshold().getAsDouble() > 0) {
                double share = v.score().getAsDouble() / v.threshold().getAsDouble();
                if (share > bestShare) {
                    best = v;
                    bestShare = share;
                }
            }
        }
        return Optional.ofNullable(best);
    }

    private static List<Header> withVerdictHeaders(List<Header> own, List<ScanResult> results) {
        List<Header> out = new ArrayList<>(own);
        for (ScanResult r : results) {
            if (r instanceof Verdict v) {
                out.addAll(v.headers());
            }
        }
        return out;
    }

    private Disposition decided(
            Action action, String publicText, String reason, List<Header> headers, List<ScanResult> results) {
        return decided(action, publicText, publicText + ", try again later", reason, headers, results);
    }

    private Disposition decided(
            Action action,
            String publicText,
            String tempfailText,
            String reason,
            List<Header> headers,
            List<ScanResult> results) {
        SmtpReply reply = switch (action) {
            case REJECT -> new SmtpReply(554, "5.7.1", SmtpReply.sanitize(publicText));
            case TEMPFAIL -> new SmtpReply(451, "4.3.0", SmtpReply.sanitize(tempfailText));
            default -> SmtpReply.OK;
        };
        Optional<String> tag = action == Action.TAG ? Optional.of(spamTag) : Optional.empty();
        List<Header> hs = action.acceptsMessage() ? withVerdictHeaders(headers, results) : List.of();
        return new Disposition(action, reply, reason, tag, hs, results);
    }

    private Action failureAction(ScanFailure f) {
        Action exact = failureByScannerAndKind.get(f.scanner() + "\0" + f.kind());
        if (exact != null) {
            return exact;
        }
        Action byScanner = failureByScanner.get(f.scanner());
        if (byScanner != null) {
            return byScanner;
        }
        return failureByKind.getOrDefault(f.kind(), Action.TEMPFAIL);
    }

    private static int severity(Action a) {
        return switch (a) {
            case ACCEPT -> 0;
            case TAG -> 1;
            case QUARANTINE -> 2;
            case DISCARD -> 3;
            case TEMPFAIL -> 4;
            case REJECT -> 5;
        };
    }

    /** The clean verdicts that carry a {@value #NOT_READ_RULE} rule. */
    private static List<Verdict> notRead(List<ScanResult> results) {
        List<Verdict> out = new ArrayList<>();
        for (Verdict v : verdicts(results, Outcome.CLEAN)) {
            if (v.rules().stream().anyMatch(r -> r.name().equals(NOT_READ_RULE))) {
                out.add(v);
            }
        }
        return out;
    }

    /** The text of a verdict's {@value #NOT_READ_RULE} rules. */
    private static String notReadDetail(Verdict v) {
        return v.rules().stream()
                .filter(r -> r.name().equals(NOT_READ_RULE))
                .map(Rule::description)
                .collect(Collectors.joining("; "));
    }

    /**
     * The {@value #NOT_READ_HEADER} header of a verdict: its scanner and what it did not search, printable ASCII, at
     * most the 400 characters {@link SmtpReply#sanitize} keeps, {@code ...} ending a shortened one (the scanner's own
     * {@code ; and N more} at the end of a long list is then cut too).
     */
    private static Header notReadHeader(Verdict v) {
        String raw = v.scanner() + ": " + notReadDetail(v);
        String value = raw.length() > 400 ? SmtpReply.sanitize(raw.substring(0, 397)) + "..." : SmtpReply.sanitize(raw);
        return new Header(NOT_READ_HEADER, value);
    }

    private static List<Verdict> verdicts(List<ScanResult> results, Outcome outcome) {
        List<Verdict> out = new ArrayList<>();
        for (ScanResult r : results) {
            if (r instanceof Verdict v && v.outcome() == outcome) {
                out.add(v);
            }
        }
        return out;
    }

    private static String explain(Verdict v) {
        StringBuilder sb = new StringBuilder(v.scanner()).append(": ").append(v.outcome());
        if (v.score().isPresent()) {
            sb.append(' ').append(Scores.format(v.score().getAsDouble()));
            v.threshold().ifPresent(t -> sb.append('/').append(Scores.format(t)));
        }
        if (!v.threats().isEmpty()) {
            sb.append(' ').append(String.join(",", v.threats()));
        }
        if (!v.rules().isEmpty()) {
            sb.append(" [")
                    .append(v.rules().stream().map(Rule::name).collect(Collectors.joining(",")))
                    .append(']');
        }
        return sb.toString();
    }

    /**
     * The spam headers written for a verdict: {@code X-Spam-Flag} ({@code YES} for a spam verdict, else {@code NO}),
     * {@code X-Spam-Score} and {@code X-Spam-Status} in SpamAssassin's style ({@code Yes, score=7.1 required=6.8
     * tests=A,B scanner=spamd}). Scores are rounded to at most four decimals and keep at least one ({@code 7.0},
     * {@code score=0.8105 required=0.8}), so that a classifier's score just below or above its threshold never reads
     * as equal to it. The {@code tests=} list names the verdict's rules
     * in order, a blank or a comma inside an ASCII name written as {@code _}; a name with characters outside ASCII (a
     * Japanese token) is written as RFC 2047 encoded words, and
     * the value is at most 1,000 characters (whole names only; {@code ...} ends a shortened list; the scanner's
     * name is always there).
     *
     * @param v a verdict, usually with a score and a threshold ({@code unknown} is written for a missing one)
     * @return the headers
     */
    public static List<Header> spamHeaders(Verdict v) {
        String score = v.score().isPresent() ? Scores.format(v.score().getAsDouble()) : "unknown";
        String required =
                v.threshold().isPresent() ? Scores.format(v.threshold().getAsDouble()) : "unknown";
        String head =
                (v.outcome() == Outcome.SPAM ? "Yes" : "No") + ", score=" + score + " required=" + required + " tests=";
        String tail = " scanner=" + SmtpReply.sanitize(v.scanner());
        String tests = testList(v.rules(), MAX_STATUS_LENGTH - head.length() - tail.length());
        return List.of(
                new Header("X-Spam-Flag", v.outcome() == Outcome.SPAM ? "YES" : "NO"),
                new Header("X-Spam-Score", score),
                new Header("X-Spam-Status", head + tests + tail));
    }

    /** The longest {@code X-Spam-Status} value written; the header taggers fold it into short lines. */
    static final int MAX_STATUS_LENGTH = 1000;

    /** Longest UTF-8 piece in one encoded word: 45 bytes are 60 base64 characters, 72 with the delimiters. */
    private static final int ENCODED_WORD_BYTES = 45;

    /**
     * The rule names, comma-separated, within {@code budget} characters: whole names only, and {@code ...} as the
     * last item when some did not fit. A name of printable ASCII is written as it is (a control character as
     * {@code ?}, a blank or a comma as {@code _}, so that each test stays one word of the list); one with other
     * characters (a Japanese token, an accented word) as RFC 2047 encoded words (a
     * control character or a lone surrogate in it as {@code ?})
     * ({@code =?UTF-8?B?...?=}, split at characters into pieces of at most 45 bytes) with white space on both
     * sides, as RFC 2047 asks of an encoded word in unstructured text, so that a mail client shows the token
     * itself rather than question marks.
     */
    static String testList(List<Rule> rules, int budget) {
        if (rules.isEmpty()) {
            return "none";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < rules.size(); i++) {
            String item = headerWord(rules.get(i).name());
            int sep = sb.length() == 0 ? 0 : 1;
            boolean last = i == rules.size() - 1;
            int reserve = last ? 0 : 4; // room for ",..." should a later name not fit
            if (sb.length() + sep + item.length() + reserve > budget) {
                sb.append(sb.length() == 0 ? "..." : ",...");
                break;
            }
            if (sep == 1) {
                sb.append(',');
            }
            sb.append(item);
        }
        return sb.toString();
    }

    private static String headerWord(String name) {
        boolean ascii = true;
        for (int i = 0; i < name.length() && ascii; i++) {
            ascii = name.charAt(i) < 0x80;
        }
        if (ascii) {
            // one word per test, comma-separated, as SpamAssassin writes them and parsers split them: a blank or a
            // comma inside a name (evidence such as "text:i'm sorry to have to inform you", a token "$1,000,000")
            // is written as an underscore (an audit, session 31: header folding split such names across lines)
            return SmtpReply.sanitize(name).replace(' ', '_').replace(',', '_');
        }
        StringBuilder sb = new StringBuilder(" ");
        byte[] piece = new byte[ENCODED_WORD_BYTES];
        int used = 0;
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            i += Character.charCount(cp);
            boolean unwritable = Character.getType(cp) == Character.CONTROL // C0, DEL, C1
                    || Character.getType(cp) == Character.SURROGATE; // a lone surrogate has no UTF-8 form
            byte[] b =
                    unwritable ? new byte[] {'?'} : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
            if (used + b.length > ENCODED_WORD_BYTES) {
                encodedWord(sb, piece, used);
                used = 0;
            }
            System.arraycopy(b, 0, piece, used, b.length);
            used += b.length;
        }
        encodedWord(sb, piece, used);
        return sb.append(' ').toString();
    }

    private static void encodedWord(StringBuilder sb, byte[] piece, int length) {
        if (sb.length() > 1) {
            sb.append(' ');
        }
        sb.append("=?UTF-8?B?")
                .append(Base64.getEncoder().encodeToString(Arrays.copyOf(piece, length)))
                .append("?=");
    }

    /**
     * Builds a {@link DefaultPolicy}. Each setter validates at once and names the conflict. Not thread-safe.
     */
    public static final class Builder {
        private Action virusAction = Action.REJECT;
        private Action suspiciousAction = Action.QUARANTINE;
        private Action spamAction = Action.TAG;
        private String spamTag = "[SPAM]";
        private Optional<Double> spamRejectScore = Optional.empty();
        private final Map<String, Double> spamRejectScoreByScanner = new HashMap<>();
        private boolean discardAllowed;
        private boolean spamHeadersOnClean = true;
        private Optional<Action> notReadAction = Optional.empty();
        private final Map<ScanFailure.Kind, Action> failureByKind = new EnumMap<>(ScanFailure.Kind.class);
        private final Map<String, Action> failureByScanner = new HashMap<>();
        private final Map<String, Action> failureByScannerAndKind = new HashMap<>();
        private final Map<String, Action> ruleActions = new HashMap<>(Map.of(
                "DMARC_REJECT", Action.REJECT, "DMARC_QUARANTINE", Action.QUARANTINE, DMARC_DEFER, Action.TEMPFAIL));

        private Builder() {}

        /**
         * What happens to a suspicious verdict that carries a rule of this name, instead of {@link #onSuspicious}.
         * Defaults: {@code DMARC_REJECT} {@link Action#REJECT}, {@code DMARC_QUARANTINE} {@link Action#QUARANTINE},
         * {@code DMARC_DEFER} {@link Action#TEMPFAIL}
         * (the sender-authentication scanner's rules for DMARC failures under {@code p=reject} and
         * {@code p=quarantine}). A gateway behind an edge relay typically maps {@code DMARC_REJECT} to QUARANTINE,
         * because a rejection there becomes a bounce.
         *
         * @param rule the rule name
         * @param action any action; DISCARD needs {@link #allowDiscard()}
         * @return this builder
         * @throws IllegalArgumentException for a blank rule name
         */
        public Builder onRule(String rule, Action action) {
            Objects.requireNonNull(rule, "rule");
            if (rule.isBlank()) {
                throw new IllegalArgumentException("rule name must not be blank");
            }
            ruleActions.put(rule, Objects.requireNonNull(action, "action"));
            return this;
        }

        /**
         * Permits {@link Action#DISCARD} in the settings below. Without this call, {@link #build()} refuses a policy
         * that discards anything (whatever the order of the calls): silent deletion is never a default and never an
         * accident.
         *
         * @return this builder
         */
        public Builder allowDiscard() {
            discardAllowed = true;
            return this;
        }

        /**
         * What happens to infected messages. Default {@link Action#REJECT}.
         *
         * @param action REJECT, QUARANTINE, or DISCARD (with {@link #allowDiscard()}, called before or after this)
         * @return this builder
         * @throws IllegalArgumentException for ACCEPT, TAG or TEMPFAIL
         */
        public Builder onVirus(Action action) {
            Objects.requireNonNull(action, "action");
            if (action == Action.ACCEPT || action == Action.TAG || action == Action.TEMPFAIL) {
                throw new IllegalArgumentException(
                        "onVirus must be REJECT, QUARANTINE or DISCARD; " + action + " would deliver or retry a virus");
            }
            virusAction = action;
            return this;
        }

        /**
         * What happens to suspicious messages (blocked attachment types, encrypted archives). Default
         * {@link Action#QUARANTINE}.
         *
         * @param action any action; DISCARD needs {@link #allowDiscard()}
         * @return this builder
         */
        public Builder onSuspicious(Action action) {
            suspiciousAction = Objects.requireNonNull(action, "action");
            return this;
        }

        /**
         * What happens to spam below the reject score. Default {@link Action#TAG}.
         *
         * @param action any action; DISCARD needs {@link #allowDiscard()}
         * @return this builder
         */
        public Builder onSpam(Action action) {
            spamAction = Objects.requireNonNull(action, "action");
            return this;
        }

        /**
         * The Subject prefix for tagged spam. Default {@code [SPAM]}.
         *
         * @param tag non-blank printable ASCII
         * @return this builder
         * @throws IllegalArgumentException if blank or not printable ASCII
         */
        public Builder spamTag(String tag) {
            Objects.requireNonNull(tag, "tag");
            if (tag.isBlank() || !SmtpReply.sanitize(tag).equals(tag)) {
                throw new IllegalArgumentException("spam tag must be non-blank printable ASCII: " + tag);
            }
            spamTag = tag;
            return this;
        }

        /**
         * Whether a clean message judged by a scoring scanner gets {@code X-Spam-Flag: NO}, {@code X-Spam-Score} and
         * {@code X-Spam-Status: No, score=... required=... tests=...} (see {@link DefaultPolicy}). Default
         * {@code true}, as SpamAssassin writes its status on every message; {@code false} leaves clean mail as it
         * came (only spam gets the headers).
         *
         * @param on whether to write them
         * @return this builder
         */
        public Builder spamHeadersOnClean(boolean on) {
            spamHeadersOnClean = on;
            return this;
        }

        /**
         * Rejects spam whose score reaches this value instead of applying the spam action: a spam verdict's score is
         * compared with it unless its scanner has a score of its own ({@link #rejectSpamAtScoreOf(String, double)}).
         * Off by default. Scanners score on their own scales (the Bayes classifier 0 to 1, spamd in SpamAssassin
         * points): with more than one scoring scanner, give each its own.
         *
         * @param score a finite score
         * @return this builder
         * @throws IllegalArgumentException if not finite
         */
        public Builder rejectSpamAtScore(double score) {
            if (!Double.isFinite(score)) {
                throw new IllegalArgumentException("spam reject score must be finite");
            }
            spamRejectScore = Optional.of(score);
            return this;
        }

        /**
         * Rejects spam of the named scanner whose score reaches this value instead of applying the spam action; takes
         * precedence over {@link #rejectSpamAtScore(double)} for that scanner's verdicts. Off by default. For example
         * {@code rejectSpamAtScoreOf("bayes", 0.99)} refuses the classifier's sure spam and {@code
         * rejectSpamAtScoreOf("spamd", 12)} SpamAssassin's far-over-threshold spam, each on its own scale.
         *
         * @param scanner the scanner's name, as its verdicts carry it ({@code bayes}, {@code spamd})
         * @param score a finite score
         * @return this builder
         * @throws IllegalArgumentException if the score is not finite or the name is blank
         */
        public Builder rejectSpamAtScoreOf(String scanner, double score) {
            Objects.requireNonNull(scanner, "scanner");
            if (scanner.isBlank()) {
                throw new IllegalArgumentException("scanner name must not be blank");
            }
            if (!Double.isFinite(score)) {
                throw new IllegalArgumentException("spam reject score must be finite");
            }
            spamRejectScoreByScanner.put(scanner, score);
            return this;
        }

        /**
         * What a failure of the given kind becomes. Default {@link Action#TEMPFAIL} for every kind.
         * {@link Action#ACCEPT} means fail-open: delivered with an {@value #UNSCANNED_HEADER} header.
         *
         * @param kind the failure kind
         * @param action any action except TAG; DISCARD needs {@link #allowDiscard()}
         * @return this builder
         * @throws IllegalArgumentException for TAG
         */
        public Builder onFailure(ScanFailure.Kind kind, Action action) {
            Objects.requireNonNull(kind, "kind");
            checkFailureAction(action);
            failureByKind.put(kind, action);
            return this;
        }

        /**
         * What any failure of the named scanner becomes; takes precedence over {@link #onFailure(ScanFailure.Kind,
         * Action)}.
         *
         * @param scanner the scanner's name
         * @param action any action except TAG; DISCARD needs {@link #allowDiscard()}
         * @return this builder
         * @throws IllegalArgumentException for TAG, or a blank name
         */
        public Builder onFailureOf(String scanner, Action action) {
            Objects.requireNonNull(scanner, "scanner");
            if (scanner.isBlank()) {
                throw new IllegalArgumentException("scanner name must not be blank");
            }
            checkFailureAction(action);
            failureByScanner.put(scanner, action);
            return this;
        }

        /**
         * What a failure of the given kind from the named scanner becomes; takes precedence over both
         * {@link #onFailureOf(String, Action)} and {@link #onFailure(ScanFailure.Kind, Action)}. For example, an edge
         * relay tempfails when spamd is down but accepts (marked) a message too large for spamd to score.
         *
         * @param scanner the scanner's name
         * @param kind the failure kind
         * @param action any action except TAG; DISCARD needs {@link #allowDiscard()}
         * @return this builder
         * @throws IllegalArgumentException for TAG, or a blank name
         */
        public Builder onFailureOf(String scanner, ScanFailure.Kind kind, Action action) {
            Objects.requireNonNull(scanner, "scanner");
            Objects.requireNonNull(kind, "kind");
            if (scanner.isBlank()) {
                throw new IllegalArgumentException("scanner name must not be blank");
            }
            checkFailureAction(action);
            failureByScannerAndKind.put(scanner + "\0" + kind, action);
            return this;
        }

        /**
         * What happens to a message for which a scanner's clean verdict names, in a {@value #NOT_READ_RULE} rule, what
         * it could not search (the built-in signature scanner's RAR files it cannot decompress, encrypted ones). Not
         * set by default: such a message is decided as if all of it had been searched, and nothing it carries says
         * otherwise (the rule is in the disposition's basis for logs). Once set, the message is decided as a failure
         * of that scanner is (the more severe of the two wins; both come after a virus and before a suspicious or
         * spam verdict): {@link Action#ACCEPT} delivers it marked with an {@value #NOT_READ_HEADER} header naming the
         * scanner and what it did not search (also carried when another verdict tags, quarantines or discards it),
         * {@link Action#QUARANTINE} holds it with that header, {@link Action#REJECT} refuses it with {@code 554 5.7.1
         * Message holds content that could not be searched}, {@link Action#TEMPFAIL} defers it with {@code 451 4.3.0}
         * and a text saying that every retry fails the same way.
         *
         * @param action any action except TAG; DISCARD needs {@link #allowDiscard()}
         * @return this builder
         * @throws IllegalArgumentException for TAG
         */
        public Builder onNotRead(Action action) {
            Objects.requireNonNull(action, "action");
            if (action == Action.TAG) {
                throw new IllegalArgumentException(
                        "what was not searched cannot be TAG; use ACCEPT (delivered, marked with " + NOT_READ_HEADER
                                + ") instead");
            }
            notReadAction = Optional.of(action);
            return this;
        }

        private void checkFailureAction(Action action) {
            Objects.requireNonNull(action, "action");
            if (action == Action.TAG) {
                throw new IllegalArgumentException(
                        "a scan failure cannot be TAG; use ACCEPT (fail-open, marked) instead");
            }
        }

        /**
         * Builds the policy. Settings that depend on each other are checked here, so the order of the calls never
         * matters: any setting of {@link Action#DISCARD} needs {@link #allowDiscard()}, called before or after it.
         *
         * @return a new immutable policy
         * @throws IllegalStateException if something is set to DISCARD without {@link #allowDiscard()} (the message
         *     names every such setting)
         */
        public DefaultPolicy build() {
            if (!discardAllowed) {
                List<String> discarding = new ArrayList<>();
                if (virusAction == Action.DISCARD) {
                    discarding.add("onVirus");
                }
                if (suspiciousAction == Action.DISCARD) {
                    discarding.add("onSuspicious");
                }
                if (spamAction == Action.DISCARD) {
                    discarding.add("onSpam");
                }
                if (notReadAction.equals(Optional.of(Action.DISCARD))) {
                    discarding.add("onNotRead");
                }
                failureByKind.forEach((k, a) -> {
                    if (a == Action.DISCARD) {
                        discarding.add("onFailure(" + k + ")");
                    }
                });
                new TreeMap<>(failureByScanner).forEach((n, a) -> {
                    if (a == Action.DISCARD) {
                        discarding.add("onFailureOf(" + n + ")");
                    }
                });
                new TreeMap<>(failureByScannerAndKind).forEach((n, a) -> {
                    if (a == Action.DISCARD) {
                        discarding.add("onFailureOf(" + n.replace('\0', ',') + ")");
                    }
                });
                new TreeMap<>(ruleActions).forEach((r, a) -> {
                    if (a == Action.DISCARD) {
                        discarding.add("onRule(" + r + ")");
                    }
                });
                if (!discarding.isEmpty()) {
                    throw new IllegalStateException(String.join(", ", discarding)
                            + " set to DISCARD without allowDiscard(): silent deletion is never a default");
                }
            }
            return new DefaultPolicy(this);
        }
    }
}
