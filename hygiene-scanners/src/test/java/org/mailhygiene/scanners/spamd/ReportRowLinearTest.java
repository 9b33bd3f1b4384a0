package org.mailhygiene.scanners.spamd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The report table row pattern matches what the earlier one matched, in time linear in the line. */
class ReportRowLinearTest {

    /** The earlier pattern, the specification. */
    private static final Pattern OLD = Pattern.compile(
            "[ ]{0,4}([-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+))[ \\t]+([A-Za-z0-9_.:-]+)(?:[ \\t]+(.*?))?[ \\t]*");

    private static final List<String> PIECES = List.of(
            " ", "  ", "\t", "1.0", "-0.5", "RULE_A", "x", "words here", "\r", "\u2028", "\u0085", "[URIs: a.b]");

    private static String match(Pattern p, String line) {
        Matcher m = p.matcher(line);
        return m.matches() ? m.group(1) + "|" + m.group(2) + "|" + m.group(3) : "no";
    }

    @Test
    void matchesWhatTheOldPatternMatched() {
        qt().withExamples(3000)
                .forAll(lists().of(integers().between(0, PIECES.size() - 1)).ofSizeBetween(0, 12))
                .checkAssert(ix -> {
                    StringBuilder sb = new StringBuilder();
                    ix.forEach(i -> sb.append(PIECES.get(i)));
                    for (String line : List.of(sb.toString(), " 1.0 RULE " + sb, "-0.1 A_B\t" + sb + "  ")) {
                        assertThat(match(SpamdReplies.REPORT_ROW, line))
                                .as("%s", line)
                                .isEqualTo(match(OLD, line));
                    }
                });
    }

    @Test
    void longRunOfBlanksIsLinear() {
        // the earlier pattern took about 4 s on 64 KB of blanks before a last character, and four times that on 128 KB
        String line = " 1.0 RULE a" + " ".repeat(128 * 1024) + "b";
        long start = System.nanoTime();
        Matcher m = SpamdReplies.REPORT_ROW.matcher(line);
        assertThat(m.matches()).isTrue();
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(m.group(3)).isEqualTo("a" + " ".repeat(128 * 1024) + "b");
        assertThat(ms).as("milliseconds").isLessThan(3000);
    }
}
