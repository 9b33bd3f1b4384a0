package org.mailhygiene.testkit.junit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.mailhygiene.testkit.redis.RealRedis;

/**
 * Starts the installed {@code redis-server} ({@link RealRedis}: a free port on 127.0.0.1, its own temporary directory,
 * no persistence) and stops it afterwards, also when tests fail, removing the directory. Without redis-server the tests
 * are skipped with a reason, or fail under {@code CI=true} ({@link RealBinaries#require}).
 *
 * <p>Where it is registered sets how long a server lives. As a static field, one server for the test class (started
 * before the first test, stopped after the last; its {@code @Nested} classes use the same server):
 *
 * <pre>{@code
 * @RegisterExtension
 * static final RealRedisExtension redis = RealRedisExtension.create();
 * }</pre>
 *
 * <p>As an instance field, a fresh, empty server for every test (for tests that kill, restart or pause it, or that
 * need a store nothing else wrote to):
 *
 * <pre>{@code
 * @RegisterExtension
 * final RealRedisExtension redis = RealRedisExtension.create(List.of("maxmemory 64mb"));
 * }</pre>
 *
 * <p>Use {@link #get()} (or {@link #url()}), or declare a {@link RealRedis} parameter of a test or lifecycle method.
 * The server is the test's to {@link RealRedis#kill() kill}, {@link RealRedis#restart() restart} or {@link
 * RealRedis#pause() pause}; the extension kills it at the end whatever state it is in, and a shutdown hook kills it
 * and removes its directory if the JVM ends first (a signal, a test run's timeout; not {@code kill -9}).
 *
 * <p>Thread-safe for reading {@link #get()} from the tests' threads; JUnit calls the callbacks one at a time.
 */
public final class RealRedisExtension
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver {
    private final List<String> extraConfig;
    /** Finds the binary: {@link RealBinaries#require(String, String)}, or the rule with a given CI value in tests. */
    private final Supplier<Path> binary;

    private volatile RealRedis redis;
    private volatile Path workDir;
    /** Whether the running server was started for the current test (instance-field registration). */
    private volatile boolean perTest;
    /** The unique id of the class context whose {@code beforeAll} started the server ("" without a context). */
    private volatile String startedFor;
    /** Kills the server and removes its directory if the JVM ends while it runs. */
    private volatile Thread shutdownHook;

    private RealRedisExtension(List<String> extraConfig, Supplier<Path> binary) {
        this.extraConfig = List.copyOf(extraConfig);
        this.binary = binary;
    }

    /** An extension that looks for {@code program} under the given value of {@code CI}, for its own tests. */
    static RealRedisExtension forTest(String program, String ciValue) {
        return new RealRedisExtension(List.of(), () -> RealBinaries.require(program, "redis-server", ciValue));
    }

    /**
     * An extension whose server has {@link RealRedis}'s config only.
     *
     * @return the extension
     */
    public static RealRedisExtension create() {
        return create(List.of());
    }

    /**
     * An extension whose server has further {@code redis.conf} lines.
     *
     * @param extraConfig lines such as {@code requirepass secret} or {@code maxmemory 64mb}
     * @return the extension
     * @throws NullPointerException if the list or a line is null
     */
    public static RealRedisExtension create(List<String> extraConfig) {
        return new RealRedisExtension(
                Objects.requireNonNull(extraConfig, "extraConfig"),
                () -> RealBinaries.require("redis-server", "redis-server"));
    }

    /**
     * The running server.
     *
     * @return the server of the current test class, or of the current test when registered on an instance field
     * @throws IllegalStateException outside the tests it was started for
     */
    public RealRedis get() {
        RealRedis r = redis;
        if (r == null) {
            throw new IllegalStateException("the real redis-server runs only during the tests it was registered for");
        }
        return r;
    }

    /**
     * The running server's URL, {@code redis://127.0.0.1:PORT}.
     *
     * @return the URL
     * @throws IllegalStateException outside the tests it was started for
     */
    public String url() {
        return get().url();
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        // JUnit calls a static field's beforeAll again for each @Nested class: the enclosing class's server serves it
        if (redis != null) {
            return;
        }
        start();
        perTest = false;
        startedFor = idOf(context);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (!perTest && idOf(context).equals(startedFor)) {
            stop();
        }
    }

    private static String idOf(ExtensionContext context) {
        return context == null ? "" : context.getUniqueId();
    }

    /** The shutdown hook registered while a server runs, for the extension's own tests. */
    java.util.Optional<Thread> shutdownHook() {
        return java.util.Optional.ofNullable(shutdownHook);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        // registered on a static field, beforeAll started the class's server; on an instance field, each test has its
        // own
        if (redis == null) {
            start();
            perTest = true;
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (perTest) {
            stop();
        }
    }

    private void start() throws IOException, InterruptedException {
        Path program = binary.get();
        Path dir = Files.createTempDirectory("real-redis-");
        workDir = dir;
        RealRedis started;
        try {
            started = RealRedis.start(program, dir, extraConfig);
        } catch (IOException | InterruptedException | RuntimeException e) {
            workDir = null;
            delete(dir);
            throw e;
        }
        Thread hook = new Thread(
                () -> {
                    started.close();
                    try {
                        delete(dir);
                    } catch (UncheckedIOException e) { // the JVM is ending: nothing to tell
                    }
                },
                "real-redis-cleanup-" + started.port());
        Runtime.getRuntime().addShutdownHook(hook);
        shutdownHook = hook;
        redis = started;
    }

    private void stop() {
        RealRedis r = redis;
        Path dir = workDir;
        Thread hook = shutdownHook;
        redis = null;
        workDir = null;
        perTest = false;
        startedFor = null;
        shutdownHook = null;
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) { // the JVM is shutting down: the hook runs, or ran, the same cleanup
            }
        }
        if (r != null) {
            r.close();
        }
        if (dir != null) {
            delete(dir);
        }
    }

    private static void delete(Path dir) {
        if (!Files.exists(dir)) { // removed already (by the shutdown hook)
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the redis-server's directory " + dir, e);
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == RealRedis.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return get();
    }
}
