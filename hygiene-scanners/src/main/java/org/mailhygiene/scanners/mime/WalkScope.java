package org.mailhygiene.scanners.mime;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Resources of one walk: the streams opened over the content and any spooled temporary content, closed together when
 * the walk ends. Also remembers the first I/O failure of the content itself, so the walker can tell "the message is
 * broken" (a finding) from "the message could not be read" (an {@link IOException} for the caller).
 *
 * <p>Not thread-safe: one walk, one thread.
 */
final class WalkScope implements Closeable {
    private final List<Closeable> resources = new ArrayList<>();
    private IOException contentFailure;

    void register(Closeable resource) {
        resources.add(resource);
    }

    void contentFailed(IOException e) {
        if (contentFailure == null) {
            contentFailure = e;
        }
    }

    IOException contentFailure() {
        return contentFailure;
    }

    @Override
    public void close() {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (IOException | RuntimeException ignored) {
                // Closing a read-only stream or deleting a temporary file: nothing more can be done.
            }
        }
        resources.clear();
    }
}
