package org.mailhygiene.testkit.dns;

import java.io.IOException;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives each test method a fresh, running {@link FakeDnsServer} with an empty zone as a parameter and closes it after
 * the test, also when the test fails. Use with {@code @ExtendWith(FakeDnsExtension.class)} and a
 * {@code FakeDnsServer} test parameter.
 *
 * <p>Stateless; per-test state lives in the JUnit extension store.
 */
public final class FakeDnsExtension implements ParameterResolver, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(FakeDnsExtension.class);

    /** Creates the extension; JUnit calls this. */
    public FakeDnsExtension() {}

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == FakeDnsServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return extensionContext
                .getStore(NS)
                .getOrComputeIfAbsent(
                        "fake",
                        k -> {
                            try {
                                return FakeDnsServer.start();
                            } catch (IOException e) {
                                throw new ParameterResolutionException("cannot start FakeDnsServer", e);
                            }
                        },
                        FakeDnsServer.class);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        FakeDnsServer fake = context.getStore(NS).remove("fake", FakeDnsServer.class);
        if (fake != null) {
            fake.close();
        }
    }
}
