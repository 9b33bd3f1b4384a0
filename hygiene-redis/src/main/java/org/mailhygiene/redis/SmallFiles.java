package org.mailhygiene.redis;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * Reads the small files a URL names ({@code cacert=}, {@code verdict-key=}) at open, bounded, with one form of error:
 * {@code cannot read WHAT FILE: WHY}. Stateless; thread-safe.
 */
final class SmallFiles {
    private SmallFiles() {}

    /**
     * Reads a regular file of at most {@code max} bytes.
     *
     * @throws IllegalArgumentException if it is missing, unreadable, not a regular file (a device or a FIFO would be
     *     read without end) or larger than {@code max}
     */
    static byte[] read(String what, Path file, long max) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            if (a.isDirectory()) {
                throw unreadable(what, file, "a directory", null);
            }
            if (!a.isRegularFile()) {
                throw unreadable(what, file, "not a regular file", null);
            }
            if (a.size() > max) {
                throw unreadable(what, file, "larger than " + max + " bytes", null);
            }
            byte[] b;
            try (InputStream in = Files.newInputStream(file)) {
                b = in.readNBytes((int) max + 1); // bounded even if it grew since
            }
            if (b.length > max) {
                throw unreadable(what, file, "larger than " + max + " bytes", null);
            }
            return b;
        } catch (IOException e) {
            throw unreadable(what, file, why(e), e);
        }
    }

    /**
     * Refuses a secret file that users other than its owner and group may read, or that its group may write.
     * Nothing is checked where the file system has no POSIX permissions, nor for what is not a regular file ({@link
     * #read} refuses it, naming what it is).
     *
     * @throws IllegalArgumentException naming the file, its mode and the fix
     */
    static void requireNotOthers(String what, Path file) {
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            return; // a directory, a device: read() says so (a directory's usual 755 is not the problem to fix)
        }
        Set<PosixFilePermission> p;
        try {
            p = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException notPosix) {
            return;
        } catch (IOException e) {
            throw unreadable(what, file, why(e), e);
        }
        if (p.contains(PosixFilePermission.OTHERS_READ)
                || p.contains(PosixFilePermission.OTHERS_WRITE)
                || p.contains(PosixFilePermission.GROUP_WRITE)) {
            throw unreadable(
                    what,
                    file,
                    "other users may read or change the secret (mode "
                            + java.nio.file.attribute.PosixFilePermissions.toString(p)
                            + "): chmod 600 it, or 640 with the node's group",
                    null);
        }
    }

    static IllegalArgumentException unreadable(String what, Path file, String why, Exception cause) {
        return new IllegalArgumentException("cannot read " + what + " " + file + ": " + why, cause);
    }

    private static String why(IOException e) {
        // NoSuchFileException's message is the path alone, which the sentence quotes already
        return e instanceof NoSuchFileException
                ? "no such file"
                : e instanceof AccessDeniedException ? "permission denied" : e.getMessage();
    }
}
