package org.mailhygiene.scanners.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.testkit.cli.FakeVascan;

/** The older {@code vexira} profile against {@link FakeVascan} playing the old binary. */
@Timeout(value = 10, unit = TimeUnit.MINUTES) // long by design; see junit-platform.properties
class VexiraProfileTest {

    @TempDir
    static Path bin;

    static Path vexira;

    @BeforeAll
    static void install() throws IOException {
        vexira = FakeVascan.builder().flavour(FakeVascan.Flavour.VEXIRA).install(bin);
    }

    private CommandLineScanner scanner() {
        return CommandLineScanner.builder(Profiles.vexira()).executable(vexira).build();
    }

    private ScanFailure fail(Message m) {
        Throwable t =
                org.assertj.core.api.Assertions.catchThrowable(() -> scanner().scan(m));
        assertThat(t).isInstanceOf(ScanException.class);
        return ((ScanException) t).failure();
    }

    @Test
    void exit0IsClean() throws Exception {
        assertThat(scanner().scan(TestMessages.text("hello")).outcome()).isEqualTo(Outcome.CLEAN);
    }

    @Test
    void exit1WithAnAlertLineIsInfected() throws Exception {
        Verdict v = scanner().scan(TestMessages.eicar());
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.threats()).containsExactly("Eicar-Test-Signatur");
        assertThat(v.scanner()).isEqualTo("vexira");
    }

    @Test
    void exit1WithoutAnAlertLineIsAFailure() {
        ScanFailure f = fail(TestMessages.text("FAKE-VASCAN:exit 1"));
        assertThat(f.kind()).isEqualTo(ScanFailure.Kind.PROTOCOL_ERROR);
    }

    @Test
    void exit101MacroIsSuspicious() throws Exception {
        Verdict v = scanner().scan(TestMessages.text("FAKE-VASCAN:macro W97M.Fake"));
        assertThat(v.outcome()).isEqualTo(Outcome.SUSPICIOUS);
        assertThat(v.threats()).containsExactly("W97M.Fake");
        assertThat(v.rules()).anySatisfy(r -> {
            assertThat(r.name()).isEqualTo("exit-101");
            assertThat(r.description()).isEqualTo("macro found in a document");
        });
    }

    @Test
    void exit2MemoryInfectionAnd1xx2xxAreScannerErrors() {
        for (int status : new int[] {2, 100, 102, 200, 203, 204, 212, 213, 214}) {
            ScanFailure f = fail(TestMessages.text("FAKE-VASCAN:exit " + status));
            assertThat(f.kind()).as("status %d", status).isEqualTo(ScanFailure.Kind.SCANNER_ERROR);
            assertThat(f.detail()).contains("exit status " + status).doesNotContain("unknown exit status");
        }
        ScanFailure f = fail(TestMessages.text("FAKE-VASCAN:error"));
        assertThat(f.detail()).contains("exit status 213 (initialisation error)");
    }

    @Test
    void undocumentedStatusesAreScannerErrors() {
        for (int status : new int[] {3, 5, 9, 103, 206, 255}) {
            ScanFailure f = fail(TestMessages.text("FAKE-VASCAN:exit " + status));
            assertThat(f.kind()).as("status %d", status).isEqualTo(ScanFailure.Kind.SCANNER_ERROR);
            assertThat(f.detail()).contains("unknown exit status");
        }
    }

    @Test
    void theDirectoryIsPassedAsAmavisdDoes() throws Exception {
        Path rec = Files.createDirectory(bin.resolve("rec"));
        Path dir = Files.createDirectory(bin.resolve("rec-bin"));
        Path p = FakeVascan.builder()
                .flavour(FakeVascan.Flavour.VEXIRA)
                .recordArgumentsIn(rec)
                .install(dir);
        CommandLineScanner.builder(Profiles.vexira())
                .executable(p)
                .build()
                .scan(TestMessages.attachment("x.doc", new byte[] {1, 2, 3}));
        var args = FakeVascan.recordedArguments(rec).get(0);
        assertThat(args.subList(0, 6)).containsExactly("--allfiles", "-noboot", "-nombr", "-rs", "-s", "-z");
        assertThat(args).hasSize(7);
        assertThat(args.get(6)).startsWith("/").endsWith("/in");
    }

    @Test
    void aNameFromAnAlertLineIsFoundEvenInTheVirusLayout() {
        assertThat(OutputParser.parse(
                        "VIRUS: file /x/in/part-1.bin contains code of the virus 'W32.Old'",
                        Profiles.vexira().namePatterns(),
                        "",
                        java.util.Map.of()))
                .extracting(OutputParser.Hit::name)
                .containsExactly("W32.Old");
        assertThatThrownBy(() -> Profiles.vexira().withArguments(java.util.List.of("-z")))
                .hasMessageContaining("{files} or {dir}");
    }
}
