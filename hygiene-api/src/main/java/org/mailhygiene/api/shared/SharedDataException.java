package org.mailhygiene.api.shared;

/**
 * A shared-state operation reached the store, which answered with data that cannot be used: a key of the wrong type, a
 * count that is not a number, a record another version or a hand edit wrote. The store is reachable, so this is no
 * outage: a guard that counts outages and stops calling a store it takes for down (the relay's) passes it through and
 * keeps calling; the caller falls back to local state for this operation, as for any {@link SharedStateException}, and
 * the message names the key so that an administrator can repair or delete it.
 */
public class SharedDataException extends SharedStateException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what could not be read, naming the key, for logs
     * @param cause the underlying error, or {@code null}
     */
    public SharedDataException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Creates the exception without a cause.
     *
     * @param message what could not be read, naming the key, for logs
     */
    public SharedDataException(String message) {
        super(message);
    }
}
