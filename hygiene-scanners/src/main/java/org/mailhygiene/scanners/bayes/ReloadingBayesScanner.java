package org.mailhygiene.scanners.bayes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.mailhygiene.api.Health;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.Verdict;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link BayesScanner} over a model file that is re-read when the file changes, so a model retrained by
 * {@code hygiene train} (written to a temporary file and renamed over the old one) is picked up without a restart.
 *
 * <p>{@link #reloadIfChanged()} compares the file's modification time, size and file key with the ones loaded; when
 * they differ it loads the new model and swaps it in atomically (scans in progress finish with the old one). A file
 * that cannot be read or is not a valid model is logged (WARN, once per changed file) and the old model stays in use:
 * a broken retrain never leaves the node without a classifier. Nothing checks on its own: call
 * {@link #reloadIfChanged()} from a scheduler (the relay node does, every {@code bayes.reload-check}).
 *
 * <p>The {@linkplain #cacheIdentity() cache identity} is the current model's, so verdicts cached under an old model
 * are not reused. Thread-safe.
 */
public final class ReloadingBayesScanner implements Scanner {
    private static final Logger LOG = LoggerFactory.getLogger(ReloadingBayesScanner.class);

    /** The loaded model and the file attributes it was loaded with. */
    private record Loaded(BayesScanner scanner, FileTime modified, long size, Object key) {}

    private final Path file;
    private final Function<BayesModel, BayesScanner> factory;
    private volatile Loaded current;
    /** Attributes of a file that failed to load, so the same broken file is reported once. */
    private volatile String lastFailed;

    private ReloadingBayesScanner(Path file, Function<BayesModel, BayesScanner> factory, Loaded first) {
        this.file = file;
        this.factory = factory;
        this.current = first;
    }

    /**
     * Loads the model file and builds the first scanner.
     *
     * @param file a model written by {@link BayesModel#save}
     * @param factory builds a scanner over a model (e.g. {@code m -> BayesScanner.builder(m).threshold(0.8).build()})
     * @return the scanner
     * @throws IOException if the file cannot be read
     * @throws ModelFormatException if it is not a model of a supported version
     */
    public static ReloadingBayesScanner open(Path file, Function<BayesModel, BayesScanner> factory) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(factory, "factory");
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        BayesScanner s = Objects.requireNonNull(factory.apply(BayesModel.load(file)), "factory result");
        return new ReloadingBayesScanner(file, factory, new Loaded(s, a.lastModifiedTime(), a.size(), a.fileKey()));
    }

    /**
     * Re-reads the model when the file changed since it was loaded. Never throws: a missing, unreadable or invalid
     * file is logged and the current model kept.
     *
     * @return {@code true} when a new model was loaded and is now in use
     */
    public boolean reloadIfChanged() {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
            report("cannot read " + file + " (" + e + "); keeping the model loaded before");
            return false;
        }
        Loaded l = current;
        if (a.lastModifiedTime().equals(l.modified()) && a.size() == l.size() && Objects.equals(a.fileKey(), l.key())) {
            return false;
        }
        String attrs = a.lastModifiedTime() + "/" + a.size() + "/" + a.fileKey();
        if (attrs.equals(lastFailed)) {
            return false; // the same broken file, already reported
        }
        try {
            BayesScanner s = Objects.requireNonNull(factory.apply(BayesModel.load(file)), "factory result");
            current = new Loaded(s, a.lastModifiedTime(), a.size(), a.fileKey());
            lastFailed = null;
            LOG.info("bayes: model {} changed, reloaded ({} bytes)", file, a.size());
            return true;
        } catch (IOException | RuntimeException e) {
            lastFailed = attrs;
            LOG.warn("bayes: model {} changed but cannot be loaded ({}); keeping the model loaded before", file, e);
            return false;
        }
    }

    private void report(String text) {
        if (!text.equals(lastFailed)) {
            lastFailed = text;
            LOG.warn("bayes: {}", text);
        }
    }

    /**
     * The model file.
     *
     * @return the path given to {@link #open}
     */
    public Path file() {
        return file;
    }

    /**
     * The scanner over the model now in use.
     *
     * @return the current scanner
     */
    public BayesScanner current() {
        return current.scanner();
    }

    @Override
    public String name() {
        return current.scanner().name();
    }

    @Override
    public Verdict scan(Message message) throws ScanException {
        return current.scanner().scan(message);
    }

    @Override
    public Health health() {
        return current.scanner().health();
    }

    @Override
    public Optional<String> cacheIdentity() {
        return current.scanner().cacheIdentity();
    }

    @Override
    public String toString() {
        return "ReloadingBayesScanner[" + file + "]";
    }
}
