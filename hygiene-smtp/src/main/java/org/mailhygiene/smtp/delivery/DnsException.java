package org.mailhygiene.smtp.delivery;

import java.io.IOException;

/**
 * A DNS lookup failed. {@link #isPermanent()} tells a name that does not exist (bounce) from a server that did not
 * answer (retry later).
 */
public final class DnsException extends IOException {
    private static final long serialVersionUID = 1L;
    private final boolean permanent;

    /**
     * Creates the exception.
     *
     * @param message what failed
     * @param permanent whether the answer was definite (NXDOMAIN, null MX)
     * @param cause the underlying error, or {@code null}
     */
    public DnsException(String message, boolean permanent, Throwable cause) {
        super(message, cause);
        this.permanent = permanent;
    }

    /**
     * Whether retrying cannot help.
     *
     * @return {@code true} for a definite negative answer
     */
    public boolean isPermanent() {
        return permanent;
    }
}
