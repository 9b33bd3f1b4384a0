package org.mailhygiene.api;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.mailhygiene.internal.Buffers;

/** File-backed content; does not own the file. */
final class FileContent implements MessageContent {
    private final Path file;
    private final long size;

    FileContent(Path file) throws IOException {
        this.file = Objects.requireNonNull(file, "file");
        java.nio.file.attribute.BasicFileAttributes a =
                Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
        if (!a.isRegularFile()) {
            // a directory has a size too (4096), and every scan of it would fail later, far from the mistake
            throw new IOException(file + " is not a regular file" + (a.isDirectory() ? " (a directory)" : ""));
        }
        this.size = a.size();
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public InputStream openStream() throws IOException {
        // no larger than the file: a scan opens a message once per scanner and MIME part
        return new BufferedInputStream(Files.newInputStream(file), Buffers.forSize(size, 64 * 1024));
    }

    @Override
    public String toString() {
        return "MessageContent[file=" + file + ", bytes=" + size + "]";
    }
}
