package org.mailhygiene.scanners.bayes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model file that running scanners pick up again when it is replaced (by {@code hygiene learn}, {@code hygiene train}
 * or a copy), without a restart.
 *
 * <p>{@link #current()} looks at the file at most once per check interval (default {@value #DEFAULT_CHECK_SECONDS}
 * s, by the injected clock): when its size, modification time or file key (inode) differ from the loaded version, the
 * file is read in full and checked (magic, format version, counts) <em>before</em> it replaces the model in use. A file
 * that is missing, truncated or corrupt is not used: the previous model stays, and the problem is kept in
 * {@link #lastError()} and logged, once per version of the file. Writers should replace the file atomically (write a
 * temporary file, then rename), as {@link BayesModel#save} does; a reader then sees either the old or the new file.
 *
 * <p>A file opened with {@link #manual(Path)} is looked at only when {@link #checkNow()} is called, never from a
 * scan, so no scan waits for a model load: the relay node does that from its {@code bayes-reload} service (every
 * {@code bayes.reload-check}), and a configuration reload ({@code SIGHUP}) opens the file again through the same
 * {@link #manual(Path)}, so both read, check and log a model the same way. This is the one model-reload mechanism of
 * the project (it replaces the relay's former {@code ReloadingBayesScanner}, whose behaviour it keeps: a change of size,
 * modification time or file key loads the file; a broken file is logged once and the old model kept; the scanner's
 * {@linkplain BayesScanner#cacheIdentity() cache identity} follows the model's version, so verdicts cached under an old
 * model are not reused).
 *
 * <p>Thread-safe: at most one thread reloads at a time; other scans go on with the model in use meanwhile.
 */
public final class WatchedModelFile implements ModelSource {
    /** Default interval between looks at the file, in seconds. */
    public static final long DEFAULT_CHECK_SECONDS = 2;

    private static final Logger LOG = LoggerFactory.getLogger(WatchedModelFile.class);

    private final Path file;
    private final Clock clock;
    private final Duration checkEvery;
    private final ReentrantLock reloading = new ReentrantLock();
    private final AtomicLong reloads = new AtomicLong();
    private volatile BayesModel model;
    private volatile Stamp stamp;
    private volatile Stamp failedStamp;
    private volatile Instant nextCheck;
    private volatile Optional<String> lastError = Optional.empty();

    private record Stamp(long size, long modified, Object key) {}

    private WatchedModelFile(Path file, Clock clock, Duration checkEvery, BayesModel model, Stamp stamp) {
        this.file = file;
        this.clock = clock;
        this.checkEvery = checkEvery; // null: looked at only by checkNow()
        this.model = model;
        this.stamp = stamp;
        this.nextCheck = checkEvery == null ? Instant.MAX : clock.instant().plus(checkEvery);
    }

    /**
     * Loads a model file and watches it, with the system clock and the default check interval.
     *
     * @param file the model file
     * @return the watched file
     * @throws IOException if the file cannot be read now
     * @throws ModelFormatException if it is not a model this build reads
     */
    public static WatchedModelFile open(Path file) throws IOException {
        return open(file, Clock.systemUTC(), Duration.ofSeconds(DEFAULT_CHECK_SECONDS));
    }

    /**
     * Loads a model file and watches it.
     *
     * @param file the model file
     * @param clock decides when the file is looked at again
     * @param checkEvery the interval between looks; zero looks at every scan
     * @return the watched file
     * @throws IOException if the file cannot be read now
     * @throws ModelFormatException if it is not a model this build reads
     * @throws IllegalArgumentException if {@code checkEvery} is negative
     */
    public static WatchedModelFile open(Path file, Clock clock, Duration checkEvery) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(clock, "clock");
        if (Objects.requireNonNull(checkEvery, "checkEvery").isNegative()) {
            throw new IllegalArgumentException("checkEvery must not be negative: " + checkEvery);
        }
        Stamp before = stamp(file);
        BayesModel m = BayesModel.load(file);
        return new WatchedModelFile(file, clock, checkEvery, m, before);
    }

    /**
     * Loads a model file that is looked at again only when {@link #checkNow()} is called (by a scheduler, such as the
     * relay node's {@code bayes-reload} service); {@link #current()} never touches the file.
     *
     * @param file the model file
     * @return the model file
     * @throws IOException if the file cannot be read now
     * @throws ModelFormatException if it is not a model this build reads
     */
    public static WatchedModelFile manual(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        Stamp before = stamp(file);
        BayesModel m = BayesModel.load(file);
        return new WatchedModelFile(file, Clock.systemUTC(), null, m, before);
    }

    /**
     * The file watched.
     *
     * @return the path
     */
    public Path file() {
        return file;
    }

    /**
     * The model in use, after looking at the file if the check interval has passed.
     *
     * @return the model
     */
    @Override
    public BayesModel current() {
        if (!clock.instant().isBefore(nextCheck) && reloading.tryLock()) {
            try {
                nextCheck = clock.instant().plus(checkEvery);
                reloadIfChanged();
            } finally {
                reloading.unlock();
            }
        }
        return model;
    }

    /**
     * Looks at the file now, whatever the interval, and loads it if it changed. Never throws: a missing, unreadable or
     * invalid file is logged (once per version of the file) and kept in {@link #lastError()}, and the model in use
     * stays.
     *
     * @return {@code true} if a new model was loaded and is now in use
     */
    public boolean checkNow() {
        reloading.lock();
        try {
            if (checkEvery != null) {
                nextCheck = clock.instant().plus(checkEvery);
            }
            return reloadIfChanged();
        } finally {
            reloading.unlock();
        }
    }

    /**
     * How many times a changed file was loaded.
     *
     * @return the count
     */
    public long reloads() {
        return reloads.get();
    }

    /**
     * Why the last attempt to load a changed file failed, if it did (cleared by the next successful load).
     *
     * @return the reason, or empty
     */
    public Optional<String> lastError() {
        return lastError;
    }

    private boolean reloadIfChanged() {
        Stamp now;
        try {
            now = stamp(file);
        } catch (IOException e) {
            fail(null, "cannot look at " + file + ": " + e);
            return false;
        }
        if (now.equals(stamp) || now.equals(failedStamp)) {
            return false;
        }
        try {
            BayesModel loaded = BayesModel.load(file);
            Stamp after = stamp(file);
            if (!after.equals(now)) {
                return false; // replaced while we read it: look again next time
            }
            model = loaded;
            stamp = now;
            failedStamp = null;
            lastError = Optional.empty();
            reloads.incrementAndGet();
            LOG.info(
                    "reloaded Bayes model {} (spam {}, ham {}, tokens {})",
                    file,
                    loaded.spamMessages(),
                    loaded.hamMessages(),
                    loaded.tokenCount());
            return true;
        } catch (IOException | RuntimeException e) {
            // a refused model's own message names the file already ("FILE is truncated or corrupt: ..."); until
            // session 49 the log line and /health named it twice
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            fail(
                    now,
                    "not reloaded, keeping the model in use: "
                            + (e instanceof ModelFormatException && why.startsWith(file.toString())
                                    ? why
                                    : file + ": " + why));
            return false;
        }
    }

    private void fail(Stamp at, String reason) {
        boolean repeated = at == null ? lastError.equals(Optional.of(reason)) : at.equals(failedStamp);
        if (!repeated) {
            LOG.warn(reason);
        }
        failedStamp = at;
        lastError = Optional.of(reason);
    }

    private static Stamp stamp(Path file) throws IOException {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new Stamp(a.size(), a.lastModifiedTime().toMillis(), a.fileKey());
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "the model file does not exist");
        }
    }
}
