package org.mailhygiene.benchmarks.bayes;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.scanners.bayes.BayesModels;
import org.mailhygiene.scanners.bayes.BayesScanner;
import org.mailhygiene.scanners.bayes.MailKind;
import org.mailhygiene.scanners.bayes.MailSources;
import org.mailhygiene.scanners.bayes.ModelTrainer;
import org.mailhygiene.scanners.bayes.Tokenizer;

/**
 * Cross-source evaluation: train on some corpora, judge others the model never saw.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar org.mailhygiene.benchmarks.bayes.CrossSource \
 *     [[--weight N] --train-spam SOURCE]... [[--weight N] --train-ham SOURCE]... [--load MODEL|default] [--prune N] \
 *     [--prune-weighted M] [--save MODEL] \
 *     [--drop PREFIX]... [--ignore TEXT]... [--logistic OFFSET] --test NAME:spam:SOURCE... --test NAME:ham:SOURCE...
 *     [--predictions FILE]
 * </pre>
 *
 * <p>Trains a model from the {@code --train-*} sources (on top of {@code --load} if given), prunes tokens seen in
 * fewer than N training messages if asked (a message learned with a weight counts once; {@link ModelTrainer}; with
 * {@code --prune-weighted M}, a token seen in M messages of the weighted sources is kept too),
 * saves it if asked, then judges every test message as {@code hygiene scan} does (bounces and automatic replies are
 * not classified) and prints, per test set, how many messages were flagged at the thresholds 0.5 to 0.999. Sources are
 * directories, Maildirs or mbox files ({@link MailSources}). A test name may
 * be repeated to pool several sources. With {@code --predictions}, one line per test message: set, label, kind, score,
 * id. {@code --drop PREFIX} learns no token that starts with PREFIX (an ablation: the model then ignores that kind of
 * token, since tokens it never learned do not count); {@code --ignore TEXT} learns no token that mentions TEXT ({@link ModelTrainer#mentionsAny}), as
 * {@code hygiene train --ignore} (the collection's own mailbox and relays). {@code --weight N} makes every training message of the sources
 * after it count N times, until the next {@code --weight}. {@code --logistic OFFSET} fits a logistic part after pruning
 * ({@link ModelTrainer#fitLogistic}), as {@code hygiene train --logistic} does.
 */
public final class CrossSource {
    private static final double[] THRESHOLDS = {0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999};

    private CrossSource() {}

    private record TestSet(String name, boolean spam, List<Path> sources) {}

    private record Weighted(Path source, int weight) {}

    /**
     * Runs the evaluation.
     *
     * @param args see the class description
     * @throws IOException if a source cannot be read
     */
    public static void main(String[] args) throws IOException {
        List<Weighted> trainSpam = new ArrayList<>();
        List<Weighted> trainHam = new ArrayList<>();
        int weight = 1;
        Map<String, TestSet> tests = new LinkedHashMap<>();
        String load = null;
        Path save = null;
        Path predictions = null;
        int prune = 0;
        int pruneWeighted = 0;
        List<String> drop = new ArrayList<>();
        List<String> ignore = new ArrayList<>();
        Double logistic = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--train-spam" -> trainSpam.add(new Weighted(Path.of(args[++i]), weight));
                case "--train-ham" -> trainHam.add(new Weighted(Path.of(args[++i]), weight));
                case "--weight" -> weight = Integer.parseInt(args[++i]);
                case "--load" -> load = args[++i];
                case "--save" -> save = Path.of(args[++i]);
                case "--prune" -> prune = Integer.parseInt(args[++i]);
                case "--prune-weighted" -> pruneWeighted = Integer.parseInt(args[++i]);
                case "--predictions" -> predictions = Path.of(args[++i]);
                case "--drop" -> drop.add(args[++i]);
                case "--ignore" -> ignore.add(args[++i]);
                case "--logistic" -> logistic = Double.parseDouble(args[++i]);
                case "--test" -> {
                    String[] t = args[++i].split(":", 3);
                    if (t.length != 3 || !(t[1].equals("spam") || t[1].equals("ham"))) {
                        throw new IllegalArgumentException("--test NAME:spam|ham:SOURCE, was " + args[i]);
                    }
                    tests.computeIfAbsent(t[0], n -> new TestSet(n, t[1].equals("spam"), new ArrayList<>()))
                            .sources()
                            .add(Path.of(t[2]));
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (pruneWeighted != 0 && (prune < 2 || pruneWeighted < 1 || pruneWeighted > prune)) {
            throw new IllegalArgumentException(
                    "--prune-weighted M needs --prune N (2 or more) and 1 <= M <= N, was M " + pruneWeighted);
        }
        Tokenizer tokenizer = Tokenizer.create();
        BayesModel model = load == null ? BayesModel.empty() : BayesModels.load(load);
        ModelTrainer trainer = new ModelTrainer(model);
        if (logistic != null) {
            trainer.recordForLogistic();
        }
        long t0 = System.nanoTime();
        for (Weighted w : trainSpam) {
            MailSources.forEach(
                    w.source(),
                    (id, m) -> trainer.learn(
                            kept(tokenizer.tokenize(MessageContent.ofBytes(m)), drop, ignore), true, w.weight()));
        }
        for (Weighted w : trainHam) {
            MailSources.forEach(
                    w.source(),
                    (id, m) -> trainer.learn(
                            kept(tokenizer.tokenize(MessageContent.ofBytes(m)), drop, ignore), false, w.weight()));
        }
        int before = model.tokenCount();
        if (prune > 1) {
            trainer.prune(prune, pruneWeighted > 0 ? pruneWeighted : prune);
        }
        if (logistic != null) {
            System.out.println("logistic part: " + trainer.fitLogistic(logistic) + " weights");
        }
        System.out.printf(
                Locale.ROOT,
                "model: %d spam, %d ham, %d tokens (%d before pruning below %d), trained in %.0f s%n",
                model.spamMessages(),
                model.hamMessages(),
                model.tokenCount(),
                before,
                prune,
                (System.nanoTime() - t0) / 1e9);
        if (save != null) {
            model.save(save);
            System.out.println("saved " + save + " (" + Files.size(save) + " bytes)");
        }
        BayesScanner scanner = BayesScanner.builder(model).tokenizer(tokenizer).build();
        StringBuilder header = new StringBuilder("| test set | messages | not classified (bounce/auto) |");
        for (double t : THRESHOLDS) {
            header.append(' ').append(t).append(" |");
        }
        System.out.println(header);
        try (PrintWriter pred = predictions == null ? null : new PrintWriter(Files.newBufferedWriter(predictions))) {
            for (TestSet set : tests.values()) {
                long[] flagged = new long[THRESHOLDS.length];
                long[] n = new long[3];
                for (Path p : set.sources()) {
                    MailSources.forEach(p, (id, m) -> {
                        BayesScanner.Judgement j = scanner.judge(Message.of(m));
                        n[0]++;
                        MailKind.Kind k = j.kind().kind();
                        if (k == MailKind.Kind.BOUNCE || k == MailKind.Kind.BACKSCATTER) {
                            n[1]++;
                        } else if (k == MailKind.Kind.AUTO_REPLY) {
                            n[2]++;
                        }
                        double s = j.classification().score();
                        if (k == MailKind.Kind.ORDINARY) {
                            for (int i = 0; i < THRESHOLDS.length; i++) {
                                if (s >= THRESHOLDS[i]) {
                                    flagged[i]++;
                                }
                            }
                        }
                        if (pred != null) {
                            pred.printf(
                                    Locale.ROOT,
                                    "%s\t%s\t%s\t%.6f\t%s%n",
                                    set.name(),
                                    set.spam() ? "spam" : "ham",
                                    k,
                                    s,
                                    id);
                        }
                    });
                }
                StringBuilder row = new StringBuilder("| ")
                        .append(set.name())
                        .append(set.spam() ? " (spam: caught)" : " (ham: flagged)")
                        .append(" | ")
                        .append(n[0])
                        .append(" | ")
                        .append(n[1])
                        .append('/')
                        .append(n[2])
                        .append(" |");
                for (long f : flagged) {
                    row.append(String.format(Locale.ROOT, " %.2f%% |", n[0] == 0 ? 0.0 : 100.0 * f / n[0]));
                }
                System.out.println(row);
            }
        }
    }

    private static java.util.Set<String> kept(java.util.Set<String> tokens, List<String> drop, List<String> ignore) {
        if (!drop.isEmpty() || !ignore.isEmpty()) {
            tokens.removeIf(t -> drop.stream().anyMatch(t::startsWith) || ModelTrainer.mentionsAny(t, ignore));
        }
        return tokens;
    }
}
