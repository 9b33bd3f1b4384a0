package org.mailhygiene.scanners.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.testkit.cli.FakeVascan;
import org.mailhygiene.testkit.junit.RealBinaries;

/**
 * The {@code clamscan} profile against the real {@code clamscan} with a signature database generated here: an
 * {@code .ndb} body signature for EICAR (protocols.md §1.8). Signatures from a local database get {@code .UNOFFICIAL}.
 */
class ClamscanProfileTest {

    @TempDir
    Path root;

    Path db;
    Path tmp;
    Path clamscan;

    static String ndb(String name, String marker) {
        return name + ":0:*:" + HexFormat.of().formatHex(marker.getBytes(StandardCharsets.US_ASCII)) + "\n";
    }

    @BeforeEach
    void setUp() throws IOException {
        clamscan = RealBinaries.require("clamscan", "clamav");
        db = Files.createDirectory(root.resolve("db"));
        tmp = Files.createDirectory(root.resolve("tmp"));
        Files.writeString(db.resolve("test.ndb"), ndb("MailHygiene.Test.Eicar", "EICAR-STANDARD-ANTIVIRUS-TEST-FILE"));
    }

    private CommandLineScanner scanner() {
        return CommandLineScanner.builder(Profiles.clamscan().withLeadingArguments(List.of("-d", db.toString())))
                .executable(clamscan)
                .temporaryDirectory(tmp)
                .build();
    }

    @Test
    void cleanMessageIsClean() throws Exception {
        assertThat(scanner().scan(TestMessages.text("hello")).outcome()).isEqualTo(Outcome.CLEAN);
        assertNothingLeft();
    }

    @Test
    void eicarInTheBodyIsInfectedWithTheUnofficialName() throws Exception {
        Verdict v = scanner().scan(TestMessages.eicar());
        assertThat(v.outcome()).isEqualTo(Outcome.INFECTED);
        assertThat(v.threats()).containsExactly("MailHygiene.Test.Eicar.UNOFFICIAL");
        assertThat(v.rules()).anySatisfy(r -> assertThat(r.description()).isEqualTo("in message"));
        assertNothingLeft();
    }

    @Test
    void eicarInABase64AttachmentIsFoundBecauseClamAvDecodesMime() throws Exception {
        Verdict v = scanner()
                .scan(TestMessages.attachment("--help.com", FakeVascan.eicar().getBytes(StandardCharsets.US_ASCII)));
        assertThat(v.threats()).containsExactly("MailHygiene.Test.Eicar.UNOFFICIAL");
    }

    @Test
    void aMissingDatabaseIsAScannerError() {
        CommandLineScanner s = CommandLineScanner.builder(Profiles.clamscan()
                        .withLeadingArguments(List.of("-d", root.resolve("none").toString())))
                .executable(clamscan)
                .temporaryDirectory(tmp)
                .build();
        assertThatThrownBy(() -> s.scan(TestMessages.eicar())).isInstanceOfSatisfying(ScanException.class, e -> {
            assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.SCANNER_ERROR);
            assertThat(e.failure().detail()).contains("exit status 2 (some error(s) occurred)");
        });
    }

    @Test
    void aMalformedDatabaseIsAScannerErrorNotClean() throws IOException {
        Files.writeString(db.resolve("broken.ndb"), "this is not a signature\n");
        assertThatThrownBy(() -> scanner().scan(TestMessages.text("hello")))
                .isInstanceOfSatisfying(
                        ScanException.class,
                        e -> assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.SCANNER_ERROR));
    }

    @Test
    void aNewSignatureIsUsedByTheNextScan() throws Exception {
        CommandLineScanner s = scanner();
        assertThat(s.scan(TestMessages.text("MAILHYGIENE-TEST-SIGNATURE")).outcome())
                .isEqualTo(Outcome.CLEAN);
        Files.writeString(db.resolve("marker.ndb"), ndb("MailHygiene.Test.Marker", "MAILHYGIENE-TEST-SIGNATURE"));
        assertThat(s.scan(TestMessages.text("MAILHYGIENE-TEST-SIGNATURE")).threats())
                .containsExactly("MailHygiene.Test.Marker.UNOFFICIAL");
    }

    /**
     * EICAR zipped 25 times over (clamscan's --max-recursion is 17): clamscan stops at the limit and, without
     * {@code --alert-exceeds-max}, prints {@code OK} and exits 0, so the profile called the message clean. It is an
     * UNSCANNABLE failure, as {@code ClamdScanner} reports clamd's {@code Heuristics.Limits.Exceeded} reply.
     */
    @Test
    void aMessageBeyondClamscansRecursionLimitIsUnscannableNotClean() throws Exception {
        byte[] data = FakeVascan.eicar().getBytes(StandardCharsets.US_ASCII);
        String entry = "eicar.com";
        for (int i = 0; i < 25; i++) {
            data = TestMessages.zip(entry, data);
            entry = "level" + i + ".zip";
        }
        byte[] nested = data;
        assertThatThrownBy(() -> scanner().scan(TestMessages.attachment("nested.zip", nested)))
                .isInstanceOfSatisfying(ScanException.class, e -> {
                    assertThat(e.failure().kind()).isEqualTo(ScanFailure.Kind.UNSCANNABLE);
                    assertThat(e.failure().detail()).contains("scan limit", "Heuristics.Limits.Exceeded.MaxRecursion");
                });
        assertNothingLeft();
    }

    private void assertNothingLeft() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s).isEmpty();
        }
    }
}
