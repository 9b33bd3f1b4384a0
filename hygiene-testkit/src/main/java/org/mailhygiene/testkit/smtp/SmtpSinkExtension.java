package org.mailhygiene.testkit.smtp;

import java.io.IOException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that gives each test method a fresh, running {@link SmtpSink} (defaults: 127.0.0.1, ephemeral
 * port) as a parameter and closes it after the test, also when the test fails.
 *
 * <pre>{@code
 * @ExtendWith(SmtpSinkExtension.class)
 * class DeliveryTest {
 *     @Test
 *     void delivers(SmtpSink sink) { ... }
 * }
 * }</pre>
 *
 * <p>Several {@code SmtpSink} parameters in one method get distinct sinks. Thread-safe as JUnit requires.
 */
public final class SmtpSinkExtension implements ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SmtpSinkExtension.class);

    /** Creates the extension; JUnit calls this. */
    public SmtpSinkExtension() {}

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == SmtpSink.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        try {
            SmtpSink sink = SmtpSink.start();
            extensionContext
                    .getStore(NS)
                    .put("sink-" + parameterContext.getIndex(), sink); // AutoCloseable: closed with the context
            return sink;
        } catch (IOException e) {
            throw new ParameterResolutionException("cannot start SmtpSink: " + e.getMessage(), e);
        }
    }
}
