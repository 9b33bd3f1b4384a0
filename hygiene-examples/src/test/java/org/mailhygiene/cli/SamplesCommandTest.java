package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.testkit.SampleMessages.Sample;

class SamplesCommandTest {
    @TempDir
    Path tmp;

    @Test
    void writesEverySampleAndScanFindsWhatEachShouldHold() throws IOException {
        Path dir = tmp.resolve("a/b");
        Run r = Run.main("samples", dir.toString());
        assertThat(r.status()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.outLines()).hasSize(Sample.values().length);
        for (Sample s : Sample.values()) {
            Path f = dir.resolve(s.fileName());
            assertThat(r.outLines()).contains(f.toString());
            assertThat(Files.readAllBytes(f)).as(s.name()).isEqualTo(s.bytes());
        }
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left).as("no temporary files left").hasSize(Sample.values().length);
        }

        Run scan = Run.main("scan", "--builtin", dir.toString());
        assertThat(scan.outLines())
                .contains(dir.resolve("eicar-attachment.eml") + ": Eicar-Test-Signature FOUND")
                .contains(dir.resolve("gtube.eml") + ": SPAM 1000.0/5.0 [GTUBE]")
                .contains(dir.resolve("clean.eml") + ": OK");
        assertThat(scan.status()).isEqualTo(1);
    }

    @Test
    void secondRunLeavesIdenticalFilesAlone() throws IOException {
        Run.main("samples", tmp.toString());
        Run again = Run.main("samples", tmp.toString());
        assertThat(again.status()).isZero();
        assertThat(again.outLines()).allMatch(l -> l.endsWith(" (unchanged)"));
    }

    @Test
    void refusesToOverwriteOtherContentWithoutForce() throws IOException {
        Path mine = Files.writeString(tmp.resolve("clean.eml"), "my own message");
        Run r = Run.main("samples", tmp.toString());
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains(mine + " exists with other content").contains("nothing written");
        assertThat(Files.readString(mine)).isEqualTo("my own message");
        try (Stream<Path> files = Files.list(tmp)) {
            assertThat(files).containsExactly(mine);
        }

        Run forced = Run.main("samples", "--force", tmp.toString());
        assertThat(forced.status()).isZero();
        assertThat(Files.readAllBytes(mine)).isEqualTo(Sample.CLEAN.bytes());
    }

    @Test
    void usageErrors() {
        Run none = Run.main("samples");
        assertThat(none.status()).isEqualTo(2);
        assertThat(none.err()).contains("no directory given");
        Run two = Run.main("samples", "a", "b");
        assertThat(two.status()).isEqualTo(2);
        assertThat(two.err()).contains("exactly one directory");
        Run opt = Run.main("samples", "--frob", "a");
        assertThat(opt.err()).contains("unknown option --frob");
    }

    @Test
    void aFileWhereTheDirectoryShouldBeIsAnError() throws IOException {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        Run r = Run.main("samples", file.toString());
        assertThat(r.status()).isEqualTo(2);
        // it was the JDK's "hygiene samples: java.nio.file.FileAlreadyExistsException: FILE"
        assertThat(r.err()).isEqualTo("hygiene samples: " + file + " exists and is not a directory; nothing written\n");
        Run under = Run.main("samples", file.resolve("sub").toString());
        assertThat(under.status()).isEqualTo(2);
        assertThat(under.err()).startsWith("hygiene samples: " + file).doesNotContain("java.nio");
    }
}
