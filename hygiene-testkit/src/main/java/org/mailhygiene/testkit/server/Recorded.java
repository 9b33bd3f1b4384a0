package org.mailhygiene.testkit.server;

/**
 * One request a fake received: what every fake's request record has in common, so tests and helpers can treat them
 * alike.
 *
 * <p>Implementations are immutable and thread-safe.
 */
public interface Recorded {

    /**
     * The connection the request came on: 1 for the fake's first accepted connection, counting up in accept order.
     *
     * @return the connection number
     */
    long connection();

    /**
     * The command, as the fake names it (clamd {@code INSTREAM}, spamd {@code CHECK}, SMTP {@code MAIL}).
     *
     * @return the command name
     */
    String command();
}
