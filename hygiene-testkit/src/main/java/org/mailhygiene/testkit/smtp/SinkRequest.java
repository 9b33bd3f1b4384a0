package org.mailhygiene.testkit.smtp;

import java.util.Objects;
import org.mailhygiene.testkit.server.Recorded;

/**
 * One command line an {@link SmtpSink} received.
 *
 * <p>Immutable and thread-safe.
 *
 * @param connection the connection it came on (1 for the sink's first)
 * @param command the verb in upper case, e.g. {@code MAIL}
 * @param line the whole line as received, without its line end
 */
public record SinkRequest(long connection, String command, String line) implements Recorded {
    /**
     * Validates.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public SinkRequest {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(line, "line");
    }
}
