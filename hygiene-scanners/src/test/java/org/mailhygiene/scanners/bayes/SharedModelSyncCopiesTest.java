package org.mailhygiene.scanners.bayes;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.shared.TokenStore;
import org.mailhygiene.scanners.shared.InProcessSharedState;
import org.mailhygiene.testkit.ForwardingTokenStore;

/**
 * Found reading session 53's change to {@link TokenStore.Snapshot} (each reader gets its own copy of a token's
 * counts): a node's whole read of the shared model then copied each token's counts three times (once to compare, twice
 * to keep), some 64 bytes a token more than needed, 13 MB per read of a 200,000-token model. Now once. Measured with the
 * bytes this thread allocates during a periodic whole read that finds nothing changed, from a snapshot made before.
 */
class SharedModelSyncCopiesTest {
    private static final int TOKENS = 100_000;

    /** Hands out one snapshot made beforehand, so that a read allocates only what the node does with it. */
    private static final class FixedSnapshotStore extends ForwardingTokenStore {
        private final Snapshot snapshot;

        FixedSnapshotStore(TokenStore to, Snapshot snapshot) {
            super(to);
            this.snapshot = snapshot;
        }

        @Override
        public long version(String model) {
            return snapshot.version();
        }

        @Override
        public Snapshot snapshot(String model) {
            return snapshot;
        }
    }

    @Test
    void aWholeReadCopiesEachTokensCountsOnce() throws Exception {
        Map<String, long[]> counts = new HashMap<>();
        for (int i = 0; i < TOKENS; i++) {
            counts.put("word" + i, new long[] {1 + i % 7, 1 + i % 5});
        }
        TokenStore.Snapshot snap = new TokenStore.Snapshot(3, 1000, 1000, counts);
        FixedSnapshotStore store =
                new FixedSnapshotStore(InProcessSharedState.create().tokens(), snap);
        org.junit.jupiter.api.Assumptions.assumeTrue(
                BayesModelTest.allocatedBytes() >= 0, "this JVM counts the bytes a thread allocates");
        try (SharedModelSync node = new SharedModelSync(BayesModel.empty(), "m", store)) {
            assertThat(node.refresh()).isTrue();
            node.wholeReadInterval(Duration.ofNanos(1));
            long least = Long.MAX_VALUE;
            for (int round = 0; round < 3; round++) {
                long before = BayesModelTest.allocatedBytes();
                assertThat(node.refresh())
                        .as("the periodic read found what the node holds")
                        .isFalse();
                least = Math.min(least, BayesModelTest.allocatedBytes() - before);
            }
            // one copy of long[2] (24-32 bytes) and a map entry (32 bytes and its table slot, grown by doubling):
            // 84 bytes a token measured (JDK 17); three copies were 148
            assertThat(least / TOKENS)
                    .as("bytes allocated a token by a whole read")
                    .isLessThan(105);
        }
    }
}
