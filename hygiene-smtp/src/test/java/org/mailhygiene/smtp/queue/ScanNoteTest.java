package org.mailhygiene.smtp.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.DefaultPolicy;

class ScanNoteTest {
    /**
     * Session 55: a message held or refused because the signature scanner could not search all of it
     * ({@code not-read-action}) was logged {@code verdicts=[builtin:CLEAN ...] disposition=REJECT}, a clean scan
     * refused with nothing in the line saying why.
     */
    @Test
    void aCleanVerdictNamingWhatWasNotSearchedSaysSo() {
        Verdict notRead = Verdict.builder("builtin", Outcome.CLEAN)
                .rule(new Rule(DefaultPolicy.NOT_READ_RULE, OptionalDouble.empty(), "not searched: a.rar: x"))
                .build();
        Verdict scored = Verdict.builder("bayes", Outcome.CLEAN)
                .score(0.0117)
                .threshold(0.8)
                .rule(Rule.of("BAYES_00", 0.0117))
                .build();
        assertThat(ScanNote.of(List.of(notRead, scored), Action.REJECT))
                .isEqualTo("verdicts=[builtin:CLEAN(NOT_READ) bayes:CLEAN(0.0117/0.8)] disposition=REJECT");
        assertThat(ScanNote.verdicts(List.of(
                        Verdict.clean("builtin", Duration.ZERO),
                        Verdict.infected("clamd", List.of("Eicar-Signature"), Duration.ZERO),
                        new ScanFailure("spamd", ScanFailure.Kind.TOO_LARGE, "big", Duration.ZERO))))
                .isEqualTo("[builtin:CLEAN clamd:INFECTED(Eicar-Signature) spamd:FAILED(TOO_LARGE)]");
    }
}
