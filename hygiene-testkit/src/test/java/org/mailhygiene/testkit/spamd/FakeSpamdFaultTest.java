package org.mailhygiene.testkit.spamd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.mailhygiene.testkit.server.Fault;

/** Faults of the shared model aimed at a spamd method, and the shared recording model. */
class FakeSpamdFaultTest {

    private static String exchange(FakeSpamd f, String request) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), f.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            try {
                in.transferTo(b);
            } catch (IOException e) {
                return b.toString(StandardCharsets.ISO_8859_1) + "<reset>";
            }
            return b.toString(StandardCharsets.ISO_8859_1);
        }
    }

    private static String check(String body) {
        return "CHECK SPAMC/1.5\r\nContent-length: " + body.length() + "\r\n\r\n" + body;
    }

    @Test
    void aFaultForCheckIsNotTakenByAPing() throws Exception {
        try (FakeSpamd f = FakeSpamd.start()) {
            f.enqueue(FakeSpamd.Method.CHECK, Fault.reply("SPAMD/1.0 79 Timeout\r\n"));
            assertThat(exchange(f, "PING SPAMC/1.5\r\n\r\n")).isEqualTo("SPAMD/1.5 0 PONG\r\n");
            assertThat(exchange(f, check("hello"))).isEqualTo("SPAMD/1.0 79 Timeout\r\n");
            assertThat(exchange(f, check("hello"))).startsWith("SPAMD/1.1 0 EX_OK");
            assertThat(f.takeRequest(FakeSpamd.Method.CHECK, Duration.ofSeconds(5))
                            .connection())
                    .isEqualTo(2);
            RecordedRequest third = f.takeRequest(Duration.ofSeconds(5));
            assertThat(third.command()).isEqualTo("CHECK");
            assertThat(third.bodyText()).isEqualTo("hello");
        }
    }

    @Test
    void cutsAfterSomeBodyBytes() throws Exception {
        try (FakeSpamd f = FakeSpamd.start()) {
            f.enqueue(FakeSpamd.Method.CHECK, Fault.closeAfter(3));
            assertThat(exchange(f, check("hello world"))).isIn("", "<reset>");
            assertThat(f.takeRequest(Duration.ofSeconds(5)).bodyText()).isEqualTo("hel");
            f.enqueue(FakeSpamd.Method.CHECK, Fault.replyAfter(4, "SPAMD/1.0 74 too big\r\n"));
            assertThat(exchange(f, check("hello world"))).startsWith("SPAMD/1.0 74 too big\r\n");
            assertThat(f.takeRequest(Duration.ofSeconds(5)).bodyText()).isEqualTo("hell");
        }
    }

    @Test
    void standingFaultsPerMethodAndDelays() throws Exception {
        try (FakeSpamd f = FakeSpamd.start()) {
            f.always(FakeSpamd.Method.CHECK, Fault.close());
            assertThat(exchange(f, check("a"))).isIn("", "<reset>");
            assertThat(exchange(f, check("b"))).isIn("", "<reset>");
            assertThat(exchange(f, "PING SPAMC/1.5\r\n\r\n")).isEqualTo("SPAMD/1.5 0 PONG\r\n");
            f.clearFaults();
            f.enqueue(FakeSpamd.Method.CHECK, Fault.delay(Duration.ofMillis(1)));
            assertThat(exchange(f, check("c"))).startsWith("SPAMD/1.1 0 EX_OK");
            f.enqueue(FakeSpamd.Method.CHECK, Fault.refuse());
            assertThat(exchange(f, check("d"))).isIn("", "<reset>");
        }
    }

    @Test
    @SuppressWarnings("deprecation") // the older model converts to the shared one
    void legacyFaultsConvert() {
        assertThat(org.mailhygiene.testkit.spamd.Fault.error(76, "Bad").toFault())
                .isEqualTo(Fault.reply("SPAMD/1.0 76 Bad\r\n"));
        assertThat(org.mailhygiene.testkit.spamd.Fault.slow(Duration.ofSeconds(1))
                        .toFault())
                .isEqualTo(Fault.delay(Duration.ofSeconds(1)));
        assertThat(org.mailhygiene.testkit.spamd.Fault.stallReading().toFault()).isEqualTo(Fault.stallReading());
    }
}
