package org.mailhygiene.internal;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * Says what went wrong with a file as an administrator reads it: {@code site.model.lock: permission denied}, never the
 * bare path the JDK's {@link FileSystemException}s carry as their whole message. Used by the command-line tools, the
 * node configuration and the model files' writers, so that all of them name a file's problem alike.
 *
 * <p>Stateless and thread-safe.
 */
public final class IoErrors {

    private IoErrors() {}

    /**
     * The message of an I/O error: for a file system error, the file (and the other file, if any) and what went wrong
     * with it; otherwise the exception's own message.
     *
     * @param e the error
     * @return the message
     */
    public static String describe(IOException e) {
        if (e instanceof FileSystemException f) {
            StringBuilder b = new StringBuilder();
            if (f.getFile() != null) {
                b.append(f.getFile());
            }
            if (f.getOtherFile() != null) {
                b.append(" -> ").append(f.getOtherFile());
            }
            String reason = reason(f);
            return b.isEmpty() ? reason : b.append(": ").append(reason).toString();
        }
        return e instanceof java.nio.charset.CharacterCodingException
                ? reason(e)
                : e.getMessage() == null ? e.toString() : e.getMessage();
    }

    /**
     * The message of an I/O error met while reading or writing {@code file}: as {@link #describe(IOException)} when
     * the error names a file itself, else {@code file: reason} (a directory given where a file was expected fails
     * with a bare "Is a directory", which names nothing).
     *
     * @param file the file the caller was reading or writing
     * @param e the error
     * @return the message, always naming a file
     */
    public static String describe(Path file, IOException e) {
        if (e instanceof FileSystemException f && f.getFile() != null) {
            return describe(e);
        }
        return file + ": " + reason(e);
    }

    /**
     * What went wrong with a file, without its name: the reason the exception gives, else what its type says (a
     * file that is not valid text in the encoding it was read in: so, not the JDK's "Input length = 1").
     *
     * @param e the error
     * @return e.g. {@code permission denied}
     */
    public static String reason(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NotDirectoryException) {
            return "not a directory";
        }
        if (e instanceof FileAlreadyExistsException) {
            return "already exists";
        }
        if (e instanceof DirectoryNotEmptyException) {
            return "directory not empty";
        }
        if (e instanceof FileSystemLoopException) {
            return "a loop of symbolic links";
        }
        if (e instanceof FileSystemException) {
            return e.getClass().getSimpleName();
        }
        if (e instanceof java.nio.charset.CharacterCodingException) {
            // the JDK's own message is "Input length = 1"
            return "not valid text in the encoding it is read in (UTF-8 for configuration and policy files)";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * The error of a file as one that names it: {@code e} itself when it names a file, else a
     * {@link FileSystemException} of {@code file} with {@code e}'s {@link #reason} and {@code e} as its cause (a read or
     * write of an open file fails with a bare "Input/output error" or "No space left on device", which names nothing).
     *
     * @param file the file being read or written
     * @param e the error
     * @return an exception naming a file
     */
    public static IOException naming(Path file, IOException e) {
        return naming(file, e, null);
    }

    /**
     * {@link #naming(Path, IOException)}, saying also what the failure left undone: {@code naming(model, e, "its new
     * version was not written; the file is unchanged")} reads {@code /srv/site.model: No space left on device: its new
     * version was not written; the file is unchanged}. An error that names a file already is returned as it is.
     *
     * @param file the file being read or written
     * @param e the error
     * @param outcome what the failure means for the file, or {@code null} for nothing
     * @return an exception naming a file
     */
    public static IOException naming(Path file, IOException e, String outcome) {
        if (e instanceof FileSystemException f && f.getFile() != null) {
            return e;
        }
        FileSystemException named = new FileSystemException(
                file.toString(), null, outcome == null ? reason(e) : reason(e) + ": " + outcome);
        named.initCause(e);
        return named;
    }

    /**
     * A stream over a file whose read failures name the file ({@link #naming}).
     *
     * @param file the file {@code in} reads
     * @param in the stream; closed with the returned one
     * @return the stream
     */
    public static java.io.InputStream naming(Path file, java.io.InputStream in) {
        return new java.io.FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                try {
                    return super.read();
                } catch (IOException e) {
                    throw naming(file, e);
                }
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    return super.read(b, off, len);
                } catch (IOException e) {
                    throw naming(file, e);
                }
            }
        };
    }
}
