package org.mailhygiene.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.api.shared.SharedStates;
import org.mailhygiene.internal.IoErrors;
import org.mailhygiene.smtp.stats.StatisticsReport;

/**
 * {@code hygiene report --data DIR [--month YYYY-MM] [--html FILE]}: prints the statistics tables of the nodes under
 * {@code DIR} (mail received and sent, spam and spam ratio per month, viruses by name per month; per node and in
 * total) and writes the same as an HTML page with SVG charts, to {@code DIR/report.html} unless {@code --html} names
 * another file ({@code --html -} skips it). With {@code --redis URL} instead of {@code --data}, the statistics that
 * every node of a cluster publishes to that Redis (node config key {@code redis}) are read: the whole cluster in one
 * report, for the month given or the last 13 months (and the days of nodes whose time zone is ahead of this
 * machine's).
 *
 * <p>Exit status 0 when a report was printed, also when malformed statistics files were left out of it (each named on
 * standard error with its line and problem, {@code hygiene report: not counted: FILE line N: ...}) and when the month
 * asked for has none (its rows say {@code (none)}), with {@code --data} and {@code --redis} alike; 2 when the directory
 * or the store holds no statistics at all (with {@code --redis}: none in the last 13 months), Redis does not answer, on
 * a usage error, or when the report cannot be written.
 */
public final class ReportCommand implements Command {

    /** Creates the command. */
    public ReportCommand() {}

    @Override
    public String name() {
        return "report";
    }

    @Override
    public String summary() {
        return "print mail, spam and virus statistics per month (and write an HTML report)";
    }

    @Override
    public String usage() {
        return """
                usage: hygiene report --data DIR [--month YYYY-MM] [--viruses N] [--html FILE]
                       hygiene report --redis URL [--month YYYY-MM] [--viruses N] [--html FILE]

                Reads the daily statistics under DIR (DIR/stats, or DIR/NODE/stats for every node, as
                'hygiene demo --data DIR' and 'hygiene relay' keep them) and prints, per month: mail
                received, sent and bounced, spam and the spam ratio, tagged, rejected, quarantined,
                tempfailed, discarded, infected, scanner failures and signature updates; viruses by name;
                per node and in total (docs/node-config.md, "Statistics").

                options:
                  --data DIR        the data directory
                  --redis URL       instead of --data: the cluster's statistics in this Redis
                                    (redis://HOST:PORT[/DB], redis-sentinel://, redis-cluster://, or
                                    over TLS rediss://, rediss-sentinel://, rediss-cluster://)
                  --month YYYY-MM   only this month
                  --viruses N       virus names shown by name, most frequent first, the rest
                                    summed in one row (default 30; 0 for every name)
                  --html FILE       where to write the HTML report (default DIR/report.html, or none
                                    with --redis; '-' for none)
                  -h, --help        show this help

                A malformed statistics file is left out and named on standard error with its line
                ('hygiene report: not counted: FILE line N: ...'); the rest is reported, exit 0.
                A month without statistics is reported as '(none)', exit 0 (--data and --redis alike).
                Exit 2: no statistics at all (under DIR; in the Redis store, none in the last 13
                months), Redis not answering, a usage error, or the report cannot be written.
                'bounced' counts the bounces the node wrote to senders; 'double_bounced' those sent to
                the postmaster for undeliverable mail from <> (until session 52 counted in 'bounced').
                """;
    }

    /**
     * Names the statistics files a node set aside as malformed ({@code DAY.stats.corrupt}, which no report reads), on
     * standard error, so that lower counts for those days are not taken for less mail (nothing was said of them).
     */
    private static void setAsideNotice(Path data, Io io) {
        List<Path> dirs = new java.util.ArrayList<>(List.of(data.resolve("stats")));
        try (java.util.stream.Stream<Path> subs = Files.list(data)) {
            subs.map(sub -> sub.resolve("stats")).forEach(dirs::add);
        } catch (IOException | java.io.UncheckedIOException unreadable) {
            return; // the report itself read them: nothing more to say
        }
        List<Path> aside = new java.util.ArrayList<>();
        for (Path dir : dirs) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (java.util.stream.Stream<Path> files = Files.list(dir)) {
                files.filter(f -> f.getFileName().toString().contains(".stats.corrupt"))
                        .forEach(aside::add);
            } catch (IOException | java.io.UncheckedIOException unreadable) {
                // as above
            }
        }
        aside.stream()
                .sorted()
                .forEach(f -> io.err()
                        .println("hygiene report: not counted: " + f
                                + " (a malformed file the node set aside; its log's ERROR line names the problem)"));
    }

    @Override
    public int run(List<String> args, Io io) throws UsageException {
        Path data = null;
        String redis = null;
        Optional<YearMonth> month = Optional.empty();
        String html = null;
        int viruses = StatisticsReport.DEFAULT_VIRUS_ROWS;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "-h", "--help" -> {
                    io.out().print(usage());
                    return EXIT_OK;
                }
                case "--data" -> data = path(value(args, ++i, a));
                case "--redis" -> redis = value(args, ++i, a);
                case "--month" -> {
                    String m = value(args, ++i, a);
                    try {
                        month = Optional.of(YearMonth.parse(m));
                    } catch (DateTimeParseException e) {
                        throw new UsageException("--month wants YYYY-MM, got '" + m + "'");
                    }
                }
                case "--html" -> html = value(args, ++i, a);
                case "--viruses" -> viruses = virusRows(value(args, ++i, a));
                default -> throw new UsageException("unknown argument '" + a + "'");
            }
        }
        if ((data == null) == (redis == null)) {
            throw new UsageException("give exactly one of --data DIR and --redis URL");
        }
        StatisticsReport report;
        if (redis != null) {
            try {
                report = loadShared(redis, month);
            } catch (SharedStateException | IllegalArgumentException e) {
                io.err().println("hygiene report: " + e.getMessage());
                return EXIT_ERROR;
            }
            if (html == null) {
                html = "-";
            }
        } else {
            try {
                // a malformed file is left out with a line naming it, as the running node's daily mail leaves it out
                // (until session 49 the command stopped there, exit 2, and reported nothing)
                report = StatisticsReport.load(
                        data,
                        month,
                        problem -> io.err()
                                .println("hygiene report: not counted: " + problem
                                        + " (a malformed file; the other files are reported)"));
            } catch (IOException | IllegalArgumentException e) {
                io.err().println("hygiene report: " + e.getMessage());
                return EXIT_ERROR;
            }
        }
        report = report.withVirusRows(viruses);
        io.out().print(report.text());
        if (data != null) {
            setAsideNotice(data, io);
        }
        if (!"-".equals(html)) {
            Path target = html == null ? data.resolve("report.html") : path(html);
            try {
                Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
                Files.writeString(tmp, report.html(), StandardCharsets.UTF_8);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                io.out().println();
                io.out().println("HTML report: " + target);
            } catch (IOException e) {
                io.err().println("hygiene report: cannot write " + target + ": " + IoErrors.reason(e));
                return EXIT_ERROR;
            }
        }
        return EXIT_OK;
    }

    private static int virusRows(String value) throws UsageException {
        try {
            int n = Integer.parseInt(value);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new UsageException("--viruses wants a whole number, 0 for every name, got '" + value + "'");
    }

    /**
     * How many days past this machine's today the report without {@code --month} reads. A node counts its days in its
     * own time zone, which may be up to 26 hours ahead of this one's (UTC+14 and UTC-12): until session 50 a node
     * whose day had already turned was missing from {@code hygiene report --redis} until this machine's day turned
     * too (measured: a node started with {@code TZ=Pacific/Kiritimati} was left out of a report run in UTC).
     */
    static final int DAYS_AHEAD = 2;

    /**
     * The cluster's report. A month without statistics in a store that holds some (in the 13 months and the days
     * {@link #DAYS_AHEAD} that a report without {@code --month} reads, the Redis store's 400 days of keeping) is a
     * report of {@code (none)}, exit 0, as {@code --data} with that month gives; until session 51 it exited 2 with "no
     * statistics in the shared store", which a monthly cron job took for a broken store. A store without any (a wrong
     * database number, a cluster that never published) is still an error.
     */
    private static StatisticsReport loadShared(String url, Optional<YearMonth> month)
            throws SharedStateException, UsageException {
        LocalDate first = LocalDate.now().minusMonths(12).withDayOfMonth(1);
        LocalDate last = LocalDate.now().plusDays(DAYS_AHEAD);
        try (SharedState state = SharedStates.open(url, Duration.ofSeconds(5))) {
            // Another service on that port is named as such: a TCP echo answers SMEMBERS with the command itself, a
            // well-formed set, and the report said "counter HGETALL of ... is not a number" until session 49.
            state.ping();
            if (month.isEmpty()) {
                return StatisticsReport.load(state.counters(), first, last);
            }
            try {
                return StatisticsReport.load(
                        state.counters(), month.get().atDay(1), month.get().atEndOfMonth());
            } catch (IllegalArgumentException none) {
                // nothing that month: a report of (none) if the store holds statistics at all, else the error
                return StatisticsReport.load(state.counters(), first, last).onlyMonth(month.get());
            }
        }
    }

    private static String value(List<String> args, int i, String option) throws UsageException {
        if (i >= args.size()) {
            throw new UsageException(option + " needs a value");
        }
        return args.get(i);
    }

    private static Path path(String s) throws UsageException {
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            throw new UsageException("invalid path '" + s + "'");
        }
    }
}
