package org.mailhygiene.scanners.bayes;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.Health;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.scanners.mime.MimeFinding;
import org.mailhygiene.scanners.mime.TextDecoding;

/**
 * A {@link Scanner} (name {@value #NAME}) that classifies messages with a {@link BayesModel}.
 *
 * <p>The verdict's score is the classifier's indicator in [0, 1] (rounded to 4 decimals) and its threshold the
 * configured spam threshold (default {@value #DEFAULT_THRESHOLD}, {@link BayesModels#DEFAULT_MODEL_THRESHOLD} over the
 * default model or one learned on top of it, decided per scan from the model in use); at or above it the outcome is
 * {@link Outcome#SPAM}, else {@link Outcome#CLEAN}. Rules explain the decision: first {@code BAYES_nn} (the indicator in percent, rounded
 * down to a multiple of 5 or 1, as SpamAssassin names its Bayes rules) with the score, then the strongest tokens
 * (default {@value #DEFAULT_EXPLAINED_TOKENS}), each named by the token, scored with its spam probability and
 * described with its training counts. Over a model with a logistic part ({@link BayesModel#hasLogistic()}, the
 * default model) also {@code BAYES_LOGISTIC}, scored with what that part added to the whole reading's log-odds
 * ({@link Classification#logOdds()}; the description gives the Bayes indicator alone), {@code BAYES_STRUCTURE}, scored
 * with the score of the second reading alone, the message without the words of its text ({@link
 * Classification#structureScore()}, weighing {@link BayesModel#STRUCTURE_WEIGHT} of the score's log-odds; the
 * description names that reading's three strongest tokens with their spam probability, and those of them that are
 * not among the strongest tokens above follow them as rules too), {@code BAYES_LANGUAGE} for text in a language the
 * model learned only from spam (German, French, ... over the default model, and text written in an alphabet such as
 * Cyrillic or Hangul whose words it learned only from spam; {@link Classification#spamOnlyLanguage}),
 * scored with the second reading's score, which is then the verdict's score if below
 * {@link BayesModel#LANGUAGE_STRUCTURE_BAR}, and the message's tokens with the largest weights as
 * {@code weight:TOKEN}, scored with the weight.
 *
 * <p>Text an HTML part hides (the tokenizer does not read it, nor its copy in a plain alternative: spam hides innocent
 * chatter there to pull its score down) is read a second time: a message whose HTML hides words is classified without
 * them and with them, and the more spam-like reading decides, with the rule {@value #HIDDEN_TEXT_RULE} (scored with the
 * other reading's score; the description says which reading decided). Hiding text, by whatever trick the tokenizer
 * takes for hiding while a reader still sees the text, so never lowers a score; the other tests (the no-spam-content
 * test below) read the tokens of the reading that decided.
 *
 * <p>Before classifying, a {@link BounceDetector} looks at the message: a bounce (delivery status notification) or an
 * automatic reply is {@link Outcome#CLEAN} with the rule {@code BAYES_BOUNCE} or {@code BAYES_AUTO_REPLY} (score 0)
 * and the detector's evidence as further rules, whatever the mail it quotes (the envelope's null sender counts as a
 * bounce signal on the mail path, see {@link BounceDetector#detect(Message)}; verdicts are then cached apart, see
 * {@link #cacheIdentity(Envelope)}); backscatter (a bounce whose quoted
 * original is not ours, only with local domains configured) is {@link Outcome#SUSPICIOUS} with the threat
 * {@value #BACKSCATTER} and the rule {@code BAYES_BACKSCATTER}, never spam. A spam verdict whose score is below the
 * sure threshold (default {@value #DEFAULT_SURE_THRESHOLD}) also carries the rule {@code BAYES_UNSURE}: tag it, do not
 * reject it (a policy with a spam reject score at the sure threshold does exactly that).
 *
 * <p>A message scored at or above the threshold that holds nothing a spam message is carried by is {@link
 * Outcome#CLEAN} with its score and the rule {@code BAYES_NO_SPAM_CONTENT} (score 0): 1 to 20 distinct words of text
 * and Subject, none of them a spam clue to the model (spam probability 0.6 or more), no link, no HTML form, no
 * attachment, and no image but at most 10 GIF or PNG icons of at most 32 x 32 pixels. Such a score rests on the header
 * and MIME structure alone (a mobile phone's decoration mail with one pictogram, a one-line message with a transparent
 * GIF): spam is written to make its reader act, in words, through a link, or with a picture or attachment. A message
 * with no word at all keeps its header's score.
 *
 * <p>A message whose From display name names a well-known brand (PayPal, Amazon, Costco, a bank, a carrier, a
 * Japanese card company...) while its address, and every DKIM signer it names, is at none of that brand's domains is
 * {@link Outcome#SPAM} whatever its score, with the rule {@code BAYES_BRAND_SPOOF} (scored with the classifier's
 * score; the description names the brand and the domain), and {@code BAYES_UNSURE} below the sure threshold: brands
 * send from their own domains, and modern brand phishing copies the brand's own mail, which reads as ham word by
 * word. The list, its matching and what exempts a sender: {@code BrandSpoof} in this package ({@code brands.txt}).
 * {@link Builder#brandCheck(boolean) brandCheck(false)} turns it off. Bounces and automatic replies are not tested.
 *
 * <p>The model comes from a {@link ModelSource}: a fixed model, or a {@link WatchedModelFile} that is reloaded when
 * the file is replaced (by {@code hygiene learn}), picked up by the next scan without a restart.
 *
 * <p>A model that has not learned both spam and ham cannot classify: such scans fail with
 * {@link ScanFailure.Kind#UNAVAILABLE} rather than calling mail clean. Unreadable content fails with
 * {@link ScanFailure.Kind#SCANNER_ERROR}. A message the MIME walker could not read to its end (nested deeper or with
 * more parts than its limits allow) fails with {@link ScanFailure.Kind#UNSCANNABLE} unless what was read is already
 * spam: text past the limit was never classified, so "clean" (or a bounce) would say more than the scan knows.
 *
 * <p>Thread-safe: concurrent scans share the model, which may keep learning meanwhile ({@link BayesModel} locks).
 * The cache identity holds everything that decides a verdict: the model's {@linkplain BayesModel#version() version}
 * (so cached verdicts are not reused after the model learns or another model is loaded), the tokenizer's
 * {@linkplain Tokenizer#identity() identity} (its version and limits), the threshold and the number of explained
 * tokens, the local domains, and the versions of the bounce detection, of the brand test and of the hidden-text
 * reading.
 */
public final class BayesScanner implements Scanner {
    /** The scanner's name. */
    public static final String NAME = "bayes";
    /**
     * Default spam threshold, 0.7. Chosen from training data only: in a nested cross-validation on the SpamAssassin
     * public corpus, each outer fold's threshold was picked by an inner cross-validation over that fold's training
     * messages as the lowest of 0.50, 0.55, ..., 0.95 flagging at most 0.5% of the inner ham; the five choices were
     * 0.60 to 0.75, median 0.70 (benchmarks/README.md, {@code CrossValidation --threshold nested}). Chi-square combining
     * puts most messages near 0 or 1, so the threshold mainly decides the few in between.
     */
    public static final double DEFAULT_THRESHOLD = 0.7;
    /**
     * Default sure threshold, 0.99: spam verdicts below it carry {@code BAYES_UNSURE}. On the cross-source evaluations
     * in benchmarks/README.md, ham flagged at or above it was rarer than ham flagged between the two thresholds.
     */
    public static final double DEFAULT_SURE_THRESHOLD = 0.99;

    /**
     * The rule naming text in a language the model learned only from spam ({@link Classification#spamOnlyLanguage},
     * {@link BayesModel#LANGUAGE_STRUCTURE_BAR}), scored with the second reading's score.
     */
    public static final String LANGUAGE_RULE = "BAYES_LANGUAGE";

    /**
     * The rule of a message whose HTML hides words: the classifier reads it without them and with them and takes the
     * more spam-like reading; the rule names the other reading's score and which reading decided.
     */
    public static final String HIDDEN_TEXT_RULE = "BAYES_HIDDEN_TEXT";

    /** How many of the second reading's strongest tokens the {@code BAYES_STRUCTURE} rule names: 3. */
    private static final int STRUCTURE_CLUES_EXPLAINED = 3;

    /** The threat named by backscatter verdicts. */
    public static final String BACKSCATTER = "Backscatter";
    /** Default number of tokens reported as rules. */
    public static final int DEFAULT_EXPLAINED_TOKENS = 10;

    private final ModelSource source;
    private final Tokenizer tokenizer;
    private final BounceDetector detector;
    /** The threshold set on the builder, or {@code null} to follow the model's origin ({@link #threshold()}). */
    private final Double configuredThreshold;

    private final double configuredSureThreshold;
    private final int explainedTokens;
    private final Clock clock;
    private final boolean brandCheck;

    private BayesScanner(Builder b) {
        this.source = b.source;
        this.tokenizer = b.tokenizer;
        this.detector = b.detector;
        this.configuredThreshold = b.threshold;
        this.configuredSureThreshold = b.sureThreshold;
        this.explainedTokens = b.explainedTokens;
        this.clock = b.clock;
        this.brandCheck = b.brandCheck;
    }

    /**
     * A scanner with default settings over a model.
     *
     * @param model the model
     * @return a new scanner
     */
    public static BayesScanner create(BayesModel model) {
        return builder(model).build();
    }

    /**
     * Starts a builder.
     *
     * @param model the model
     * @return a builder with the defaults
     * @throws NullPointerException if {@code model} is {@code null}
     */
    public static Builder builder(BayesModel model) {
        return new Builder(ModelSource.of(Objects.requireNonNull(model, "model")));
    }

    /**
     * Starts a builder over a model source (for example a {@link WatchedModelFile}).
     *
     * @param source where each scan gets its model
     * @return a builder with the defaults
     * @throws NullPointerException if {@code source} is {@code null}
     */
    public static Builder builder(ModelSource source) {
        return new Builder(Objects.requireNonNull(source, "source"));
    }

    /**
     * The model scanned with now (a watched file's current version).
     *
     * @return the model
     */
    public BayesModel model() {
        return source.current();
    }

    /**
     * Whether a brand named over a stranger's address makes a message spam ({@link Builder#brandCheck(boolean)}).
     *
     * @return {@code true} unless turned off
     */
    public boolean brandCheck() {
        return brandCheck;
    }

    /**
     * The bounce and auto-reply detector.
     *
     * @return the detector
     */
    public BounceDetector detector() {
        return detector;
    }

    /**
     * The sure threshold: spam verdicts below it carry {@code BAYES_UNSURE}.
     *
     * @return the sure threshold, at least {@link #threshold()}
     */
    public double sureThreshold() {
        return Math.max(threshold(), configuredSureThreshold);
    }

    /**
     * The spam threshold for the model scanned with now: the one set on the builder, else {@link
     * BayesModels#DEFAULT_MODEL_THRESHOLD} if the model is the default model or was learned on top of it ({@link
     * BayesModel#startedFromDefault()}), else {@value #DEFAULT_THRESHOLD}. Followed per scan, so a watched model file
     * replaced by one of the other origin changes it.
     *
     * @return the threshold in (0, 1]
     */
    public double threshold() {
        return threshold(source.current());
    }

    private double threshold(BayesModel model) {
        if (configuredThreshold != null) {
            return configuredThreshold;
        }
        return model.startedFromDefault() ? BayesModels.DEFAULT_MODEL_THRESHOLD : DEFAULT_THRESHOLD;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Optional<String> cacheIdentity() {
        BayesModel model = source.current();
        double threshold = threshold(model);
        return Optional.of(NAME + "/" + model.version() + "/" + tokenizer.identity() + "/" + threshold + "/"
                + Math.max(threshold, configuredSureThreshold) + "/" + explainedTokens + "/"
                + detector.localDomains() + "/bounces:" + BounceDetector.VERSION + "/languages:" + TextLanguage.VERSION
                + "/hidden:" + HIDDEN_READING_VERSION + "/no-spam-content:" + NoSpamContent.VERSION
                + (brandCheck ? "/brands:" + BrandSpoof.VERSION : ""));
    }

    /**
     * {@code false}: the {@linkplain #cacheIdentity() cache identity} names the model by {@link BayesModel#version()},
     * drawn per process so that nodes with different models never share verdicts; no other process could read a
     * verdict stored under it, so a cluster's shared store is not asked to keep one (it cost each classified message
     * four Redis commands and some 1.7 KB that nothing read).
     *
     * @return {@code false}
     */
    @Override
    public boolean sharesCachedVerdicts() {
        return false;
    }

    /**
     * {@link #cacheIdentity()}, marked by what the envelope tells the bounce detection: a null sender on the mail path
     * ({@code /envelope:<>}) is a bounce signal, and another sender on the mail path ({@code /envelope:sender:} and
     * the sender, lower-cased) means the message's own {@code Return-Path} field is not read and the classifier reads
     * that sender as the message's {@code Return-Path} instead; without an envelope ({@link Envelope#unknown()}, a file
     * from a mailbox) the identity is {@link #cacheIdentity()} itself. The same content may be judged otherwise in each
     * of the three cases, so a cache shared by scans of all three never answers one with another's verdict.
     */
    @Override
    public Optional<String> cacheIdentity(Envelope envelope) {
        Optional<String> id = cacheIdentity();
        if (BounceDetector.nullSenderOnMailPath(envelope)) {
            return id.map(i -> i + "/envelope:<>");
        }
        return BounceDetector.otherSenderOnMailPath(envelope)
                ? id.map(i -> i + "/envelope:sender:" + envelope.sender().toLowerCase(Locale.ROOT))
                : id;
    }

    /**
     * The tokenizer scanned with.
     *
     * @return the tokenizer
     */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * Classifies a message without making a verdict (for training tools and evaluation): the more spam-like of its
     * readings without and with the words its HTML hides, as {@link #scan} reads it.
     *
     * @param message the message
     * @return the classification
     * @throws IOException if the content cannot be read
     */
    public Classification classify(Message message) throws IOException {
        Set<String> unread = new java.util.HashSet<>();
        Set<String> tokens = tokenizer.tokenize(
                message.content(),
                null,
                unread,
                message.envelope().clientAddress().orElse(null),
                Tokenizer.mailPathSender(message.envelope()));
        return classified(source.current(), tokens, unread).chosen();
    }

    /**
     * Classifies a message as {@link #scan} does, bounce and auto-reply detection and the no-spam-content test
     * included, without making a verdict (for evaluation tools).
     *
     * @param message the message
     * @return the kind of message and, for ordinary mail, its classification
     * @throws IOException if the content cannot be read
     */
    public Judgement judge(Message message) throws IOException {
        Reading r = read(message);
        Set<String> tokens = r.tokens();
        MailKind kind = r.kind();
        BayesModel model = source.current();
        Readings readings = kind.kind() == MailKind.Kind.ORDINARY ? classified(model, r) : null;
        Classification c = readings != null ? readings.chosen() : new Classification(0.0, List.of(), tokens.size());
        boolean spam = readings != null
                && decide(r, readings.tokens(), model, reported(c), threshold(model), message)
                        .spam();
        return new Judgement(kind, c, spam, walkLimit(tokens));
    }

    /**
     * What turns an ordinary message's score into a verdict, for {@link #judge} and {@link #scan} alike: a brand spoof
     * is spam whatever the score; otherwise a score at or above the threshold is spam unless the message holds no
     * spam content (tested only then: it may walk the message again).
     */
    private record Decision(Optional<String> spoof, Optional<String> noSpamContent, boolean spam) {}

    private Decision decide(
            Reading r, Set<String> tokens, BayesModel model, double score, double threshold, Message message)
            throws IOException {
        Optional<String> spoof = brandCheck ? BrandSpoof.defaults().test(r.header()) : Optional.empty();
        Optional<String> noSpamContent = spoof.isEmpty() && score >= threshold
                ? NoSpamContent.test(tokens, model, message.content(), tokenizer.walker(), subject(r.header()))
                : Optional.empty();
        return new Decision(spoof, noSpamContent, spoof.isPresent() || (score >= threshold && noSpamContent.isEmpty()));
    }

    /**
     * What {@link #judge} found.
     *
     * @param kind the kind of message
     * @param classification the classifier's result (score 0 and no clues when the message is not ordinary mail)
     * @param spam whether {@link #scan} calls it spam
     * @param walkLimit the MIME walker's limit that cut the reading short ({@code DEPTH_LIMIT}, {@code PART_LIMIT},
     *     {@code SIZE_LIMIT}), if one did: {@link #scan} then fails with {@code UNSCANNABLE} unless {@code spam}
     */
    public record Judgement(MailKind kind, Classification classification, boolean spam, Optional<String> walkLimit) {
        /**
         * Validates.
         *
         * @throws NullPointerException if a component is {@code null}
         */
        public Judgement {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(classification, "classification");
            Objects.requireNonNull(walkLimit, "walkLimit");
        }

        /**
         * A judgement of a message read to its end (no walk limit), as before {@code walkLimit} existed.
         *
         * @param kind the kind of message
         * @param classification the classifier's result
         * @param spam whether it is spam
         * @throws NullPointerException if a component is {@code null}
         */
        public Judgement(MailKind kind, Classification classification, boolean spam) {
            this(kind, classification, spam, Optional.empty());
        }

        /**
         * Whether {@link #scan} would fail rather than give a verdict: the reading was cut short by a walk limit and
         * what was read is not spam.
         *
         * @return {@code true} for a message the classifier could not judge
         */
        public boolean unscannable() {
            return walkLimit.isPresent() && !spam;
        }
    }

    /**
     * A message's tokens, the words its HTML hides that are not among them, and its kind (bounce, automatic reply,
     * ordinary mail), as {@link #judge} and scan read it.
     */
    private record Reading(Set<String> tokens, Set<String> hidden, MailKind kind, HeaderFields header) {}

    /** A header's decoded Subject, {@code ""} when it has none. */
    private static String subject(HeaderFields header) {
        return header == null
                ? ""
                : TextDecoding.decodeHeader(header.first("subject").orElse(""));
    }

    private Reading read(Message message) throws IOException {
        HeaderFields[] header = new HeaderFields[1];
        Set<String> unread = new java.util.HashSet<>();
        // without the trace field our relay wrote on top before scanning (Tokenizer#tokenize): a file has none, so a
        // file and the same message through a relay score alike
        Set<String> tokens = tokenizer.tokenize(
                message.content(),
                h -> header[0] = h,
                unread,
                message.envelope().clientAddress().orElse(null),
                Tokenizer.mailPathSender(message.envelope()));
        unread.removeAll(tokens); // the words only the whole reading has, counted in BAYES_HIDDEN_TEXT
        return new Reading(
                tokens, unread, detector.detect(header[0], tokens, message.content(), message.envelope()), header[0]);
    }

    /**
     * Version of reading hidden text: raised when the way the two readings are combined changes, so that cached
     * verdicts of another way are not reused. 1: the more spam-like of the two.
     */
    static final int HIDDEN_READING_VERSION = 1;

    /**
     * The classification of a message's visible text and, when its HTML hides words, of all of it: the more
     * spam-like decides ({@link #chosen}). Spam hides innocent chatter to pull its score down, which the visible
     * reading ignores; and a spammer who learns what counts as hidden here could hide his pitch instead, which the
     * whole reading still sees. So hiding text never lowers a score.
     *
     * @param visible the visible reading
     * @param whole the reading with the hidden words, or {@code null} when nothing is hidden
     * @param tokens the tokens of the reading that decides
     */
    private record Readings(Classification visible, Classification whole, Set<String> tokens) {
        Classification chosen() {
            return wholeDecides() ? whole : visible;
        }

        boolean wholeDecides() {
            return whole != null && whole.score() > visible.score();
        }
    }

    private static Readings classified(BayesModel model, Reading r) {
        return classified(model, r.tokens(), r.hidden());
    }

    /** The readings of {@code tokens} and, when {@code hidden} adds words to them, of both together. */
    private static Readings classified(BayesModel model, Set<String> tokens, Set<String> hidden) {
        Classification visible = model.classify(tokens);
        if (tokens.containsAll(hidden)) {
            return new Readings(visible, null, tokens);
        }
        Set<String> all = new java.util.LinkedHashSet<>(tokens);
        all.addAll(hidden);
        Classification whole = model.classify(all);
        return new Readings(visible, whole, whole.score() > visible.score() ? all : tokens);
    }

    /** The MIME walker's limit that cut the tokenizer's walk short ({@code mime:depth_limit}, ...), if one did. */
    private static Optional<String> walkLimit(Set<String> tokens) {
        for (MimeFinding.Kind k : MimeFinding.Kind.values()) {
            if (k.isLimit() && tokens.contains("mime:" + k.name().toLowerCase(Locale.ROOT))) {
                return Optional.of(k.name());
            }
        }
        return Optional.empty();
    }

    /**
     * What a scan that could not read the whole message says instead of "clean": text past the walker's limit (nested
     * too deep, too many parts) was never classified, and spam hidden there is what such a message would be for.
     */
    private static ScanException incomplete(String limit, String wouldBe) {
        return ScanException.of(
                NAME,
                ScanFailure.Kind.UNSCANNABLE,
                "MIME walk incomplete (" + limit + "): the text past the limit was not classified (otherwise " + wouldBe
                        + ")",
                null);
    }

    @Override
    public Verdict scan(Message message) throws ScanException {
        Instant start = clock.instant();
        BayesModel model = source.current();
        if (model.spamMessages() == 0 || model.hamMessages() == 0) {
            throw ScanException.of(
                    NAME,
                    ScanFailure.Kind.UNAVAILABLE,
                    "the model has not learned both spam and ham (spam " + model.spamMessages() + ", ham "
                            + model.hamMessages() + ")",
                    null);
        }
        Reading r;
        try {
            r = read(message);
        } catch (IOException e) {
            throw ScanException.of(NAME, ScanFailure.Kind.SCANNER_ERROR, "cannot read the message: " + e, e);
        }
        double threshold = threshold(model);
        double sureThreshold = Math.max(threshold, configuredSureThreshold);
        Optional<String> cut = walkLimit(r.tokens());
        MailKind kind = r.kind();
        if (kind.kind() != MailKind.Kind.ORDINARY) {
            if (cut.isPresent()) {
                throw incomplete(
                        cut.get(), kind.kind().name().toLowerCase(Locale.ROOT).replace('_', ' '));
            }
            return notClassified(kind, start, threshold);
        }
        Readings readings = classified(model, r);
        Classification c = readings.chosen();
        double score = reported(c);
        Decision decision;
        try {
            decision = decide(r, readings.tokens(), model, score, threshold, message);
        } catch (IOException e) {
            throw ScanException.of(NAME, ScanFailure.Kind.SCANNER_ERROR, "cannot read the message: " + e, e);
        }
        Optional<String> spoof = decision.spoof();
        Optional<String> noSpamContent = decision.noSpamContent();
        boolean spam = decision.spam();
        if (!spam && cut.isPresent()) {
            throw incomplete(cut.get(), String.format(Locale.ROOT, "score %.4f", score));
        }
        Duration elapsed = Duration.between(start, clock.instant());
        Verdict.Builder v = Verdict.builder(NAME, spam ? Outcome.SPAM : Outcome.CLEAN)
                .score(score)
                .threshold(threshold)
                .elapsed(elapsed.isNegative() ? Duration.ZERO : elapsed);
        v.rule(Rule.of(
                bucket(c.score()),
                score,
                "classifier indicator " + String.format(Locale.ROOT, "%.4f", score) + " from "
                        + c.clues().size() + " significant of " + c.tokensSeen() + " tokens"));
        noSpamContent.ifPresent(d -> v.rule(Rule.of(NoSpamContent.RULE, 0.0, d)));
        if (readings.whole() != null) {
            Classification other = readings.wholeDecides() ? readings.visible() : readings.whole();
            v.rule(Rule.of(
                    HIDDEN_TEXT_RULE,
                    reported(other),
                    String.format(
                            Locale.ROOT,
                            readings.wholeDecides()
                                    ? "read with the %d words its HTML hides, which score higher (without them %.4f):"
                                            + " hiding text never lowers the score"
                                    : "the %d words its HTML hides are not read (with them %.4f)",
                            r.hidden().size(),
                            reported(other))));
        }
        spoof.ifPresent(d -> v.rule(Rule.of(BrandSpoof.RULE, score, d)));
        if (spam && score < sureThreshold) {
            v.rule(Rule.of(
                    "BAYES_UNSURE",
                    score,
                    "spam, but below the sure threshold " + sureThreshold + ": tag rather than reject"));
        }
        if (!c.weights().isEmpty() || c.logOdds() != 0.0) {
            v.rule(Rule.of(
                    "BAYES_LOGISTIC",
                    Math.round(c.logOdds() * 100) / 100.0,
                    logisticDescription(c, model.logisticBias())));
        }
        List<TokenEvidence> strongest = strongestOfStructure(c); // empty when read once
        if (!Double.isNaN(c.structureScore())) {
            StringBuilder d = new StringBuilder(String.format(
                    Locale.ROOT,
                    "read without the words of its text (header, structure, links): %.4f, weighing %.1f of the"
                            + " log-odds",
                    c.structureScore(),
                    BayesModel.STRUCTURE_WEIGHT));
            for (int i = 0; i < strongest.size(); i++) {
                TokenEvidence e = strongest.get(i);
                d.append(i == 0 ? "; strongest " : ", ")
                        .append(e.token())
                        .append(String.format(Locale.ROOT, " %.4f", e.spamProbability()));
            }
            v.rule(Rule.of("BAYES_STRUCTURE", Math.round(c.structureScore() * 10_000) / 10_000.0, d.toString()));
        }
        c.spamOnlyLanguage()
                .ifPresent(
                        code -> v.rule(
                                Rule.of(
                                        LANGUAGE_RULE,
                                        Math.round(c.structureScore() * 10_000) / 10_000.0,
                                        "text in " + TextLanguage.name(code)
                                                + ", whose common words the model learned (almost) only from"
                                                + " spam: "
                                                + (c.structureScore() < BayesModel.LANGUAGE_STRUCTURE_BAR
                                                        ? "the words alone do not make it spam; the header, structure and links decide"
                                                        : "the header, structure and links lean spam too, so the whole reading stands"))));
        List<TokenEvidence> explained =
                c.clues().subList(0, Math.min(explainedTokens, c.clues().size()));
        for (TokenEvidence e : explained) {
            v.rule(clueRule(e, ""));
        }
        // the second reading's strongest tokens, unless named above
        for (TokenEvidence e : strongest) {
            if (!explained.contains(e)) {
                v.rule(clueRule(e, " (second reading)"));
            }
        }
        for (TokenWeight w : c.weights()) {
            v.rule(Rule.of(
                    "weight:" + w.token(),
                    Math.round(w.weight() * 100) / 100.0,
                    "logistic weight (added to the log-odds)"));
        }
        return v.build();
    }

    /**
     * What the logistic part did, in the parts an administrator can act on: its constant (the bias, the same for every
     * message: a model whose logistic part leans ham says so here) and the sum of the message's weighted tokens, of
     * which the rules {@code weight:TOKEN} name the largest. Without the constant, a message whose listed weights all
     * lean spam could show a part that "adds -4.4" with nothing named to account for it.
     */
    static String logisticDescription(Classification c, double bias) {
        double tokens = c.logOdds() - bias;
        String d = String.format(
                Locale.ROOT,
                "Bayes indicator %.4f; the logistic part adds %+.2f to its log-odds: its constant %+.2f",
                c.bayesScore(),
                c.logOdds(),
                bias);
        if (Math.abs(c.logOdds()) >= BayesModel.LOGISTIC_CLIP) {
            return d
                    + String.format(
                            Locale.ROOT,
                            ", the message's weighted tokens %s %+.2f (the part is clipped to %+.0f)",
                            c.logOdds() > 0 ? "at least" : "at most",
                            tokens,
                            c.logOdds());
        }
        return d + String.format(Locale.ROOT, ", the message's weighted tokens %+.2f", tokens);
    }

    private Verdict notClassified(MailKind kind, Instant start, double threshold) {
        Duration elapsed = Duration.between(start, clock.instant());
        boolean backscatter = kind.kind() == MailKind.Kind.BACKSCATTER;
        Verdict.Builder v = Verdict.builder(NAME, backscatter ? Outcome.SUSPICIOUS : Outcome.CLEAN)
                .score(0.0)
                .threshold(threshold)
                .elapsed(elapsed.isNegative() ? Duration.ZERO : elapsed);
        if (backscatter) {
            v.threat(BACKSCATTER);
        }
        String rule = "BAYES_" + kind.kind().name();
        String what = switch (kind.kind()) {
            case BOUNCE -> "a delivery status notification: not judged by the mail it quotes";
            case BACKSCATTER -> "a bounce for mail not sent from our domains " + detector.localDomains();
            case AUTO_REPLY -> "an automatic reply: not classified";
            case ORDINARY -> "ordinary mail";
        };
        v.rule(Rule.of(rule, 0.0, what));
        for (String e : kind.evidence()) {
            v.rule(Rule.of(
                    e,
                    0.0,
                    "evidence for "
                            + kind.kind().name().toLowerCase(Locale.ROOT).replace('_', '-')));
        }
        return v.build();
    }

    /**
     * Whether a classification is spam under this scanner's {@linkplain #threshold() threshold} for the current model,
     * decided on the score rounded to 4 decimals as {@link #scan} decides; {@link #scan} and {@link #judge}, which see
     * the message, also call one with no spam content clean (the class description says when).
     *
     * @param c a classification by this scanner's model
     * @return {@code true} if the rounded score reaches the threshold
     */
    public boolean isSpam(Classification c) {
        return reported(c) >= threshold();
    }

    /** The second reading's strongest tokens that a verdict names (at most {@value #STRUCTURE_CLUES_EXPLAINED}). */
    private static List<TokenEvidence> strongestOfStructure(Classification c) {
        return c.structureClues()
                .subList(
                        0,
                        Math.min(STRUCTURE_CLUES_EXPLAINED, c.structureClues().size()));
    }

    /** A token's rule: its spam probability (4 decimals) and its training counts, then {@code note}. */
    private static Rule clueRule(TokenEvidence e, String note) {
        return Rule.of(
                e.token(),
                Math.round(e.spamProbability() * 10_000) / 10_000.0,
                "seen in " + e.spamCount() + " spam and " + e.hamCount() + " ham" + note);
    }

    private static double reported(Classification c) {
        return Math.round(c.score() * 10_000) / 10_000.0;
    }

    /** {@code BAYES_00}, {@code BAYES_05}, ..., {@code BAYES_95}, {@code BAYES_99}, {@code BAYES_999}. */
    static String bucket(double score) {
        if (score >= 0.999) {
            return "BAYES_999";
        }
        if (score >= 0.99) {
            return "BAYES_99";
        }
        int five = (int) Math.floor(score * 20) * 5;
        return String.format(Locale.ROOT, "BAYES_%02d", Math.min(95, five));
    }

    /**
     * In process: {@code UP}, naming the model in use (the messages and tokens it learned, the threshold, whether it is
     * the shipped default model or learned on top of it: {@link BayesModels#relationToDefault}) and, for a
     * {@link WatchedModelFile}, its file and, when the file's latest version was refused, why (the previous model is
     * still in use, so mail is classified as before; fix or replace the file). A model that learned no spam or no ham
     * says so, as its scores then mean nothing. Never blocks, never throws.
     *
     * @return an up result
     */
    @Override
    public Health health() {
        BayesModel model = source.current();
        StringBuilder d = new StringBuilder(String.format(
                Locale.ROOT,
                "in process: a model of %d spam and %d ham (%d tokens), threshold %s",
                model.spamMessages(),
                model.hamMessages(),
                model.tokenCount(),
                threshold(model)));
        BayesModels.relationToDefault(model).ifPresent(r -> d.append(", ").append(r));
        WatchedModelFile watched = source instanceof WatchedModelFile w ? w : null;
        if (watched != null) {
            d.append(", from ").append(watched.file());
        }
        if (model.spamMessages() == 0 || model.hamMessages() == 0) {
            d.append("; it learned no ")
                    .append(model.spamMessages() == 0 ? "spam" : "ham")
                    .append(": train it");
        }
        if (watched != null) {
            watched.lastError()
                    .ifPresent(e -> d.append("; its latest version was ").append(e));
        }
        return Health.up(d.toString(), Duration.ZERO);
    }

    @Override
    public String toString() {
        BayesModel model = source.current();
        return "BayesScanner[threshold=" + threshold(model) + ", spam=" + model.spamMessages() + ", ham="
                + model.hamMessages() + ", tokens=" + model.tokenCount() + "]";
    }

    /** Builds a {@link BayesScanner}. Setters validate at once. Not thread-safe. */
    public static final class Builder {
        private final ModelSource source;
        private Tokenizer tokenizer = Tokenizer.create();
        private BounceDetector detector = BounceDetector.create();
        private Double threshold;
        private double sureThreshold = DEFAULT_SURE_THRESHOLD;
        private int explainedTokens = DEFAULT_EXPLAINED_TOKENS;
        private Clock clock = Clock.systemUTC();
        private boolean brandCheck = true;

        private Builder(ModelSource source) {
            this.source = source;
        }

        /**
         * The sure threshold: spam verdicts below it carry {@code BAYES_UNSURE} (tag, do not reject). Default
         * {@value BayesScanner#DEFAULT_SURE_THRESHOLD}; a value below the spam threshold acts as the spam threshold.
         *
         * @param value in (0, 1]
         * @return this builder
         * @throws IllegalArgumentException if outside (0, 1]
         */
        public Builder sureThreshold(double value) {
            if (!(value > 0.0 && value <= 1.0)) {
                throw new IllegalArgumentException("sureThreshold must be in (0, 1], was " + value);
            }
            sureThreshold = value;
            return this;
        }

        /**
         * The bounce and auto-reply detector. Default {@link BounceDetector#create()} (no local domains, so no
         * backscatter verdicts); {@link BounceDetector#withLocalDomains} enables backscatter detection.
         *
         * @param value the detector
         * @return this builder
         * @throws NullPointerException if {@code value} is {@code null}
         */
        public Builder detector(BounceDetector value) {
            detector = Objects.requireNonNull(value, "detector");
            return this;
        }

        /**
         * The spam threshold. Without it the scanner follows the model in use, per scan: {@link
         * BayesModels#DEFAULT_MODEL_THRESHOLD} for the default model and a model learned on top of it ({@link
         * BayesModel#startedFromDefault()}: it keeps that model's calibration), else {@value
         * BayesScanner#DEFAULT_THRESHOLD}.
         *
         * @param value in (0, 1]
         * @return this builder
         * @throws IllegalArgumentException if outside (0, 1]
         */
        public Builder threshold(double value) {
            if (!(value > 0.0 && value <= 1.0)) {
                throw new IllegalArgumentException("threshold must be in (0, 1], was " + value);
            }
            threshold = value;
            return this;
        }

        /**
         * How many of the strongest tokens are reported as rules. Default
         * {@value BayesScanner#DEFAULT_EXPLAINED_TOKENS}.
         *
         * @param value {@code >= 0}
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder explainedTokens(int value) {
            if (value < 0) {
                throw new IllegalArgumentException("explainedTokens must be >= 0, was " + value);
            }
            explainedTokens = value;
            return this;
        }

        /**
         * The tokenizer; it must be the one the model was trained with. Default {@link Tokenizer#create()}.
         *
         * @param value the tokenizer
         * @return this builder
         * @throws NullPointerException if {@code value} is {@code null}
         */
        public Builder tokenizer(Tokenizer value) {
            tokenizer = Objects.requireNonNull(value, "tokenizer");
            return this;
        }

        /**
         * Whether a From display name naming a well-known brand over an address at none of its domains makes the
         * message spam, whatever its score (the rule {@code BAYES_BRAND_SPOOF}; see the class description). Default
         * {@code true}; {@code false} leaves the verdict to the classifier alone.
         *
         * @param value whether to test for brand impersonation
         * @return this builder
         */
        public Builder brandCheck(boolean value) {
            brandCheck = value;
            return this;
        }

        /**
         * The clock used to measure scan time. Default the system UTC clock.
         *
         * @param value the clock
         * @return this builder
         * @throws NullPointerException if {@code value} is {@code null}
         */
        public Builder clock(Clock value) {
            clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * Builds the scanner.
         *
         * @return a new scanner
         */
        public BayesScanner build() {
            return new BayesScanner(this);
        }
    }
}
