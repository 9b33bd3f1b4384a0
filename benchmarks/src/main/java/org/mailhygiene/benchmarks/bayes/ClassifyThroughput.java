package org.mailhygiene.benchmarks.bayes;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.scanners.bayes.BayesScanner;
import org.mailhygiene.scanners.bayes.MailSources;
import org.mailhygiene.scanners.bayes.Tokenizer;

/**
 * Single-threaded classify throughput of the Bayes classifier, warm.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar org.mailhygiene.benchmarks.bayes.ClassifyThroughput \
 *     --spam DIR --ham DIR [--passes 5] [--model FILE|default]
 * </pre>
 *
 * <p>Learns every message once (or, with {@code --model}, judges with that model: {@code default} is the shipped one,
 * with its logistic part), then judges every message (tokenize, bounce and auto-reply detection, classify, from
 * the bytes in memory, as {@link BayesScanner#judge} and {@link BayesScanner#scan} do) on one thread, {@code passes} times over. The first pass warms the JIT and is not
 * counted; the rest are reported as messages per second of this thread's CPU time (so other load on a shared machine
 * distorts it as little as possible) and of wall time. Prints a checksum of the spam decisions so runs of different
 * builds can be compared for equal results.
 */
public final class ClassifyThroughput {
    private ClassifyThroughput() {}

    /**
     * Runs the measurement.
     *
     * @param args see the class description
     * @throws IOException if a source cannot be read
     */
    public static void main(String[] args) throws IOException {
        List<Path> spamDirs = new ArrayList<>();
        List<Path> hamDirs = new ArrayList<>();
        int passes = 5;
        String modelSpec = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--spam" -> spamDirs.add(Path.of(args[++i]));
                case "--ham" -> hamDirs.add(Path.of(args[++i]));
                case "--passes" -> passes = Integer.parseInt(args[++i]);
                case "--model" -> modelSpec = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (passes < 2) {
            throw new IllegalArgumentException("--passes must be >= 2 (the first one only warms up)");
        }
        List<byte[]> messages = new ArrayList<>();
        List<Boolean> labels = new ArrayList<>();
        for (Path p : spamDirs) {
            MailSources.forEach(p, (id, m) -> {
                messages.add(m);
                labels.add(true);
            });
        }
        for (Path p : hamDirs) {
            MailSources.forEach(p, (id, m) -> {
                messages.add(m);
                labels.add(false);
            });
        }
        Tokenizer tokenizer = Tokenizer.create();
        BayesModel model;
        if (modelSpec != null) {
            model = org.mailhygiene.scanners.bayes.BayesModels.load(modelSpec);
        } else {
            model = BayesModel.empty();
            for (int i = 0; i < messages.size(); i++) {
                model.learn(tokenizer.tokenize(MessageContent.ofBytes(messages.get(i))), labels.get(i));
            }
        }
        BayesScanner scanner = BayesScanner.builder(model).tokenizer(tokenizer).build();
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        long counted = 0;
        long cpuNanos = 0;
        long wallNanos = 0;
        for (int pass = 0; pass < passes; pass++) {
            long c0 = cpu.getCurrentThreadCpuTime();
            long w0 = System.nanoTime();
            long flagged = 0;
            for (byte[] m : messages) {
                flagged += scanner.judge(Message.of(m)).spam() ? 1 : 0;
            }
            long c = cpu.getCurrentThreadCpuTime() - c0;
            long w = System.nanoTime() - w0;
            System.out.printf(
                    Locale.ROOT,
                    "pass %d%s: %d msgs, %.0f msgs/s per CPU-second, %.0f msgs/s wall, %d flagged%n",
                    pass + 1,
                    pass == 0 ? " (warm-up)" : "",
                    messages.size(),
                    messages.size() / (c / 1e9),
                    messages.size() / (w / 1e9),
                    flagged);
            if (pass > 0) {
                counted += messages.size();
                cpuNanos += c;
                wallNanos += w;
            }
        }
        System.out.printf(
                Locale.ROOT,
                "classify (tokenize+detect+classify), one thread, passes 2-%d: %.0f msgs/s per CPU-second, %.0f msgs/s wall%n",
                passes,
                counted / (cpuNanos / 1e9),
                counted / (wallNanos / 1e9));
    }
}
