package org.mailhygiene.smtp.stats;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.ScanResult;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.events.HygieneListener;
import org.mailhygiene.api.policy.Disposition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's daily counters, kept in memory and persisted to one file per day under {@code DIR/stats/}, so they survive
 * restarts: on open, today's file is loaded and counting continues from it.
 *
 * <p>It is a {@link HygieneListener}: register it with the scanning pipeline (dispositions give spam, tagged,
 * rejected, quarantined, tempfailed and viruses by name, once per message; failures and cache hits per scanner call;
 * signature updates). The relay calls {@link #received()}, {@link #sent()}, {@link #bounced()} and {@link
 * #doubleBounced()} itself.
 *
 * <p>Files ({@code YYYY-MM-DD.stats}, UTF-8): a comment line, {@code node NAME}, {@code day YYYY-MM-DD}, then one
 * {@code counter value} line per non-zero counter, one {@code virus<TAB>name<TAB>count} line per virus name, and a last
 * line {@code # end}, by which a file cut short is told from a complete one. They are written to a temporary file,
 * forced to disk and renamed over the old one, so a crash leaves either the old or the new file, never a torn one.
 * {@link #flush()} writes; call it periodically (the relay does, every few seconds) and {@link #close()} flushes. A day
 * that ends while the node runs is kept in memory from the first event or call of the next day on and written by the
 * next {@link #flush()}: counting never touches the disk, so a write that fails (a full disk) at midnight loses
 * nothing and fails no event; the next flush writes the days it could not write before today's.
 *
 * <p>Thread-safe.
 */
public final class NodeStatistics implements HygieneListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeStatistics.class);
    private static final String SUFFIX = ".stats";
    /**
     * The first line of a file. Files written before session 50 began {@code # mail-hygiene daily statistics v1} and
     * had no {@link #END} line; a file that begins with this header must end with it, so that one cut short after any
     * of its counts (a copy to a full disk, a restored backup) is told from a complete one.
     */
    static final String HEADER = "# mail-hygiene daily statistics v1 (complete when its last line is '# end')";
    /** The last line of a file that begins with {@link #HEADER}; a comment, which earlier versions skip. */
    static final String END = "# end";
    /** What a malformed file of today is renamed to (plus {@code .N} when that name is taken). */
    static final String CORRUPT_SUFFIX = ".stats.corrupt";

    private final Path dir;
    private final String node;
    private final Clock clock;
    private LocalDate day;
    private final Map<Counter, Long> counters = new EnumMap<>(Counter.class);
    private final Map<String, Long> viruses = new TreeMap<>();
    private boolean dirty;
    /** Days that ended while counting and are not written yet (oldest first). */
    private final Map<LocalDate, DailyCounts> unwritten = new TreeMap<>();
    /**
     * Counters this version does not know, read from the file of {@link #keptDay} at the start (a newer version wrote
     * them before the node was rolled back), written back as they were into that day's file.
     */
    private Map<String, Long> kept = Map.of();

    private LocalDate keptDay;

    private NodeStatistics(Path dir, String node, Clock clock) {
        this.dir = dir;
        this.node = node;
        this.clock = clock;
    }

    /**
     * Opens (creating if needed) the statistics of a node kept under {@code dataDir/stats}, loading today's counts.
     *
     * <p>A counter this version does not know in the file of today (a newer version wrote it, and the node was rolled
     * back) is logged at WARN and written back unchanged with the day's other counts, so that going forward again
     * loses nothing (until session 53 such a file was set aside as malformed and the day's counts began again from
     * zero). A file of today that is malformed (not UTF-8, a count that is no whole number, a line that is no {@code
     * key value}: a file edited by hand or damaged) does not stop the node: it is renamed {@code
     * YYYY-MM-DD.stats.corrupt} (with {@code .2}, {@code .3}... when that name is taken), which no report reads and
     * nothing deletes, logged at ERROR with its line and problem, and today's counts start again from zero. Until
     * session 46 it was thrown, and the relay and the milter did not start ({@code cannot start:
     * java.lang.IllegalArgumentException: ... For input string: "12x"}).
     *
     * @param dataDir the node's data directory
     * @param node the node's name, written into each file
     * @param clock the clock whose zone decides where a day ends
     * @return the statistics
     * @throws IOException if the directory cannot be created, or today's file cannot be read or, being malformed, set
     *     aside
     */
    public static NodeStatistics open(Path dataDir, String node, Clock clock) throws IOException {
        Objects.requireNonNull(node, "node");
        Path dir = dataDir.resolve("stats");
        Files.createDirectories(dir);
        NodeStatistics s = new NodeStatistics(dir, node, Objects.requireNonNull(clock, "clock"));
        LocalDate today = LocalDate.now(clock);
        s.day = today;
        Path f = s.fileFor(today);
        if (Files.exists(f)) {
            Parsed loaded;
            try {
                loaded = parse(f);
            } catch (IllegalArgumentException e) {
                Path aside = setAside(f);
                LOG.error(
                        "{}: malformed statistics file: {}; set aside as {}, today's counts start again from zero"
                                + " (hygiene report does not read the set-aside file)",
                        node,
                        e.getMessage(),
                        aside.getFileName());
                loaded = null;
            }
            if (loaded != null) {
                s.counters.putAll(loaded.counts().counters());
                s.viruses.putAll(loaded.counts().viruses());
                if (!loaded.unknown().isEmpty()) {
                    s.kept = loaded.unknown();
                    s.keptDay = today;
                    LOG.warn(
                            "{}: statistics file {} holds counters this version does not know ({}: a newer version's);"
                                    + " kept in the file as they are, not counted further",
                            node,
                            f,
                            String.join(", ", loaded.unknown().keySet()));
                }
            }
        }
        return s;
    }

    private static Path setAside(Path file) throws IOException {
        String base = file.getFileName().toString();
        base = base.substring(0, base.length() - SUFFIX.length()) + CORRUPT_SUFFIX;
        for (int n = 1; ; n++) {
            Path target = file.resolveSibling(n == 1 ? base : base + "." + n);
            try {
                Files.move(file, target); // never replaces: an older set-aside file stays
                return target;
            } catch (java.nio.file.FileAlreadyExistsException taken) {
                // try the next name
            }
        }
    }

    private Path fileFor(LocalDate d) {
        return dir.resolve(d + SUFFIX);
    }

    /** Counts a message accepted with 250. */
    public void received() {
        add(Counter.RECEIVED, 1);
    }

    /** Counts a message handed on successfully. */
    public void sent() {
        add(Counter.SENT, 1);
    }

    /** Counts a bounce generated for the sender of failed mail. */
    public void bounced() {
        add(Counter.BOUNCED, 1);
    }

    /** Counts a double bounce generated: a failure report to the postmaster for failed mail from {@code <>}. */
    public void doubleBounced() {
        add(Counter.DOUBLE_BOUNCED, 1);
    }

    /**
     * Adds to a counter.
     *
     * @param counter the counter
     * @param n the amount, {@code >= 0}
     * @throws IllegalArgumentException if {@code n < 0}
     */
    public void add(Counter counter, long n) {
        if (n < 0) {
            throw new IllegalArgumentException("counters only grow");
        }
        synchronized (this) {
            roll();
            counters.merge(counter, n, Long::sum);
            dirty = true;
        }
    }

    @Override
    public void disposition(Disposition disposition, Message message) {
        Set<String> names = new LinkedHashSet<>();
        boolean spam = false;
        for (ScanResult r : disposition.basis()) {
            if (r instanceof Verdict v) {
                if (v.outcome() == Outcome.INFECTED) {
                    names.addAll(v.threats());
                } else if (v.outcome() == Outcome.SPAM) {
                    spam = true;
                }
            }
        }
        synchronized (this) {
            roll();
            for (String n : names) {
                viruses.merge(n, 1L, Long::sum);
            }
            if (!names.isEmpty()) {
                counters.merge(Counter.INFECTED, 1L, Long::sum);
            }
            if (spam) {
                counters.merge(Counter.SPAM, 1L, Long::sum);
            }
            Counter c = switch (disposition.action()) {
                case TAG -> Counter.TAGGED;
                case REJECT -> Counter.REJECTED;
                case QUARANTINE -> Counter.QUARANTINED;
                case TEMPFAIL -> Counter.TEMPFAILED;
                case DISCARD -> Counter.DISCARDED;
                case ACCEPT -> null;
            };
            if (c != null) {
                counters.merge(c, 1L, Long::sum);
            }
            dirty = true;
        }
    }

    @Override
    public void scanFailed(ScanFailure failure, Message message) {
        add(Counter.SCANNER_FAILURES, 1);
    }

    @Override
    public void cacheHit(Verdict verdict, Message message) {
        add(Counter.CACHE_HITS, 1);
    }

    @Override
    public void signatureUpdate(String updater, boolean success, String detail, Duration elapsed) {
        add(success ? Counter.SIGNATURE_UPDATES : Counter.SIGNATURE_UPDATE_FAILURES, 1);
    }

    /**
     * Called with the lock held: when the day changed, keep the old day's counts for the next {@link #flush()} and start
     * a new day. No I/O: an event never fails because the disk does (an audit, session 39: a full disk at midnight made
     * every event of the new day throw, so its counts, the node's dispositions meter and its log lines were lost).
     */
    private void roll() {
        LocalDate now = LocalDate.now(clock);
        if (now.equals(day)) {
            return;
        }
        if (dirty) {
            unwritten.put(day, snapshotLocked());
        }
        day = now;
        counters.clear();
        viruses.clear();
        dirty = false;
    }

    private DailyCounts snapshotLocked() {
        return new DailyCounts(day, counters, viruses);
    }

    /**
     * Today's counts so far.
     *
     * @return a snapshot
     */
    public synchronized DailyCounts today() {
        roll();
        return snapshotLocked();
    }

    /**
     * Writes the counts of days that ended and are not written yet, then today's if they changed since the last write.
     *
     * @throws IOException if writing fails (the counts stay in memory and the next flush tries again)
     */
    public synchronized void flush() throws IOException {
        roll();
        for (var it = unwritten.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            write(fileFor(e.getKey()), e.getValue());
            it.remove();
        }
        if (dirty) {
            write(fileFor(day), snapshotLocked());
            dirty = false;
        }
    }

    /**
     * Every day on disk plus the counts still in memory (today's, and those of days not written yet), oldest first. A
     * malformed file of an earlier day (edited by hand, damaged) is left out and logged at WARN with its line and
     * problem, so that the daily report and the shared counters still go out with every other day (until session 46
     * it was thrown, and each day's report failed on it); {@code hygiene report} still refuses it, naming it.
     *
     * @return the days
     * @throws IOException if a file cannot be read
     */
    public List<DailyCounts> history() throws IOException {
        DailyCounts current;
        Map<LocalDate, DailyCounts> inMemory;
        synchronized (this) {
            current = today();
            inMemory = new TreeMap<>(unwritten);
        }
        inMemory.put(current.day(), current);
        List<DailyCounts> out = new ArrayList<>(inMemory.values());
        for (DailyCounts d :
                readDirectory(dir, problem -> LOG.warn("{}: statistics file left out: {}", node, problem))) {
            if (!inMemory.containsKey(d.day())) {
                out.add(d);
            }
        }
        out.sort(java.util.Comparator.comparing(DailyCounts::day));
        return out;
    }

    /** Flushes. */
    @Override
    public void close() throws IOException {
        flush();
    }

    private void write(Path file, DailyCounts counts) throws IOException {
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        sb.append("node ").append(node).append('\n');
        sb.append("day ").append(counts.day()).append('\n');
        for (Map.Entry<Counter, Long> e : counts.counters().entrySet()) {
            sb.append(e.getKey().key()).append(' ').append(e.getValue()).append('\n');
        }
        if (counts.day().equals(keptDay)) {
            kept.forEach((k, v) -> sb.append(k).append(' ').append(v).append('\n'));
        }
        for (Map.Entry<String, Long> e : counts.viruses().entrySet()) {
            sb.append("virus\t")
                    .append(clean(e.getKey()))
                    .append('\t')
                    .append(e.getValue())
                    .append('\n');
        }
        sb.append(END).append('\n');
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(
                tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp); // a half-written file (a full disk) holds space the next flush may need
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        try (FileChannel d = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException ignored) {
            // Some file systems cannot force a directory; the rename is still atomic.
        }
    }

    private static String clean(String name) {
        return name.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    }

    /**
     * The node's name as its newest daily file in a {@code stats} directory records it (the {@code node} line each
     * file carries at its top), for a report that names the node as the node names itself (its daily mail, the shared
     * store) rather than by the directory its data lies in. Reads the header lines of one file: at most the first 4 KiB
     * of the newest file that names a node; files whose name is no day are passed over.
     *
     * @param statsDir the node's {@code stats} directory
     * @return the name, or empty when no file names one (or the directory does not exist)
     * @throws IOException if the directory cannot be listed
     */
    public static java.util.Optional<String> nodeName(Path statsDir) throws IOException {
        if (!Files.isDirectory(statsDir)) {
            return java.util.Optional.empty();
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(statsDir, "*" + SUFFIX)) {
            for (Path f : ds) {
                if (isDayFile(f)) {
                    files.add(f); // "notes.stats" sorts after every day: its node line named the node
                }
            }
        }
        files.sort(java.util.Comparator.comparing((Path f) -> f.getFileName().toString())
                .reversed());
        for (Path f : files) {
            byte[] head;
            try (java.io.InputStream in = Files.newInputStream(f)) {
                head = in.readNBytes(4096);
            } catch (IOException e) {
                continue; // unreadable: the report names it when it reads the counts
            }
            for (String line : new String(head, StandardCharsets.UTF_8).split("\n")) {
                if (line.startsWith("node ")) {
                    String name = line.substring(5).strip();
                    if (!name.isEmpty() && name.chars().allMatch(c -> c > ' ' && c < 0x7f)) {
                        return java.util.Optional.of(name);
                    }
                }
                if (line.startsWith("day ")) {
                    break; // the node line comes before the day's
                }
            }
        }
        return java.util.Optional.empty();
    }

    /** Whether a file's name is a day and {@value #SUFFIX} ({@code 2026-12-08.stats}), as this class names them. */
    private static boolean isDayFile(Path f) {
        String name = f.getFileName().toString();
        try {
            java.time.LocalDate.parse(name.substring(0, name.length() - SUFFIX.length()));
            return true;
        } catch (java.time.format.DateTimeParseException e) {
            return false;
        }
    }

    /**
     * Reads every daily file in a {@code stats} directory, oldest first.
     *
     * @param statsDir the directory holding {@code YYYY-MM-DD.stats} files
     * @return the days found (empty when the directory does not exist)
     * @throws IOException if a file cannot be read
     * @throws IllegalArgumentException if a file is malformed (naming the file and line)
     */
    public static List<DailyCounts> readDirectory(Path statsDir) throws IOException {
        return readDirectory(statsDir, null);
    }

    /**
     * As {@link #readDirectory(Path)}, leaving a malformed file out: its problem (naming the file and line, as
     * {@link #read} says it) is given to {@code malformed}, and the other files are read. With {@code null}, a
     * malformed file is thrown as by {@link #readDirectory(Path)}.
     *
     * @param statsDir the node's {@code stats} directory
     * @param malformed told of each malformed file left out (called on this thread), or {@code null}
     * @return the days read, oldest first
     * @throws IOException if the directory or a file cannot be read
     * @throws IllegalArgumentException if a file is malformed and {@code malformed} is {@code null}
     */
    public static List<DailyCounts> readDirectory(Path statsDir, java.util.function.Consumer<String> malformed)
            throws IOException {
        List<DailyCounts> out = new ArrayList<>();
        if (!Files.isDirectory(statsDir)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(statsDir, "*" + SUFFIX)) {
            for (Path p : ds) {
                try {
                    out.add(read(p));
                } catch (IllegalArgumentException e) {
                    if (malformed == null) {
                        throw e;
                    }
                    malformed.accept(e.getMessage());
                }
            }
        }
        out.sort(java.util.Comparator.comparing(DailyCounts::day));
        return out;
    }

    /**
     * Reads one daily file.
     *
     * @param file the file
     * @return its counts
     * @throws IOException if it cannot be read
     * <p>A counter this version does not know (a name of lower-case letters, digits and {@code _} with a whole number:
     * a newer version's) is left out of the counts; until session 53 it made the file malformed.
     *
     * @throws IllegalArgumentException if it is malformed, naming the file, the line and the problem (not UTF-8, a
     *     count that is no whole number of 0 or more, a counter name that is no lower-case word, a {@code day} line other than the file
     *     name's day), or cut short: empty, without its {@code day} line, or, when it begins with the header written
     *     since session 50, without its last line {@code # end}
     */
    public static DailyCounts read(Path file) throws IOException {
        return parse(file).counts();
    }

    /** A file's counts, and the counters this version does not know (name to count, in the file's order). */
    private record Parsed(DailyCounts counts, Map<String, Long> unknown) {}

    private static Parsed parse(Path file) throws IOException {
        String name = file.getFileName().toString();
        LocalDate day;
        try {
            day = LocalDate.parse(name.substring(0, name.length() - SUFFIX.length()));
        } catch (DateTimeParseException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException(file + ": file name is not YYYY-MM-DD" + SUFFIX, e);
        }
        Map<Counter, Long> c = new EnumMap<>(Counter.class);
        Map<String, Long> v = new TreeMap<>();
        Map<String, Long> unknown = new java.util.LinkedHashMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": not UTF-8 text (statistics files are written in UTF-8)", e);
        }
        // checked first: a line cut in its middle is named as the file's end, not as a bad count
        if (!lines.isEmpty()
                && lines.get(0).equals(HEADER)
                && !lines.get(lines.size() - 1).equals(END)) {
            throw new IllegalArgumentException(file + ": cut short after line " + lines.size() + ": no '" + END
                    + "' line after the last count (its counts may be incomplete)");
        }
        boolean named = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            try {
                if (line.startsWith("virus\t")) {
                    String[] parts = line.split("\t", -1);
                    if (parts.length != 3) {
                        throw new IllegalArgumentException("expected virus<TAB>name<TAB>count");
                    }
                    v.merge(parts[1], count("virus " + parts[1], parts[2]), Long::sum);
                    continue;
                }
                String[] parts = line.split(" ", 2);
                if (parts.length != 2) {
                    throw new IllegalArgumentException("expected 'key value'");
                }
                if (parts[0].equals("day")) {
                    if (!parts[1].trim().equals(day.toString())) {
                        throw new IllegalArgumentException("the file of " + day + " says day '" + parts[1].trim()
                                + "' (a file renamed or copied under another day's name?)");
                    }
                    named = true;
                    continue;
                }
                if (parts[0].equals("node")) {
                    continue;
                }
                Counter counter = known(parts[0]);
                if (counter == null) {
                    if (!parts[0].matches("[a-z][a-z0-9_]{0,63}")) {
                        throw new IllegalArgumentException(
                                "'" + parts[0] + "' is no counter name (lower-case letters," + " digits and '_')");
                    }
                    unknown.merge(parts[0], count(parts[0], parts[1].trim()), Long::sum);
                    continue;
                }
                c.merge(counter, count(counter.key(), parts[1].trim()), Long::sum);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        // Every version writes the day in the file's third line: without it the file is empty or was cut in its head
        // (until session 50 such a file counted as a day without mail, and nothing said so).
        if (!named) {
            throw new IllegalArgumentException(file + ": " + (lines.isEmpty() ? "empty" : "cut short") + ": no 'day "
                    + day + "' line (a complete statistics file names its day at the top)");
        }
        return new Parsed(new DailyCounts(day, c, v), java.util.Collections.unmodifiableMap(unknown));
    }

    /** The counter of this key as written, or {@code null} for a key this version does not know. */
    private static Counter known(String key) {
        for (Counter c : Counter.values()) {
            if (c.key().equals(key)) {
                return c;
            }
        }
        return null;
    }

    private static long count(String what, String text) {
        long n;
        try {
            n = Long.parseLong(text);
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 0 || !text.matches("[0-9]+")) {
            throw new IllegalArgumentException(what + ": not a whole number of 0 or more: '" + text + "'");
        }
        return n;
    }
}
