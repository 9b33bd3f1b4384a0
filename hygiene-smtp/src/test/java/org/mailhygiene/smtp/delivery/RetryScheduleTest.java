package org.mailhygiene.smtp.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetryScheduleTest {
    static final Instant BIRTH = Instant.parse("2026-11-27T00:00:00Z");

    @Test
    void qmailRemoteScheduleMatchesQmailSend() {
        RetrySchedule s = RetrySchedule.qmail();
        List<Long> attempts = new ArrayList<>();
        Instant t = BIRTH;
        for (int i = 0; i < 7; i++) {
            t = s.next(BIRTH, t);
            attempts.add(Duration.between(BIRTH, t).getSeconds());
        }
        // (20+0)^2, (20+20)^2, (40+20)^2, ... as notes §4.5: gaps grow by 800 s
        assertThat(attempts).containsExactly(400L, 1600L, 3600L, 6400L, 10000L, 14400L, 19600L);
    }

    @Test
    void qmailScheduleIsAlwaysInTheFutureAndNeverEarlierForALaterFailure() {
        RetrySchedule s = RetrySchedule.qmail();
        qt().withExamples(5000)
                .forAll(longs().between(0, 30L * 86400), longs().between(0, 86400))
                .checkAssert((age, later) -> {
                    Instant now = BIRTH.plusSeconds(age);
                    Instant next = s.next(BIRTH, now);
                    assertThat(next).isAfter(now);
                    assertThat(s.next(BIRTH, now.plusSeconds(later))).isAfterOrEqualTo(next);
                    long root = (long) Math.floor(Math.sqrt(age));
                    assertThat(Duration.between(BIRTH, next).getSeconds()).isEqualTo((root + 20) * (root + 20));
                });
    }

    @Test
    void exponentialDoublesUpToTheMaximum() {
        RetrySchedule s = RetrySchedule.exponential(Duration.ofSeconds(300), Duration.ofSeconds(4000));
        assertThat(s.next(BIRTH, BIRTH)).isEqualTo(BIRTH.plusSeconds(300));
        Instant t1 = BIRTH.plusSeconds(300);
        assertThat(s.next(BIRTH, t1)).isEqualTo(t1.plusSeconds(600));
        qt().forAll(longs().between(0, 30L * 86400)).checkAssert(age -> {
            Instant now = BIRTH.plusSeconds(age);
            Duration gap = Duration.between(now, s.next(BIRTH, now));
            assertThat(gap).isBetween(Duration.ofSeconds(300), Duration.ofSeconds(4000));
        });
        // said in the node file's notation (session 53: "max PT5M is below min PT1H" for exponential:1h,5m)
        assertThatThrownBy(() -> RetrySchedule.exponential(Duration.ofHours(1), Duration.ofMinutes(5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("max 5m is below min 1h");
        assertThatThrownBy(() -> RetrySchedule.qmail(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
