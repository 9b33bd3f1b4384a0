package org.mailhygiene.api.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.Disposition;
import org.mailhygiene.api.policy.SmtpReply;
import org.quicktheories.core.Gen;

class StatisticsTest {
    private static final Message MSG = Message.of(new byte[0]);

    /** Plays a list of event codes into a recorder. */
    private static StatisticsRecorder play(List<Integer> events) {
        StatisticsRecorder r = new StatisticsRecorder();
        for (int e : events) {
            switch (e % 8) {
                case 0 -> r.scanStarted("s", MSG);
                case 1 -> r.scanFinished(Verdict.clean("s", Duration.ZERO), MSG);
                case 2 -> r.scanFinished(Verdict.infected("s", List.of("V" + (e % 3)), Duration.ZERO), MSG);
                case 3 -> r.cacheHit(Verdict.infected("s", List.of("V" + (e % 3), "W"), Duration.ZERO), MSG);
                case 4 -> r.scanFailed(new ScanFailure("s", ScanFailure.Kind.values()[e % 6], "x", Duration.ZERO), MSG);
                case 5 ->
                    r.disposition(
                            new Disposition(Action.ACCEPT, SmtpReply.OK, "ok", Optional.empty(), List.of(), List.of()),
                            MSG);
                case 6 -> r.failover("g", "a", "b", "down");
                default -> r.signatureUpdate("freshclam", e % 2 == 0, "d", Duration.ZERO);
            }
        }
        return r;
    }

    private static Gen<List<Integer>> events() {
        return lists().of(integers().between(0, 200)).ofSizeBetween(0, 60);
    }

    @Test
    void recorderCountsEveryEvent() {
        StatisticsRecorder r = play(List.of(0, 1, 0, 2, 3, 11, 5, 6, 7, 15));
        Statistics s = r.snapshot();
        assertThat(s.scans()).isEqualTo(2);
        assertThat(s.verdicts(Outcome.CLEAN)).isEqualTo(1);
        assertThat(s.verdicts(Outcome.INFECTED)).isEqualTo(3);
        assertThat(s.cacheHits()).isEqualTo(2);
        assertThat(s.threats()).isEqualTo(Map.of("V2", 2L, "V0", 1L, "W", 2L));
        assertThat(s.threats().keySet()).containsExactly("V0", "V2", "W");
        assertThat(s.dispositions(Action.ACCEPT)).isEqualTo(1);
        assertThat(s.failovers()).isEqualTo(1);
        assertThat(s.signatureUpdates()).isZero();
        assertThat(s.signatureUpdateFailures()).isEqualTo(2);
        assertThat(s.totalFailures()).isZero();
        assertThat(s.verdicts()).doesNotContainKey(Outcome.SPAM);
    }

    @Test
    void intervalsAddUpAndSubtractBack() {
        qt().withExamples(300).forAll(events(), events()).checkAssert((first, second) -> {
            Statistics a = play(first).snapshot();
            Statistics b = play(second).snapshot();
            List<Integer> both = new java.util.ArrayList<>(first);
            both.addAll(second);
            Statistics whole = play(both).snapshot();
            assertThat(a.plus(b)).isEqualTo(whole);
            assertThat(whole.minus(a)).isEqualTo(b);
            assertThat(whole.minus(b)).isEqualTo(a);
            assertThat(a.plus(Statistics.EMPTY)).isEqualTo(a);
            assertThat(a.minus(a)).isEqualTo(Statistics.EMPTY);
            assertThat(whole.totalFailures()).isEqualTo(a.totalFailures() + b.totalFailures());
        });
    }

    @Test
    void snapshotsAreImmutableAndDropZeros() {
        Statistics s = new Statistics(
                1,
                new java.util.HashMap<>(Map.of(Outcome.CLEAN, 0L, Outcome.SPAM, 2L)),
                Map.of(),
                0,
                Map.of(),
                Map.of(),
                0,
                0,
                0);
        assertThat(s.verdicts()).containsOnlyKeys(Outcome.SPAM);
        assertThatThrownBy(() -> s.verdicts().put(Outcome.CLEAN, 1L)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(Statistics.EMPTY.minus(s).verdicts(Outcome.SPAM)).isEqualTo(-2);
    }

    @Test
    void compositeListenerIsolatesAThrowingListener() {
        StatisticsRecorder r = new StatisticsRecorder();
        HygieneListener broken = new HygieneListener() {
            @Override
            public void scanStarted(String scanner, Message message) {
                throw new IllegalStateException("bug");
            }
        };
        HygieneListener both = HygieneListener.composite(List.of(broken, r));
        both.scanStarted("s", MSG);
        both.memberDown("g", "m", "x", Duration.ZERO);
        both.memberUp("g", "m");
        assertThat(r.snapshot().scans()).isEqualTo(1);
    }
}
