package org.mailhygiene.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.scanners.cli.CommandLineScanner;
import org.mailhygiene.scanners.cli.CommandProfile;
import org.mailhygiene.scanners.cli.ProfileFormatException;
import org.mailhygiene.scanners.cli.ProfileParser;
import org.mailhygiene.scanners.cli.Profiles;

/**
 * {@code --command PROFILE[:PATH]}: a command-line scanner run by a {@link CommandLineScanner}. {@code PROFILE} is a
 * built-in profile name ({@code vascan}, {@code vexira}, {@code clamscan}, {@code clamdscan}) or the path of a profile
 * file in the format of {@link ProfileParser}; {@code PATH}, when given, is the program to run instead of the
 * profile's command. The text is split at its first {@code :}, so a profile file's path must not contain one.
 * Examples: {@code --command clamscan}, {@code --command vexira:/usr/lib/vexira/vexira},
 * {@code --command /etc/hygiene/savscan.profile}. Thread-safe; stateless.
 */
public final class CommandScannerOption extends ProgramScannerOption {

    /** Creates the option. */
    public CommandScannerOption() {}

    @Override
    public String flag() {
        return "--command";
    }

    @Override
    public Optional<String> argumentName() {
        return Optional.of("PROFILE[:PATH]");
    }

    @Override
    public String description() {
        return "a command-line scanner: PROFILE is " + String.join(", ", Profiles.names())
                + " or a profile file; PATH overrides its program";
    }

    /**
     * Builds the scanner.
     *
     * @param argument {@code PROFILE[:PATH]}
     * @param workDirectory where it makes its private directories; empty for the system's temporary directory
     * @return the scanner
     * @throws UsageException if the profile is neither built in nor a readable, valid profile file (the message gives
     *     the file's line), or PATH is not an executable file
     */
    @Override
    Scanner create(Optional<String> argument, Optional<Path> workDirectory) throws UsageException {
        String spec = argument.orElseThrow();
        int colon = spec.indexOf(':');
        String name = colon < 0 ? spec : spec.substring(0, colon);
        CommandProfile profile = Profiles.builtIn(name).orElse(null);
        if (profile == null) {
            Path file = Path.of(name);
            if (!Files.isRegularFile(file)) {
                throw new UsageException(flag() + ": '" + name + "' is neither a built-in profile ("
                        + String.join(", ", Profiles.names()) + ") nor a profile file");
            }
            try {
                profile = ProfileParser.parse(file);
            } catch (ProfileFormatException e) {
                throw new UsageException(flag() + ": " + e.getMessage());
            } catch (IOException e) {
                throw new UsageException(flag() + ": cannot read profile file " + file + ": " + e.getMessage());
            }
        }
        CommandLineScanner.Builder b = CommandLineScanner.builder(profile);
        if (colon >= 0) {
            b.executable(executable(flag(), spec.substring(colon + 1)));
        }
        workDirectory.ifPresent(b::temporaryDirectory);
        return b.build();
    }

    static Path executable(String flag, String path) throws UsageException {
        Path p = Path.of(path);
        if (!VexiraScannerOption.isExecutable(p)) {
            throw new UsageException(flag + ": " + path + " is not an executable file");
        }
        return p;
    }
}
