package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.DefaultPolicy;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.api.shared.SharedStates;
import org.mailhygiene.smtp.stats.NodeStatistics;
import org.mailhygiene.testkit.FakeClock;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.redis.RealRedis;

class ReportCommandTest {
    @TempDir
    Path tmp;

    private void fill(String node, int received, String virus) throws Exception {
        try (NodeStatistics s = NodeStatistics.open(tmp.resolve(node), node, FakeClock.start())) {
            for (int i = 0; i < received; i++) {
                s.received();
            }
            s.disposition(
                    DefaultPolicy.defaults().decide(List.of(Verdict.infected("clamd", List.of(virus), Duration.ZERO))),
                    Message.of(new byte[0]));
        }
    }

    @Test
    void printsTablesPerNodeAndTotalAndWritesHtml() throws Exception {
        fill("edge-1", 4, "Worm.NetSky.Q");
        fill("gateway", 6, "Worm.Bagle.A");
        Run r = Run.main("report", "--data", tmp.toString());
        assertThat(r.status()).isZero();
        assertThat(r.out())
                .contains("Mail per month, all nodes (edge-1, gateway)")
                .contains("2026-01")
                .contains("Worm.NetSky.Q")
                .contains("Worm.Bagle.A")
                .contains("Node edge-1")
                .contains("Node gateway");
        Path html = tmp.resolve("report.html");
        assertThat(Files.readString(html)).contains("<svg", "Worm.Bagle.A");
    }

    /** A file the node set aside as malformed was left out of the report without a word: its days looked quieter. */
    @Test
    void aSetAsideFileIsNamedOnStandardError() throws Exception {
        fill("gateway", 2, "X");
        Path aside = tmp.resolve("gateway/stats/2025-12-31.stats.corrupt");
        Files.writeString(aside, "received 12x\n");
        Run r = Run.main("report", "--data", tmp.toString(), "--html", "-");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("Node gateway");
        assertThat(r.err())
                .isEqualTo("hygiene report: not counted: " + aside
                        + " (a malformed file the node set aside; its log's ERROR line names the problem)\n");
    }

    /**
     * A malformed file of an earlier day (edited by hand, damaged) stopped the command, exit 2, with nothing reported,
     * while the running node's daily mail left it out with a WARN line. Now the rest is reported (exit 0) and the file
     * is named on standard error with its line.
     */
    @Test
    void aMalformedFileOfAnEarlierDayIsLeftOutAndNamedWithItsLine() throws Exception {
        fill("gateway", 3, "Worm.Bagle.A");
        Path bad = tmp.resolve("gateway/stats/2025-12-30.stats");
        Files.writeString(bad, "# mail-hygiene daily statistics v1\nnode gateway\nday 2025-12-30\nreceived 12x\n");
        Run r = Run.main("report", "--data", tmp.toString(), "--html", "-");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("Node gateway").contains("2026-01").contains("Worm.Bagle.A");
        assertThat(r.err())
                .startsWith("hygiene report: not counted: " + bad + " line 4: ")
                .contains("'12x'")
                .endsWith(" (a malformed file; the other files are reported)\n");
    }

    /**
     * Audit, session 50: an empty statistics file (a copy to a full disk) counted as a day without mail and was named
     * nowhere, so the month looked quieter than it was.
     */
    @Test
    void anEmptyFileIsNamedAndTheRestReported() throws Exception {
        fill("gateway", 3, "Worm.Bagle.A");
        Path empty = tmp.resolve("gateway/stats/2025-12-30.stats");
        Files.write(empty, new byte[0]);
        Run r = Run.main("report", "--data", tmp.toString(), "--html", "-");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("Node gateway").contains("2026-01").doesNotContain("2025-12");
        assertThat(r.err())
                .isEqualTo("hygiene report: not counted: " + empty + ": empty: no 'day 2025-12-30' line (a complete"
                        + " statistics file names its day at the top) (a malformed file; the other files are"
                        + " reported)\n");
    }

    /**
     * Audit, session 50: a node whose time zone is ahead of the machine running the report (a relay started with
     * {@code TZ=Pacific/Kiritimati}, the report in UTC) publishes its day before this machine's day has begun, and
     * {@code hygiene report --redis} without {@code --month} read the days up to this machine's today only: the node
     * and its mail were missing from the report.
     */
    @Test
    void aNodeWhoseDayHasAlreadyTurnedIsInTheClustersReport() throws Exception {
        try (RealRedis redis = RealRedis.start(
                        RealBinaries.require("redis-server", "redis-server"), tmp.resolve("redis"), List.of());
                SharedState state = SharedStates.open(redis.url(), Duration.ofSeconds(5))) {
            LocalDate today = LocalDate.now();
            state.counters().publish("here", today, Map.of("received", 3L));
            state.counters().publish("ahead", today.plusDays(1), Map.of("received", 5L, "virus:Worm.X", 1L));
            Run r = Run.main("report", "--redis", redis.url());
            assertThat(r.status()).as(r.err()).isZero();
            assertThat(r.out())
                    .contains("all nodes (ahead, here)")
                    .contains("Node ahead")
                    .contains("Worm.X");
        }
    }

    /**
     * A month without statistics: {@code --data} printed {@code (none)} and exited 0, {@code --redis} with a store that
     * holds other months exited 2 ("no statistics in the shared store"). Both print {@code (none)} and exit 0 now; a
     * store with no statistics at all is still exit 2.
     */
    @Test
    void aMonthWithoutStatisticsIsNoneWithRedisAsWithData() throws Exception {
        try (RealRedis redis = RealRedis.start(
                        RealBinaries.require("redis-server", "redis-server"), tmp.resolve("redis"), List.of());
                SharedState state = SharedStates.open(redis.url(), Duration.ofSeconds(5))) {
            Run empty = Run.main("report", "--redis", redis.url(), "--month", "2026-02");
            assertThat(empty.status()).as(empty.out()).isEqualTo(2);
            assertThat(empty.err()).contains("no statistics in the shared store");
            LocalDate today = LocalDate.now();
            state.counters().publish("edge-1", today, Map.of("received", 3L, "bounced", 1L));
            String quiet = java.time.YearMonth.from(today.minusMonths(2)).toString();
            Run none = Run.main("report", "--redis", redis.url(), "--month", quiet);
            assertThat(none.status()).as(none.err()).isZero();
            assertThat(none.out())
                    .contains("all nodes (edge-1)")
                    .contains("(none)")
                    .doesNotContain(java.time.YearMonth.from(today).toString());
            fill("edge-1", 1, "X");
            Run data = Run.main("report", "--data", tmp.toString(), "--month", quiet, "--html", "-");
            assertThat(data.status()).isZero();
            assertThat(none.out()).isEqualTo(data.out());
            assertThat(none.out())
                    .contains("bounced: bounces the node wrote to senders; double_bounced: those to the postmaster");
        }
    }

    @Test
    void monthFilterAndHtmlOptions() throws Exception {
        fill("gateway", 1, "X");
        Run none = Run.main("report", "--data", tmp.toString(), "--month", "2026-02", "--html", "-");
        assertThat(none.status()).isZero();
        assertThat(none.out()).doesNotContain("2026-01").contains("(none)");
        assertThat(tmp.resolve("report.html")).doesNotExist();
        Path out = tmp.resolve("r.html");
        assertThat(Run.main("report", "--data", tmp.toString(), "--html", out.toString())
                        .status())
                .isZero();
        assertThat(out).exists();
        // a directory that does not exist: said in words (it was "java.nio.file.NoSuchFileException: .../r.html.tmp")
        Path nowhere = tmp.resolve("missing/r.html");
        Run failed = Run.main("report", "--data", tmp.toString(), "--html", nowhere.toString());
        assertThat(failed.status()).isEqualTo(2);
        assertThat(failed.err()).isEqualTo("hygiene report: cannot write " + nowhere + ": no such file\n");
    }

    /** {@code --viruses N} caps the virus table (default 30 names, 0 for all). */
    @Test
    void virusesOptionCapsTheVirusTable() throws Exception {
        fill("gateway", 1, "Worm.Bagle.A");
        fill("edge-1", 1, "Worm.NetSky.Q");
        Run one = Run.main("report", "--data", tmp.toString(), "--viruses", "1", "--html", "-");
        assertThat(one.status()).isZero();
        assertThat(one.out()).contains("Worm.Bagle.A", "(1 other name)").doesNotContain("Worm.NetSky.Q");
        Run all = Run.main("report", "--data", tmp.toString(), "--viruses", "0", "--html", "-");
        assertThat(all.out()).contains("Worm.Bagle.A", "Worm.NetSky.Q").doesNotContain("other name");
    }

    /**
     * {@code --redis} naming a TCP echo (a wrong port): the echo's copy of {@code SMEMBERS} read as a set of node
     * names, and the report said {@code counter HGETALL of ... is not a number (repair or delete it)}, sending the
     * administrator to repair data that is not there. Now it says the address is not a Redis server.
     */
    @Test
    void aRedisUrlNamingAnotherServiceIsSaidToBeNoRedis() throws Exception {
        try (org.mailhygiene.testkit.server.FakeServer echo = org.mailhygiene.testkit.server.FakeServer.builder(
                        "fake-echo", c -> c.input().transferTo(c.output()))
                .start()) {
            Run r = Run.main("report", "--redis", "redis://127.0.0.1:" + echo.port());
            assertThat(r.status()).isEqualTo(2);
            assertThat(r.err())
                    .startsWith("hygiene report: redis://127.0.0.1:" + echo.port() + "/0: PING failed: ")
                    .contains("is the URL's address a Redis server?")
                    .doesNotContain("is not a number");
        }
    }

    @Test
    void usageAndDataErrors() {
        assertThat(Run.main("report").status()).isEqualTo(2);
        assertThat(Run.main("report", "--data", tmp.toString(), "--month", "May")
                        .err())
                .contains("YYYY-MM");
        Run negative = Run.main("report", "--data", tmp.toString(), "--viruses", "-1");
        assertThat(negative.status()).isEqualTo(2);
        assertThat(negative.err()).contains("--viruses wants a whole number, 0 for every name, got '-1'");
        Run empty = Run.main("report", "--data", tmp.toString());
        assertThat(empty.status()).isEqualTo(2);
        assertThat(empty.err()).contains("no statistics");
    }
}
