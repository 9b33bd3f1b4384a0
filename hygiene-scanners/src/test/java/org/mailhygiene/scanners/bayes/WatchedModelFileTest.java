package org.mailhygiene.scanners.bayes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.testkit.FakeClock;

class WatchedModelFileTest {

    private static BayesModel model(int spam, int ham) {
        BayesModel m = BayesModel.empty();
        for (int i = 0; i < spam; i++) {
            m.learn(List.of("viagra", "s" + i), true);
        }
        for (int i = 0; i < ham; i++) {
            m.learn(List.of("meeting", "h" + i), false);
        }
        return m;
    }

    @Test
    void replacedFileIsPickedUpAfterTheIntervalAndOnlyThen(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.model");
        model(1, 1).save(file);
        FakeClock clock = FakeClock.start();
        WatchedModelFile w = WatchedModelFile.open(file, clock, Duration.ofSeconds(2));
        BayesModel first = w.current();
        assertThat(first.spamMessages()).isEqualTo(1);

        model(5, 7).save(file);
        assertThat(w.current()).isSameAs(first); // interval not over: the file is not even looked at
        clock.advance(Duration.ofSeconds(2));
        assertThat(w.current().spamMessages()).isEqualTo(5);
        assertThat(w.current().hamMessages()).isEqualTo(7);
        assertThat(w.reloads()).isEqualTo(1);
        clock.advance(Duration.ofSeconds(2));
        BayesModel second = w.current();
        assertThat(w.reloads()).as("an unchanged file is not read again").isEqualTo(1);
        assertThat(second.version()).isNotEqualTo(first.version());
    }

    @Test
    void aManualFileIsReadOnlyWhenCheckedNeverFromAScan(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.model");
        model(1, 1).save(file);
        WatchedModelFile w = WatchedModelFile.manual(file);
        BayesScanner scanner = BayesScanner.builder(w).build();
        BayesModel first = w.current();
        String identity = scanner.cacheIdentity().orElseThrow();

        model(4, 4).save(file);
        assertThat(w.current()).isSameAs(first);
        assertThat(scanner.model()).isSameAs(first);
        assertThat(w.checkNow()).isTrue();
        assertThat(scanner.model().spamMessages()).isEqualTo(4);
        assertThat(scanner.cacheIdentity().orElseThrow())
                .as("verdicts cached under the old model are not reused")
                .isNotEqualTo(identity);
        assertThat(w.checkNow()).as("an unchanged file is not read again").isFalse();
        assertThat(w.reloads()).isEqualTo(1);
    }

    @Test
    void theThresholdFollowsTheOriginOfTheModelInUseAcrossReplacements(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.model");
        model(3, 3).save(file); // trained from scratch
        WatchedModelFile w = WatchedModelFile.manual(file);
        BayesScanner follows = BayesScanner.builder(w).build();
        BayesScanner fixed = BayesScanner.builder(w).threshold(0.95).build();
        assertThat(follows.threshold()).isEqualTo(BayesScanner.DEFAULT_THRESHOLD);
        String scratchIdentity = follows.cacheIdentity().orElseThrow();

        BayesModel site = BayesModels.loadDefault(); // learned on top of the default, as hygiene learn does
        site.learn(List.of("site"), false);
        site.save(file);
        assertThat(w.checkNow()).isTrue();
        assertThat(follows.threshold()).isEqualTo(BayesModels.DEFAULT_MODEL_THRESHOLD);
        assertThat(follows.cacheIdentity().orElseThrow()).contains("/" + BayesModels.DEFAULT_MODEL_THRESHOLD + "/");
        assertThat(follows.scan(org.mailhygiene.api.Message.of("Subject: hello\r\n\r\nthe agenda for the meeting\r\n"
                                .getBytes(java.nio.charset.StandardCharsets.US_ASCII)))
                        .threshold())
                .hasValue(BayesModels.DEFAULT_MODEL_THRESHOLD);
        assertThat(fixed.threshold()).isEqualTo(0.95);

        model(3, 3).save(file); // and back: a model trained from scratch over it
        assertThat(w.checkNow()).isTrue();
        assertThat(follows.threshold()).isEqualTo(BayesScanner.DEFAULT_THRESHOLD);
        assertThat(follows.cacheIdentity().orElseThrow()).isNotEqualTo(scratchIdentity); // another model version
    }

    @Test
    void corruptOrMissingReplacementKeepsTheModelInUse(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.model");
        model(2, 2).save(file);
        FakeClock clock = FakeClock.start();
        WatchedModelFile w = WatchedModelFile.open(file, clock, Duration.ZERO);
        BayesModel good = w.current();

        Files.writeString(file, "MHBAYES garbage");
        assertThat(w.checkNow()).isFalse();
        assertThat(w.current()).isSameAs(good);
        assertThat(w.lastError()).hasValueSatisfying(e -> assertThat(e).contains("keeping the model in use"));
        // the model's refusal names the file; the reason names it once (twice until session 49)
        assertThat(w.lastError())
                .hasValueSatisfying(
                        e -> assertThat(e).containsOnlyOnce(file.toString()).contains("not a Mail Hygiene"));
        BayesScanner scanner = BayesScanner.builder(w).build();
        assertThat(scanner.health().status()).isEqualTo(org.mailhygiene.api.Health.Status.UP);
        assertThat(scanner.health().detail())
                .startsWith("in process: a model of 2 spam and 2 ham")
                .contains(", from " + file)
                .contains("its latest version was not reloaded, keeping the model in use: " + file);

        Files.delete(file);
        assertThat(w.checkNow()).isFalse();
        assertThat(w.current()).isSameAs(good);

        model(3, 3).save(file);
        assertThat(w.checkNow()).isTrue();
        assertThat(w.current().spamMessages()).isEqualTo(3);
        assertThat(w.lastError()).isEmpty();
        assertThat(scanner.health().detail()).contains("3 spam and 3 ham").doesNotContain("reloaded");
        assertThat(BayesScanner.create(BayesModel.empty()).health().detail())
                .contains("a model of 0 spam and 0 ham")
                .contains("it learned no spam: train it");
    }

    @Test
    void openFailsOnAMissingOrBadFile(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> WatchedModelFile.open(dir.resolve("none"))).isInstanceOf(java.io.IOException.class);
        Path bad = dir.resolve("bad");
        Files.writeString(bad, "nope");
        assertThatThrownBy(() -> WatchedModelFile.open(bad)).isInstanceOf(ModelFormatException.class);
    }

    @Test
    void scannerUsesTheNewModelWithoutRestart(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.model");
        model(3, 3).save(file);
        FakeClock clock = FakeClock.start();
        WatchedModelFile w = WatchedModelFile.open(file, clock, Duration.ofSeconds(1));
        BayesScanner scanner = BayesScanner.builder(w).build();
        String before = scanner.cacheIdentity().orElseThrow();
        byte[] msg = "From: a@b.example\r\nSubject: hello\r\n\r\nspecialword spec2 spec3\r\n".getBytes();
        byte[] other = "From: a@b.example\r\nSubject: hello\r\n\r\nspecialword spec2 spec4\r\n".getBytes();
        // two messages (the learn journal learns the same one only once)
        BayesModels.learnInto(
                file, true, List.of(MessageContent.ofBytes(msg), MessageContent.ofBytes(other)), Tokenizer.create());
        clock.advance(Duration.ofSeconds(1));
        assertThat(scanner.model().spamMessages()).isEqualTo(5);
        assertThat(scanner.cacheIdentity().orElseThrow()).isNotEqualTo(before);
        assertThat(Files.exists(dir.resolve("m.model.lock"))).isTrue();
    }
}
