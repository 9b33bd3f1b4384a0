package org.mailhygiene.cli;

/**
 * The command line is wrong: an unknown option, a missing argument, a malformed value. The command's usage is shown
 * and the exit status is {@link Command#EXIT_ERROR}.
 */
public final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong, phrased for the user, e.g. {@code unknown option --foo}
     */
    public UsageException(String message) {
        super(message);
    }
}
