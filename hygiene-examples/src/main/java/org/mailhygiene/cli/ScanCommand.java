package org.mailhygiene.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.SpooledContent;
import org.mailhygiene.internal.Closeables;
import org.mailhygiene.internal.IoErrors;
import org.mailhygiene.internal.LockedDirectory;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.ScanReport;
import org.mailhygiene.scanners.bayes.MailSources;
import org.mailhygiene.scanners.bayes.SharedModelSync;

/**
 * {@code hygiene scan SCANNER... [--json] FILE...}: scans message files with the chosen scanners through a
 * {@link ScanPipeline} (default policy, verdict cache) and prints what it found, in the manner of {@code clamdscan}.
 *
 * <p>Text output, per file: {@code FILE: OK} when nothing was found; otherwise one line per finding and per error:
 * {@code FILE: NAME FOUND} per virus, {@code FILE: SPAM score/threshold [rules]}, {@code FILE: SUSPICIOUS [rules]} (with its threats before the rules, if any),
 * {@code FILE: ERROR reason} for an unreadable file or a failed scanner. With one scanner every file gets exactly one
 * line. {@code --json} prints one JSON object per file and line instead, with the fields {@code file},
 * {@code outcome} ({@code CLEAN}, {@code INFECTED}, {@code SPAM}, {@code SUSPICIOUS} or {@code ERROR}),
 * {@code scanner}, {@code threats}, {@code score}, {@code threshold}, {@code rules}, {@code error}, {@code action}
 * (the policy's decision) and {@code results} (one entry per scanner). An mbox file of several messages (it starts
 * with {@code From } and holds more than one) is scanned message by message, each reported as {@code FILE#N}; an
 * empty file, and an mbox message (or an mbox file's only one) of nothing but line breaks, is an error line ("empty, not
 * a message"), never clean, and so is a compressed file (gzip, bzip2, xz, zstd: a compressed mailbox, read as one
 * message of binary bytes, which every scanner but clamd called clean).
 *
 * <p>A directory is scanned recursively, its files in name order (named through a symbolic link, the directory it
 * leads to; a symbolic link to a directory inside it is an error line, not followed); {@code -} reads one message from
 * standard input
 * (reported as {@code stdin}; always one message, see {@link #warnIfSeveral}; past
 * {@link #STDIN_MEMORY_THRESHOLD} it spills to a file in the scan's private temporary directory, which is removed when
 * the scan ends or is stopped by a signal, as are the copies command-line scanners make; their programs still running
 * then are stopped too). Exit status: 0 when every file was
 * scanned and found clean, 1 when something was found, 2 when any file could not be read or any scanner failed (an error wins over a finding, as a failed scan proves
 * nothing), and 2 for usage errors.
 *
 * <p>{@code --redis URL} (with {@code --redis-model NAME}, default {@code bayes}) gives each {@code --bayes} model what
 * a cluster learned in that store, read once when the scan starts (through the model option): the
 * verdict and explanation of the cluster's nodes, which classify with their model plus those counts.
 *
 * <p>Scanner options come from a list of {@link ScannerOption}s, so each scanner family adds its flag in its own
 * class. Instances are immutable; {@link #run(List, Io)} may be called repeatedly.
 */
public final class ScanCommand implements Command {
    /** How much of a message read from standard input stays in memory before it spills to a temporary file. */
    static final long STDIN_MEMORY_THRESHOLD = 8L * 1024 * 1024;

    /** How the scan's private directory under {@code java.io.tmpdir} starts its name. */
    static final String WORK_PREFIX = "hygiene-scan-";

    /** How long a private directory's lock must have been free before a later scan deletes it. */
    static final Duration ABANDONED_AFTER = Duration.ofMinutes(1);

    private static final String STDIN = "-";
    private static final String STDIN_NAME = "stdin";
    private static final String EMPTY = MailSources.EMPTY_MESSAGE;
    private static final String LINK_LOOP = "a loop of symbolic links (or a chain of them too long to follow)";
    private static final Set<String> OWN_FLAGS = Set.of(
            "--json",
            "--help",
            "-h",
            "--",
            "--dns",
            "--client-ip",
            "--helo",
            "--mail-from",
            "--local-domains",
            "--no-brand-check",
            "--redis",
            "--redis-model");
    private static final Set<String> VALUE_FLAGS =
            Set.of("--dns", "--client-ip", "--helo", "--mail-from", "--local-domains", "--redis", "--redis-model");

    private final List<ScannerOption> options;

    /**
     * Creates the command with the given scanner options.
     *
     * @param options the scanner options to offer, e.g. {@link ScannerOptions#standard()}
     * @throws IllegalArgumentException if a flag does not start with {@code --}, is used twice, or clashes with the
     *     command's own options
     */
    public ScanCommand(List<ScannerOption> options) {
        this.options = List.copyOf(options);
        Set<String> seen = new HashSet<>();
        for (ScannerOption o : this.options) {
            String flag = o.flag();
            if (!flag.startsWith("--") || flag.length() < 3 || flag.contains("=")) {
                throw new IllegalArgumentException("scanner option flags look like --name, not " + flag);
            }
            if (OWN_FLAGS.contains(flag) || !seen.add(flag)) {
                throw new IllegalArgumentException("scanner option flag " + flag + " is already taken");
            }
        }
    }

    @Override
    public String name() {
        return "scan";
    }

    @Override
    public String summary() {
        return "scan message files for viruses and spam";
    }

    @Override
    public String usage() {
        StringBuilder sb = new StringBuilder();
        sb.append("usage: hygiene scan SCANNER... [--json] FILE...\n\n");
        sb.append("Scans each FILE, a message as stored on disk (.eml), and prints per file\n");
        sb.append("  FILE: OK                             nothing found\n");
        sb.append(
                "  FILE: NAME FOUND                     a virus (one line per virus; beyond 100, a note on stderr)\n");
        sb.append("  FILE: SPAM score/threshold [rules]   spam\n");
        sb.append("  FILE: SUSPICIOUS [rules]             a content policy concern\n");
        sb.append("  FILE: SUSPICIOUS THREAT [rules]      one that names a threat (Backscatter)\n");
        sb.append("  FILE: ERROR reason                   the file could not be read or a scanner failed\n");
        sb.append("A directory is scanned recursively (a symbolic link to a directory inside it is an ERROR line,\n");
        sb.append("not followed: name it to scan it); - reads one message from standard input (always one:\n");
        sb.append("a piped message's body may hold lines that read as mbox separators); an mbox file of several\n");
        sb.append("messages is scanned message by message, reported as FILE#1, FILE#2, ...\n\n");
        sb.append("scanners (at least one):\n");
        for (ScannerOption o : options) {
            String left = o.flag() + o.argumentName().map(a -> " " + a).orElse("");
            sb.append(String.format("  %-22s %s\n", left, o.description()));
        }
        sb.append("\noptions:\n");
        sb.append(String.format("  %-22s %s\n", "--json", "print one JSON object per file instead"));
        sb.append(String.format(
                "  %-22s %s\n", "--dns IP:PORT", "the DNS server --auth asks (default /etc/resolv.conf's)"));
        sb.append(String.format("  %-22s %s\n", "--client-ip IP", "the SMTP client the messages came from (for SPF)"));
        sb.append(String.format("  %-22s %s\n", "--helo NAME", "the client's HELO/EHLO name"));
        sb.append(String.format("  %-22s %s\n", "--mail-from ADDR", "the envelope sender (MAIL FROM), default <>"));
        sb.append(String.format(
                "  %-22s %s\n",
                "--local-domains D,...",
                "our mail domains: --bayes calls a bounce for mail not from them backscatter"));
        sb.append(String.format(
                "  %-22s %s\n",
                "--no-brand-check", "the classifier leaves a brand's name over a stranger's address to its score"));
        sb.append(String.format(
                "  %-22s %s\n",
                "--redis URL", "--bayes with what a cluster learned there (hygiene learn --redis): the nodes' model"));
        sb.append(String.format(
                "  %-22s %s\n",
                "--redis-model NAME", "the cluster's model name, the nodes' redis-model (default bayes)"));
        sb.append(String.format("  %-22s %s\n", "-h, --help", "show this help"));
        sb.append("\nexit status: 0 all clean, 1 something found, 2 an error (an error wins over a finding)\n");
        return sb.toString();
    }

    /** A scanner option as given on the command line. */
    private record Choice(ScannerOption option, Optional<String> argument) {}

    /** The parsed command line; {@code redis}: the cluster whose learned counts {@code --bayes} models take in. */
    private record Parsed(
            List<Choice> scanners,
            List<String> targets,
            boolean json,
            boolean help,
            ScanSettings settings,
            Optional<String> redis,
            String redisModel) {}

    @Override
    public int run(List<String> args, Io io) throws UsageException, InterruptedException {
        Parsed parsed = parse(args);
        if (parsed.help()) {
            io.out().print(usage());
            return EXIT_OK;
        }
        // One private directory for what the scan writes to disk: a message from standard input past the memory
        // threshold, the copies command-line scanners give their programs. A scan stopped by a signal (Ctrl-C, SIGTERM
        // from a timeout) left them in /tmp, and the scanner programs running; the hook stops both.
        // A scan killed outright (kill -9, the OOM killer) cannot run the hook: its directory stays, unlocked, and the
        // next scan deletes it.
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        LockedDirectory work;
        try {
            work = LockedDirectory.create(tmp, WORK_PREFIX);
        } catch (IOException e) {
            io.err().println("hygiene scan: cannot make a temporary directory: " + IoErrors.describe(e));
            return EXIT_ERROR;
        }
        LockedDirectory.deleteAbandoned(tmp, WORK_PREFIX, ABANDONED_AFTER);
        Thread cleanup = new Thread(() -> stopScannersAndDelete(work), "hygiene-scan-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            return run(parsed, parsed.settings().withWorkDirectory(work.path()), io);
        } finally {
            Closeables.closeQuietly(work);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook runs (or ran) anyway
            }
        }
    }

    /**
     * What the shutdown hook does when a scan is stopped: stops the programs of command-line scanners still running
     * (they would go on for their own time limit, reading a copy of the message) and deletes the work directory.
     */
    private static void stopScannersAndDelete(LockedDirectory work) {
        ProcessHandle.current().descendants().forEach(ProcessHandle::destroy);
        Closeables.closeQuietly(work);
    }

    private int run(Parsed parsed, ScanSettings settings, Io io) throws UsageException, InterruptedException {
        List<Scanner> scanners = new ArrayList<>();
        try {
            Map<ScannerOption, List<Optional<String>>> byOption = new LinkedHashMap<>();
            for (Choice c : parsed.scanners()) {
                byOption.computeIfAbsent(c.option(), o -> new ArrayList<>()).add(c.argument());
            }
            Map<String, String> flagByName = new LinkedHashMap<>();
            for (Map.Entry<ScannerOption, List<Optional<String>>> e : byOption.entrySet()) {
                String flag = e.getKey().flag();
                List<Scanner> created = e.getKey() instanceof BuiltinScannerOption builtin
                        ? builtin.createBeside(e.getValue(), byOption.keySet(), settings)
                        : e.getKey() instanceof BayesScannerOption bayes
                                        && parsed.redis().isPresent()
                                ? bayes.createShared(
                                        e.getValue(), settings, parsed.redis().get(), parsed.redisModel())
                                : e.getKey().createAll(e.getValue(), settings);
                for (Scanner s : created) {
                    scanners.add(Objects.requireNonNull(s, flag));
                    String earlier = flagByName.putIfAbsent(s.name(), flag);
                    if (earlier != null && !earlier.equals(flag)) {
                        throw new UsageException(earlier + " and " + flag + " both add the scanner '" + s.name()
                                + "': give only one of them");
                    }
                }
            }
            ScanPipeline.Builder builder;
            try {
                builder = ScanPipeline.builder().scanners(scanners);
            } catch (IllegalArgumentException e) {
                // e.g. two scanners with the same name, which policy and statistics could not tell apart
                throw new UsageException(e.getMessage());
            }
            try (ScanPipeline pipeline = builder.build()) {
                int status = EXIT_OK;
                for (String target : parsed.targets()) {
                    status = Math.max(status, scanTarget(target, pipeline, parsed.json(), settings, io));
                }
                return status;
            }
        } finally {
            for (Scanner s : scanners) {
                if (s instanceof AutoCloseable closeable) {
                    try {
                        closeable.close();
                    } catch (Exception e) {
                        io.err().println("hygiene scan: closing scanner " + s.name() + " failed: " + e);
                    }
                }
            }
        }
    }

    private Parsed parse(List<String> args) throws UsageException {
        List<Choice> scanners = new ArrayList<>();
        List<String> targets = new ArrayList<>();
        boolean json = false;
        boolean brandCheck = true;
        boolean onlyFiles = false;
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (onlyFiles || a.equals(STDIN) || !a.startsWith("-")) {
                targets.add(a);
                continue;
            }
            switch (a) {
                case "--" -> onlyFiles = true;
                case "--json" -> json = true;
                case "--no-brand-check" -> brandCheck = false;
                case "-h", "--help" -> {
                    return new Parsed(
                            List.of(),
                            List.of(),
                            false,
                            true,
                            ScanSettings.DEFAULTS,
                            Optional.empty(),
                            SharedModelSync.DEFAULT_MODEL_NAME);
                }
                default -> {
                    int eq0 = a.indexOf('=');
                    String flag0 = eq0 < 0 ? a : a.substring(0, eq0);
                    if (VALUE_FLAGS.contains(flag0)) {
                        String v;
                        if (eq0 >= 0) {
                            v = a.substring(eq0 + 1);
                        } else if (i + 1 < args.size()) {
                            v = args.get(++i);
                        } else {
                            throw new UsageException(flag0 + " needs a value");
                        }
                        if (values.put(flag0, v) != null) {
                            throw new UsageException(flag0 + " is given twice");
                        }
                        continue;
                    }
                    int eq = a.indexOf('=');
                    String flag = eq < 0 ? a : a.substring(0, eq);
                    ScannerOption option = options.stream()
                            .filter(o -> o.flag().equals(flag))
                            .findFirst()
                            .orElseThrow(() -> new UsageException("unknown option " + flag));
                    Optional<String> value;
                    if (option.argumentName().isEmpty()) {
                        if (eq >= 0) {
                            throw new UsageException(flag + " takes no argument");
                        }
                        value = Optional.empty();
                    } else if (eq >= 0) {
                        value = Optional.of(a.substring(eq + 1));
                    } else if (i + 1 < args.size()) {
                        value = Optional.of(args.get(++i));
                    } else {
                        throw new UsageException(flag + " needs an argument "
                                + option.argumentName().get());
                    }
                    if (value.isPresent() && value.get().isBlank()) {
                        throw new UsageException(flag + " needs a non-empty "
                                + option.argumentName().get());
                    }
                    Choice choice = new Choice(option, value);
                    if (scanners.contains(choice)) {
                        throw new UsageException(a + " is given twice");
                    }
                    scanners.add(choice);
                }
            }
        }
        if (scanners.isEmpty()) {
            throw new UsageException("choose at least one scanner: "
                    + String.join(
                            ", ", options.stream().map(ScannerOption::flag).toList()));
        }
        if (targets.isEmpty()) {
            throw new UsageException("no files given (use - to read a message from standard input)");
        }
        if (targets.stream().filter(STDIN::equals).count() > 1) {
            throw new UsageException("- (standard input) can be given only once");
        }
        ScanSettings settings = new ScanSettings(
                values.containsKey("--dns")
                        ? Optional.of(ScanSettings.parseIpPort("--dns", values.get("--dns")))
                        : Optional.empty(),
                values.containsKey("--client-ip")
                        ? Optional.of(ScanSettings.parseIp("--client-ip", values.get("--client-ip")))
                        : Optional.empty(),
                Optional.ofNullable(values.get("--helo")),
                Optional.ofNullable(values.get("--mail-from")),
                values.containsKey("--local-domains")
                        ? ScanSettings.parseDomains("--local-domains", values.get("--local-domains"))
                        : List.of(),
                brandCheck);
        if (!settings.localDomains().isEmpty()
                && scanners.stream().noneMatch(c -> c.option() instanceof BayesScannerOption)) {
            throw new UsageException("--local-domains goes with --bayes (e.g. --builtin --bayes default --local-domains"
                    + " example.org)");
        }
        if (!brandCheck
                && scanners.stream()
                        .noneMatch(c -> c.option() instanceof BayesScannerOption
                                || c.option() instanceof BuiltinScannerOption)) {
            throw new UsageException("--no-brand-check goes with --bayes or --builtin (their classifier)");
        }
        for (String v : values.values()) {
            if (v.indexOf('\r') >= 0 || v.indexOf('\n') >= 0) {
                throw new UsageException("option values must not contain line breaks");
            }
        }
        // --redis-model alone is named first: "--redis goes with --bayes" named a flag that was not given
        if (values.containsKey("--redis-model") && !values.containsKey("--redis")) {
            throw new UsageException("--redis-model goes with --redis");
        }
        if (values.containsKey("--redis")
                && scanners.stream().noneMatch(c -> c.option() instanceof BayesScannerOption)) {
            throw new UsageException("--redis goes with --bayes (the classifier's model, e.g. --bayes default --redis"
                    + " redis://10.0.0.5:6379/0)");
        }
        String redisModel = values.getOrDefault("--redis-model", SharedModelSync.DEFAULT_MODEL_NAME);
        if (redisModel.isBlank()) {
            throw new UsageException("--redis-model needs a name");
        }
        return new Parsed(
                List.copyOf(scanners),
                List.copyOf(targets),
                json,
                false,
                settings,
                Optional.ofNullable(values.get("--redis")),
                redisModel);
    }

    private int scanTarget(String target, ScanPipeline pipeline, boolean json, ScanSettings settings, Io io)
            throws InterruptedException {
        if (target.equals(STDIN)) {
            Optional<String> closed = io.in() == System.in ? closedStandardInput() : Optional.empty();
            if (closed.isPresent()) {
                return print(FileReport.unreadable(STDIN_NAME, closed.get()), json, io);
            }
            SpooledContent content;
            try {
                // past the threshold into the scan's work directory, removed however the scan ends (see run)
                content = SpooledContent.spool(
                        io.in(),
                        STDIN_MEMORY_THRESHOLD,
                        settings.workDirectory().orElse(null));
            } catch (IOException e) {
                return print(
                        FileReport.unreadable(STDIN_NAME, "cannot read standard input: " + e.getMessage()), json, io);
            }
            try (content) {
                warnIfSeveral(content, io);
                return scanContent(STDIN_NAME, content, pipeline, json, settings, io);
            }
        }
        Path path;
        try {
            path = Path.of(target);
        } catch (InvalidPathException e) {
            return print(FileReport.unreadable(target, "invalid file name: " + e.getReason()), json, io);
        }
        if (Files.isDirectory(path)) {
            return scanDirectory(target, path, pipeline, json, settings, io);
        }
        return scanFile(target, path, pipeline, json, settings, io);
    }

    /**
     * Why standard input cannot be read as a message although {@code System.in} reads bytes: started with file
     * descriptor 0 closed ({@code hygiene scan - <&-}, a daemon's child), the Java runtime opens its own files at the
     * lowest free descriptor, so {@code System.in} reads the runtime's module image, a message of some 20,000 tokens
     * that every scanner called clean. On Linux, descriptor 0 naming a file under {@code java.home} is that case;
     * elsewhere, or when {@code /proc} cannot tell, nothing is said.
     */
    static Optional<String> closedStandardInput() {
        Path target;
        try {
            target = Files.readSymbolicLink(Path.of("/proc/self/fd/0"));
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return Optional.empty();
        }
        return closedStandardInput(target, Path.of(System.getProperty("java.home")));
    }

    /**
     * {@link #closedStandardInput()} for a given descriptor target and runtime directory.
     *
     * @param fd0 what {@code /proc/self/fd/0} links to
     * @param javaHome the runtime's {@code java.home}
     * @return the reason standard input is not a message, or empty
     */
    static Optional<String> closedStandardInput(Path fd0, Path javaHome) {
        Path home = javaHome.toAbsolutePath().normalize();
        try {
            home = home.toRealPath();
        } catch (IOException e) {
            // compare with the path as given
        }
        return fd0.isAbsolute() && fd0.normalize().startsWith(home)
                ? Optional.of("standard input is closed (file descriptor 0 is the Java runtime's own " + fd0 + ")")
                : Optional.empty();
    }

    private int scanDirectory(
            String target, Path dir, ScanPipeline pipeline, boolean json, ScanSettings settings, Io io)
            throws InterruptedException {
        List<Entry> entries = new ArrayList<>();
        try {
            // the directory named is listed even when the name is a symbolic link: the user asked for what it holds
            listTree(dir, entries);
        } catch (IOException e) {
            return print(FileReport.unreadable(target, "cannot list directory: " + reason(e)), json, io);
        }
        if (entries.isEmpty()) {
            // nothing on standard output and exit 0 looked like a scan that found all clean (a wrong directory, a
            // Maildir whose mail was moved): said on standard error, the status stays 0 (nothing was found)
            io.err().println("hygiene scan: " + target + ": no files in it, nothing scanned");
            return EXIT_OK;
        }
        entries.sort(java.util.Comparator.comparing(Entry::path));
        int status = EXIT_OK;
        for (Entry e : entries) {
            int s = e.problem() == null
                    ? scanFile(e.path().toString(), e.path(), pipeline, json, settings, io)
                    : print(FileReport.unreadable(e.path().toString(), e.problem()), json, io);
            status = Math.max(status, s);
        }
        return status;
    }

    /** A directory entry to scan, or one that cannot be scanned with the reason ({@code problem} not null). */
    private record Entry(Path path, String problem) {}

    /**
     * Lists every entry of {@code dir} but a directory, recursively. A subdirectory that cannot be listed is an entry
     * with its reason; so is a symbolic link to a directory, which is not followed (it may lead out of the tree or
     * back into it) but never skipped in silence: what it holds was not scanned. A broken link or a FIFO is listed
     * and reported by {@link #scanFile} as it is when named.
     */
    private static void listTree(Path dir, List<Entry> out) throws IOException {
        try (java.nio.file.DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
            for (Path p : children) {
                if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    try {
                        listTree(p, out);
                    } catch (IOException e) {
                        out.add(new Entry(p, "cannot list directory: " + reason(e)));
                    }
                } else if (Files.isSymbolicLink(p) && Files.isDirectory(p)) {
                    out.add(new Entry(p, "symbolic link to a directory, not followed (name it to scan what it holds)"));
                } else {
                    out.add(new Entry(p, null));
                }
            }
        } catch (java.nio.file.DirectoryIteratorException e) {
            throw e.getCause();
        }
    }

    private int scanFile(String display, Path path, ScanPipeline pipeline, boolean json, ScanSettings settings, Io io)
            throws InterruptedException {
        java.nio.file.attribute.BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return print(FileReport.unreadable(display, missing(path)), json, io);
        } catch (IOException e) {
            // a directory on the way that may not be searched, a loop of symbolic links: not "no such file"
            return print(FileReport.unreadable(display, reason(e)), json, io);
        }
        if (!attributes.isRegularFile()) {
            return print(FileReport.unreadable(display, "not a regular file"), json, io);
        }
        if (!Files.isReadable(path)) {
            return print(FileReport.unreadable(display, "permission denied"), json, io);
        }
        try {
            if (MailSources.startsWithFromLine(path)) {
                OptionalInt status = scanMbox(display, path, pipeline, json, settings, io);
                if (status.isPresent()) {
                    return status.getAsInt();
                }
            }
        } catch (IOException e) {
            return print(FileReport.unreadable(display, reason(e)), json, io);
        }
        MessageContent content;
        try {
            content = MessageContent.ofFile(path);
        } catch (IOException e) {
            return print(FileReport.unreadable(display, reason(e)), json, io);
        }
        return scanContent(display, content, pipeline, json, settings, io);
    }

    /**
     * Says on standard error when standard input reads as an mbox of several messages; it is scanned as one message all
     * the same. A mail delivery program piping one message in (Postfix's {@code pipe} with {@code flags=F}, procmail)
     * writes an envelope line first and does not escape {@code From } lines in the body, so splitting standard input
     * would let a sender cut his own message in two (an attachment's header in one part, its content in the next; the
     * spam after a forged bounce in the other); an mbox file is scanned message by message.
     */
    private static void warnIfSeveral(MessageContent content, Io io) {
        try (java.io.InputStream in = content.openStream()) {
            long n = MailSources.messagesIn(in); // reads past the first bytes only for an mbox
            if (n > 1) {
                io.err()
                        .println("hygiene scan: standard input reads as an mbox of " + n + " messages; scanned as one"
                                + " message (give an mbox as a FILE to scan it message by message)");
            }
        } catch (IOException e) {
            // the scan reads it again and reports the error
        }
    }

    /** An interruption carried out of a {@link MailSources.Visitor}, which may only throw I/O errors. */
    private static final class Interrupted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Interrupted(InterruptedException cause) {
            super(cause);
        }
    }

    /**
     * An mbox file of several messages, scanned message by message in one reading of the file, each reported as
     * {@code FILE#N} (N from 1, in the file's order; a message too large to read is an error line of its own): one
     * verdict for a whole mailbox would pool the tokens of unrelated messages and name no message. The first message
     * waits until a second shows the file holds several; with fewer, nothing is printed and the result is empty, and
     * the file is scanned whole as any other.
     */
    private OptionalInt scanMbox(
            String display, Path path, ScanPipeline pipeline, boolean json, ScanSettings settings, Io io)
            throws InterruptedException {
        int[] status = {EXIT_OK};
        long[] n = {0};
        Object[] first = {null}; // the first message's bytes, or the reason it was skipped, until a second comes
        MailSources.Visitor each = new MailSources.Visitor() {
            @Override
            public void message(String id, byte[] message) {
                next(message);
            }

            @Override
            public void skipped(String id, String reason) {
                next(reason);
            }

            private void next(Object item) {
                if (++n[0] == 1) {
                    first[0] = item;
                    return;
                }
                if (n[0] == 2) {
                    report(1, first[0]);
                    first[0] = null;
                }
                report(n[0], item);
            }

            private void report(long number, Object item) {
                String name = display + "#" + number;
                try {
                    int s = item instanceof byte[] bytes
                            ? scanContent(name, MessageContent.ofBytes(bytes), pipeline, json, settings, io)
                            : print(FileReport.unreadable(name, (String) item), json, io);
                    status[0] = Math.max(status[0], s);
                } catch (InterruptedException e) {
                    throw new Interrupted(e);
                }
            }
        };
        try {
            MailSources.forEach(path, each);
        } catch (Interrupted e) {
            throw (InterruptedException) e.getCause();
        } catch (IOException e) {
            if (n[0] < 2) {
                return OptionalInt.of(print(FileReport.unreadable(display, reason(e)), json, io));
            }
            status[0] = Math.max(
                    status[0],
                    print(
                            FileReport.unreadable(display + "#" + (n[0] + 1), "cannot read the mbox: " + reason(e)),
                            json,
                            io));
        }
        if (n[0] == 1 && MailSources.EMPTY_MESSAGE.equals(first[0])) {
            // an envelope line and nothing else (or empty lines): scanned whole, the scanners called that line clean
            return OptionalInt.of(print(FileReport.unreadable(display, EMPTY), json, io));
        }
        return n[0] < 2 ? OptionalInt.empty() : OptionalInt.of(status[0]);
    }

    private int scanContent(
            String display, MessageContent content, ScanPipeline pipeline, boolean json, ScanSettings settings, Io io)
            throws InterruptedException {
        if (content.size() == 0) {
            // as hygiene learn, train and eval call it: no header, no body, nothing a scanner could call clean
            return print(FileReport.unreadable(display, EMPTY), json, io);
        }
        Optional<String> compressed;
        try (java.io.InputStream in = content.openStream()) {
            compressed = MailSources.compression(in.readNBytes(8));
        } catch (IOException e) {
            return print(FileReport.unreadable(display, reason(e)), json, io);
        }
        if (compressed.isPresent()) {
            // a compressed mailbox: every scanner but clamd read binary bytes and called them clean
            return print(
                    FileReport.unreadable(
                            display,
                            compressed.get() + "-compressed, not a message (decompress it first: zcat, bzcat, xzcat"
                                    + " or zstdcat into a file, then scan that)"),
                    json,
                    io);
        }
        Message message = Message.of(content);
        if (settings.clientIp().isPresent()
                || settings.helo().isPresent()
                || settings.mailFrom().isPresent()) {
            try {
                message = new Message(
                        new Envelope(
                                settings.clientIp(),
                                settings.helo(),
                                settings.mailFrom().orElse(Envelope.NULL_SENDER),
                                List.of(),
                                java.time.Instant.now()),
                        content);
            } catch (IllegalArgumentException e) {
                return print(FileReport.unreadable(display, e.getMessage()), json, io);
            }
        }
        ScanReport report = pipeline.scan(message);
        FileReport fr = new FileReport(
                display, report.results(), Optional.of(report.disposition().action()), Optional.empty());
        return print(fr, json, io);
    }

    private static int print(FileReport report, boolean json, Io io) {
        if (json) {
            io.out().println(report.json());
        } else {
            report.lines().forEach(io.out()::println);
            report.notes().forEach(io.err()::println);
        }
        return report.status();
    }

    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            if (f.getReason().startsWith("Too many levels of symbolic links")) {
                // ELOOP; the JDK adds "or unable to access attributes of symbolic link"
                return LINK_LOOP;
            }
            return f.getReason(); // the system's words, without the path the message repeats
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * Why a path that does not exist cannot be scanned: a broken symbolic link, or a name that the runtime could not
     * take from the command line as given (bytes that are not valid in the locale's encoding arrive as U+FFFD, and no
     * file has that name), or no such file.
     */
    static String missing(Path path) {
        if (Files.isSymbolicLink(path)) {
            return "broken symbolic link (its target does not exist)";
        }
        if (path.toString().indexOf('\uFFFD') >= 0) {
            return "no such file (the name as given holds bytes that are not valid "
                    + System.getProperty("sun.jnu.encoding", "in the locale's encoding")
                    + ", which Java cannot pass on; name the directory that holds the file to scan it)";
        }
        return "no such file";
    }
}
