package org.mailhygiene.testkit.smtp;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A message an {@link SmtpSink} accepted: the envelope as the client sent it and the exact content bytes after
 * dot-unstuffing (the final {@code CRLF.CRLF} removed, every other byte as received, CRLF line ends kept).
 *
 * <p>Immutable and thread-safe; {@link #data()} returns a copy.
 *
 * @param helo the EHLO/HELO argument of the session
 * @param sender the MAIL FROM path without brackets ({@code ""} for the null sender)
 * @param mailParameters the MAIL FROM parameters, e.g. {@code SIZE=1234}, {@code BODY=8BITMIME}
 * @param recipients the RCPT TO paths the sink accepted (2xx), without brackets, in order
 * @param data the content bytes
 * @param tls whether the session had switched to TLS with STARTTLS
 * @param clientAddress the client's IP address as text
 * @param receivedAt when the final dot was answered
 */
public record SinkMessage(
        String helo,
        String sender,
        List<String> mailParameters,
        List<String> recipients,
        byte[] data,
        boolean tls,
        String clientAddress,
        Instant receivedAt) {

    /**
     * Copies the components.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public SinkMessage {
        Objects.requireNonNull(helo, "helo");
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(clientAddress, "clientAddress");
        Objects.requireNonNull(receivedAt, "receivedAt");
        mailParameters = List.copyOf(mailParameters);
        recipients = List.copyOf(recipients);
        data = data.clone();
    }

    /**
     * A copy of the content bytes.
     *
     * @return the bytes
     */
    @Override
    public byte[] data() {
        return data.clone();
    }

    /**
     * The content decoded as UTF-8 (for assertions on text messages).
     *
     * @return the content as text
     */
    public String text() {
        return new String(data, java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SinkMessage m
                && helo.equals(m.helo)
                && sender.equals(m.sender)
                && mailParameters.equals(m.mailParameters)
                && recipients.equals(m.recipients)
                && java.util.Arrays.equals(data, m.data)
                && tls == m.tls
                && clientAddress.equals(m.clientAddress)
                && receivedAt.equals(m.receivedAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(helo, sender, mailParameters, recipients, java.util.Arrays.hashCode(data), tls);
    }

    @Override
    public String toString() {
        return "SinkMessage[from=<" + sender + ">, to=" + recipients + ", bytes=" + data.length + ", tls=" + tls + "]";
    }
}
