package org.mailhygiene.testkit.junit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
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
 * and use {@link #get()}, or declare a {@link FakeClamd} test method parameter. Thread-safe for use from the test's
 * own thread.
 */
public final class FakeClamdExtension implements BeforeEachCallback, AfterEachCallback, ParameterResolver {
    private final Consumer<FakeClamd.Builder> configure;
    private FakeClamd fake;
    private Path dir;

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
     * The running fake of the current test.
     *
     * @return the fake
     * @throws IllegalStateException outside a test
     */
    public FakeClamd get() {
        if (fake == null) {
            throw new IllegalStateException("the fake clamd runs only during a test");
        }
        return fake;
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "fclamd");
        FakeClamd.Builder b = FakeClamd.builder().unixSocket(dir.resolve("clamd.sock"));
        configure.accept(b);
        fake = b.start();
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        try {
            if (fake != null) {
                fake.close();
            }
        } finally {
            fake = null;
            if (dir != null) {
                Files.deleteIfExists(dir.resolve("clamd.sock"));
                Files.deleteIfExists(dir);
                dir = null;
            }
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == FakeClamd.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return get();
    }
}
