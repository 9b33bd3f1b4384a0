package org.mailhygiene.benchmarks.bayes;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.scanners.bayes.BounceDetector;
import org.mailhygiene.scanners.bayes.MailKind;
import org.mailhygiene.scanners.bayes.MailSources;
import org.mailhygiene.scanners.bayes.Tokenizer;

/**
 * Issue 15 experiment: a learned combination (logistic regression) of the Bayes score with a small set of explainable
 * message features, fitted on training sources and judged on sources neither model saw.
 *
 * <pre>
 * java -Xmx3g -cp benchmarks/target/benchmarks.jar org.mailhygiene.benchmarks.bayes.Combination \
 *     --source NAME:spam|ham:PATH[:even|:odd]... \
 *     --experiment LABEL=TRAIN1,...=TEST1,...[=folds|=sources[=MATCH1,...]]... [--prune N] [--reference T] \
 *     [--drop-numeric-received] [--features NAME,...]
 * </pre>
 *
 * <p>Every message of every source is read, tokenised (the scanner's tokenizer) and run through the bounce detector
 * once. Per experiment: the Bayes score of each training message is taken <em>out of fold</em> (5 folds, or with
 * {@code =sources} a model that did not learn that message's source), a logistic regression over [Bayes logit,
 * features] is fitted on those (every training source weighs the same, L2 penalty), the Bayes model is then trained on
 * all training sources and both are judged on the test sources. Bounces and automatic replies are never flagged, as in
 * the scanner. The report compares, at the <em>same number of flagged test ham messages</em> as the Bayes model at the
 * reference threshold (default 0.9) on the MATCH sets (default: all test ham), the share of each spam test set caught by Bayes alone and by the combination; and
 * does the same for the combination without each feature (ablation). {@code --drop-numeric-received} removes
 * {@code received:} tokens made only of digits and dots (MTA version numbers such as {@code 8.12.8}) from every message;
 * {@code --features} keeps only the named features.
 */
public final class Combination {
    private static final int FOLDS = 5;
    private static final double L2 = 1.0;

    /** The explainable features: name and test over the message's tokens. */
    static final Map<String, Predicate<Set<String>>> FEATURES = new LinkedHashMap<>();

    private static final Set<String> CREDENTIAL_WORDS = Set.of(
            "password",
            "passwords",
            "login",
            "log-in",
            "verify",
            "verification",
            "confirm",
            "suspended",
            "suspend",
            "unlock",
            "validate",
            "credentials",
            "username",
            "sign-in");

    private static final Set<String> RISKY_EXT =
            Set.of("exe", "scr", "zip", "rar", "html", "htm", "js", "vbs", "jar", "iso", "img", "docm", "xlsm", "pif");

    static {
        for (String t : List.of(
                "url-ip",
                "url-shortener",
                "url-userinfo",
                "url-port",
                "html:form",
                "html:script",
                "html:iframe",
                "html:hidden",
                "html:tiny-font",
                "html:link-mismatch",
                "html:image-only",
                "mime:html-only",
                "hdr:no-date",
                "hdr:no-message-id",
                "hdr:reply-to-differs",
                "hdr:message-id-differs",
                "hdr:from-name-address",
                "subject:encoded-ascii",
                "from:encoded-ascii",
                "charset:mixed",
                "charset:undeclared-8bit",
                "enc:base64-text",
                "url-domains:3-4",
                "url-domains:5+")) {
            FEATURES.put(t, s -> s.contains(t));
        }
        FEATURES.put("has-url", s -> s.stream().anyMatch(t -> t.startsWith("url:")));
        FEATURES.put(
                "credential-words+url",
                s -> s.stream().anyMatch(t -> t.startsWith("url:"))
                        && s.stream().anyMatch(CREDENTIAL_WORDS::contains));
        FEATURES.put(
                "risky-attachment",
                s -> s.stream().anyMatch(t -> t.startsWith("ext:") && RISKY_EXT.contains(t.substring(4))));
        FEATURES.put(
                "mime-finding", s -> s.stream().anyMatch(t -> t.startsWith("mime:") && !t.equals("mime:html-only")));
        FEATURES.put(
                "received-count>=5",
                s -> s.stream()
                        .anyMatch(t -> t.startsWith("received-count:") && Integer.parseInt(t.substring(15)) >= 5));
    }

    private Combination() {}

    private record Msg(String source, boolean spam, boolean ordinary, String[] tokens, boolean[] features) {}

    private record Experiment(
            String label, List<String> train, List<String> test, boolean bySource, List<String> match) {}

    /**
     * Runs the experiments.
     *
     * @param args see the class description
     * @throws IOException if a source cannot be read
     */
    public static void main(String[] args) throws IOException {
        List<String[]> sources = new ArrayList<>();
        List<Experiment> experiments = new ArrayList<>();
        int prune = 3;
        double reference = 0.9;
        boolean dropNumericReceived = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--source" -> sources.add(args[++i].split(":", 4));
                case "--prune" -> prune = Integer.parseInt(args[++i]);
                case "--reference" -> reference = Double.parseDouble(args[++i]);
                case "--drop-numeric-received" -> dropNumericReceived = true;
                case "--features" -> FEATURES.keySet().retainAll(List.of(args[++i].split(",")));
                case "--experiment" -> {
                    String[] e = args[++i].split("=");
                    experiments.add(new Experiment(
                            e[0],
                            List.of(e[1].split(",")),
                            List.of(e[2].split(",")),
                            e.length > 3 && e[3].equals("sources"),
                            e.length > 4 ? List.of(e[4].split(",")) : List.of()));
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Tokenizer tokenizer = Tokenizer.create();
        BounceDetector detector = BounceDetector.create();
        Map<String, String> intern = new HashMap<>();
        Map<String, List<Msg>> bySource = new LinkedHashMap<>();
        String[] featureNames = FEATURES.keySet().toArray(String[]::new);
        long t0 = System.nanoTime();
        boolean drop = dropNumericReceived;
        for (String[] s : sources) {
            String name = s[0];
            boolean spam = s[1].equals("spam");
            String half = s.length > 3 ? s[3] : null;
            List<Msg> list = bySource.computeIfAbsent(name, n -> new ArrayList<>());
            int[] index = {0};
            MailSources.forEach(Path.of(s[2]), (id, m) -> {
                int k = index[0]++;
                if (half != null && (k % 2 == 0) != half.equals("even")) {
                    return;
                }
                MessageContent c = MessageContent.ofBytes(m);
                Set<String> tokens = tokenizer.tokenize(c);
                if (drop) {
                    // experiment: MTA version numbers in Received fields ("8.12.8/8.12.5") read as host names
                    tokens.removeIf(
                            t -> t.startsWith("received:") && t.substring(9).matches("[0-9.]+"));
                }
                boolean ordinary = detector.detect(c).kind() == MailKind.Kind.ORDINARY;
                String[] arr = new String[tokens.size()];
                int j = 0;
                for (String t : tokens) {
                    arr[j++] = intern.computeIfAbsent(t, x -> x);
                }
                boolean[] f = new boolean[featureNames.length];
                for (int q = 0; q < f.length; q++) {
                    f[q] = FEATURES.get(featureNames[q]).test(tokens);
                }
                list.add(new Msg(name, spam, ordinary, arr, f));
            });
        }
        System.out.printf(Locale.ROOT, "read %d sources in %.0f s:", bySource.size(), (System.nanoTime() - t0) / 1e9);
        bySource.forEach((k, v) -> System.out.printf(Locale.ROOT, " %s=%d", k, v.size()));
        System.out.println();
        printFeatureRates(bySource, featureNames);
        for (Experiment e : experiments) {
            run(e, bySource, featureNames, prune, reference);
        }
    }

    private static void printFeatureRates(Map<String, List<Msg>> bySource, String[] names) {
        StringBuilder h = new StringBuilder("| feature |");
        bySource.keySet().forEach(k -> h.append(' ').append(k).append(" |"));
        System.out.println(h);
        for (int q = 0; q < names.length; q++) {
            StringBuilder row = new StringBuilder("| " + names[q] + " |");
            for (List<Msg> l : bySource.values()) {
                int qq = q;
                long n = l.stream().filter(m -> m.features()[qq]).count();
                row.append(String.format(Locale.ROOT, " %.1f%% |", 100.0 * n / Math.max(1, l.size())));
            }
            System.out.println(row);
        }
    }

    private static BayesModel train(List<Msg> msgs, int prune) {
        BayesModel model = BayesModel.empty();
        for (Msg m : msgs) {
            model.learn(Arrays.asList(m.tokens()), m.spam());
        }
        if (prune > 1) {
            model.prune(prune);
        }
        return model;
    }

    private static double score(BayesModel model, Msg m) {
        return model.classify(new LinkedHashSet<>(Arrays.asList(m.tokens()))).score();
    }

    static double logit(double s) {
        double p = Math.min(0.999, Math.max(0.001, s));
        return Math.log(p / (1 - p));
    }

    private static void run(
            Experiment e, Map<String, List<Msg>> bySource, String[] names, int prune, double reference) {
        long t0 = System.nanoTime();
        List<Msg> train = new ArrayList<>();
        for (String s : e.train()) {
            train.addAll(require(bySource, s));
        }
        // out-of-fold Bayes scores of the training messages
        double[] oof = new double[train.size()];
        if (e.bySource()) {
            for (String s : e.train()) {
                List<Msg> rest = new ArrayList<>();
                for (Msg m : train) {
                    if (!m.source().equals(s)) {
                        rest.add(m);
                    }
                }
                BayesModel model = train(rest, prune);
                for (int i = 0; i < train.size(); i++) {
                    if (train.get(i).source().equals(s)) {
                        oof[i] = score(model, train.get(i));
                    }
                }
            }
        } else {
            for (int f = 0; f < FOLDS; f++) {
                List<Msg> rest = new ArrayList<>();
                for (int i = 0; i < train.size(); i++) {
                    if (i % FOLDS != f) {
                        rest.add(train.get(i));
                    }
                }
                BayesModel model = train(rest, prune);
                for (int i = f; i < train.size(); i += FOLDS) {
                    oof[i] = score(model, train.get(i));
                }
            }
        }
        BayesModel full = train(train, prune);
        Map<String, List<Msg>> tests = new LinkedHashMap<>();
        Map<String, double[]> testBayes = new LinkedHashMap<>();
        for (String s : e.test()) {
            List<Msg> l = require(bySource, s);
            tests.put(s, l);
            double[] b = new double[l.size()];
            for (int i = 0; i < b.length; i++) {
                b[i] = l.get(i).ordinary() ? score(full, l.get(i)) : 0;
            }
            testBayes.put(s, b);
        }
        System.out.printf(
                Locale.ROOT,
                "%n## %s: train %s (%d msgs, OOF by %s), test %s; Bayes models trained in %.0f s%n",
                e.label(),
                e.train(),
                train.size(),
                e.bySource() ? "source" : FOLDS + " folds",
                e.test(),
                (System.nanoTime() - t0) / 1e9);
        // reference: Bayes alone at the reference threshold
        int allowed = 0;
        int ham = 0;
        for (String s : tests.keySet()) {
            List<Msg> l = tests.get(s);
            double[] b = testBayes.get(s);
            if (!e.match().isEmpty() && !e.match().contains(s)) {
                continue;
            }
            for (int i = 0; i < b.length; i++) {
                if (!l.get(i).spam()) {
                    ham++;
                    if (l.get(i).ordinary() && b[i] >= reference) {
                        allowed++;
                    }
                }
            }
        }
        System.out.printf(
                Locale.ROOT,
                "Bayes alone at %.2f flags %d of %d ham of %s (%.2f%%); rows with t chosen flag at most that many there%n",
                reference,
                allowed,
                ham,
                e.match().isEmpty() ? "all test sets" : e.match(),
                100.0 * allowed / Math.max(1, ham));
        boolean[] all = new boolean[names.length];
        Arrays.fill(all, true);
        double[] w = fit(train, oof, all, true);
        printWeights(w, names, all);
        Map<String, Double> base =
                report("Bayes alone (threshold " + reference + ")", tests, testBayes, null, null, reference, -1, null);
        report(
                "Bayes recalibrated (LR over the Bayes logit only)",
                tests,
                testBayes,
                fit(train, oof, new boolean[names.length], true),
                new boolean[names.length],
                Double.NaN,
                allowed,
                base,
                e.match());
        report("Bayes + all features", tests, testBayes, w, all, Double.NaN, allowed, base, e.match());
        for (double t : new double[] {0.95, 0.99}) {
            report("Bayes alone at " + t, tests, testBayes, null, null, t, -1, base);
        }
        for (double t : new double[] {0.9, 0.95, 0.99, 0.995, 0.999}) {
            report("Bayes + all features at " + t, tests, testBayes, w, all, t, -1, base);
        }
        report(
                "all features, no Bayes",
                tests,
                testBayes,
                fit(train, oof, all, false),
                all,
                Double.NaN,
                allowed,
                base,
                e.match());
        // the combination's own threshold, fixed on the training data: flag at most as many OOF training ham as Bayes
        // at the reference threshold did out of fold
        int oofHam = 0;
        int oofFlag = 0;
        List<Double> hamComb = new ArrayList<>();
        for (int i = 0; i < train.size(); i++) {
            Msg m = train.get(i);
            if (!m.spam() && m.ordinary()) {
                oofHam++;
                if (oof[i] >= reference) {
                    oofFlag++;
                }
                hamComb.add(combined(w, oof[i], m.features(), all));
            }
        }
        hamComb.sort(null);
        double fixed = oofFlag == 0 ? hamComb.get(hamComb.size() - 1) + 1e-9 : hamComb.get(hamComb.size() - oofFlag);
        System.out.printf(
                Locale.ROOT,
                "OOF training ham flagged by Bayes at %.2f: %d of %d; the combination's threshold fixed from that: %.4f%n",
                reference,
                oofFlag,
                oofHam,
                fixed);
        report("Bayes + all features, threshold fixed on training", tests, testBayes, w, all, fixed, -1, base);
        for (boolean without : new boolean[] {true, false}) {
            System.out.println(
                    without
                            ? "ablation (Bayes + all features but one, at the same flagged-ham count):"
                            : "single features (Bayes + one feature):");
            for (int q = 0; q < names.length; q++) {
                boolean[] use = without ? all.clone() : new boolean[names.length];
                use[q] = !without;
                report(
                        (without ? "  without " : "  only ") + names[q],
                        tests,
                        testBayes,
                        fit(train, oof, use, true),
                        use,
                        Double.NaN,
                        allowed,
                        base,
                        e.match());
            }
        }
    }

    private static List<Msg> require(Map<String, List<Msg>> bySource, String s) {
        List<Msg> l = bySource.get(s);
        if (l == null) {
            throw new IllegalArgumentException("no source " + s);
        }
        return l;
    }

    private static void printWeights(double[] w, String[] names, boolean[] use) {
        StringBuilder sb = new StringBuilder("weights: intercept ");
        sb.append(String.format(Locale.ROOT, "%.3f, bayes-logit %.3f", w[0], w[1]));
        for (int q = 0; q < names.length; q++) {
            if (use[q]) {
                sb.append(String.format(Locale.ROOT, ", %s %.3f", names[q], w[q + 2]));
            }
        }
        System.out.println(sb);
    }

    static double combined(double[] w, double bayes, boolean[] f, boolean[] use) {
        double z = w[0] + w[1] * logit(bayes);
        for (int q = 0; q < f.length; q++) {
            if (use[q] && f[q]) {
                z += w[q + 2];
            }
        }
        return 1 / (1 + Math.exp(-z));
    }

    /**
     * Prints one row per test set. With {@code w == null}: Bayes alone at {@code threshold}. Otherwise the combination,
     * at {@code threshold} if it is a number, else at the highest threshold that flags at most {@code allowed} test ham.
     */
    private static Map<String, Double> report(
            String label,
            Map<String, List<Msg>> tests,
            Map<String, double[]> bayes,
            double[] w,
            boolean[] use,
            double threshold,
            int allowed,
            Map<String, Double> base) {
        return report(label, tests, bayes, w, use, threshold, allowed, base, List.of());
    }

    private static Map<String, Double> report(
            String label,
            Map<String, List<Msg>> tests,
            Map<String, double[]> bayes,
            double[] w,
            boolean[] use,
            double threshold,
            int allowed,
            Map<String, Double> base,
            List<String> match) {
        Map<String, double[]> scores = new LinkedHashMap<>();
        List<Double> hamScores = new ArrayList<>();
        for (String s : tests.keySet()) {
            List<Msg> l = tests.get(s);
            double[] b = bayes.get(s);
            double[] c = new double[b.length];
            for (int i = 0; i < c.length; i++) {
                Msg m = l.get(i);
                c[i] = !m.ordinary() ? -1 : w == null ? b[i] : combined(w, b[i], m.features(), use);
                if (!m.spam() && m.ordinary() && (match.isEmpty() || match.contains(s))) {
                    hamScores.add(c[i]);
                }
            }
            scores.put(s, c);
        }
        double t = threshold;
        if (Double.isNaN(t)) {
            hamScores.sort(null);
            // smallest threshold with at most `allowed` ham at or above it
            t = allowed >= hamScores.size() ? 0 : Math.nextUp(hamScores.get(hamScores.size() - 1 - allowed));
        }
        Map<String, Double> rates = new LinkedHashMap<>();
        StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %s (t=%.4f) |", label, t));
        for (String s : tests.keySet()) {
            double[] c = scores.get(s);
            List<Msg> l = tests.get(s);
            int flagged = 0;
            for (int i = 0; i < c.length; i++) {
                if (l.get(i).ordinary() && c[i] >= t) {
                    flagged++;
                }
            }
            double r = 100.0 * flagged / Math.max(1, c.length);
            rates.put(s, r);
            row.append(String.format(Locale.ROOT, " %s %.2f%% (%d/%d)", s, r, flagged, c.length));
            if (base != null) {
                row.append(String.format(Locale.ROOT, " [%+.2f]", r - base.get(s)));
            }
            row.append(" |");
        }
        System.out.println(row);
        return rates;
    }

    /**
     * Weighted L2 logistic regression by Newton's method. Columns: intercept, Bayes logit (if {@code withBayes}), the
     * features in {@code use}. Every source weighs the same in total; the penalty spares the intercept.
     */
    static double[] fit(List<Msg> train, double[] oof, boolean[] use, boolean withBayes) {
        int nf = use.length;
        int d = nf + 2;
        Map<String, Integer> perSource = new HashMap<>();
        int n = 0;
        for (Msg m : train) {
            if (m.ordinary()) {
                perSource.merge(m.source(), 1, Integer::sum);
                n++;
            }
        }
        int sources = perSource.size();
        double[] w = new double[d];
        for (int iter = 0; iter < 25; iter++) {
            double[] g = new double[d];
            double[][] hess = new double[d][d];
            for (int i = 0; i < train.size(); i++) {
                Msg m = train.get(i);
                if (!m.ordinary()) {
                    continue;
                }
                double sw = (double) n / sources / perSource.get(m.source());
                double[] x = row(m, oof[i], use, withBayes, d);
                double z = 0;
                for (int j = 0; j < d; j++) {
                    z += w[j] * x[j];
                }
                double p = 1 / (1 + Math.exp(-z));
                double y = m.spam() ? 1 : 0;
                for (int j = 0; j < d; j++) {
                    if (x[j] == 0) {
                        continue;
                    }
                    g[j] += sw * (p - y) * x[j];
                    for (int k = 0; k < d; k++) {
                        hess[j][k] += sw * p * (1 - p) * x[j] * x[k];
                    }
                }
            }
            for (int j = 1; j < d; j++) {
                g[j] += L2 * w[j];
                hess[j][j] += L2;
            }
            double[] step = solve(hess, g);
            double max = 0;
            for (int j = 0; j < d; j++) {
                w[j] -= step[j];
                max = Math.max(max, Math.abs(step[j]));
            }
            if (max < 1e-7) {
                break;
            }
        }
        return w;
    }

    private static double[] row(Msg m, double bayes, boolean[] use, boolean withBayes, int d) {
        double[] x = new double[d];
        x[0] = 1;
        x[1] = withBayes ? logit(bayes) : 0;
        for (int q = 0; q < use.length; q++) {
            x[q + 2] = use[q] && m.features()[q] ? 1 : 0;
        }
        return x;
    }

    /** Solves a x = b for a symmetric positive semi-definite a (Gaussian elimination, unused columns get 0). */
    private static double[] solve(double[][] a, double[] b) {
        int d = b.length;
        double[][] m = new double[d][d + 1];
        for (int i = 0; i < d; i++) {
            System.arraycopy(a[i], 0, m[i], 0, d);
            m[i][i] += 1e-9;
            m[i][d] = b[i];
        }
        for (int c = 0; c < d; c++) {
            int p = c;
            for (int r = c + 1; r < d; r++) {
                if (Math.abs(m[r][c]) > Math.abs(m[p][c])) {
                    p = r;
                }
            }
            double[] tmp = m[c];
            m[c] = m[p];
            m[p] = tmp;
            if (Math.abs(m[c][c]) < 1e-12) {
                continue;
            }
            for (int r = 0; r < d; r++) {
                if (r != c) {
                    double f = m[r][c] / m[c][c];
                    for (int k = c; k <= d; k++) {
                        m[r][k] -= f * m[c][k];
                    }
                }
            }
        }
        double[] x = new double[d];
        for (int i = 0; i < d; i++) {
            x[i] = Math.abs(m[i][i]) < 1e-12 ? 0 : m[i][d] / m[i][i];
        }
        return x;
    }
}
