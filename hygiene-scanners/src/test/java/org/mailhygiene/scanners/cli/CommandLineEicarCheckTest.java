package org.mailhygiene.scanners.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.testkit.cli.FakeVascan;

/**
 * {@link CommandLineScanner#checkDetectsEicar()}: a profile pointed at a program that is not the scanner (here one that
 * exits 0 whatever it is given) passed {@code --check}, since {@link CommandLineScanner#health()} only looks for the
 * program, and the node then called every message clean. The check scans the EICAR test file once and says what the
 * program did instead of finding it.
 */
class CommandLineEicarCheckTest {
    @TempDir
    Path bin;

    @TempDir
    Path work;

    private CommandLineScanner vascan(Path program) {
        return CommandLineScanner.builder(Profiles.vascan())
                .executable(program)
                .temporaryDirectory(work)
                .timeout(Duration.ofSeconds(30))
                .build();
    }

    private Path script(String name, String body) throws Exception {
        Path p = bin.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    @Test
    void theRealScannerFindsIt() throws Exception {
        Path fake = FakeVascan.builder().install(Files.createDirectory(bin.resolve("fake")));
        assertThat(vascan(fake).checkDetectsEicar()).isEmpty();
    }

    @Test
    void aProgramThatCallsEverythingCleanIsNamed() throws Exception {
        Path wrong = script("vascan", "exit 0");
        assertThat(vascan(wrong).checkDetectsEicar())
                .hasValue(wrong + " called a message holding the EICAR test file clean: the node would pass viruses"
                        + " the same way (is it the program the vascan profile expects, and does it load its"
                        + " signatures?)");
    }

    @Test
    void aProgramThatFailsIsNamedWithItsFailure() throws Exception {
        Path broken = script("vascan", "echo 'cannot load signatures' >&2; exit 10");
        assertThat(vascan(broken).checkDetectsEicar())
                .hasValueSatisfying(w -> assertThat(w)
                        .startsWith(broken + " failed on a message holding the EICAR test file (")
                        .endsWith("): every scan would fail the same way"));
    }
}
