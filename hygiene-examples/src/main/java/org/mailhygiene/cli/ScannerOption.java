package org.mailhygiene.cli;

import java.util.ArrayList;
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
 * daemons, say); each occurrence builds its own scanner, in command-line order.
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
     * Builds the scanners for every occurrence of this flag, in command-line order. The default builds one scanner per
     * occurrence with {@link #create(Optional)}; an option whose occurrences together form one scanner (the
     * {@code --spamd} failover group) overrides it.
     *
     * @param arguments the arguments of each occurrence, in order; never empty
     * @return the scanners
     * @throws UsageException if an argument is malformed
     */
    default List<Scanner> createAll(List<Optional<String>> arguments) throws UsageException {
        List<Scanner> out = new ArrayList<>();
        for (Optional<String> a : arguments) {
            out.add(create(a));
        }
        return out;
    }

    /**
     * Builds the scanners for every occurrence of this flag with the command's other settings ({@code --dns}). The
     * default ignores the settings and calls {@link #createAll(List)}; options that need them override it.
     *
     * @param arguments the arguments of each occurrence, in order; never empty
     * @param settings the scan command's settings
     * @return the scanners
     * @throws UsageException if an argument is malformed
     */
    default List<Scanner> createAll(List<Optional<String>> arguments, ScanSettings settings) throws UsageException {
        return createAll(arguments);
    }
}
