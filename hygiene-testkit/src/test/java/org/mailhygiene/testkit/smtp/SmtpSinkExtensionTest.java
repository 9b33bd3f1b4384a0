package org.mailhygiene.testkit.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;

/** The sinks a test's methods are given: one per parameter position, all closed after the test. */
class SmtpSinkExtensionTest {

    /** A test method's context as JUnit gives it to the extension: only its store is used. */
    private static ExtensionContext testContext() {
        Map<Object, Object> values = new HashMap<>();
        ExtensionContext.Store store = (ExtensionContext.Store) Proxy.newProxyInstance(
                SmtpSinkExtensionTest.class.getClassLoader(),
                new Class<?>[] {ExtensionContext.Store.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getOrComputeIfAbsent" -> {
                        @SuppressWarnings("unchecked")
                        Function<Object, Object> f = (Function<Object, Object>) args[1];
                        yield values.computeIfAbsent(args[0], f);
                    }
                    case "get" -> values.get(args[0]);
                    case "put" -> values.put(args[0], args[1]);
                    case "remove" -> values.remove(args[0]);
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        return (ExtensionContext) Proxy.newProxyInstance(
                SmtpSinkExtensionTest.class.getClassLoader(),
                new Class<?>[] {ExtensionContext.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("getStore")) {
                        return store;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    private static ParameterContext parameter(int index) {
        return (ParameterContext) Proxy.newProxyInstance(
                SmtpSinkExtensionTest.class.getClassLoader(),
                new Class<?>[] {ParameterContext.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("getIndex")) {
                        return index;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    private static boolean listening(SmtpSink sink) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", sink.port()), 10_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void beforeEachAndTestShareTheSinkAtOnePositionAndAllAreClosedAfterTheTest() {
        SmtpSinkExtension ext = new SmtpSinkExtension();
        ExtensionContext test = testContext();
        SmtpSink inBeforeEach = (SmtpSink) ext.resolveParameter(parameter(0), test);
        SmtpSink inTest = (SmtpSink) ext.resolveParameter(parameter(0), test);
        SmtpSink second = (SmtpSink) ext.resolveParameter(parameter(1), test);
        // before: a second sink at position 0 replaced the first in the store, which nobody closed
        assertThat(inTest).isSameAs(inBeforeEach);
        assertThat(second).isNotSameAs(inTest);
        assertThat(listening(inTest)).isTrue();
        assertThat(listening(second)).isTrue();

        ext.afterEach(test);

        assertThat(listening(inTest)).isFalse();
        assertThat(listening(second)).isFalse();
    }
}
