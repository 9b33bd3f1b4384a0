package org.mailhygiene.scanners.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.testkit.cli.FakeVascan;

/** The {@code vascan} profile against {@link FakeVascan} run as a real process: the whole exit-status table. */
class VascanProfileTest {

    @TempDir
    static Path bin;

    @TempDir
    Path work;

    static Path oneLine;
    static Path twoLine;

    @BeforeAll
    static void install() throws IOException {
        Path a = Files.createDirectory(bin.resolve("one"));
        Path b = Files.createDirectory(bin.resolve("two"));
        oneLine = FakeVascan.builder().layout(FakeVascan.Layout.ONE_LINE).install(a);
        twoLine = FakeVascan.builder().layout(FakeVascan.Layout.TWO_LINE).install(b);
    }

    private CommandLineScanner scanner(Path program) {
        return CommandLineScanner.builder(Profiles.vascan())
                .executable(program)
                .temporaryDirectory(work)
                .timeout(Duration.ofSeconds(30))
                .build();
    }

    private Verdict scan(Message m) throws Exception {
        try {
            return scanner(oneLine).scan(m);
        } finally {
            assertNothingLeft();
        }
    }

    private ScanFailure fail(Message m) throws Exception {
        try {
            scanner(oneLine).scan(m);
            throw new AssertionError("expected a failure");
        } catch (ScanException e) {
            return e.failure();
        } finally {
            assertNothingLeft();
        }
    }

    private void assertNothingLeft() throws IOException {
        try (Stream<Path> s = Files.list(work)) {
            assertThat(s).as("private directories removed").isEmpty();
        }
    }

    @Test
    void exit0IsClean() throws Exception {
        Verdict v = scan(TestMessages.text("hello"));
        assertThat(v.outcome()).isEqualTo(Outcome.CLEAN);
        assertThat(v.scanner()).isEqualTo("vascan");
    }

    @Test
    void exit1WithEicarIsInfectedWithTheOneLineName() throws Exception {
        Verdict v = scan(TestMessages.eicar());
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.threats()).containsExactly("EICAR_test_file");
        assertThat(v.rules()).extracting(r -> r.name()).contains("exit-1");
    }

    @Test
    void twoLineLayoutGivesTheSameNameAndNeverFound() throws Exception {
        Verdict v = scanner(twoLine).scan(TestMessages.eicar());
        assertThat(v.threats()).containsExactly("EICAR_test_file");
        assertNothingLeft();
    }

    @Test
    void exit2WithANameIsInfected() throws Exception {
        Verdict v = scan(TestMessages.text("FAKE-VASCAN:exit 2 W32.Storm.A"));
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.threats()).containsExactly("W32.Storm.A");
    }

    @Test
    void infectedStatusWithoutANameIsAFailureNotClean() throws Exception {
        for (int status : new int[] {1, 2}) {
            ScanFailure f = fail(TestMessages.text("FAKE-VASCAN:exit " + status));
            assertThat(f.kind()).isEqualTo(ScanFailure.Kind.PROTOCOL_ERROR);
            assertThat(f.detail()).contains("exit status " + status).contains("no threat name");
        }
    }

    @Test
    void exit3EncryptedIsUnscannable() throws Exception {
        ScanFailure f = fail(TestMessages.attachment("secret.zip", TestMessages.encryptedZip()));
        assertThat(f.kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
        assertThat(f.detail()).contains("exit status 3").contains("password-protected");
    }

    @Test
    void exit5CorruptIsUnscannable() throws Exception {
        ScanFailure f = fail(TestMessages.attachment("broken.zip", TestMessages.truncatedZip()));
        assertThat(f.kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
        assertThat(f.detail()).contains("exit status 5").contains("corrupted");
    }

    @Test
    void exit9UnsupportedIsClean() throws Exception {
        assertThat(scan(TestMessages.text("FAKE-VASCAN:unsupported")).outcome()).isEqualTo(Outcome.CLEAN);
    }

    @Test
    void scannerErrorIsAFailure() throws Exception {
        ScanFailure f = fail(TestMessages.text("FAKE-VASCAN:error"));
        assertThat(f.kind()).isEqualTo(ScanFailure.Kind.SCANNER_ERROR);
        assertThat(f.detail())
                .contains("exit status 10")
                .contains("unknown exit status")
                .contains("vascan: error");
    }

    @Test
    void everyUndocumentedStatusIsAScannerError() throws Exception {
        for (int status : new int[] {4, 6, 7, 8, 42, 255}) {
            ScanFailure f = fail(TestMessages.text("FAKE-VASCAN:exit " + status));
            assertThat(f.kind()).as("status %d", status).isEqualTo(ScanFailure.Kind.SCANNER_ERROR);
        }
    }

    @Test
    void withoutAQuarantineDirectoryVascanRefusesAndTheScanFails() throws Exception {
        CommandLineScanner s = CommandLineScanner.builder(Profiles.vascan()
                        .withArguments(List.of("-qqq", "--all-files", "-a", "s", CommandProfile.FILES)))
                .executable(oneLine)
                .temporaryDirectory(work)
                .build();
        assertThatThrownBy(() -> s.scan(TestMessages.text("hello"))).isInstanceOfSatisfying(ScanException.class, e -> {
            assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.SCANNER_ERROR);
            assertThat(e.failure().detail()).contains("quarantine");
        });
    }

    @Test
    void theArgumentsAreTheDocumentedOnes() throws Exception {
        Path rec = Files.createDirectory(work.resolve("rec"));
        Path fakeDir = Files.createDirectory(work.resolve("bin"));
        Path program = FakeVascan.builder().recordArgumentsIn(rec).install(fakeDir);
        Path tmp = Files.createDirectory(work.resolve("tmp"));
        CommandLineScanner.builder(Profiles.vascan())
                .executable(program)
                .temporaryDirectory(tmp)
                .build()
                .scan(TestMessages.text("hello"));
        List<List<String>> runs = FakeVascan.recordedArguments(rec);
        assertThat(runs).hasSize(1);
        List<String> args = runs.get(0);
        assertThat(args.subList(0, 6))
                .containsExactly("-qqq", "--all-files", "-a", "s", "--log=/dev/null", "--timeout=60");
        assertThat(args.get(6)).startsWith("--temp=/").endsWith("/scratch");
        assertThat(args.get(7)).isEqualTo("-y");
        assertThat(args.get(8)).startsWith("/").endsWith("/quarantine");
        assertThat(args.subList(9, args.size())).allMatch(a -> a.startsWith("/"));
    }
}
