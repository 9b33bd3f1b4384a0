package org.mailhygiene.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.testkit.junit.RealBinaries;
import org.mailhygiene.testkit.redis.RealRedis;

/** A redis-sentinel:// URL finds the master through a real Sentinel (redis-server --sentinel) and works through it. */
class RedisSentinelTest {
    @TempDir
    Path dir;

    @Test
    void theMasterIsFoundThroughTheSentinel() throws Exception {
        Path server = RealBinaries.require("redis-server", "redis-server");
        try (RealRedis master = RealRedis.start(server, dir.resolve("master"), List.of());
                RealRedis sentinel = RealRedis.startSentinel(
                        server,
                        dir.resolve("sentinel"),
                        List.of(
                                "sentinel monitor site-a 127.0.0.1 " + master.port() + " 1",
                                "sentinel down-after-milliseconds site-a 5000"));
                RedisSharedState state = RedisSharedState.open(
                        "redis-sentinel://127.0.0.1:" + sentinel.port() + "/site-a/2", Duration.ofSeconds(10))) {
            Verdict v = Verdict.clean("clamd", Duration.ofMillis(2));
            state.verdicts().put("id", "ab12", v, Duration.ofMinutes(1));
            assertThat(state.verdicts().get("id", "ab12")).isEqualTo(Optional.of(v));
            assertThat(state.limiter().tryAcquire("conn:192.0.2.1", 1, Duration.ofMinutes(1)))
                    .isTrue();
            assertThat(state.limiter().tryAcquire("conn:192.0.2.1", 1, Duration.ofMinutes(1)))
                    .isFalse();
            try (RedisSharedState direct = RedisSharedState.open(master.url() + "/2", Duration.ofSeconds(10))) {
                assertThat(direct.verdicts().get("id", "ab12"))
                        .as("written to the master, database 2")
                        .contains(v);
            }
        }
    }

    /**
     * Sentinels with their own password (requirepass in sentinel.conf): before, they could not be asked at all, and the
     * failure read "is not a Sentinel? (NOAUTH ...)".
     */
    @Test
    void sentinelsWithAPasswordAreAskedWithTheirOwn() throws Exception {
        Path server = RealBinaries.require("redis-server", "redis-server");
        try (RealRedis master = RealRedis.start(server, dir.resolve("master"), List.of("requirepass masterpw"));
                RealRedis sentinel = RealRedis.startSentinel(
                        server,
                        dir.resolve("sentinel"),
                        List.of(
                                "requirepass sentinelpw",
                                "sentinel monitor site-b 127.0.0.1 " + master.port() + " 1",
                                "sentinel auth-pass site-b masterpw",
                                "sentinel down-after-milliseconds site-b 5000"))) {
            String base = "redis-sentinel://:masterpw@127.0.0.1:" + sentinel.port() + "/site-b";
            try (RedisSharedState without = RedisSharedState.open(base, Duration.ofSeconds(10))) {
                assertThatThrownBy(() -> without.ping())
                        .hasMessageContaining("wants a password")
                        .hasMessageContaining("sentinel-password=");
            }
            try (RedisSharedState with =
                    RedisSharedState.open(base + "?sentinel-password=sentinelpw", Duration.ofSeconds(10))) {
                Verdict v = Verdict.clean("clamd", Duration.ofMillis(2));
                with.verdicts().put("id", "cd34", v, Duration.ofMinutes(1));
                assertThat(with.verdicts().get("id", "cd34")).contains(v);
                assertThat(with.description()).doesNotContain("sentinelpw").doesNotContain("masterpw");
            }
        }
    }
}
