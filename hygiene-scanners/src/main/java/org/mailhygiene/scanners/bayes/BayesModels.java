package org.mailhygiene.scanners.bayes;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.internal.IoErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shipped default model, and how a model named in a configuration ({@code default} or a file) is found.
 *
 * <p>The default model ({@value #DEFAULT_RESOURCE} on the class path, in {@code hygiene-scanners.jar}) holds token
 * counts learned from public corpora (the recipe and its measured accuracy are in {@code benchmarks/README.md}); it is
 * derived data, not mail. Stateless and thread-safe.
 */
public final class BayesModels {
    private static final Logger LOG = LoggerFactory.getLogger(BayesModels.class);

    /** The name that stands for the shipped default model, e.g. {@code --bayes default}, {@code bayes:default}. */
    public static final String DEFAULT = "default";
    /**
     * The spam threshold for the default model, 0.8: until session 11 the lowest of 0.5, 0.6, 0.7, 0.8, 0.9, 0.95,
     * 0.99 at which the default model flagged at most 0.5% of each ham collection it did not learn (Enron-Spam sets 5
     * and 6, 3,000 messages: 0.20%; the odd-numbered half of TREC 2007, 5,525 messages: 0.09%; 2019-2026
     * mailing-list ham: 0%), the rule fixed in session 3. Since session 12 the default model has a logistic part whose
     * offset puts its 0.8 where it flags exactly as many of the 13,334 measured clean ham as session 11's model did at
     * 0.8 (27), a stricter choice than the rule, which would allow 0.7 (benchmarks/README.md, session 12). Verdicts
     * between it and {@link BayesScanner#DEFAULT_SURE_THRESHOLD} carry {@code BAYES_UNSURE}. A model learned on top of
     * the default model has this threshold too; a model trained on a site's own mail from scratch keeps {@link
     * BayesScanner#DEFAULT_THRESHOLD}, calibrated by cross-validation on such mail.
     */
    public static final double DEFAULT_MODEL_THRESHOLD = 0.8;
    /** Where the default model lives on the class path. */
    public static final String DEFAULT_RESOURCE = "/org/mailhygiene/scanners/bayes/default.model";

    private BayesModels() {}

    /**
     * A fresh copy of the shipped default model (each call reads it again, so callers may let it learn).
     *
     * @return the model
     * @throws IOException if the resource is missing or unreadable (a broken build)
     */
    public static BayesModel loadDefault() throws IOException {
        try (InputStream in = BayesModels.class.getResourceAsStream(DEFAULT_RESOURCE)) {
            if (in == null) {
                throw new IOException("the default model " + DEFAULT_RESOURCE + " is not on the class path");
            }
            BayesModel model = BayesModel.read(in, "the default model " + DEFAULT_RESOURCE);
            model.markStartedFromDefault();
            return model;
        }
    }

    /**
     * Says how a model relates to the shipped default model, for a node's start line and its health: {@code "the
     * shipped default model"} if it {@linkplain BayesModel#startedFromDefault() started from it} and still holds as
     * many spam and ham messages and tokens as the shipped model does (nothing learned, or as much forgotten as
     * learned), {@code "learned on top of the shipped default model"} if it started from it and its counts differ, and
     * empty for a model trained from scratch. The shipped model's counts are read once, from its header only.
     *
     * @param model the model
     * @return the relation, or empty
     */
    public static Optional<String> relationToDefault(BayesModel model) {
        if (!model.startedFromDefault()) {
            return Optional.empty();
        }
        long[] shipped = ShippedCounts.COUNTS;
        boolean same = shipped != null
                && shipped[0] == model.spamMessages()
                && shipped[1] == model.hamMessages()
                && shipped[2] == model.tokenCount();
        return Optional.of(same ? "the shipped default model" : "learned on top of the shipped default model");
    }

    /** The shipped default model's spam, ham and token counts, or null if its resource cannot be read. */
    private static final class ShippedCounts {
        static final long[] COUNTS = read();

        private static long[] read() {
            try (InputStream in = BayesModels.class.getResourceAsStream(DEFAULT_RESOURCE)) {
                return in == null ? null : BayesModel.readCounts(in, "the default model " + DEFAULT_RESOURCE);
            } catch (IOException e) {
                LOG.warn("cannot read the counts of the default model {}: {}", DEFAULT_RESOURCE, e.toString());
                return null;
            }
        }
    }

    /**
     * Loads a model named as the tools name one: {@value #DEFAULT} for a fresh copy of the shipped model, anything else
     * a model file, read once (not watched, unlike {@link #resolve}).
     *
     * @param spec {@code default} or a path
     * @return a new model
     * @throws IOException if the model cannot be read
     * @throws ModelFormatException if the file is not a model this build reads
     * @throws IllegalArgumentException if {@code spec} is not a path
     */
    public static BayesModel load(String spec) throws IOException {
        if (Objects.requireNonNull(spec, "spec").equals(DEFAULT)) {
            return loadDefault();
        }
        try {
            return BayesModel.load(Path.of(spec));
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("not a model file path: " + spec, e);
        }
    }

    /**
     * Resolves a model specification as the CLI ({@code --bayes SPEC}) and the node configuration
     * ({@code scanner = bayes:SPEC}) write it: {@value #DEFAULT} for the shipped model, anything else a model file,
     * which is then {@linkplain WatchedModelFile watched} and reloaded when replaced.
     *
     * @param spec {@code default} or a path
     * @return the model source
     * @throws IOException if the model cannot be read
     * @throws ModelFormatException if the file is not a model this build reads
     * @throws IllegalArgumentException if {@code spec} is blank or not a path
     */
    public static ModelSource resolve(String spec) throws IOException {
        Objects.requireNonNull(spec, "spec");
        if (spec.isBlank()) {
            throw new IllegalArgumentException("a Bayes model is 'default' or a file, not blank");
        }
        if (spec.equals(DEFAULT)) {
            return ModelSource.of(loadDefault());
        }
        Path file;
        try {
            file = Path.of(spec);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("not a model file path: " + spec, e);
        }
        return WatchedModelFile.open(file);
    }

    /**
     * A scanner for a model specification ({@link #resolve}), with the threshold that suits it: {@link
     * #DEFAULT_MODEL_THRESHOLD} for {@value #DEFAULT} and a model file learned on top of it ({@link
     * BayesModel#startedFromDefault()}), {@link BayesScanner#DEFAULT_THRESHOLD} for a model file trained from scratch.
     *
     * @param spec {@code default} or a path
     * @return a new scanner with otherwise default settings
     * @throws IOException if the model cannot be read
     * @throws ModelFormatException if the file is not a model this build reads
     * @throws IllegalArgumentException if {@code spec} is blank or not a path
     */
    public static BayesScanner scanner(String spec) throws IOException {
        return scanner(spec, Set.of());
    }

    /**
     * A scanner for a model specification ({@link #scanner(String)}) whose bounce detector knows our mail domains, so
     * that a bounce for mail not sent from them is reported as backscatter ({@link BounceDetector#withLocalDomains}).
     *
     * @param spec {@code default} or a path
     * @param localDomains our mail domains; empty for no backscatter detection
     * @return a new scanner
     * @throws IOException if the model cannot be read
     * @throws ModelFormatException if the file is not a model this build reads
     * @throws IllegalArgumentException if {@code spec} is blank or not a path, or a domain is not a domain
     */
    public static BayesScanner scanner(String spec, Collection<String> localDomains) throws IOException {
        return scanner(spec, localDomains, true);
    }

    /**
     * A scanner for a model specification ({@link #scanner(String, Collection)}), with or without the test for a
     * From display name naming a brand over a stranger's address ({@link BayesScanner.Builder#brandCheck}).
     *
     * @param spec {@code default} or a path
     * @param localDomains our mail domains; empty for no backscatter detection
     * @param brandCheck whether a brand spoof is spam whatever its score (the default, {@code true})
     * @return a new scanner
     * @throws IOException if the model cannot be read
     * @throws ModelFormatException if the file is not a model this build reads
     * @throws IllegalArgumentException if {@code spec} is blank or not a path, or a domain is not a domain
     */
    public static BayesScanner scanner(String spec, Collection<String> localDomains, boolean brandCheck)
            throws IOException {
        return scanner(resolve(spec), localDomains, brandCheck);
    }

    /**
     * A scanner over a model source ({@link #scanner(String, Collection, boolean)} for one already at hand, e.g. a model
     * brought up to date with what a cluster learned): its threshold follows the model's origin.
     *
     * @param source the model
     * @param localDomains our mail domains; empty for no backscatter detection
     * @param brandCheck whether a brand spoof is spam whatever its score
     * @return a new scanner
     * @throws IllegalArgumentException if a domain is not a domain
     */
    public static BayesScanner scanner(ModelSource source, Collection<String> localDomains, boolean brandCheck) {
        BayesScanner.Builder b = BayesScanner.builder(source); // its threshold follows the model's origin
        if (!localDomains.isEmpty()) {
            b.detector(BounceDetector.withLocalDomains(localDomains));
        }
        return b.brandCheck(brandCheck).build();
    }

    /**
     * Learns messages into a model file and replaces it atomically, holding an exclusive lock on
     * {@code FILE.lock} meanwhile so that concurrent learners (the CLI, the quarantine tool) do not lose each other's
     * updates. A missing file starts from the shipped default model. Running scanners that watch the file pick the new
     * version up ({@link WatchedModelFile}). Each message is learned once, and recorded in the model's learn journal
     * ({@link #journalFile}): a message the journal says was learned with the same label is not learned again, and one
     * learned with the other label is first forgotten as often as it was learned ({@link Correction#undone()}).
     *
     * @param modelFile the model file
     * @param spam {@code true} to learn the messages as spam, {@code false} as ham
     * @param messages the messages
     * @param tokenizer the tokenizer (the one scanners use)
     * @return the model as saved
     * @throws IOException if a message or the model cannot be read, or the model cannot be written (the file is then
     *     unchanged)
     */
    public static BayesModel learnInto(
            Path modelFile, boolean spam, Collection<? extends MessageContent> messages, Tokenizer tokenizer)
            throws IOException {
        return learnOnceInto(modelFile, spam, messages, tokenizer).model();
    }

    /**
     * {@link #learnInto}, saying what it did: each message learned once, unless the learn journal says it was learned
     * with this label already ({@link Correction#alreadyLearned()}); one learned with the other label is forgotten first
     * ({@link Correction#undone()}). As with {@link #correctInto}, only a message the model scores on the wrong side of
     * its label's target moves the logistic part's weights; one it already agrees with is counted only ({@link
     * Correction#countedOnly()}).
     *
     * @param modelFile the model file
     * @param spam {@code true} to learn the messages as spam, {@code false} as ham
     * @param messages the messages, learned in order
     * @param tokenizer the tokenizer (the one scanners use)
     * @return the model as saved and what was done ({@link Correction#unreachedAt()} is always empty)
     * @throws IOException if a message, the model or its journal cannot be read (a malformed journal line is named by
     *     file and line), or the model cannot be written (the file is then unchanged)
     * @throws NullPointerException if an argument is {@code null}
     */
    public static Correction learnOnceInto(
            Path modelFile, boolean spam, Collection<? extends MessageContent> messages, Tokenizer tokenizer)
            throws IOException {
        return update(modelFile, spam, messages, tokenizer, false);
    }

    /** How long {@link #lockModel} waits for another process's lock: 5 minutes (a long {@code train --update}). */
    public static final java.time.Duration LOCK_WAIT = java.time.Duration.ofMinutes(5);

    private static final long LOCK_POLL_MILLIS = 50;

    /**
     * Takes the exclusive lock that every writer of a model file holds while it reads and replaces the file
     * ({@link #learnInto}, {@link #correctInto}, the quarantine tool, {@code hygiene train}): a lock on
     * {@code FILE.lock} next to it (next to the file a symbolic link names, so a link and its target share it), created
     * if missing, and given the model file's owner, group and permissions (as
     * {@link BayesModel#save} keeps them, writable by its owner; best effort, an owner only as root), so that a
     * learner run as root does not lock the node's user out; waiting while another process holds it, at most
     * {@link #LOCK_WAIT} (a stuck learner fails the next one with a clear error instead of hanging it). Within one JVM
     * the lock is not re-entrant (a second holder gets {@link java.nio.channels.OverlappingFileLockException}). Once
     * it holds the lock it deletes the temporary files a writer killed while it wrote left next to the model file
     * ({@code FILE.NNN.tmp}, {@code FILE.learned.NNN.tmp}, untouched for {@link #LEFTOVER_AGE}).
     *
     * @param modelFile the model file
     * @return the lock; closing it releases it
     * @throws IOException if the model file could not be saved there ({@link #requireSavable}), the lock file cannot be
     *     created or locked, or another process held it for {@link #LOCK_WAIT}
     */
    public static java.io.Closeable lockModel(Path modelFile) throws IOException {
        Path abs = BayesModel.followed(modelFile); // a link and its target share one lock
        requireSavable(abs);
        Path lockFile = abs.resolveSibling(abs.getFileName() + ".lock");
        boolean created = !Files.exists(lockFile, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        FileChannel ch;
        try {
            ch = FileChannel.open(lockFile, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE));
        } catch (java.nio.file.AccessDeniedException e) {
            throw new java.nio.file.AccessDeniedException(
                    lockFile.toString(),
                    null,
                    "permission denied: everyone who learns into " + abs.getFileName()
                            + " (hygiene learn, train, the quarantine tool) writes this lock file; give it to the"
                            + " model file's owner (chown --reference=" + abs + " " + lockFile
                            + ") or delete it; nothing was changed");
        } catch (java.nio.file.NoSuchFileException e) {
            if (Files.isDirectory(lockFile.getParent())) {
                throw e;
            }
            throw new java.nio.file.NoSuchFileException(
                    lockFile.getParent().toString(),
                    null,
                    "no such directory (for the model file " + abs.getFileName() + "); nothing was changed");
        }
        if (created || Files.exists(abs)) {
            // like the model file: a lock first taken by root must not lock out the node's user that owns the model;
            // an existing one is brought in line too (as root: after the model file was given to the node's user)
            BayesModel.takeAttributes(abs, lockFile);
            try {
                Set<java.nio.file.attribute.PosixFilePermission> mode =
                        new java.util.HashSet<>(Files.getPosixFilePermissions(lockFile));
                if (mode.add(java.nio.file.attribute.PosixFilePermission.OWNER_WRITE)) {
                    Files.setPosixFilePermissions(lockFile, mode);
                }
            } catch (IOException | UnsupportedOperationException e) {
                // a file system without modes: nothing to give
            }
        }
        FileLock lock;
        try {
            long deadline = System.nanoTime() + LOCK_WAIT.toNanos();
            while ((lock = ch.tryLock()) == null) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IOException(abs.getFileName() + ".lock: another process has held it for "
                            + describe(LOCK_WAIT) + " (a hygiene learn, train or quarantine on " + abs
                            + "?); nothing was changed");
                }
                Thread.sleep(LOCK_POLL_MILLIS);
            }
        } catch (InterruptedException e) {
            ch.close();
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted waiting for " + abs.getFileName() + ".lock");
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        FileLock held = lock;
        restoreJournal(abs);
        removeLeftovers(abs);
        return () -> {
            try {
                held.release();
            } finally {
                ch.close();
            }
        };
    }

    /**
     * Puts a model file's learn journal in place when a writer was killed (kill -9, a power loss) between renaming the
     * new model into place and renaming its journal: the model file is then the new one and the journal the old one,
     * whose recorded digest no longer matches, so that every record in it would be ignored from then on. The journal
     * written for the new model is on the disk as {@code FILE.learned.NNN.tmp} (forced before the model's rename); the
     * one whose recorded digest is the model file's present SHA-256 is renamed into place, with one WARN line. Called
     * with the lock held, before {@link #removeLeftovers}; does nothing (and reads no model) without such a file, or
     * when the journal in place already matches. Best effort: a file that cannot be read or renamed stays, and the
     * journal is ignored as before.
     *
     * @param abs the model file, absolute, a symbolic link followed
     */
    static void restoreJournal(Path abs) {
        String name = abs.getFileName().toString();
        java.util.regex.Pattern pending =
                java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(name) + "\\.learned\\.[0-9]+\\.tmp");
        List<Path> candidates = new ArrayList<>();
        try (java.nio.file.DirectoryStream<Path> files = Files.newDirectoryStream(
                abs.getParent(),
                f -> pending.matcher(f.getFileName().toString()).matches())) {
            for (Path f : files) {
                if (Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    candidates.add(f);
                }
            }
        } catch (IOException | java.nio.file.DirectoryIteratorException e) {
            return;
        }
        if (candidates.isEmpty()) {
            return;
        }
        try {
            String digest = "model " + LearnJournal.digest(Files.readAllBytes(abs));
            Path journal = abs.resolveSibling(name + ".learned");
            if (digest.equals(secondLine(journal))) {
                return; // the journal in place is this model's: the files are older leftovers
            }
            for (Path f : candidates) {
                if (digest.equals(secondLine(f))) {
                    LearnJournal.commit(f, journal);
                    LOG.warn(
                            "{}: put its learn journal in place from {}, written for this model by a learner stopped"
                                    + " before it could rename it (kill -9 or a power loss)",
                            abs,
                            f.getFileName());
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            // no model (yet), or a file that cannot be read or renamed: the journal is ignored as before
        }
    }

    /** The second line of a text file (a learn journal's {@code model DIGEST}), or {@code null}. */
    private static String secondLine(Path file) {
        try (java.io.BufferedReader in = Files.newBufferedReader(file, java.nio.charset.StandardCharsets.UTF_8)) {
            in.readLine();
            return in.readLine();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * How old a temporary file of a model ({@code site.model.NNN.tmp}, {@code site.model.learned.NNN.tmp}) must be for
     * {@link #lockModel} to take it for the leftover of a writer that died: 10 minutes since its last write. Every
     * writer holds the lock while its temporary files exist; the age spares one that does not (a library's own
     * {@link BayesModel#save}) while it writes.
     */
    static final java.time.Duration LEFTOVER_AGE = java.time.Duration.ofMinutes(10);

    /**
     * Deletes the temporary files a writer of the model left when it was killed (kill -9, a power loss) while it wrote
     * the model's or its learn journal's new version: each was as large as the model, and nothing else ever removed
     * them. Called with the lock held, so no writer that takes it is writing them; best effort (a file that cannot be
     * listed or deleted stays).
     *
     * @param abs the model file, absolute, a symbolic link followed
     */
    static void removeLeftovers(Path abs) {
        String name = abs.getFileName().toString();
        java.util.regex.Pattern leftover =
                java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(name) + "(\\.learned)?\\.[0-9]+\\.tmp");
        long before = System.currentTimeMillis() - LEFTOVER_AGE.toMillis();
        try (java.nio.file.DirectoryStream<Path> files = Files.newDirectoryStream(
                abs.getParent(),
                f -> leftover.matcher(f.getFileName().toString()).matches())) {
            for (Path f : files) {
                try {
                    java.nio.file.attribute.BasicFileAttributes a = Files.readAttributes(
                            f,
                            java.nio.file.attribute.BasicFileAttributes.class,
                            java.nio.file.LinkOption.NOFOLLOW_LINKS);
                    if (a.isRegularFile() && a.lastModifiedTime().toMillis() < before) {
                        Files.deleteIfExists(f);
                    }
                } catch (IOException e) {
                    // gone meanwhile, or not ours to delete: it stays
                }
            }
        } catch (IOException | java.nio.file.DirectoryIteratorException e) {
            // a directory we may write in but not list: nothing removed
        }
    }

    /**
     * Whether another process holds the lock of a model file ({@link #lockModel}) at this moment, so that a tool about
     * to take it can say that it waits (for at most {@link #LOCK_WAIT}) instead of seeming to hang. Advisory only: the
     * lock may be taken or released right after. Changes nothing: a missing lock file is not created.
     *
     * @param modelFile the model file
     * @return {@code true} if its lock file exists and another process holds the lock; {@code false} otherwise, also
     *     when the lock file cannot be opened (taking the lock then says why)
     */
    public static boolean lockedElsewhere(Path modelFile) {
        try {
            Path abs = BayesModel.followed(modelFile);
            Path lockFile = abs.resolveSibling(abs.getFileName() + ".lock");
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
                FileLock probe = ch.tryLock();
                if (probe == null) {
                    return true;
                }
                probe.release();
                return false;
            }
        } catch (IOException | java.nio.channels.OverlappingFileLockException e) {
            return false; // no lock file, or this process holds it: nothing to wait for from another process
        }
    }

    /** How long a wait is, as the tools say it: "5 minutes", "90 seconds". */
    static String describe(java.time.Duration d) {
        if (d.toSeconds() % 60 == 0 && d.toMinutes() > 0) {
            return d.toMinutes() + (d.toMinutes() == 1 ? " minute" : " minutes");
        }
        return d.toSeconds() + (d.toSeconds() == 1 ? " second" : " seconds");
    }

    /**
     * What a tool prints before it waits for a model file's lock that another process holds ({@link
     * #lockedElsewhere}): "waiting for site.model.lock: another hygiene learn, train or quarantine is changing the
     * model (at most 5 minutes)".
     *
     * @param modelFile the model file
     * @return the sentence
     */
    public static String waitingFor(Path modelFile) {
        Path name = modelFile.getFileName();
        return "waiting for " + name + ".lock: another hygiene learn, train or quarantine is changing the model (at"
                + " most " + describe(LOCK_WAIT) + ")";
    }

    /**
     * Fails for a model file path that no writer could replace, naming the path and the reason, before any work: a
     * directory given as the model file, a model file whose directory is missing or is not a directory, or whose
     * directory this process may not write in (a model file is replaced by a new file written next to it and renamed,
     * next to the lock file and the learn journal). {@link #lockModel} checks this first; {@code hygiene train}, which
     * takes the lock of a new model only to save it, checks it before reading its sources, so that a mistyped
     * {@code --model} fails at once instead of after the whole training.
     *
     * @param modelFile the model file (a symbolic link is followed, as when saving)
     * @throws java.nio.file.FileSystemException if the model file cannot be saved there; the message ends with
     *     "nothing was changed"
     * @throws IOException if a symbolic link cannot be followed
     * @throws NullPointerException if {@code modelFile} is {@code null}
     */
    public static void requireSavable(Path modelFile) throws IOException {
        Path abs = BayesModel.followed(modelFile);
        BayesModel.requireNotDirectory(abs);
        Path dir = abs.getParent();
        String forModel = " (for the model file " + abs.getFileName() + "); nothing was changed";
        if (!Files.exists(dir)) {
            throw new java.nio.file.NoSuchFileException(dir.toString(), null, "no such directory" + forModel);
        }
        if (!Files.isDirectory(dir)) {
            // was the JDK's bare "site.model.lock: Not a directory", naming a file nobody asked for
            throw new java.nio.file.FileSystemException(dir.toString(), null, "not a directory" + forModel);
        }
        if (!Files.isWritable(dir)) {
            // was "site.model.lock: permission denied ... chown --reference=site.model" for a lock file that does not
            // exist, or the name of the temporary file, when the directory itself is the problem
            throw new java.nio.file.AccessDeniedException(
                    dir.toString(),
                    null,
                    "permission denied: the model file " + abs.getFileName() + " is saved as a new file written in"
                            + " this directory and renamed, beside its lock and learn journal, so the directory must be"
                            + " writable (run as its owner, e.g. the node's user); nothing was changed");
        }
    }

    /**
     * Reads an existing model file and its learn journal, before {@code hygiene train --update} or {@code --forget}
     * changes the model by other means than the learn tools, so that the journal can be written again with the changed
     * model ({@link JournalCarry#save}). Without this the journal would no longer match the saved file and be ignored,
     * and a later correction of a message it records would not undo the earlier one. The model and the journal's
     * digest come from one read of the file. Call it under the model file's lock ({@link #lockModel}), held until the
     * model is saved.
     *
     * @param modelFile the model file, which must exist
     * @return the model ({@link JournalCarry#model}) and the journal as it stands for the file's present bytes (empty if
     *     there is none, or it belongs to other bytes)
     * @throws IOException if the model file or the journal cannot be read (a malformed journal line is named by file
     *     and line)
     * @throws ModelFormatException if the model file is not a valid model
     * @throws NullPointerException if {@code modelFile} is {@code null}
     */
    public static JournalCarry carryJournal(Path modelFile) throws IOException {
        Path abs = modelFile.toAbsolutePath();
        BayesModel.requireNotDirectory(abs);
        byte[] bytes = Files.readAllBytes(abs);
        BayesModel model = BayesModel.read(new java.io.ByteArrayInputStream(bytes), abs.toString());
        Path journalFile = journalFile(abs);
        // a journal without its model (deleted, never saved, or replaced by other means: the digest differs)
        // describes learnings this model never had
        return new JournalCarry(abs, model, journalFile, LearnJournal.read(journalFile, LearnJournal.digest(bytes)));
    }

    /**
     * A model file's learn journal carried across a change by {@code hygiene train --update} or {@code --forget}
     * ({@link #carryJournal}). The learnings it records stay in the model when more mail is learned, so they are kept;
     * a message {@linkplain #forgotten forgotten} by the change with the label the journal records is recorded as
     * learned that many times fewer, and leaves the journal at none (a later correction undoes only what can still be
     * in the model, never more); one forgotten with the other label stays as it is (its learnings were not touched).
     * Not thread-safe: used by one thread under the model file's lock.
     */
    public static final class JournalCarry {
        /**
         * What {@link #forgotten} found recorded of a forgotten message's learnings.
         *
         * @param moved how many were the learn tools' learnings that moved weights: learned with the correction
         *     tokens of the model's logistic part ({@link BayesModel#correctionTokens}), so forget those that many
         *     times with them
         * @param counted how many were the learn tools' learnings of the counts alone, of all the message's tokens
         *     (before any {@code --ignore} filter): forget those that many times with them
         */
        public record Forgotten(int moved, int counted) {
            /**
             * How many of the forgettings were recorded learnings, of either kind.
             *
             * @return {@code moved + counted}
             */
            public int total() {
                return moved + counted;
            }
        }

        private final Path modelFile;
        private final BayesModel model;
        private final Path journalFile;
        private final LearnJournal journal;
        private int dropped;

        private JournalCarry(Path modelFile, BayesModel model, Path journalFile, LearnJournal journal) {
            this.modelFile = modelFile;
            this.model = model;
            this.journalFile = journalFile;
            this.journal = journal;
        }

        /**
         * The model as read from the file, the one the journal belongs to; the change learns into or forgets from it.
         *
         * @return the model
         */
        public BayesModel model() {
            return model;
        }

        /**
         * Notes that the change forgot a message {@code times} times with a label. If the journal records it with that
         * label, it is recorded as learned {@code times} fewer times, and leaves the journal when none are left; the
         * forgetting may have taken learnings of its own (a training collection's), so what is left is a lower bound
         * of what the model still holds. A message the journal records with the other label stays: the learnings it
         * records are still in the model. The learn tools' learnings that moved weights are taken first, then those
         * of the counts alone ({@link Correction#countedOnly()}).
         *
         * @param tokens the message's tokens as the tokenizer gives them (before any {@code --ignore} filter: the
         *     journal knows a message by all of them)
         * @param spam the label it was forgotten with
         * @param times how many times it was forgotten (its {@code --weight}), at least 1
         * @return how many of those {@code times} were learnings the journal recorded, of each kind (at most {@code
         *     times} in all; none when it records the message with the other label or not at all)
         * @throws NullPointerException if {@code tokens} is or holds {@code null}
         * @throws IllegalArgumentException if {@code times} is below 1
         */
        public Forgotten forgotten(Collection<String> tokens, boolean spam, int times) {
            if (times < 1) {
                throw new IllegalArgumentException("times must be at least 1, was " + times);
            }
            String key = LearnJournal.key(tokens);
            String countsKey = LearnJournal.countsOnlyKey(tokens);
            boolean recorded =
                    journal.get(key).isPresent() || journal.get(countsKey).isPresent();
            int moved = take(key, spam, times);
            int counted = take(countsKey, spam, times - moved);
            if (recorded && journal.get(key).isEmpty() && journal.get(countsKey).isEmpty()) {
                dropped++;
            }
            return new Forgotten(moved, counted);
        }

        /** Takes up to {@code times} learnings with this label from a record; how many it held of them. */
        private int take(String key, boolean spam, int times) {
            Optional<LearnJournal.Entry> entry = journal.get(key);
            if (times == 0 || entry.isEmpty() || entry.get().spam() != spam) {
                return 0;
            }
            int recorded = entry.get().times();
            if (recorded > times) {
                journal.put(key, new LearnJournal.Entry(spam, recorded - times));
                return times;
            }
            journal.remove(key);
            return recorded;
        }

        /**
         * How many records the journal holds now: one per message, two for a message learned both into the counts
         * alone and with its weights ({@link Correction#countedOnly()}).
         *
         * @return the number of records
         */
        public int kept() {
            return journal.size();
        }

        /**
         * How many messages {@link #forgotten} took out of the journal (none of their recorded learnings left).
         *
         * @return the number of messages
         */
        public int dropped() {
            return dropped;
        }

        /**
         * Saves the changed {@link #model} over its file (atomically, as {@link BayesModel#save}) and then the journal,
         * bound to the new file's bytes. No journal file is written if there was none and nothing is recorded.
         *
         * @throws IOException if the model cannot be written (file and journal unchanged), or the journal cannot (the
         *     model is then saved and the old journal, no longer matching, is ignored; the message says so)
         */
        public void save() throws IOException {
            boolean writeJournal = journal.size() > 0 || Files.exists(journalFile);
            saveWithJournal(
                    model,
                    modelFile,
                    writeJournal ? journal : null,
                    journalFile,
                    "the messages it records will not undo the earlier one");
        }
    }

    /**
     * Saves a model over its file (atomically) with its learn journal, bound to the bytes saved. Both are written to
     * temporary files first and the model is renamed into place only once the journal is written, so that a journal
     * that cannot be written (a full disk: it may be several times the model's size) leaves the model file and the old
     * journal as they were; only if the journal's own rename then fails is the model saved without it (the old
     * journal's digest no longer matches, and it is ignored).
     *
     * @param journal the journal to write, or {@code null} for none
     * @param lost what a failure to rename the journal loses, after "a later correction of"
     * @throws IOException if the model or the journal cannot be written (file and journal unchanged; the message says
     *     "nothing was changed" for the journal), or the journal cannot be renamed (the model is saved; the message
     *     says so and what is lost)
     */
    private static void saveWithJournal(
            BayesModel model, Path modelFile, LearnJournal journal, Path journalFile, String lost) throws IOException {
        try (BayesModel.PendingSave pending = model.prepareSave(modelFile)) {
            if (journal == null) {
                pending.commit();
                return;
            }
            Path journalTmp;
            try {
                journalTmp = journal.prepare(journalFile, modelFile, pending.digest());
            } catch (IOException e) {
                // was: the model saved first, and this journal's records lost with the old journal's digest
                throw new IOException(
                        "the learn journal " + journalFile + " could not be written (" + IoErrors.describe(e) + "); "
                                + modelFile + " and its journal were left as they were: nothing was changed",
                        e);
            }
            try {
                pending.commit();
            } catch (IOException e) {
                Files.deleteIfExists(journalTmp);
                throw e;
            }
            try {
                LearnJournal.commit(journalTmp, journalFile);
            } catch (IOException e) {
                throw new IOException(
                        modelFile + " was saved, but its learn journal " + journalFile + " could not be written ("
                                + IoErrors.describe(e) + "): a later correction of " + lost,
                        e);
            }
        }
    }

    /**
     * The key a learn journal knows a message by ({@link #journalFile}, and a cluster's journal, {@link
     * SharedModelSync#learned}): the first 128 bits of the SHA-256 of its distinct tokens in sorted order, as 32
     * lower-case hex digits. A copy of a message with other envelope lines or line ends has the same key.
     *
     * @param tokens the message's tokens: for a model file's journal as the tokenizer gives them ({@link
     *     Tokenizer#tokenize}; the journal is bound to the model file, whose logistic part decides the rest); for a
     *     cluster's journal the tokens it is learned with ({@link BayesModel#correctionTokens}), since the store does
     *     not keep them and a learning made with another base model must not be undone with these
     * @return the key
     * @throws NullPointerException if {@code tokens} is {@code null} or holds {@code null}
     */
    public static String journalKey(Collection<String> tokens) {
        return LearnJournal.key(tokens);
    }

    /**
     * The key a learn journal records a message's learnings of the counts alone under: those made when the model
     * already scored it on its label's side, which move no weight of a logistic part ({@link
     * Correction#countedOnly()}). Its learnings that moved weights are recorded under {@link #journalKey}; the two
     * keys differ, so each kind is undone with the tokens it was learned with.
     *
     * @param tokens the message's tokens as the tokenizer gives them ({@link Tokenizer#tokenize}), which is what such a
     *     learning counts, in a model file's journal and in a cluster's alike
     * @return the key: 32 lower-case hex digits
     * @throws NullPointerException if {@code tokens} is {@code null} or holds {@code null}
     */
    public static String countsOnlyJournalKey(Collection<String> tokens) {
        return LearnJournal.countsOnlyKey(tokens);
    }

    /**
     * The most records a learn journal ({@link #journalFile}) keeps: 200,000, the ones learned or changed most
     * recently; a message has one, or two when it was learned both into the counts alone and with its weights
     * ({@link Correction#countedOnly()}). An older message stays learned in the model, but a later correction of it
     * is learned as for a new message instead of undoing the earlier learning first. The file stays under 8 MB.
     */
    public static final int JOURNAL_MAX_MESSAGES = LearnJournal.MAX_ENTRIES;

    /**
     * The learn journal of a model file: {@code FILE.learned} next to it (next to the file a symbolic link names, as
     * the lock file). It records each message the administrator's
     * corrections ({@link #correctInto}, {@link #learnInto}, {@code hygiene learn}, the quarantine tool) taught the
     * model, by a digest of its tokens, with its label and how many times it was learned; nothing of the message
     * itself. With it a later correction of the same message undoes the earlier one exactly, and a repeated report is
     * a no-op. A missing model file discards its journal (the new model starts from the default model, which learned
     * none of it), and so does a model file replaced by other means (the journal records the SHA-256 of the model file
     * it was last saved with); {@code hygiene train} without {@code --update} or {@code --forget} deletes it.
     *
     * @param modelFile the model file
     * @return the journal's path
     * @throws NullPointerException if {@code modelFile} is {@code null}
     */
    public static Path journalFile(Path modelFile) {
        Path abs;
        try {
            abs = BayesModel.followed(modelFile); // a link and its target share one journal
        } catch (IOException e) {
            abs = modelFile.toAbsolutePath(); // a link that cannot be followed: reading and saving fail with it
        }
        return abs.resolveSibling(abs.getFileName() + ".learned");
    }

    /**
     * The score a message learned as ham by {@link #correctInto} is learned down to: 0.5, below every threshold the
     * project uses (0.7 for a site's own model, {@value #DEFAULT_MODEL_THRESHOLD} for the default model).
     */
    public static final double CORRECTED_HAM_SCORE = 0.5;
    /**
     * The score a message learned as spam by {@link #correctInto} is learned up to: 0.9, above both thresholds the
     * project uses, so the correction survives a little drift.
     */
    public static final double CORRECTED_SPAM_SCORE = 0.9;

    /**
     * The score {@link #correctInto} learns a message with this label to: {@link #CORRECTED_SPAM_SCORE} for spam (at
     * least), {@link #CORRECTED_HAM_SCORE} for ham (below).
     *
     * @param spam the label
     * @return the target score
     */
    public static double correctionTarget(boolean spam) {
        return spam ? CORRECTED_SPAM_SCORE : CORRECTED_HAM_SCORE;
    }

    /**
     * The most times {@link #correctInto} learns one message, 50: what one correction can weigh is bounded (the
     * default model counts some 34,000 messages).
     */
    public static final int MAX_CORRECTION_LEARNINGS = 50;

    /**
     * What {@link #correctInto} or {@link #learnOnceInto} did.
     *
     * @param model the model as saved
     * @param learned how many learnings the messages took in all (none for a message already learned with this label
     *     that the model already agrees with; otherwise at least one each)
     * @param unreachedAt the positions, in the messages given, of those that still score on the wrong side after
     *     their learning (the model's other evidence outweighs them: learning stopped at {@link
     *     #MAX_CORRECTION_LEARNINGS}, or earlier when their tokens could not move far enough, see {@link
     *     ModelTrainer#learnUntil}), in order
     * @param undone how many messages had been learned with the other label (the learn journal says so) and were
     *     forgotten first, as many times as they had been learned
     * @param alreadyLearned how many messages the journal says were learned with this label already and needed nothing
     *     more (the model agrees with them; with {@link #learnOnceInto}, any such message)
     * @param countedOnly how many messages the model already scored on their label's side (below {@link
     *     #CORRECTED_HAM_SCORE} for ham, at least {@link #CORRECTED_SPAM_SCORE} for spam) and were therefore learned
     *     once into the counts only, moving no weight of the logistic part (each counts among {@code learned}); 0 for
     *     a model without a logistic part
     */
    public record Correction(
            BayesModel model, int learned, List<Integer> unreachedAt, int undone, int alreadyLearned, int countedOnly) {
        /**
         * Copies the positions.
         *
         * @throws NullPointerException if {@code model} or {@code unreachedAt} is {@code null}
         */
        public Correction {
            Objects.requireNonNull(model, "model");
            unreachedAt = List.copyOf(unreachedAt);
        }

        /**
         * How many messages still score on the wrong side.
         *
         * @return the size of {@link #unreachedAt()}
         */
        public int unreached() {
            return unreachedAt.size();
        }
    }

    /**
     * The administrator's correction: like {@link #learnInto}, but each message is learned until the model scores it
     * on the right side of its label ({@link #CORRECTED_HAM_SCORE} for ham, {@link #CORRECTED_SPAM_SCORE} for spam),
     * at least once and at most {@link #MAX_CORRECTION_LEARNINGS} times (fewer when the target is out of reach, see
     * {@link ModelTrainer#learnUntil}). In a model of tens of thousands of messages,
     * such as the default, one learning moves a message's score little (a newsletter flagged at 0.998 still scored
     * 0.92 after being learned once as ham, below 0.5 after 7; a short business mail with payment words 0.996, 0.95
     * after one, below 0.5 after 20): a released false positive would go on being flagged.
     * Same locking and atomic replacement as {@link #learnInto}, and the same learn journal ({@link #journalFile}): a
     * message learned with the other label before is forgotten first, as many times as it was learned (a spam report
     * made by mistake and then corrected leaves the model as if only the correction had been learned); one learned
     * with this label before is learned further only if the model no longer agrees with it.
     *
     * <p>Weights move only on a mistake: a message the model already scores on its label's side is learned once
     * into the counts alone, as {@code hygiene train --update} would learn it, and adds no weight correction
     * ({@link Correction#countedOnly()}; like any counted message it widens the evidence of its tokens, which narrows
     * what earlier corrections of a token seen in over {@value BayesModel#CORRECTION_FULL_STEP_MESSAGES} messages
     * move it); only a message scored on the wrong side is learned with the correction tokens ({@link
     * BayesModel#correctionTokens}). Every correction moved the weights of all its tokens, however sure
     * the model already was: 400 ordinary list messages released as ham took the default model's unseen 2025-26 spam
     * caught from 76% to 62% (benchmarks/README.md, session 23). The journal records the two kinds of learning apart
     * and undoes each with the tokens it was learned with.
     *
     * @param modelFile the model file
     * @param spam {@code true} to learn the messages as spam, {@code false} as ham
     * @param messages the messages, learned in order
     * @param tokenizer the tokenizer (the one scanners use)
     * @return the model as saved, how many learnings it took and how many messages stay on the wrong side
     * @throws IOException if a message, the model or its journal cannot be read (a malformed journal line is named by
     *     file and line), or the model cannot be written (the file is then unchanged)
     * @throws NullPointerException if an argument is {@code null}
     */
    public static Correction correctInto(
            Path modelFile, boolean spam, Collection<? extends MessageContent> messages, Tokenizer tokenizer)
            throws IOException {
        return update(modelFile, spam, messages, tokenizer, true);
    }

    private static Correction update(
            Path modelFile,
            boolean spam,
            Collection<? extends MessageContent> messages,
            Tokenizer tokenizer,
            boolean untilCorrected)
            throws IOException {
        Objects.requireNonNull(messages, "messages");
        Objects.requireNonNull(tokenizer, "tokenizer");
        Path abs = modelFile.toAbsolutePath();
        Path journalFile = journalFile(abs);
        try (java.io.Closeable lock = lockModel(abs)) {
            JournalCarry read = Files.exists(abs)
                    ? carryJournal(abs)
                    : new JournalCarry(abs, loadDefault(), journalFile, LearnJournal.empty());
            BayesModel model = read.model;
            LearnJournal journal = read.journal;
            ModelTrainer trainer = new ModelTrainer(model);
            double target = correctionTarget(spam);
            int learned = 0;
            List<Integer> unreached = new ArrayList<>();
            int undone = 0;
            int already = 0;
            int countedOnly = 0;
            int at = -1;
            for (MessageContent m : messages) {
                at++;
                Set<String> bare = tokenizer.tokenize(m);
                // with the correction tokens of a logistic part (the same set each time: the weights do not change)
                Set<String> tokens = model.correctionTokens(bare);
                boolean weighted = tokens.size() != bare.size();
                // learnings that moved weights are recorded under the key, those of the counts alone under their own
                // (read even when no token of the message has a weight now: it may have had one when it was learned)
                String key = LearnJournal.key(bare);
                String countsKey = LearnJournal.countsOnlyKey(bare);
                Optional<LearnJournal.Entry> moved = journal.get(key);
                Optional<LearnJournal.Entry> counted = journal.get(countsKey);
                if (otherLabel(moved, spam) || otherLabel(counted, spam)) {
                    undo(model, moved, tokens);
                    undo(model, counted, bare);
                    journal.remove(key);
                    journal.remove(countsKey);
                    moved = Optional.empty();
                    counted = Optional.empty();
                    undone++;
                }
                boolean agrees = ModelTrainer.agrees(model.classify(tokens).score(), spam, target);
                if ((moved.isPresent() || counted.isPresent()) && (!untilCorrected || agrees)) {
                    already++;
                    continue;
                }
                int earlierMoved = moved.map(LearnJournal.Entry::times).orElse(0);
                int earlierCounted = counted.map(LearnJournal.Entry::times).orElse(0);
                if (weighted && agrees) {
                    // the model already scores it as labelled: count it, as train --update would, and move no
                    // weight (each such learning moved them all a little, and hundreds of them drifted the model)
                    trainer.learn(bare, spam, 1);
                    learned++;
                    countedOnly++;
                    journal.put(countsKey, new LearnJournal.Entry(spam, earlierCounted + 1));
                    continue;
                }
                int times;
                if (untilCorrected) {
                    times = trainer.learnUntil(tokens, spam, target, MAX_CORRECTION_LEARNINGS);
                    if (!ModelTrainer.agrees(model.classify(tokens).score(), spam, target)) {
                        unreached.add(at);
                    }
                } else {
                    trainer.learn(tokens, spam, 1);
                    times = 1;
                }
                learned += times;
                journal.put(key, new LearnJournal.Entry(spam, earlierMoved + times));
            }
            saveWithJournal(model, abs, journal, journalFile, "these messages will not undo this one");
            return new Correction(model, learned, unreached, undone, already, countedOnly);
        }
    }

    /** Whether a journal record says the message was learned with the label other than {@code spam}. */
    private static boolean otherLabel(Optional<LearnJournal.Entry> entry, boolean spam) {
        return entry.isPresent() && entry.get().spam() != spam;
    }

    /** Forgets a message as often as a journal record says it was learned with these tokens (none without one). */
    private static void undo(BayesModel model, Optional<LearnJournal.Entry> entry, Set<String> tokens) {
        if (entry.isEmpty()) {
            return;
        }
        boolean wasSpam = entry.get().spam();
        for (int i = 0; i < entry.get().times() && (wasSpam ? model.spamMessages() : model.hamMessages()) > 0; i++) {
            model.forget(tokens, wasSpam);
        }
    }
}
