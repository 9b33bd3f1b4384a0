package org.mailhygiene.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.ScanReport;
import org.mailhygiene.scanners.VerdictCache;
import org.mailhygiene.scanners.shared.GuardedSharedState;
import org.mailhygiene.scanners.shared.InProcessSharedState;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.ScriptedScanner;
import org.mailhygiene.testkit.ScriptedScanner.Reply;
import org.mailhygiene.testkit.junit.RealRedisExtension;

/**
 * Two "nodes" (pipelines with their own local caches and their own scanner instances) sharing verdicts through the
 * in-process store and through a real Redis: identical content is scanned once across both, concurrent scans wait for
 * one result, a failed scan is never shared, and a store that is down only costs local scans.
 */
class TwoNodeVerdictCacheTest {
    @RegisterExtension
    static final RealRedisExtension redis = RealRedisExtension.create();

    static Stream<String> stores() {
        return Stream.of("in-process", "redis");
    }

    private static SharedState open(String kind) {
        return kind.equals("redis")
                ? RedisSharedState.open(redis.url() + "/1?prefix=" + System.nanoTime() + ":", Duration.ofSeconds(10))
                : InProcessSharedState.create();
    }

    private static ScanPipeline node(ScriptedScanner scanner, SharedState shared) {
        return ScanPipeline.builder()
                .scanner(scanner)
                .cache(VerdictCache.builder().shared(shared.verdicts()).build())
                .deadline(Duration.ofSeconds(60))
                .build();
    }

    private static ScriptedScanner scanner(Reply reply) {
        return ScriptedScanner.builder()
                .name("virus")
                .cacheIdentity("virus|db-1")
                .build()
                .enqueue(reply, 1000);
    }

    @ParameterizedTest
    @MethodSource("stores")
    void identicalContentIsScannedOnceAcrossNodes(String kind) throws Exception {
        try (SharedState shared = open(kind)) {
            ScriptedScanner a = scanner(Reply.infected("Eicar-Test-Signature"));
            ScriptedScanner b = scanner(Reply.infected("Eicar-Test-Signature"));
            try (ScanPipeline na = node(a, shared);
                    ScanPipeline nb = node(b, shared)) {
                ScanReport ra = na.scan(Message.of(SampleMessages.eicarAttachment()));
                ScanReport rb = nb.scan(Message.of(SampleMessages.eicarAttachment()));
                assertThat(ra.verdicts().get(0).outcome()).isEqualTo(Outcome.INFECTED);
                assertThat(rb.verdicts().get(0).outcome()).isEqualTo(Outcome.INFECTED);
                assertThat(rb.verdicts().get(0).threats()).containsExactly("Eicar-Test-Signature");
                assertThat(a.scanCount() + b.scanCount()).isEqualTo(1);
                assertThat(nb.cache().orElseThrow().sharedHits()).isEqualTo(1);
                nb.scan(Message.of(SampleMessages.clean()));
                assertThat(a.scanCount() + b.scanCount()).isEqualTo(2);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void concurrentScansOnTwoNodesWaitForOneResult(String kind) throws Exception {
        try (SharedState shared = open(kind)) {
            CountDownLatch gate = new CountDownLatch(1);
            ScriptedScanner a = scanner(Reply.infected("Storm").afterGate(gate));
            ScriptedScanner b = scanner(Reply.infected("Storm").afterGate(gate));
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try (ScanPipeline na = node(a, shared);
                    ScanPipeline nb = node(b, shared)) {
                byte[] storm = SampleMessages.eicarZip();
                List<Future<ScanReport>> fs = new java.util.ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    ScanPipeline n = i % 2 == 0 ? na : nb;
                    fs.add(pool.submit(() -> n.scan(Message.of(storm))));
                }
                // One scan is in progress (its lease taken); everyone else waits on it.
                long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (a.scanCount() + b.scanCount() == 0 && System.nanoTime() < until) {
                    Thread.sleep(1);
                }
                assertThat(a.scanCount() + b.scanCount()).isEqualTo(1);
                gate.countDown();
                for (Future<ScanReport> f : fs) {
                    assertThat(f.get().verdicts())
                            .singleElement()
                            .extracting(v -> v.outcome())
                            .isEqualTo(Outcome.INFECTED);
                }
                assertThat(a.scanCount() + b.scanCount())
                        .as("scans on a and b (it failed 18 times in 400 under load before the cache looked again after"
                                + " taking the lease)")
                        .isEqualTo(1);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void aFailedScanIsNotSharedAndTheOtherNodeScansItself(String kind) throws Exception {
        try (SharedState shared = open(kind)) {
            ScriptedScanner a = scanner(Reply.failure(ScanFailure.Kind.UNAVAILABLE, "clamd down"));
            ScriptedScanner b = scanner(Reply.infected("Eicar-Test-Signature"));
            try (ScanPipeline na = node(a, shared);
                    ScanPipeline nb = node(b, shared)) {
                ScanReport ra = na.scan(Message.of(SampleMessages.eicarAttachment()));
                assertThat(ra.failures()).hasSize(1);
                assertThat(ra.disposition().action()).isEqualTo(Action.TEMPFAIL);
                ScanReport rb = nb.scan(Message.of(SampleMessages.eicarAttachment()));
                assertThat(rb.verdicts().get(0).outcome()).isEqualTo(Outcome.INFECTED);
                assertThat(b.scanCount()).isEqualTo(1);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("stores")
    void aStoreThatIsDownOnlyCostsLocalScans(String kind) throws Exception {
        SharedState raw = open(kind);
        raw.close(); // every call now fails
        GuardedSharedState shared = new GuardedSharedState(raw, Clock.systemUTC());
        ScriptedScanner a = scanner(Reply.infected("Eicar-Test-Signature"));
        try (ScanPipeline na = node(a, shared)) {
            for (int i = 0; i < 3; i++) {
                ScanReport r = na.scan(Message.of(("Subject: " + i + "\r\n\r\nbody\r\n").getBytes()));
                assertThat(r.verdicts()).hasSize(1);
                assertThat(r.disposition().action()).isNotEqualTo(Action.ACCEPT);
            }
            assertThat(a.scanCount()).isEqualTo(3);
            assertThat(shared.available()).isFalse();
            assertThat(shared.outages()).isEqualTo(1);
            assertThat(shared.fallbacks()).isGreaterThanOrEqualTo(3);
        }
    }

    /**
     * A verdict key holding something unreadable (another version's format, a hand edit, another type) is a miss, as
     * docs/cluster.md says: the node scans itself, the store is not marked down (it answered; marking it down took
     * rate limits and every other verdict off the cluster for a back-off, at every message of that content), and the
     * verdict stored after the scan replaces the garbage, so the next node gets a hit.
     */
    @org.junit.jupiter.api.Test
    void anUnreadableStoredVerdictIsAMissNotAnOutage() throws Exception {
        String prefix = "garbage" + System.nanoTime() + ":";
        byte[] content = SampleMessages.eicarAttachment();
        for (String garbage : List.of("mhv2\nvirus\nCLEAN\n", "string", "hash")) {
            try (SharedState raw = RedisSharedState.open(redis.url() + "/2?prefix=" + prefix, Duration.ofSeconds(10));
                    redis.clients.jedis.Jedis jedis = new redis.clients.jedis.Jedis(
                            "127.0.0.1", redis.get().port())) {
                jedis.select(2);
                jedis.flushDB();
                ScriptedScanner a = scanner(Reply.infected("Eicar-Test-Signature"));
                try (ScanPipeline na = node(a, raw)) {
                    na.scan(Message.of(content));
                }
                List<String> keys = List.copyOf(jedis.keys(prefix + "v:*"));
                assertThat(keys).hasSize(1);
                String key = keys.get(0);
                jedis.del(key);
                switch (garbage) {
                    case "string" -> jedis.set(key, "not a verdict at all");
                    case "hash" -> jedis.hset(key, "outcome", "CLEAN");
                    default -> jedis.set(key, garbage);
                }
                GuardedSharedState guarded = new GuardedSharedState(raw, Clock.systemUTC());
                ScriptedScanner b = scanner(Reply.infected("Eicar-Test-Signature"));
                try (ScanPipeline nb = node(b, guarded)) {
                    ScanReport rb = nb.scan(Message.of(content));
                    assertThat(rb.verdicts())
                            .singleElement()
                            .extracting(v -> v.outcome())
                            .isEqualTo(Outcome.INFECTED);
                    assertThat(b.scanCount()).as(garbage).isEqualTo(1);
                }
                assertThat(guarded.available()).as(garbage).isTrue();
                assertThat(guarded.outages()).as(garbage).isZero();
                assertThat(jedis.type(key)).as(garbage).isEqualTo("string");
                assertThat(VerdictCodec.decode(jedis.get(key)).outcome()).isEqualTo(Outcome.INFECTED);
                ScriptedScanner c = scanner(Reply.infected("Eicar-Test-Signature"));
                try (ScanPipeline nc = node(c, guarded)) {
                    nc.scan(Message.of(content));
                    assertThat(c.scanCount())
                            .as("the repaired verdict is shared again")
                            .isZero();
                }
            }
        }
    }
}
