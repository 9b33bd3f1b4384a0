package org.mailhygiene.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.Outcome;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.ScanReport;
import org.mailhygiene.scanners.VerdictCache;
import org.mailhygiene.scanners.builtin.SignatureScanner;
import org.mailhygiene.testkit.RecordingScanner;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.junit.RealRedisExtension;
import redis.clients.jedis.Jedis;

/**
 * Verdicts signed with a shared secret ({@code verdict-key=}), against a real Redis and the built-in scanner: a clean
 * verdict forged with redis-cli for EICAR's content, or a signed verdict moved to EICAR's key, is not believed (the
 * node scans and finds the virus); nodes with the same secret share; a change of secret with verdict-key-previous keeps
 * sharing; a bad key file is refused at open with the file named.
 */
class SignedVerdictsTest {
    @TempDir
    static Path dir;

    @RegisterExtension
    static final RealRedisExtension redis = RealRedisExtension.create();

    private static Path keyA;
    private static Path keyB;

    @BeforeAll
    static void start() throws Exception {
        keyA = secret("a.key", "0123456789abcdef0123456789abcdef-A\n");
        keyB = secret("b.key", "0123456789abcdef0123456789abcdef-B\n");
    }

    private static Path secret(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text, StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    /** A node: its own scanner and local cache, the shared store at {@code prefix} with the given secrets. */
    private record Node(RedisSharedState shared, RecordingScanner scanner, ScanPipeline pipeline)
            implements AutoCloseable {
        Outcome scan(byte[] message) throws Exception {
            ScanReport r = pipeline.scan(Message.of(message));
            return r.verdicts().get(0).outcome();
        }

        @Override
        public void close() {
            pipeline.close();
            shared.close();
        }
    }

    private static Node node(String prefix, String keys) {
        return node(prefix, keys, Clock.systemUTC());
    }

    /** A node whose store and local cache read {@code clock}. */
    private static Node node(String prefix, String keys, Clock clock) {
        RedisSharedState shared = store(prefix, keys, clock);
        RecordingScanner scanner = RecordingScanner.wrap(SignatureScanner.create());
        ScanPipeline p = ScanPipeline.builder()
                .scanner(scanner)
                .cache(VerdictCache.builder()
                        .shared(shared.verdicts())
                        .nanoClock(org.mailhygiene.api.NanoClock.of(clock))
                        .build())
                .deadline(Duration.ofSeconds(60))
                .build();
        return new Node(shared, scanner, p);
    }

    private static String with(Path key) {
        return "&verdict-key=" + key;
    }

    private static String prefix() {
        return "sv" + System.nanoTime() + ":";
    }

    private static List<String> verdictKeys(String prefix) {
        try (Jedis j = new Jedis("127.0.0.1", redis.get().port())) {
            j.select(2);
            return new ArrayList<>(j.keys(prefix + "v:*"));
        }
    }

    private static String redisCli(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                RealBinaries.require("redis-cli", "redis-tools").toString(),
                "-p",
                Integer.toString(redis.get().port()),
                "-n",
                "2"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out.strip();
    }

    /** Scans EICAR with a node holding secret A under {@code prefix} and returns the key of the verdict it stored. */
    private static String eicarVerdictKey(String prefix) throws Exception {
        try (Node a = node(prefix, with(keyA))) {
            assertThat(a.scan(SampleMessages.eicarAttachment())).isEqualTo(Outcome.INFECTED);
        }
        return verdictKeys(prefix).get(0);
    }

    @Test
    void aCleanVerdictForgedWithRedisCliForEicarIsNotBelieved() throws Exception {
        String prefix = prefix();
        byte[] eicar = SampleMessages.eicarAttachment();
        String key = eicarVerdictKey(prefix);
        assertThat(redisCli("GET", key)).startsWith(VerdictSigner.TAG);
        // what a client that can write under the prefix stores: a clean verdict in the nodes' own format, unsigned,
        // and one with a tag made up (signed with a secret it guessed)
        String clean = VerdictCodec.encode(Verdict.clean(SignatureScanner.NAME, Duration.ofMillis(1)));
        String guessed = VerdictSigner.read(secret("guess.key", "x".repeat(40)), Optional.empty())
                .sign(key, clean, System.currentTimeMillis() + 3_600_000);
        for (String forged : List.of(clean, guessed)) {
            assertThat(redisCli("SET", key, forged)).isEqualTo("OK");
            try (Node b = node(prefix, with(keyA))) {
                assertThat(b.scan(eicar)).isEqualTo(Outcome.INFECTED);
                assertThat(b.scanner().calls()).hasSize(1);
                assertThat(b.shared().refusedVerdicts()).isPositive();
                assertThat(b.pipeline().cache().orElseThrow().sharedHits()).isZero();
            }
            // the node's scan replaced the forged verdict with its own, signed
            assertThat(redisCli("GET", key)).startsWith(VerdictSigner.TAG).contains("INFECTED");
        }
    }

    /**
     * Found from outside (session 52, two relays and redis-cli): one forged verdict and one message raised
     * hygiene_shared_verdicts_refused_total by 2, since the node reads the key again after taking the scan lease. Now a
     * value refused is counted once until the node's own verdict replaces it; the same forgery written again counts
     * again.
     */
    @Test
    void aForgedVerdictIsCountedOncePerMessageAndAgainWhenWrittenAgain() throws Exception {
        String prefix = prefix();
        byte[] eicar = SampleMessages.eicarAttachment();
        String key = eicarVerdictKey(prefix);
        String clean = VerdictCodec.encode(Verdict.clean(SignatureScanner.NAME, Duration.ofMillis(1)));
        try (Node b = node(prefix, with(keyA))) {
            assertThat(redisCli("SET", key, clean)).isEqualTo("OK");
            assertThat(b.scan(eicar)).isEqualTo(Outcome.INFECTED);
            assertThat(b.shared().refusedVerdicts()).isOne();
        }
        // read twice as the lease's second look does: once; replaced by the node's own verdict and forged again: twice
        String other = prefix();
        try (RedisSharedState s = store(other, with(keyA), Clock.systemUTC())) {
            s.verdicts().put("model 1", SHA, Verdict.clean("model", Duration.ofMillis(1)), Duration.ofHours(1));
            String k = verdictKeys(other).get(0);
            assertThat(redisCli("SET", k, clean)).isEqualTo("OK");
            assertThat(s.verdicts().get("model 1", SHA)).isEmpty();
            assertThat(s.verdicts().get("model 1", SHA)).isEmpty();
            assertThat(s.refusedVerdicts()).isOne();
            s.verdicts().put("model 1", SHA, Verdict.clean("model", Duration.ofMillis(1)), Duration.ofHours(1));
            assertThat(s.verdicts().get("model 1", SHA)).isPresent();
            assertThat(redisCli("SET", k, clean)).isEqualTo("OK");
            assertThat(s.verdicts().get("model 1", SHA)).isEmpty();
            assertThat(s.refusedVerdicts()).isEqualTo(2);
        }
    }

    /**
     * Found from outside (session 55, two relays with other secrets on one Redis, {@code scanner = builtin}): one
     * message whose two shared verdicts (builtin, attachments) the other node had signed raised
     * hygiene_shared_verdicts_refused_total by 3, not 2: the scanners read their keys at once, and only the last value
     * refused was remembered, so a key read again after the other's was counted again. Each key is remembered now.
     */
    @Test
    void verdictsOfSeveralKeysReadInTurnAreEachCountedOnce() throws Exception {
        String prefix = prefix();
        String clean = VerdictCodec.encode(Verdict.clean("model", Duration.ofMillis(1)));
        String bad = VerdictSigner.TAG + "0".repeat(64) + "\nnot-a-time\nmhv1\n";
        String sha2 = "b".repeat(64);
        try (RedisSharedState signed = store(prefix, with(keyA), Clock.systemUTC());
                RedisSharedState plain = store(prefix, "", Clock.systemUTC())) {
            signed.verdicts().put("one", SHA, Verdict.clean("model", Duration.ofMillis(1)), Duration.ofHours(1));
            signed.verdicts().put("two", SHA, Verdict.clean("model", Duration.ofMillis(1)), Duration.ofHours(1));
            for (String k : verdictKeys(prefix)) {
                assertThat(redisCli("SET", k, clean)).isEqualTo("OK");
            }
            for (int look = 0; look < 2; look++) { // before and after the scan lease, the two scanners in turn
                assertThat(signed.verdicts().get("one", SHA)).isEmpty();
                assertThat(signed.verdicts().get("two", SHA)).isEmpty();
            }
            assertThat(signed.refusedVerdicts()).isEqualTo(2);
            // the same for values a node without a secret cannot read
            plain.verdicts().put("one", sha2, Verdict.clean("model", Duration.ofMillis(1)), Duration.ofHours(1));
            plain.verdicts().put("two", sha2, Verdict.clean("model", Duration.ofMillis(1)), Duration.ofHours(1));
            for (String k : verdictKeys(prefix)) {
                if (k.contains(sha2)) {
                    assertThat(redisCli("SET", k, bad)).isEqualTo("OK");
                }
            }
            for (int look = 0; look < 2; look++) {
                assertThat(plain.verdicts().get("one", sha2)).isEmpty();
                assertThat(plain.verdicts().get("two", sha2)).isEmpty();
            }
            assertThat(plain.unreadableVerdicts()).isEqualTo(2);
        }
    }

    /**
     * Found in review (session 55): the refused values remembered per key were the values themselves, so whoever can
     * write to Redis (what signing guards against) made a node hold up to {@link RedisSharedState#SEEN_KEYS} values of
     * any size for as long as it ran: 200 forged values of 256 KiB, each read once, left about 50 MiB behind. A digest
     * of each is remembered now, and a value read again is still counted once.
     */
    @Test
    void refusedValuesAreNotKeptInMemory() throws Exception {
        String prefix = prefix();
        int keys = 200;
        try (RedisSharedState signed = store(prefix, with(keyA), Clock.systemUTC())) {
            for (int i = 0; i < keys; i++) {
                signed.verdicts()
                        .put(
                                "one",
                                "%064x".formatted(i),
                                Verdict.clean("model", Duration.ofMillis(1)),
                                Duration.ofHours(1));
            }
            try (Jedis j = new Jedis("127.0.0.1", redis.get().port())) {
                j.select(2);
                for (String k : verdictKeys(prefix)) {
                    j.setrange(k, 256 * 1024, "forged"); // 256 KiB, no signature
                }
            }
            long before = heapUsed();
            for (int i = 0; i < keys; i++) {
                assertThat(signed.verdicts().get("one", "%064x".formatted(i))).isEmpty();
            }
            long kept = heapUsed() - before;
            assertThat(signed.refusedVerdicts()).isEqualTo(keys);
            assertThat(kept)
                    .as("bytes kept after reading %d forged values", keys)
                    .isLessThan(16L << 20);
            assertThat(signed.verdicts().get("one", "%064x".formatted(0))).isEmpty();
            assertThat(signed.refusedVerdicts()).as("read again: counted once").isEqualTo(keys);
        }
    }

    private static long heapUsed() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    @Test
    void aSignedVerdictMovedToAnotherContentsKeyIsNotBelieved() throws Exception {
        String prefix = prefix();
        try (Node a = node(prefix, with(keyA))) {
            assertThat(a.scan(SampleMessages.clean())).isEqualTo(Outcome.CLEAN);
            String cleanKey = verdictKeys(prefix).get(0);
            assertThat(a.scan(SampleMessages.eicarAttachment())).isEqualTo(Outcome.INFECTED);
            String eicarKey = verdictKeys(prefix).stream()
                    .filter(k -> !k.equals(cleanKey))
                    .findFirst()
                    .orElseThrow();
            // COPY ... REPLACE: the clean content's signed verdict, byte for byte, under EICAR's key
            assertThat(redisCli("COPY", cleanKey, eicarKey, "REPLACE")).isEqualTo("1");
        }
        try (Node b = node(prefix, with(keyA))) {
            assertThat(b.scan(SampleMessages.eicarAttachment())).isEqualTo(Outcome.INFECTED);
            assertThat(b.scanner().calls()).hasSize(1);
            assertThat(b.shared().refusedVerdicts()).isPositive();
            // the clean content's verdict, at its own key, is believed
            assertThat(b.scan(SampleMessages.clean())).isEqualTo(Outcome.CLEAN);
            assertThat(b.scanner().calls()).hasSize(1);
        }
    }

    @Test
    void nodesWithTheSameSecretShareAndARotationKeepsSharing() throws Exception {
        String prefix = prefix();
        byte[] eicar = SampleMessages.eicarAttachment();
        byte[] clean = SampleMessages.clean();
        try (Node a = node(prefix, with(keyA));
                Node b = node(prefix, with(keyA));
                // mid-change: signs with B, still reads what A signed
                Node c = node(prefix, with(keyB) + "&verdict-key-previous=" + keyA);
                // after the change: B only
                Node d = node(prefix, with(keyB));
                // no secret: reads signed verdicts unchecked (nodes given a secret one after another keep sharing)
                Node e = node(prefix, "")) {
            assertThat(a.scan(eicar)).isEqualTo(Outcome.INFECTED);
            assertThat(b.scan(eicar)).isEqualTo(Outcome.INFECTED);
            assertThat(c.scan(eicar)).isEqualTo(Outcome.INFECTED);
            assertThat(e.scan(eicar)).isEqualTo(Outcome.INFECTED);
            assertThat(a.scanner().calls()).hasSize(1);
            assertThat(b.scanner().calls()).isEmpty();
            assertThat(c.scanner().calls()).isEmpty();
            assertThat(e.scanner().calls()).isEmpty();
            // A's signature is not B's: d scans, and stores its own verdict signed with B
            assertThat(d.scan(eicar)).isEqualTo(Outcome.INFECTED);
            assertThat(d.scanner().calls()).hasSize(1);
            assertThat(d.shared().refusedVerdicts()).isPositive();
            // c signs with B: d believes it
            assertThat(c.scan(clean)).isEqualTo(Outcome.CLEAN);
            assertThat(d.scan(clean)).isEqualTo(Outcome.CLEAN);
            assertThat(c.scanner().calls()).hasSize(1);
            assertThat(d.scanner().calls()).hasSize(1);
            for (Node n : List.of(a, b, c)) {
                assertThat(n.shared().refusedVerdicts()).isZero();
            }
        }
    }

    private static RedisSharedState store(String prefix, String keys, Clock clock) {
        return RedisSharedState.open(
                RedisUrl.parse(redis.url() + "/2?prefix=" + prefix + keys), Duration.ofSeconds(10), clock);
    }

    private static final String SHA = "ab".repeat(32);

    /**
     * Before, the tag covered the key and the verdict only: a clean verdict kept with PERSIST (or stored again after it
     * expired) was believed for ever. Now the expiry is signed: past it, a miss, whatever Redis holds.
     */
    @Test
    void aSignedVerdictKeptWithPersistOrStoredAgainIsAMissPastItsSignedExpiry() throws Exception {
        String prefix = prefix();
        Verdict clean = Verdict.clean("model", Duration.ofMillis(1));
        // the nodes' clocks, stopped, so that what the test itself takes does not count
        Clock now = Clock.fixed(java.time.Instant.now(), java.time.ZoneOffset.UTC);
        try (RedisSharedState writer = store(prefix, with(keyA), now)) {
            writer.verdicts().put("bayes model 7", SHA, clean, Duration.ofHours(1));
        }
        String key = verdictKeys(prefix).get(0);
        String value;
        try (Jedis j = new Jedis("127.0.0.1", redis.get().port())) {
            j.select(2);
            value = j.get(key);
        }
        assertThat(value).startsWith(VerdictSigner.TAG);
        // kept beyond its expiry with PERSIST: an hour and a minute later, Redis still has it
        assertThat(redisCli("PERSIST", key)).isEqualTo("1");
        try (RedisSharedState soon = store(prefix, with(keyA), Clock.offset(now, Duration.ofMinutes(59)));
                RedisSharedState later = store(prefix, with(keyA), Clock.offset(now, Duration.ofMinutes(61)));
                RedisSharedState unsigned = store(prefix, "", Clock.offset(now, Duration.ofMinutes(61)))) {
            assertThat(soon.verdicts().get("bayes model 7", SHA)).isPresent();
            assertThat(later.verdicts().get("bayes model 7", SHA)).isEmpty();
            assertThat(later.refusedVerdicts()).isOne();
            // a node without the secret reads it unchecked, expiry included
            assertThat(unsigned.verdicts().get("bayes model 7", SHA)).isEmpty();
            assertThat(unsigned.refusedVerdicts()).isZero();
            // the same value, byte for byte, stored again after Redis dropped it
            assertThat(redisCli("DEL", key)).isEqualTo("1");
            try (Jedis j = new Jedis("127.0.0.1", redis.get().port())) {
                j.select(2);
                assertThat(j.set(key, value)).isEqualTo("OK");
            }
            assertThat(later.verdicts().get("bayes model 7", SHA)).isEmpty();
            // to this node the same value at the same key: counted once (a node reads a key twice per scan)
            assertThat(later.refusedVerdicts()).isOne();
            try (RedisSharedState another = store(prefix, with(keyA), Clock.offset(now, Duration.ofMinutes(61)))) {
                assertThat(another.verdicts().get("bayes model 7", SHA)).isEmpty();
                assertThat(another.refusedVerdicts()).isOne();
            }
        }
        // read a little past its time (the writer's clock a second behind the reader's): a miss, not counted
        try (RedisSharedState skewed =
                store(prefix, with(keyA), Clock.offset(now, Duration.ofHours(1).plusSeconds(1)))) {
            assertThat(skewed.verdicts().get("bayes model 7", SHA)).isEmpty();
            assertThat(skewed.refusedVerdicts()).isZero();
        }
    }

    /**
     * A verdict read from the store went into the node's local cache for a whole verdict-cache expiry (an hour): read a
     * minute before its signed expiry, it was believed for an hour more, about two hours after the scan. Now the
     * local entry lasts the time the verdict had left: a minute later the node asks the store, which refuses it as
     * expired, and scans. The same for a node without the secret, which reads the expiry unchecked.
     */
    @Test
    void aSharedVerdictIsKeptLocallyNoLongerThanItsSignedExpiry() throws Exception {
        for (String readerKeys : List.of(with(keyA), "")) {
            String prefix = prefix();
            java.time.Instant start = java.time.Instant.now();
            try (Node a = node(prefix, with(keyA), Clock.fixed(start, java.time.ZoneOffset.UTC))) {
                assertThat(a.scan(SampleMessages.eicarAttachment())).isEqualTo(Outcome.INFECTED);
            }
            org.mailhygiene.testkit.FakeClock late =
                    org.mailhygiene.testkit.FakeClock.at(start.plus(Duration.ofMinutes(59)));
            try (Node b = node(prefix, readerKeys, late)) {
                assertThat(b.scan(SampleMessages.eicarAttachment())).isEqualTo(Outcome.INFECTED);
                assertThat(b.scanner().calls()).as(readerKeys).isEmpty(); // the shared verdict, one minute left
                late.advance(Duration.ofSeconds(30));
                b.scan(SampleMessages.eicarAttachment());
                assertThat(b.scanner().calls()).as(readerKeys).isEmpty(); // still within it: the local entry
                late.advance(Duration.ofSeconds(40));
                assertThat(b.scan(SampleMessages.eicarAttachment())).isEqualTo(Outcome.INFECTED);
                assertThat(b.scanner().calls())
                        .as(
                                "%s: past the signed expiry the node scans (it used its local copy for an hour more)",
                                readerKeys)
                        .hasSize(1);
            }
        }
    }

    /**
     * A value without an expiry of its own (stored by a node without a secret) was kept locally for the reader's whole
     * verdict-cache expiry, however little its key had left in Redis. Now the key's time to live bounds it: a writer
     * whose verdicts live 2 minutes, a reader whose cache keeps them an hour; 3 minutes later by the reader's clock
     * its local entry is gone and it asks the store again (Redis, on real time, still has the key).
     */
    @Test
    void aPlainSharedVerdictIsKeptLocallyNoLongerThanItsKeyLivesInRedis() throws Exception {
        String prefix = prefix();
        try (RedisSharedState shared = store(prefix, "", Clock.systemUTC());
                ScanPipeline writer = ScanPipeline.builder()
                        .scanner(RecordingScanner.wrap(SignatureScanner.create()))
                        .cache(VerdictCache.builder()
                                .shared(shared.verdicts())
                                .expireAfterWrite(Duration.ofMinutes(2))
                                .build())
                        .deadline(Duration.ofSeconds(60))
                        .build()) {
            writer.scan(Message.of(SampleMessages.eicarAttachment()));
        }
        assertThat(redisCli("GET", verdictKeys(prefix).get(0))).doesNotStartWith(VerdictSigner.TAG);
        org.mailhygiene.testkit.FakeClock clock = org.mailhygiene.testkit.FakeClock.start();
        try (Node b = node(prefix, "", clock)) {
            assertThat(b.scan(SampleMessages.eicarAttachment())).isEqualTo(Outcome.INFECTED);
            VerdictCache cache = b.pipeline().cache().orElseThrow();
            assertThat(cache.sharedHits()).isOne();
            clock.advance(Duration.ofMinutes(1));
            b.scan(SampleMessages.eicarAttachment());
            assertThat(cache.sharedHits())
                    .as("within the key's time to live: the local entry")
                    .isOne();
            clock.advance(Duration.ofMinutes(2));
            assertThat(b.scan(SampleMessages.eicarAttachment())).isEqualTo(Outcome.INFECTED);
            assertThat(cache.sharedHits())
                    .as("past the key's time to live when it was read, the node asks the store again")
                    .isEqualTo(2);
            assertThat(b.scanner().calls()).isEmpty();
        }
    }

    /**
     * A node without a secret logged every read of a {@code mhs2} value with a bad expiry at WARN: one line per message
     * of that content, for as long as the value stayed. Now once a minute, with the count.
     */
    @Test
    void anUnreadableVerdictIsLoggedOnceAMinuteNotAtEveryRead() throws Exception {
        String prefix = prefix();
        try (RedisSharedState writer = store(prefix, with(keyA), Clock.systemUTC())) {
            writer.verdicts()
                    .put("bayes model 7", SHA, Verdict.clean("model", Duration.ofMillis(1)), Duration.ofHours(1));
        }
        String key = verdictKeys(prefix).get(0);
        String bad = VerdictSigner.TAG + "0".repeat(64) + "\nnot-a-time\nmhv1\n";
        assertThat(redisCli("SET", key, bad)).isEqualTo("OK");
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        java.io.PrintStream err = System.err;
        try (RedisSharedState reader = store(prefix, "", Clock.systemUTC())) {
            // slf4j-simple writes each line to the System.err of the moment
            System.setErr(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8));
            for (int i = 0; i < 5; i++) {
                assertThat(reader.verdicts().get("bayes model 7", SHA)).isEmpty();
            }
        } finally {
            System.setErr(err);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertThat(log.split("unreadable verdict at", -1))
                .as("one warning for five reads: %s", log)
                .hasSize(2);
        assertThat(log).contains("bad signed expiry").contains("1 such since the last warning");
    }

    /**
     * Found reading session 53's counts: one message whose shared verdict could not be read counted 2 towards the
     * warning's "N such since the last warning", since the node reads the key again after taking the scan lease (as
     * refused verdicts did until session 52). Now once per value until the node's own verdict replaces it.
     */
    @Test
    void anUnreadableVerdictIsCountedOncePerMessage() throws Exception {
        String prefix = prefix();
        byte[] eicar = SampleMessages.eicarAttachment();
        String key = eicarVerdictKey(prefix);
        String bad = VerdictSigner.TAG + "0".repeat(64) + "\nnot-a-time\nmhv1\n";
        assertThat(redisCli("SET", key, bad)).isEqualTo("OK");
        try (Node b = node(prefix, "")) {
            assertThat(b.scan(eicar)).isEqualTo(Outcome.INFECTED);
            assertThat(b.scanner().calls()).hasSize(1);
            assertThat(b.shared().unreadableVerdicts()).isOne();
        }
        // read twice as the lease's second look does: once; replaced by the node's own verdict and written again: twice
        try (Node c = node(prefix, "")) {
            c.shared().verdicts().put("id", SHA, Verdict.clean("model", Duration.ofMillis(1)), Duration.ofHours(1));
            String k = verdictKeys(prefix).stream()
                    .filter(x -> !x.equals(key))
                    .findFirst()
                    .orElseThrow();
            for (int round = 1; round <= 2; round++) {
                assertThat(redisCli("SET", k, bad)).isEqualTo("OK");
                assertThat(c.shared().verdicts().get("id", SHA)).isEmpty();
                assertThat(c.shared().verdicts().get("id", SHA)).isEmpty();
                assertThat(c.shared().unreadableVerdicts()).isEqualTo(round);
                c.shared().verdicts().put("id", SHA, Verdict.clean("model", Duration.ofMillis(1)), Duration.ofHours(1));
            }
        }
    }

    /**
     * A verdict of the scanner's identity before a signature update (clamd's identity holds every instance's VERSION
     * reply, ClamdVersionTrackingTest), copied to the key of the identity after it: the key is signed, so it is
     * refused. Replaying an old signed verdict after an update was never possible; this shows it.
     */
    @Test
    void aVerdictOfTheIdentityBeforeASignatureUpdateIsRefusedUnderTheIdentityAfterIt() throws Exception {
        String prefix = prefix();
        String before = "clamd 127.0.0.1:3310=ClamAV 1.0.7/27000/Mon Dec  7 08:00:00 2026";
        String after = "clamd 127.0.0.1:3310=ClamAV 1.0.7/27001/Mon Dec  7 09:00:00 2026";
        try (RedisSharedState node = store(prefix, with(keyA), Clock.systemUTC())) {
            node.verdicts().put(before, SHA, Verdict.clean("clamd", Duration.ofMillis(1)), Duration.ofHours(1));
            String oldKey = verdictKeys(prefix).get(0);
            assertThat(node.verdicts().get(after, SHA)).isEmpty();
            node.verdicts()
                    .put(
                            after,
                            SHA,
                            Verdict.infected("clamd", List.of("Win.Test"), Duration.ofMillis(1)),
                            Duration.ofHours(1));
            String newKey = verdictKeys(prefix).stream()
                    .filter(k -> !k.equals(oldKey))
                    .findFirst()
                    .orElseThrow();
            assertThat(redisCli("COPY", oldKey, newKey, "REPLACE")).isEqualTo("1");
            assertThat(node.verdicts().get(after, SHA)).isEmpty();
            assertThat(node.refusedVerdicts()).isOne();
            assertThat(node.verdicts().get(before, SHA)).isPresent();
        }
    }

    /**
     * A rolling upgrade: a value of the earlier format ({@code mhs1}, no expiry signed) with a tag made with the same
     * secret is refused by a node with the secret (it could have been kept for ever), read by a node without one.
     */
    @Test
    void aValueSignedInTheEarlierFormatIsRefusedWithTheSecretAndReadWithout() throws Exception {
        String prefix = prefix();
        Verdict clean = Verdict.clean("model", Duration.ofMillis(1));
        try (RedisSharedState writer = store(prefix, "", Clock.systemUTC())) {
            writer.verdicts().put("bayes model 7", SHA, clean, Duration.ofHours(1));
        }
        String key = verdictKeys(prefix).get(0);
        String text = VerdictCodec.encode(clean);
        // the earlier format, made as that version made it: HMAC-SHA256 of the key's length, the key, the verdict
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Files.readString(keyA).strip().getBytes(StandardCharsets.US_ASCII), "HmacSHA256"));
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        mac.update(ByteBuffer.allocate(4).putInt(k.length).array());
        mac.update(k);
        String old =
                "mhs1 " + HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8))) + "\n" + text;
        assertThat(redisCli("SET", key, old)).isEqualTo("OK");
        try (RedisSharedState signed = store(prefix, with(keyA), Clock.systemUTC());
                RedisSharedState unsigned = store(prefix, "", Clock.systemUTC())) {
            assertThat(signed.verdicts().get("bayes model 7", SHA)).isEmpty();
            assertThat(signed.refusedVerdicts()).isOne();
            assertThat(unsigned.verdicts().get("bayes model 7", SHA))
                    .map(Verdict::outcome)
                    .contains(Outcome.CLEAN);
        }
    }

    @Test
    void aBadKeyFileIsRefusedAtOpenWithTheFileNamed() throws Exception {
        String url = redis.url() + "/2?verdict-key=";
        Path shortKey = secret("short.key", "too-short\n");
        Path twoLines = secret("two.key", "0123456789abcdef0123456789abcdef\nsecond\n");
        Path readable = secret("readable.key", "0123456789abcdef0123456789abcdef\n");
        Files.setPosixFilePermissions(readable, PosixFilePermissions.fromString("rw-r--r--"));
        Path missing = dir.resolve("missing.key");
        assertThatThrownBy(() -> RedisSharedState.open(url + shortKey, Duration.ofSeconds(1)))
                .hasMessage("cannot read verdict-key file " + shortKey
                        + ": line 1: the secret is 9 characters, at least 32 are needed (make one with: openssl rand"
                        + " -base64 32)");
        assertThatThrownBy(() -> RedisSharedState.open(url + twoLines, Duration.ofSeconds(1)))
                .hasMessage("cannot read verdict-key file " + twoLines
                        + ": line 2: the file holds one line, the secret (it has 2)");
        assertThatThrownBy(() -> RedisSharedState.open(url + readable, Duration.ofSeconds(1)))
                .hasMessage("cannot read verdict-key file " + readable
                        + ": other users may read or change the secret (mode rw-r--r--): chmod 600 it, or 640 with"
                        + " the node's group");
        assertThatThrownBy(() -> RedisSharedState.open(url + missing, Duration.ofSeconds(1)))
                .hasMessage("cannot read verdict-key file " + missing + ": no such file");
        assertThatThrownBy(() ->
                        RedisSharedState.open(url + keyA + "&verdict-key-previous=" + missing, Duration.ofSeconds(1)))
                .hasMessage("cannot read verdict-key-previous file " + missing + ": no such file");
        assertThatThrownBy(() -> RedisUrl.parse(redis.url() + "/2?verdict-key-previous=" + keyA))
                .hasMessageStartingWith("verdict-key-previous= needs verdict-key= (the secret that signs)");
        assertThatThrownBy(() -> RedisSharedState.open(url + dir, Duration.ofSeconds(1)))
                .hasMessageEndingWith(": a directory");
        // found with hygiene relay --check (session 52): a directory of mode 755 was "other users may read or change
        // the secret (mode rwxr-xr-x): chmod 600 it"
        Path shared = Files.createDirectory(dir.resolve("keys.d"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThatThrownBy(() -> RedisSharedState.open(url + shared, Duration.ofSeconds(1)))
                .hasMessage("cannot read verdict-key file " + shared + ": a directory");
        assertThat(Set.of(Files.readString(keyA).length())).containsExactly(35);
    }
}
