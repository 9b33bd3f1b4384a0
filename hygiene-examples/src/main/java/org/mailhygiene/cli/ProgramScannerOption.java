package org.mailhygiene.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.mailhygiene.api.Scanner;

/**
 * An option whose scanners run a program on a copy of each message: each scanner makes its private directories under
 * the scan's work directory (removed when the scan ends, however it ends), or under the system's temporary directory
 * when built without settings.
 */
abstract class ProgramScannerOption implements ScannerOption {

    /**
     * Builds the scanner with its private directories under the system's temporary directory.
     *
     * @param argument the occurrence's argument
     * @return the scanner
     * @throws UsageException as {@link #create(Optional, Optional)}
     */
    @Override
    public final Scanner create(Optional<String> argument) throws UsageException {
        return create(argument, Optional.empty());
    }

    /**
     * Builds the scanners, each making its private directories under the settings' work directory, if any.
     *
     * @param arguments one argument per scanner
     * @param settings the scan's settings
     * @return the scanners
     * @throws UsageException as {@link #create(Optional, Optional)}
     */
    @Override
    public final List<Scanner> createAll(List<Optional<String>> arguments, ScanSettings settings)
            throws UsageException {
        List<Scanner> out = new ArrayList<>();
        for (Optional<String> a : arguments) {
            out.add(create(a, settings.workDirectory()));
        }
        return out;
    }

    /**
     * Builds one scanner.
     *
     * @param argument the occurrence's argument
     * @param workDirectory where the scanner makes its private directories; empty for the system's temporary
     *     directory
     * @return the scanner
     * @throws UsageException if the argument is malformed; the message names the flag and the problem
     */
    abstract Scanner create(Optional<String> argument, Optional<Path> workDirectory) throws UsageException;
}
