package org.mailhygiene.testkit.spamd;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.mailhygiene.testkit.server.Recorded;

/**
 * One request as {@link FakeSpamd} received it.
 *
 * <p>Immutable and thread-safe; {@link #body()} and {@link #wireBody()} return copies.
 *
 * @param method the method on the request line, e.g. {@code CHECK}
 * @param protocolVersion the version after {@code SPAMC/}, e.g. {@code 1.5}
 * @param headers the header lines in order, names exactly as sent (spamd matches them case-sensitively)
 * @param body the message as spamd would scan it (inflated when {@code Compress: zlib} was used)
 * @param wireBody the bytes that followed the header block on the wire
 * @param halfClosed whether the client half-closed its side after the body (the fake saw end of input)
 * @param connection the connection it came on (1 for the fake's first)
 */
public record RecordedRequest(
        String method,
        String protocolVersion,
        List<Map.Entry<String, String>> headers,
        byte[] body,
        byte[] wireBody,
        boolean halfClosed,
        long connection)
        implements Recorded {

    /**
     * Validates and copies.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public RecordedRequest {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(protocolVersion, "protocolVersion");
        headers = List.copyOf(Objects.requireNonNull(headers, "headers"));
        body = Objects.requireNonNull(body, "body").clone();
        wireBody = Objects.requireNonNull(wireBody, "wireBody").clone();
    }

    /**
     * The request without a connection number (0), as records were made before connections were numbered.
     *
     * @param method the method
     * @param protocolVersion the version after {@code SPAMC/}
     * @param headers the header lines
     * @param body the scanned message
     * @param wireBody the bytes on the wire
     * @param halfClosed whether the client half-closed
     * @deprecated use the canonical constructor
     */
    @Deprecated(since = "0.2.0")
    public RecordedRequest(
            String method,
            String protocolVersion,
            List<Map.Entry<String, String>> headers,
            byte[] body,
            byte[] wireBody,
            boolean halfClosed) {
        this(method, protocolVersion, headers, body, wireBody, halfClosed, 0);
    }

    /**
     * The method, as the shared recording model names a request's command.
     *
     * @return {@link #method()}
     */
    @Override
    public String command() {
        return method;
    }

    /**
     * The first header with exactly this name (case-sensitive, as spamd matches).
     *
     * @param name the name, e.g. {@code Content-length}
     * @return its value
     */
    public Optional<String> header(String name) {
        for (Map.Entry<String, String> e : headers) {
            if (e.getKey().equals(name)) {
                return Optional.of(e.getValue());
            }
        }
        return Optional.empty();
    }

    /**
     * The scanned message.
     *
     * @return a copy of the body
     */
    @Override
    public byte[] body() {
        return body.clone();
    }

    /**
     * The body bytes as sent.
     *
     * @return a copy
     */
    @Override
    public byte[] wireBody() {
        return wireBody.clone();
    }

    /**
     * The body as ISO-8859-1 text (one character per byte), for assertions.
     *
     * @return the text
     */
    public String bodyText() {
        return new String(body, StandardCharsets.ISO_8859_1);
    }
}
