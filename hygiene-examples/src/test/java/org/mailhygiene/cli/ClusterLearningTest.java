package org.mailhygiene.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.api.shared.SharedStates;
import org.mailhygiene.api.shared.TokenStore;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.scanners.bayes.BayesModels;
import org.mailhygiene.scanners.bayes.SharedModelSync;
import org.mailhygiene.scanners.bayes.Tokenizer;
import org.mailhygiene.testkit.ForwardingTokenStore;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.junit.RealRedisExtension;

/** {@link ClusterLearning} against a private real redis-server. */
class ClusterLearningTest {
    @RegisterExtension
    final RealRedisExtension redis = RealRedisExtension.create();

    @Test
    void aSessionJudgesEveryMessageWithTheBaseModelPlusWhatTheClusterLearnedOnce() throws Exception {
        MessageContent a = MessageContent.ofBytes(SampleMessages.eicarAttachment());
        MessageContent b =
                MessageContent.ofBytes(new String(SampleMessages.eicarAttachment(), StandardCharsets.US_ASCII)
                        .replace("Subject: EICAR test attachment", "Subject: Your invoice, see the attachment")
                        .getBytes(StandardCharsets.US_ASCII));
        BayesModel fresh = BayesModels.loadDefault();
        String url = redis.url();
        // something learned before the session: the session's model starts from it
        try (ClusterLearning earlier = ClusterLearning.open(url, "m", BayesModels.loadDefault())) {
            earlier.learn(true, true, List.of(a), List.of("a"));
        }
        try (ClusterLearning session = ClusterLearning.open(url, "m", BayesModels.loadDefault())) {
            // two calls of one session, as the quarantine tool makes one per held message
            session.learn(false, false, List.of(a), List.of("a"));
            session.learn(false, false, List.of(b), List.of("b"));
            TokenStore.Snapshot snap;
            try (SharedState state = SharedStates.open(url, Duration.ofSeconds(10))) {
                snap = state.tokens().snapshot("m");
            }
            BayesModel model = session.model();
            assertThat(model.spamMessages()).isEqualTo(fresh.spamMessages() + snap.spamMessages());
            assertThat(model.hamMessages()).isEqualTo(fresh.hamMessages() + snap.hamMessages());
            Set<String> tokens = model.correctionTokens(Tokenizer.create().tokenize(b));
            for (String t : tokens) {
                long[] c = snap.tokens().getOrDefault(t, new long[2]);
                assertThat(model.evidence(t).spamCount())
                        .as(t)
                        .isEqualTo(fresh.evidence(t).spamCount() + c[0]);
                assertThat(model.evidence(t).hamCount())
                        .as(t)
                        .isEqualTo(fresh.evidence(t).hamCount() + c[1]);
            }
        }
    }

    @Test
    void aMessageTheNodesModelAlreadyAgreesWithIsCountedWithoutCorrectionTokensAndUndoneExactly() throws Exception {
        MessageContent msg = MessageContent.ofBytes(SampleMessages.clean()); // a short note: the model scores it 0.003
        Set<String> bare = Tokenizer.create().tokenize(msg);
        assertThat(BayesModels.loadDefault().classify(bare).score()).isLessThan(BayesModels.CORRECTED_HAM_SCORE);
        String url = redis.url();
        try (ClusterLearning session = ClusterLearning.open(url, "m", BayesModels.loadDefault())) {
            BayesModels.Correction ham = session.learn(false, false, List.of(msg), List.of("list"));
            assertThat(ham.learned()).isOne();
            assertThat(ham.countedOnly()).isOne();
            TokenStore.Snapshot snap;
            try (SharedState state = SharedStates.open(url, Duration.ofSeconds(10))) {
                snap = state.tokens().snapshot("m");
            }
            // the message's own tokens once each, and none of the correction tokens that would move weights
            assertThat(snap.hamMessages()).isOne();
            assertThat(snap.tokens().keySet()).isEqualTo(bare);
            assertThat(session.learn(false, false, List.of(msg), List.of("list"))
                            .alreadyLearned())
                    .isOne();

            // reported as spam after all: the counted learning is undone, the spam learned until it scores so
            BayesModels.Correction spam = session.learn(false, true, List.of(msg), List.of("list"));
            assertThat(spam.undone()).isOne();
            assertThat(spam.countedOnly()).isZero();
            try (SharedState state = SharedStates.open(url, Duration.ofSeconds(10))) {
                snap = state.tokens().snapshot("m");
            }
            assertThat(snap.hamMessages()).isZero();
            assertThat(snap.spamMessages()).isEqualTo(spam.learned()).isPositive();
            assertThat(snap.tokens().keySet()).containsAll(bare).hasSizeGreaterThan(bare.size());
            assertThat(snap.tokens().values()).allMatch(c -> c[1] == 0);
        }
    }

    @Test
    void twoLearnersGivingOneMessageOppositeLabelsAtOnceAreToldEvenWhenTheyWriteDifferentRecords() throws Exception {
        MessageContent msg = MessageContent.ofBytes(SampleMessages.clean()); // the default model scores it ham
        String url = redis.url();
        try (ClusterLearning a = ClusterLearning.open(url, "m", BayesModels.loadDefault());
                SharedState stateB = SharedStates.open(url, Duration.ofSeconds(10))) {
            // B reports it as spam (against the model: its weighted record); just after B has read the message's
            // two records, A releases it as ham (with the model: its counts-only record)
            TokenStore real = stateB.tokens();
            AtomicInteger reads = new AtomicInteger();
            TokenStore racing = new ForwardingTokenStore(real) {
                @Override
                public Optional<Learned> learned(String model, String key) throws SharedStateException {
                    Optional<Learned> r = real.learned(model, key);
                    if (reads.incrementAndGet() == 2) {
                        try {
                            assertThat(a.learn(false, false, List.of(msg), List.of("a.eml"))
                                            .countedOnly())
                                    .isOne();
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                    return r;
                }
            };
            BayesModel baseB = BayesModels.loadDefault();
            SharedModelSync syncB = new SharedModelSync(baseB, "m", racing);
            syncB.refresh();
            ClusterLearning b = new ClusterLearning(stateB, syncB, baseB);
            assertThatThrownBy(() -> b.learn(false, true, List.of(msg), List.of("b.eml")))
                    .isInstanceOf(SharedStateException.class)
                    .hasMessageStartingWith(
                            "b.eml: another learner has just learned it as ham while it was" + " learned as spam here");
        }
        // running B's command again makes it spam: the ham release undone, only spam learnings left
        try (ClusterLearning again = ClusterLearning.open(url, "m", BayesModels.loadDefault())) {
            BayesModels.Correction c = again.learn(false, true, List.of(msg), List.of("b.eml"));
            assertThat(c.undone()).isOne();
        }
        try (SharedState state = SharedStates.open(url, Duration.ofSeconds(10))) {
            TokenStore.Snapshot snap = state.tokens().snapshot("m");
            assertThat(snap.hamMessages()).isZero();
            assertThat(snap.spamMessages()).isPositive();
            Set<String> bare = Tokenizer.create().tokenize(msg);
            assertThat(state.tokens().learned("m", BayesModels.countsOnlyJournalKey(bare)))
                    .isEmpty();
        }
    }

    /**
     * A command learning many messages reads the whole shared model once, when its session opens, and then only the
     * changes each learning made ({@link TokenStore#changesSince}); the counts it learns and the model it judges with are
     * those of a session whose every refresh reads the whole model, as each one did before the change log (session 50:
     * {@code hygiene learn --redis} took 2.75-3.4 s per message with 200,000 tokens in the shared model).
     */
    @Test
    void learningManyMessagesReadsTheWholeModelOnceAndLearnsWhatWholeReadsLearned() throws Exception {
        List<MessageContent> messages = new java.util.ArrayList<>();
        List<String> names = new java.util.ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String text = new String(
                            i % 2 == 0 ? SampleMessages.clean() : SampleMessages.eicarAttachment(),
                            StandardCharsets.US_ASCII)
                    .replaceFirst("Subject: ", "Subject: offer" + i + " casino" + (i % 5) + " ");
            messages.add(MessageContent.ofBytes(text.getBytes(StandardCharsets.US_ASCII)));
            names.add("m" + i);
        }
        try (SharedState state = SharedStates.open(redis.url(), Duration.ofSeconds(10))) {
            TokenStore real = state.tokens();
            // models the cluster has learned into before (an empty one has no change log yet to read from)
            real.learn("a", List.of("earlier", "tokens"), true);
            real.learn("b", List.of("earlier", "tokens"), true);
            AtomicInteger wholeReads = new AtomicInteger();
            TokenStore counting = new ForwardingTokenStore(real) {
                @Override
                public Snapshot snapshot(String model) throws SharedStateException {
                    wholeReads.incrementAndGet();
                    return real.snapshot(model);
                }
            };
            TokenStore wholeOnly = new ForwardingTokenStore(real) {
                @Override
                public Changes changesSince(String model, long version) {
                    return new Changes.FullReadNeeded("every refresh reads the whole model, as before the change log");
                }
            };
            BayesModel byChanges = BayesModels.loadDefault();
            BayesModel byWholeReads = BayesModels.loadDefault();
            SharedModelSync syncA = new SharedModelSync(byChanges, "a", counting);
            SharedModelSync syncB = new SharedModelSync(byWholeReads, "b", wholeOnly);
            syncA.refresh();
            syncB.refresh();
            ClusterLearning a = new ClusterLearning(state, syncA, byChanges);
            ClusterLearning b = new ClusterLearning(state, syncB, byWholeReads);
            // spam, then some of them corrected to ham (undone first), then learned once more as spam
            for (boolean[] run : new boolean[][] {{false, true}, {false, false}, {true, true}}) {
                List<MessageContent> these = run[1] ? messages : messages.subList(0, 6);
                List<String> theseNames = run[1] ? names : names.subList(0, 6);
                BayesModels.Correction ca = a.learn(run[0], run[1], these, theseNames);
                BayesModels.Correction cb = b.learn(run[0], run[1], these, theseNames);
                assertThat(ca.learned()).isEqualTo(cb.learned());
                assertThat(ca.undone()).isEqualTo(cb.undone());
                assertThat(ca.countedOnly()).isEqualTo(cb.countedOnly());
                assertThat(ca.alreadyLearned()).isEqualTo(cb.alreadyLearned());
                assertThat(ca.unreachedAt()).isEqualTo(cb.unreachedAt());
            }
            assertThat(wholeReads).hasValue(1);
            TokenStore.Snapshot sa = real.snapshot("a");
            TokenStore.Snapshot sb = real.snapshot("b");
            assertThat(sa.spamMessages()).isEqualTo(sb.spamMessages()).isPositive();
            assertThat(sa.hamMessages()).isEqualTo(sb.hamMessages());
            assertThat(sa.tokens().keySet()).isEqualTo(sb.tokens().keySet());
            sa.tokens()
                    .forEach((t, c) ->
                            assertThat(c).as(t).containsExactly(sb.tokens().get(t)));
            assertThat(byChanges.spamMessages()).isEqualTo(byWholeReads.spamMessages());
            assertThat(byChanges.hamMessages()).isEqualTo(byWholeReads.hamMessages());
            for (String t : sa.tokens().keySet()) {
                assertThat(byChanges.evidence(t).spamCount())
                        .as(t)
                        .isEqualTo(byWholeReads.evidence(t).spamCount());
                assertThat(byChanges.evidence(t).hamCount())
                        .as(t)
                        .isEqualTo(byWholeReads.evidence(t).hamCount());
            }
            syncA.close();
            syncB.close();
        }
    }
}
