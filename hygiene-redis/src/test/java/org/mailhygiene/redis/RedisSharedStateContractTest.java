package org.mailhygiene.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.api.shared.TokenStore;
import org.mailhygiene.testkit.junit.RealRedisExtension;
import org.mailhygiene.testkit.junit.SharedStateContract;

/** The shared-state contract against a private real redis-server (mandatory under CI). */
class RedisSharedStateContractTest implements SharedStateContract {
    @RegisterExtension
    static final RealRedisExtension redis = RealRedisExtension.create();

    private static RedisSharedState state;

    @BeforeAll
    static void start() throws Exception {
        state = RedisSharedState.open(redis.url() + "/3", Duration.ofSeconds(10));
    }

    @AfterAll
    static void stop() {
        if (state != null) {
            state.close();
        }
    }

    @Override
    public SharedState state() {
        return state;
    }

    @Override
    public void advance(Duration d) throws InterruptedException {
        Thread.sleep(d.toMillis());
    }

    @Override
    public SharedState disposableState() {
        return RedisSharedState.open(redis.url(), Duration.ofSeconds(10));
    }

    @Override
    public SharedState journalLimited(int limit) {
        return RedisSharedState.open(redis.url() + "/3", Duration.ofSeconds(10)).journalLimit(limit);
    }

    @Override
    public SharedState changeLogLimited(int limit) {
        return RedisSharedState.open(redis.url() + "/6", Duration.ofSeconds(10)).changeLogLimit(limit);
    }

    /**
     * A journal whose order ({@code :jo}) was lost while its records ({@code :j}) survived (evicted under a {@code
     * volatile-*} maxmemory policy, or deleted by hand) keeps its bound: the order is rebuilt from the records.
     */
    @Test
    void aJournalWhoseOrderWasLostKeepsItsBound() throws Exception {
        String model = "model-" + UUID.randomUUID();
        try (RedisSharedState s = RedisSharedState.open(redis.url() + "/4", Duration.ofSeconds(10))
                        .journalLimit(2);
                redis.clients.jedis.Jedis raw =
                        new redis.clients.jedis.Jedis("127.0.0.1", redis.get().port())) {
            raw.select(4);
            TokenStore t = s.tokens();
            String j = "mh:bayes:{" + model + "}:j";
            String jo = j + "o";
            assertTrue(t.learn(model, "k1", List.of("w"), true));
            assertTrue(t.learn(model, "k2", List.of("w"), true));
            assertEquals(1, raw.del(jo));
            for (int i = 3; i <= 6; i++) {
                assertTrue(t.learn(model, "k" + i, List.of("w"), true));
            }
            assertEquals(2, raw.hlen(j), "the journal keeps its bound");
            assertEquals(2, raw.zcard(jo));
            assertEquals(java.util.Optional.of(new TokenStore.Learned(true, 1)), t.learned(model, "k6"));
            assertEquals(java.util.Optional.of(new TokenStore.Learned(true, 1)), t.learned(model, "k5"));
        }
    }

    /**
     * A journal whose counts were lost (deleted, or evicted) while it survived is ignored: its records no longer describe
     * the counts, and undoing one would take out what other messages learned since.
     */
    @Test
    void aJournalWhoseCountsWereLostIsIgnored() throws Exception {
        String model = "model-" + UUID.randomUUID();
        try (RedisSharedState s = RedisSharedState.open(redis.url() + "/4", Duration.ofSeconds(10));
                redis.clients.jedis.Jedis raw =
                        new redis.clients.jedis.Jedis("127.0.0.1", redis.get().port())) {
            raw.select(4);
            TokenStore t = s.tokens();
            String base = "mh:bayes:{" + model + "}:";
            assertTrue(t.learn(model, "k1", List.of("a"), true));
            assertEquals(
                    2, raw.del(base + "s", base + "h", base + "m"), "the counts (s, m) are lost, the journal stays");
            t.learn(model, List.of("a"), true); // another message learned since
            assertEquals(java.util.Optional.empty(), t.learned(model, "k1"));
            assertEquals(java.util.Optional.empty(), t.unlearn(model, "k1", List.of("a")));
            TokenStore.Snapshot snap = t.snapshot(model);
            assertEquals(1, snap.spamMessages(), "the other message stays learned");
            assertEquals(1, snap.tokens().get("a")[0]);
            assertEquals(0, raw.exists(base + "j", base + "jo"));

            // the same for a learning: the lost record does not make it a correction or a repeat
            assertTrue(t.learn(model, "k2", List.of("b"), true));
            assertEquals(2, raw.del(base + "s", base + "h", base + "m"));
            assertTrue(t.learn(model, "k2", List.of("b"), false), "not refused for a label of lost counts");
            assertEquals(java.util.Optional.of(new TokenStore.Learned(false, 1)), t.learned(model, "k2"));
        }
    }

    /**
     * A bucket key holding garbage (another type, or a {@code last} in the future: written by hand, or left by a Redis
     * whose clock was ahead before a failover) neither marks the store down nor refuses a client for good: the bucket
     * starts afresh. Before, a string at the key made every MAIL from that address a store outage, and a future
     * {@code last} refused the address until the key expired, which each refusal put off again.
     */
    @Test
    void aBucketHoldingGarbageStartsAfresh() throws Exception {
        try (RedisSharedState s = RedisSharedState.open(redis.url() + "/5", Duration.ofSeconds(10));
                redis.clients.jedis.Jedis raw =
                        new redis.clients.jedis.Jedis("127.0.0.1", redis.get().port())) {
            raw.select(5);
            org.mailhygiene.scanners.shared.GuardedSharedState guarded =
                    new org.mailhygiene.scanners.shared.GuardedSharedState(s, java.time.Clock.systemUTC());
            String id = "msg:" + UUID.randomUUID();
            raw.set("mh:rl:" + id, "not a bucket");
            assertTrue(guarded.limiter().tryAcquire(id, 10, Duration.ofMinutes(1)));
            assertTrue(guarded.available(), "garbage in one bucket is no outage");
            assertEquals(0, guarded.outages());
            assertEquals("hash", raw.type("mh:rl:" + id));

            String future = "msg:" + UUID.randomUUID();
            raw.hset("mh:rl:" + future, java.util.Map.of("tokens", "0", "last", "99999999999999"));
            s.limiter().tryAcquire(future, 1000, Duration.ofSeconds(1));
            Thread.sleep(100);
            assertTrue(s.limiter().tryAcquire(future, 1000, Duration.ofSeconds(1)), "refilled from now on");
        }
    }

    /**
     * A bucket whose {@code last} or {@code tokens} reads as NaN (Lua's {@code tonumber} accepts {@code nan}) starts
     * afresh too: before, {@code last} stayed NaN, no refill ever happened, and the address stayed refused while it
     * kept
     * trying, each refusal renewing the key.
     */
    @Test
    void aBucketHoldingNanStartsAfresh() throws Exception {
        try (RedisSharedState s = RedisSharedState.open(redis.url() + "/5", Duration.ofSeconds(10));
                redis.clients.jedis.Jedis raw =
                        new redis.clients.jedis.Jedis("127.0.0.1", redis.get().port())) {
            raw.select(5);
            String id = "msg:" + UUID.randomUUID();
            raw.hset("mh:rl:" + id, java.util.Map.of("tokens", "0", "last", "nan"));
            s.limiter().tryAcquire(id, 1000, Duration.ofSeconds(1));
            Thread.sleep(100);
            assertTrue(s.limiter().tryAcquire(id, 1000, Duration.ofSeconds(1)), "refilled: last is a time again");
            assertTrue(!"nan".equals(raw.hget("mh:rl:" + id, "last")), "last replaced");

            String tokens = "msg:" + UUID.randomUUID();
            raw.hset("mh:rl:" + tokens, java.util.Map.of("tokens", "nan", "last", "0"));
            assertTrue(s.limiter().tryAcquire(tokens, 1000, Duration.ofSeconds(1)));
            assertTrue(!"nan".equals(raw.hget("mh:rl:" + tokens, "tokens")), "tokens replaced");
        }
    }

    /**
     * A token count that is not a number (a hand edit) is refused with a message naming the key and the token, so the
     * administrator can repair it: it used to say only {@code token count is not a number: abc}.
     */
    @Test
    void anUnreadableTokenCountNamesItsKeyAndToken() throws Exception {
        String model = "model-" + UUID.randomUUID();
        try (RedisSharedState s = RedisSharedState.open(redis.url() + "/5", Duration.ofSeconds(10));
                redis.clients.jedis.Jedis raw =
                        new redis.clients.jedis.Jedis("127.0.0.1", redis.get().port())) {
            raw.select(5);
            s.tokens().learn(model, List.of("zebra", "quantum"), true);
            raw.hset("mh:bayes:{" + model + "}:s", "zebra", "garbage");
            org.mailhygiene.api.shared.SharedStateException e = org.junit.jupiter.api.Assertions.assertThrows(
                    org.mailhygiene.api.shared.SharedStateException.class,
                    () -> s.tokens().snapshot(model));
            assertTrue(
                    e.getMessage().contains("token 'zebra' in mh:bayes:{" + model + "}:s")
                            && e.getMessage().contains("'garbage'"),
                    e.getMessage());
            // through the relay's guard: unusable data is no outage (it made every node flap at each model refresh,
            // rate limits and verdicts local-only meanwhile), and the next call reaches the store
            org.mailhygiene.scanners.shared.GuardedSharedState guarded =
                    new org.mailhygiene.scanners.shared.GuardedSharedState(s, java.time.Clock.systemUTC());
            for (int i = 0; i < 3; i++) {
                assertThrows(
                        org.mailhygiene.api.shared.SharedDataException.class,
                        () -> guarded.tokens().snapshot(model));
            }
            assertTrue(guarded.available());
            assertEquals(0, guarded.outages());
            assertEquals(3, guarded.fallbacks());
            raw.hset("mh:bayes:{" + model + "}:s", "zebra", "1");
            assertEquals(1, guarded.tokens().snapshot(model).tokens().get("zebra")[0]);
        }
    }

    /**
     * A statistics key of another type (written by hand, by another program) fails that flush or report with the key
     * named, as unusable data, not as an outage of the store.
     */
    @Test
    void aStatisticsKeyOfAnotherTypeIsNoOutage() throws Exception {
        String node = "node-" + UUID.randomUUID();
        java.time.LocalDate day = java.time.LocalDate.of(2026, 12, 5);
        try (RedisSharedState s = RedisSharedState.open(redis.url() + "/5", Duration.ofSeconds(10));
                redis.clients.jedis.Jedis raw =
                        new redis.clients.jedis.Jedis("127.0.0.1", redis.get().port())) {
            raw.select(5);
            org.mailhygiene.scanners.shared.GuardedSharedState guarded =
                    new org.mailhygiene.scanners.shared.GuardedSharedState(s, java.time.Clock.systemUTC());
            String key = "mh:stats:{" + day + "}:" + node;
            String nodes = "mh:stats:{" + day + "}:nodes";
            raw.del(nodes);
            raw.rpush(nodes, "a list, not a set"); // a node's own hash is replaced whole at each flush; the set is not
            org.mailhygiene.api.shared.SharedStateException e = assertThrows(
                    org.mailhygiene.api.shared.SharedDataException.class,
                    () -> guarded.counters().publish(node, day, java.util.Map.of("accepted", 3L)));
            assertTrue(e.getMessage().contains("WRONGTYPE"), e.getMessage());
            assertTrue(guarded.available());
            assertEquals(0, guarded.outages());
            raw.del(nodes);
            guarded.counters().publish(node, day, java.util.Map.of("accepted", 3L));
            raw.hset(key, "accepted", "many");
            e = assertThrows(
                    org.mailhygiene.api.shared.SharedDataException.class,
                    () -> guarded.counters().read(day));
            assertTrue(e.getMessage().contains(key) && e.getMessage().contains("'many'"), e.getMessage());
            assertTrue(guarded.available());
            assertEquals(0, guarded.outages());
        }
    }

    /**
     * A Bayes key of another type names the key, so that the administrator can repair or delete it as docs/cluster.md
     * says ({@code redis-cli del KEY}), both for a node's refresh and for a learning.
     */
    @Test
    void aBayesKeyOfAnotherTypeIsNamedInTheError() throws Exception {
        String model = "m-" + UUID.randomUUID();
        String meta = "mh:bayes:{" + model + "}:m";
        try (RedisSharedState s = RedisSharedState.open(redis.url() + "/5", Duration.ofSeconds(10));
                redis.clients.jedis.Jedis raw =
                        new redis.clients.jedis.Jedis("127.0.0.1", redis.get().port())) {
            raw.select(5);
            raw.set(meta, "a string, not a hash");
            org.mailhygiene.api.shared.SharedStateException e = assertThrows(
                    org.mailhygiene.api.shared.SharedDataException.class,
                    () -> s.tokens().version(model));
            assertThat(e.getMessage()).contains("WRONGTYPE").contains(meta);
            e = assertThrows(
                    org.mailhygiene.api.shared.SharedDataException.class,
                    () -> s.tokens().learn(model, List.of("zebra"), true));
            assertThat(e.getMessage()).contains("WRONGTYPE").contains(meta);
            raw.del(meta);
            s.tokens().learn(model, List.of("zebra"), true);
            assertThat(s.tokens().version(model)).isPositive();
        }
    }
}
