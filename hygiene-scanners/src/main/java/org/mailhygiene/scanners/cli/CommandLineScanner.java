package org.mailhygiene.scanners.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.mailhygiene.api.Health;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.internal.Checks;
import org.mailhygiene.internal.Durations;
import org.mailhygiene.internal.IoErrors;
import org.mailhygiene.internal.LockedDirectory;
import org.mailhygiene.internal.ThreatNames;
import org.mailhygiene.scanners.builtin.SignatureScanner;
import org.mailhygiene.scanners.clamd.ClamdScanReply;
import org.mailhygiene.scanners.mime.MimeWalker;
import org.mailhygiene.scanners.update.CommandStep;
import org.mailhygiene.scanners.update.UpdateStep;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scans messages by running a command-line virus scanner described by a {@link CommandProfile}.
 *
 * <h2>What one scan does</h2>
 * <ol>
 *   <li>Waits for a process slot: at most {@link Builder#maxConcurrentProcesses(int)} scanner processes run at once
 *       (a fair {@link Semaphore}, which several scanners may share through {@link Builder#processLimit(Semaphore)}).
 *       No slot within {@link Builder#queueTimeout(Duration)}: a {@link ScanFailure.Kind#TIMED_OUT} failure.
 *   <li>Creates a private directory (owner-only, {@code rwx------}) under {@link Builder#temporaryDirectory(Path)}
 *       holding {@code in/} (the input files), {@code quarantine/} and {@code scratch/}. Input files are
 *       {@code rw-------} and have generated names ({@code message.eml}, {@code part-N.ext} with a sanitised extension
 *       of at most ten letters and digits): names from the message (attachment file names with spaces, leading
 *       dashes, newlines, non-ASCII) never reach the file system or the argument list. Every path passed is absolute,
 *       so no argument built from a path starts with {@code -}.
 *   <li>Writes the input: the raw message ({@link InputMode#MESSAGE}), or the raw message plus each decoded MIME leaf
 *       part ({@link InputMode#PARTS}).
 *   <li>Runs the program with the expanded argument list, never through a shell, with stdin closed, stderr merged
 *       into stdout and the inherited environment plus {@link Builder#environment(String, String)}. At most
 *       {@link Builder#maxOutputBytes(int)} bytes of output are kept; the rest is read and discarded. Output in
 *       UTF-16 (a scanner from Windows; a zero byte in every other place, with or without a byte order mark) is read
 *       as UTF-16; other output line by line as UTF-8, a line that is not valid UTF-8 as ISO-8859-1 (a scanner
 *       running in a Latin-1 locale), so a threat name keeps its letters
 *       ({@link org.mailhygiene.scanners.mime.TextDecoding#decodeReportLines}).
 *   <li>After {@link Builder#timeout(Duration)} the whole process tree is killed (every descendant, then the
 *       program; {@link ProcessHandle#descendants()}) and the scan fails with {@link ScanFailure.Kind#TIMED_OUT}. An
 *       interrupted caller also kills the tree, then gets {@link InterruptedException}. Processes that escaped the
 *       tree by double-forking are found too (on Linux): every run puts a unique {@code MAILHYGIENE_RUN_ID} variable
 *       into the program's environment, and processes still carrying it are killed after every run: after a
 *       timeout, an interrupt or a normal exit, whether or not they keep the output open. Nothing a scan starts
 *       outlives it (a scanner that needs a resident helper must start it outside the scan). The output pipe is
 *       closed and its reader stopped in every case.
 *   <li>Removes the private directory, also after a timeout, a crash of the scanner or an adapter failure. (A crash
 *       of this JVM itself can leave it behind.)
 * </ol>
 *
 * <h2>From exit status and output to a result</h2>
 * The profile's exit-status table classifies the status ({@link CommandProfile#classify(int)}); names are parsed with
 * the profile's patterns.
 * <ul>
 *   <li>{@link ExitClass#CLEAN}: a clean verdict; but if the output names a threat, an infected verdict (the scanner
 *       said so in words); and if the output was cut at the cap, a {@link ScanFailure.Kind#PROTOCOL_ERROR} failure,
 *       since a name may have been in the part not read.
 *   <li>{@link ExitClass#INFECTED}: an infected verdict with the names; no parsable name: a
 *       {@link ScanFailure.Kind#PROTOCOL_ERROR} failure (never clean).
 *   <li>{@link ExitClass#SUSPICIOUS}: a suspicious verdict with a rule {@code exit-N} and any names.
 *   <li>{@link ExitClass#UNSCANNABLE}: a {@link ScanFailure.Kind#UNSCANNABLE} failure (policy decides).
 *   <li>A name starting {@code Heuristics.Limits.Exceeded} is ClamAV saying it stopped at a scan limit
 *       ({@code clamscan --alert-exceeds-max}, clamd's {@code AlertExceedsMax}), not a threat: with no other name, a
 *       clean or infected exit status is a {@link ScanFailure.Kind#UNSCANNABLE} failure (as {@code ClamdScanner}
 *       reports it); beside a real threat it is left out of the verdict.
 *   <li>{@link ExitClass#ERROR}, and any status the table does not cover (including death by a signal): a
 *       {@link ScanFailure.Kind#SCANNER_ERROR} failure with the status, its meaning and the first output line. An
 *       uncovered status of 129 to 192 is 128 plus a signal number, which is how the operating system reports a
 *       program killed by a signal (a scanner that crashed, or was killed by an administrator or the OOM killer): the
 *       detail says so, e.g. {@code exit status 137 (unknown exit status; 128 + 9, as when killed by signal 9,
 *       SIGKILL)}.
 *   <li>The program cannot be started (missing, not executable): {@link ScanFailure.Kind#UNAVAILABLE}. The input
 *       cannot be written: {@link ScanFailure.Kind#SCANNER_ERROR}. MIME limits hit while writing parts:
 *       {@link ScanFailure.Kind#TOO_LARGE}.
 * </ul>
 * Infected verdicts carry a rule {@code exit-N} and, per hit, a rule named after the threat whose description says
 * which input it was found in (e.g. {@code in attachment "invoice.zip" (part 2)}).
 *
 * <h2>Signature updates</h2>
 * {@link #updateStep(boolean)} turns the profile's update command into an {@link UpdateStep} for a
 * {@link org.mailhygiene.scanners.update.SignatureUpdateScheduler} (hourly with jitter by default, never overlapping,
 * each run reported to the listener). An exclusive step, and {@link #exclusive(UpdateStep, Duration)} around any step,
 * runs while no scan process of this scanner runs: scans started meanwhile wait up to their queue timeout. This is the
 * scanner lock MailScanner's Vexira updater takes around the signature swap (protocols.md §3.3). {@code freshclam}
 * replaces its databases atomically, so the ClamAV profiles need no exclusion. Verdicts are not cached unless
 * {@link Builder#cacheVerdicts(boolean)} is set; then each successful update step run through this scanner changes
 * its {@link #cacheIdentity()}.
 *
 * <p>Thread-safe: one instance serves concurrent scans.
 */
public final class CommandLineScanner implements Scanner {
    private static final Logger LOG = LoggerFactory.getLogger(CommandLineScanner.class);

    /** Default process time limit: 120 s, above vascan's own {@code --timeout=60}. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);
    /** Default wait for a process slot: 30 s. */
    public static final Duration DEFAULT_QUEUE_TIMEOUT = Duration.ofSeconds(30);
    /** Default cap on output kept per scan: 1 MiB. */
    public static final int DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;

    /** How the private directories of scans start their names. */
    static final String PRIVATE_DIRECTORY_PREFIX = "mailhygiene-cli-";

    private static final FileAttribute<Set<PosixFilePermission>> DIR_PERMS =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final FileAttribute<Set<PosixFilePermission>> FILE_PERMS =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private final CommandProfile profile;
    private final Duration timeout;
    private final Duration queueTimeout;
    private final int maxOutputBytes;
    private final Semaphore processes;
    private final Path temporaryDirectory;
    private final Map<String, String> environment;
    private final InputWriter inputWriter;
    private final ReadWriteLock signatureLock = new ReentrantReadWriteLock(true);
    private final boolean cacheVerdicts;
    private final AtomicLong signatureGeneration = new AtomicLong();
    private final String configurationDigest;

    private CommandLineScanner(Builder b) {
        this.profile = b.profile;
        this.timeout = b.timeout;
        this.queueTimeout = b.queueTimeout;
        this.maxOutputBytes = b.maxOutputBytes;
        this.processes = b.processLimit != null ? b.processLimit : new Semaphore(b.maxConcurrentProcesses, true);
        this.temporaryDirectory = b.temporaryDirectory;
        deleteAbandoned(temporaryDirectory);
        this.environment = Map.copyOf(b.environment);
        this.cacheVerdicts = b.cacheVerdicts;
        this.inputWriter = b.profile.input() == InputMode.PARTS ? new PartsWriter(b.mimeWalker) : InputWriter.message();
        this.configurationDigest = configurationDigest(profile, environment, b.mimeWalker, maxOutputBytes);
    }

    /**
     * A SHA-256 (hex) over everything that can change a verdict: the profile's program, arguments, input mode,
     * exit-status table (ranges, classes, meanings) and name patterns (with flags); the environment given on top of
     * the inherited one (sorted by name); the MIME walker's limits when parts are extracted ({@link InputMode#PARTS});
     * and the output cap. Each item is length-prefixed, so no two configurations share a description.
     */
    static String configurationDigest(
            CommandProfile profile, Map<String, String> environment, MimeWalker walker, int maxOutputBytes) {
        List<String> items = new ArrayList<>();
        items.add("command=" + profile.command());
        profile.arguments().forEach(a -> items.add("arg=" + a));
        items.add("input=" + profile.input());
        profile.exitStatuses()
                .forEach(r -> items.add("exit=" + r.from() + ".." + r.to() + ":" + r.exitClass() + ":" + r.meaning()));
        profile.namePatterns().forEach(p -> items.add("pattern=" + p.flags() + ":" + p.pattern()));
        new TreeMap<>(environment).forEach((k, v) -> items.add("env=" + k + "=" + v));
        if (profile.input() == InputMode.PARTS) {
            items.add("mime=depth:" + walker.maxDepth() + ",parts:" + walker.maxParts() + ",decoded:"
                    + walker.maxDecodedBytes());
        }
        items.add("maxOutput=" + maxOutputBytes);
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String item : items) {
                byte[] b = item.getBytes(StandardCharsets.UTF_8);
                md.update(ByteBuffer.allocate(4).putInt(b.length).array());
                md.update(b);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
    }

    /**
     * Starts a builder for a profile.
     *
     * @param profile the scanner description, e.g. {@link Profiles#vascan()}
     * @return a new builder with the documented defaults
     */
    public static Builder builder(CommandProfile profile) {
        return new Builder(profile);
    }

    /**
     * The profile's name.
     *
     * @return the name used in verdicts
     */
    @Override
    public String name() {
        return profile.name();
    }

    /**
     * The profile this scanner runs.
     *
     * @return the profile
     */
    public CommandProfile profile() {
        return profile;
    }

    /**
     * Reports {@link Health.Status#DOWN} when the program cannot be found or is not executable, otherwise
     * {@link Health.Status#UNKNOWN} (running a scan is the only real probe). Never throws.
     *
     * @return the probe result
     */
    @Override
    public Health health() {
        long t0 = System.nanoTime();
        boolean found = resolveCommand(profile.command()) != null;
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        return found
                ? new Health(Health.Status.UNKNOWN, "program " + profile.command() + " present; no probe", took)
                : Health.down("program " + profile.command() + " not found or not executable", took);
    }

    /**
     * Scans a message holding the EICAR test file (made at run time), for a configuration check before a start
     * ({@code hygiene relay --check}, {@code hygiene milter --check}): {@link #health()} only looks for the program, so
     * a profile pointed at the wrong program (one that exits 0 whatever it is given, or a scanner whose signatures do
     * not load) passed the check, and the node then called every message clean, or failed every scan. Runs the
     * program once, bounded by the scanner's own timeouts; thread-safe as {@link #scan} is.
     *
     * @return empty when the scanner finds the test file; otherwise what it did instead, in one line
     * @throws InterruptedException if interrupted while the program runs
     */
    public Optional<String> checkDetectsEicar() throws InterruptedException {
        byte[] eicar = SignatureScanner.eicarTestFile();
        byte[] head = ("From: check@localhost\r\nTo: check@localhost\r\nSubject: EICAR test file\r\n"
                        + "Message-ID: <eicar-check@localhost>\r\nMIME-Version: 1.0\r\n"
                        + "Content-Type: text/plain; charset=us-ascii\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] message = new byte[head.length + eicar.length + 2];
        System.arraycopy(head, 0, message, 0, head.length);
        System.arraycopy(eicar, 0, message, head.length, eicar.length);
        message[message.length - 2] = '\r';
        message[message.length - 1] = '\n';
        try {
            Verdict v = scan(Message.of(message));
            if (v.outcome() == Outcome.INFECTED) {
                return Optional.empty();
            }
            return Optional.of(profile.command() + " called a message holding the EICAR test file "
                    + v.outcome().name().toLowerCase(java.util.Locale.ROOT)
                    + ": the node would pass viruses the same way (is it the program the " + profile.name()
                    + " profile expects, and does it load its signatures?)");
        } catch (ScanException e) {
            return Optional.of(profile.command() + " failed on a message holding the EICAR test file (" + e.getMessage()
                    + "): every scan would fail the same way");
        }
    }

    /**
     * Empty (never cache) unless {@link Builder#cacheVerdicts(boolean)} was set; then the profile's name and program,
     * a SHA-256 digest of everything else that can change a verdict (arguments, input mode, the exit-status table, the
     * name patterns, the {@link Builder#environment(String, String) environment} given to the process, the
     * {@link Builder#mimeWalker MIME walker}'s limits for {@link InputMode#PARTS}, the output cap, the bound on threat names), and a signature
     * generation that each successful {@link #updateStep(boolean)} or {@link #exclusive(UpdateStep, Duration)} run
     * increments, so cached verdicts end with an update run through this scanner. Updates made behind its back (a
     * cron job) are not seen: use the cache's expiry for those.
     *
     * @return the cache identity, or empty
     */
    @Override
    public Optional<String> cacheIdentity() {
        if (!cacheVerdicts) {
            return Optional.empty();
        }
        return Optional.of("cli:" + profile.name() + ":" + profile.command() + ":config=" + configurationDigest
                + ":names=" + ThreatNames.VERSION + ":generation=" + signatureGeneration.get());
    }

    /**
     * Scans a message as described in the class documentation.
     *
     * @param message the message
     * @return the verdict
     * @throws ScanException for every failure listed in the class documentation
     * @throws InterruptedException if interrupted; the scanner's process tree is killed first
     */
    @Override
    public Verdict scan(Message message) throws ScanException, InterruptedException {
        Objects.requireNonNull(message, "message");
        long t0 = System.nanoTime();
        if (!processes.tryAcquire(queueTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
            throw failure(
                    ScanFailure.Kind.TIMED_OUT,
                    "no free scanner process slot within " + Durations.format(queueTimeout),
                    t0,
                    null);
        }
        try {
            if (!signatureLock.readLock().tryLock(queueTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw failure(
                        ScanFailure.Kind.TIMED_OUT,
                        "signature update still running after " + Durations.format(queueTimeout),
                        t0,
                        null);
            }
            try {
                return scanLocked(message, t0);
            } finally {
                signatureLock.readLock().unlock();
            }
        } finally {
            processes.release();
        }
    }

    private Verdict scanLocked(Message message, long t0) throws ScanException, InterruptedException {
        LockedDirectory locked = null;
        Path work;
        try {
            locked = createPrivateDirectory(temporaryDirectory);
            work = locked.path().toRealPath();
        } catch (IOException e) {
            if (locked != null) {
                deleteRecursively(locked); // made but not usable: neither it nor its lock stays behind
            }
            throw failure(
                    ScanFailure.Kind.SCANNER_ERROR,
                    "cannot create a private directory in " + temporaryDirectory + ": " + IoErrors.describe(e),
                    t0,
                    e);
        }
        try {
            Path in = Files.createDirectory(work.resolve("in"), DIR_PERMS);
            Path quarantine = Files.createDirectory(work.resolve("quarantine"), DIR_PERMS);
            Path scratch = Files.createDirectory(work.resolve("scratch"), DIR_PERMS);
            List<InputFile> inputs;
            try {
                inputs = inputWriter.write(message, in);
            } catch (InputWriter.LimitException e) {
                throw failure(ScanFailure.Kind.TOO_LARGE, e.getMessage(), t0, e);
            }
            List<String> argv = expand(in, quarantine, scratch, inputs);
            ProcessRunner.Result result;
            try {
                result = ProcessRunner.run(argv, work, environment, timeout, maxOutputBytes);
            } catch (ProcessRunner.TimedOut e) {
                throw failure(ScanFailure.Kind.TIMED_OUT, profile.command() + ": " + e.getMessage(), t0, e);
            } catch (IOException e) {
                throw failure(
                        ScanFailure.Kind.UNAVAILABLE,
                        "cannot start " + profile.command() + ": " + e.getMessage(),
                        t0,
                        e);
            }
            return interpret(result, work, inputs, t0);
        } catch (IOException e) {
            throw failure(ScanFailure.Kind.SCANNER_ERROR, "cannot write the scanner's input: " + e.getMessage(), t0, e);
        } finally {
            deleteRecursively(locked);
        }
    }

    private List<String> expand(Path in, Path quarantine, Path scratch, List<InputFile> inputs) {
        List<String> argv = new ArrayList<>();
        argv.add(profile.command());
        for (String a : profile.arguments()) {
            if (a.equals(CommandProfile.FILES)) {
                inputs.forEach(f -> argv.add(f.path().toString()));
            } else {
                argv.add(a.replace(CommandProfile.DIR, in.toString())
                        .replace(CommandProfile.QUARANTINE, quarantine.toString())
                        .replace(CommandProfile.SCRATCH, scratch.toString()));
            }
        }
        return argv;
    }

    private Verdict interpret(ProcessRunner.Result r, Path work, List<InputFile> inputs, long t0) throws ScanException {
        // UTF-16 when its zero bytes say so (a scanner from Windows); else per line: UTF-8 where valid, else
        // ISO-8859-1 (a scanner in a Latin-1 locale; output cut mid-character)
        String output = ScannerOutput.decode(r.output());
        Map<String, String> labels = new LinkedHashMap<>();
        inputs.forEach(f -> labels.put(f.path().getFileName().toString(), f.label()));
        List<OutputParser.Hit> found = OutputParser.parse(output, profile.namePatterns(), work.toString(), labels);
        // ClamAV's "scan limit hit" pseudo-threats (--alert-exceeds-max, clamd's AlertExceedsMax) are not threats
        List<OutputParser.Hit> limits =
                found.stream().filter(h -> isLimitHit(h.name())).toList();
        List<OutputParser.Hit> hits =
                found.stream().filter(h -> !isLimitHit(h.name())).toList();
        Set<String> names = new LinkedHashSet<>();
        hits.forEach(h -> names.add(h.name()));
        int status = r.exitStatus();
        ExitStatusRule rule = profile.classify(status).orElse(null);
        String meaning = rule == null ? "unknown exit status" + signalHint(status) : rule.meaning();
        ExitClass cls = rule == null ? ExitClass.ERROR : rule.exitClass();
        String what = "exit status " + status + " (" + meaning + ")";
        if (names.isEmpty() && !limits.isEmpty() && (cls == ExitClass.CLEAN || cls == ExitClass.INFECTED)) {
            throw failure(
                    ScanFailure.Kind.UNSCANNABLE,
                    what + " but the scanner hit a scan limit ("
                            + attributed(limits).strip() + "); not fully scanned",
                    t0,
                    null);
        }
        switch (cls) {
            case CLEAN:
                if (!names.isEmpty()) {
                    return verdict(Outcome.INFECTED, names, hits, status, meaning, t0);
                }
                if (r.truncated()) {
                    throw failure(
                            ScanFailure.Kind.PROTOCOL_ERROR,
                            what + " but the output (" + r.outputBytes() + " bytes) exceeded the " + maxOutputBytes
                                    + "-byte cap, so it could not be checked",
                            t0,
                            null);
                }
                if (!profile.cleanPatterns().isEmpty()) {
                    Set<String> confirmed = OutputParser.confirmed(output, profile.cleanPatterns(), labels);
                    for (Map.Entry<String, String> f : labels.entrySet()) {
                        if (!confirmed.contains(f.getKey())) {
                            throw failure(
                                    ScanFailure.Kind.PROTOCOL_ERROR,
                                    what + " but no output line says " + f.getValue() + " was scanned"
                                            + firstLine(output),
                                    t0,
                                    null);
                        }
                    }
                }
                return Verdict.clean(name(), elapsed(t0));
            case INFECTED:
                if (names.isEmpty()) {
                    throw failure(
                            ScanFailure.Kind.PROTOCOL_ERROR,
                            what + " but no threat name in the output" + firstLine(output),
                            t0,
                            null);
                }
                return verdict(Outcome.INFECTED, names, hits, status, meaning, t0);
            case SUSPICIOUS:
                return verdict(Outcome.SUSPICIOUS, names, hits, status, meaning, t0);
            case UNSCANNABLE:
                throw failure(ScanFailure.Kind.UNSCANNABLE, what + attributed(hits) + firstLine(output), t0, null);
            case ERROR:
            default:
                throw failure(ScanFailure.Kind.SCANNER_ERROR, what + firstLine(output), t0, null);
        }
    }

    /** Signal names by number (Linux), for the statuses a killed program exits with. */
    private static final Map<Integer, String> SIGNALS = Map.ofEntries(
            Map.entry(1, "SIGHUP"),
            Map.entry(2, "SIGINT"),
            Map.entry(3, "SIGQUIT"),
            Map.entry(4, "SIGILL"),
            Map.entry(6, "SIGABRT"),
            Map.entry(7, "SIGBUS"),
            Map.entry(8, "SIGFPE"),
            Map.entry(9, "SIGKILL"),
            Map.entry(11, "SIGSEGV"),
            Map.entry(13, "SIGPIPE"),
            Map.entry(14, "SIGALRM"),
            Map.entry(15, "SIGTERM"));

    /**
     * For a status the profile does not cover: what it means when it is 128 plus a signal number (the status the JDK
     * reports for a program killed by that signal), else nothing.
     */
    static String signalHint(int status) {
        int signal = status - 128;
        if (signal < 1 || signal > 64) {
            return "";
        }
        String name = SIGNALS.get(signal);
        return "; 128 + " + signal + ", as when killed by signal " + signal + (name == null ? "" : ", " + name);
    }

    private Verdict verdict(
            Outcome outcome, Set<String> names, List<OutputParser.Hit> hits, int status, String meaning, long t0) {
        // At most ThreatNames.MAX_COUNT names and attributions: an output of tens of thousands of names went whole into
        // the verdict (and every header, log line and statistics key) until session 51
        Verdict.Builder v = Verdict.builder(name(), outcome).threats(ThreatNames.kept(names));
        v.rule(new Rule("exit-" + status, OptionalDouble.empty(), meaning));
        for (OutputParser.Hit h : hits.subList(0, Math.min(hits.size(), ThreatNames.MAX_COUNT))) {
            h.file().ifPresent(f -> v.rule(new Rule(h.name(), OptionalDouble.empty(), "in " + f)));
        }
        ThreatNames.omitted(names.size(), hits.size()).ifPresent(v::rule);
        return v.elapsed(elapsed(t0)).build();
    }

    /** Whether a threat name is ClamAV's report of a scan limit ({@code Heuristics.Limits.Exceeded.*}), not a threat.
     * */
    private static boolean isLimitHit(String name) {
        return name.startsWith(ClamdScanReply.LIMITS_EXCEEDED_PREFIX);
    }

    private static String attributed(List<OutputParser.Hit> hits) {
        return hits.isEmpty()
                ? ""
                : " " + hits.get(0).name()
                        + hits.get(0).file().map(f -> " in " + f).orElse("");
    }

    private static String firstLine(String output) {
        String t = output.strip();
        if (t.isEmpty()) {
            return "; no output";
        }
        int nl = t.indexOf('\n');
        String line = (nl < 0 ? t : t.substring(0, nl)).strip();
        if (line.length() > 200) {
            line = line.substring(0, 200) + "...";
        }
        return "; output: " + line;
    }

    private ScanException failure(ScanFailure.Kind kind, String detail, long t0, Throwable cause) {
        return new ScanException(new ScanFailure(name(), kind, detail, elapsed(t0)), cause);
    }

    private static Duration elapsed(long t0) {
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /**
     * The profile's update command as a step for a {@link org.mailhygiene.scanners.update.SignatureUpdateScheduler},
     * named {@code <profile>-update}. It runs the command without a shell, with the {@link CommandStep} defaults
     * (timeout {@link CommandStep#DEFAULT_TIMEOUT}, success on exit status 0).
     *
     * @param exclusive whether scans of this scanner are held back while the command runs (see the class
     *     documentation)
     * @return the step
     * @throws IllegalStateException if the profile has no update command
     */
    public UpdateStep updateStep(boolean exclusive) {
        if (profile.updateCommand().isEmpty()) {
            throw new IllegalStateException("profile " + profile.name()
                    + " has no update command; set one with CommandProfile.withUpdateCommand or 'update =' in a profile"
                    + " file");
        }
        UpdateStep step = CommandStep.builder(profile.name() + "-update", profile.updateCommand())
                .build();
        return exclusive ? exclusive(step, queueTimeout) : counted(step);
    }

    /**
     * Wraps a step so that it runs while no scan of this scanner runs ({@link #runExclusively}). Scans that start
     * meanwhile wait up to their queue timeout, then fail with {@link ScanFailure.Kind#TIMED_OUT}.
     *
     * @param step the step, e.g. a command that renames new signature files into place
     * @param wait how long the step waits for running scans to end before it fails
     * @return a step with the same name
     */
    public UpdateStep exclusive(UpdateStep step, Duration wait) {
        Objects.requireNonNull(step, "step");
        Objects.requireNonNull(wait, "wait");
        UpdateStep counted = counted(step);
        return UpdateStep.of(step.name(), () -> runExclusively(wait, counted::run));
    }

    /** A step that increments the signature generation when it succeeds. */
    private UpdateStep counted(UpdateStep step) {
        return UpdateStep.of(step.name(), () -> {
            String detail = step.run();
            signatureGeneration.incrementAndGet();
            return detail;
        });
    }

    /**
     * Runs an action while no scan of this scanner runs: waits for running scans to end (up to {@code wait}), keeps
     * new scans waiting until the action returns. Used by signature updaters to swap signature files.
     *
     * @param <T> the action's result
     * @param wait how long to wait for running scans to end
     * @param action the action
     * @return the action's result
     * @throws Exception what the action throws
     * @throws java.util.concurrent.TimeoutException if running scans did not end within {@code wait}
     * @throws InterruptedException if interrupted while waiting
     */
    public <T> T runExclusively(Duration wait, ExclusiveAction<T> action) throws Exception {
        if (!signatureLock.writeLock().tryLock(wait.toNanos(), TimeUnit.NANOSECONDS)) {
            throw new java.util.concurrent.TimeoutException(
                    "scans of " + name() + " still running after " + Durations.format(wait));
        }
        try {
            return action.run();
        } finally {
            signatureLock.writeLock().unlock();
        }
    }

    /**
     * Test hook (package-private): how many threads wait for the signature lock, that is scans held back by an
     * exclusive update (an estimate, as {@link ReentrantReadWriteLock#getQueueLength()}). Lets a test see that a scan
     * is waiting instead of pausing a while and guessing.
     */
    int threadsWaitingForSignatures() {
        return ((ReentrantReadWriteLock) signatureLock).getQueueLength();
    }

    /**
     * An action run by {@link #runExclusively(Duration, ExclusiveAction)}.
     *
     * @param <T> its result
     */
    @FunctionalInterface
    public interface ExclusiveAction<T> {
        /**
         * Runs the action.
         *
         * @return its result
         * @throws Exception on failure
         */
        T run() throws Exception;
    }

    /**
     * A private directory for one scan, locked while this process lives, so that {@link #deleteAbandoned} of a later
     * scanner removes it if this process is killed before it can (the copies of a message would stay otherwise).
     */
    static LockedDirectory createPrivateDirectory(Path parent) throws IOException {
        if (!parent.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            throw new IOException("the file system of " + parent + " has no POSIX permissions");
        }
        return LockedDirectory.create(parent, PRIVATE_DIRECTORY_PREFIX);
    }

    /**
     * Deletes the private directories that scanners of processes killed during a scan left in {@code parent} (their
     * lock is free and at least a minute old). Called when a scanner is built.
     */
    static int deleteAbandoned(Path parent) {
        int n = LockedDirectory.deleteAbandoned(parent, PRIVATE_DIRECTORY_PREFIX, Duration.ofMinutes(1));
        if (n > 0) {
            LOG.info("deleted {} private director{} that killed scans left in {}", n, n == 1 ? "y" : "ies", parent);
        }
        return n;
    }

    static Path createPrivateFile(Path file) throws IOException {
        return Files.createFile(file, FILE_PERMS);
    }

    static long copy(InputStream in, Path file) throws IOException {
        createPrivateFile(file);
        try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.WRITE)) {
            return in.transferTo(out);
        }
    }

    private static void deleteRecursively(LockedDirectory dir) {
        try {
            // the scanner may have created directories we cannot change; deleteTree makes them ours again
            dir.close();
        } catch (IOException e) {
            LOG.warn("cannot remove the scanner's private directory {}: {}", dir.path(), e.toString());
        }
    }

    private static Path resolveCommand(String command) {
        if (command.contains("/")) {
            Path p = Path.of(command);
            return Files.isRegularFile(p) && Files.isExecutable(p) ? p : null;
        }
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String d : path.split(java.io.File.pathSeparator)) {
            if (d.isEmpty()) {
                continue;
            }
            Path p = Path.of(d, command);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "CommandLineScanner[" + profile.name() + " " + profile.command() + "]";
    }

    /**
     * Builds a {@link CommandLineScanner}. Each setter validates its own argument and names the problem; settings that
     * exclude each other are checked by {@link #build()}, so the order of the calls never matters. Not thread-safe.
     */
    public static final class Builder {
        private CommandProfile profile;
        private Duration timeout = DEFAULT_TIMEOUT;
        private Duration queueTimeout = DEFAULT_QUEUE_TIMEOUT;
        private int maxOutputBytes = DEFAULT_MAX_OUTPUT_BYTES;
        private int maxConcurrentProcesses = Math.max(1, Runtime.getRuntime().availableProcessors());
        private boolean maxConcurrentSet;
        private Semaphore processLimit;
        private Path temporaryDirectory = Path.of(System.getProperty("java.io.tmpdir"));
        private final Map<String, String> environment = new LinkedHashMap<>();
        private MimeWalker mimeWalker = MimeWalker.defaults();
        private boolean cacheVerdicts;

        private Builder(CommandProfile profile) {
            this.profile = Objects.requireNonNull(profile, "profile");
        }

        /**
         * Runs the program at this path instead of the profile's command.
         *
         * @param program the scanner program
         * @return this builder
         */
        public Builder executable(Path program) {
            Objects.requireNonNull(program, "program");
            this.profile = profile.withCommand(program.toAbsolutePath().toString());
            return this;
        }

        /**
         * The process time limit; when it passes the process tree is killed. Default {@link #DEFAULT_TIMEOUT}.
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder timeout(Duration value) {
            this.timeout = Checks.requirePositive(value, "timeout");
            return this;
        }

        /**
         * How long a scan waits for a process slot (and for a running signature update). Default
         * {@link #DEFAULT_QUEUE_TIMEOUT}.
         *
         * @param value a positive duration
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder queueTimeout(Duration value) {
            this.queueTimeout = Checks.requirePositive(value, "queueTimeout");
            return this;
        }

        /**
         * The most output bytes kept per scan. Default {@link #DEFAULT_MAX_OUTPUT_BYTES}.
         *
         * @param value at least 1024
         * @return this builder
         * @throws IllegalArgumentException if smaller than 1024
         */
        public Builder maxOutputBytes(int value) {
            Checks.requireAtLeast(value, 1024, "maxOutputBytes");
            this.maxOutputBytes = value;
            return this;
        }

        /**
         * How many scanner processes this scanner runs at once. Default: the number of available processors.
         *
         * Excludes {@link #processLimit(Semaphore)} ({@link #build()} refuses both).
         *
         * @param value at least 1
         * @return this builder
         * @throws IllegalArgumentException if smaller than 1
         */
        public Builder maxConcurrentProcesses(int value) {
            Checks.requireAtLeast(value, 1, "maxConcurrentProcesses");
            this.maxConcurrentProcesses = value;
            this.maxConcurrentSet = true;
            return this;
        }

        /**
         * A semaphore shared with other scanners, so that together they run at most its permits of processes.
         * Excludes {@link #maxConcurrentProcesses(int)} ({@link #build()} refuses both).
         *
         * @param semaphore the shared limit
         * @return this builder
         */
        public Builder processLimit(Semaphore semaphore) {
            this.processLimit = Objects.requireNonNull(semaphore, "semaphore");
            return this;
        }

        /**
         * Where the private per-scan directories are created. Default: {@code java.io.tmpdir}. Creating and
         * removing the directories is most of the adapter's own per-scan cost on a busy disk file system; a tmpfs such
         * as {@code /dev/shm} makes it negligible (benchmarks/README.md). Each directory ({@code mailhygiene-cli-*})
         * holds a lock while its scan runs; building a scanner deletes the ones left unlocked for at least a minute by
         * processes killed during a scan (kill -9, the OOM killer), with one INFO line, so copies of messages do not
         * stay behind.
         *
         * @param dir an existing directory on a file system with POSIX permissions
         * @return this builder
         * @throws IllegalArgumentException if it is not an existing directory
         */
        public Builder temporaryDirectory(Path dir) {
            Objects.requireNonNull(dir, "dir");
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException("temporaryDirectory " + dir + " is not an existing directory");
            }
            this.temporaryDirectory = dir.toAbsolutePath();
            return this;
        }

        /**
         * Adds an environment variable for the scanner process (on top of the inherited environment).
         *
         * @param name the variable's name, non-blank, no {@code =}
         * @param value its value
         * @return this builder
         * @throws IllegalArgumentException if the name is blank or contains {@code =}
         */
        public Builder environment(String name, String value) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            if (name.isBlank() || name.contains("=")) {
                throw new IllegalArgumentException("environment variable name '" + name + "' is not valid");
            }
            environment.put(name, value);
            return this;
        }

        /**
         * The MIME walker (and so the depth, part and size limits) used for {@link InputMode#PARTS}. Default
         * {@link MimeWalker#defaults()}. A limit reached while writing parts fails the scan with
         * {@link ScanFailure.Kind#TOO_LARGE}.
         *
         * @param walker the walker
         * @return this builder
         */
        public Builder mimeWalker(MimeWalker walker) {
            this.mimeWalker = Objects.requireNonNull(walker, "walker");
            return this;
        }

        /**
         * Whether verdicts may be cached ({@link CommandLineScanner#cacheIdentity()}). Default {@code false}: the
         * adapter cannot know when a scanner's signatures change unless updates run through it.
         *
         * @param value {@code true} to allow caching
         * @return this builder
         */
        public Builder cacheVerdicts(boolean value) {
            this.cacheVerdicts = value;
            return this;
        }

        /**
         * Builds the scanner. Settings that exclude each other are checked here, whatever order they were set in.
         *
         * @return a new scanner
         * @throws IllegalStateException if both {@link #maxConcurrentProcesses(int)} and
         *     {@link #processLimit(Semaphore)} were set
         */
        public CommandLineScanner build() {
            if (maxConcurrentSet && processLimit != null) {
                throw new IllegalStateException("maxConcurrentProcesses (" + maxConcurrentProcesses
                        + ") and processLimit (a shared semaphore) were both set; set one: processLimit already bounds"
                        + " the processes of every scanner that shares it");
            }
            return new CommandLineScanner(this);
        }
    }
}
