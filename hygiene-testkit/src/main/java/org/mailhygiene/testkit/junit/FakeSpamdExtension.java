package org.mailhygiene.testkit.junit;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.mailhygiene.testkit.spamd.FakeSpamd;

/**
 * Gives each test method a fresh, running {@link FakeSpamd} as a parameter and closes it after the test, also when the
 * test fails. Use with {@code @ExtendWith(FakeSpamdExtension.class)} and a {@code FakeSpamd} test parameter.
 *
 * <p>Stateless; per-test state lives in the JUnit extension store.
 */
public final class FakeSpamdExtension implements ParameterResolver, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(FakeSpamdExtension.class);

    /** Creates the extension; JUnit calls this. */
    public FakeSpamdExtension() {}

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
                                return FakeSpamd.start();
                            } catch (java.io.IOException e) {
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
