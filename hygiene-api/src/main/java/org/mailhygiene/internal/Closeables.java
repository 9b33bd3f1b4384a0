package org.mailhygiene.internal;

import java.io.Closeable;
import java.io.IOException;

/**
 * Closing where the outcome is already decided (a failed connection, a server shutting down), so a failure to close
 * has nothing left to tell.
 *
 * <p>Stateless and thread-safe.
 */
public final class Closeables {
    private Closeables() {}

    /**
     * Closes each resource in order, ignoring {@code null}s and the {@link IOException}s that closing throws; every
     * resource is closed even when an earlier one failed. Unchecked exceptions are not caught.
     *
     * @param resources sockets, channels, selectors, streams
     */
    public static void closeQuietly(Closeable... resources) {
        for (Closeable c : resources) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (IOException ignored) {
                // best effort: the caller has its outcome already
            }
        }
    }
}
