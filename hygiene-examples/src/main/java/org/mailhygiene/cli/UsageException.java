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
        this(message, true);
    }

    private final boolean showUsage;

    /**
     * Creates the exception.
     *
     * @param message what is wrong, phrased for the user
     * @param showUsage whether the command's usage follows the message: {@code false} when the arguments are well
     *     formed but name something that does not work (a model file that cannot be loaded), where the usage would
     *     only bury the message
     */
    public UsageException(String message, boolean showUsage) {
        super(message);
        this.showUsage = showUsage;
    }

    /**
     * Whether the command's usage should follow the message.
     *
     * @return {@code true} unless created with {@code showUsage = false}
     */
    public boolean showUsage() {
        return showUsage;
    }
}
