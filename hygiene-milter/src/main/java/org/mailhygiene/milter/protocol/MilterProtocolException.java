package org.mailhygiene.milter.protocol;

import java.io.IOException;

/**
 * The peer broke the milter protocol: a packet length of zero or over the limit, a malformed payload, or a command
 * that does not fit the state. The only safe answer is to close the connection (the MTA then applies its
 * {@code milter_default_action}); nothing more is read from it.
 */
public final class MilterProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was wrong, naming the packet
     */
    public MilterProtocolException(String message) {
        super(message);
    }
}
