package org.mailhygiene.smtp.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Verdict;

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
}
