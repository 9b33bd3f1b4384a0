package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Rule;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.scanners.builtin.SignatureScanner;

/** The notes {@code hygiene scan} writes to the error stream beside its plain lines. */
class FileReportNotesTest {

    @Test
    void aCleanVerdictThatLeftFilesUnreadSaysSoBesideItsOk() {
        String said = "not searched: MIME part '2' (application/vnd.rar, w.rar): RAR file \"test.bin\" (compressed"
                + " (RAR5 method 5))";
        Verdict passedOver = Verdict.builder("signatures", Outcome.CLEAN)
                .rule(new Rule(SignatureScanner.NOT_READ_RULE, OptionalDouble.empty(), said))
                .elapsed(Duration.ofMillis(3))
                .build();
        FileReport report = new FileReport("m.eml", List.of(passedOver), Optional.empty(), Optional.empty());

        assertThat(report.lines()).containsExactly("m.eml: OK");
        assertThat(report.notes()).containsExactly("m.eml: note: signatures: " + said);

        Verdict searched = Verdict.clean("signatures", Duration.ofMillis(3));
        assertThat(new FileReport("n.eml", List.of(searched), Optional.empty(), Optional.empty()).notes())
                .isEmpty();
    }
}
