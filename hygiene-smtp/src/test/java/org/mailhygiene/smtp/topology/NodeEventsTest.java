package org.mailhygiene.smtp.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.smtp.queue.QueueId;
import org.mailhygiene.smtp.stats.NodeStatistics;

class NodeEventsTest {
    /**
     * The log line wrote every score with one decimal: a Bayes verdict of 0.9724 in the unsure band showed as
     * {@code bayes:SPAM(1.0/0.8)}, the same as a sure one.
     */
    @Test
    void theLogLineKeepsAClassifierScoresDecimals() {
        Verdict unsure = Verdict.builder("bayes", Outcome.SPAM)
                .score(0.9724)
                .threshold(0.8)
                .build();
        Verdict spamd =
                Verdict.builder("spamd", Outcome.SPAM).score(1000).threshold(5).build();
        assertThat(NodeEvents.verdicts(List.of(unsure, spamd, Verdict.clean("builtin", Duration.ZERO))))
                .isEqualTo("[bayes:SPAM(0.9724/0.8) spamd:SPAM(1000.0/5.0) builtin:CLEAN]");
    }

    /** A message released from quarantine was logged {@code verdicts=? disposition=?} when delivered. */
    @Test
    void aReleasedMessageSaysSoInItsDeliveryLine(@TempDir Path dir) throws Exception {
        Clock clock = Clock.systemUTC();
        NodeEvents events = new NodeEvents("n", NodeStatistics.open(dir, "n", clock), clock);
        QueueId released = QueueId.generate(clock);
        QueueId unknown = QueueId.generate(clock);
        events.released(released);
        assertThat(events.scan(released)).isEqualTo("verdicts=- disposition=RELEASED");
        // scanned by an earlier run (recovered from the spool): this run does not know
        assertThat(events.scan(unknown)).isEqualTo("verdicts=? disposition=?");
    }
}
