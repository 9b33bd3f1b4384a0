package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.testkit.cli.FakeVascan;
import org.mailhygiene.testkit.junit.RealBinaries;

/** {@code hygiene scan --vexira PATH} against the fake vascan, {@code --command PROFILE[:PATH]} against clamscan. */
class CommandLineScannerOptionsTest {

    @TempDir
    Path dir;

    Path clean;
    Path eicar;

    @BeforeEach
    void files() throws IOException {
        clean = Files.writeString(dir.resolve("clean mail.eml"), "Subject: hi\r\n\r\nhello\r\n");
        eicar = Files.writeString(dir.resolve("-eicar.eml"), "Subject: x\r\n\r\n" + FakeVascan.eicar() + "\r\n");
    }

    @Test
    void vexiraScansWithTheVascanProfile() throws IOException {
        Path vascan = FakeVascan.builder().install(Files.createDirectory(dir.resolve("bin")));
        Run r = Run.main("scan", "--vexira", vascan.toString(), clean.toString(), eicar.toString());
        assertThat(r.outLines()).containsExactly(clean + ": OK", eicar + ": EICAR_test_file FOUND");
        assertThat(r.status()).isEqualTo(1);
    }

    @Test
    void aVexiraFailureIsAnErrorNeverOk() throws IOException {
        Path vascan = FakeVascan.builder().install(Files.createDirectory(dir.resolve("bin")));
        Path broken = Files.writeString(dir.resolve("broken.eml"), "Subject: x\r\n\r\nFAKE-VASCAN:error\r\n");
        Run r = Run.main("scan", "--vexira", vascan.toString(), broken.toString());
        assertThat(r.outLines())
                .singleElement()
                .asString()
                .startsWith(broken + ": ERROR")
                .contains("exit status 10");
        assertThat(r.status()).isEqualTo(2);
    }

    @Test
    void commandWithAProfileFileBasedOnClamscan() throws IOException {
        Path clamscan = RealBinaries.require("clamscan", "clamav");
        Path db = Files.createDirectory(dir.resolve("db"));
        Files.writeString(
                db.resolve("t.ndb"),
                "MailHygiene.Test.Eicar:0:*:"
                        + HexFormat.of()
                                .formatHex("EICAR-STANDARD-ANTIVIRUS-TEST-FILE".getBytes(StandardCharsets.US_ASCII))
                        + "\n");
        Path profile = Files.writeString(
                dir.resolve("local.profile"),
                "based-on = clamscan\narguments = -d '" + db + "' --no-summary --stdout {files}\n");
        Run r = Run.main("scan", "--command", profile + ":" + clamscan, clean.toString(), eicar.toString());
        assertThat(r.outLines()).containsExactly(clean + ": OK", eicar + ": MailHygiene.Test.Eicar.UNOFFICIAL FOUND");
        assertThat(r.status()).isEqualTo(1);
    }

    @Test
    void commandWithABuiltInProfileAndAPath() throws IOException {
        Path vexira = FakeVascan.builder()
                .flavour(FakeVascan.Flavour.VEXIRA)
                .install(Files.createDirectory(dir.resolve("bin")));
        Run r = Run.main("scan", "--command", "vexira:" + vexira, eicar.toString());
        assertThat(r.outLines()).containsExactly(eicar + ": Eicar-Test-Signatur FOUND");
    }

    @Test
    void badArgumentsAreUsageErrorsWithTheReason() throws IOException {
        Run unknown = Run.main("scan", "--command", "norton", clean.toString());
        assertThat(unknown.status()).isEqualTo(2);
        assertThat(unknown.err()).contains("'norton' is neither a built-in profile");
        Path bad = Files.writeString(dir.resolve("bad.profile"), "name = x\ncommand = y\nexit.cleen = 0\n");
        Run badProfile = Run.main("scan", "--command", bad.toString(), clean.toString());
        assertThat(badProfile.status()).isEqualTo(2);
        assertThat(badProfile.err()).contains(bad + ":3: unknown key 'exit.cleen'");
        Run missing = Run.main("scan", "--vexira", dir.resolve("nope").toString(), clean.toString());
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.err()).contains("is not an executable file");
        assertThat(Run.main("scan", "--help").out()).contains("--vexira PATH").contains("--command PROFILE[:PATH]");
    }

    /**
     * A scanner that names 300 threats: the plain output prints the 100 a verdict keeps and says on the error stream
     * how many more there were (before session 52 the 100 lines were all, with no hint that the list was cut; only
     * {@code --json} carried the rule).
     */
    @Test
    void aCutListOfThreatNamesSaysSoOnTheErrorStream() throws IOException {
        Path many = Files.writeString(
                dir.resolve("many-clamdscan"),
                "#!/bin/sh\nfor f in \"$@\"; do case \"$f\" in -*) ;; *) i=0; while [ $i -lt 300 ]; do"
                        + " echo \"$f: Win.Test.N$i FOUND\"; i=$((i+1)); done;; esac; done\nexit 1\n");
        assertThat(many.toFile().setExecutable(true)).isTrue();
        Run r = Run.main("scan", "--command", "clamdscan:" + many, eicar.toString());
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.outLines()).hasSize(100).startsWith(eicar + ": Win.Test.N0 FOUND");
        assertThat(r.err())
                .contains(eicar + ": note: clamdscan: 200 more threat names not kept (300 in all; a verdict keeps"
                        + " the first 100)");
        Run one = Run.main("scan", "--command", "clamdscan:" + many, "--json", eicar.toString());
        assertThat(one.err()).doesNotContain("note:");
    }
}
