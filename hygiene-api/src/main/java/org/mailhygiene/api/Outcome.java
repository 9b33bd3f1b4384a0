package org.mailhygiene.api;

/**
 * What a scanner concluded about a message it actually scanned. Failures to scan are not outcomes: they are
 * {@link ScanFailure}s.
 */
public enum Outcome {
    /** Nothing found. */
    CLEAN,
    /** Malware found; the verdict names at least one threat. */
    INFECTED,
    /** Scored at or above the scanner's spam threshold. */
    SPAM,
    /**
     * Not proven bad, but matching a policy concern: a blocked attachment type, an encrypted archive, a broken MIME
     * structure. The verdict's rules say which.
     */
    SUSPICIOUS
}
