package org.mailhygiene.scanners.clamd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanException;
import org.mailhygiene.api.ScanFailure.Kind;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.testkit.clamd.RealClamd;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.junit.RealClamdExtension;

/**
 * Cases that only a real clamd can answer: the clamav-testfiles corpus (packed executables, archives, documents),
 * MaxFileSize with AlertExceedsMax, a large stream far over StreamMaxLength, and scans during a reload.
 */
class RealClamdTest {
    static final Path TESTFILES = Path.of("/usr/share/clamav-testfiles");
    static final String CLAM_EXE_SIG = "Local.ClamExe.NDB";

    @RegisterExtension
    static final RealClamdExtension CLAMD = RealClamdExtension.create(
            b -> b.streamMaxLength(4L << 20).maxFileSize(512 * 1024).bodySignature(CLAM_EXE_SIG, clamExeCode()));

    /** Bytes 0x40..0x6F of clam.exe (its code), read from the installed test files; a dummy when absent. */
    static byte[] clamExeCode() {
        try {
            byte[] exe = Files.readAllBytes(TESTFILES.resolve("clam.exe"));
            return Arrays.copyOfRange(exe, 0x40, 0x70);
        } catch (IOException e) {
            return "clam.exe test file not installed".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        }
    }

    static ClamdScanner scanner() {
        return ClamdScanner.builder()
                .address(CLAMD.get().tcpAddress())
                .streamMaxLength(64L << 20)
                .build();
    }

    static Stream<Path> testFiles() throws IOException {
        if (!Files.isDirectory(TESTFILES)) {
            return Stream.of(TESTFILES);
        }
        try (Stream<Path> s = Files.list(TESTFILES)) {
            return s.filter(Files::isRegularFile).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("testFiles")
    void everyClamavTestFileIsInfectedOrAtLeastNeverClean(Path file) throws Exception {
        if (!Files.exists(file)) {
            String reason = TESTFILES + " is missing (Debian package clamav-testfiles)";
            if (RealBinaries.underCi()) {
                throw new AssertionError(reason + "; mandatory under CI=true");
            }
            Assumptions.abort(reason);
        }
        try {
            Verdict v = scanner().scan(Message.of(MessageContent.ofFile(file)));
            assertThat(v.outcome()).as(file.toString()).isEqualTo(Outcome.INFECTED);
            assertThat(v.threats()).containsExactly(CLAM_EXE_SIG + RealClamd.UNOFFICIAL);
        } catch (ScanException e) {
            // A test file that trips a scan limit (clam_cache_emax.tgz is built for that) must be unscannable.
            assertThat(e.failure().kind()).as(file + ": " + e.getMessage()).isEqualTo(Kind.UNSCANNABLE);
        }
    }

    @Test
    void aFileOverMaxFileSizeIsUnscannableNotClean() {
        // 700 KiB against MaxFileSize 512 KiB: with AlertExceedsMax yes clamd says
        // Heuristics.Limits.Exceeded.MaxFileSize
        // instead of a silent OK. (A zip entry over MaxFileSize still came back OK from clamd 1.4.6.)
        byte[] big = ClamdTestMessages.cleanOfSize(700 * 1024);
        assertThatThrownBy(() -> scanner().scan(Message.of(big))).isInstanceOfSatisfying(ScanException.class, e -> {
            assertThat(e.failure().kind()).isEqualTo(Kind.UNSCANNABLE);
            assertThat(e.failure().detail()).contains("Heuristics.Limits.Exceeded.");
        });
    }

    @Test
    void aStreamFarOverStreamMaxLengthIsTooLarge() throws Exception {
        // 40 MB against a 4 MiB limit: clamd answers and closes early; the writes break; the reply is still read.
        Path f = Files.createTempFile("mh-big", ".eml");
        try {
            byte[] block = ClamdTestMessages.cleanOfSize(1 << 20);
            try (var out = Files.newOutputStream(f)) {
                for (int i = 0; i < 40; i++) {
                    out.write(block);
                }
            }
            ClamdScanner s = scanner();
            assertThatThrownBy(() -> s.scan(Message.of(MessageContent.ofFile(f))))
                    .isInstanceOfSatisfying(ScanException.class, e -> {
                        assertThat(e.failure().kind()).isEqualTo(Kind.TOO_LARGE);
                        assertThat(e.failure().detail()).contains("size limit exceeded");
                    });
            assertThat(s.group().members().get(0).available())
                    .as("too large is not the instance's fault")
                    .isTrue();
        } finally {
            Files.deleteIfExists(f);
        }
    }

    @Test
    void scansKeepWorkingDuringAReload() throws Exception {
        ClamdScanner s = scanner();
        for (int round = 0; round < 3; round++) {
            assertThat(s.reloadAll().success()).isTrue();
            for (int i = 0; i < 20; i++) {
                assertThat(s.scan(Message.of(ClamdTestMessages.eicarPlain())).threats())
                        .containsExactly(RealClamd.EICAR_NDB_NAME + RealClamd.UNOFFICIAL);
            }
        }
    }

    @Test
    void versionWithoutDatabasePartAndStats() throws Exception {
        ClamdClient c = scanner().clients().get(0);
        ClamdVersion v = c.version(Duration.ofSeconds(5));
        assertThat(v.engine()).startsWith("ClamAV 1.");
        assertThat(v.databaseVersion()).isEmpty(); // only local .ndb files are loaded
        assertThat(c.stats(Duration.ofSeconds(5)).maxThreads()).hasValue(4);
        assertThat(List.of(v.raw())).doesNotContain("/");
    }
}
