package org.mailhygiene.testkit.junit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.mailhygiene.testkit.clamd.FakeClamd;

/**
 * Starts a fresh {@link FakeClamd} before each test (TCP, plus a unix socket in a private temporary directory) and
 * closes it after, so queued faults and recorded requests never leak between tests. Register it as a field:
 *
 * <pre>{@code
 * @RegisterExtension
 * final FakeClamdExtension clamd = FakeClamdExtension.create(b -> b.eicarName("Local.Eicar.NDB.UNOFFICIAL"));
 * }</pre>
 *
 * and use {@link #get()}, or declare a {@link FakeClamd} parameter of the test method (or of a {@code @BeforeEach}
 * method).
 *
 * <p>Thread-safe: each test gets its own fake, also when one extension instance serves tests that run at once (a
 * {@code static} field, or {@code @TestInstance(PER_CLASS)}, under {@code junit.jupiter.execution.parallel.enabled}).
 * A {@code FakeClamd} parameter is always the fake of the test it is given to; {@link #get()} needs exactly one test
 * running with this instance and throws otherwise, so with such concurrent tests take the parameter.
 */
public final class FakeClamdExtension implements BeforeEachCallback, AfterEachCallback, ParameterResolver {
    private record Running(FakeClamd fake, Path dir) {}

    private final Consumer<FakeClamd.Builder> configure;
    /** The fake of each running test, by the test's unique id. */
    private final Map<String, Running> running = new ConcurrentHashMap<>();

    private FakeClamdExtension(Consumer<FakeClamd.Builder> configure) {
        this.configure = configure;
    }

    /**
     * An extension with the fake's defaults.
     *
     * @return the extension
     */
    public static FakeClamdExtension create() {
        return new FakeClamdExtension(b -> {});
    }

    /**
     * An extension whose fake is configured by {@code configure} before it starts (the unix socket is set already).
     *
     * @param configure adjusts the builder
     * @return the extension
     */
    public static FakeClamdExtension create(Consumer<FakeClamd.Builder> configure) {
        return new FakeClamdExtension(Objects.requireNonNull(configure, "configure"));
    }

    /**
     * The running fake of the current test. May be called from any thread while the test runs.
     *
     * @return the fake
     * @throws IllegalStateException outside a test, or when several tests run at once with this extension instance
     *     (then it cannot tell which one is asking: declare a {@code FakeClamd} parameter instead)
     */
    public FakeClamd get() {
        List<Running> now = List.copyOf(running.values());
        if (now.isEmpty()) {
            throw new IllegalStateException("the fake clamd runs only during a test");
        }
        if (now.size() > 1) {
            throw new IllegalStateException(now.size()
                    + " tests run at once with this FakeClamdExtension (a static field, or PER_CLASS with parallel"
                    + " execution), so get() cannot tell which test asks: declare a FakeClamd parameter instead");
        }
        return now.get(0).fake();
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "fclamd");
        FakeClamd fake;
        try {
            FakeClamd.Builder b = FakeClamd.builder().unixSocket(dir.resolve("clamd.sock"));
            configure.accept(b);
            fake = b.start();
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(dir.resolve("clamd.sock"));
            Files.deleteIfExists(dir);
            throw e;
        }
        running.put(context.getUniqueId(), new Running(fake, dir));
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        Running r = running.remove(context.getUniqueId());
        if (r == null) {
            return;
        }
        try {
            r.fake().close();
        } finally {
            Files.deleteIfExists(r.dir().resolve("clamd.sock"));
            Files.deleteIfExists(r.dir());
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == FakeClamd.class;
    }

    /**
     * The fake of the test the parameter is resolved for.
     *
     * @throws ParameterResolutionException outside a test method (a constructor or {@code @BeforeAll} method)
     */
    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Running r = running.get(extensionContext.getUniqueId());
        if (r == null) {
            throw new ParameterResolutionException(
                    "FakeClamdExtension gives a FakeClamd to test methods and @BeforeEach/@AfterEach methods only");
        }
        return r.fake();
    }
}
