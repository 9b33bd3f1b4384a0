package org.mailhygiene.scanners.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.scanners.bayes.ModelFormatException;

class EmbeddedScannersTest {

    @Test
    void withoutModelTheDefaultClassifier() throws Exception {
        assertThat(EmbeddedScanners.create(Optional.empty()))
                .extracting(Scanner::name)
                .containsExactly("builtin", "attachments", "bayes");
        assertThat(EmbeddedScanners.withoutClassifier())
                .extracting(Scanner::name)
                .containsExactly("builtin", "attachments");
    }

    @Test
    void withModelAlsoBayes(@TempDir Path dir) throws Exception {
        BayesModel m = BayesModel.empty();
        m.learn(List.of("a"), true);
        m.learn(List.of("b"), false);
        Path file = dir.resolve("m.bin");
        m.save(file);
        assertThat(EmbeddedScanners.create(Optional.of(file)))
                .extracting(Scanner::name)
                .containsExactly("builtin", "attachments", "bayes");
    }

    @Test
    void badModelFileFails(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.bin");
        Files.writeString(file, "nope");
        assertThatThrownBy(() -> EmbeddedScanners.create(Optional.of(file))).isInstanceOf(ModelFormatException.class);
    }
}
