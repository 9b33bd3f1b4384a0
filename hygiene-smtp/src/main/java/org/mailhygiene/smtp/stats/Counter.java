package org.mailhygiene.smtp.stats;

import java.util.Locale;

/** The daily counters a node keeps. Their lower-case names appear in the statistics files. */
public enum Counter {
    /** Messages accepted with 250 (after scanning, when scanning is in-line). */
    RECEIVED,
    /**
     * Delivery attempts (one transaction with one next hop) that delivered at least one recipient: a message whose
     * recipients go to two hops, or whose deferred recipient is delivered later, counts once per such attempt; the
     * bounces and notices the node writes count when they are delivered.
     */
    SENT,
    /** Messages with at least one spam verdict. */
    SPAM,
    /** Messages delivered with a spam tag. */
    TAGGED,
    /** Messages refused permanently at SMTP time by policy. */
    REJECTED,
    /** Messages held in quarantine. */
    QUARANTINED,
    /** Messages refused temporarily at SMTP time by policy (usually a scanner failure). */
    TEMPFAILED,
    /** Messages accepted and dropped by an explicit discard policy. */
    DISCARDED,
    /** Messages with at least one virus verdict. */
    INFECTED,
    /** Scanner failures (one per failed scanner call). */
    SCANNER_FAILURES,
    /** Verdicts served from the verdict cache. */
    CACHE_HITS,
    /** Successful signature updates. */
    SIGNATURE_UPDATES,
    /** Failed signature updates. */
    SIGNATURE_UPDATE_FAILURES,
    /**
     * Delivery status notifications (bounces) generated for the senders of failed mail; since session 52 without the
     * double bounces ({@link #DOUBLE_BOUNCED}), which it counted before.
     */
    BOUNCED,
    /**
     * Double bounces generated: failure reports to the postmaster for failed mail from the null sender {@code <>} (a
     * bounce that could not be delivered). Counted apart from {@link #BOUNCED} since session 52.
     */
    DOUBLE_BOUNCED;

    /**
     * The name used in files and reports.
     *
     * @return the lower-case name, e.g. {@code scanner_failures}
     */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a {@link #key()}.
     *
     * @param key the key
     * @return the counter
     * @throws IllegalArgumentException for an unknown key
     */
    public static Counter ofKey(String key) {
        return valueOf(key.toUpperCase(Locale.ROOT));
    }
}
