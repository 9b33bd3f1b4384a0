package org.mailhygiene.testkit.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.mailhygiene.testkit.clamd.FakeClamd;

/** One extension instance serving tests that run at once (a static field, PER_CLASS under parallel execution). */
class FakeClamdExtensionTest {

    /** A test's context as JUnit gives it to the extension: only its unique id is read. */
    /** A context with only a unique id ({@code [test:ID]}); RealRedisExtensionTest uses it for class contexts too. */
    static ExtensionContext test(String id) {
        return (ExtensionContext) Proxy.newProxyInstance(
                FakeClamdExtensionTest.class.getClassLoader(),
                new Class<?>[] {ExtensionContext.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("getUniqueId")) {
                        return "[test:" + id + "]";
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    private static FakeClamd fakeOf(FakeClamdExtension ext, ExtensionContext context) {
        return (FakeClamd) ext.resolveParameter(null, context);
    }

    private static String ping(FakeClamd fake) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), fake.port()), 10_000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write("nPING\n".getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        }
    }

    @Test
    void concurrentTestsEachGetTheirOwnFakeAndOneEndingLeavesTheOtherRunning() throws Exception {
        FakeClamdExtension ext = FakeClamdExtension.create();
        ExtensionContext a = test("a");
        ExtensionContext b = test("b");
        ext.beforeEach(a);
        ext.beforeEach(b);
        FakeClamd fakeA = fakeOf(ext, a);
        FakeClamd fakeB = fakeOf(ext, b);
        Path socketB = fakeB.socketPath().orElseThrow();
        try {
            assertThat(fakeA).isNotSameAs(fakeB);
            assertThat(fakeA.port()).isNotEqualTo(fakeB.port());
            assertThatThrownBy(ext::get)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("2 tests run at once")
                    .hasMessageContaining("declare a FakeClamd parameter");

            ext.afterEach(a);
            assertThat(fakeOf(ext, b)).isSameAs(fakeB);
            assertThat(ext.get()).isSameAs(fakeB);
            assertThat(ping(fakeB)).isEqualTo("PONG");
            assertThat(Files.exists(socketB)).isTrue();
        } finally {
            ext.afterEach(a);
            ext.afterEach(b);
        }
        assertThat(Files.exists(socketB)).isFalse();
        assertThat(Files.exists(socketB.getParent())).isFalse();
        assertThatThrownBy(ext::get).isInstanceOf(IllegalStateException.class).hasMessageContaining("only during");
        assertThatThrownBy(() -> fakeOf(ext, a)).isInstanceOf(ParameterResolutionException.class);
    }
}
