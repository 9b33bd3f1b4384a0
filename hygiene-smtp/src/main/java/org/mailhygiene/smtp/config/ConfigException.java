package org.mailhygiene.smtp.config;

/** A configuration problem; the message names the file, the line (when there is one) and the problem. */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message file, line and problem
     */
    public ConfigException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message file, line and problem
     * @param cause the underlying problem
     */
    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
