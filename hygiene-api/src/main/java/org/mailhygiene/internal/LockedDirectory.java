package org.mailhygiene.internal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A private directory (owner-only permissions where the file system has them) that says, as long as its process
 * lives, that it is in use: its process holds a lock on the file {@value #LOCK_FILE} in it. A process killed before it
 * could delete its directory (kill -9, the OOM killer, a timeout's SIGKILL) leaves it unlocked, since the operating
 * system releases a dead process's locks, and {@link #deleteAbandoned} in a later process deletes it: copies of
 * messages must not stay in a shared temporary directory for good.
 *
 * <p>The lock is an advisory file lock ({@link FileChannel#tryLock()}, {@code fcntl} on Linux), which other processes
 * see on the same machine and across PID namespaces that share the file system. Such a lock belongs to the process,
 * and closing any descriptor of its file releases it, so {@link #deleteAbandoned} never opens the lock file of a
 * directory this process holds. {@link #close()} is idempotent; instances are thread-safe.
 */
public final class LockedDirectory implements Closeable {
    /** The name of the lock file in every locked directory. */
    public static final String LOCK_FILE = ".in-use";

    /**
     * The file keys (device and inode) of the lock files this process holds: opening and closing one of them again
     * would release the process's lock, and another process would then delete the live directory.
     */
    private static final Set<Object> HELD = ConcurrentHashMap.newKeySet();

    private final Path path;
    private final FileChannel channel;
    private final FileLock lock;
    private final Object key;
    private boolean closed;

    private LockedDirectory(Path path, FileChannel channel, FileLock lock, Object key) {
        this.path = path;
        this.channel = channel;
        this.lock = lock;
        this.key = key;
    }

    /**
     * Creates a new directory under {@code parent} named {@code prefix} and a random suffix, owner-only where the file
     * system has POSIX permissions, with its lock file created and locked.
     *
     * @param parent an existing directory
     * @param prefix the start of the name, by which {@link #deleteAbandoned} finds it
     * @return the directory, locked
     * @throws IOException if the directory or its lock file cannot be created or locked (nothing is left behind)
     */
    public static LockedDirectory create(Path parent, String prefix) throws IOException {
        Objects.requireNonNull(parent, "parent");
        Objects.requireNonNull(prefix, "prefix");
        Path dir;
        try {
            dir = Files.createTempDirectory(
                    parent, prefix, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
            dir = Files.createTempDirectory(parent, prefix);
        }
        FileChannel channel = null;
        try {
            Path lockFile = dir.resolve(LOCK_FILE);
            channel = FileChannel.open(
                    lockFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            Object key = fileKey(lockFile);
            if (key != null) {
                HELD.add(key);
            }
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (IOException | RuntimeException e) {
                if (key != null) {
                    HELD.remove(key);
                }
                throw e;
            }
            if (lock == null) {
                if (key != null) {
                    HELD.remove(key);
                }
                throw new IOException("cannot lock " + lockFile + ": another process holds it");
            }
            return new LockedDirectory(dir, channel, lock, key);
        } catch (IOException | RuntimeException e) {
            Closeables.closeQuietly(channel);
            FileTrees.deleteTreeQuietly(dir);
            throw e;
        }
    }

    /**
     * The directory.
     *
     * @return its path as created (under the parent given to {@link #create})
     */
    public Path path() {
        return path;
    }

    /**
     * Releases the lock and deletes the directory with everything in it ({@link FileTrees#deleteTree}). Calling it
     * again does nothing.
     *
     * @throws IOException if something could not be deleted (the lock is released all the same)
     */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            lock.release();
        } catch (IOException e) {
            // closing the channel releases it as well
        }
        Closeables.closeQuietly(channel);
        if (key != null) {
            HELD.remove(key);
        }
        FileTrees.deleteTree(path);
    }

    /** How the process's own temporary directory ({@link #ofProcess()}) starts its name. */
    public static final String PROCESS_PREFIX = "hygiene-jvm-";

    /** The process's directory, once made; {@code null} before, or when it could not be made. */
    private static volatile Path processDirectory;

    /** The locked directory behind {@link #processDirectory}, closed at exit or when it is replaced. */
    private static LockedDirectory processLocked;

    private static boolean processDirectoryTried;

    /**
     * This process's own temporary directory under {@code java.io.tmpdir} ({@value #PROCESS_PREFIX}...), for copies of
     * messages written where no directory was configured (a library user's {@code SmtpServer} or
     * {@code MilterServer} without a spool directory, {@code SpooledContent} without one): made at the first call,
     * after deleting the ones of processes that died without deleting theirs (older than a minute, lock free), and
     * deleted when the JVM shuts down normally. Such copies went into {@code java.io.tmpdir} itself, where a process
     * killed outright (kill -9, the OOM killer) left them for good. When the directory is gone (a cleaner of old files
     * in {@code /tmp}, such as systemd-tmpfiles after 10 days, removed it under a long-running process), a new one is
     * made: every later copy failed with {@code NoSuchFileException} until a restart. When the directory cannot be
     * made, returns {@code java.io.tmpdir} itself (as before) and tries no more. Thread-safe.
     *
     * @return the directory to write temporary files in
     */
    public static Path ofProcess() {
        Path p = processDirectory;
        if (p != null && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            return p;
        }
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        synchronized (LockedDirectory.class) {
            p = processDirectory;
            if (p != null && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                return p;
            }
            if (p == null && processDirectoryTried) {
                return tmp;
            }
            boolean first = !processDirectoryTried;
            processDirectoryTried = true;
            if (processLocked != null) {
                // gone under us: release its lock and descriptor, then make a new one
                try {
                    processLocked.close();
                } catch (IOException e) {
                    // nothing of it is left to delete
                }
                processLocked = null;
                processDirectory = null;
            }
            try {
                deleteAbandoned(tmp, PROCESS_PREFIX, Duration.ofMinutes(1));
                LockedDirectory d = create(tmp, PROCESS_PREFIX);
                if (first) {
                    try {
                        Runtime.getRuntime()
                                .addShutdownHook(
                                        new Thread(LockedDirectory::closeProcessDirectory, "hygiene-tmp-cleanup"));
                    } catch (IllegalStateException e) {
                        // the JVM is shutting down already: the directory stays locked until the process ends, and
                        // the next process deletes it
                    }
                }
                processLocked = d;
                processDirectory = d.path();
                return d.path();
            } catch (IOException | RuntimeException e) {
                return tmp;
            }
        }
    }

    /** Deletes the process's directory at exit; best effort, the next process deletes what is left. */
    private static void closeProcessDirectory() {
        LockedDirectory d;
        synchronized (LockedDirectory.class) {
            d = processLocked;
        }
        if (d != null) {
            try {
                d.close();
            } catch (IOException e) {
                // best effort at exit; the next process deletes it
            }
        }
    }

    /** The lock file's device and inode, or null where the file system has no such key. */
    private static Object fileKey(Path lockFile) throws IOException {
        return Files.readAttributes(lockFile, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                .fileKey();
    }

    /**
     * Deletes the directories under {@code parent} whose names start with {@code prefix}, that belong to this
     * process's user, whose lock file is older than {@code minimumAge} and whose lock no process holds: directories of
     * processes that died before they could delete them. A directory without a lock file (made by something else, or
     * by an older version) is left alone, as is one still locked, one being created (its lock file younger than
     * {@code minimumAge}: between the file's creation and its lock) and anything that is not a directory or is a
     * symbolic link. Best effort: a directory that cannot be read, locked or deleted is skipped (what could be
     * deleted of it is). Never throws for what it finds.
     *
     * @param parent the directory to look in; nothing happens if it does not exist
     * @param prefix the start of the names of the directories to look at
     * @param minimumAge how old a lock file must be, non-negative
     * @return how many directories were deleted
     */
    public static int deleteAbandoned(Path parent, String prefix, Duration minimumAge) {
        Objects.requireNonNull(parent, "parent");
        Objects.requireNonNull(prefix, "prefix");
        Checks.requireNonNegative(minimumAge, "minimumAge");
        UserPrincipal me;
        try {
            me = parent.getFileSystem()
                    .getUserPrincipalLookupService()
                    .lookupPrincipalByName(System.getProperty("user.name"));
        } catch (IOException | UnsupportedOperationException e) {
            return 0;
        }
        Instant before = Instant.now().minus(minimumAge);
        int deleted = 0;
        try (DirectoryStream<Path> entries =
                Files.newDirectoryStream(parent, e -> e.getFileName().toString().startsWith(prefix))) {
            for (Path dir : entries) {
                if (abandoned(dir, me, before)) {
                    FileTrees.deleteTreeQuietly(dir);
                    deleted += Files.exists(dir, LinkOption.NOFOLLOW_LINKS) ? 0 : 1;
                }
            }
        } catch (IOException | RuntimeException e) {
            // best effort: what was deleted stays deleted
        }
        return deleted;
    }

    /** Whether {@code dir} is ours, old enough, and its lock is free (tested by taking it for a moment). */
    private static boolean abandoned(Path dir, UserPrincipal me, Instant before) {
        Path lockFile = dir.resolve(LOCK_FILE);
        try {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                    || !me.equals(Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS))
                    || !Files.isRegularFile(lockFile, LinkOption.NOFOLLOW_LINKS)
                    || Files.getLastModifiedTime(lockFile, LinkOption.NOFOLLOW_LINKS)
                            .toInstant()
                            .isAfter(before)) {
                return false;
            }
            Object key = fileKey(lockFile);
            if (key != null && HELD.contains(key)) {
                return false; // this process holds it; opening the file again would drop the lock
            }
            try (FileChannel channel =
                    FileChannel.open(lockFile, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                FileLock lock = channel.tryLock();
                if (lock == null) {
                    return false; // its process lives
                }
                lock.release();
                return true;
            }
        } catch (OverlappingFileLockException e) {
            return false; // this very process holds it
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
