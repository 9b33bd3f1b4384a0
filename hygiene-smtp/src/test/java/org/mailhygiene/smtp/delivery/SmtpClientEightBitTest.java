package org.mailhygiene.smtp.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mailhygiene.smtp.delivery.SmtpClientTest.BUDGET;
import static org.mailhygiene.smtp.delivery.SmtpClientTest.at;
import static org.mailhygiene.smtp.delivery.SmtpClientTest.text;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailhygiene.testkit.smtp.SinkMessage;
import org.mailhygiene.testkit.smtp.SmtpSink;

/** The client converting 8-bit content for a next hop without 8BITMIME (RFC 6152 §3), and not for one with it. */
class SmtpClientEightBitTest {
    static final String MIME = "From: a@x.org\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Content-Transfer-Encoding: 8bit\r\n\r\ncaf\u00e9\r\n";
    static final String CONVERTED = "From: a@x.org\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9\r\n";

    static SmtpClient client(boolean convert) {
        return SmtpClient.builder()
                .heloName("relay.test")
                .tls(TlsPolicy.disabled())
                .mimeOutputConversion(convert)
                .build();
    }

    @Test
    void eightBitContentIsConvertedForAHopWithout8bitmimeAndSizeIsTheConvertedSize() throws Exception {
        try (SmtpSink sink =
                SmtpSink.builder().eightBitMime(false).maxSize(1000).start()) {
            TransactionResult r = client(true).deliver(at(sink), "a@x.org", List.of("b@y.org"), text(MIME), BUDGET);
            assertThat(r.recipients().get(0).outcome()).isEqualTo(RecipientResult.Outcome.DELIVERED);
            SinkMessage m = sink.awaitMessages(1, Duration.ofSeconds(60)).get(0);
            assertThat(m.text()).isEqualTo(CONVERTED);
            assertThat(m.mailParameters()).containsExactly("SIZE=" + CONVERTED.length());
        }
    }

    @Test
    void withConversionOffTheContentGoesUnchangedWithoutBody8bitmime() throws Exception {
        try (SmtpSink sink = SmtpSink.builder().eightBitMime(false).start()) {
            client(false).deliver(at(sink), "a@x.org", List.of("b@y.org"), text(MIME), BUDGET);
            SinkMessage m = sink.awaitMessages(1, Duration.ofSeconds(60)).get(0);
            assertThat(m.text()).isEqualTo(MIME);
            assertThat(m.mailParameters()).noneMatch(p -> p.startsWith("BODY="));
        }
    }

    @Test
    void aHopWith8bitmimeGetsTheContentUnchanged() throws Exception {
        try (SmtpSink sink = SmtpSink.start()) {
            client(true).deliver(at(sink), "a@x.org", List.of("b@y.org"), text(MIME), BUDGET);
            SinkMessage m = sink.awaitMessages(1, Duration.ofSeconds(60)).get(0);
            assertThat(m.text()).isEqualTo(MIME);
            assertThat(m.mailParameters()).contains("BODY=8BITMIME");
        }
    }

    @Test
    void theHopsSizeLimitIsCheckedAgainstTheConvertedSize() throws Exception {
        // 8-bit octets take three each in quoted-printable: the original fits, the converted message does not
        String body = "\u00e9".repeat(200);
        String msg = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n";
        try (SmtpSink sink = SmtpSink.builder().eightBitMime(false).maxSize(900).start()) {
            assertThat(msg.getBytes(java.nio.charset.StandardCharsets.UTF_8).length)
                    .isLessThan(900);
            TransactionResult r = client(true).deliver(at(sink), "a@x.org", List.of("b@y.org"), text(msg), BUDGET);
            assertThat(r.recipients().get(0).outcome()).isEqualTo(RecipientResult.Outcome.PERMANENT);
            assertThat(r.recipients().get(0).status()).isEqualTo("5.3.4");
            assertThat(r.recipients().get(0).diagnostic())
                    .startsWith("552 5.3.4 message of 1")
                    .endsWith(" 900");
            assertThat(sink.messages()).isEmpty();
        }
    }

    @Test
    void eightBitHeadersStayAsTheyAreWhileTheBodyIsConverted() throws Exception {
        String msg = "Subject: \u00fcber\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                + "\u00fcber\r\n";
        try (SmtpSink sink =
                SmtpSink.builder().eightBitMime(false).smtpUtf8(false).start()) {
            client(true).deliver(at(sink), "a@x.org", List.of("b@y.org"), text(msg), BUDGET);
            SinkMessage m = sink.awaitMessages(1, Duration.ofSeconds(60)).get(0);
            assertThat(m.text())
                    .isEqualTo("Subject: \u00fcber\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                            + "Content-Transfer-Encoding: quoted-printable\r\n\r\n=C3=BCber\r\n");
        }
    }
}
