package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.scanners.bayes.MailSources;
import org.mailhygiene.testkit.corpus.SyntheticCorpus;

class TrainEvalCommandTest {

    private static void write(Path dir, List<SyntheticCorpus.Sample> samples) throws Exception {
        Files.createDirectories(dir);
        int i = 0;
        for (SyntheticCorpus.Sample s : samples) {
            Files.write(dir.resolve(String.format("%05d.eml", i++)), s.bytes());
        }
    }

    @Test
    void evalOfASourceHoldingNoMessageIsAnErrorNotAnEmptyMeasurement(@TempDir Path dir) throws Exception {
        SyntheticCorpus corpus = SyntheticCorpus.seeded(5);
        write(dir.resolve("ham"), corpus.generate(3, false));
        Path empty = Files.createDirectories(dir.resolve("spam-typo"));
        Run eval = Run.main(
                "eval",
                "--model",
                "default",
                "--spam",
                empty.toString(),
                "--ham",
                dir.resolve("ham").toString());
        assertThat(eval.status()).isEqualTo(Command.EXIT_ERROR);
        assertThat(eval.out()).isEmpty();
        assertThat(eval.err()).contains(empty + ": no messages in it").contains("nothing to measure");
        // leaving a class out is allowed: ham alone is measured
        Run hamOnly = Run.main(
                "eval", "--model", "default", "--ham", dir.resolve("ham").toString());
        assertThat(hamOnly.status()).as(hamOnly.err()).isZero();
        assertThat(hamOnly.outLines()).element(0).isEqualTo("spam caught: 0/0 (n/a)");
        assertThat(hamOnly.outLines())
                .element(1)
                .asString()
                .startsWith("ham flagged: ")
                .contains("/3 ");
    }

    /**
     * A Maildir's own files ({@code dovecot-uidlist}, {@code subscriptions}) were counted as ham, and a gzip-compressed
     * mbox as one spam message missed: eval said "spam caught: 0/1" of a source holding no readable message, and train
     * learned them. Each is skipped and said on standard error.
     */
    @Test
    void filesThatAreNotMailAreSkippedAndSaidNotCounted(@TempDir Path dir) throws Exception {
        Path maildir = dir.resolve("Maildir");
        for (String d : List.of("cur", "new", "tmp")) {
            Files.createDirectories(maildir.resolve(d));
        }
        write(maildir.resolve("cur"), SyntheticCorpus.seeded(5).generate(2, false));
        Files.writeString(maildir.resolve("dovecot-uidlist"), "3 V1700000000 N3 G0123456789abcdef\n1 :00000.eml\n");
        Files.writeString(maildir.resolve("subscriptions"), "V\t2\n\nJunk\n");
        java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gz)) {
            out.write("From a@example.org Mon Dec  1 10:00:00 2003\n"
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.write(SyntheticCorpus.seeded(6).generate(1, true).get(0).bytes());
        }
        Path spam = Files.write(dir.resolve("spam.mbox.gz"), gz.toByteArray());
        Run eval = Run.main("eval", "--model", "default", "--ham", maildir.toString(), "--spam", spam.toString());
        // the spam source holds no message it can read: an error, not "0/1 caught" (nor "0/0 (n/a)" and exit 0)
        assertThat(eval.status()).isEqualTo(Command.EXIT_ERROR);
        assertThat(eval.out()).isEmpty();
        assertThat(eval.err())
                .contains("skipped " + spam + ": gzip-compressed, not a message (decompress it first)")
                .contains(spam + ": no message in it that could be read (1 skipped, see above): nothing to measure");
        Run hamOnly = Run.main("eval", "--model", "default", "--ham", maildir.toString());
        assertThat(hamOnly.status()).as(hamOnly.err()).isZero();
        assertThat(hamOnly.err())
                .contains("skipped " + maildir.resolve("dovecot-uidlist") + ": not a mail message")
                .contains("skipped " + maildir.resolve("subscriptions") + ": not a mail message");
        // a name with a line break stays on its skipped line (it broke the line in two)
        Files.writeString(maildir.resolve("cur").resolve("odd\nname"), "not mail\n");
        Run odd = Run.main("eval", "--model", "default", "--ham", maildir.toString());
        assertThat(odd.err().lines().filter(l -> l.contains("odd")))
                .containsExactly(
                        "hygiene eval: skipped " + maildir.resolve("cur") + "/odd?name: " + MailSources.NOT_MAIL);
        assertThat(hamOnly.outLines())
                .element(1)
                .asString()
                .startsWith("ham flagged: ")
                .contains("/2 ");
        Path model = dir.resolve("m.model");
        Run train = Run.main(
                "train",
                "--quiet",
                "--spam",
                spam.toString(),
                "--ham",
                maildir.toString(),
                "--model",
                model.toString());
        // a new file of one class is allowed (learned into later); the compressed mbox is not one spam of binary bytes
        assertThat(train.status()).as(train.err()).isZero();
        assertThat(train.err()).contains("skipped " + spam + ": gzip-compressed");
        assertThat(train.out()).contains(model + ": 0 spam, 2 ham, ");
    }

    @Test
    void evalCountsABrandSpoofAsSpamUnlessTheClassifierAloneIsAskedFor(@TempDir Path dir) throws Exception {
        Path spam = Files.createDirectories(dir.resolve("spam"));
        Files.writeString(
                spam.resolve("spoof.eml"),
                "From: \"Costco Member Services\" <lee@example.org>\r\nTo: pat@example.org\r\n"
                        + "Subject: Your membership renewal\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
                        + "Message-ID: <r1@example.org>\r\n\r\nHi Pat,\r\n\r\nthanks for the notes from Tuesday's"
                        + " meeting. I moved the review to Thursday afternoon.\r\n\r\nBest,\r\nLee\r\n");
        Run with = Run.main("eval", "--model", "default", "--spam", spam.toString());
        assertThat(with.status()).as(with.err()).isZero();
        assertThat(with.outLines()).element(0).isEqualTo("spam caught: 1/1 (100.00%)");
        Run without = Run.main("eval", "--model", "default", "--spam", spam.toString(), "--no-brand-check");
        assertThat(without.status()).as(without.err()).isZero();
        assertThat(without.outLines()).element(0).isEqualTo("spam caught: 0/1 (0.00%)");
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // long by design; see junit-platform.properties
    void trainThenEvalThenScan(@TempDir Path dir) throws Exception {
        SyntheticCorpus train = SyntheticCorpus.seeded(11);
        write(dir.resolve("train/spam"), train.generate(1100, true));
        write(dir.resolve("train/ham"), train.generate(60, false));
        SyntheticCorpus test = SyntheticCorpus.seeded(12);
        write(dir.resolve("test/spam"), test.generate(30, true));
        write(dir.resolve("test/ham"), test.generate(30, false));
        Path model = dir.resolve("model.bin");

        Run trained = Run.main(
                "train",
                "--spam",
                dir.resolve("train/spam").toString(),
                "--ham=" + dir.resolve("train/ham"),
                "--model",
                model.toString());
        assertThat(trained.status()).as(trained.err()).isZero();
        assertThat(trained.out()).contains("1100 spam, 60 ham");
        assertThat(trained.err())
                .contains("learned 1000 messages (1000 spam, 0 ham)")
                .contains("learned 1160 messages (1100 spam, 60 ham)")
                .contains("done with " + dir.resolve("train/ham"));
        assertThat(BayesModel.load(model).spamMessages()).isEqualTo(1100);

        Run eval = Run.main(
                "eval",
                "--model",
                model.toString(),
                "--spam",
                dir.resolve("test/spam").toString(),
                "--ham",
                dir.resolve("test/ham").toString());
        assertThat(eval.status()).as(eval.err()).isZero();
        assertThat(eval.outLines()).element(0).isEqualTo("spam caught: 30/30 (100.00%)");
        assertThat(eval.outLines()).element(1).isEqualTo("ham flagged: 0/30 (0.00%)");
        assertThat(eval.outLines()).element(2).asString().startsWith("threshold 0.7, 60 messages in ");

        Path spamFile = dir.resolve("test/spam/00000.eml");
        Run scan = Run.main("scan", "--bayes", model.toString(), spamFile.toString());
        assertThat(scan.status()).isEqualTo(Command.EXIT_FOUND);
        assertThat(scan.out()).startsWith(spamFile + ": SPAM ").contains("/0.7").contains("BAYES_");

        // --builtin --bayes is the whole embedded set: signatures, attachment policy and the classifier
        Run embedded = Run.main("scan", "--json", "--builtin", "--bayes", model.toString(), spamFile.toString());
        assertThat(embedded.status()).isEqualTo(Command.EXIT_FOUND);
        assertThat(embedded.out())
                .contains("{\"scanner\":\"builtin\",\"outcome\":\"CLEAN\"")
                .contains("{\"scanner\":\"attachments\",\"outcome\":\"CLEAN\"")
                .contains("{\"scanner\":\"bayes\",\"outcome\":\"SPAM\"");

        Run forget = Run.main(
                "train",
                "--forget",
                "--quiet",
                "--ham",
                dir.resolve("test/ham").toString(),
                "--model",
                model.toString());
        assertThat(forget.status()).as(forget.err()).isZero();
        assertThat(forget.err()).isEmpty();
        assertThat(BayesModel.load(model).hamMessages()).isEqualTo(30);

        Run update = Run.main(
                "train",
                "--update",
                "--quiet",
                "--ham",
                dir.resolve("test/ham").toString(),
                "--model",
                model.toString());
        assertThat(update.status()).isZero();
        assertThat(BayesModel.load(model).hamMessages()).isEqualTo(60);
    }

    @Test
    void weightCountsEachMessageOfTheSourcesAfterItAndForgetWithTheSameWeightUndoesIt(@TempDir Path dir)
            throws Exception {
        SyntheticCorpus corpus = SyntheticCorpus.seeded(21);
        write(dir.resolve("old/spam"), corpus.generate(20, true));
        write(dir.resolve("old/ham"), corpus.generate(10, false));
        write(dir.resolve("recent/spam"), corpus.generate(4, true));
        write(dir.resolve("recent/ham"), corpus.generate(2, false));
        Path model = dir.resolve("model.bin");
        Run trained = Run.main(
                "train",
                "--quiet",
                "--spam",
                dir.resolve("old/spam").toString(),
                "--weight",
                "3",
                "--spam",
                dir.resolve("recent/spam").toString(),
                "--ham",
                dir.resolve("recent/ham").toString(),
                "--weight=1",
                "--ham",
                dir.resolve("old/ham").toString(),
                "--model",
                model.toString());
        assertThat(trained.status()).as(trained.err()).isZero();
        assertThat(trained.out()).contains("32 spam, 16 ham");
        BayesModel m = BayesModel.load(model);
        assertThat(m.spamMessages()).isEqualTo(20 + 3 * 4);
        assertThat(m.hamMessages()).isEqualTo(10 + 3 * 2);

        Run forget = Run.main(
                "train",
                "--forget",
                "--quiet",
                "--weight",
                "3",
                "--spam",
                dir.resolve("recent/spam").toString(),
                "--ham",
                dir.resolve("recent/ham").toString(),
                "--model",
                model.toString());
        assertThat(forget.status()).as(forget.err()).isZero();
        Path plain = dir.resolve("plain.bin");
        assertThat(Run.main(
                                "train",
                                "--quiet",
                                "--spam",
                                dir.resolve("old/spam").toString(),
                                "--ham",
                                dir.resolve("old/ham").toString(),
                                "--model",
                                plain.toString())
                        .status())
                .isZero();
        BayesModel after = BayesModel.load(model);
        BayesModel expected = BayesModel.load(plain);
        assertThat(after.spamMessages()).isEqualTo(expected.spamMessages());
        assertThat(after.hamMessages()).isEqualTo(expected.hamMessages());
        assertThat(after.tokenCount()).isEqualTo(expected.tokenCount());
    }

    @Test
    void pruneWeightedKeepsTheTokensTheWeightedSourcesShare(@TempDir Path dir) throws Exception {
        Path old = dir.resolve("old");
        Path recent = dir.resolve("recent");
        Files.createDirectories(old);
        Files.createDirectories(recent);
        for (int i = 0; i < 3; i++) {
            Files.writeString(
                    old.resolve(i + ".eml"),
                    "Subject: offer\r\n\r\ncheap watches" + (i == 0 ? " vintage" : "") + "\r\n");
        }
        Files.writeString(recent.resolve("1.eml"), "Subject: offer\r\n\r\ncheap crypto wallet giveaway\r\n");
        Files.writeString(recent.resolve("2.eml"), "Subject: offer\r\n\r\ncrypto giveaway today\r\n");
        Path pruned = dir.resolve("pruned.model");
        Path kept = dir.resolve("kept.model");
        for (Path model : List.of(pruned, kept)) {
            List<String> args = new java.util.ArrayList<>(List.of(
                    "train",
                    "--quiet",
                    "--spam",
                    old.toString(),
                    "--weight",
                    "3",
                    "--spam",
                    recent.toString(),
                    "--model",
                    model.toString(),
                    "--prune",
                    "3"));
            if (model.equals(kept)) {
                args.addAll(List.of("--prune-weighted", "2"));
            }
            Run run = Run.main(args.toArray(String[]::new));
            assertThat(run.status()).as(run.err()).isZero();
        }
        BayesModel p = BayesModel.load(pruned);
        BayesModel k = BayesModel.load(kept);
        // in two recent messages (6 counts): dropped by --prune 3 alone, kept with --prune-weighted 2
        assertThat(p.evidence("giveaway").spamCount()).isZero();
        assertThat(k.evidence("giveaway").spamCount()).isEqualTo(6);
        assertThat(k.evidence("crypto").spamCount()).isEqualTo(6);
        // one recent message, or one old one: dropped either way; five messages: kept either way
        assertThat(k.evidence("wallet").spamCount()).isZero();
        assertThat(k.evidence("vintage").spamCount()).isZero();
        assertThat(p.evidence("cheap").spamCount())
                .isEqualTo(k.evidence("cheap").spamCount())
                .isEqualTo(6);
        assertThat(k.spamMessages()).isEqualTo(p.spamMessages()).isEqualTo(3 + 2 * 3);
        assertThat(k.tokenCount()).isGreaterThan(p.tokenCount());
    }

    /** Writes DIR/spam/0..2.eml ({@code spam} of the message's number) and DIR/ham/1.eml. */
    private static void threeSpamOneHam(Path dir, java.util.function.IntFunction<String> spam, String ham)
            throws java.io.IOException {
        Path s = Files.createDirectories(dir.resolve("spam"));
        for (int i = 0; i < 3; i++) {
            Files.writeString(s.resolve(i + ".eml"), spam.apply(i));
        }
        Files.writeString(Files.createDirectories(dir.resolve("ham")).resolve("1.eml"), ham);
    }

    @Test
    void dropForgetsTheTokensOfAnExistingModelThatHoldTheText(@TempDir Path dir) throws Exception {
        Path spam = dir.resolve("spam");
        Path ham = dir.resolve("ham");
        threeSpamOneHam(
                dir,
                i -> "Received: from trap.collector.org (trap.collector.org [192.0.2.7]) by mx.collector.org\r\n"
                        + "Subject: Cheap offer\r\n\r\ncheap watches " + i + "\r\n",
                "Subject: minutes\r\n\r\nlunch notes\r\n");
        Path model = dir.resolve("site.model");
        Run trained = Run.main(
                "train", "--quiet", "--spam", spam.toString(), "--ham", ham.toString(), "--model", model.toString());
        assertThat(trained.status()).as(trained.err()).isZero();
        BayesModel before = BayesModel.load(model);
        assertThat(before.evidence("received:collector.org").spamCount()).isEqualTo(3);

        Run drop = Run.main("train", "--update", "--model", model.toString(), "--drop", "collector.org");
        assertThat(drop.status()).as(drop.err()).isZero();
        assertThat(drop.err()).contains("dropped 1 token(s) holding collector.org");
        BayesModel after = BayesModel.load(model);
        assertThat(after.evidence("received:collector.org").spamCount()).isZero();
        assertThat(after.evidence("watches").spamCount()).isEqualTo(3);
        assertThat(after.spamMessages()).isEqualTo(3);
        assertThat(after.tokenCount()).isEqualTo(before.tokenCount() - 1);

        Run noUpdate = Run.main("train", "--model", model.toString(), "--spam", spam.toString(), "--drop", "cheap");
        assertThat(noUpdate.status()).isEqualTo(2);
        assertThat(noUpdate.err()).contains("--drop forgets tokens of an existing model: give --update");
        assertThat(Run.main("train", "--update", "--model", model.toString(), "--drop", "ab")
                        .err())
                .contains("--drop needs at least 3 characters");
        assertThat(Run.main("train", "--update", "--model", model.toString()).err())
                .contains("give at least one --spam or --ham source");
        assertThat(BayesModel.load(model).tokenCount())
                .as("refusals change nothing")
                .isEqualTo(after.tokenCount());
    }

    @Test
    void ignoreLearnsNoTokenContainingTheTextFromAnySourceAndForgetsTheSame(@TempDir Path dir) throws Exception {
        Path spam = dir.resolve("spam");
        Path ham = dir.resolve("ham");
        threeSpamOneHam(
                dir,
                i -> "Subject: Cheap offer\r\n\r\ncheap watches, cheaper at http://trap.collector.example/" + i
                        + "\r\n",
                "Subject: minutes\r\n\r\ncheap lunch\r\n");
        Path plain = dir.resolve("plain.model");
        Path dropped = dir.resolve("dropped.model");
        for (Path model : List.of(plain, dropped)) {
            List<String> args = new java.util.ArrayList<>(List.of(
                    "train",
                    "--quiet",
                    "--spam",
                    spam.toString(),
                    "--ham",
                    ham.toString(),
                    "--model",
                    model.toString()));
            if (model.equals(dropped)) {
                args.addAll(List.of("--ignore", "Collector.Example", "--ignore=cheap"));
            }
            Run run = Run.main(args.toArray(String[]::new));
            assertThat(run.status()).as(run.err()).isZero();
        }
        BayesModel p = BayesModel.load(plain);
        BayesModel d = BayesModel.load(dropped);
        assertThat(p.evidence("url:trap.collector.example").spamCount()).isEqualTo(3);
        assertThat(p.evidence("cheap").spamCount()).isEqualTo(3);
        assertThat(p.evidence("cheap").hamCount()).isEqualTo(1);
        assertThat(p.evidence("url:collector.example").spamCount()).isEqualTo(3);
        assertThat(p.evidence("subject-case:Cheap").spamCount()).isEqualTo(3);
        // a token that holds the text (any case, not inside a longer word) is learned from no source, spam or ham;
        // every other token is
        assertThat(d.evidence("subject-case:Cheap").spamCount()).isZero();
        assertThat(d.evidence("subject:cheap").spamCount()).isZero();
        assertThat(d.evidence("cheaper").spamCount()).isEqualTo(3);
        assertThat(d.evidence("url:trap.collector.example").spamCount()).isZero();
        assertThat(d.evidence("url:collector.example").spamCount()).isZero();
        assertThat(d.evidence("cheap").spamCount()).isZero();
        assertThat(d.evidence("cheap").hamCount()).isZero();
        assertThat(d.evidence("watches").spamCount()).isEqualTo(3);
        assertThat(d.evidence("lunch").hamCount()).isEqualTo(1);
        assertThat(p.evidence("url-tld:example").spamCount())
                .as("a top-level domain reserved for examples gives no token")
                .isZero();
        assertThat(d.spamMessages()).isEqualTo(3);
        assertThat(d.tokenCount()).isEqualTo(p.tokenCount() - 5);

        // forgetting with the same texts undoes the learning exactly
        Run forget = Run.main(
                "train",
                "--forget",
                "--quiet",
                "--spam",
                spam.toString(),
                "--ham",
                ham.toString(),
                "--model",
                dropped.toString(),
                "--ignore",
                "collector.example",
                "--ignore",
                "cheap");
        assertThat(forget.status()).as(forget.err()).isZero();
        BayesModel f = BayesModel.load(dropped);
        assertThat(f.spamMessages()).isZero();
        assertThat(f.evidence("watches").spamCount()).isZero();
        assertThat(f.evidence("lunch").hamCount()).isZero();
        assertThat(f.tokenCount()).isZero();

        assertThat(Run.main("train", "--model", plain.toString(), "--ham", ham.toString(), "--ignore")
                        .err())
                .contains("--ignore needs a value");
        assertThat(Run.main("train", "--model", plain.toString(), "--ham", ham.toString(), "--ignore=")
                        .err())
                .contains("--ignore needs a value");
        assertThat(Run.main("train", "--model", plain.toString(), "--ham", ham.toString(), "--ignore", "ab")
                        .err())
                .contains("--ignore needs at least 3 characters");
        Run eval = Run.main("eval", "--model", plain.toString(), "--ham", ham.toString(), "--ignore", "cheap");
        assertThat(eval.status()).isEqualTo(2);
        assertThat(eval.err()).contains("unknown option --ignore");
    }

    @Test
    void logisticFitsAPartThatTheModelFileKeepsAndRefusesToUpdateOne(@TempDir Path dir) throws Exception {
        SyntheticCorpus corpus = SyntheticCorpus.seeded(31);
        write(dir.resolve("spam"), corpus.generate(60, true));
        write(dir.resolve("ham"), corpus.generate(60, false));
        Path plain = dir.resolve("plain.model");
        Path combined = dir.resolve("combined.model");
        Path again = dir.resolve("again.model");
        for (Path m : List.of(plain, combined, again)) {
            List<String> args = new java.util.ArrayList<>(List.of(
                    "train",
                    "--quiet",
                    "--spam",
                    dir.resolve("spam").toString(),
                    "--ham",
                    dir.resolve("ham").toString(),
                    "--model",
                    m.toString()));
            if (m != plain) {
                args.addAll(List.of("--logistic", "0.5"));
            }
            Run r = Run.main(args.toArray(String[]::new));
            assertThat(r.status()).as(r.err()).isZero();
        }
        assertThat(org.mailhygiene.scanners.bayes.BayesModel.load(plain).hasLogistic())
                .isFalse();
        var fitted = org.mailhygiene.scanners.bayes.BayesModel.load(combined);
        assertThat(fitted.hasLogistic()).isTrue();
        assertThat(fitted.logisticBias()).isNotZero();
        assertThat(Files.readAllBytes(again)).isEqualTo(Files.readAllBytes(combined)); // the same weights again
        // a scan names what the logistic part added
        Path msg = Files.list(dir.resolve("spam")).sorted().findFirst().orElseThrow();
        assertThat(Run.main("scan", "--json", "--bayes", combined.toString(), msg.toString())
                        .out())
                .contains("BAYES_LOGISTIC")
                .contains("weight:");

        assertThat(Run.main(
                                "train",
                                "--update",
                                "--logistic",
                                "1",
                                "--spam",
                                dir.resolve("spam").toString(),
                                "--model",
                                combined.toString())
                        .err())
                .contains("--logistic fits on all the training messages at once: not with --update");
        assertThat(Run.main("train", "--logistic", "x", "--spam", dir.toString(), "--model", "m")
                        .err())
                .contains("--logistic needs a number (the offset), was x");
        Run onlySpam = Run.main(
                "train",
                "--quiet",
                "--logistic",
                "0",
                "--spam",
                dir.resolve("spam").toString(),
                "--model",
                dir.resolve("s.model").toString());
        assertThat(onlySpam.status()).isEqualTo(2);
        assertThat(onlySpam.err()).contains("needs both spam and ham");
        assertThat(dir.resolve("s.model")).doesNotExist();
    }

    @Test
    void weightUsageErrors(@TempDir Path dir) {
        String ham = dir.toString();
        String m = dir.resolve("m.model").toString();
        String[][] cases = {
            {"--weight must be a whole number from 1 to 100, was 0", "--weight", "0", "--ham", ham},
            {"--weight must be a whole number from 1 to 100, was 101", "--weight", "101", "--ham", ham},
            {"--weight must be a whole number from 1 to 100, was two", "--weight", "two", "--ham", ham},
            {"--weight needs a value", "--ham", ham, "--weight"},
            {"--weight 5 is followed by no --spam or --ham source", "--ham", ham, "--weight", "5"},
            {"--prune must be a whole number from 1, was 0", "--prune", "0", "--ham", ham},
            {"--prune-weighted 2 needs --prune N", "--prune-weighted", "2", "--ham", ham},
            {
                "--prune-weighted must be at most --prune (2), was 3",
                "--prune",
                "2",
                "--prune-weighted",
                "3",
                "--ham",
                ham
            },
            {
                "--prune-weighted 2 keeps tokens of the sources after a --weight above 1, and there are none",
                "--prune",
                "3",
                "--prune-weighted",
                "2",
                "--weight",
                "1",
                "--ham",
                ham
            },
            {
                "--prune-weighted applies to learning with --weight, not to --forget",
                "--forget",
                "--prune",
                "3",
                "--prune-weighted",
                "2",
                "--weight",
                "3",
                "--ham",
                ham
            },
            {"--prune-weighted must be a whole number from 1, was 0", "--prune", "2", "--prune-weighted=0", "--ham", ham
            },
        };
        for (String[] c : cases) {
            List<String> args = new java.util.ArrayList<>(List.of("train", "--model", m));
            args.addAll(List.of(c).subList(1, c.length));
            Run run = Run.main(args.toArray(String[]::new));
            assertThat(run.status()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(run.err()).contains(c[0]);
        }
        Run eval = Run.main("eval", "--model", m, "--weight", "2", "--ham", ham);
        assertThat(eval.status()).isEqualTo(2);
        assertThat(eval.err()).contains("unknown option --weight");
        Run evalPrune = Run.main("eval", "--model", m, "--prune-weighted", "2", "--ham", ham);
        assertThat(evalPrune.status()).isEqualTo(2);
        assertThat(evalPrune.err()).contains("unknown option --prune-weighted");
        assertThat(dir.resolve("m.model")).doesNotExist();
    }

    @Test
    void usageErrors(@TempDir Path dir) {
        assertThat(Run.main("train", "--spam", dir.toString()).err()).contains("--model FILE is required");
        assertThat(Run.main("train", "--model", "m").err()).contains("at least one --spam or --ham");
        assertThat(Run.main("train", "--model", "m", "--spam").err()).contains("--spam needs a value");
        assertThat(Run.main("train", "--model", "m", "--ham", "h", "--update", "--forget")
                        .err())
                .contains("exclude each other");
        assertThat(Run.main("eval", "--model", "m", "--ham", "h", "--threshold", "2")
                        .err())
                .contains("--threshold must be a number in (0, 1]");
        assertThat(Run.main("train", "--model", "m", "--ham", "h", "--bogus").status())
                .isEqualTo(2);
    }

    @Test
    void missingModelAndSourceAreErrors(@TempDir Path dir) throws Exception {
        Run eval = Run.main("eval", "--model", dir.resolve("none.bin").toString(), "--ham", dir.toString());
        assertThat(eval.status()).isEqualTo(2);
        assertThat(eval.err()).contains("none.bin");
        Run train = Run.main(
                "train",
                "--model",
                dir.resolve("m.bin").toString(),
                "--ham",
                dir.resolve("missing").toString());
        assertThat(train.status()).isEqualTo(2);
        assertThat(train.err()).contains("missing");
        assertThat(dir.resolve("m.bin")).doesNotExist();
        Files.writeString(dir.resolve("junk.bin"), "junk");
        Run scan = Run.main("scan", "--bayes", dir.resolve("junk.bin").toString(), dir.toString());
        assertThat(scan.status()).isEqualTo(2);
        assertThat(scan.err()).contains("not a Mail Hygiene Bayes model");
    }

    @Test
    void evalOfAModelThatCannotClassifyIsAnErrorNotZeroSpamCaught(@TempDir Path dir) throws Exception {
        Path ham = dir.resolve("ham");
        write(ham, SyntheticCorpus.seeded(7).generate(3, false));
        Path spam = dir.resolve("spam");
        write(spam, SyntheticCorpus.seeded(7).generate(3, true));
        Path model = dir.resolve("ham-only.model");
        assertThat(Run.main("train", "--quiet", "--ham", ham.toString(), "--model", model.toString())
                        .status())
                .isZero();
        // hygiene scan fails each message with it (ERROR, exit 2); eval said "spam caught: 0/3", "ham flagged: 0/3"
        // and exit 0
        Run eval = Run.main("eval", "--model", model.toString(), "--spam", spam.toString(), "--ham", ham.toString());
        assertThat(eval.status()).isEqualTo(2);
        assertThat(eval.out()).isEmpty();
        assertThat(eval.err())
                .isEqualTo("hygiene eval: " + model
                        + ": the model has not learned both spam and ham (spam 0, ham 3): it cannot classify\n");

        // a model that cannot be loaded is named, without the whole usage after it (the arguments were well formed)
        Path none = dir.resolve("none.model");
        Run scan = Run.main("scan", "--bayes", none.toString(), ham.toString());
        assertThat(scan.status()).isEqualTo(2);
        assertThat(scan.err())
                .startsWith("hygiene scan: --bayes " + none + ": cannot load the model")
                .doesNotContain("usage:");
        // a malformed command line still gets the usage
        assertThat(Run.main("scan", "--no-such-option", ham.toString()).err()).contains("usage: hygiene scan");

        // a threshold at or above the sure threshold has no unsure band (it printed "[0.995, 0.995)")
        Run sure = Run.main("eval", "--model", "default", "--threshold", "0.995", "--ham", ham.toString());
        assertThat(sure.status()).as(sure.err()).isZero();
        assertThat(sure.out())
                .contains("no unsure band: the threshold 0.995 is at or above 0.99")
                .doesNotContain("[0.995");
        assertThat(Run.main("eval", "--model", "default", "--ham", ham.toString())
                        .out())
                .contains("unsure band [0.8, 0.99): spam 0, ham ");
    }

    @Test
    void aModelPathNoModelCanBeSavedAtIsRefusedBeforeTheSourcesAreRead(@TempDir Path dir) throws Exception {
        Path spam = dir.resolve("spam");
        Path ham = dir.resolve("ham");
        write(spam, SyntheticCorpus.seeded(7).generate(3, true));
        write(ham, SyntheticCorpus.seeded(8).generate(3, false));
        Path folder = Files.createDirectory(dir.resolve("models"));
        // was: every source learned first (minutes for a real corpus), then ".../models.123.tmp -> .../models: Is a
        // directory", and a models.lock left beside the directory
        Run intoDirectory =
                Run.main("train", "--spam", spam.toString(), "--ham", ham.toString(), "--model", folder.toString());
        assertThat(intoDirectory.status()).isEqualTo(2);
        assertThat(intoDirectory.err())
                .isEqualTo("hygiene train: " + folder.toAbsolutePath() + ": a directory, not a model file\n");
        assertThat(dir.resolve("models.lock")).doesNotExist();
        // a file where the model's directory should be: was ".../notes/site.model.lock: Not a directory", after
        // learning every source
        Path notes = Files.writeString(dir.resolve("notes"), "not a directory");
        Run underFile = Run.main(
                "train",
                "--spam",
                spam.toString(),
                "--ham",
                ham.toString(),
                "--model",
                notes.resolve("site.model").toString());
        assertThat(underFile.status()).isEqualTo(2);
        assertThat(underFile.err())
                .isEqualTo("hygiene train: " + notes.toAbsolutePath()
                        + ": not a directory (for the model file site.model); nothing was changed\n");
        assertThat(Files.readString(notes)).isEqualTo("not a directory");
    }

    @Test
    void aModelInAMissingDirectoryIsNamedWithWhatWentWrong(@TempDir Path dir) throws Exception {
        Path ham = dir.resolve("ham");
        write(ham, SyntheticCorpus.seeded(7).generate(3, false));
        Path nowhere = dir.resolve("nowhere");
        Path model = nowhere.resolve("m.model");
        // was the bare path of the lock file ("hygiene train: .../nowhere/m.model.lock") and of the model
        Run train = Run.main("train", "--quiet", "--update", "--model", model.toString(), "--ham", ham.toString());
        assertThat(train.status()).isEqualTo(2);
        assertThat(train.err()).contains(nowhere + ": no such directory (for the model file m.model)");
        Run eval = Run.main("eval", "--model", model.toString(), "--ham", ham.toString());
        assertThat(eval.status()).isEqualTo(2);
        assertThat(eval.err()).isEqualTo("hygiene eval: " + model + ": no such file\n");
        assertThat(nowhere).doesNotExist();
    }

    @Test
    void attachmentsOptionFlagsAnExecutable(@TempDir Path dir) throws Exception {
        String m = "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream; name=\"a.pdf.exe\"\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\nTVo=\r\n";
        Path file = dir.resolve("m.eml");
        Files.writeString(file, m);
        Run scan = Run.main("scan", "--attachments", file.toString());
        assertThat(scan.status()).isEqualTo(Command.EXIT_FOUND);
        assertThat(scan.out())
                .contains("SUSPICIOUS")
                .contains("EXECUTABLE_ATTACHMENT")
                .contains("DOUBLE_EXTENSION");
        Path policy = dir.resolve("policy.txt");
        Files.writeString(policy, "check double-extension off\nblock extension exe\n");
        Run custom = Run.main("scan", "--attachment-policy", policy.toString(), file.toString());
        assertThat(custom.out()).contains("EXECUTABLE_ATTACHMENT").doesNotContain("DOUBLE_EXTENSION");
        Files.writeString(policy, "block colour red\n");
        Run bad = Run.main("scan", "--attachment-policy", policy.toString(), file.toString());
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.err()).contains("line 1");
        // a missing policy file is named as such (the message was the bare path: "--attachment-policy F: F")
        Path missing = dir.resolve("missing.txt");
        Run none = Run.main("scan", "--attachment-policy", missing.toString(), file.toString());
        assertThat(none.status()).isEqualTo(2);
        assertThat(none.err()).contains("--attachment-policy " + missing + ": no such file");
        // a file that is not UTF-8 text said "Input length = 1" (the JDK's decoding error)
        Path binary = Files.write(dir.resolve("policy.bin"), new byte[] {'b', 'l', (byte) 0xff, (byte) 0xfe, '\n'});
        Run garbage = Run.main("scan", "--attachment-policy", binary.toString(), file.toString());
        assertThat(garbage.status()).isEqualTo(2);
        assertThat(garbage.err())
                .contains("--attachment-policy " + binary + ": not valid text in the encoding it is read in (UTF-8 for"
                        + " configuration and policy files)")
                .doesNotContain("Input length");
    }

    @Test
    void corpusWritesGeneratedMailThatTrainsAModel(@TempDir Path dir) throws Exception {
        Run corpus = Run.main("corpus", "--count", "12", dir.toString());
        assertThat(corpus.status()).as(corpus.err()).isZero();
        try (var spam = Files.list(dir.resolve("spam"));
                var ham = Files.list(dir.resolve("ham"))) {
            assertThat(spam.count()).isEqualTo(12);
            assertThat(ham.count()).isEqualTo(12);
        }
        Run train = Run.main(
                "train",
                "--quiet",
                "--spam",
                dir.resolve("spam").toString(),
                "--ham",
                dir.resolve("ham").toString(),
                "--model",
                dir.resolve("m.bin").toString());
        assertThat(train.status()).as(train.err()).isZero();
        assertThat(train.out()).contains("12 spam, 12 ham");
        // a second corpus into the same directory would be trained on together with the first: refused
        Run again = Run.main("corpus", "--count", "3", dir.toString());
        assertThat(again.status()).isEqualTo(2);
        assertThat(again.err()).contains(dir.resolve("spam") + " already holds 12 file(s)", "nothing was written");
        try (var spam = Files.list(dir.resolve("spam"))) {
            assertThat(spam.count()).isEqualTo(12);
        }

        // forgetting mail it never learned would empty the model's ham: refused, the file unchanged
        Path model = dir.resolve("m.bin");
        byte[] before = Files.readAllBytes(model);
        Path other = dir.resolve("other");
        assertThat(Run.main("corpus", "--count", "12", "--seed", "9", other.toString())
                        .status())
                .isZero();
        Run forget = Run.main(
                "train", "--quiet", "--forget", "--ham", other.resolve("ham").toString(), "--model", model.toString());
        assertThat(forget.status()).isEqualTo(2);
        assertThat(forget.err()).contains("would leave " + model + " with 12 spam and 0 ham", "nothing was changed");
        assertThat(Files.readAllBytes(model)).isEqualTo(before);
        assertThat(Run.main("corpus").err()).contains("give the directory");
        assertThat(Run.main("corpus", "--count", "0", dir.toString()).err()).contains("positive whole number");
    }

    @Test
    void aModelOfOneClassDoesNotReplaceAModelFile(@TempDir Path dir) throws Exception {
        SyntheticCorpus corpus = SyntheticCorpus.seeded(21);
        write(dir.resolve("spam"), corpus.generate(5, true));
        write(dir.resolve("ham"), corpus.generate(5, false));
        Files.createDirectories(dir.resolve("empty"));
        Path model = dir.resolve("site.model");
        Run first = Run.main(
                "train",
                "--quiet",
                "--spam",
                dir.resolve("spam").toString(),
                "--ham",
                dir.resolve("ham").toString(),
                "--model",
                model.toString());
        assertThat(first.status()).as(first.err()).isZero();
        byte[] before = Files.readAllBytes(model);
        // the ham directory mistyped as an empty one: the model a relay reads would no longer classify anything
        Run wrong = Run.main(
                "train",
                "--quiet",
                "--spam",
                dir.resolve("spam").toString(),
                "--ham",
                dir.resolve("empty").toString(),
                "--model",
                model.toString());
        assertThat(wrong.status()).isEqualTo(2);
        assertThat(wrong.err()).contains("gave 5 spam and 0 ham", "a model needs both", model + " was not replaced");
        assertThat(Files.readAllBytes(model)).isEqualTo(before);
    }

    @Test
    void evalNamesTheFilesItDoesNotCount(@TempDir Path dir) throws Exception {
        SyntheticCorpus corpus = SyntheticCorpus.seeded(22);
        write(dir.resolve("spam"), corpus.generate(2, true));
        write(dir.resolve("ham"), corpus.generate(2, false));
        Files.write(dir.resolve("ham/empty.eml"), new byte[0]);
        Run eval = Run.main(
                "eval",
                "--model",
                "default",
                "--spam",
                dir.resolve("spam").toString(),
                "--ham",
                dir.resolve("ham").toString());
        assertThat(eval.status()).as(eval.err()).isZero();
        assertThat(eval.outLines()).element(1).asString().startsWith("ham flagged: 0/2");
        assertThat(eval.err())
                .contains("hygiene eval: skipped " + dir.resolve("ham/empty.eml") + ": an empty file, not a message");
    }

    @Test
    void evalLeavesOutAMessageTheClassifierCannotReadToItsEndAsScanDoes(@TempDir Path dir) throws Exception {
        SyntheticCorpus corpus = SyntheticCorpus.seeded(23);
        write(dir.resolve("spam"), corpus.generate(2, true));
        write(dir.resolve("ham"), corpus.generate(2, false));
        // 25 nested multiparts: past the MIME walker's depth limit of 20, the text is never read
        StringBuilder deep = new StringBuilder("From: a@example.org\r\nSubject: deep\r\nMIME-Version: 1.0\r\n");
        for (int i = 0; i < 25; i++) {
            deep.append("Content-Type: multipart/mixed; boundary=\"b")
                    .append(i)
                    .append("\"\r\n\r\n--b")
                    .append(i)
                    .append("\r\n");
        }
        deep.append("Content-Type: text/plain\r\n\r\nhello\r\n");
        for (int i = 24; i >= 0; i--) {
            deep.append("--b").append(i).append("--\r\n");
        }
        Path nested = Files.writeString(dir.resolve("ham/deep.eml"), deep.toString());
        Run scan = Run.main("scan", "--bayes", "default", nested.toString());
        assertThat(scan.out()).contains(nested + ": ERROR bayes: UNSCANNABLE");
        Run eval = Run.main(
                "eval",
                "--model",
                "default",
                "--spam",
                dir.resolve("spam").toString(),
                "--ham",
                dir.resolve("ham").toString());
        assertThat(eval.status()).as(eval.err()).isZero();
        assertThat(eval.outLines()).element(1).asString().startsWith("ham flagged: 0/2");
        assertThat(eval.err()).contains("hygiene eval: skipped " + nested + ": MIME walk incomplete (DEPTH_LIMIT)");
    }

    @Test
    void demoModelIsTrainedOnGeneratedMailOnly() {
        BayesModel m = CorpusCommand.demoModel();
        assertThat(m.spamMessages()).isEqualTo(200);
        assertThat(m.hamMessages()).isEqualTo(200);
    }
}
