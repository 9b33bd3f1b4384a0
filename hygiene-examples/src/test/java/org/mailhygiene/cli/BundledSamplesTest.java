package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.SampleMessages.Sample;

/** The sample files checked in under hygiene-examples/samples match the generator and hold no virus. */
class BundledSamplesTest {
    private static final Path SAMPLES = Path.of("samples");
    private static final List<Sample> BUNDLED =
            List.of(Sample.CLEAN, Sample.GTUBE, Sample.JAPANESE_ISO_2022_JP, Sample.EMPTY_SUBJECT, Sample.NO_SUBJECT);

    @Test
    void bundledFilesEqualTheGeneratedSamples() throws IOException {
        for (Sample s : BUNDLED) {
            Path f = SAMPLES.resolve(s.fileName());
            assertThat(f).as("run: hygiene samples and copy %s", s.fileName()).exists();
            assertThat(Files.readAllBytes(f)).as(f.toString()).isEqualTo(s.bytes());
        }
    }

    @Test
    void noVirusSampleIsStoredInTheRepository() throws IOException {
        String eicar = new String(SampleMessages.eicar(), StandardCharsets.ISO_8859_1);
        // the first 33 bytes, base64-encoded as in a MIME attachment (33 bytes make whole base64 groups)
        String eicarBase64Start = Base64.getEncoder().encodeToString(Arrays.copyOf(SampleMessages.eicar(), 33));
        try (Stream<Path> files = Files.list(SAMPLES)) {
            for (Path f : files.toList()) {
                String text = Files.readString(f, StandardCharsets.ISO_8859_1);
                assertThat(text).as(f.toString()).doesNotContain(eicar).doesNotContain(eicarBase64Start);
                assertThat(f.getFileName().toString()).doesNotContain("eicar");
            }
        }
    }
}
