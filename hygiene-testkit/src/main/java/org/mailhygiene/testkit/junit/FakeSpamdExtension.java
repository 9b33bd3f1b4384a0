package org.mailhygiene.testkit.junit;

import java.util.Objects;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.mailhygiene.testkit.spamd.FakeSpamd;

/**
 * Gives each test method a fresh, running {@link FakeSpamd} as a parameter and closes it after the test, also when the
 * test fails. Use with {@code @ExtendWith(FakeSpamdExtension.class)} and a {@code FakeSpamd} test parameter, or, for a
 * configured fake (a threshold, TELL allowed, a fixed port), register one:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final FakeSpamdExtension spamd = FakeSpamdExtension.create(b -> b.threshold(3.0).allowTell(true));
 * }</pre>
 *
 * <p>Thread-safe; per-test state lives in the JUnit extension store.
 */
public final class FakeSpamdExtension implements ParameterResolver, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(FakeSpamdExtension.class);

    private final Consumer<FakeSpamd.Builder> configure;

    /** Creates the extension with a default fake ({@link FakeSpamd#start()}); JUnit calls this. */
    public FakeSpamdExtension() {
        this(b -> {});
    }

    private FakeSpamdExtension(Consumer<FakeSpamd.Builder> configure) {
        this.configure = configure;
    }

    /**
     * An extension whose fake is configured by {@code configure} before it starts, for {@code @RegisterExtension}.
     *
     * @param configure adjusts the builder (called once per test, on a fresh builder)
     * @return the extension
     * @throws NullPointerException if {@code configure} is {@code null}
     */
    public static FakeSpamdExtension create(Consumer<FakeSpamd.Builder> configure) {
        return new FakeSpamdExtension(Objects.requireNonNull(configure, "configure"));
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == FakeSpamd.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return extensionContext
                .getStore(NS)
                .getOrComputeIfAbsent(
                        "fake",
                        k -> {
                            try {
                                FakeSpamd.Builder b = FakeSpamd.builder();
                                configure.accept(b);
                                return b.start();
                            } catch (java.io.IOException | RuntimeException e) {
                                throw new ParameterResolutionException("cannot start FakeSpamd", e);
                            }
                        },
                        FakeSpamd.class);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        FakeSpamd fake = context.getStore(NS).remove("fake", FakeSpamd.class);
        if (fake != null) {
            fake.close();
        }
    }
}
