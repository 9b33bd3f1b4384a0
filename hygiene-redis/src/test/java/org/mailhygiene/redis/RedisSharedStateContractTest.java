package org.mailhygiene.redis;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.shared.SharedState;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.junit.SharedStateContract;
import org.mailhygiene.testkit.redis.RealRedis;

/** The shared-state contract against a private real redis-server (mandatory under CI). */
class RedisSharedStateContractTest implements SharedStateContract {
    @TempDir
    static Path dir;

    private static RealRedis redis;
    private static RedisSharedState state;

    @BeforeAll
    static void start() throws Exception {
        Path bin = RealBinaries.require("redis-server", "redis-server");
        redis = RealRedis.start(bin, dir.resolve("redis"), List.of());
        state = RedisSharedState.open(redis.url() + "/3", Duration.ofSeconds(10));
    }

    @AfterAll
    static void stop() {
        if (state != null) {
            state.close();
        }
        if (redis != null) {
            redis.close();
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
}
