package org.mailhygiene.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.scanners.cli.CommandLineScanner;
import org.mailhygiene.scanners.cli.Profiles;

/**
 * {@code --vexira PATH}: Central Command Vexira's {@code vascan} at {@code PATH}, run by a {@link CommandLineScanner}
 * with the built-in {@link Profiles#vascan()} profile (decoded MIME parts, documented arguments and exit statuses).
 * For other arguments write a profile file with {@code based-on = vascan} and use {@code --command}. Thread-safe;
 * stateless.
 */
public final class VexiraScannerOption extends ProgramScannerOption {

    /** Creates the option. */
    public VexiraScannerOption() {}

    @Override
    public String flag() {
        return "--vexira";
    }

    @Override
    public Optional<String> argumentName() {
        return Optional.of("PATH");
    }

    @Override
    public String description() {
        return "Vexira's vascan command-line scanner at PATH (the vascan profile)";
    }

    /**
     * Builds the scanner.
     *
     * @param argument the path of the {@code vascan} program
     * @param workDirectory where it makes its private directories; empty for the system's temporary directory
     * @return the scanner
     * @throws UsageException if the path is not an executable file
     */
    @Override
    Scanner create(Optional<String> argument, Optional<Path> workDirectory) throws UsageException {
        Path program = CommandScannerOption.executable(flag(), argument.orElseThrow());
        CommandLineScanner.Builder b =
                CommandLineScanner.builder(Profiles.vascan()).executable(program);
        workDirectory.ifPresent(b::temporaryDirectory);
        return b.build();
    }

    static boolean isExecutable(Path p) {
        return Files.isRegularFile(p) && Files.isExecutable(p);
    }
}
