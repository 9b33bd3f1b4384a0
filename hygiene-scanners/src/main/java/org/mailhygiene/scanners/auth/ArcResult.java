package org.mailhygiene.scanners.auth;

import java.util.Objects;

/**
 * The result of validating a message's ARC chain (RFC 8617 section 5.2).
 *
 * <p>Immutable and thread-safe.
 *
 * @param status pass, fail, none (no ARC fields) or temperror (a key lookup failed)
 * @param instances the number of ARC sets (0 without a chain)
 * @param reason why, in one line
 */
public record ArcResult(AuthStatus status, int instances, String reason) {

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is {@code null}
     */
    public ArcResult {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(reason, "reason");
    }
}
