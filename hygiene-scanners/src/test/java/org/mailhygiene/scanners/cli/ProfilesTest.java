package org.mailhygiene.scanners.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.quicktheories.generators.SourceDSL;

/** The built-in profiles' tables and name patterns, and how output is attributed to input files. */
class ProfilesTest {

    static List<String> names(CommandProfile p, String output) {
        return OutputParser.parse(output, p.namePatterns(), "/w", Map.of()).stream()
                .map(OutputParser.Hit::name)
                .toList();
    }

    @Test
    void vascanExitTable() {
        CommandProfile p = Profiles.vascan();
        assertThat(classOf(p, 0)).isEqualTo(ExitClass.CLEAN);
        assertThat(classOf(p, 1)).isEqualTo(ExitClass.INFECTED);
        assertThat(classOf(p, 2)).isEqualTo(ExitClass.INFECTED);
        assertThat(classOf(p, 3)).isEqualTo(ExitClass.UNSCANNABLE);
        assertThat(classOf(p, 5)).isEqualTo(ExitClass.UNSCANNABLE);
        assertThat(classOf(p, 9)).isEqualTo(ExitClass.CLEAN);
        for (int s : new int[] {4, 6, 7, 8, 10, 255}) {
            assertThat(p.classify(s)).as("status %d", s).isEmpty();
        }
    }

    private static ExitClass classOf(CommandProfile p, int s) {
        return p.classify(s).orElseThrow().exitClass();
    }

    @Test
    void vascanNamesFromBothLayoutsAndEveryTypeWord() {
        CommandProfile p = Profiles.vascan();
        assertThat(names(p, "/w/in/part-1.bin: virus EICAR_test_file")).containsExactly("EICAR_test_file");
        assertThat(names(p, "./1234/part-1.bin\n    virus found: EICAR_test_file ... (NOT killable) skipped"))
                .containsExactly("EICAR_test_file");
        for (String kind : List.of("virus", "iworm", "macro", "mutant", "sequence", "trojan")) {
            assertThat(names(p, "x: " + kind + " W32.A")).as(kind).containsExactly("W32.A");
            assertThat(names(p, "  " + kind + " found: W32.B ... skipped"))
                    .as(kind)
                    .containsExactly("W32.B");
            assertThat(names(p, "x: " + kind + " found: W32.C ...")).as(kind).containsExactly("W32.C");
        }
        assertThat(names(p, "Vexira Antivirus for Linux\nvirus definitions: 12345\nscanned 3 files"))
                .isEmpty();
    }

    @Test
    void theVascanPatternsNeverCaptureFound() {
        qt().forAll(SourceDSL.strings().allPossible().ofLengthBetween(0, 40)).checkAssert(noise -> {
            for (String n :
                    names(Profiles.vascan(), noise + "\n" + noise + ": virus found: X\n  virus found: Y " + noise)) {
                assertThat(n).isNotEqualTo("found:");
            }
        });
    }

    @Test
    void clamAvAndOldVexiraNames() {
        assertThat(names(Profiles.clamscan(), "/w/in/message.eml: Win.Test.EICAR_HDB-1 FOUND\n/w/in/x: OK"))
                .containsExactly("Win.Test.EICAR_HDB-1");
        assertThat(names(Profiles.clamdscan(), "/w/a b: c.eml: Heuristics.Encrypted.Zip FOUND"))
                .containsExactly("Heuristics.Encrypted.Zip");
        assertThat(names(
                        Profiles.vexira(),
                        "ALERT: [Eicar-Test-Signatur virus] ./1/eicar.com <<< Contains code of "
                                + "the Eicar-Test-Signatur virus"))
                .containsExactly("Eicar-Test-Signatur");
    }

    @Test
    void hitsAreAttributedToTheFileNamedOnTheSameOrAnEarlierLine() {
        Map<String, String> files = new java.util.LinkedHashMap<>();
        files.put("message.eml", "message");
        files.put("part-1.zip", "attachment \"a.zip\"");
        files.put("part-2.bin", "attachment \"b\"");
        List<OutputParser.Hit> hits = OutputParser.parse(
                "/w/in/part-1.zip: virus A\n/w/in/part-2.bin\n    virus found: B ... skipped\n",
                Profiles.vascan().namePatterns(),
                "/w",
                files);
        assertThat(hits)
                .containsExactly(
                        new OutputParser.Hit("A", Optional.of("attachment \"a.zip\"")),
                        new OutputParser.Hit("B", Optional.of("attachment \"b\"")));
    }

    @Test
    void theWorkDirectoryIsNeverReadAsAName() {
        List<OutputParser.Hit> hits = OutputParser.parse(
                "/tmp/virus x/in/part-1.bin: virus REAL",
                Profiles.vascan().namePatterns(),
                "/tmp/virus x",
                Map.of("part-1.bin", "p"));
        assertThat(hits).extracting(OutputParser.Hit::name).containsExactly("REAL");
    }

    @Test
    void builtInsByName() {
        for (String n : Profiles.names()) {
            assertThat(Profiles.builtIn(n))
                    .hasValueSatisfying(p -> assertThat(p.name()).isEqualTo(n));
        }
        assertThat(Profiles.builtIn("norton")).isEmpty();
    }

    @Test
    void profileValidation() {
        CommandProfile p = Profiles.clamscan();
        assertThatThrownBy(() -> p.withName("bad name")).hasMessageContaining("letters, digits");
        assertThatThrownBy(() -> p.withCommand(" ")).hasMessageContaining("command must not be blank");
        assertThatThrownBy(() -> p.withUpdateCommand(List.of("freshclam", ""))).hasMessageContaining("blank");
        assertThatThrownBy(() -> new ExitStatusRule(3, 2, ExitClass.CLEAN, "")).hasMessageContaining("3..2");
        assertThatThrownBy(() -> ExitStatusRule.of(256, ExitClass.CLEAN, "")).hasMessageContaining("0..255");
        assertThat(p.withLeadingArguments(List.of("-d", "/db")).arguments())
                .containsExactly("-d", "/db", "--no-summary", "--stdout", "--alert-exceeds-max=yes", "{files}");
    }
}
