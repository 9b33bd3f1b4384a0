package org.mailhygiene.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.internal.IoErrors;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.scanners.bayes.Tokenizer;
import org.mailhygiene.testkit.corpus.SyntheticCorpus;

/**
 * {@code hygiene corpus [--count N] [--seed S] DIR}: writes generated, labelled mail ({@link SyntheticCorpus}: Japanese
 * in ISO-2022-JP, Shift_JIS, EUC-JP, UTF-8 and raw JIS, and English) to {@code DIR/spam} and {@code DIR/ham}, N
 * messages each (default {@value #DEFAULT_COUNT}). Every message was written by this project, so a model trained on
 * them ({@code hygiene train --spam DIR/spam --ham DIR/ham --model FILE}) may be shipped with the demo; see also
 * {@link #demoModel()}. Existing files are replaced. Exit status 0 on success, 2 on errors.
 */
public final class CorpusCommand implements Command {
    /** Messages per class by default. */
    static final int DEFAULT_COUNT = 200;

    /** Creates the command. */
    public CorpusCommand() {}

    /**
     * The demo's classifier model: trained in memory on {@value #DEFAULT_COUNT} generated spam and ham messages (seed
     * 1), none of them third-party mail.
     *
     * @return a new model
     */
    public static BayesModel demoModel() {
        BayesModel model = BayesModel.empty();
        Tokenizer tokenizer = Tokenizer.create();
        SyntheticCorpus corpus = SyntheticCorpus.seeded(1);
        try {
            for (boolean spam : new boolean[] {true, false}) {
                for (SyntheticCorpus.Sample s : corpus.generate(DEFAULT_COUNT, spam)) {
                    model.learn(tokenizer.tokenize(MessageContent.ofBytes(s.bytes())), spam);
                }
            }
        } catch (IOException e) { // in-memory content cannot fail to read
            throw new IllegalStateException(e);
        }
        return model;
    }

    @Override
    public String name() {
        return "corpus";
    }

    @Override
    public String summary() {
        return "write generated Japanese and English spam and ham to DIR/spam and DIR/ham (for training demos)";
    }

    @Override
    public String usage() {
        return "usage: hygiene corpus [--count N] [--seed S] DIR\n\n"
                + "Writes N generated spam and N generated ham messages (default " + DEFAULT_COUNT + ") to DIR/spam\n"
                + "and DIR/ham: Japanese in ISO-2022-JP, Shift_JIS, EUC-JP, UTF-8 and undeclared raw JIS, and\n"
                + "English. DIR/spam and DIR/ham must be new or empty (training reads whole directories).\n"
                + "Then: hygiene train --spam DIR/spam --ham DIR/ham --model model.bin\n";
    }

    @Override
    public int run(List<String> args, Io io) throws UsageException {
        int count = DEFAULT_COUNT;
        long seed = 1;
        Path dir = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--count", "--seed" -> {
                    if (i + 1 >= args.size()) {
                        throw new UsageException(a + " needs a value");
                    }
                    String v = args.get(++i);
                    try {
                        if (a.equals("--count")) {
                            count = Integer.parseInt(v);
                            if (count < 1) {
                                throw new NumberFormatException();
                            }
                        } else {
                            seed = Long.parseLong(v);
                        }
                    } catch (NumberFormatException e) {
                        throw new UsageException(a + " must be a positive whole number, was " + v);
                    }
                }
                default -> {
                    if (a.startsWith("-") || dir != null) {
                        throw new UsageException("unexpected argument " + a);
                    }
                    try {
                        dir = Path.of(a);
                    } catch (InvalidPathException e) {
                        throw new UsageException("not a path: " + a);
                    }
                }
            }
        }
        if (dir == null) {
            throw new UsageException("give the directory to write to");
        }
        SyntheticCorpus corpus = SyntheticCorpus.seeded(seed);
        try {
            // files already there would be trained on with the new ones (hygiene train reads whole directories)
            for (String sub : List.of("spam", "ham")) {
                Path d = dir.resolve(sub);
                if (Files.isDirectory(d)) {
                    try (Stream<Path> entries = Files.list(d)) {
                        long n = entries.count();
                        if (n > 0) {
                            io.err()
                                    .println("hygiene corpus: " + d + " already holds " + n + " file(s), which 'hygiene"
                                            + " train' would learn with the new ones; give an empty or new DIR (nothing"
                                            + " was written)");
                            return EXIT_ERROR;
                        }
                    }
                }
            }
            for (boolean spam : new boolean[] {true, false}) {
                Path sub = Files.createDirectories(dir.resolve(spam ? "spam" : "ham"));
                int n = 0;
                for (SyntheticCorpus.Sample s : corpus.generate(count, spam)) {
                    String name = String.format(
                            Locale.ROOT,
                            "%05d-%s-%s.eml",
                            n++,
                            s.language(),
                            s.encoding().name().toLowerCase(Locale.ROOT));
                    Files.write(sub.resolve(name), s.bytes());
                }
            }
        } catch (IOException e) {
            io.err().println("hygiene corpus: " + IoErrors.describe(e));
            return EXIT_ERROR;
        }
        io.out().println(dir.resolve("spam") + ": " + count + " messages");
        io.out().println(dir.resolve("ham") + ": " + count + " messages");
        return EXIT_OK;
    }
}
