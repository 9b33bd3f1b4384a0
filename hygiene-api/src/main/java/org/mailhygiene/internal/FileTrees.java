package org.mailhygiene.internal;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Deleting a directory tree (private scan directories, daemon test directories).
 *
 * <p>Stateless and thread-safe; deleting a tree that another thread is writing into may leave files behind.
 */
public final class FileTrees {
    private FileTrees() {}

    /**
     * Deletes a file or a directory with everything below it. Symbolic links are deleted, never followed. A directory
     * is made readable, writable and searchable by its owner before its entries are deleted, since a scanner may have
     * created directories its own user cannot change. A failure does not stop the walk: everything that can be deleted
     * is, and then the first failure is thrown (later ones are attached to it as suppressed exceptions). A path that
     * does not exist, or disappears meanwhile, is not a failure.
     *
     * @param root the file or directory
     * @throws IOException if something could not be deleted
     */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        IOException[] first = new IOException[1];
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                dir.toFile().setReadable(true, true);
                dir.toFile().setWritable(true, true);
                dir.toFile().setExecutable(true, true);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                if (!(e instanceof NoSuchFileException)) {
                    record(e);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) {
                if (e != null) {
                    record(e);
                }
                delete(dir);
                return FileVisitResult.CONTINUE;
            }

            private void delete(Path p) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    record(e);
                }
            }

            private void record(IOException e) {
                if (first[0] == null) {
                    first[0] = e;
                } else {
                    first[0].addSuppressed(e);
                }
            }
        });
        if (first[0] != null) {
            throw first[0];
        }
    }

    /**
     * {@link #deleteTree(Path)} for clean-up where a failure has no one to tell: deletes what it can.
     *
     * @param root the file or directory
     * @return {@code true} if nothing is left
     */
    public static boolean deleteTreeQuietly(Path root) {
        try {
            deleteTree(root);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
