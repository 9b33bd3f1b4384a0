package org.mailhygiene.cli;

import java.util.List;

/**
 * One {@code hygiene <command>}. {@link Main} lists the commands; adding a command is one new class and one line
 * there.
 *
 * <p>Exit statuses follow clamdscan: {@link #EXIT_OK} when all is well, {@link #EXIT_FOUND} when something was found,
 * {@link #EXIT_ERROR} for errors (including usage errors).
 */
public interface Command {
    /** Exit status: success, nothing found. */
    int EXIT_OK = 0;

    /** Exit status: something (a virus, spam, a policy concern) was found. */
    int EXIT_FOUND = 1;

    /** Exit status: an error, such as a usage error, an unreadable file or a failed scanner. */
    int EXIT_ERROR = 2;

    /**
     * The word that selects this command, e.g. {@code scan}.
     *
     * @return a lower-case word
     */
    String name();

    /**
     * One line for the command list of {@code hygiene help}.
     *
     * @return a short description
     */
    String summary();

    /**
     * The full help text of the command, printed by {@code hygiene help <command>} and after usage errors.
     *
     * @return multi-line text ending in a line break
     */
    String usage();

    /**
     * Runs the command.
     *
     * @param args the arguments after the command word
     * @param io the streams to use
     * @return the exit status
     * @throws UsageException if the arguments are wrong; nothing has been done then
     * @throws InterruptedException if the thread was interrupted
     */
    int run(List<String> args, Io io) throws UsageException, InterruptedException;
}
