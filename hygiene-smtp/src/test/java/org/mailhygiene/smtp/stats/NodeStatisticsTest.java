package org.mailhygiene.smtp.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.ScanResult;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.DefaultPolicy;
import org.mailhygiene.api.policy.Disposition;
import org.mailhygiene.testkit.FakeClock;

class NodeStatisticsTest {
    @TempDir
    Path dir;

    private final FakeClock clock = FakeClock.start();
    private final Message msg = Message.of(new byte[0]);

    private static Disposition decide(ScanResult... results) {
        return DefaultPolicy.defaults().decide(List.of(results));
    }

    private static Verdict virus(String name) {
        return Verdict.infected("clamd", List.of(name), Duration.ZERO);
    }

    private static Verdict spam() {
        return Verdict.builder("spamd", org.mailhygiene.api.Outcome.SPAM)
                .score(9)
                .threshold(6.8)
                .build();
    }

    @Test
    void countsSurviveARestart() throws Exception {
        try (NodeStatistics s = NodeStatistics.open(dir, "gateway", clock)) {
            s.received();
            s.received();
            s.sent();
            s.disposition(decide(virus("Worm.NetSky"), virus("Worm.NetSky")), msg);
            s.disposition(decide(spam()), msg);
            s.scanFailed(new ScanFailure("clamd", ScanFailure.Kind.TIMED_OUT, "slow", Duration.ZERO), msg);
        }
        try (NodeStatistics s = NodeStatistics.open(dir, "gateway", clock)) {
            s.received();
            DailyCounts today = s.today();
            assertThat(today.get(Counter.RECEIVED)).isEqualTo(3);
            assertThat(today.get(Counter.SENT)).isEqualTo(1);
            assertThat(today.get(Counter.REJECTED)).isEqualTo(1);
            assertThat(today.get(Counter.INFECTED)).isEqualTo(1);
            assertThat(today.get(Counter.SPAM)).isEqualTo(1);
            assertThat(today.get(Counter.TAGGED)).isEqualTo(1);
            assertThat(today.get(Counter.SCANNER_FAILURES)).isEqualTo(1);
            // one message with the same virus named twice counts once
            assertThat(today.viruses()).containsEntry("Worm.NetSky", 1L);
        }
    }

    @Test
    void aNewDayStartsNewCountersAndKeepsTheOldFile() throws Exception {
        try (NodeStatistics s = NodeStatistics.open(dir, "edge-1", clock)) {
            s.received();
            clock.advance(Duration.ofDays(1));
            s.received();
            s.received();
            assertThat(s.today().get(Counter.RECEIVED)).isEqualTo(2);
            List<DailyCounts> history = s.history();
            assertThat(history)
                    .extracting(DailyCounts::day)
                    .containsExactly(LocalDate.parse("2026-01-01"), LocalDate.parse("2026-01-02"));
            assertThat(history.get(0).get(Counter.RECEIVED)).isEqualTo(1);
        }
        assertThat(dir.resolve("stats/2026-01-01.stats")).exists();
        assertThat(dir.resolve("stats/2026-01-02.stats")).exists();
    }

    /**
     * Audit, session 39: at midnight the first event of the new day wrote the old day's file; when that write failed (a
     * full disk) the event threw, so every message of the new day went uncounted (and the node's dispositions meter and
     * log line after it were skipped) until the disk had room again.
     */
    @Test
    void aDayThatCannotBeWrittenAtMidnightLosesNothingAndFailsNoEvent() throws Exception {
        Path blocker = dir.resolve("stats/2026-01-01.stats.tmp");
        try (NodeStatistics s = NodeStatistics.open(dir, "edge-1", clock)) {
            s.received();
            s.received();
            // The temporary file cannot be created (a directory, not empty so that the clean-up of a failed write
            // cannot remove it): every write fails, as on a full disk.
            Files.createDirectories(blocker.resolve("x"));
            assertThatThrownBy(s::flush).isInstanceOf(java.io.IOException.class);
            clock.advance(Duration.ofDays(1));
            s.received(); // the first event of the new day
            s.disposition(decide(virus("Worm.NetSky")), msg);
            assertThat(s.today().get(Counter.RECEIVED)).isEqualTo(1);
            assertThat(s.today().get(Counter.INFECTED)).isEqualTo(1);
            assertThatThrownBy(s::flush).isInstanceOf(java.io.IOException.class);
            assertThat(s.history()).extracting(d -> d.get(Counter.RECEIVED)).containsExactly(2L, 1L);
            Files.delete(blocker.resolve("x")); // space again
            Files.delete(blocker);
            s.flush();
        }
        assertThat(NodeStatistics.read(dir.resolve("stats/2026-01-01.stats")).get(Counter.RECEIVED))
                .isEqualTo(2);
        DailyCounts second = NodeStatistics.read(dir.resolve("stats/2026-01-02.stats"));
        assertThat(second.get(Counter.RECEIVED)).isEqualTo(1);
        assertThat(second.viruses()).containsEntry("Worm.NetSky", 1L);
    }

    @Test
    void signatureUpdatesAndCacheHitsAreCounted() throws Exception {
        try (NodeStatistics s = NodeStatistics.open(dir, "gateway", clock)) {
            s.signatureUpdate("freshclam", true, "ok", Duration.ofSeconds(1));
            s.signatureUpdate("freshclam", false, "exit 1", Duration.ofSeconds(1));
            s.cacheHit(virus("X"), msg);
            DailyCounts t = s.today();
            assertThat(t.get(Counter.SIGNATURE_UPDATES)).isEqualTo(1);
            assertThat(t.get(Counter.SIGNATURE_UPDATE_FAILURES)).isEqualTo(1);
            assertThat(t.get(Counter.CACHE_HITS)).isEqualTo(1);
        }
    }

    @Test
    void aMalformedFileIsReportedWithItsLine() throws Exception {
        Files.createDirectories(dir.resolve("stats"));
        Path f = dir.resolve("stats/2026-01-01.stats");
        Files.writeString(f, "# x\nnode n\nreceived 3\nBogus-Counter 4\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> NodeStatistics.read(f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("line 4: 'Bogus-Counter' is no counter name");
        Files.writeString(f, "# x\nnode n\nday 2026-01-01\nfuture_counter 4x\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> NodeStatistics.read(f))
                .hasMessage(f + " line 4: future_counter: not a whole number of 0 or more: '4x'");
    }

    /**
     * Session 53: a counter this version does not know (a newer version's, before the node was rolled back, as
     * {@code double_bounced} is to versions before session 52) made today's file malformed: it was set aside and the
     * day's counts began again from zero, and {@code hygiene report} left the day out. Now the known counters are
     * read, and the unknown ones are written back unchanged into the day's file, so going forward again loses nothing.
     */
    @Test
    void aNewerVersionsCounterIsKeptAndTheDayCountsOn() throws Exception {
        Path stats = dir.resolve("stats");
        Files.createDirectories(stats);
        LocalDate day = LocalDate.now(clock);
        Path today = stats.resolve(day + ".stats");
        Files.writeString(
                today,
                NodeStatistics.HEADER + "\nnode n\nday " + day + "\nreceived 5\nfuture_counter 7\nlater_one 0\n"
                        + NodeStatistics.END + "\n",
                StandardCharsets.UTF_8);
        assertThat(NodeStatistics.read(today).get(Counter.RECEIVED)).isEqualTo(5);
        try (NodeStatistics s = NodeStatistics.open(dir, "n", clock)) {
            assertThat(s.today().get(Counter.RECEIVED)).isEqualTo(5);
            s.received();
        }
        assertThat(stats.resolve(day + ".stats.corrupt")).doesNotExist();
        String written = Files.readString(today);
        assertThat(written).contains("\nreceived 6\n", "\nfuture_counter 7\n", "\nlater_one 0\n");
        assertThat(NodeStatistics.readDirectory(stats))
                .singleElement()
                .satisfies(d -> assertThat(d.get(Counter.RECEIVED)).isEqualTo(6));

        // the next day's file is this version's own
        clock.advance(Duration.ofDays(1));
        try (NodeStatistics s = NodeStatistics.open(dir, "n", clock)) {
            s.received();
        }
        assertThat(Files.readString(stats.resolve(day.plusDays(1) + ".stats"))).doesNotContain("future_counter");
        assertThat(Files.readString(today)).contains("\nfuture_counter 7\n");
    }

    /**
     * Audit, session 46: a count that was no number was reported in Java's words ({@code For input string: "12x"}),
     * and a negative one was read as it stood.
     */
    @Test
    void aBadCountIsNamedWithItsCounterAndValue() throws Exception {
        Files.createDirectories(dir.resolve("stats"));
        Path f = dir.resolve("stats/2026-01-01.stats");
        for (String bad : List.of("12x", "-3", "+3", "99999999999999999999", "")) {
            Files.writeString(f, "# x\nnode n\nday 2026-01-01\nreceived " + bad + "\n", StandardCharsets.UTF_8);
            assertThatThrownBy(() -> NodeStatistics.read(f))
                    .as(bad)
                    .hasMessage(f + " line 4: received: not a whole number of 0 or more: '" + bad + "'");
        }
        Files.writeString(f, "# x\nnode n\nvirus\tWorm.X\tmany\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> NodeStatistics.read(f))
                .hasMessage(f + " line 3: virus Worm.X: not a whole number of 0 or more: 'many'");
        Files.write(f, new byte[] {'r', 'e', 'c', (byte) 0xff, ' ', '1', '\n'});
        assertThatThrownBy(() -> NodeStatistics.read(f)).hasMessageContaining(f + ": not UTF-8 text");
    }

    /**
     * Audit, session 46: a malformed file of today (edited by hand, damaged, or of a newer version) stopped the node's
     * start ({@code hygiene relay: cannot start: java.lang.IllegalArgumentException: ... For input string: "12x"}),
     * for the sake of its statistics. Now it is set aside, never replaced, and the day counts again from zero.
     */
    @Test
    void aMalformedFileOfTodayIsSetAsideAndTheNodeCountsOn() throws Exception {
        Path stats = dir.resolve("stats");
        Files.createDirectories(stats);
        Path today = stats.resolve("2026-01-01.stats");
        Files.writeString(stats.resolve("2026-01-01.stats.corrupt"), "an older one\n", StandardCharsets.UTF_8);
        String bad = "# x\nnode n\nday 2026-01-01\nreceived 12x\n";
        Files.writeString(today, bad, StandardCharsets.UTF_8);
        try (NodeStatistics s = NodeStatistics.open(dir, "n", clock)) {
            assertThat(s.today().get(Counter.RECEIVED)).isZero();
            s.received();
        }
        assertThat(Files.readString(stats.resolve("2026-01-01.stats.corrupt"))).isEqualTo("an older one\n");
        assertThat(Files.readString(stats.resolve("2026-01-01.stats.corrupt.2")))
                .isEqualTo(bad);
        assertThat(NodeStatistics.read(today).get(Counter.RECEIVED)).isEqualTo(1);
        assertThat(NodeStatistics.readDirectory(stats)).hasSize(1);

        Files.write(today, new byte[] {'r', (byte) 0xc3, '\n'});
        try (NodeStatistics s = NodeStatistics.open(dir, "n", clock)) {
            assertThat(s.today().get(Counter.RECEIVED)).isZero();
        }
        assertThat(stats.resolve("2026-01-01.stats.corrupt.3")).exists();
    }

    /**
     * Audit, session 50: a statistics file cut short (a copy to a full disk, a restored backup) was read as far as it
     * went, and an empty one as a day without mail, without a word: {@code hygiene report} showed fewer messages and
     * named no file. A file cut at any byte before its last line is now named as such.
     */
    @Test
    void aFileCutShortAtAnyByteIsNamedAsSuch() throws Exception {
        try (NodeStatistics s = NodeStatistics.open(dir, "gateway", clock)) {
            for (int i = 0; i < 12; i++) {
                s.received();
            }
            s.sent();
            s.disposition(decide(virus("Worm.NetSky")), msg);
            s.disposition(decide(spam()), msg);
        }
        Path f = dir.resolve("stats/2026-01-01.stats");
        byte[] whole = Files.readAllBytes(f);
        assertThat(NodeStatistics.read(f).get(Counter.RECEIVED)).isEqualTo(12);
        Path cut = dir.resolve("2026-01-01.stats");
        // the last byte is the final line break: without it the file is still whole
        for (int n = 0; n < whole.length - 1; n++) {
            Files.write(cut, java.util.Arrays.copyOf(whole, n));
            assertThatThrownBy(() -> NodeStatistics.read(cut))
                    .as("cut after %d of %d bytes", n, whole.length)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith(cut.toString());
        }
        Files.write(cut, new byte[0]);
        assertThatThrownBy(() -> NodeStatistics.read(cut))
                .hasMessage(cut + ": empty: no 'day 2026-01-01' line (a complete statistics file names its day at the"
                        + " top)");
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length - 8));
        assertThatThrownBy(() -> NodeStatistics.read(cut)).hasMessageContaining(": cut short after line ");
        // a file written before the end line existed is still read whole
        Files.writeString(cut, "# mail-hygiene daily statistics v1\nnode gateway\nday 2026-01-01\nreceived 5\n");
        assertThat(NodeStatistics.read(cut).get(Counter.RECEIVED)).isEqualTo(5);
        // and one of another day's name is no day of this one
        Files.writeString(cut, "# mail-hygiene daily statistics v1\nnode gateway\nday 2025-12-31\nreceived 5\n");
        assertThatThrownBy(() -> NodeStatistics.read(cut))
                .hasMessageContaining("line 3: the file of 2026-01-01 says day '2025-12-31'");
    }

    /**
     * A malformed file of an earlier day made {@code history()} throw, so the node's daily report mail and the shared
     * counters failed every day on it: it is left out there now (and {@code hygiene report} still refuses it).
     */
    @Test
    void aMalformedFileOfAnEarlierDayIsLeftOutOfTheHistory() throws Exception {
        Path stats = dir.resolve("stats");
        Files.createDirectories(stats);
        Files.writeString(stats.resolve("2025-12-30.stats"), "node n\nday 2025-12-30\nreceived 7\n");
        Files.writeString(stats.resolve("2025-12-31.stats"), "node n\nday 2025-12-31\nreceived 12x\n");
        try (NodeStatistics s = NodeStatistics.open(dir, "n", clock)) {
            s.received();
            assertThat(s.history())
                    .extracting(DailyCounts::day)
                    .containsExactly(java.time.LocalDate.parse("2025-12-30"), java.time.LocalDate.parse("2026-01-01"));
        }
        assertThatThrownBy(() -> NodeStatistics.readDirectory(stats))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2025-12-31.stats line 3");
    }

    @Test
    void reportShowsMonthlyTablesPerNodeAndInTotal() throws Exception {
        Path data = dir.resolve("data");
        for (String node : List.of("edge-1", "gateway")) {
            try (NodeStatistics s = NodeStatistics.open(data.resolve(node), node, clock)) {
                for (int i = 0; i < 10; i++) {
                    s.received();
                }
                s.disposition(decide(spam()), msg);
                if (node.equals("gateway")) {
                    s.disposition(decide(virus("Worm.Bagle")), msg);
                }
            }
        }
        clock.advance(Duration.ofDays(40));
        try (NodeStatistics s = NodeStatistics.open(data.resolve("gateway"), "gateway", clock)) {
            s.received();
            s.disposition(decide(virus("Worm.MyDoom")), msg);
        }
        StatisticsReport all = StatisticsReport.load(data, Optional.empty());
        assertThat(all.nodes()).containsExactly("edge-1", "gateway");
        assertThat(all.totals().get(YearMonth.parse("2026-01")).get(Counter.RECEIVED))
                .isEqualTo(20);
        assertThat(all.totals().get(YearMonth.parse("2026-01")).get(Counter.SPAM))
                .isEqualTo(2);
        String text = all.text();
        assertThat(text).contains("2026-01", "2026-02", "Worm.Bagle", "Worm.MyDoom", "10.0%", "Node edge-1");
        String html = all.html();
        assertThat(html).startsWith("<!DOCTYPE html>").contains("<svg", "Worm.MyDoom", "</html>");

        StatisticsReport feb = StatisticsReport.load(data, Optional.of(YearMonth.parse("2026-02")));
        assertThat(feb.totals()).containsOnlyKeys(YearMonth.parse("2026-02"));
        assertThat(feb.text()).doesNotContain("Worm.Bagle");
    }

    /**
     * A node's data directory is usually named for the software, not the node ({@code data = /var/lib/hygiene}):
     * {@code hygiene report --data DIR} named the node {@code hygiene}, while its daily mail and the shared store name it
     * {@code edge-1}. The report names it as its files do; a directory whose files name no node keeps its own name, and
     * two directories of one node are told apart by their directories.
     */
    @Test
    void aReportNamesTheNodeAsItsStatisticsFilesDo() throws Exception {
        Path data = dir.resolve("hygiene");
        try (NodeStatistics s = NodeStatistics.open(data, "edge-1", clock)) {
            s.received();
        }
        assertThat(StatisticsReport.load(data, Optional.empty()).nodes()).containsExactly("edge-1");
        assertThat(StatisticsReport.load(data, Optional.empty()).text()).contains("Node edge-1");

        Path cluster = dir.resolve("cluster");
        for (String d : List.of("a", "b", "c")) {
            try (NodeStatistics s = NodeStatistics.open(cluster.resolve(d), d.equals("c") ? "gw" : "edge-1", clock)) {
                s.received();
            }
        }
        // files of an old version, without a node line: the directory names them
        Path old = cluster.resolve("old").resolve("stats");
        Files.createDirectories(old);
        Files.writeString(old.resolve("2026-01-01.stats"), "day 2026-01-01\nreceived 2\n");
        assertThat(StatisticsReport.load(cluster, Optional.empty()).nodes())
                .containsExactlyInAnyOrder("edge-1", "edge-1 (b)", "gw", "old");
    }

    /**
     * Review, session 55: the name is read from the newest file whose name is a day, as {@link NodeStatistics#nodeName}
     * says; a file of another name ("notes.stats", which sorts after every day) named the node.
     */
    @Test
    void aFileWhoseNameIsNoDayDoesNotNameTheNode() throws Exception {
        Path data = dir.resolve("hygiene");
        try (NodeStatistics s = NodeStatistics.open(data, "edge-1", clock)) {
            s.received();
        }
        Files.writeString(data.resolve("stats").resolve("notes.stats"), "node forged\nday 2026-01-01\n");
        assertThat(NodeStatistics.nodeName(data.resolve("stats"))).contains("edge-1");
    }

    /**
     * Audit, session 50: the HTML report's mail tables had no {@code total} row over several months and no {@code
     * (none)} row for a month without mail (an empty table), which the text's tables have.
     */
    @Test
    void theHtmlMailTablesHaveTheTextsTotalAndNoneRows() throws Exception {
        try (NodeStatistics s = NodeStatistics.open(dir, "gateway", clock)) {
            for (int i = 0; i < 3; i++) {
                s.received();
            }
        }
        clock.advance(Duration.ofDays(40));
        try (NodeStatistics s = NodeStatistics.open(dir, "gateway", clock)) {
            for (int i = 0; i < 4; i++) {
                s.received();
            }
        }
        String total = "<tr><td>total</td><td>7</td>";
        StatisticsReport both = StatisticsReport.load(dir, Optional.empty());
        assertThat(both.text()).containsPattern("(?m)^  total +7 ");
        // the table of all nodes and the node's own
        assertThat(both.html().split(java.util.regex.Pattern.quote(total), -1)).hasSize(3);
        StatisticsReport none = StatisticsReport.load(dir, Optional.of(YearMonth.parse("2025-11")));
        assertThat(none.text()).contains("(none)");
        assertThat(none.html().split(java.util.regex.Pattern.quote("<tr><td>(none)</td><td>0</td>"), -1))
                .hasSize(3);
        assertThat(none.html()).contains("<tr><th>month</th><th>received</th><th>sent</th><th>bounced</th>");
    }

    /**
     * Audit, session 39: bounces and discarded messages were counted in the files (and in Redis) but no column of
     * {@code hygiene report} or the daily mail showed them.
     */
    @Test
    void reportShowsBouncedAndDiscarded() throws Exception {
        try (NodeStatistics s = NodeStatistics.open(dir, "edge-1", clock)) {
            s.received();
            s.bounced();
            s.bounced();
            s.doubleBounced();
            s.add(Counter.DISCARDED, 3);
        }
        String text = StatisticsReport.load(dir, Optional.empty()).text();
        List<String> lines = text.lines().toList();
        String[] header = lines.get(1).trim().split(" +");
        String[] row = lines.get(2).trim().split(" +");
        assertThat(header).contains("bounced", "discarded");
        assertThat(row[List.of(header).indexOf("bounced")]).isEqualTo("2");
        assertThat(row[List.of(header).indexOf("discarded")]).isEqualTo("3");
        assertThat(row[List.of(header).indexOf("double_bounced")]).isEqualTo("1");
        assertThat(StatisticsReport.load(dir, Optional.empty()).html())
                .contains("<th>bounced</th><th>double_bounced</th>", "<th>discarded</th>");
    }

    /** Audit, session 39: 3 spam refused at DATA and 1 clean message received showed spam% 300.0%. */
    @Test
    void theSpamRatioIsOverEveryAnsweredMessageNotOnlyTheReceived() throws Exception {
        Verdict sure = Verdict.builder("bayes", org.mailhygiene.api.Outcome.SPAM)
                .score(0.999)
                .threshold(0.8)
                .build();
        try (NodeStatistics s = NodeStatistics.open(dir, "edge-1", clock)) {
            s.received();
            for (int i = 0; i < 3; i++) {
                s.disposition(
                        new Disposition(
                                org.mailhygiene.api.policy.Action.REJECT,
                                new org.mailhygiene.api.policy.SmtpReply(554, "5.7.1", "Message classified as spam"),
                                "spam",
                                Optional.empty(),
                                List.of(),
                                List.of(sure)),
                        msg);
            }
        }
        String text = StatisticsReport.load(dir, Optional.empty()).text();
        assertThat(text).contains("75.0%").doesNotContain("300.0%");
    }

    /**
     * Audit, session 39: the virus table listed every name in the order of the alphabet, one line each: a year of a
     * gateway's 3,000 ClamAV names made the report (and the daily mail) 3,107 lines long. Now the most frequent names,
     * the others summed in one row, and a total.
     */
    @Test
    void theVirusTableShowsTheMostFrequentNamesAndSumsTheRest() throws Exception {
        try (NodeStatistics s = NodeStatistics.open(dir, "gateway", clock)) {
            // Name.01 seen once, ..., Name.40 seen 40 times: 820 infected messages in all
            for (int n = 1; n <= 40; n++) {
                for (int i = 0; i < n; i++) {
                    s.disposition(decide(virus(String.format("Name.%02d", n))), msg);
                }
            }
            clock.advance(Duration.ofDays(31));
            s.disposition(decide(virus("Name.01")), msg);
        }
        StatisticsReport report = StatisticsReport.load(dir, Optional.empty());
        List<String> rows = virusRows(report.text());
        // header, 30 names from the most frequent down, the 10 others summed (1 + ... + 10 = 55, plus one in February)
        assertThat(rows).hasSize(1 + 30 + 1 + 1);
        assertThat(rows.get(1).trim().split(" +")).containsExactly("Name.40", "40", "0", "40");
        assertThat(rows.get(30).trim().split(" +")).containsExactly("Name.11", "11", "0", "11");
        assertThat(rows.get(31).trim()).matches("\\(10 other names\\) +55 +1 +56");
        assertThat(rows.get(32).trim().split(" +")).containsExactly("total", "820", "1", "821");
        assertThat(report.html()).contains("<td>(10 other names)</td><td>55</td><td>1</td><td>56</td>");

        List<String> all = virusRows(report.withVirusRows(0).text());
        assertThat(all).hasSize(1 + 40 + 1);
        // Name.01 (1 + 1) ties with Name.02 (2 + 0): the names' order decides
        assertThat(all.get(39).trim().split(" +")).containsExactly("Name.01", "1", "1", "2");
        assertThat(all.get(40).trim().split(" +")).containsExactly("Name.02", "2", "0", "2");
        assertThat(virusRows(report.withVirusRows(39).text()).get(40).trim()).matches("\\(1 other name\\) +2 +0 +2");
        assertThatThrownBy(() -> report.withVirusRows(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    /** Ties keep the order of the names; one name has no total row. */
    @Test
    void theVirusTableOrdersTiesByNameAndOneNameHasNoTotal() throws Exception {
        try (NodeStatistics s = NodeStatistics.open(dir, "gateway", clock)) {
            s.disposition(decide(virus("Worm.B")), msg);
        }
        assertThat(virusRows(StatisticsReport.load(dir, Optional.empty()).text()))
                .hasSize(2);
        try (NodeStatistics s = NodeStatistics.open(dir, "gateway", clock)) {
            s.disposition(decide(virus("Worm.A")), msg);
        }
        List<String> rows =
                virusRows(StatisticsReport.load(dir, Optional.empty()).text());
        assertThat(rows).hasSize(4);
        assertThat(rows.get(1)).contains("Worm.A");
        assertThat(rows.get(2)).contains("Worm.B");
    }

    /** The lines of the text report's virus table, its header first. */
    private static List<String> virusRows(String text) {
        List<String> lines = text.lines().toList();
        int start = lines.indexOf("Viruses by name per month, all nodes") + 1;
        int end = start;
        while (end < lines.size() && !lines.get(end).isEmpty()) {
            end++;
        }
        return lines.subList(start, end);
    }

    @Test
    void reportOnAnEmptyDirectoryIsAClearError() {
        assertThatThrownBy(() -> StatisticsReport.load(dir, Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no statistics");
    }
}
