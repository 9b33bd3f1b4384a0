package org.mailhygiene.api.shared;

/**
 * A shared-state operation did not complete: the store is unreachable, timed out, refused the command or returned data
 * that cannot be read. Callers fall back to local state; nothing is assumed to have happened remotely.
 */
public class SharedStateException extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, for logs
     * @param cause the underlying error, or {@code null}
     */
    public SharedStateException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Creates the exception without a cause.
     *
     * @param message what failed, for logs
     */
    public SharedStateException(String message) {
        super(message);
    }
}
