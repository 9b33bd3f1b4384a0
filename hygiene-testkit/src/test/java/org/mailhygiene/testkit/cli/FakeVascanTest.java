package org.mailhygiene.testkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.testkit.server.Fault;

/** The fake's documented behaviour, run in-process (the scanner tests run it as a real process). */
class FakeVascanTest {

    @TempDir
    Path dir;

    Path quarantine;
    String output;

    @BeforeEach
    void setUp() throws IOException {
        quarantine = Files.createDirectory(dir.resolve("q"));
    }

    int run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = FakeVascan.run(args, new PrintStream(out, true, StandardCharsets.UTF_8));
        output = out.toString(StandardCharsets.UTF_8);
        return status;
    }

    int vascan(String... files) {
        List<String> a = new ArrayList<>(List.of(
                "-qqq", "--all-files", "-a", "s", "--log=/dev/null", "--timeout=60", "-y", quarantine.toString()));
        a.addAll(List.of(files));
        return run(a.toArray(String[]::new));
    }

    Path file(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    @Test
    void contentDecidesTheStatusAndLines() throws IOException {
        assertThat(vascan(file("c", "hello").toString())).isEqualTo(FakeVascan.CLEAN);
        assertThat(output).isEmpty();
        Path e = file("e", "x" + FakeVascan.eicar() + "y");
        assertThat(vascan(e.toString())).isEqualTo(FakeVascan.INFECTED);
        assertThat(output).isEqualTo(e + ": virus EICAR_test_file\n");
        assertThat(vascan(file("u", "FAKE-VASCAN:unsupported").toString())).isEqualTo(FakeVascan.UNSUPPORTED);
        assertThat(vascan(file("x", "FAKE-VASCAN:exit 2 W32.X").toString())).isEqualTo(2);
        assertThat(output).contains(": virus W32.X");
    }

    @Test
    void theMostSevereFileWinsAndDirectoriesAreWalked() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("d"));
        Files.writeString(sub.resolve("a"), "FAKE-VASCAN:encrypted");
        Files.writeString(sub.resolve("b"), FakeVascan.eicar());
        assertThat(vascan(sub.toString())).isEqualTo(FakeVascan.INFECTED);
        assertThat(output).contains("a: password protected, skipped").contains("b: virus EICAR_test_file");
    }

    @Test
    void theScriptComesFirst() throws IOException {
        Path script = file("script", "# rules\ncontains hello => infected Scripted.Hello\nalways => corrupt\n");
        assertThat(run(
                        "--fake-script=" + script,
                        "-y",
                        quarantine.toString(),
                        file("h", "hello").toString()))
                .isEqualTo(FakeVascan.INFECTED);
        assertThat(output).contains("virus Scripted.Hello");
        assertThat(run(
                        "--fake-script=" + script,
                        "-y",
                        quarantine.toString(),
                        file("o", "other").toString()))
                .isEqualTo(FakeVascan.CORRUPT);
    }

    @Test
    void theTwoLineLayout() throws IOException {
        Path e = file("e", FakeVascan.eicar());
        assertThat(run("--fake-layout=two-line", "-y", quarantine.toString(), e.toString()))
                .isEqualTo(1);
        assertThat(output).isEqualTo(e + "\n    virus found: EICAR_test_file ... (NOT killable) skipped\n");
    }

    @Test
    void errors() throws IOException {
        Path c = file("c", "hello");
        assertThat(run(c.toString())).isEqualTo(FakeVascan.ERROR);
        assertThat(output).contains("no quarantine directory");
        assertThat(run("-y", dir.resolve("none").toString(), c.toString())).isEqualTo(FakeVascan.ERROR);
        assertThat(run("-y", quarantine.toString(), "--bogus", c.toString())).isEqualTo(FakeVascan.ERROR);
        assertThat(output).contains("unknown option --bogus");
        assertThat(run("-y", quarantine.toString(), dir.resolve("missing").toString()))
                .isEqualTo(FakeVascan.ERROR);
    }

    @Test
    void theOldVexiraFlavour() throws IOException {
        Path e = file("e", FakeVascan.eicar());
        assertThat(run("--fake-flavour=vexira", "--allfiles", "-z", e.toString()))
                .isEqualTo(1);
        assertThat(output)
                .isEqualTo("ALERT: [Eicar-Test-Signatur virus] " + e
                        + " <<< Contains code of the Eicar-Test-Signatur virus\n");
        assertThat(run("--fake-flavour=vexira", file("m", "FAKE-VASCAN:macro").toString()))
                .isEqualTo(FakeVascan.VEXIRA_MACRO);
        assertThat(run(
                        "--fake-flavour=vexira",
                        file("z", "FAKE-VASCAN:encrypted").toString()))
                .isZero();
        assertThat(run("--fake-flavour=vexira", "-qqq", e.toString())).isEqualTo(FakeVascan.VEXIRA_ERROR);
    }

    @Test
    void sharedFaultsApplyToOneRunEachAndRunsAreRecorded() throws Exception {
        try (FakeVascan.Installation fake = FakeVascan.builder().start(dir)) {
            String faults = "--fake-faults=" + dir.resolve("faults");
            String record = "--fake-record=" + dir.resolve("runs");
            Path clean = file("c", "hello");
            Path eicar = file("e", FakeVascan.eicar());
            fake.enqueue(Fault.reply("garbage\n"))
                    .enqueue(Fault.close())
                    .enqueue(Fault.closeAfter(5))
                    .enqueue(Fault.replyAfter(4, "<cut>"))
                    .enqueue(Fault.delay(java.time.Duration.ofMillis(1)));
            List<String> base = List.of(faults, record, "-y", quarantine.toString());
            assertThat(run(with(base, clean))).isEqualTo(FakeVascan.CLEAN);
            assertThat(output).isEqualTo("garbage\n");
            assertThat(run(with(base, clean))).isEqualTo(FakeVascan.ERROR);
            assertThat(output).isEmpty();
            assertThat(run(with(base, eicar))).isEqualTo(FakeVascan.ERROR);
            assertThat(output).isEqualTo(eicar.toString().substring(0, 5));
            assertThat(run(with(base, eicar))).isEqualTo(FakeVascan.INFECTED);
            assertThat(output).isEqualTo(eicar.toString().substring(0, 4) + "<cut>");
            assertThat(run(with(base, eicar))).isEqualTo(FakeVascan.INFECTED);
            assertThat(output).isEqualTo(eicar + ": virus EICAR_test_file\n");
            assertThat(run(with(base, clean))).isEqualTo(FakeVascan.CLEAN);
            FakeVascan.Invocation first = fake.takeRequest(java.time.Duration.ofSeconds(10));
            assertThat(first.command()).isEqualTo("SCAN");
            assertThat(first.arguments()).containsExactly("-y", quarantine.toString(), clean.toString());
            assertThat(fake.requests()).hasSize(6);
            assertThat(fake.path()).isExecutable();
        }
    }

    private static String[] with(List<String> base, Path file) {
        List<String> a = new ArrayList<>(base);
        a.add(file.toString());
        return a.toArray(String[]::new);
    }
}
