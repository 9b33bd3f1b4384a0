package org.mailhygiene.api;

import java.util.Objects;

/**
 * A message to scan: its envelope and its content.
 *
 * <p>Immutable and thread-safe as long as the content is.
 *
 * @param envelope the SMTP envelope ({@link Envelope#unknown()} outside the mail path)
 * @param content the bytes, readable any number of times
 */
public record Message(Envelope envelope, MessageContent content) {

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public Message {
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(content, "content");
    }

    /**
     * A message with an {@linkplain Envelope#unknown() unknown envelope}, as when scanning a file.
     *
     * @param content the bytes
     * @return a new message
     */
    public static Message of(MessageContent content) {
        return new Message(Envelope.unknown(), content);
    }

    /**
     * A message with an unknown envelope over a copy of {@code bytes}.
     *
     * @param bytes the message bytes; copied
     * @return a new message
     */
    public static Message of(byte[] bytes) {
        return of(MessageContent.ofBytes(bytes));
    }
}
