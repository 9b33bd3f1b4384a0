package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code hygiene demo} in-process: the node lines, the table, the statistics and the exit status. */
class DemoCommandTest {
    @TempDir
    Path data;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // long by design; see junit-platform.properties
    void demoRunsTheTrafficAndEveryExpectationHolds() {
        Run r = Run.main("demo", "--data", data.toString());

        assertThat(r.status()).as(r.out() + r.err()).isZero();
        assertThat(r.outLines().subList(0, 5))
                .satisfiesExactly(
                        l -> assertThat(l).matches("edge-1 smtp://127\\.0\\.0\\.11:\\d+"),
                        l -> assertThat(l).matches("edge-2 smtp://127\\.0\\.0\\.12:\\d+"),
                        l -> assertThat(l).matches("gateway smtp://127\\.0\\.0\\.13:\\d+"),
                        l -> assertThat(l).matches("internal-1 smtp://127\\.0\\.0\\.21:\\d+"),
                        l -> assertThat(l).matches("internal-2 smtp://127\\.0\\.0\\.22:\\d+"));
        assertThat(r.out()).contains("All expectations held.").doesNotContain("FAIL");
        assertThat(r.out()).contains("50 sent: 50 refused at DATA");
        assertThat(Files.isDirectory(data.resolve("gateway").resolve("stats"))).isTrue();

        Run report = Run.main("report", "--data", data.toString(), "--html", "-");
        assertThat(report.status()).as(report.err()).isZero();
        assertThat(report.out()).contains("gateway").contains("Eicar-Test-Signature");
    }

    @Test
    void noTrafficStartsAndStopsTheNodes() {
        Run r = Run.main("demo", "--no-traffic", "--data", data.toString());

        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("gateway smtp://127.0.0.13:").doesNotContain("What happened");
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void theLogLinesGoToDemoLogInTheDataDirectoryNotToTheTerminal() throws Exception {
        // A child process, as an admin runs it: logging is set up for the first time there, as it is by ./hygiene.
        Path out = data.resolve("out.txt");
        Path err = data.resolve("err.txt");
        Path nodes = data.resolve("nodes");
        Process p = MainProcess.of("demo", "--no-traffic", "--data", nodes.toString())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();

        assertThat(p.exitValue()).as(Files.readString(err)).isZero();
        assertThat(Files.readString(out)).contains("(log: " + nodes.resolve("demo.log") + ")");
        assertThat(nodes.resolve("demo.log")).exists();
        assertThat(Files.readString(nodes.resolve("demo.log"))).contains("gateway (GATEWAY) listening on");
        assertThat(Files.readString(err)).doesNotContain("listening on");
    }

    @Test
    void unknownOptionIsAUsageError() {
        Run r = Run.main("demo", "--bogus");

        assertThat(r.status()).isEqualTo(Command.EXIT_ERROR);
    }
}
