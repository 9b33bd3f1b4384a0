package org.mailhygiene.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mailhygiene.testkit.SampleMessages;

/**
 * The cases every way of driving the milter must agree on: run through the testkit's {@code MilterClient}
 * ({@link TestkitMilterContractTest}) and through a real Postfix ({@link PostfixMilterContractTest}). The milter under
 * test runs the built-in signature scanner with the default policy.
 */
abstract class MilterContract {
    static final String RCPT = "user@example.test";

    /**
     * What became of one message.
     *
     * @param refusal the SMTP reply the sender got, when the message was refused
     * @param delivered the message as delivered, without the MTA's own trace header, when it was accepted
     */
    record Delivery(Optional<String> refusal, Optional<byte[]> delivered) {}

    /** Sends one message through the MTA (or what plays it) and the milter. */
    abstract Delivery deliver(String from, List<String> to, byte[] message) throws Exception;

    static String header(byte[] message, String name) {
        String text = new String(message, StandardCharsets.ISO_8859_1);
        String head = text.substring(0, text.indexOf("\r\n\r\n") + 2);
        for (String field : head.split("\r\n(?![ \t])")) {
            int colon = field.indexOf(':');
            if (colon > 0 && field.substring(0, colon).equalsIgnoreCase(name)) {
                return field.substring(colon + 1).replace("\r\n", "").strip();
            }
        }
        return null;
    }

    static String body(byte[] message) {
        String text = new String(message, StandardCharsets.ISO_8859_1);
        return text.substring(text.indexOf("\r\n\r\n") + 4);
    }

    static byte[] message(String subject, String contentHeaders, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("From: Sender <sender@example.net>\r\n"
                        + "To: <" + RCPT + ">\r\n"
                        + "Subject: " + subject + "\r\n"
                        + "Date: Mon, 05 Jan 2026 09:20:00 +0900\r\n"
                        + "Message-ID: <" + Long.toHexString(System.nanoTime()) + "@example.net>\r\n"
                        + "MIME-Version: 1.0\r\n"
                        + contentHeaders
                        + "\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(body);
        return out.toByteArray();
    }

    @Test
    void eicarIsRefusedAtDataWithOurReplyText() throws Exception {
        Delivery d = deliver("sender@example.net", List.of(RCPT), SampleMessages.eicarAttachment());
        assertThat(d.delivered()).isEmpty();
        assertThat(d.refusal())
                .hasValueSatisfying(r -> assertThat(r).startsWith("554 5.7.1 Virus found: Eicar-Test-Signature"));
    }

    @Test
    void gtubeIsDeliveredTagged() throws Exception {
        byte[] msg = message(
                "Cheap watches",
                "Content-Type: text/plain; charset=us-ascii\r\n",
                (SampleMessages.gtubeString() + "\r\n").getBytes(StandardCharsets.US_ASCII));
        Delivery d = deliver("sender@example.net", List.of(RCPT), msg);
        assertThat(d.refusal()).isEmpty();
        byte[] out = d.delivered().orElseThrow();
        assertThat(header(out, "Subject")).isEqualTo("[SPAM] Cheap watches");
        assertThat(header(out, "X-Spam-Flag")).isEqualTo("YES");
        assertThat(body(out)).isEqualTo(body(msg));
    }

    @Test
    void aJapaneseSubjectTagKeepsItsEncoding() throws Exception {
        Charset jis = Charset.forName("ISO-2022-JP");
        String encoded = "=?ISO-2022-JP?B?" + Base64.getEncoder().encodeToString("会議のお知らせ".getBytes(jis)) + "?=";
        byte[] body = ("本文です。\r\n" + SampleMessages.gtubeString() + "\r\n").getBytes(jis);
        byte[] msg = message(
                encoded, "Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n", body);
        Delivery d = deliver("sender@example.net", List.of(RCPT), msg);
        byte[] out = d.delivered().orElseThrow();
        assertThat(header(out, "Subject")).isEqualTo("[SPAM] " + encoded);
        assertThat(body(out)).isEqualTo(body(msg));
    }

    @Test
    void cleanMailIsDeliveredByteIdentical() throws Exception {
        byte[] msg = message(
                "Minutes",
                "Content-Type: text/plain; charset=us-ascii\r\n",
                "Hello,\r\n.a line with a leading dot\r\n\r\nbye\r\n".getBytes(StandardCharsets.US_ASCII));
        Delivery d = deliver("sender@example.net", List.of(RCPT), msg);
        assertThat(d.refusal()).isEmpty();
        assertThat(new String(d.delivered().orElseThrow(), StandardCharsets.ISO_8859_1))
                .isEqualTo(new String(msg, StandardCharsets.ISO_8859_1));
    }

    @Test
    void eightBitMailIsDeliveredUnchanged() throws Exception {
        byte[] msg = message(
                "=?UTF-8?B?" + Base64.getEncoder().encodeToString("日本語".getBytes(StandardCharsets.UTF_8)) + "?=",
                "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n",
                "こんにちは、世界。\r\nÄÖÜ äöü\r\n".getBytes(StandardCharsets.UTF_8));
        Delivery d = deliver("sender@example.net", List.of(RCPT), msg);
        assertThat(d.delivered()).hasValueSatisfying(out -> assertThat(out).isEqualTo(msg));
    }
}
