package org.mailhygiene.testkit.smtp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.extension.AfterEachCallback;
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
 * <p>Several {@code SmtpSink} parameters in one method get distinct sinks. A {@code @BeforeEach} or {@code @AfterEach}
 * method of the test gets the same sink as the test method's parameter at the same position (the first
 * {@code SmtpSink} parameter of each is one sink). Stateless; per-test state lives in the JUnit extension store, so
 * it is safe under parallel test execution.
 */
public final class SmtpSinkExtension implements ParameterResolver, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SmtpSinkExtension.class);

    /** The sinks of one test, by parameter position; closing it closes them all. */
    private static final class Sinks implements AutoCloseable {
        private final Map<Integer, SmtpSink> byIndex = new ConcurrentHashMap<>();

        SmtpSink get(int index) {
            return byIndex.computeIfAbsent(index, i -> {
                try {
                    return SmtpSink.start();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }

        @Override
        public void close() {
            byIndex.values().forEach(SmtpSink::close);
        }
    }

    /** Creates the extension; JUnit calls this. */
    public SmtpSinkExtension() {}

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == SmtpSink.class;
    }

    /**
     * The test's sink for this parameter position, started on first use.
     *
     * @throws ParameterResolutionException if the sink cannot listen
     */
    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Sinks sinks = extensionContext
                .getStore(NS)
                .getOrComputeIfAbsent(Sinks.class, k -> new Sinks(), Sinks.class); // AutoCloseable: also closed
        // with the context where JUnit closes stored values (5.13 and later)
        try {
            return sinks.get(parameterContext.getIndex());
        } catch (UncheckedIOException e) {
            throw new ParameterResolutionException(
                    "cannot start SmtpSink: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** Closes the sinks the test used. */
    @Override
    public void afterEach(ExtensionContext context) {
        Sinks sinks = context.getStore(NS).remove(Sinks.class, Sinks.class);
        if (sinks != null) {
            sinks.close();
        }
    }
}
