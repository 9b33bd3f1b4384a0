package org.mailhygiene.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.mailhygiene.api.Message;
import org.mailhygiene.internal.IoErrors;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.scanners.bayes.BayesModels;
import org.mailhygiene.scanners.bayes.BayesScanner;
import org.mailhygiene.scanners.bayes.MailSources;

/**
 * {@code hygiene eval --model FILE|default --spam SOURCE --ham SOURCE [--threshold T]}: measures a Bayes model on
 * labelled mail and prints spam caught and ham flagged as counts and percentages, and the speed. Messages are judged
 * as {@code hygiene scan} judges them: bounces and automatic replies are not classified (never flagged) and are
 * counted on a line of their own.
 *
 * <p>Output (standard output):
 *
 * <pre>
 * spam caught: 486/500 (97.20%)
 * ham flagged: 2/1000 (0.20%)
 * threshold 0.7, 1500 messages in 1.9 s (789 msgs/s)
 * not classified: spam 0 bounces, 0 auto-replies; ham 3 bounces, 1 auto-replies
 * unsure band [0.7, 0.99): spam 12, ham 2
 * </pre>
 *
 * <p>Evaluate on mail the model was not trained on, or the numbers mean little. Exit status 0 when the evaluation ran
 * (whatever the numbers), 2 on errors.
 */
public final class EvalCommand implements Command {

    /** Creates the command. */
    public EvalCommand() {}

    @Override
    public String name() {
        return "eval";
    }

    @Override
    public String summary() {
        return "measure a spam classifier model on labelled mail (spam caught, ham flagged)";
    }

    @Override
    public String usage() {
        return "usage: hygiene eval --model FILE|default --spam SOURCE --ham SOURCE [--threshold T] [--no-brand-check]\n\n"
                + "Classifies labelled mail with the model and prints how much spam it caught and how much ham it\n"
                + "flagged. SOURCE is a directory of message files, a Maildir or an mbox file; --spam and --ham may\n"
                + "be repeated, and either left out (to measure ham alone, say); files are read as 'hygiene train'\n"
                + "reads them (hidden ones not read; empty files, files that do not open like mail and compressed\n"
                + "ones skipped and named on standard error); a SOURCE holding no message it could read is an\n"
                + "error. --threshold overrides the spam threshold (default: the model's own, "
                + BayesScanner.DEFAULT_THRESHOLD + " for a model\n"
                + "trained from scratch, " + BayesModels.DEFAULT_MODEL_THRESHOLD
                + " for the default model and models learned on top of it).\n"
                + "Bounces and automatic replies are not classified (as in 'hygiene scan'): never flagged, they\n"
                + "count in the totals and are also counted apart.\n"
                + "A From display name naming a well-known brand over an address at none of its domains is spam\n"
                + "whatever the score (BAYES_BRAND_SPOOF, as in 'hygiene scan'); --no-brand-check measures the\n"
                + "classifier alone.\n"
                + "--model default measures the shipped default model.\n";
    }

    @Override
    public int run(List<String> args, Io io) throws UsageException {
        CorpusArguments a = CorpusArguments.parse(args, List.of("--no-brand-check"), true);
        try {
            Path modelFile = a.model.orElseThrow();
            BayesModel model = BayesModels.load(modelFile.toString());
            if (model.spamMessages() == 0 || model.hamMessages() == 0) {
                // hygiene scan fails every message with such a model; counting them as not flagged would report a
                // model that cannot classify as one that catches no spam and flags no ham
                io.err()
                        .println("hygiene eval: " + modelFile + ": the model has not learned both spam and ham (spam "
                                + model.spamMessages() + ", ham " + model.hamMessages() + "): it cannot classify");
                return EXIT_ERROR;
            }
            BayesScanner.Builder b = BayesScanner.builder(model); // the default model's threshold if it started there
            a.threshold.ifPresent(b::threshold);
            b.brandCheck(!a.flags.contains("--no-brand-check"));
            BayesScanner scanner = b.build();
            long start = System.nanoTime();
            long[] spam = count(scanner, a.spam, io);
            long[] ham = count(scanner, a.ham, io);
            double seconds = (System.nanoTime() - start) / 1e9;
            long total = spam[1] + ham[1];
            io.out().println("spam caught: " + spam[0] + "/" + spam[1] + " (" + percent(spam[0], spam[1]) + ")");
            io.out().println("ham flagged: " + ham[0] + "/" + ham[1] + " (" + percent(ham[0], ham[1]) + ")");
            io.out()
                    .printf(
                            Locale.ROOT,
                            "threshold %s, %d messages in %.1f s (%.0f msgs/s)%n",
                            scanner.threshold(),
                            total,
                            seconds,
                            seconds > 0 ? total / seconds : 0.0);
            io.out()
                    .printf(
                            "not classified: spam %d bounces, %d auto-replies; ham %d bounces, %d auto-replies"
                                    + " (in the totals above, never flagged)%n",
                            spam[2], spam[3], ham[2], ham[3]);
            if (scanner.threshold() < scanner.sureThreshold()) {
                io.out()
                        .printf(
                                Locale.ROOT,
                                "unsure band [%s, %s): spam %d, ham %d%n",
                                scanner.threshold(),
                                scanner.sureThreshold(),
                                spam[4],
                                ham[4]);
            } else {
                io.out()
                        .printf(
                                Locale.ROOT,
                                "no unsure band: the threshold %s is at or above %s, where spam verdicts are sure%n",
                                scanner.threshold(),
                                scanner.sureThreshold());
            }
            return EXIT_OK;
        } catch (EmptySource e) {
            io.err().println("hygiene eval: " + e.getMessage());
            return EXIT_ERROR;
        } catch (IOException e) {
            io.err().println("hygiene eval: " + IoErrors.describe(e));
            return EXIT_ERROR;
        }
    }

    /**
     * A source that holds no message: nothing at all, or only files and messages skipped (said above it: empty, not
     * mail, a compressed mbox), which measured nothing as well ("0/0 (n/a)", exit 0, for a gzip-compressed mbox).
     */
    private static final class EmptySource extends IOException {
        private static final long serialVersionUID = 1L;

        EmptySource(Path source, long skipped) {
            super(source
                    + (skipped == 0
                            ? ": no messages in it (an empty or wrong directory, Maildir or mbox?)"
                            : ": no message in it that could be read (" + skipped + " skipped, see above)")
                    + ": nothing to measure");
        }
    }

    /**
     * Returns {flagged as spam, total, bounces, auto-replies, flagged below the sure threshold}; names each file not
     * counted (empty, too large, not readable to its end by the classifier) on standard error, so that the totals do
     * not leave messages out silently.
     */
    private static long[] count(BayesScanner scanner, List<CorpusArguments.Source> sources, Io io) throws IOException {
        long[] n = new long[5];
        for (CorpusArguments.Source source : sources) {
            Path p = source.path();
            long[] seen = {0, 0}; // messages read, files and messages skipped
            MailSources.forEach(p, new MailSources.Visitor() {
                @Override
                public void skipped(String id, String reason) {
                    seen[1]++;
                    // a file name may hold a line break or a terminal control: one line each, as scan prints names
                    io.err().println(FileReport.printable("hygiene eval: skipped " + id + ": " + reason));
                }

                @Override
                public void message(String id, byte[] message) throws IOException {
                    seen[0]++;
                    BayesScanner.Judgement j = scanner.judge(Message.of(message));
                    if (j.unscannable()) {
                        // as hygiene scan and the relay say: not classified to its end, so neither caught nor clean
                        skipped(
                                id,
                                "MIME walk incomplete (" + j.walkLimit().orElseThrow()
                                        + "): not classified to its end, as scan reports it (UNSCANNABLE)");
                        return;
                    }
                    count(scanner, j, n);
                }
            });
            if (seen[0] == 0) {
                // an empty or mistyped directory measures nothing: "0/0 (n/a)" and exit 0 read as a run that worked
                throw new EmptySource(p, seen[1]);
            }
        }
        return n;
    }

    /** Counts one judged message into {@code n} (see {@link #count(BayesScanner, List, Io)}). */
    private static void count(BayesScanner scanner, BayesScanner.Judgement j, long[] n) {
        n[1]++;
        if (j.spam()) {
            n[0]++;
            if (j.classification().score() < scanner.sureThreshold()) {
                n[4]++;
            }
        }
        switch (j.kind().kind()) {
            case BOUNCE, BACKSCATTER -> n[2]++;
            case AUTO_REPLY -> n[3]++;
            case ORDINARY -> {
                // classified above
            }
        }
    }

    static String percent(long part, long whole) {
        return whole == 0 ? "n/a" : String.format(Locale.ROOT, "%.2f%%", 100.0 * part / whole);
    }
}
