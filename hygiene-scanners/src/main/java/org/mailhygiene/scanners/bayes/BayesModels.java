package org.mailhygiene.scanners.bayes;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.Objects;
import java.util.Set;
import org.mailhygiene.api.MessageContent;

/**
 * The shipped default model, and how a model named in a configuration ({@code default} or a file) is found.
 *
 * <p>The default model ({@value #DEFAULT_RESOURCE} on the class path, in {@code hygiene-scanners.jar}) holds token
 * counts learned from public corpora (the recipe and its measured accuracy are in {@code benchmarks/README.md}); it is
 * derived data, not mail. Stateless and thread-safe.
 */
public final class BayesModels {
    /** The name that stands for the shipped default model, e.g. {@code --bayes default}, {@code bayes:default}. */
    public static final String DEFAULT = "default";
    /**
     * The spam threshold for the default model, 0.8: the lowest of 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99 at which the
     * default model flagged at most 0.5% of each ham collection it did not learn (Enron-Spam sets 5 and 6, 3,000
     * messages: 0.23%; the odd-numbered half of TREC 2007, 5,525 messages: 0.09%; 2019-2026 mailing-list ham: 0%),
     * the rule fixed in session 3 (benchmarks/README.md, session 9). Verdicts
     * between it and {@link BayesScanner#DEFAULT_SURE_THRESHOLD} carry {@code BAYES_UNSURE}. A model trained on a
     * site's own mail keeps {@link BayesScanner#DEFAULT_THRESHOLD}, calibrated by cross-validation on such mail.
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
            return BayesModel.read(in, "the default model " + DEFAULT_RESOURCE);
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
     * #DEFAULT_MODEL_THRESHOLD} for {@value #DEFAULT}, {@link BayesScanner#DEFAULT_THRESHOLD} for a model file.
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
        BounceDetector detector = localDomains.isEmpty() ? null : BounceDetector.withLocalDomains(localDomains);
        BayesScanner.Builder b = BayesScanner.builder(resolve(spec));
        if (spec.equals(DEFAULT)) {
            b.threshold(DEFAULT_MODEL_THRESHOLD);
        }
        if (detector != null) {
            b.detector(detector);
        }
        return b.build();
    }

    /**
     * Learns messages into a model file and replaces it atomically, holding an exclusive lock on
     * {@code FILE.lock} meanwhile so that concurrent learners (the CLI, the quarantine tool) do not lose each other's
     * updates. A missing file starts from the shipped default model. Running scanners that watch the file pick the new
     * version up ({@link WatchedModelFile}).
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
        Objects.requireNonNull(messages, "messages");
        Objects.requireNonNull(tokenizer, "tokenizer");
        Path abs = modelFile.toAbsolutePath();
        Path lockFile = abs.resolveSibling(abs.getFileName() + ".lock");
        try (FileChannel ch = FileChannel.open(lockFile, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE));
                FileLock lock = ch.lock()) {
            BayesModel model = Files.exists(abs) ? BayesModel.load(abs) : loadDefault();
            for (MessageContent m : messages) {
                model.learn(tokenizer.tokenize(m), spam);
            }
            model.save(abs);
            return model;
        }
    }
}
