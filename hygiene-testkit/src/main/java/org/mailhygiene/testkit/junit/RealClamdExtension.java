package org.mailhygiene.testkit.junit;

import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.mailhygiene.testkit.clamd.RealClamd;

/**
 * Starts the installed {@code clamd} once per test class ({@link RealClamd}: free TCP port on 127.0.0.1, unix socket,
 * generated database with EICAR and test-marker body signatures) and stops it after the class, also when tests fail.
 * Without clamd the class is skipped with a reason, or fails under {@code CI=true} ({@link RealBinaries#require}).
 * Register it as a static field:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final RealClamdExtension clamd = RealClamdExtension.create(b -> b.streamMaxLength(1 << 20));
 * }</pre>
 *
 * and use {@link #get()}, or declare a {@link RealClamd} test method parameter.
 */
public final class RealClamdExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
    private final Consumer<RealClamd.Builder> configure;
    private volatile RealClamd clamd;

    private RealClamdExtension(Consumer<RealClamd.Builder> configure) {
        this.configure = configure;
    }

    /**
     * An extension with {@link RealClamd}'s defaults.
     *
     * @return the extension
     */
    public static RealClamdExtension create() {
        return new RealClamdExtension(b -> {});
    }

    /**
     * An extension whose clamd is configured by {@code configure}.
     *
     * @param configure adjusts the builder
     * @return the extension
     */
    public static RealClamdExtension create(Consumer<RealClamd.Builder> configure) {
        return new RealClamdExtension(Objects.requireNonNull(configure, "configure"));
    }

    /**
     * The running clamd of the current test class.
     *
     * @return the clamd
     * @throws IllegalStateException outside the class's tests
     */
    public RealClamd get() {
        RealClamd c = clamd;
        if (c == null) {
            throw new IllegalStateException("the real clamd runs only during the test class");
        }
        return c;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Path binary = RealBinaries.require("clamd", "clamav-daemon");
        RealClamd.Builder b = RealClamd.builder(binary);
        configure.accept(b);
        clamd = b.start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        RealClamd c = clamd;
        clamd = null;
        if (c != null) {
            c.close();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == RealClamd.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return get();
    }
}
