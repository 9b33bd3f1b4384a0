package org.mailhygiene.scanners.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The Vexira {@code VIRUS:} name pattern finds what the earlier pattern found, in time linear in the line. */
class VexiraPatternLinearTest {

    /** The earlier pattern, the specification. */
    private static final Pattern OLD = Pattern.compile("VIRUS: .*? virus '?([^\\]\\s']+)");

    private static final List<String> PIECES = List.of(
            "VIRUS: ", " virus ", "'", "''", "W32", "x", " ", "]", "\t", "\n", "\r", "\u2028", "\u0085", "VIRUS:",
            "virus");

    private static String found(Pattern p, String text) {
        Matcher m = p.matcher(text);
        return m.find() ? "found " + m.group(1) : "none";
    }

    @Test
    void findsWhatTheOldPatternFound() {
        qt().withExamples(3000)
                .forAll(lists().of(integers().between(0, PIECES.size() - 1)).ofSizeBetween(0, 25))
                .checkAssert(ix -> {
                    StringBuilder sb = new StringBuilder();
                    ix.forEach(i -> sb.append(PIECES.get(i)));
                    String text = sb.toString();
                    assertThat(found(Profiles.VEXIRA_VIRUS_LINE, text))
                            .as("%s", text)
                            .isEqualTo(found(OLD, text));
                });
    }

    @Test
    void realLineStillGivesTheName() {
        List<OutputParser.Hit> hits = OutputParser.parse(
                "VIRUS: file /x/in/part-1.bin contains code of the virus 'W32.Old'\n",
                Profiles.vexira().namePatterns(),
                "",
                Map.of());
        assertThat(hits).extracting(OutputParser.Hit::name).containsExactly("W32.Old");
    }

    @Test
    void lineOfManyMarkersIsLinear() {
        // 256 KB of "VIRUS: " and no " virus ": the earlier pattern scanned the rest of the line from each, about 15 s
        String line = "VIRUS: ".repeat(256 * 1024 / 7);
        long start = System.nanoTime();
        List<OutputParser.Hit> hits = OutputParser.parse(line, Profiles.vexira().namePatterns(), "", Map.of());
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(hits).isEmpty();
        assertThat(ms).as("milliseconds").isLessThan(3000);
    }
}
