package org.mailhygiene.smtp.topology;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/**
 * What went wrong with a file a configuration names, as an administrator reads it ({@code /etc/hygiene/routes:
 * permission denied}): the JDK's {@link FileSystemException}s carry the bare path as their whole message.
 */
final class FileErrors {
    private FileErrors() {}

    /**
     * The file and what went wrong with it, or the exception's own message when it is not about one file.
     *
     * @param e the error
     * @return e.g. {@code /etc/hygiene/site.model: permission denied}
     */
    static String describe(IOException e) {
        if (e instanceof FileSystemException f) {
            String reason;
            if (f.getReason() != null) {
                reason = f.getReason();
            } else if (e instanceof NoSuchFileException) {
                reason = "no such file";
            } else if (e instanceof AccessDeniedException) {
                reason = "permission denied";
            } else {
                reason = e.getClass().getSimpleName();
            }
            return f.getFile() == null ? reason : f.getFile() + ": " + reason;
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
