package org.mailhygiene.testkit.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mailhygiene.testkit.spamd.FakeSpamd;

/** A registered extension configures its fake (it had no way to before session 46: only {@code @ExtendWith}). */
class FakeSpamdExtensionTest {
    @RegisterExtension
    static final FakeSpamdExtension SPAMD = FakeSpamdExtension.create(b -> b.threshold(3.0));

    private static String check(FakeSpamd fake) throws IOException {
        byte[] msg = "Subject: hello\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), fake.port())) {
            s.setSoTimeout(30_000);
            s.getOutputStream()
                    .write(("CHECK SPAMC/1.5\r\nContent-length: " + msg.length + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(msg);
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toString(StandardCharsets.US_ASCII);
        }
    }

    @Test
    void theRegisteredFakeHasItsConfiguredThreshold(FakeSpamd fake) throws IOException {
        assertThat(check(fake)).contains("Spam: False ; ").contains("/ 3.0");
    }

    @Test
    void aNullConfigurationIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> FakeSpamdExtension.create(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("configure");
    }
}
