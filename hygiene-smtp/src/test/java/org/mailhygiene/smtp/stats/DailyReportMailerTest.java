package org.mailhygiene.smtp.stats;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.testkit.FakeClock;

class DailyReportMailerTest {
    @TempDir
    Path dir;

    @Test
    void nextRunIsLaterTodayOrTomorrow() {
        ZonedDateTime morning = ZonedDateTime.of(2026, 11, 27, 5, 0, 0, 0, ZoneOffset.UTC);
        assertThat(DailyReportMailer.delayUntilNext(morning, LocalTime.of(6, 0)))
                .isEqualTo(Duration.ofHours(1));
        assertThat(DailyReportMailer.delayUntilNext(morning, LocalTime.of(5, 0)))
                .isEqualTo(Duration.ofHours(24));
        assertThat(DailyReportMailer.delayUntilNext(morning, LocalTime.of(4, 0)))
                .isEqualTo(Duration.ofHours(23));
    }

    @Test
    void onTheFirstOfAMonthTheReportCoversTheMonthJustEnded() {
        assertThat(DailyReportMailer.reportMonth(LocalDate.parse("2026-12-01"))).isEqualTo(YearMonth.parse("2026-11"));
        assertThat(DailyReportMailer.reportMonth(LocalDate.parse("2026-12-02"))).isEqualTo(YearMonth.parse("2026-12"));
    }

    @Test
    void composesTextAndHtmlAlternatives() throws Exception {
        FakeClock clock = FakeClock.start();
        try (NodeStatistics s = NodeStatistics.open(dir, "gateway", clock)) {
            s.received();
        }
        ScheduledExecutorService ses = Executors.newSingleThreadScheduledExecutor();
        try (DailyReportMailer m = new DailyReportMailer(
                dir,
                "gateway",
                "hygiene@example.test",
                "admin@example.test",
                new InetSocketAddress("127.0.0.1", 25),
                LocalTime.of(6, 0),
                clock,
                ses)) {
            byte[] bytes = m.compose(StatisticsReport.load(dir, Optional.empty()));
            MimeMessage parsed =
                    new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(bytes));
            assertThat(parsed.getSubject()).contains("gateway", "2026-01-01");
            MimeMultipart alt = (MimeMultipart) parsed.getContent();
            assertThat(alt.getCount()).isEqualTo(2);
            assertThat((String) alt.getBodyPart(0).getContent()).contains("received");
            assertThat(alt.getBodyPart(1).getContentType()).startsWith("text/html");
        } finally {
            ses.shutdownNow();
        }
    }
}
