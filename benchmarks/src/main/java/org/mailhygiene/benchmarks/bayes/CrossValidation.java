package org.mailhygiene.benchmarks.bayes;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.scanners.bayes.BayesScanner;
import org.mailhygiene.scanners.bayes.Classification;
import org.mailhygiene.scanners.bayes.MailSources;
import org.mailhygiene.scanners.bayes.Tokenizer;
import org.mailhygiene.testkit.corpus.SyntheticCorpus;

/**
 * k-fold cross-validation of the Bayes classifier.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar org.mailhygiene.benchmarks.bayes.CrossValidation \
 *     --spam DIR --ham DIR [--folds 5] [--seed 1] [--threshold 0.9|nested] [--predictions FILE]
 * java -cp benchmarks/target/benchmarks.jar org.mailhygiene.benchmarks.bayes.CrossValidation --synthetic 1000
 * </pre>
 *
 * <p>Messages are shuffled with the seed and dealt into k folds, spam and ham separately (stratified). For each fold a
 * fresh model learns the other k-1 folds and classifies the held-out fold. Throughput is measured on one thread, as
 * messages per second of that thread's CPU time (so other load on the machine does not distort it) and of wall time:
 * "scan" is tokenize + classify of a held-out message, "train" is tokenize + learn. {@code --predictions} writes one
 * line per message (path, label, fold, score) for comparison with other filters on the same messages.
 *
 * <p>{@code --threshold nested} chooses each outer fold's threshold from that fold's training messages only (the
 * held-out fold is never looked at): an inner (k-1)-fold cross-validation over the training folds scores every training
 * message with a model that did not learn it, and the threshold is the lowest of 0.50, 0.55, ..., 0.95 whose inner ham
 * flagged rate is at most {@value #NESTED_HAM_BUDGET_PERCENT}% (half the 1% target, as a margin). Without it the given
 * threshold (default {@link BayesScanner#DEFAULT_THRESHOLD}) applies to every fold.
 */
public final class CrossValidation {
    private record Mail(String id, boolean spam, byte[] bytes) {}

    /** Ham-flagged rate (percent) the nested threshold choice allows on the inner folds. */
    static final double NESTED_HAM_BUDGET_PERCENT = 0.5;

    private CrossValidation() {}

    /**
     * Runs the cross-validation.
     *
     * @param args see the class description
     * @throws IOException if a source cannot be read
     */
    public static void main(String[] args) throws IOException {
        List<Path> spamDirs = new ArrayList<>();
        List<Path> hamDirs = new ArrayList<>();
        int folds = 5;
        long seed = 1;
        double threshold = BayesScanner.DEFAULT_THRESHOLD;
        boolean nested = false;
        int synthetic = 0;
        Path predictions = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--spam" -> spamDirs.add(Path.of(args[++i]));
                case "--ham" -> hamDirs.add(Path.of(args[++i]));
                case "--folds" -> folds = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--threshold" -> {
                    String t = args[++i];
                    nested = t.equals("nested");
                    threshold = nested ? threshold : Double.parseDouble(t);
                }
                case "--synthetic" -> synthetic = Integer.parseInt(args[++i]);
                case "--predictions" -> predictions = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        List<Mail> mails = new ArrayList<>();
        for (Path p : spamDirs) {
            MailSources.forEach(p, (id, m) -> mails.add(new Mail(id, true, m)));
        }
        for (Path p : hamDirs) {
            MailSources.forEach(p, (id, m) -> mails.add(new Mail(id, false, m)));
        }
        if (synthetic > 0) {
            SyntheticCorpus c = SyntheticCorpus.seeded(seed);
            int n = 0;
            for (SyntheticCorpus.Sample s : c.generate(synthetic, true)) {
                mails.add(
                        new Mail("synthetic-spam-" + (n++) + "-" + s.language() + "-" + s.encoding(), true, s.bytes()));
            }
            n = 0;
            for (SyntheticCorpus.Sample s : c.generate(synthetic, false)) {
                mails.add(
                        new Mail("synthetic-ham-" + (n++) + "-" + s.language() + "-" + s.encoding(), false, s.bytes()));
            }
        }
        run(mails, folds, seed, nested ? Double.NaN : threshold, predictions);
    }

    /** Runs the folds; a NaN threshold means "nested": chosen per fold from its training folds. */
    private static void run(List<Mail> all, int k, long seed, double fixedThreshold, Path predictionsFile)
            throws IOException {
        List<Mail> spam = new ArrayList<>(all.stream().filter(Mail::spam).toList());
        List<Mail> ham = new ArrayList<>(all.stream().filter(m -> !m.spam()).toList());
        Random random = new Random(seed);
        Collections.shuffle(spam, random);
        Collections.shuffle(ham, random);
        boolean nested = Double.isNaN(fixedThreshold);
        System.out.printf(
                Locale.ROOT,
                "%d spam, %d ham, %d folds, threshold %s%n",
                spam.size(),
                ham.size(),
                k,
                nested ? "nested (per fold, from its training folds)" : fixedThreshold);
        Map<Mail, Set<String>> tokenCache = new IdentityHashMap<>();
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        Tokenizer tokenizer = Tokenizer.create();
        long spamCaught = 0;
        long hamFlagged = 0;
        long scanCount = 0;
        long scanCpu = 0;
        long scanWall = 0;
        long trainCount = 0;
        long trainCpu = 0;
        long trainWall = 0;
        List<String> lines = new ArrayList<>();
        for (int fold = 0; fold < k; fold++) {
            BayesModel model = BayesModel.empty();
            long c0 = cpu.getCurrentThreadCpuTime();
            long w0 = System.nanoTime();
            for (List<Mail> group : List.of(spam, ham)) {
                for (int i = 0; i < group.size(); i++) {
                    if (i % k != fold) {
                        Mail m = group.get(i);
                        Set<String> tokens = tokenizer.tokenize(MessageContent.ofBytes(m.bytes()));
                        model.learn(tokens, m.spam());
                        trainCount++;
                        if (nested) {
                            tokenCache.putIfAbsent(m, tokens);
                        }
                    }
                }
            }
            trainCpu += cpu.getCurrentThreadCpuTime() - c0;
            trainWall += System.nanoTime() - w0;
            double threshold = nested ? nestedThreshold(spam, ham, k, fold, tokenCache) : fixedThreshold;
            BayesScanner scanner =
                    BayesScanner.builder(model).threshold(threshold).build();
            long foldSpam = 0;
            long foldSpamCaught = 0;
            long foldHam = 0;
            long foldHamFlagged = 0;
            c0 = cpu.getCurrentThreadCpuTime();
            w0 = System.nanoTime();
            for (List<Mail> group : List.of(spam, ham)) {
                for (int i = fold; i < group.size(); i += k) {
                    Mail m = group.get(i);
                    Set<String> tokens = tokenizer.tokenize(MessageContent.ofBytes(m.bytes()));
                    Classification c = model.classify(tokens);
                    boolean flagged = scanner.isSpam(c);
                    scanCount++;
                    if (m.spam()) {
                        foldSpam++;
                        foldSpamCaught += flagged ? 1 : 0;
                    } else {
                        foldHam++;
                        foldHamFlagged += flagged ? 1 : 0;
                    }
                    lines.add(m.id() + "\t" + (m.spam() ? "spam" : "ham") + "\t" + fold + "\t"
                            + String.format(Locale.ROOT, "%.4f", c.score()));
                }
            }
            scanCpu += cpu.getCurrentThreadCpuTime() - c0;
            scanWall += System.nanoTime() - w0;
            spamCaught += foldSpamCaught;
            hamFlagged += foldHamFlagged;
            System.out.printf(
                    Locale.ROOT,
                    "fold %d (threshold %.2f): spam caught %d/%d (%.2f%%), ham flagged %d/%d (%.2f%%)%n",
                    fold + 1,
                    threshold,
                    foldSpamCaught,
                    foldSpam,
                    pct(foldSpamCaught, foldSpam),
                    foldHamFlagged,
                    foldHam,
                    pct(foldHamFlagged, foldHam));
        }
        System.out.printf(
                Locale.ROOT,
                "total: spam caught %d/%d (%.2f%%), ham flagged %d/%d (%.2f%%)%n",
                spamCaught,
                spam.size(),
                pct(spamCaught, spam.size()),
                hamFlagged,
                ham.size(),
                pct(hamFlagged, ham.size()));
        System.out.printf(
                Locale.ROOT,
                "scan (tokenize+classify): %d msgs, %.0f msgs/s per CPU-second, %.0f msgs/s" + " wall%n",
                scanCount,
                scanCount / (scanCpu / 1e9),
                scanCount / (scanWall / 1e9));
        System.out.printf(
                Locale.ROOT,
                "train (tokenize+learn): %d msgs, %.0f msgs/s per CPU-second, %.0f msgs/s" + " wall%n",
                trainCount,
                trainCount / (trainCpu / 1e9),
                trainCount / (trainWall / 1e9));
        if (predictionsFile != null) {
            try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(predictionsFile, StandardCharsets.UTF_8))) {
                w.println("id\tlabel\tfold\tscore");
                lines.forEach(w::println);
            }
        }
    }

    /**
     * The lowest threshold of 0.50, 0.55, ..., 0.95 whose ham-flagged rate stays within the budget in an inner
     * cross-validation over the outer fold's training messages (outer fold {@code outer} is never touched).
     */
    private static double nestedThreshold(
            List<Mail> spam, List<Mail> ham, int k, int outer, Map<Mail, Set<String>> tokens) {
        List<Mail> training = new ArrayList<>();
        for (List<Mail> group : List.of(spam, ham)) {
            for (int i = 0; i < group.size(); i++) {
                if (i % k != outer) {
                    training.add(group.get(i));
                }
            }
        }
        int inner = k - 1;
        List<double[]> scored = new ArrayList<>(); // {score, 1 for spam}
        for (int f = 0; f < inner; f++) {
            BayesModel model = BayesModel.empty();
            for (int i = 0; i < training.size(); i++) {
                if (i % inner != f) {
                    Mail m = training.get(i);
                    model.learn(tokens.get(m), m.spam());
                }
            }
            for (int i = f; i < training.size(); i += inner) {
                Mail m = training.get(i);
                Classification c = model.classify(tokens.get(m));
                // rounded to 4 decimals, exactly as BayesScanner decides
                scored.add(new double[] {Math.round(c.score() * 10_000) / 10_000.0, m.spam() ? 1 : 0});
            }
        }
        long hamTotal = scored.stream().filter(x -> x[1] == 0).count();
        for (int step = 10; step <= 19; step++) {
            double t = step * 0.05;
            long flagged = scored.stream().filter(x -> x[1] == 0 && x[0] >= t).count();
            if (100.0 * flagged / hamTotal <= NESTED_HAM_BUDGET_PERCENT) {
                return Math.round(t * 100) / 100.0;
            }
        }
        return 0.95;
    }

    private static double pct(long part, long whole) {
        return whole == 0 ? 0 : 100.0 * part / whole;
    }
}
