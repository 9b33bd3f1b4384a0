package org.mailhygiene.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.internal.IoErrors;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.scanners.bayes.BayesModels;
import org.mailhygiene.scanners.bayes.MailSources;
import org.mailhygiene.scanners.bayes.ModelTrainer;
import org.mailhygiene.scanners.bayes.Tokenizer;

/**
 * {@code hygiene train [--weight N] --spam SOURCE [--weight N] --ham SOURCE --model FILE [--update | --forget]
 * [--quiet] [--prune N [--prune-weighted M]] [--ignore TEXT]... [--drop TEXT]... [--logistic OFFSET]}: trains the Bayes
 * classifier from labelled mail and saves the model.
 *
 * <p>Sources are directories of message files, Maildirs or mbox files ({@link MailSources}); each option may be
 * repeated. Without a flag a new model is trained and written to {@code FILE} (replacing it atomically); with
 * {@code --update} the messages are learned into the existing model (a missing {@code FILE} starts from the shipped
 * default model: this is how a site trains on top of it); with {@code --forget} they are unlearned from it (to undo
 * a mistake; a model's counts do not say which messages it learned, so forgetting a message it never learned, or
 * with more weight than it was learned with, takes counts that other messages put there, kept from going below 0).
 * {@code --weight N} makes each message of the sources after it count as N messages (until the next
 * {@code --weight}; 1 before the first): how a smaller, more relevant collection, such as recent mail or a site's own,
 * is made to count against a large older one; {@code --forget} with the same weight undoes it. {@code --prune N}
 * counts distinct messages, whatever their weight ({@link ModelTrainer}); {@code --prune-weighted M} (at most N) also
 * keeps a token seen in M or more messages of the weighted sources ({@link ModelTrainer#prune(int, int)}).
 * {@code --ignore TEXT} (repeatable) learns no token that mentions TEXT ({@link ModelTrainer#mentionsAny}: holds it,
 * ignoring case, not run into a longer word), from any source: for tokens that name the
 * collection rather than the mail, such as the mailbox a corpus was gathered in, its owner's name and its provider's
 * relays (every message of a spam-only collection carries them, so the model would call them spam); with
 * {@code --forget}, give the same as when the messages were learned. {@code --drop TEXT} (repeatable, only with
 * {@code --update}; sources may then be left out) forgets, after the learning, every token of the model that mentions
 * TEXT ({@link BayesModel#drop}: counts, logistic weight, corrections), for a collection's traces found after the
 * training; refused, nothing changed, if it would drop every weighted token. A new model (without {@code --update} or
 * {@code --forget}, or from the default model) deletes the learn journal of the file it replaces ({@link
 * BayesModels#journalFile}): the new model learned none of what it records. With {@code --update} or {@code --forget}
 * of an existing file the journal is kept and bound to the saved file ({@link BayesModels#carryJournal}): what it
 * records is still learned, so a later {@code hygiene learn} of one of its messages with the other label still undoes
 * the earlier learning; a message {@code --forget} forgets with the label the journal records counts as learned that
 * many times fewer there (none left: it leaves the journal), and those learnings are forgotten as the learn tools
 * learned them: of all the message's tokens ({@code --ignore} does not apply to them), with the weight corrections
 * of the model's logistic part ({@link org.mailhygiene.scanners.bayes.BayesModel#correctionTokens}); one it records
 * with the other label stays; a
 * journal that cannot be read, or is malformed, is then an error (as for {@code hygiene learn}; the message names the
 * file and line). Progress
 * goes to standard error every {@value #PROGRESS_EVERY} messages and at the end of each source, unless
 * {@code --quiet}. The model file's lock ({@link BayesModels#lockModel}), which {@code hygiene learn} and the
 * quarantine tool hold too, is held throughout with {@code --update} or {@code --forget} and while saving otherwise;
 * a {@code FILE} no model can be saved at (a directory, in a missing or unwritable directory) is refused before any
 * source is read ({@link BayesModels#requireSavable}). The summary goes to standard output. Exit status 0 on success, 2 on any error (the model file is
 * then left as it was, except when it was saved but its learn journal could not be written: the message says so).
 */
public final class TrainCommand implements Command {
    /** How often progress is reported, in messages. */
    static final int PROGRESS_EVERY = 1000;

    /** Creates the command. */
    public TrainCommand() {}

    @Override
    public String name() {
        return "train";
    }

    @Override
    public String summary() {
        return "train the spam classifier from labelled mail (directories, Maildirs, mbox files)";
    }

    @Override
    public String usage() {
        return "usage: hygiene train [--weight N] --spam SOURCE [--weight N] --ham SOURCE --model FILE"
                + " [--update | --forget] [--quiet] [--prune N [--prune-weighted M]] [--ignore TEXT]...\n"
                + "       [--logistic OFFSET]\n"
                + "       hygiene train --update --model FILE --drop TEXT... [--spam SOURCE] [--ham SOURCE]\n\n"
                + "Learns spam and ham messages into a Bayes model and saves it to FILE. A new model (without\n"
                + "--update or --forget) deletes FILE.learned, the old model's 'hygiene learn' journal; with\n"
                + "them it is kept: a message it records with the label --forget forgets is recorded that\n"
                + "many learnings fewer, and those learnings are forgotten with the weight corrections\n"
                + "'hygiene learn' added.\n"
                + "SOURCE is a directory of message files (searched recursively), a Maildir or an mbox file;\n"
                + "--spam and --ham may be repeated. Hidden files and folders (.Junk, a Maildir++ folder, under\n"
                + "a Maildir named) are not read: name one to read it. An empty file, a file that does not open\n"
                + "like mail (dovecot-uidlist, an index) and a compressed mbox (gzip, bzip2, xz, zstd) are\n"
                + "skipped and named on standard error, never learned, as is a symbolic link to a directory\n"
                + "inside a SOURCE (not followed: name it) and a broken one.\n\n"
                + "options:\n"
                + "  --update   learn into the existing model FILE instead of starting a new one\n"
                + "             (a missing FILE starts from the shipped default model)\n"
                + "  --forget   unlearn the given messages from the existing model FILE (refused, nothing\n"
                + "             changed, if it would empty FILE of spam or of ham but not of both); give\n"
                + "             only messages FILE learned, with the label and --weight they were learned\n"
                + "             with: FILE does not know which messages it learned, so forgetting one it never\n"
                + "             learned (or more times) takes counts other messages put there\n"
                + "  --quiet    no progress on standard error\n"
                + "  --prune N  before saving, drop tokens seen in fewer than N messages (the default model: 3)\n"
                + "  --prune-weighted M\n"
                + "             but keep a token seen in at least M (<= N) messages of the sources learned with a\n"
                + "             --weight above 1 (the default model: --prune 3 --prune-weighted 2)\n"
                + "  --ignore TEXT\n"
                + "             learn no token that holds TEXT (3 or more characters; any case; not inside a longer\n"
                + "             word: jose matches jose@example.org, not joseph), repeatable: tokens that name the\n"
                + "             collection, not the mail, e.g. --ignore trap.example.org for the mailbox (address,\n"
                + "             domain, relays) a spam collection was gathered in ('hygiene scan --json' shows tokens)\n"
                + "  --drop TEXT\n"
                + "             with --update: after learning the sources (none needed), forget every token of the\n"
                + "             model that holds TEXT (matched as --ignore), with its weight and corrections; mail\n"
                + "             holding none of them scores as before. For what a model learned from where its mail\n"
                + "             was collected, found later (e.g. --drop 129.97 --drop uwaterloo.ca: TREC 2007's\n"
                + "             relay and domain, dropped from the default model with its other collectors' traces)\n"
                + "  --logistic OFFSET\n"
                + "             also fit a logistic regression on the kept tokens (3 seeded passes), whose log-odds,\n"
                + "             less OFFSET, the model adds to the Bayes indicator's (the default model: OFFSET "
                + "3.269; a larger\n"
                + "             OFFSET flags less); a model learned on top of it (--update, 'hygiene learn') keeps it;\n"
                + "             a model with one reads each message a second time without the words of its text\n"
                + "             (header, structure, links), which weighs 0.2 of the score's log-odds\n"
                + "  --weight N each message of the --spam and --ham sources after this option counts as N\n"
                + "             messages (1 to " + ModelTrainer.MAX_WEIGHT
                + "; until the next --weight; 1 before the first):\n"
                + "             recent mail or a site's own weighed against a larger, older collection\n\n"
                + "Then: hygiene scan --bayes FILE MESSAGE...  or  hygiene eval --model FILE --spam DIR --ham DIR\n";
    }

    @Override
    public int run(List<String> args, Io io) throws UsageException {
        CorpusArguments a = CorpusArguments.parse(
                args,
                List.of(
                        "--update",
                        "--forget",
                        "--quiet",
                        "--prune",
                        "--prune-weighted",
                        "--weight",
                        "--ignore",
                        "--drop",
                        "--logistic"),
                false);
        boolean update = a.flags.contains("--update");
        boolean forget = a.flags.contains("--forget");
        if (update && forget) {
            throw new UsageException("--update and --forget exclude each other");
        }
        Path modelFile = a.model.orElseThrow();
        LearnCommand.refuseShippedModel("--model", modelFile.toString());
        // the lock every writer of the model file holds (hygiene learn, the quarantine tool): no lost corrections.
        // Held throughout when the existing model is read and replaced; only while saving a new one
        boolean readsModel = update || forget;
        try {
            // a directory, a missing one or one that cannot be written: say so now, not after the whole training
            BayesModels.requireSavable(modelFile);
        } catch (IOException e) {
            io.err().println("hygiene train: " + IoErrors.describe(e));
            return EXIT_ERROR;
        }
        if (readsModel && BayesModels.lockedElsewhere(modelFile)) {
            io.err().println("hygiene train: " + BayesModels.waitingFor(modelFile));
        }
        try (java.io.Closeable lock = readsModel ? BayesModels.lockModel(modelFile) : () -> {}) {
            // a new model (from nothing, or from the default model) learned none of what a journal next to it records
            boolean fresh = !(update || forget) || !Files.exists(modelFile);
            // what the learn tools recorded stays learned: the journal goes on with the changed model
            BayesModels.JournalCarry carry = fresh ? null : BayesModels.carryJournal(modelFile);
            BayesModel model;
            if (update && !Files.exists(modelFile)) {
                model = BayesModels.loadDefault();
                io.err().println("hygiene train: " + modelFile + " does not exist: starting from the default model");
            } else if (update || forget) {
                if (!Files.exists(modelFile)) {
                    io.err()
                            .println("hygiene train: " + modelFile + ": no such model to "
                                    + (update ? "update" : "forget from"));
                    return EXIT_ERROR;
                }
                model = carry.model(); // read once, with its journal
            } else {
                model = BayesModel.empty();
            }
            long spamBefore = model.spamMessages();
            long hamBefore = model.hamMessages();
            Progress progress = new Progress(io, a.flags.contains("--quiet"), forget ? "forgot" : "learned");
            Tokenizer tokenizer = Tokenizer.create();
            ModelTrainer trainer = new ModelTrainer(model);
            if (a.logistic.isPresent()) {
                trainer.recordForLogistic();
            }
            for (CorpusArguments.Source source : a.spam) {
                learn(source.path(), true, source.weight(), forget, a.ignore, trainer, tokenizer, progress, carry);
            }
            for (CorpusArguments.Source source : a.ham) {
                learn(source.path(), false, source.weight(), forget, a.ignore, trainer, tokenizer, progress, carry);
            }
            if (!a.drop.isEmpty()) {
                int dropped;
                try {
                    dropped = model.drop(t -> ModelTrainer.mentionsAny(t, a.drop));
                } catch (IllegalArgumentException e) {
                    io.err().println("hygiene train: --drop: " + e.getMessage() + "; nothing was changed");
                    return EXIT_ERROR;
                }
                io.err()
                        .println("hygiene train: dropped " + dropped + " token(s) holding " + String.join(", ", a.drop)
                                + " (counts, weights, corrections)");
            }
            boolean spamEmptied = spamBefore > 0 && model.spamMessages() == 0;
            boolean hamEmptied = hamBefore > 0 && model.hamMessages() == 0;
            if (forget && (spamEmptied || hamEmptied) && model.spamMessages() + model.hamMessages() > 0) {
                // forgetting mail the model never learned (the wrong directory) empties one class without any other
                // sign: the model could no longer classify, and every scan with it would fail. Forgetting everything
                // (an exact undo of all it learned) leaves an empty model, and is allowed
                io.err()
                        .printf(
                                "hygiene train: forgetting these would leave %s with %d spam and %d ham: it could no"
                                        + " longer classify (were they learned into it?); nothing was changed%n",
                                modelFile, model.spamMessages(), model.hamMessages());
                return EXIT_ERROR;
            }
            if (!(update || forget)
                    && Files.exists(modelFile)
                    && (model.spamMessages() == 0 || model.hamMessages() == 0)) {
                // a new model of one class cannot classify: every scan with it fails. Written over the model a relay
                // uses (an empty or mistyped directory), it would stop all its mail; keep the file as it is (a new
                // file of one class is allowed: it is learned into later)
                io.err()
                        .printf(
                                "hygiene train: the sources gave %d spam and %d ham messages: a model needs both to"
                                        + " classify (an empty or wrong directory?); %s was not replaced%n",
                                model.spamMessages(), model.hamMessages(), modelFile);
                return EXIT_ERROR;
            }
            if (a.prune > 1) {
                trainer.prune(a.prune, a.pruneWeighted > 0 ? a.pruneWeighted : a.prune);
            }
            if (a.logistic.isPresent()) {
                try {
                    trainer.fitLogistic(a.logistic.get());
                } catch (IllegalStateException e) {
                    io.err().println("hygiene train: --logistic: " + e.getMessage());
                    return EXIT_ERROR;
                }
            }
            if (carry != null) {
                carry.save();
                if (carry.kept() > 0 || carry.dropped() > 0) {
                    io.err()
                            .println("hygiene train: kept " + carry.kept() + " record(s) in "
                                    + BayesModels.journalFile(modelFile) + ", the learn journal"
                                    + (carry.dropped() > 0
                                            ? "; " + carry.dropped() + " forgotten message(s) left it"
                                            : ""));
                }
            } else {
                if (!readsModel && BayesModels.lockedElsewhere(modelFile)) {
                    io.err().println("hygiene train: " + BayesModels.waitingFor(modelFile));
                }
                try (java.io.Closeable saving = readsModel ? () -> {} : BayesModels.lockModel(modelFile)) {
                    model.save(modelFile);
                    Path journal = BayesModels.journalFile(modelFile);
                    try {
                        if (fresh && Files.deleteIfExists(journal)) {
                            io.err()
                                    .println("hygiene train: deleted " + journal
                                            + ", the learn journal of the model replaced");
                        }
                    } catch (IOException e) {
                        // harmless: the journal records the model file it belongs to, and is ignored for any other
                        io.err()
                                .println("hygiene train: could not delete the learn journal ("
                                        + IoErrors.describe(e)
                                        + "); it no longer matches the model and will be ignored");
                    }
                }
            }
            io.out()
                    .printf(
                            "%s: %d spam, %d ham, %d tokens (%s %d messages in %.1f s)%n",
                            modelFile,
                            model.spamMessages(),
                            model.hamMessages(),
                            model.tokenCount(),
                            progress.verb,
                            progress.count,
                            progress.seconds());
            return EXIT_OK;
        } catch (IOException e) {
            io.err().println("hygiene train: " + IoErrors.describe(e));
            return EXIT_ERROR;
        } catch (IllegalStateException e) {
            io.err().println("hygiene train: " + e.getMessage());
            return EXIT_ERROR;
        }
    }

    private static void learn(
            Path source,
            boolean spam,
            int weight,
            boolean forget,
            List<String> ignore,
            ModelTrainer trainer,
            Tokenizer tokenizer,
            Progress progress,
            BayesModels.JournalCarry carry)
            throws IOException {
        MailSources.forEach(source, new MailSources.Visitor() {
            @Override
            public void message(String id, byte[] message) throws IOException {
                Set<String> tokens = tokenizer.tokenize(MessageContent.ofBytes(message));
                // learnings the journal records were the learn tools': of all the message's tokens, with the
                // correction tokens of a logistic part when they moved weights, without when they were counts only;
                // forgotten the same way (the journal knows a message by all its tokens)
                BayesModels.JournalCarry.Forgotten recorded = forget && carry != null
                        ? carry.forgotten(tokens, spam, weight)
                        : new BayesModels.JournalCarry.Forgotten(0, 0);
                Set<String> asLearned = recorded.moved() > 0 ? trainer.model().correctionTokens(tokens) : Set.of();
                Set<String> allTokens = recorded.counted() > 0 ? Set.copyOf(tokens) : Set.of();
                if (!ignore.isEmpty()) {
                    tokens.removeIf(t -> ModelTrainer.mentionsAny(t, ignore));
                }
                if (forget) {
                    for (int i = 0; i < recorded.moved(); i++) {
                        trainer.model().forget(asLearned, spam);
                    }
                    for (int i = 0; i < recorded.counted(); i++) {
                        trainer.model().forget(allTokens, spam);
                    }
                    for (int i = recorded.total(); i < weight; i++) {
                        trainer.model().forget(tokens, spam);
                    }
                } else {
                    trainer.learn(tokens, spam, weight);
                }
                progress.one(spam);
            }

            @Override
            public void skipped(String id, String reason) {
                // a file name may hold a line break or a terminal control: one line each, as scan prints names
                progress.io.err().println(FileReport.printable("hygiene train: skipped " + id + ": " + reason));
            }
        });
        progress.report(source);
    }

    /** Counts and reports progress. */
    private static final class Progress {
        final Io io;
        final boolean quiet;
        final String verb;
        final long start = System.nanoTime();
        long count;
        long spam;
        long ham;

        Progress(Io io, boolean quiet, String verb) {
            this.io = io;
            this.quiet = quiet;
            this.verb = verb;
        }

        void one(boolean isSpam) {
            count++;
            if (isSpam) {
                spam++;
            } else {
                ham++;
            }
            if (count % PROGRESS_EVERY == 0) {
                report(null);
            }
        }

        double seconds() {
            return (System.nanoTime() - start) / 1e9;
        }

        void report(Path finished) {
            if (quiet) {
                return;
            }
            double s = seconds();
            io.err()
                    .printf(
                            "%s %d messages (%d spam, %d ham), %.0f msgs/s%s%n",
                            verb,
                            count,
                            spam,
                            ham,
                            s > 0 ? count / s : 0.0,
                            finished == null ? "" : "; done with " + finished);
        }
    }
}
