package org.mailhygiene.scanners.auth.dns;

/**
 * Answers DNS questions for the sender-authentication checks. Implementations never throw for network or protocol
 * problems: those are {@link DnsResult.Status#TEMPERROR} results. They are thread-safe.
 *
 * <p>{@link StubResolver} asks a recursive server (the system's, or one configured) with timeouts, retries and a cache.
 */
@FunctionalInterface
public interface DnsResolver {

    /**
     * Asks one question.
     *
     * @param name the domain name, with or without the trailing dot; case does not matter
     * @param type the record type
     * @return the answer, NXDOMAIN, or a temporary failure; never {@code null}
     */
    DnsResult query(String name, DnsType type);
}
