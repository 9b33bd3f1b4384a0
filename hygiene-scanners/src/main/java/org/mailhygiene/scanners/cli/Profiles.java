package org.mailhygiene.scanners.cli;

import static org.mailhygiene.scanners.cli.ExitClass.CLEAN;
import static org.mailhygiene.scanners.cli.ExitClass.ERROR;
import static org.mailhygiene.scanners.cli.ExitClass.INFECTED;
import static org.mailhygiene.scanners.cli.ExitClass.SUSPICIOUS;
import static org.mailhygiene.scanners.cli.ExitClass.UNSCANNABLE;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The built-in {@link CommandProfile}s: {@code vascan}, {@code vexira}, {@code clamscan} and {@code clamdscan}.
 *
 * <p>The Vexira profiles follow what three independent integrators documented (no vendor manual is available; see
 * {@code shared/notes/protocols.md} §3 and the sources cited there). Each method below says which behaviour it copies.
 *
 * <p>Thread-safe; stateless.
 */
public final class Profiles {

    /** The threat-type words {@code vascan} prints before a name (MIMEDefang, amavisd-new). */
    private static final String VASCAN_KINDS = "(?:virus|iworm|macro|mutant|sequence|trojan)";

    /**
     * Vexira's {@code VIRUS: ... virus '<Name>'}, matching as {@code VIRUS: .*? virus '?([^\]\s']+)} does, in linear
     * time. That pattern tried every {@code VIRUS: } in a line and scanned the rest of the line from each, quadratic in
     * a line holding many (a 64 KB line cost a second, 1 MB of output minutes). Only the first {@code VIRUS: } after a
     * line start or line terminator is tried (the atomic group): a later one sees a subset of what follows, so it
     * cannot match where the first did not. {@code find} succeeds on the same text, with the same group 1.
     */
    static final Pattern VEXIRA_VIRUS_LINE =
            Pattern.compile("(?:^|[\\n\\r\\u0085\\u2028\\u2029])(?>.*?VIRUS: ).*? virus '?([^\\]\\s']+)");

    private Profiles() {}

    /**
     * Central Command Vexira's {@code vascan}, the scanner rewritten in spring 2005 (protocols.md §3.2).
     *
     * <ul>
     *   <li>Command {@code vascan}; arguments {@code -qqq --all-files -a s --log=/dev/null --timeout=60
     *       --temp={scratch} -y {quarantine} {files}}: quiet, every file regardless of extension, action "skip" (never
     *       delete or move), no log file, vascan's own 60 s limit (amavisd-new, MIMEDefang). {@code -y} points at a
     *       private, empty, writable quarantine directory because vascan refuses to run without one even when it
     *       quarantines nothing (MIMEDefang's README.VEXIRA); it differs from the {@code --temp} directory, as
     *       amavisd-new requires.
     *   <li>Input {@link InputMode#PARTS}: MIMEDefang and amavisd-new hand vascan decoded MIME parts, not raw mail.
     *   <li>Exit statuses (MIMEDefang {@code interpret_vexira_code}, File::VirusScan): 0 clean; 1 and 2 infected; 3
     *       password-protected (encrypted) and 5 corrupted, both {@link ExitClass#UNSCANNABLE} so that the policy
     *       decides (MIMEDefang quarantines them; amavisd-new counts 3 as clean, which we do not); 9 file type not
     *       supported, clean (MIMEDefang, amavisd-new 2.3.0 release notes); anything else a scanner error.
     *   <li>Names: both documented output layouts. MIMEDefang reads {@code <path>: virus <Name>}; MailScanner and
     *       amavisd-new read an indented {@code virus found: <Name> ... (NOT killable) skipped} under a {@code ./path}
     *       line. The type word may be {@code virus}, {@code iworm}, {@code macro}, {@code mutant}, {@code sequence}
     *       or {@code trojan}. The literal {@code found:} is never taken for a name.
     *   <li>No update command: Vexira's updater is site-specific (MailScanner's {@code vexira-autoupdate} script,
     *       protocols.md §3.3); set one with {@link CommandProfile#withUpdateCommand(List)} or {@code update =}.
     * </ul>
     *
     * @return the profile
     */
    public static CommandProfile vascan() {
        return new CommandProfile(
                "vascan",
                "vascan",
                List.of(
                        "-qqq",
                        "--all-files",
                        "-a",
                        "s",
                        "--log=/dev/null",
                        "--timeout=60",
                        "--temp=" + CommandProfile.SCRATCH,
                        "-y",
                        CommandProfile.QUARANTINE,
                        CommandProfile.FILES),
                InputMode.PARTS,
                List.of(
                        ExitStatusRule.of(0, CLEAN, "no virus found"),
                        ExitStatusRule.of(1, INFECTED, "virus found"),
                        ExitStatusRule.of(2, INFECTED, "virus found"),
                        ExitStatusRule.of(3, UNSCANNABLE, "password-protected (encrypted) file"),
                        ExitStatusRule.of(5, UNSCANNABLE, "corrupted file"),
                        ExitStatusRule.of(9, CLEAN, "file type not supported")),
                List.of(
                        Pattern.compile("(?:^\\s*|: )" + VASCAN_KINDS + " found: ([^\\]\\s']+)"),
                        Pattern.compile(": " + VASCAN_KINDS + " (?!found:)([^\\]\\s']+)")),
                List.of());
    }

    /**
     * The older Vexira {@code vexira} binary, a rebadged H+BEDV (Avira AntiVir) engine used before 2005
     * (protocols.md §3.1).
     *
     * <ul>
     *   <li>Command {@code vexira}; arguments {@code --allfiles -noboot -nombr -rs -s -z {dir}} (amavisd-new's
     *       combined AntiVir/Vexira entry: all files, no boot sector or MBR, recurse, scan archives).
     *   <li>Input {@link InputMode#PARTS}.
     *   <li>Exit statuses (amavisd-new {@code README.old.scanners}): 0 clean; 1 virus in a file, infected; 101 macro
     *       found in a document, {@link ExitClass#SUSPICIOUS} (a finding, not a failure of the scanner); 2 (a
     *       signature found in the memory of the scanning host), 100, 102, 200-205, 210-214 and anything else are
     *       scanner errors, each with its documented meaning.
     *   <li>Names from {@code ALERT: [<Name> virus] <path> <<< ...} and {@code VIRUS: ... virus '<Name>'} lines.
     * </ul>
     *
     * @return the profile
     */
    public static CommandProfile vexira() {
        return new CommandProfile(
                "vexira",
                "vexira",
                List.of("--allfiles", "-noboot", "-nombr", "-rs", "-s", "-z", CommandProfile.DIR),
                InputMode.PARTS,
                List.of(
                        ExitStatusRule.of(0, CLEAN, "no virus found"),
                        ExitStatusRule.of(1, INFECTED, "virus found in a file"),
                        ExitStatusRule.of(2, ERROR, "virus signature found in the memory of the scanning host"),
                        ExitStatusRule.of(100, ERROR, "help shown (bad arguments)"),
                        ExitStatusRule.of(101, SUSPICIOUS, "macro found in a document"),
                        ExitStatusRule.of(102, ERROR, "-once given and already run today"),
                        ExitStatusRule.of(200, ERROR, "out of memory"),
                        ExitStatusRule.of(201, ERROR, "response file not found"),
                        ExitStatusRule.of(202, ERROR, "nested @rsp in response file"),
                        ExitStatusRule.of(203, ERROR, "invalid option"),
                        ExitStatusRule.of(204, ERROR, "invalid directory"),
                        ExitStatusRule.of(205, ERROR, "log file cannot be created"),
                        ExitStatusRule.of(210, ERROR, "DLL missing"),
                        ExitStatusRule.of(211, ERROR, "self-check failed"),
                        ExitStatusRule.of(212, ERROR, "vexira.vdf unreadable"),
                        ExitStatusRule.of(213, ERROR, "initialisation error"),
                        ExitStatusRule.of(214, ERROR, "licence key not found")),
                List.of(Pattern.compile("ALERT: \\[([^\\]\\s']+)"), VEXIRA_VIRUS_LINE),
                List.of());
    }

    /**
     * ClamAV's {@code clamscan} (man clamscan, ClamAV 1.4.6): arguments {@code --no-summary --stdout
     * --alert-exceeds-max=yes {files}} (without the last option, a message clamscan stopped reading at one of its scan
     * limits, an archive nested deeper than {@code --max-recursion} for one, is reported {@code OK}: with it, the
     * {@code Heuristics.Limits.Exceeded.*} it reports is an {@code UNSCANNABLE} failure, see
     * {@link CommandLineScanner}); input
     * {@link InputMode#MESSAGE} (ClamAV decodes MIME itself, real-daemons.md §1); exit 0 clean, 1 infected, 2 error;
     * names from {@code <path>: <Name> FOUND}; a clean exit is believed only with a {@code <path>: OK} line for the
     * file ({@link CommandProfile#cleanPatterns()}: with {@code -i}/{@code --infected}, which prints no such line, give
     * none). Add {@code -d DIR} with
     * {@link CommandProfile#withLeadingArguments(List)} for a private database. Update command
     * {@code freshclam --quiet}: every clamscan run loads the database afresh.
     *
     * @return the profile
     */
    public static CommandProfile clamscan() {
        return clamav("clamscan", List.of("--no-summary", "--stdout", "--alert-exceeds-max=yes", CommandProfile.FILES));
    }

    /**
     * ClamAV's {@code clamdscan}, the client of a running clamd: arguments {@code --no-summary --stdout --stream
     * {files}} ({@code --stream} sends the bytes, so clamd needs no access to the adapter's owner-only directory);
     * otherwise as {@link #clamscan()}, except that clamd's own {@code AlertExceedsMax yes} (in clamd.conf, not an
     * option of clamdscan) decides whether a scan limit is reported or the message called {@code OK}. Add
     * {@code -c FILE} (clamd.conf) with
     * {@link CommandProfile#withLeadingArguments(List)}. Update command {@code freshclam --quiet} (freshclam notifies
     * clamd, or clamd's SelfCheck reloads).
     *
     * @return the profile
     */
    public static CommandProfile clamdscan() {
        return clamav("clamdscan", List.of("--no-summary", "--stdout", "--stream", CommandProfile.FILES));
    }

    private static CommandProfile clamav(String name, List<String> arguments) {
        return new CommandProfile(
                name,
                name,
                arguments,
                InputMode.MESSAGE,
                List.of(
                        ExitStatusRule.of(0, CLEAN, "no virus found"),
                        ExitStatusRule.of(1, INFECTED, "virus(es) found"),
                        ExitStatusRule.of(2, ERROR, "some error(s) occurred")),
                List.of(Pattern.compile("^.*: (\\S+) FOUND$")),
                List.of("freshclam", "--quiet"),
                List.of(Pattern.compile(": OK$")));
    }

    /**
     * The names of the built-in profiles.
     *
     * @return {@code vascan}, {@code vexira}, {@code clamscan}, {@code clamdscan}
     */
    public static List<String> names() {
        return List.of("vascan", "vexira", "clamscan", "clamdscan");
    }

    /**
     * A built-in profile by name.
     *
     * @param name one of {@link #names()}
     * @return the profile, or empty for an unknown name
     */
    public static Optional<CommandProfile> builtIn(String name) {
        switch (name) {
            case "vascan":
                return Optional.of(vascan());
            case "vexira":
                return Optional.of(vexira());
            case "clamscan":
                return Optional.of(clamscan());
            case "clamdscan":
                return Optional.of(clamdscan());
            default:
                return Optional.empty();
        }
    }
}
