package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.scanners.bayes.BayesModels;
import org.mailhygiene.testkit.SampleMessages;

class LearnCommandTest {

    @Test
    void learnsIntoANewModelStartingFromTheDefaultThenIncrementally(@TempDir Path dir) throws Exception {
        Path msg = dir.resolve("clean.eml");
        Files.write(msg, SampleMessages.clean());
        Path model = dir.resolve("site.model");
        BayesModel base = BayesModels.loadDefault();

        Run ham = Run.main("learn", "--ham", "--model", model.toString(), msg.toString());
        assertThat(ham.status()).as(ham.err()).isZero();
        assertThat(ham.out()).contains("learned 1 message(s) as ham (new model, started from the default model)");
        assertThat(BayesModel.load(model).hamMessages()).isEqualTo(base.hamMessages() + 1);

        Run spam = Run.mainWithStdin(SampleMessages.gtube(), "learn", "--spam", "--model", model.toString(), "-");
        assertThat(spam.status()).as(spam.err()).isZero();
        assertThat(BayesModel.load(model).spamMessages()).isEqualTo(base.spamMessages() + 1);
        assertThat(BayesModel.load(model).hamMessages()).isEqualTo(base.hamMessages() + 1);
    }

    @Test
    void usageErrorsAndAMissingFileChangeNothing(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("m.model");
        assertThat(Run.main("learn", "--model", model.toString(), "x").err()).contains("say --spam or --ham");
        assertThat(Run.main("learn", "--spam", "x").err())
                .contains("give exactly one of --model MODEL and --redis URL");
        assertThat(Run.main("learn", "--spam", "--ham", "--model", "m", "x").err())
                .contains("exclude each other");
        assertThat(Run.main("learn", "--spam", "--model", "m").err()).contains("at least one message FILE");
        Run missing = Run.main(
                "learn",
                "--spam",
                "--model",
                model.toString(),
                dir.resolve("none.eml").toString());
        assertThat(missing.status()).isEqualTo(2);
        assertThat(Files.exists(model)).isFalse();
    }
}
