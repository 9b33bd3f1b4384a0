package org.mailhygiene.api.policy;

/** What happens to a message. */
public enum Action {
    /** Deliver unchanged (apart from headers the disposition lists). */
    ACCEPT,
    /** Deliver with a Subject tag and the disposition's headers. */
    TAG,
    /** Accept and hold in quarantine for an administrator; not delivered. */
    QUARANTINE,
    /** Accept and drop. Never a default: only when configured explicitly. */
    DISCARD,
    /** Refuse permanently at SMTP time (5xx). */
    REJECT,
    /** Refuse temporarily at SMTP time (4xx); the client keeps the message and retries. */
    TEMPFAIL;

    /**
     * Whether the message is accepted with a 2xx reply (possibly to be held or dropped).
     *
     * @return {@code true} for ACCEPT, TAG, QUARANTINE and DISCARD
     */
    public boolean acceptsMessage() {
        return this != REJECT && this != TEMPFAIL;
    }

    /**
     * Whether the message goes on towards its recipients.
     *
     * @return {@code true} for ACCEPT and TAG
     */
    public boolean delivers() {
        return this == ACCEPT || this == TAG;
    }
}
