package org.mailhygiene.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mailhygiene.api.shared.TokenStore;
import org.mailhygiene.api.shared.TokenStore.Changes;
import org.mailhygiene.scanners.bayes.BayesModel;
import org.mailhygiene.scanners.bayes.SharedModelSync;
import org.mailhygiene.testkit.junit.RealRedisExtension;
import redis.clients.jedis.Jedis;

/**
 * The change log of a shared model in a real Redis: a model written by the version before the log (or changed by it
 * since), a log that was lost, of another format, or a store that lost its data make a node read the whole model, and
 * the next change is read as a change again; the log keeps its bound.
 */
class RedisChangeLogTest {
    @RegisterExtension
    static final RealRedisExtension redis = RealRedisExtension.create();

    private static RedisSharedState state;

    @BeforeAll
    static void start() throws Exception {
        state = RedisSharedState.open(redis.url() + "/7", Duration.ofSeconds(10));
    }

    @AfterAll
    static void stop() {
        if (state != null) {
            state.close();
        }
    }

    private static Jedis raw() {
        Jedis j = new Jedis("127.0.0.1", redis.get().port());
        j.select(7);
        return j;
    }

    /** What a writer of the version before the change log did: the counts and the version, nothing else. */
    private static void learnAsTheVersionBefore(Jedis raw, String model, String token) {
        String base = "mh:bayes:{" + model + "}:";
        raw.hincrBy(base + "s", token, 1);
        raw.hincrBy(base + "m", "spam", 1);
        if (!raw.hexists(base + "m", "version")) {
            raw.hset(base + "m", "version", "1733000000000000");
        }
        raw.hincrBy(base + "m", "version", 1);
    }

    private static String reason(Changes c) {
        assertThat(c).isInstanceOf(Changes.FullReadNeeded.class);
        return ((Changes.FullReadNeeded) c).reason();
    }

    @Test
    void aModelOfTheVersionBeforeIsReadWholeThenByChanges() throws Exception {
        String model = "old-" + UUID.randomUUID();
        TokenStore t = state.tokens();
        try (Jedis raw = raw()) {
            learnAsTheVersionBefore(raw, model, "cheap");
            learnAsTheVersionBefore(raw, model, "meds");
            long v = t.version(model);
            assertThat(reason(t.changesSince(model, v - 1))).contains("no change log yet");

            t.learn(model, List.of("meds", "prize"), true); // the first change of this version starts the log
            Changes.Delta d = (Changes.Delta) t.changesSince(model, v);
            assertThat(d.version()).isEqualTo(v + 1);
            assertThat(d.spamMessages()).isEqualTo(3);
            assertThat(d.tokens().keySet()).containsExactlyInAnyOrder("meds", "prize");
            assertThat(d.tokens().get("meds")).containsExactly(2, 0);

            // a node of the version before learns in between (a rolling upgrade): the log has a gap
            learnAsTheVersionBefore(raw, model, "win");
            assertThat(reason(t.changesSince(model, v + 1))).contains("the change log ends before version " + (v + 2));
            t.learn(model, List.of("lunch"), false); // started afresh at v + 2
            assertThat(reason(t.changesSince(model, v + 1))).contains("starts after version " + (v + 2));
            d = (Changes.Delta) t.changesSince(model, v + 2);
            assertThat(d.tokens().keySet()).containsExactly("lunch");
            assertThat(d.tokens().get("lunch")).containsExactly(0, 1);
        }
    }

    @Test
    void aLostLogOrOneOfAnotherFormatMeansAWholeRead() throws Exception {
        String model = "lost-" + UUID.randomUUID();
        String base = "mh:bayes:{" + model + "}:";
        TokenStore t = state.tokens();
        try (Jedis raw = raw()) {
            t.learn(model, List.of("a"), true);
            long v = t.version(model);
            t.learn(model, List.of("b"), true);
            assertThat(t.changesSince(model, v)).isInstanceOf(Changes.Delta.class);
            assertThat(raw.del(base + "c")).isEqualTo(1);
            assertThat(reason(t.changesSince(model, v))).contains("the change log ends before");
            t.learn(model, List.of("c"), true);
            assertThat(((Changes.Delta) t.changesSince(model, v + 1)).tokens().keySet())
                    .containsExactly("c");

            raw.hset(base + "m", "logformat", "2");
            assertThat(reason(t.changesSince(model, v + 1))).contains("another format (2)");
            t.learn(model, List.of("d"), true); // replaced by a log of this format
            assertThat(((Changes.Delta) t.changesSince(model, v + 2)).tokens().keySet())
                    .containsExactly("d");
            assertThat(raw.hget(base + "m", "logformat")).isEqualTo("1");
            assertThat(raw.ttl(base + "c")).as("expires with the counts").isPositive();
        }
    }

    /**
     * A change log holding what is not of its format (a hand edit, another program: a key of another type, a field
     * that is no number, an element that is no log step) never fails a learning, which would count once and report a
     * failure (a script is not rolled back; a retry would count it twice), nor a refresh: the log starts afresh or the
     * node reads the whole model.
     */
    @Test
    void aChangeLogHoldingGarbageFailsNoLearningAndNoRefresh() throws Exception {
        String model = "garbage-" + UUID.randomUUID();
        String base = "mh:bayes:{" + model + "}:";
        TokenStore t = state.tokens();
        try (Jedis raw = raw()) {
            t.learn(model, List.of("a"), true);
            raw.del(base + "c");
            raw.set(base + "c", "a string, not a list");
            long v = t.version(model);
            assertThat(reason(t.changesSince(model, v - 1))).contains("not of its format");
            t.learn(model, List.of("b"), true);
            assertThat(((Changes.Delta) t.changesSince(model, v)).tokens().keySet())
                    .containsExactly("b");

            raw.hset(base + "m", "logtotal", "many");
            t.learn(model, List.of("c"), true);
            assertThat(((Changes.Delta) t.changesSince(model, v + 1)).tokens().keySet())
                    .containsExactly("c");

            raw.rpush(base + "c", "not a step");
            raw.hincrBy(base + "m", "version", 1); // as if that element were a step
            assertThat(reason(t.changesSince(model, v + 2))).contains("not of its format");
            raw.lset(base + "c", -1, "0:1:garbage");
            assertThat(reason(t.changesSince(model, v + 2))).contains("not of its format");
            try (RedisSharedState small = RedisSharedState.open(redis.url() + "/7", Duration.ofSeconds(10))
                    .changeLogLimit(1)) {
                raw.lset(base + "c", 0, "not a step either");
                small.tokens().learn(model, List.of("d", "e"), true); // trims the log: meets the garbage first
            }
            TokenStore.Snapshot snap = t.snapshot(model);
            assertThat(snap.spamMessages()).as("each learning counted once").isEqualTo(4);
            assertThat(snap.tokens().keySet()).containsExactlyInAnyOrder("a", "b", "c", "d", "e");
            t.learn(model, List.of("f"), true);
            long now = t.version(model);
            assertThat(((Changes.Delta) t.changesSince(model, now - 1)).tokens().keySet())
                    .containsExactly("f");
        }
    }

    @Test
    void aStoreThatLostItsDataIsReadWhole() throws Exception {
        String model = "flushed-" + UUID.randomUUID();
        TokenStore t = state.tokens();
        try (Jedis raw = raw()) {
            t.learn(model, List.of("a"), true);
            t.learn(model, List.of("b"), true);
            long v = t.version(model);
            raw.del("mh:bayes:{" + model + "}:s", "mh:bayes:{" + model + "}:m", "mh:bayes:{" + model + "}:c");
            assertThat(reason(t.changesSince(model, v))).contains("it lost learned data");
            t.learn(model, List.of("c"), true); // a new version, from the server's clock: after v
            assertThat(t.version(model)).isGreaterThan(v);
            assertThat(reason(t.changesSince(model, v))).contains("the change log starts after version");
        }
    }

    /**
     * A node further behind than {@link RedisSharedState#CHANGES_READ_LIMIT} token changes reads the whole model: the
     * script reading the changes holds the server (0.9 s for 200,000 changes), the whole read pages through it.
     */
    @Test
    void aNodeFarBehindReadsTheWholeModel() throws Exception {
        String model = "far-" + UUID.randomUUID();
        TokenStore t = state.tokens();
        t.learn(model, List.of("first"), true);
        long v = t.version(model);
        List<String> many = new java.util.ArrayList<>();
        for (int i = 0; i < RedisSharedState.CHANGES_READ_LIMIT; i++) {
            many.add("t" + i);
        }
        t.learn(model, many, true);
        assertThat(((Changes.Delta) t.changesSince(model, v)).tokens()).hasSize(RedisSharedState.CHANGES_READ_LIMIT);
        t.learn(model, List.of("one-more"), false);
        assertThat(reason(t.changesSince(model, v)))
                .isEqualTo((RedisSharedState.CHANGES_READ_LIMIT + 1) + " token changes since version " + v
                        + ", more than " + RedisSharedState.CHANGES_READ_LIMIT + " read at once");
        assertThat(((Changes.Delta) t.changesSince(model, v + 1)).tokens().keySet())
                .containsExactly("one-more");
    }

    @Test
    void theLogKeepsItsBoundInRedis() throws Exception {
        String model = "bound-" + UUID.randomUUID();
        String base = "mh:bayes:{" + model + "}:";
        try (RedisSharedState small = RedisSharedState.open(redis.url() + "/7", Duration.ofSeconds(10))
                        .changeLogLimit(100);
                Jedis raw = raw()) {
            for (int i = 0; i < 50; i++) {
                small.tokens().learn(model, List.of("t" + i, "u" + i, "w"), i % 2 == 0);
            }
            Map<String, String> m = raw.hgetAll(base + "m");
            assertThat(Long.parseLong(m.get("logtokens")))
                    .isLessThanOrEqualTo(100)
                    .isGreaterThan(96);
            assertThat(raw.llen(base + "c")).isEqualTo(Long.parseLong(m.get("logtokens")) / 3);
            long v = Long.parseLong(m.get("version"));
            assertThat(Long.parseLong(m.get("logfrom")) + raw.llen(base + "c")).isEqualTo(v);
        }
    }

    /**
     * Two nodes on one Redis: after the first whole read, a node's refreshes read the changes only, and its model
     * equals that of a node that reads the whole model; a log that was lost is read whole once, with an INFO line.
     */
    @Test
    void aNodeKeptByChangesClassifiesAsANodeThatReadsTheWholeModel() throws Exception {
        String model = "nodes-" + UUID.randomUUID();
        TokenStore t = state.tokens();
        BayesModel a = BayesModel.empty();
        try (SharedModelSync node = new SharedModelSync(a, model, t)) {
            node.refresh();
            for (int i = 0; i < 30; i++) {
                String key = "k" + (i % 7);
                switch (i % 3) {
                    case 0 -> t.learn(model, key, List.of("cheap", "w" + i), i % 2 == 0);
                    case 1 -> t.unlearn(model, "k" + ((i + 3) % 7), List.of("cheap", "w" + (i - 1)));
                    default -> t.learn(model, List.of("meeting", "w" + i), false);
                }
                if (i % 4 == 0) {
                    node.refresh();
                }
            }
            node.refresh();
            BayesModel whole = BayesModel.empty();
            try (SharedModelSync other = new SharedModelSync(whole, model, t)) {
                other.refresh();
            }
            assertThat(a.spamMessages()).isEqualTo(whole.spamMessages());
            assertThat(a.hamMessages()).isEqualTo(whole.hamMessages());
            assertThat(a.tokenCount()).isEqualTo(whole.tokenCount());
            for (int i = 0; i < 30; i++) {
                assertThat(a.evidence("w" + i)).isEqualTo(whole.evidence("w" + i));
            }
            assertThat(a.evidence("cheap")).isEqualTo(whole.evidence("cheap"));
        }
    }
}
