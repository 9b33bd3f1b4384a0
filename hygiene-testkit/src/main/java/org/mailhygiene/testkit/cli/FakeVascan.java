package org.mailhygiene.testkit.cli;

import static org.mailhygiene.internal.Closeables.closeQuietly;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.mailhygiene.testkit.server.Fault;
import org.mailhygiene.testkit.server.Recorded;
import org.mailhygiene.testkit.server.RequestLog;

/**
 * A fake Central Command Vexira scanner that runs as a real process. {@link #builder()} writes a small launcher script
 * ({@code #!/bin/sh} + {@code exec java -cp ... FakeVascan ...}) that adapters run like the real binary; {@link #main}
 * is the program.
 *
 * <h2>Behaviour (protocols.md §3.2 for {@code vascan}, §3.1 for the older {@code vexira})</h2>
 * Arguments as real integrators pass them: {@code -q}/{@code -qq}/{@code -qqq}, {@code --all-files}, {@code -a X} /
 * {@code --action=X}, {@code --log=F}, {@code --timeout=N}, {@code --temp=D}, {@code -y D} / {@code --quarantine=D},
 * {@code --config=F}, {@code --vdb=F}, {@code --engine=F}, {@code --scanning=X}; the old flavour accepts
 * {@code --allfiles -noboot -nombr -rs -s -z}. Every other argument starting with {@code -} is an unknown option and
 * an error; the rest are files or directories (walked recursively, in name order). As MIMEDefang's README.VEXIRA
 * documents, {@code vascan} refuses to run without an existing, writable quarantine directory ({@code -y}).
 *
 * <p>Each file gets a result; the exit status is that of the most severe result (hang, spew, error, explicit
 * status, infected, encrypted, corrupt, unsupported, clean, in that order). {@code vascan} statuses: 0 clean, 1
 * infected, 3 password-protected (encrypted), 5 corrupted, 9 unsupported format. {@code vexira} statuses: 0 clean,
 * 1 infected, 101 macro found; encrypted, corrupt and unsupported files are clean there (the old engine had no
 * statuses for them). Error status: {@link #ERROR} for {@code vascan}, 213 (initialisation error) for {@code vexira}.
 *
 * <h2>What decides a file's result</h2>
 * <ol>
 *   <li>The script, if one was given: lines {@code contains TEXT => ACTION} or {@code always => ACTION}, first match
 *       wins; blank lines and {@code #} comments are ignored.
 *   <li>A marker in the content: {@code FAKE-VASCAN:ACTION} up to the end of its line.
 *   <li>The content itself: the EICAR test string is infected ({@code EICAR_test_file}; {@code Eicar-Test-Signatur}
 *       for {@code vexira}); a ZIP whose first entry has the encryption flag is encrypted; data that starts like a
 *       ZIP but has no end-of-central-directory record is corrupt.
 *   <li>Otherwise clean.
 * </ol>
 * Actions: {@code clean}, {@code infected NAME}, {@code encrypted}, {@code corrupt}, {@code unsupported},
 * {@code macro} (old flavour), {@code error [STATUS]}, {@code exit STATUS [NAME]} (prints NAME as a hit when given),
 * {@code hang} (prints nothing, starts a child {@code sleep} that shares its output, and waits forever), {@code spew
 * BYTES} (prints that many bytes of progress lines).
 *
 * <h2>Output (only what the integrators quote is certain; lines marked "invented" are ours)</h2>
 * <ul>
 *   <li>{@link Layout#ONE_LINE} (what MIMEDefang parses): {@code <path>: virus <Name>}.
 *   <li>{@link Layout#TWO_LINE} (what MailScanner and amavisd-new parse): {@code <path>} then
 *       {@code     virus found: <Name> ... (NOT killable) skipped}.
 *   <li>{@code vexira}: {@code ALERT: [<Name> virus] <path> <<< Contains code of the <Name> virus}.
 *   <li>Invented: {@code <path>: password protected, skipped}, {@code <path>: corrupted, skipped},
 *       {@code <path>: unsupported format, skipped}, and {@code vascan: error: <why>} for errors.
 * </ul>
 *
 * <p>Test hooks (never part of the real scanner's interface; the launcher passes them first):
 * {@code --fake-flavour=vascan|vexira}, {@code --fake-layout=one-line|two-line}, {@code --fake-script=FILE},
 * {@code --fake-record=DIR} (writes the arguments it got, each followed by a NUL byte, to {@code DIR/<pid>.args}),
 * {@code --fake-pids=DIR} (on {@code hang}, writes its own and its child's pid to {@code DIR/<pid>.pids}),
 * {@code --fake-faults=DIR} (claims the oldest fault queued there, see below).
 *
 * <h2>Faults and recording, as for the testkit's server fakes</h2>
 * {@link Builder#start(Path)} installs the launcher together with a fault queue and a recorder
 * ({@link Installation}): {@link Installation#enqueue(Fault)} queues a fault of the shared model for the next run
 * (each run claims the oldest one atomically, so concurrent runs never share one), and
 * {@link Installation#takeRequest(Duration)} waits for the next run's arguments. A run's "reply" is its output and
 * exit status: {@code Refuse} and {@code Close} exit with the error status and print nothing (a scanner that died);
 * {@code Stall} and {@code StallReading} hang like the {@code hang} action; {@code CloseAfter(n)} prints the first
 * {@code n} bytes of the normal output, then exits with the error status; {@code Reply(text)} prints {@code text}
 * instead of the normal output and exits with the normal status; {@code ReplyAfter(n, text)} prints the first
 * {@code n} bytes of the normal output and then {@code text}, with the normal status; {@code Delay(d)} waits, then
 * runs normally.
 */
public final class FakeVascan {

    /** Status for a clean scan. */
    public static final int CLEAN = 0;
    /** Status for a virus found. */
    public static final int INFECTED = 1;
    /** {@code vascan}: password-protected (encrypted) file. */
    public static final int ENCRYPTED = 3;
    /** {@code vascan}: corrupted file. */
    public static final int CORRUPT = 5;
    /** {@code vascan}: unsupported file format. */
    public static final int UNSUPPORTED = 9;
    /**
     * {@code vascan}: the status this fake uses for errors. Invented: vascan's error statuses are not documented; every
     * status outside 0, 1, 2, 3, 5 and 9 is an error to the integrators.
     */
    public static final int ERROR = 10;
    /** {@code vexira}: macro found in a document. */
    public static final int VEXIRA_MACRO = 101;
    /** {@code vexira}: initialisation error, used for every error of the old flavour. */
    public static final int VEXIRA_ERROR = 213;

    /** Which product the fake plays. */
    public enum Flavour {
        /** {@code vascan}, 2005 and later. */
        VASCAN,
        /** the older {@code vexira} binary. */
        VEXIRA
    }

    /** How {@code vascan} reports a hit. */
    public enum Layout {
        /** {@code <path>: virus <Name>} (MIMEDefang). */
        ONE_LINE,
        /** {@code <path>} then an indented {@code virus found: <Name> ... (NOT killable) skipped} (MailScanner). */
        TWO_LINE
    }

    private FakeVascan() {}

    /**
     * Starts a builder for a launcher script.
     *
     * @return a new builder: flavour {@code vascan}, one-line layout, no script, no recording
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The program: runs as described in the class documentation and exits with the resulting status.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        int status;
        try {
            status = run(args, System.out);
        } catch (RuntimeException e) {
            System.out.println("vascan: error: " + e);
            status = ERROR;
        }
        System.out.flush();
        System.exit(status);
    }

    /**
     * Runs the fake in this JVM (except that {@code hang} really blocks).
     *
     * @param args the command line
     * @param out where the output lines go
     * @return the exit status
     */
    public static int run(String[] args, PrintStream out) {
        Flavour flavour = Flavour.VASCAN;
        Layout layout = Layout.ONE_LINE;
        Optional<Path> script = Optional.empty();
        Optional<Path> pids = Optional.empty();
        Optional<Path> quarantine = Optional.empty();
        Optional<Path> faults = Optional.empty();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.startsWith("--fake-flavour=")) {
                flavour = Flavour.valueOf(value(a).toUpperCase(Locale.ROOT));
            } else if (a.startsWith("--fake-layout=")) {
                layout = Layout.valueOf(value(a).toUpperCase(Locale.ROOT).replace('-', '_'));
            } else if (a.startsWith("--fake-script=")) {
                script = Optional.of(Path.of(value(a)));
            } else if (a.startsWith("--fake-pids=")) {
                pids = Optional.of(Path.of(value(a)));
            } else if (a.startsWith("--fake-record=")) {
                record(Path.of(value(a)), args);
            } else if (a.startsWith("--fake-faults=")) {
                faults = Optional.of(Path.of(value(a)));
            }
        }
        int errorStatus = flavour == Flavour.VASCAN ? ERROR : VEXIRA_ERROR;
        Optional<Fault> fault = faults.flatMap(FakeVascan::claimFault);
        if (fault.isPresent()) {
            Fault f = fault.get();
            if (f instanceof Fault.Refuse || f instanceof Fault.Close) {
                return errorStatus;
            }
            if (f instanceof Fault.Stall || f instanceof Fault.StallReading) {
                return hang(pids);
            }
            if (f instanceof Fault.Delay d) {
                try {
                    Thread.sleep(d.delay().toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return errorStatus;
                }
                fault = Optional.empty();
            }
        }
        if (fault.isPresent()) {
            ByteArrayOutputStream normal = new ByteArrayOutputStream();
            int status =
                    scan(args, new PrintStream(normal, true, StandardCharsets.UTF_8), flavour, layout, script, pids);
            byte[] text = normal.toByteArray();
            Fault f = fault.get();
            if (f instanceof Fault.CloseAfter c) {
                out.write(text, 0, (int) Math.min(text.length, c.bytes()));
                out.flush();
                return errorStatus;
            }
            if (f instanceof Fault.ReplyAfter r) {
                out.write(text, 0, (int) Math.min(text.length, r.bytes()));
                out.print(r.text());
                out.flush();
                return status;
            }
            out.print(((Fault.Reply) f).text());
            out.flush();
            return status;
        }
        return scan(args, out, flavour, layout, script, pids);
    }

    private static int scan(
            String[] args,
            PrintStream out,
            Flavour flavour,
            Layout layout,
            Optional<Path> script,
            Optional<Path> pids) {
        int errorStatus = flavour == Flavour.VASCAN ? ERROR : VEXIRA_ERROR;
        Optional<Path> quarantine = Optional.empty();
        List<Path> targets = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.startsWith("--fake-")) {
                continue;
            }
            if (flavour == Flavour.VASCAN) {
                if (a.matches("-q{1,3}")
                        || a.equals("--all-files")
                        || a.matches("--(action|log|timeout|temp|config|vdb|engine|scanning)=.*")) {
                    continue;
                }
                if (a.equals("-a")) {
                    if (++i >= args.length) {
                        return fail(out, flavour, "-a needs an action");
                    }
                    continue;
                }
                if (a.equals("-y") || a.startsWith("--quarantine=")) {
                    String d = a.equals("-y") ? (++i < args.length ? args[i] : null) : value(a);
                    if (d == null) {
                        return fail(out, flavour, "-y needs a directory");
                    }
                    quarantine = Optional.of(Path.of(d));
                    continue;
                }
            } else if (a.equals("--allfiles")
                    || a.equals("-noboot")
                    || a.equals("-nombr")
                    || a.equals("-rs")
                    || a.equals("-s")
                    || a.equals("-z")) {
                continue;
            }
            if (a.startsWith("-")) {
                return fail(out, flavour, "unknown option " + a);
            }
            targets.add(Path.of(a));
        }
        if (flavour == Flavour.VASCAN) {
            if (quarantine.isEmpty()) {
                return fail(out, flavour, "no quarantine directory configured (use -y DIR)");
            }
            Path q = quarantine.get();
            if (!Files.isDirectory(q) || !Files.isWritable(q)) {
                return fail(out, flavour, "quarantine directory " + q + " does not exist or is not writable");
            }
        }
        if (targets.isEmpty()) {
            return fail(out, flavour, "nothing to scan");
        }
        List<String> rules;
        try {
            rules = script.isPresent() ? Files.readAllLines(script.get(), StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            return fail(out, flavour, "cannot read script " + script.get() + ": " + e.getMessage());
        }
        List<Path> files = new ArrayList<>();
        for (Path t : targets) {
            if (Files.isDirectory(t)) {
                try (Stream<Path> s = Files.walk(t)) {
                    s.filter(Files::isRegularFile).sorted().forEach(files::add);
                } catch (IOException e) {
                    return fail(out, flavour, "cannot read directory " + t);
                }
            } else if (Files.isRegularFile(t)) {
                files.add(t);
            } else {
                return fail(out, flavour, t + ": cannot open");
            }
        }
        Action worst = new Action(Kind.CLEAN, 0, "", 0);
        List<String> lines = new ArrayList<>();
        for (Path f : files) {
            byte[] content;
            try {
                content = Files.readAllBytes(f);
            } catch (IOException e) {
                return fail(out, flavour, f + ": cannot read");
            }
            Action action = decide(content, rules, flavour);
            if (action.kind.ordinal() < worst.kind.ordinal()) {
                worst = action;
            }
            report(lines, f, action, flavour, layout);
        }
        switch (worst.kind) {
            case HANG:
                return hang(pids);
            case SPEW:
                spew(out, worst.bytes);
                return CLEAN;
            case ERROR:
                lines.forEach(out::println);
                out.println("vascan: error: scripted failure");
                return worst.status > 0 ? worst.status : errorStatus;
            default:
                lines.forEach(out::println);
                return status(worst, flavour);
        }
    }

    private static int status(Action a, Flavour flavour) {
        switch (a.kind) {
            case EXIT:
                return a.status;
            case INFECTED:
                return INFECTED;
            case MACRO:
                return flavour == Flavour.VEXIRA ? VEXIRA_MACRO : CLEAN;
            case ENCRYPTED:
                return flavour == Flavour.VASCAN ? ENCRYPTED : CLEAN;
            case CORRUPT:
                return flavour == Flavour.VASCAN ? CORRUPT : CLEAN;
            case UNSUPPORTED:
                return flavour == Flavour.VASCAN ? UNSUPPORTED : CLEAN;
            default:
                return CLEAN;
        }
    }

    private static void report(List<String> lines, Path f, Action a, Flavour flavour, Layout layout) {
        String name = a.name;
        if ((a.kind == Kind.INFECTED || a.kind == Kind.EXIT || a.kind == Kind.MACRO) && !name.isEmpty()) {
            if (flavour == Flavour.VEXIRA) {
                lines.add("ALERT: [" + name + " virus] " + f + " <<< Contains code of the " + name + " virus");
            } else if (layout == Layout.ONE_LINE) {
                lines.add(f + ": virus " + name);
            } else {
                lines.add(f.toString());
                lines.add("    virus found: " + name + " ... (NOT killable) skipped");
            }
        } else if (flavour == Flavour.VASCAN && a.kind == Kind.ENCRYPTED) {
            lines.add(f + ": password protected, skipped");
        } else if (flavour == Flavour.VASCAN && a.kind == Kind.CORRUPT) {
            lines.add(f + ": corrupted, skipped");
        } else if (flavour == Flavour.VASCAN && a.kind == Kind.UNSUPPORTED) {
            lines.add(f + ": unsupported format, skipped");
        }
    }

    /** Result kinds, most severe first. */
    private enum Kind {
        HANG,
        SPEW,
        ERROR,
        EXIT,
        INFECTED,
        MACRO,
        ENCRYPTED,
        CORRUPT,
        UNSUPPORTED,
        CLEAN
    }

    private static final class Action {
        final Kind kind;
        final int status;
        final String name;
        final long bytes;

        Action(Kind kind, int status, String name, long bytes) {
            this.kind = kind;
            this.status = status;
            this.name = name;
            this.bytes = bytes;
        }
    }

    private static Action decide(byte[] content, List<String> rules, Flavour flavour) {
        String text = new String(content, StandardCharsets.ISO_8859_1);
        for (String rule : rules) {
            String r = rule.strip();
            if (r.isEmpty() || r.startsWith("#")) {
                continue;
            }
            int arrow = r.indexOf("=>");
            if (arrow < 0) {
                throw new IllegalArgumentException("script line without '=>': " + r);
            }
            String cond = r.substring(0, arrow).strip();
            String act = r.substring(arrow + 2).strip();
            boolean match;
            if (cond.equals("always")) {
                match = true;
            } else if (cond.startsWith("contains ")) {
                String needle = cond.substring("contains ".length());
                match = text.contains(new String(needle.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
            } else {
                throw new IllegalArgumentException("script condition must be 'always' or 'contains TEXT': " + cond);
            }
            if (match) {
                return parseAction(act);
            }
        }
        int marker = text.indexOf("FAKE-VASCAN:");
        if (marker >= 0) {
            int end = marker;
            while (end < text.length() && text.charAt(end) != '\r' && text.charAt(end) != '\n') {
                end++;
            }
            return parseAction(
                    text.substring(marker + "FAKE-VASCAN:".length(), end).strip());
        }
        if (text.contains(eicar())) {
            return new Action(
                    Kind.INFECTED, 0, flavour == Flavour.VASCAN ? "EICAR_test_file" : "Eicar-Test-Signatur", 0);
        }
        if (content.length >= 30 && content[0] == 'P' && content[1] == 'K' && content[2] == 3 && content[3] == 4) {
            if ((content[6] & 1) != 0) {
                return new Action(Kind.ENCRYPTED, 0, "", 0);
            }
            if (!text.contains("PK\u0005\u0006")) {
                return new Action(Kind.CORRUPT, 0, "", 0);
            }
        }
        return new Action(Kind.CLEAN, 0, "", 0);
    }

    private static Action parseAction(String act) {
        String[] w = act.split("\\s+");
        switch (w[0]) {
            case "clean":
                return new Action(Kind.CLEAN, 0, "", 0);
            case "infected":
                return new Action(Kind.INFECTED, 0, w.length > 1 ? w[1] : "Fake.Virus", 0);
            case "macro":
                return new Action(Kind.MACRO, 0, w.length > 1 ? w[1] : "Fake.Macro", 0);
            case "encrypted":
                return new Action(Kind.ENCRYPTED, 0, "", 0);
            case "corrupt":
                return new Action(Kind.CORRUPT, 0, "", 0);
            case "unsupported":
                return new Action(Kind.UNSUPPORTED, 0, "", 0);
            case "error":
                return new Action(Kind.ERROR, w.length > 1 ? Integer.parseInt(w[1]) : 0, "", 0);
            case "exit":
                if (w.length < 2) {
                    throw new IllegalArgumentException("'exit' needs a status");
                }
                return new Action(Kind.EXIT, Integer.parseInt(w[1]), w.length > 2 ? w[2] : "", 0);
            case "hang":
                return new Action(Kind.HANG, 0, "", 0);
            case "spew":
                return new Action(Kind.SPEW, 0, "", w.length > 1 ? Long.parseLong(w[1]) : 8L << 20);
            default:
                throw new IllegalArgumentException("unknown action '" + act + "'");
        }
    }

    /**
     * The EICAR test string, assembled at run time so that no source or class file holds it whole.
     *
     * @return the 68-character EICAR string
     */
    public static String eicar() {
        return "X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-" + "ANTIVIRUS-TEST-FILE!$H+H*";
    }

    private static int hang(Optional<Path> pids) {
        try {
            Process child = new ProcessBuilder("sleep", "3600").inheritIO().start();
            if (pids.isPresent()) {
                long self = ProcessHandle.current().pid();
                Path tmp = pids.get().resolve(self + ".tmp");
                Files.writeString(tmp, self + "\n" + child.pid() + "\n");
                Files.move(tmp, pids.get().resolve(self + ".pids"));
            }
            child.waitFor();
            Thread.sleep(Long.MAX_VALUE);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the hanging child", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return ERROR;
    }

    private static void spew(PrintStream out, long bytes) {
        String line = "scanning ........................................................................ ok\n";
        byte[] b = line.getBytes(StandardCharsets.US_ASCII);
        for (long n = 0; n < bytes; n += b.length) {
            out.write(b, 0, (int) Math.min(b.length, bytes - n));
        }
        out.flush();
    }

    private static void record(Path dir, String[] args) {
        StringBuilder sb = new StringBuilder();
        for (String a : args) {
            if (!a.startsWith("--fake-")) {
                sb.append(a).append('\0');
            }
        }
        try {
            String self = ProcessHandle.current().pid() + "-" + System.nanoTime();
            Path tmp = dir.resolve(self + ".tmp");
            Files.write(tmp, sb.toString().getBytes(StandardCharsets.UTF_8));
            Files.move(tmp, dir.resolve(self + ".args"), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new IllegalStateException("cannot record arguments in " + dir, e);
        }
    }

    /** Takes the oldest queued fault, atomically (a rename), so two runs never take the same one. */
    private static Optional<Fault> claimFault(Path dir) {
        List<Path> queued;
        try (Stream<Path> s = Files.list(dir)) {
            queued = s.filter(p -> p.getFileName().toString().endsWith(".fault"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the fault queue " + dir, e);
        }
        for (Path p : queued) {
            Path taken = p.resolveSibling(
                    p.getFileName() + ".taken-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
            try {
                Files.move(p, taken, StandardCopyOption.ATOMIC_MOVE);
                return Optional.of(decodeFault(Files.readString(taken, StandardCharsets.UTF_8)));
            } catch (java.nio.file.NoSuchFileException e) {
                // another run took it first
            } catch (IOException e) {
                throw new IllegalStateException("cannot take the fault " + p, e);
            }
        }
        return Optional.empty();
    }

    /** One line: kind, bytes, delay in nanoseconds, base64 of the text, tab-separated. */
    static String encodeFault(Fault f) {
        String kind = f.getClass().getSimpleName();
        long bytes = f instanceof Fault.CloseAfter c ? c.bytes() : f instanceof Fault.ReplyAfter r ? r.bytes() : 0;
        long nanos = f instanceof Fault.Delay d ? d.delay().toNanos() : 0;
        String text = f instanceof Fault.Reply r ? r.text() : f instanceof Fault.ReplyAfter r ? r.text() : "";
        return kind + "\t" + bytes + "\t" + nanos + "\t"
                + java.util.Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    static Fault decodeFault(String line) {
        int end = line.length();
        while (end > 0 && (line.charAt(end - 1) == '\n' || line.charAt(end - 1) == '\r')) {
            end--;
        }
        String[] f = line.substring(0, end).split("\t", -1);
        long bytes = Long.parseLong(f[1]);
        String text = new String(java.util.Base64.getDecoder().decode(f[3]), StandardCharsets.UTF_8);
        return switch (f[0]) {
            case "Refuse" -> Fault.refuse();
            case "StallReading" -> Fault.stallReading();
            case "Stall" -> Fault.stall();
            case "Close" -> Fault.close();
            case "CloseAfter" -> Fault.closeAfter(bytes);
            case "Reply" -> Fault.reply(text);
            case "ReplyAfter" -> Fault.replyAfter(bytes, text);
            case "Delay" -> Fault.delay(Duration.ofNanos(Long.parseLong(f[2])));
            default -> throw new IllegalArgumentException("unknown fault " + f[0]);
        };
    }

    private static int fail(PrintStream out, Flavour flavour, String why) {
        out.println("vascan: error: " + why);
        return flavour == Flavour.VASCAN ? ERROR : VEXIRA_ERROR;
    }

    private static String value(String option) {
        return option.substring(option.indexOf('=') + 1);
    }

    /**
     * Reads the argument lists recorded by launchers built with {@link Builder#recordArgumentsIn(Path)}.
     *
     * @param dir the recording directory
     * @return one list per invocation (in no particular order)
     * @throws IOException if the directory cannot be read
     */
    public static List<List<String>> recordedArguments(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return parseArguments(
                    s.filter(p -> p.toString().endsWith(".args")).sorted().toList());
        }
    }

    private static List<List<String>> parseArguments(List<Path> files) throws IOException {
        List<List<String>> out = new ArrayList<>();
        for (Path p : files) {
            String all = Files.readString(p, StandardCharsets.UTF_8);
            List<String> args = new ArrayList<>();
            int start = 0;
            for (int i = all.indexOf('\0'); i >= 0; i = all.indexOf('\0', start)) {
                args.add(all.substring(start, i));
                start = i + 1;
            }
            out.add(args);
        }
        return out;
    }

    /**
     * Reads the pids written by hanging fakes built with {@link Builder#pidsIn(Path)}: each fake's own pid and its
     * child's.
     *
     * @param dir the pid directory
     * @return every pid found
     * @throws IOException if the directory cannot be read
     */
    public static List<Long> recordedPids(Path dir) throws IOException {
        List<Long> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s.filter(p -> p.toString().endsWith(".pids"))::iterator) {
                for (String l : Files.readAllLines(p)) {
                    if (!l.isBlank()) {
                        out.add(Long.parseLong(l.strip()));
                    }
                }
            }
        }
        return out;
    }

    /**
     * One run of the fake, as recorded.
     *
     * @param connection the run's number in the order the recorder saw the runs (1 for the first)
     * @param command always {@code SCAN}
     * @param arguments the arguments the adapter passed (test hooks left out)
     */
    public record Invocation(long connection, String command, List<String> arguments) implements Recorded {
        /**
         * Copies.
         *
         * @throws NullPointerException if a component is {@code null}
         */
        public Invocation {
            Objects.requireNonNull(command, "command");
            arguments = List.copyOf(arguments);
        }
    }

    /**
     * An installed fake with its fault queue and run recorder ({@link Builder#start(Path)}): the fault and recording
     * models of the testkit's server fakes, for a scanner that is a process.
     *
     * <p>Thread-safe. {@link #close()} stops the recorder (one daemon thread watching the run directory).
     */
    public static final class Installation implements AutoCloseable {
        private final Path launcher;
        private final Path runs;
        private final Path faults;
        private final RequestLog<Invocation> log = new RequestLog<>("vascan");
        private final java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
        private final java.util.concurrent.atomic.AtomicLong runNumber = new java.util.concurrent.atomic.AtomicLong();
        private final java.util.concurrent.atomic.AtomicLong faultNumber = new java.util.concurrent.atomic.AtomicLong();
        private final WatchService watch;
        private final Thread watcher;

        Installation(Path launcher, Path runs, Path faults) throws IOException {
            this.launcher = launcher;
            this.runs = runs;
            this.faults = faults;
            this.watch = runs.getFileSystem().newWatchService();
            runs.register(watch, StandardWatchEventKinds.ENTRY_CREATE);
            this.watcher = new Thread(this::watchRuns, "fake-vascan-recorder");
            watcher.setDaemon(true);
            watcher.start();
        }

        /**
         * The launcher script to give the adapter as the scanner binary.
         *
         * @return the script's path
         */
        public Path path() {
            return launcher;
        }

        /**
         * Queues a fault for the next run that finds one (see the class description of {@link FakeVascan} for what
         * each fault does to a run).
         *
         * @param fault the fault
         * @return this installation
         * @throws IOException if the queue cannot be written
         */
        public Installation enqueue(Fault fault) throws IOException {
            Objects.requireNonNull(fault, "fault");
            String name = String.format(Locale.ROOT, "%012d", faultNumber.incrementAndGet());
            Path tmp = faults.resolve(name + ".tmp");
            Files.writeString(tmp, encodeFault(fault) + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, faults.resolve(name + ".fault"), StandardCopyOption.ATOMIC_MOVE);
            return this;
        }

        /**
         * Waits for the next run not yet taken, in the order the runs were recorded.
         *
         * @param timeout how long to wait at most
         * @return the run
         * @throws InterruptedException if interrupted
         * @throws AssertionError if no run was recorded in time
         */
        public Invocation takeRequest(Duration timeout) throws InterruptedException {
            scan();
            return log.take(timeout);
        }

        /**
         * Every run recorded so far.
         *
         * @return a snapshot in recording order
         */
        public List<Invocation> requests() {
            scan();
            return log.all();
        }

        private void watchRuns() {
            try {
                while (true) {
                    java.nio.file.WatchKey key = watch.take();
                    key.pollEvents();
                    scan();
                    if (!key.reset()) {
                        return;
                    }
                }
            } catch (InterruptedException | java.nio.file.ClosedWatchServiceException e) {
                // closed
            }
        }

        private synchronized void scan() {
            try (Stream<Path> s = Files.list(runs)) {
                for (Path p : (Iterable<Path>)
                        s.filter(p -> p.toString().endsWith(".args")).sorted()::iterator) {
                    if (seen.add(p.getFileName().toString())) {
                        List<List<String>> one = parseArguments(List.of(p));
                        log.record(new Invocation(runNumber.incrementAndGet(), "SCAN", one.get(0)));
                    }
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        /** Stops recording. Idempotent. */
        @Override
        public void close() {
            closeQuietly(watch);
            watcher.interrupt();
        }
    }

    /** Writes a launcher script for the fake. Not thread-safe. */
    public static final class Builder {
        private Flavour flavour = Flavour.VASCAN;
        private Layout layout = Layout.ONE_LINE;
        private Path script;
        private Path record;
        private Path pids;
        private Path faults;

        private Builder() {}

        /**
         * Which product to play.
         *
         * @param value the flavour; default {@link Flavour#VASCAN}
         * @return this builder
         */
        public Builder flavour(Flavour value) {
            this.flavour = Objects.requireNonNull(value, "flavour");
            return this;
        }

        /**
         * How {@code vascan} prints hits.
         *
         * @param value the layout; default {@link Layout#ONE_LINE}
         * @return this builder
         */
        public Builder layout(Layout value) {
            this.layout = Objects.requireNonNull(value, "layout");
            return this;
        }

        /**
         * A script file of rules (see the class documentation), read at every run so tests may rewrite it.
         *
         * @param file the script
         * @return this builder
         */
        public Builder script(Path file) {
            this.script = Objects.requireNonNull(file, "file").toAbsolutePath();
            return this;
        }

        /**
         * Records every run's arguments in this directory; read them with {@link #recordedArguments(Path)}.
         *
         * @param dir an existing directory
         * @return this builder
         * @throws IllegalArgumentException if it is not a directory
         */
        public Builder recordArgumentsIn(Path dir) {
            this.record = existingDirectory(dir);
            return this;
        }

        /**
         * Makes hanging runs write their pids in this directory; read them with {@link #recordedPids(Path)}.
         *
         * @param dir an existing directory
         * @return this builder
         * @throws IllegalArgumentException if it is not a directory
         */
        public Builder pidsIn(Path dir) {
            this.pids = existingDirectory(dir);
            return this;
        }

        /**
         * Writes the launcher script into a directory, named {@code vascan} (or {@code vexira} for that flavour),
         * owner-only executable. It runs this JVM's {@code java} with the class path entry that holds this class.
         *
         * @param dir an existing directory
         * @return the script's path
         * @throws IOException if it cannot be written
         */
        public Path install(Path dir) throws IOException {
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            String cp;
            try {
                cp = Path.of(FakeVascan.class
                                .getProtectionDomain()
                                .getCodeSource()
                                .getLocation()
                                .toURI())
                        .toString();
            } catch (java.net.URISyntaxException e) {
                throw new IOException("cannot locate the class path of " + FakeVascan.class.getName(), e);
            }
            List<String> cmd = new ArrayList<>(List.of(
                    java.toString(),
                    "-XX:TieredStopAtLevel=1",
                    "-XX:+UseSerialGC",
                    "-Xss512k",
                    "-Xshare:auto",
                    "-cp",
                    cp,
                    FakeVascan.class.getName(),
                    "--fake-flavour=" + flavour.name().toLowerCase(Locale.ROOT),
                    "--fake-layout=" + layout.name().toLowerCase(Locale.ROOT).replace('_', '-')));
            if (script != null) {
                cmd.add("--fake-script=" + script);
            }
            if (record != null) {
                cmd.add("--fake-record=" + record);
            }
            if (pids != null) {
                cmd.add("--fake-pids=" + pids);
            }
            if (faults != null) {
                cmd.add("--fake-faults=" + faults);
            }
            StringBuilder sh = new StringBuilder("#!/bin/sh\n# fake Vexira scanner written by ")
                    .append(FakeVascan.class.getName())
                    .append("\nexec");
            for (String c : cmd) {
                sh.append(' ').append(shellQuote(c));
            }
            sh.append(" \"$@\"\n");
            Path file = dir.resolve(flavour == Flavour.VASCAN ? "vascan" : "vexira");
            Files.writeString(file, sh.toString(), StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
            return file;
        }

        /**
         * Installs the launcher in {@code dir} together with a fault queue and a recorder of every run's arguments
         * (in subdirectories {@code faults} and {@code runs}), and returns the handle that scripts and reads them.
         * Settings made with {@link #recordArgumentsIn(Path)} are replaced by the handle's recorder.
         *
         * @param dir an existing directory
         * @return the running installation; close it to stop recording
         * @throws IOException if it cannot be written
         */
        public Installation start(Path dir) throws IOException {
            Path runs = Files.createDirectories(dir.resolve("runs"));
            Path faultDir = Files.createDirectories(dir.resolve("faults"));
            record = runs.toAbsolutePath();
            faults = faultDir.toAbsolutePath();
            Path launcher = install(dir);
            return new Installation(launcher, record, faults);
        }

        private static String shellQuote(String s) {
            return "'" + s.replace("'", "'\\''") + "'";
        }

        private static Path existingDirectory(Path dir) {
            Objects.requireNonNull(dir, "dir");
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException(dir + " is not an existing directory");
            }
            return dir.toAbsolutePath();
        }
    }
}
