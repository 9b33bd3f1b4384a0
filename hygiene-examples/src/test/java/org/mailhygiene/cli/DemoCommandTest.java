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
    void unknownOptionIsAUsageError() {
        Run r = Run.main("demo", "--bogus");

        assertThat(r.status()).isEqualTo(Command.EXIT_ERROR);
    }
}
