package org.mailhygiene.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.scanners.bayes.SharedModelSync;
import org.mailhygiene.testkit.junit.RealRedisExtension;

/** A message learned through one node classifies the same way on another, through a real Redis. */
class SharedBayesModelTest {
    @RegisterExtension
    final RealRedisExtension redis = RealRedisExtension.create();

    private static BayesModel base() {
        BayesModel m = BayesModel.empty();
        m.learn(List.of("meeting", "agenda", "minutes"), false);
        m.learn(List.of("lunch", "agenda", "report"), false);
        m.learn(List.of("viagra", "cheap", "offer"), true);
        m.learn(List.of("winner", "offer", "prize"), true);
        return m;
    }

    @Test
    void learnedOnOneNodeClassifiesTheSameOnTheOtherAndSurvivesARedisRestart() throws Exception {
        List<String> phishing = List.of("verify", "account", "suspended", "login-now.example");
        try (RedisSharedState state = RedisSharedState.open(redis.url(), Duration.ofSeconds(10))) {
            BayesModel a = base();
            BayesModel b = base();
            double before = b.classify(phishing).score();
            try (SharedModelSync syncA = new SharedModelSync(a, "site", state.tokens());
                    SharedModelSync syncB = new SharedModelSync(b, "site", state.tokens())) {
                syncA.refresh();
                syncB.refresh();
                for (int i = 0; i < 3; i++) {
                    syncA.learn(phishing, true);
                }
                assertThat(syncB.refresh()).isTrue();
                assertThat(syncB.refresh()).as("unchanged store: no change").isFalse();
                double onA = a.classify(phishing).score();
                double onB = b.classify(phishing).score();
                assertThat(onB).isEqualTo(onA);
                assertThat(onB).isGreaterThan(before);
                assertThat(b.spamMessages()).isEqualTo(5);
                assertThat(b.evidence("suspended").spamCount()).isEqualTo(3);

                // Redis without persistence loses the learned counts: the next refresh takes them back out.
                redis.get().kill();
                redis.get().restart();
                assertThat(syncB.refresh()).isTrue();
                assertThat(b.spamMessages()).isEqualTo(2);
                assertThat(b.evidence("suspended").spamCount()).isZero();
                assertThat(b.classify(phishing).score()).isEqualTo(before);
                // Learning again after the loss is seen, although the store counts from zero again.
                syncA.refresh();
                for (int i = 0; i < 3; i++) {
                    syncA.learn(phishing, true);
                }
                assertThat(syncB.refresh()).isTrue();
                assertThat(b.evidence("suspended").spamCount()).isEqualTo(3);
                assertThat(b.classify(phishing).score())
                        .isEqualTo(a.classify(phishing).score());
            }
            // A node whose model file was reloaded (a new model object) gets the cluster's learning applied in full.
            BayesModel[] current = {base()};
            try (SharedModelSync syncC = new SharedModelSync(() -> current[0], "site", state.tokens())) {
                syncC.refresh();
                assertThat(current[0].evidence("suspended").spamCount()).isEqualTo(3);
                current[0] = base();
                assertThat(syncC.refresh()).isTrue();
                assertThat(current[0].evidence("suspended").spamCount()).isEqualTo(3);
                assertThat(current[0].spamMessages()).isEqualTo(5);
            }
        }
    }
}
