package org.mailhygiene.scanners.bayes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.shared.SharedStateException;
import org.mailhygiene.api.shared.TokenStore;
import org.mailhygiene.api.shared.TokenStore.Snapshot;
import org.mailhygiene.testkit.Await;

/**
 * A store that answers some calls and refuses others (a Redis full under {@code noeviction}, a read-only replica, an
 * ACL user without EVAL: its guard finds it up at a probe, the next write marks it down again) made every other model
 * refresh fail. Measured with two relay nodes at {@code redis-model-refresh = 2s}: a WARN "not refreshed" line every 4
 * to 6 s per node, for as long as the condition lasted. Now one WARN, the further runs at DEBUG.
 */
class SharedModelSyncLogTest {
    /** A store whose every other version read fails. */
    private static TokenStore alternating(String name, AtomicInteger calls) {
        return new TokenStore() {
            @Override
            public void learn(String model, Collection<String> tokens, boolean spam) {
                throw new UnsupportedOperationException();
            }

            @Override
            public long version(String model) throws SharedStateException {
                if (calls.incrementAndGet() % 2 == 1) {
                    throw new SharedStateException(name + " is down (OOM command not allowed); using local state");
                }
                return 7;
            }

            @Override
            public Snapshot snapshot(String model) {
                return new Snapshot(7, 0, 0, Map.of());
            }
        };
    }

    @Test
    void refreshesFailingByTurnsAreWarnedOfOnce() throws Exception {
        String name = "store-" + UUID.randomUUID();
        AtomicInteger calls = new AtomicInteger();
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        // slf4j-simple writes each line to the System.err of the moment
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (SharedModelSync sync = new SharedModelSync(BayesModel.empty(), "m", alternating(name, calls))) {
            sync.start(Duration.ofMillis(1));
            Await.until("20 refreshes", () -> calls.get() >= 20);
        } finally {
            System.setErr(err);
        }
        List<String> warnings = captured.toString(StandardCharsets.UTF_8)
                .lines()
                .filter(l -> l.contains(name) && l.contains(" WARN "))
                .toList();
        // before: one WARN per run of failures, 10 or more here
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0))
                .contains("shared Bayes model 'm' not refreshed: " + name + " is down (OOM command not allowed)");
    }

    /**
     * A store that lost its data (a Redis restarted without persistence) took the learned counts out of every node's
     * model without a word: the classifier changed and nothing said why. Now a WARN line names the model and what was
     * lost; the counts still follow the store.
     */
    @Test
    void aStoreThatLostItsDataIsWarnedOf() throws Exception {
        String model = "model-" + UUID.randomUUID();
        java.util.concurrent.atomic.AtomicReference<Snapshot> now = new java.util.concurrent.atomic.AtomicReference<>(
                new Snapshot(9, 4, 5, Map.of("cheap", new long[] {4, 0})));
        TokenStore store = new TokenStore() {
            @Override
            public void learn(String m, Collection<String> tokens, boolean spam) {
                throw new UnsupportedOperationException();
            }

            @Override
            public long version(String m) {
                return now.get().version();
            }

            @Override
            public Snapshot snapshot(String m) {
                return now.get();
            }
        };
        BayesModel local = BayesModel.empty();
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (SharedModelSync sync = new SharedModelSync(local, model, store)) {
            assertThat(sync.refresh()).isTrue();
            now.set(new Snapshot(0, 0, 0, Map.of())); // restarted empty
            assertThat(sync.refresh()).isTrue();
        } finally {
            System.setErr(err);
        }
        assertThat(local.spamMessages()).isZero();
        List<String> warnings = captured.toString(StandardCharsets.UTF_8)
                .lines()
                .filter(l -> l.contains(model) && l.contains(" WARN "))
                .toList();
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0))
                .contains("shared Bayes model '" + model + "': the store went back from version 9 (4 spam, 5 ham"
                        + " learned) to version 0 (0 spam, 0 ham): it lost learned data");
    }
}
