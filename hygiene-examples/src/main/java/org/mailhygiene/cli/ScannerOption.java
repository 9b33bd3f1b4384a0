package org.mailhygiene.cli;

import java.util.List;
import java.util.Optional;
import org.mailhygiene.api.Scanner;

/**
 * One scanner option of {@code hygiene scan}, such as {@code --builtin} or {@code --clamd ADDR}: its flag, its help
 * line, and how it builds the {@link Scanner}. Each scanner family contributes one small implementation and one line
 * in {@link ScannerOptions#standard()}.
 *
 * <p>An option with an {@linkplain #argumentName() argument} is given as {@code --flag VALUE} or {@code --flag=VALUE};
 * a switch is given as {@code --flag}. An option may appear more than once with different arguments (two clamd
 * daemons, say); each occurrence builds its own scanner, in command-line order, unless the option
 * {@linkplain #combinesRepeats() combines repeats} into one scanner (clamd's failover group).
 */
public interface ScannerOption {

    /**
     * The flag, starting with {@code --}, e.g. {@code --clamd}.
     *
     * @return the flag
     */
    String flag();

    /**
     * The name of the option's argument in the help text, e.g. {@code ADDR}; empty for a switch.
     *
     * @return the argument's name, or empty
     */
    Optional<String> argumentName();

    /**
     * One line of help, e.g. {@code built-in signatures: the EICAR test virus and GTUBE test spam}.
     *
     * @return the description
     */
    String description();

    /**
     * Builds the scanner. Called once per occurrence of the flag, before any file is read. A scanner that is
     * {@link AutoCloseable} is closed when the command ends.
     *
     * @param argument the option's argument, present exactly when {@link #argumentName()} is
     * @return a ready scanner
     * @throws UsageException if the argument is malformed; the message names the flag and the problem
     */
    Scanner create(Optional<String> argument) throws UsageException;

    /**
     * Whether repeated occurrences of this option form one scanner, built by {@link #createCombined(List)} (for
     * example {@code --clamd A --clamd B}: one clamd scanner over a failover group). Default {@code false}: each
     * occurrence builds its own scanner with {@link #create(Optional)}.
     *
     * @return whether repeats are combined
     */
    default boolean combinesRepeats() {
        return false;
    }

    /**
     * Builds one scanner from every occurrence's argument, in command-line order. Called once, at the position of the
     * first occurrence, when {@link #combinesRepeats()} is {@code true}. The default handles a single occurrence by
     * {@link #create(Optional)} and rejects more.
     *
     * @param arguments the arguments of every occurrence, at least one
     * @return a ready scanner
     * @throws UsageException if an argument is malformed, or the option cannot be repeated
     */
    default Scanner createCombined(List<String> arguments) throws UsageException {
        if (arguments.size() != 1) {
            throw new UsageException(flag() + " can be given only once");
        }
        return create(Optional.of(arguments.get(0)));
    }
}
