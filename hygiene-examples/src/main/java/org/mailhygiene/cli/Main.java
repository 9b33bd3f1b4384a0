package org.mailhygiene.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * The {@code hygiene} command line: {@code hygiene <command> [options]}, {@code hygiene help [command]} and
 * {@code hygiene --version}.
 *
 * <p>An unknown or missing command prints the usage on standard error and exits with {@link Command#EXIT_ERROR}; so
 * does a command's {@link UsageException}, except when its arguments before a {@code --} hold {@code --help} or
 * {@code -h}: then the command's usage goes to standard output and the status is {@link Command#EXIT_OK} (the same
 * for every command, whether or not its own parsing knows the option; an option value or file name {@code -h} that
 * the command accepts is taken as such). Argument parsing is written by hand on purpose: the tool has a handful of
 * options and no dependency is worth that.
 *
 * <p>A command that fails in a way it did not foresee (a {@link RuntimeException} or an {@link Error} such as
 * {@link OutOfMemoryError}) also exits with {@link Command#EXIT_ERROR}, never with the JVM's status 1, which
 * {@code hygiene scan} uses for "something found": out of memory is one line on standard error, any other a line and
 * the stack trace.
 */
public final class Main {
    private static final String RESOURCE = "version.properties";

    private Main() {}

    /**
     * The commands, in the order {@code hygiene help} lists them. Add new commands here.
     *
     * @return the commands
     */
    static List<Command> commands() {
        return List.of(
                new ScanCommand(ScannerOptions.standard()),
                new SamplesCommand(),
                new ReportCommand(),
                new TrainCommand(),
                new LearnCommand(),
                new CorpusCommand(),
                new EvalCommand(),
                new DemoCommand(),
                new RelayCommand(),
                new QuarantineCommand(),
                new QueueCommand(),
                new DkimCommand(),
                new MilterCommand(ScannerOptions.standard()));
    }

    /**
     * Runs the tool and exits the JVM with its status.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        rejectClientRenegotiation();
        ignoreClientServerName();
        logTimes(List.of(args), System.getenv());
        Io io = Io.system();
        int status = run(List.of(args), io);
        io.out().flush();
        io.err().flush();
        System.exit(status);
    }

    /**
     * The JDK's name for refusing TLS renegotiation a client starts (TLS 1.2 and older; TLS 1.3 has none): each one
     * costs the server a full handshake for a few bytes from the client, a cheap way to load a relay. The JDK accepts
     * them unless this property is {@code true} before its first server handshake.
     */
    static final String REJECT_RENEGOTIATION = "jdk.tls.rejectClientInitiatedRenegotiation";

    /**
     * Makes the relays this command runs refuse client-initiated TLS renegotiation (the client's handshake is answered
     * with a fatal alert and the connection closes), unless the operator set {@link #REJECT_RENEGOTIATION} on the
     * command line ({@code -Djdk.tls.rejectClientInitiatedRenegotiation=false} keeps the JDK's default). Applications
     * embedding the relay set the property themselves (docs/node-config.md, "TLS").
     */
    static void rejectClientRenegotiation() {
        if (System.getProperty(REJECT_RENEGOTIATION) == null) {
            System.setProperty(REJECT_RENEGOTIATION, "true");
        }
    }

    /** The JDK's list of TLS extensions its servers ignore (comma-separated names). */
    static final String SERVER_DISABLED_EXTENSIONS = "jdk.tls.server.disableExtensions";

    /**
     * Makes the relays this command runs ignore the server name (SNI) a STARTTLS client sends, unless the operator set
     * {@link #SERVER_DISABLED_EXTENSIONS} on the command line. A relay has one certificate and never chooses by name,
     * but the JDK parses the name all the same and fails the handshake with an {@code illegal_parameter} alert when it
     * is not a valid host name by its rules: the absolute {@code mx.example.org.} (a client that sends the MX name as
     * DNS gave it), {@code my_host.example}; OpenSSL servers (Postfix) accept any name, so a client that could encrypt
     * to them could not to the relay and sent in clear or not at all (an audit, session 40). Applications embedding the
     * relay set the property themselves (docs/node-config.md, "TLS").
     */
    static void ignoreClientServerName() {
        if (System.getProperty(SERVER_DISABLED_EXTENSIONS) == null) {
            System.setProperty(SERVER_DISABLED_EXTENSIONS, "server_name");
        }
    }

    /** SLF4J's simple logger's switch for a time at the start of every log line. */
    static final String SHOW_DATE_TIME = "org.slf4j.simpleLogger.showDateTime";

    /** SLF4J's simple logger's format for that time. */
    static final String DATE_TIME_FORMAT = "org.slf4j.simpleLogger.dateTimeFormat";

    /**
     * Starts every log line of the long-running commands ({@code relay}, {@code milter}, {@code demo}) with the time,
     * {@code 2026-12-06T04:30:00.123+0000}: their lines had none, so a relay started other than by systemd logged
     * nothing an administrator could date (an audit, session 37). Not when systemd's journal takes the log (it dates
     * every line): systemd sets {@code JOURNAL_STREAM} to the device and inode of the stream it connects, and the log's
     * stream (standard error, or standard output when the simple logger's {@code logFile} says {@code System.out})
     * must be that stream, as systemd.exec(5) asks: the variable is inherited, so a service that runs
     * {@code hygiene relay ... 2>>/var/log/hygiene.log} from a script, or a shell started from a unit, had it set
     * while its log went to a file, undated. Where the stream cannot be checked (no {@code /proc}), the variable
     * alone decides, as before. The demo logs to a file of its own, never the journal. Not either when the operator
     * set {@link #SHOW_DATE_TIME} ({@code JAVA_OPTS=-Dorg.slf4j.simpleLogger.showDateTime=false} turns it off). Must
     * run before the first logger is made.
     *
     * @param args the command line
     * @param env the environment
     */
    static void logTimes(List<String> args, java.util.Map<String, String> env) {
        logTimes(args, env, Main::logStream);
    }

    /**
     * {@link #logTimes(List, java.util.Map)} with the log's stream given.
     *
     * @param args the command line
     * @param env the environment
     * @param logStream the device and inode of the stream the log goes to ({@code DEV:INO}, as {@code JOURNAL_STREAM}
     *     writes them), {@code ""} for a file named by the simple logger's {@code logFile}, empty when unknown
     */
    static void logTimes(
            List<String> args,
            java.util.Map<String, String> env,
            java.util.function.Supplier<Optional<String>> logStream) {
        if (args.isEmpty()
                || !List.of("relay", "milter", "demo").contains(args.get(0))
                || System.getProperty(SHOW_DATE_TIME) != null
                || !args.get(0).equals("demo") && toJournal(env.get("JOURNAL_STREAM"), logStream.get())) {
            return;
        }
        System.setProperty(SHOW_DATE_TIME, "true");
        if (System.getProperty(DATE_TIME_FORMAT) == null) {
            System.setProperty(DATE_TIME_FORMAT, "yyyy-MM-dd'T'HH:mm:ss.SSSZ");
        }
    }

    /** Whether the journal takes the log: {@code JOURNAL_STREAM} is set and, where that can be checked, names it. */
    private static boolean toJournal(String journalStream, Optional<String> logStream) {
        if (journalStream == null) {
            return false;
        }
        if (logStream.isEmpty()) {
            return true;
        }
        String[] want = journalStream.trim().split(":", -1);
        String[] have = logStream.get().split(":", -1);
        if (want.length != 2 || have.length != 2) {
            return false;
        }
        try {
            return Long.parseUnsignedLong(want[0]) == Long.parseUnsignedLong(have[0])
                    && Long.parseUnsignedLong(want[1]) == Long.parseUnsignedLong(have[1]);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** The stream the simple logger writes to, as {@link #logTimes(List, java.util.Map, java.util.function.Supplier)} takes it. */
    private static Optional<String> logStream() {
        String file = System.getProperty("org.slf4j.simpleLogger.logFile", "System.err");
        if (!file.equals("System.err") && !file.equals("System.out")) {
            return Optional.of("");
        }
        return deviceAndInode(Path.of("/proc/self/fd", file.equals("System.out") ? "1" : "2"));
    }

    /**
     * The device and inode of the file {@code path} leads to, {@code DEV:INO} in decimal as systemd writes
     * {@code JOURNAL_STREAM}; empty where the file system cannot tell.
     *
     * @param path a file, or a descriptor's link under {@code /proc/self/fd}
     * @return {@code DEV:INO}, or empty
     */
    static Optional<String> deviceAndInode(Path path) {
        try {
            Object dev = java.nio.file.Files.getAttribute(path, "unix:dev");
            Object ino = java.nio.file.Files.getAttribute(path, "unix:ino");
            return Optional.of(Long.toUnsignedString((Long) dev) + ":" + Long.toUnsignedString((Long) ino));
        } catch (java.io.IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Runs the tool in-process, for tests and embedding.
     *
     * @param args the command line, without the program name
     * @param io the streams to use
     * @return the exit status
     */
    public static int run(List<String> args, Io io) {
        return run(args, io, commands());
    }

    static int run(List<String> args, Io io, List<Command> commands) {
        if (args.isEmpty()) {
            io.err().print(usage(commands));
            return Command.EXIT_ERROR;
        }
        String first = args.get(0);
        List<String> rest = args.subList(1, args.size());
        switch (first) {
            case "--version":
                io.out().println("hygiene " + version());
                return Command.EXIT_OK;
            case "help", "-h", "--help":
                return help(rest, io, commands);
            default:
                break;
        }
        for (Command c : commands) {
            if (c.name().equals(first)) {
                try {
                    return c.run(List.copyOf(rest), io);
                } catch (UsageException e) {
                    if (asksForHelp(rest)) {
                        // a command whose own parsing does not know --help or -h: its usage, as a help request
                        io.out().print(c.usage());
                        return Command.EXIT_OK;
                    }
                    io.err().println("hygiene " + c.name() + ": " + e.getMessage());
                    if (e.showUsage()) {
                        io.err().println();
                        io.err().print(c.usage());
                    }
                    return Command.EXIT_ERROR;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    io.err().println("hygiene " + c.name() + ": interrupted");
                    return Command.EXIT_ERROR;
                } catch (OutOfMemoryError e) {
                    // the JVM's default handler printed a stack trace and exited 1, which scan's callers read as found
                    io.err()
                            .println("hygiene " + c.name() + ": out of memory (" + e.getMessage() + "); give the JVM"
                                    + " more with JAVA_OPTS=-Xmx... (README, \"The hygiene command\")");
                    return Command.EXIT_ERROR;
                } catch (RuntimeException | Error e) {
                    io.err()
                            .println("hygiene " + c.name() + ": internal error: " + e + " (a bug; the stack trace"
                                    + " follows)");
                    e.printStackTrace(io.err());
                    return Command.EXIT_ERROR;
                }
            }
        }
        io.err().println("hygiene: unknown command '" + first + "'");
        io.err().println();
        io.err().print(usage(commands));
        return Command.EXIT_ERROR;
    }

    /** Whether {@code --help} or {@code -h} is among the arguments before a {@code --} (after it, all are files). */
    private static boolean asksForHelp(List<String> args) {
        int end = args.indexOf("--");
        List<String> options = end < 0 ? args : args.subList(0, end);
        return options.contains("--help") || options.contains("-h");
    }

    private static int help(List<String> rest, Io io, List<Command> commands) {
        // "help" is listed among the commands: its own help is the list ("hygiene help help" was an unknown command)
        if (rest.isEmpty() || List.of("help", "--help", "-h").contains(rest.get(0))) {
            io.out().print(usage(commands));
            return Command.EXIT_OK;
        }
        for (Command c : commands) {
            if (c.name().equals(rest.get(0))) {
                io.out().print(c.usage());
                return Command.EXIT_OK;
            }
        }
        io.err().println("hygiene help: unknown command '" + rest.get(0) + "'");
        io.err().println();
        io.err().print(usage(commands));
        return Command.EXIT_ERROR;
    }

    static String usage(List<Command> commands) {
        StringBuilder sb = new StringBuilder();
        sb.append("usage: hygiene <command> [options]\n\ncommands:\n");
        for (Command c : commands) {
            sb.append(String.format("  %-11s%s\n", c.name(), c.summary()));
        }
        sb.append(String.format("  %-11s%s\n", "help", "show this help, or with a command name that command's help"));
        sb.append("\noptions:\n");
        sb.append(String.format("  %-11s%s\n", "--version", "print the version and exit"));
        sb.append("\nRun 'hygiene help <command>' for the options of a command.\n");
        return sb.toString();
    }

    /**
     * The version of this build, from the resource Maven fills in.
     *
     * @return the project version, e.g. {@code 0.1.0-SNAPSHOT}, or {@code unknown} if the resource is missing
     */
    static String version() {
        try (InputStream in = Main.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
