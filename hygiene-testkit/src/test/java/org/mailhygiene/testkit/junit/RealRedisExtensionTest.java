package org.mailhygiene.testkit.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailhygiene.testkit.redis.RealRedis;

/**
 * The two lifetimes of {@link RealRedisExtension}, driven as JUnit drives them: registered statically, one server from
 * {@code beforeAll} to {@code afterAll} that the tests share; on an instance field, one per test. Each stop kills the
 * server and removes its directory.
 */
class RealRedisExtensionTest {
    @Test
    void registeredStaticallyTheClassSharesOneServerUntilAfterAll() throws Exception {
        RealRedisExtension ext = RealRedisExtension.create(List.of("maxmemory 16mb"));
        assertThatThrownBy(ext::get).isInstanceOf(IllegalStateException.class);
        ext.beforeAll(null);
        RealRedis redis = ext.get();
        try {
            ext.beforeEach(null);
            assertThat(ext.get()).isSameAs(redis);
            assertThat(redis.ping(Duration.ofSeconds(10))).isTrue();
            ext.afterEach(null);
            ext.beforeEach(null);
            assertThat(ext.get()).isSameAs(redis);
            assertThat(ext.url()).isEqualTo("redis://127.0.0.1:" + redis.port());
            assertThat(Files.readString(dirOf(redis).resolve("redis.conf"))).contains("maxmemory 16mb");
            ext.afterEach(null);
            assertThat(redis.isAlive()).isTrue();
        } finally {
            ext.afterAll(null);
        }
        assertThat(redis.isAlive()).isFalse();
        assertThat(dirOf(redis)).doesNotExist();
        assertThatThrownBy(ext::get).hasMessageContaining("runs only during the tests");
    }

    @Test
    void onAnInstanceFieldEachTestHasItsOwnServer() throws Exception {
        RealRedisExtension ext = RealRedisExtension.create();
        ext.beforeEach(null);
        RealRedis first = ext.get();
        Path firstDir = dirOf(first);
        ext.afterEach(null);
        assertThat(first.isAlive()).isFalse();
        assertThat(firstDir).doesNotExist();
        ext.beforeEach(null);
        try {
            assertThat(ext.get()).isNotSameAs(first);
            assertThat(ext.get().ping(Duration.ofSeconds(10))).isTrue();
        } finally {
            ext.afterEach(null);
        }
        assertThatThrownBy(ext::get).isInstanceOf(IllegalStateException.class);
    }

    private static Path dirOf(RealRedis redis) {
        return redis.workDir();
    }

    @Test
    void withoutTheBinaryTheTestsAreSkippedWithTheReasonOrFailUnderCi() {
        RealRedisExtension skipping = RealRedisExtension.forTest("redis-server-not-installed", null);
        assertThatThrownBy(() -> skipping.beforeAll(null))
                .isInstanceOf(org.opentest4j.TestAbortedException.class)
                .hasMessageContaining("redis-server-not-installed is not installed (Debian package redis-server)");
        assertThatThrownBy(() -> skipping.beforeEach(null)).isInstanceOf(org.opentest4j.TestAbortedException.class);
        RealRedisExtension mandatory = RealRedisExtension.forTest("redis-server-not-installed", "true");
        assertThatThrownBy(() -> mandatory.beforeEach(null))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("under CI (CI=true) this test is mandatory");
        skipping.afterAll(null);
        mandatory.afterEach(null);
    }
}
