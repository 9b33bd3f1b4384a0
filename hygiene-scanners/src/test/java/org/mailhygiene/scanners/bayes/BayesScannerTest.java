package org.mailhygiene.scanners.bayes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.VerdictCache;
import org.mailhygiene.scanners.mime.MimeWalker;
import org.mailhygiene.testkit.corpus.SyntheticCorpus;

class BayesScannerTest {
    private static BayesModel model;
    private static final Tokenizer TOKENIZER = Tokenizer.create();

    @BeforeAll
    static void train() throws Exception {
        model = BayesModel.empty();
        SyntheticCorpus corpus = SyntheticCorpus.seeded(1);
        for (SyntheticCorpus.Sample s : corpus.generate(120, true)) {
            model.learn(TOKENIZER.tokenize(MessageContent.ofBytes(s.bytes())), true);
        }
        for (SyntheticCorpus.Sample s : corpus.generate(120, false)) {
            model.learn(TOKENIZER.tokenize(MessageContent.ofBytes(s.bytes())), false);
        }
    }

    @Test
    void heldOutSyntheticMailIsClassifiedInEveryEncoding() throws Exception {
        BayesScanner scanner = BayesScanner.create(model);
        SyntheticCorpus heldOut = SyntheticCorpus.seeded(2);
        int spamCaught = 0;
        int hamFlagged = 0;
        List<SyntheticCorpus.Sample> spam = heldOut.generate(60, true);
        List<SyntheticCorpus.Sample> ham = heldOut.generate(60, false);
        for (SyntheticCorpus.Sample s : spam) {
            if (scanner.scan(Message.of(s.bytes())).outcome() == Outcome.SPAM) {
                spamCaught++;
            }
        }
        for (SyntheticCorpus.Sample s : ham) {
            if (scanner.scan(Message.of(s.bytes())).outcome() == Outcome.SPAM) {
                hamFlagged++;
            }
        }
        assertThat(spamCaught).isEqualTo(60);
        assertThat(hamFlagged).isZero();
    }

    @Test
    void verdictExplainsItself() throws Exception {
        byte[] spam = SyntheticCorpus.seeded(5)
                .japanese(true, SyntheticCorpus.Encoding.ISO_2022_JP)
                .bytes();
        Verdict v = BayesScanner.builder(model).explainedTokens(3).build().scan(Message.of(spam));
        assertThat(v.scanner()).isEqualTo("bayes");
        assertThat(v.outcome()).isEqualTo(Outcome.SPAM);
        assertThat(v.threshold()).hasValue(BayesScanner.DEFAULT_THRESHOLD);
        assertThat(v.score().getAsDouble()).isGreaterThanOrEqualTo(0.9);
        assertThat(v.rules()).hasSize(4);
        assertThat(v.rules().get(0).name()).startsWith("BAYES_9");
        assertThat(v.rules().get(1).description()).matches("seen in \\d+ spam and \\d+ ham");
        assertThat(v.rules().get(1).score().getAsDouble()).isGreaterThan(0.9);
    }

    @Test
    void japaneseNewsletterWithoutSpacesIsNotSpam() throws Exception {
        String body = "今月のお知らせです。来週の研究室ミーティングは水曜日に行います。資料は共有フォルダに置きました。" + "よろしくお願いいたします。";
        String m = "From: center@example.ac.jp\r\nSubject: =?UTF-8?B?"
                + java.util.Base64.getEncoder()
                        .encodeToString("今月のお知らせ".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                + "?=\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body
                + "\r\n";
        Verdict v = BayesScanner.create(model)
                .scan(Message.of(MessageContent.ofString(m, java.nio.charset.StandardCharsets.UTF_8)));
        assertThat(v.outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(v.score().getAsDouble()).isLessThan(0.1);
    }

    @Test
    void bucketNamesFollowSpamAssassin() {
        assertThat(BayesScanner.bucket(0.0)).isEqualTo("BAYES_00");
        assertThat(BayesScanner.bucket(0.51)).isEqualTo("BAYES_50");
        assertThat(BayesScanner.bucket(0.97)).isEqualTo("BAYES_95");
        assertThat(BayesScanner.bucket(0.995)).isEqualTo("BAYES_99");
        assertThat(BayesScanner.bucket(1.0)).isEqualTo("BAYES_999");
    }

    @Test
    void untrainedModelIsAFailureNotClean() {
        BayesModel empty = BayesModel.empty();
        empty.learn(List.of("x"), true);
        assertThatThrownBy(() -> BayesScanner.create(empty).scan(Message.of(new byte[] {'x'})))
                .isInstanceOf(ScanException.class)
                .satisfies(
                        e -> assertThat(((ScanException) e).failure().kind()).isEqualTo(ScanFailure.Kind.UNAVAILABLE))
                .hasMessageContaining("spam 1, ham 0");
    }

    @Test
    void envelopeNullSenderDecidesTheVerdictAndIsCachedApart() throws Exception {
        String notice = "From: \"Mail Gateway\" <gw@mx.remote.example>\r\nTo: alice@ours.example\r\n"
                + "Subject: Notification\r\n\r\nYour message could not be delivered to the following recipient:\r\n"
                + "  bob@remote.example: 550 5.1.1 user unknown\r\n";
        BayesModel m = BayesModel.empty();
        // a model that has learned the notice's words only as spam, so that classifying it says spam
        m.learn(TOKENIZER.tokenize(MessageContent.ofString(notice, java.nio.charset.StandardCharsets.US_ASCII)), true);
        m.learn(List.of("hello"), false);
        BayesScanner scanner = BayesScanner.create(m);
        Envelope bounce = Envelope.of("", List.of("alice@ours.example"));
        Envelope ordinary = Envelope.of("gw@mx.remote.example", List.of("alice@ours.example"));
        assertThat(scanner.cacheIdentity(bounce)).isNotEqualTo(scanner.cacheIdentity(ordinary));
        // another sender on the mail path: its Return-Path field is not read, so not the identity of a file scan
        assertThat(scanner.cacheIdentity(ordinary)).isNotEqualTo(scanner.cacheIdentity());
        assertThat(scanner.cacheIdentity(ordinary)).isNotEqualTo(scanner.cacheIdentity(bounce));
        assertThat(scanner.cacheIdentity(Envelope.unknown())).isEqualTo(scanner.cacheIdentity());
        try (ScanPipeline pipeline = ScanPipeline.builder()
                .scanner(scanner)
                .cache(VerdictCache.builder().build())
                .build()) {
            byte[] bytes = notice.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            for (int i = 0; i < 2; i++) { // the second round is answered from the cache
                Verdict asBounce = (Verdict) pipeline.scan(new Message(bounce, MessageContent.ofBytes(bytes)))
                        .results()
                        .get(0);
                Verdict asMail = (Verdict) pipeline.scan(new Message(ordinary, MessageContent.ofBytes(bytes)))
                        .results()
                        .get(0);
                assertThat(asBounce.outcome()).isEqualTo(Outcome.CLEAN);
                assertThat(asBounce.rules()).extracting(r -> r.name()).contains("BAYES_BOUNCE", "envelope:<>");
                assertThat(asMail.outcome()).isEqualTo(Outcome.SPAM);
            }
        }
    }

    /**
     * A classifier verdict is cached in its own process only: its identity names the model by a version no other
     * process has, so a cluster's shared store (Redis) was asked for it and given it at every classified message (four
     * commands, some 1.7 KB a message) for nothing. Another scanner's verdicts still go there.
     */
    @Test
    void classifierVerdictsStayInTheirProcess() throws Exception {
        org.mailhygiene.scanners.shared.InProcessSharedState shared =
                org.mailhygiene.scanners.shared.InProcessSharedState.create();
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        org.mailhygiene.api.shared.VerdictStore store = shared.verdicts();
        org.mailhygiene.api.shared.VerdictStore counting = new org.mailhygiene.api.shared.VerdictStore() {
            @Override
            public java.util.Optional<Verdict> get(String identity, String sha256)
                    throws org.mailhygiene.api.shared.SharedStateException {
                calls.incrementAndGet();
                return store.get(identity, sha256);
            }

            @Override
            public void put(String identity, String sha256, Verdict verdict, java.time.Duration ttl)
                    throws org.mailhygiene.api.shared.SharedStateException {
                calls.incrementAndGet();
                store.put(identity, sha256, verdict, ttl);
            }

            @Override
            public boolean tryLease(String identity, String sha256, String owner, java.time.Duration lease)
                    throws org.mailhygiene.api.shared.SharedStateException {
                calls.incrementAndGet();
                return store.tryLease(identity, sha256, owner, lease);
            }

            @Override
            public boolean leaseHeld(String identity, String sha256)
                    throws org.mailhygiene.api.shared.SharedStateException {
                calls.incrementAndGet();
                return store.leaseHeld(identity, sha256);
            }

            @Override
            public void release(String identity, String sha256, String owner)
                    throws org.mailhygiene.api.shared.SharedStateException {
                calls.incrementAndGet();
                store.release(identity, sha256, owner);
            }
        };
        BayesScanner bayes = BayesScanner.create(model);
        assertThat(bayes.sharesCachedVerdicts()).isFalse();
        byte[] bytes = "From: a@example.org\r\nSubject: hello\r\n\r\nhello there\r\n"
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try (ScanPipeline pipeline = ScanPipeline.builder()
                .scanner(bayes)
                .cache(VerdictCache.builder().shared(counting).build())
                .build()) {
            pipeline.scan(Message.of(bytes));
            pipeline.scan(Message.of(bytes));
            assertThat(pipeline.cache().orElseThrow().stats().hits()).isEqualTo(1); // cached here
        }
        assertThat(calls.get()).isZero();
        org.mailhygiene.testkit.ScriptedScanner other = org.mailhygiene.testkit.ScriptedScanner.builder()
                .name("virus")
                .cacheIdentity("virus|db-1")
                .build();
        try (ScanPipeline pipeline = ScanPipeline.builder()
                .scanner(other)
                .cache(VerdictCache.builder().shared(counting).build())
                .build()) {
            pipeline.scan(Message.of(bytes));
        }
        assertThat(calls.get()).isPositive();
    }

    @Test
    void aFileScanAndAScanOnTheMailPathShareNoCachedVerdict() throws Exception {
        // Return-Path: <> over a standard DSN from a mail daemon: a bounce as a file from a mailbox (the field is the
        // final delivery's), but from another sender on the mail path the field is the sender's own and the message
        // is classified
        String report = "Return-Path: <>\r\nFrom: Mail Delivery System <MAILER-DAEMON@mx.promo.example>\r\n"
                + "To: alice@ours.example\r\n"
                + "Subject: Your exclusive offer inside\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\r\n\r\n"
                + "--R\r\nContent-Type: text/plain\r\n\r\nCHEAP PILLS 90% OFF http://pills.example/buy\r\n"
                + "--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.promo.example\r\n\r\n"
                + "Final-Recipient: rfc822; alice@ours.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--R--\r\n";
        byte[] bytes = report.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        BayesModel m = BayesModel.empty();
        m.learn(TOKENIZER.tokenize(MessageContent.ofBytes(bytes)), true);
        m.learn(List.of("hello"), false);
        BayesScanner scanner = BayesScanner.create(m);
        Envelope overSmtp = Envelope.of("deals@promo.example", List.of("alice@ours.example"));
        for (boolean fileFirst : new boolean[] {true, false}) {
            try (ScanPipeline pipeline = ScanPipeline.builder()
                    .scanner(scanner)
                    .cache(VerdictCache.builder().build())
                    .build()) {
                for (int i = 0; i < 2; i++) {
                    Verdict asFile = null;
                    Verdict asMail = null;
                    for (int k = 0; k < 2; k++) {
                        boolean file = (k == 0) == fileFirst;
                        Message message =
                                file ? Message.of(bytes) : new Message(overSmtp, MessageContent.ofBytes(bytes));
                        Verdict v = (Verdict) pipeline.scan(message).results().get(0);
                        if (file) {
                            asFile = v;
                        } else {
                            asMail = v;
                        }
                    }
                    assertThat(asFile.outcome()).isEqualTo(Outcome.CLEAN);
                    assertThat(asFile.rules()).extracting(r -> r.name()).contains("BAYES_BOUNCE");
                    assertThat(asMail.outcome()).isEqualTo(Outcome.SPAM);
                }
            }
        }
    }

    @Test
    void cacheIdentityChangesWhenTheModelLearns() {
        BayesModel m = BayesModel.empty();
        BayesScanner s = BayesScanner.create(m);
        String before = s.cacheIdentity().orElseThrow();
        m.learn(List.of("a"), true);
        assertThat(s.cacheIdentity().orElseThrow()).isNotEqualTo(before);
    }

    @Test
    void cacheIdentityChangesWithEverythingThatDecidesTheVerdict() {
        BayesModel m = BayesModel.empty();
        m.learn(List.of("a"), true);
        m.learn(List.of("b"), false);
        String base = BayesScanner.create(m).cacheIdentity().orElseThrow();
        assertThat(BayesScanner.create(m).cacheIdentity()).hasValue(base);
        assertThat(BayesScanner.builder(m).threshold(0.95).build().cacheIdentity())
                .get()
                .isNotEqualTo(base);
        assertThat(BayesScanner.builder(m).explainedTokens(1).build().cacheIdentity())
                .get()
                .isNotEqualTo(base);
        // a tokenizer that reads less text, or walks fewer MIME parts, can yield other tokens and another verdict
        assertThat(BayesScanner.builder(m)
                        .tokenizer(Tokenizer.of(MimeWalker.defaults(), 1024))
                        .build()
                        .cacheIdentity())
                .get()
                .isNotEqualTo(base);
        assertThat(BayesScanner.builder(m)
                        .tokenizer(Tokenizer.of(
                                MimeWalker.builder().maxParts(3).build(), Tokenizer.DEFAULT_MAX_TEXT_BYTES))
                        .build()
                        .cacheIdentity())
                .get()
                .isNotEqualTo(base);
        assertThat(base).contains("tokenizer-" + Tokenizer.VERSION + "/");
        // an equal model loaded elsewhere is another instance: it never shares cached verdicts by accident
        BayesModel copy = BayesModel.empty();
        copy.learn(List.of("a"), true);
        copy.learn(List.of("b"), false);
        assertThat(BayesScanner.create(copy).cacheIdentity()).get().isNotEqualTo(base);
    }

    @Test
    void documentedDefaultsAndValidation() {
        BayesScanner s = BayesScanner.create(model);
        assertThat(s.threshold()).isEqualTo(BayesScanner.DEFAULT_THRESHOLD).isEqualTo(0.7);
        assertThat(s.tokenizer().identity()).isEqualTo(Tokenizer.create().identity());
        assertThat(BayesScanner.DEFAULT_EXPLAINED_TOKENS).isEqualTo(10);
        assertThatThrownBy(() -> BayesScanner.builder(model).threshold(0)).hasMessageContaining("threshold");
        assertThatThrownBy(() -> BayesScanner.builder(model).explainedTokens(-1))
                .hasMessageContaining("explainedTokens");
    }

    /** A message whose body is {@code inner} wrapped in {@code depth} multiparts, after {@code filler} empty parts. */
    private static byte[] wrapped(String header, String inner, int depth, int filler) {
        StringBuilder m = new StringBuilder(header).append("MIME-Version: 1.0\r\n");
        for (int i = 0; i < depth; i++) {
            m.append("Content-Type: multipart/mixed; boundary=\"b").append(i).append("\"\r\n\r\n");
            for (int f = 0; i == 0 && f < filler; f++) {
                m.append("--b0\r\nContent-Type: text/plain\r\n\r\n.\r\n");
            }
            m.append("--b").append(i).append("\r\n");
        }
        m.append(inner);
        for (int i = depth - 1; i >= 0; i--) {
            m.append("--b").append(i).append("--\r\n");
        }
        return m.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void textPastTheWalkersLimitsIsNeverCalledClean() throws Exception {
        BayesScanner scanner = BayesScanner.create(model);
        String spam = new String(
                SyntheticCorpus.seeded(7).generate(1, true).get(0).bytes(), java.nio.charset.StandardCharsets.UTF_8);
        int split = spam.indexOf("\r\n\r\n");
        String spamPart = spam.substring(0, split)
                        .lines()
                        .filter(l -> l.regionMatches(true, 0, "Content-", 0, 8))
                        .reduce("", (a, l) -> a + l + "\r\n")
                + spam.substring(split) + "\r\n";
        // the header of a ham message: only the hidden text can make it spam
        String ham = new String(
                SyntheticCorpus.seeded(7).generate(1, false).get(0).bytes(), java.nio.charset.StandardCharsets.UTF_8);
        String header = ham.substring(0, ham.indexOf("\r\n\r\n") + 2)
                .lines()
                .filter(l -> !l.regionMatches(true, 0, "Content-", 0, 8) && !l.startsWith("MIME-Version"))
                .reduce("", (a, l) -> a + l + "\r\n");
        assertThat(scanner.scan(Message.of(
                                (header + "\r\nsee you\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                        .outcome())
                .isEqualTo(Outcome.CLEAN);
        // within the limits the hidden text is read and caught
        assertThat(scanner.scan(Message.of(wrapped(header, spamPart, 3, 0))).outcome())
                .isEqualTo(Outcome.SPAM);
        // nested deeper than the walker goes, or behind more parts than it walks: never "clean"
        MimeWalker walker = MimeWalker.defaults();
        for (byte[] m : List.of(wrapped(header, spamPart, 40, 0), wrapped(header, spamPart, 1, 1_200))) {
            assertThatThrownBy(() -> scanner.scan(Message.of(m)))
                    .isInstanceOf(ScanException.class)
                    .satisfies(e -> {
                        ScanFailure f = ((ScanException) e).failure();
                        assertThat(f.kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
                        assertThat(f.detail()).contains("MIME walk incomplete");
                    });
        }
        assertThat(walker.toString()).contains("maxDepth=20", "maxParts=1000");
        // a signed letter is read; one whose signature cannot be read (data behind it, session 27) is never clean
        byte[] cms = org.mailhygiene.scanners.TestMessages.signedData(
                spamPart.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        byte[] behind = java.util.Arrays.copyOf(cms, cms.length + 4);
        System.arraycopy("JUNK".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, behind, cms.length, 4);
        for (byte[] data : List.of(cms, behind)) {
            byte[] m = (header + "MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data\r\n"
                            + "Content-Transfer-Encoding: base64\r\n\r\n"
                            + java.util.Base64.getMimeEncoder().encodeToString(data) + "\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            if (data == cms) {
                assertThat(scanner.scan(Message.of(m)).outcome()).isEqualTo(Outcome.SPAM);
            } else {
                assertThatThrownBy(() -> scanner.scan(Message.of(m)))
                        .isInstanceOfSatisfying(
                                ScanException.class,
                                e -> assertThat(e.failure().detail())
                                        .contains("MIME walk incomplete (SMIME_UNREADABLE)"));
            }
        }
        // a bounce is not a way round it either
        String bounce = "From: MAILER-DAEMON@mx.example\r\nTo: bob@example.org\r\n"
                + "Subject: Undelivered Mail Returned to Sender\r\n";
        String notice = "--b\r\nContent-Type: text/plain\r\n\r\nThis is the mail system. 550 5.1.1 unknown user\r\n";
        byte[] bounceMessage = (bounce + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                        + notice + "--b--\r\n")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(scanner.scan(Message.of(bounceMessage)).rules().get(0).name())
                .isEqualTo("BAYES_BOUNCE");
        byte[] deepBounce = (bounce + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" + notice
                        + "--b\r\nContent-Type: text/plain\r\n\r\n.\r\n".repeat(1_200) + "--b--\r\n")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThatThrownBy(() -> scanner.scan(Message.of(deepBounce))).isInstanceOf(ScanException.class);
    }
}
