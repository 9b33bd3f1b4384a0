package org.mailhygiene.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.internal.IoErrors;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.scanners.bayes.BayesModels;
import org.mailhygiene.scanners.bayes.BayesScanner;
import org.mailhygiene.scanners.bayes.MailSources;
import org.mailhygiene.scanners.bayes.SharedModelSync;
import org.mailhygiene.scanners.bayes.Tokenizer;

/**
 * {@code hygiene learn --spam|--ham --model MODEL [--once] FILE...}: the administrator's correction. Learns message
 * files (each one message, or {@code -} for standard input) as spam or ham into a model file, incrementally, and
 * replaces the file atomically. Each message is learned until the model scores it on the right side of its label
 * (below {@value BayesModels#CORRECTED_HAM_SCORE} for ham, at least {@value BayesModels#CORRECTED_SPAM_SCORE} for
 * spam), at most {@value BayesModels#MAX_CORRECTION_LEARNINGS} times ({@link BayesModels#correctInto}); with
 * {@code --once} exactly once. With {@code --redis} the messages go to the cluster's shared model, learned until the
 * nodes' model (the {@code --base} model, default the shipped one, plus what the cluster learned) agrees.
 * Relays and scans that use the file ({@code scanner = bayes:MODEL}, {@code --bayes MODEL}) pick the new version up
 * within seconds, without a restart. A missing MODEL starts from the shipped default model. The model's learn journal
 * ({@link BayesModels#journalFile}) makes a correction of a message learned before with the other label undo that
 * learning first, and a repeated report a no-op. The cluster's shared learning ({@code --redis}) keeps its journal in
 * the shared store ({@link org.mailhygiene.api.shared.TokenStore#learned}) and uses it the same way.
 * Concurrent learners are serialised by a lock on {@code MODEL.lock}. Exit status 0 on success, 2 on any error (the
 * model file is then unchanged).
 */
public final class LearnCommand implements Command {

    /** Creates the command. */
    public LearnCommand() {}

    @Override
    public String name() {
        return "learn";
    }

    @Override
    public String summary() {
        return "teach the spam classifier: learn message files as spam or ham into a model, in place";
    }

    @Override
    public String usage() {
        return "usage: hygiene learn --spam|--ham --model MODEL [--once] [--delivered-by HOST [--spam-tag TAG]]"
                + " FILE...\n"
                + "       hygiene learn --spam|--ham --redis URL [--redis-model NAME] [--base default|FILE] [--once]"
                + " [--delivered-by HOST [--spam-tag TAG]] FILE...\n\n"
                + "Learns each FILE (one message; - for standard input) as spam or ham into MODEL and replaces it\n"
                + "atomically: each message until MODEL scores it below " + BayesModels.CORRECTED_HAM_SCORE
                + " (ham) or at least " + BayesModels.CORRECTED_SPAM_SCORE + " (spam),\n"
                + "at most " + BayesModels.MAX_CORRECTION_LEARNINGS
                + " times, so that the correction takes effect; --once learns each exactly once.\n"
                + "A rule that decides whatever the score (a bounce or automatic reply is never classified, a brand's\n"
                + "name over a stranger's address is spam, a message with nothing known as spam is clean) keeps its\n"
                + "verdict: learn names the rule when a message stays judged against its label.\n"
                + "A message MODEL already scores so is learned once into the counts only: the weights of its\n"
                + "logistic part move only for a message it scores on the wrong side (a correction).\n"
                + "Nodes and scans using MODEL pick the new version up without a restart. A missing\n"
                + "MODEL starts from the shipped default model. MODEL.learned records each message learned (a digest\n"
                + "of its tokens, the label, how many times): a message learned before with the other label is\n"
                + "forgotten first, as often as it was learned, and one learned with this label is not learned\n"
                + "again unless MODEL no longer agrees with it (with --once: not again at all). The journal keeps\n"
                + String.format(
                        Locale.ROOT,
                        "the last %,d records (a message has one, or two if also counted only; older ones stay\n"
                                + "learned, but are no longer undone first).\n",
                        BayesModels.JOURNAL_MAX_MESSAGES)
                + "A MODEL replaced by other means no longer matches its journal, which is then ignored. For whole\n"
                + "directories, Maildirs or mbox files use 'hygiene train --update' (learn refuses a FILE that is\n"
                + "an mbox of several messages, a FILE that does not open like mail: a header field or an mbox\n"
                + "From line, a message over 32 MiB and a FIFO or device).\n\n"
                + "With --delivered-by HOST (the 'hostname' of the node that classified the mail; for a milter, the\n"
                + "Postfix host in front of it) each FILE is a copy that node delivered, saved from a mailbox, and is\n"
                + "learned as the node read it: without the Received fields above and including the topmost one HOST\n"
                + "wrote ('by HOST (mail-hygiene)', 'by HOST (Postfix)'), and with a Subject that begins with TAG (the\n"
                + "node's spam-tag; default [SPAM]) read without it, unless an 'X-Spam-Flag: NO' (the node's, on mail\n"
                + "it judged clean) says the tag is the sender's own. A FILE without such a field is refused (nothing\n"
                + "is learned). Without --delivered-by every Received field counts.\n\n"
                + "With --redis URL (a cluster's shared state, the nodes' 'redis' key) the messages are learned for the\n"
                + "whole cluster instead: every node using that Redis adds them to its own model within its\n"
                + "'redis-model-refresh' (default 10 s). NAME is the nodes' 'redis-model' (default bayes). Each\n"
                + "message is learned until the nodes' model agrees, judged with --base (the nodes' bayes: model,\n"
                + "default or a FILE; default: default) plus what the cluster learned; --once learns each once.\n"
                + "The cluster keeps its own journal in Redis, with the counts, and uses it as MODEL.learned is\n"
                + "used: a message learned before with the other label is forgotten first, one learned with this\n"
                + "label is not learned again while the nodes' model agrees with it.\n";
    }

    @Override
    public int run(List<String> args, Io io) throws UsageException {
        Boolean spam = null;
        Path model = null;
        String redis = null;
        String redisModel = SharedModelSync.DEFAULT_MODEL_NAME;
        List<String> files = new ArrayList<>();
        boolean once = false;
        String base = null;
        String deliveredBy = null;
        String spamTag = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--spam", "--ham" -> {
                    boolean s = a.equals("--spam");
                    if (spam != null && spam != s) {
                        throw new UsageException("--spam and --ham exclude each other");
                    }
                    spam = s;
                }
                case "--model" -> {
                    if (i + 1 >= args.size() || args.get(i + 1).isEmpty()) {
                        throw new UsageException("--model needs a FILE");
                    }
                    if (model != null) {
                        throw new UsageException("--model given twice");
                    }
                    refuseShippedModel("--model", args.get(i + 1));
                    try {
                        model = Path.of(args.get(++i));
                    } catch (InvalidPathException e) {
                        throw new UsageException("--model: not a path: " + args.get(i));
                    }
                }
                case "--once" -> once = true;
                case "--delivered-by", "--spam-tag" -> {
                    if (i + 1 >= args.size() || args.get(i + 1).isBlank()) {
                        throw new UsageException(a + " needs a " + (a.equals("--spam-tag") ? "TAG" : "HOST"));
                    }
                    if ((a.equals("--spam-tag") ? spamTag : deliveredBy) != null) {
                        throw new UsageException(a + " given twice");
                    }
                    if (a.equals("--spam-tag")) {
                        spamTag = args.get(++i);
                    } else {
                        deliveredBy = args.get(++i);
                    }
                }
                case "--base" -> {
                    if (i + 1 >= args.size() || args.get(i + 1).isEmpty()) {
                        throw new UsageException("--base needs default or a model FILE");
                    }
                    base = args.get(++i);
                }
                case "--redis", "--redis-model" -> {
                    if (i + 1 >= args.size() || args.get(i + 1).isEmpty()) {
                        throw new UsageException(a + " needs a value");
                    }
                    if (a.equals("--redis")) {
                        redis = args.get(++i);
                    } else {
                        redisModel = args.get(++i);
                    }
                }
                default -> {
                    if (a.startsWith("--") || (a.startsWith("-") && !a.equals("-"))) {
                        throw new UsageException("unknown option " + a);
                    }
                    files.add(a);
                }
            }
        }
        if (spam == null) {
            throw new UsageException("say --spam or --ham");
        }
        if ((model == null) == (redis == null)) {
            throw new UsageException("give exactly one of --model MODEL and --redis URL");
        }
        if (base != null && redis == null) {
            throw new UsageException("--base goes with --redis (the nodes' base model)");
        }
        if (base == null) {
            base = BayesModels.DEFAULT;
        }
        if (files.isEmpty()) {
            throw new UsageException("give at least one message FILE");
        }
        if (spamTag != null && deliveredBy == null) {
            throw new UsageException("--spam-tag goes with --delivered-by (the node that tagged the copy)");
        }
        Tokenizer tokenizer = Tokenizer.create();
        if (deliveredBy != null) {
            try {
                tokenizer.deliveredThrough(deliveredBy, null); // the host alone: its error is --delivered-by's
            } catch (IllegalArgumentException e) {
                throw new UsageException("--delivered-by: " + e.getMessage());
            }
            try {
                tokenizer = tokenizer.deliveredThrough(deliveredBy, spamTag == null ? DEFAULT_SPAM_TAG : spamTag);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--spam-tag: " + e.getMessage());
            }
        }
        List<MessageContent> messages = new ArrayList<>();
        try {
            for (String f : files) {
                if (f.equals("-")) {
                    // bounded: cat /dev/zero | ... filled the heap, then said to give the JVM more
                    byte[] in = io.in().readNBytes((int) MailSources.MAX_MESSAGE_BYTES + 1);
                    if (in.length > MailSources.MAX_MESSAGE_BYTES) {
                        io.err().println("hygiene learn: standard input " + TOO_LARGE);
                        return EXIT_ERROR;
                    }
                    if (in.length == 0) {
                        // a pipe from a command that failed: learned, it would count as a message of the label
                        io.err().println("hygiene learn: standard input is empty, not a message (nothing was learned)");
                        return EXIT_ERROR;
                    }
                    if (noMessage("standard input", in, io)
                            || severalMessages("standard input", in, io)
                            || notMail("standard input", in, io)) {
                        return EXIT_ERROR;
                    }
                    if (notDelivered(tokenizer, deliveredBy, "standard input", in, io)) {
                        return EXIT_ERROR;
                    }
                    messages.add(MessageContent.ofBytes(in));
                } else {
                    if (Files.isDirectory(Path.of(f))) {
                        io.err()
                                .println("hygiene learn: " + f + " is a directory: learn takes message files; for a"
                                        + " directory, Maildir or mbox use hygiene train --update (nothing was"
                                        + " learned)");
                        return EXIT_ERROR;
                    }
                    try {
                        Path path = Path.of(f);
                        if (Files.exists(path) && !Files.isRegularFile(path)) {
                            // a FIFO nobody writes waited forever, /dev/zero filled the heap
                            io.err()
                                    .println("hygiene learn: " + f
                                            + " is not a regular file (a FIFO or a device; - reads"
                                            + " standard input; nothing was learned)");
                            return EXIT_ERROR;
                        }
                        byte[] bytes;
                        try (java.io.InputStream file = Files.newInputStream(path)) {
                            // bounded: a file of 2 GB said "out of memory ... give the JVM more"
                            bytes = file.readNBytes((int) MailSources.MAX_MESSAGE_BYTES + 1);
                        }
                        if (bytes.length > MailSources.MAX_MESSAGE_BYTES) {
                            io.err().println("hygiene learn: " + f + " " + TOO_LARGE);
                            return EXIT_ERROR;
                        }
                        if (bytes.length == 0) {
                            io.err().println("hygiene learn: " + f + " is empty, not a message (nothing was learned)");
                            return EXIT_ERROR;
                        }
                        if (noMessage(f, bytes, io) || severalMessages(f, bytes, io) || notMail(f, bytes, io)) {
                            return EXIT_ERROR;
                        }
                        if (notDelivered(tokenizer, deliveredBy, f, bytes, io)) {
                            return EXIT_ERROR;
                        }
                        messages.add(MessageContent.ofBytes(bytes));
                    } catch (IOException e) {
                        // "FILE: permission denied", "FILE: Is a directory": never a bare path or reason
                        io.err()
                                .println("hygiene learn: "
                                        + (e instanceof FileSystemException
                                                ? IoErrors.describe(e)
                                                : f + ": " + IoErrors.reason(e))
                                        + " (nothing was learned)");
                        return EXIT_ERROR;
                    }
                }
            }
            if (redis != null) {
                return learnShared(redis, redisModel, base, once, spam, messages, files, tokenizer, io);
            }
            boolean existed = Files.exists(model);
            if (BayesModels.lockedElsewhere(model)) {
                io.err().println("hygiene learn: " + BayesModels.waitingFor(model));
            }
            BayesModels.Correction done = once
                    ? BayesModels.learnOnceInto(model, spam, messages, tokenizer)
                    : BayesModels.correctInto(model, spam, messages, tokenizer);
            BayesModel saved = done.model();
            int newlyLearned = messages.size() - done.alreadyLearned();
            io.out()
                    .printf(
                            "%s: learned %d message(s) as %s%s%s%s; now %d spam, %d ham, %d tokens%n",
                            model,
                            newlyLearned,
                            spam ? "spam" : "ham",
                            once || newlyLearned == done.countedOnly() // nothing learned until scored
                                    ? ""
                                    : " " + done.learned() + " time(s) in all (each until scored " + goal(spam) + ")",
                            existed ? "" : " (new model, started from the default model)",
                            journalSays(done, spam),
                            saved.spamMessages(),
                            saved.hamMessages(),
                            saved.tokenCount());
            warnUnreached(named(done, files), spam, io);
            warnRuleDecides(saved, true, spam, messages, files, io);
            return EXIT_OK;
        } catch (IOException e) {
            io.err().println("hygiene learn: " + IoErrors.describe(e));
            return EXIT_ERROR;
        } catch (InvalidPathException e) {
            io.err().println("hygiene learn: " + e.getMessage());
            return EXIT_ERROR;
        }
    }

    /** The Subject tag a node writes unless its {@code spam-tag} says otherwise. */
    static final String DEFAULT_SPAM_TAG = "[SPAM]";

    /**
     * Refuses, with {@code --delivered-by}, a message without a trace field that node wrote: it is no copy that node
     * delivered (another node's, a file saved before the relay, a host name mistyped), and read as one, every field would
     * count, the node's own among them.
     *
     * @return whether the message is refused (then said on standard error)
     */
    private static boolean notDelivered(Tokenizer tokenizer, String host, String name, byte[] bytes, Io io)
            throws IOException {
        if (host == null || tokenizer.isDeliveredThrough(MessageContent.ofBytes(bytes))) {
            return false;
        }
        List<String> hosts = receivingHosts(bytes);
        io.err()
                .println("hygiene learn: " + name + " has no Received field written by " + host + " ('by " + host
                        + "'): not a copy that host delivered"
                        + (hosts.isEmpty()
                                ? ", and it has no Received field naming a host"
                                : "; its Received fields name " + String.join(", ", hosts)
                                        + ", top first (give the node's hostname, not its name)")
                        + " (nothing was learned)");
        return true;
    }

    /** The receiving host in a trace field: {@code by HOST}. */
    private static final Pattern BY_HOST = Pattern.compile("(?i)\\sby\\s+([^\\s();]{1,255})");

    /**
     * The receiving hosts that the {@code Received} fields name ({@code by HOST}), top first, at most 5, as a terminal
     * may show them: what {@code --delivered-by} could be given. Reads the first 64 KiB of the header block.
     */
    private static List<String> receivingHosts(byte[] bytes) {
        String head = new String(bytes, 0, Math.min(bytes.length, 64 * 1024), StandardCharsets.ISO_8859_1);
        int end = head.indexOf("\r\n\r\n");
        if (end < 0) {
            end = head.indexOf("\n\n");
        }
        Set<String> hosts = new LinkedHashSet<>();
        for (String field : (end < 0 ? head : head.substring(0, end)).split("\r?\n(?![ \t])")) {
            if (field.regionMatches(true, 0, "Received:", 0, 9)) {
                Matcher m = BY_HOST.matcher(field);
                if (m.find() && hosts.size() < 5) {
                    hosts.add(FileReport.printable(m.group(1)));
                }
            }
        }
        return List.copyOf(hosts);
    }

    /** Why a message larger than train reads is refused. */
    private static final String TOO_LARGE = "is larger than " + MailSources.MAX_MESSAGE_BYTES
            + " bytes, more than train and eval read of a message (nothing was learned)";

    /**
     * Refuses an mbox without a message (an envelope line and nothing else, or empty lines), as an empty file is
     * refused: it was learned as a message of the label.
     *
     * @return whether the input holds no message (then said on standard error)
     */
    private static boolean noMessage(String name, byte[] bytes, Io io) {
        if (!MailSources.isMboxWithoutMessage(bytes)) {
            return false;
        }
        io.err()
                .println("hygiene learn: " + name + " is an mbox envelope line without a message, not a message"
                        + " (nothing was learned)");
        return true;
    }

    /**
     * Refuses an mbox of several messages given as one message: learned whole, its messages counted as one message of
     * the label, with all their tokens (a single message saved with its mbox {@code From } line is one message).
     *
     * @return whether the input holds several messages (then said on standard error)
     */
    private static boolean severalMessages(String name, byte[] bytes, Io io) {
        long n = MailSources.messagesIn(bytes);
        if (n < 2) {
            return false;
        }
        io.err()
                .println("hygiene learn: " + name + " is an mbox of " + n + " messages: learn takes one message per"
                        + " file; for an mbox use hygiene train --update (nothing was learned)");
        return true;
    }

    /**
     * Refuses input that does not open like a message: a header field ({@code Name: value}, the name printable ASCII
     * without a colon) or an mbox {@code From } line. A binary or a text file learned as a message adds thousands of
     * junk tokens and counts as one message of the label.
     *
     * @return whether the input is not mail (then said on standard error)
     */
    static boolean notMail(String name, byte[] bytes, Io io) {
        if (MailSources.opensLikeMessage(bytes)) {
            return false;
        }
        io.err()
                .println("hygiene learn: " + name + " is not a mail message (it does not open with a header field"
                        + " such as 'From: ...' or 'Received: ...'; nothing was learned)");
        return true;
    }

    private static int learnShared(
            String url,
            String name,
            String base,
            boolean once,
            boolean spam,
            List<MessageContent> messages,
            List<String> files,
            Tokenizer tokenizer,
            Io io)
            throws UsageException, IOException {
        // the nodes' model: their base model plus everything the cluster learned (what SharedModelSync keeps them at)
        BayesModel local;
        try {
            local = BayesModels.load(base);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--base: not a model file path: " + base);
        } catch (IOException e) {
            io.err().println("hygiene learn: --base " + base + ": cannot load the model: " + IoErrors.describe(e));
            return EXIT_ERROR;
        }
        List<String> names = new ArrayList<>();
        for (String f : files) {
            names.add(name(f));
        }
        try (ClusterLearning cluster = ClusterLearning.open(url, name, local)) {
            BayesModels.Correction done = cluster.learn(once, spam, messages, names, tokenizer);
            int newlyLearned = messages.size() - done.alreadyLearned();
            io.out()
                    .printf(
                            "%s model '%s': learned %d message(s) as %s%s for every node using it%s%n",
                            cluster.description(),
                            name,
                            newlyLearned,
                            spam ? "spam" : "ham",
                            once || newlyLearned == done.countedOnly() // nothing learned until scored
                                    ? ""
                                    : " " + done.learned() + " time(s) in all (each until scored " + goal(spam)
                                            + " by the base model " + base + " plus what the cluster learned)",
                            journalSays(done, spam));
            warnUnreached(named(done, files), spam, io);
            // judged with the base model alone, which lacks what the cluster learned: only the rules no model decides
            warnRuleDecides(local, false, spam, messages, files, io);
            return EXIT_OK;
        } catch (SharedStateException | IllegalArgumentException e) {
            io.err().println("hygiene learn: " + e.getMessage());
            return EXIT_ERROR;
        }
    }

    /**
     * What the learn journal changed, as the output says it: "; 1 of them learned as ham before: that undone first;
     * 2 already learned as spam: not again; 3 were already scored as spam: counted once, no weight moved", or nothing.
     */
    static String journalSays(BayesModels.Correction done, boolean spam) {
        StringBuilder b = new StringBuilder();
        if (done.undone() > 0) {
            b.append("; ")
                    .append(done.undone())
                    .append(done.undone() == 1 ? " of them was" : " of them were")
                    .append(" learned as ")
                    .append(spam ? "ham" : "spam")
                    .append(" before: undone first");
        }
        if (done.alreadyLearned() > 0) {
            b.append("; ")
                    .append(done.alreadyLearned())
                    .append(" already learned as ")
                    .append(spam ? "spam" : "ham")
                    .append(": not again");
        }
        if (done.countedOnly() > 0) {
            b.append("; ")
                    .append(done.countedOnly())
                    .append(done.countedOnly() == 1 ? " was" : " were")
                    .append(" already scored as ")
                    .append(spam ? "spam" : "ham")
                    .append(": counted once, no weight moved");
        }
        return b.toString();
    }

    /**
     * Refuses {@code default} as the model to learn into: everywhere else ({@code scan --bayes}, {@code eval}, a node's
     * {@code bayes:default}) it names the shipped model, which nothing changes, so learning into a file of that name
     * would teach a model that no scan uses.
     *
     * @param option the option, for the message
     * @param value its value
     * @throws UsageException if the value is {@code default}
     */
    static void refuseShippedModel(String option, String value) throws UsageException {
        if (value.equals(BayesModels.DEFAULT)) {
            throw new UsageException(option + " default: 'default' is the shipped model, which is not changed (a"
                    + " missing model file starts from it): give the model file to learn into, ./default for a file of"
                    + " that name");
        }
    }

    /** What a correction learns a message to, as the output says it: "at least 0.9" (spam), "below 0.5" (ham). */
    static String goal(boolean spam) {
        return (spam ? "at least " : "below ") + BayesModels.correctionTarget(spam);
    }

    /** The other side: where a message the correction could not move still scores. */
    static String wrongSide(boolean spam) {
        return (spam ? "below " : "at or above ") + BayesModels.correctionTarget(spam);
    }

    private static void warnUnreached(List<String> unreached, boolean spam, Io io) {
        if (!unreached.isEmpty()) {
            io.err()
                    .printf(
                            "hygiene learn: %d message(s) still score %s: %s; the model's other evidence outweighs them"
                                    + " (learned all the same; at most %d times, fewer when their tokens could not move"
                                    + " far enough)%n",
                            unreached.size(),
                            wrongSide(spam),
                            String.join(", ", unreached),
                            BayesModels.MAX_CORRECTION_LEARNINGS);
        }
    }

    /**
     * Says which learned messages a rule, not the score, keeps judged against their label, judged as a node with the
     * default settings judges them with the learned model: a bounce or an automatic reply is never classified (learned
     * as spam, it stays clean), a brand's name over a stranger's address is spam whatever the score (learned as ham, it
     * stays spam unless the node turns the check off), and a message with nothing the model knows as spam is clean
     * whatever the score. Learning counted them all the same; without this the output said the correction was done.
     *
     * @param model the model as learned, or the base model when {@code exact} is false
     * @param exact whether {@code model} is what the nodes judge with; if not, the rule that depends on the model
     *     ({@code BAYES_NO_SPAM_CONTENT}) is not reported
     */
    static void warnRuleDecides(
            BayesModel model, boolean exact, boolean spam, List<MessageContent> messages, List<String> files, Io io) {
        warnRuleDecides(
                "hygiene learn",
                model,
                exact,
                spam,
                messages.stream().map(Message::of).toList(),
                files.stream().map(LearnCommand::name).toList(),
                io);
    }

    /**
     * {@link #warnRuleDecides(BayesModel, boolean, boolean, List, List, Io)} for messages with their envelopes (a
     * held message's: the null sender of a bounce counts), each named as given, the warning opened by {@code command}.
     */
    static void warnRuleDecides(
            String command,
            BayesModel model,
            boolean exact,
            boolean spam,
            List<Message> messages,
            List<String> names,
            Io io) {
        BayesScanner scanner = BayesScanner.create(model);
        for (int i = 0; i < messages.size(); i++) {
            Verdict v;
            try {
                v = scanner.scan(messages.get(i));
            } catch (ScanException e) {
                continue; // not judged at all (e.g. past the MIME walker's limits): no verdict to speak of
            }
            boolean flagged = v.outcome() == Outcome.SPAM || v.outcome() == Outcome.SUSPICIOUS;
            if (flagged == spam) {
                continue;
            }
            for (Rule r : v.rules()) {
                String why = ruleSays(r.name());
                if (why != null && (exact || !r.name().equals("BAYES_NO_SPAM_CONTENT"))) {
                    io.err()
                            .printf(
                                    "%s: %s is still judged %s: %s (%s), whatever the score, so learning"
                                            + " it as %s changes no verdict of it (learned all the same)%n",
                                    command,
                                    names.get(i),
                                    flagged ? "spam" : "clean",
                                    r.name(),
                                    why,
                                    spam ? "spam" : "ham");
                    break;
                }
            }
        }
    }

    /** What a verdict rule that decides regardless of the score means, or {@code null} for any other rule. */
    private static String ruleSays(String rule) {
        return switch (rule) {
            case "BAYES_BOUNCE" -> "a bounce: never classified";
            case "BAYES_AUTO_REPLY" -> "an automatic reply: never classified";
            case "BAYES_BACKSCATTER" -> "a bounce for mail our domains did not send";
            case "BAYES_BRAND_SPOOF" ->
                "a brand's name over a stranger's address; a node's bayes.brand-check = off,"
                        + " or --no-brand-check, turns the check off";
            case "BAYES_NO_SPAM_CONTENT" -> "nothing in it the model knows as spam";
            default -> null;
        };
    }

    /** The names of the messages a correction left on the wrong side. */
    private static List<String> named(BayesModels.Correction done, List<String> files) {
        List<String> out = new ArrayList<>();
        for (int i : done.unreachedAt()) {
            out.add(name(files.get(i)));
        }
        return out;
    }

    /** A message FILE as the output names it: standard input for {@code -}. */
    private static String name(String file) {
        return file.equals("-") ? "standard input" : file;
    }
}
