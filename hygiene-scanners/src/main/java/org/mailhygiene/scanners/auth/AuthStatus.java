package org.mailhygiene.scanners.auth;

import java.util.Locale;

/**
 * The result values of RFC 8601 section 2.7 shared by SPF, DKIM, DMARC and ARC ({@code spf=pass}, {@code dkim=fail},
 * ...). Each method uses the subset its standard defines.
 */
public enum AuthStatus {
    /** Authenticated. */
    PASS,
    /** Checked and not authenticated. */
    FAIL,
    /** SPF only: the domain says "probably not authorised". */
    SOFTFAIL,
    /** No statement either way. */
    NEUTRAL,
    /** Nothing to check (no record, no signature). */
    NONE,
    /** DKIM: verified but not acceptable to us (for example content beyond {@code l=}). */
    POLICY,
    /** A transient (DNS) error; a later retry may succeed. */
    TEMPERROR,
    /** A permanent error in a record, key or signature. */
    PERMERROR;

    /**
     * The lower-case token used in {@code Authentication-Results}.
     *
     * @return for example {@code pass}
     */
    public String token() {
        return name().toLowerCase(Locale.ROOT);
    }
}
