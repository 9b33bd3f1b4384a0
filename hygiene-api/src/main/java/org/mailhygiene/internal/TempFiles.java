package org.mailhygiene.internal;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Temporary files for copies of messages: readable by the owner only, in a given directory or the process's own
 * ({@link LockedDirectory#ofProcess()}). Stateless and thread-safe.
 */
public final class TempFiles {
    private TempFiles() {}

    /**
     * Creates an empty temporary file that only the owner may read and write (where the file system has POSIX
     * permissions). A given directory that no longer exists (a cleaner of {@code /tmp}, such as systemd-tmpfiles'
     * age limit, or an administrator removed it under a long-running relay or milter) is made again, for the owner
     * only, and the file created there: every later copy failed until a restart.
     *
     * @param directory the directory, or {@code null} for the process's own ({@link LockedDirectory#ofProcess()})
     * @param prefix the file name's start
     * @param suffix the file name's end
     * @return the new file
     * @throws IOException if the file (or the missing directory) cannot be created
     */
    public static Path createPrivate(Path directory, String prefix, String suffix) throws IOException {
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        FileAttribute<?>[] file = posix
                ? new FileAttribute<?>[] {
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))
                }
                : new FileAttribute<?>[0];
        Path dir = directory == null ? LockedDirectory.ofProcess() : directory;
        try {
            return Files.createTempFile(dir, prefix, suffix, file);
        } catch (NoSuchFileException e) {
            if (directory == null || Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
                throw e;
            }
            FileAttribute<?>[] owner = posix
                    ? new FileAttribute<?>[] {
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))
                    }
                    : new FileAttribute<?>[0];
            Files.createDirectories(directory, owner);
            return Files.createTempFile(directory, prefix, suffix, file);
        }
    }
}
