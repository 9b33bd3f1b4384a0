package org.mailhygiene.benchmarks.bayes;

import java.io.IOException;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.api.shared.SharedStates;
import org.mailhygiene.api.shared.TokenStore;
import org.mailhygiene.benchmarks.TempDirs;
import org.mailhygiene.scanners.bayes.BayesModels;
import org.mailhygiene.scanners.bayes.Tokenizer;

/**
 * What the learn journal costs a learning call as it fills, for a model file and for a cluster's Redis.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar org.mailhygiene.benchmarks.bayes.LearnJournalCost \
 *     [--sizes 0,50000,200000,400000] [--calls 5] [--redis redis://127.0.0.1:6379/15 --records 250000]
 * </pre>
 *
 * <p>File: for each size, a model file (the default model, saved by one {@code hygiene learn --once} call) gets a
 * journal of that many records written beside it, bound to the file (the journal's documented text format), then
 * {@code calls} more learnings of new messages are timed, each a whole {@link BayesModels#learnOnceInto} call (lock,
 * read the model and the journal, learn, write both); the journal's size on disk after them is printed. A size above
 * the bound shows the call that trims it. Redis: {@code records} keyed learnings of distinct one-token messages
 * ({@link TokenStore#learn(String, String, java.util.Collection, boolean)}) into a fresh model name, timed, then the
 * server's {@code used_memory} is read with {@code redis-cli} before and after (run it against an otherwise idle
 * database). Wall time on whatever else the machine runs.
 */
public final class LearnJournalCost {
    private LearnJournalCost() {}

    /**
     * Runs the measurement.
     *
     * @param args see the class description
     * @throws Exception if a file or Redis fails
     */
    public static void main(String[] args) throws Exception {
        List<Integer> sizes = List.of(0, 50_000, 200_000, 400_000);
        int calls = 5;
        String redis = null;
        int records = 250_000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sizes" -> {
                    List<Integer> s = new ArrayList<>();
                    for (String v : args[++i].split(",")) {
                        s.add(Integer.parseInt(v.trim()));
                    }
                    sizes = s;
                }
                case "--calls" -> calls = Integer.parseInt(args[++i]);
                case "--redis" -> redis = args[++i];
                case "--records" -> records = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Tokenizer tokenizer = Tokenizer.create();
        Path dir = TempDirs.create("journal-cost");
        for (int size : sizes) {
            Path model = dir.resolve("m" + size + ".model");
            BayesModels.learnOnceInto(model, true, List.of(message(-1)), tokenizer); // the default model, saved
            Path journal = BayesModels.journalFile(model);
            writeJournal(journal, sha256(Files.readAllBytes(model)), size);
            long best = Long.MAX_VALUE;
            long total = 0;
            for (int c = 0; c < calls; c++) {
                long t0 = System.nanoTime();
                BayesModels.learnOnceInto(model, c % 2 == 0, List.of(message(c)), tokenizer);
                long t = System.nanoTime() - t0;
                best = Math.min(best, t);
                total += t;
            }
            System.out.printf(
                    Locale.ROOT,
                    "file: %,9d records written before: learning call mean %6.0f ms, best %6.0f ms; journal now %,d"
                            + " bytes, %,d records%n",
                    size,
                    total / 1e6 / calls,
                    best / 1e6,
                    Files.size(journal),
                    Files.readAllLines(journal).size() - 2);
        }
        if (redis != null) {
            URI uri = new URI(redis);
            long before = RedisCli.usedMemory(uri);
            String model = "journal-cost-" + System.nanoTime();
            try (SharedState state = SharedStates.open(uri, Duration.ofSeconds(10))) {
                TokenStore store = state.tokens();
                long t0 = System.nanoTime();
                for (int i = 0; i < records; i++) {
                    store.learn(model, String.format(Locale.ROOT, "%032x", (long) i), List.of("word"), i % 2 == 0);
                }
                double s = (System.nanoTime() - t0) / 1e9;
                long after = RedisCli.usedMemory(uri);
                System.out.printf(
                        Locale.ROOT,
                        "redis: %,d keyed learnings in %.1f s (%,.0f/s); used_memory %,d -> %,d bytes (%.0f bytes per"
                                + " record kept, at most %,d kept)%n",
                        records,
                        s,
                        records / s,
                        before,
                        after,
                        (after - before) / (double) Math.min(records, 200_000),
                        200_000);
            }
        }
    }

    private static MessageContent message(int n) {
        String m = "From: Sender " + n + " <s" + n + "@example.net>\r\nTo: a@example.org\r\nSubject: note " + n
                + "\r\n\r\nA short note number " + n + " about the meeting.\r\n";
        return MessageContent.ofBytes(m.getBytes(StandardCharsets.US_ASCII));
    }

    private static void writeJournal(Path journal, String modelDigest, int records) throws IOException {
        try (Writer w = Files.newBufferedWriter(journal, StandardCharsets.UTF_8)) {
            w.write("# hygiene learn journal 1\nmodel " + modelDigest + "\n");
            for (int i = 0; i < records; i++) {
                w.write(String.format(Locale.ROOT, "%032x %s %d\n", (long) i, i % 2 == 0 ? "spam" : "ham", 1 + i % 7));
            }
        }
    }

    private static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
