package org.mailhygiene.scanners.attachments;

import java.io.IOException;

/** Thrown by {@link AttachmentPolicy#parse} when a line of the policy text is not understood. */
public final class PolicySyntaxException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the problem, naming the line number and the line
     */
    public PolicySyntaxException(String message) {
        super(message);
    }
}
