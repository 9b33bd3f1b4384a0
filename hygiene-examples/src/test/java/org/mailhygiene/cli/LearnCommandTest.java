package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.api.shared.SharedStates;
import org.mailhygiene.api.shared.TokenStore;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.scanners.bayes.BayesModels;
import org.mailhygiene.scanners.bayes.BayesScanner;
import org.mailhygiene.scanners.bayes.SharedModelSync;
import org.mailhygiene.scanners.bayes.TokenEvidence;
import org.mailhygiene.scanners.bayes.Tokenizer;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.corpus.SyntheticCorpus;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.redis.RealRedis;

class LearnCommandTest {

    /** A short business mail full of the words phishing uses: flagged by the default model at 0.996. */
    private static final String PAYMENT_MAIL = """
                From: Bob <bob@partner.example>
                To: alice@example.org
                Subject: Re: invoice and payment details
                Date: Tue, 1 Dec 2026 10:00:00 +0000
                Message-ID: <x-2@partner.example>
                MIME-Version: 1.0
                Content-Type: text/plain; charset=us-ascii

                Hi Alice,

                Please find the payment details below. Kindly confirm your account and verify the
                transfer as soon as possible, the bank needs it urgently. Click the link to view
                the invoice document and sign in to approve the wire.

                Regards, Bob
                """.replace("\n", "\r\n");

    /**
     * A bounce learned as spam stays clean (bounces are never classified) and a brand's name over a stranger's address
     * learned as ham stays spam (the brand rule decides whatever the score): learn said the correction was done. Now
     * it names the rule; an ordinary correction says nothing of the kind.
     */
    @Test
    void learningAMessageARuleJudgesSaysTheVerdictStays(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("site.model");
        Path bounce = Files.writeString(
                dir.resolve("bounce.eml"),
                "Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.remote.example (Mail Delivery System)\r\n"
                        + "To: alice@example.org\r\nSubject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
                        + "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n"
                        + "--b1\r\nContent-Type: text/plain\r\n\r\nThe mail system could not deliver your message.\r\n"
                        + "--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.remote.example"
                        + "\r\n\r\nFinal-Recipient: rfc822; bob@remote.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
                        + "--b1\r\nContent-Type: message/rfc822\r\n\r\nFrom: alice@example.org\r\n"
                        + "To: bob@remote.example\r\nSubject: hello\r\nMessage-ID: <1@example.org>\r\n\r\nhello\r\n"
                        + "--b1--\r\n",
                StandardCharsets.US_ASCII);
        Run spam = Run.main("learn", "--spam", "--model", model.toString(), bounce.toString());
        assertThat(spam.status()).as(spam.err()).isZero();
        assertThat(spam.err())
                .contains("hygiene learn: " + bounce + " is still judged clean: BAYES_BOUNCE (a bounce: never"
                        + " classified), whatever the score, so learning it as spam changes no verdict of it");

        Path spoof = Files.writeString(
                dir.resolve("spoof.eml"),
                "From: \"Costco Member Services\" <lee@example.org>\r\nTo: pat@example.org\r\n"
                        + "Subject: Your membership renewal\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
                        + "Message-ID: <r1@example.org>\r\n\r\nHi Pat,\r\n\r\nthanks for the notes from Tuesday's"
                        + " meeting. I moved the review to Thursday afternoon.\r\n\r\nBest,\r\nLee\r\n",
                StandardCharsets.US_ASCII);
        Run ham = Run.main("learn", "--ham", "--model", model.toString(), spoof.toString());
        assertThat(ham.status()).as(ham.err()).isZero();
        assertThat(ham.err())
                .contains(spoof + " is still judged spam: BAYES_BRAND_SPOOF")
                .contains("brand-check = off");

        Path flagged = Files.writeString(dir.resolve("flagged.eml"), PAYMENT_MAIL);
        Run corrected = Run.main("learn", "--ham", "--model", model.toString(), flagged.toString());
        assertThat(corrected.status()).as(corrected.err()).isZero();
        assertThat(corrected.err()).doesNotContain("still judged");
    }

    /** A binary or a plain text file is not learned as a message (a 12 MB jar added 9,300 junk tokens). */
    @Test
    void aFileThatIsNotMailIsRefusedAndNothingIsLearned(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("site.model");
        Path zip = dir.resolve("app.jar");
        Files.write(zip, new byte[] {'P', 'K', 3, 4, 20, 0, 8, 0, 8, 0, 'M', 'E', 'T', 'A'});
        Path notes = Files.writeString(dir.resolve("notes.txt"), "Shopping list\nmilk: 2\n");
        for (Path f : List.of(zip, notes)) {
            Run r = Run.main("learn", "--spam", "--model", model.toString(), f.toString());
            assertThat(r.status()).isEqualTo(2);
            assertThat(r.err()).contains(f + " is not a mail message").contains("nothing was learned");
            assertThat(model).doesNotExist();
        }
        Run stdin = Run.mainWithStdin(new byte[] {0, 1, 2, 3}, "learn", "--ham", "--model", model.toString(), "-");
        assertThat(stdin.status()).isEqualTo(2);
        assertThat(stdin.err()).contains("standard input is not a mail message");
        assertThat(org.mailhygiene.scanners.bayes.MailSources.opensLikeMessage(
                        "\r\nReceived: from x\r\n".getBytes(StandardCharsets.US_ASCII)))
                .isTrue();
        assertThat(org.mailhygiene.scanners.bayes.MailSources.opensLikeMessage(
                        "From a@b Tue Dec  1 10:00:00 2026\n".getBytes(StandardCharsets.US_ASCII)))
                .isTrue();
    }

    /**
     * learn read a file or standard input whole, without a limit: /dev/zero or {@code cat /dev/zero |} filled the heap
     * (6 GB by default here) and then said "out of memory ... give the JVM more"; a 2 GB file said the same at once; a
     * FIFO nobody writes waited forever. A message larger than train reads (32 MiB) is refused, as is a file that is not
     * a regular file (as scan says of it), and nothing is learned.
     */
    @Test
    void aHugeOrEndlessInputIsRefusedNotReadIntoMemory(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("site.model");
        Path huge = dir.resolve("huge.eml");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(huge.toFile(), "rw")) {
            f.write("Subject: big\n\n".getBytes(StandardCharsets.US_ASCII));
            f.setLength(2L * 1024 * 1024 * 1024 + 10); // sparse: takes no disk
        }
        Run big = Run.main("learn", "--spam", "--model", model.toString(), huge.toString());
        assertThat(big.status()).isEqualTo(2);
        assertThat(big.err())
                .contains(huge + " is larger than 33554432 bytes")
                .contains("nothing was learned")
                .doesNotContain("out of memory");
        byte[] tooLong = new byte[(int) org.mailhygiene.scanners.bayes.MailSources.MAX_MESSAGE_BYTES + 1];
        byte[] head = "Subject: long\n\n".getBytes(StandardCharsets.US_ASCII);
        java.util.Arrays.fill(tooLong, (byte) 'a');
        System.arraycopy(head, 0, tooLong, 0, head.length);
        Run stdin = Run.mainWithStdin(tooLong, "learn", "--spam", "--model", model.toString(), "-");
        assertThat(stdin.status()).isEqualTo(2);
        assertThat(stdin.err())
                .contains("standard input is larger than 33554432 bytes")
                .contains("nothing was learned");
        Path zero = Path.of("/dev/zero");
        if (Files.exists(zero)) {
            Run device = Run.main("learn", "--spam", "--model", model.toString(), zero.toString());
            assertThat(device.status()).isEqualTo(2);
            assertThat(device.err()).contains("/dev/zero is not a regular file").contains("nothing was learned");
        }
        assertThat(model).doesNotExist();
    }

    @Test
    void learnsIntoANewModelStartingFromTheDefaultThenIncrementally(@TempDir Path dir) throws Exception {
        Path msg = dir.resolve("clean.eml");
        Files.write(msg, SampleMessages.clean());
        Path model = dir.resolve("site.model");
        BayesModel base = BayesModels.loadDefault();

        Run ham = Run.main("learn", "--ham", "--once", "--model", model.toString(), msg.toString());
        assertThat(ham.status()).as(ham.err()).isZero();
        assertThat(ham.out()).contains("learned 1 message(s) as ham (new model, started from the default model)");
        assertThat(BayesModel.load(model).hamMessages()).isEqualTo(base.hamMessages() + 1);

        Run spam = Run.mainWithStdin(
                SampleMessages.gtube(), "learn", "--spam", "--once", "--model", model.toString(), "-");
        assertThat(spam.status()).as(spam.err()).isZero();
        assertThat(BayesModel.load(model).spamMessages()).isEqualTo(base.spamMessages() + 1);
        assertThat(BayesModel.load(model).hamMessages()).isEqualTo(base.hamMessages() + 1);
    }

    @Test
    void aCorrectionIsLearnedUntilTheModelAgreesAndOnceWithOnce(@TempDir Path dir) throws Exception {
        // a message the default model calls spam, released by the administrator as ham
        Path msg = dir.resolve("flagged.eml");
        Files.writeString(msg, PAYMENT_MAIL);
        BayesScanner defaultScanner = BayesModels.scanner(BayesModels.DEFAULT);
        double before = defaultScanner
                .judge(Message.of(Files.readAllBytes(msg)))
                .classification()
                .score();
        assertThat(before).isGreaterThan(0.8);

        Path once = dir.resolve("once.model");
        Run plain = Run.main("learn", "--ham", "--once", "--model", once.toString(), msg.toString());
        assertThat(plain.status()).as(plain.err()).isZero();
        assertThat(plain.out()).doesNotContain("time(s)");
        assertThat(score(once, msg)).isGreaterThan(BayesModels.CORRECTED_HAM_SCORE);

        Path corrected = dir.resolve("corrected.model");
        Run fixed = Run.main("learn", "--ham", "--model", corrected.toString(), msg.toString());
        assertThat(fixed.status()).as(fixed.err()).isZero();
        Matcher m = Pattern.compile(
                        "learned 1 message\\(s\\) as ham (\\d+) time\\(s\\) in all \\(each until scored below 0.5\\)")
                .matcher(fixed.out());
        assertThat(m.find()).as(fixed.out()).isTrue();
        int times = Integer.parseInt(m.group(1));
        assertThat(times).isBetween(2, BayesModels.MAX_CORRECTION_LEARNINGS);
        assertThat(score(corrected, msg)).isLessThanOrEqualTo(BayesModels.CORRECTED_HAM_SCORE);
        // a model learned on top of the default keeps its threshold, file or not
        Run scan = Run.main("scan", "--json", "--bayes", corrected.toString(), msg.toString());
        assertThat(scan.out()).contains("\"threshold\":" + BayesModels.DEFAULT_MODEL_THRESHOLD);
        assertThat(BayesModel.load(corrected).hamMessages())
                .isEqualTo(BayesModels.loadDefault().hamMessages() + times);
    }

    @Test
    void aCorrectionMovesTheLogisticPartTooAndSpamIsLearnedUpToItsTarget(@TempDir Path dir) throws Exception {
        // generated spam of the kind the default model learned 600 of: its tokens' counts hardly move, so before the
        // logistic part a release as ham stopped early, out of reach; now each learning also moves the weights of its
        // tokens (correction tokens), and the release takes effect
        Path msg = dir.resolve("spam.eml");
        Files.write(msg, SyntheticCorpus.seeded(5).generate(1, true).get(0).bytes());
        Path model = dir.resolve("m.model");
        assertThat(BayesModels.scanner(BayesModels.DEFAULT)
                        .judge(Message.of(Files.readAllBytes(msg)))
                        .classification()
                        .score())
                .isGreaterThan(BayesModels.DEFAULT_MODEL_THRESHOLD);
        Run run = Run.main("learn", "--ham", "--model", model.toString(), msg.toString());
        assertThat(run.status()).as(run.err()).isZero();
        Matcher learned = Pattern.compile("as ham (\\d+) time\\(s\\) in all").matcher(run.out());
        assertThat(learned.find()).as(run.out()).isTrue();
        int asHam = Integer.parseInt(learned.group(1));
        assertThat(asHam).isBetween(1, BayesModels.MAX_CORRECTION_LEARNINGS);
        assertThat(run.err()).isEmpty();
        assertThat(score(model, msg)).isLessThan(BayesModels.CORRECTED_HAM_SCORE);
        assertThat(BayesModel.load(model).hamMessages())
                .isEqualTo(BayesModels.loadDefault().hamMessages() + asHam);
        // (a model without a logistic part whose counts cannot move far enough stops early: ModelTrainerTest)

        // spam is learned up to 0.9 (the GTUBE sample scores below it at first), as many times as the output says
        Path spam = dir.resolve("gtube.eml");
        Files.write(spam, SampleMessages.gtube());
        assertThat(score(model, spam)).isLessThan(BayesModels.CORRECTED_SPAM_SCORE);
        long spamBefore = BayesModel.load(model).spamMessages();
        Run reported = Run.main("learn", "--spam", "--model", model.toString(), spam.toString());
        assertThat(reported.status()).as(reported.err()).isZero();
        Matcher n = Pattern.compile("as spam (\\d+) time\\(s\\) in all \\(each until scored at least 0.9\\)")
                .matcher(reported.out());
        assertThat(n.find()).as(reported.out()).isTrue();
        int times = Integer.parseInt(n.group(1));
        assertThat(times).isBetween(2, BayesModels.MAX_CORRECTION_LEARNINGS);
        assertThat(BayesModel.load(model).spamMessages()).isEqualTo(spamBefore + times);
        assertThat(reported.err()).isEmpty();

        // a message of one empty line has one token every message has: its score cannot move, so it is learned once
        // (an empty input is refused: no message at all)
        Run empty = Run.mainWithStdin(
                "\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                "learn",
                "--spam",
                "--model",
                model.toString(),
                "-");
        assertThat(empty.status()).as(empty.err()).isZero();
        assertThat(empty.out()).contains("as spam 1 time(s) in all");
        assertThat(empty.err()).contains("1 message(s) still score below 0.9");
        assertThat(score(model, spam)).isGreaterThanOrEqualTo(BayesModels.CORRECTED_SPAM_SCORE);
    }

    @Test
    void aScanWithTheClustersRedisExplainsTheNodesVerdictAfterAClusterCorrection(@TempDir Path dir) throws Exception {
        // hygiene scan --json read the model file alone: after hygiene learn --redis its score and token counts were
        // not the nodes' (the message still flagged, "seen in ... ham" without the cluster's learnings)
        Path msg = dir.resolve("flagged.eml");
        Files.writeString(msg, PAYMENT_MAIL);
        try (RealRedis redis = RealRedis.start(
                RealBinaries.require("redis-server", "redis-server"), dir.resolve("redis"), List.of())) {
            Run fixed = Run.main("learn", "--ham", "--redis", redis.url(), "--redis-model", "site", msg.toString());
            assertThat(fixed.status()).as(fixed.err()).isZero();

            Run alone = Run.main("scan", "--json", "--bayes", "default", msg.toString());
            Run nodes = Run.main(
                    "scan",
                    "--json",
                    "--bayes",
                    "default",
                    "--redis",
                    redis.url(),
                    "--redis-model",
                    "site",
                    msg.toString());
            assertThat(nodes.status()).as(nodes.err()).isZero();
            // what a node classifies with: the default model plus what the cluster learned
            BayesModel node = BayesModels.loadDefault();
            try (SharedState state = SharedStates.open(new URI(redis.url()), Duration.ofSeconds(10));
                    SharedModelSync sync = new SharedModelSync(node, "site", state.tokens())) {
                sync.refresh();
            }
            Set<String> tokens = Tokenizer.create().tokenize(MessageContent.ofBytes(Files.readAllBytes(msg)));
            double nodeScore = node.classify(tokens).score();
            assertThat(nodeScore).isLessThan(BayesModels.CORRECTED_HAM_SCORE);
            assertThat(jsonScore(nodes.out())).as(nodes.out()).isLessThan(BayesModels.CORRECTED_HAM_SCORE);
            assertThat(jsonScore(alone.out())).as(alone.out()).isGreaterThanOrEqualTo(BayesModels.CORRECTED_HAM_SCORE);
            // the explanation's counts are the nodes' model's
            Matcher seen = Pattern.compile(
                            "\"name\":\"([^\"]+)\",\"score\":[^}]*?\"description\":\"seen in (\\d+) spam and (\\d+) ham")
                    .matcher(nodes.out());
            assertThat(seen.find()).as(nodes.out()).isTrue();
            TokenEvidence counts = node.evidence(seen.group(1));
            assertThat(seen.group(2) + "/" + seen.group(3)).isEqualTo(counts.spamCount() + "/" + counts.hamCount());

            Run wrong = Run.main("scan", "--redis", redis.url(), "--builtin", msg.toString());
            assertThat(wrong.status()).isEqualTo(2);
            assertThat(wrong.err()).contains("--redis goes with --bayes");
        }
    }

    private static double jsonScore(String json) {
        Matcher m = Pattern.compile("\"score\":\\s*([0-9.Ee-]+)").matcher(json);
        assertThat(m.find()).as(json).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void aClusterCorrectionIsLearnedUntilTheNodesModelAgrees(@TempDir Path dir) throws Exception {
        Path msg = dir.resolve("flagged.eml");
        Files.writeString(msg, PAYMENT_MAIL);
        try (RealRedis redis = RealRedis.start(
                RealBinaries.require("redis-server", "redis-server"), dir.resolve("redis"), List.of())) {
            Run fixed = Run.main("learn", "--ham", "--redis", redis.url(), msg.toString());
            assertThat(fixed.status()).as(fixed.err()).isZero();
            Matcher m = Pattern.compile("learned 1 message\\(s\\) as ham (\\d+) time\\(s\\) in all \\(each until"
                            + " scored below 0.5 by the base model default plus what the cluster learned\\) for every"
                            + " node using it")
                    .matcher(fixed.out());
            assertThat(m.find()).as(fixed.out()).isTrue();
            int times = Integer.parseInt(m.group(1));
            assertThat(times).isBetween(2, BayesModels.MAX_CORRECTION_LEARNINGS);

            // a node: the default model plus what the cluster learned no longer flags it
            Set<String> tokens = Tokenizer.create().tokenize(MessageContent.ofBytes(Files.readAllBytes(msg)));
            try (SharedState state = SharedStates.open(new URI(redis.url()), Duration.ofSeconds(10))) {
                BayesModel node = BayesModels.loadDefault();
                long hamBefore = node.hamMessages();
                try (SharedModelSync sync = new SharedModelSync(node, "bayes", state.tokens())) {
                    sync.refresh();
                }
                assertThat(node.hamMessages()).isEqualTo(hamBefore + times);
                assertThat(node.classify(tokens).score()).isLessThan(BayesModels.CORRECTED_HAM_SCORE);
            }

            // learned again: the cluster's journal has it and the cluster agrees, so not again
            Run again = Run.main("learn", "--ham", "--redis", redis.url(), msg.toString());
            assertThat(again.out())
                    .contains("learned 0 message(s) as ham for every node using it; 1 already learned as ham: not"
                            + " again");
            // the other label undoes the learnings first; --once is once
            Run once = Run.main("learn", "--spam", "--once", "--redis", redis.url(), msg.toString());
            assertThat(once.out())
                    .contains("learned 1 message(s) as spam for every node using it; 1 of them was learned as ham"
                            + " before: undone first");
            try (SharedState state = SharedStates.open(new URI(redis.url()), Duration.ofSeconds(10))) {
                BayesModel node = BayesModels.loadDefault();
                long hamBefore = node.hamMessages();
                long spamBefore = node.spamMessages();
                try (SharedModelSync sync = new SharedModelSync(node, "bayes", state.tokens())) {
                    sync.refresh();
                }
                assertThat(node.hamMessages()).isEqualTo(hamBefore);
                assertThat(node.spamMessages()).isEqualTo(spamBefore + 1);
            }

            // a spam report made by mistake, then the release as ham: as if only the release had been learned
            Path other = dir.resolve("other.eml");
            Files.writeString(other, PAYMENT_MAIL.replace("payment details", "bank details"));
            assertThat(Run.main("learn", "--spam", "--redis", redis.url(), "--redis-model", "wrong", msg.toString())
                            .status())
                    .isZero();
            for (String model : List.of("wrong", "right")) {
                Run r = Run.main(
                        "learn",
                        "--ham",
                        "--redis",
                        redis.url(),
                        "--redis-model",
                        model,
                        msg.toString(),
                        other.toString());
                assertThat(r.status()).as(r.err()).isZero();
                assertThat(r.out().contains("undone first")).isEqualTo(model.equals("wrong"));
            }
            try (SharedState state = SharedStates.open(new URI(redis.url()), Duration.ofSeconds(10))) {
                TokenStore.Snapshot wrong = state.tokens().snapshot("wrong");
                TokenStore.Snapshot right = state.tokens().snapshot("right");
                assertThat(wrong.spamMessages()).isZero();
                assertThat(wrong.hamMessages()).isEqualTo(right.hamMessages()).isPositive();
                assertThat(wrong.tokens().keySet()).isEqualTo(right.tokens().keySet());
                right.tokens()
                        .forEach((t, c) ->
                                assertThat(wrong.tokens().get(t)).as(t).containsExactly(c));
            }

            // the base is the nodes' model: a missing file is an error
            Path none = dir.resolve("none.model");
            Run missing = Run.main("learn", "--ham", "--base", none.toString(), "--redis", redis.url(), msg.toString());
            assertThat(missing.status()).isEqualTo(2);
            assertThat(missing.err())
                    .isEqualTo(
                            "hygiene learn: --base " + none + ": cannot load the model: " + none + ": no such file\n");
        }
        Run usage = Run.main("learn", "--ham", "--base", "default", "--model", "m", msg.toString());
        assertThat(usage.status()).isEqualTo(2);
        assertThat(usage.err()).contains("--base goes with --redis");
    }

    private static double score(Path model, Path msg) throws Exception {
        return BayesScanner.builder(BayesModel.load(model))
                .build()
                .judge(Message.of(Files.readAllBytes(msg)))
                .classification()
                .score();
    }

    /**
     * A copy that a node delivered, saved from the user's mailbox, carries the node's own trace field, the hops after it
     * and the node's Subject tag: read as a file, it was learned as another message than the one the node classified
     * (a later report of the same message with the other label did not undo it). With {@code --delivered-by} it is
     * learned as the node read it: the same message, to the journal, as the mail the sender sent.
     */
    @Test
    void aDeliveredCopyIsLearnedAsTheNodeReadIt(@TempDir Path dir) throws Exception {
        String sent = "Return-Path: <bob@partner.example>\r\n" + PAYMENT_MAIL;
        String delivered = "Return-Path: <bob@partner.example>\r\n"
                + "Received: from gw.example.org ([10.0.0.2]) by mail.example.org (Postfix) with ESMTP id 7;"
                + " Tue, 1 Dec 2026 10:00:03 +0000\r\n"
                + "Received: from mx.partner.example ([203.0.113.9])\r\n"
                + "\tby edge1.example.org (mail-hygiene) with ESMTP id 00000001\r\n"
                + "\tfor <alice@example.org>; Tue, 1 Dec 2026 10:00:01 +0000\r\n"
                + "X-Spam-Flag: YES\r\n"
                + PAYMENT_MAIL.replace("Subject: Re: invoice", "Subject: [SPAM] Re: invoice");
        Path copy = dir.resolve("delivered.eml");
        Files.writeString(copy, delivered);
        Path original = dir.resolve("sent.eml");
        Files.writeString(original, sent);
        Path model = dir.resolve("site.model");

        // not a copy that node delivered: refused, nothing learned, no model written
        Run other = Run.main(
                "learn", "--ham", "--model", model.toString(), "--delivered-by", "edge2.example.org", copy.toString());
        assertThat(other.status()).isEqualTo(2);
        assertThat(other.err())
                .contains(copy + " has no Received field written by edge2.example.org ('by edge2.example.org'):"
                        + " not a copy that host delivered; its Received fields name mail.example.org,"
                        + " edge1.example.org, top first (give the node's hostname, not its name) (nothing was"
                        + " learned)");
        assertThat(model).doesNotExist();
        // review, session 55: a bad host whose text holds "tag" was blamed on --spam-tag
        Run badHost = Run.main(
                "learn",
                "--ham",
                "--model",
                model.toString(),
                "--delivered-by",
                "stage tag",
                "--spam-tag",
                "[S]",
                copy.toString());
        assertThat(badHost.status()).isEqualTo(2);
        assertThat(badHost.err()).contains("--delivered-by: not a host name: 'stage tag'");
        Run badTag = Run.main(
                "learn",
                "--ham",
                "--model",
                model.toString(),
                "--delivered-by",
                "edge1.example.org",
                "--spam-tag",
                "[S]\r\nBcc: x",
                copy.toString());
        assertThat(badTag.status()).isEqualTo(2);
        assertThat(badTag.err()).contains("--spam-tag: not a Subject tag");
        Run lonelyTag = Run.main("learn", "--ham", "--model", model.toString(), "--spam-tag", "[S]", copy.toString());
        assertThat(lonelyTag.status()).isEqualTo(2);
        assertThat(lonelyTag.err()).contains("--spam-tag goes with --delivered-by");

        Run learned = Run.main(
                "learn", "--ham", "--model", model.toString(), "--delivered-by", "edge1.example.org", copy.toString());
        assertThat(learned.status()).as(learned.err()).isZero();
        assertThat(learned.out()).contains("learned 1 message(s) as ham");
        // the message as sent is the one learned: to the journal a repeated report
        Run again = Run.main("learn", "--ham", "--model", model.toString(), original.toString());
        assertThat(again.status()).as(again.err()).isZero();
        assertThat(again.out()).contains("learned 0 message(s) as ham; 1 already learned as ham: not again;");
        // the copy read as a file (every field, the tag) is another message
        Run asFile = Run.main("learn", "--ham", "--model", model.toString(), copy.toString());
        assertThat(asFile.status()).as(asFile.err()).isZero();
        assertThat(asFile.out()).contains("learned 1 message(s) as ham");
    }

    @Test
    void aRepeatedReportIsANoOpAndAMistakeIsUndoneByItsCorrection(@TempDir Path dir) throws Exception {
        Path msg = dir.resolve("flagged.eml");
        Files.writeString(msg, PAYMENT_MAIL);
        Path model = dir.resolve("site.model");
        BayesModel base = BayesModels.loadDefault();

        // the default model flags it already: counted once, the output says so and does not claim learnings
        Run spam = Run.main("learn", "--spam", "--model", model.toString(), msg.toString());
        assertThat(spam.status()).as(spam.err()).isZero();
        assertThat(spam.out())
                .contains("learned 1 message(s) as spam (new model")
                .contains("; 1 was already scored as spam: counted once, no weight moved;")
                .doesNotContain("time(s)");
        Matcher m = Pattern.compile(" spam (\\d+)\n").matcher(Files.readString(BayesModels.journalFile(model)));
        assertThat(m.find()).isTrue();
        assertThat(m.group(1)).isEqualTo("1");

        Run again = Run.main("learn", "--spam", "--model", model.toString(), msg.toString());
        assertThat(again.status()).as(again.err()).isZero();
        assertThat(again.out())
                .contains("learned 0 message(s) as spam; 1 already learned as spam: not again;")
                .doesNotContain("time(s)");
        assertThat(BayesModel.load(model).spamMessages()).isEqualTo(base.spamMessages() + Integer.parseInt(m.group(1)));

        Run ham = Run.main("learn", "--ham", "--model", model.toString(), msg.toString());
        assertThat(ham.status()).as(ham.err()).isZero();
        assertThat(ham.out()).contains("; 1 of them was learned as spam before: undone first;");
        assertThat(BayesModel.load(model).spamMessages()).isEqualTo(base.spamMessages());
        assertThat(score(model, msg)).isLessThan(BayesModels.CORRECTED_HAM_SCORE);

        // 'train' without --update writes a new model: the old journal goes with the old model
        Path mail = dir.resolve("mail");
        Files.createDirectories(mail);
        Files.writeString(mail.resolve("1.eml"), PAYMENT_MAIL);
        // train takes the model's lock as learn does: while another holder has it, train cannot write the model
        Run update;
        try (java.io.Closeable held = BayesModels.lockModel(model)) {
            Run blocked =
                    Run.main("train", "--quiet", "--update", "--ham", mail.toString(), "--model", model.toString());
            assertThat(blocked.status()).isEqualTo(2); // within one JVM the lock is not shared: refused, not waiting
        }
        update = Run.main("train", "--quiet", "--update", "--ham", mail.toString(), "--model", model.toString());
        assertThat(update.status()).as(update.err()).isZero();
        assertThat(BayesModels.journalFile(model)).exists();
        // --update keeps the journal, bound to the saved file: the ham learning is still known
        assertThat(update.err()).contains("kept 1 record(s) in " + BayesModels.journalFile(model));
        Run known = Run.main("learn", "--ham", "--model", model.toString(), msg.toString());
        assertThat(known.status()).as(known.err()).isZero();
        assertThat(known.out()).contains("1 already learned as ham: not again;");
        // --forget of it with the other label leaves its record: the ham learnings it records are still in the model
        Run other = Run.main("train", "--quiet", "--forget", "--spam", mail.toString(), "--model", model.toString());
        assertThat(other.status()).as(other.err()).isZero();
        assertThat(other.err()).contains("kept 1 record(s)").doesNotContain("left it");
        Matcher recorded = Pattern.compile(" ham (\\d+)\n").matcher(Files.readString(BayesModels.journalFile(model)));
        assertThat(recorded.find()).isTrue();
        // --forget of that very message as often as it was learned takes it out of the journal: a later correction
        // undoes nothing
        Run forgot = Run.main(
                "train",
                "--quiet",
                "--forget",
                "--weight",
                recorded.group(1),
                "--ham",
                mail.toString(),
                "--model",
                model.toString());
        assertThat(forgot.status()).as(forgot.err()).isZero();
        assertThat(forgot.err()).contains("kept 0 record(s)").contains("1 forgotten message(s) left it");
        long spamBefore = BayesModel.load(model).spamMessages();
        Run fresh = Run.main("learn", "--spam", "--once", "--model", model.toString(), msg.toString());
        assertThat(fresh.status()).as(fresh.err()).isZero();
        assertThat(fresh.out()).doesNotContain("undone first").doesNotContain("already learned");
        assertThat(BayesModel.load(model).spamMessages()).isEqualTo(spamBefore + 1);
        Run train = Run.main(
                "train", "--quiet", "--spam", mail.toString(), "--ham", mail.toString(), "--model", model.toString());
        assertThat(train.status()).as(train.err()).isZero();
        assertThat(train.err()).contains("deleted " + BayesModels.journalFile(model));
        assertThat(BayesModels.journalFile(model)).doesNotExist();
    }

    @Test
    void trainForgetOfWhatLearnLearnedTakesItsWeightCorrectionsToo(@TempDir Path dir) throws Exception {
        // released as ham (the default model flags it): learned until the model agrees, counts and correction tokens
        Path msg = dir.resolve("flagged.eml");
        Files.writeString(msg, PAYMENT_MAIL);
        Path mail = dir.resolve("mail");
        Files.createDirectories(mail);
        Files.writeString(mail.resolve("1.eml"), PAYMENT_MAIL);
        Path model = dir.resolve("site.model");
        Run learn = Run.main("learn", "--ham", "--model", model.toString(), msg.toString());
        assertThat(learn.status()).as(learn.err()).isZero();
        Matcher times = Pattern.compile(" ham (\\d+)\n").matcher(Files.readString(BayesModels.journalFile(model)));
        assertThat(times.find()).isTrue();
        Set<String> tokens = Tokenizer.create()
                .tokenize(MessageContent.ofString(PAYMENT_MAIL, java.nio.charset.StandardCharsets.US_ASCII));
        String correction = BayesModels.loadDefault().correctionTokens(tokens).stream()
                .filter(t -> !tokens.contains(t))
                .findFirst()
                .orElseThrow();
        assertThat(BayesModel.load(model).evidence(correction).hamCount())
                .isEqualTo(
                        BayesModels.loadDefault().evidence(correction).hamCount() + Integer.parseInt(times.group(1)));

        // forgotten as often as it was learned: the model is the default model again, corrections and all
        Run forgot = Run.main(
                "train",
                "--quiet",
                "--forget",
                "--weight",
                times.group(1),
                "--ham",
                mail.toString(),
                "--model",
                model.toString());
        assertThat(forgot.status()).as(forgot.err()).isZero();
        Path expected = dir.resolve("default.model");
        BayesModels.loadDefault().save(expected);
        assertThat(Files.readAllBytes(model)).isEqualTo(Files.readAllBytes(expected));

        // reported as spam, as the model already judges it: counted once without correction tokens, and forgotten so
        Run counted = Run.main("learn", "--spam", "--model", model.toString(), msg.toString());
        assertThat(counted.status()).as(counted.err()).isZero();
        assertThat(counted.out()).contains("1 was already scored as spam: counted once, no weight moved");
        assertThat(BayesModel.load(model).evidence(correction).spamCount())
                .isEqualTo(BayesModels.loadDefault().evidence(correction).spamCount());
        Run forgotCounted =
                Run.main("train", "--quiet", "--forget", "--spam", mail.toString(), "--model", model.toString());
        assertThat(forgotCounted.status()).as(forgotCounted.err()).isZero();
        assertThat(Files.readAllBytes(model)).isEqualTo(Files.readAllBytes(expected));
    }

    @Test
    void trainUpdateRefusesAMalformedJournalAndChangesNothing(@TempDir Path dir) throws Exception {
        Path msg = dir.resolve("flagged.eml");
        Files.writeString(msg, PAYMENT_MAIL);
        Path model = dir.resolve("site.model");
        assertThat(Run.main("learn", "--spam", "--once", "--model", model.toString(), msg.toString())
                        .status())
                .isZero();
        Path journal = BayesModels.journalFile(model);
        Files.writeString(journal, Files.readString(journal) + "not a line\n");
        byte[] before = Files.readAllBytes(model);
        String journalBefore = Files.readString(journal);
        for (String flag : List.of("--update", "--forget")) {
            Run train = Run.main("train", "--quiet", flag, "--ham", msg.toString(), "--model", model.toString());
            assertThat(train.status()).as(train.err()).isEqualTo(2);
            assertThat(train.err()).contains(journal + ":4: expected 'KEY spam|ham TIMES'");
            assertThat(Files.readAllBytes(model)).isEqualTo(before);
            assertThat(Files.readString(journal)).isEqualTo(journalBefore);
        }
    }

    @Test
    void usageErrorsAndAMissingFileChangeNothing(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("m.model");
        assertThat(Run.main("learn", "--model", model.toString(), "x").err()).contains("say --spam or --ham");
        assertThat(Run.main("learn", "--spam", "x").err())
                .contains("give exactly one of --model MODEL and --redis URL");
        assertThat(Run.main("learn", "--spam", "--ham", "--model", "m", "x").err())
                .contains("exclude each other");
        assertThat(Run.main("learn", "--spam", "--model", "m").err()).contains("at least one message FILE");
        Run missing = Run.main(
                "learn",
                "--spam",
                "--model",
                model.toString(),
                dir.resolve("none.eml").toString());
        assertThat(missing.status()).isEqualTo(2);
        assertThat(Files.exists(model)).isFalse();
    }

    @Test
    void aMessageTheModelStillDisagreesWithIsNamedInTheWarning(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("site.model");
        Path spam = dir.resolve("gtube.eml");
        Files.write(spam, SampleMessages.gtube());
        // nothing to learn from: no learning moves its score
        Path blank = dir.resolve("blank.eml");
        Files.writeString(blank, "\r\n");
        Run r = Run.main("learn", "--spam", "--model", model.toString(), spam.toString(), blank.toString());
        assertThat(r.status()).as(r.err()).isZero();
        // was "1 message(s) still score below 0.9: the model's ..." without saying which
        assertThat(r.err())
                .startsWith("hygiene learn: 1 message(s) still score below 0.9: " + blank + "; the model's other"
                        + " evidence outweighs them")
                .doesNotContain(spam.toString());
    }

    @Test
    void defaultIsNotAModelFileToLearnInto(@TempDir Path dir) throws Exception {
        Path msg = dir.resolve("clean.eml");
        Files.write(msg, SampleMessages.clean());
        // was: a file named 'default' in the working directory, learned into, that scan --bayes default and a node's
        // bayes:default never read (they mean the shipped model)
        for (Run r : List.of(
                Run.main("learn", "--spam", "--model", "default", msg.toString()),
                Run.main("train", "--update", "--model", "default", "--spam", dir.toString()),
                Run.main("quarantine", "release", "--data", dir.toString(), "--learn-ham", "default", "X"))) {
            assertThat(r.status()).isEqualTo(2);
            assertThat(r.err()).contains("default: 'default' is the shipped model, which is not changed");
        }
        assertThat(java.nio.file.Path.of("default")).doesNotExist();
    }

    @Test
    void aModelUnderAFileIsNamedByTheFileThatIsNoDirectory(@TempDir Path dir) throws Exception {
        Path msg = dir.resolve("clean.eml");
        Files.write(msg, SampleMessages.clean());
        Path notes = Files.writeString(dir.resolve("notes"), "not a directory");
        Path model = notes.resolve("site.model");
        Run r = Run.main("learn", "--ham", "--model", model.toString(), msg.toString());
        assertThat(r.status()).isEqualTo(2);
        // was "hygiene learn: .../notes/site.model.lock: Not a directory", naming a lock file nobody gave
        assertThat(r.err())
                .isEqualTo("hygiene learn: " + notes.toAbsolutePath()
                        + ": not a directory (for the model file site.model); nothing was changed\n");
        assertThat(Files.readString(notes)).isEqualTo("not a directory");
    }

    @Test
    void aDirectoryWhereTheJournalShouldBeIsNamedAndNothingChanges(@TempDir Path dir) throws Exception {
        Path msg = dir.resolve("clean.eml");
        Files.write(msg, SampleMessages.clean());
        Path model = dir.resolve("site.model");
        assertThat(Run.main("learn", "--spam", "--once", "--model", model.toString(), msg.toString())
                        .status())
                .isZero();
        byte[] before = Files.readAllBytes(model);
        Path journal = dir.resolve("site.model.learned");
        Files.delete(journal);
        Files.createDirectory(journal);
        // was "hygiene learn: Is a directory" (and the same from train --update), naming no file
        Run learn = Run.main("learn", "--ham", "--model", model.toString(), msg.toString());
        assertThat(learn.status()).isEqualTo(2);
        assertThat(learn.err())
                .isEqualTo("hygiene learn: " + journal.toAbsolutePath()
                        + ": a directory, not a learn journal (move it away); nothing was changed\n");
        Run update = Run.main("train", "--quiet", "--update", "--model", model.toString(), "--ham", msg.toString());
        assertThat(update.status()).isEqualTo(2);
        assertThat(update.err()).contains(journal.toAbsolutePath() + ": a directory, not a learn journal");
        assertThat(Files.readAllBytes(model)).isEqualTo(before);
        // a new model is saved all the same; what is in the way is named once, with the reason (was "could not
        // delete PATH (PATH)")
        Files.writeString(journal.resolve("notes"), "kept");
        Path spam = dir.resolve("gtube.eml");
        Files.write(spam, SampleMessages.gtube());
        Run fresh = Run.main(
                "train", "--quiet", "--model", model.toString(), "--ham", msg.toString(), "--spam", spam.toString());
        assertThat(fresh.status()).as(fresh.err()).isZero();
        assertThat(fresh.err())
                .isEqualTo("hygiene train: could not delete the learn journal (" + journal.toAbsolutePath()
                        + ": directory not empty); it no longer matches the model and will be ignored\n");
    }

    @Test
    void anMboxOfSeveralMessagesIsRefusedAndOneWithItsEnvelopeLineIsLearned(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("site.model");
        byte[] clean = SampleMessages.clean();
        byte[] gtube = SampleMessages.gtube();
        java.io.ByteArrayOutputStream box = new java.io.ByteArrayOutputStream();
        for (byte[] m : List.of(clean, gtube)) {
            box.write("From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n"
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            box.write(m);
            box.write('\n');
        }
        Path mbox = Files.write(dir.resolve("spam.mbox"), box.toByteArray());
        // was "learned 1 message(s) as spam": both messages' tokens counted as one spam message
        Run file = Run.main("learn", "--spam", "--model", model.toString(), mbox.toString());
        assertThat(file.status()).isEqualTo(2);
        assertThat(file.err())
                .isEqualTo("hygiene learn: " + mbox + " is an mbox of 2 messages: learn takes one message per file;"
                        + " for an mbox use hygiene train --update (nothing was learned)\n");
        Run stdin = Run.mainWithStdin(box.toByteArray(), "learn", "--spam", "--model", model.toString(), "-");
        assertThat(stdin.status()).isEqualTo(2);
        assertThat(stdin.err()).startsWith("hygiene learn: standard input is an mbox of 2 messages");
        assertThat(model).doesNotExist();
        // one message saved with its envelope line is one message
        java.io.ByteArrayOutputStream single1 = new java.io.ByteArrayOutputStream();
        single1.write(
                "From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        single1.write(clean);
        Path one = Files.write(dir.resolve("one.mbox"), single1.toByteArray());
        assertThat(org.mailhygiene.scanners.bayes.MailSources.messagesIn(Files.readAllBytes(one)))
                .isEqualTo(1);
        Run single = Run.main("learn", "--ham", "--once", "--model", model.toString(), one.toString());
        assertThat(single.status()).as(single.err()).isZero();
        assertThat(single.out()).contains("learned 1 message(s) as ham");
    }

    @Test
    // not a measure of speed: without the notice the learner says nothing until the lock is free, and this fails
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aLearnerThatWaitsForAnotherOnesLockSaysSo(@TempDir Path dir) throws Exception {
        Path msg = dir.resolve("clean.eml");
        Files.write(msg, SampleMessages.clean());
        Path model = dir.resolve("site.model");
        assertThat(Run.main("learn", "--spam", "--once", "--model", model.toString(), msg.toString())
                        .status())
                .isZero();
        Process learner;
        String first;
        // this JVM holds the lock as a long train --update would; the learner is another process
        try (java.io.Closeable held = BayesModels.lockModel(model)) {
            learner = MainProcess.of("learn", "--ham", "--once", "--model", model.toString(), msg.toString())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            // was: nothing at all until the lock was free (up to 5 minutes), as if hung
            first = new java.io.BufferedReader(new java.io.InputStreamReader(
                            learner.getErrorStream(), java.nio.charset.StandardCharsets.UTF_8))
                    .readLine();
        }
        assertThat(first)
                .isEqualTo("hygiene learn: waiting for site.model.lock: another hygiene learn, train or quarantine is"
                        + " changing the model (at most 5 minutes)");
        assertThat(learner.waitFor()).isZero();
        assertThat(BayesModel.load(model).hamMessages())
                .isEqualTo(BayesModels.loadDefault().hamMessages() + 1);
    }

    @Test
    void aFileThatCannotBeReadIsNamedWithWhatWentWrong(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("m.model");
        Path none = dir.resolve("none.eml");
        Run missing = Run.main("learn", "--spam", "--model", model.toString(), none.toString());
        assertThat(missing.status()).isEqualTo(2);
        // not the bare path the JDK's exception carries
        assertThat(missing.err()).isEqualTo("hygiene learn: " + none + ": no such file (nothing was learned)\n");
        Path folder = Files.createDirectory(dir.resolve("folder"));
        Run directory = Run.main("learn", "--spam", "--model", model.toString(), folder.toString());
        assertThat(directory.status()).isEqualTo(2);
        assertThat(directory.err())
                .isEqualTo("hygiene learn: " + folder + " is a directory: learn takes message files; for a directory,"
                        + " Maildir or mbox use hygiene train --update (nothing was learned)\n");
        assertThat(Files.exists(model)).isFalse();
        // an empty file or input is no message: learned, it counted as one more spam
        Path empty = Files.createFile(dir.resolve("empty.eml"));
        Run nothing = Run.main("learn", "--spam", "--model", model.toString(), empty.toString());
        assertThat(nothing.status()).isEqualTo(2);
        assertThat(nothing.err())
                .isEqualTo("hygiene learn: " + empty + " is empty, not a message (nothing was learned)\n");
        Run noInput = Run.mainWithStdin(new byte[0], "learn", "--spam", "--model", model.toString(), "-");
        assertThat(noInput.status()).isEqualTo(2);
        assertThat(noInput.err()).contains("standard input is empty");
        assertThat(Files.exists(model)).isFalse();
        // nor is an mbox envelope line without a message (it was learned, and counted as one more spam)
        Path envelope = Files.writeString(dir.resolve("cut.mbox"), "From a@example.org Tue Dec  1 10:00:00 2026\n\n");
        Run cut = Run.main("learn", "--spam", "--model", model.toString(), envelope.toString());
        assertThat(cut.status()).isEqualTo(2);
        assertThat(cut.err())
                .isEqualTo("hygiene learn: " + envelope + " is an mbox envelope line without a message, not a message"
                        + " (nothing was learned)\n");
        Run cutInput = Run.mainWithStdin(
                "From a@example.org Tue Dec  1 10:00:00 2026\n".getBytes(StandardCharsets.US_ASCII),
                "learn",
                "--spam",
                "--model",
                model.toString(),
                "-");
        assertThat(cutInput.status()).isEqualTo(2);
        assertThat(cutInput.err()).contains("standard input is an mbox envelope line without a message");
        assertThat(Files.exists(model)).isFalse();
        // a model file that is not one is named too, with the problem
        Files.writeString(model, "not a model");
        Path msg = dir.resolve("clean.eml");
        Files.write(msg, SampleMessages.clean());
        Run broken = Run.main("learn", "--spam", "--model", model.toString(), msg.toString());
        assertThat(broken.status()).isEqualTo(2);
        assertThat(broken.err()).contains(model.getFileName().toString()).contains("not a Mail Hygiene Bayes model");
    }

    @Test
    void aCorrectionSomeoneElseMadeMeanwhileIsNotReportedAsUndoneHere(@TempDir Path dir) throws Exception {
        Path msg = dir.resolve("msg.eml");
        Files.writeString(msg, PAYMENT_MAIL);
        Set<String> bare = Tokenizer.create().tokenize(MessageContent.ofBytes(Files.readAllBytes(msg)));
        Set<String> tokens = BayesModels.load("default").correctionTokens(bare);
        String key = BayesModels.journalKey(tokens); // the tokens it is learned with
        String model = "racing-" + System.nanoTime();
        // learned as spam by mistake; the other learner forgets that between this learner's read and its own unlearn
        assertThat(RacingSharedStateProvider.STORE.tokens().learn(model, key, tokens, true))
                .isTrue();
        Run r = Run.main(
                "learn", "--ham", "--once", "--redis", "racing-test://x", "--redis-model", model, msg.toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).doesNotContain("undone first");
        assertThat(RacingSharedStateProvider.STORE.tokens().learned(model, key))
                .contains(new TokenStore.Learned(false, 1));
    }

    @Test
    void aClusterLearningMadeWithAnotherBaseIsNotUndoneWithThisOnesTokens(@TempDir Path dir) throws Exception {
        Path msg = dir.resolve("msg.eml");
        Files.writeString(msg, PAYMENT_MAIL);
        // another base: a model of the generated corpus, without the default model's logistic part
        assertThat(Run.main("corpus", "--count", "12", dir.resolve("c").toString())
                        .status())
                .isZero();
        Path other = dir.resolve("other.model");
        assertThat(Run.main(
                                "train",
                                "--quiet",
                                "--spam",
                                dir.resolve("c/spam").toString(),
                                "--ham",
                                dir.resolve("c/ham").toString(),
                                "--model",
                                other.toString())
                        .status())
                .isZero();
        try (RealRedis redis = RealRedis.start(
                RealBinaries.require("redis-server", "redis-server"), dir.resolve("redis"), List.of())) {
            // released as ham (the default model flags it): learned with the default model's correction tokens
            Run wrong = Run.main("learn", "--ham", "--once", "--redis", redis.url(), msg.toString());
            assertThat(wrong.status()).as(wrong.err()).isZero();
            TokenStore.Snapshot before;
            try (SharedState state = SharedStates.open(new URI(redis.url()), Duration.ofSeconds(10))) {
                before = state.tokens().snapshot("bayes");
            }
            // the spam report judged with the other base: its tokens are not the ones learned, so nothing is taken
            // out (taking these out would leave the default model's correction tokens counted as ham, and subtract
            // from other messages' counts); it is learned as a new message
            Run fixed = Run.main(
                    "learn", "--spam", "--once", "--base", other.toString(), "--redis", redis.url(), msg.toString());
            assertThat(fixed.status()).as(fixed.err()).isZero();
            assertThat(fixed.out()).doesNotContain("undone first");
            try (SharedState state = SharedStates.open(new URI(redis.url()), Duration.ofSeconds(10))) {
                TokenStore.Snapshot after = state.tokens().snapshot("bayes");
                assertThat(after.spamMessages()).isEqualTo(1);
                assertThat(after.hamMessages()).isEqualTo(1);
                before.tokens()
                        .forEach((t, c) ->
                                assertThat(after.tokens().get(t)[1]).as(t).isEqualTo(c[1]));
            }

            // a learning of the counts alone counted the message's own tokens, which no base changes: it is undone
            // whichever base judges the correction
            Path note = dir.resolve("note.eml");
            Files.write(note, SampleMessages.clean());
            Run counted = Run.main("learn", "--ham", "--redis", redis.url(), "--redis-model", "n", note.toString());
            assertThat(counted.out()).as(counted.err()).contains("counted once, no weight moved");
            Run undone = Run.main(
                    "learn",
                    "--spam",
                    "--once",
                    "--base",
                    other.toString(),
                    "--redis",
                    redis.url(),
                    "--redis-model",
                    "n",
                    note.toString());
            assertThat(undone.out()).as(undone.err()).contains("undone first");
            try (SharedState state = SharedStates.open(new URI(redis.url()), Duration.ofSeconds(10))) {
                TokenStore.Snapshot n = state.tokens().snapshot("n");
                assertThat(n.hamMessages()).isZero();
                assertThat(n.tokens().values()).allMatch(c -> c[1] == 0);
            }
        }
    }
}
