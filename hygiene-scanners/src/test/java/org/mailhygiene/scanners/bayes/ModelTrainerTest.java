package org.mailhygiene.scanners.bayes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.util.List;
import org.junit.jupiter.api.Test;

class ModelTrainerTest {

    @Test
    void mentionsAnyMatchesTheTextInAnyCaseButNotInsideALongerWord() {
        List<String> jose = List.of("jose");
        assertThat(ModelTrainer.mentionsAny("jose", jose)).isTrue();
        assertThat(ModelTrainer.mentionsAny("jose@example.org", jose)).isTrue();
        assertThat(ModelTrainer.mentionsAny("subject-case:Jose", jose)).isTrue();
        assertThat(ModelTrainer.mentionsAny("from:notify-jose@x.example", jose)).isTrue();
        assertThat(ModelTrainer.mentionsAny("joseph", jose)).isFalse();
        assertThat(ModelTrainer.mentionsAny("subject:josef", jose)).isFalse();
        assertThat(ModelTrainer.mentionsAny("ajose", jose)).isFalse();
        List<String> domain = List.of("Example.ORG");
        assertThat(ModelTrainer.mentionsAny("received:example.org", domain)).isTrue();
        assertThat(ModelTrainer.mentionsAny("url:www.example.org", domain)).isTrue();
        assertThat(ModelTrainer.mentionsAny("return-path:example.org@sender.example", domain))
                .isTrue();
        assertThat(ModelTrainer.mentionsAny("myexample.org", domain)).isFalse();
        assertThat(ModelTrainer.mentionsAny("example.organic", domain)).isFalse();
        // a later occurrence counts when the first is inside a longer word
        assertThat(ModelTrainer.mentionsAny("josephine-jose", jose)).isTrue();
        // a text that begins or ends with a non-letter matches there without a boundary
        assertThat(ModelTrainer.mentionsAny("xjose@example.org", List.of("@example.org")))
                .isTrue();
        assertThat(ModelTrainer.mentionsAny("anything", List.of())).isFalse();
        assertThatThrownBy(() -> ModelTrainer.mentionsAny("token", List.of("ab")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 3");
    }

    @Test
    void aWeightedMessageCountsAsThatManyMessages() {
        BayesModel model = BayesModel.empty();
        ModelTrainer trainer = new ModelTrainer(model);
        trainer.learn(List.of("cheap", "pills", "cheap"), true, 3);
        trainer.learn(List.of("meeting"), false, 1);
        assertThat(model.spamMessages()).isEqualTo(3);
        assertThat(model.hamMessages()).isEqualTo(1);
        assertThat(model.evidence("cheap").spamCount()).isEqualTo(3);
        assertThat(model.evidence("pills").spamCount()).isEqualTo(3);
        assertThat(model.evidence("meeting").hamCount()).isEqualTo(1);
        assertThat(trainer.model()).isSameAs(model);
    }

    @Test
    void weightNIsTheSameModelAsLearningNTimes() {
        qt().forAll(integers().between(1, 12), integers().between(1, 6)).checkAssert((weight, prune) -> {
            BayesModel weighted = BayesModel.empty();
            BayesModel repeated = BayesModel.empty();
            ModelTrainer trainer = new ModelTrainer(weighted);
            List<List<String>> messages = List.of(List.of("a", "b"), List.of("b", "c"), List.of("c", "d", "e"));
            for (List<String> m : messages) {
                trainer.learn(m, true, weight);
                for (int i = 0; i < weight; i++) {
                    repeated.learn(m, true);
                }
            }
            trainer.learn(List.of("a", "z"), false, 1);
            repeated.learn(List.of("a", "z"), false);
            assertThat(weighted.spamMessages()).isEqualTo(repeated.spamMessages());
            for (String t : List.of("a", "b", "c", "d", "e", "z")) {
                assertThat(weighted.evidence(t)).isEqualTo(repeated.evidence(t));
            }
        });
    }

    @Test
    void pruningCountsAWeightedMessageOnce() {
        BayesModel model = BayesModel.empty();
        model.learn(List.of("before", "old"), true); // held before the trainer: once each
        model.learn(List.of("before"), false);
        ModelTrainer trainer = new ModelTrainer(model);
        trainer.learn(List.of("rare", "shared", "old"), true, 5); // one message, weight 5
        trainer.learn(List.of("shared"), false, 1);
        trainer.learn(List.of("twice"), true, 4);
        trainer.learn(List.of("twice"), true, 4);

        assertThat(trainer.prune(2)).isEqualTo(1);
        assertThat(model.evidence("rare").spamCount()).isZero(); // 5 counts, but one message: dropped
        assertThat(model.evidence("shared").spamCount()).isEqualTo(5); // two messages: kept with its counts
        assertThat(model.evidence("shared").hamCount()).isEqualTo(1);
        assertThat(model.evidence("twice").spamCount()).isEqualTo(8);
        assertThat(model.evidence("before").spamCount()).isEqualTo(1);
        assertThat(model.evidence("old").spamCount()).isEqualTo(6); // an earlier message and a weighted one
        assertThat(model.spamMessages()).isEqualTo(1 + 5 + 8);

        assertThat(trainer.prune(3)).isEqualTo(4); // before, old, shared and twice: two messages each
        assertThat(model.tokenCount()).isZero();
    }

    @Test
    void pruningKeepsATokenSharedByEnoughWeightedMessages() {
        BayesModel model = BayesModel.empty();
        model.learn(List.of("mixed"), true); // held before the trainer: not a weighted message
        ModelTrainer trainer = new ModelTrainer(model);
        trainer.learn(List.of("recent", "mixed", "once", "corrected"), true, 3);
        trainer.learn(List.of("recent", "old"), true, 3);
        trainer.learn(List.of("old"), false, 1);
        trainer.learn(List.of("old", "plain"), true, 1);
        trainer.learn(List.of("plain"), true, 1);
        // a correction learned many times is not a weighted message
        trainer.learnUntil(List.of("corrected", "other"), true, 1.0, 5);

        assertThat(trainer.prune(3, 2)).isEqualTo(5); // mixed, once, plain, corrected and other
        assertThat(model.evidence("recent").spamCount()).isEqualTo(6); // two weighted messages: kept
        assertThat(model.evidence("old").spamCount()).isEqualTo(4); // three messages: kept as by prune(3)
        assertThat(model.evidence("old").hamCount()).isEqualTo(1);
        assertThat(model.evidence("mixed").spamCount()).isZero(); // one weighted and one earlier message
        assertThat(model.evidence("once").spamCount()).isZero(); // one weighted message
        assertThat(model.evidence("plain").spamCount()).isZero(); // two plain messages
        assertThat(model.evidence("corrected").spamCount()).isZero(); // one weighted message and a correction
    }

    @Test
    void pruningWithAsManyWeightedMessagesAsMessagesIsPlainPruning() {
        qt().forAll(integers().between(1, 5), integers().between(1, 4)).checkAssert((weight, min) -> {
            BayesModel a = BayesModel.empty();
            BayesModel b = BayesModel.empty();
            ModelTrainer ta = new ModelTrainer(a);
            ModelTrainer tb = new ModelTrainer(b);
            List<List<String>> messages =
                    List.of(List.of("a", "b"), List.of("b", "c"), List.of("c", "d", "b"), List.of("d"));
            for (int i = 0; i < messages.size(); i++) {
                int w = i % 2 == 0 ? weight : 1;
                ta.learn(messages.get(i), i < 2, w);
                tb.learn(messages.get(i), i < 2, w);
            }
            assertThat(ta.prune(min, min)).isEqualTo(tb.prune(min));
            assertThat(a.tokenCount()).isEqualTo(b.tokenCount());
            for (String t : List.of("a", "b", "c", "d")) {
                assertThat(a.evidence(t)).isEqualTo(b.evidence(t));
            }
        });
        assertThatThrownBy(() -> new ModelTrainer(BayesModel.empty()).prune(3, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("minWeightedMessages must be 1 or more, was 0");
    }

    @Test
    void weightOneIsPlainLearningAndPlainPruning() {
        BayesModel plain = BayesModel.empty();
        BayesModel trained = BayesModel.empty();
        ModelTrainer trainer = new ModelTrainer(trained);
        for (List<String> m : List.of(List.of("x", "y"), List.of("y"), List.of("y", "z"))) {
            plain.learn(m, true);
            trainer.learn(m, true, 1);
        }
        assertThat(trainer.prune(2)).isEqualTo(plain.prune(2)).isEqualTo(2);
        assertThat(trained.evidence("y")).isEqualTo(plain.evidence("y"));
    }

    @Test
    void learnUntilStopsAtTheTargetOrTheCapAndLearnsAtLeastOnce() {
        BayesModel model = BayesModel.empty();
        for (int i = 0; i < 200; i++) {
            model.learn(List.of("offer", "cheap", "word" + i), true);
            model.learn(List.of("meeting", "agenda", "other" + i), false);
        }
        ModelTrainer trainer = new ModelTrainer(model);
        List<String> flagged = List.of("offer", "cheap", "meeting");
        double before = model.classify(flagged).score();
        assertThat(before).isGreaterThan(0.5);

        int times = trainer.learnUntil(flagged, false, 0.5, 100);
        assertThat(times).isGreaterThan(1);
        assertThat(model.classify(flagged).score()).isLessThanOrEqualTo(0.5);
        assertThat(model.hamMessages()).isEqualTo(200 + times);
        // one fewer learning would not have done
        BayesModel again = BayesModel.empty();
        for (int i = 0; i < 200; i++) {
            again.learn(List.of("offer", "cheap", "word" + i), true);
            again.learn(List.of("meeting", "agenda", "other" + i), false);
        }
        for (int i = 0; i < times - 1; i++) {
            again.learn(flagged, false);
        }
        assertThat(again.classify(flagged).score()).isGreaterThan(0.5);

        // already on the right side: learned once all the same
        assertThat(trainer.learnUntil(List.of("meeting", "agenda"), false, 0.5, 100))
                .isEqualTo(1);
        // a target out of reach (a score of 0): learning stops once the tokens move too slowly to matter in the
        // learnings left, before the cap
        assertThat(trainer.learnUntil(List.of("offer", "cheap"), false, 0.0, 50))
                .isBetween(2, 49);
        // a message made only of a token every message has: its score stays 0.5, one learning
        for (int i = 0; i < 1000; i++) {
            model.learn(List.of("type:text/plain"), i % 2 == 0);
        }
        assertThat(trainer.learnUntil(List.of("type:text/plain"), true, 0.9, 50))
                .isEqualTo(1);
        // tokens that do move go on to the cap (a score of 0 is never reached)
        for (int i = 0; i < 5; i++) {
            model.learn(List.of("flip1", "flip2"), true);
        }
        assertThat(trainer.learnUntil(List.of("flip1", "flip2"), false, 0.0, 3)).isEqualTo(3);
        // pruning counts the corrected message once
        assertThat(model.evidence("meeting").hamCount()).isEqualTo(200 + times + 1);
        trainer.prune(2);
        assertThat(model.evidence("word7").spamCount()).isZero();
        assertThat(model.evidence("meeting").hamCount()).isPositive();
    }

    @Test
    void aMessageWithoutTokensIsLearnedOnceNotUpToTheCap() {
        BayesModel model = BayesModel.empty();
        model.learn(List.of("offer"), true);
        model.learn(List.of("meeting"), false);
        ModelTrainer trainer = new ModelTrainer(model);
        // its score is 0.5 whatever is learned: learning it 50 times as spam would only add 50 empty spam messages
        assertThat(trainer.learnUntil(List.of(), true, 0.9, 50)).isEqualTo(1);
        assertThat(model.spamMessages()).isEqualTo(2);
    }

    @Test
    void learnUntilRefusesATargetOrCapOutOfRange() {
        ModelTrainer trainer = new ModelTrainer(BayesModel.empty());
        assertThatThrownBy(() -> trainer.learnUntil(List.of("a"), true, 1.5, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("target");
        assertThatThrownBy(() -> trainer.learnUntil(List.of("a"), true, Double.NaN, 3))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> trainer.learnUntil(List.of("a"), true, 0.9, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxTimes");
        assertThat(trainer.model().spamMessages()).isZero();
    }

    @Test
    void weightOutOfRangeIsRefusedAndLearnsNothing() {
        BayesModel model = BayesModel.empty();
        ModelTrainer trainer = new ModelTrainer(model);
        assertThatThrownBy(() -> trainer.learn(List.of("a"), true, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("weight must be 1 to 100, was 0");
        assertThatThrownBy(() -> trainer.learn(List.of("a"), true, ModelTrainer.MAX_WEIGHT + 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(model.spamMessages()).isZero();
        assertThatThrownBy(() -> new ModelTrainer(null)).isInstanceOf(NullPointerException.class);
    }
}
