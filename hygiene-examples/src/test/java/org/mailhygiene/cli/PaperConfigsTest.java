package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.testkit.cli.FakeVascan;

/**
 * The three configuration files of the paper's topology ({@code config/paper/}) pass {@code hygiene relay --check},
 * which builds every scanner as start would: the files are copied as shipped, next to what the walkthrough has the
 * administrator put there (a Bayes model from {@code hygiene train}, {@code bin/vascan}, here the test kit's
 * FakeVascan, and its update script).
 */
class PaperConfigsTest {
    @TempDir
    Path dir;

    @Test
    void theThreeConfigurationsOfThePapersTopologyPassCheck() throws Exception {
        Path paper = Files.createDirectories(dir.resolve("config/paper"));
        for (String f : List.of("gateway.rcpthosts", "gateway.tcprules", "gateway.smtproutes")) {
            Files.copy(Path.of("config", f), dir.resolve("config").resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        for (String f : List.of("edge-1.conf", "edge-2.conf", "gateway.conf")) {
            Files.copy(Path.of("config/paper", f), paper.resolve(f));
        }
        BayesModel.empty().save(paper.resolve("bayes.model"));
        Path bin = Files.createDirectories(paper.resolve("bin"));
        FakeVascan.builder().install(bin);
        Path update = bin.resolve("vascan-update");
        Files.writeString(update, "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(update, PosixFilePermissions.fromString("rwx------"));

        for (String f : List.of("edge-1.conf", "edge-2.conf", "gateway.conf")) {
            Run r = Run.main("relay", "--config", paper.resolve(f).toString(), "--check");
            assertThat(r.status()).as(f + ": " + r.err()).isZero();
            assertThat(r.out()).contains(f + ": OK");
        }
        Files.delete(bin.resolve("vascan"));
        Run r = Run.main("relay", "--config", paper.resolve("gateway.conf").toString(), "--check");
        assertThat(r.status()).isEqualTo(Command.EXIT_ERROR);
        assertThat(r.err()).contains("gateway.conf line 19: scanner: ").contains("is not an executable file");
    }
}
