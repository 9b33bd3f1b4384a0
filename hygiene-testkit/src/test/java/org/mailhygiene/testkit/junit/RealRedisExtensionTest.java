package org.mailhygiene.testkit.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
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

    /**
     * Found in review (session 52): JUnit calls a static field's {@code beforeAll} and {@code afterAll} again for each
     * {@code @Nested} class. The nested class's call started a second server in place of the first, whose process and
     * directory were then never removed (a redis-server left running after the JVM ended), and the nested class's
     * {@code afterAll} stopped the server the enclosing class's later tests still needed. Now the enclosing class's
     * server serves its nested classes and is stopped by the enclosing class's {@code afterAll} only.
     */
    @Test
    void nestedClassesShareTheEnclosingClassesServer() throws Exception {
        RealRedisExtension ext = RealRedisExtension.create();
        ExtensionContext outer = FakeClamdExtensionTest.test("Outer");
        ExtensionContext nested = FakeClamdExtensionTest.test("Outer.Inner");
        ext.beforeAll(outer);
        RealRedis redis = ext.get();
        try {
            ext.beforeAll(nested);
            ext.beforeEach(null);
            assertThat(ext.get()).isSameAs(redis);
            ext.afterEach(null);
            ext.afterAll(nested);
            assertThat(redis.isAlive()).isTrue();
            assertThat(ext.get()).isSameAs(redis);
        } finally {
            ext.afterAll(outer);
        }
        assertThat(redis.isAlive()).isFalse();
        assertThat(dirOf(redis)).doesNotExist();
    }

    /**
     * Found in review (session 52): a JVM ended by a signal (a surefire timeout, Ctrl-C) left its redis-server running
     * and its directory behind: nothing but {@code afterAll} stopped them. Now a shutdown hook does, and is removed
     * when the server is stopped normally.
     */
    @Test
    void aShutdownHookKillsTheServerAndRemovesItsDirectory() throws Exception {
        RealRedisExtension ext = RealRedisExtension.create();
        assertThat(ext.shutdownHook()).isEmpty();
        ext.beforeAll(null);
        RealRedis redis = ext.get();
        Thread hook = ext.shutdownHook().orElseThrow();
        // registered: removing it succeeds (and so it is not run twice here)
        assertThat(Runtime.getRuntime().removeShutdownHook(hook)).isTrue();
        hook.run();
        assertThat(redis.isAlive()).isFalse();
        assertThat(dirOf(redis)).doesNotExist();
        ext.afterAll(null);
        assertThat(ext.shutdownHook()).isEmpty();
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
