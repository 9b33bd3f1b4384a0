package org.mailhygiene.smtp.stats;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.mailhygiene.api.shared.CounterStore;
import org.mailhygiene.api.shared.SharedStateException;

/**
 * The administrator's report, as the nightly script of the original gateway mailed it: mail received and sent, spam
 * and the spam ratio per month, and viruses by name per month; per node and in total. {@link #text()} gives plain-text
 * tables; {@link #html()} the same tables plus SVG bar charts in one self-contained HTML page. The virus tables show
 * the {@link #DEFAULT_VIRUS_ROWS} most frequent names, the others summed in one row ({@link #withVirusRows}).
 *
 * <p>Totals add the nodes' counters, so a message that passed an edge relay and the gateway counts once at each.
 *
 * <p>Immutable and thread-safe.
 */
public final class StatisticsReport {
    private static final Counter[] MAIL_COLUMNS = {
        Counter.RECEIVED,
        Counter.SENT,
        Counter.BOUNCED,
        Counter.DOUBLE_BOUNCED,
        Counter.SPAM,
        Counter.TAGGED,
        Counter.REJECTED,
        Counter.QUARANTINED,
        Counter.TEMPFAILED,
        Counter.DISCARDED,
        Counter.INFECTED,
        Counter.SCANNER_FAILURES,
        Counter.SIGNATURE_UPDATES
    };

    /**
     * How many virus names the tables show by default: the most frequent, the rest summed in one row. A year of a
     * gateway's ClamAV names (phishing and heuristic signatures among them) runs to thousands of names, which made the
     * report and the daily mail thousands of lines long (audit, session 39: 3,107 lines for 3,000 names).
     */
    public static final int DEFAULT_VIRUS_ROWS = 30;

    /** Per node: month -> counts (day field = first of month). */
    private final Map<String, Map<YearMonth, DailyCounts>> nodes;

    /** Virus names shown by name; 0 for every name. */
    private final int virusRows;

    private StatisticsReport(Map<String, Map<YearMonth, DailyCounts>> nodes) {
        this(nodes, DEFAULT_VIRUS_ROWS);
    }

    private StatisticsReport(Map<String, Map<YearMonth, DailyCounts>> nodes, int virusRows) {
        this.nodes = nodes;
        this.virusRows = virusRows;
    }

    /**
     * The same report with another number of virus names shown by name. The virus tables list names by their total
     * over the report's months, most frequent first (a tie by name); names beyond {@code rows} are summed per month in
     * one row, {@code (N other names)}, and a {@code total} row follows when more than one name is counted.
     *
     * @param rows how many names to show by name, {@link #DEFAULT_VIRUS_ROWS} by default; 0 for every name
     * @return a report over the same counts
     * @throws IllegalArgumentException if {@code rows} is negative
     */
    public StatisticsReport withVirusRows(int rows) {
        if (rows < 0) {
            throw new IllegalArgumentException("virus rows must be 0 (every name) or more, got " + rows);
        }
        return new StatisticsReport(nodes, rows);
    }

    /**
     * The same report restricted to one month: every node stays, a node without counts in that month shows
     * {@code (none)}, as {@link #load(Path, Optional)} with that month shows it.
     *
     * @param month the month
     * @return a report over that month's counts only
     */
    public StatisticsReport onlyMonth(YearMonth month) {
        Objects.requireNonNull(month, "month");
        Map<String, Map<YearMonth, DailyCounts>> out = new TreeMap<>();
        nodes.forEach((node, months) -> {
            Map<YearMonth, DailyCounts> kept = new TreeMap<>();
            if (months.containsKey(month)) {
                kept.put(month, months.get(month));
            }
            out.put(node, kept);
        });
        return new StatisticsReport(out, virusRows);
    }

    /**
     * Loads the statistics under a data directory: {@code DIR/stats} for a single node, and {@code DIR/NODE/stats} for
     * every node directory below it (as {@code hygiene demo --data DIR} lays them out). Each node is named as its
     * statistics files record it (the node's {@code name}), or after its directory when they record none.
     *
     * @param dataDir the data directory
     * @param month only this month, or empty for every month found
     * @return the report
     * @throws IOException if a file cannot be read
     * @throws IllegalArgumentException if a statistics file is malformed, or no statistics exist under the directory
     */
    public static StatisticsReport load(Path dataDir, Optional<YearMonth> month) throws IOException {
        return load(dataDir, month, null);
    }

    /**
     * As {@link #load(Path, Optional)}, leaving malformed statistics files out of the report, as a running node's
     * daily mail does: each one's problem (naming the file and the line) is given to {@code malformed} and the other
     * files are reported.
     *
     * @param dataDir the data directory
     * @param month only this month, or empty for every month found
     * @param malformed told of each malformed file left out, or {@code null} to throw at the first one
     * @return the report
     * @throws IOException if a file cannot be read
     * @throws IllegalArgumentException if no statistics exist under the directory, or a file is malformed and
     *     {@code malformed} is {@code null}
     */
    public static StatisticsReport load(
            Path dataDir, Optional<YearMonth> month, java.util.function.Consumer<String> malformed) throws IOException {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(month, "month");
        Map<String, Map<YearMonth, DailyCounts>> nodes = new TreeMap<>();
        if (Files.isDirectory(dataDir.resolve("stats"))) {
            Path name = dataDir.toAbsolutePath().normalize().getFileName();
            put(nodes, dataDir.resolve("stats"), name == null ? "node" : name.toString(), month, malformed);
        }
        if (Files.isDirectory(dataDir)) {
            List<Path> subs = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dataDir, Files::isDirectory)) {
                ds.forEach(subs::add);
            }
            subs.sort(null); // two directories of one node: the same one is told by its directory every time
            for (Path sub : subs) {
                if (Files.isDirectory(sub.resolve("stats"))) {
                    put(nodes, sub.resolve("stats"), sub.getFileName().toString(), month, malformed);
                }
            }
        }
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("no statistics under " + dataDir
                    + " (expected DIR/stats or DIR/NODE/stats with YYYY-MM-DD.stats files)");
        }
        return new StatisticsReport(nodes);
    }

    /**
     * Adds one node's months under the name its statistics files record ({@link NodeStatistics#nodeName}), as its daily
     * mail and the shared store name it; under {@code directory} when they record none, and as {@code NAME (directory)}
     * when another directory's files already took that name (a node's data copied, say). Until session 55 a node was
     * named by its directory alone (a node {@code edge-1} with {@code data = /var/lib/hygiene} was {@code hygiene}).
     */
    private static void put(
            Map<String, Map<YearMonth, DailyCounts>> nodes,
            Path statsDir,
            String directory,
            Optional<YearMonth> month,
            java.util.function.Consumer<String> malformed)
            throws IOException {
        String name = NodeStatistics.nodeName(statsDir).orElse(directory);
        if (nodes.containsKey(name)) {
            name = name + " (" + directory + ")";
        }
        nodes.put(name, byMonth(statsDir, month, malformed));
    }

    /**
     * Builds the report from a shared store (every node of a cluster that publishes there), for the days
     * {@code first} to {@code last}.
     *
     * @param store the shared counters
     * @param first the first day
     * @param last the last day, inclusive
     * @return the report
     * @throws SharedStateException if the store did not answer
     * @throws IllegalArgumentException if the store holds no statistics for those days
     */
    public static StatisticsReport load(CounterStore store, LocalDate first, LocalDate last)
            throws SharedStateException {
        Map<String, Map<YearMonth, DailyCounts>> nodes = new TreeMap<>();
        SharedStatistics.read(store, first, last).forEach((node, days) -> {
            Map<YearMonth, DailyCounts> months = new TreeMap<>();
            for (DailyCounts d : days) {
                YearMonth ym = YearMonth.from(d.day());
                months.merge(ym, new DailyCounts(ym.atDay(1), d.counters(), d.viruses()), DailyCounts::plus);
            }
            nodes.put(node, months);
        });
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("no statistics in the shared store from " + first + " to " + last);
        }
        return new StatisticsReport(nodes);
    }

    /**
     * Builds the report of one node from its days, named as given: what a node mails about itself (its
     * {@link NodeStatistics#history()}, so the counts not yet written to disk are in it too).
     *
     * @param node the node's name, as the tables show it
     * @param days the node's daily counts, in any order
     * @param month only this month, or empty for every month in {@code days}
     * @return the report (a month without days shows as "(none)")
     */
    public static StatisticsReport ofNode(String node, List<DailyCounts> days, Optional<YearMonth> month) {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(month, "month");
        Map<String, Map<YearMonth, DailyCounts>> nodes = new TreeMap<>();
        nodes.put(node, byMonth(days, month));
        return new StatisticsReport(nodes);
    }

    private static Map<YearMonth, DailyCounts> byMonth(
            Path statsDir, Optional<YearMonth> only, java.util.function.Consumer<String> malformed) throws IOException {
        return byMonth(NodeStatistics.readDirectory(statsDir, malformed), only);
    }

    private static Map<YearMonth, DailyCounts> byMonth(List<DailyCounts> days, Optional<YearMonth> only) {
        Map<YearMonth, DailyCounts> out = new TreeMap<>();
        for (DailyCounts d : days) {
            YearMonth ym = YearMonth.from(d.day());
            if (only.isPresent() && !only.get().equals(ym)) {
                continue;
            }
            out.merge(ym, new DailyCounts(ym.atDay(1), d.counters(), d.viruses()), DailyCounts::plus);
        }
        return out;
    }

    /**
     * The node names, sorted.
     *
     * @return the names
     */
    public List<String> nodes() {
        return List.copyOf(nodes.keySet());
    }

    /**
     * Monthly counts of one node.
     *
     * @param node the node's name
     * @return month to counts (empty if the node is unknown)
     */
    public Map<YearMonth, DailyCounts> months(String node) {
        return java.util.Collections.unmodifiableMap(nodes.getOrDefault(node, Map.of()));
    }

    /**
     * Monthly counts over all nodes.
     *
     * @return month to counts
     */
    public Map<YearMonth, DailyCounts> totals() {
        Map<YearMonth, DailyCounts> out = new TreeMap<>();
        for (Map<YearMonth, DailyCounts> m : nodes.values()) {
            m.forEach((ym, c) -> out.merge(ym, c, DailyCounts::plus));
        }
        return out;
    }

    /**
     * What the {@code bounced} and {@code double_bounced} columns count, under the first mail table: an administrator
     * comparing {@code bounced} with the senders' complaints must know that the postmaster's double bounces are apart,
     * and that months before the split counted them in {@code bounced}.
     */
    static final String BOUNCED_NOTE = "bounced: bounces the node wrote to senders; double_bounced: those to the"
            + " postmaster for failed mail from <> (until session 52 counted in bounced)";

    /**
     * The plain-text report: the mail table of all nodes with a line saying what {@code bounced} counts, the virus
     * table, then each node's mail table.
     *
     * @return the tables, with a trailing newline
     */
    public String text() {
        StringBuilder sb = new StringBuilder();
        Map<YearMonth, DailyCounts> totals = totals();
        sb.append("Mail per month, all nodes (")
                .append(String.join(", ", nodes.keySet()))
                .append(")\n");
        mailTable(sb, totals);
        sb.append(BOUNCED_NOTE).append('\n');
        sb.append('\n').append("Viruses by name per month, all nodes\n");
        virusTable(sb, totals);
        for (Map.Entry<String, Map<YearMonth, DailyCounts>> e : nodes.entrySet()) {
            sb.append('\n').append("Node ").append(e.getKey()).append('\n');
            mailTable(sb, e.getValue());
        }
        return sb.toString();
    }

    private static void mailTable(StringBuilder sb, Map<YearMonth, DailyCounts> months) {
        table(sb, mailRows(months));
    }

    /**
     * A mail table's rows, the text's and the HTML's: the header, one row per month, a {@code total} row when there is
     * more than one month, a {@code (none)} row when there is none. Until session 50 the HTML tables had neither of the
     * last two: a month without mail was an empty table, and a year's totals were in the text alone.
     */
    private static List<String[]> mailRows(Map<YearMonth, DailyCounts> months) {
        List<String[]> rows = new ArrayList<>();
        List<String> header = new ArrayList<>(List.of("month"));
        for (Counter c : MAIL_COLUMNS) {
            header.add(c.key());
            if (c == Counter.SPAM) {
                header.add("spam%");
            }
        }
        rows.add(header.toArray(String[]::new));
        Map<Counter, Long> sum = new EnumMap<>(Counter.class);
        for (Map.Entry<YearMonth, DailyCounts> e : months.entrySet()) {
            rows.add(mailRow(e.getKey().toString(), e.getValue().counters()));
            e.getValue().counters().forEach((k, v) -> sum.merge(k, v, Long::sum));
        }
        if (months.size() > 1) {
            rows.add(mailRow("total", sum));
        }
        if (months.isEmpty()) {
            rows.add(mailRow("(none)", Map.of()));
        }
        return rows;
    }

    private static String[] mailRow(String label, Map<Counter, Long> counts) {
        List<String> row = new ArrayList<>(List.of(label));
        for (Counter c : MAIL_COLUMNS) {
            row.add(Long.toString(counts.getOrDefault(c, 0L)));
            if (c == Counter.SPAM) {
                row.add(ratio(counts.getOrDefault(Counter.SPAM, 0L), answered(counts)));
            }
        }
        return row.toArray(String[]::new);
    }

    /**
     * The scanned messages answered at the end of their data: received (2xx), rejected and tempfailed. Spam refused at
     * DATA ({@code spam-reject-score}) counts as spam but not as received, so a ratio over received alone passed 100%
     * (audit, session 39).
     */
    private static long answered(Map<Counter, Long> counts) {
        return counts.getOrDefault(Counter.RECEIVED, 0L)
                + counts.getOrDefault(Counter.REJECTED, 0L)
                + counts.getOrDefault(Counter.TEMPFAILED, 0L);
    }

    private static String ratio(long part, long whole) {
        return whole == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
    }

    private void virusTable(StringBuilder sb, Map<YearMonth, DailyCounts> months) {
        List<String[]> rows = new ArrayList<>();
        for (VirusRow r : virusRows(months)) {
            List<String> row = new ArrayList<>(List.of(r.label()));
            for (long v : r.perMonth()) {
                row.add(Long.toString(v));
            }
            row.add(Long.toString(r.total()));
            rows.add(row.toArray(String[]::new));
        }
        if (rows.isEmpty()) {
            sb.append("  (no viruses)\n");
            return;
        }
        List<String> header = new ArrayList<>(List.of("virus"));
        months.keySet().forEach(m -> header.add(m.toString()));
        header.add("total");
        rows.add(0, header.toArray(String[]::new));
        table(sb, rows);
    }

    /** One row of a virus table: a name, the other names summed, or the total; counts per month in month order. */
    private record VirusRow(String label, long[] perMonth, long total) {}

    /**
     * The virus table's rows for these months: the names by total, most frequent first, at most {@link #virusRows}
     * of them (0: all), then the rest summed, then the total over every name when more than one is counted.
     */
    private List<VirusRow> virusRows(Map<YearMonth, DailyCounts> months) {
        List<VirusRow> named = byFrequency(months);
        int columns = months.size();
        List<VirusRow> out = new ArrayList<>();
        long[] rest = new long[columns];
        long[] all = new long[columns];
        int others = 0;
        for (VirusRow r : named) {
            for (int i = 0; i < all.length; i++) {
                all[i] += r.perMonth()[i];
            }
            if (virusRows == 0 || out.size() < virusRows) {
                out.add(r);
            } else {
                others++;
                for (int i = 0; i < rest.length; i++) {
                    rest[i] += r.perMonth()[i];
                }
            }
        }
        if (others > 0) {
            out.add(new VirusRow("(" + others + " other name" + (others == 1 ? "" : "s") + ")", rest, sum(rest)));
        }
        if (named.size() > 1) {
            out.add(new VirusRow("total", all, sum(all)));
        }
        return out;
    }

    /** Every virus name's row, by total over the months, most frequent first; a tie keeps the names' order. */
    private static List<VirusRow> byFrequency(Map<YearMonth, DailyCounts> months) {
        List<DailyCounts> columns = List.copyOf(months.values());
        Map<String, long[]> byName = new TreeMap<>();
        for (int i = 0; i < columns.size(); i++) {
            for (Map.Entry<String, Long> e : columns.get(i).viruses().entrySet()) {
                byName.computeIfAbsent(e.getKey(), k -> new long[columns.size()])[i] += e.getValue();
            }
        }
        List<VirusRow> named = new ArrayList<>();
        byName.forEach((name, counts) -> named.add(new VirusRow(name, counts, sum(counts))));
        named.sort((a, b) -> Long.compare(b.total(), a.total())); // stable: ties stay in the TreeMap's order
        return named;
    }

    private static long sum(long[] counts) {
        long s = 0;
        for (long c : counts) {
            s += c;
        }
        return s;
    }

    private static void table(StringBuilder sb, List<String[]> rows) {
        int cols = rows.get(0).length;
        int[] width = new int[cols];
        for (String[] r : rows) {
            for (int i = 0; i < cols; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            sb.append(' ');
            for (int i = 0; i < cols; i++) {
                sb.append(' ');
                if (i == 0) {
                    sb.append(r[i]).append(" ".repeat(width[i] - r[i].length()));
                } else {
                    sb.append(" ".repeat(width[i] - r[i].length())).append(r[i]);
                }
            }
            sb.append('\n');
        }
    }

    /**
     * The HTML report: the same tables and two SVG bar charts (mail per month; viruses by name), self-contained.
     *
     * @return a complete HTML document
     */
    public String html() {
        Map<YearMonth, DailyCounts> totals = totals();
        StringBuilder sb = new StringBuilder();
        sb.append(
                        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Mail Hygiene report</title>\n")
                .append("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}")
                .append("td,th{border:1px solid #bbb;padding:.2em .6em;text-align:right}td:first-child,th:first-child")
                .append("{text-align:left}th{background:#eee}</style></head><body>\n")
                .append("<h1>Mail Hygiene report</h1>\n<p>Nodes: ")
                .append(esc(String.join(", ", nodes.keySet())))
                .append("</p>\n<h2>Mail per month, all nodes</h2>\n");
        sb.append(mailChart(totals));
        htmlMailTable(sb, totals);
        sb.append("<h2>Viruses by name per month, all nodes</h2>\n");
        sb.append(virusChart(totals));
        htmlVirusTable(sb, totals);
        for (Map.Entry<String, Map<YearMonth, DailyCounts>> e : nodes.entrySet()) {
            sb.append("<h2>Node ").append(esc(e.getKey())).append("</h2>\n");
            htmlMailTable(sb, e.getValue());
        }
        sb.append("</body></html>\n");
        return sb.toString();
    }

    private static void htmlMailTable(StringBuilder sb, Map<YearMonth, DailyCounts> months) {
        List<String[]> rows = mailRows(months);
        sb.append("<table>");
        for (int i = 0; i < rows.size(); i++) {
            String cell = i == 0 ? "th" : "td";
            sb.append("<tr>");
            for (String text : rows.get(i)) {
                sb.append('<')
                        .append(cell)
                        .append('>')
                        .append(esc(text))
                        .append("</")
                        .append(cell)
                        .append('>');
            }
            sb.append("</tr>\n");
        }
        sb.append("</table>\n");
    }

    private void htmlVirusTable(StringBuilder sb, Map<YearMonth, DailyCounts> months) {
        List<VirusRow> rows = virusRows(months);
        if (rows.isEmpty()) {
            sb.append("<p>No viruses.</p>\n");
            return;
        }
        sb.append("<table><tr><th>virus</th>");
        months.keySet().forEach(m -> sb.append("<th>").append(m).append("</th>"));
        sb.append("<th>total</th></tr>\n");
        for (VirusRow r : rows) {
            sb.append("<tr><td>").append(esc(r.label())).append("</td>");
            for (long v : r.perMonth()) {
                sb.append("<td>").append(v).append("</td>");
            }
            sb.append("<td>").append(r.total()).append("</td></tr>\n");
        }
        sb.append("</table>\n");
    }

    private static String mailChart(Map<YearMonth, DailyCounts> months) {
        Map<String, long[]> groups = new LinkedHashMap<>();
        for (Map.Entry<YearMonth, DailyCounts> e : months.entrySet()) {
            DailyCounts c = e.getValue();
            groups.put(e.getKey().toString(), new long[] {
                c.get(Counter.RECEIVED), c.get(Counter.SENT), c.get(Counter.SPAM), c.get(Counter.INFECTED)
            });
        }
        return barChart(groups, new String[] {"received", "sent", "spam", "infected"});
    }

    private static String virusChart(Map<YearMonth, DailyCounts> months) {
        Map<String, long[]> groups = new LinkedHashMap<>();
        byFrequency(months).stream().limit(15).forEach(r -> groups.put(r.label(), new long[] {r.total()}));
        return groups.isEmpty() ? "" : barChart(groups, new String[] {"messages"});
    }

    /** A grouped bar chart as inline SVG. */
    private static String barChart(Map<String, long[]> groups, String[] series) {
        String[] colours = {"#4472c4", "#70ad47", "#ed7d31", "#c00000"};
        long max = 1;
        for (long[] v : groups.values()) {
            for (long x : v) {
                max = Math.max(max, x);
            }
        }
        int bar = 18;
        int gap = 14;
        int groupWidth = series.length * bar + gap;
        int chartHeight = 200;
        int left = 50;
        int width = left + Math.max(1, groups.size()) * groupWidth + 20;
        int height = chartHeight + 90;
        StringBuilder sb = new StringBuilder();
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"")
                .append(width)
                .append("\" height=\"")
                .append(height)
                .append("\" font-size=\"11\">\n");
        sb.append("<line x1=\"")
                .append(left)
                .append("\" y1=\"10\" x2=\"")
                .append(left)
                .append("\" y2=\"")
                .append(10 + chartHeight)
                .append("\" stroke=\"#333\"/>\n");
        sb.append("<text x=\"")
                .append(left - 4)
                .append("\" y=\"14\" text-anchor=\"end\">")
                .append(max)
                .append("</text>\n<text x=\"")
                .append(left - 4)
                .append("\" y=\"")
                .append(10 + chartHeight)
                .append("\" text-anchor=\"end\">0</text>\n");
        int x = left + gap / 2;
        for (Map.Entry<String, long[]> g : groups.entrySet()) {
            long[] v = g.getValue();
            for (int i = 0; i < v.length; i++) {
                int h = (int) Math.round((double) v[i] / max * chartHeight);
                sb.append("<rect x=\"")
                        .append(x + i * bar)
                        .append("\" y=\"")
                        .append(10 + chartHeight - h)
                        .append("\" width=\"")
                        .append(bar - 2)
                        .append("\" height=\"")
                        .append(h)
                        .append("\" fill=\"")
                        .append(colours[i % colours.length])
                        .append("\"><title>")
                        .append(esc(g.getKey()))
                        .append(' ')
                        .append(series[i])
                        .append(": ")
                        .append(v[i])
                        .append("</title></rect>\n");
            }
            sb.append("<text x=\"")
                    .append(x)
                    .append("\" y=\"")
                    .append(24 + chartHeight)
                    .append("\" transform=\"rotate(30 ")
                    .append(x)
                    .append(' ')
                    .append(24 + chartHeight)
                    .append(")\">")
                    .append(esc(g.getKey()))
                    .append("</text>\n");
            x += groupWidth;
        }
        for (int i = 0; i < series.length; i++) {
            int lx = left + i * 90;
            sb.append("<rect x=\"")
                    .append(lx)
                    .append("\" y=\"")
                    .append(height - 14)
                    .append("\" width=\"10\" height=\"10\" fill=\"")
                    .append(colours[i % colours.length])
                    .append("\"/><text x=\"")
                    .append(lx + 14)
                    .append("\" y=\"")
                    .append(height - 5)
                    .append("\">")
                    .append(series[i])
                    .append("</text>\n");
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
