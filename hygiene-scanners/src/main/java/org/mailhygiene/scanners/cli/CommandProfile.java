package org.mailhygiene.scanners.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A declarative description of one command-line virus scanner: which program to run, with which arguments, what its
 * exit statuses mean, and how to find threat names in its output. The built-in profiles are in {@link Profiles};
 * users write their own in the text format described in {@link ProfileParser}.
 *
 * <h2>Argument template</h2>
 * Each element of {@link #arguments()} is one argument; nothing is ever passed through a shell. Placeholders:
 * <ul>
 *   <li>{@code {files}} - must be a whole argument; replaced by one argument per input file (absolute paths inside
 *       the adapter's private directory, so they never start with {@code -}).
 *   <li>{@code {dir}} - the absolute path of the directory holding the input files.
 *   <li>{@code {quarantine}} - an empty, owner-only, writable directory (Vexira's {@code vascan} refuses to run
 *       without an existing writable quarantine directory, even when it quarantines nothing; protocols.md §3.2).
 *   <li>{@code {scratch}} - an empty, owner-only directory for the scanner's own temporary files; it differs from
 *       {@code {quarantine}}, as {@code vascan} requires.
 * </ul>
 * {@code {dir}}, {@code {quarantine}} and {@code {scratch}} may appear inside a longer argument
 * ({@code --temp={scratch}}). At least one of {@code {files}} or {@code {dir}} must appear.
 *
 * <h2>Exit statuses and names</h2>
 * The first {@link ExitStatusRule} that covers a status decides its {@link ExitClass}; a status no rule covers is a
 * scanner error. Each name pattern is searched in every output line; its capturing group 1 is a threat name.
 *
 * <p>Immutable and thread-safe.
 *
 * @param name the profile's name, also the scanner name in verdicts (e.g. {@code vascan}); letters, digits,
 *     {@code . _ -}
 * @param command the program: a bare name looked up on {@code PATH}, or a path
 * @param arguments the argument template (without the program itself)
 * @param input what the adapter writes for the scanner
 * @param exitStatuses the exit-status table, first match wins
 * @param namePatterns patterns whose group 1 captures a threat name
 * @param updateCommand the program and arguments that update this scanner's signatures (no placeholders); empty when
 *     the profile has no updater
 * @param cleanPatterns patterns of the output line by which the scanner says it scanned a file and found nothing
 *     ({@code ": OK$"} for ClamAV's tools); when any is given, a clean exit status is believed only if, for every
 *     input file, a line that names the file matches one of them: a scanner that exits 0 without a word (a broken
 *     wrapper, a stub on the {@code PATH}) has not scanned anything. Empty: the exit status alone decides
 */
public record CommandProfile(
        String name,
        String command,
        List<String> arguments,
        InputMode input,
        List<ExitStatusRule> exitStatuses,
        List<Pattern> namePatterns,
        List<String> updateCommand,
        List<Pattern> cleanPatterns) {

    /** Placeholder for every input file, one argument each. */
    public static final String FILES = "{files}";
    /** Placeholder for the input directory. */
    public static final String DIR = "{dir}";
    /** Placeholder for the private quarantine directory. */
    public static final String QUARANTINE = "{quarantine}";
    /** Placeholder for the private scratch directory. */
    public static final String SCRATCH = "{scratch}";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");

    /**
     * Validates and copies the components.
     *
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException naming the problem: a bad name, a blank command, no input placeholder,
     *     {@code {files}} inside a longer argument, a name pattern without a capturing group, a blank update argument
     */
    public CommandProfile {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(command, "command");
        arguments = List.copyOf(Objects.requireNonNull(arguments, "arguments"));
        Objects.requireNonNull(input, "input");
        exitStatuses = List.copyOf(Objects.requireNonNull(exitStatuses, "exitStatuses"));
        namePatterns = List.copyOf(Objects.requireNonNull(namePatterns, "namePatterns"));
        updateCommand = List.copyOf(Objects.requireNonNull(updateCommand, "updateCommand"));
        cleanPatterns = List.copyOf(Objects.requireNonNull(cleanPatterns, "cleanPatterns"));
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "profile name '" + name + "' must be letters, digits, '.', '_' or '-' only");
        }
        if (command.isBlank()) {
            throw new IllegalArgumentException("profile " + name + ": command must not be blank");
        }
        boolean input0 = false;
        for (String a : arguments) {
            if (a.equals(FILES) || a.contains(DIR)) {
                input0 = true;
            } else if (a.contains(FILES)) {
                throw new IllegalArgumentException(
                        "profile " + name + ": " + FILES + " must be a whole argument, not part of '" + a + "'");
            }
        }
        if (!input0) {
            throw new IllegalArgumentException(
                    "profile " + name + ": the arguments must contain " + FILES + " or " + DIR);
        }
        for (Pattern p : namePatterns) {
            if (p.matcher("").groupCount() < 1) {
                throw new IllegalArgumentException(
                        "profile " + name + ": name pattern '" + p + "' has no capturing group for the name");
            }
        }
        for (String a : updateCommand) {
            if (a.isBlank()) {
                throw new IllegalArgumentException("profile " + name + ": update command has a blank argument");
            }
        }
    }

    /**
     * A profile whose clean exit status is believed without a confirming output line (no {@code cleanPatterns}): the
     * canonical constructor before that component existed.
     *
     * @param name the profile's name
     * @param command the program
     * @param arguments the argument template
     * @param input what the adapter writes for the scanner
     * @param exitStatuses the exit-status table, first match wins
     * @param namePatterns patterns whose group 1 captures a threat name
     * @param updateCommand the update command, or empty
     * @throws NullPointerException if a component is {@code null}
     * @throws IllegalArgumentException as the canonical constructor
     */
    public CommandProfile(
            String name,
            String command,
            List<String> arguments,
            InputMode input,
            List<ExitStatusRule> exitStatuses,
            List<Pattern> namePatterns,
            List<String> updateCommand) {
        this(name, command, arguments, input, exitStatuses, namePatterns, updateCommand, List.of());
    }

    /**
     * The exit-status rule covering a status.
     *
     * @param status an exit status as reported by the operating system
     * @return the first rule that covers it, or empty (meaning: unknown status, a scanner error)
     */
    public Optional<ExitStatusRule> classify(int status) {
        for (ExitStatusRule r : exitStatuses) {
            if (r.covers(status)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    /**
     * A copy running another program (for example the full path of an installed scanner).
     *
     * @param newCommand the program
     * @return a new profile
     * @throws IllegalArgumentException if blank
     */
    public CommandProfile withCommand(String newCommand) {
        return new CommandProfile(
                name, newCommand, arguments, input, exitStatuses, namePatterns, updateCommand, cleanPatterns);
    }

    /**
     * A copy with another argument template.
     *
     * @param newArguments the template
     * @return a new profile
     * @throws IllegalArgumentException if the template has no input placeholder
     */
    public CommandProfile withArguments(List<String> newArguments) {
        return new CommandProfile(
                name, command, newArguments, input, exitStatuses, namePatterns, updateCommand, cleanPatterns);
    }

    /**
     * A copy with extra arguments placed before the template's own (site options such as {@code -d DIR} for
     * {@code clamscan} or {@code --config=FILE} for {@code vascan}).
     *
     * @param extra the arguments to prepend
     * @return a new profile
     */
    public CommandProfile withLeadingArguments(List<String> extra) {
        List<String> all = new ArrayList<>(extra);
        all.addAll(arguments);
        return withArguments(all);
    }

    /**
     * A copy with another update command.
     *
     * @param newUpdateCommand program and arguments, or empty for none
     * @return a new profile
     */
    public CommandProfile withUpdateCommand(List<String> newUpdateCommand) {
        return new CommandProfile(
                name, command, arguments, input, exitStatuses, namePatterns, newUpdateCommand, cleanPatterns);
    }

    /**
     * A copy with another name (for several instances of one profile in a pipeline).
     *
     * @param newName the name
     * @return a new profile
     * @throws IllegalArgumentException if the name is not allowed
     */
    public CommandProfile withName(String newName) {
        return new CommandProfile(
                newName, command, arguments, input, exitStatuses, namePatterns, updateCommand, cleanPatterns);
    }

    /**
     * A copy with other confirming output patterns ({@link #cleanPatterns()}).
     *
     * @param newCleanPatterns the patterns, or empty to believe a clean exit status alone
     * @return a new profile
     */
    public CommandProfile withCleanPatterns(List<Pattern> newCleanPatterns) {
        return new CommandProfile(
                name, command, arguments, input, exitStatuses, namePatterns, updateCommand, newCleanPatterns);
    }
}
