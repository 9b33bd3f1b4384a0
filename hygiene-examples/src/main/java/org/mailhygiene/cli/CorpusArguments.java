package org.mailhygiene.cli;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.mailhygiene.scanners.bayes.ModelTrainer;

/**
 * The arguments {@code hygiene train} and {@code hygiene eval} share: {@code --spam SOURCE} and {@code --ham SOURCE}
 * (each repeatable; a directory of messages, a Maildir or an mbox file), {@code --model FILE}, and flags. For
 * {@code train} also {@code --weight N}: every source after it counts each of its messages N times, until the next
 * {@code --weight} (the sources before the first count once), {@code --prune N}, {@code --prune-weighted M} and
 * {@code --ignore TEXT} (repeatable, at least {@value ModelTrainer#MIN_IGNORE_LENGTH} characters). Not thread-safe; one
 * per run.
 */
final class CorpusArguments {
    final List<Source> spam = new ArrayList<>();
    final List<Source> ham = new ArrayList<>();

    Optional<Path> model = Optional.empty();
    Optional<Double> threshold = Optional.empty();
    int prune;
    int pruneWeighted;
    /** {@code --logistic OFFSET}: fit a logistic part with this offset ({@link ModelTrainer#fitLogistic}). */
    Optional<Double> logistic = Optional.empty();
    /** What {@code --ignore} names, in the order given: a token that mentions one is learned from no message. */
    final List<String> ignore = new ArrayList<>();
    /** {@code --drop} texts, in order (train only). */
    final List<String> drop = new ArrayList<>();

    final List<String> flags = new ArrayList<>();

    /**
     * Parses the arguments.
     *
     * @param args the arguments after the command word
     * @param allowedFlags switches this command accepts, e.g. {@code --update}
     * @param allowThreshold whether {@code --threshold T} is accepted
     * @return the parsed arguments
     * @throws UsageException naming the offending argument
     */
    static CorpusArguments parse(List<String> args, List<String> allowedFlags, boolean allowThreshold)
            throws UsageException {
        CorpusArguments a = new CorpusArguments();
        int weight = 1;
        String unusedWeight = null;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            String name = arg;
            Optional<String> inline = Optional.empty();
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                inline = Optional.of(arg.substring(eq + 1));
            }
            switch (name) {
                case "--spam",
                        "--ham",
                        "--model",
                        "--threshold",
                        "--prune",
                        "--prune-weighted",
                        "--weight",
                        "--logistic",
                        "--ignore",
                        "--drop" -> {
                    String value;
                    if (inline.isPresent()) {
                        value = inline.get();
                    } else if (i + 1 < args.size()) {
                        value = args.get(++i);
                    } else {
                        throw new UsageException(name + " needs a value");
                    }
                    if (value.isEmpty()) {
                        throw new UsageException(name + " needs a value");
                    }
                    switch (name) {
                        case "--spam" -> {
                            a.spam.add(new Source(path(name, value), weight));
                            unusedWeight = null;
                        }
                        case "--ham" -> {
                            a.ham.add(new Source(path(name, value), weight));
                            unusedWeight = null;
                        }
                        case "--weight" -> {
                            if (!allowedFlags.contains("--weight")) {
                                throw new UsageException("unknown option " + name);
                            }
                            weight = wholeNumber(name, value, ModelTrainer.MAX_WEIGHT);
                            unusedWeight = value;
                        }
                        case "--model" -> {
                            if (a.model.isPresent()) {
                                throw new UsageException("--model given twice");
                            }
                            a.model = Optional.of(path(name, value));
                        }
                        case "--prune" -> {
                            if (!allowedFlags.contains("--prune")) {
                                throw new UsageException("unknown option " + name);
                            }
                            a.prune = wholeNumber(name, value, Integer.MAX_VALUE);
                        }
                        case "--ignore" -> a.ignore.add(mentionedText(name, value, allowedFlags));
                        case "--drop" -> a.drop.add(mentionedText(name, value, allowedFlags));
                        case "--logistic" -> {
                            if (!allowedFlags.contains("--logistic")) {
                                throw new UsageException("unknown option " + name);
                            }
                            try {
                                double o = Double.parseDouble(value);
                                if (!Double.isFinite(o)) {
                                    throw new NumberFormatException();
                                }
                                a.logistic = Optional.of(o);
                            } catch (NumberFormatException e) {
                                throw new UsageException("--logistic needs a number (the offset), was " + value);
                            }
                        }
                        case "--prune-weighted" -> {
                            if (!allowedFlags.contains("--prune-weighted")) {
                                throw new UsageException("unknown option " + name);
                            }
                            a.pruneWeighted = wholeNumber(name, value, Integer.MAX_VALUE);
                        }
                        default -> {
                            if (!allowThreshold) {
                                throw new UsageException("unknown option " + name);
                            }
                            try {
                                double t = Double.parseDouble(value);
                                if (!(t > 0 && t <= 1)) {
                                    throw new NumberFormatException();
                                }
                                a.threshold = Optional.of(t);
                            } catch (NumberFormatException e) {
                                throw new UsageException("--threshold must be a number in (0, 1], was " + value);
                            }
                        }
                    }
                }
                default -> {
                    if (allowedFlags.contains(arg)) {
                        a.flags.add(arg);
                    } else {
                        throw new UsageException("unknown argument " + arg);
                    }
                }
            }
        }
        if (unusedWeight != null) {
            throw new UsageException("--weight " + unusedWeight
                    + " is followed by no --spam or --ham source (it applies to the sources after it)");
        }
        if (a.pruneWeighted > 0 && a.prune == 0) {
            throw new UsageException("--prune-weighted " + a.pruneWeighted + " needs --prune N (it keeps some tokens"
                    + " that pruning would drop)");
        }
        if (a.pruneWeighted > a.prune) {
            throw new UsageException(
                    "--prune-weighted must be at most --prune (" + a.prune + "), was " + a.pruneWeighted);
        }
        if (a.pruneWeighted > 0 && a.flags.contains("--forget")) {
            throw new UsageException("--prune-weighted applies to learning with --weight, not to --forget");
        }
        if (a.pruneWeighted > 0
                && a.spam.stream().allMatch(s -> s.weight() == 1)
                && a.ham.stream().allMatch(s -> s.weight() == 1)) {
            throw new UsageException("--prune-weighted " + a.pruneWeighted
                    + " keeps tokens of the sources after a --weight above 1, and there are none");
        }
        if (a.logistic.isPresent() && (a.flags.contains("--update") || a.flags.contains("--forget"))) {
            throw new UsageException("--logistic fits on all the training messages at once: not with --update or"
                    + " --forget (a model learned on top keeps the weights it has)");
        }
        if (a.model.isEmpty()) {
            throw new UsageException("--model FILE is required");
        }
        if (!a.drop.isEmpty() && !a.flags.contains("--update")) {
            throw new UsageException("--drop forgets tokens of an existing model: give --update (for a new model,"
                    + " --ignore learns none of them)");
        }
        if (a.spam.isEmpty() && a.ham.isEmpty() && a.drop.isEmpty()) {
            throw new UsageException("give at least one --spam or --ham source");
        }
        return a;
    }

    /**
     * A {@code --spam} or {@code --ham} source and the weight its messages are learned with.
     *
     * @param path a directory of messages, a Maildir or an mbox file
     * @param weight 1 unless a {@code --weight} before it said otherwise
     */
    record Source(Path path, int weight) {}

    /**
     * The value of {@code --ignore} or {@code --drop}: a text matched against tokens ({@link ModelTrainer#mentionsAny}),
     * of at least {@link ModelTrainer#MIN_IGNORE_LENGTH} characters.
     */
    private static String mentionedText(String option, String value, List<String> allowedFlags) throws UsageException {
        if (!allowedFlags.contains(option)) {
            throw new UsageException("unknown option " + option);
        }
        if (value.length() < ModelTrainer.MIN_IGNORE_LENGTH) {
            throw new UsageException(option + " needs at least " + ModelTrainer.MIN_IGNORE_LENGTH
                    + " characters (shorter text would match much of any vocabulary), was '" + value + "'");
        }
        return value;
    }

    private static int wholeNumber(String option, String value, int max) throws UsageException {
        try {
            int n = Integer.parseInt(value);
            if (n < 1 || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException(option + " must be a whole number from 1"
                    + (max == Integer.MAX_VALUE ? "" : " to " + max) + ", was " + value);
        }
    }

    private static Path path(String option, String value) throws UsageException {
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw new UsageException(option + ": not a path: " + value);
        }
    }
}
